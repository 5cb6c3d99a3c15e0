package smtpport

import (
	"errors"
	"net/smtp"
	"strings"
)

// OAuthBearerAuth returns the OAUTHBEARER mechanism (RFC 7628): the user name, the host
// and an OAuth2 bearer token in one initial response. When the server rejects the token
// it sends a JSON error as a challenge; the reply is the single %x01 byte RFC 7628 §3.2.3
// asks for, after which the server's 535 is the error. It refuses to send anything unless
// the connection is TLS and, when host is not empty, the server is host.
func OAuthBearerAuth(username, token, host string) smtp.Auth {
	return &oauthBearerAuth{username: username, token: token, host: host}
}

type oauthBearerAuth struct {
	username, token, host string
	answered              bool
}

func (a *oauthBearerAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, a.host); err != nil {
		return "", nil, err
	}
	if err := checkOAuthFields(a.username, a.token); err != nil {
		return "", nil, err
	}
	a.answered = false
	var b strings.Builder
	b.WriteString("n,a=" + saslName(a.username) + ",\x01")
	if a.host != "" {
		b.WriteString("host=" + a.host + "\x01")
	}
	b.WriteString("auth=Bearer " + a.token + "\x01\x01")
	return mechOAuthBearer, []byte(b.String()), nil
}

func (a *oauthBearerAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.answered {
		return nil, errors.New("smtpport: OAUTHBEARER: server sent a second challenge")
	}
	// The challenge is the server's JSON error; %x01 ends the exchange so it can fail.
	a.answered = true
	return []byte{0x01}, nil
}

// saslName escapes a GS2 authorization identity (RFC 5801 §4): "," and "=" are coded.
func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}
