//go:build race

package cli

// raceEnabled: the race detector is on, which changes what the heap
// measures and makes a large load several times slower.
const raceEnabled = true
