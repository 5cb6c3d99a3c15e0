package smtpport

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadMemoryFileIsCapped: even when the size check is passed (a file that grew after
// the stat, or one whose size lies), the read stops at the cap. The figure is logged;
// the bound is on bytes allocated, not time.
func TestReadMemoryFileIsCapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.json")
	file, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, file.Truncate(100<<20))
	require.NoError(t, file.Close())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, why := readMemoryFile(path)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("readMemoryFile on a 100 MiB file allocated %d bytes (%.2f MiB)", alloc, float64(alloc)/(1<<20))
	assert.Contains(t, why, "larger than 1 MiB")
	assert.Less(t, alloc, uint64(8<<20))
}
