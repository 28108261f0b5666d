package bucket

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// localPath turns the part of a key below the prefix into a path relative
// to the download folder. It refuses names that are empty, absolute, have
// empty, "." or ".." elements, contain a NUL byte, or are not local on this
// system (a drive letter or a reserved name on Windows): rather than guess
// what such a key means, it does not write it. The error wraps
// ErrUnsafePath.
func localPath(rel string) (string, error) {
	refuse := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrUnsafePath, why)
	}
	switch {
	case rel == "":
		return refuse("the key names the prefix itself")
	case strings.HasPrefix(rel, "/"):
		return refuse("the key is an absolute path")
	case strings.ContainsRune(rel, 0):
		return refuse("the key contains a NUL byte")
	}
	for _, el := range strings.Split(rel, "/") {
		switch el {
		case "":
			return refuse("the key has an empty path element (//)")
		case ".", "..":
			return refuse(fmt.Sprintf("the key has a %q path element", el))
		}
	}
	p := filepath.FromSlash(rel)
	if !filepath.IsLocal(p) {
		return refuse("the key is not a plain relative path on this system")
	}
	return p, nil
}

// checkFolders refuses to write through a symbolic link: each folder on the
// way to p (relative to root) must be a real folder or not exist yet. The
// os.Root the files are written through would stop a link that leads out
// of the folder anyway; this gives the clearer message, and refuses links
// that stay inside too.
func checkFolders(root *os.Root, p string) error {
	dir := filepath.Dir(p)
	if dir == "." {
		return nil
	}
	walked := ""
	for _, el := range strings.Split(dir, string(filepath.Separator)) {
		walked = filepath.Join(walked, el)
		info, err := root.Lstat(walked)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil // MkdirAll makes the rest
		case err != nil:
			return err
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: %s is a symbolic link", ErrUnsafePath, walked)
		case !info.IsDir():
			return fmt.Errorf("%s is a file, not a folder", walked)
		}
	}
	return nil
}
