package negotiate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAdaptiveStagger(t *testing.T) {
	cases := []struct {
		connect time.Duration
		want    time.Duration
	}{
		{0, defaultStagger},
		{-time.Second, defaultStagger},
		{time.Microsecond, minStagger},
		{50 * time.Millisecond, minStagger},
		{80 * time.Millisecond, 160 * time.Millisecond},
		{time.Second, maxStagger},
		{time.Hour, maxStagger},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, adaptiveStagger(tc.connect), "connect %v", tc.connect)
	}
	assert.Equal(t, 250*time.Millisecond, defaultStagger, "RFC 8305's recommended delay")
}

func TestHandshakeStagger(t *testing.T) {
	cases := []struct {
		connect  time.Duration
		security Security
		want     time.Duration
	}{
		{0, STARTTLS, defaultStagger},
		{time.Millisecond, STARTTLS, minStagger},
		// 25 ms each way: a 50 ms connect, 6 round trips to ready, half again as margin.
		{50 * time.Millisecond, STARTTLS, 450 * time.Millisecond},
		{50 * time.Millisecond, ImplicitTLS, 300 * time.Millisecond},
		{time.Second, ImplicitTLS, maxStagger},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, handshakeStagger(tc.connect, tc.security), "connect %v %v", tc.connect, tc.security)
	}
}

func TestRoundTrips(t *testing.T) {
	// TCP, greeting, EHLO, STARTTLS, TLS, EHLO, AUTH.
	assert.Equal(t, 7, roundTrips(STARTTLS))
	// TCP, TLS, greeting, EHLO, AUTH.
	assert.Equal(t, 5, roundTrips(ImplicitTLS))
}

// TestTripsLeft counts down to ready along each route type's stages, and agrees with
// roundTrips (which adds AUTH) at the start.
func TestTripsLeft(t *testing.T) {
	type step struct {
		stage Stage
		tlsUp bool
	}
	walks := map[Security][]step{
		STARTTLS:    {{stageDial, false}, {stageGreeting, false}, {stageEHLO, false}, {stageSTARTTLS, false}, {stageTLS, false}, {stageEHLO, true}, {stageAuth, true}},
		ImplicitTLS: {{stageDial, false}, {stageTLS, false}, {stageGreeting, true}, {stageEHLO, true}, {stageAuth, true}},
	}
	for sec, steps := range walks {
		assert.Equal(t, roundTrips(sec)-1, tripsLeft(sec, stageDial, false), "%v", sec)
		for i, s := range steps {
			assert.Equal(t, len(steps)-1-i, tripsLeft(sec, s.stage, s.tlsUp), "%v at %s (tls %v)", sec, s.stage, s.tlsUp)
		}
	}
}

// TestGraceFor: the preferred route's remaining round trips at its connect time, half
// again as margin, never under the floor nor over a second.
func TestGraceFor(t *testing.T) {
	cases := []struct {
		connect time.Duration
		trips   int
		want    time.Duration
	}{
		{0, 5, minGrace},                                   // nothing known: the floor
		{100 * time.Microsecond, 5, minGrace},              // loopback: the floor
		{50 * time.Millisecond, 4, 300 * time.Millisecond}, // 4 × 50 ms × 1.5
		{50 * time.Millisecond, 1, minGrace},
		{200 * time.Millisecond, 5, maxGrace}, // a slow link still never waits over a second
		{time.Hour, 1, maxGrace},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, graceFor(tc.connect, tc.trips), "connect %v, %d trips", tc.connect, tc.trips)
	}
}

// TestHeadStartFollowsWhatIsKnown is the head start's decision table.
func TestHeadStartFollowsWhatIsKnown(t *testing.T) {
	starttls := Route{Host: "mail.example.test", Port: 587, Security: STARTTLS}
	implicit := Route{Host: "mail.example.test", Port: 465, Security: ImplicitTLS}
	cases := []struct {
		name    string
		fixed   time.Duration
		known   map[string]time.Duration
		state   legState
		connect time.Duration // the leg's own, once shaking
		route   Route
		want    time.Duration
	}{
		{name: "nothing known", state: dialing, route: starttls, want: defaultStagger},
		{name: "fixed stagger wins", fixed: time.Hour, state: shaking, connect: 50 * time.Millisecond, route: starttls, want: time.Hour},
		{name: "known, still connecting", known: map[string]time.Duration{starttls.Host: 80 * time.Millisecond}, state: dialing, route: starttls, want: 160 * time.Millisecond},
		{name: "connected, STARTTLS", state: shaking, connect: 50 * time.Millisecond, route: starttls, want: 450 * time.Millisecond},
		{name: "connected, implicit", state: shaking, connect: 50 * time.Millisecond, route: implicit, want: 300 * time.Millisecond},
		{name: "another host known", known: map[string]time.Duration{"other.example.test": 50 * time.Millisecond}, state: dialing, route: starttls, want: defaultStagger},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &race{n: &negotiation{cfg: &Config{Stagger: tc.fixed}}}
			for host, d := range tc.known {
				r.known.set(host, d)
			}
			l := &leg{a: &attempt{route: tc.route, connect: tc.connect}, state: tc.state}
			assert.Equal(t, tc.want, r.headStart(l))
		})
	}
}

// TestHostTimes: past its inline room the race's connect-time table still finds every
// host, and a second connect time replaces the first.
func TestHostTimes(t *testing.T) {
	var h hostTimes
	for i, host := range []string{"a.test", "b.test", "c.test"} {
		h.set(host, time.Duration(i+1)*time.Millisecond)
	}
	h.set("a.test", 9*time.Millisecond)
	for host, want := range map[string]time.Duration{"a.test": 9 * time.Millisecond, "b.test": 2 * time.Millisecond, "c.test": 3 * time.Millisecond} {
		got, ok := h.get(host)
		assert.True(t, ok, host)
		assert.Equal(t, want, got, host)
	}
	_, ok := h.get("d.test")
	assert.False(t, ok)
}

// TestIsDueWithinTimerSlack: the next route is due once less than timerSlack of its head
// start is left (the timer that wakes the race is aimed that much early), never sooner.
func TestIsDueWithinTimerSlack(t *testing.T) {
	due := time.Unix(1000, 0)
	r := &race{due: due}
	for _, tc := range []struct {
		before time.Duration // how long before due the check runs
		want   bool
	}{
		{2 * timerSlack, false},
		{timerSlack + time.Microsecond, false},
		{timerSlack, true},
		{timerSlack / 2, true},
		{0, true},
		{-time.Second, true},
	} {
		assert.Equal(t, tc.want, r.isDue(due.Add(-tc.before)), "%v before due", tc.before)
	}
}
