package smtpport_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testUser = "alice@example.test"
	testPass = "correct horse battery staple"
)

// env is a test server on 587/465/2525 with a dialer that can block its ports.
type env struct {
	srv    *smtptest.Server
	dialer *netsim.Dialer
	preset presets.Preset
}

func newEnv(t *testing.T, cfg smtptest.Config, endpoints ...smtptest.Endpoint) *env {
	t.Helper()
	if cfg.Users == nil {
		cfg.Users = map[string]string{testUser: testPass}
	}
	if len(endpoints) == 0 {
		endpoints = smtptest.Submission()
	}
	srv := smtptest.Start(t, cfg, endpoints...)
	p := presets.Custom(srv.Hostname())
	return &env{srv: srv, dialer: srv.Dialer(), preset: p}
}

func (e *env) options(extra ...smtpport.Option) []smtpport.Option {
	return append([]smtpport.Option{
		smtpport.WithTLSConfig(e.srv.ClientTLS()),
		smtpport.WithDialer(e.dialer),
		smtpport.WithPassword(testUser, testPass),
	}, extra...)
}

func (e *env) negotiate(t *testing.T, ctx context.Context, extra ...smtpport.Option) (*negotiate.Result, error) {
	t.Helper()
	res, err := smtpport.Negotiate(ctx, e.preset, e.options(extra...)...)
	if err == nil {
		t.Cleanup(func() { res.Client.Close() })
	}
	return res, err
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestRouteSelection is the race table: which route wins as ports fail.
func TestRouteSelection(t *testing.T) {
	cases := []struct {
		name      string
		block     map[int]netsim.Behaviour
		endpoints []smtptest.Endpoint
		stagger   time.Duration
		wantPort  int
	}{
		{name: "all healthy", wantPort: 587},
		{name: "587 blackholed", block: map[int]netsim.Behaviour{587: netsim.Blackhole}, wantPort: 465},
		// A one-hour stagger: 465 can only start because 587's refusal starts it.
		{name: "587 refused starts 465 at once", block: map[int]netsim.Behaviour{587: netsim.Refuse}, stagger: time.Hour, wantPort: 465},
		{name: "587 without STARTTLS", endpoints: []smtptest.Endpoint{
			{Port: 587, Security: negotiate.STARTTLS, NoSTARTTLS: true},
			{Port: 465, Security: negotiate.ImplicitTLS},
			{Port: 2525, Security: negotiate.STARTTLS},
		}, stagger: time.Hour, wantPort: 465},
		{name: "587 and 465 blackholed", block: map[int]netsim.Behaviour{587: netsim.Blackhole, 465: netsim.Blackhole}, stagger: 20 * time.Millisecond, wantPort: 2525},
		{name: "587 blackholed, 465 refused", block: map[int]netsim.Behaviour{587: netsim.Blackhole, 465: netsim.Refuse}, wantPort: 2525},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{}, tc.endpoints...)
			for port, b := range tc.block {
				e.dialer.Set(e.srv.RouteAddr(port), b)
			}
			var opts []smtpport.Option
			if tc.stagger != 0 {
				opts = append(opts, smtpport.WithStagger(tc.stagger))
			}
			res, err := e.negotiate(t, testContext(t), opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.wantPort, res.Route.Port)
			assert.Equal(t, "PLAIN", res.Mechanism)
			assert.NotEmpty(t, res.TLS.VerifiedChains, "TLS must be verified")
			assert.GreaterOrEqual(t, res.TLS.Version, uint16(tls.VersionTLS12))

			auths := e.srv.AuthCommands()
			require.Len(t, auths, 1, "credentials go out on exactly one connection")
			assert.Equal(t, tc.wantPort, auths[0].Port)
			assert.True(t, auths[0].TLS)

			last := res.Attempts[len(res.Attempts)-1]
			for _, a := range res.Attempts {
				if a.Route == res.Route {
					last = a
				}
			}
			assert.Equal(t, negotiate.Stage("ready"), last.Stage)
			assert.NoError(t, last.Err)
			sendOne(t, res.Client, e.srv, tc.wantPort)
		})
	}
}

// sendOne submits a message through c and checks the server got it from the
// authenticated user on the winning port.
func sendOne(t *testing.T, c *smtp.Client, srv *smtptest.Server, port int) {
	t.Helper()
	before := len(srv.Messages())
	require.NoError(t, c.Mail(testUser))
	require.NoError(t, c.Rcpt("bob@example.test"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = fmt.Fprint(w, "Subject: test\r\n\r\n.leading dot\r\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	msgs := srv.Messages()
	require.Len(t, msgs, before+1)
	got := msgs[len(msgs)-1]
	assert.Equal(t, port, got.Port)
	assert.Equal(t, testUser, got.User)
	assert.Contains(t, string(got.Data), "\r\n.leading dot\r\n")
}

func TestAllRoutesDown(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	for _, port := range []int{587, 465, 2525} {
		e.dialer.Set(e.srv.RouteAddr(port), netsim.Refuse)
	}
	_, err := e.negotiate(t, testContext(t))
	var nerr *negotiate.Error
	require.ErrorAs(t, err, &nerr)
	require.Len(t, nerr.Attempts, 3)
	for i, port := range []int{587, 465, 2525} {
		assert.Equal(t, port, nerr.Attempts[i].Route.Port)
		assert.Equal(t, negotiate.Stage("dial"), nerr.Attempts[i].Stage)
	}
	assert.ErrorIs(t, err, smtpport.ErrUnreachable)
	assert.NotErrorIs(t, err, smtpport.ErrAuthFailed)
	assert.Empty(t, e.srv.Commands())
}

func TestWrongPasswordStopsAtOnce(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	_, err := smtpport.Dial(testContext(t), e.preset,
		smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer),
		smtpport.WithPassword(testUser, "wrong"))
	require.ErrorIs(t, err, smtpport.ErrAuthFailed)
	var nerr *negotiate.Error
	require.ErrorAs(t, err, &nerr)
	require.Len(t, e.srv.AuthCommands(), 1, "the password is tried once, never on another route")
	assert.Equal(t, 0, e.dialer.Dials(e.srv.RouteAddr(2525)), "no fallback after an auth failure")
	assert.NotContains(t, err.Error(), "wrong", "the error must not carry the password")
}

func TestCertificateForWrongNameStopsWithoutCredentials(t *testing.T) {
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	wrong, err := smtptest.WrongName.Issue(ca, smtptest.DefaultHostname)
	require.NoError(t, err)
	e := newEnv(t, smtptest.Config{CA: ca},
		smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Certificate: &wrong},
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS},
		smtptest.Endpoint{Port: 2525, Security: negotiate.STARTTLS})
	_, err = e.negotiate(t, testContext(t), smtpport.WithStagger(time.Hour))
	require.ErrorIs(t, err, smtpport.ErrCertificate)
	var certErr *tls.CertificateVerificationError
	require.ErrorAs(t, err, &certErr)
	var hostErr x509.HostnameError
	assert.ErrorAs(t, err, &hostErr)
	assert.Equal(t, 0, e.dialer.Dials(e.srv.RouteAddr(465)), "no other route after a certificate failure")
	assert.Empty(t, e.srv.AuthCommands())
	assert.False(t, e.srv.SawSecret(testPass))
	var nerr *negotiate.Error
	require.ErrorAs(t, err, &nerr)
	require.Len(t, nerr.Attempts, 1)
	assert.Equal(t, negotiate.Stage("tls"), nerr.Attempts[0].Stage)
}

func TestNoRouteOffersTLS(t *testing.T) {
	e := newEnv(t, smtptest.Config{},
		smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, NoSTARTTLS: true},
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, MaxTLSVersion: tls.VersionTLS11},
		smtptest.Endpoint{Port: 2525, Security: negotiate.STARTTLS, NoSTARTTLS: true})
	_, err := e.negotiate(t, testContext(t))
	require.ErrorIs(t, err, smtpport.ErrTLSUnavailable)
	assert.Empty(t, e.srv.AuthCommands(), "never authenticate without TLS")
	assert.False(t, e.srv.SawSecret(testPass))
	for _, c := range e.srv.Commands() {
		assert.NotRegexp(t, `(?i)^(MAIL|HELO)`, c.Line, "no plaintext fallback, no HELO")
	}
}

// TestCancelDuringTLSHandshake: the server accepts and never answers the ClientHello; a
// cancel once the attempt is in its TLS stage ends Dial at once with context.Canceled.
func TestCancelDuringTLSHandshake(t *testing.T) {
	e := newEnv(t, smtptest.Config{},
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, Script: []smtptest.Step{{Hang: true}}})
	sig := &signal{}
	inTLS := sig.on("smtpport: stage", "route", e.srv.Route(465).String(), "stage", string(negotiate.Stage("tls")))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := smtpport.Dial(ctx, e.preset, e.options(
			smtpport.WithRoutes(e.srv.Route(465)), smtpport.WithAttemptTimeout(time.Hour),
			smtpport.WithLogger(slog.New(sig)))...)
		errc <- err
	}()
	<-inTLS
	cancel()
	err := <-errc // with an hour-long attempt timeout only the cancel can end this
	require.ErrorIs(t, err, context.Canceled)
	var nerr *negotiate.Error
	require.ErrorAs(t, err, &nerr)
	assert.Equal(t, negotiate.Stage("tls"), nerr.Attempts[0].Stage)
	assert.Empty(t, e.srv.AuthCommands())
}

func TestContextDeadlineBoundsBlackholes(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	for _, port := range []int{587, 465, 2525} {
		e.dialer.Set(e.srv.RouteAddr(port), netsim.Blackhole)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := e.negotiate(t, ctx, smtpport.WithStagger(10*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, smtpport.ErrUnreachable)
	var nerr *negotiate.Error
	require.ErrorAs(t, err, &nerr)
	assert.Len(t, nerr.Attempts, 3)
}

func TestClientOutlivesContext(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	c, err := smtpport.Dial(ctx, e.preset, e.options()...)
	require.NoError(t, err)
	defer c.Close()
	cancel() // after return, the context must not touch the client
	require.NoError(t, c.Mail("alice@example.test"))
	require.NoError(t, c.Rcpt("bob@example.test"))
	w, err := c.Data()
	require.NoError(t, err)
	_, err = fmt.Fprint(w, "Subject: hi\r\n\r\nhello\r\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, c.Quit())
	msgs := e.srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, testUser, msgs[0].User)
	assert.Equal(t, []string{"bob@example.test"}, msgs[0].To)
	assert.Contains(t, string(msgs[0].Data), "hello")
}

// signal is a slog handler that closes a channel per watched record: a way to wait for
// a point in negotiation without sleeping. A watch matches a message and the values of
// the attributes it names.
type signal struct {
	watches []*watch
}

type watch struct {
	msg   string
	attrs map[string]string
	once  sync.Once
	ch    chan struct{}
}

func (s *signal) on(msg string, attrs ...string) <-chan struct{} {
	w := &watch{msg: msg, attrs: map[string]string{}, ch: make(chan struct{})}
	for i := 0; i+1 < len(attrs); i += 2 {
		w.attrs[attrs[i]] = attrs[i+1]
	}
	s.watches = append(s.watches, w)
	return w.ch
}

func (s *signal) Enabled(context.Context, slog.Level) bool { return true }
func (s *signal) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *signal) WithGroup(string) slog.Handler            { return s }
func (s *signal) Handle(_ context.Context, r slog.Record) error {
	got := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		got[a.Key] = a.Value.String()
		return true
	})
	for _, w := range s.watches {
		if r.Message != w.msg {
			continue
		}
		matched := true
		for k, v := range w.attrs {
			matched = matched && got[k] == v
		}
		if matched {
			w.once.Do(func() { close(w.ch) })
		}
	}
	return nil
}

// gatedDialer holds dials to one address until a channel closes.
type gatedDialer struct {
	*netsim.Dialer
	addr string
	gate <-chan struct{}
}

func (d gatedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr == d.addr {
		select {
		case <-d.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// TestReadyRouteWaitsForConnectedPreferredRoute: 465 is ready while 587 has TCP up but
// has not greeted yet. 587 is alive, so it is waited for and wins; 465 is closed unused.
// Ordering without sleeps: 465 may dial only once 587 has reached its greeting stage
// (its "connected" event is queued by then), and 587 may greet only once 465 is ready.
func TestReadyRouteWaitsForConnectedPreferredRoute(t *testing.T) {
	hold := make(chan struct{})
	e := newEnv(t, smtptest.Config{},
		smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, HoldGreeting: hold},
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS})
	e.preset.Routes = e.srv.Routes(587, 465)
	sig := &signal{}
	connected587 := sig.on("smtpport: stage", "route", e.srv.Route(587).String(), "stage", string(negotiate.Stage("greeting")))
	ready465 := sig.on("smtpport: route ready", "route", e.srv.Route(465).String())
	go func() {
		<-ready465
		close(hold)
	}()
	res, err := e.negotiate(t, testContext(t), smtpport.WithStagger(time.Millisecond), smtpport.WithLogger(slog.New(sig)),
		smtpport.WithDialer(gatedDialer{Dialer: e.dialer, addr: e.srv.RouteAddr(465), gate: connected587}))
	require.NoError(t, err)
	assert.Equal(t, 587, res.Route.Port)
	require.Len(t, res.Attempts, 2)
	assert.ErrorIs(t, res.Attempts[1].Err, negotiate.ErrAbandoned)
	assert.Equal(t, negotiate.Stage("ready"), res.Attempts[0].Stage)
	auths := e.srv.AuthCommands()
	require.Len(t, auths, 1, "credentials only on the winner")
	assert.Equal(t, 587, auths[0].Port)
}

// TestReadyRouteDoesNotWaitForDialingRoute: 587 is stuck in connect; a ready 465 wins
// without waiting for it, and 587's dial is abandoned. Only the two routes race: with
// 2525 as well, a loaded machine could finish 2525 first after the 1 ms stagger.
func TestReadyRouteDoesNotWaitForDialingRoute(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	e.dialer.Set(e.srv.RouteAddr(587), netsim.Blackhole)
	res, err := e.negotiate(t, testContext(t), smtpport.WithStagger(time.Millisecond),
		smtpport.WithRoutes(e.srv.Route(587), e.srv.Route(465)))
	require.NoError(t, err)
	assert.Equal(t, 465, res.Route.Port)
	assert.Equal(t, negotiate.Stage("dial"), res.Attempts[0].Stage)
	assert.ErrorIs(t, res.Attempts[0].Err, negotiate.ErrAbandoned)
	require.Len(t, e.srv.AuthCommands(), 1)
	// goleak in TestMain checks the abandoned dial's goroutine ended.
}

func TestLogsStagesWithoutSecrets(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	e.dialer.Set(e.srv.RouteAddr(587), netsim.Refuse)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := e.negotiate(t, testContext(t), smtpport.WithLogger(logger))
	require.NoError(t, err)
	out := buf.String()
	for _, stage := range []string{"dial", "tls", "greeting", "ehlo", "auth", "ready"} {
		assert.Contains(t, out, "stage="+stage)
	}
	assert.Contains(t, out, "connection refused")
	assert.Contains(t, out, "smtpport: negotiated")
	assert.NotContains(t, out, testPass)
	assert.NotContains(t, out, "Y29ycmVjdCBob3JzZ", "nor its base64")
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	cases := map[string][]smtpport.Option{
		"insecure skip verify": {smtpport.WithTLSConfig(&tls.Config{InsecureSkipVerify: true})},
		"EHLO name injection":  {smtpport.WithLocalName("client.example\r\nMAIL FROM:<x@y>")},
		"no routes":            {smtpport.WithRoutes()},
		"bad port":             {smtpport.WithRoutes(negotiate.Route{Host: "h", Port: 0})},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := smtpport.Dial(testContext(t), e.preset, append(e.options(), opts...)...)
			require.ErrorIs(t, err, negotiate.ErrConfig)
			assert.Zero(t, e.dialer.TotalDials())
		})
	}
}

func TestEHLOName(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	_, err := e.negotiate(t, testContext(t), smtpport.WithLocalName("client.example.org"))
	require.NoError(t, err)
	var ehlos []string
	for _, c := range e.srv.Commands() {
		if strings.HasPrefix(c.Line, "EHLO") {
			ehlos = append(ehlos, c.Line)
		}
	}
	assert.Equal(t, []string{"EHLO client.example.org", "EHLO client.example.org"}, ehlos, "EHLO before and after STARTTLS")
}
