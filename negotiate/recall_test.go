package negotiate_test

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const memoKey = "custom\x00" + testUser

func withMemory(cfg negotiate.Config, m negotiate.RouteMemory) negotiate.Config {
	cfg.Memory, cfg.MemoryKey = m, memoKey
	return cfg
}

// TestRememberedRouteOpensOneConnection: after 465 won once (587 was blocked), the next
// negotiation goes to 465 alone, with one connection, even though 587 works again.
func TestRememberedRouteOpensOneConnection(t *testing.T) {
	srv, d, cfg := testServer(t)
	mem := newTestMemory()
	cfg = withMemory(cfg, mem)

	d.Set(srv.RouteAddr(587), netsim.Refuse)
	first := negotiateOK(t, cfg)
	require.Equal(t, 465, first.Route.Port)
	assert.False(t, first.FromMemory)
	memo, ok := mem.Recall(memoKey)
	require.True(t, ok, "the winner is remembered")
	assert.Equal(t, srv.Route(465), memo.Route)
	assert.Positive(t, memo.Connect, "the connect time is kept for the head start")

	d.Set(srv.RouteAddr(587), netsim.Pass)
	fresh := srv.Dialer() // count the second negotiation's dials alone
	cfg.Dialer = fresh
	second := negotiateOK(t, cfg)
	assert.Equal(t, 465, second.Route.Port)
	assert.True(t, second.FromMemory)
	assert.Equal(t, 1, fresh.TotalDials(), "a remembered route is tried alone")
	require.Len(t, second.Attempts, 1)
	assert.Equal(t, negotiate.Stage("ready"), second.Attempts[0].Stage)
}

// TestRememberedRouteRefusedRacesTheRest: a connect-level failure of the remembered route
// starts the other routes in preference order; the remembered one is not dialed again,
// and the new winner replaces the memo.
func TestRememberedRouteRefusedRacesTheRest(t *testing.T) {
	srv, d, cfg := testServer(t)
	mem := newTestMemory()
	require.NoError(t, mem.Remember(memoKey, negotiate.Memo{Route: srv.Route(465), Connect: time.Millisecond, At: time.Now()}))
	cfg = withMemory(cfg, mem)
	cfg.Stagger = time.Hour // only the refusal can start the race

	d.Set(srv.RouteAddr(465), netsim.Refuse)
	res := negotiateOK(t, cfg)
	assert.Equal(t, 587, res.Route.Port)
	assert.False(t, res.FromMemory)
	require.Len(t, res.Attempts, 2)
	assert.Equal(t, 465, res.Attempts[0].Route.Port, "the remembered route went first")
	assert.ErrorIs(t, res.Attempts[0].Err, negotiate.ErrUnreachable)
	assert.Equal(t, 1, d.Dials(srv.RouteAddr(465)), "the refused route is not retried")
	memo, ok := mem.Recall(memoKey)
	require.True(t, ok)
	assert.Equal(t, srv.Route(587), memo.Route)
}

// TestRememberedRouteBlackholedRacesTheRest: a remembered route that never connects
// gives way after its head start, like any route.
func TestRememberedRouteBlackholedRacesTheRest(t *testing.T) {
	srv, d, cfg := testServer(t)
	mem := newTestMemory()
	require.NoError(t, mem.Remember(memoKey, negotiate.Memo{Route: srv.Route(465), Connect: time.Millisecond, At: time.Now()}))
	cfg = withMemory(cfg, mem)

	d.Set(srv.RouteAddr(465), netsim.Blackhole)
	res := negotiateOK(t, cfg)
	assert.Equal(t, 587, res.Route.Port)
	assert.ErrorIs(t, res.Attempts[0].Err, negotiate.ErrAbandoned)
	assert.Equal(t, negotiate.Stage("dial"), res.Attempts[0].Stage)
}

// TestRememberedRouteForgottenOnCertificateFailure: the remembered route now presents a
// certificate for another name. Negotiation stops there (no other route, no
// credentials), and the memo is gone.
func TestRememberedRouteForgottenOnCertificateFailure(t *testing.T) {
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	wrong, err := ca.Issue([]string{"other.example.test"}, smtptest.CertOptions{})
	require.NoError(t, err)
	srv := smtptest.Start(t, smtptest.Config{CA: ca, Users: map[string]string{testUser: testPass}},
		smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS},
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, Certificate: &wrong})
	d := srv.Dialer()
	mem := newTestMemory()
	require.NoError(t, mem.Remember(memoKey, negotiate.Memo{Route: srv.Route(465), At: time.Now()}))
	cfg := withMemory(negotiate.Config{
		Routes: srv.Routes(587, 465), TLSConfig: srv.ClientTLS(), Dialer: d,
		Credentials: plainCreds{},
	}, mem)

	_, err = negotiate.Negotiate(testContext(t), cfg)
	require.ErrorIs(t, err, negotiate.ErrCertificate)
	assert.Equal(t, 0, d.Dials(srv.RouteAddr(587)), "no fallback after a certificate failure")
	assert.Empty(t, srv.AuthCommands())
	_, ok := mem.Recall(memoKey)
	assert.False(t, ok, "a certificate failure drops the memo")
}

// TestRememberedRouteKeptOnAuthFailure: a rejected password says nothing about the
// route, so the memo stays.
func TestRememberedRouteKeptOnAuthFailure(t *testing.T) {
	srv, _, cfg := testServer(t)
	mem := newTestMemory()
	require.NoError(t, mem.Remember(memoKey, negotiate.Memo{Route: srv.Route(465), At: time.Now()}))
	cfg = withMemory(cfg, mem)
	cfg.Credentials = passwordCreds{testUser, "wrong"}

	_, err := negotiate.Negotiate(testContext(t), cfg)
	require.ErrorIs(t, err, negotiate.ErrAuthFailed)
	memo, ok := mem.Recall(memoKey)
	require.True(t, ok)
	assert.Equal(t, srv.Route(465), memo.Route)
}

// TestMemoForAnotherRouteIsIgnored: a memo naming a route this call does not offer is
// not used; the winner replaces it.
func TestMemoForAnotherRouteIsIgnored(t *testing.T) {
	srv, d, cfg := testServer(t)
	mem := newTestMemory()
	elsewhere := negotiate.Route{Host: "smtp.elsewhere.test", Port: 465, Security: negotiate.ImplicitTLS}
	require.NoError(t, mem.Remember(memoKey, negotiate.Memo{Route: elsewhere, At: time.Now()}))
	cfg = withMemory(cfg, mem)

	res := negotiateOK(t, cfg)
	assert.Equal(t, 587, res.Route.Port)
	assert.False(t, res.FromMemory)
	assert.Equal(t, 0, d.Dials(net.JoinHostPort(elsewhere.Host, strconv.Itoa(elsewhere.Port))))
	memo, ok := mem.Recall(memoKey)
	require.True(t, ok)
	assert.Equal(t, srv.Route(587), memo.Route, "the winner replaced it")
}

// testMemory is the smallest RouteMemory: a map behind a mutex, no expiry. The real
// stores (smtpport.NewMemory, smtpport.OpenFileMemory) are tested where they live.
type testMemory struct {
	mu    sync.Mutex
	memos map[string]negotiate.Memo
}

func newTestMemory() *testMemory { return &testMemory{memos: map[string]negotiate.Memo{}} }

func (m *testMemory) Recall(key string) (negotiate.Memo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	memo, ok := m.memos[key]
	return memo, ok
}

func (m *testMemory) Remember(key string, memo negotiate.Memo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memos[key] = memo
	return nil
}

func (m *testMemory) Forget(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.memos, key)
	return nil
}
