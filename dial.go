package smtpport

import (
	"context"
	"net/smtp"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

// Dial negotiates a route of p and returns a client ready for Mail, Rcpt and Data: TLS
// verified for the route's host, EHLO said, authenticated when credentials were given.
// The context bounds the whole negotiation; once Dial returns it no longer affects the
// client. On failure the error is an *Error (or wraps ErrConfig).
func Dial(ctx context.Context, p presets.Preset, opts ...Option) (*smtp.Client, error) {
	res, err := Negotiate(ctx, p, opts...)
	if err != nil {
		return nil, err
	}
	return res.Client, nil
}

// Negotiate is Dial that also reports how it got there: the route, the TLS state, the
// mechanism, and every attempt.
func Negotiate(ctx context.Context, p presets.Preset, opts ...Option) (*Result, error) {
	var s settings
	for _, opt := range opts {
		opt(&s)
	}
	if err := refuseUntrusted(p, &s); err != nil {
		return nil, err
	}
	p = p.Clone() // a preset variable's slices are shared; this call reads its own copy
	cfg := s.cfg
	cfg.Routes = p.Routes
	if cfg.Memory != nil {
		cfg.MemoryKey = memoryKey(p.Name, s.auth.username)
	}
	if s.routesOK {
		cfg.Routes = s.routes
	}
	creds, err := s.auth.credentials(p.Mechanisms)
	if err != nil {
		return nil, err
	}
	cfg.Credentials = creds
	cfg.Hint = p.Hint
	return negotiate.Negotiate(ctx, cfg)
}
