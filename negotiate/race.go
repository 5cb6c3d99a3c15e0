package negotiate

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/smtp"
	"sync"
	"time"
)

// Result is a negotiated, authenticated connection and how it was reached.
type Result struct {
	// Client is ready for Mail/Rcpt/Data; its connection has no deadline set.
	Client *smtp.Client
	// Route is the one that won.
	Route Route
	// TLS is the verified connection state.
	TLS tls.ConnectionState
	// Mechanism is the SASL mechanism used, or "" when no credentials were given.
	Mechanism string
	// Attempts lists every route started, in the order tried (a remembered route first,
	// then preference order); losers carry ErrAbandoned or the error that stopped them.
	Attempts []Attempt
	// FromMemory is true when the route came from Config.Memory and was tried first.
	FromMemory bool
}

// Negotiate races cfg.Routes and returns the most preferred route that reaches verified
// TLS (within the bounded wait the package documentation describes), authenticated with
// cfg.Credentials. On failure the error is an *Error.
func Negotiate(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Probe {
		cfg.Credentials, cfg.Memory = nil, nil
	}
	return newNegotiation(ctx, cfg).run(ctx)
}

type negotiation struct {
	cfg   *Config // points at own
	own   Config  // the caller's Config, copied: one allocation for both
	log   func(msg string, args ...any)
	debug bool // log is live; when false, skip building log arguments on the hot path
	probe bool // Config.Probe: every route runs to its end and says QUIT
}

func newNegotiation(ctx context.Context, cfg Config) *negotiation {
	n := &negotiation{own: cfg, log: func(string, ...any) {}, probe: cfg.Probe}
	n.cfg = &n.own
	if l := cfg.Logger; l != nil && l.Enabled(ctx, slog.LevelDebug) {
		n.log = func(msg string, args ...any) { l.Debug(msg, args...) }
		n.debug = true
	}
	return n
}

// legState is the coordinator's view of one route.
type legState int

const (
	dialing legState = iota // connect in progress: never waited for by a ready route
	shaking                 // TCP up, handshake in progress: a ready route waits for it, within its grace
	ready                   // verified TLS, EHLO over TLS read
	failed
)

// leg is one route of the race, as the coordinator sees it (net/dial.go's dialParallel
// keeps the same: what is running, since when, and what came back).
type leg struct {
	a      *attempt // the route's record; its goroutine owns it until its final event
	state  legState
	cancel context.CancelFunc
	up     time.Time // TCP up
	// grace is when a ready, less preferred route stops waiting for this one; set the
	// first time one does.
	grace time.Time
	// reported: Trace.Done has had this leg's record (a probe reports each as it ends).
	reported bool
}

// hostTimes maps host to connect time for the few hosts of one race (presets use one),
// in the race's own memory while they fit.
type hostTimes struct {
	buf [2]hostTime
	all []hostTime
}

type hostTime struct {
	host string
	d    time.Duration
}

func (h *hostTimes) set(host string, d time.Duration) {
	for i := range h.all {
		if h.all[i].host == host {
			h.all[i].d = d
			return
		}
	}
	if h.all == nil {
		h.all = h.buf[:0]
	}
	h.all = append(h.all, hostTime{host, d})
}

func (h *hostTimes) get(host string) (time.Duration, bool) {
	for _, t := range h.all {
		if t.host == host {
			return t.d, true
		}
	}
	return 0, false
}

// event is what a route's goroutine reports: TCP up, then its end (ready or failed).
type event struct {
	leg *leg
	up  bool
}

// race is the coordinator's state; only run's goroutine touches it.
type race struct {
	n      *negotiation
	ctx    context.Context
	legs   []*leg // every route in the order tried; the first `started` are running or done
	memo   bool   // legs[0] came from route memory
	start  int    // how many legs have started
	begin  time.Time
	known  hostTimes   // latest connect time per host: sets the head start
	due    time.Time   // when the next leg starts
	timer  *time.Timer // fires at min(due, the grace being waited out)
	events chan event
	ended  int // legs whose final event has arrived
	wg     sync.WaitGroup
	// takeover starts a coordinating goroutine when the first route, walked on the
	// caller's goroutine, outlasts its head start (nil with a single route); the caller
	// waits on took for that goroutine's outcome.
	takeover *time.Timer
	took     sync.WaitGroup
	res      *Result
	err      error
}

// run negotiates. The first route is walked on the caller's goroutine: a Dial whose
// first route is ready within its head start (the common case) costs no goroutine, no
// channel wakeup and no cross-thread handshake. If the head start passes first, a
// coordinating goroutine takes the race over (takeover) while the walk goes on.
func (n *negotiation) run(ctx context.Context) (*Result, error) {
	routes, memo, recalled := n.recall()
	r := &race{n: n, ctx: ctx, memo: recalled, begin: time.Now(),
		events: make(chan event, 2*len(routes))} // two sends per leg at most: never blocks
	// One allocation each for the legs, their attempts and the index, not two per route
	// and a growing slice.
	legs, attempts := make([]leg, len(routes)), make([]attempt, len(routes))
	r.legs = make([]*leg, len(routes))
	for i, route := range routes {
		attempts[i] = attempt{index: i, route: route, begin: r.begin, n: n}
		legs[i].a = &attempts[i]
		r.legs[i] = &legs[i]
	}
	if recalled && memo.Connect > 0 {
		r.known.set(memo.Route.Host, memo.Connect)
	}
	r.due = r.begin
	if n.probe {
		r.timer = time.NewTimer(0)
		defer r.timer.Stop()
		return n.runProbe(r)
	}
	if expired(ctx) {
		return nil, n.failure(r.records()) // nothing started
	}
	return r.walkFirst()
}

// walkFirst walks the first route on the caller's goroutine, then coordinates the rest
// of the race here, unless the head start passed during the walk: then the goroutine
// that took over decides, and its outcome is returned.
func (r *race) walkFirst() (*Result, error) {
	l, actx, timeout := r.startLeg()
	if r.start < len(r.legs) {
		r.took.Add(1)
		r.takeover = time.AfterFunc(time.Until(r.due)-timerSlack, func() {
			defer r.took.Done()
			r.res, r.err = r.n.coordinate(r)
		})
	}
	up := func() {
		r.events <- event{leg: l, up: true}
		if r.takeover != nil && r.takeover.Stop() {
			// Not taken over yet: a connected route gets its handshake's time, as apply
			// sets for the coordinator (which reads this event when it runs).
			r.takeover.Reset(time.Until(l.a.start.Add(r.headStartUp(l))) - timerSlack)
		}
	}
	r.wg.Add(1) // a coordinator that took over waits for this walk, as for any leg
	r.runLeg(l, actx, timeout, up)
	r.wg.Done()
	if r.takeover == nil || r.takeover.Stop() {
		if r.takeover != nil {
			r.took.Done() // it will not run
		}
		return r.n.coordinate(r)
	}
	r.took.Wait()
	return r.res, r.err
}

// coordinate decides the race from the events of its legs. The next route starts when
// the latest one has had its head start (adaptive; see headStart) or at once when a
// route fails. The winner is the most preferred ready route, once no more preferred route
// is still handshaking within its grace. Every loser is cancelled, its goroutine has
// ended and its connection is closed before coordinate returns. No route is started once
// one is ready. Events already sent are read before the timer is armed, so a route that
// is ready decides without one.
func (n *negotiation) coordinate(r *race) (*Result, error) {
	defer func() {
		if r.timer != nil {
			r.timer.Stop()
		}
	}()
	for {
		if w, wait := r.pick(time.Now()); w != nil {
			return n.finish(r, w)
		} else if r.lost() {
			r.abandon(nil, ErrAbandoned)
			return nil, n.failure(r.records())
		} else if len(r.events) == 0 {
			r.arm(wait)
		}
		var tick <-chan time.Time
		if r.timer != nil {
			tick = r.timer.C
		}
		select {
		case <-tick:
			// An event already sent (a route ready or failed) is read before anything
			// starts; the timer is armed again above.
			if len(r.events) == 0 && r.isDue(time.Now()) {
				r.startNext()
			}
		case ev := <-r.events:
			if l := r.apply(ev); l != nil && isFinal(l.a.err) {
				r.abandon(nil, ErrAbandoned)
				return nil, n.failure(r.records())
			}
		case <-r.ctx.Done():
			r.abandon(nil, nil)
			return nil, n.failure(r.records())
		}
	}
}

// runProbe is run for Config.Probe: the same race, decided by the same rules, but no
// route is abandoned. Once the decision is made (the winner, or a failure that would end
// negotiation) every route not yet started starts, for the report, and the result comes
// when every route has ended. Ready routes say QUIT; nobody authenticates. Trace.Done
// gets each route's record as it ends; a ready route's waits for the decision, which
// sets how long the winner waited.
func (n *negotiation) runProbe(r *race) (*Result, error) {
	var decided, stopped *leg
	startAll := func() {
		for r.start < len(r.legs) && !expired(r.ctx) {
			r.launch()
		}
	}
	for r.ended < r.start || r.start < len(r.legs) && decided == nil && stopped == nil {
		select {
		case <-r.timer.C:
			if decided == nil && stopped == nil && r.isDue(time.Now()) {
				r.startNext()
			}
		case ev := <-r.events:
			l := r.apply(ev)
			if l != nil && isFinal(l.a.err) && decided == nil && stopped == nil {
				stopped = l
				startAll()
			}
			r.reportEnded(decided != nil || stopped != nil)
		case <-r.ctx.Done():
			r.abandon(nil, nil)
			r.reportEnded(true)
			return nil, n.failure(r.records())
		}
		if decided != nil || stopped != nil {
			continue
		}
		if w, wait := r.pick(time.Now()); w != nil {
			decided = w
			r.noteWait(w)
			r.reportEnded(true)
			startAll()
		} else if !r.lost() {
			r.arm(wait)
		}
	}
	r.wg.Wait() // every ready route has said QUIT
	r.reportEnded(true)
	if decided == nil {
		return nil, n.failure(r.records())
	}
	a := decided.a
	return &Result{Route: a.route, Attempts: r.records()}, nil
}

// reportEnded gives Trace.Done the record of every leg that has ended and not been
// reported: failed ones at once, ready ones once the race is decided.
func (r *race) reportEnded(decided bool) {
	for _, l := range r.legs[:r.start] {
		if !l.reported && (l.state == failed || l.state == ready && decided) {
			l.reported = true
			r.n.cfg.Trace.done(l.a.record())
		}
	}
}

// startNext starts the next route when the race allows: there is one, none is ready yet
// and the context is live.
func (r *race) startNext() {
	if r.start == len(r.legs) || r.anyReady() || expired(r.ctx) {
		return
	}
	r.launch()
}

// launch starts the next route on a goroutine of its own, which sends two events at most
// and never blocks. In a probe, a ready route says QUIT on its own once it has reported.
func (r *race) launch() {
	l, actx, timeout := r.startLeg()
	r.wg.Go(func() {
		r.runLeg(l, actx, timeout, func() { r.events <- event{leg: l, up: true} })
	})
}

// startLeg is the one place a route starts: its attempt context bounds the walk to ready,
// and the next route is due after its head start.
func (r *race) startLeg() (*leg, context.Context, time.Duration) {
	l := r.legs[r.start]
	r.start++
	timeout := r.n.cfg.attemptTimeout()
	actx, cancel := context.WithTimeoutCause(r.ctx, timeout, attemptTimeoutCause(timeout))
	l.cancel = cancel
	l.a.start = time.Now()
	r.due = l.a.start.Add(r.headStart(l))
	return l, actx, timeout
}

// runLeg walks l's route and sends its final event; up sends the TCP-up one.
func (r *race) runLeg(l *leg, actx context.Context, timeout time.Duration, up func()) {
	a := l.a
	r.n.walk(actx, a, up)
	if a.err != nil && expired(actx) {
		a.err = contextError(a.err, timeoutCause(actx, r.ctx, timeout))
	}
	var done *conn
	if r.n.probe && a.conn != nil {
		a.reach(stageReady)
		done, a.conn = a.conn, nil
	}
	a.end = time.Now()
	r.events <- event{leg: l}
	if done != nil {
		quit(r.ctx, done.client, done.tap)
	}
}

// apply records an event and returns the leg when it failed.
func (r *race) apply(ev event) *leg {
	l := ev.leg
	if ev.up {
		l.state, l.up = shaking, time.Now()
		r.known.set(l.a.route.Host, l.a.connect)
		if l == r.latest() {
			r.due = l.a.start.Add(r.headStart(l)) // a connected route gets its handshake's time
		}
		return nil
	}
	l.cancel() // the attempt context's work is done; a ready conn has no watcher left
	r.ended++
	if l.a.err != nil {
		l.state = failed
		if r.n.debug {
			r.n.log("smtpport: route failed", "route", l.a.route.String(), "stage", string(l.a.stage), "err", l.a.err.Error())
		}
		r.due = time.Now() // the next route starts at once
		return l
	}
	l.state = ready
	if r.n.debug {
		r.n.log("smtpport: route ready", "route", l.a.route.String())
	}
	return nil
}

// pick returns the most preferred ready leg, unless a more preferred leg has TCP up and
// is still within its grace: then it returns nil and when that grace ends.
func (r *race) pick(now time.Time) (winner *leg, wait time.Time) {
	first := -1
	for i, l := range r.legs[:r.start] {
		if l.state == ready {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, time.Time{}
	}
	readyAt := r.legs[first].a.ready
	for _, l := range r.legs[:first] {
		if l.state != shaking {
			continue // failed, or still in connect: never waited for
		}
		if l.grace.IsZero() {
			l.grace = readyAt.Add(r.grace(l))
		}
		if now.Before(l.grace) {
			return nil, l.grace
		}
	}
	return r.legs[first], time.Time{}
}

// grace is how long a ready route waits for l, a more preferred route past connect,
// counted from when the waiting route became ready (see graceFor).
func (r *race) grace(l *leg) time.Duration {
	return graceFor(l.a.connect, int(l.a.trips.Load()))
}

// arm sets the one timer for whichever comes first: the next start or the end of the
// grace being waited out.
func (r *race) arm(grace time.Time) {
	wake := grace
	if r.start < len(r.legs) && !r.anyReady() && (wake.IsZero() || r.due.Before(wake)) {
		wake = r.due.Add(-timerSlack)
	}
	switch {
	case wake.IsZero():
		if r.timer != nil {
			r.timer.Stop()
		}
	case r.timer == nil:
		r.timer = time.NewTimer(time.Until(wake))
	default:
		r.timer.Reset(time.Until(wake))
	}
}

// isDue reports that the next route's head start has passed, to within timerSlack.
func (r *race) isDue(now time.Time) bool { return !now.Add(timerSlack).Before(r.due) }

func (r *race) latest() *leg {
	if r.start == 0 {
		return nil
	}
	return r.legs[r.start-1]
}

func (r *race) anyReady() bool {
	for _, l := range r.legs[:r.start] {
		if l.state == ready {
			return true
		}
	}
	return false
}

// lost reports that every route has been started and has failed.
func (r *race) lost() bool {
	if r.start < len(r.legs) {
		return false
	}
	for _, l := range r.legs {
		if l.state != failed {
			return false
		}
	}
	return true
}

// abandon cancels every started leg but keep, waits until each goroutine has ended, then
// drains the closed channel and closes the connection of every leg that got ready.
// Legs that were still running get label (ErrAbandoned when another route won or failed
// for good); with a nil label (the caller's context ended) they keep the error their own
// walk ended with, and ready ones get the context's.
func (r *race) abandon(keep *leg, label error) {
	r.settle(r.cancelAll(keep), label)
}

// cancelAll cancels every started leg but keep that has not failed, and returns them.
func (r *race) cancelAll(keep *leg) []*leg {
	var running []*leg
	for _, l := range r.legs[:r.start] {
		if l != keep && l.state != failed {
			running = append(running, l)
			l.cancel()
		}
	}
	return running
}

// settle is the rest of abandon, for legs cancelled by cancelAll.
func (r *race) settle(running []*leg, label error) {
	r.wg.Wait()
	close(r.events)
	for ev := range r.events {
		r.apply(ev)
	}
	for _, l := range running {
		a := l.a
		if a.conn != nil {
			a.conn.close()
			a.conn, a.end = nil, time.Now()
			if label == nil {
				a.err = contextError(&routeError{kind: ErrUnreachable, detail: "cancelled while ready"}, cause(r.ctx))
			}
		}
		if label != nil {
			a.err = label
		}
	}
}

// noteWait records how long the winner waited for a more preferred route, if it did.
func (r *race) noteWait(w *leg) {
	for _, l := range r.legs[:w.a.index] {
		if !l.grace.IsZero() {
			w.a.waited = time.Since(w.a.ready)
			return
		}
	}
}

// records lists the started routes' attempts in the order tried, and reports each to the
// trace that has not been yet.
func (r *race) records() []Attempt {
	out := make([]Attempt, 0, r.start)
	for _, l := range r.legs[:r.start] {
		rec := l.a.record()
		if !l.reported {
			l.reported = true
			r.n.cfg.Trace.done(rec)
		}
		out = append(out, rec)
	}
	return out
}

// finish abandons the losers and authenticates the winner: the only connection that
// ever sees credentials, with its own time for AUTH. The winner is remembered when route
// memory is on.
func (n *negotiation) finish(r *race, w *leg) (*Result, error) {
	a := w.a
	r.noteWait(w)
	// The losers are cancelled now and waited for once AUTH is done: their unwinding
	// (a connect being cancelled, a handshake cut off) does not delay the winner.
	losers := r.cancelAll(w)
	timeout := n.cfg.attemptTimeout()
	actx, cancel := context.WithTimeoutCause(r.ctx, timeout, attemptTimeoutCause(timeout))
	defer cancel()
	err := n.authenticate(actx, a)
	r.settle(losers, ErrAbandoned)
	if err != nil {
		a.err = err
		if expired(actx) {
			a.err = contextError(err, timeoutCause(actx, r.ctx, timeout))
		}
		a.conn.close()
		a.conn, a.end = nil, time.Now()
		return nil, n.failure(r.records())
	}
	c := a.conn
	handoff(c, n.cfg.CommandTimeout)
	a.reach(stageReady)
	a.end = time.Now()
	res := &Result{Client: c.client, Route: a.route, TLS: c.tls, Mechanism: c.mechanism,
		Attempts: r.records(), FromMemory: r.memo && a.index == 0}
	n.remember(Memo{Route: a.route, Connect: a.connect, At: time.Now()})
	if n.cfg.Logger != nil {
		n.cfg.Logger.Info("smtpport: negotiated", "route", res.Route.String(), "mechanism", res.Mechanism,
			"tls", tls.VersionName(res.TLS.Version), "elapsed", time.Since(r.begin))
	}
	return res, nil
}

// failure builds the error for a failed negotiation and drops the remembered route after
// a certificate or protocol failure: whatever the server now is, it is not the one that
// worked before.
func (n *negotiation) failure(attempts []Attempt) error {
	e := &Error{Attempts: attempts}
	if errors.Is(e, ErrCertificate) || errors.Is(e, ErrProtocol) {
		n.forget()
	}
	if n.cfg.Logger != nil {
		n.cfg.Logger.Warn("smtpport: negotiation failed", slog.String("err", e.Error()))
	}
	return e
}

// contextError adds why time ran out to an attempt error: the caller's context (so
// errors.Is(err, context.DeadlineExceeded) and context.Canceled hold) or the attempt
// timeout, which is not the caller's deadline and says so.
func contextError(err, cause error) error {
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	var re *routeError
	if errors.As(err, &re) {
		c := *re
		c.ctxErr = cause
		return &c
	}
	return errors.Join(err, cause)
}

// expired reports whether ctx is done or its deadline has passed. A connection deadline
// set from ctx can fire a moment before ctx itself reports DeadlineExceeded.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// timeoutCause says why actx, an attempt's context made from parent, ran out: the
// caller's context, or the attempt's own timeout. A passed deadline counts before ctx
// reports it (see expired).
func timeoutCause(actx, parent context.Context, d time.Duration) error {
	if c := context.Cause(actx); c != nil {
		return c
	}
	if expired(parent) {
		return cause(parent)
	}
	if dl, ok := actx.Deadline(); ok {
		if pdl, ok := parent.Deadline(); !ok || pdl.After(dl) {
			return attemptTimeout(d)
		}
	}
	return context.DeadlineExceeded
}

// cause is context.Cause, or what the deadline means when only the deadline has passed:
// the attempt timeout's own cause if ctx has one, else DeadlineExceeded.
func cause(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil {
		return c
	}
	return context.DeadlineExceeded
}
