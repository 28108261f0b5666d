// Package ledger remembers the loads that finished with every resource on
// the server: for each server, the input files (name, size, version) of
// each such load and how many resources of each type it left there. A
// rerun over files that have not changed since into the same server
// then has nothing to send.
package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// File is an input file as a load read it. Name, Size and Version (a
// local file's modification time, an object's ETag) say whether it is
// the same file now.
type File struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	Version string `json:"version"`
	// Sample is the Type/id of a resource of the file that the load left
	// on the server (its first), to check that it is still there.
	Sample string `json:"sample,omitempty"`
	// Superseded is set when the load did not write every resource of the
	// file: a later occurrence of the same Type/id in another file was
	// written instead. Such a file counts as unchanged only for the very
	// input of that load (Load.Input): once another file changed or left
	// the input, the occurrence to write may be this file's.
	Superseded bool `json:"superseded,omitempty"`
}

// Load is one finished load: when, which files, and the resources of each
// type it left on the server (created, updated or unchanged).
type Load struct {
	At     time.Time      `json:"at"`
	Files  []File         `json:"files"`
	Landed map[string]int `json:"landed"`
	// Input is the Key of the whole input the load was given (Files are
	// only those it read).
	Input string `json:"input,omitempty"`
}

// Key identifies an input: the name, size and version of each of its
// files, in any order.
func Key(files []File) string {
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = fmt.Sprintf("%q %d %q", f.Name, f.Size, f.Version)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, ln := range lines {
		h.Write([]byte(ln + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Ledger is the record of the finished loads into one server.
type Ledger struct {
	path   string
	Server string `json:"server"`
	Loads  []Load `json:"loads"`
}

// Open reads the ledger of server kept in dir; a server with none gets
// an empty one. A damaged ledger is an error, never taken as empty.
func Open(dir, server string) (*Ledger, error) {
	sum := sha256.Sum256([]byte(server))
	l := &Ledger{path: filepath.Join(dir, "loads-"+hex.EncodeToString(sum[:8])+".json"), Server: server}
	data, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger of finished loads: %w", err)
	}
	if err := json.Unmarshal(data, l); err != nil || l.Server != server {
		return nil, fmt.Errorf("ledger of finished loads %s is damaged (remove it, or use --fresh)", l.path)
	}
	return l, nil
}

// Path is where the ledger is kept.
func (l *Ledger) Path() string { return l.path }

// Match is what a ledger knows of the files of a rerun.
type Match struct {
	// Unchanged are the names of the files that a finished load read as
	// they are now, with what that load recorded of each.
	Unchanged map[string]File
	// Loads are the finished loads those files come from, oldest first.
	Loads []Load
}

// Since is the time of the latest load of the unchanged files.
func (m Match) Since() time.Time {
	if len(m.Loads) == 0 {
		return time.Time{}
	}
	return m.Loads[len(m.Loads)-1].At
}

// Match tells which of files (the whole input) a finished load read as
// they are now. A file whose load wrote some of its resources' later
// occurrences instead (File.Superseded) matches only when files are
// exactly that load's input.
func (l *Ledger) Match(files []File) Match {
	m := Match{Unchanged: map[string]File{}}
	used := map[int]bool{}
	key := ""
	for _, f := range files {
		i := l.find(f.Name)
		if i < 0 {
			continue
		}
		rec := l.Loads[i].file(f.Name)
		if !rec.same(f) {
			continue
		}
		if rec.Superseded {
			if key == "" {
				key = Key(files)
			}
			if l.Loads[i].Input != key {
				continue
			}
		}
		m.Unchanged[f.Name] = rec
		used[i] = true
	}
	for i, ld := range l.Loads {
		if used[i] {
			m.Loads = append(m.Loads, ld)
		}
	}
	return m
}

// find returns the index of the latest load that read a file of that
// name, or -1.
func (l *Ledger) find(name string) int {
	for i := len(l.Loads) - 1; i >= 0; i-- {
		if l.Loads[i].file(name).Name != "" {
			return i
		}
	}
	return -1
}

// same reports whether two Files are the same content by name, size and
// version.
func (f File) same(g File) bool {
	return f.Name == g.Name && f.Size == g.Size && f.Version == g.Version
}

func (ld Load) file(name string) File {
	i := sort.Search(len(ld.Files), func(i int) bool { return ld.Files[i].Name >= name })
	if i < len(ld.Files) && ld.Files[i].Name == name {
		return ld.Files[i]
	}
	return File{}
}

// Record adds a finished load and writes the ledger (a new file renamed
// over the old one, so a crash leaves either). Earlier loads keep only
// the files this one does not record again; a load left with none is
// dropped, its counts of resources left kept in this one.
func (l *Ledger) Record(ld Load) error {
	ld.Files = append([]File(nil), ld.Files...)
	sort.Slice(ld.Files, func(i, j int) bool { return ld.Files[i].Name < ld.Files[j].Name })
	kept := l.Loads[:0]
	for _, old := range l.Loads {
		var files []File
		for _, f := range old.Files {
			if ld.file(f.Name).Name == "" {
				files = append(files, f)
			}
		}
		if len(files) > 0 {
			old.Files = files
			kept = append(kept, old)
			continue
		}
		// What it left on the server is still there, though this load
		// may not have sent it all (an unchanged file recorded again).
		for t, n := range old.Landed {
			if ld.Landed == nil {
				ld.Landed = map[string]int{}
			}
			ld.Landed[t] = max(ld.Landed[t], n)
		}
	}
	l.Loads = append(kept, ld)
	data, err := json.MarshalIndent(l, "", " ")
	if err != nil {
		return fmt.Errorf("ledger of finished loads: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return fmt.Errorf("ledger of finished loads: %w", err)
	}
	tmp := l.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("ledger of finished loads: %w", err)
	}
	if err := os.Rename(tmp, l.path); err != nil {
		return fmt.Errorf("ledger of finished loads: %w", err)
	}
	return nil
}
