//go:build !linux

package main

import "net"

// newQuickAckConn: TCP_QUICKACK is Linux's; elsewhere the oracle is the plain one.
func newQuickAckConn(c net.Conn) net.Conn { return c }
