package cli

import (
	"flag"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// helpFlag is a flag as a command's help lists it: "  -i, --input PATH  text".
var helpFlag = regexp.MustCompile(`^\s+(?:-(\w), )?--([\w-]+)(.*)$`)

// TestHelpMatchesFlags walks each subcommand's FlagSet: every flag is in
// its help, every flag of the help is defined, a short form sets the same
// value as its long one, a variable named is a setting, and a default the
// help states is the flag's.
func TestHelpMatchesFlags(t *testing.T) {
	upload := newFlagSet("upload")
	(&uploadOptions{}).bind(upload)
	verify := newFlagSet("verify")
	(&verifyOptions{}).bind(verify)
	tests := []struct {
		name  string
		fs    *flag.FlagSet
		usage string
	}{
		{"upload", upload, uploadUsage},
		{"verify", verify, verifyUsage},
		{"list", (&listOptions{}).flags(), listUsage},
		{"download", (&downloadOptions{}).flags(), downloadUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inHelp := map[string]string{} // name -> the rest of its help, continuation lines too
			last := ""
			for _, line := range strings.Split(tc.usage, "\n") {
				m := helpFlag.FindStringSubmatch(line)
				if m == nil {
					if last != "" && strings.HasPrefix(line, "                ") {
						inHelp[last] += " " + strings.TrimSpace(line)
					} else {
						last = ""
					}
					continue
				}
				short, long, rest := m[1], m[2], m[3]
				inHelp[long], last = rest, long
				if short == "" {
					continue
				}
				inHelp[short] = rest
				if long == "help" {
					continue
				}
				checkAlias(t, tc.fs, short, long)
			}
			tc.fs.VisitAll(func(f *flag.Flag) {
				if _, ok := inHelp[f.Name]; !ok {
					t.Errorf("flag %s is defined but not in the help", dashed(f.Name))
				}
			})
			for name, rest := range inHelp {
				if name == "help" || name == "h" {
					continue
				}
				f := tc.fs.Lookup(name)
				if f == nil {
					t.Errorf("the help lists %s, which is not defined", dashed(name))
					continue
				}
				if len(name) > 1 { // a short form shares the line
					checkDefault(t, tc.name, f, rest)
				}
			}
			if _, ok := inHelp["help"]; !ok {
				t.Errorf("the help does not list -h, --help")
			}
			for _, m := range regexp.MustCompile(`\[([A-Z_]+)[,\]]`).FindAllStringSubmatch(tc.usage, -1) {
				if !slices.Contains(settingNames, m[1]) {
					t.Errorf("the help names %s, which is not a setting", m[1])
				}
			}
		})
	}
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// checkAlias sets the short flag and checks that the long one has the value.
func checkAlias(t *testing.T, fs *flag.FlagSet, short, long string) {
	t.Helper()
	s, l := fs.Lookup(short), fs.Lookup(long)
	if s == nil || l == nil {
		return // reported as not defined
	}
	v := "7"
	if bf, ok := s.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		v = "true"
	}
	if err := fs.Set(short, v); err != nil {
		t.Errorf("set -%s: %v", short, err)
		return
	}
	if got := l.Value.String(); got != v {
		t.Errorf("-%s %s left --%s at %q: not the same setting", short, v, long, got)
	}
}

// checkDefault compares the default a flag's help states ("(default X)"
// or "[VAR, default X]") with the table of defaults (package defaults),
// or else with the flag's own; a default in the table must be stated, and
// the flag must start from it.
func checkDefault(t *testing.T, cmd string, f *flag.Flag, help string) {
	t.Helper()
	table, inTable := defaults.Lookup(cmd, f.Name)
	if inTable && f.DefValue != "" && f.DefValue != strconv.Itoa(unset) && !sameValue(table, f.DefValue) {
		t.Errorf("%s %s starts from %q, the table of defaults says %q", cmd, dashed(f.Name), f.DefValue, table)
	}
	m := regexp.MustCompile(`default (.+?)(?:[)\]]|: )`).FindStringSubmatch(help)
	if m == nil {
		if inTable {
			t.Errorf("the help of %s %s does not state its default, %s", cmd, dashed(f.Name), table)
		}
		return
	}
	want, got := m[1], f.DefValue
	if inTable {
		got = table
	}
	if !sameValue(want, got) {
		t.Errorf("the help says %s %s defaults to %s, the code to %q", cmd, dashed(f.Name), want, got)
	}
}

// sameValue compares two defaults as text, durations by their value.
func sameValue(a, b string) bool {
	if da, err := time.ParseDuration(a); err == nil {
		if db, err := time.ParseDuration(b); err == nil {
			return da == db
		}
	}
	return a == b
}
