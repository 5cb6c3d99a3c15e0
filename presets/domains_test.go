package presets

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestConsumerDomainsResolve: every listed domain names a preset that exists, and is a
// valid domain in canonical form.
func TestConsumerDomainsResolve(t *testing.T) {
	for domain, name := range consumerDomains {
		_, ok := Lookup(name)
		assert.True(t, ok, "%s -> %s", domain, name)
		host, err := checkHost(domain)
		assert.NoError(t, err, domain)
		assert.Equal(t, host, domain)
	}
}

// TestConsumerDomainsAreNotGuessed: a brand's domain is aliased only when the provider
// lists it; one run by another company (yahoo.co.jp is LY Corporation's) or merely
// sharing the brand's first label is not.
func TestConsumerDomainsAreNotGuessed(t *testing.T) {
	for _, domain := range []string{
		"yahoo.co.jp", "yahoo.com.tw", "yahoo.xyz", "aol.jp", "aol.xyz", "gmx.xyz",
		"hotmail.xyz", "outlook.xyz", "live.xyz", "yandex.com.tr", "yandex.xyz", "passport.com",
		"zoho.xyz", "fastmail.xyz", "icloud.co.uk", "gmail.co.uk", "proton.ch",
	} {
		p, ok := byDomain(domain)
		assert.False(t, ok, "%s aliased to %s", domain, p.Name)
	}
}

// TestGMXServices: GMX's two services are told apart by domain.
func TestGMXServices(t *testing.T) {
	for domain, want := range map[string]string{
		"gmx.net": "gmx-net", "gmx.de": "gmx-net", "gmx.at": "gmx-net", "gmx.ch": "gmx-net", "gmx.eu": "gmx-net",
		"gmx.com": "gmx", "gmx.fr": "gmx", "gmx.co.uk": "gmx", "gmx.es": "gmx", "gmx.it": "gmx",
	} {
		p, ok := byDomain(domain)
		assert.True(t, ok, domain)
		assert.Equal(t, want, p.Name, domain)
	}
}
