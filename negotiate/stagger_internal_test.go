package negotiate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestHeadStartFollowsWhatIsKnown is the head start's decision table.
func TestHeadStartFollowsWhatIsKnown(t *testing.T) {
	starttls := Route{Host: "mail.example.test", Port: 587, Security: STARTTLS}
	implicit := Route{Host: "mail.example.test", Port: 465, Security: ImplicitTLS}
	cases := []struct {
		name  string
		fixed time.Duration
		known map[string]time.Duration
		state routeState
		route Route
		want  time.Duration
	}{
		{name: "nothing known", state: dialing, route: starttls, want: DefaultStagger},
		{name: "fixed stagger wins", fixed: time.Hour, known: map[string]time.Duration{starttls.Host: 50 * time.Millisecond}, state: connected, route: starttls, want: time.Hour},
		{name: "known, still connecting", known: map[string]time.Duration{starttls.Host: 80 * time.Millisecond}, state: dialing, route: starttls, want: 160 * time.Millisecond},
		{name: "known, connected, STARTTLS", known: map[string]time.Duration{starttls.Host: 50 * time.Millisecond}, state: connected, route: starttls, want: 450 * time.Millisecond},
		{name: "known, connected, implicit", known: map[string]time.Duration{starttls.Host: 50 * time.Millisecond}, state: connected, route: implicit, want: 300 * time.Millisecond},
		{name: "another host known", known: map[string]time.Duration{"other.example.test": 50 * time.Millisecond}, state: dialing, route: starttls, want: DefaultStagger},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &race{
				n:      &negotiation{cfg: &Config{Stagger: tc.fixed}},
				routes: []Route{tc.route},
				states: []routeState{tc.state},
				known:  tc.known,
			}
			if r.known == nil {
				r.known = map[string]time.Duration{}
			}
			assert.Equal(t, tc.want, r.headStart(0))
		})
	}
}

// TestRearmStopsWhenNothingShouldStart: the stagger timer only runs while starting
// another route could help.
func TestRearmStopsWhenNothingShouldStart(t *testing.T) {
	routes := []Route{
		{Host: "mail.example.test", Port: 465, Security: ImplicitTLS},
		{Host: "mail.example.test", Port: 587, Security: STARTTLS},
	}
	cases := []struct {
		name    string
		alone   bool
		started int
		state   routeState
		running bool
	}{
		{name: "latest dialing", started: 1, state: dialing, running: true},
		{name: "latest connected", started: 1, state: connected, running: true},
		{name: "remembered route dialing", alone: true, started: 1, state: dialing, running: true},
		{name: "remembered route connected runs alone", alone: true, started: 1, state: connected},
		{name: "latest ready", started: 1, state: ready},
		{name: "every route started", started: 2, state: dialing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &race{
				n:         &negotiation{cfg: &Config{}},
				routes:    routes,
				states:    []routeState{tc.state, tc.state},
				startedAt: []time.Time{time.Now(), time.Now()},
				known:     map[string]time.Duration{},
				alone:     tc.alone,
				started:   tc.started,
				stagger:   time.NewTimer(time.Hour),
			}
			r.rearm()
			assert.Equal(t, tc.running, r.stagger.Stop(), "timer running after rearm")
		})
	}
}
