package negotiate

import (
	"log/slog"
	"sync"
	"time"
)

// memoryTTL is how long a remembered route is trusted without being used again.
const memoryTTL = 7 * 24 * time.Hour

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

// memoryOptions are the stores' settings; tests change them, programs get the defaults.
type memoryOptions struct {
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger // warnings a store cannot return (a damaged file ignored)
}

func defaultMemoryOptions() memoryOptions {
	return memoryOptions{ttl: memoryTTL, now: time.Now, logger: slog.Default()}
}

// memory is the in-process RouteMemory: a map guarded by a mutex. It forgets everything
// when the process ends; OpenFileMemory keeps memos across runs.
type memory struct {
	opts  memoryOptions
	mu    sync.Mutex
	memos map[string]Memo
}

// NewMemory returns an empty in-process route memory. Memos expire after a week unused.
func NewMemory() RouteMemory { return newMemory(defaultMemoryOptions()) }

func newMemory(o memoryOptions) *memory { return &memory{opts: o, memos: map[string]Memo{}} }

// Recall implements RouteMemory; an expired memo is dropped.
func (m *memory) Recall(key string) (Memo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	memo, ok := m.memos[key]
	if !ok {
		return Memo{}, false
	}
	if m.expired(memo) {
		delete(m.memos, key)
		return Memo{}, false
	}
	return memo, true
}

// Remember implements RouteMemory.
func (m *memory) Remember(key string, memo Memo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memos[key] = memo
	return nil
}

// Forget implements RouteMemory.
func (m *memory) Forget(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.memos, key)
	return nil
}

func (m *memory) expired(memo Memo) bool {
	return !m.opts.now().Before(memo.At.Add(m.opts.ttl))
}

// snapshot returns the live memos; the caller holds m.mu.
func (m *memory) snapshot() map[string]Memo {
	out := make(map[string]Memo, len(m.memos))
	for k, memo := range m.memos {
		if !m.expired(memo) {
			out[k] = memo
		}
	}
	return out
}
