package main

import (
	"context"
	"fmt"
	"net/smtp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/presets"
)

// sender is one contender of the pool throughput scenario: it sends messages over conns
// connections, one goroutine per connection, and returns how many went through.
type sender struct {
	name string
	run  func(ctx context.Context, opts []smtpport.Option, conns, messages int) (int64, error)
}

var senders = []sender{
	{name: "smtpport.Pool", run: runPool},
	{name: "knadh/smtppool v1.1.0 (told the port: 465)", run: runSMTPPool},
	{name: "hand-written net/smtp loop (Dial once, MAIL/RCPT/DATA/RSET)", run: runLoop},
}

var benchMessage = []byte("From: " + benchUser + "\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n" +
	"a short message from the pool throughput scenario\r\n")

// runPool sends through one smtpport.Pool of conns connections, from conns goroutines.
func runPool(ctx context.Context, opts []smtpport.Option, conns, messages int) (int64, error) {
	pool, err := smtpport.NewPool(presets.Custom(serverHost), append(opts, smtpport.WithPoolSize(conns))...)
	if err != nil {
		return 0, err
	}
	sent, err := spread(conns, messages, func(next func() bool) error {
		for next() {
			if err := pool.Send(ctx, benchUser, []string{"bob@example.test"}, benchMessage); err != nil {
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
func runLoop(ctx context.Context, opts []smtpport.Option, conns, messages int) (int64, error) {
	return spread(conns, messages, func(next func() bool) error {
		c, err := smtpport.Dial(ctx, presets.Custom(serverHost), opts...)
		if err != nil {
			return err
		}
		defer c.Close()
		for next() {
			if err := loopSend(c); err != nil {
				return err
			}
		}
		return c.Quit()
	})
}

func loopSend(c *smtp.Client) error {
	if err := c.Reset(); err != nil {
		return err
	}
	if err := c.Mail(benchUser); err != nil {
		return err
	}
	if err := c.Rcpt("bob@example.test"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(benchMessage); err != nil {
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

// runPoolThroughput measures messages/s for each sender at each connection count, the
// runs interleaved sender by sender so the machine's load falls on all alike, and prints
// a markdown table.
func runPoolThroughput(srv *remote, messages, rounds int, connCounts []int) error {
	poolServer = srv
	fmt.Printf("## Pool throughput\n\n%d messages per run, %d runs per cell interleaved, no added latency; "+
		"one goroutine per connection; each run starts with no connection open.\n\n", messages, rounds)
	fmt.Println("| connections | sender | messages/s (median) | best | × loop (median) |")
	fmt.Println("|---|---|---|---|---|")
	for _, n := range connCounts {
		rates := make([][]float64, len(senders))
		for range rounds {
			for i, s := range senders {
				r, err := throughput(srv, s, n, messages)
				if err != nil {
					return err
				}
				rates[i] = append(rates[i], r)
			}
		}
		_, loopMedian := bestAndMedian(rates[len(senders)-1])
		for i, s := range senders {
			best, med := bestAndMedian(rates[i])
			fmt.Printf("| %d | %s | %.0f | %.0f | %.2f× |\n", n, s.name, med, best, med/loopMedian)
		}
	}
	fmt.Println()
	return nil
}

// throughput is one run: messages/s from the first Dial to the last reply (and Close).
func throughput(srv *remote, s sender, conns, messages int) (float64, error) {
	opts := []smtpport.Option{
		smtpport.WithTLSConfig(srv.tlsConfig()),
		smtpport.WithDialer(srv.dialer(nil)),
		smtpport.WithLocalName(benchHELO),
		smtpport.WithPassword(benchUser, benchPass),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	sent, err := s.run(ctx, opts, conns, messages)
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s, %d connections: after %d messages: %w", s.name, conns, sent, err)
	}
	if sent != int64(messages) {
		return 0, fmt.Errorf("%s, %d connections: sent %d of %d", s.name, conns, sent, messages)
	}
	return float64(messages) / elapsed.Seconds(), nil
}

func bestAndMedian(xs []float64) (best, median float64) {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)-1], s[len(s)/2]
}
