package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"
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

// diskFull reports whether err is a full disk (or quota).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
