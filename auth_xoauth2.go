package smtpport

import (
	"errors"
	"net/smtp"
	"strings"
)

// XOAuth2Auth returns Google's and Microsoft's XOAUTH2 mechanism: the user name and an
// OAuth2 access token in one initial response. When the server rejects the token it
// sends a JSON error as a challenge; the reply is the empty response the protocol asks
// for, after which the server's 535 is the error. It refuses to send anything unless the
// connection is TLS and, when host is not empty, the server is host.
func XOAuth2Auth(username, token, host string) smtp.Auth {
	return &xoauth2Auth{username: username, token: token, host: host}
}

type xoauth2Auth struct {
	username, token, host string
	answered              bool // the error challenge got its empty response
}

func (a *xoauth2Auth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, a.host); err != nil {
		return "", nil, err
	}
	if err := checkOAuthFields(a.username, a.token); err != nil {
		return "", nil, err
	}
	a.answered = false
	return mechXOAuth2, []byte("user=" + a.username + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

func (a *xoauth2Auth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	if a.answered {
		return nil, errors.New("smtpport: XOAUTH2: server sent a second challenge")
	}
	// The challenge is the server's JSON error for a rejected token.
	a.answered = true
	return []byte{}, nil
}

// checkOAuthFields refuses a user name or token that would break the \x01-separated
// message, or a token that is not an RFC 6750 b64token.
func checkOAuthFields(username, token string) error {
	if username == "" || strings.ContainsFunc(username, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("smtpport: OAuth2 user name is empty or has control characters")
	}
	if token == "" {
		return errors.New("smtpport: OAuth2 access token is empty")
	}
	for i, c := range token {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.ContainsRune("-._~+/", c):
		case c == '=' && strings.Trim(token[i:], "=") == "":
		default:
			return errors.New("smtpport: OAuth2 access token has characters a bearer token cannot hold")
		}
	}
	return nil
}
