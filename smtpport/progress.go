package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// progress shows one line per route while the probes run. On a terminal the lines are
// redrawn in place (ANSI cursor-up and clear-line) every tick, with the stage each route
// is waiting in and for how long; otherwise each route's line is printed once, when it
// finishes. Its methods are safe for concurrent use.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	live   bool
	labels []string
	stages []string
	starts []time.Time
	done   []string // the final line of each finished route
	drawn  int      // lines currently on screen (live mode)
	stop   chan struct{}
	wg     sync.WaitGroup
}

// progressTick is how often live lines are redrawn.
const progressTick = 100 * time.Millisecond

// lineWidth keeps a live line from wrapping, which would break the cursor-up redraw.
const lineWidth = 79

func newProgress(w io.Writer, live bool, t target) *progress {
	p := &progress{w: w, live: live, stop: make(chan struct{})}
	// One host (the usual case) is named in the header; the lines then say only
	// "587/starttls", which leaves room for the outcome on an 80-column terminal.
	// Route hosts may come from DNS: labels are made safe before they are padded.
	label := func(r negotiate.Route) string { return shortRoute(r) }
	for _, c := range t.candidates {
		if c.route.Host != t.candidates[0].route.Host {
			label = func(r negotiate.Route) string { return safe(r.String()) }
		}
	}
	width := 0
	for _, c := range t.candidates {
		width = max(width, textWidth(label(c.route)))
	}
	for _, c := range t.candidates {
		l := label(c.route)
		p.labels = append(p.labels, l+strings.Repeat(" ", width-textWidth(l)))
	}
	n := len(t.candidates)
	p.stages, p.starts, p.done = make([]string, n), make([]time.Time, n), make([]string, n)
	now := time.Now()
	for i := range p.starts {
		p.starts[i] = now
	}
	if live {
		p.redraw()
		p.wg.Add(1)
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// stage records that route i entered stage.
func (p *progress) stage(i int, stage string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stages[i] = stage
	if p.live {
		p.redraw()
	}
}

// finished records route i's outcome.
func (p *progress) finished(i int, r routeReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[i] = safe(fmt.Sprintf("%-11s %s", status(r), summary(r)))
	if p.live {
		p.redraw()
		return
	}
	fmt.Fprintf(p.w, "  %s  %s\n", p.labels[i], p.done[i])
}

// close stops the redraws, leaving the final lines on screen.
func (p *progress) close() {
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		p.redraw()
	}
}

// redraw rewrites every line in place. Called with mu held.
func (p *progress) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn) // cursor up to the first line
	}
	for i, label := range p.labels {
		state := p.done[i]
		if state == "" {
			state = fmt.Sprintf("%-11s %.1fs", waiting(p.stages[i]), time.Since(p.starts[i]).Seconds())
		}
		line := safe("  " + label + "  " + state)
		if r := []rune(line); len(r) > lineWidth {
			line = string(r[:lineWidth-1]) + "…"
		}
		b.WriteString("\r\x1b[2K") // clear the line
		b.WriteString(line)
		b.WriteString("\n")
	}
	p.drawn = len(p.labels)
	io.WriteString(p.w, b.String())
}

// waiting says what a route in stage is waiting for.
func waiting(stage string) string {
	switch negotiate.Stage(stage) {
	case "", "dial":
		return "connecting…"
	case "greeting":
		return "greeting…"
	case "ehlo":
		return "EHLO…"
	case "starttls":
		return "STARTTLS…"
	case "tls":
		return "TLS handshake…"
	case "ready":
		return "ready…" // waiting for the race's decision
	}
	return stage + "…"
}
