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

// Unit is what the number of a position in file counts: "entry" for a
// Bundle file, "line" otherwise.
func Unit(file string) string {
	if IsBundleFile(file) {
		return "entry"
	}
	return "line"
}

// Pos is "line N" or "entry N", as Unit says.
func Pos(file string, n int) string { return Unit(file) + " " + strconv.Itoa(n) }

// At names a position in a file: "file:N" for a line, as compilers and
// editors do, and "file entry N" for a Bundle's entry.
func At(file string, n int) string {
	if IsBundleFile(file) {
		return file + " entry " + strconv.Itoa(n)
	}
	return file + ":" + strconv.Itoa(n)
}
