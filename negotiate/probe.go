package negotiate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/textproto"
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
// verification), the post-TLS EHLO; then it says QUIT. It sends EHLO, STARTTLS and QUIT
// only: never AUTH, never anything in plaintext after a refused STARTTLS, never HELO.
// Reads are capped at MaxNegotiationBytes and injected bytes after the STARTTLS go-ahead
// end the probe with ErrProtocol, as in Negotiate.
//
// cfg supplies Dialer, TLSConfig, LocalName and AttemptTimeout (which bounds the probe);
// its Routes and Credentials are ignored. onStage, when not nil, is called from Probe's
// goroutine as each stage starts, for live progress.
func Probe(ctx context.Context, cfg Config, route Route, onStage func(stage string)) RouteReport {
	p := &prober{cfg: &cfg, onStage: onStage, start: time.Now()}
	p.rep.Route = route
	cfg.Routes = []Route{route}
	if err := cfg.validate(); err != nil {
		p.rep.Connect, p.rep.Err = ConnectFailed, err
		return p.rep
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.attemptTimeout())
	defer cancel()
	p.run(ctx)
	if p.rep.Err != nil && expired(ctx) {
		p.rep.Err = contextError(p.rep.Err, cause(ctx))
	}
	p.enter("")
	p.rep.Elapsed = time.Since(p.start)
	return p.rep
}

type prober struct {
	cfg      *Config
	rep      RouteReport
	onStage  func(string)
	start    time.Time
	stageAt  time.Time
	hostname string   // EHLO name
	raw      net.Conn // the TCP connection under every layer
}

// enter ends the current stage and starts the next ("" ends the last one).
func (p *prober) enter(stage string) {
	now := time.Now()
	if p.rep.Stage != "" && !p.stageAt.IsZero() {
		p.rep.Stages = append(p.rep.Stages, StageTime{Stage: p.rep.Stage, Duration: now.Sub(p.stageAt)})
	}
	if stage == "" {
		p.stageAt = time.Time{}
		return
	}
	p.rep.Stage, p.stageAt = stage, now
	if p.onStage != nil {
		p.onStage(stage)
	}
}

func (p *prober) run(ctx context.Context) {
	route := p.rep.Route
	implicit := route.Security == ImplicitTLS
	p.enter(StageDial)
	raw, err := p.cfg.dialer().DialContext(ctx, "tcp", route.Addr())
	p.rep.ConnectTime = time.Since(p.stageAt)
	if err != nil {
		p.rep.Connect, p.rep.Err = connectResult(err), classifyDial(err)
		return
	}
	p.rep.Connect, p.raw = ConnectOpen, raw
	defer raw.Close()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	// As in the handshake: a cancelled context moves the deadline into the past.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	tap := newTap(raw, implicit)
	p.hostname = p.cfg.LocalName
	if p.hostname == "" {
		p.hostname = defaultLocalName(raw.LocalAddr())
	}

	var conn net.Conn = tap
	if implicit {
		p.enter(StageTLS)
		tc, err := p.handshake(ctx, tap)
		if err != nil {
			p.rep.Err = err
			return
		}
		conn = tc
	}
	text := textproto.NewConn(conn)
	p.enter(StageGreeting)
	_, greeting, err := text.ReadResponse(220)
	if err != nil {
		p.rep.Err = classifyReply(err, tap, "greeting")
		return
	}
	if tap.exceeded { // the greeting was cut by the cap and only looks complete
		p.rep.Err = oversize("greeting")
		return
	}
	p.rep.Greeting = Sanitize(strings.SplitN(greeting, "\n", 2)[0])
	p.enter(StageEHLO)
	if p.rep.Extensions, err = p.ehlo(text); err != nil || tap.exceeded {
		p.rep.Extensions = nil
		if tap.exceeded {
			p.rep.Err = oversize("EHLO")
			return
		}
		p.rep.Err = classifyReply(err, tap, "EHLO")
		p.quit(ctx, text)
		return
	}
	if implicit {
		p.quit(ctx, text)
		return
	}

	p.rep.ExtensionsBeforeTLS = true
	_, p.rep.STARTTLSOffered = p.rep.Extension("STARTTLS")
	if !p.rep.STARTTLSOffered {
		p.rep.Err = &routeError{kind: ErrTLSUnavailable, detail: "server did not offer STARTTLS"}
		p.quit(ctx, text)
		return
	}
	p.enter(StageSTARTTLS)
	// Bytes read but not asked for would pose as the STARTTLS reply (see greetAndSecure).
	if text.R.Buffered() > 0 {
		p.rep.Err = &routeError{kind: ErrProtocol, detail: errPipelined.Error(), final: true}
		return
	}
	err = p.command(text, "STARTTLS", 220)
	if tap.injected || (err == nil && text.R.Buffered() > 0) {
		p.rep.Err = &routeError{kind: ErrProtocol, detail: errInjected.Error(), final: true}
		return
	}
	if err != nil {
		p.rep.Err = classifyReply(err, tap, "STARTTLS")
		if !tap.accepted {
			p.quit(ctx, text)
		}
		return
	}
	p.enter(StageTLS)
	tc, err := p.handshake(ctx, tap)
	if tap.injected {
		err = &routeError{kind: ErrProtocol, detail: errInjected.Error(), final: true}
	}
	if err != nil {
		p.rep.Err = err
		return
	}
	text = textproto.NewConn(tc)
	p.enter(StageEHLO)
	ext, err := p.ehlo(text)
	if tap.exceeded {
		p.rep.Err = oversize("EHLO after TLS")
		return
	}
	if err != nil {
		p.rep.Err = classifyReply(err, tap, "EHLO after TLS")
		return
	}
	p.rep.Extensions, p.rep.ExtensionsBeforeTLS = ext, false
	p.quit(ctx, text)
}

// handshake runs the TLS handshake with normal verification and records what it saw,
// including the certificate of a server that failed verification.
func (p *prober) handshake(ctx context.Context, tap *tapConn) (*tls.Conn, error) {
	tc := tls.Client(tap, p.cfg.tlsConfig(p.rep.Route.Host))
	err := tc.HandshakeContext(ctx)
	cs := tc.ConnectionState()
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
	if err == nil {
		info.Verified = len(cs.VerifiedChains) > 0
		if !info.Verified {
			err = &routeError{kind: ErrCertificate, detail: "TLS is up but no verified chain", final: true}
			info.VerifyError = err
		}
	} else {
		err = classifyTLS(err, tap)
		if info.VerifyError == nil && errors.Is(err, ErrCertificate) {
			info.VerifyError = err
		}
	}
	if info.Version != 0 || info.Certificate != nil {
		p.rep.TLS = info
	}
	return tc, err
}

// ehlo sends EHLO and parses the extension lines of the reply.
func (p *prober) ehlo(text *textproto.Conn) ([]Extension, error) {
	id, err := text.Cmd("EHLO %s", p.hostname)
	if err != nil {
		return nil, err
	}
	text.StartResponse(id)
	defer text.EndResponse(id)
	_, msg, err := text.ReadResponse(250)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(msg, "\n")
	ext := make([]Extension, 0, len(lines)-1)
	for _, line := range lines[1:] {
		kw, params, _ := strings.Cut(strings.TrimSpace(line), " ")
		if kw == "" {
			continue
		}
		ext = append(ext, Extension{Keyword: strings.ToUpper(Sanitize(kw)), Params: Sanitize(strings.TrimSpace(params))})
	}
	return ext, nil
}

// quitWait bounds the QUIT exchange, so a server that never answers it does not hold
// the report for the rest of the timeout.
const quitWait = 2 * time.Second

// quit says QUIT and reads the reply, whatever it is; errors do not change the report.
func (p *prober) quit(ctx context.Context, text *textproto.Conn) {
	if ctx.Err() != nil {
		return
	}
	dl := time.Now().Add(quitWait)
	if cdl, ok := ctx.Deadline(); ok && cdl.Before(dl) {
		dl = cdl
	}
	p.raw.SetDeadline(dl)
	if ctx.Err() != nil { // cancelled while the deadline was moved: restore the cancel
		p.raw.SetDeadline(time.Unix(1, 0))
		return
	}
	p.command(text, "QUIT", 221)
}

// command sends one command line and reads its reply.
func (p *prober) command(text *textproto.Conn, line string, want int) error {
	id, err := text.Cmd("%s", line)
	if err != nil {
		return err
	}
	text.StartResponse(id)
	defer text.EndResponse(id)
	_, _, err = text.ReadResponse(want)
	return err
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
