//go:build integration

package integration_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// poolOutcome is how one Pool.Send ended, for what the Maildir must then hold.
type poolOutcome int

const (
	outDelivered poolOutcome = iota // nil: exactly once
	outUnknown                      // ErrOutcomeUnknown: at most once
	outNotSent                      // ErrTemporary, ErrPermanent, a negotiation or config error: never
	outUntyped                      // anything else: a bug in the Pool's error contract
	outcomeKinds
)

var outcomeNames = [outcomeKinds]string{"delivered", "outcome unknown", "not sent", "untyped"}

// classify sorts a Send's result by what it promises about delivery.
func classify(err error) poolOutcome {
	var (
		se *smtpport.SendError
		ne *smtpport.Error
	)
	switch {
	case err == nil:
		return outDelivered
	case errors.Is(err, smtpport.ErrOutcomeUnknown):
		return outUnknown
	case errors.As(err, &se) && (errors.Is(err, smtpport.ErrTemporary) || errors.Is(err, smtpport.ErrPermanent)),
		errors.As(err, &ne), errors.Is(err, smtpport.ErrConfig), isTyped(err):
		return outNotSent
	}
	return outUntyped
}

// TestPoolRestartMidRun: 20 goroutines send 5,000 messages through one Pool of 10
// connections while Postfix is stopped and started again a third of the way through.
// Every Send returns nil or a typed error; once Postfix's queue is empty, no message was
// accepted by Postfix twice (its log: queue files qmgr took per Message-ID), every one
// Send accepted is in the Maildir, a refused or unsent one is not. A message may be in
// the Maildir twice: Postfix delivers again one it was stopped while delivering
// (at-least-once across a crash), though it was sent and accepted once. Close leaves no
// connection, goroutine or fd.
func TestPoolRestartMidRun(t *testing.T) {
	const (
		workers  = 20
		messages = 5000
		poolSize = 10
	)
	tag := newID("pool") // unique per run
	ids := make([]string, messages)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s.%04d", tag, i)
	}

	// Warm up: the runtime's poller, the resolver and TLS state are created once.
	c, err := smtpport.Dial(bgContext(t, 20*time.Second), preset(), options(t)...)
	require.NoError(t, err)
	require.NoError(t, c.Quit())
	goleak.VerifyNone(t)
	fdsBefore := fdCount(t)

	logOffset := env.LogOffset()
	pool, err := smtpport.NewPool(preset(), options(t, smtpport.WithPoolSize(poolSize))...)
	require.NoError(t, err)

	var (
		next, completed atomic.Int64
		errs            = make([]error, messages)
		third           = make(chan struct{})
		reachedThird    = sync.OnceFunc(func() { close(third) })
		wg              sync.WaitGroup
	)
	from, to := env.User, []string{env.Address("it")}
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= messages {
					return
				}
				msg := fmt.Appendf(nil, "From: %s\r\nTo: %s\r\nSubject: smtpport pool restart\r\nMessage-ID: <%s>\r\n"+
					"Date: %s\r\n\r\nsent through smtpport.Pool by the integration tests\r\n",
					from, to[0], ids[i], time.Now().Format(time.RFC1123Z))
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				errs[i] = pool.Send(ctx, from, to, msg)
				cancel()
				if completed.Add(1) >= messages/3 {
					reachedThird()
				}
			}
		})
	}
	<-third
	restartAt := completed.Load()
	env.StopPostfix(t)
	env.StartPostfix(t)
	t.Logf("Postfix stopped and started after %d completed sends (%s in)", restartAt, time.Since(start).Round(time.Millisecond))
	wg.Wait()
	elapsed := time.Since(start)

	require.NoError(t, pool.Close())
	stats := pool.Stats()
	t.Logf("%d messages from %d goroutines over %d connections in %s (%.0f messages/s, restart included); stats %+v",
		messages, workers, poolSize, elapsed.Round(time.Millisecond), float64(messages)/elapsed.Seconds(), stats)
	require.Zero(t, stats.Open, "connections open after Close")
	goleak.VerifyNone(t)
	require.Equal(t, fdsBefore, fdCount(t), "open file descriptors after Close")

	var (
		byOutcome [outcomeKinds]int
		examples  [outcomeKinds][]string
	)
	for i, err := range errs {
		o := classify(err)
		byOutcome[o]++
		if err != nil && len(examples[o]) < 3 {
			examples[o] = append(examples[o], fmt.Sprintf("%s: %v", ids[i], err))
		}
	}
	for o, n := range byOutcome {
		t.Logf("%s: %d", outcomeNames[o], n)
		for _, e := range examples[o] {
			t.Logf("  e.g. %s", e)
		}
	}
	require.Zero(t, byOutcome[outUntyped], "Send errors that are neither *SendError, *Error nor a sentinel: %v", examples[outUntyped])
	require.EqualValues(t, stats.Sent, byOutcome[outDelivered], "Stats().Sent against nil returns")
	require.EqualValues(t, stats.Failed, messages-byOutcome[outDelivered], "Stats().Failed against error returns")

	waitFor(t, 3*time.Minute, "Postfix's queue is empty", env.QueueEmpty)
	got, err := messageCounts(tag)
	require.NoError(t, err)
	accepted, err := acceptances(logOffset, tag)
	require.NoError(t, err)
	inMaildir, redelivered := 0, 0
	for i, id := range ids {
		n, a := got[id], accepted[id]
		inMaildir += n
		// The client's promise is about what Postfix accepted; Postfix itself may deliver
		// one accepted message twice when it is stopped while delivering it (virtual(8)
		// wrote the Maildir file, qmgr(8) never heard): at-least-once across a crash.
		// Lines logged while postlogd is stopped are lost, so the log proves a second
		// acceptance but never a missing one.
		require.LessOrEqual(t, a, 1, "Message-ID %s accepted by Postfix %d times: sent again after its final dot", id, a)
		if n > 1 {
			require.LessOrEqual(t, n, 2, "Message-ID %s delivered %d times", id, n)
			redelivered++
			t.Logf("%s: accepted %d times by the log, delivered %d times (Postfix redelivered it after the restart)", id, a, n)
		}
		switch classify(errs[i]) {
		case outDelivered:
			require.GreaterOrEqual(t, n, 1, "Send returned nil for %s, but it is not in the Maildir", id)
		case outNotSent:
			require.Zero(t, a, "Send returned %v for %s, but Postfix accepted it", errs[i], id)
			require.Zero(t, n, "Send returned %v for %s, but it was delivered", errs[i], id)
		}
		delete(got, id)
	}
	require.Empty(t, got, "Message-IDs in the Maildir that no Send used")
	t.Logf("in the Maildir: %d of %d (%d nil, %d outcome unknown; %d redelivered by Postfix)", inMaildir, messages,
		byOutcome[outDelivered], byOutcome[outUnknown], redelivered)
}

// acceptances reads Postfix's log from offset: for each Message-ID starting with prefix,
// how many distinct queue files cleanup(8) finished and qmgr(8) took ("from=<...>"),
// that is, how many times Postfix accepted it. A transaction lost before its final "."
// leaves a cleanup line but never reaches qmgr.
func acceptances(offset int64, prefix string) (map[string]int, error) {
	lines, err := env.LogSince(offset)
	if err != nil {
		return nil, err
	}
	idOf := map[string]string{} // queue ID -> Message-ID
	queued := map[string]bool{} // queue IDs qmgr took
	for _, l := range lines {
		_, rest, ok := strings.Cut(l, "]: ")
		if !ok {
			continue
		}
		qid, event, ok := strings.Cut(rest, ": ")
		if !ok {
			continue
		}
		switch {
		case strings.Contains(l, "/cleanup[") && strings.HasPrefix(event, "message-id=<"):
			idOf[qid] = strings.TrimSuffix(strings.TrimPrefix(event, "message-id=<"), ">")
		case strings.Contains(l, "/qmgr[") && strings.HasPrefix(event, "from=<"):
			queued[qid] = true
		}
	}
	counts := map[string]int{}
	for qid := range queued {
		if id, ok := idOf[qid]; ok && strings.HasPrefix(id, prefix) {
			counts[id]++
		}
	}
	return counts, nil
}
