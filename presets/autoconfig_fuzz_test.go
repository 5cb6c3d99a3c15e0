package presets

import (
	"testing"

	"github.com/smtpport/smtpport/negotiate"
)

// FuzzParseAutoconfig: whatever a web server returns, parsing never panics, every route
// it yields is dialable, encrypted and names a DNS host, and the username wording is
// clean and bounded.
func FuzzParseAutoconfig(f *testing.F) {
	f.Add([]byte(autoconfigDoc))
	f.Add([]byte(`<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>%EMAILLOCALPART%.x</hostname><port>-1</port><socketType>SSL</socketType></outgoingServer></emailProvider></clientConfig>`))
	f.Add([]byte(`<clientConfig><emailProvider><outgoingServer><hostname>a b</hostname><socketType>STARTTLS</socketType></outgoingServer></emailProvider></clientConfig>`))
	f.Add([]byte(`<clientConfig><emailProvider><outgoingServer><hostname>mail&#x9b;.example.com</hostname><socketType>SSL</socketType><username>&#x202e;x</username></outgoingServer></emailProvider></clientConfig>`))
	f.Add([]byte(`<clientConfig><emailProvider><outgoingServer><hostname> smtp.example.com. </hostname><port>0465</port><socketType>tls</socketType></outgoingServer></emailProvider></clientConfig>`))
	tgt := target{address: "a b@example.com", local: "a b", domain: "example.com"}
	f.Fuzz(func(t *testing.T, body []byte) {
		routes, username, err := parseAutoconfig(body, tgt)
		if err != nil {
			return
		}
		assertClean(t, username, maxPresetField+len("…"), "username")
		for _, r := range routes {
			if host, err := checkHost(r.Host); err != nil || host != r.Host {
				t.Fatalf("route host %q is not a DNS host name: %v", r.Host, err)
			}
			if err := r.Validate(); err != nil {
				t.Fatalf("invalid route %v: %v", r, err)
			}
			if r.Security != negotiate.STARTTLS && r.Security != negotiate.ImplicitTLS {
				t.Fatalf("unencrypted route %v", r)
			}
		}
	})
}
