package smtpport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"

	"github.com/smtpport/smtpport/internal/safetext"
	"github.com/smtpport/smtpport/negotiate"
)

// Mechanisms each kind of credentials can use, in the default order: strongest first for
// a password; for a token, XOAUTH2 (what Gmail and Microsoft document for SMTP) before
// OAUTHBEARER (RFC 7628, offered by Gmail and Dovecot).
var (
	passwordMechanisms = []string{mechSCRAMPlus, mechSCRAM, mechPlain, mechLogin, mechCRAMMD5}
	tokenMechanisms    = []string{mechXOAuth2, mechOAuthBearer}
)

var (
	// errNoAuthOffered: the post-TLS EHLO lists no AUTH while credentials are configured.
	errNoAuthOffered = errors.New("server offers no AUTH after TLS; refusing to continue unauthenticated")
	// errNoMechanism: the server and the credentials share no mechanism.
	errNoMechanism = errors.New("no common SASL mechanism")
)

// policy is how a mechanism is chosen from a server's offer: the first of order that the
// server offered and the provider accepts.
type policy struct {
	order    []string         // candidates, most wanted first
	accepted []string         // the preset's accepted mechanisms, SCRAM expanded; empty: any
	unusable map[string]error // mechanisms these credentials cannot use, and why (SASLprep)
}

// newPolicy orders capable by requested (WithMechanisms; empty keeps the default order),
// and fails when nothing usable is left, before any connection is made.
func newPolicy(kind string, capable, requested, accepted []string) (policy, error) {
	return buildPolicy(kind, capable, requested, accepted, nil)
}

// newPasswordPolicy is newPolicy for a password, after the SASLprep rule
// (credentials_saslprep.go): SCRAM goes last when SASLprep changes the user name or
// password (outcome), and is left out when it refuses them (why).
func newPasswordPolicy(outcome saslprepOutcome, why error, requested, accepted []string) (policy, error) {
	order, unusable := passwordOrder(outcome, why)
	return buildPolicy("a password", order, requested, accepted, unusable)
}

func buildPolicy(kind string, capable, requested, accepted []string, unusable map[string]error) (policy, error) {
	order := capable
	if len(requested) > 0 {
		order = nil
		for _, m := range expandSCRAM(requested) {
			if !slices.Contains(passwordMechanisms, m) && !slices.Contains(tokenMechanisms, m) {
				return policy{}, fmt.Errorf("smtpport: %w: WithMechanisms: unknown mechanism %q", negotiate.ErrConfig, m)
			}
			if slices.Contains(capable, m) && !slices.Contains(order, m) {
				order = append(order, m)
			}
		}
	}
	p := policy{order: order, accepted: expandSCRAM(accepted), unusable: unusable}
	if len(p.usable()) == 0 {
		why := []string{kind + " can use " + strings.Join(capable, " ")}
		if len(requested) > 0 {
			why = append(why, "WithMechanisms allows "+strings.Join(requested, " "))
		}
		if len(accepted) > 0 {
			why = append(why, "the preset accepts "+strings.Join(accepted, " "))
		}
		if reason := p.unusableReason(nil); reason != "" {
			why = append(why, reason)
		}
		return policy{}, fmt.Errorf("smtpport: %w: no usable mechanism: %s", negotiate.ErrConfig, strings.Join(why, "; "))
	}
	return p, nil
}

// unusableReason says why the unusable mechanisms among among (all, when nil) cannot be
// used, or "" when there are none.
func (p policy) unusableReason(among []string) string {
	var names []string
	var why error
	for _, m := range passwordMechanisms {
		if err, ok := p.unusable[m]; ok && (among == nil || slices.Contains(among, m)) {
			names, why = append(names, m), err
		}
	}
	if len(names) == 0 {
		return ""
	}
	return strings.Join(names, " and ") + " cannot be used: " + why.Error()
}

// expandSCRAM upper-cases names and lets SCRAM-SHA-256 stand for its -PLUS variant too,
// -PLUS first: channel binding is the same mechanism made stronger where TLS allows it.
func expandSCRAM(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n == mechSCRAM {
			out = append(out, mechSCRAMPlus)
		}
		out = append(out, n)
	}
	return out
}

// usable lists the mechanisms of order the provider accepts. Callers only read it:
// with no accepted list that is order itself, not a copy per call.
func (p policy) usable() []string {
	if len(p.accepted) == 0 {
		return p.order
	}
	out := make([]string, 0, len(p.order))
	for _, m := range p.order {
		if slices.Contains(p.accepted, m) {
			out = append(out, m)
		}
	}
	return out
}

// choose picks from the post-TLS offer; -PLUS only when the connection can bind. When the
// server offers only mechanisms the credentials cannot use (a SCRAM that SASLprep refuses
// the password for), the error wraps negotiate.ErrConfig: nothing was sent, and another
// route may offer more.
func (p policy) choose(offered []string, canBind bool) (string, error) {
	if len(offered) == 0 {
		return "", errNoAuthOffered
	}
	usable := p.usable()
	for _, m := range usable {
		if m == mechSCRAMPlus && !canBind {
			continue
		}
		if slices.Contains(offered, m) {
			return m, nil
		}
	}
	if reason := p.unusableReason(offered); reason != "" {
		return "", fmt.Errorf("smtpport: %w: server offers %s; %s; nothing was sent",
			negotiate.ErrConfig, safetext.Clean(strings.Join(offered, " ")), reason)
	}
	return "", fmt.Errorf("%w: server offers %s; these credentials can use %s",
		errNoMechanism, safetext.Clean(strings.Join(offered, " ")), strings.Join(usable, " "))
}

// The credentials satisfy the negotiator's contract; passwords bind SCRAM to the channel.
var (
	_ negotiate.Credentials = (*passwordCredentials)(nil)
	_ negotiate.Credentials = (*tokenCredentials)(nil)
	_ negotiate.Credentials = (*customAuth)(nil)
)

// passwordCredentials authenticate with a user name and password.
type passwordCredentials struct {
	username, password string
	policy             policy
}

func (c *passwordCredentials) Mechanism(offered []string, cs tls.ConnectionState) (string, error) {
	// The TLS exporter costs some 25 allocations: derive it only when it can matter.
	canBind := false
	if slices.Contains(offered, mechSCRAMPlus) {
		_, canBind = channelBinding(cs)
	}
	return c.policy.choose(offered, canBind)
}

func (c *passwordCredentials) Auth(ctx context.Context, mech, host string, cs tls.ConnectionState) (smtp.Auth, error) {
	switch mech {
	case mechSCRAMPlus, mechSCRAM:
		return newSCRAMAuth(ctx, c.username, c.password, host, cs, mech == mechSCRAMPlus)
	case mechPlain:
		return tlsOnly{smtp.PlainAuth("", c.username, c.password, host), host}, nil
	case mechLogin:
		return LoginAuth(c.username, c.password, host), nil
	case mechCRAMMD5:
		return tlsOnly{smtp.CRAMMD5Auth(c.username, c.password), host}, nil
	}
	return nil, fmt.Errorf("%w: a password cannot use %s", errNoMechanism, mech)
}

// customAuth is WithAuth: the caller's smtp.Auth, which names its mechanism only in
// Start. With WithMechanisms the route needs one of those names offered; without, any
// AUTH offer will do.
type customAuth struct {
	auth  smtp.Auth
	names []string // upper case; empty: any
}

func (c *customAuth) Mechanism(offered []string, _ tls.ConnectionState) (string, error) {
	if len(offered) == 0 {
		return "", errNoAuthOffered
	}
	if len(c.names) == 0 {
		return "", nil // named by Start; Negotiate records it in Result.Mechanism
	}
	for _, m := range c.names {
		if slices.Contains(offered, m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: server offers %s; WithMechanisms allows %s",
		errNoMechanism, safetext.Clean(strings.Join(offered, " ")), strings.Join(c.names, " "))
}

func (c *customAuth) Auth(_ context.Context, _, host string, _ tls.ConnectionState) (smtp.Auth, error) {
	return &guardedAuth{Auth: c.auth, host: host, names: c.names}, nil
}

// guardedAuth runs a caller's smtp.Auth behind the checks our own mechanisms make: TLS and
// the route's host before the caller's Start runs, and afterwards a mechanism the server
// offered (and WithMechanisms allows) before anything is sent.
type guardedAuth struct {
	smtp.Auth
	host  string
	names []string
}

func (g *guardedAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, g.host); err != nil {
		return "", nil, err
	}
	mech, resp, err := g.Auth.Start(server)
	if err != nil {
		return "", nil, err
	}
	upper := strings.ToUpper(mech)
	offered := slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, mech) })
	switch {
	case !offered:
		return "", nil, fmt.Errorf("smtpport: custom Auth started %q, which the server did not offer", safetext.Clean(mech))
	case len(g.names) > 0 && !slices.Contains(g.names, upper):
		return "", nil, fmt.Errorf("smtpport: custom Auth started %q, which WithMechanisms does not allow", safetext.Clean(mech))
	}
	return mech, resp, nil
}

// contextError is why ctx ended: context.Cause(ctx), which also matches ctx.Err() with
// errors.Is when a cancel cause was given.
func contextError(ctx context.Context) error {
	cause, err := context.Cause(ctx), ctx.Err()
	if cause == nil || errors.Is(cause, err) {
		return err
	}
	return fmt.Errorf("%w (%w)", cause, err)
}
