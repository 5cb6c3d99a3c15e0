package netsim

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDialer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	d := New()
	d.Map("mail.example.test:587", l.Addr().String())

	c, err := d.DialContext(context.Background(), "tcp", "mail.example.test:587")
	require.NoError(t, err, "mapped address connects to the real listener")
	c.Close()

	d.Set("mail.example.test:587", Refuse)
	_, err = d.DialContext(context.Background(), "tcp", "mail.example.test:587")
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)

	d.Set("mail.example.test:587", Blackhole)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = d.DialContext(ctx, "tcp", "mail.example.test:587")
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "a blackhole ends as a dial timeout")
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_, err = d.DialContext(cctx, "tcp", "mail.example.test:587")
	assert.ErrorIs(t, err, context.Canceled)

	assert.Equal(t, 4, d.Dials("mail.example.test:587"))
	assert.Equal(t, 4, d.TotalDials())
}
