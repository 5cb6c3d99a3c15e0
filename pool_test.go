package smtpport_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		reply     func(conn int, line string) string
		class     error // nil: delivered
		retried   int64
		delivered int
	}{
		"421 storm, then a working connection": {func(conn int, line string) string {
			if conn <= 3 && strings.HasPrefix(line, "MAIL") {
				return "421 4.7.0 too many connections, try later"
			}
			return ""
		}, nil, 3, 1},
		"421 on every connection": {func(conn int, line string) string {
			if strings.HasPrefix(line, "MAIL") {
				return "421 4.7.0 try later"
			}
			return ""
		}, smtpport.ErrTemporary, 3, 0},
		"452 on RCPT once": {func() func(int, string) string {
			var once sync.Once
			return func(_ int, line string) string {
				r := ""
				if strings.HasPrefix(line, "RCPT") {
					once.Do(func() { r = "452 4.5.3 too many recipients this hour" })
				}
				return r
			}
		}(), nil, 1, 1},
		"550 on RCPT is not retried": {func(_ int, line string) string {
			if strings.HasPrefix(line, "RCPT") {
				return "550 5.1.1 no such user"
			}
			return ""
		}, smtpport.ErrPermanent, 0, 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{CommandReply: tt.reply})
			pool := newPool(t, e, e.preset, smtpport.WithPoolSize(1))
			err := pool.Send(testContext(t), testUser, []string{"bob@example.test"}, []byte("hi\r\n"))
			if tt.class == nil {
				require.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.class)
			}
			assert.Len(t, e.srv.Messages(), tt.delivered)
			assert.Equal(t, tt.retried, pool.Stats().Retried)
		})
	}
}

func TestPoolNeverRetriesAfterTheFinalDot(t *testing.T) {
	e := newEnv(t, smtptest.Config{}, stalled(smtptest.Step{Expect: "MAIL", Send: ok250}, smtptest.Step{Expect: "RCPT", Send: ok250},
		smtptest.Step{Expect: "DATA", Send: smtptest.Reply(354, "go ahead")}, bodyLine, smtptest.Step{Expect: ".", Close: true}))
	pool, err := smtpport.NewPool(e.preset, smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer),
		smtpport.WithRoutes(e.srv.Route(465)))
	require.NoError(t, err)
	defer pool.Close()
	err = pool.Send(testContext(t), testUser, []string{"bob@example.test"}, tinyBody)
	assert.ErrorIs(t, err, smtpport.ErrOutcomeUnknown)
	assert.Equal(t, 1, countCommands(e.srv.Commands(), "DATA"), "sent once, never again")
	assert.Zero(t, pool.Stats().Retried)
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
