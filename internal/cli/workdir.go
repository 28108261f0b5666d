package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/dustin/go-humanize"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// errWorkDir marks a work directory that cannot be used.
var errWorkDir = errors.New("work directory")

// workDir returns the folder of the temporary files of a plan and a load
// (--work-dir, WORK_DIR, else the system's temporary folder, $TMPDIR),
// made if missing and checked to be writable, so that a load does not
// find out after planning.
func workDir(flagValue string, s settings) (string, error) {
	dir := flagValue
	if dir == "" {
		dir = s.str("WORK_DIR", os.TempDir())
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("%w %s: %v", errWorkDir, dir, cleanPathErr(err))
	}
	f, err := os.CreateTemp(dir, ".minio-to-fhir-probe-*")
	if err != nil {
		return "", fmt.Errorf("%w %s: not writable: %v", errWorkDir, dir, cleanPathErr(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return dir, nil
}

// fetchOnce reads the objects of a bucket through copies in the work
// directory, so that each is fetched once although the plan and the load
// both read it; local files are read where they are. The returned close
// removes the copies (nil when there are none).
func fetchOnce(src source.Source, files []source.File, c serverFlags) ([]source.File, *source.Copies, error) {
	switch src.(type) {
	case source.Dir, source.FailureLog:
		return files, nil, nil
	}
	if !c.fetchOnce {
		return files, nil, nil
	}
	sp, err := source.NewCopies(c.workDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w %s: %v", errWorkDir, c.workDir, err)
	}
	return sp.Files(files), sp, nil
}

// printCopies says how much of the work directory the copies take.
func printCopies(w io.Writer, sp *source.Copies) {
	if sp != nil && sp.Bytes() > 0 {
		fmt.Fprintf(w, "Copies: %s of objects kept in the work directory, so each is fetched once (--fetch-once=false fetches them again to send)\n\n",
			humanize.IBytes(uint64(sp.Bytes())))
	}
}

// diskFull reports whether err is a full disk (or quota).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
