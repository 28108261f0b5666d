package ndjson

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// item is one result of Next: a line, or a line error.
type item struct {
	Num     int
	Offset  int64
	Data    string
	TooLong *LineTooLongError
}

// readAll calls Next until io.EOF. It fails the test on any error that is
// not a *LineTooLongError.
func readAll(t *testing.T, r *Reader) []item {
	t.Helper()
	var out []item
	for {
		l, err := r.Next()
		if err == io.EOF {
			return out
		}
		var tl *LineTooLongError
		switch {
		case errors.As(err, &tl):
			out = append(out, item{TooLong: tl})
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			out = append(out, item{Num: l.Num, Offset: l.Offset, Data: string(l.Data)})
		}
		if len(out) > 1<<20 {
			t.Fatal("Next does not reach io.EOF")
		}
	}
}

func TestReader(t *testing.T) {
	const bomS = "\xEF\xBB\xBF"
	tests := []struct {
		name    string
		in      string
		max     int
		want    []item
		wantNum int // LineNum at the end
	}{
		{
			name:    "empty",
			in:      "",
			wantNum: 0,
		},
		{
			name:    "only blank lines",
			in:      "\n \n\t\r\n",
			wantNum: 3,
		},
		{
			name:    "blank lines are counted",
			in:      "a\n\nb\n   \n\tc\n",
			want:    []item{{Num: 1, Offset: 0, Data: "a"}, {Num: 3, Offset: 3, Data: "b"}, {Num: 5, Offset: 9, Data: "\tc"}},
			wantNum: 5,
		},
		{
			name:    "CRLF",
			in:      "a\r\nbb\r\n\r\nc\r\n",
			want:    []item{{Num: 1, Offset: 0, Data: "a"}, {Num: 2, Offset: 3, Data: "bb"}, {Num: 4, Offset: 9, Data: "c"}},
			wantNum: 4,
		},
		{
			name:    "only one CR is part of the ending",
			in:      "a\r\r\n",
			want:    []item{{Num: 1, Offset: 0, Data: "a\r"}},
			wantNum: 1,
		},
		{
			name:    "BOM on the first line",
			in:      bomS + "a\nb\n",
			want:    []item{{Num: 1, Offset: 0, Data: "a"}, {Num: 2, Offset: 5, Data: "b"}},
			wantNum: 2,
		},
		{
			name:    "BOM alone on the first line",
			in:      bomS + "\nb\n",
			want:    []item{{Num: 2, Offset: 4, Data: "b"}},
			wantNum: 2,
		},
		{
			name:    "BOM on a later line is data",
			in:      "a\n" + bomS + "b\n",
			want:    []item{{Num: 1, Offset: 0, Data: "a"}, {Num: 2, Offset: 2, Data: bomS + "b"}},
			wantNum: 2,
		},
		{
			name:    "last line without newline",
			in:      "a\nbc",
			want:    []item{{Num: 1, Offset: 0, Data: "a"}, {Num: 2, Offset: 2, Data: "bc"}},
			wantNum: 2,
		},
		{
			name:    "last line ends in CR",
			in:      "a\r",
			want:    []item{{Num: 1, Offset: 0, Data: "a"}},
			wantNum: 1,
		},
		{
			name: "line over the limit, then the next",
			in:   "abcd\nabcde\nxy\n",
			max:  4,
			want: []item{
				{Num: 1, Offset: 0, Data: "abcd"},
				{TooLong: &LineTooLongError{Line: 2, Size: 6, Limit: 4}},
				{Num: 3, Offset: 11, Data: "xy"},
			},
			wantNum: 3,
		},
		{
			name: "CRLF does not count against the limit",
			in:   "abcd\r\nabcde\r\nxy",
			max:  4,
			want: []item{
				{Num: 1, Offset: 0, Data: "abcd"},
				{TooLong: &LineTooLongError{Line: 2, Size: 7, Limit: 4}},
				{Num: 3, Offset: 13, Data: "xy"},
			},
			wantNum: 3,
		},
		{
			name: "long last line without newline",
			in:   "ab\nabcdefgh",
			max:  4,
			want: []item{
				{Num: 1, Offset: 0, Data: "ab"},
				{TooLong: &LineTooLongError{Line: 2, Size: 8, Limit: 4}},
			},
			wantNum: 2,
		},
		{
			name: "one byte over the limit",
			in:   "abcde\nab\n",
			max:  4,
			want: []item{
				{TooLong: &LineTooLongError{Line: 1, Size: 6, Limit: 4}},
				{Num: 2, Offset: 6, Data: "ab"},
			},
			wantNum: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tt.in), tt.max)
			got := readAll(t, r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if got := r.LineNum(); got != tt.wantNum {
				t.Errorf("LineNum() = %d, want %d", got, tt.wantNum)
			}
			// Offsets point at the line's bytes (after the BOM on line 1).
			for _, it := range got {
				if it.TooLong != nil {
					continue
				}
				off := int(it.Offset)
				if it.Num == 1 && strings.HasPrefix(tt.in, bomS) {
					off += len(bomS)
				}
				if s := tt.in[off : off+len(it.Data)]; s != it.Data {
					t.Errorf("line %d: input at offset %d is %q, want %q", it.Num, it.Offset, s, it.Data)
				}
			}
		})
	}
}

// TestReaderLongLines reads lines longer than the reader's buffer (the
// slow path that gathers a line from several chunks).
func TestReaderLongLines(t *testing.T) {
	oneMiB := strings.Repeat("x", 1<<20)
	fiveMiB := strings.Repeat("y", 5<<20)
	in := "a\n" + oneMiB + "\r\n\n" + fiveMiB + "\nb"
	want := []item{
		{Num: 1, Offset: 0, Data: "a"},
		{Num: 2, Offset: 2, Data: oneMiB},
		{Num: 4, Offset: int64(2 + len(oneMiB) + 3), Data: fiveMiB},
		{Num: 5, Offset: int64(2 + len(oneMiB) + 3 + len(fiveMiB) + 1), Data: "b"},
	}
	got := readAll(t, NewReader(strings.NewReader(in), 0))
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Num != w.Num || g.Offset != w.Offset || g.Data != w.Data {
			t.Errorf("line %d: got num %d, offset %d, %d bytes; want num %d, offset %d, %d bytes",
				i, g.Num, g.Offset, len(g.Data), w.Num, w.Offset, len(w.Data))
		}
	}
}

// TestReaderLongLineLimit puts lines at, just over and far over a limit
// that is larger than the reader's buffer.
func TestReaderLongLineLimit(t *testing.T) {
	const max = 600 << 10
	atMax := strings.Repeat("m", max)
	over := strings.Repeat("o", max+1)
	far := strings.Repeat("f", 3*max)
	in := atMax + "\n" + over + "\n" + far + "\r\n" + "next\n"
	want := []item{
		{Num: 1, Offset: 0, Data: atMax},
		{TooLong: &LineTooLongError{Line: 2, Size: max + 2, Limit: max}},
		{TooLong: &LineTooLongError{Line: 3, Size: 3*max + 2, Limit: max}},
		{Num: 4, Offset: int64(len(in) - len("next\n")), Data: "next"},
	}
	got := readAll(t, NewReader(strings.NewReader(in), max))
	if diff := cmp.Diff(want, got); diff != "" {
		// The diff of megabyte strings is unreadable: say what differs.
		t.Errorf("lines differ (got %d, want %d)", len(got), len(want))
		for i := range min(len(got), len(want)) {
			g, w := got[i], want[i]
			if !cmp.Equal(g.TooLong, w.TooLong) || g.Num != w.Num || g.Offset != w.Offset || g.Data != w.Data {
				t.Errorf("%d: got num %d offset %d len %d err %v; want num %d offset %d len %d err %v",
					i, g.Num, g.Offset, len(g.Data), g.TooLong, w.Num, w.Offset, len(w.Data), w.TooLong)
			}
		}
	}
}

// TestReaderHugeLine reads one line of more than 64 MiB with the default
// limit: the line must come back whole.
func TestReaderHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MiB")
	}
	head := []byte(`{"resourceType":"Binary","id":"big","data":"`)
	body := bytes.Repeat([]byte("QUJD"), (65<<20)/4)
	tail := []byte(`"}`)
	line := append(append(append(make([]byte, 0, len(head)+len(body)+len(tail)), head...), body...), tail...)
	in := append(append(append([]byte("{}\n"), line...), '\n'), "{}"...)

	r := NewReader(bytes.NewReader(in), 0)
	if l, err := r.Next(); err != nil || string(l.Data) != "{}" {
		t.Fatalf("line 1: got %q, %v; want \"{}\", nil", l.Data, err)
	}
	l, err := r.Next()
	if err != nil {
		t.Fatalf("line 2: %v", err)
	}
	if l.Num != 2 || l.Offset != 3 || !bytes.Equal(l.Data, line) {
		t.Errorf("line 2: got num %d, offset %d, %d bytes; want num 2, offset 3, %d bytes", l.Num, l.Offset, len(l.Data), len(line))
	}
	if l, err := r.Next(); err != nil || l.Num != 3 {
		t.Errorf("line 3: got %d, %v; want 3, nil", l.Num, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("at the end: got %v, want io.EOF", err)
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)), 0)
	l, err := r.Next()
	if err != nil || string(l.Data) != "a" {
		t.Fatalf("line 1: got %q, %v; want \"a\", nil", l.Data, err)
	}
	if _, err := r.Next(); !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

func TestIsLineError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"too long", &LineTooLongError{Line: 1}, true},
		{"wrapped", errors.Join(errors.New("x"), &LineTooLongError{Line: 1}), true},
		{"EOF", io.EOF, false},
		{"other", errors.New("x"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsLineError(tt.err); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// model is what a Reader must return: the input split at LF, one CR
// dropped from each ending, a BOM dropped from line 1, blank lines left out
// and lines over max reported.
func model(in []byte, max int) []item {
	var out []item
	num := 0
	for off := 0; off < len(in); {
		raw := in[off:]
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[:i+1]
		}
		num++
		data := bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("\n")), []byte("\r"))
		switch {
		case len(data) > max:
			out = append(out, item{TooLong: &LineTooLongError{Line: num, Size: int64(len(raw)), Limit: max}})
		default:
			if num == 1 {
				data = bytes.TrimPrefix(data, bom)
			}
			if len(bytes.TrimSpace(data)) > 0 {
				out = append(out, item{Num: num, Offset: int64(off), Data: string(data)})
			}
		}
		off += len(raw)
	}
	return out
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("{\"resourceType\":\"Patient\",\"id\":\"1\"}\n\n{}\r\n"), uint8(0))
	f.Add([]byte("\xEF\xBB\xBF{}\n{}"), uint8(0))
	f.Add([]byte("abcd\nabcde\r\nx\n\n  \nabcdefghij"), uint8(4))
	f.Add([]byte("\r\n\r\r\n\n\xEF\xBB\xBF\n"), uint8(1))
	f.Add([]byte("\xEF\xBB\xBFab\nabc\n"), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, limit uint8) {
		max := int(limit) % 64
		if max == 0 {
			max = DefaultMaxLine
		}
		r := NewReader(bytes.NewReader(in), max)
		var got []item
		last := 0
		for {
			l, err := r.Next()
			if err == io.EOF {
				break
			}
			var tl *LineTooLongError
			if errors.As(err, &tl) {
				if tl.Line <= last {
					t.Fatalf("line error %d after line %d", tl.Line, last)
				}
				last = tl.Line
				got = append(got, item{TooLong: tl})
				continue
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if l.Num <= last {
				t.Fatalf("line %d after line %d", l.Num, last)
			}
			last = l.Num
			if len(l.Data) > max {
				t.Fatalf("line %d has %d bytes, over the limit %d", l.Num, len(l.Data), max)
			}
			off := int(l.Offset)
			if l.Num == 1 && bytes.HasPrefix(in[off:], bom) {
				off += len(bom)
			}
			if end := off + len(l.Data); end > len(in) || !bytes.Equal(in[off:end], l.Data) {
				t.Fatalf("line %d at offset %d: data %q is not the input's bytes", l.Num, l.Offset, l.Data)
			}
			got = append(got, item{Num: l.Num, Offset: l.Offset, Data: string(l.Data)})
		}
		if r.LineNum() < last {
			t.Fatalf("LineNum() = %d, below the last line %d", r.LineNum(), last)
		}
		if diff := cmp.Diff(model(in, max), got); diff != "" {
			t.Fatalf("lines (-want +got):\n%s", diff)
		}
	})
}
