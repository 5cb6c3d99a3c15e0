package main

import (
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/negotiate"
)

// scenario is a network condition, the route the oracle is told works, and the
// context each Dial gets.
type scenario struct {
	name    string
	block   map[int]netsim.Behaviour
	oracle  negotiate.Route
	timeout time.Duration
	memory  bool // second Dial with route memory (the first, unmeasured, fills it)
	pinned  bool // smtpport and go-mail are told the oracle's route too (Postfix per-port rows)
	// noGoMail leaves go-mail out; blockDrop is a Postfix port testenv.sh drops for the run.
	noGoMail  bool
	blockDrop int
}

var (
	route587  = negotiate.Route{Host: serverHost, Port: 587, Security: negotiate.STARTTLS}
	route465  = negotiate.Route{Host: serverHost, Port: 465, Security: negotiate.ImplicitTLS}
	route2525 = negotiate.Route{Host: serverHost, Port: 2525, Security: negotiate.STARTTLS}
)

const (
	healthyTimeout = 20 * time.Second // longer than go-mail's own 15 s default
	allBlackholed  = 3 * time.Second
)

var scenarios = []scenario{
	{name: "all healthy", oracle: route587, timeout: healthyTimeout},
	{name: "587 blackholed", block: map[int]netsim.Behaviour{587: netsim.Blackhole}, oracle: route465, timeout: healthyTimeout},
	{name: "587 refused", block: map[int]netsim.Behaviour{587: netsim.Refuse}, oracle: route465, timeout: healthyTimeout},
	{name: "587+465 blackholed", block: map[int]netsim.Behaviour{587: netsim.Blackhole, 465: netsim.Blackhole}, oracle: route2525, timeout: healthyTimeout},
	{name: "all blackholed, 3 s context", block: map[int]netsim.Behaviour{587: netsim.Blackhole, 465: netsim.Blackhole, 2525: netsim.Blackhole, 25: netsim.Blackhole}, oracle: route587, timeout: allBlackholed},
	{name: "2nd Dial, route memory (587 blackholed)", block: map[int]netsim.Behaviour{587: netsim.Blackhole}, oracle: route465, timeout: healthyTimeout, memory: true},
}

// works reports whether the scenario has a working route (the RTT floor applies).
func (s scenario) works() bool { return s.timeout != allBlackholed }

// defaultHeadStart is smtpport's head start when nothing is known about a host yet
// (DESIGN.md): a blackholed preferred route costs this much before the next one starts.
const defaultHeadStart = 250 * time.Millisecond

// roundTrips is how many round trips a route needs to an authenticated client: TCP,
// greeting, EHLO, STARTTLS, TLS, EHLO, AUTH with SASL-IR; implicit TLS skips two.
func roundTrips(s negotiate.Security) int {
	if s == negotiate.ImplicitTLS {
		return 5
	}
	return 7
}
