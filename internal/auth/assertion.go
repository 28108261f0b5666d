package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AssertionLifetime is how long a client assertion is valid: SMART
// Backend Services allows at most five minutes.
const AssertionLifetime = 4 * time.Minute

// Assertion returns a signed client assertion (RFC 7523) as SMART Backend
// Services asks for it: iss and sub the client id, aud the token endpoint,
// a unique jti, exp within five minutes, kid in the header.
func Assertion(key crypto.Signer, alg, kid, clientID, tokenURL string, now time.Time) (string, error) {
	m, err := signingMethod(alg, key)
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := jwt.RegisteredClaims{
		Issuer:    clientID,
		Subject:   clientID,
		Audience:  jwt.ClaimStrings{tokenURL},
		ID:        hex.EncodeToString(jti),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(AssertionLifetime)),
	}
	t := jwt.NewWithClaims(m, claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign the client assertion: %w", err)
	}
	return s, nil
}

// signingMethod checks that alg fits key.
func signingMethod(alg string, key crypto.Signer) (jwt.SigningMethod, error) {
	switch alg {
	case "RS384":
		if _, ok := key.(*rsa.PrivateKey); !ok {
			return nil, errors.New("RS384 needs an RSA private key")
		}
		return jwt.SigningMethodRS384, nil
	case "ES384":
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok || k.Curve != elliptic.P384() {
			return nil, errors.New("ES384 needs an EC private key on the P-384 curve")
		}
		return jwt.SigningMethodES384, nil
	}
	return nil, fmt.Errorf("signing algorithm %q: use RS384 or ES384", alg)
}

// LoadKey reads a PEM private key (PKCS #8, PKCS #1 RSA or SEC 1 EC) and
// returns it with the algorithm it signs with: RS384 for RSA, ES384 for EC.
// Its errors never quote the key.
func LoadKey(path string) (crypto.Signer, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, "", errors.New("no PEM private key in it")
		}
		var key any
		switch blk.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(blk.Bytes)
		default:
			continue // e.g. EC PARAMETERS before the key
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: not a valid key", blk.Type)
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, "RS384", nil
		case *ecdsa.PrivateKey:
			return k, "ES384", nil
		}
		return nil, "", fmt.Errorf("a %T: use an RSA or EC (P-384) key", key)
	}
}
