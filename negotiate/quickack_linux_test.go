package negotiate

import (
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickAckSetsTheOption: on a real loopback TCP connection a quickAcker turns
// TCP_QUICKACK on (the kernel clears it again on its own), and anything that is not a
// syscall.Conn is left alone.
func TestQuickAckSetsTheOption(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	if s := <-accepted; s != nil {
		defer s.Close()
	}

	get := func() int {
		raw, err := c.(*net.TCPConn).SyscallConn()
		require.NoError(t, err)
		v := -1
		require.NoError(t, raw.Control(func(fd uintptr) {
			v, err = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK)
		}))
		require.NoError(t, err)
		return v
	}
	raw, err := c.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	require.NoError(t, raw.Control(func(fd uintptr) {
		require.NoError(t, syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 0))
	}))
	require.Equal(t, 0, get())
	newQuickAcker(c).ack()
	assert.Equal(t, 1, get())

	newQuickAcker(&chunked{}).ack()      // not a syscall.Conn: nothing happens, nothing panics
	newQuickAcker(newTap(c, true)).ack() // the tap is not a syscall.Conn either; it passes its inner conn
}
