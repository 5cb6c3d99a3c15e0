package smtpport

import (
	"errors"
	"net/smtp"
)

// LoginAuth returns the LOGIN mechanism (draft-murchison-sasl-login), which Office 365
// requires and net/smtp lacks. It answers the server's two prompts in order, user name
// then password, whatever their wording. Like smtp.PlainAuth it refuses to send anything
// unless the connection is TLS and, when host is not empty, the server is host.
func LoginAuth(username, password, host string) smtp.Auth {
	return &loginAuth{username: username, password: password, host: host}
}

type loginAuth struct {
	username, password, host string
	step                     int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, a.host); err != nil {
		return "", nil, err
	}
	a.step = 0
	return mechLogin, nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.username), nil
	case 2:
		return []byte(a.password), nil
	}
	return nil, errors.New("smtpport: LOGIN: server asked for more than user name and password")
}
