package smtpport

import (
	"fmt"
	"net/smtp"
	"strings"
	"sync"

	"github.com/smtpport/smtpport/negotiate"
	"golang.org/x/oauth2"
)

// credentialSettings is what the authentication options collected: each credential
// option leaves its own builder.
type credentialSettings struct {
	given      []string // names of the credential options given, to refuse two
	username   string   // keys route memory
	build      credentialBuilder
	mechanisms []string // WithMechanisms, as given
}

// credentialBuilder makes the negotiator's Credentials once all options are in:
// mechanisms is WithMechanisms, accepted the preset's list.
type credentialBuilder func(mechanisms, accepted []string) (negotiate.Credentials, error)

func (c *credentialSettings) set(option, username string, build credentialBuilder) {
	c.given = append(c.given, option)
	c.username, c.build = username, build
}

// WithPassword authenticates with a user name and password (or app password, API key),
// choosing from the server's post-TLS offer and the preset's accepted list, in the order
// SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN, CRAM-MD5.
//
// SCRAM proves the password as SASLprep (RFC 4013) prepares it; PLAIN, LOGIN and CRAM-MD5
// use it as given, and servers that store it unprepared (Dovecot) accept only those for a
// password SASLprep changes. So: when SASLprep changes the user name or password
// (full-width digits, a no-break space, a soft hyphen), the order is PLAIN, LOGIN,
// CRAM-MD5, then SCRAM, used only when the server offers nothing else; when SASLprep
// refuses them (control characters, emoji, mixed-direction text), SCRAM is never used,
// and a server that offers only SCRAM fails the route, before anything is sent, with an
// error wrapping negotiate.ErrConfig. WithMechanisms keeps its own order, SCRAM first if
// so given, except that a refused SCRAM is skipped.
func WithPassword(username, password string) Option {
	// What SASLprep does to them is the same on every Dial: prepared once, when first needed.
	prep := sync.OnceValues(func() (saslprepOutcome, error) {
		return saslprepOf(username, password), saslprepRefusal(username, password)
	})
	return func(s *settings) {
		s.auth.set("WithPassword", username, func(mechanisms, accepted []string) (negotiate.Credentials, error) {
			outcome, why := prep()
			p, err := newPasswordPolicy(outcome, why, mechanisms, accepted)
			if err != nil {
				return nil, err
			}
			return &passwordCredentials{username: username, password: password, policy: p}, nil
		})
	}
}

// WithOAuth2 authenticates with an OAuth2 access token for username, using XOAUTH2 or
// OAUTHBEARER as the server offers (XOAUTH2 first). Each Dial asks ts for a token once,
// on the winning route; refreshing is ts's job (oauth2.Config.TokenSource does it). If
// the context ends while ts.Token blocks, Dial returns and the call finishes on its own.
func WithOAuth2(username string, ts oauth2.TokenSource) Option {
	return func(s *settings) {
		s.auth.set("WithOAuth2", username, func(mechanisms, accepted []string) (negotiate.Credentials, error) {
			if ts == nil {
				return nil, fmt.Errorf("smtpport: %w: WithOAuth2 with a nil token source", negotiate.ErrConfig)
			}
			p, err := newPolicy("an OAuth2 token", tokenMechanisms, mechanisms, accepted)
			if err != nil {
				return nil, err
			}
			return &tokenCredentials{username: username, source: ts, policy: p}, nil
		})
	}
}

// WithAuth authenticates with any smtp.Auth, for mechanisms smtpport does not know. The
// route must offer AUTH after TLS (and, with WithMechanisms, one of the names given); a
// guard refuses to run a's Start unless the connection is TLS for the route's host, and
// refuses to send its response unless the server offered the mechanism a started. The
// preset's accepted list does not apply. Result.Mechanism is the name a's Start returned.
func WithAuth(a smtp.Auth) Option {
	return func(s *settings) {
		s.auth.set("WithAuth", "", func(mechanisms, _ []string) (negotiate.Credentials, error) {
			if a == nil {
				return nil, fmt.Errorf("smtpport: %w: WithAuth(nil)", negotiate.ErrConfig)
			}
			var names []string
			for _, n := range mechanisms {
				n = strings.ToUpper(strings.TrimSpace(n))
				if n == "" || strings.ContainsFunc(n, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
					return nil, fmt.Errorf("smtpport: %w: WithMechanisms: bad mechanism name %q", negotiate.ErrConfig, n)
				}
				names = append(names, n)
			}
			return &customAuth{auth: a, names: names}, nil
		})
	}
}

// WithMechanisms restricts the SASL mechanisms to names (as in EHLO: PLAIN, LOGIN,
// CRAM-MD5, XOAUTH2, OAUTHBEARER, SCRAM-SHA-256, SCRAM-SHA-256-PLUS) and tries them in
// that order. SCRAM-SHA-256 allows its -PLUS variant too, tried first. Names the
// credentials cannot use are skipped; none left is a configuration error.
func WithMechanisms(names ...string) Option {
	return func(s *settings) { s.auth.mechanisms = append([]string(nil), names...) }
}

// credentials builds the negotiator's Credentials from the options, or nil for none.
// accepted is the preset's list of mechanisms the provider accepts.
func (c *credentialSettings) credentials(accepted []string) (negotiate.Credentials, error) {
	switch {
	case len(c.given) > 1:
		return nil, fmt.Errorf("smtpport: %w: %s: give one kind of credentials", negotiate.ErrConfig, strings.Join(c.given, " and "))
	case len(c.given) == 0 && c.mechanisms != nil:
		return nil, fmt.Errorf("smtpport: %w: WithMechanisms without credentials", negotiate.ErrConfig)
	case len(c.given) == 0:
		return nil, nil
	}
	return c.build(c.mechanisms, accepted)
}
