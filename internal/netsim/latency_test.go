package netsim_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoServer echoes every connection until it closes.
func echoServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(c, c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

func TestLatencyConnCarriesBytesInOrder(t *testing.T) {
	addr := echoServer(t)
	d := netsim.WithLatency(netsim.New(), 2*time.Millisecond)
	c, err := d.DialContext(context.Background(), "tcp", addr)
	require.NoError(t, err)
	defer c.Close()

	// Pipelined writes: all in flight together, read back whole and in order.
	want := ""
	for _, s := range []string{"EHLO a\r\n", "MAIL FROM:<a@b>\r\n", "RCPT TO:<c@d>\r\n"} {
		_, err := c.Write([]byte(s))
		require.NoError(t, err)
		want += s
	}
	got := make([]byte, len(want))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.Equal(t, want, string(got))
}

func TestLatencyConnDeadlineAndClose(t *testing.T) {
	addr := echoServer(t)
	d := netsim.WithLatency(netsim.New(), time.Millisecond)
	c, err := d.DialContext(context.Background(), "tcp", addr)
	require.NoError(t, err)

	require.NoError(t, c.SetReadDeadline(time.Unix(1, 0))) // how negotiate cancels a read
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)

	require.NoError(t, c.SetReadDeadline(time.Time{}))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1)) // nothing was sent: blocks until Close
		errc <- err
	}()
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-errc, net.ErrClosed)
	_, err = c.Write([]byte("x"))
	assert.ErrorIs(t, err, net.ErrClosed)
	// goleak in TestMain (netsim_test.go) checks both pumps ended.
}

func TestLatencyDialerKeepsInnerBehaviour(t *testing.T) {
	inner := netsim.New()
	inner.Set("blocked.example.test:587", netsim.Refuse)
	inner.Set("dropped.example.test:587", netsim.Blackhole)
	d := netsim.WithLatency(inner, time.Millisecond)

	_, err := d.DialContext(context.Background(), "tcp", "blocked.example.test:587")
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = d.DialContext(ctx, "tcp", "dropped.example.test:587")
	assert.Error(t, err)
	assert.Equal(t, 1, inner.TotalDials(), "a cancelled connect never reaches the inner dialer")
}
