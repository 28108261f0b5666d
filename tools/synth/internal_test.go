package synth

import (
	"encoding/json"
	"testing"
)

func TestPermIsBijection(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 3, 5, 16, 17, 1000, 4097} {
		p := newPerm(n, uint64(n)*7)
		seen := make([]bool, n)
		fixed := 0
		for i := range n {
			v := p.at(i)
			if v < 0 || v >= n || seen[v] {
				t.Fatalf("n=%d: at(%d) = %d, out of range or repeated", n, i, v)
			}
			seen[v] = true
			if v == i {
				fixed++
			}
		}
		if n >= 1000 && fixed > n/10 {
			t.Errorf("n=%d: %d fixed points, want a real shuffle", n, fixed)
		}
	}
}

func TestIDRoundTrip(t *testing.T) {
	t.Parallel()
	o, err := Options{Patients: 100, IDPrefix: "ab.1-"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for k := range numKinds {
		r := ref{k: k, p: 99, a: 3, b: 1, c: 2}
		if kinds[k].pool {
			r = ref{k: k, a: 1}
		}
		idx := []*int{&r.a, &r.b, &r.c}
		for i := depth(k); i < 3 && !kinds[k].pool; i++ {
			*idx[i] = 0 // indices the kind does not use are 0
		}
		id := string(appendID(nil, o.IDPrefix, r))
		got, ok := parseID(&o, id)
		if !ok || got != r {
			t.Errorf("%s: parseID(%q) = %+v, %v; want %+v", kinds[k].file, id, got, ok, r)
		}
		if len(id) > 64 {
			t.Errorf("%s: id %q is longer than 64", kinds[k].file, id)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `q"b\s`, "tab\tnl\n\x01", "ünï €", "bad\xffutf8"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Errorf("appendJSONString(%q) is no JSON string: %v", s, err)
			continue
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if got != want {
			t.Errorf("appendJSONString(%q) decodes to %q, want %q", s, got, want)
		}
	}
}

func TestCountsMatchItems(t *testing.T) {
	t.Parallel()
	o, _ := Options{Patients: 300, Scale: 0.3}.withDefaults()
	for p := range o.Patients {
		pl := planFor(&o, p)
		for k := range numKinds {
			if kinds[k].pool {
				continue
			}
			items := pl.appendItems(nil, k, 0)
			if len(items) != pl.count(k) {
				t.Fatalf("patient %d, %s: %d items, count %d", p, kinds[k].file, len(items), pl.count(k))
			}
			for _, it := range items {
				if !pl.has(ref{k: k, p: p, a: int(it.a), b: int(it.b), c: int(it.c)}) {
					t.Fatalf("patient %d, %s: item %+v not in the plan", p, kinds[k].file, it)
				}
			}
		}
	}
}
