package negotiate_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

func stageNames(r negotiate.RouteReport) []string {
	var out []string
	for _, s := range r.Stages {
		out = append(out, s.Stage)
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
		check     func(t *testing.T, r negotiate.RouteReport)
		wantErr   error
		wantQuit  bool
		wantStage []string
	}{
		{
			name:      "starttls healthy",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
			wantQuit:  true,
			wantStage: []string{"dial", "greeting", "ehlo", "starttls", "tls", "ehlo"},
			check: func(t *testing.T, r negotiate.RouteReport) {
				assert.True(t, r.Ready())
				assert.True(t, r.STARTTLSOffered)
				assert.False(t, r.ExtensionsBeforeTLS)
				assert.Equal(t, []string{"PLAIN", "LOGIN"}, r.Mechanisms())
				size, ok := r.Extension("size")
				assert.True(t, ok)
				assert.Equal(t, "10485760", size)
				_, ok = r.Extension("STARTTLS")
				assert.False(t, ok, "extensions come from the post-TLS EHLO")
			},
		},
		{
			name:      "implicit tls healthy",
			endpoint:  smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS},
			wantQuit:  true,
			wantStage: []string{"dial", "tls", "greeting", "ehlo"},
			check: func(t *testing.T, r negotiate.RouteReport) {
				assert.True(t, r.Ready())
				assert.Equal(t, []string{"PLAIN", "LOGIN"}, r.Mechanisms())
			},
		},
		{
			name:      "plaintext only port 25",
			endpoint:  smtptest.Endpoint{Port: 25, Security: negotiate.STARTTLS, NoSTARTTLS: true},
			wantErr:   negotiate.ErrTLSUnavailable,
			wantQuit:  true,
			wantStage: []string{"dial", "greeting", "ehlo"},
			check: func(t *testing.T, r negotiate.RouteReport) {
				assert.Nil(t, r.TLS)
				assert.False(t, r.STARTTLSOffered)
				assert.True(t, r.ExtensionsBeforeTLS)
				_, ok := r.Extension("8BITMIME")
				assert.True(t, ok, "the pre-TLS EHLO is reported")
				assert.Contains(t, r.Err.Error(), "did not offer STARTTLS")
			},
		},
		{
			name:      "certificate for another name",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Certificate: &wrong},
			wantErr:   negotiate.ErrCertificate,
			wantStage: []string{"dial", "greeting", "ehlo", "starttls", "tls"},
			check: func(t *testing.T, r negotiate.RouteReport) {
				require.NotNil(t, r.TLS)
				assert.False(t, r.TLS.Verified)
				require.NotNil(t, r.TLS.Certificate, "the certificate is reported although it failed")
				assert.Equal(t, "CN=wrong.mail.example.test", r.TLS.Certificate.Subject)
				assert.Equal(t, "CN=smtptest CA", r.TLS.Certificate.Issuer)
				assert.Equal(t, []string{"wrong.mail.example.test"}, r.TLS.Certificate.DNSNames)
				var hostErr x509.HostnameError
				assert.ErrorAs(t, r.TLS.VerifyError, &hostErr)
				assert.GreaterOrEqual(t, r.TLS.Version, uint16(tls.VersionTLS12))
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
			wantStage: []string{"dial", "tls"},
			check:     func(t *testing.T, r negotiate.RouteReport) { assert.Nil(t, r.TLS) },
		},
		{
			name:      "refused",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
			block:     netsim.Refuse,
			wantErr:   negotiate.ErrUnreachable,
			wantStage: []string{"dial"},
			check: func(t *testing.T, r negotiate.RouteReport) {
				assert.Equal(t, negotiate.ConnectRefused, r.Connect)
			},
		},
		{
			name:      "blackholed",
			endpoint:  smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
			block:     netsim.Blackhole,
			timeout:   50 * time.Millisecond,
			wantErr:   negotiate.ErrUnreachable,
			wantStage: []string{"dial"},
			check: func(t *testing.T, r negotiate.RouteReport) {
				assert.Equal(t, negotiate.ConnectNoAnswer, r.Connect)
				assert.GreaterOrEqual(t, r.ConnectTime, 50*time.Millisecond, "the time waited is reported")
				assert.ErrorIs(t, r.Err, context.DeadlineExceeded)
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
			d.Set(route.Addr(), tc.block)
			var seen []string
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := negotiate.Probe(ctx, negotiate.Config{
				Dialer: d, TLSConfig: srv.ClientTLS(), LocalName: "probe.example.org", AttemptTimeout: tc.timeout,
			}, route, func(stage string) { seen = append(seen, stage) })

			assert.Equal(t, route, r.Route)
			assert.Equal(t, tc.wantStage, stageNames(r))
			assert.Equal(t, tc.wantStage, seen, "onStage sees every stage as it starts")
			assert.Equal(t, tc.wantStage[len(tc.wantStage)-1], r.Stage)
			if tc.wantErr == nil {
				require.NoError(t, r.Err)
				assert.Equal(t, negotiate.ConnectOpen, r.Connect)
				if route.Security == negotiate.STARTTLS {
					assert.Equal(t, "mail.example.test ESMTP smtptest", r.Greeting)
				} else {
					assert.Empty(t, r.Greeting, "net/smtp reads the greeting over TLS itself")
				}
				require.NotNil(t, r.TLS)
				assert.True(t, r.TLS.Verified)
				assert.NoError(t, r.TLS.VerifyError)
				assert.Equal(t, "CN=mail.example.test", r.TLS.Certificate.Subject)
				assert.True(t, r.TLS.Certificate.NotAfter.After(time.Now()))
				assert.NotZero(t, r.TLS.CipherSuite)
			} else {
				assert.ErrorIs(t, r.Err, tc.wantErr)
				assert.False(t, r.Ready())
			}
			tc.check(t, r)
			assert.Positive(t, r.Elapsed)

			var verbs []string
			for _, c := range srv.Commands() {
				verb, _, _ := strings.Cut(c.Line, " ")
				verbs = append(verbs, strings.ToUpper(verb))
			}
			assert.NotContains(t, verbs, "AUTH", "a probe never authenticates")
			assert.NotContains(t, verbs, "HELO")
			assert.NotContains(t, verbs, "MAIL")
			if tc.wantQuit {
				require.NotEmpty(t, verbs)
				assert.Equal(t, "QUIT", verbs[len(verbs)-1])
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
	r := negotiate.Probe(ctx, negotiate.Config{Dialer: srv.Dialer(), AttemptTimeout: time.Hour}, srv.Route(587),
		func(stage string) {
			if stage == string(negotiate.StageGreeting) {
				cancel() // the server holds its greeting: only the cancel can end this
			}
		})
	assert.ErrorIs(t, r.Err, context.Canceled)
	assert.Equal(t, string(negotiate.StageGreeting), r.Stage)
	assert.Equal(t, negotiate.ConnectOpen, r.Connect)
}

func TestProbeConfigErrors(t *testing.T) {
	r := negotiate.Probe(context.Background(), negotiate.Config{TLSConfig: &tls.Config{InsecureSkipVerify: true}},
		negotiate.Route{Host: "mail.example.test", Port: 587}, nil)
	assert.ErrorIs(t, r.Err, negotiate.ErrConfig)
	r = negotiate.Probe(context.Background(), negotiate.Config{}, negotiate.Route{Host: "bad host", Port: 587}, nil)
	assert.ErrorIs(t, r.Err, negotiate.ErrConfig)
	assert.Equal(t, negotiate.ConnectFailed, r.Connect)
}

// TestProbeHostile: the probe keeps Negotiate's defences against a hostile server.
func TestProbeHostile(t *testing.T) {
	cases := []struct {
		name    string
		script  []smtptest.Step
		wantErr error
		stage   negotiate.Stage
		check   func(t *testing.T, r negotiate.RouteReport, srv *smtptest.Server)
	}{
		{
			name: "reply pipelined ahead of STARTTLS",
			script: []smtptest.Step{smtptest.Greet(), {Expect: "EHLO", Send: append(
				smtptest.Reply(250, smtptest.DefaultHostname, "STARTTLS"), smtptest.Reply(220, "2.0.0 go ahead")...)}},
			wantErr: negotiate.ErrProtocol, stage: negotiate.StageSTARTTLS,
			check: func(t *testing.T, _ negotiate.RouteReport, srv *smtptest.Server) {
				for _, c := range srv.Commands() {
					assert.NotEqual(t, "STARTTLS", strings.ToUpper(c.Line), "the forged go-ahead is never asked for")
				}
			},
		},
		{
			name: "bytes injected after the STARTTLS go-ahead",
			script: []smtptest.Step{smtptest.Greet(), smtptest.EHLO("STARTTLS"),
				{Expect: "STARTTLS", Send: []byte("220 go ahead\r\n250 injected\r\n")}},
			wantErr: negotiate.ErrProtocol, stage: negotiate.StageSTARTTLS,
		},
		{
			name: "endless EHLO reply",
			script: []smtptest.Step{smtptest.Greet(), {Expect: "EHLO", Send: []byte("250-" + smtptest.DefaultHostname + "\r\n"),
				Repeat: []byte("250-X-PADDING aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"), Count: 100000}},
			wantErr: negotiate.ErrProtocol, stage: negotiate.StageEHLO,
			check: func(t *testing.T, r negotiate.RouteReport, _ *smtptest.Server) {
				assert.Nil(t, r.Extensions, "a reply cut by the cap is not reported as extensions")
			},
		},
		{
			name:    "odd AUTH names before TLS",
			script:  []smtptest.Step{smtptest.Greet(), smtptest.EHLO("AUTH PLAIN b@d LOGIN plain")},
			wantErr: negotiate.ErrTLSUnavailable, stage: negotiate.StageEHLO,
			check: func(t *testing.T, r negotiate.RouteReport, _ *smtptest.Server) {
				assert.Equal(t, []string{"PLAIN", "LOGIN"}, r.Mechanisms(), "well-formed SASL names only, once each")
				assert.True(t, r.ExtensionsBeforeTLS)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Config{}, smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Script: tc.script})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := negotiate.Probe(ctx, negotiate.Config{Dialer: srv.Dialer(), TLSConfig: srv.ClientTLS()}, srv.Route(587), nil)
			require.ErrorIs(t, r.Err, tc.wantErr)
			assert.Equal(t, tc.stage, negotiate.Stage(r.Stage))
			assert.False(t, r.Ready())
			if tc.check != nil {
				tc.check(t, r, srv)
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
					assert.Equal(t, negotiate.StageReady, a.Stage)
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
