package negotiate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileMemory is a RouteMemory kept in a small JSON file, so a command-line tool or a
// short-lived job tries the route that worked last time. The file is read once when
// opened and rewritten whole on every change: written to a temporary file in the same
// directory, then renamed over the old one, so a reader never sees half a file. It is
// created with mode 0600 (it names accounts). Within a process it is safe for concurrent
// use; two processes sharing a file may lose each other's latest memo, never corrupt it.
type FileMemory struct {
	path string
	mem  *Memory
}

// fileFormat is the file's JSON layout; Version lets a future layout be told apart.
type fileFormat struct {
	Version int             `json:"version"`
	Memos   map[string]Memo `json:"memos"`
}

const fileVersion = 1

// OpenFileMemory opens (or will create) the memory file at path. A missing file is an
// empty memory. A file that cannot be parsed is treated as empty and reported through
// MemoryLogger: memory is an optimisation, and a damaged file must not stop mail. An
// error is returned only when the file exists but cannot be read.
func OpenFileMemory(path string, opts ...MemoryOption) (*FileMemory, error) {
	f := &FileMemory{path: path, mem: NewMemory(opts...)}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, fmt.Errorf("negotiate: route memory: %w", err)
	}
	var ff fileFormat
	if err := json.Unmarshal(data, &ff); err != nil || ff.Version != fileVersion {
		if err == nil {
			err = fmt.Errorf("unknown version %d", ff.Version)
		}
		if l := f.mem.opts.logger; l != nil {
			l.Warn("smtpport: ignoring unreadable route memory file", "path", path, "err", err.Error())
		}
		return f, nil
	}
	for k, m := range ff.Memos {
		if m.Route.Validate() == nil {
			f.mem.memos[k] = m
		}
	}
	return f, nil
}

// Recall implements RouteMemory.
func (f *FileMemory) Recall(key string) (Memo, bool) { return f.mem.Recall(key) }

// Remember implements RouteMemory and writes the file.
func (f *FileMemory) Remember(key string, m Memo) error {
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	f.mem.memos[key] = m
	return f.save()
}

// Forget implements RouteMemory and writes the file.
func (f *FileMemory) Forget(key string) error {
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	if _, ok := f.mem.memos[key]; !ok {
		return nil
	}
	delete(f.mem.memos, key)
	return f.save()
}

// save writes the live memos atomically; the caller holds f.mem.mu, which also orders
// concurrent saves.
func (f *FileMemory) save() error {
	data, err := json.MarshalIndent(fileFormat{Version: fileVersion, Memos: f.mem.snapshot()}, "", "  ")
	if err != nil {
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), filepath.Base(f.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("negotiate: route memory: %w", err)
	}
	return nil
}
