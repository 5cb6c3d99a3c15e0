//go:build integration

package integration_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/testenv"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestConcurrentDials: 200 Dials at once all get an authenticated client.
func TestConcurrentDials(t *testing.T) {
	const n = 200
	ctx := bgContext(t, 90*time.Second)
	opts := options(t)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
		ports = make([]int, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := smtpport.Negotiate(ctx, preset(), opts...)
			if err != nil {
				errs[i] = err
				return
			}
			ports[i] = res.Route.Port
			errs[i] = res.Client.Quit()
		})
	}
	close(start)
	wg.Wait()
	byPort := map[int]int{}
	for i, err := range errs {
		require.NoError(t, err, "Dial %d", i)
		byPort[ports[i]]++
	}
	t.Logf("%d concurrent Dials, winning ports: %v", n, byPort)
}

// TestThousandMessages: 20 goroutines send 50 messages each through the clients Dial
// returned; every message lands in the Maildir exactly once.
func TestThousandMessages(t *testing.T) {
	const workers, perWorker = 20, 50
	tag := newID("bulk") // unique per run
	ids := make([][]string, workers)
	for w := range ids {
		for i := range perWorker {
			ids[w] = append(ids[w], fmt.Sprintf("%s.%02d.%02d", tag, w, i))
		}
	}
	ctx := bgContext(t, 2*time.Minute)
	opts := options(t)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			c, err := smtpport.Dial(ctx, preset(), opts...)
			if err != nil {
				errs[w] = err
				return
			}
			for _, id := range ids[w] {
				if err := send(c, id); err != nil {
					errs[w] = fmt.Errorf("message %s: %w", id, err)
					c.Close()
					return
				}
			}
			errs[w] = c.Quit()
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(t, err, "worker %d", w)
	}
	var all []string
	for _, w := range ids {
		all = append(all, w...)
	}
	requireDelivered(t, tag, all...)
}

// TestPostfixStoppedMidRun: clients keep dialing and sending while Postfix is stopped and
// started again. While it is down every Dial fails with a typed error (refused:
// ErrUnreachable); once it is back every client succeeds again, and every message Postfix
// accepted is delivered exactly once.
func TestPostfixStoppedMidRun(t *testing.T) {
	const loopers = 4
	tag := newID("restart")
	opts := options(t)

	// A client Dial returned before the stop.
	before, err := smtpport.Dial(bgContext(t, 20*time.Second), preset(), options(t)...)
	require.NoError(t, err)
	defer before.Close()
	first := tag + ".before"
	require.NoError(t, send(before, first))

	var (
		phase       atomic.Int32 // 0 running, 1 stopped, 2 restarted
		done        = make(chan struct{})
		wg          sync.WaitGroup
		mu          sync.Mutex
		accepted    = []string{first}
		untyped     []error
		kinds       = map[string]int{}       // typed Dial errors by sentinel
		examples    []string                 // the first error of each kind
		okIn        [loopers][3]atomic.Int32 // successful Dial+send per looper and phase
		typedErrsIn [3]atomic.Int32
	)
	for l := range loopers {
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond) // pacing, not synchronisation
			defer tick.Stop()
			for i := 0; i < 5000; i++ {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				p := phase.Load()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				c, err := smtpport.Dial(ctx, preset(), opts...)
				cancel()
				if err != nil {
					var ne *negotiate.Error
					if errors.As(err, &ne) && isTyped(err) {
						typedErrsIn[p].Add(1)
						mu.Lock()
						if kinds[kind(err)]++; kinds[kind(err)] == 1 {
							examples = append(examples, err.Error())
						}
						mu.Unlock()
					} else {
						mu.Lock()
						untyped = append(untyped, err)
						mu.Unlock()
					}
					continue
				}
				// Once Dial has returned, failures are net/smtp's: the server may go away
				// at any moment. Only a message Postfix accepted must be delivered.
				id := fmt.Sprintf("%s.%d.%d", tag, l, i)
				if err := send(c, id); err != nil {
					c.Close()
					continue
				}
				mu.Lock()
				accepted = append(accepted, id)
				mu.Unlock()
				okIn[l][p].Add(1)
				c.Quit()
			}
		})
	}
	stopLoopers := sync.OnceFunc(func() { close(done); wg.Wait() })
	defer stopLoopers()

	everyLooper := func(p int32) func() (bool, error) {
		return func() (bool, error) {
			for l := range loopers {
				if okIn[l][p].Load() == 0 {
					return false, nil
				}
			}
			return true, nil
		}
	}
	waitFor(t, 30*time.Second, "every client sent a message", everyLooper(0))

	env.StopPostfix(t)
	phase.Store(1)

	// The client from before the stop has lost its server.
	require.Error(t, send(before, tag+".lost"))

	start := time.Now()
	_, err = smtpport.Dial(bgContext(t, 20*time.Second), preset(), options(t)...)
	require.ErrorIs(t, err, smtpport.ErrUnreachable)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.Less(t, time.Since(start), 2*time.Second, "refused routes fail fast")
	waitFor(t, 30*time.Second, "clients saw typed errors", func() (bool, error) {
		return typedErrsIn[1].Load() >= loopers, nil
	})

	env.StartPostfix(t)
	phase.Store(2)
	waitFor(t, 60*time.Second, "every client succeeded after the restart", everyLooper(2))
	stopLoopers()

	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, untyped, "Dial errors without a sentinel")
	t.Logf("typed Dial errors while Postfix was down: %d (all phases by kind: %v); messages accepted: %d",
		typedErrsIn[1].Load(), kinds, len(accepted))
	for _, e := range examples {
		t.Logf("example: %s", e)
	}
	requireDelivered(t, tag, accepted...)
}

var sentinels = []error{smtpport.ErrUnreachable, smtpport.ErrTLSUnavailable, smtpport.ErrAuthFailed,
	smtpport.ErrCertificate, smtpport.ErrProtocol}

func isTyped(err error) bool { return kind(err) != "" }

// kind names the sentinels err wraps.
func kind(err error) string {
	var names []string
	for _, s := range sentinels {
		if errors.Is(err, s) {
			names = append(names, s.Error())
		}
	}
	return strings.Join(names, "+")
}

// TestNoLeaks: successes, failures and blocked routes leave no goroutine and no file
// descriptor behind.
func TestNoLeaks(t *testing.T) {
	dial := func(ctx context.Context, opts ...smtpport.Option) {
		c, err := smtpport.Dial(ctx, preset(), opts...)
		if err == nil {
			require.NoError(t, c.Quit())
		}
	}
	// Warm up: the runtime's poller, the resolver and TLS state are created once.
	dial(bgContext(t, 20*time.Second), options(t)...)

	goleak.VerifyNone(t)
	before := fdCount(t)

	for range 10 {
		dial(bgContext(t, 20*time.Second), options(t)...)
	}
	for range 3 {
		dial(bgContext(t, 20*time.Second), smtpport.WithTLSConfig(tlsConfig(t)), smtpport.WithPassword(env.User, "wrong"))
	}
	dial(bgContext(t, 20*time.Second), smtpport.WithPassword(env.User, env.Password)) // untrusted certificate
	t.Run("blocked", func(t *testing.T) {
		env.Block(t, 587, testenv.Drop)
		env.Block(t, 465, testenv.Reject)
		dial(bgContext(t, 20*time.Second), options(t)...) // wins on 2525
		env.Block(t, 2525, testenv.Drop)
		dial(bgContext(t, time.Second), options(t)...) // nothing works
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dial(ctx, options(t)...) // cancelled before it starts

	goleak.VerifyNone(t)
	require.Equal(t, before, fdCount(t), "open file descriptors")
}

func fdCount(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}
