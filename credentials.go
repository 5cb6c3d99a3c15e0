package smtpport

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"
)

// passwordPreference is the order in which a password mechanism is chosen, strongest first.
var passwordPreference = []string{"PLAIN", "LOGIN", "CRAM-MD5"}

// passwordCredentials authenticate with a user name and password.
type passwordCredentials struct {
	username, password string
	accepted           []string // the provider's accepted mechanisms; empty: any
}

// errNoMechanism is returned when the server and the credentials share no mechanism.
var errNoMechanism = errors.New("no common SASL mechanism")

func (p *passwordCredentials) Mechanism(offered []string) (string, error) {
	if len(offered) == 0 {
		return "", errors.New("server offers no AUTH after TLS; refusing to continue unauthenticated")
	}
	for _, m := range passwordPreference {
		if slices.Contains(offered, m) && (len(p.accepted) == 0 || slices.Contains(p.accepted, m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: server offers %s, a password can use %s",
		errNoMechanism, strings.Join(offered, " "), strings.Join(p.usable(), " "))
}

func (p *passwordCredentials) usable() []string {
	if len(p.accepted) == 0 {
		return passwordPreference
	}
	var out []string
	for _, m := range passwordPreference {
		if slices.Contains(p.accepted, m) {
			out = append(out, m)
		}
	}
	return out
}

func (p *passwordCredentials) Auth(_ context.Context, mech, host string) (smtp.Auth, error) {
	switch mech {
	case "PLAIN":
		return smtp.PlainAuth("", p.username, p.password, host), nil
	case "LOGIN":
		return LoginAuth(p.username, p.password, host), nil
	case "CRAM-MD5":
		return smtp.CRAMMD5Auth(p.username, p.password), nil
	}
	return nil, fmt.Errorf("%w: %s", errNoMechanism, mech)
}
