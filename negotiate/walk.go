package negotiate

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"sync/atomic"
	"time"
)

// conn is a route brought to ready: TLS verified, EHLO over TLS read, mechanism chosen.
// It has no deadline and no context watcher: whoever holds it decides its time.
type conn struct {
	client    *smtp.Client
	tap       *tapConn
	tls       tls.ConnectionState
	offered   []string // AUTH mechanisms of the EHLO over TLS
	mechanism string   // chosen from offered; "" without credentials
}

// close drops the connection without a QUIT round trip.
func (c *conn) close() { c.client.Close() }

// attempt is one route's progress, owned by its goroutine until its final event is sent.
type attempt struct {
	index   int
	route   Route
	begin   time.Time // start of the negotiation
	start   time.Time
	connect time.Duration // TCP connect time, once up
	ready   time.Time     // when it reached ready
	end     time.Time     // when it finished, failed or was abandoned
	waited  time.Duration // time spent ready, waiting for a preferred route
	stage   Stage
	tlsUp   bool         // the TLS handshake has completed and verified
	trips   atomic.Int32 // round trips still needed to be ready; read by the coordinator
	err     error
	conn    *conn // non-nil when ready; points at held
	held    conn  // what conn points at, in the attempt's own allocation
	n       *negotiation
}

func (a *attempt) reach(stage Stage) {
	a.stage = stage
	a.trips.Store(int32(tripsLeft(a.route.Security, stage, a.tlsUp)))
	a.n.cfg.Trace.stage(a.route, stage)
	if a.n.debug {
		a.n.log("smtpport: stage", "route", a.route.String(), "stage", string(stage), "elapsed", time.Since(a.start))
	}
}

func (a *attempt) record() Attempt {
	end := a.end
	if end.IsZero() {
		end = time.Now()
	}
	rec := Attempt{Route: a.route, Stage: a.stage, Elapsed: end.Sub(a.start), Err: a.err,
		Offset: a.start.Sub(a.begin), Waited: a.waited}
	if !a.ready.IsZero() {
		rec.Ready = a.ready.Sub(a.start)
	}
	return rec
}

// walk brings one route from TCP connect to ready: the one protocol walk that Negotiate
// and Probe share, with every defence in it (no HELO fallback, the STARTTLS tap, the read
// cap, verified TLS). It calls up once TCP is up. On failure it closes what it opened and
// sets a.err; on success a.conn holds the connection, with no deadline left on it.
func (n *negotiation) walk(ctx context.Context, a *attempt, up func()) {
	a.reach(stageDial)
	dialStart := time.Now()
	raw, err := n.cfg.dialer().DialContext(ctx, "tcp", a.route.addr())
	n.cfg.Trace.connected(a.route, time.Since(dialStart), err)
	if err != nil {
		a.err = classifyDial(err)
		return
	}
	a.connect = time.Since(dialStart)
	up()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	// net/smtp knows no context: a cancelled context moves the deadline into the past,
	// which unblocks any read or write in progress.
	unwatch := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	tap := newTap(raw, a.route.Security == ImplicitTLS)
	tap.keepGreeting = n.cfg.Trace != nil && n.cfg.Trace.Greeting != nil
	c, err := n.secure(ctx, a, tap)
	if err == nil {
		err = n.ready(a, c, tap)
	}
	if tap.exceeded {
		err = oversize(string(a.stage)) // whatever net/smtp made of the cut-off reply
	}
	if !unwatch() && err == nil {
		err = &routeError{kind: ErrUnreachable, detail: "time ran out as the route became ready"}
	}
	if err != nil {
		switch {
		case c == nil:
			raw.Close()
		case n.probe && !isFinal(err) && !a.tlsUp && ctx.Err() == nil:
			quit(ctx, c, tap) // a plaintext-only port, or STARTTLS refused: part politely
		default:
			c.Close()
		}
		a.conn, a.err = nil, err
		return
	}
	raw.SetDeadline(time.Time{})
	a.ready = time.Now()
}

// secure runs greeting, EHLO and TLS for either security mode and returns a client whose
// EHLO over TLS has been read.
func (n *negotiation) secure(ctx context.Context, a *attempt, tap *tapConn) (*smtp.Client, error) {
	tlsConfig := n.cfg.routeTLSConfig(a.route)
	if a.route.Security == ImplicitTLS {
		a.reach(stageTLS)
		tc := tls.Client(tap, tlsConfig)
		err := tc.HandshakeContext(ctx)
		n.cfg.Trace.tls(a.route, tc.ConnectionState(), err)
		if err != nil {
			tc.Close()
			return nil, classifyTLS(err)
		}
		a.tlsUp = true
		a.reach(stageGreeting)
		c, err := smtp.NewClient(tc, a.route.Host)
		if err != nil {
			return nil, classifyReply(err, "greeting over TLS")
		}
		if tap.exceeded {
			return c, oversize("greeting over TLS") // cut by the cap, it only looks complete
		}
		n.cfg.Trace.greeting(a.route, "")
		a.reach(stageEHLO)
		return c, n.hello(c, a, tc, true)
	}

	a.reach(stageGreeting)
	c, err := smtp.NewClient(tap, a.route.Host)
	if err != nil {
		return nil, classifyReply(err, "greeting")
	}
	if tap.exceeded {
		return c, oversize("greeting") // cut by the cap, it only looks complete
	}
	n.cfg.Trace.greeting(a.route, greetingText(tap.greeting))
	a.reach(stageEHLO)
	if err := n.hello(c, a, tap, false); err != nil {
		return c, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, &routeError{kind: ErrTLSUnavailable, detail: "server did not offer STARTTLS"}
	}
	a.reach(stageSTARTTLS)
	// Bytes already read but not yet asked for would be taken as the STARTTLS reply,
	// and whatever follows them silently dropped by net/smtp: an injection that the
	// tap cannot see, because it read them before STARTTLS was sent.
	if c.Text.Reader.R.Buffered() > 0 {
		return c, tampered(errPipelined)
	}
	tap.onGoAhead = func() { a.reach(stageTLS) }
	inner := tlsConfig.VerifyConnection
	tlsConfig.VerifyConnection = func(cs tls.ConnectionState) error {
		if inner != nil {
			if err := inner(cs); err != nil {
				return err
			}
		}
		a.tlsUp = true
		a.reach(stageEHLO)
		return nil
	}
	err = c.StartTLS(tlsConfig)
	if tap.violated != nil {
		a.stage = stageSTARTTLS // the exchange tampered with, wherever the walk had got to
		return c, tampered(tap.violated)
	}
	switch {
	case a.stage == stageSTARTTLS:
		// No well-formed 220: net/smtp stayed in the clear.
		return c, classifyReply(err, "STARTTLS")
	case a.stage == stageTLS:
		cs, _ := c.TLSConnectionState()
		n.cfg.Trace.tls(a.route, cs, err)
		return c, classifyTLS(err)
	}
	if n.cfg.Trace != nil && n.cfg.Trace.TLS != nil {
		cs, _ := c.TLSConnectionState() // the state VerifyConnection saw, and the same chains
		n.cfg.Trace.tls(a.route, cs, nil)
	}
	if err != nil {
		return c, classifyReply(err, "EHLO over TLS")
	}
	n.traceEHLO(a, c, true)
	return c, nil
}

// ready checks what the EHLO over TLS left: a verified chain and, with credentials, a
// mechanism both sides can use. Nothing secret has been sent, so a missing mechanism
// lets another route try.
func (n *negotiation) ready(a *attempt, c *smtp.Client, tap *tapConn) error {
	cs, _ := c.TLSConnectionState()
	if len(cs.VerifiedChains) == 0 {
		return &routeError{kind: ErrCertificate, detail: "TLS is up but no verified chain", final: true}
	}
	a.held = conn{client: c, tap: tap, tls: cs, offered: offeredMechanisms(c)}
	a.conn = &a.held
	creds := n.cfg.Credentials
	if creds == nil {
		return nil
	}
	var err error
	a.conn.mechanism, err = creds.Mechanism(a.conn.offered, cs)
	switch {
	case errors.Is(err, ErrConfig):
		// The credentials cannot be used with what this route offers (a password SASLprep
		// refuses, where only SCRAM is offered): ours to fix, not a rejected password.
		return &routeError{kind: ErrConfig, detail: "credentials unusable with this route's mechanisms; nothing was sent", cause: err}
	case err != nil:
		return &routeError{kind: ErrAuthFailed, detail: "no usable mechanism over TLS; nothing was sent", cause: err}
	}
	return nil
}

// hello sends EHLO with the configured name, refusing net/smtp's silent HELO fallback.
// A replyTracker under textproto's reader keeps why the EHLO failed (net/smtp forgets
// it when it tries HELO), so a 421, a 5xx, a timeout or an oversized reply each get
// their own error with the cause reachable. Both are gone when hello returns: nothing
// of the negotiation stays in the client's reader or writer. w is the conn the client
// was made on; its own buffers are pointed at the guard and the tracker and back (net/smtp
// flushes every command, so the writer is empty), unless the greeting left bytes
// buffered: then the tracker reads them through a reader of its own.
func (n *negotiation) hello(c *smtp.Client, a *attempt, w net.Conn, overTLS bool) error {
	what := "EHLO"
	if overTLS {
		what = "EHLO over TLS"
	}
	origW, origR := c.Text.Writer.W, c.Text.Reader.R
	watch := &struct { // one allocation for both
		guard   heloGuard
		tracker replyTracker
	}{guard: heloGuard{w: w}}
	guard, tracker := &watch.guard, &watch.tracker
	origW.Reset(guard)
	reuse := origR.Buffered() == 0
	if reuse {
		tracker.r = w
		origR.Reset(tracker)
	} else {
		tracker.r = origR
		c.Text.Reader.R = bufio.NewReader(tracker)
	}
	defer func() {
		origW.Reset(w)
		// Nothing read ahead: drop the tracker. Otherwise keep it and its buffer, so no
		// byte is lost (the STARTTLS check sees them).
		if c.Text.Reader.R.Buffered() == 0 {
			if reuse {
				origR.Reset(w)
			}
			c.Text.Reader.R = origR
		}
	}()
	if err := c.Hello(n.localName(w)); err != nil {
		if !guard.denied {
			return classifyReply(err, what)
		}
		cause := tracker.failure()
		if cause == nil {
			return &routeError{kind: ErrTLSUnavailable, detail: errEHLORejected.Error()}
		}
		var re *routeError
		if errors.As(classifyReply(cause, what), &re) {
			re.detail += " (no HELO fallback: it would continue without STARTTLS)"
			return re
		}
		return cause
	}
	n.traceEHLO(a, c, overTLS)
	return nil
}

// greetingText is the text of a greeting's first line, after "220 " or "220-".
func greetingText(line []byte) string {
	if len(line) > 4 {
		return string(line[4:])
	}
	return ""
}

func (n *negotiation) localName(c net.Conn) string {
	if n.cfg.LocalName != "" {
		return n.cfg.LocalName
	}
	return defaultLocalName(c.LocalAddr())
}

func (n *negotiation) traceEHLO(a *attempt, c *smtp.Client, overTLS bool) {
	if n.cfg.Trace.wantsEHLO() {
		n.cfg.Trace.EHLO(a.route, extensions(c), overTLS)
	}
}

// heloGuard replaces net/smtp's writer during the first EHLO: net/smtp silently retries
// with HELO when EHLO fails, which would continue without extensions (no STARTTLS, no
// AUTH). The guard refuses to send it, so the EHLO failure becomes the attempt's error.
type heloGuard struct {
	w      interface{ Write([]byte) (int, error) }
	denied bool
}

var errEHLORejected = errors.New("server rejected EHLO; refusing to fall back to HELO")

func (g *heloGuard) Write(p []byte) (int, error) {
	if len(p) >= 5 && (string(p[:5]) == "HELO " || string(p[:5]) == "helo ") {
		g.denied = true
		return 0, errEHLORejected
	}
	return g.w.Write(p)
}
