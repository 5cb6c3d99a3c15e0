package negotiate

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/smtp"
	"strings"
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

// ErrAbandoned marks a route that was still working when another route won or when
// another route's failure ended negotiation.
var ErrAbandoned = errors.New("abandoned")

// Negotiate races cfg.Routes and returns the first most-preferred route that reaches
// verified TLS, authenticated with cfg.Credentials. On failure the error is an *Error.
func Negotiate(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &negotiation{cfg: &cfg, log: func(string, ...any) {}}
	if cfg.Logger != nil && cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		n.log = func(msg string, args ...any) { cfg.Logger.Debug(msg, args...) }
		n.debug = true
	}
	return n.run(ctx)
}

type negotiation struct {
	cfg   *Config
	log   func(msg string, args ...any)
	debug bool // log is live; when false, skip building log arguments on the hot path
}

// routeState is the coordinator's view of one route.
type routeState int

const (
	notStarted routeState = iota
	dialing               // connect in progress: never waited for by a ready route
	connected             // TCP up, handshake in progress: less preferred ready routes wait for it
	ready
	failed
)

type event struct {
	index     int
	connected bool          // TCP is up; otherwise the attempt has finished
	connect   time.Duration // how long TCP connect took, when connected
	attempt   *attempt      // set when finished
}

// race is the coordinator's state; only run's goroutine touches it.
type race struct {
	n         *negotiation
	ctx       context.Context
	routes    []Route // in the order they are tried
	states    []routeState
	finished  []*attempt
	cancels   []context.CancelFunc
	startedAt []time.Time
	connects  []time.Duration          // per route, once TCP is up
	known     map[string]time.Duration // latest connect time per host: sets the head start
	alone     bool                     // routes[0] is remembered: once connected it runs alone
	started   int
	begin     time.Time
	events    chan event
	wg        sync.WaitGroup
	stagger   *time.Timer
}

// run is the coordinator. Route i+1 starts when a started route fails, or when the
// latest route has had its head start (the stagger, adaptive unless Config.Stagger is
// set; see rearm). The winner is the most preferred ready route with no more preferred
// route past connect. Every loser is cancelled, its goroutine has ended and its
// connection is closed before run returns.
func (n *negotiation) run(parent context.Context) (*Result, error) {
	ctx, cancelAll := context.WithCancel(parent)
	routes, memo, recalled := n.recall()
	r := &race{
		n:         n,
		ctx:       ctx,
		routes:    routes,
		states:    make([]routeState, len(routes)),
		finished:  make([]*attempt, len(routes)),
		cancels:   make([]context.CancelFunc, len(routes)),
		startedAt: make([]time.Time, len(routes)),
		connects:  make([]time.Duration, len(routes)),
		known:     map[string]time.Duration{},
		alone:     recalled,
		events:    make(chan event, 2*len(routes)), // at most two sends per attempt: never blocks
		stagger:   time.NewTimer(time.Hour),
		begin:     time.Now(),
	}
	if recalled && memo.Connect > 0 {
		r.known[memo.Route.Host] = memo.Connect
	}
	defer func() {
		cancelAll()
		r.wg.Wait()
		r.stagger.Stop()
	}()

	r.start()
	for {
		if w, ok := r.pick(); ok {
			return n.finish(r, r.finished[w])
		}
		if r.allFailed() && (r.started == len(routes) || expired(ctx)) {
			return nil, n.failure(r.records())
		}
		select {
		case <-r.stagger.C:
			r.start()
		case ev := <-r.events:
			lost := r.apply(ev)
			switch {
			case lost && IsFinal(ev.attempt.err):
				r.abandonAll(-1)
				return nil, n.failure(r.records())
			case lost:
				r.start()
			default:
				r.rearm()
			}
		}
	}
}

// start launches the next route, if any remain and the context is live.
func (r *race) start() {
	if r.started >= len(r.states) || expired(r.ctx) {
		return
	}
	i := r.started
	r.started++
	// The attempt context outlives the goroutine: a ready connection's watcher hangs on
	// it until the winner is handed over or the loser is closed.
	actx, cancel := context.WithTimeout(r.ctx, r.n.cfg.attemptTimeout())
	r.cancels[i] = cancel
	r.states[i] = dialing
	a := &attempt{index: i, route: r.routes[i], begin: r.begin, start: time.Now(), log: r.n.log, debug: r.n.debug}
	r.startedAt[i] = a.start
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.n.handshake(actx, a, func() { r.events <- event{index: i, connected: true, connect: time.Since(a.start)} })
		if a.err != nil && expired(actx) {
			a.err = contextError(a.err, cause(actx))
		}
		a.end = time.Now()
		r.events <- event{index: i, attempt: a}
	}()
	r.rearm()
}

// apply records an event; it reports whether the event was a failure.
func (r *race) apply(ev event) bool {
	switch {
	case ev.connected:
		if r.states[ev.index] == dialing {
			r.states[ev.index] = connected
		}
		r.connects[ev.index] = ev.connect
		r.known[r.routes[ev.index].Host] = ev.connect
		return false
	case ev.attempt.err != nil:
		r.states[ev.index], r.finished[ev.index] = failed, ev.attempt
		if r.n.debug {
			r.n.log("smtpport: route failed", "route", ev.attempt.route.String(), "stage", ev.attempt.stage, "err", ev.attempt.err.Error())
		}
		return true
	default:
		r.states[ev.index], r.finished[ev.index] = ready, ev.attempt
		if r.n.debug {
			r.n.log("smtpport: route ready", "route", ev.attempt.route.String())
		}
		return false
	}
}

// pick returns the most preferred ready route, unless a more preferred route has TCP up
// and is still handshaking: it is alive and will finish soon, so it is waited for.
func (r *race) pick() (int, bool) {
	for i, s := range r.states {
		switch s {
		case ready:
			return i, true
		case connected:
			return 0, false
		}
	}
	return 0, false
}

func (r *race) allFailed() bool {
	for _, s := range r.states[:r.started] {
		if s != failed {
			return false
		}
	}
	return true
}

// abandonAll cancels every started route but keep, waits until each has finished, and
// closes the connections of those that got ready. Routes that had not failed on their
// own are recorded as abandoned, at the stage they had reached.
func (r *race) abandonAll(keep int) {
	running := make([]bool, r.started)
	for i, cancel := range r.cancels[:r.started] {
		if i != keep && r.states[i] != failed {
			running[i] = true
			cancel()
		}
	}
	for i := range r.started {
		for running[i] && r.finished[i] == nil {
			r.apply(<-r.events)
		}
		if !running[i] {
			continue
		}
		a := r.finished[i]
		if a.conn != nil {
			a.conn.close()
			a.conn = nil
		}
		a.err = ErrAbandoned
	}
}

// records lists the started routes' attempts in preference order.
func (r *race) records() []Attempt {
	out := make([]Attempt, 0, r.started)
	for _, a := range r.finished[:r.started] {
		if a != nil {
			out = append(out, a.record())
		}
	}
	return out
}

// finish abandons the losers and authenticates the winner: the only connection that
// ever sees credentials. The winner is remembered when route memory is on.
func (n *negotiation) finish(r *race, w *attempt) (*Result, error) {
	r.abandonAll(w.index)
	if err := n.authenticate(r.ctx, w); err != nil {
		w.err = err
		if expired(r.ctx) {
			w.err = contextError(err, cause(r.ctx))
		}
		w.conn.close()
		w.conn, w.end = nil, time.Now()
		return nil, n.failure(r.records())
	}
	// Hand over: no deadline, no watcher, no cap. A context cancelled after this point
	// must not touch the client.
	if !w.conn.unwatch() {
		w.err = contextError(&routeError{kind: ErrUnreachable, detail: "cancelled at handoff"}, cause(r.ctx))
		w.conn.client.Close()
		w.conn = nil
		return nil, n.failure(r.records())
	}
	w.conn.tap.SetDeadline(time.Time{})
	w.conn.tap.handoff()
	w.reach(StageReady)
	w.end = time.Now()
	res := &Result{Client: w.conn.client, Route: w.route, TLS: w.conn.tls, Mechanism: w.conn.mechanism,
		Attempts: r.records(), FromMemory: r.alone && w.index == 0}
	n.remember(Memo{Route: w.route, Connect: r.connects[w.index], At: time.Now()})
	if n.cfg.Logger != nil {
		n.cfg.Logger.Info("smtpport: negotiated", "route", res.Route.String(), "mechanism", res.Mechanism,
			"tls", tls.VersionName(res.TLS.Version), "elapsed", time.Since(w.start))
	}
	return res, nil
}

func (n *negotiation) authenticate(ctx context.Context, w *attempt) error {
	creds := n.cfg.Credentials
	if creds == nil {
		return nil
	}
	if expired(ctx) {
		// Time ran out while this route waited for a more preferred one. Sending AUTH
		// now would fail on the deadline and read as a rejected password.
		return &routeError{kind: ErrUnreachable, detail: "no time left to authenticate; nothing was sent"}
	}
	w.reach(StageAuth)
	var auth smtp.Auth
	var err error
	if tc, ok := creds.(TLSCredentials); ok {
		auth, err = tc.AuthTLS(ctx, w.conn.mechanism, w.route.Host, w.conn.tls)
	} else {
		auth, err = creds.Auth(ctx, w.conn.mechanism, w.route.Host)
	}
	if err != nil {
		return &routeError{kind: ErrAuthFailed, detail: "could not prepare credentials", cause: err, final: true}
	}
	rec := &recordingAuth{Auth: auth, mech: w.conn.mechanism}
	err = w.conn.client.Auth(rec)
	if w.conn.tap.exceeded {
		return oversize(StageAuth)
	}
	if err != nil {
		return classifyAuth(err, w.route.Host, rec.mech)
	}
	w.conn.mechanism = rec.mech
	return nil
}

// recordingAuth notes the mechanism the Auth really started (mech starts as the chosen
// one), so Result.Mechanism is right even for a custom smtp.Auth named only in Start.
type recordingAuth struct {
	smtp.Auth
	mech string
}

func (r *recordingAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	mech, resp, err := r.Auth.Start(server)
	if err == nil {
		r.mech = strings.ToUpper(mech)
	}
	return mech, resp, err
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

// contextError adds the context's cause to an attempt error so errors.Is(err,
// context.DeadlineExceeded) and errors.Is(err, context.Canceled) hold.
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

// cause is context.Cause, or DeadlineExceeded when only the deadline has passed.
func cause(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil {
		return c
	}
	return context.DeadlineExceeded
}
