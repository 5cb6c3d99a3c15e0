package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/smtpport/smtpport/internal/saslname"
	"github.com/smtpport/smtpport/negotiate"
)

// connectResult is how a route's TCP connect ended, as the report prints it.
type connectResult string

const (
	connectOpen     connectResult = "open"      // TCP is up
	connectRefused  connectResult = "refused"   // a reset: nothing listens, or a firewall rejects
	connectNoAnswer connectResult = "no answer" // nothing came back: a firewall or ISP drops the packets
	connectNoHost   connectResult = "no host"   // the host name did not resolve
	connectFailed   connectResult = "failed"    // anything else: no route to host, cancelled, not tried
)

// stageTime is how long one stage of a route took.
type stageTime struct {
	Stage    string
	Duration time.Duration
}

// extension is one EHLO keyword with its parameters ("SIZE", "35882577"); the engine
// sanitises them.
type extension struct {
	Keyword string // upper case
	Params  string
}

// certificate is what the report says about the server's leaf certificate.
type certificate struct {
	Subject     string
	Issuer      string
	DNSNames    []string
	IPAddresses []string // IP SANs, for servers reached by address
	NotBefore   time.Time
	NotAfter    time.Time
}

// tlsInfo is the TLS a route reached. A handshake that failed verification still carries
// the version, cipher suite and the certificate the server presented.
type tlsInfo struct {
	Version     uint16
	CipherSuite uint16
	Certificate *certificate // nil when none arrived
	Verified    bool         // the chain verified for the route's host
	VerifyError error        // why it did not (x509.HostnameError ...); nil when Verified
}

// routeReport is everything the probe learned about one route, from the engine's trace
// (connect, greeting, EHLO, TLS, stages) and its record of the attempt.
type routeReport struct {
	Route negotiate.Route
	// Connect is the TCP outcome and ConnectTime the time it took (or was waited).
	Connect     connectResult
	ConnectTime time.Duration
	Greeting    string // first line of the 220 greeting, when read in the clear
	// STARTTLSOffered: the pre-TLS EHLO advertised STARTTLS (STARTTLS routes only).
	STARTTLSOffered bool
	TLS             *tlsInfo // nil when no handshake got as far as a server hello
	// Extensions of the EHLO over TLS, or of the clear EHLO when TLS was not reached
	// (ExtensionsBeforeTLS). Nil when no EHLO reply was read.
	Extensions          []extension
	ExtensionsBeforeTLS bool
	// Stages in the order they ran; Stage is the last one reached ("ready" for a route
	// Dial could authenticate on), Elapsed the attempt's time.
	Stages  []stageTime
	Stage   string
	Elapsed time.Duration
	// Err is nil for a ready route, else the attempt's error (it wraps a sentinel).
	Err error
	// Attempt is the engine's record: when the route started (Offset), was ready
	// (Ready) and how long it waited for a preferred route (Waited).
	Attempt negotiate.Attempt
	started bool // the engine started the route
}

// Ready reports whether the route reached verified TLS and read the EHLO over TLS.
func (r routeReport) Ready() bool { return r.started && r.Err == nil && r.TLS != nil && r.TLS.Verified }

// Extension reports whether keyword (case-insensitive) was advertised, and its parameters.
func (r routeReport) Extension(keyword string) (params string, ok bool) {
	for _, e := range r.Extensions {
		if strings.EqualFold(e.Keyword, keyword) {
			return e.Params, true
		}
	}
	return "", false
}

// Mechanisms lists the advertised AUTH mechanisms, upper case, keeping only well-formed
// SASL names (RFC 4422 §3.1), once each, as the engine does.
func (r routeReport) Mechanisms() []string {
	params, ok := r.Extension("AUTH")
	if !ok {
		return nil
	}
	return saslname.Parse(params)
}

// orderedExtensions lists ext by keyword, so reports read the same every run.
func orderedExtensions(ext map[string]string) []extension {
	out := make([]extension, 0, len(ext))
	for k, v := range ext {
		out = append(out, extension{Keyword: k, Params: v})
	}
	slices.SortFunc(out, func(a, b extension) int { return strings.Compare(a.Keyword, b.Keyword) })
	return out
}

// newTLSInfo is what the report says of a finished handshake; nil when none got as far
// as a server hello.
func newTLSInfo(cs tls.ConnectionState, err error) *tlsInfo {
	info := &tlsInfo{Version: cs.Version, CipherSuite: cs.CipherSuite}
	if len(cs.PeerCertificates) > 0 {
		info.Certificate = describeCertificate(cs.PeerCertificates[0])
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		if len(verr.UnverifiedCertificates) > 0 {
			info.Certificate = describeCertificate(verr.UnverifiedCertificates[0])
		}
		info.VerifyError = verr.Err
	}
	switch {
	case err == nil:
		info.Verified = len(cs.VerifiedChains) > 0
	case info.VerifyError == nil && isCertificateError(err):
		info.VerifyError = err
	}
	if info.Version == 0 && info.Certificate == nil {
		return nil
	}
	return info
}

// isCertificateError reports a verification failure that did not come wrapped in a
// tls.CertificateVerificationError.
func isCertificateError(err error) bool {
	var (
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// describeCertificate keeps what a person checks. The names are the server's: they are
// made safe when printed.
func describeCertificate(c *x509.Certificate) *certificate {
	out := &certificate{Subject: c.Subject.String(), Issuer: c.Issuer.String(),
		DNSNames: c.DNSNames, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
	for _, ip := range c.IPAddresses {
		out.IPAddresses = append(out.IPAddresses, ip.String())
	}
	return out
}

// connectOutcome names a dial failure the way a person debugging a firewall thinks of it.
func connectOutcome(err error) connectResult {
	var (
		dnsErr *net.DNSError
		netErr net.Error
	)
	switch {
	case err == nil:
		return connectOpen
	case errors.Is(err, syscall.ECONNREFUSED):
		return connectRefused
	case errors.As(err, &netErr) && netErr.Timeout():
		return connectNoAnswer
	case errors.As(err, &dnsErr):
		return connectNoHost
	}
	return connectFailed
}
