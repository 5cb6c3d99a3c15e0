package smtpport

import (
	"github.com/smtpport/smtpport/negotiate"

	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxOpenAlloc bounds what opening a damaged memory file may allocate, in total: the cap
// is 1 MiB and io.ReadAll grows its buffer in steps, so a few MiB at most (twice that
// under -race).
const maxOpenAlloc = 8 << 20

// TestFileMemoryOversizedFileIsNotRead: a 100 MB corrupt file costs what the 1 MiB cap
// allows, not its size (before the cap: 101 MiB, research in issue 11). The figure is
// logged; the bound is on bytes allocated, not time.
func TestFileMemoryOversizedFileIsNotRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.json")
	file, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, file.Truncate(100<<20)) // 100 MiB of NUL bytes, sparse on disk
	require.NoError(t, file.Close())

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := openFileMemory(path, options(withLogger(logger)))
	runtime.ReadMemStats(&after)
	require.NoError(t, err, "a damaged memory must not stop mail")
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("OpenFileMemory on a 100 MiB corrupt file allocated %d bytes (%.2f MiB)", alloc, float64(alloc)/(1<<20))
	assert.Less(t, alloc, uint64(maxOpenAlloc))
	assert.Contains(t, logs.String(), "larger than 1 MiB")

	require.NoError(t, m.Remember("k", negotiate.Memo{Route: route465, At: time.Now()}))
	kept, err := os.Stat(path + ".bad")
	require.NoError(t, err, "the damaged file is kept aside, not overwritten")
	assert.Equal(t, int64(100<<20), kept.Size())
	assert.Contains(t, logs.String(), "kept it aside and writing a new one")
	again, err := openFileMemory(path, options())
	require.NoError(t, err)
	_, ok := again.Recall("k")
	assert.True(t, ok, "the new file is good")
}

// TestFileMemoryDamagedFiles: every kind of bad file is logged, ignored and, at the first
// save, moved to .bad with a log line; nothing is fatal.
func TestFileMemoryDamagedFiles(t *testing.T) {
	cases := []struct {
		name    string
		content []byte
		log     string
	}{
		{name: "truncated JSON", content: []byte(`{"version":1,"memos":{"k":`), log: "not a route memory file"},
		{name: "unknown version", content: []byte(`{"version":2,"memos":{}}`), log: "unknown version 2"},
		{name: "just over the cap", content: append([]byte(`{"version":1,"memos":{}}`), bytes.Repeat([]byte(" "), 1<<20)...), log: "larger than 1 MiB"},
		{name: "NUL and CR without LF", content: []byte("\x00\r\x00\r"), log: "not a route memory file"},
		{name: "terminal escapes", content: []byte("\x1b[2J\u009b31m\u202e"), log: "not a route memory file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "routes.json")
			require.NoError(t, os.WriteFile(path, tc.content, 0o600))
			var logs bytes.Buffer
			m, err := openFileMemory(path, options(withLogger(slog.New(slog.NewTextHandler(&logs, nil)))))
			require.NoError(t, err)
			assert.Contains(t, logs.String(), "ignoring unreadable route memory file")
			assert.Contains(t, logs.String(), tc.log)
			for _, bad := range []string{"\x1b", "\u009b", "\u202e", "\x00"} {
				assert.NotContains(t, logs.String(), bad, "file bytes are sanitised in the log")
			}

			require.NoError(t, m.Remember("k", negotiate.Memo{Route: route465, At: time.Now()}))
			kept, err := os.ReadFile(path + ".bad")
			require.NoError(t, err)
			assert.Equal(t, tc.content, kept, "the damaged file is kept as it was")
			assert.Equal(t, 1, strings.Count(logs.String(), "kept it aside"))
			require.NoError(t, m.Remember("k2", negotiate.Memo{Route: route465, At: time.Now()}))
			assert.Equal(t, 1, strings.Count(logs.String(), "kept it aside"), "moved aside once")
		})
	}
}

// TestFileMemoryNotARegularFile: a directory or a pipe at the path is neither read (a
// pipe would block) nor replaced.
func TestFileMemoryNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for name, path := range map[string]string{"directory": dir, "named pipe": fifo} {
		t.Run(name, func(t *testing.T) {
			_, err := openFileMemory(path, options())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not a regular file")
		})
	}
}

// TestFileMemoryDropsInvalidMemos: a memo whose route does not validate is dropped, and
// the drop is logged.
func TestFileMemoryDropsInvalidMemos(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.json")
	content := `{"version":1,"memos":{
		"good":{"route":{"Host":"mail.example.test","Port":465,"Security":"tls"},"connect_ns":1,"at":"2099-01-01T00:00:00Z"},
		"bad":{"route":{"Host":"","Port":70000,"Security":"tls"},"connect_ns":1,"at":"2099-01-01T00:00:00Z"}}}`
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	var logs bytes.Buffer
	m, err := openFileMemory(path, options(withLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		withClock(func() time.Time { return time.Date(2098, 1, 1, 0, 0, 0, 0, time.UTC) })))
	require.NoError(t, err)
	_, ok := m.Recall("good")
	assert.True(t, ok)
	_, ok = m.Recall("bad")
	assert.False(t, ok)
	assert.Contains(t, logs.String(), "ignoring memos with an invalid route")
	assert.Contains(t, logs.String(), "count=1")
}
