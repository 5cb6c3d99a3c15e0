package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// Route statuses, in JSON and in the text report.
const (
	statusOK             = "ok"              // verified TLS and a post-TLS EHLO: usable
	statusRefused        = "refused"         // TCP reset
	statusNoAnswer       = "no-answer"       // TCP connect timed out: blocked
	statusNoHost         = "no-host"         // the host name did not resolve
	statusConnectFailed  = "connect-failed"  // no route to host...
	statusNoTLS          = "no-tls"          // STARTTLS missing or refused, TLS handshake failed
	statusBadCertificate = "bad-certificate" // certificate did not verify
	statusProtocol       = "protocol-error"  // injection, oversized replies
	statusUnreachable    = "unreachable"     // connected, but no working SMTP (greeting timeout, 421)
	statusError          = "error"           // anything else (a bad route)
)

// status sorts a report into one word.
func status(r routeReport) string {
	switch {
	case r.Ready():
		return statusOK
	case errors.Is(r.Err, negotiate.ErrConfig):
		return statusError
	case r.Connect == connectRefused:
		return statusRefused
	case r.Connect == connectNoAnswer:
		return statusNoAnswer
	case r.Connect == connectNoHost:
		return statusNoHost
	case r.Connect == connectFailed:
		return statusConnectFailed
	case errors.Is(r.Err, negotiate.ErrCertificate):
		return statusBadCertificate
	case errors.Is(r.Err, negotiate.ErrProtocol):
		return statusProtocol
	case errors.Is(r.Err, negotiate.ErrTLSUnavailable):
		return statusNoTLS
	case errors.Is(r.Err, negotiate.ErrUnreachable):
		return statusUnreachable
	}
	return statusError
}

// statusPhrase is a status for a sentence: "no answer", "bad certificate".
func statusPhrase(r routeReport) string {
	switch s := status(r); s {
	case statusNoTLS:
		return "no TLS"
	case statusConnectFailed:
		return "connect failed"
	case statusNoHost:
		return "no such host"
	default:
		return strings.ReplaceAll(s, "-", " ")
	}
}

// summary is the one-line outcome of a route, after its status word. It holds server
// text: print it through safe.
func summary(r routeReport) string {
	switch status(r) {
	case statusOK:
		s := "verified " + tls.VersionName(r.TLS.Version)
		if m := r.Mechanisms(); len(m) > 0 {
			s += ", AUTH " + strings.Join(m, " ")
		} else {
			s += ", no AUTH offered"
		}
		return s + ", " + duration(r.Elapsed)
	case statusRefused:
		return "refused in " + duration(r.ConnectTime) + ": nothing listens, or a firewall rejects"
	case statusNoAnswer:
		return "no answer in " + duration(r.ConnectTime) + ": blocked by a firewall or ISP?"
	case statusNoHost:
		var dnsErr *net.DNSError
		if errors.As(r.Err, &dnsErr) {
			return "host name does not resolve: " + dnsErr.Error()
		}
	case statusNoTLS:
		if r.Stage == "ehlo" && !r.STARTTLSOffered && r.Route.Security == negotiate.STARTTLS {
			return "plaintext only: STARTTLS not offered (smtpport never sends in plaintext)"
		}
	case statusBadCertificate:
		if r.TLS != nil && r.TLS.VerifyError != nil {
			return "certificate not valid for " + r.Route.Host + ": " + r.TLS.VerifyError.Error()
		}
	}
	return fmt.Sprintf("at %s after %s: %s", r.Stage, duration(r.Elapsed), oneLine(r.Err.Error()))
}

// duration prints a time the way a person reads it: 0.4ms, 12ms, 1.2s, 10s.
func duration(d time.Duration) string {
	switch {
	case d < 100*time.Microsecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
