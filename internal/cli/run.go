// Package cli is the command line of minio-to-fhir: it parses flags and
// settings, wires the packages that do the work, prints to the user and
// turns errors into exit codes.
package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/auth"
	"github.com/minio-to-fhir/minio-to-fhir/internal/bucket"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFatal       = 1
	ExitUsage       = 2
	ExitFailures    = 3
	ExitAuth        = 4 // the server or the token endpoint refused the credentials
	ExitInterrupted = 130
)

// errFailures ends a run that finished with resources in the failure log.
var errFailures = errors.New("finished with failed resources")

// Env is what a command may touch outside itself. Tests fill it in.
type Env struct {
	Stdout, Stderr io.Writer
	// Lookup reads an environment variable; os.LookupEnv by default.
	Lookup func(string) (string, bool)
	// IsTerminal reports whether w is a terminal; by default a check of
	// *os.File descriptors.
	IsTerminal func(w io.Writer) bool
}

// Run runs the command line args (without the program name) and returns
// the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, Env{Stdout: stdout, Stderr: stderr})
}

// RunEnv is Run with an explicit environment.
func RunEnv(ctx context.Context, args []string, env Env) int {
	if env.Lookup == nil {
		env.Lookup = os.LookupEnv
	}
	if env.IsTerminal == nil {
		env.IsTerminal = isTerminal
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, mainUsage)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "upload":
		err = runUploadCmd(ctx, rest, env)
	case "list":
		err = runListCmd(ctx, rest, env)
	case "download":
		err = runDownloadCmd(ctx, rest, env)
	case "verify":
		err = runVerifyCmd(ctx, rest, env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "minio-to-fhir", Version)
	default:
		err = usageErrorf("unknown command %q (commands: upload, verify, list, download)", cmd)
	}
	return exitCode(err, env.Stderr)
}

// Version is set at build time with -ldflags "-X ...cli.Version=v1.2.3".
var Version = "dev"

const mainUsage = `minio-to-fhir moves FHIR R4 NDJSON from MinIO/S3 buckets and local folders into a FHIR server.

Usage:
  minio-to-fhir upload   [--input DIR|FILE|s3://bucket/prefix] [--batch-size N] ...
  minio-to-fhir list     [--bucket B] [--prefix P] [--count] [--json]
  minio-to-fhir download [--bucket B] [--prefix P] [--output DIR]
  minio-to-fhir verify   [--input DIR|FILE|s3://bucket/prefix] [--json]
  minio-to-fhir <command> --help

Settings come from .env, then the environment, then flags (later wins).
Exit codes: 0 ok, 1 error, 2 usage error, 3 finished with failed resources, 4 credentials refused, 130 interrupted.
`

// exitCode prints err the way users read it and maps it to an exit code:
// the one switch that does so.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "minio-to-fhir: error: %v\n", err)
		fmt.Fprintf(stderr, "minio-to-fhir: hint: see 'minio-to-fhir --help'\n")
		return ExitUsage
	case errors.Is(err, errFailures):
		return ExitFailures
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "minio-to-fhir: interrupted")
		return ExitInterrupted
	case errors.Is(err, auth.ErrToken), errors.Is(err, fhir.ErrUnauthorized), errors.Is(err, transfer.ErrAuth):
		fmt.Fprintf(stderr, "minio-to-fhir: error: %v\n", err)
		for _, h := range hints(err) {
			fmt.Fprintf(stderr, "minio-to-fhir: hint: %s\n", h)
		}
		return ExitAuth
	}
	fmt.Fprintf(stderr, "minio-to-fhir: error: %v\n", err)
	for _, h := range hints(err) {
		fmt.Fprintf(stderr, "minio-to-fhir: hint: %s\n", h)
	}
	return ExitFatal
}

// certificateRequired reports whether err is the TLS alert of a server
// that wants a client certificate (RFC 8446, certificate_required).
// crypto/tls reports a peer's alert as a *net.OpError "remote error"
// around an unexported type, so its text is all there is to go by.
func certificateRequired(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error" && oe.Err != nil &&
		oe.Err.Error() == "tls: certificate required"
}

// hints say what to try for the errors users meet.
func hints(err error) []string {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case certificateRequired(err):
		return []string{"the server asks for a client certificate: set FHIR_CLIENT_CERT and FHIR_CLIENT_KEY"}
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr):
		return []string{"the server's certificate is not trusted: give its CA with --ca-cert FILE (or check FHIR_BASE_URL's host name)"}
	case errors.Is(err, auth.ErrToken):
		return []string{"check FHIR_OAUTH_CLIENT_ID and its secret or key, and that the client is enabled at the authorization server",
			"then run the same command again: it resumes where this run stopped"}
	case errors.Is(err, fhir.ErrUnreachable):
		return []string{"is a FHIR server running at that address? Set FHIR_BASE_URL (or start the test bed: scripts/testbed up)"}
	case errors.Is(err, fhir.ErrUnauthorized), errors.Is(err, transfer.ErrAuth):
		return []string{"check FHIR_USERNAME and FHIR_PASSWORD (with FHIR_AUTH_ENABLED=true), FHIR_TOKEN (a token expires), or the FHIR_OAUTH_* settings"}
	case errors.Is(err, fhir.ErrNotFound), errors.Is(err, fhir.ErrNotFHIR):
		return []string{"check FHIR_BASE_URL: it is the server's FHIR base, for HAPI usually ending in /fhir"}
	case diskFull(err):
		return []string{"the disk of the work directory (or of the failure log or checkpoint) is full: free some space, or set --work-dir (WORK_DIR) to a larger disk, and run the same command again: it resumes"}
	case errors.Is(err, errWorkDir):
		return []string{"set --work-dir (WORK_DIR) to a folder this user can write, with room for the temporary files the plan names"}
	case errors.Is(err, transfer.ErrServerGone), errors.Is(err, transfer.ErrIncomplete):
		return []string{"check the server's health and log, then run the same command again: it resumes where this run stopped"}
	}
	if h := bucket.Hint(err); h != "" {
		return []string{h}
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && termIsTerminal(int(f.Fd()))
}

// newFlagSet returns a FlagSet that prints nothing itself: parseFlags
// prints the command's own help and turns errors into usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args; --help prints usage to out.
func parseFlags(fs *flag.FlagSet, args []string, usage string, out io.Writer) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(out, usage)
		return err
	}
	if err != nil {
		return usageErrorf("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), strings.Join(fs.Args(), " "))
	}
	return nil
}
