package negotiate

import (
	"net"
	"syscall"
)

// quickAcker asks Linux to acknowledge the next segment at once instead of delaying the
// ACK (up to 40 ms). During negotiation the client often has nothing to send after a
// read: a server on OpenSSL sends its TLS 1.3 NewSessionTicket and then its next reply
// (the 465 greeting, the EHLO over TLS) in a second segment that Nagle holds until the
// ticket is ACKed, so every full handshake stalls for the delayed ACK (~40 ms on Postfix
// + OpenSSL 3); a server that writes a reply line by line stalls the same way. The tap
// sets it before a read that follows a read (setting it sends an ACK already pending),
// the only time the client waits with an ACK owed; the kernel clears TCP_QUICKACK as it
// leaves quick-ACK mode, so it is set each time. Conns that are not TCP or expose no
// descriptor are left alone; errors are ignored (it is an optimisation). The raw conn is
// looked up once per connection: SyscallConn allocates.
type quickAcker struct{ raw syscall.RawConn }

func newQuickAcker(c net.Conn) quickAcker {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return quickAcker{}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return quickAcker{}
	}
	return quickAcker{raw: raw}
}

// ack sets TCP_QUICKACK.
func (q quickAcker) ack() {
	if q.raw == nil {
		return
	}
	q.raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
