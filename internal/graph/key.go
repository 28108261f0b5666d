package graph

// FNV-1a, 64-bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Key returns the key of the resource typ/id: the 64-bit FNV-1a hash of
// "typ/id". It is the same on every run and machine.
//
// Two different resources share a key with probability about n²/2⁶⁵ for
// n resources: 3e-6 for 10 million. The planner is conservative about
// it: the two become one node, which is written at a level that comes
// after everything either references and before everything that
// references either, so the order stays valid (at worst a cycle grows or
// a level is added). The planner counts such a key as a duplicate.
func Key(typ, id string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(typ); i++ {
		h = (h ^ uint64(typ[i])) * fnvPrime
	}
	h = (h ^ '/') * fnvPrime
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * fnvPrime
	}
	return h
}

// KeyBytes is Key for an id held in bytes, as read from a line, without
// converting it to a string.
func KeyBytes(typ string, id []byte) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(typ); i++ {
		h = (h ^ uint64(typ[i])) * fnvPrime
	}
	h = (h ^ '/') * fnvPrime
	for _, c := range id {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}
