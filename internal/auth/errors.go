package auth

import (
	"errors"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"
)

// ErrToken is the failure to get an access token: the token endpoint
// refused the client (invalid_client, a disabled client, a wrong secret or
// key) or could not be reached. Sending again does not help; the run
// stops. Test with errors.Is.
var ErrToken = errors.New("no access token")

// TokenError says why the token endpoint gave no token. It names the
// endpoint and the OAuth error; it never holds the secret, the assertion
// or a token.
type TokenError struct {
	Endpoint    string // the token endpoint or the discovery document's URL
	Code        string // the OAuth error code, e.g. invalid_client
	Description string // error_description, or what else went wrong
	Status      int    // the HTTP status of the answer, 0 if none
	Err         error  // a transport error, if that was it
}

func (e *TokenError) Error() string {
	msg := "token endpoint " + e.Endpoint
	switch {
	case e.Code != "":
		msg += ": " + e.Code
		if e.Description != "" {
			msg += " (" + e.Description + ")"
		}
	case e.Description != "":
		msg += ": " + e.Description
	case e.Status != 0:
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrToken) true.
func (e *TokenError) Is(target error) bool { return target == ErrToken }

// Unwrap returns the transport error.
func (e *TokenError) Unwrap() error { return e.Err }

// Retryable is false: the request that needed the token is not worth
// sending again, the run stops and resumes once the client is fixed.
func (e *TokenError) Retryable() bool { return false }

// tokenError turns what oauth2 returned into a *TokenError.
func tokenError(endpoint string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Endpoint: endpoint, Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			te.Status = re.Response.StatusCode
		}
		// re.Error() quotes the whole body: only the OAuth fields are
		// kept, so that nothing the server echoes ends up in a message.
		return te
	}
	// A transport error: *url.Error repeats the endpoint, keep its cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &TokenError{Endpoint: endpoint, Err: err}
}
