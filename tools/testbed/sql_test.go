package testbed

import (
	"reflect"
	"strings"
	"testing"
)

func TestPsqlArgs(t *testing.T) {
	tests := []struct {
		name, url    string
		vars         []string
		wantDB       string
		wantPassword string
		wantErr      string
	}{
		{name: "password apart", url: "postgresql://hapi:s3cret@127.0.0.1:15442/hapi",
			wantDB: "postgresql://hapi@127.0.0.1:15442/hapi", wantPassword: "s3cret"},
		{name: "no password", url: "postgres://hapi@127.0.0.1:5432/db", wantDB: "postgres://hapi@127.0.0.1:5432/db"},
		{name: "variables", url: "postgresql://u:p@127.0.0.1:1/d", vars: []string{"prefix=t12", "type=Patient"},
			wantDB: "postgresql://u@127.0.0.1:1/d", wantPassword: "p"},
		{name: "not postgres", url: "http://u:p@127.0.0.1:1/d", wantErr: "not a postgresql:// URL"},
		{name: "no host", url: "postgresql:///d", wantErr: "not a postgresql:// URL"},
		{name: "bad variable", url: "postgresql://u:p@127.0.0.1:1/d", vars: []string{"=x"}, wantErr: "not name=value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args, password, err := psqlArgs(tc.url, tc.vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "p@") || strings.Contains(err.Error(), ":p") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", tc.wantDB}
			for _, v := range tc.vars {
				want = append(want, "-v", v)
			}
			if !reflect.DeepEqual(args, want) {
				t.Errorf("args %q, want %q", args, want)
			}
			if password != tc.wantPassword {
				t.Errorf("password %q, want %q", password, tc.wantPassword)
			}
		})
	}
}

func TestParseCounts(t *testing.T) {
	got, err := parseCounts("Observation|1308\nPatient|10\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"Observation": 1308, "Patient": 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := parseCounts(""); err != nil || len(got) != 0 {
		t.Errorf("no rows: got %v, %v; want an empty map", got, err)
	}
	for _, bad := range []string{"Patient", "Patient|x", "Patient|1|2"} {
		if _, err := parseCounts(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestStateDirPerBed(t *testing.T) {
	t.Setenv("TESTBED_STATE_ROOT", "/beds")
	for name, want := range map[string]string{"default": "/beds/bed-18080-19000", "postgres": "/beds/bed-18090-19010",
		"nodes2": "/beds/bed-18092-19012"} {
		got, err := StateDir(Settings{Name: name})
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := StateDir(Settings{Name: "nope"}); err == nil {
		t.Errorf("a bed without ports has no state folder")
	}
}

// TestPortsApart: no two beds share a port (a bed of N nodes takes N HAPI
// ports from its first).
func TestPortsApart(t *testing.T) {
	nodes := map[string]int{"nodes2": 2}
	owner := map[int]string{}
	take := func(bed string, port int) {
		if other, ok := owner[port]; ok {
			t.Errorf("port %d is both %s's and %s's", port, other, bed)
		}
		owner[port] = bed
	}
	for bed, p := range ports {
		for k := range max(1, nodes[bed]) {
			take(bed, p[0]+k)
		}
		take(bed, p[1])
		if p[2] != 0 {
			take(bed, p[2])
		}
	}
	if got := TwoNodesSettings().Env; !reflect.DeepEqual(got, []string{"HAPI_DB=postgres", "HAPI_NODES=2"}) {
		t.Errorf("the two-node bed's settings changed (%q): update the node count here", got)
	}
}
