package main

import (
	"net"
	"syscall"
)

// quickAckConn sets TCP_QUICKACK after every read, as the prototype did (smtpport's
// engine now sets it only before a read that follows a read): Linux clears the flag on its
// own, so it is set again each time.
type quickAckConn struct {
	net.Conn
	raw syscall.RawConn
}

func newQuickAckConn(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	return &quickAckConn{Conn: c, raw: raw}
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
	return n, err
}
