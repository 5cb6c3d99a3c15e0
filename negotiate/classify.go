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
// credentials have gone out on this connection and must not go out on another.
func classifyAuth(err error) error {
	var tpErr *textproto.Error
	detail := "server rejected the credentials"
	switch {
	case errors.As(err, &tpErr):
		switch tpErr.Code / 100 {
		case 4:
			detail = fmt.Sprintf("temporary failure (%d); try again later", tpErr.Code)
		case 5:
			detail = fmt.Sprintf("rejected (%d)", tpErr.Code)
		}
	case isTimeout(err):
		detail = "no reply to AUTH in time; outcome unknown"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		detail = "server closed the connection during AUTH; outcome unknown"
	case errors.Is(err, errOversize):
		return &routeError{kind: ErrProtocol, detail: "AUTH reply too large", cause: err, final: true}
	}
	return &routeError{kind: ErrAuthFailed, detail: detail, cause: err, final: true}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
