package series

import (
	"errors"
	"net"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// Cause is why a request was sent again.
type Cause int

// The causes of Retries.
const (
	CauseOther Cause = iota
	CauseNetwork
	CauseTimeout
	CauseThrottle
	CauseServer
	CauseConflict
)

// CauseOf is the cause of a retry after err.
func CauseOf(err error) Cause {
	var se *fhir.StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == 408:
			return CauseTimeout
		case se.Code == 429:
			return CauseThrottle
		case se.Code == 409:
			return CauseConflict
		case se.Code >= 500:
			return CauseServer
		}
		return CauseOther
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return CauseNetwork
	}
	return CauseOther
}

func (c Cause) count(r *Retries, n int) {
	switch c {
	case CauseNetwork:
		r.Network += n
	case CauseTimeout:
		r.Timeout += n
	case CauseThrottle:
		r.Throttle += n
	case CauseServer:
		r.Server += n
	case CauseConflict:
		r.Conflict += n
	default:
		r.Other += n
	}
}
