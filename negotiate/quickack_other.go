//go:build !linux

package negotiate

import "net"

// quickAcker is Linux's TCP_QUICKACK (quickack_linux.go); elsewhere there is nothing to set.
type quickAcker struct{}

func newQuickAcker(net.Conn) quickAcker { return quickAcker{} }

func (quickAcker) ack() {}
