package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

// fail reports err in one line, "smtpport: <error> (hint)", and returns the exit code:
// 2 for usage mistakes, 1 for everything else.
func fail(e *env, command string, err error) int {
	var u usage
	if errors.As(err, &u) {
		return usageError(e, command, err)
	}
	fmt.Fprintf(e.stderr, "smtpport: %s\n", oneLine(err.Error()))
	return exitFail
}

// hint says what to do about a negotiation error: nothing when the engine's error
// already ends with advice (a reply the preset knows, a certificate failure it
// explains), else advice from its sentinel and the preset's note.
func hint(err error, p presets.Preset) string {
	var (
		reply   *textproto.Error
		unknown x509.UnknownAuthorityError
	)
	switch {
	case errors.Is(err, smtpport.ErrAuthFailed):
		if errors.As(err, &reply) && (p.Hint(reply, "PLAIN") != "" || p.Hint(reply, "XOAUTH2") != "") {
			return "" // the preset's advice for this reply is in the error already
		}
		if p.Note != "" {
			return "hint: " + p.Note
		}
		return "hint: check --user and the secret; many providers need an app password or OAuth2"
	case errors.Is(err, smtpport.ErrCertificate):
		if errors.As(err, &unknown) {
			return "hint: if the server uses a private CA, pass --ca FILE; smtpport never skips verification"
		}
		return "" // a name or a date: the error says what to fix
	case errors.Is(err, smtpport.ErrProtocol):
		return "hint: something between here and the server is tampering with the connection"
	case errors.Is(err, smtpport.ErrTLSUnavailable):
		return "hint: the server offers no usable TLS on these routes and smtpport never sends in plaintext"
	case errors.Is(err, smtpport.ErrUnreachable):
		return "hint: run 'smtpport probe' to see which ports answer from this network"
	}
	return ""
}

func tlsVersion(res *negotiate.Result) string { return tls.VersionName(res.TLS.Version) }
