// Package bundle reads FHIR Bundles in JSON files (*.json, *.json.gz) as
// users have them, Synthea's default output first, and hands their
// entries to the rest of the tool as NDJSON: one spool file per resource
// type (source.SpoolFile), each line a resource named by its Bundle file
// and entry number, so that the planner, the uploader, the failure log
// and verify treat them as they treat NDJSON lines.
//
// Expand reads every Bundle file twice, as a stream (encoding/json's
// Decoder, one entry at a time, never the whole file):
//
//  1. index: the fullUrl of each entry with a resource, and the Type/id
//     it is written as (urls.go);
//  2. spool: each entry decided (entry.go): written as PUT Type/id whatever
//     its request method (its id is resource.id, else the urn:uuid of its
//     fullUrl, else the Type/id of its fullUrl or request.url), its
//     Reference.reference values that are an entry's fullUrl rewritten to
//     Type/id (rewrite.go); DELETE, GET, HEAD and PATCH entries and search
//     outcomes not written but counted; entries that cannot be written
//     (no resource, no id, an unknown type, a broken file) refused with a
//     message naming file and entry, to the failure log.
//
// A file that is a single resource is one entry; one that is not FHIR
// (Synthea's metadata/*.json) is skipped with a warning; a *-response
// Bundle is refused whole (a server's answer is no data to load).
package bundle
