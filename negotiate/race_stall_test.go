package negotiate_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stalls are the ways a preferred route can accept TCP and then never become ready: a
// tarpit, an intercepting middlebox, a server stuck at one command.
var stalls = []struct {
	name     string
	endpoint smtptest.Endpoint // port 587, as the client sees it a STARTTLS route
	stage    negotiate.Stage   // where the stalled route is when it is abandoned
}{
	{"accept, then silent", smtptest.Endpoint{Script: steps(hang())}, negotiate.Stage("greeting")},
	{"greet, then stall at EHLO", smtptest.Endpoint{Script: steps(smtptest.Greet(), smtptest.Step{Expect: "EHLO", Hang: true})}, negotiate.Stage("ehlo")},
	{"stall at STARTTLS", smtptest.Endpoint{Script: steps(smtptest.Greet(), smtptest.EHLO("STARTTLS"), smtptest.Step{Expect: "STARTTLS", Hang: true})}, negotiate.Stage("starttls")},
	{"stall mid-TLS", smtptest.Endpoint{Script: steps(smtptest.Greet(), smtptest.EHLO("STARTTLS"),
		smtptest.Step{Expect: "STARTTLS", Send: smtptest.Reply(220, "go ahead")}, smtptest.Step{ReadAny: true, Hang: true})}, negotiate.Stage("tls")},
	{"stall at the EHLO over TLS", smtptest.Endpoint{Script: steps(smtptest.UpToTLS(), smtptest.Step{Expect: "EHLO", Hang: true})}, negotiate.Stage("ehlo")},
	{"implicit-TLS server on a STARTTLS route", smtptest.Endpoint{Security: negotiate.ImplicitTLS}, negotiate.Stage("greeting")},
}

// TestStalledPreferredRouteDoesNotHoldDial: whatever the stall, with default options and
// a 5 s context, the next route wins: the stalled route holds it for a bounded grace,
// never its 30 s attempt timeout, and the winner still authenticates, on the only
// connection that ever sees the password. The bounds asserted are the rule's own (a
// head start of at most 2 s, a grace of at most 1 s), not performance: figures are in
// internal/bench.
func TestStalledPreferredRouteDoesNotHoldDial(t *testing.T) {
	for _, oneWay := range []time.Duration{0, 5 * time.Millisecond, 25 * time.Millisecond} {
		for _, st := range stalls {
			t.Run(fmt.Sprintf("%s/%v", st.name, oneWay), func(t *testing.T) {
				t.Parallel()
				ep := st.endpoint
				ep.Port = 587
				srv := smtptest.Start(t, smtptest.Config{Users: map[string]string{testUser: testPass}, Mechanisms: []string{"PLAIN"}},
					ep, smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS})
				routes := []negotiate.Route{srv.Route(587), srv.Route(465)}
				routes[0].Security = negotiate.STARTTLS
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				res, err := negotiate.Negotiate(ctx, negotiate.Config{
					Routes:      routes,
					TLSConfig:   srv.ClientTLS(),
					Dialer:      netsim.WithLatency(srv.Dialer(), oneWay),
					LocalName:   "client.example.test",
					Credentials: plainCreds{},
				})
				require.NoError(t, err, "the healthy route must win within the context")
				defer res.Client.Close()
				assert.Equal(t, 465, res.Route.Port)
				assert.Equal(t, "PLAIN", res.Mechanism, "the winner authenticated")
				require.Len(t, res.Attempts, 2)
				stalled, won := res.Attempts[0], res.Attempts[1]
				assert.ErrorIs(t, stalled.Err, negotiate.ErrAbandoned, "abandoned, not timed out: %v", stalled.Err)
				assert.Equal(t, st.stage, stalled.Stage)
				assert.LessOrEqual(t, won.Offset, 2*time.Second, "the next route started within the largest head start")
				assert.Positive(t, won.Ready)
				assert.LessOrEqual(t, won.Waited, time.Second+50*time.Millisecond, "the grace is at most a second")
				assertOneAuthOn(t, srv, 465)
			})
		}
	}
}

// TestSlowPreferredRouteWithinGraceWins: a preferred route that is alive, only slower
// than the next one, still wins when it becomes ready within its grace (at least 100 ms):
// the 587 server answers its EHLO over TLS 30 ms after 465 has answered its own.
func TestSlowPreferredRouteWithinGraceWins(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	srv := smtptest.Start(t, smtptest.Config{Users: map[string]string{testUser: testPass}, Mechanisms: []string{"PLAIN"}},
		smtptest.Endpoint{Port: 587, Script: steps(smtptest.UpToTLS(),
			smtptest.Step{Expect: "EHLO", Wait: release, Delay: 30 * time.Millisecond, Send: smtptest.Reply(250, smtptest.DefaultHostname, "AUTH PLAIN")})},
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS})
	defer once.Do(func() { close(release) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := negotiate.Negotiate(ctx, negotiate.Config{
		Routes:      srv.Routes(587, 465),
		TLSConfig:   srv.ClientTLS(),
		Dialer:      srv.Dialer(),
		LocalName:   "client.example.test",
		Credentials: plainCreds{},
		Trace: &negotiate.Trace{EHLO: func(r negotiate.Route, _ map[string]string, overTLS bool) {
			if r.Port == 465 && overTLS {
				once.Do(func() { close(release) }) // 465 is all but ready: 587 answers 30 ms later
			}
		}},
	})
	require.NoError(t, err)
	defer res.Client.Close()
	assert.Equal(t, 587, res.Route.Port, "the preferred route finished within its grace")
	require.Len(t, res.Attempts, 2)
	assert.ErrorIs(t, res.Attempts[1].Err, negotiate.ErrAbandoned)
	assert.Positive(t, res.Attempts[1].Ready, "465 was ready and gave way")
	assertOneAuthOn(t, srv, 587)
}

// assertOneAuthOn: exactly one AUTH went out, over TLS, on port.
func assertOneAuthOn(t *testing.T, srv *smtptest.Server, port int) {
	t.Helper()
	n := 0
	for _, c := range srv.Commands() {
		if strings.HasPrefix(strings.ToUpper(c.Line), "AUTH") || strings.Contains(c.Decoded, testPass) {
			n++
			assert.Equal(t, port, c.Port, "credentials only on the winner")
			assert.True(t, c.TLS)
		}
	}
	assert.Equal(t, 1, n, "one AUTH in all")
}
