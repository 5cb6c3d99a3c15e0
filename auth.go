package smtpport

import (
	"errors"
	"net/smtp"
	"strings"
)

// SASL mechanism names as servers list them after "AUTH" in EHLO.
const (
	mechPlain       = "PLAIN"
	mechLogin       = "LOGIN"
	mechCRAMMD5     = "CRAM-MD5"
	mechXOAuth2     = "XOAUTH2"
	mechOAuthBearer = "OAUTHBEARER"
	mechSCRAM       = "SCRAM-SHA-256"
	mechSCRAMPlus   = "SCRAM-SHA-256-PLUS"
)

// Errors a mechanism's Start returns instead of sending a secret.
var (
	errNotTLS    = errors.New("smtpport: refusing to send credentials over an unencrypted connection")
	errWrongHost = errors.New("smtpport: refusing to send credentials: wrong host name")
)

// requireTLS is the check every mechanism makes before it sends a secret: the connection
// is TLS and, when host is not empty, the client was made for host.
func requireTLS(server *smtp.ServerInfo, host string) error {
	if !server.TLS {
		return errNotTLS
	}
	if host != "" && !strings.EqualFold(server.Name, host) {
		return errWrongHost
	}
	return nil
}

// tlsOnly puts requireTLS in front of a net/smtp mechanism: CRAM-MD5 checks nothing, and
// PlainAuth lets "localhost" through without TLS.
type tlsOnly struct {
	smtp.Auth
	host string
}

func (a tlsOnly) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, a.host); err != nil {
		return "", nil, err
	}
	return a.Auth.Start(server)
}
