package smtpport

import (
	"github.com/smtpport/smtpport/negotiate"

	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var route465 = negotiate.Route{Host: "mail.example.test", Port: 465, Security: negotiate.ImplicitTLS}

// clock is a settable time source for expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// memoryOption changes one setting of a store under test.
type memoryOption func(*memoryOptions)

func withClock(now func() time.Time) memoryOption { return func(o *memoryOptions) { o.now = now } }
func withTTL(d time.Duration) memoryOption        { return func(o *memoryOptions) { o.ttl = d } }
func withLogger(l *slog.Logger) memoryOption      { return func(o *memoryOptions) { o.logger = l } }

// options are the defaults changed by opts; warnings go nowhere unless a test asks.
func options(opts ...memoryOption) memoryOptions {
	o := defaultMemoryOptions()
	o.logger = slog.New(slog.DiscardHandler)
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// stores runs a test against both negotiate.RouteMemory implementations.
func stores(t *testing.T, test func(t *testing.T, open func(...memoryOption) negotiate.RouteMemory)) {
	t.Run("memory", func(t *testing.T) {
		test(t, func(opts ...memoryOption) negotiate.RouteMemory { return newMemory(options(opts...)) })
	})
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "routes.json")
		test(t, func(opts ...memoryOption) negotiate.RouteMemory {
			m, err := openFileMemory(path, options(opts...))
			require.NoError(t, err)
			return m
		})
	})
}

func TestMemoryRecallAndKeys(t *testing.T) {
	stores(t, func(t *testing.T, open func(...memoryOption) negotiate.RouteMemory) {
		m := open()
		memo := negotiate.Memo{Route: route465, Connect: 3 * time.Millisecond, At: time.Now()}
		require.NoError(t, m.Remember("gmail\x00alice", memo))

		got, ok := m.Recall("gmail\x00alice")
		require.True(t, ok)
		assert.Equal(t, memo.Route, got.Route)
		assert.Equal(t, memo.Connect, got.Connect)
		assert.True(t, memo.At.Equal(got.At))

		_, ok = m.Recall("gmail\x00bob")
		assert.False(t, ok, "another user of the same preset has no memo")
		_, ok = m.Recall("zoho\x00alice")
		assert.False(t, ok, "the same user of another preset has no memo")

		require.NoError(t, m.Forget("gmail\x00alice"))
		_, ok = m.Recall("gmail\x00alice")
		assert.False(t, ok)
		require.NoError(t, m.Forget("never-seen"))
	})
}

func TestMemoryExpiry(t *testing.T) {
	stores(t, func(t *testing.T, open func(...memoryOption) negotiate.RouteMemory) {
		c := &clock{now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
		m := open(withClock(c.Now))
		require.NoError(t, m.Remember("k", negotiate.Memo{Route: route465, At: c.Now()}))

		c.Advance(memoryTTL - time.Second)
		_, ok := m.Recall("k")
		assert.True(t, ok, "a week less a second: still live")

		c.Advance(time.Second)
		_, ok = m.Recall("k")
		assert.False(t, ok, "a week after it last worked: expired")

		short := open(withClock(c.Now), withTTL(time.Minute))
		require.NoError(t, short.Remember("s", negotiate.Memo{Route: route465, At: c.Now()}))
		c.Advance(time.Minute)
		_, ok = short.Recall("s")
		assert.False(t, ok)
	})
}

func TestFileMemoryPersistsAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "routes.json")
	m, err := openFileMemory(path, options())
	require.NoError(t, err)
	require.NoError(t, m.Remember("gmail\x00alice", negotiate.Memo{Route: route465, Connect: time.Millisecond, At: time.Now()}))

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file names accounts: owner only")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left behind")

	again, err := openFileMemory(path, options())
	require.NoError(t, err)
	got, ok := again.Recall("gmail\x00alice")
	require.True(t, ok, "a memo survives reopening")
	assert.Equal(t, route465, got.Route)
	assert.Equal(t, time.Millisecond, got.Connect)
}

func TestFileMemoryCorruptFileIsEmpty(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":        "{\"version\":1,\"memos\":{\"k\":",
		"unknown version": `{"version":99,"memos":{}}`,
		"binary junk":     "\x00\xff\xfe",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "routes.json")
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			var logs bytes.Buffer
			m, err := openFileMemory(path, options(withLogger(slog.New(slog.NewTextHandler(&logs, nil)))))
			require.NoError(t, err, "a damaged memory must not stop mail")
			_, ok := m.Recall("k")
			assert.False(t, ok)
			assert.Contains(t, logs.String(), "ignoring unreadable route memory file")

			require.NoError(t, m.Remember("k", negotiate.Memo{Route: route465, At: time.Now()}))
			again, err := openFileMemory(path, options())
			require.NoError(t, err)
			_, ok = again.Recall("k")
			assert.True(t, ok, "the next write replaces the damaged file")
		})
	}
}

func TestFileMemoryConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.json")
	m, err := openFileMemory(path, options())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			key := fmt.Sprintf("preset\x00user%d", i)
			assert.NoError(t, m.Remember(key, negotiate.Memo{Route: route465, At: time.Now()}))
			_, ok := m.Recall(key)
			assert.True(t, ok)
		})
	}
	wg.Wait()
	again, err := openFileMemory(path, options())
	require.NoError(t, err)
	for i := range 16 {
		_, ok := again.Recall(fmt.Sprintf("preset\x00user%d", i))
		assert.True(t, ok, "user%d", i)
	}
}
