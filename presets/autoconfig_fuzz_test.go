package presets

import (
	"testing"

	"github.com/smtpport/smtpport/negotiate"
)

// FuzzParseAutoconfig: whatever a web server returns, parsing never panics and every route
// it yields is dialable and encrypted.
func FuzzParseAutoconfig(f *testing.F) {
	f.Add([]byte(autoconfigDoc))
	f.Add([]byte(`<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>%EMAILLOCALPART%.x</hostname><port>-1</port><socketType>SSL</socketType></outgoingServer></emailProvider></clientConfig>`))
	f.Add([]byte(`<clientConfig><emailProvider><outgoingServer><hostname>a b</hostname><socketType>STARTTLS</socketType></outgoingServer></emailProvider></clientConfig>`))
	tgt := target{address: "a b@example.com", local: "a b", domain: "example.com"}
	f.Fuzz(func(t *testing.T, body []byte) {
		routes, _, err := parseAutoconfig(body, tgt)
		if err != nil {
			return
		}
		for _, r := range routes {
			if err := r.Validate(); err != nil {
				t.Fatalf("invalid route %v: %v", r, err)
			}
			if r.Security != negotiate.STARTTLS && r.Security != negotiate.ImplicitTLS {
				t.Fatalf("unencrypted route %v", r)
			}
		}
	})
}
