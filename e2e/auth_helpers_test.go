//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/auth"
	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// jwtPattern finds a JWT (an access token or a client assertion): a
// base64url JSON header, a dot, a base64url JSON payload.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}`)

// authRun is an upload (and verify) of a dataset with OAuth2 or other
// credentials, whose output and files must show none of secrets and no
// token.
type authRun struct {
	t                   *testing.T
	bed                 *testbed.AuthBed
	data                *dataset
	base                string // the FHIR base URL the tool talks to
	settings            map[string]string
	secrets             []string
	tmp, flog, report   string
	ckpt                string
	args                []string
	lastStdout, lastErr string
}

func newAuthRun(t *testing.T, bed *testbed.AuthBed, d *dataset, base string, settings map[string]string, secrets ...string) *authRun {
	tmp := t.TempDir()
	s := map[string]string{"XDG_STATE_HOME": filepath.Join(tmp, "state"), "MINIO_SECRET_KEY": canaryMinIO}
	for k, v := range settings {
		s[k] = v
	}
	return &authRun{t: t, bed: bed, data: d, base: base, settings: s, secrets: append(secrets, canaryMinIO), tmp: tmp,
		flog: filepath.Join(tmp, "failures.log"), report: filepath.Join(tmp, "report.json"), ckpt: filepath.Join(tmp, "ckpt")}
}

// run runs the CLI with args and the run's settings and checks that no
// secret and no token shows.
func (a *authRun) run(ctx context.Context, args ...string) result {
	a.t.Helper()
	var out, errb bytes.Buffer
	code := cli.RunEnv(ctx, args, cli.Env{
		Stdout: &out, Stderr: &errb,
		Lookup: func(k string) (string, bool) { v, ok := a.settings[k]; return v, ok },
	})
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	a.lastStdout, a.lastErr = r.stdout, r.stderr
	assertNoSecret(a.t, a.secrets, r, a.tmp, a.data.dir)
	assertNoJWT(a.t, r, a.tmp, a.data.dir)
	return r
}

// upload uploads the dataset through a.base, trusting the bed's CA.
func (a *authRun) upload(ctx context.Context, extra ...string) result {
	a.t.Helper()
	args := append([]string{"upload", "-i", a.data.dir, "--fhir-url", a.base, "--ca-cert", a.bed.CA,
		"--failure-log", a.flog, "--report", a.report, "--checkpoint-dir", a.ckpt}, a.args...)
	start := time.Now()
	r := a.run(ctx, append(args, extra...)...)
	a.t.Logf("upload: exit %d after %v", r.code, time.Since(start).Round(time.Second))
	return r
}

// verify checks through a.base that every resource of the dataset is
// there with its content.
func (a *authRun) verify(ctx context.Context) result {
	a.t.Helper()
	return a.run(ctx, "verify", "-i", a.data.dir, "--fhir-url", a.base, "--ca-cert", a.bed.CA, "-q")
}

// tokens reads the token counts of the last report.
func (a *authRun) tokens() auth.Stats {
	a.t.Helper()
	var rep struct {
		Auth *auth.Stats `json:"auth"`
	}
	data, err := os.ReadFile(a.report)
	must(a.t, err)
	must(a.t, json.Unmarshal(data, &rep))
	if rep.Auth == nil {
		a.t.Fatalf("the report has no token counts:\n%s", data)
	}
	return *rep.Auth
}

// assertNoJWT checks that no JWT shows in the run's output or in a file
// under dirs.
func assertNoJWT(t *testing.T, r result, dirs ...string) {
	t.Helper()
	if m := jwtPattern.FindString(r.stdout + r.stderr); m != "" {
		t.Errorf("a token (%.16s…) shows in the output", m)
	}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(p)
			if err == nil && jwtPattern.Match(data) {
				t.Errorf("a token shows in %s", p)
			}
			return nil
		})
	}
}

// signingKey is a private_key_jwt client's key: a PKCS #8 PEM file, the
// JWK Set of its public key, and a piece of the PEM that must never show.
type signingKey struct {
	file, kid, jwks, secret string
}

// newSigningKey makes an RS384 (RSA 2048) or ES384 (P-384) key in dir.
func newSigningKey(t *testing.T, dir, alg string) signingKey {
	t.Helper()
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	kid := alg + "-" + randomID(t)
	var der []byte
	var jwk map[string]any
	switch alg {
	case "RS384":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		must(t, err)
		der, err = x509.MarshalPKCS8PrivateKey(k)
		must(t, err)
		jwk = map[string]any{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case "ES384":
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(t, err)
		der, err = x509.MarshalPKCS8PrivateKey(k)
		must(t, err)
		pub, err := k.PublicKey.Bytes() // 0x04 || X || Y, 48 bytes each
		must(t, err)
		jwk = map[string]any{"kty": "EC", "crv": "P-384", "x": b64(pub[1:49]), "y": b64(pub[49:])}
	default:
		t.Fatalf("alg %s", alg)
	}
	jwk["kid"], jwk["use"], jwk["alg"] = kid, "sig", alg
	set, err := json.Marshal(map[string]any{"keys": []any{jwk}})
	must(t, err)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	file := filepath.Join(dir, alg+"-key.pem")
	must(t, os.WriteFile(file, pemBytes, 0o600))
	// The base64 of the key, past the part common to every key of the type.
	body := bytes.Split(pemBytes, []byte("\n"))[2]
	return signingKey{file: file, kid: kid, jwks: string(set), secret: string(body)}
}
