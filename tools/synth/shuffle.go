package synth

import "math/bits"

// perm is a pseudo-random permutation of [0, n) that needs no memory: a
// four-round Feistel network on the smallest even-bit domain holding n,
// walked until the value falls inside [0, n).
type perm struct {
	n    uint64
	half uint
	mask uint64
	keys [4]uint64
}

func newPerm(n int, key uint64) perm {
	b := uint(bits.Len64(uint64(max(n-1, 1))))
	b += b & 1
	p := perm{n: uint64(n), half: b / 2, mask: 1<<(b/2) - 1}
	for i := range p.keys {
		p.keys[i] = hashOf(key, uint64(i))
	}
	return p
}

// at returns the i-th value of the permutation, for i in [0, n).
func (p *perm) at(i int) int {
	x := uint64(i)
	for {
		l, r := x>>p.half, x&p.mask
		for _, k := range p.keys {
			l, r = r, l^(mix64(r^k)&p.mask)
		}
		x = l<<p.half | r
		if x < p.n {
			return int(x)
		}
	}
}

// shuffle puts s in a random order given by key (Fisher-Yates).
func shuffle[T any](s []T, key uint64) {
	r := rnd{s: key}
	for i := len(s) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		s[i], s[j] = s[j], s[i]
	}
}
