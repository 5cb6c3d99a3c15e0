package negotiate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPick is the preference rule: the most preferred ready route wins unless a more
// preferred route has TCP up; a more preferred route still dialing is not waited for.
func TestPick(t *testing.T) {
	cases := []struct {
		name   string
		states []routeState
		want   int
		ok     bool
	}{
		{"only the first, ready", []routeState{ready}, 0, true},
		{"first failed, second ready", []routeState{failed, ready, dialing}, 1, true},
		{"first dialing, second ready: no wait", []routeState{dialing, ready}, 1, true},
		{"first connected, second ready: wait", []routeState{connected, ready}, 0, false},
		{"failed, connected, ready: wait", []routeState{failed, connected, ready}, 0, false},
		{"two ready: the preferred", []routeState{ready, ready}, 0, true},
		{"none ready", []routeState{dialing, connected, notStarted}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &race{states: tc.states}
			got, ok := r.pick()
			assert.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, tc.want, got)
			}
		})
	}
}
