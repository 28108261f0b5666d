// Package transfer runs an upload: it reads the files of a plan step by
// step, checks each line, sends Bundles with a few senders at once, and
// accounts for every resource: on the server, or in the failure log. With
// a data-driven plan, resources that reference others of their own step
// wait for a later wave, and reference cycles go in transactions.
//
// One step (and each wave of it) is a stage, run by runStage (stage.go) on
// the pipeline that verify shares (package pipeline):
//
//	source.File.OpenLines            lines named by their file and line
//	  (a failure log replays here)   (package source)
//	        |
//	        v
//	producer + batcher               produce.go: check each line (ndjson),
//	        |      \                 skip superseded duplicates, spill what
//	        |       spill            waits for a later wave (spill.go), fill
//	        |                        Bundles up to the limits (limits.go),
//	        |                        targets first inside one (bundleorder.go)
//	        v  chan *batch
//	senders (Concurrency of them)    stage.go send: post with retries through
//	  gate / limiter                 the gate (limit.Gate, limit.Gradient);
//	        |                        post.go: every request, its wait by
//	        |                        size; a timed-out Bundle watched then
//	        |                        halved; a failed
//	        |                        transaction split by cycle; entries that
//	        |                        failed for a passing reason sent again
//	        v  chan outcome          (an answer, or a fileNote about a file)
//	collector (runStage's goroutine) stage.go collect/note: counts (summary.go),
//	        |                        progress events
//	        v
//	journal                          journal.go: the failure log
//	  failure log, then checkpoint   (failurelog.go, records of package
//	                                 failurelog) made durable before the
//	                                 batch's checkpoint record (checkpoint.go)
//
// Only the collector touches the summary and the journal, so the results
// path needs no lock. An Observer (observe.go; the time series of the
// HTML report) hears of every request and retry from the senders and of
// every confirmed or refused resource from the collector. A sender that meets refused credentials
// (authRefused) or a server that fails batch after batch stops the stage;
// requests on the wire still get their answer. Run (transfer.go) opens the journal, runs the steps
// in order (a step starts when every batch before it has its answer) and
// closes it: a finished job's checkpoint is removed, an unfinished one's
// is resumed by the next run, which does not send its confirmed batches
// again.
package transfer
