package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Dir is a local folder whose *.ndjson, *.ndjson.gz, *.json and *.json.gz
// files, in it and in its subfolders, are the inputs. A single file may
// stand in for a folder.
type Dir struct {
	Path string
}

func (d Dir) String() string { return d.Path }

// List walks the folder. It does not follow symbolic links to folders (so
// a link loop cannot trap it); a link to a file is read as that file.
// Files that cannot be read are returned with Err set.
func (d Dir) List(ctx context.Context) ([]File, error) {
	info, err := os.Stat(d.Path)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", d.Path, pathError(err))
	}
	if !info.IsDir() {
		return []File{d.file(filepath.Base(d.Path), d.Path, info)}, nil
	}
	var files []File
	err = filepath.WalkDir(d.Path, func(p string, e fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		rel, _ := filepath.Rel(d.Path, p)
		if err != nil {
			if p == d.Path {
				return err
			}
			if e != nil && e.IsDir() || IsInput(p) {
				files = append(files, File{Name: rel, Err: pathError(err)})
			}
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() && IsInput(p) && p != d.Path {
			// Said, and its files are still read.
			files = append(files, File{Name: rel, Err: errors.New("is a folder, not a file")})
			return nil
		}
		if e.IsDir() || !IsInput(p) {
			return nil
		}
		info, err := os.Stat(p) // follows a link to a file
		switch {
		case err != nil:
			files = append(files, File{Name: rel, Err: pathError(err)})
		case info.IsDir():
			files = append(files, File{Name: rel, Err: errors.New("is a folder, not a file")})
		case !info.Mode().IsRegular():
			files = append(files, File{Name: rel, Err: errors.New("is not a regular file")})
		default:
			files = append(files, d.file(rel, p, info))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", d.Path, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

func (d Dir) file(name, path string, info fs.FileInfo) File {
	return File{
		Name:    name,
		Size:    info.Size(),
		Version: info.ModTime().UTC().Format(time.RFC3339Nano),
		Open: func(context.Context) (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, pathError(err)
			}
			return f, nil
		},
	}
}

// pathError drops the path that *fs.PathError repeats, since callers name
// the file themselves.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
