package transfer

// journal is where the results of an upload stay: the failure log (every
// resource read that is not on the server) and the checkpoint (every
// batch confirmed). It alone writes both, from the collector, and keeps
// their one rule: a batch's failure records are durable before the
// checkpoint says the batch is done, so a crash never leaves a confirmed
// batch whose failures are lost.
type journal struct {
	ckpt *checkpoint
	flog *failureLog
}

// openJournal loads the checkpoint at ckptPath and prepares the failure
// log at flogPath ("" keeps either): a fresh run removes an old log, a
// resumed run keeps the records of the batches its checkpoint confirmed.
func openJournal(ckptPath, flogPath string) (*journal, error) {
	ck, err := openCheckpoint(ckptPath)
	if err != nil {
		return nil, err
	}
	flog := &failureLog{path: flogPath, appendTo: ck.resumed(), keep: func(id string) bool { return ck.lookup(id) != nil }}
	if err := flog.start(); err != nil {
		return nil, err
	}
	return &journal{ckpt: ck, flog: flog}, nil
}

// resumed reports whether an earlier run left confirmed batches.
func (j *journal) resumed() bool { return j.ckpt.resumed() }

// lookup returns the record of a batch an earlier run confirmed, or nil.
func (j *journal) lookup(id string) *ckptRecord {
	if j == nil {
		return nil
	}
	return j.ckpt.lookup(id)
}

// fail writes a failure record.
func (j *journal) fail(rec Failure) error { return j.flog.write(rec) }

// confirm records a batch whose failure records are written, and commits
// when the last commit is commitEvery old.
func (j *journal) confirm(rec ckptRecord) error {
	due, err := j.ckpt.add(rec)
	if !due || err != nil {
		return err
	}
	return j.commit()
}

// commit makes the failure records durable, then the pending checkpoint
// records.
func (j *journal) commit() error {
	if !j.ckpt.pendingRecords() {
		return nil
	}
	if err := j.flog.sync(); err != nil {
		return err
	}
	return j.ckpt.writePending()
}

// close finishes both, the failure log first (closing makes it durable),
// and says where the failure log is ("" when it holds nothing). A
// finished job's checkpoint is removed; an unfinished job's pending
// records are committed.
func (j *journal) close(finished bool) (string, error) {
	path, err := j.flog.close()
	if cerr := j.ckpt.close(finished); err == nil {
		err = cerr
	}
	return path, err
}
