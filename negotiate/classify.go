package negotiate

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"syscall"
)

// classifyDial: every connect failure is the route's, never the account's.
func classifyDial(err error) error {
	detail := "connect failed"
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		detail = "connection refused"
	case isTimeout(err):
		detail = "no answer to connect (blocked by a firewall or ISP?)"
	}
	return &routeError{kind: ErrUnreachable, detail: detail, cause: err}
}

// classifyReply sorts failures of plaintext-level exchanges (greeting, EHLO, STARTTLS):
// oversized replies end negotiation, everything else moves to the next route.
func classifyReply(err error, tap *tapConn, what string) error {
	if errors.Is(err, errOversize) {
		return &routeError{kind: ErrProtocol, detail: what + ": reply too large", cause: err, final: true}
	}
	var tpErr *textproto.Error
	switch {
	case errors.As(err, &tpErr):
		kind := ErrUnreachable
		detail := fmt.Sprintf("%s refused with %d", what, tpErr.Code)
		switch {
		case tpErr.Code == 421:
			detail = what + ": server closing the channel (421)"
		case what == "STARTTLS":
			kind = ErrTLSUnavailable
			if tpErr.Code/100 == 4 {
				detail = fmt.Sprintf("STARTTLS temporarily refused (%d)", tpErr.Code)
			} else {
				detail = fmt.Sprintf("STARTTLS refused (%d)", tpErr.Code)
			}
		case what == "EHLO":
			kind = ErrTLSUnavailable
		}
		return &routeError{kind: kind, detail: detail, cause: err}
	case isTimeout(err):
		detail := what + ": no reply in time"
		if what == "greeting" && tap.phase != phaseEncrypted {
			detail = "no greeting in time (an implicit-TLS port, or a tarpit?)"
		}
		return &routeError{kind: ErrUnreachable, detail: detail, cause: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return &routeError{kind: ErrUnreachable, detail: what + ": server closed the connection", cause: err}
	}
	return &routeError{kind: ErrUnreachable, detail: what + " failed", cause: err}
}

// classifyTLS sorts TLS handshake failures: a certificate that does not verify ends
// negotiation; a server that cannot do TLS moves on.
func classifyTLS(err error, tap *tapConn) error {
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
		return &routeError{kind: ErrProtocol, detail: "TLS handshake too large", cause: err, final: true}
	case errors.As(err, &verr), errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &invalid):
		return &routeError{kind: ErrCertificate, detail: "server certificate rejected", cause: err, final: true}
	case errors.As(err, &header):
		return &routeError{kind: ErrTLSUnavailable, detail: "server did not answer with TLS (plaintext on an implicit-TLS port?)", cause: err}
	case isTimeout(err):
		return &routeError{kind: ErrUnreachable, detail: "TLS handshake timed out", cause: err}
	case errors.As(err, &alertErr):
		return &routeError{kind: ErrTLSUnavailable, detail: "server ended the TLS handshake", cause: err}
	}
	return &routeError{kind: ErrTLSUnavailable, detail: "TLS handshake failed", cause: err}
}

// classifyAuth: every failure once AUTH has started ends negotiation, because the
// credentials have gone out on this connection and must not go out on another. Replies
// are read as RFC 4954 §6 defines them; known provider replies get a hint (hints.go) that
// depends on the route's host and the mechanism tried. A connection lost mid-AUTH (a
// timeout, a reset, 421) is ErrUnreachable, not ErrAuthFailed: the outcome is unknown
// and the credentials may be fine, so a caller must not treat it as a wrong password.
func classifyAuth(err error, host, mech string) error {
	var tpErr *textproto.Error
	switch {
	case errors.As(err, &tpErr) && tpErr.Code == 421:
		return &routeError{kind: ErrUnreachable, detail: authReplyDetail(421), cause: err, final: true}
	case errors.As(err, &tpErr):
		return &routeError{kind: ErrAuthFailed, detail: authReplyDetail(tpErr.Code), hint: authHint(host, mech, tpErr), cause: err, final: true}
	case errors.Is(err, errOversize):
		return &routeError{kind: ErrProtocol, detail: "AUTH reply too large", cause: err, final: true}
	case isTimeout(err):
		return &routeError{kind: ErrUnreachable, detail: "no reply to AUTH in time; outcome unknown", cause: err, final: true}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return &routeError{kind: ErrUnreachable, detail: "server closed the connection during AUTH; outcome unknown", cause: err, final: true}
	}
	return &routeError{kind: ErrAuthFailed, detail: "authentication exchange failed", cause: err, final: true}
}

// authReplyDetail says what an AUTH reply code means (RFC 4954 §6).
func authReplyDetail(code int) string {
	switch code {
	case 535:
		return "credentials rejected (535)"
	case 454:
		return "temporary authentication failure (454); try again later"
	case 432:
		return "a password transition is needed (432)"
	case 534:
		return "mechanism too weak for this server (534)"
	case 530:
		return "server requires authentication it did not get (530)"
	case 538:
		return "server requires encryption for this mechanism (538)"
	case 504:
		return "server does not support the mechanism (504)"
	case 421:
		return "server closing the channel during AUTH (421); outcome unknown"
	case 500, 501:
		return fmt.Sprintf("server rejected the AUTH exchange (%d)", code)
	}
	if code/100 == 4 {
		return fmt.Sprintf("temporary failure (%d); try again later", code)
	}
	return fmt.Sprintf("rejected (%d)", code)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
