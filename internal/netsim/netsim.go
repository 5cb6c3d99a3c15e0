// Package netsim is a dialer for tests that makes chosen addresses refuse, blackhole or
// answer slowly, and maps route addresses (mail.example.test:587) to the loopback
// listeners of an in-process server. It stands in for "port blocked by an ISP" where
// no kernel packet filter is at hand; the integration suite uses real nftables drops.
package netsim

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Behaviour is what happens when an address is dialed.
type Behaviour int

const (
	// Pass dials normally (through the address map, if any).
	Pass Behaviour = iota
	// Refuse fails at once with ECONNREFUSED, like a closed port or a TCP reset.
	Refuse
	// Blackhole hangs until the context ends, like a firewall that drops SYNs.
	Blackhole
)

type rule struct {
	behaviour Behaviour
	delay     time.Duration
}

// Dialer implements golang.org/x/net/proxy.ContextDialer. The zero value is not usable;
// call New.
type Dialer struct {
	mu     sync.Mutex
	routes map[string]string // logical address → real address
	rules  map[string]rule
	dials  map[string]int
	base   net.Dialer
}

// New returns a Dialer that passes everything through until told otherwise.
func New() *Dialer {
	return &Dialer{routes: map[string]string{}, rules: map[string]rule{}, dials: map[string]int{}}
}

// Map makes dials to addr connect to real instead (e.g. "mail.example.test:587" to
// "127.0.0.1:40123").
func (d *Dialer) Map(addr, real string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.routes[addr] = real
}

// Set gives addr a behaviour; Pass clears it.
func (d *Dialer) Set(addr string, b Behaviour) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.rules[addr]
	r.behaviour = b
	d.rules[addr] = r
}

// Delay makes connects to addr take at least dur (the context still bounds them).
func (d *Dialer) Delay(addr string, dur time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.rules[addr]
	r.delay = dur
	d.rules[addr] = r
}

// Dials reports how many times addr was dialed.
func (d *Dialer) Dials(addr string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials[addr]
}

// TotalDials reports how many dials were made in all.
func (d *Dialer) TotalDials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	total := 0
	for _, n := range d.dials {
		total += n
	}
	return total
}

// DialContext dials addr according to its rule.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	r := d.rules[addr]
	real, mapped := d.routes[addr]
	d.dials[addr]++
	d.mu.Unlock()
	if !mapped {
		real = addr
	}
	if r.delay > 0 {
		t := time.NewTimer(r.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, dialError(network, addr, ctxErr(ctx))
		}
	}
	switch r.behaviour {
	case Refuse:
		return nil, dialError(network, addr, os.NewSyscallError("connect", syscall.ECONNREFUSED))
	case Blackhole:
		<-ctx.Done()
		return nil, dialError(network, addr, ctxErr(ctx))
	}
	return d.base.DialContext(ctx, network, real)
}

func dialError(network, addr string, err error) error {
	return &net.OpError{Op: "dial", Net: network, Addr: fakeAddr(addr), Err: err}
}

// ctxErr mirrors what net.Dialer reports: a timeout error for a deadline, the
// cancellation otherwise.
func ctxErr(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		return timeoutError{}
	}
	return ctx.Err()
}

type timeoutError struct{}

func (timeoutError) Error() string        { return "i/o timeout" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Temporary() bool      { return true }
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

var _ fmt.Stringer = fakeAddr("")
