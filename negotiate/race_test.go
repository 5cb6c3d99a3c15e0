package negotiate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPick is the bounded preference rule: the most preferred ready route wins, unless a
// more preferred route has TCP up and is within its grace; a more preferred route still
// in connect is never waited for, and one past its grace no longer is.
func TestPick(t *testing.T) {
	now := time.Now()
	readyAt := now.Add(-10 * time.Millisecond)
	type legSpec struct {
		state legState
		trips int           // round trips left, for a shaking leg
		conn  time.Duration // its connect time
	}
	cases := []struct {
		name   string
		legs   []legSpec
		winner int // -1: none yet
		wait   time.Duration
	}{
		{"only the first, ready", []legSpec{{state: ready}}, 0, 0},
		{"first failed, second ready", []legSpec{{state: failed}, {state: ready}, {state: dialing}}, 1, 0},
		{"first dialing, second ready: no wait", []legSpec{{state: dialing}, {state: ready}}, 1, 0},
		{"first shaking, second ready: wait out the floor", []legSpec{{state: shaking, trips: 2}, {state: ready}}, -1, minGrace},
		{"first shaking on a slow link: wait its round trips", []legSpec{{state: shaking, trips: 4, conn: 50 * time.Millisecond}, {state: ready}}, -1, 300 * time.Millisecond},
		{"first shaking at its last EHLO on loopback: the floor", []legSpec{{state: shaking, trips: 1, conn: time.Microsecond}, {state: ready}}, -1, minGrace},
		{"two ready: the preferred", []legSpec{{state: ready}, {state: ready}}, 0, 0},
		{"none ready", []legSpec{{state: dialing}, {state: shaking}}, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &race{}
			for _, s := range tc.legs {
				a := &attempt{connect: s.conn}
				a.trips.Store(int32(s.trips))
				if s.state == ready {
					a.ready = readyAt
				}
				r.legs = append(r.legs, &leg{a: a, state: s.state})
			}
			r.start = len(r.legs)
			w, wait := r.pick(now)
			if tc.winner < 0 {
				assert.Nil(t, w)
				if tc.wait > 0 {
					assert.Equal(t, readyAt.Add(tc.wait), wait, "waits until the grace ends")
				}
			} else {
				assert.Same(t, r.legs[tc.winner], w)
			}
			// Past the grace, the ready route wins.
			if tc.wait > 0 {
				w, _ = r.pick(readyAt.Add(tc.wait))
				assert.Same(t, r.legs[len(r.legs)-1], w, "the grace is over")
			}
		})
	}
}
