package refs

// Opaque reports whether the references inside a resource of type typ are
// its own business rather than dependencies: a Bundle stored as a resource
// (a document, a message, an entry of a collection that is itself a
// Bundle). Its entries' references resolve inside it, by their fullUrl; the
// server indexes none of them and checks none (HAPI's referential integrity
// covers only references that a search parameter indexes), so no load
// order serves them, a target missing from the input is nothing to warn
// about, and rewriting them to the Type/id of an entry elsewhere in the
// input would break the stored Bundle.
func Opaque(typ string) bool { return typ == "Bundle" }
