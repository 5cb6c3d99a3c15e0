package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/smtp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/presets"
)

// sender is one contender of the pool throughput scenario: it sends messages over conns
// connections, one goroutine per connection, and returns how many went through.
type sender struct {
	name string
	run  func(ctx context.Context, tg *target, conns, messages int) (int64, error)
}

var senders = []sender{
	{name: "smtpport.Pool", run: runPool},
	{name: "knadh/smtppool v1.1.0 (told the port: 465)", run: runSMTPPool},
	{name: "hand-written net/smtp loop (Dial once, MAIL/RCPT/DATA/RSET)", run: runLoop},
}

// target is the server the senders send to, and what they send.
type target struct {
	preset   presets.Preset
	opts     func() []smtpport.Option // Dial's options, fresh per run (no TLS session cache carried over)
	from, to string
	msg      []byte
	// smtppool dials a real address itself: the implicit-TLS listener's, with this TLS
	// configuration and password.
	addr465  string
	tls      func() *tls.Config
	password string
	// before, when set, runs before each measured run (e.g. wait for Postfix's queue).
	before func() error
}

func newMessage(from, to string) []byte {
	return []byte("From: " + from + "\r\nTo: " + to + "\r\nSubject: bench\r\n\r\n" +
		"a short message from the pool throughput scenario\r\n")
}

// runPool sends through one smtpport.Pool of conns connections, from conns goroutines.
func runPool(ctx context.Context, tg *target, conns, messages int) (int64, error) {
	pool, err := smtpport.NewPool(tg.preset, append(tg.opts(), smtpport.WithPoolSize(conns))...)
	if err != nil {
		return 0, err
	}
	to := []string{tg.to}
	sent, err := spread(conns, messages, func(next func() bool) error {
		for next() {
			if err := pool.Send(ctx, tg.from, to, tg.msg); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := pool.Close(); err == nil {
		err = cerr
	}
	return sent, err
}

// runLoop is what a careful program writes by hand: conns clients from smtpport.Dial,
// each sending in a loop with RSET between messages.
func runLoop(ctx context.Context, tg *target, conns, messages int) (int64, error) {
	return spread(conns, messages, func(next func() bool) error {
		c, err := smtpport.Dial(ctx, tg.preset, tg.opts()...)
		if err != nil {
			return err
		}
		defer c.Close()
		for next() {
			if err := loopSend(c, tg); err != nil {
				return err
			}
		}
		return c.Quit()
	})
}

func loopSend(c *smtp.Client, tg *target) error {
	if err := c.Reset(); err != nil {
		return err
	}
	if err := c.Mail(tg.from); err != nil {
		return err
	}
	if err := c.Rcpt(tg.to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(tg.msg); err != nil {
		return err
	}
	return w.Close()
}

// spread runs work on n goroutines that share messages: next claims one.
func spread(n, messages int, work func(next func() bool) error) (int64, error) {
	var (
		claimed, done atomic.Int64
		wg            sync.WaitGroup
		errs          = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			first := true
			errs[i] = work(func() bool {
				if !first {
					done.Add(1)
				}
				first = false
				return claimed.Add(1) <= int64(messages)
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return done.Load(), err
		}
	}
	return done.Load(), nil
}

// ceiling is a program measured beside the senders (Postfix's smtp-source), which
// reports only its wall time.
type ceiling struct {
	name string
	run  func(conns, messages int) error
}

// runPoolThroughput measures messages/s for each sender at each connection count, the
// runs interleaved sender by sender so the machine's load falls on all alike, and prints
// a markdown table. only, when set, keeps the senders whose name contains it.
func runPoolThroughput(title string, tg *target, messages, rounds int, connCounts []int, only string, ceil *ceiling) error {
	run := senders
	if only != "" {
		run = nil
		for _, s := range senders {
			if strings.Contains(s.name, only) {
				run = append(run, s)
			}
		}
	}
	fmt.Printf("## Pool throughput: %s\n\n%d messages per run, %d runs per cell interleaved (each round starting "+
		"with the next sender); "+
		"one goroutine per connection; each run starts with no connection open. CPU and allocations are "+
		"the sending process's own, per message.\n\n", title, messages, rounds)
	fmt.Println("| connections | sender | messages/s (median) | best | × loop (median) | CPU µs/msg (median) | allocs/msg |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, n := range connCounts {
		rates := make([][]float64, len(run))
		cpus := make([][]float64, len(run))
		allocs := make([][]float64, len(run))
		var ceilRates []float64
		for round := range rounds {
			// Each round starts with the next sender, so no one always runs right after
			// the same other (the server's GC, the CPUs' state).
			for k := range run {
				i := (round + k) % len(run)
				s := run[i]
				r, err := throughput(tg, s, n, messages)
				if err != nil {
					return err
				}
				rates[i] = append(rates[i], r.rate)
				cpus[i] = append(cpus[i], r.cpuPerMsg)
				allocs[i] = append(allocs[i], r.allocsPerMsg)
			}
			if ceil != nil {
				if tg.before != nil {
					if err := tg.before(); err != nil {
						return err
					}
				}
				start := time.Now()
				if err := ceil.run(n, messages); err != nil {
					return fmt.Errorf("%s, %d connections: %w", ceil.name, n, err)
				}
				ceilRates = append(ceilRates, float64(messages)/time.Since(start).Seconds())
			}
		}
		loopMedian := 0.0
		if last := len(run) - 1; last >= 0 && run[last].name == senders[len(senders)-1].name {
			_, loopMedian = bestAndMedian(rates[last])
		}
		ratio := func(med float64) string {
			if loopMedian == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f×", med/loopMedian)
		}
		for i, s := range run {
			best, med := bestAndMedian(rates[i])
			_, cpu := bestAndMedian(cpus[i])
			_, al := bestAndMedian(allocs[i])
			fmt.Printf("| %d | %s | %.0f | %.0f | %s | %.1f | %.0f |\n", n, s.name, med, best, ratio(med), cpu, al)
		}
		if ceil != nil {
			best, med := bestAndMedian(ceilRates)
			fmt.Printf("| %d | %s | %.0f | %.0f | %s | – | – |\n", n, ceil.name, med, best, ratio(med))
		}
	}
	fmt.Println()
	return nil
}

// runFigures are one run's results.
type runFigures struct {
	rate         float64 // messages/s
	cpuPerMsg    float64 // µs of this process's CPU (user + system) per message
	allocsPerMsg float64
}

// throughput is one run: messages/s from the first Dial to the last reply (and Close).
func throughput(tg *target, s sender, conns, messages int) (runFigures, error) {
	if tg.before != nil {
		if err := tg.before(); err != nil {
			return runFigures{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	start := time.Now()
	sent, err := s.run(ctx, tg, conns, messages)
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&ms1)
	if err != nil {
		return runFigures{}, fmt.Errorf("%s, %d connections: after %d messages: %w", s.name, conns, sent, err)
	}
	if sent != int64(messages) {
		return runFigures{}, fmt.Errorf("%s, %d connections: sent %d of %d", s.name, conns, sent, messages)
	}
	return runFigures{
		rate:         float64(messages) / elapsed.Seconds(),
		cpuPerMsg:    float64(cpu.Microseconds()) / float64(messages),
		allocsPerMsg: float64(ms1.Mallocs-ms0.Mallocs) / float64(messages),
	}, nil
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func bestAndMedian(xs []float64) (best, median float64) {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)-1], s[len(s)/2]
}
