package main

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

// This file is a shim for smtpport.WithOAuth2, which is being written on another
// branch. When it lands, negotiateOAuth2's body becomes
//
//	smtpport.Negotiate(ctx, p, append(s.options(), smtpport.WithOAuth2(c.user,
//		oauth2.StaticTokenSource(&oauth2.Token{AccessToken: c.token})))...)
//
// and the rest of the file goes.

// negotiateOAuth2 negotiates p with an OAuth2 access token, through negotiate.Negotiate
// and negotiate.Credentials (the same path smtpport.Negotiate takes).
func negotiateOAuth2(ctx context.Context, p presets.Preset, c credentials, s connectSettings) (*negotiate.Result, error) {
	return negotiate.Negotiate(ctx, negotiate.Config{
		Routes:         p.Routes,
		TLSConfig:      s.tls,
		Dialer:         s.dialer,
		AttemptTimeout: s.timeout,
		Credentials:    &tokenCredentials{user: c.user, token: c.token, accepted: p.Mechanisms},
	})
}

// tokenCredentials offer XOAUTH2 (Google, Microsoft) with a fixed access token.
type tokenCredentials struct {
	user, token string
	accepted    []string
}

var errNoTokenMechanism = errors.New("no common SASL mechanism for an OAuth2 token")

func (t *tokenCredentials) Mechanism(offered []string) (string, error) {
	if slices.Contains(offered, "XOAUTH2") && (len(t.accepted) == 0 || slices.Contains(t.accepted, "XOAUTH2")) {
		return "XOAUTH2", nil
	}
	return "", fmt.Errorf("%w: server offers %s, a token needs XOAUTH2", errNoTokenMechanism, strings.Join(offered, " "))
}

func (t *tokenCredentials) Auth(_ context.Context, mech, host string) (smtp.Auth, error) {
	if mech != "XOAUTH2" {
		return nil, fmt.Errorf("%w: %s", errNoTokenMechanism, mech)
	}
	return &xoauth2{user: t.user, token: t.token, host: host}, nil
}

// xoauth2 is Google's and Microsoft's XOAUTH2 mechanism.
type xoauth2 struct{ user, token, host string }

func (a *xoauth2) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS || server.Name != a.host {
		return "", nil, errors.New("refusing to send a token without TLS verified for the host")
	}
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON status) with an empty line, after
// which the server sends its final failure reply.
func (a *xoauth2) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return []byte{}, nil
	}
	return nil, nil
}
