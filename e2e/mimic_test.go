//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// mimicData generates a MIMIC-shaped data set with ids of its own.
func mimicData(t *testing.T, patients int) (string, synth.Manifest) {
	t.Helper()
	return mimicDataGzip(t, patients, synth.GzipSome)
}

// mimicDataGzip is mimicData with the files compressed as gz says.
func mimicDataGzip(t *testing.T, patients int, gz synth.Gzip) (string, synth.Manifest) {
	t.Helper()
	dir := t.TempDir()
	m, err := synth.Generate(context.Background(), dir, synth.Options{
		Patients: patients, Seed: rand.Int64(), Gzip: gz, SplitParts: 2, IDPrefix: randomID(t),
	})
	must(t, err)
	must(t, os.Remove(filepath.Join(dir, synth.ManifestName)))
	return dir, m
}

// idsByType reads every Type/id of a folder of NDJSON files (gzip too).
func idsByType(t *testing.T, dir string) map[string][]string {
	t.Helper()
	files, err := source.Dir{Path: dir}.List(context.Background())
	must(t, err)
	out := map[string][]string{}
	for _, f := range files {
		rc, err := source.OpenNDJSON(context.Background(), f)
		must(t, err)
		r := ndjson.NewReader(rc, 0)
		for {
			line, err := r.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			m, err := ndjson.Inspect(line.Data)
			must(t, err)
			out[m.Type] = append(out[m.Type], m.ID)
		}
		rc.Close()
	}
	return out
}

// checkAllLanded asserts every resource of the data set is on the server
// in version 1, and that samples read back as generated.
func checkAllLanded(t *testing.T, s server, dir string, m synth.Manifest) {
	t.Helper()
	total := 0
	for typ, ids := range idsByType(t, dir) {
		got := s.versions(t, typ, ids)
		if len(got) != len(ids) {
			t.Errorf("%s: %d of %d on the server", typ, len(got), len(ids))
		}
		for id, v := range got {
			if v != "1" {
				t.Errorf("%s/%s: version %s, want 1", typ, id, v)
			}
		}
		total += len(ids)
	}
	if total != m.Resources {
		t.Errorf("read %d resources from the files, the manifest says %d", total, m.Resources)
	}
	for typ, ids := range m.Samples {
		for _, id := range ids[:min(2, len(ids))] {
			line, err := synth.Lookup(m.Options, typ, id)
			must(t, err)
			var want map[string]any
			must(t, json.Unmarshal(line, &want))
			got := s.read(t, typ, id)
			delete(got, "meta")
			delete(want, "meta")
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s differs on the server:\ngot  %v\nwant %v", typ, id, got, want)
			}
		}
	}
}

// loadMIMICShaped uploads MIMIC-shaped data of the given patients to base
// with -c 4 and checks the summary: every resource read and created, none
// failed.
func loadMIMICShaped(t *testing.T, base string, patients int) (string, synth.Manifest, result) {
	t.Helper()
	dir, m := mimicData(t, patients)
	report := filepath.Join(t.TempDir(), "report.json")
	r := run(t, fhirSettings(base), "upload", "-i", dir, "-c", "4",
		"--failure-log", filepath.Join(t.TempDir(), "f.log"), "--checkpoint-dir", t.TempDir(), "--report", report)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sum := readReport(t, report)
	if sum.Read != m.Resources || sum.Created != m.Resources || sum.Failed != 0 {
		t.Errorf("read %d created %d failed %d, want %d, %d, 0", sum.Read, sum.Created, sum.Failed, m.Resources, m.Resources)
	}
	return dir, m, r
}

// TestUploadMIMICShaped loads MIMIC-shaped data (references against the
// classic order, across files, within files, and micro cycles) into HAPI
// with referential integrity on: nothing may fail. On PostgreSQL it also
// counts what landed in the database itself.
func TestUploadMIMICShaped(t *testing.T) {
	bed := testbed.Default(t)
	dir, m, r := loadMIMICShaped(t, bed.FHIRBaseURL, 15)
	if !strings.Contains(r.stdout, "Reference cycles: ") {
		t.Errorf("the plan does not mention the micro cycles:\n%s", r.stdout)
	}
	checkAllLanded(t, server{base: bed.FHIRBaseURL}, dir, m)
	if bed.FHIRDB != "" {
		checkInPostgres(t, bed, dir, m)
	}
}

// TestUploadEveryConcurrency: the order holds at every concurrency offered.
func TestUploadEveryConcurrency(t *testing.T) {
	bed := testbed.Default(t)
	for _, c := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprintf("c=%d", c), func(t *testing.T) {
			dir, m := mimicData(t, 3)
			report := filepath.Join(t.TempDir(), "report.json")
			r := run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", dir, "-c", fmt.Sprint(c), "-s", "50",
				"--failure-log", filepath.Join(t.TempDir(), "f.log"), "--checkpoint-dir", t.TempDir(), "--report", report)
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if sum := readReport(t, report); sum.Created != m.Resources || sum.Failed != 0 {
				t.Errorf("created %d failed %d, want %d and 0", sum.Created, sum.Failed, m.Resources)
			}
		})
	}
}

// TestUploadResumeAfterKill kills the tool with SIGKILL at a random point
// and runs it again: the server ends with every resource, once, and the
// second summary counts the whole job.
func TestUploadResumeAfterKill(t *testing.T) {
	bed := testbed.Default(t)
	dir, m := mimicData(t, 10)
	root, err := testbed.RepoRoot()
	must(t, err)
	bin := filepath.Join(t.TempDir(), "minio-to-fhir")
	build := exec.Command("go", "build", "-o", bin, "./cmd/minio-to-fhir")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	work := t.TempDir()
	report := filepath.Join(work, "report.json")
	args := []string{"upload", "-i", dir, "-c", "2", "-s", "50", "--failure-log", filepath.Join(work, "f.log"),
		"--checkpoint-dir", filepath.Join(work, "ckpt"), "--report", report}
	env := append(os.Environ(), "FHIR_BASE_URL="+bed.FHIRBaseURL)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	first := exec.CommandContext(ctx, bin, args...)
	first.Env, first.Dir = env, work
	stdout, err := first.StdoutPipe()
	must(t, err)
	must(t, first.Start())
	// Kill at a random batch: somewhere between the first steps and the end.
	killAt := 3 + rand.IntN(m.Resources/50-6)
	// Count the progress lines of answered batches only ("  Batch 3/18
	// (50 resources)... ✓ ..."), not the banner's "Batch Size". A batch's
	// line comes before its checkpoint record, and records are committed
	// in groups, but the first record is committed at once: from the
	// second line on, the checkpoint holds at least one batch.
	batchLine := regexp.MustCompile(`^\s+Batch \d+/\d+ `)
	sc := bufio.NewScanner(stdout)
	batches := 0
	for sc.Scan() {
		if batchLine.MatchString(sc.Text()) {
			batches++
		}
		if batches == killAt {
			must(t, first.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	_ = first.Wait()
	t.Logf("killed after %d batches", batches)
	if _, err := os.Stat(report); err == nil || batches < killAt {
		t.Fatalf("the first run finished before the kill at batch %d", killAt)
	}

	second := exec.CommandContext(ctx, bin, args...)
	second.Env, second.Dir = env, work
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	sum := readReport(t, report)
	if !sum.Resumed || sum.Skipped == 0 {
		t.Errorf("the rerun did not resume (resumed %v, skipped %d)", sum.Resumed, sum.Skipped)
	}
	if sum.Read != m.Resources || sum.Landed() != m.Resources || sum.Failed != 0 {
		t.Errorf("summary: read %d landed %d failed %d, want %d, %d, 0", sum.Read, sum.Landed(), sum.Failed, m.Resources, m.Resources)
	}
	checkAllLanded(t, server{base: bed.FHIRBaseURL}, dir, m)
}
