package smtpport

import (
	"log/slog"
	"sync"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// WithRouteMemory remembers, per preset and user name, the route that worked: the next
// Dial tries it alone first (one connection, no race) and races the other routes only if
// it fails at connect level. A certificate or protocol failure forgets it; memos expire
// after a week unused. Use NewMemory for one process, OpenFileMemory to keep memos
// across runs. Without this option every Dial races from scratch.
func WithRouteMemory(m negotiate.RouteMemory) Option {
	return func(s *settings) { s.cfg.Memory = m }
}

// memoryKey names an account in route memory. The NUL cannot occur in a preset name or
// a user name that reaches the wire, so distinct pairs never share a key.
func memoryKey(preset, username string) string {
	return preset + "\x00" + username
}

// memoryTTL is how long a remembered route is trusted without being used again.
const memoryTTL = 7 * 24 * time.Hour

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
	memos map[string]negotiate.Memo
}

// NewMemory returns an empty in-process route memory. Memos expire after a week unused.
func NewMemory() negotiate.RouteMemory { return newMemory(defaultMemoryOptions()) }

func newMemory(o memoryOptions) *memory { return &memory{opts: o, memos: map[string]negotiate.Memo{}} }

// Recall implements negotiate.RouteMemory; an expired memo is dropped.
func (m *memory) Recall(key string) (negotiate.Memo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	memo, ok := m.memos[key]
	if !ok {
		return negotiate.Memo{}, false
	}
	if m.expired(memo) {
		delete(m.memos, key)
		return negotiate.Memo{}, false
	}
	return memo, true
}

// Remember implements negotiate.RouteMemory.
func (m *memory) Remember(key string, memo negotiate.Memo) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memos[key] = memo
	return nil
}

// Forget implements negotiate.RouteMemory.
func (m *memory) Forget(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.memos, key)
	return nil
}

func (m *memory) expired(memo negotiate.Memo) bool {
	return !m.opts.now().Before(memo.At.Add(m.opts.ttl))
}

// snapshot returns the live memos; the caller holds m.mu.
func (m *memory) snapshot() map[string]negotiate.Memo {
	out := make(map[string]negotiate.Memo, len(m.memos))
	for k, memo := range m.memos {
		if !m.expired(memo) {
			out[k] = memo
		}
	}
	return out
}
