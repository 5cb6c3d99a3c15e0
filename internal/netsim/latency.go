package netsim

import (
	"context"
	"net"
	"os"
	"sync"
	"time"
)

// ContextDialer is what Latency wraps: a Dialer, a net.Dialer, or a proxy dialer.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// LatencyDialer adds a fixed one-way delay to every connection it opens, in both
// directions, as a link of round-trip time 2×OneWay would. Connect takes one round trip
// (SYN, SYN-ACK), a refusal arrives after one round trip, and every chunk written by
// either side is delivered OneWay after it was sent. Chunks are queued with their
// arrival time rather than slept on one by one, so pipelined writes overlap in flight
// as they do on a real link. tc netem does the same in the kernel; this needs no root.
type LatencyDialer struct {
	Inner  ContextDialer
	OneWay time.Duration
}

// WithLatency wraps inner so that its connections see oneWay delay each way.
func WithLatency(inner ContextDialer, oneWay time.Duration) *LatencyDialer {
	return &LatencyDialer{Inner: inner, OneWay: oneWay}
}

// DialContext dials through Inner after one round trip and wraps the connection.
func (d *LatencyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.OneWay <= 0 {
		return d.Inner.DialContext(ctx, network, addr)
	}
	t := time.NewTimer(2 * d.OneWay)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		return nil, dialError(network, addr, ctxErr(ctx))
	}
	c, err := d.Inner.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return newLatencyConn(c, d.OneWay), nil
}

// chunk is bytes (or the end of the stream) in flight.
type chunk struct {
	at   time.Time // when it is delivered
	data []byte
	err  error // set on the last chunk of a direction
}

// latencyConn delays both directions of c. A writer goroutine delivers the client's
// chunks to c at their time; a reader goroutine stamps what c yields and Read hands it
// out once due.
type latencyConn struct {
	net.Conn
	delay time.Duration
	// upAt is when the server side learns of the connection: half a round trip after the
	// client's connect returned (the final ACK). Nothing it sends can leave before then.
	upAt time.Time

	mu       sync.Mutex
	in, out  []chunk
	notify   chan struct{} // closed and replaced when in, out, closed or a deadline change
	closed   bool
	readDL   time.Time
	writeDL  time.Time
	done     chan struct{}
	wg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

func newLatencyConn(c net.Conn, delay time.Duration) *latencyConn {
	l := &latencyConn{Conn: c, delay: delay, upAt: time.Now().Add(delay), notify: make(chan struct{}), done: make(chan struct{})}
	l.wg.Add(2)
	go l.pumpIn()
	go l.pumpOut()
	return l
}

// wake tells waiters something changed; the caller holds l.mu.
func (l *latencyConn) wake() {
	close(l.notify)
	l.notify = make(chan struct{})
}

// pumpIn reads from the server side and queues each chunk for delivery one delay after
// it was sent (never before the server could have sent it).
func (l *latencyConn) pumpIn() {
	defer l.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := l.Conn.Read(buf)
		sent := time.Now()
		if sent.Before(l.upAt) {
			sent = l.upAt
		}
		c := chunk{at: sent.Add(l.delay), data: append([]byte(nil), buf[:n]...)}
		if err != nil {
			c.err = err
		}
		l.mu.Lock()
		if n > 0 || err != nil {
			l.in = append(l.in, c)
			l.wake()
		}
		l.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// pumpOut writes the client's chunks to the server side when they are due.
func (l *latencyConn) pumpOut() {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		if len(l.out) == 0 {
			ch := l.notify
			l.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-l.done:
				return
			}
		}
		c := l.out[0]
		l.mu.Unlock()
		if wait := time.Until(c.at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				return
			}
		}
		if _, err := l.Conn.Write(c.data); err != nil {
			return
		}
		l.mu.Lock()
		l.out = l.out[1:]
		l.mu.Unlock()
	}
}

// Read returns queued bytes once they are due, honouring the read deadline.
func (l *latencyConn) Read(p []byte) (int, error) {
	for {
		l.mu.Lock()
		now := time.Now()
		switch {
		case l.closed:
			l.mu.Unlock()
			return 0, net.ErrClosed
		case !l.readDL.IsZero() && !now.Before(l.readDL):
			l.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		var due time.Time
		if len(l.in) > 0 {
			c := &l.in[0]
			if !now.Before(c.at) {
				if len(c.data) > 0 {
					n := copy(p, c.data)
					c.data = c.data[n:]
					if len(c.data) == 0 && c.err == nil {
						l.in = l.in[1:]
					}
					l.mu.Unlock()
					return n, nil
				}
				err := c.err
				l.mu.Unlock()
				return 0, err
			}
			due = c.at
		}
		if !l.readDL.IsZero() && (due.IsZero() || l.readDL.Before(due)) {
			due = l.readDL
		}
		ch := l.notify
		l.mu.Unlock()
		l.wait(ch, due)
	}
}

// wait blocks until ch is closed or until (when not zero).
func (l *latencyConn) wait(ch <-chan struct{}, until time.Time) {
	if until.IsZero() {
		<-ch
		return
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}

// Write queues p for delivery one delay from now; it never blocks.
func (l *latencyConn) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, net.ErrClosed
	}
	if !l.writeDL.IsZero() && !time.Now().Before(l.writeDL) {
		return 0, os.ErrDeadlineExceeded
	}
	l.out = append(l.out, chunk{at: time.Now().Add(l.delay), data: append([]byte(nil), p...)})
	l.wake()
	return len(p), nil
}

// Close closes the real connection at once (in-flight bytes are lost, as with a reset)
// and waits for both pumps to end.
func (l *latencyConn) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.wake()
		l.mu.Unlock()
		close(l.done)
		l.closeErr = l.Conn.Close()
		l.wg.Wait()
	})
	return l.closeErr
}

func (l *latencyConn) SetDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.readDL, l.writeDL = t, t
	l.wake()
	return nil
}

func (l *latencyConn) SetReadDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.readDL = t
	l.wake()
	return nil
}

func (l *latencyConn) SetWriteDeadline(t time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeDL = t
	return nil
}
