package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// probeRun is what one probe found: a report per candidate, in the candidates' order,
// and the engine's answer for the routes Dial would use: the Result names the route it
// would authenticate on, or the error is the one it would return.
type probeRun struct {
	reps   []routeReport
	result *negotiate.Result
	err    error
}

// probeAll races the Dial candidates as Dial would (negotiate.Config.Probe: same rules
// and timings, no credentials, every route reported to its end) and, beside that race,
// the informational ones (port 25), which must not sway the verdict. Every connection
// has ended when it returns.
func probeAll(ctx context.Context, t target, s connectSettings, prog *progress) probeRun {
	c := newCollector(t, prog)
	var dial, info []negotiate.Route
	for _, cand := range t.candidates {
		if cand.dial {
			dial = append(dial, cand.route)
		} else {
			info = append(info, cand.route)
		}
	}
	var run probeRun
	var wg sync.WaitGroup
	if len(info) > 0 {
		wg.Go(func() {
			_, err := negotiate.Negotiate(ctx, probeConfig(s, info, c.trace()))
			c.settle(ctx, info, nil, err)
		})
	}
	if len(dial) > 0 {
		run.result, run.err = negotiate.Negotiate(ctx, probeConfig(s, dial, c.trace()))
		c.settle(ctx, dial, run.result, run.err)
	}
	wg.Wait()
	run.reps = c.reps
	return run
}

// probeConfig is the engine's configuration for a probe of routes. TLS sessions are not
// resumed: a probe reports the certificate the server presents now, and costs what a
// first Dial costs.
func probeConfig(s connectSettings, routes []negotiate.Route, trace *negotiate.Trace) negotiate.Config {
	tlsCfg := &tls.Config{}
	if s.tls != nil {
		tlsCfg = s.tls.Clone()
	}
	tlsCfg.SessionTicketsDisabled = true
	return negotiate.Config{Routes: routes, TLSConfig: tlsCfg, Dialer: s.dialer, AttemptTimeout: s.timeout,
		Probe: true, Trace: trace}
}

// collector builds the reports from the engine's trace. The trace calls come from the
// engine's goroutines, one route's in order: mu guards everything.
type collector struct {
	mu      sync.Mutex
	reps    []routeReport
	index   map[negotiate.Route]int
	began   []time.Time // when each route's dial began
	stageAt []time.Time // when its current stage began; zero when none is open
	prog    *progress
}

func newCollector(t target, prog *progress) *collector {
	n := len(t.candidates)
	c := &collector{reps: make([]routeReport, n), index: map[negotiate.Route]int{},
		began: make([]time.Time, n), stageAt: make([]time.Time, n), prog: prog}
	for i, cand := range t.candidates {
		c.reps[i].Route = cand.route
		c.index[cand.route] = i
	}
	return c
}

func (c *collector) trace() *negotiate.Trace {
	return &negotiate.Trace{
		Stage: func(r negotiate.Route, s negotiate.Stage) {
			c.with(r, func(i int, rep *routeReport) {
				now := time.Now()
				if s == "dial" {
					c.began[i] = now
				}
				c.endStage(i, now)
				rep.Stage = string(s)
				if s != "ready" {
					c.stageAt[i] = now
					rep.Stages = append(rep.Stages, stageTime{Stage: string(s)})
				}
				if c.prog != nil {
					c.prog.stage(i, string(s))
				}
			})
		},
		Connected: func(r negotiate.Route, took time.Duration, err error) {
			c.with(r, func(_ int, rep *routeReport) { rep.Connect, rep.ConnectTime = connectOutcome(err), took })
		},
		Greeting: func(r negotiate.Route, text string) {
			c.with(r, func(_ int, rep *routeReport) { rep.Greeting = text })
		},
		EHLO: func(r negotiate.Route, ext map[string]string, overTLS bool) {
			c.with(r, func(_ int, rep *routeReport) {
				rep.Extensions, rep.ExtensionsBeforeTLS = orderedExtensions(ext), !overTLS
				if !overTLS {
					_, rep.STARTTLSOffered = ext["STARTTLS"]
				}
			})
		},
		TLS: func(r negotiate.Route, cs tls.ConnectionState, err error) {
			c.with(r, func(_ int, rep *routeReport) { rep.TLS = newTLSInfo(cs, err) })
		},
		Done: func(a negotiate.Attempt) {
			c.with(a.Route, func(i int, rep *routeReport) {
				c.endStage(i, c.began[i].Add(a.Elapsed))
				c.record(rep, a)
				if c.prog != nil {
					c.prog.finished(i, *rep)
				}
			})
		},
	}
}

// with runs f on the report of route r, under mu.
func (c *collector) with(r negotiate.Route, f func(i int, rep *routeReport)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[r]; ok {
		f(i, &c.reps[i])
	}
}

// endStage closes route i's open stage at end.
func (c *collector) endStage(i int, end time.Time) {
	if c.stageAt[i].IsZero() {
		return
	}
	st := &c.reps[i].Stages[len(c.reps[i].Stages)-1]
	st.Duration = max(end.Sub(c.stageAt[i]), 0)
	c.stageAt[i] = time.Time{}
}

func (c *collector) record(rep *routeReport, a negotiate.Attempt) {
	rep.Attempt, rep.started = a, true
	rep.Err, rep.Stage, rep.Elapsed = a.Err, string(a.Stage), a.Elapsed
}

// settle takes the engine's final records of routes (Waited is only known once the race
// is decided) and says why a route has none: the configuration was refused, or time ran
// out before its turn.
func (c *collector) settle(ctx context.Context, routes []negotiate.Route, res *negotiate.Result, err error) {
	var attempts []negotiate.Attempt
	var nerr *negotiate.Error
	switch {
	case res != nil:
		attempts = res.Attempts
	case errors.As(err, &nerr):
		attempts = nerr.Attempts
	}
	for _, a := range attempts {
		c.with(a.Route, func(_ int, rep *routeReport) { c.record(rep, a) })
	}
	for _, r := range routes {
		c.with(r, func(_ int, rep *routeReport) {
			switch {
			case rep.started:
			case nerr == nil && err != nil: // refused before anything was dialed
				rep.Connect, rep.Err = connectFailed, err
			default:
				cause := context.Cause(ctx)
				if cause == nil {
					cause = context.DeadlineExceeded
				}
				rep.Err = fmt.Errorf("%w: not started: %w", negotiate.ErrUnreachable, cause)
			}
			if !rep.started && c.prog != nil {
				c.prog.finished(c.index[r], *rep)
			}
		})
	}
}
