//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// These tests prove the test bed is real: HAPI with its shipped defaults,
// and a MinIO that stores objects.

func TestHAPIStoresAndReadsBack(t *testing.T) {
	s := server{base: testbed.Default(t).FHIRBaseURL}
	id := randomID(t)
	body := fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":"Testbed","given":["Ada"]}],"birthDate":"1970-01-02"}`, id)
	code, resp := s.do(t, "PUT", "Patient/"+id, []byte(body), nil)
	if code != 201 {
		t.Fatalf("PUT Patient/%s: got HTTP %d, want 201: %s", id, code, resp)
	}
	p := s.read(t, "Patient", id)
	if got := p["birthDate"]; got != "1970-01-02" {
		t.Errorf("birthDate: got %v, want 1970-01-02", got)
	}
	if got := p["name"].([]any)[0].(map[string]any)["family"]; got != "Testbed" {
		t.Errorf("family: got %v, want Testbed", got)
	}
}

func TestHAPIEnforcesDefaults(t *testing.T) {
	s := server{base: testbed.Default(t).FHIRBaseURL}
	id := randomID(t)
	tests := []struct {
		name, path, body string
		wantCode         int
		wantText         string
	}{
		{
			name:     "referential integrity on write",
			path:     "Observation/" + id,
			body:     fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"},"subject":{"reference":"Patient/missing-%s"}}`, id, id),
			wantCode: 400, wantText: "HAPI-1094",
		},
		{
			name:     "client id strategy ALPHANUMERIC",
			path:     "Patient/98765" + fmt.Sprint(time.Now().UnixNano()%1000),
			body:     "",
			wantCode: 400, wantText: "HAPI-0960",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == "" {
				numeric := strings.TrimPrefix(tc.path, "Patient/")
				body = fmt.Sprintf(`{"resourceType":"Patient","id":%q}`, numeric)
			}
			code, resp := s.do(t, "PUT", tc.path, []byte(body), nil)
			if code != tc.wantCode || !bytes.Contains(resp, []byte(tc.wantText)) {
				t.Errorf("PUT %s: got HTTP %d %s, want %d with %s", tc.path, code, resp, tc.wantCode, tc.wantText)
			}
		})
	}
}

func TestHAPIBasicAuth(t *testing.T) {
	bed := testbed.WithAuth(t)
	tests := []struct {
		name       string
		user, pass string
		want       int
	}{
		{"no credentials", "", "", 401},
		{"wrong password", bed.AuthUser, "wrong", 401},
		{"right credentials", bed.AuthUser, bed.AuthPassword, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := server{base: bed.FHIRBaseURL, user: tc.user, pass: tc.pass}
			if code, body := s.do(t, "GET", "metadata", nil, nil); code != tc.want {
				t.Errorf("GET metadata: got HTTP %d, want %d: %.200s", code, tc.want, body)
			}
		})
	}
}

func TestMinIOStoresObjects(t *testing.T) {
	bed := testbed.Default(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mc, err := minio.New(bed.MinIOEndpoint, &minio.Options{Creds: credentials.NewStaticV4(bed.MinIOAccessKey, bed.MinIOSecretKey, "")})
	must(t, err)
	name := randomID(t) + "-bed"
	must(t, mc.MakeBucket(ctx, name, minio.MakeBucketOptions{}))
	defer func() {
		for o := range mc.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			_ = mc.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(ctx, name)
	}()
	data := bytes.Repeat([]byte(`{"resourceType":"Patient","id":"a"}`+"\n"), 1000)
	_, err = mc.PutObject(ctx, name, "exports/Patient.ndjson", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	must(t, err)
	var keys []string
	for o := range mc.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
		must(t, o.Err)
		keys = append(keys, o.Key)
	}
	if len(keys) != 1 || keys[0] != "exports/Patient.ndjson" {
		t.Errorf("listed %v, want [exports/Patient.ndjson]", keys)
	}
	obj, err := mc.GetObject(ctx, name, "exports/Patient.ndjson", minio.GetObjectOptions{})
	must(t, err)
	got, err := io.ReadAll(obj)
	must(t, err)
	if !bytes.Equal(got, data) {
		t.Errorf("read back %d bytes, not the %d put", len(got), len(data))
	}
}
