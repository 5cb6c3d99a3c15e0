package negotiate_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verbs lists the command verbs the server received, in order.
func verbs(cmds []smtptest.Command) []string {
	out := make([]string, len(cmds))
	for i, c := range cmds {
		verb, rest, _ := strings.Cut(c.Line, " ")
		if strings.EqualFold(verb, "AUTH") {
			// Keep the mechanism and whether an initial response came on the same line.
			mech, ir, _ := strings.Cut(rest, " ")
			verb += " " + mech
			if ir != "" {
				verb += " <initial-response>"
			}
		}
		out[i] = verb
	}
	return out
}

// TestNoWastedCommands: each route type sends exactly the commands it needs, and AUTH
// carries its initial response (SASL-IR, RFC 4954 §4) instead of waiting for a 334.
func TestNoWastedCommands(t *testing.T) {
	cases := []struct {
		security negotiate.Security
		want     []string
	}{
		{negotiate.STARTTLS, []string{"EHLO", "STARTTLS", "EHLO", "AUTH PLAIN <initial-response>"}},
		{negotiate.ImplicitTLS, []string{"EHLO", "AUTH PLAIN <initial-response>"}},
	}
	for _, tc := range cases {
		t.Run(tc.security.String(), func(t *testing.T) {
			srv, d, cfg := testServer(t, smtptest.Endpoint{Port: 10025, Security: tc.security})
			negotiateOK(t, cfg)
			assert.Equal(t, tc.want, verbs(srv.Commands()))
			assert.Equal(t, 1, d.TotalDials())
		})
	}
}

// TestTLSSessionResumedAcrossNegotiations: without a ClientSessionCache of the caller's,
// the second negotiation resumes the first one's TLS session; still verified.
func TestTLSSessionResumedAcrossNegotiations(t *testing.T) {
	for _, security := range []negotiate.Security{negotiate.STARTTLS, negotiate.ImplicitTLS} {
		t.Run(security.String(), func(t *testing.T) {
			_, _, cfg := testServer(t, smtptest.Endpoint{Port: 10025, Security: security})
			first := negotiateOK(t, cfg)
			assert.False(t, first.TLS.DidResume)
			// The ticket arrives with the server's first TLS flight and is stored on the
			// first read after the handshake: the first negotiation need not end first.

			second := negotiateOK(t, cfg)
			assert.True(t, second.TLS.DidResume, "second negotiation resumes")
			assert.NotEmpty(t, second.TLS.VerifiedChains, "a resumed session keeps its verified chain")
		})
	}
}

// TestTLSSessionNotSharedAcrossTrustAnchors: a session verified under one CA pool is not
// resumed by a configuration that trusts another pool, even for the same host name.
func TestTLSSessionNotSharedAcrossTrustAnchors(t *testing.T) {
	srv, _, cfg := testServer(t, smtptest.Endpoint{Port: 10465, Security: negotiate.ImplicitTLS})
	require.NoError(t, negotiateOK(t, cfg).Client.Quit())

	other := srv.CA().Pool().Clone() // same anchors, another pool: a separate cache
	cfg.TLSConfig = &tls.Config{RootCAs: other}
	res := negotiateOK(t, cfg)
	assert.False(t, res.TLS.DidResume)
}

// TestCallersSessionCacheIsUsed: a cache in the caller's TLSConfig is left in place.
func TestCallersSessionCacheIsUsed(t *testing.T) {
	srv, _, cfg := testServer(t, smtptest.Endpoint{Port: 10465, Security: negotiate.ImplicitTLS})
	cache := &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	cfg.TLSConfig = &tls.Config{RootCAs: srv.CA().Pool(), ClientSessionCache: cache}
	require.NoError(t, negotiateOK(t, cfg).Client.Quit())
	assert.Positive(t, cache.puts)
}

type countingCache struct {
	tls.ClientSessionCache
	puts int
}

func (c *countingCache) Put(key string, cs *tls.ClientSessionState) {
	c.puts++
	c.ClientSessionCache.Put(key, cs)
}

// TestTLSSessionNotSharedAcrossPorts: a session from one port is not offered on another
// of the same host, so every port's own certificate is verified at least once.
func TestTLSSessionNotSharedAcrossPorts(t *testing.T) {
	srv, _, cfg := testServer(t)
	cfg.Routes = srv.Routes(465)
	require.NoError(t, negotiateOK(t, cfg).Client.Quit())
	cfg.Routes = srv.Routes(587)
	assert.False(t, negotiateOK(t, cfg).TLS.DidResume, "587 does not resume 465's session")
	assert.True(t, negotiateOK(t, cfg).TLS.DidResume, "587 resumes its own")
}

// TestNegotiateOverSlowLink: the whole handshake works through a link with latency, and
// a healthy first route still opens the only connection.
func TestNegotiateOverSlowLink(t *testing.T) {
	srv, d, cfg := testServer(t)
	cfg.Dialer = netsim.WithLatency(d, 2*time.Millisecond)
	res := negotiateOK(t, cfg)
	assert.Equal(t, 587, res.Route.Port)
	assert.Equal(t, []string{"EHLO", "STARTTLS", "EHLO", "AUTH PLAIN <initial-response>"}, verbs(srv.Commands()))
	assert.Equal(t, 1, d.TotalDials())
}
