//go:build e2e

package e2e

import (
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// batchDelay is how long the fault proxy between the gateway and HAPI
// holds each batch: with 10 resources a Bundle and 2 in flight, a load of
// N resources lasts at least N/20 seconds, whatever the machine's speed.
const batchDelay = time.Second

// slowArgs are the upload flags that make the delay count.
var slowArgs = []string{"-c", "2", "-s", "10"}

// TestOAuthThroughGateway loads through the token-validating gateway over
// HTTPS, with Keycloak's 60-second tokens, side by side: loads of more
// than three minutes with a client secret and with private_key_jwt
// (RS384, ES384), each refreshing its token at least three times with no
// failure and verify complete through the gateway; a client disabled in
// the middle of a load; a static token that expires in the middle of one.
func TestOAuthThroughGateway(t *testing.T) {
	bed := testbed.Auth(t)
	bed.Proxy.Always(batches(), faultproxy.Fault{Kind: faultproxy.Pass, Delay: batchDelay})
	t.Cleanup(bed.Proxy.Clear)
	keyDir := t.TempDir()
	rsKey, esKey := newSigningKey(t, keyDir, "RS384"), newSigningKey(t, keyDir, "ES384")
	bed.SetClientJWKS(t, testbed.RS384ClientID, rsKey.jwks)
	bed.SetClientJWKS(t, testbed.ES384ClientID, esKey.jwks)

	long := []struct {
		name     string
		settings map[string]string
		secrets  []string
	}{
		// No FHIR_OAUTH_TOKEN_URL: the token endpoint comes from the
		// gateway's .well-known/smart-configuration.
		{"client secret, discovered endpoint", map[string]string{
			"FHIR_OAUTH_CLIENT_ID": testbed.ClientSecretID, "FHIR_OAUTH_CLIENT_SECRET": testbed.ClientSecret,
		}, []string{testbed.ClientSecret}},
		{"private_key_jwt RS384", map[string]string{
			"FHIR_OAUTH_CLIENT_ID": testbed.RS384ClientID, "FHIR_OAUTH_PRIVATE_KEY_FILE": rsKey.file,
			"FHIR_OAUTH_KEY_ID": rsKey.kid, "FHIR_OAUTH_ALG": "RS384", "FHIR_OAUTH_TOKEN_URL": bed.TokenURL,
		}, []string{rsKey.secret}},
		{"private_key_jwt ES384", map[string]string{
			"FHIR_OAUTH_CLIENT_ID": testbed.ES384ClientID, "FHIR_OAUTH_PRIVATE_KEY_FILE": esKey.file,
			"FHIR_OAUTH_KEY_ID": esKey.kid, "FHIR_OAUTH_TOKEN_URL": bed.TokenURL,
		}, []string{esKey.secret}},
	}
	// The cases run side by side, each in its own goroutine: t.Parallel
	// would run only GOMAXPROCS of them at once (2 here), making the test
	// last twice as long.
	var wg sync.WaitGroup
	side := func(name string, f func(t *testing.T)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, f)
		}()
	}
	for _, tc := range long {
		side(tc.name, func(t *testing.T) {
			// 900 Patients: 3,691 resources, 370 Bundles: at least 185 s.
			a := newAuthRun(t, bed, makeDataset(t, 900, false), bed.GatewayURL, tc.settings, tc.secrets...)
			a.args = slowArgs
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
			defer cancel()
			r := a.upload(ctx)
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, tail(r.stdout), r.stderr)
			}
			sum := readReport(t, a.report)
			if sum.Seconds < 180 || sum.Failed != 0 || sum.Landed() != a.data.total() {
				t.Errorf("got %.0f s, %d landed, %d failed; want at least 180 s, %d landed, none failed", sum.Seconds, sum.Landed(), sum.Failed, a.data.total())
			}
			if tok := a.tokens(); tok.Refreshes < 3 || tok.Requests != tok.Refreshes+1 {
				t.Errorf("got %+v, want at least 3 refreshes and one request more", tok)
			}
			if !strings.Contains(r.stdout, "Access tokens: ") {
				t.Errorf("the summary does not count the tokens:\n%s", tail(r.stdout))
			}
			if v := a.verify(ctx); v.code != cli.ExitOK {
				t.Errorf("verify through the gateway: exit %d, want 0\n%s\n%s", v.code, v.stdout, v.stderr)
			}
			checkLanded(t, bed.FHIRBaseURL, a.data)
		})
	}

	side("client disabled mid-load", func(t *testing.T) { testClientDisabledMidLoad(t, bed) })
	side("static token expires mid-load", func(t *testing.T) { testStaticTokenExpires(t, bed) })
	wg.Wait()
}

// oauthError is how the tool names a token endpoint's refusal.
var oauthError = regexp.MustCompile(`token endpoint http://127\.0\.0\.1:\d+/realms/m2f/protocol/openid-connect/token: (invalid_client|unauthorized_client)`)

// testClientDisabledMidLoad disables the client at Keycloak while a load
// runs: the tool stops at its next token request with the auth exit code
// and the OAuth error; with the client enabled again, the same command
// sends only what the first run did not confirm.
func testClientDisabledMidLoad(t *testing.T, bed *testbed.AuthBed) {
	t.Cleanup(func() { bed.SetClientEnabled(t, testbed.DisableClientID, true) })
	// 400 Patients: 1,641 resources, 165 Bundles: at least 82 s, longer
	// than a token lives before its refresh (48 s).
	a := newAuthRun(t, bed, makeDataset(t, 400, false), bed.GatewayURL, map[string]string{
		"FHIR_OAUTH_CLIENT_ID": testbed.DisableClientID, "FHIR_OAUTH_CLIENT_SECRET": testbed.DisableSecret,
		"FHIR_OAUTH_CLIENT_AUTH": "post", "FHIR_OAUTH_TOKEN_URL": bed.TokenURL,
	}, testbed.DisableSecret)
	a.args = slowArgs
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- a.upload(ctx) }()
	// Disabled once the load is under way: its first token came before.
	for countTagged(t, bed.FHIRBaseURL, "Organization", a.data.tag) == 0 {
		select {
		case r := <-done:
			t.Fatalf("the load ended before it began: exit %d\n%s", r.code, r.stderr)
		case <-time.After(500 * time.Millisecond):
		}
	}
	bed.SetClientEnabled(t, testbed.DisableClientID, false)
	r := <-done
	if r.code != cli.ExitAuth || !oauthError.MatchString(r.stderr) || !strings.Contains(r.stderr, "hint: ") {
		t.Fatalf("exit %d, want %d with the OAuth error of the token endpoint and a hint\nstderr:\n%s", r.code, cli.ExitAuth, r.stderr)
	}
	first := readReport(t, a.report)
	if first.Landed() == 0 || first.Landed() >= a.data.total() {
		t.Fatalf("the first run landed %d of %d, want it to stop in the middle", first.Landed(), a.data.total())
	}
	t.Logf("stopped after %d of %d resources:\n%s", first.Landed(), a.data.total(), r.stderr)

	bed.SetClientEnabled(t, testbed.DisableClientID, true)
	r = a.upload(ctx)
	if r.code != cli.ExitOK {
		t.Fatalf("resumed: exit %d, want 0\n%s\n%s", r.code, tail(r.stdout), r.stderr)
	}
	sum := readReport(t, a.report)
	if !sum.Resumed || sum.Skipped == 0 || sum.Skipped > first.Landed() || sum.Failed != 0 || sum.Landed() != a.data.total() {
		t.Errorf("resumed: got resumed %v, %d skipped, %d landed, %d failed; want the first run's confirmed resources skipped, %d landed",
			sum.Resumed, sum.Skipped, sum.Landed(), sum.Failed, a.data.total())
	}
	checkLanded(t, bed.FHIRBaseURL, a.data)
}

// testStaticTokenExpires loads with a token pasted into FHIR_TOKEN that
// expires during the load: the gateway refuses the next Bundle with 401,
// and the tool stops at once with the auth exit code, without retries.
func testStaticTokenExpires(t *testing.T, bed *testbed.AuthBed) {
	tok := bed.ClientToken(t, testbed.ClientSecretID, testbed.ClientSecret)
	// 300 Patients: 1,231 resources: at least 62 s, longer than the token lives.
	a := newAuthRun(t, bed, makeDataset(t, 300, false), bed.GatewayURL, map[string]string{"FHIR_TOKEN": tok}, tok)
	a.args = slowArgs
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r := a.upload(ctx)
	if r.code != cli.ExitAuth || !strings.Contains(r.stderr, "HTTP 401") || !strings.Contains(r.stderr, "FHIR_TOKEN") {
		t.Fatalf("exit %d, want %d with the 401 and a hint naming FHIR_TOKEN\nstderr:\n%s", r.code, cli.ExitAuth, r.stderr)
	}
	sum := readReport(t, a.report)
	if sum.Retries != 0 || sum.Landed() == 0 {
		t.Errorf("got %d retries, %d landed; want no retry after the 401, some landed before it", sum.Retries, sum.Landed())
	}
}

// TestStaticTokenThroughGateway: a token in FHIR_TOKEN is sent as
// "Authorization: Bearer" and the gateway lets the load through; a wrong
// token or none is refused with 401, the auth exit code and a hint.
func TestStaticTokenThroughGateway(t *testing.T) {
	bed := testbed.Auth(t)
	tok := bed.ClientToken(t, testbed.ClientSecretID, testbed.ClientSecret)
	wrong := tok[:len(tok)-4] + "AAAA" // the signature no longer fits
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name     string
		settings map[string]string
		want     int
	}{
		{"accepted", map[string]string{"FHIR_TOKEN": tok}, cli.ExitOK},
		{"wrong", map[string]string{"FHIR_TOKEN": wrong}, cli.ExitAuth},
		{"none", nil, cli.ExitAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthRun(t, bed, makeDataset(t, 5, false), bed.GatewayURL, tc.settings, tok, wrong)
			before := len(bed.Proxy.Events())
			r := a.upload(ctx)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, tail(r.stdout), r.stderr)
			}
			if tc.want == cli.ExitOK {
				checkLanded(t, bed.FHIRBaseURL, a.data)
				return
			}
			if !strings.Contains(r.stderr, "HTTP 401") || !strings.Contains(r.stderr, "hint: check") {
				t.Errorf("unclear message:\n%s", r.stderr)
			}
			// Refused at the server check: nothing passed the gateway.
			if n := len(bed.Proxy.Events()) - before; n != 0 {
				t.Errorf("%d requests passed the gateway, want 0", n)
			}
		})
	}
}

// TestMutualTLS loads through nginx, which asks for a client certificate:
// without one it refuses and the message says so; with one the load
// completes.
func TestMutualTLS(t *testing.T) {
	bed := testbed.Auth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	keyPEM, err := os.ReadFile(bed.ClientKey)
	must(t, err)
	keySecret := strings.Split(string(keyPEM), "\n")[2]

	a := newAuthRun(t, bed, makeDataset(t, 5, false), bed.MTLSURL, nil, keySecret)
	r := a.upload(ctx)
	if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "No required SSL certificate was sent") {
		t.Errorf("without a client certificate: exit %d, want %d saying a certificate is required\n%s", r.code, cli.ExitFatal, r.stderr)
	}
	a.settings["FHIR_CLIENT_CERT"], a.settings["FHIR_CLIENT_KEY"] = bed.ClientCert, bed.ClientKey
	if r := a.upload(ctx); r.code != cli.ExitOK {
		t.Fatalf("with a client certificate: exit %d, want 0\n%s\n%s", r.code, tail(r.stdout), r.stderr)
	}
	checkLanded(t, bed.FHIRBaseURL, a.data)
	if v := a.verify(ctx); v.code != cli.ExitOK {
		t.Errorf("verify with a client certificate: exit %d\n%s", v.code, v.stderr)
	}
}

// tail is the end of a long output, for a failure message.
func tail(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
