package presets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileHosts are host names a hostile DNS server or autoconfig document might hand
// out, each with the part of the reason Discover must give for dropping it.
var hostileHosts = []struct {
	name, host, why string
}{
	{"C1 control (CSI)", "mail\u009b31m.example.com", "character other than"},
	{"bidi override", "mail.\u202eexample.com", "character other than"},
	{"8 KB name", strings.Repeat("a", 8192) + ".example.com", "longer than 253"},
	{"NUL", "mail\x00.example.com", "character other than"},
	{"CR without LF", "mail\r.example.com", "character other than"},
	{"ESC sequence", "\x1b[2Jmail.example.com", "character other than"},
	{"64-byte label", strings.Repeat("b", 64) + ".example.com", "longer than 63"},
	{"leading hyphen", "-mail.example.com", "hyphen"},
	{"trailing hyphen", "mail-.example.com", "hyphen"},
	{"empty label", "mail..example.com", "empty label"},
	{"underscore", "mail_x.example.com", "character other than"},
	{"space", "mail example.com", "character other than"},
	{"IPv4 literal", "127.0.0.1", "IP address"},
	{"IPv6 literal", "::1", "IP address"},
	{"bracketed IPv6", "[::1]", "character other than"},
	{"all-digit top label", "mail.example.123", "all-digit"},
	{"single label", "localhost", "single label"},
	{"non-ASCII letters", "mäil.example.com", "character other than"},
}

// assertClean fails when s carries anything a terminal or log could misread, or is long.
func assertClean(t *testing.T, s string, max int, what string) {
	t.Helper()
	assert.LessOrEqual(t, len(s), max, "%s is %d bytes", what, len(s))
	for _, r := range s {
		if r != '\n' && !unicode.IsGraphic(r) {
			assert.Failf(t, "unsanitised text", "%s carries %U: %q", what, r, s)
			return
		}
	}
}

// assertDiscoveredClean checks every DNS- or HTTP-supplied field of d.
func assertDiscoveredClean(t *testing.T, d Discovered) {
	t.Helper()
	assertClean(t, d.Evidence, maxEvidence+len("…"), "Evidence")
	for _, f := range []string{d.Preset.Name, d.Preset.Username, d.Preset.Docs, d.Preset.Note} {
		assertClean(t, f, maxPresetField+len("…"), "preset field")
	}
	for _, err := range d.StepErrors {
		assertClean(t, err.Error(), maxStepError+len("…"), "step error")
	}
	for _, r := range d.Preset.Routes {
		host, err := checkHost(r.Host)
		assert.NoError(t, err, "route host %q", r.Host)
		assert.Equal(t, host, r.Host)
	}
}

func TestCheckHost(t *testing.T) {
	for _, tc := range hostileHosts {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkHost(tc.host)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.why)
			assertClean(t, err.Error(), 200, "error")
		})
	}
	for raw, want := range map[string]string{
		"Mail.Example.COM.":                      "mail.example.com",
		"xn--mll-hoa.example.de":                 "xn--mll-hoa.example.de",
		"smtp-2.example.co.uk":                   "smtp-2.example.co.uk",
		"a.b":                                    "a.b",
		strings.Repeat("c", 63) + ".example.com": strings.Repeat("c", 63) + ".example.com",
		"123.example.com":                        "123.example.com",
	} {
		got, err := checkHost(raw)
		require.NoError(t, err, raw)
		assert.Equal(t, want, got)
	}
	long := strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 63) + "." + strings.Repeat("g", 61)
	_, err := checkHost(long) // 253 bytes
	assert.NoError(t, err)
	_, err = checkHost(long + "h")
	assert.Error(t, err)
}

// TestDiscoverDropsHostileMX: an MX host that is not a DNS name is dropped with a short,
// clean reason; it never reaches a preset, an error or the evidence raw.
func TestDiscoverDropsHostileMX(t *testing.T) {
	for _, tc := range hostileHosts {
		t.Run(tc.name, func(t *testing.T) {
			dns := &fakeDNS{mx: map[string][]*net.MX{"example.com": {{Host: tc.host, Pref: 1}}}}
			d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
			require.NoError(t, err)
			assert.Equal(t, sourceGuess, d.Source)
			require.NotEmpty(t, d.StepErrors)
			assert.ErrorIs(t, d.StepErrors[0], ErrNotFound)
			assert.Contains(t, d.StepErrors[0].Error(), tc.why)
			assertDiscoveredClean(t, d)

			// Beside a known provider's MX further down, the provider still answers.
			dns.mx["example.com"] = append(dns.mx["example.com"], &net.MX{Host: "aspmx.l.google.com.", Pref: 5})
			d, err = discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
			require.NoError(t, err)
			assert.Equal(t, "gmail", d.Preset.Name)
			assert.Contains(t, d.Evidence, "ignored 1 record(s)")
			assertDiscoveredClean(t, d)
		})
	}
}

// TestDiscoverDropsHostileSRV: an SRV target that is not a DNS name is dropped; the
// valid records still answer and the evidence says what was ignored.
func TestDiscoverDropsHostileSRV(t *testing.T) {
	for _, tc := range hostileHosts {
		t.Run(tc.name, func(t *testing.T) {
			dns := &fakeDNS{srv: map[string][]*net.SRV{
				"_submissions._tcp.example.com": {{Target: tc.host, Port: 465}},
			}}
			_, err := discover(t, "a@example.com", WithResolver(dns), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
			require.ErrorIs(t, err, ErrNotFound)
			assert.Contains(t, err.Error(), tc.why)
			assertClean(t, err.Error(), 4*(maxStepError+len("…"))+200, "Discover error")

			dns.srv["_submission._tcp.example.com"] = []*net.SRV{{Target: "mail.example.com.", Port: 587}}
			d, err := discover(t, "a@example.com", WithResolver(dns), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
			require.NoError(t, err)
			assert.Equal(t, []string{"mail.example.com:587/starttls"}, routeStrings(d.Preset.Routes))
			assert.Contains(t, d.Evidence, "ignored 1 record(s)")
			assert.Contains(t, d.Evidence, tc.why)
			assertDiscoveredClean(t, d)
		})
	}
}

// TestDiscoverDropsBadSRVPort: port 0 is not a route.
func TestDiscoverDropsBadSRVPort(t *testing.T) {
	dns := &fakeDNS{srv: map[string][]*net.SRV{"_submissions._tcp.example.com": {{Target: "mail.example.com", Port: 0}}}}
	_, err := discover(t, "a@example.com", WithResolver(dns), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "port 0 out of range")
}

// TestDiscoverManyHostileRecords: a thousand bad records make one short error.
func TestDiscoverManyHostileRecords(t *testing.T) {
	var mxs []*net.MX
	for i := range 1000 {
		mxs = append(mxs, &net.MX{Host: fmt.Sprintf("\u202e%d%s.example.com", i, strings.Repeat("x", 100)), Pref: uint16(i)})
	}
	dns := &fakeDNS{mx: map[string][]*net.MX{"example.com": mxs}}
	d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	require.NotEmpty(t, d.StepErrors)
	assert.Contains(t, d.StepErrors[0].Error(), "ignored 1000 record(s)")
	assert.Contains(t, d.StepErrors[0].Error(), "and 997 more")
	assertDiscoveredClean(t, d)
}

// TestDiscoverHostileAutoconfig: host names, ports and the username template of a
// hostile autoconfig document, and a hostile HTTP status line, all reach the result
// dropped or cleaned.
func TestDiscoverHostileAutoconfig(t *testing.T) {
	doc := func(host, port, username string) string {
		return `<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>` + host +
			`</hostname><port>` + port + `</port><socketType>SSL</socketType><username>` + username +
			`</username></outgoingServer></emailProvider></clientConfig>`
	}
	t.Run("hosts", func(t *testing.T) {
		for _, tc := range hostileHosts {
			if strings.ContainsAny(tc.host, "\x00\x1b\r") { // not representable in XML 1.0
				continue
			}
			web := newWebServer(t)
			web.page("autoconfig.example.com/mail/config-v1.1.xml", xmlPage(doc(tc.host, "465", "%EMAILADDRESS%")))
			d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
			require.NoError(t, err, tc.name)
			assert.Equal(t, sourceGuess, d.Source, tc.name)
			require.Len(t, d.StepErrors, 3, tc.name)
			assert.Contains(t, d.StepErrors[2].Error(), tc.why, tc.name)
			assertDiscoveredClean(t, d)
		}
	})
	t.Run("control characters as XML references", func(t *testing.T) {
		web := newWebServer(t)
		web.page("autoconfig.example.com/mail/config-v1.1.xml", xmlPage(doc("mail&#x9b;.example.com", "4&#x202e;65", "x")))
		d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
		require.NoError(t, err)
		assert.Contains(t, d.StepErrors[2].Error(), "not a port number")
		assertDiscoveredClean(t, d)
	})
	t.Run("username template", func(t *testing.T) {
		web := newWebServer(t)
		web.page("autoconfig.example.com/mail/config-v1.1.xml",
			xmlPage(doc("smtp.example.com", "465", "&#x202e;evil&#x9b;31m"+strings.Repeat("u", 8192))))
		d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
		require.NoError(t, err)
		assert.Equal(t, sourceAutoconfig, d.Source)
		assert.True(t, strings.HasPrefix(d.Preset.Username, "?evil?31m"), d.Preset.Username[:20])
		assertDiscoveredClean(t, d)
	})
	t.Run("hostile HTTP status line", func(t *testing.T) {
		web := newWebServer(t)
		web.page("autoconfig.example.com/mail/config-v1.1.xml", func(rw http.ResponseWriter, _ *http.Request) {
			conn, buf, err := http.NewResponseController(rw).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprint(buf, "HTTP/1.1 404 \u202eNot\u009b31m Found"+strings.Repeat("!", 8192)+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			buf.Flush()
		})
		d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
		require.NoError(t, err)
		require.Len(t, d.StepErrors, 3)
		assert.Contains(t, d.StepErrors[2].Error(), "HTTP status 404")
		assertDiscoveredClean(t, d)
	})
}

// TestDiscoverLongAddress: an 8 KB address makes a short error.
func TestDiscoverLongAddress(t *testing.T) {
	_, err := Discover(context.Background(), "a@"+strings.Repeat("\u202e", 4096)+".com", WithResolver(&fakeDNS{}))
	require.Error(t, err)
	assertClean(t, err.Error(), 300, "error")
}

// TestDiscoverGuessNeedsRoom: a domain too long for "smtp." in front is not guessed.
func TestDiscoverGuessNeedsRoom(t *testing.T) {
	domain := strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 63) + "." + strings.Repeat("g", 57) + ".com"
	_, err := discover(t, "a@"+domain, WithResolver(&fakeDNS{}), WithHTTPClient(newWebServer(t).client))
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "cannot guess")
}

// FuzzCheckHost: an accepted name is a DNS host name in canonical form; a refusal is
// short and clean.
func FuzzCheckHost(f *testing.F) {
	for _, tc := range hostileHosts {
		f.Add(tc.host)
	}
	f.Add("mail.example.com.")
	f.Fuzz(func(t *testing.T, raw string) {
		host, err := checkHost(raw)
		if err != nil {
			assertClean(t, err.Error(), 200, "error")
			return
		}
		if len(host) > maxHostLen || net.ParseIP(host) != nil || host != strings.ToLower(host) || !strings.Contains(host, ".") {
			t.Fatalf("accepted %q as %q", raw, host)
		}
		for _, label := range strings.Split(host, ".") {
			if badLabel(label) != "" {
				t.Fatalf("accepted %q with label %q", raw, label)
			}
		}
		if again, err := checkHost(host); err != nil || again != host {
			t.Fatalf("not idempotent: %q -> %q, %v", host, again, err)
		}
	})
}

// failingTransport answers every request with an error, so fuzzing never goes online.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("offline")
}

// FuzzDiscoverDNS: whatever MX and SRV records a resolver returns, Discover's answer
// or error is clean and bounded, and its routes are DNS host names.
func FuzzDiscoverDNS(f *testing.F) {
	f.Add("aspmx.l.google.com.", "mail.example.com.", uint16(587))
	f.Add("mail\u009b.example.com", "\u202e.example.com", uint16(0))
	f.Add(strings.Repeat("a", 300), "127.0.0.1", uint16(465))
	client := &http.Client{Transport: failingTransport{}}
	f.Fuzz(func(t *testing.T, mxHost, srvTarget string, port uint16) {
		dns := &fakeDNS{
			mx:  map[string][]*net.MX{"example.com": {{Host: mxHost, Pref: 1}}},
			srv: map[string][]*net.SRV{"_submission._tcp.example.com": {{Target: srvTarget, Port: port}}},
		}
		d, err := Discover(context.Background(), "a@example.com", WithResolver(dns), WithHTTPClient(client), WithoutGuess())
		if err != nil {
			assertClean(t, err.Error(), 4*(maxStepError+len("…"))+200, "Discover error")
			return
		}
		assertDiscoveredClean(t, d)
	})
}
