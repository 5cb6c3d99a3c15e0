package smtpport_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/proxy"
)

func newPool(t *testing.T, e *env, p presets.Preset, extra ...smtpport.Option) *smtpport.Pool {
	t.Helper()
	pool, err := smtpport.NewPool(p, e.options(extra...)...)
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	return pool
}

func connections(cmds []smtptest.Command) int {
	seen := map[int]bool{}
	for _, c := range cmds {
		seen[c.Conn] = true
	}
	return len(seen)
}

func countCommands(cmds []smtptest.Command, verb string) int {
	n := 0
	for _, c := range cmds {
		if strings.HasPrefix(c.Line, verb) {
			n++
		}
	}
	return n
}

func TestPoolSendsEveryMessageOnceOverFewConnections(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	pool := newPool(t, e, e.preset, smtpport.WithPoolSize(3))
	const senders, each = 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				msg := fmt.Sprintf("Message-ID: <%d.%d@test>\r\n\r\nhi\r\n", g, i)
				errs <- pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte(msg))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := map[string]int{}
	for _, m := range e.srv.Messages() {
		seen[strings.SplitN(string(m.Data), "\r\n", 2)[0]]++
	}
	assert.Len(t, seen, senders*each)
	for id, n := range seen {
		assert.Equal(t, 1, n, id)
	}
	assert.LessOrEqual(t, connections(e.srv.Commands()), 3)
	st := pool.Stats()
	assert.Equal(t, int64(senders*each), st.Sent)
	assert.Zero(t, st.Failed)
	require.NoError(t, pool.Close())
	assert.Zero(t, pool.Stats().Open)
	assert.ErrorIs(t, pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte("x")), net.ErrClosed)
}

// TestPoolKeepsItsOwnCopyOfThePreset: a preset's Routes are shared by every copy made by
// assignment (the exported variables included); changing them in place after NewPool
// must not redirect the pool's connections.
func TestPoolKeepsItsOwnCopyOfThePreset(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	p := e.preset
	p.Routes = slices.Clone(p.Routes)
	pool := newPool(t, e, p, smtpport.WithPoolSize(1))
	shared := p // shares p.Routes, as p := presets.Gmail shares presets.Gmail's
	for i := range shared.Routes {
		shared.Routes[i].Host, shared.Routes[i].Port = "changed.invalid", 1
	}
	require.NoError(t, pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte("hi\r\n")))
	require.Len(t, e.srv.Messages(), 1)
	require.NoError(t, pool.Close())
}

func TestPoolFailures(t *testing.T) {
	tests := map[string]struct {
		reply     func(conn int, line string, n int) string // n: this verb's count so far, from 1
		to        []string
		sends     int   // Sends in a row on one connection's pool; the last one is checked
		class     error // nil: delivered
		retried   int64
		delivered int
		conns     int // connections opened, 0: not checked
		connsPipe int // the same with pipelining, when it differs
	}{
		"421 storm, then a working connection": {reply: func(conn int, line string, _ int) string {
			if conn <= 3 && strings.HasPrefix(line, "MAIL") {
				return "421 4.7.0 too many connections, try later"
			}
			return ""
		}, retried: 3, delivered: 1},
		"421 on every connection": {reply: func(_ int, line string, _ int) string {
			if strings.HasPrefix(line, "MAIL") {
				return "421 4.7.0 try later"
			}
			return ""
		}, class: smtpport.ErrTemporary, retried: 3},
		"452 on RCPT once": {reply: func(_ int, line string, n int) string {
			if strings.HasPrefix(line, "RCPT") && n == 1 {
				return "452 4.5.3 too many recipients this hour"
			}
			return ""
		}, retried: 1, delivered: 1, conns: 1},
		"550 on RCPT is not retried": {reply: func(_ int, line string, _ int) string {
			if strings.HasPrefix(line, "RCPT") {
				return "550 5.1.1 no such user"
			}
			return ""
		}, class: smtpport.ErrPermanent},
		"one of two recipients refused: sent to none": {reply: func(_ int, line string, _ int) string {
			if strings.Contains(line, "carol") {
				return "550 5.1.1 no such user"
			}
			return ""
		}, to: []string{"bob@example.test", "carol@example.test"}, class: smtpport.ErrPermanent},
		"550 on MAIL is not retried": {reply: func(_ int, line string, _ int) string {
			if strings.HasPrefix(line, "MAIL") {
				return "550 5.7.1 sender refused"
			}
			return ""
		}, class: smtpport.ErrPermanent},
		"kept connection closed while idle: replaced, not a try": {reply: func(conn int, line string, _ int) string {
			if conn == 1 && strings.HasPrefix(line, "RSET") {
				return "421 4.4.2 idle too long"
			}
			return ""
		}, sends: 2, delivered: 2, conns: 2},
		"many messages on one connection, RSET between": {sends: 5, delivered: 5, conns: 1},
		"MAIL refused, DATA still answered 354: closed before the message": {reply: func(_ int, line string, _ int) string {
			switch {
			case strings.HasPrefix(line, "MAIL"):
				return "550 5.7.1 sender refused"
			case strings.HasPrefix(line, "DATA"):
				return "354 go ahead"
			}
			return ""
		}, sends: 2, class: smtpport.ErrPermanent, conns: 1, connsPipe: 2},
		"one of two refused, 354 to DATA: closed, none sent": {reply: func(_ int, line string, _ int) string {
			if strings.Contains(line, "carol") {
				return "550 5.1.1 no such user"
			}
			return ""
		}, to: []string{"bob@example.test", "carol@example.test"}, sends: 2, class: smtpport.ErrPermanent, conns: 1, connsPipe: 2},
	}
	for name, tt := range tests {
		for _, pipelining := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pipelining=%v", name, pipelining), func(t *testing.T) {
				cfg := smtptest.Config{Pipelining: pipelining}
				if tt.reply != nil {
					var mu sync.Mutex
					seen := map[string]int{}
					cfg.CommandReply = func(conn int, line string) string {
						verb, _, _ := strings.Cut(line, " ")
						mu.Lock()
						seen[verb]++
						n := seen[verb]
						mu.Unlock()
						return tt.reply(conn, line, n)
					}
				}
				e := newEnv(t, cfg)
				pool := newPool(t, e, e.preset, smtpport.WithPoolSize(1), smtpport.WithPoolBackoff(time.Millisecond))
				to := tt.to
				if to == nil {
					to = []string{"bob@example.test"}
				}
				var err error
				for range max(tt.sends, 1) {
					err = pool.Send(testContext(t), testUser, to, []byte("hi\r\n"))
				}
				if tt.class == nil {
					require.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tt.class)
				}
				assert.Len(t, e.srv.Messages(), tt.delivered)
				assert.Equal(t, tt.retried, pool.Stats().Retried)
				cmds := e.srv.Commands()
				if want := tt.conns; want > 0 {
					if pipelining && tt.connsPipe > 0 {
						want = tt.connsPipe
					}
					assert.Equal(t, want, connections(cmds))
				}
				if tt.sends > 1 && tt.conns == 1 && tt.class == nil {
					assert.Equal(t, tt.sends-1, countCommands(cmds, "RSET"), "RSET between messages")
				}
			})
		}
	}
}

// refusingDialer refuses the first refuse connections, as a restarting server does.
type refusingDialer struct {
	inner  proxy.ContextDialer
	refuse int64 // -1: every one
	dials  atomic.Int64
}

func (d *refusingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if n := d.dials.Add(1); d.refuse < 0 || n <= d.refuse {
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	return d.inner.DialContext(ctx, network, addr)
}

// A refused redial is retried more often than a temporary failure (a restart's refusals
// last seconds), but a bounded number of times, and never past the context.
func TestPoolRedialsRefusedConnections(t *testing.T) {
	tests := map[string]struct {
		refuse  int64
		backoff time.Duration
		timeout time.Duration
		sent    bool
		retried int64
	}{
		"refused for longer than 4 tries allow, then up": {refuse: 6, backoff: time.Millisecond, timeout: time.Minute,
			sent: true, retried: 6},
		"refused for good: 8 redials, then the Dial error": {refuse: -1, backoff: time.Millisecond, timeout: time.Minute,
			retried: 7},
		"backoff past the deadline: the Dial error at once": {refuse: -1, backoff: time.Hour, timeout: time.Minute},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{})
			d := &refusingDialer{inner: e.dialer, refuse: tt.refuse}
			pool := newPool(t, e, e.preset, smtpport.WithDialer(d), smtpport.WithPoolBackoff(tt.backoff),
				smtpport.WithRoutes(e.srv.Route(465))) // one connection per Dial
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			err := pool.Send(ctx, testUser, []string{"bob@example.test"}, []byte("hi\r\n"))
			if tt.sent {
				require.NoError(t, err)
				assert.Len(t, e.srv.Messages(), 1)
			} else {
				assert.ErrorIs(t, err, smtpport.ErrUnreachable)
				var ne *smtpport.Error
				assert.ErrorAs(t, err, &ne, "the Dial error itself")
				assert.NoError(t, ctx.Err(), "returned before the context ended")
				assert.Empty(t, e.srv.Messages())
			}
			assert.Equal(t, tt.retried, pool.Stats().Retried)
		})
	}
}

func TestPoolNeverRetriesAfterTheFinalDot(t *testing.T) {
	for _, ext := range [][]string{{"8BITMIME"}, {"8BITMIME", "PIPELINING"}} {
		t.Run(strings.Join(ext, ","), func(t *testing.T) {
			script := []smtptest.Step{{TLS: true}, smtptest.Greet(), smtptest.EHLO(ext...),
				{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Send: ok250},
				{Expect: "DATA", Send: smtptest.Reply(354, "go ahead")}, bodyLine, {Expect: ".", Close: true}}
			e := newEnv(t, smtptest.Config{}, smtptest.Endpoint{Port: 465, Security: smtpport.ImplicitTLS, Script: script})
			pool, err := smtpport.NewPool(e.preset, smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer),
				smtpport.WithRoutes(e.srv.Route(465)), smtpport.WithPoolBackoff(time.Millisecond))
			require.NoError(t, err)
			defer pool.Close()
			err = pool.Send(testContext(t), testUser, []string{"bob@example.test"}, tinyBody)
			assert.ErrorIs(t, err, smtpport.ErrOutcomeUnknown)
			assert.Equal(t, 1, countCommands(e.srv.Commands(), "DATA"), "sent once, never again")
			assert.Zero(t, pool.Stats().Retried)
		})
	}
}

func TestPoolHonoursProviderLimits(t *testing.T) {
	t.Run("messages per connection", func(t *testing.T) {
		e := newEnv(t, smtptest.Config{})
		p := e.preset
		p.Limits = presets.Limits{MessagesPerConnection: 2}
		pool := newPool(t, e, p, smtpport.WithPoolSize(1))
		for range 5 {
			require.NoError(t, pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte("hi\r\n")))
		}
		assert.Equal(t, 3, connections(e.srv.Commands()))
		assert.Equal(t, 2, countCommands(e.srv.Commands(), "QUIT"), "retired connections say QUIT")
	})
	t.Run("messages per minute: wait within ctx, never provoke a 4xx", func(t *testing.T) {
		e := newEnv(t, smtptest.Config{})
		p := e.preset
		p.Limits = presets.Limits{MessagesPerMinute: 1}
		pool := newPool(t, e, p)
		require.NoError(t, pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte("hi\r\n")))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := pool.Send(ctx, testUser, []string{"bob@example.test"}, []byte("hi\r\n"))
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the next slot is a minute away")
		assert.Len(t, e.srv.Messages(), 1)
	})
	t.Run("connections", func(t *testing.T) {
		e := newEnv(t, smtptest.Config{})
		p := e.preset
		p.Limits = presets.Limits{Connections: 1}
		pool := newPool(t, e, p, smtpport.WithPoolSize(8))
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				assert.NoError(t, pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte("hi\r\n")))
			})
		}
		wg.Wait()
		assert.Equal(t, 1, connections(e.srv.Commands()))
	})
}

func TestNewPoolRefusesBadConfig(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	_, err := smtpport.NewPool(e.preset, smtpport.WithPoolSize(0))
	assert.ErrorIs(t, err, smtpport.ErrConfig)
}
