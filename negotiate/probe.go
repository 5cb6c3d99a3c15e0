package negotiate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/smtp"
	"strings"
	"syscall"
	"time"
)

// ConnectResult is how a route's TCP connect ended.
type ConnectResult string

// Connect results, as the smtpport command prints them.
const (
	ConnectOpen     ConnectResult = "open"      // TCP is up
	ConnectRefused  ConnectResult = "refused"   // a reset: nothing listens, or a firewall rejects
	ConnectNoAnswer ConnectResult = "no answer" // nothing came back: a firewall or ISP drops the packets
	ConnectNoHost   ConnectResult = "no host"   // the host name did not resolve
	ConnectFailed   ConnectResult = "failed"    // anything else: no route to host, cancelled
)

// StageTime is how long one stage of a probe took.
type StageTime struct {
	Stage    string
	Duration time.Duration
}

// Extension is one EHLO keyword with its parameters ("SIZE", "35882577"), sanitised.
type Extension struct {
	Keyword string // upper case
	Params  string
}

// Certificate is what a probe reports about the server's leaf certificate.
type Certificate struct {
	Subject   string
	Issuer    string
	DNSNames  []string
	NotBefore time.Time
	NotAfter  time.Time
}

// TLSInfo is the TLS a probe reached. A handshake that failed verification still carries
// the version, cipher suite and the certificate the server presented.
type TLSInfo struct {
	Version     uint16 // tls.VersionTLS13 ...
	CipherSuite uint16 // tls.TLS_AES_128_GCM_SHA256 ...
	// Certificate is the server's leaf certificate; nil when none arrived.
	Certificate *Certificate
	// Verified: the chain verified against the roots for the route's host.
	Verified bool
	// VerifyError says why verification failed (x509.HostnameError,
	// x509.UnknownAuthorityError ...); nil when Verified.
	VerifyError error
}

// RouteReport is everything Probe learned about one route.
type RouteReport struct {
	Route Route
	// Connect is the TCP outcome and ConnectTime the time it took (or was waited).
	Connect     ConnectResult
	ConnectTime time.Duration
	// Greeting is the first line of the server's 220 greeting, sanitised.
	Greeting string
	// STARTTLSOffered: the pre-TLS EHLO advertised STARTTLS (STARTTLS routes only).
	STARTTLSOffered bool
	// TLS is nil when no TLS handshake got as far as a server hello.
	TLS *TLSInfo
	// Extensions from the post-TLS EHLO, or from the pre-TLS EHLO when TLS was not
	// reached (ExtensionsBeforeTLS is then true). A plaintext AUTH offer is reported but
	// never used. Nil when no EHLO reply was read.
	Extensions          []Extension
	ExtensionsBeforeTLS bool
	// Stages in the order they ran, each with its duration; the last one is the stage
	// where the probe stopped.
	Stages  []StageTime
	Stage   string
	Elapsed time.Duration
	// Err is nil when the route reached verified TLS and a post-TLS EHLO: the state in
	// which Negotiate would authenticate. Otherwise it wraps one of the sentinels, as
	// Negotiate's attempt errors do.
	Err error
}

// Ready reports whether the route reached verified TLS and read the post-TLS EHLO.
func (r RouteReport) Ready() bool { return r.Err == nil && r.TLS != nil && r.TLS.Verified }

// Extension reports whether keyword (case-insensitive) was advertised, and its parameters.
func (r RouteReport) Extension(keyword string) (params string, ok bool) {
	for _, e := range r.Extensions {
		if strings.EqualFold(e.Keyword, keyword) {
			return e.Params, true
		}
	}
	return "", false
}

// Mechanisms lists the advertised AUTH mechanisms, upper case, keeping only well-formed
// SASL names as Negotiate does.
func (r RouteReport) Mechanisms() []string {
	params, ok := r.Extension("AUTH")
	if !ok {
		return nil
	}
	return parseMechanisms(params)
}

// Probe connects to one route and reports, stage by stage, how far it gets: TCP, the
// greeting, EHLO, STARTTLS, the TLS handshake (with the certificate even when it fails
// verification), the EHLO over TLS; then it says QUIT. It runs the walk Negotiate runs,
// with every defence in it, and sends EHLO, STARTTLS and QUIT only: never AUTH, never
// anything in plaintext after a refused STARTTLS, never HELO.
//
// cfg supplies Dialer, TLSConfig, LocalName and AttemptTimeout (which bounds the probe);
// its Routes and Credentials are ignored. onStage, when not nil, is called from Probe's
// goroutine as each stage starts, for live progress.
func Probe(ctx context.Context, cfg Config, route Route, onStage func(stage string)) RouteReport {
	start := time.Now()
	p := &prober{onStage: onStage}
	p.rep.Route = route
	cfg.Routes, cfg.Probe, cfg.Trace = []Route{route}, true, p.trace()
	// A fresh session cache: a probe reports the certificate the server presents now,
	// and costs what a first Dial costs.
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &tls.Config{}
	} else {
		cfg.TLSConfig = cfg.TLSConfig.Clone()
	}
	cfg.TLSConfig.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	_, err := Negotiate(ctx, cfg)
	var nerr *Error
	switch {
	case errors.As(err, &nerr) && len(nerr.Attempts) == 1:
		p.rep.Err, p.rep.Stage = nerr.Attempts[0].Err, string(nerr.Attempts[0].Stage)
	case err != nil:
		p.rep.Connect, p.rep.Err = ConnectFailed, err
	}
	stage := p.rep.Stage
	p.enter("")
	p.rep.Stage, p.rep.Elapsed = stage, time.Since(start)
	return p.rep
}

// prober builds a RouteReport from the walk's trace.
type prober struct {
	rep     RouteReport
	onStage func(string)
	stage   string
	stageAt time.Time
}

func (p *prober) trace() *Trace {
	return &Trace{
		Stage: func(_ Route, s Stage) {
			if s != StageReady {
				p.enter(string(s))
			}
		},
		Connected: func(_ Route, took time.Duration, err error) {
			p.rep.Connect, p.rep.ConnectTime = ConnectOpen, took
			if err != nil {
				p.rep.Connect = connectResult(err)
			}
		},
		Greeting: func(_ Route, text string) { p.rep.Greeting = text },
		EHLO: func(_ Route, ext map[string]string, overTLS bool) {
			p.rep.Extensions, p.rep.ExtensionsBeforeTLS = orderedExtensions(ext), !overTLS
			if !overTLS {
				_, p.rep.STARTTLSOffered = ext["STARTTLS"]
			}
		},
		TLS: func(_ Route, cs tls.ConnectionState, err error) { p.rep.TLS = tlsInfo(cs, err) },
	}
}

// enter ends the current stage and starts the next ("" ends the last one).
func (p *prober) enter(stage string) {
	now := time.Now()
	if stage != "" {
		p.rep.Stage = stage
	}
	if p.stage != "" {
		p.rep.Stages = append(p.rep.Stages, StageTime{Stage: p.stage, Duration: now.Sub(p.stageAt)})
	}
	p.stage, p.stageAt = stage, now
	if stage != "" && p.onStage != nil {
		p.onStage(stage)
	}
}

// tlsInfo is what a probe reports of a finished handshake, nil when none got as far as a
// server hello.
func tlsInfo(cs tls.ConnectionState, err error) *TLSInfo {
	info := &TLSInfo{Version: cs.Version, CipherSuite: cs.CipherSuite}
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
	case info.VerifyError == nil && errors.Is(classifyTLS(err), ErrCertificate):
		info.VerifyError = err
	}
	if info.Version == 0 && info.Certificate == nil {
		return nil
	}
	return info
}

// quitWait bounds the QUIT exchange, so a server that never answers it does not hold
// the report for the rest of the timeout.
const quitWait = 2 * time.Second

// quit says QUIT, reads the reply whatever it is, and closes the connection.
func quit(ctx context.Context, c *smtp.Client, tap *tapConn) {
	defer c.Close()
	dl := time.Now().Add(quitWait)
	if cdl, ok := ctx.Deadline(); ok && cdl.Before(dl) {
		dl = cdl
	}
	tap.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { tap.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	command(c.Text, "QUIT")
}

func describeCertificate(c *x509.Certificate) *Certificate {
	return &Certificate{
		Subject:   Sanitize(c.Subject.String()),
		Issuer:    Sanitize(c.Issuer.String()),
		DNSNames:  sanitizeAll(c.DNSNames),
		NotBefore: c.NotBefore,
		NotAfter:  c.NotAfter,
	}
}

func sanitizeAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = Sanitize(s)
	}
	return out
}

// connectResult names a dial failure the way a person debugging a firewall thinks of it.
func connectResult(err error) ConnectResult {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnectRefused
	case isTimeout(err):
		return ConnectNoAnswer
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ConnectNoHost
	}
	return ConnectFailed
}
