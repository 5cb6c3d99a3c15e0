package negotiate_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
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

// probed is what a probe (Config.Probe) of one route reports through its Trace and result.
type probed struct {
	attempt    negotiate.Attempt
	err        error
	stages     []negotiate.Stage
	connected  bool
	connErr    error
	greeting   string
	ext        map[string]string // from the last EHLO
	extOverTLS bool
	tls        *tls.ConnectionState // nil when no handshake ended
	tlsErr     error
}

// probeOne probes route alone with cfg and collects what the Trace saw.
func probeOne(ctx context.Context, t *testing.T, cfg negotiate.Config, route negotiate.Route, onStage func(negotiate.Stage)) *probed {
	p := &probed{}
	var mu sync.Mutex
	cfg.Routes, cfg.Probe = []negotiate.Route{route}, true
	cfg.Trace = &negotiate.Trace{
		Stage: func(_ negotiate.Route, s negotiate.Stage) {
			mu.Lock()
			p.stages = append(p.stages, s)
			mu.Unlock()
			if onStage != nil {
				onStage(s)
			}
		},
		Connected: func(_ negotiate.Route, _ time.Duration, err error) {
			mu.Lock()
			defer mu.Unlock()
			p.connected, p.connErr = true, err
		},
		Greeting: func(_ negotiate.Route, text string) {
			mu.Lock()
			defer mu.Unlock()
			p.greeting = text
		},
		EHLO: func(_ negotiate.Route, ext map[string]string, overTLS bool) {
			mu.Lock()
			defer mu.Unlock()
			p.ext, p.extOverTLS = ext, overTLS
		},
		TLS: func(_ negotiate.Route, cs tls.ConnectionState, err error) {
			mu.Lock()
			defer mu.Unlock()
			p.tls, p.tlsErr = &cs, err
		},
	}
	res, err := negotiate.Negotiate(ctx, cfg)
	mu.Lock()
	defer mu.Unlock()
	p.err = err
	var nerr *negotiate.Error
	switch {
	case err == nil:
		require.Len(t, res.Attempts, 1)
		assert.Nil(t, res.Client, "a probe hands out no client")
		p.attempt = res.Attempts[0]
	case errors.As(err, &nerr) && len(nerr.Attempts) == 1:
		p.attempt = nerr.Attempts[0]
	}
	return p
}

// upperVerbs are the command verbs the server received, upper case.
func upperVerbs(srv *smtptest.Server) []string {
	var out []string
	for _, c := range srv.Commands() {
		verb, _, _ := strings.Cut(c.Line, " ")
		out = append(out, strings.ToUpper(verb))
	}
	return out
}

// TestProbe is the table of what a probe reports for each kind of route.
func TestProbe(t *testing.T) {
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	wrong, err := smtptest.WrongName.Issue(ca, smtptest.DefaultHostname)
	require.NoError(t, err)

	cases := []struct {
		name      string
		endpoint  smtptest.Endpoint
		route     func(srv *smtptest.Server) negotiate.Route
		block     netsim.Behaviour
		timeout   time.Duration
		check     func(t *testing.T, p *probed)
		wantErr   error
		wantQuit  bool
		wantStage []negotiate.Stage
	}{
		{
			name:      "starttls healthy",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
			wantQuit:  true,
			wantStage: []negotiate.Stage{"dial", "greeting", "ehlo", "starttls", "tls", "ehlo", "ready"},
			check: func(t *testing.T, p *probed) {
				assert.True(t, p.extOverTLS)
				assert.Equal(t, "PLAIN LOGIN", p.ext["AUTH"])
				assert.Equal(t, "10485760", p.ext["SIZE"])
				assert.NotContains(t, p.ext, "STARTTLS", "extensions come from the post-TLS EHLO")
			},
		},
		{
			name:      "implicit tls healthy",
			endpoint:  smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS},
			wantQuit:  true,
			wantStage: []negotiate.Stage{"dial", "tls", "greeting", "ehlo", "ready"},
			check: func(t *testing.T, p *probed) {
				assert.True(t, p.extOverTLS)
				assert.Equal(t, "PLAIN LOGIN", p.ext["AUTH"])
			},
		},
		{
			name:      "plaintext only port 25",
			endpoint:  smtptest.Endpoint{Port: 25, Security: negotiate.STARTTLS, NoSTARTTLS: true},
			wantErr:   negotiate.ErrTLSUnavailable,
			wantQuit:  true,
			wantStage: []negotiate.Stage{"dial", "greeting", "ehlo"},
			check: func(t *testing.T, p *probed) {
				assert.Nil(t, p.tls)
				assert.False(t, p.extOverTLS)
				assert.NotContains(t, p.ext, "STARTTLS")
				assert.Contains(t, p.ext, "8BITMIME", "the pre-TLS EHLO is reported")
				assert.Contains(t, p.attempt.Err.Error(), "did not offer STARTTLS")
			},
		},
		{
			name:      "certificate for another name",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Certificate: &wrong},
			wantErr:   negotiate.ErrCertificate,
			wantStage: []negotiate.Stage{"dial", "greeting", "ehlo", "starttls", "tls"},
			check: func(t *testing.T, p *probed) {
				require.NotNil(t, p.tls)
				var verr *tls.CertificateVerificationError
				require.ErrorAs(t, p.tlsErr, &verr)
				require.NotEmpty(t, verr.UnverifiedCertificates, "the certificate is reported although it failed")
				leaf := verr.UnverifiedCertificates[0]
				assert.Equal(t, "CN=wrong.mail.example.test", leaf.Subject.String())
				assert.Equal(t, "CN=smtptest CA", leaf.Issuer.String())
				assert.Equal(t, []string{"wrong.mail.example.test"}, leaf.DNSNames)
				var hostErr x509.HostnameError
				assert.ErrorAs(t, p.tlsErr, &hostErr)
				assert.GreaterOrEqual(t, p.tls.Version, uint16(tls.VersionTLS12))
			},
		},
		{
			name:     "implicit tls route on a plaintext port",
			endpoint: smtptest.Endpoint{Port: 465, Security: negotiate.STARTTLS},
			route: func(srv *smtptest.Server) negotiate.Route {
				r := srv.Route(465)
				r.Security = negotiate.ImplicitTLS
				return r
			},
			wantErr:   negotiate.ErrTLSUnavailable,
			wantStage: []negotiate.Stage{"dial", "tls"},
			check:     func(t *testing.T, p *probed) { assert.Nil(t, p.ext) },
		},
		{
			name:      "refused",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
			block:     netsim.Refuse,
			wantErr:   negotiate.ErrUnreachable,
			wantStage: []negotiate.Stage{"dial"},
			check: func(t *testing.T, p *probed) {
				assert.True(t, p.connected)
				assert.Error(t, p.connErr)
			},
		},
		{
			name:      "blackholed",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
			block:     netsim.Blackhole,
			timeout:   50 * time.Millisecond,
			wantErr:   negotiate.ErrUnreachable,
			wantStage: []negotiate.Stage{"dial"},
			check: func(t *testing.T, p *probed) {
				assert.Error(t, p.connErr)
				assert.GreaterOrEqual(t, p.attempt.Elapsed, 50*time.Millisecond, "the time waited is reported")
				assert.ErrorIs(t, p.attempt.Err, context.DeadlineExceeded)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Config{CA: ca, Users: map[string]string{"u": "p"}}, tc.endpoint)
			d := srv.Dialer()
			route := srv.Route(tc.endpoint.Port)
			if tc.route != nil {
				route = tc.route(srv)
			}
			d.Set(net.JoinHostPort(route.Host, strconv.Itoa(route.Port)), tc.block)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p := probeOne(ctx, t, negotiate.Config{
				Dialer: d, TLSConfig: srv.ClientTLS(), LocalName: "probe.example.org", AttemptTimeout: tc.timeout,
			}, route, nil)

			assert.Equal(t, route, p.attempt.Route)
			assert.Equal(t, tc.wantStage, p.stages, "the trace sees every stage as it starts")
			if tc.wantErr == nil {
				require.NoError(t, p.err)
				require.NoError(t, p.attempt.Err)
				assert.Equal(t, negotiate.Stage("ready"), p.attempt.Stage)
				assert.True(t, p.connected)
				assert.NoError(t, p.connErr)
				if route.Security == negotiate.STARTTLS {
					assert.Equal(t, "mail.example.test ESMTP smtptest", p.greeting)
				} else {
					assert.Empty(t, p.greeting, "net/smtp reads the greeting over TLS itself")
				}
				require.NotNil(t, p.tls)
				assert.NoError(t, p.tlsErr)
				assert.NotEmpty(t, p.tls.VerifiedChains)
				leaf := p.tls.PeerCertificates[0]
				assert.Equal(t, "CN=mail.example.test", leaf.Subject.String())
				assert.True(t, leaf.NotAfter.After(time.Now()))
				assert.NotZero(t, p.tls.CipherSuite)
			} else {
				require.ErrorIs(t, p.err, tc.wantErr, "Negotiate's error")
				assert.ErrorIs(t, p.attempt.Err, tc.wantErr)
				assert.Equal(t, tc.wantStage[len(tc.wantStage)-1], p.attempt.Stage)
			}
			tc.check(t, p)
			assert.Positive(t, p.attempt.Elapsed)

			v := upperVerbs(srv)
			assert.NotContains(t, v, "AUTH", "a probe never authenticates")
			assert.NotContains(t, v, "HELO")
			assert.NotContains(t, v, "MAIL")
			if tc.wantQuit {
				require.NotEmpty(t, v)
				assert.Equal(t, "QUIT", v[len(v)-1])
			}
			for _, c := range srv.Commands() {
				if strings.HasPrefix(c.Line, "EHLO") {
					assert.Equal(t, "EHLO probe.example.org", c.Line)
				}
			}
		})
	}
}

func TestProbeCancel(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	srv := smtptest.Start(t, smtptest.Config{}, smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, HoldGreeting: hold})
	ctx, cancel := context.WithCancel(context.Background())
	p := probeOne(ctx, t, negotiate.Config{Dialer: srv.Dialer(), AttemptTimeout: time.Hour}, srv.Route(587),
		func(s negotiate.Stage) {
			if s == negotiate.Stage("greeting") {
				cancel() // the server holds its greeting: only the cancel can end this
			}
		})
	assert.ErrorIs(t, p.err, context.Canceled)
	assert.True(t, p.connected)
	assert.NoError(t, p.connErr)
}

func TestProbeConfigErrors(t *testing.T) {
	p := probeOne(context.Background(), t, negotiate.Config{TLSConfig: &tls.Config{InsecureSkipVerify: true}},
		negotiate.Route{Host: "mail.example.test", Port: 587}, nil)
	assert.ErrorIs(t, p.err, negotiate.ErrConfig)
	p = probeOne(context.Background(), t, negotiate.Config{}, negotiate.Route{Host: "bad host", Port: 587}, nil)
	assert.ErrorIs(t, p.err, negotiate.ErrConfig)
	assert.False(t, p.connected, "nothing is dialled")
}

// TestProbeHostile: the probe keeps Negotiate's defences against a hostile server.
func TestProbeHostile(t *testing.T) {
	cases := []struct {
		name    string
		script  []smtptest.Step
		wantErr error
		stage   negotiate.Stage
		check   func(t *testing.T, p *probed, srv *smtptest.Server)
	}{
		{
			name: "reply pipelined ahead of STARTTLS",
			script: []smtptest.Step{smtptest.Greet(), {Expect: "EHLO", Send: append(
				smtptest.Reply(250, smtptest.DefaultHostname, "STARTTLS"), smtptest.Reply(220, "2.0.0 go ahead")...)}},
			wantErr: negotiate.ErrProtocol, stage: negotiate.Stage("starttls"),
			check: func(t *testing.T, _ *probed, srv *smtptest.Server) {
				assert.NotContains(t, upperVerbs(srv), "STARTTLS", "the forged go-ahead is never asked for")
			},
		},
		{
			name: "bytes injected after the STARTTLS go-ahead",
			script: []smtptest.Step{smtptest.Greet(), smtptest.EHLO("STARTTLS"),
				{Expect: "STARTTLS", Send: []byte("220 go ahead\r\n250 injected\r\n")}},
			wantErr: negotiate.ErrProtocol, stage: negotiate.Stage("starttls"),
		},
		{
			name: "endless EHLO reply",
			script: []smtptest.Step{smtptest.Greet(), {Expect: "EHLO", Send: []byte("250-" + smtptest.DefaultHostname + "\r\n"),
				Repeat: []byte("250-X-PADDING aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), Count: 100000}},
			wantErr: negotiate.ErrProtocol, stage: negotiate.Stage("ehlo"),
			check: func(t *testing.T, p *probed, _ *smtptest.Server) {
				assert.Nil(t, p.ext, "a reply cut by the cap is not reported as extensions")
			},
		},
		{
			name:    "odd AUTH names before TLS",
			script:  []smtptest.Step{smtptest.Greet(), smtptest.EHLO("AUTH PLAIN b@d LOGIN plain")},
			wantErr: negotiate.ErrTLSUnavailable, stage: negotiate.Stage("ehlo"),
			check: func(t *testing.T, p *probed, srv *smtptest.Server) {
				assert.False(t, p.extOverTLS)
				assert.Contains(t, p.ext, "AUTH", "the plaintext offer is reported")
				assert.NotContains(t, upperVerbs(srv), "AUTH", "and never used")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Config{}, smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Script: tc.script})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p := probeOne(ctx, t, negotiate.Config{Dialer: srv.Dialer(), TLSConfig: srv.ClientTLS()}, srv.Route(587), nil)
			require.ErrorIs(t, p.err, tc.wantErr)
			require.ErrorIs(t, p.attempt.Err, tc.wantErr)
			assert.Equal(t, tc.stage, p.attempt.Stage)
			if tc.check != nil {
				tc.check(t, p, srv)
			}
		})
	}
}

// TestProbeModeTellsWhatNegotiateWouldDo: Config.Probe decides by the race's own rules,
// then reports every route to its end, and nobody authenticates.
func TestProbeModeTellsWhatNegotiateWouldDo(t *testing.T) {
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	wrong, err := smtptest.WrongName.Issue(ca, smtptest.DefaultHostname)
	require.NoError(t, err)
	cases := []struct {
		name     string
		first    smtptest.Endpoint // port 587
		block    netsim.Behaviour
		want     int   // the port Negotiate would use; 0: it would fail
		wantErr  error // when it would fail
		waited   bool  // the winner waited out a grace for 587
		firstErr error // how 587 ended
	}{
		{name: "587 blackholed: 465", first: smtptest.Endpoint{Security: negotiate.STARTTLS}, block: netsim.Blackhole,
			want: 465, firstErr: negotiate.ErrUnreachable},
		{name: "587 stalls after the greeting: 465 after the grace", first: smtptest.Endpoint{Script: steps(smtptest.Greet(), hang())},
			want: 465, waited: true, firstErr: negotiate.ErrUnreachable},
		{name: "587 healthy: 587", first: smtptest.Endpoint{Security: negotiate.STARTTLS}, want: 587},
		{name: "587 has a bad certificate: Negotiate would stop", first: smtptest.Endpoint{Security: negotiate.STARTTLS, Certificate: &wrong},
			wantErr: negotiate.ErrCertificate, firstErr: negotiate.ErrCertificate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep := tc.first
			ep.Port = 587
			srv := smtptest.Start(t, smtptest.Config{CA: ca, Users: map[string]string{testUser: testPass}}, ep,
				smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS}, smtptest.Endpoint{Port: 2525, Security: negotiate.STARTTLS})
			d := srv.Dialer()
			d.Set(srv.RouteAddr(587), tc.block)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			routes := srv.Routes(587, 465, 2525)
			routes[0].Security = negotiate.STARTTLS
			var mu sync.Mutex
			done := map[negotiate.Route][]negotiate.Attempt{}
			trace := &negotiate.Trace{Done: func(a negotiate.Attempt) {
				mu.Lock()
				defer mu.Unlock()
				done[a.Route] = append(done[a.Route], a)
			}}
			res, err := negotiate.Negotiate(ctx, negotiate.Config{
				Routes: routes, TLSConfig: srv.ClientTLS(), Dialer: d, LocalName: "probe.example.org",
				AttemptTimeout: 500 * time.Millisecond, Probe: true, Credentials: plainCreds{}, Trace: trace,
			})
			var attempts []negotiate.Attempt
			if tc.want != 0 {
				require.NoError(t, err)
				assert.Nil(t, res.Client)
				assert.Equal(t, tc.want, res.Route.Port)
				attempts = res.Attempts
			} else {
				require.ErrorIs(t, err, tc.wantErr)
				var nerr *negotiate.Error
				require.ErrorAs(t, err, &nerr)
				attempts = nerr.Attempts
			}
			require.Len(t, attempts, 3, "every route is reported")
			for _, a := range attempts {
				assert.NotErrorIs(t, a.Err, negotiate.ErrAbandoned, "%s: a probe abandons nothing", a.Route)
				if a.Route.Port != 587 {
					assert.NoError(t, a.Err, "%s", a.Route)
					assert.Equal(t, negotiate.Stage("ready"), a.Stage)
				}
			}
			if tc.firstErr != nil {
				assert.ErrorIs(t, attempts[0].Err, tc.firstErr)
			}
			for _, a := range attempts {
				if a.Route.Port == tc.want {
					assert.Equal(t, tc.waited, a.Waited > 0, "waited")
				}
				// Done has each route once, with the record the result holds (the
				// winner's once its wait is known).
				if assert.Len(t, done[a.Route], 1, "%s", a.Route) {
					assert.Equal(t, a, done[a.Route][0])
				}
			}
			assert.Empty(t, srv.AuthCommands(), "a probe never authenticates")
			for _, c := range srv.Commands() {
				assert.NotEqual(t, "AUTH", strings.ToUpper(strings.SplitN(c.Line, " ", 2)[0]))
			}
		})
	}
}
