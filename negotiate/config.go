package negotiate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"time"

	"golang.org/x/net/proxy"
)

// Defaults used when a Config field is zero.
const (
	// defaultStagger is the head start each route gets before the next one starts; the
	// RFC 8305 "Connection Attempt Delay".
	defaultStagger = 250 * time.Millisecond
	// defaultAttemptTimeout bounds one route from connect to post-TLS EHLO. It is long
	// enough for a greeting tarpit (servers delay the banner by 5-10 s); the caller's
	// context bounds the whole negotiation.
	defaultAttemptTimeout = 30 * time.Second
	// maxNegotiationBytes caps what one connection may read before it is handed over:
	// greeting, EHLO replies and TLS handshake together. net/smtp itself has no line
	// limit; past this cap the attempt fails with ErrProtocol.
	maxNegotiationBytes = 64 << 10
)

// Credentials authenticate the winning connection. The root package provides them
// (passwords, OAuth2 token sources, any smtp.Auth); a nil Credentials means no AUTH is
// sent. cs is the route's verified TLS state: SCRAM-*-PLUS binds the exchange to the
// channel (RFC 5056, RFC 9266), which smtp.ServerInfo does not carry.
type Credentials interface {
	// Mechanism picks the SASL mechanism from those the server offered over TLS (the
	// EHLO AUTH keywords, upper case). It is called on every route that gets that far,
	// before any secret is sent, so it must not block or fetch anything. An error that
	// wraps ErrConfig says the credentials cannot be used here at all.
	Mechanism(offered []string, cs tls.ConnectionState) (string, error)
	// Auth returns the smtp.Auth for mech on the winning route, whose host is given.
	// It may block (fetching an OAuth2 token) and must respect ctx.
	Auth(ctx context.Context, mech, host string, cs tls.ConnectionState) (smtp.Auth, error)
}

// Config is everything Negotiate needs. Only Routes is required.
type Config struct {
	// Routes in preference order.
	Routes []Route
	// TLSConfig is cloned per route; ServerName is always set to the route's host and
	// MinVersion raised to TLS 1.2. InsecureSkipVerify is refused: add the server's
	// certificate or CA to RootCAs instead.
	TLSConfig *tls.Config
	// Dialer opens TCP connections; nil means a net.Dialer. A SOCKS5 dialer from
	// golang.org/x/net/proxy fits here.
	Dialer proxy.ContextDialer
	// LocalName is the EHLO name. Empty means this machine's host name when it is a
	// dotted name, else the address literal of the connection's local end ("[192.0.2.1]").
	LocalName string
	// Logger receives one debug record per stage of every attempt, and one info record
	// for the outcome. Never credentials; server text is sanitised. Nil: no logging.
	Logger *slog.Logger
	// Stagger fixes the head start of each route over the next. Zero means adaptive:
	// defaultStagger while nothing is known about the host, then a figure derived from
	// its measured connect time (see the package documentation).
	Stagger time.Duration
	// AttemptTimeout bounds one route up to ready (0 means defaultAttemptTimeout).
	AttemptTimeout time.Duration
	// CommandTimeout, when positive, caps every per-command timeout of the returned
	// client; zero keeps the RFC 5321 §4.5.3.2 values (MAIL and RCPT 5 min, DATA 2 min,
	// each block of the message 3 min, the final "." 10 min).
	CommandTimeout time.Duration
	// Credentials authenticate the winner; nil sends no AUTH.
	Credentials Credentials
	// Memory, with a non-empty MemoryKey, remembers the winning route: the next
	// Negotiate with the same key tries it first, with a head start set from its
	// remembered connect time, so a healthy remembered route opens the only connection;
	// the others start only if it fails or overruns that head start. Nil: every
	// Negotiate races from scratch.
	Memory RouteMemory
	// MemoryKey names the account in Memory; the root package uses the preset name and
	// the user name. Empty: Memory is not used.
	MemoryKey string
	// Hint, when not nil, turns a reply to AUTH into advice the user can act on, from
	// what is known of the provider (the root package passes the preset's); "" when it
	// knows none. It must not echo the reply's text.
	Hint func(reply *textproto.Error, mechanism string) string
	// Trace, when not nil, receives the events of every route as it is negotiated.
	Trace *Trace
	// Probe runs the race as Negotiate would, by the same rules and timings, without
	// credentials, and reports every route instead of stopping at the winner: the Result
	// names the route Negotiate would authenticate on (or the error is the one Negotiate
	// would return), its Client is nil, and Attempts holds every route, those started
	// after the decision included. Every connection says QUIT. Memory is not used.
	Probe bool
}

// ErrConfig wraps every error Negotiate returns for a Config it cannot use.
var ErrConfig = errors.New("invalid configuration")

func (c *Config) validate() error {
	if len(c.Routes) == 0 {
		return fmt.Errorf("smtpport: %w: no routes", ErrConfig)
	}
	for _, r := range c.Routes {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("smtpport: %w: %w", ErrConfig, err)
		}
	}
	if c.TLSConfig != nil && c.TLSConfig.InsecureSkipVerify {
		return fmt.Errorf("smtpport: %w: InsecureSkipVerify is refused; add the server's certificate or CA to TLSConfig.RootCAs", ErrConfig)
	}
	if err := validateLocalName(c.LocalName); err != nil {
		return err
	}
	if c.Stagger < 0 || c.AttemptTimeout < 0 {
		return fmt.Errorf("smtpport: %w: negative stagger or attempt timeout", ErrConfig)
	}
	return nil
}

func validateLocalName(name string) error {
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("smtpport: %w: EHLO name %q has spaces or control characters", ErrConfig, name)
		}
	}
	return nil
}

func (c *Config) attemptTimeout() time.Duration {
	if c.AttemptTimeout > 0 {
		return c.AttemptTimeout
	}
	return defaultAttemptTimeout
}

func (c *Config) dialer() proxy.ContextDialer {
	if c.Dialer != nil {
		return c.Dialer
	}
	return &net.Dialer{}
}

// tlsConfig returns the per-host TLS settings: the caller's, with ServerName forced to
// the route host and at least TLS 1.2 (RFC 8997).
func (c *Config) tlsConfig(host string) *tls.Config {
	var cfg *tls.Config
	if c.TLSConfig != nil {
		cfg = c.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	cfg.ServerName = host
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// routeTLSConfig is tlsConfig plus, when the caller has no session cache, a shared one
// scoped to the route (see withSessionCache), so Dials resume TLS sessions.
func (c *Config) routeTLSConfig(r Route) *tls.Config {
	cfg := c.tlsConfig(r.Host)
	withSessionCache(cfg, r)
	return cfg
}
