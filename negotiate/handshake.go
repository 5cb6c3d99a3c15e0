package negotiate

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// conn is a route brought to ready: TLS verified, post-TLS EHLO read, mechanism chosen.
type conn struct {
	client    *smtp.Client
	tap       *tapConn
	tls       tls.ConnectionState
	mechanism string
	unwatch   func() bool // stops the context watcher; false if it already fired
}

// close drops the connection without a QUIT round trip.
func (c *conn) close() {
	c.unwatch()
	c.client.Close()
}

// attempt is one route's progress, owned by its goroutine until it is sent on the
// results channel.
type attempt struct {
	index int
	route Route
	begin time.Time // start of the negotiation
	start time.Time
	end   time.Time // when the attempt finished, failed or reached ready
	stage string
	err   error
	conn  *conn // non-nil when ready
	log   func(msg string, args ...any)
	debug bool // log is live: building its arguments is worth the allocations
}

func (a *attempt) reach(stage string) {
	a.stage = stage
	if !a.debug {
		return
	}
	a.log("smtpport: stage", "route", a.route.String(), "stage", stage, "elapsed", time.Since(a.start))
}

func (a *attempt) record() Attempt {
	end := a.end
	if end.IsZero() {
		end = time.Now()
	}
	return Attempt{Route: a.route, Stage: a.stage, Elapsed: end.Sub(a.start), Err: a.err, Offset: a.start.Sub(a.begin)}
}

// handshake brings one route from TCP connect to a ready, verified connection. It calls
// connected once TCP is up. On failure it closes everything it opened and sets a.err.
func (n *negotiation) handshake(ctx context.Context, a *attempt, connected func()) {
	a.reach(StageDial)
	raw, err := n.cfg.dialer().DialContext(ctx, "tcp", a.route.Addr())
	if err != nil {
		a.err = classifyDial(err)
		return
	}
	connected()
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	// net/smtp knows no context: a cancelled context moves the deadline into the past,
	// which unblocks any read or write in progress.
	unwatch := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	tap := newTap(raw, a.route.Security == ImplicitTLS)
	c, err := n.greetAndSecure(ctx, a, tap)
	if tap.exceeded {
		err = oversize(a.stage) // whatever net/smtp made of the cut-off reply
	}
	if err != nil {
		unwatch()
		if c != nil {
			c.Close()
		} else {
			raw.Close()
		}
		a.err = err
		return
	}
	a.conn = &conn{client: c, tap: tap, unwatch: unwatch}
	a.conn.tls, _ = c.TLSConnectionState()
	if len(a.conn.tls.VerifiedChains) == 0 {
		a.conn.close()
		a.conn, a.err = nil, &routeError{kind: ErrCertificate, detail: "TLS is up but no verified chain", final: true}
		return
	}
	if creds := n.cfg.Credentials; creds != nil {
		if tc, ok := creds.(TLSCredentials); ok {
			a.conn.mechanism, err = tc.MechanismTLS(offeredMechanisms(c), a.conn.tls)
		} else {
			a.conn.mechanism, err = creds.Mechanism(offeredMechanisms(c))
		}
		if err != nil {
			// Nothing secret was sent: another route may offer what this one lacks.
			a.conn.close()
			a.conn, a.err = nil, &routeError{kind: ErrAuthFailed, detail: "no usable mechanism after TLS", cause: err}
		}
	}
}

// greetAndSecure runs greeting, EHLO and TLS for either security mode and returns a client
// whose post-TLS EHLO has been read.
func (n *negotiation) greetAndSecure(ctx context.Context, a *attempt, tap *tapConn) (*smtp.Client, error) {
	tlsConfig := n.cfg.routeTLSConfig(a.route)
	if a.route.Security == ImplicitTLS {
		a.reach(StageTLS)
		tc := tls.Client(tap, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			tc.Close()
			return nil, classifyTLS(err, tap)
		}
		a.reach(StageGreeting)
		c, err := smtp.NewClient(tc, a.route.Host)
		if err != nil {
			return nil, classifyReply(err, tap, "greeting")
		}
		if tap.exceeded {
			return c, errOversize // the greeting was cut by the cap
		}
		a.reach(StageEHLO)
		return c, n.hello(c, tc, tap)
	}

	a.reach(StageGreeting)
	c, err := smtp.NewClient(tap, a.route.Host)
	if err != nil {
		return nil, classifyReply(err, tap, "greeting")
	}
	if tap.exceeded {
		return c, errOversize // the greeting was cut by the cap
	}
	a.reach(StageEHLO)
	if err := n.hello(c, tap, tap); err != nil {
		return c, err
	}
	a.reach(StageSTARTTLS)
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, &routeError{kind: ErrTLSUnavailable, detail: "server did not offer STARTTLS"}
	}
	// Bytes already read but not yet asked for would be taken as the STARTTLS reply,
	// and whatever follows them silently dropped by net/smtp: an injection that the
	// tap cannot see, because it read them before STARTTLS was sent.
	if c.Text.Reader.R.Buffered() > 0 {
		return c, &routeError{kind: ErrProtocol, detail: errPipelined.Error(), final: true}
	}
	err = c.StartTLS(tlsConfig)
	if tap.injected {
		return c, &routeError{kind: ErrProtocol, detail: errInjected.Error(), final: true}
	}
	if err != nil {
		// net/smtp switches to TLS only after a 220; any other reply (a refusal, or a
		// 2xx that is not 220) leaves the client in the clear.
		cs, switched := c.TLSConnectionState()
		switch {
		case !switched:
			return c, classifyReply(err, tap, "STARTTLS")
		case !cs.HandshakeComplete:
			a.reach(StageTLS)
			return c, classifyTLS(err, tap)
		}
		a.reach(StageTLS)
		return c, classifyReply(err, tap, "EHLO after TLS")
	}
	a.reach(StageTLS)
	return c, nil
}

// hello sends EHLO with the configured name, refusing net/smtp's silent HELO fallback.
// A replyTracker under textproto's reader keeps why the EHLO failed (net/smtp forgets
// it when it tries HELO), so a 421, a 5xx, a timeout or an oversized reply each get
// their own error with the cause reachable.
func (n *negotiation) hello(c *smtp.Client, w interface{ Write([]byte) (int, error) }, tap *tapConn) error {
	guard := &heloGuard{w: w}
	c.Text.Writer.W = bufio.NewWriter(guard)
	orig := c.Text.Reader.R
	tracker := &replyTracker{r: orig}
	c.Text.Reader.R = bufio.NewReader(tracker)
	defer func() {
		// Nothing read ahead: drop the tracker. Otherwise keep its buffer, so no byte
		// is lost (the STARTTLS check below sees them).
		if c.Text.Reader.R.Buffered() == 0 {
			c.Text.Reader.R = orig
		}
	}()
	name := n.cfg.LocalName
	if name == "" {
		name = defaultLocalName(tap.LocalAddr())
	}
	if err := c.Hello(name); err != nil {
		if !guard.denied {
			return classifyReply(err, tap, "EHLO")
		}
		cause := tracker.failure()
		if cause == nil {
			return &routeError{kind: ErrTLSUnavailable, detail: errEHLORejected.Error()}
		}
		re := classifyReply(cause, tap, "EHLO").(*routeError)
		re.detail += " (no HELO fallback: it would continue without STARTTLS)"
		return re
	}
	return nil
}

// offeredMechanisms lists the AUTH keywords of the latest EHLO (post-TLS), upper case.
// net/smtp's own ServerInfo.Auth can still hold the pre-TLS list; this never does.
func offeredMechanisms(c *smtp.Client) []string {
	ok, params := c.Extension("AUTH")
	if !ok {
		return nil
	}
	return parseMechanisms(params)
}

// parseMechanisms reads the parameters of an EHLO AUTH line. Only well-formed SASL
// mechanism names are kept (RFC 4422 §3.1: 1 to 20 of A-Z, 0-9, '-', '_'), so nothing
// odd a server puts there reaches a Credentials implementation or a message.
func parseMechanisms(params string) []string {
	var out []string
	for _, f := range strings.Fields(strings.ToUpper(params)) {
		if isMechanismName(f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func isMechanismName(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

var hostname = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil || !strings.Contains(h, ".") || validateLocalName(h) != nil {
		return ""
	}
	return h
})

// defaultLocalName is this machine's dotted host name, else an RFC 5321 address literal
// for the local end of the connection. Some relays reject "EHLO localhost".
func defaultLocalName(local net.Addr) string {
	if h := hostname(); h != "" {
		return h
	}
	if ta, ok := local.(*net.TCPAddr); ok {
		if ip4 := ta.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + ta.IP.String() + "]"
	}
	return "localhost"
}
