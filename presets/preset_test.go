package presets

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpport/smtpport/negotiate"
)

func TestCustom(t *testing.T) {
	cases := []struct {
		in     string
		name   string
		routes []string
	}{
		{"smtp.example.org", "smtp.example.org",
			[]string{"smtp.example.org:587/starttls", "smtp.example.org:465/tls", "smtp.example.org:2525/starttls"}},
		{"  SMTP.Example.ORG. ", "smtp.example.org",
			[]string{"smtp.example.org:587/starttls", "smtp.example.org:465/tls", "smtp.example.org:2525/starttls"}},
		{"localhost", "localhost", []string{"localhost:587/starttls", "localhost:465/tls", "localhost:2525/starttls"}},
		{"mail_relay.corp", "mail_relay.corp", []string{"mail_relay.corp:587/starttls", "mail_relay.corp:465/tls", "mail_relay.corp:2525/starttls"}},
		{"smtp.example.org/starttls", "smtp.example.org/starttls", []string{"smtp.example.org:587/starttls", "smtp.example.org:2525/starttls"}},
		{"smtp.example.org/TLS", "smtp.example.org/tls", []string{"smtp.example.org:465/tls"}},
		{"smtp.example.org/ssl", "smtp.example.org/tls", []string{"smtp.example.org:465/tls"}},
		{"smtp.example.org:587", "smtp.example.org:587", []string{"smtp.example.org:587/starttls"}},
		{"smtp.example.org:465", "smtp.example.org:465", []string{"smtp.example.org:465/tls"}},
		{"smtp.example.org:2587", "smtp.example.org:2587", []string{"smtp.example.org:2587/starttls"}},
		{"smtp.example.org:2465/tls", "smtp.example.org:2465/tls", []string{"smtp.example.org:2465/tls"}},
		{"smtp.example.org:465/starttls", "smtp.example.org:465/starttls", []string{"smtp.example.org:465/starttls"}},
		{"smtp.example.org:0587", "smtp.example.org:587", []string{"smtp.example.org:587/starttls"}},
		{"192.0.2.7", "192.0.2.7", []string{"192.0.2.7:587/starttls", "192.0.2.7:465/tls", "192.0.2.7:2525/starttls"}},
		{"192.0.2.7:1025", "192.0.2.7:1025", []string{"192.0.2.7:1025/starttls"}},
		{"2001:db8::1", "2001:db8::1", []string{"[2001:db8::1]:587/starttls", "[2001:db8::1]:465/tls", "[2001:db8::1]:2525/starttls"}},
		{"[2001:db8::1]", "2001:db8::1", []string{"[2001:db8::1]:587/starttls", "[2001:db8::1]:465/tls", "[2001:db8::1]:2525/starttls"}},
		{"[2001:db8::1]:465", "[2001:db8::1]:465", []string{"[2001:db8::1]:465/tls"}},
		{"[::1]:2525/starttls", "[::1]:2525/starttls", []string{"[::1]:2525/starttls"}},
		{strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example", nil},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			p := Custom(tc.in)
			assert.Equal(t, tc.name, p.Name)
			for _, r := range p.Routes {
				assert.NoError(t, r.Validate())
			}
			if tc.routes != nil {
				assert.Equal(t, tc.routes, routeStrings(p.Routes))
			}
			assert.Empty(t, p.Note)
			// The canonical name reads back to the same routes.
			assert.Equal(t, routeStrings(p.Routes), routeStrings(Custom(p.Name).Routes))
		})
	}
}

// TestCustomRefuses: every input Custom cannot read gives a preset whose routes fail
// validation with a message that names the input and the problem, and Note says it too.
func TestCustomRefuses(t *testing.T) {
	cases := []struct{ in, problem string }{
		{"", "empty host"},
		{"   ", "empty host"},
		{"smtp.example.org:abc", "port abc is not a number from 1 to 65535"},
		{"smtp.example.org:", "empty port"},
		{"smtp.example.org:0", "port 0 is not"},
		{"smtp.example.org:65536", "port 65536 is not"},
		{"smtp.example.org:-1", "port -1 is not"},
		{"smtp.example.org:+587", "port +587 is not"},
		{"smtp.example.org:587:25", "too many colons"},
		{"smtp.example.org:587/plain", "unknown security mode plain"},
		{"smtp.example.org/", "unknown security mode"},
		{"smtp.example.org:587/tls/x", "unknown security mode tls/x"},
		{"smtp://smtp.example.org", "a URL, not a host"},
		{"alice@example.org", "an email address"},
		{"smtp example org", "spaces or control characters"},
		{"smtp.example.org\r\nQUIT", "spaces or control characters"},
		{"smtp\x1b[31m.example.org", "spaces or control characters"},
		{"smtp\u202e.example.org", "spaces or control characters"},
		{"smtp\u009b.example.org", "spaces or control characters"},
		{"smtp.exämple.org", "non-ASCII host name smtp.exämple.org; give its xn-- form"},
		{"smtp..example.org", "empty label"},
		{".example.org", "empty label"},
		{"-smtp.example.org", "starts or ends with a hyphen"},
		{"smtp!.example.org", "character ! not allowed"},
		{"[2001:db8::1", "as [address]:port"},
		{"2001:db8::zz", "too many colons"},
		{strings.Repeat("a", 64) + ".example", "label longer than 63 bytes"},
		{strings.Repeat("a.", 130) + "org", "longer than 253 bytes"},
		{strings.Repeat("a", 8192), "host name longer than 253 bytes"},
	}
	for _, tc := range cases {
		t.Run(shown(tc.in), func(t *testing.T) {
			p := Custom(tc.in)
			require.Len(t, p.Routes, 1)
			err := p.Routes[0].Validate()
			require.Error(t, err, "a refused input must never validate")
			assert.Contains(t, err.Error(), "presets.Custom(")
			assert.Contains(t, err.Error(), tc.problem)
			assert.Contains(t, p.Note, tc.problem)
			if len(tc.in) < 60 && strings.TrimSpace(tc.in) != "" && !strings.ContainsFunc(tc.in, func(r rune) bool { return r < ' ' || r > '~' }) {
				assert.Contains(t, err.Error(), tc.in, "the error names the input")
			}
			assert.LessOrEqual(t, len(err.Error()), 400, "a long input is cut in the message")
		})
	}
}

// countingDialer counts dials and never connects.
type countingDialer struct{ n atomic.Int32 }

func (d *countingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	d.n.Add(1)
	return nil, errors.New("countingDialer: no network in tests")
}

// TestRefusedPresetFailsAtNegotiate: a preset Custom or SES refused is an ErrConfig at
// negotiation, naming the input, before any dial (and so before any DNS lookup).
func TestRefusedPresetFailsAtNegotiate(t *testing.T) {
	cases := []struct {
		name   string
		preset Preset
		want   []string
	}{
		{"custom with port in the host", Custom("smtp.example.org:abc"), []string{"presets.Custom(smtp.example.org:abc)", "port abc"}},
		{"custom URL", Custom("smtps://smtp.example.org"), []string{"smtps://smtp.example.org", "a URL"}},
		{"ses region", SES("nowhere"), []string{"presets.SES(nowhere)", "SES region nowhere is not an AWS region name"}},
		{"ses upper case", SES("EU-WEST-1"), []string{"EU-WEST-1", "must be lower case: eu-west-1"}},
		{"ses empty", SES(""), []string{"presets.SES()", "empty SES region"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &countingDialer{}
			_, err := negotiate.Negotiate(context.Background(), negotiate.Config{Routes: tc.preset.Routes, Dialer: d})
			require.ErrorIs(t, err, negotiate.ErrConfig)
			for _, want := range tc.want {
				assert.Contains(t, err.Error(), want)
			}
			assert.Zero(t, d.n.Load(), "nothing dialed")
		})
	}
}

func TestShown(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x1bb", `a\x1bb`},
		{"a\u202eb", `a\u202eb`},
		{"héllo", "héllo"},
		{strings.Repeat("é", 40), strings.Repeat("é", 32) + "…(80 bytes)"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, shown(tc.in), "shown(%q)", tc.in)
	}
}
