package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

const uploadUsage = `Usage: minio-to-fhir upload [flags]

Reads every *.ndjson and *.ndjson.gz file of a folder (and its subfolders),
a single file, or a bucket prefix, and the FHIR Bundles in *.json and
*.json.gz files (Synthea's default output), orders the files so that referenced
types are written first, and PUTs every resource with its own id in batch
Bundles. Every resource ends on the server or in the failure log.

Flags (the variable in brackets sets the same from .env or the environment):
  -i, --input PATH          folder, file or s3://bucket/prefix to upload [TMP_DIR, default /tmp/fhir-upload]
  -s, --batch-size N        resources per Bundle [BATCH_SIZE, default 200]
      --batch-bytes SIZE    bytes per Bundle, e.g. 512KiB; a larger resource goes alone
                            [BATCH_BYTES, default 1MiB]
      --batch-refs N        references per Bundle; a resource with more goes alone
                            [BATCH_REFS, default 10000]
  -c, --concurrency N       Bundles in flight at once, fixed [CONCURRENCY; default: adaptive,
                            found from the server's latency within 1..--max-concurrency]
      --max-concurrency N   the most Bundles in flight when adaptive [MAX_CONCURRENCY, default 8 per node]
      --fhir-url URL[,URL]  the FHIR server's base URL; several, comma-separated, are nodes of one
                            server (one database) that share the work [FHIR_BASE_URL,
                            default http://localhost:8080/fhir]
      --failure-log FILE    where failed resources are written (default upload_failures.log)
      --retries N           tries per Bundle on network errors, 408, 429, 5xx (default 6)
      --timeout DURATION    the shortest wait for an answer (default 5m); a Bundle of
                            huge resources gets longer, up to --timeout-max
      --timeout-max DURATION  the longest wait for an answer (default 30m)
      --ca-cert FILE        trust the CA certificate(s) in FILE (PEM) for an https server,
                            besides the system's
      --insecure-skip-verify  do not verify the server's certificate (unsafe: anyone
                            between you and the server can read the data and credentials)
      --order data|static   data: order types, and resources within a type, from the
                            references in the data; cycles go in transactions (default);
                            static: a fixed order of types, files as they are
      --gzip                send request bodies gzip-compressed
      --tx-semantics[=auto|true|false]  ask HAPI (8.2+) to try each batch as a
                            transaction first, falling back to batch (header
                            X-Transaction-Semantics) [TX_SEMANTICS, default auto: on
                            when the server says it is HAPI FHIR 8.2 or later]
      --work-dir DIR        where the plan's and the load's temporary files go; the plan
                            says how much room they take [WORK_DIR, default $TMPDIR or /tmp]
      --fetch-once          keep a copy of each object of a bucket in the work directory while
                            the upload runs, so that it is fetched once (default true;
                            --fetch-once=false fetches it twice, to plan and to send, with no disk)
      --checkpoint-dir DIR  where resume checkpoints are kept
                            (default ~/.local/state/minio-to-fhir)
      --fresh               ignore the checkpoint of an interrupted run and start over
      --dry-run             check the server, scan and print the plan; send nothing
      --json                print the summary as JSON on stdout instead of the report
      --report FILE         also write the JSON summary to FILE
      --report-html FILE    the HTML report: charts of the load over time, the plan, the
                            summary, the refusals by reason, the settings; rewritten as the
                            load goes (default upload_report.html beside the failure log);
                            its time series is kept beside it in FILE's name .series.json
      --metrics-addr HOST:PORT  serve the load's figures at http://HOST:PORT/metrics in
                            Prometheus' text format while it runs (e.g. 127.0.0.1:9464)
      --series-interval DURATION  a point of the time series at first (default 5s); it
                            doubles as the load grows, so that the series stays small
      --env-file FILE       read settings from FILE instead of ./.env
  -q, --quiet               print only the summary
  -v, --verbose             log requests to stderr
  -h, --help                show this help

Credentials come only from .env or the environment: FHIR_AUTH_ENABLED=true
with FHIR_USERNAME and FHIR_PASSWORD (HTTP Basic), FHIR_TOKEN (Bearer), or
OAuth2 client credentials (SMART Backend Services): FHIR_OAUTH_CLIENT_ID with
FHIR_OAUTH_CLIENT_SECRET, or FHIR_OAUTH_PRIVATE_KEY_FILE (private_key_jwt);
see the README. FHIR_CLIENT_CERT and FHIR_CLIENT_KEY give a client
certificate (mutual TLS).

Exit codes: 0 everything landed, 3 finished with failed resources, 1 error,
2 usage error, 4 credentials refused (by the server or the token endpoint),
130 interrupted.
`

// unset marks a numeric flag not given, so that 0 is still an error.
const unset = -1 << 31

type uploadOptions struct {
	serverFlags
	batchSize   int
	batchBytes  string
	batchRefs   int
	timeoutMax  time.Duration
	concurrency int
	failureLog  string
	gzip        bool
	txSemantics txMode
	order       string
	ckptDir     string
	fresh       bool
	dryRun      bool
	report      string
	verbose     bool
	htmlReportFlags

	// maxConcurrency bounds an adaptive concurrency; adaptive is set when
	// no -c (CONCURRENCY) fixes it.
	maxConcurrency int
	adaptive       bool
}

func (o *uploadOptions) bind(fs flagBinder) {
	o.serverFlags.bind(fs)
	for _, n := range []string{"batch-size", "s"} {
		fs.IntVar(&o.batchSize, n, unset, "")
	}
	fs.StringVar(&o.batchBytes, "batch-bytes", "", "")
	fs.IntVar(&o.batchRefs, "batch-refs", unset, "")
	fs.DurationVar(&o.timeoutMax, "timeout-max", defaults.TimeoutMax, "")
	for _, n := range []string{"concurrency", "c"} {
		fs.IntVar(&o.concurrency, n, unset, "")
	}
	fs.StringVar(&o.failureLog, "failure-log", defaults.FailureLog, "")
	fs.BoolVar(&o.gzip, "gzip", false, "")
	fs.Var(&o.txSemantics, "tx-semantics", "")
	fs.IntVar(&o.maxConcurrency, "max-concurrency", unset, "")
	fs.StringVar(&o.order, "order", plan.OrderData, "")
	fs.StringVar(&o.ckptDir, "checkpoint-dir", "", "")
	fs.BoolVar(&o.fresh, "fresh", false, "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.StringVar(&o.report, "report", "", "")
	o.htmlReportFlags.bind(fs)
	for _, n := range []string{"verbose", "v"} {
		fs.BoolVar(&o.verbose, n, false, "")
	}
}

// uploadConfig is everything an upload needs, validated.
type uploadConfig struct {
	uploadOptions
	bytes int            // batchBytes, read
	nodes []*fhir.Client // one per base URL of FHIR_BASE_URL
	src   source.Source
	creds *serverCreds
}

func runUploadCmd(ctx context.Context, args []string, env Env) error {
	var o uploadOptions
	fs := newFlagSet("upload")
	o.bind(fs)
	if err := parseFlags(fs, args, uploadUsage, env.Stdout); err != nil {
		return err
	}
	cfg, err := o.resolve(env)
	if err != nil {
		return err
	}
	return runUpload(ctx, cfg, env)
}

// resolve fills the options from settings and checks them.
func (o uploadOptions) resolve(env Env) (*uploadConfig, error) {
	s, err := loadSettings(o.envFile, env.Lookup)
	if err != nil {
		return nil, err
	}
	if o.input == "" {
		o.input = s.str("TMP_DIR", defaults.TmpDir)
	}
	if o.batchSize == unset {
		if o.batchSize, err = s.integer("BATCH_SIZE", defaults.BatchSize); err != nil {
			return nil, err
		}
	}
	if o.batchSize < 1 || o.batchSize > 10000 {
		return nil, usageErrorf("batch size %d is out of range: use 1 to 10000 (--batch-size or BATCH_SIZE)", o.batchSize)
	}
	if err := o.resolveLimits(s); err != nil {
		return nil, err
	}
	maxSet := o.maxConcurrency != unset || strings.TrimSpace(s["MAX_CONCURRENCY"]) != ""
	if err := o.resolveAdaptive(s); err != nil {
		return nil, err
	}
	if o.order != plan.OrderData && o.order != plan.OrderStatic {
		return nil, usageErrorf("--order %q: use data or static", o.order)
	}
	if o.ckptDir == "" {
		o.ckptDir = defaultCheckpointDir(env)
	}
	if o.workDir, err = workDir(o.workDir, s); err != nil {
		return nil, err
	}
	if err := o.htmlReportFlags.check(); err != nil {
		return nil, err
	}
	if o.retries < 1 {
		return nil, usageErrorf("--retries must be at least 1")
	}
	if o.fhirURL == "" {
		o.fhirURL = s.str("FHIR_BASE_URL", defaults.BaseURL)
	}
	urls, err := splitNodes(o.fhirURL)
	if err != nil {
		return nil, err
	}
	if o.adaptive && !maxSet {
		// HAPI's pool bounds each node (see defaults.MaxConcurrency); the
		// nodes have a pool each.
		o.maxConcurrency = min(64, defaults.MaxConcurrency*len(urls))
		o.concurrency = o.maxConcurrency
	}
	creds, err := resolveServerCreds(s, o.serverFlags, urls[0])
	if err != nil {
		return nil, err
	}
	o.authKind = authKind(creds, urls)
	fc := fhir.Config{Timeout: o.timeout, GzipRequests: o.gzip, UserAgent: "minio-to-fhir/" + Version}
	creds.apply(&fc)
	nodes, err := newNodes(urls, fc)
	if err != nil {
		return nil, err
	}
	src, err := inputSource(o.input, s)
	if err != nil {
		return nil, err
	}
	if _, replay := src.(source.FailureLog); replay && sameFile(o.input, o.failureLog) {
		return nil, usageErrorf("--input %s is the failure log this run would write: give another --failure-log", o.input)
	}
	bytes, _ := parseSize(o.batchBytes) // checked by resolveLimits
	return &uploadConfig{uploadOptions: o, bytes: bytes, nodes: nodes, src: src, creds: creds}, nil
}

// fhirAuth picks the server credentials from the settings.
func fhirAuth(s settings) (fhir.Auth, error) {
	basic, err := s.boolean("FHIR_AUTH_ENABLED", false)
	if err != nil {
		return nil, err
	}
	if basic {
		user, pass := s.str("FHIR_USERNAME", ""), s["FHIR_PASSWORD"]
		if user == "" || pass == "" {
			return nil, usageErrorf("FHIR_AUTH_ENABLED=true needs FHIR_USERNAME and FHIR_PASSWORD")
		}
		return fhir.BasicAuth{User: user, Password: pass}, nil
	}
	if tok := s.str("FHIR_TOKEN", ""); tok != "" {
		return fhir.BearerToken(tok), nil
	}
	return nil, nil
}

// inputSource turns --input into a source: a local path or a bucket.
func inputSource(input string, s settings) (source.Source, error) {
	if strings.HasPrefix(input, "s3://") {
		return bucketSource(input, s)
	}
	if info, err := os.Stat(input); err == nil && info.Mode().IsRegular() && source.IsFailureLog(input) {
		return source.FailureLog{Path: input}, nil
	}
	return source.Dir{Path: input}, nil
}

// uploadRun is one upload as the command line sees it: what it prints
// and the parts it hands to the planner and to transfer, which owns the
// load (plan, send, checkpoint, failure log, summary).
type uploadRun struct {
	cfg     *uploadConfig
	env     Env
	out     io.Writer // the report; io.Discard with --json or --quiet
	cl      *cluster.Cluster
	txFirst transfer.TxFirst
	rr      *rerun
	in      *input
	p       *plan.Plan
}

func runUpload(ctx context.Context, cfg *uploadConfig, env Env) error {
	u := &uploadRun{cfg: cfg, env: env, out: env.Stdout}
	if cfg.json || cfg.quiet {
		u.out = io.Discard
	}
	if err := u.checkServer(ctx); err != nil {
		return err
	}
	files, err := u.list(ctx)
	if err != nil {
		return err
	}
	if u.rr, err = openRerun(ctx, cfg, files, u.out); err != nil {
		return err
	}
	if u.rr.all() {
		return allUnchanged(env.Stdout, u.out, cfg, u.rr)
	}
	if u.in, err = prepareInput(ctx, cfg.src, files, cfg.serverFlags, u.out, env.Stderr); err != nil {
		return err
	}
	defer u.in.Close()
	defer u.closePlan()
	if err := u.plan(ctx); err != nil {
		return err
	}
	return u.send(ctx)
}

// checkServer prints the banner and checks the server: its version, and
// whether batches go transaction first.
func (u *uploadRun) checkServer(ctx context.Context) error {
	cfg, out := u.cfg, u.out
	fmt.Fprintln(out, "=== HAPI FHIR Batch Uploader ===")
	fmt.Fprintf(out, "Source: %s\nDestination: %s\nBatch Size: %d\n\n", cfg.src, destination(cfg.nodes), cfg.batchSize)
	u.cl = newCluster(cfg.nodes)
	if cfg.insecure {
		fmt.Fprintln(u.env.Stderr, "warning: --insecure-skip-verify: the server's certificate is NOT checked; anyone on the path can read and change the data and the credentials")
	}
	fmt.Fprint(out, "Testing FHIR server... ")
	info, err := checkNodes(ctx, out, u.env.Stderr, u.cl)
	if err != nil {
		return err
	}
	u.txFirst = decideTxFirst(cfg.txSemantics, info)
	setTransactionFirst(cfg.nodes, u.txFirst.On)
	fmt.Fprintf(out, "%s\n\n", txFirstLine(u.txFirst))
	if !info.IsR4() {
		fmt.Fprintf(u.env.Stderr, "warning: the server speaks FHIR %s, not R4 (4.0.x); resources may be refused\n", orUnknown(info.FHIRVersion))
	}
	return nil
}

// list lists the input's files.
func (u *uploadRun) list(ctx context.Context) ([]source.File, error) {
	switch u.cfg.src.(type) {
	case source.Dir:
		fmt.Fprintln(u.out, "Scanning directory...")
	case source.FailureLog:
		fmt.Fprintln(u.out, "Reading the failure log of an earlier run: its resources are sent again...")
	default:
		fmt.Fprintln(u.out, "Listing bucket...")
	}
	return u.cfg.src.List(ctx)
}

// plan plans the load, leaves out the files unchanged since the last
// complete one, and prints the plan and what it found.
func (u *uploadRun) plan(ctx context.Context) error {
	cfg, stderr := u.cfg, u.env.Stderr
	p, err := plan.Build(ctx, u.in.Files, plan.Options{Order: cfg.order, BaseURL: u.cl.BaseURL(), TempDir: cfg.workDir})
	if err != nil {
		return err
	}
	u.p = p
	for _, f := range p.Skipped {
		fmt.Fprintf(stderr, "warning: %s: skipped: %v\n", f.Name, f.Err)
	}
	for _, st := range p.Steps {
		for _, f := range st.Files {
			if f.Lines == 0 {
				fmt.Fprintf(stderr, "warning: %s: empty: no resources in it\n", f.Name)
			}
		}
	}
	if p.Files() == 0 {
		return fmt.Errorf("no NDJSON files to upload in %s (looked for *.ndjson and *.ndjson.gz, and for FHIR JSON in *.json and *.json.gz)", cfg.src)
	}
	u.rr.skipUnchanged(p, u.out)
	printPlan(u.out, p)
	printCopies(u.out, u.in.copies)
	if p.Analysis == nil {
		return nil
	}
	return reportDangling(ctx, u.out, stderr, u.cl, p.Analysis.Stats)
}

// closePlan frees what the plan keeps open (its placements' file).
func (u *uploadRun) closePlan() {
	if u.p != nil {
		u.p.Analysis.Close()
	}
}

// send runs the load (package transfer), then records it for reruns and
// prints its summary.
func (u *uploadRun) send(ctx context.Context) error {
	cfg, env, out := u.cfg, u.env, u.out
	opts := transfer.Options{
		BatchSize: cfg.batchSize, BatchBytes: cfg.bytes, BatchRefs: cfg.batchRefs,
		Timeout: cfg.timeout, TimeoutMax: cfg.timeoutMax,
		Concurrency: cfg.concurrency, Adaptive: cfg.adaptive,
		Retry:      retry.Policy{Attempts: cfg.retries},
		FailureLog: cfg.failureLog, TempDir: cfg.workDir,
		Logger:           u.logger(),
		TransactionFirst: u.txFirst,
	}
	ckpt, resuming, err := transfer.CheckpointPath(cfg.ckptDir, u.p, cfg.order, nodesIdentity(cfg.nodes), opts, cfg.fresh)
	if err != nil {
		return err
	}
	if cfg.dryRun {
		fmt.Fprintln(out, "Dry run: nothing sent.")
		if cfg.json {
			return writeDryRunJSON(env.Stdout, u.p)
		}
		return nil
	}
	if resuming {
		fmt.Fprintf(out, "Resuming an interrupted upload of the same input (checkpoint %s; --fresh starts over)\n\n", ckpt)
	}
	fmt.Fprintln(out, "Starting upload...")
	opts.Checkpoint, opts.Reporter = ckpt, u.reporter()
	live := newLiveReport(cfg, u.p, u.cl, ckpt, resuming)
	opts.Observer = live.rec
	up := transfer.New(u.cl, opts)
	stopMetrics, err := live.begin(up.Load)
	if err != nil {
		opts.Reporter.Close()
		return err
	}
	sum, runErr := up.Run(ctx, u.p)
	stopMetrics()
	opts.Reporter.Close()
	if runErr == nil && sum.Failed == 0 && len(sum.FileProblems) == 0 {
		if err := u.rr.record(sum, planFiles(u.p), u.in.Bundles); err != nil {
			fmt.Fprintf(env.Stderr, "warning: %v: a rerun will send these files again\n", err)
		}
	}
	all := uploadJSON{Summary: sum, Nodes: u.cl.Stats(), Auth: cfg.creds.stats(), Bundles: bundleStats(u.in.Bundles)}
	if err := live.finishInto(&all, runErr); err != nil && runErr == nil {
		runErr = err
	}
	if err := writeSummary(env.Stdout, out, cfg, all); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return runErr
	case sum.Failed > 0 || len(sum.FileProblems) > 0:
		return errFailures
	}
	return nil
}

// reporter is the progress of the load: a status line on a terminal,
// plain lines elsewhere, only warnings with --json or --quiet.
func (u *uploadRun) reporter() progress.Reporter {
	switch {
	case u.cfg.json || u.cfg.quiet:
		return progress.NewPlain(io.Discard, u.env.Stderr)
	case u.env.IsTerminal(u.env.Stdout):
		return progress.NewTerminal(u.out, u.env.Stderr, u.p.Lines())
	}
	return progress.NewPlain(u.out, u.env.Stderr)
}

// logger logs requests to stderr with --verbose.
func (u *uploadRun) logger() *slog.Logger {
	if u.cfg.verbose {
		return slog.New(slog.NewTextHandler(u.env.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// defaultCheckpointDir is $XDG_STATE_HOME/minio-to-fhir, or
// ~/.local/state/minio-to-fhir.
func defaultCheckpointDir(env Env) string {
	if d, ok := env.Lookup("XDG_STATE_HOME"); ok && d != "" {
		return filepath.Join(d, "minio-to-fhir")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "minio-to-fhir")
	}
	return filepath.Join(os.TempDir(), "minio-to-fhir")
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	ia, err1 := os.Stat(a)
	ib, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ia, ib)
}

// tlsConfig builds the TLS settings of --ca-cert and --insecure-skip-verify.
func tlsConfig(caFile string, insecure bool) (*tls.Config, error) {
	if caFile == "" && !insecure {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if insecure {
		conf.InsecureSkipVerify = true
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, usageErrorf("--ca-cert %s: %v", caFile, cleanPathErr(err))
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErrorf("--ca-cert %s: no PEM certificate in it", caFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}
