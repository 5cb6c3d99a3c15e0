package negotiate

import "time"

// Bounds of the adaptive head start, from RFC 8305 §5: a Connection Attempt Delay
// SHOULD NOT be below 100 ms nor above 2 s.
const (
	MinStagger = 100 * time.Millisecond
	MaxStagger = 2 * time.Second
)

// RoundTrips is how many network round trips a route needs from the first SYN to an
// authenticated client when nothing is wasted: TCP, greeting, EHLO, STARTTLS, TLS
// handshake, EHLO and AUTH with its initial response (SASL-IR) for STARTTLS (7); TCP,
// TLS handshake, greeting, EHLO and AUTH for implicit TLS (5). A TLS 1.3 full handshake
// and a resumed one both take one round trip. Multiplied by the RTT it is the floor no
// client can beat.
func RoundTrips(s Security) int {
	if s == ImplicitTLS {
		return 5
	}
	return 7
}

// AdaptiveStagger is the head start of a route still in TCP connect when a connect time
// to its host is known (RFC 8305 §5 lets history set the delay): twice that time, so
// normal jitter does not start a needless second connection, clamped to
// [MinStagger, MaxStagger]. Without history (connect <= 0) it is DefaultStagger.
func AdaptiveStagger(connect time.Duration) time.Duration {
	if connect <= 0 {
		return DefaultStagger
	}
	return clampStagger(2 * connect)
}

// HandshakeStagger is the head start of a route whose TCP connection is up, counted from
// the route's start: the round trips it needs to be ready (RoundTrips less AUTH), each
// one connect long, plus half again as margin; clamped like AdaptiveStagger. A healthy route on a slow link therefore
// finishes before a second connection is opened, while a server that accepts and then
// stalls still lets the next route start.
func HandshakeStagger(connect time.Duration, s Security) time.Duration {
	if connect <= 0 {
		return DefaultStagger
	}
	ready := time.Duration(RoundTrips(s)-1) * connect
	return clampStagger(ready + ready/2)
}

func clampStagger(d time.Duration) time.Duration {
	return min(max(d, MinStagger), MaxStagger)
}

// rearm sets the stagger timer for the latest started route: its start plus its head
// start given what is known now, so it is called again whenever a connect time is
// learnt. It stops the timer when nothing is left to start, when the latest route is
// ready (another route could only be less preferred), or when a remembered route is
// connected: it then runs alone, and only its failure starts the others.
func (r *race) rearm() {
	i := r.started - 1
	if i < 0 {
		return
	}
	if r.started == len(r.routes) || r.states[i] == ready || r.states[i] == failed ||
		(r.alone && i == 0 && r.states[0] == connected) {
		r.stagger.Stop()
		return
	}
	r.stagger.Reset(time.Until(r.startedAt[i].Add(r.headStart(i))))
}

// headStart is route i's head start: Config.Stagger when set, else DefaultStagger until
// a connect time to its host is known, then AdaptiveStagger while it is in connect and
// HandshakeStagger once its TCP is up.
func (r *race) headStart(i int) time.Duration {
	if s := r.n.cfg.Stagger; s > 0 {
		return s
	}
	route := r.routes[i]
	c, ok := r.known[route.Host]
	switch {
	case !ok:
		return DefaultStagger
	case r.states[i] == connected:
		return HandshakeStagger(c, route.Security)
	default:
		return AdaptiveStagger(c)
	}
}
