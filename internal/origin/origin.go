// Package origin names where a resource of the input came from: a line of
// an NDJSON file, or an entry of a Bundle file (*.json, *.json.gz). Both
// are a file name and a 1-based number; the file's name says which the
// number counts.
package origin

import (
	"strconv"
	"strings"
)

// IsBundleFile reports whether a file or object name is one read as a
// Bundle (or a single resource) in JSON: *.json or *.json.gz.
func IsBundleFile(name string) bool {
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".json.gz")
}

// BundleLine names the Bundle on line n of an NDJSON file of Bundles:
// "file:n", whose entries are counted as a Bundle file's are.
func BundleLine(file string, n int) string { return file + ":" + strconv.Itoa(n) }

// CountsEntries reports whether positions in file (as a resource's
// origin names it) count entries: a Bundle file, or a Bundle on a line of
// an NDJSON file (BundleLine).
func CountsEntries(file string) bool {
	if IsBundleFile(file) {
		return true
	}
	i := strings.LastIndexByte(file, ':')
	if i < 0 || i == len(file)-1 {
		return false
	}
	for _, c := range file[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return strings.HasSuffix(file[:i], ".ndjson") || strings.HasSuffix(file[:i], ".ndjson.gz")
}

// Unit is what the number of a position in file counts: "entry" for a
// Bundle (CountsEntries), "line" otherwise.
func Unit(file string) string {
	if CountsEntries(file) {
		return "entry"
	}
	return "line"
}

// Pos is "line N" or "entry N", as Unit says.
func Pos(file string, n int) string { return Unit(file) + " " + strconv.Itoa(n) }

// At names a position in a file: "file:N" for a line, as compilers and
// editors do, and "file entry N" for a Bundle's entry.
func At(file string, n int) string {
	if CountsEntries(file) {
		return file + " entry " + strconv.Itoa(n)
	}
	return file + ":" + strconv.Itoa(n)
}
