package smtpport

import (
	"github.com/smtpport/smtpport/negotiate"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/smtpport/smtpport/internal/safetext"
)

// fileMemory is a negotiate.RouteMemory kept in a small JSON file, so a command-line tool or a
// short-lived job tries the route that worked last time. The file is read once when
// opened and rewritten whole on every change: written to a temporary file in the same
// directory, then renamed over the old one, so a reader never sees half a file. It is
// created with mode 0600 (it names accounts). Within a process it is safe for concurrent
// use; two processes sharing a file may lose each other's latest memo, never corrupt it.
type fileMemory struct {
	path string
	mem  *memory
	// damaged says why the file found at open was ignored ("" when it was fine or
	// absent); the first save moves that file aside instead of overwriting it.
	damaged string
}

// fileFormat is the file's JSON layout; Version lets a future layout be told apart.
type fileFormat struct {
	Version int                       `json:"version"`
	Memos   map[string]negotiate.Memo `json:"memos"`
}

const fileVersion = 1

// maxMemoryFileSize caps what OpenFileMemory reads. A memo is about 200 bytes of JSON, so
// this holds some 5000 accounts, far more than any real file; a larger file is damaged
// (or not ours) and is not read into memory.
const maxMemoryFileSize = 1 << 20

// OpenFileMemory opens (or will create) the memory file at path. A missing file is an
// empty memory. A file that cannot be read or parsed, is larger than 1 MiB, or has an
// unknown version is treated as empty and reported through slog's default logger: memory is an
// optimisation, and a damaged file must not stop mail. Such a file is never overwritten
// silently: the first save renames it to path+".bad" (replacing an older .bad) and logs
// that it did. Memos with an invalid route are dropped and logged. An error is returned
// only when path exists but is not a regular file (a directory, a device, a pipe), which
// is never read nor replaced.
func OpenFileMemory(path string) (negotiate.RouteMemory, error) {
	f, err := openFileMemory(path, defaultMemoryOptions())
	if err != nil {
		return nil, err // not a nil *fileMemory in an interface
	}
	return f, nil
}

func openFileMemory(path string, o memoryOptions) (*fileMemory, error) {
	f := &fileMemory{path: path, mem: newMemory(o)}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err == nil && !info.Mode().IsRegular():
		return nil, fmt.Errorf("smtpport: route memory: %s is not a regular file (%s)", path, info.Mode().Type())
	}
	ff, why := fileFormat{}, "larger than 1 MiB, the cap for a route memory file"
	if info.Size() <= maxMemoryFileSize { // else not even opened; the read is capped anyway
		ff, why = readMemoryFile(path)
	}
	if why != "" {
		f.damaged = why
		f.warn("smtpport: ignoring unreadable route memory file", "path", path, "err", why)
		return f, nil
	}
	dropped := 0
	for k, m := range ff.Memos {
		if m.Route.Validate() != nil {
			dropped++
			continue
		}
		f.mem.memos[k] = m
	}
	if dropped > 0 {
		f.warn("smtpport: route memory file: ignoring memos with an invalid route", "path", path, "count", dropped)
	}
	return f, nil
}

// readMemoryFile reads and parses the file, at most maxMemoryFileSize bytes of it even
// when its size lied (a file that grew, a procfs-like file); why says what is wrong with
// it, "" when nothing is.
func readMemoryFile(path string) (ff fileFormat, why string) {
	file, err := os.Open(path)
	if err != nil {
		return ff, "cannot be read: " + err.Error()
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxMemoryFileSize+1))
	switch {
	case err != nil:
		return ff, "cannot be read: " + err.Error()
	case len(data) > maxMemoryFileSize:
		return ff, "larger than 1 MiB, the cap for a route memory file"
	}
	if err := json.Unmarshal(data, &ff); err != nil {
		return ff, "not a route memory file: " + safetext.Clean(err.Error())
	}
	if ff.Version != fileVersion {
		return ff, fmt.Sprintf("unknown version %d", ff.Version)
	}
	return ff, ""
}

// warn logs a problem the store cannot return.
func (f *fileMemory) warn(msg string, args ...any) {
	if l := f.mem.opts.logger; l != nil {
		l.Warn(msg, args...)
	}
}

// Recall implements negotiate.RouteMemory.
func (f *fileMemory) Recall(key string) (negotiate.Memo, bool) { return f.mem.Recall(key) }

// Remember implements negotiate.RouteMemory and writes the file.
func (f *fileMemory) Remember(key string, m negotiate.Memo) error {
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	f.mem.memos[key] = m
	return f.save()
}

// Forget implements negotiate.RouteMemory and writes the file.
func (f *fileMemory) Forget(key string) error {
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	if _, ok := f.mem.memos[key]; !ok {
		return nil
	}
	delete(f.mem.memos, key)
	return f.save()
}

// save writes the live memos atomically; the caller holds f.mem.mu, which also orders
// concurrent saves. A file that was damaged at open is first moved aside to path.bad.
func (f *fileMemory) save() error {
	if f.damaged != "" {
		bad := f.path + ".bad"
		if err := os.Rename(f.path, bad); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("smtpport: route memory: keeping the unreadable file as %s: %w", bad, err)
		}
		f.warn("smtpport: route memory file was unreadable; kept it aside and writing a new one",
			"path", f.path, "kept", bad, "err", f.damaged)
		f.damaged = ""
	}
	data, err := json.MarshalIndent(fileFormat{Version: fileVersion, Memos: f.mem.snapshot()}, "", "  ")
	if err != nil {
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), filepath.Base(f.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("smtpport: route memory: %w", err)
	}
	return nil
}
