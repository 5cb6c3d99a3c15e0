package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"golang.org/x/net/proxy"
	"golang.org/x/oauth2"
)

// credFlags are the credential flags of send and probe --auth. Secrets come from
// environment variables, never from the command line, where ps and shell history see them.
type credFlags struct {
	user, passwordEnv, tokenEnv string
	mechanisms                  listFlag
}

func (c *credFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.user, "user", "", "`USER` name to authenticate as (often the full email address)")
	fs.StringVar(&c.passwordEnv, "password-env", "", "name of the environment `VAR` holding the password or app password")
	fs.StringVar(&c.tokenEnv, "oauth2-token-env", "", "name of the environment `VAR` holding an OAuth2 access token (XOAUTH2 or OAUTHBEARER)")
	fs.Var(&c.mechanisms, "mechanism", "SASL mechanism `NAME` to use, tried in the order given; repeat or comma-separate for more ("+
		strings.Join(passwordMechanisms, ", ")+" with a password; "+strings.Join(tokenMechanisms, ", ")+" with a token)")
}

// given reports whether any credential flag was set.
func (c *credFlags) given() bool {
	return c.user != "" || c.passwordEnv != "" || c.tokenEnv != "" || len(c.mechanisms) > 0
}

// The mechanisms --mechanism accepts, by kind of secret (smtpport.WithMechanisms' names;
// SCRAM-SHA-256 also allows its channel-bound -PLUS variant).
var (
	passwordMechanisms = []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"}
	tokenMechanisms    = []string{"XOAUTH2", "OAUTHBEARER"}
)

// credentials are resolved secrets; exactly one of password and token is set.
// mechanisms, when not empty, are the only SASL mechanisms to use, in order.
type credentials struct {
	user, password, token string
	mechanisms            []string
}

// resolve reads the secret from the environment. Every mistake is a usage error.
func (c *credFlags) resolve(e *env) (credentials, error) {
	switch {
	case c.user == "":
		return credentials{}, usage{errors.New("--user is required with credentials")}
	case c.passwordEnv != "" && c.tokenEnv != "":
		return credentials{}, usage{errors.New("give --password-env or --oauth2-token-env, not both")}
	case c.passwordEnv == "" && c.tokenEnv == "":
		return credentials{}, usage{errors.New("give --password-env VAR or --oauth2-token-env VAR (the secret is read from that environment variable)")}
	}
	name := c.passwordEnv + c.tokenEnv
	secret := e.getenv(name)
	if secret == "" {
		return credentials{}, usage{fmt.Errorf("environment variable %s is empty or not set", name)}
	}
	usable, kind := passwordMechanisms, "--password-env"
	if c.tokenEnv != "" {
		usable, kind = tokenMechanisms, "--oauth2-token-env"
	}
	var mechanisms []string
	for _, m := range c.mechanisms {
		m = strings.ToUpper(m)
		switch {
		case slices.Contains(usable, m):
			mechanisms = append(mechanisms, m)
		case slices.Contains(passwordMechanisms, m) || slices.Contains(tokenMechanisms, m):
			return credentials{}, usage{fmt.Errorf("--mechanism %s cannot be used with %s (it can use %s)", m, kind, strings.Join(usable, ", "))}
		default:
			return credentials{}, usage{fmt.Errorf("--mechanism: unknown mechanism %q (known: %s, %s)", m,
				strings.Join(passwordMechanisms, ", "), strings.Join(tokenMechanisms, ", "))}
		}
	}
	if c.passwordEnv != "" {
		return credentials{user: c.user, password: secret, mechanisms: mechanisms}, nil
	}
	return credentials{user: c.user, token: secret, mechanisms: mechanisms}, nil
}

// connectSettings are what every negotiation of the command shares.
type connectSettings struct {
	tls     *tls.Config
	dialer  proxy.ContextDialer
	timeout time.Duration // per route
}

func (s connectSettings) options() []smtpport.Option {
	opts := []smtpport.Option{smtpport.WithTLSConfig(s.tls), smtpport.WithAttemptTimeout(s.timeout)}
	if s.dialer != nil {
		opts = append(opts, smtpport.WithDialer(s.dialer))
	}
	return opts
}

// negotiateWith runs smtpport.Negotiate for p with the credentials: a password through
// smtpport.WithPassword, an access token through smtpport.WithOAuth2 (XOAUTH2 or
// OAUTHBEARER, as the server offers), and --mechanism through smtpport.WithMechanisms.
func negotiateWith(ctx context.Context, p presets.Preset, c credentials, s connectSettings) (*negotiate.Result, error) {
	auth := smtpport.WithPassword(c.user, c.password)
	if c.token != "" {
		auth = smtpport.WithOAuth2(c.user, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: c.token}))
	}
	opts := append(s.options(), auth)
	if len(c.mechanisms) > 0 {
		opts = append(opts, smtpport.WithMechanisms(c.mechanisms...))
	}
	return smtpport.Negotiate(ctx, p, opts...)
}
