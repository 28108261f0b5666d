package fhir

import (
	"context"
	"testing"
)

func TestServerInfoTransactionFirst(t *testing.T) {
	tests := []struct {
		name, software, version string
		want                    bool
	}{
		{"HAPI 8.8.0", "HAPI FHIR Server", "8.8.0", true},
		{"HAPI 8.2.0", "HAPI FHIR Server", "8.2.0", true},
		{"HAPI 8.2 snapshot", "HAPI FHIR", "8.2.0-SNAPSHOT", true},
		{"HAPI 9.0", "HAPI FHIR Server", "9.0.1", true},
		{"HAPI 8.1.4", "HAPI FHIR Server", "8.1.4", false},
		{"HAPI 7.6.0", "HAPI FHIR Server", "7.6.0", false},
		{"HAPI 8.10 (two-digit minor)", "HAPI FHIR Server", "8.10.0", true},
		{"HAPI with v prefix", "hapi-fhir", "v8.4", true},
		{"HAPI without a version", "HAPI FHIR Server", "", false},
		{"HAPI with a bad version", "HAPI FHIR Server", "eight", false},
		{"another server", "Blaze", "0.30.0", false},
		{"another server at 9", "Firely Server", "9.1.0", false},
		{"no software", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ServerInfo{SoftwareName: tt.software, SoftwareVersion: tt.version}.TransactionFirst()
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPostTransactionFirstHeader(t *testing.T) {
	for _, on := range []bool{false, true} {
		srv := newFakeServer(t, answer(200, `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201 Created"}}]}`))
		c := newClient(t, Config{BaseURL: srv.URL})
		c.SetTransactionFirst(on)
		if c.TransactionFirst() != on {
			t.Fatalf("TransactionFirst: got %v, want %v", c.TransactionFirst(), on)
		}
		b := NewBuilder(Batch)
		b.Add("Patient", "a", []byte(`{"resourceType":"Patient","id":"a"}`))
		if _, err := c.Post(context.Background(), b.Bytes(), 1); err != nil {
			t.Fatal(err)
		}
		want := ""
		if on {
			want = TxSemanticsValue
		}
		if got := srv.only(t).Header.Get(TxSemanticsHeader); got != want {
			t.Errorf("on=%v: header got %q, want %q", on, got, want)
		}
	}
}
