//go:build !linux

package negotiate

import "net"

// quickAck is Linux's TCP_QUICKACK (quickack_linux.go); elsewhere there is nothing to set.
func quickAck(net.Conn) {}
