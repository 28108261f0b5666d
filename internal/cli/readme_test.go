package cli

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// readmePath is the README, from this package's folder.
const readmePath = "../../README.md"

// notInReadmeTable are flags each command has that the settings table
// leaves out on purpose.
var notInReadmeTable = []string{"help", "h"}

// settingRow is a row of the README's settings table.
type settingRow struct {
	line     int
	flags    []string // names without dashes; empty for a variable alone
	variable string
	def      []string // the `values` of the default column; none for prose
	prose    string   // the default column as written
	commands []string
}

// commandFlags are the FlagSets and help texts of the commands, built as
// the commands build them.
func commandFlags() map[string]struct {
	fs    *flag.FlagSet
	usage string
} {
	upload := newFlagSet("upload")
	(&uploadOptions{}).bind(upload)
	verify := newFlagSet("verify")
	(&verifyOptions{}).bind(verify)
	return map[string]struct {
		fs    *flag.FlagSet
		usage string
	}{
		"upload":   {upload, uploadUsage},
		"verify":   {verify, verifyUsage},
		"list":     {(&listOptions{}).flags(), listUsage},
		"download": {(&downloadOptions{}).flags(), downloadUsage},
	}
}

// readmeSettings parses the settings table: the one whose header starts
// with "| flag | variable | default | commands |".
func readmeSettings(t *testing.T) []settingRow {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(readmePath))
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("`([^`]+)`")
	flagName := regexp.MustCompile("^`-{1,2}([\\w-]+)`$")
	var rows []settingRow
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| flag | variable | default | commands |") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if strings.HasPrefix(strings.TrimSpace(cells[0]), "---") {
			continue
		}
		if len(cells) < 5 {
			t.Fatalf("README line %d: %d cells, want 5: %s", i+1, len(cells), line)
		}
		r := settingRow{line: i + 1, prose: strings.TrimSpace(cells[2])}
		for _, f := range strings.Split(cells[0], ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			m := flagName.FindStringSubmatch(f)
			if m == nil {
				t.Errorf("README line %d: %q is not a `--flag`", i+1, f)
				continue
			}
			r.flags = append(r.flags, m[1])
		}
		if m := code.FindStringSubmatch(cells[1]); m != nil {
			r.variable = m[1]
		}
		if strings.HasPrefix(r.prose, "`") {
			for _, m := range code.FindAllStringSubmatch(r.prose, -1) {
				r.def = append(r.def, m[1])
			}
		}
		for _, c := range strings.Split(cells[3], ",") {
			r.commands = append(r.commands, strings.TrimSpace(c))
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no settings table (a header starting | flag | variable | default | commands |)", readmePath)
	}
	return rows
}

// codeDefault is the default of a flag as the command applies it: the
// flag's own default, or, for a flag defined without one (so that the
// settings can fill it), the one the table of defaults states. ok is false
// when there is none (the value is found at run time, or there is none).
func codeDefault(cmd string, f *flag.Flag) (string, bool) {
	if f.DefValue != "" && f.DefValue != strconv.Itoa(unset) {
		return f.DefValue, true
	}
	return defaults.Lookup(cmd, f.Name)
}

// sameDefault compares a default as the README writes it (its `values`)
// with the code's: the first value is the code's first word, and every
// other value appears in the code's text ("$TMPDIR or /tmp").
func sameDefault(values []string, code string) bool {
	words := strings.Fields(code)
	if len(values) == 0 || len(words) == 0 || !sameReadmeValue(values[0], words[0]) {
		return false
	}
	for _, v := range values[1:] {
		if !slices.Contains(words, v) {
			return false
		}
	}
	return true
}

// sameReadmeValue compares one value, as durations and sizes too (5m is 5m0s,
// 1MiB is 1048576).
func sameReadmeValue(readme, code string) bool {
	if readme == code {
		return true
	}
	if a, err := time.ParseDuration(readme); err == nil {
		b, err := time.ParseDuration(code)
		return err == nil && a == b
	}
	if a, ok := parseSize(readme); ok {
		b, ok := parseSize(code)
		return ok && a == b
	}
	return false
}

// helpVariables are the variables a command's help names per flag:
// "[BATCH_SIZE, default 200]" on the flag's line or the lines that
// continue it.
func helpVariables(usage string) map[string]string {
	vars := map[string]string{}
	variable := regexp.MustCompile(`\[([A-Z_]+)[,;\]]`)
	last := ""
	for _, line := range strings.Split(usage, "\n") {
		if m := helpFlag.FindStringSubmatch(line); m != nil {
			last = m[2]
		} else if !strings.HasPrefix(line, "          ") {
			last = ""
		}
		if m := variable.FindStringSubmatch(line); m != nil && last != "" {
			vars[last] = m[1]
		}
	}
	return vars
}

// TestReadmeSettings keeps the README's settings table honest: every flag
// of every command is in it (but those of notInReadmeTable), every flag
// it names exists for the commands it lists, with the variable the help
// names, and each default it states is the one the code applies.
func TestReadmeSettings(t *testing.T) {
	rows := readmeSettings(t)
	cmds := commandFlags()
	documented := map[string]bool{} // "command --flag"
	for _, r := range rows {
		for _, cmd := range r.commands {
			if cmd == "all" {
				if len(r.flags) > 0 {
					for name, c := range cmds {
						if c.fs.Lookup(r.flags[0]) != nil {
							checkRow(t, r, name, c.fs, c.usage, documented)
						}
					}
				}
				continue
			}
			c, ok := cmds[cmd]
			if !ok {
				t.Errorf("README line %d: no command %q", r.line, cmd)
				continue
			}
			checkRow(t, r, cmd, c.fs, c.usage, documented)
		}
		if len(r.flags) == 0 {
			if r.variable == "" {
				t.Errorf("README line %d: neither a flag nor a variable", r.line)
			} else if !slices.Contains(settingNames, r.variable) {
				t.Errorf("README line %d: %s is not a setting", r.line, r.variable)
			}
			if r.variable == "MINIO_ENDPOINT" && !slices.Equal(r.def, []string{defaultEndpoint}) {
				t.Errorf("README line %d: MINIO_ENDPOINT defaults to %q, the code to %q", r.line, r.prose, defaultEndpoint)
			}
		}
	}
	for name, c := range cmds {
		c.fs.VisitAll(func(f *flag.Flag) {
			if !documented[name+" "+f.Name] && !slices.Contains(notInReadmeTable, f.Name) {
				t.Errorf("%s %s is not in the README's settings table", name, dashed(f.Name))
			}
		})
	}
}

// checkRow checks one row of the table against the flags of cmd.
func checkRow(t *testing.T, r settingRow, cmd string, fs *flag.FlagSet, usage string, documented map[string]bool) {
	t.Helper()
	vars := helpVariables(usage)
	for i, name := range r.flags {
		f := fs.Lookup(name)
		if f == nil {
			t.Errorf("README line %d: %s has no flag %s", r.line, cmd, dashed(name))
			continue
		}
		documented[cmd+" "+name] = true
		if len(name) == 1 && i < len(r.flags)-1 {
			continue // a short form: the long one speaks for it
		}
		if got, want := r.variable, vars[name]; got != want {
			t.Errorf("README line %d: %s %s: variable %q, the help says %q", r.line, cmd, dashed(name), got, want)
		}
		want, ok := codeDefault(cmd, f)
		switch {
		case len(r.def) == 0 && ok:
			t.Errorf("README line %d: %s %s: default %q, the code's is %q: write it in `backticks`", r.line, cmd, dashed(name), r.prose, want)
		case len(r.def) > 0 && !ok:
			t.Errorf("README line %d: %s %s: default %s, the code has none", r.line, cmd, dashed(name), r.prose)
		case len(r.def) > 0 && !sameDefault(r.def, want):
			t.Errorf("README line %d: %s %s: default %s, the code's is %q", r.line, cmd, dashed(name), r.prose, want)
		}
	}
}

// TestReadmeNamesSettings checks that the README names every variable the
// settings are read from.
func TestReadmeNamesSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.FromSlash(readmePath))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range settingNames {
		if !strings.Contains(string(b), "`"+name+"`") && !strings.Contains(string(b), "`"+name+"=") {
			t.Errorf("the README does not name %s", name)
		}
	}
}
