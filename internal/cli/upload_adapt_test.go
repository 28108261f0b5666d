package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/limit"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

func TestResolveAdaptive(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		env          map[string]string
		wantTx       txMode
		wantAdaptive bool
		wantC        int
		wantErr      string // part of a usage error
	}{
		{name: "defaults", wantTx: txAuto, wantAdaptive: true, wantC: 8},
		{name: "-c fixes it", args: []string{"-c", "3"}, wantTx: txAuto, wantC: 3},
		{name: "CONCURRENCY empty (as in .env.example)", env: map[string]string{"CONCURRENCY": " "}, wantTx: txAuto, wantAdaptive: true, wantC: 8},
		{name: "CONCURRENCY fixes it", env: map[string]string{"CONCURRENCY": "5"}, wantTx: txAuto, wantC: 5},
		{name: "--max-concurrency", args: []string{"--max-concurrency", "16"}, wantTx: txAuto, wantAdaptive: true, wantC: 16},
		{name: "MAX_CONCURRENCY", env: map[string]string{"MAX_CONCURRENCY": "4"}, wantTx: txAuto, wantAdaptive: true, wantC: 4},
		{name: "-c wins over a maximum", args: []string{"-c", "2", "--max-concurrency", "16"}, wantTx: txAuto, wantC: 2},
		{name: "--tx-semantics alone", args: []string{"--tx-semantics"}, wantTx: txOn, wantAdaptive: true, wantC: 8},
		{name: "--tx-semantics=false", args: []string{"--tx-semantics=false"}, wantTx: txOff, wantAdaptive: true, wantC: 8},
		{name: "--tx-semantics=auto", args: []string{"--tx-semantics=auto"}, wantTx: txAuto, wantAdaptive: true, wantC: 8},
		{name: "TX_SEMANTICS=false", env: map[string]string{"TX_SEMANTICS": "false"}, wantTx: txOff, wantAdaptive: true, wantC: 8},
		{name: "TX_SEMANTICS=true", env: map[string]string{"TX_SEMANTICS": "TRUE"}, wantTx: txOn, wantAdaptive: true, wantC: 8},
		{name: "the flag wins over TX_SEMANTICS", args: []string{"--tx-semantics=true"}, env: map[string]string{"TX_SEMANTICS": "false"}, wantTx: txOn, wantAdaptive: true, wantC: 8},
		{name: "a bad TX_SEMANTICS", env: map[string]string{"TX_SEMANTICS": "maybe"}, wantErr: "TX_SEMANTICS"},
		{name: "a bad --tx-semantics", args: []string{"--tx-semantics=maybe"}, wantErr: "tx-semantics"},
		{name: "max 0", args: []string{"--max-concurrency", "0"}, wantErr: "max concurrency 0"},
		{name: "max 65", env: map[string]string{"MAX_CONCURRENCY": "65"}, wantErr: "max concurrency 65"},
		{name: "-c 0", args: []string{"-c", "0"}, wantErr: "concurrency 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o uploadOptions
			fs := newFlagSet("upload")
			o.bind(fs)
			err := fs.Parse(tt.args)
			if err == nil {
				s := settings{}
				for k, v := range tt.env {
					s[k] = v
				}
				err = o.resolveAdaptive(s)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.txSemantics != tt.wantTx || o.adaptive != tt.wantAdaptive || o.concurrency != tt.wantC {
				t.Errorf("got tx %q adaptive %v concurrency %d, want %q %v %d", o.txSemantics, o.adaptive, o.concurrency, tt.wantTx, tt.wantAdaptive, tt.wantC)
			}
		})
	}
}

func TestDecideTxFirst(t *testing.T) {
	hapi := func(v string) fhir.ServerInfo {
		return fhir.ServerInfo{Software: "HAPI FHIR Server " + v, SoftwareName: "HAPI FHIR Server", SoftwareVersion: v}
	}
	tests := []struct {
		name string
		mode txMode
		info fhir.ServerInfo
		want string
	}{
		{"auto, HAPI 8.8.0", txAuto, hapi("8.8.0"), "Transaction first: on (HAPI FHIR Server 8.8.0)"},
		{"auto, HAPI 8.0.0", txAuto, hapi("8.0.0"), "Transaction first: off (HAPI FHIR Server 8.0.0 is not HAPI FHIR 8.2 or later)"},
		{"auto, unknown", txAuto, fhir.ServerInfo{}, "Transaction first: off (unknown is not HAPI FHIR 8.2 or later)"},
		{"on, HAPI 7", txOn, hapi("7.6.0"), "Transaction first: on (--tx-semantics)"},
		{"off, HAPI 8.8.0", txOff, hapi("8.8.0"), "Transaction first: off (--tx-semantics=false)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decideTxFirst(tt.mode, tt.info)
			if line := txFirstLine(got); line != tt.want {
				t.Errorf("got %q, want %q", line, tt.want)
			}
			if got.On != strings.Contains(tt.want, ": on") || got.Mode != string(tt.mode) {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestConcurrencyLine(t *testing.T) {
	tests := []struct {
		name string
		sum  transfer.Summary
		want string
	}{
		{"adaptive", transfer.Summary{Concurrency: statsOf(true, 1, 8, 4, 1, 6)}, "Concurrency: adaptive 1..8, settled at 4 (ranged 1..6)"},
		{"adaptive, one value", transfer.Summary{Concurrency: statsOf(true, 1, 1, 1, 1, 1)}, "Concurrency: adaptive 1..1, settled at 1"},
		{"fixed", transfer.Summary{Concurrency: statsOf(false, 4, 4, 4, 4, 4)}, "Concurrency: fixed at 4"},
		{"fixed, backed off", transfer.Summary{Concurrency: statsOf(false, 4, 4, 4, 1, 4)}, "Concurrency: fixed at 4, lowered to 1 while the server was overloaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := concurrencyLine(&tt.sum); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func statsOf(adaptive bool, lo, hi, settled, lowest, highest int) limit.Stats {
	return limit.Stats{Adaptive: adaptive, Min: lo, Max: hi, Settled: settled, Lowest: lowest, Highest: highest, Final: settled}
}

// TestUploadSendsTxHeaderByServer runs the CLI against a fake server that
// calls itself HAPI 8.8.0 or something else, and checks the header on
// every batch request and the JSON summary.
func TestUploadSendsTxHeaderByServer(t *testing.T) {
	tests := []struct {
		name, software, version string
		args                    []string
		want                    bool
	}{
		{"HAPI 8.8.0, defaults", "HAPI FHIR Server", "8.8.0", nil, true},
		{"HAPI 8.8.0, switched off", "HAPI FHIR Server", "8.8.0", []string{"--tx-semantics=false"}, false},
		{"HAPI 8.1.0, defaults", "HAPI FHIR Server", "8.1.0", nil, false},
		{"another server, asked for", "Other", "1.0", []string{"--tx-semantics"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var headers []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/fhir+json")
				if strings.HasSuffix(r.URL.Path, "/metadata") {
					fmt.Fprintf(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","software":{"name":%q,"version":%q}}`, tt.software, tt.version)
					return
				}
				var b struct{ Entry []json.RawMessage }
				if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
					http.Error(w, err.Error(), 400)
					return
				}
				mu.Lock()
				headers = append(headers, r.Header.Get(fhir.TxSemanticsHeader))
				mu.Unlock()
				entries := strings.TrimSuffix(strings.Repeat(`{"response":{"status":"201 Created"}},`, len(b.Entry)), ",")
				fmt.Fprintf(w, `{"resourceType":"Bundle","type":"batch-response","entry":[%s]}`, entries)
			}))
			defer srv.Close()
			dir := t.TempDir()
			var lines []string
			for i := range 7 {
				lines = append(lines, fmt.Sprintf(`{"resourceType":"Patient","id":"p%d"}`, i))
			}
			if err := os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			args := append([]string{"upload", "-i", dir, "-s", "2", "--json", "--failure-log", filepath.Join(t.TempDir(), "f.log"), "--checkpoint-dir", t.TempDir()}, tt.args...)
			code := RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Lookup: func(k string) (string, bool) {
				if k == "FHIR_BASE_URL" {
					return srv.URL + "/fhir", true
				}
				return "", false
			}})
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if len(headers) != 4 {
				t.Fatalf("%d batch requests, want 4", len(headers))
			}
			for i, h := range headers {
				if (h == fhir.TxSemanticsValue) != tt.want || (h != "" && h != fhir.TxSemanticsValue) {
					t.Errorf("request %d: header %q, want it sent: %v", i, h, tt.want)
				}
			}
			var sum transfer.Summary
			if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
				t.Fatalf("summary: %v\n%s", err, out.String())
			}
			if sum.TransactionFirst.On != tt.want || sum.Created != 7 {
				t.Errorf("summary: transaction first %+v, created %d", sum.TransactionFirst, sum.Created)
			}
			if c := sum.Concurrency; c.Adaptive != true || c.Min != 1 || c.Max != 8 || c.Highest > 8 {
				t.Errorf("summary: concurrency %+v, want adaptive 1..8", c)
			}
		})
	}
}
