//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestBucketObjectsFetchedOnce uploads MIMIC-shaped objects from MinIO
// through a proxy that counts the requests: with --fetch-once (the default)
// each object is fetched once although the plan and the load both read
// it; with --fetch-once=false twice. Both loads are complete.
func TestBucketObjectsFetchedOnce(t *testing.T) {
	bed := testbed.Default(t)
	dir, m := mimicDataGzip(t, 2, synth.GzipSome)
	entries, err := os.ReadDir(dir)
	must(t, err)
	objects := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		objects["sp/"+e.Name()] = data
	}
	name := makeBucket(t, bed, objects)
	p, err := fp.Start(bed.MinIOEndpoint)
	must(t, err)
	t.Cleanup(func() { p.Close() })
	settings := minioSettings(bed)
	settings["MINIO_ENDPOINT"] = p.Addr()
	work := t.TempDir()
	settings["WORK_DIR"] = work

	for _, tc := range []struct {
		name  string
		args  []string
		fetch int
	}{
		{"fetch once", nil, 1},
		{"fetch twice", []string{"--fetch-once=false", "--fresh"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := len(p.Events())
			report := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"upload", "-i", "s3://" + name + "/sp", "--failure-log", filepath.Join(t.TempDir(), "f.log"), "--report", report}, tc.args...)
			r := run(t, settings, args...)
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			if sum := readReport(t, report); sum.Landed() != m.Resources || sum.Failed != 0 {
				t.Errorf("landed %d, failed %d; want %d, 0", sum.Landed(), sum.Failed, m.Resources)
			}
			gets := map[string]int{}
			for _, ev := range p.Events()[seen:] {
				if ev.Method == "GET" && strings.HasPrefix(ev.Path, "/"+name+"/sp/") {
					gets[strings.TrimPrefix(ev.Path, "/"+name+"/")]++
				}
			}
			for key := range objects {
				if gets[key] != tc.fetch {
					t.Errorf("%s fetched %d times, want %d", key, gets[key], tc.fetch)
				}
			}
			if left, _ := os.ReadDir(work); len(left) != 0 {
				t.Errorf("the work directory holds %d entries after the run, want none", len(left))
			}
		})
	}
}
