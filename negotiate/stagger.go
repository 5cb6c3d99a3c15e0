package negotiate

import "time"

// Bounds of the adaptive head start, from RFC 8305 §5: a Connection Attempt Delay
// SHOULD NOT be below 100 ms nor above 2 s.
const (
	minStagger = 100 * time.Millisecond
	maxStagger = 2 * time.Second
)

// timerSlack is how early the head-start timer is aimed. Go's netpoller sleeps in whole
// milliseconds, so a timer fires up to a millisecond after its time (a 250 ms head start
// started the next route at 250.6-251.2 ms on Postfix with 587 dropped); aimed a
// millisecond early, with the route started once less than that is left, it starts at
// 249.6-249.9 ms: at its head start, not after it.
const timerSlack = time.Millisecond

// Bounds of the grace a ready route gives a more preferred one that is past connect. The
// ceiling keeps a stalled preferred route from holding a working one for long; the floor
// covers what the round trips do not: the server's own work (a TLS handshake, a SASL
// lookup) on a link so short its connect time says nothing.
const (
	minGrace = 100 * time.Millisecond
	maxGrace = time.Second
)

// roundTrips is how many network round trips a route needs from the first SYN to an
// authenticated client when nothing is wasted: TCP, greeting, EHLO, STARTTLS, TLS
// handshake, EHLO and AUTH with its initial response (SASL-IR) for STARTTLS (7); TCP,
// TLS handshake, greeting, EHLO and AUTH for implicit TLS (5). A TLS 1.3 full handshake
// and a resumed one both take one round trip. Multiplied by the RTT it is the floor no
// client can beat.
func roundTrips(s Security) int {
	if s == ImplicitTLS {
		return 5
	}
	return 7
}

// tripsLeft is how many round trips a route at stage still needs to be ready (AUTH not
// counted), the current one included. tlsUp tells a STARTTLS route's two EHLOs apart.
func tripsLeft(s Security, stage Stage, tlsUp bool) int {
	if s == ImplicitTLS {
		switch stage {
		case stageDial:
			return 4
		case stageTLS:
			return 3
		case stageGreeting:
			return 2
		case stageEHLO:
			return 1
		}
		return 0
	}
	switch stage {
	case stageDial:
		return 6
	case stageGreeting:
		return 5
	case stageEHLO:
		if tlsUp {
			return 1
		}
		return 4
	case stageSTARTTLS:
		return 3
	case stageTLS:
		return 2
	}
	return 0
}

// adaptiveStagger is the head start of a route still in TCP connect when a connect time
// to its host is known (RFC 8305 §5 lets history set the delay): twice that time, so
// normal jitter does not start a needless second connection, clamped to
// [minStagger, maxStagger]. Without history (connect <= 0) it is defaultStagger.
func adaptiveStagger(connect time.Duration) time.Duration {
	if connect <= 0 {
		return defaultStagger
	}
	return min(max(2*connect, minStagger), maxStagger)
}

// handshakeStagger is the head start of a route whose TCP connection is up, counted from
// the route's start: the round trips it needs to be ready, each one connect long, plus
// half again as margin; clamped like adaptiveStagger. A healthy route on a slow link
// therefore finishes before a second connection is opened, while a server that accepts
// and then stalls still lets the next route start.
func handshakeStagger(connect time.Duration, s Security) time.Duration {
	if connect <= 0 {
		return defaultStagger
	}
	ready := time.Duration(roundTrips(s)-1) * connect
	return min(max(ready+ready/2, minStagger), maxStagger)
}

// graceFor is how long a ready route waits for a more preferred one past connect: the
// trips it still needs at its connect time, half again as margin, within
// [minGrace, maxGrace].
func graceFor(connect time.Duration, trips int) time.Duration {
	d := time.Duration(trips) * connect
	return min(max(d+d/2, minGrace), maxGrace)
}

// headStart is l's head start over the next route: Config.Stagger when set; once l's TCP
// is up, its handshake's time; before, defaultStagger until a connect time to its host
// is known, then adaptiveStagger.
func (r *race) headStart(l *leg) time.Duration {
	if s := r.n.cfg.Stagger; s > 0 {
		return s
	}
	if l.state == shaking {
		return r.headStartUp(l)
	}
	c, ok := r.known.get(l.a.route.Host)
	if !ok {
		return defaultStagger
	}
	return adaptiveStagger(c)
}

// headStartUp is l's head start once its TCP is up: Config.Stagger when set, else its
// handshake's time.
func (r *race) headStartUp(l *leg) time.Duration {
	if s := r.n.cfg.Stagger; s > 0 {
		return s
	}
	return handshakeStagger(l.a.connect, l.a.route.Security)
}
