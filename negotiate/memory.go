package negotiate

import "time"

// Memo is what route memory keeps for one account: the route that last worked, how long
// its TCP connect took (it sets the head start next time), and when it worked.
type Memo struct {
	Route   Route         `json:"route"`
	Connect time.Duration `json:"connect_ns"`
	At      time.Time     `json:"at"`
}

// RouteMemory remembers the winning route per account (RFC 8314 §5.1: remember, per
// account, that TLS worked). Negotiate tries a recalled route alone first and races the
// others only when it fails at connect level; it forgets the memo after a certificate
// or protocol failure. Implementations must be safe for concurrent use.
type RouteMemory interface {
	// Recall returns key's memo unless there is none or it has expired.
	Recall(key string) (Memo, bool)
	// Remember stores m for key, replacing any earlier memo.
	Remember(key string, m Memo) error
	// Forget drops key's memo, if any.
	Forget(key string) error
}
