package cli

import (
	"flag"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// flagBinder is the part of *flag.FlagSet that the commands bind their
// flags with.
type flagBinder interface {
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	BoolVar(*bool, string, bool, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	Var(flag.Value, string, string)
}

// serverFlags are the flags of the commands that read an input and talk
// to the FHIR server (upload, verify): the same names, meanings and
// defaults in both.
type serverFlags struct {
	input     string
	fhirURL   string
	retries   int
	timeout   time.Duration
	caCert    string
	insecure  bool
	json      bool
	envFile   string
	quiet     bool
	workDir   string
	fetchOnce bool
}

func (c *serverFlags) bind(fs flagBinder) {
	for _, n := range []string{"input", "i"} {
		fs.StringVar(&c.input, n, "", "")
	}
	fs.StringVar(&c.fhirURL, "fhir-url", "", "")
	fs.IntVar(&c.retries, "retries", defaults.Retries, "")
	fs.DurationVar(&c.timeout, "timeout", defaults.Timeout, "")
	fs.StringVar(&c.caCert, "ca-cert", "", "")
	fs.BoolVar(&c.insecure, "insecure-skip-verify", false, "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.StringVar(&c.envFile, "env-file", "", "")
	fs.StringVar(&c.workDir, "work-dir", "", "")
	fs.BoolVar(&c.fetchOnce, "fetch-once", true, "")
	for _, n := range []string{"quiet", "q"} {
		fs.BoolVar(&c.quiet, n, false, "")
	}
}
