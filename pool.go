package smtpport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/smtp"
	"net/textproto"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpport/smtpport/internal/limits"
	"github.com/smtpport/smtpport/presets"
)

// defaultPoolSize is the connections a Pool keeps without WithPoolSize: few enough for
// any provider's per-account concurrency.
const defaultPoolSize = 2

const (
	poolAttempts  = 4 // tries per message for temporary failures
	poolRedials   = 8 // failed redials per message (nothing sent; the server is down or restarting)
	poolBackoff   = 250 * time.Millisecond
	poolMaxWait   = 2 * time.Second  // the longest backoff between tries
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
// connection the server closed (421, EOF). When the server offers PIPELINING (RFC 2920)
// RSET, MAIL, RCPT and DATA go out as one group, two round trips a message instead of
// five; the message itself waits for the group's replies, and if a recipient was refused
// the connection is closed before any of it is sent (recipients are all or nothing).
//
// Retries, per Send and all within its context:
//   - A kept connection that fails its RSET or NOOP (closed while idle) is closed and
//     replaced at once; nothing of the message was sent, and this is not a try.
//   - A temporary failure before the final "." (4xx, connection lost) is retried up to
//     4 tries in all, with exponential backoff from 250 ms, jittered, at most 2 s.
//   - A redial that reaches no server (Dial's ErrUnreachable: refused, unreachable,
//     timed out; a server restarting refuses for seconds) sent nothing and is retried
//     with the same backoff up to 8 failed redials in all (about 5 to 10 s of waiting);
//     these do not use up the 4 tries above.
//   - A backoff that would end after the context's deadline is not waited: Send returns
//     the last error at once. Permanent failures (5xx, authentication, configuration)
//     are returned at once; a connection lost after the "." is ErrOutcomeUnknown,
//     returned, never retried.
//
// Safe for concurrent use; no goroutine runs in the background.
type Pool struct {
	preset presets.Preset
	opts   []Option
	limits presets.Limits
	slots  chan struct{}    // one per connection that may be in use
	idle   chan *pooledConn // open connections nobody is using
	pace   *pacer           // nil without a messages-per-minute limit
	wait   time.Duration    // the first retry's backoff

	mu       sync.Mutex
	closed   atomic.Bool // set under mu, read without it
	inflight sync.WaitGroup

	sent, retried, failed atomic.Int64
	open                  atomic.Int32
}

// PoolStats counts a Pool's work since NewPool.
type PoolStats struct {
	Sent    int64 // messages accepted by the server
	Retried int64 // tries repeated after a temporary failure or a failed redial
	Failed  int64 // Send calls that returned an error
	Open    int   // connections open now
}

type pooledConn struct {
	c          *smtp.Client
	l          *limits.Conn
	pipelining bool   // the server offers PIPELINING
	mailParams string // what net/smtp's Mail appends: " BODY=8BITMIME", " SMTPUTF8"
	messages   int
	used       bool // a transaction was started: RSET before the next
	broken     bool // the session is out of step: close, do not reuse
	idleSince  time.Time
}

func newPooledConn(c *smtp.Client) *pooledConn {
	pc := &pooledConn{c: c, l: limits.Of(c)}
	pc.pipelining, _ = c.Extension("PIPELINING")
	if ok, _ := c.Extension("8BITMIME"); ok {
		pc.mailParams += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok {
		pc.mailParams += " SMTPUTF8"
	}
	return pc
}

// staleConn is a kept connection that failed its RSET or NOOP: nothing of the message
// went out. Send replaces the connection; the error never reaches the caller.
type staleConn struct{ err error }

func (e *staleConn) Error() string {
	return "smtpport: pooled connection closed while idle: " + e.err.Error()
}
func (e *staleConn) Unwrap() error { return e.err }

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
	pool := &Pool{preset: p.Clone(), opts: opts, limits: p.Limits, wait: poolBackoff,
		slots: make(chan struct{}, size), idle: make(chan *pooledConn, size)}
	if s.poolBackoff > 0 {
		pool.wait = s.poolBackoff
	}
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
	err := p.send(ctx, from, to, crlf(msg))
	if err != nil {
		p.failed.Add(1)
	}
	return err
}

func (p *Pool) send(ctx context.Context, from string, to []string, wire []byte) error {
	if err := p.pace.wait(ctx); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("smtpport: no pool connection free in time, nothing sent: %w", context.Cause(ctx))
	}
	defer func() { <-p.slots }()
	tries, redials := 0, 0
	for {
		pc, err := p.conn(ctx)
		if err == nil {
			err = pc.l.Within(ctx, func() error { return pc.transact(from, to, wire) })
			var stale *staleConn
			if errors.As(err, &stale) {
				p.retire(pc, false)
				if ctx.Err() != nil {
					return fmt.Errorf("smtpport: nothing sent: %w", context.Cause(ctx))
				}
				continue // another kept connection, or a new one; not a try
			}
			p.release(ctx, pc, err)
			if err == nil {
				p.sent.Add(1)
				return nil
			}
		}
		var n int
		switch {
		case !retryable(err):
			return err
		case redial(err):
			redials++
			n = redials
			if redials == poolRedials {
				return err
			}
		default:
			tries++
			n = tries
			if tries == poolAttempts {
				return err
			}
		}
		if !backoff(ctx, p.wait, n) {
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
	return redial(err)
}

// redial: Dial failed to reach the server; no credentials and no message went out.
func redial(err error) bool {
	var ne *Error
	return errors.As(err, &ne) && errors.Is(err, ErrUnreachable)
}

// backoff waits before retry n (from 1): exponential with jitter. It returns false at
// once when ctx would end before the wait does, and when ctx ends while waiting.
func backoff(ctx context.Context, first time.Duration, n int) bool {
	d := min(first<<min(n-1, 16), max(poolMaxWait, first))
	d = d/2 + rand.N(d/2+1)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// conn returns a kept connection (transact checks it) or a new one.
func (p *Pool) conn(ctx context.Context) (*pooledConn, error) {
	select {
	case pc := <-p.idle:
		return pc, nil
	default:
	}
	c, err := Dial(ctx, p.preset, p.opts...)
	if err != nil {
		return nil, err
	}
	p.open.Add(1)
	return newPooledConn(c), nil
}

// transact sends one message on pc: NOOP first when pc was idle long, RSET when it was
// used, then the envelope and the data. A failed NOOP or RSET is a *staleConn; anything
// else is a *SendError, as from deliver.
func (pc *pooledConn) transact(from string, to []string, wire []byte) error {
	c := pc.c
	if pc.used && time.Since(pc.idleSince) > poolIdleCheck {
		if err := c.Noop(); err != nil {
			return &staleConn{err}
		}
	}
	reset := pc.used
	pc.used = true
	if !pc.pipelining {
		if reset {
			if err := c.Reset(); err != nil {
				return &staleConn{err}
			}
		}
		return deliverWire(c, from, to, wire)
	}
	if err := pc.envelope(reset, from, to); err != nil {
		return err
	}
	return pc.body(wire)
}

// envelope writes [RSET,] MAIL, every RCPT and DATA as one group (RFC 2920: DATA may
// end a group) and reads their replies in order. Recipients are all or nothing, as in
// deliver: when one is refused and DATA was still answered 354, the connection is
// closed before any of the message is sent, so the server discards the transaction.
func (pc *pooledConn) envelope(reset bool, from string, to []string) error {
	c := pc.c
	w := c.Text.W
	if reset {
		w.WriteString("RSET\r\n")
	}
	w.WriteString("MAIL FROM:<")
	w.WriteString(from)
	w.WriteString(">")
	w.WriteString(pc.mailParams)
	w.WriteString("\r\n")
	for _, rcpt := range to {
		w.WriteString("RCPT TO:<")
		w.WriteString(rcpt)
		w.WriteString(">\r\n")
	}
	w.WriteString("DATA\r\n")
	if err := w.Flush(); err != nil {
		pc.broken = true
		if reset {
			return &staleConn{err}
		}
		return sendFailure(c, "MAIL", err)
	}
	if reset {
		if _, _, err := c.Text.ReadResponse(250); err != nil {
			pc.broken = true
			return &staleConn{err}
		}
	}
	// lost: the connection failed while replies were still due; the first failure wins.
	lost := func(phase string, err error) error {
		pc.broken = true
		return sendFailure(c, phase, err)
	}
	var reply *textproto.Error
	_, _, mailErr := c.Text.ReadResponse(250)
	if mailErr != nil && !errors.As(mailErr, &reply) {
		return lost("MAIL", mailErr)
	}
	var refused []*SendError
	for _, rcpt := range to {
		_, _, err := c.Text.ReadResponse(25)
		if errors.As(err, &reply) {
			refused = append(refused, refusal(rcpt, reply))
			continue
		}
		if err != nil {
			if mailErr != nil {
				return lost("MAIL", mailErr) // a 421 to MAIL, then the server hung up
			}
			return lost("RCPT", err)
		}
	}
	_, _, dataErr := c.Text.ReadResponse(354)
	if dataErr != nil && !errors.As(dataErr, &reply) {
		switch {
		case mailErr != nil:
			return lost("MAIL", mailErr)
		case len(refused) > 0:
			pc.broken = true
			return refusedRecipients(refused)
		}
		return lost("DATA", dataErr)
	}
	if (mailErr != nil || len(refused) > 0) && dataErr == nil {
		pc.broken = true // DATA went ahead: close without sending a byte of the message
	}
	switch {
	case mailErr != nil:
		return sendFailure(c, "MAIL", mailErr)
	case len(refused) > 0:
		return refusedRecipients(refused)
	case dataErr != nil:
		return sendFailure(c, "DATA", dataErr)
	}
	return nil
}

// body sends the message after a 354 and its final ".", and reads the reply.
func (pc *pooledConn) body(wire []byte) error {
	c := pc.c
	w := c.Text.DotWriter()
	if _, err := w.Write(wire); err != nil {
		w.Close()
		return sendFailure(c, "message", err)
	}
	if err := w.Close(); err != nil {
		return sendFailure(c, "end of data", err)
	}
	if _, _, err := c.Text.ReadResponse(250); err != nil {
		return sendFailure(c, "end of data", err)
	}
	return nil
}

// release returns pc for reuse when the server is still talking to it and it is under
// the provider's per-connection limit; otherwise it retires it.
func (p *Pool) release(ctx context.Context, pc *pooledConn, err error) {
	if err == nil {
		pc.messages++
	}
	var se *SendError
	usable := err == nil || errors.As(err, &se) && reusable(se) && ctx.Err() == nil
	if !usable || pc.broken {
		p.retire(pc, false)
		return
	}
	if max := p.limits.MessagesPerConnection; max > 0 && pc.messages >= max {
		p.retire(pc, true)
		return
	}
	if p.closed.Load() {
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

// reusable: the server answered, and not with 421 (closing), so the session goes on.
func reusable(se *SendError) bool {
	if len(se.Refused) > 0 {
		for _, r := range se.Refused {
			if r.Code == 421 {
				return false
			}
		}
		return true
	}
	return se.Code != 0 && se.Code != 421
}

// retire closes pc, with a bounded QUIT when the session is healthy.
func (p *Pool) retire(pc *pooledConn, quit bool) {
	if quit {
		ctx, cancel := context.WithTimeout(context.Background(), poolQuitTime)
		_ = pc.l.Within(ctx, pc.c.Quit)
		cancel()
	}
	pc.c.Close()
	p.open.Add(-1)
}

func (p *Pool) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
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
	p.closed.Store(true)
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
