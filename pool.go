package smtpport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/smtp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpport/smtpport/presets"
)

// defaultPoolSize is the connections a Pool keeps without WithPoolSize: few enough for
// any provider's per-account concurrency.
const defaultPoolSize = 2

const (
	poolAttempts  = 4 // tries per message for temporary failures
	poolBackoff   = 250 * time.Millisecond
	poolMaxWait   = 5 * time.Second  // the longest backoff between tries
	poolIdleCheck = 30 * time.Second // idle longer than this: NOOP before reuse
	poolQuitTime  = 5 * time.Second  // the bound on a QUIT when a connection retires
)

// WithPoolSize sets how many connections a Pool keeps open at most (2 by default); a
// preset's documented Connections limit lowers it.
func WithPoolSize(n int) Option { return func(s *settings) { s.poolSize, s.poolSizeSet = n, true } }

// Pool sends messages over a few kept-open connections, negotiated with Dial's rules. It
// honours the preset's documented limits (messages per minute, connections, messages per
// connection) by waiting within the caller's context rather than provoking a 4xx, resets
// the session between messages, checks a long-idle connection with NOOP, and redials a
// connection the server closed (421, EOF). Temporary failures before the final "." are
// retried with backoff and jitter within the context; permanent ones are returned at
// once; a connection lost after the "." is ErrOutcomeUnknown, returned, never retried.
// Safe for concurrent use; no goroutine runs in the background.
type Pool struct {
	preset presets.Preset
	opts   []Option
	limits presets.Limits
	slots  chan struct{}    // one per connection that may be in use
	idle   chan *pooledConn // open connections nobody is using
	pace   *pacer           // nil without a messages-per-minute limit

	mu       sync.Mutex
	closed   bool
	inflight sync.WaitGroup

	sent, retried, failed atomic.Int64
	open                  atomic.Int32
}

// PoolStats counts a Pool's work since NewPool.
type PoolStats struct {
	Sent    int64 // messages accepted by the server
	Retried int64 // tries repeated after a temporary failure
	Failed  int64 // Send calls that returned an error
	Open    int   // connections open now
}

type pooledConn struct {
	c         *smtp.Client
	messages  int
	idleSince time.Time
}

// NewPool checks p and opts as Dial would and returns a Pool; it connects lazily, on the
// first Send.
func NewPool(p presets.Preset, opts ...Option) (*Pool, error) {
	var s settings
	for _, opt := range opts {
		opt(&s)
	}
	if err := refuseUntrusted(p, &s); err != nil {
		return nil, err
	}
	if _, err := s.auth.credentials(p.Mechanisms); err != nil {
		return nil, err
	}
	size := defaultPoolSize
	if s.poolSizeSet {
		if s.poolSize < 1 {
			return nil, fmt.Errorf("%w: pool size %d: must be at least 1", ErrConfig, s.poolSize)
		}
		size = s.poolSize
	}
	if c := p.Limits.Connections; c > 0 && c < size {
		size = c
	}
	pool := &Pool{preset: p.Clone(), opts: opts, limits: p.Limits,
		slots: make(chan struct{}, size), idle: make(chan *pooledConn, size)}
	if n := p.Limits.MessagesPerMinute; n > 0 {
		pool.pace = &pacer{every: time.Minute / time.Duration(n)}
	}
	return pool, nil
}

// Send delivers one message as SendMail does (same envelope rules, same typed errors),
// over a pooled connection.
func (p *Pool) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := checkEnvelope(from, to); err != nil {
		return err
	}
	if !p.enter() {
		return fmt.Errorf("smtpport: pool closed, nothing sent: %w", net.ErrClosed)
	}
	defer p.inflight.Done()
	err := p.send(ctx, from, to, msg)
	if err != nil {
		p.failed.Add(1)
	}
	return err
}

func (p *Pool) send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := p.pace.wait(ctx); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("smtpport: no pool connection free in time, nothing sent: %w", context.Cause(ctx))
	}
	defer func() { <-p.slots }()
	for try := 1; ; try++ {
		pc, err := p.conn(ctx)
		if err == nil {
			err = Within(ctx, pc.c, func() error { return deliver(pc.c, from, to, msg) })
			p.release(ctx, pc, err)
			if err == nil {
				p.sent.Add(1)
				return nil
			}
		}
		if !retryable(err) || try == poolAttempts || !backoff(ctx, try) {
			return err
		}
		p.retried.Add(1)
	}
}

// retryable: nothing was delivered and a later try may succeed.
func retryable(err error) bool {
	if errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrPermanent) || errors.Is(err, ErrConfig) {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return errors.Is(err, ErrTemporary)
	}
	var ne *Error
	return errors.As(err, &ne) && errors.Is(err, ErrUnreachable) // a failed redial
}

// backoff waits before try+1: exponential with jitter, false when ctx ends first.
func backoff(ctx context.Context, try int) bool {
	d := min(poolBackoff<<(try-1), poolMaxWait)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// conn returns a connection ready for MAIL: an idle one that still answers RSET (NOOP
// first when long idle), or a new one.
func (p *Pool) conn(ctx context.Context) (*pooledConn, error) {
	for {
		select {
		case pc := <-p.idle:
			err := Within(ctx, pc.c, func() error {
				if time.Since(pc.idleSince) > poolIdleCheck {
					if err := pc.c.Noop(); err != nil {
						return err
					}
				}
				return pc.c.Reset()
			})
			if err == nil {
				return pc, nil
			}
			p.retire(pc, false)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("smtpport: nothing sent: %w", context.Cause(ctx))
			}
		default:
			c, err := Dial(ctx, p.preset, p.opts...)
			if err != nil {
				return nil, err
			}
			p.open.Add(1)
			return &pooledConn{c: c}, nil
		}
	}
}

// release returns pc for reuse when the server is still talking to it and it is under
// the provider's per-connection limit; otherwise it retires it.
func (p *Pool) release(ctx context.Context, pc *pooledConn, err error) {
	if err == nil {
		pc.messages++
	}
	var se *SendError
	usable := err == nil || errors.As(err, &se) && se.Code != 0 && se.Code != 421 && ctx.Err() == nil
	if !usable {
		p.retire(pc, false)
		return
	}
	if max := p.limits.MessagesPerConnection; max > 0 && pc.messages >= max {
		p.retire(pc, true)
		return
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.retire(pc, true)
		return
	}
	pc.idleSince = time.Now()
	select {
	case p.idle <- pc:
	default:
		p.retire(pc, true)
	}
}

// retire closes pc, with a bounded QUIT when the session is healthy.
func (p *Pool) retire(pc *pooledConn, quit bool) {
	if quit {
		ctx, cancel := context.WithTimeout(context.Background(), poolQuitTime)
		_ = Within(ctx, pc.c, pc.c.Quit)
		cancel()
	}
	pc.c.Close()
	p.open.Add(-1)
}

func (p *Pool) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.inflight.Add(1)
	return true
}

// Close stops new sends, waits for those in flight (each bounded by its own context),
// then says QUIT on every idle connection and closes it. Later Sends fail with an error
// matching net.ErrClosed; a second Close does nothing.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.inflight.Wait()
	for {
		select {
		case pc := <-p.idle:
			p.retire(pc, true)
		default:
			return nil
		}
	}
}

// Stats returns the pool's counters.
func (p *Pool) Stats() PoolStats {
	return PoolStats{Sent: p.sent.Load(), Retried: p.retried.Load(), Failed: p.failed.Load(), Open: int(p.open.Load())}
}

// pacer spaces messages to a per-minute limit: each Send takes the next free moment.
type pacer struct {
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// wait blocks until this message's moment, or fails at once, with nothing sent, when ctx
// would end first.
func (pc *pacer) wait(ctx context.Context) error {
	if pc == nil {
		return nil
	}
	pc.mu.Lock()
	at := time.Now()
	if pc.next.After(at) {
		at = pc.next
	}
	if dl, ok := ctx.Deadline(); ok && at.After(dl) {
		pc.mu.Unlock()
		return fmt.Errorf("smtpport: the provider's rate limit allows the next message at %s, after the context's deadline; nothing sent: %w",
			at.Format(time.TimeOnly), context.DeadlineExceeded)
	}
	pc.next = at.Add(pc.every)
	pc.mu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("smtpport: waiting for the provider's rate limit, nothing sent: %w", context.Cause(ctx))
	}
}
