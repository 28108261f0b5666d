package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/internal/verify"
)

const verifyUsage = `Usage: minio-to-fhir verify [flags]

Compares an input (the folder, file or bucket prefix an upload read) with
what the FHIR server holds: for every resource an upload writes (each id
once: its last line, files in name order), whether the server has it and
whether its content is the same, element by element, ignoring what the
server sets itself (meta.versionId, meta.lastUpdated, meta.source).
Differences that come from the server's own way of writing a resource
back (empty values dropped, decimal notation, narrative XHTML, sorted
meta.profile/tag/security, reference versions) are named, not hidden;
every other difference is listed with the path of the first differing
element. The server's version of each resource is counted too.

Flags (the variable in brackets sets the same from .env or the environment):
  -i, --input PATH          folder, file or s3://bucket/prefix to compare [TMP_DIR, default /tmp/fhir-upload]
  -s, --batch-size N        ids per search (default 50)
  -c, --concurrency N       searches in flight at once (default 4)
      --fhir-url URL[,URL]  the FHIR server's base URL; of several nodes of one server, the first is
                            read [FHIR_BASE_URL, default http://localhost:8080/fhir]
      --examples N          missing and differing resources named (default 20)
      --retries N           tries per search on network errors, 408, 429, 5xx (default 6)
      --timeout DURATION    per request (default 5m)
      --ca-cert FILE        trust the CA certificate(s) in FILE (PEM) for an https server
      --insecure-skip-verify  do not verify the server's certificate (unsafe)
      --json                print the report as JSON on stdout
      --report-html FILE    also write the report as a self-contained HTML page
      --env-file FILE       read settings from FILE instead of ./.env
      --work-dir DIR        where the plan's temporary files go [WORK_DIR, default $TMPDIR or /tmp]
      --fetch-once          keep a copy of each object of a bucket in the work directory, so that
                            it is fetched once (default true)
  -q, --quiet               print only the result line
  -h, --help                show this help

Credentials come only from .env or the environment, as for upload.

Exit codes: 0 every resource is on the server with the same content,
3 some are missing or differ (or lines of the input are no resources),
1 error, 2 usage error, 4 credentials refused, 130 interrupted.
`

type verifyOptions struct {
	serverFlags
	batchSize   int
	concurrency int
	examples    int
	verifyHTMLFlags
}

func (o *verifyOptions) bind(fs flagBinder) {
	o.serverFlags.bind(fs)
	for _, n := range []string{"batch-size", "s"} {
		fs.IntVar(&o.batchSize, n, defaults.VerifyBatchSize, "")
	}
	for _, n := range []string{"concurrency", "c"} {
		fs.IntVar(&o.concurrency, n, defaults.VerifyConcurrency, "")
	}
	fs.IntVar(&o.examples, "examples", defaults.Examples, "")
	o.verifyHTMLFlags.bind(fs)
}

func runVerifyCmd(ctx context.Context, args []string, env Env) error {
	var o verifyOptions
	fs := newFlagSet("verify")
	o.bind(fs)
	if err := parseFlags(fs, args, verifyUsage, env.Stdout); err != nil {
		return err
	}
	client, src, err := o.resolve(env)
	if err != nil {
		return err
	}
	return runVerify(ctx, o, client, src, env)
}

// resolve checks the options and builds the client and the source the
// way upload does, from the same settings.
func (o *verifyOptions) resolve(env Env) (*fhir.Client, source.Source, error) {
	s, err := loadSettings(o.envFile, env.Lookup)
	if err != nil {
		return nil, nil, err
	}
	if o.input == "" {
		o.input = s.str("TMP_DIR", defaults.TmpDir)
	}
	switch {
	case o.batchSize < 1 || o.batchSize > 1000:
		return nil, nil, usageErrorf("--batch-size %d is out of range: use 1 to 1000", o.batchSize)
	case o.concurrency < 1 || o.concurrency > 64:
		return nil, nil, usageErrorf("--concurrency %d is out of range: use 1 to 64", o.concurrency)
	case o.retries < 1:
		return nil, nil, usageErrorf("--retries must be at least 1")
	case o.examples < 1:
		return nil, nil, usageErrorf("--examples must be at least 1")
	}
	if o.fhirURL == "" {
		o.fhirURL = s.str("FHIR_BASE_URL", defaults.BaseURL)
	}
	if o.workDir, err = workDir(o.workDir, s); err != nil {
		return nil, nil, err
	}
	// The nodes of a cluster share one database: verify reads from the
	// first; the list is checked as upload checks it.
	nodes, err := splitNodes(o.fhirURL)
	if err != nil {
		return nil, nil, err
	}
	o.fhirURL = nodes[0]
	creds, err := resolveServerCreds(s, o.serverFlags, o.fhirURL)
	if err != nil {
		return nil, nil, err
	}
	o.authKind = authKind(creds, nodes[:1])
	fc := fhir.Config{BaseURL: o.fhirURL, Timeout: o.timeout, UserAgent: "minio-to-fhir/" + Version}
	creds.apply(&fc)
	client, err := fhir.New(fc)
	if err != nil {
		return nil, nil, usageErrorf("FHIR_BASE_URL: %v", err)
	}
	src, err := inputSource(o.input, s)
	if err != nil {
		return nil, nil, err
	}
	return client, src, nil
}

func runVerify(ctx context.Context, o verifyOptions, client *fhir.Client, src source.Source, env Env) error {
	out := env.Stdout
	if o.json || o.quiet {
		out = io.Discard
	}
	fmt.Fprintln(out, "=== Verify: input against FHIR server ===")
	fmt.Fprintf(out, "Source: %s\nServer: %s\n\n", src, client.BaseURL())
	if o.insecure {
		fmt.Fprintln(env.Stderr, "warning: --insecure-skip-verify: the server's certificate is NOT checked")
	}
	fmt.Fprint(out, "Testing FHIR server... ")
	info, err := client.CheckServer(ctx)
	if err != nil {
		fmt.Fprintln(out, "✗")
		return err
	}
	fmt.Fprintf(out, "✓ (%s, FHIR %s)\n", orUnknown(info.Software), orUnknown(info.FHIRVersion))

	files, err := src.List(ctx)
	if err != nil {
		return err
	}
	in, err := prepareInput(ctx, src, files, o.serverFlags, out, env.Stderr)
	if err != nil {
		return err
	}
	defer in.Close()
	p, inputs, err := verifyPlan(ctx, o, client, src, in.Files, out)
	if err != nil {
		return err
	}
	defer p.Analysis.Close()
	rep, err := compare(ctx, o, client, p, inputs, env)
	if err != nil {
		return err
	}
	if o.json {
		if err := writeVerifyJSON(env.Stdout, rep); err != nil {
			return err
		}
	} else {
		printVerify(out, rep)
		fmt.Fprintln(env.Stdout, verifyVerdict(rep))
	}
	if err := writeVerifyHTML(o, client, src, rep); err != nil {
		return err
	}
	if !rep.Complete() {
		return errFailures
	}
	return nil
}

// verifyPlan plans the input as upload does, so that its analysis holds
// the duplicate rule and verify compares exactly the lines upload writes;
// it returns the plan and its files in order.
func verifyPlan(ctx context.Context, o verifyOptions, client *fhir.Client, src source.Source, files []source.File, out io.Writer) (*plan.Plan, []source.File, error) {
	p, err := plan.Build(ctx, files, plan.Options{Order: plan.OrderData, BaseURL: client.BaseURL(), TempDir: o.workDir})
	if err != nil {
		return nil, nil, err
	}
	var inputs []source.File
	for _, st := range p.Steps {
		for _, f := range st.Files {
			inputs = append(inputs, f.File)
		}
	}
	if len(inputs) == 0 && len(p.Skipped) == 0 {
		return nil, nil, fmt.Errorf("no NDJSON files in %s (looked for *.ndjson and *.ndjson.gz, and for FHIR JSON in *.json and *.json.gz)", src)
	}
	fmt.Fprintf(out, "Found %s (%s)", progress.Plural(len(inputs), "NDJSON file", "NDJSON files"), progress.Plural(p.Lines(), "line", "lines"))
	if a := p.Analysis; a.Duplicates.IDs > 0 {
		fmt.Fprintf(out, "; repeated ids: %s (%s with differing content), only the last line of each is compared, as upload writes only it",
			progress.Thousands(a.Duplicates.IDs), progress.Thousands(a.Duplicates.Differing))
	}
	fmt.Fprint(out, "\n\nComparing...\n")
	return p, inputs, nil
}

// compare compares the planned input with the server (package verify),
// showing its progress; the files the plan skipped are its problems.
func compare(ctx context.Context, o verifyOptions, client *fhir.Client, p *plan.Plan, inputs []source.File, env Env) (*verify.Report, error) {
	toCompare := p.Lines()
	if toCompare > 0 {
		toCompare -= p.Analysis.Duplicates.Superseded
	}
	status := newVerifyStatus(env, toCompare, !o.json && !o.quiet && env.IsTerminal(env.Stdout))
	rep, err := verify.Run(ctx, client, inputs, verify.Options{
		BatchSize:   o.batchSize,
		Concurrency: o.concurrency,
		Written:     p.Analysis.Written,
		MaxExamples: o.examples,
		Retry:       retry.Policy{Attempts: o.retries},
		CountTypes:  true,
		Progress:    status.update,
		OnRetry: func(typ string, attempt int, err error, wait time.Duration) {
			status.warn(fmt.Sprintf("search of %s: %v; try %d in %s", typ, err, attempt+1, progress.Seconds(wait)))
		},
	})
	status.close()
	if err != nil {
		return nil, err
	}
	for _, f := range p.Skipped {
		rep.FileProblems = append(rep.FileProblems, verify.Example{File: f.Name, Error: f.Err.Error()})
	}
	return rep, nil
}

func writeVerifyJSON(w io.Writer, rep *verify.Report) error {
	type jsonReport struct {
		Complete bool `json:"complete"`
		*verify.Report
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonReport{Complete: rep.Complete(), Report: rep}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// verifyStatus redraws one status line on stderr while a verification
// runs on a terminal.
type verifyStatus struct {
	errw  io.Writer
	total int
	on    bool

	mu    sync.Mutex
	last  verify.Progress
	shown bool
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newVerifyStatus(env Env, total int, on bool) *verifyStatus {
	s := &verifyStatus{errw: env.Stderr, total: total, on: on, start: time.Now(), stop: make(chan struct{})}
	if on {
		s.wg.Add(1)
		go s.tick()
	}
	return s
}

func (s *verifyStatus) tick() {
	defer s.wg.Done()
	tk := time.NewTicker(100 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-tk.C:
			s.mu.Lock()
			s.draw()
			s.mu.Unlock()
		case <-s.stop:
			return
		}
	}
}

func (s *verifyStatus) draw() {
	line := "Compared " + progress.Thousands(s.last.Compared)
	if s.total > 0 {
		line += fmt.Sprintf("/%s (%d%%)", progress.Thousands(s.total), min(100, s.last.Compared*100/s.total))
	}
	if el := time.Since(s.start).Seconds(); el > 0 {
		line += fmt.Sprintf("  %s/s", progress.Thousands(int(float64(s.last.Compared)/el)))
	}
	line += fmt.Sprintf("  %s missing  %s differing", progress.Thousands(s.last.Missing), progress.Thousands(s.last.Differing))
	fmt.Fprintf(s.errw, "\r\033[K%s", line)
	s.shown = true
}

func (s *verifyStatus) update(p verify.Progress) {
	s.mu.Lock()
	s.last = p
	s.mu.Unlock()
}

func (s *verifyStatus) warn(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	fmt.Fprintf(s.errw, "warning: %s\n", msg)
}

func (s *verifyStatus) clear() {
	if s.shown {
		fmt.Fprint(s.errw, "\r\033[K")
		s.shown = false
	}
}

func (s *verifyStatus) close() {
	if s.on {
		close(s.stop)
		s.wg.Wait()
	}
	s.mu.Lock()
	s.clear()
	s.mu.Unlock()
}
