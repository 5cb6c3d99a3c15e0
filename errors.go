package smtpport

import "github.com/smtpport/smtpport/negotiate"

// The negotiator's sentinels, re-exported for errors.Is; each is the same value as its
// negotiate counterpart.
var (
	ErrAuthFailed     = negotiate.ErrAuthFailed
	ErrTLSUnavailable = negotiate.ErrTLSUnavailable
	ErrCertificate    = negotiate.ErrCertificate
	ErrUnreachable    = negotiate.ErrUnreachable
	ErrProtocol       = negotiate.ErrProtocol
)

// ErrConfig wraps every error for options or a preset that cannot be used; nothing was
// sent. The same value as negotiate.ErrConfig.
var ErrConfig = negotiate.ErrConfig
