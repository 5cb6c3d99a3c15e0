package negotiate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"syscall"
)

// Errors classified here carry the server's reply as their cause, and a detail of our own
// that does not repeat the reply code: "authentication failed: credentials rejected: 535
// 5.7.8 Authentication credentials invalid".

// classifyDial: every connect failure is the route's, never the account's.
func classifyDial(err error) error {
	detail := "connect failed"
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		detail = "connection refused"
	case isTimeout(err):
		detail = "no answer to connect (blocked by a firewall or ISP?)"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		detail = "host name did not resolve"
	}
	return &routeError{kind: ErrUnreachable, detail: detail, cause: err}
}

// classifyReply sorts failures of the exchanges before authentication (greeting, EHLO,
// STARTTLS): oversized replies end negotiation, everything else moves to the next route.
func classifyReply(err error, what string) error {
	var re *routeError
	if errors.As(err, &re) {
		return err
	}
	if errors.Is(err, errOversize) {
		return oversize(what)
	}
	var tpErr *textproto.Error
	switch {
	case errors.As(err, &tpErr):
		kind, detail := ErrUnreachable, what+" refused"
		switch {
		case tpErr.Code == 421:
			detail = what + ": server closing the channel"
		case what == "STARTTLS":
			kind, detail = ErrTLSUnavailable, "STARTTLS refused"
			if tpErr.Code/100 == 4 {
				detail = "STARTTLS temporarily refused"
			}
		case what == "EHLO":
			kind = ErrTLSUnavailable
		}
		return &routeError{kind: kind, detail: detail, cause: err}
	case isTimeout(err):
		detail := what + ": no reply in time"
		if what == "greeting" {
			detail = "no greeting in time (an implicit-TLS port, or a tarpit?)"
		}
		return &routeError{kind: ErrUnreachable, detail: detail, cause: err}
	case isClosed(err):
		return &routeError{kind: ErrUnreachable, detail: what + ": server closed the connection", cause: err}
	}
	return &routeError{kind: ErrUnreachable, detail: what + " failed", cause: err}
}

// classifyTLS sorts TLS handshake failures: a certificate that does not verify ends
// negotiation; a server that cannot do TLS moves on.
func classifyTLS(err error) error {
	var (
		verr     *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		header   tls.RecordHeaderError
		alertErr tls.AlertError
	)
	switch {
	case errors.Is(err, errOversize):
		return oversize("TLS handshake")
	case errors.As(err, &verr), errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &invalid):
		return &routeError{kind: ErrCertificate, detail: "server certificate rejected", cause: err, hint: certificateHint(err), final: true}
	case errors.As(err, &header):
		return &routeError{kind: ErrTLSUnavailable, detail: "server did not answer with TLS (plaintext on an implicit-TLS port?)", cause: err}
	case isTimeout(err):
		return &routeError{kind: ErrUnreachable, detail: "TLS handshake: no reply in time", cause: err}
	case errors.As(err, &alertErr):
		return &routeError{kind: ErrTLSUnavailable, detail: "server ended the TLS handshake", cause: err}
	case isClosed(err):
		return &routeError{kind: ErrUnreachable, detail: "TLS handshake: server closed the connection", cause: err}
	}
	return &routeError{kind: ErrTLSUnavailable, detail: "TLS handshake failed", cause: err}
}

// certificateHint says what to do about a certificate that failed verification.
func certificateHint(err error) string {
	var (
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		return "signed by an authority this system does not trust: if the server uses a private CA, " +
			"add that CA to the TLS configuration's RootCAs; verification is never skipped"
	case errors.As(err, &hostErr):
		return "the certificate is for other host names: connect to a name it lists, or have the server's certificate fixed"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the certificate has expired or is not valid yet: check the server's certificate and this machine's clock"
	}
	return ""
}

// classifyAuth: every failure once AUTH has started ends negotiation, because the
// credentials have gone out on this connection and must not go out on another. Replies
// are read as RFC 4954 §6 defines them; known provider replies get a hint from
// Config.Hint. A connection lost mid-AUTH (a timeout, a reset, 421) is ErrUnreachable,
// not ErrAuthFailed: the outcome is unknown and the credentials may be fine, so a caller
// must not treat it as a wrong password. A mechanism's own error that already names a
// sentinel (a SCRAM server breaking the protocol) keeps it.
func classifyAuth(err error, hint func(*textproto.Error) string) error {
	var re *routeError
	if errors.As(err, &re) {
		return err
	}
	var tpErr *textproto.Error
	switch {
	case errors.As(err, &tpErr) && tpErr.Code == 421:
		return &routeError{kind: ErrUnreachable, detail: authReplyDetail(421), cause: err, final: true}
	case errors.As(err, &tpErr):
		h := ""
		if hint != nil {
			h = hint(tpErr)
		}
		return &routeError{kind: ErrAuthFailed, detail: authReplyDetail(tpErr.Code), hint: h, cause: err, final: true}
	case errors.Is(err, errOversize):
		return oversize("AUTH")
	case errors.Is(err, ErrProtocol):
		return &routeError{kind: ErrProtocol, detail: "AUTH exchange", cause: err, final: true}
	case errors.Is(err, ErrConfig):
		return &routeError{kind: ErrConfig, detail: "AUTH stopped by the client; not authenticated", cause: err, final: true}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The mechanism stopped before its next step (SCRAM checks the context before
		// deriving keys): nothing more went out, so it is known not to be authenticated.
		return &routeError{kind: ErrUnreachable, detail: "AUTH stopped by the deadline before the client's proof; not authenticated", cause: err, final: true}
	case isTimeout(err):
		return &routeError{kind: ErrUnreachable, detail: "no reply to AUTH in time; outcome unknown", cause: err, final: true}
	case isClosed(err):
		return &routeError{kind: ErrUnreachable, detail: "server closed the connection during AUTH; outcome unknown", cause: err, final: true}
	}
	return &routeError{kind: ErrAuthFailed, detail: "authentication exchange failed", cause: err, final: true}
}

// authReplyDetail says what an AUTH reply code means (RFC 4954 §6); the code itself is
// in the cause.
func authReplyDetail(code int) string {
	switch code {
	case 535:
		return "credentials rejected"
	case 454:
		return "temporary authentication failure; try again later"
	case 432:
		return "a password transition is needed"
	case 534:
		return "mechanism too weak for this server"
	case 530:
		return "server requires authentication it did not get"
	case 538:
		return "server requires encryption for this mechanism"
	case 504:
		return "server does not support the mechanism"
	case 421:
		return "server closing the channel during AUTH; outcome unknown"
	case 500, 501:
		return "server rejected the AUTH exchange"
	}
	if code/100 == 4 {
		return "temporary failure; try again later"
	}
	return fmt.Sprintf("rejected with %d", code)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE)
}
