package negotiate

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultMemoryTTL is how long a remembered route is trusted without being used again.
const DefaultMemoryTTL = 7 * 24 * time.Hour

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

// MemoryOption configures NewMemory and OpenFileMemory.
type MemoryOption func(*memoryOptions)

type memoryOptions struct {
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger
}

func newMemoryOptions(opts []MemoryOption) memoryOptions {
	o := memoryOptions{ttl: DefaultMemoryTTL, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// MemoryTTL sets how long a memo lives after its route last worked (default a week).
func MemoryTTL(d time.Duration) MemoryOption {
	return func(o *memoryOptions) {
		if d > 0 {
			o.ttl = d
		}
	}
}

// MemoryClock replaces time.Now, for tests of expiry.
func MemoryClock(now func() time.Time) MemoryOption {
	return func(o *memoryOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// MemoryLogger receives warnings the store cannot return: a damaged file that was
// ignored, memos dropped for an invalid route, a damaged file moved aside to .bad.
func MemoryLogger(l *slog.Logger) MemoryOption {
	return func(o *memoryOptions) { o.logger = l }
}

// Memory is the in-process RouteMemory: a map guarded by a mutex. It forgets everything
// when the process ends; OpenFileMemory keeps memos across runs.
type Memory struct {
	opts  memoryOptions
	mu    sync.Mutex
	memos map[string]Memo
}

// NewMemory returns an empty in-process route memory.
func NewMemory(opts ...MemoryOption) *Memory {
	return &Memory{opts: newMemoryOptions(opts), memos: map[string]Memo{}}
}

// Recall implements RouteMemory; an expired memo is dropped.
func (m *Memory) Recall(key string) (Memo, bool) {
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
func (m *Memory) Remember(key string, memo Memo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memos[key] = memo
	return nil
}

// Forget implements RouteMemory.
func (m *Memory) Forget(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.memos, key)
	return nil
}

func (m *Memory) expired(memo Memo) bool {
	return !m.opts.now().Before(memo.At.Add(m.opts.ttl))
}

// snapshot returns the live memos; the caller holds m.mu.
func (m *Memory) snapshot() map[string]Memo {
	out := make(map[string]Memo, len(m.memos))
	for k, memo := range m.memos {
		if !m.expired(memo) {
			out[k] = memo
		}
	}
	return out
}
