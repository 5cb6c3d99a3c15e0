package smtpport

import (
	"crypto/tls"
	"log/slog"
	"time"

	"github.com/smtpport/smtpport/negotiate"
	"golang.org/x/net/proxy"
)

// Option configures Dial and Negotiate.
type Option func(*settings)

type settings struct {
	cfg      negotiate.Config
	routes   []negotiate.Route
	routesOK bool // WithRoutes was given, even with no routes
	auth     credentialSettings

	untrustedDiscovery bool // WithUntrustedDiscovery, see discovery.go

	poolSize    int // WithPoolSize
	poolSizeSet bool
}

// WithTLSConfig sets the TLS settings, typically RootCAs for a private CA. ServerName is
// always replaced by the route's host and MinVersion raised to TLS 1.2;
// InsecureSkipVerify is refused. Without a ClientSessionCache, TLS sessions are resumed
// from a process-wide cache (per RootCAs pool, scoped per route) so a second Dial skips
// the full handshake; set your own ClientSessionCache to replace it, or
// SessionTicketsDisabled to turn resumption off.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(s *settings) { s.cfg.TLSConfig = cfg }
}

// WithDialer opens TCP connections through d, e.g. a SOCKS5 dialer from
// golang.org/x/net/proxy. TLS is still done by smtpport, over d's connection.
func WithDialer(d proxy.ContextDialer) Option {
	return func(s *settings) { s.cfg.Dialer = d }
}

// WithLocalName sets the EHLO name. By default it is this machine's dotted host name, or
// an address literal such as "[192.0.2.1]" when the host name is not dotted.
func WithLocalName(name string) Option {
	return func(s *settings) { s.cfg.LocalName = name }
}

// WithLogger logs each attempt's stages at debug level and the outcome at info (warn on
// failure). Credentials are never logged; server text is sanitised.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) { s.cfg.Logger = l }
}

// WithRoutes replaces the preset's routes, in preference order.
func WithRoutes(routes ...Route) Option {
	return func(s *settings) { s.routes, s.routesOK = append([]negotiate.Route(nil), routes...), true }
}

// WithStagger fixes the head start each route gets before the next one starts. By
// default it adapts: 250 ms (the RFC 8305 figure) while nothing is known about the host,
// then derived from its measured connect time, between 100 ms and 2 s.
func WithStagger(d time.Duration) Option {
	return func(s *settings) { s.cfg.Stagger = d }
}

// WithAttemptTimeout bounds each route from connect to authenticated (default 30 s).
// The context passed to Dial bounds the whole negotiation.
func WithAttemptTimeout(d time.Duration) Option {
	return func(s *settings) { s.cfg.AttemptTimeout = d }
}

// WithTrace reports each route's progress to t as it is negotiated: stages, connect
// times, EHLO extensions, the TLS state, every attempt's outcome. For metrics, tracing
// and live progress; see Trace.
func WithTrace(t *Trace) Option {
	return func(s *settings) { s.cfg.Trace = t }
}

// WithCommandTimeout caps every per-command timeout of the client Dial returns. By
// default they are RFC 5321 §4.5.3.2's: MAIL and RCPT 5 min, DATA 2 min, each block of
// the message 3 min, the final "." 10 min, others 5 min. A command with no reply in time
// fails with an error that is an os.ErrDeadlineExceeded; close the client then.
func WithCommandTimeout(d time.Duration) Option {
	return func(s *settings) { s.cfg.CommandTimeout = d }
}
