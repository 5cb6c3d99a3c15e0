package smtptest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xdg-go/scram"
)

// scramIterations is the PBKDF2 count the server asks for: RFC 7677's minimum.
const scramIterations = 4096

// authSCRAM is SCRAM-SHA-256 (RFC 7677) or, with plus, SCRAM-SHA-256-PLUS, using the
// server side of github.com/xdg-go/scram: it checks the client's proof against stored
// keys derived from Config.Users, and the channel binding against this connection's
// (tls-exporter on TLS 1.3, tls-unique on TLS 1.2). When -PLUS is advertised, a client
// that claims the server cannot bind (the "y" flag) is refused as a downgrade.
func authSCRAM(plus bool) mechanism {
	return func(s *session, resp []byte, hasInitial bool) (string, bool, error) {
		server, err := scram.SHA256.NewServer(s.scramCredentials)
		if err != nil {
			return "", false, err
		}
		cb, canBind := s.channelBinding()
		var conv *scram.ServerConversation
		switch {
		case plus && !canBind:
			return "", false, nil
		case plus:
			conv = server.NewConversationWithChannelBindingRequired(cb)
		case canBind && slices.Contains(s.srv.cfg.Mechanisms, "SCRAM-SHA-256-PLUS"):
			conv = server.NewConversationWithChannelBinding(cb)
		default:
			conv = server.NewConversation()
		}
		first, err := s.initialOrChallenge(resp, hasInitial)
		if err != nil {
			return "", false, err
		}
		if !plus && strings.HasPrefix(string(first), "p") {
			// RFC 5802 §6: channel binding is for the -PLUS mechanism only.
			return "", false, nil
		}
		serverFirst, err := conv.Step(string(first))
		if err != nil {
			return "", false, nil
		}
		final, err := s.challenge([]byte(serverFirst))
		if err != nil {
			return "", false, err
		}
		serverFinal, err := conv.Step(string(final))
		if err != nil || !conv.Valid() {
			return conv.Username(), false, nil
		}
		ack, err := s.challenge([]byte(serverFinal))
		if err != nil {
			return "", false, err
		}
		if len(ack) != 0 {
			return "", false, fmt.Errorf("%w: SCRAM server-final wants an empty response", errBadExchange)
		}
		return conv.Username(), true, nil
	}
}

// scramCredentials derives a user's stored SCRAM keys from the plain password table.
func (s *session) scramCredentials(user string) (scram.StoredCredentials, error) {
	pass, ok := s.srv.cfg.Users[user]
	if !ok {
		return scram.StoredCredentials{}, errors.New("unknown user")
	}
	client, err := scram.SHA256.NewClient(user, pass, "")
	if err != nil {
		return scram.StoredCredentials{}, err
	}
	return client.GetStoredCredentialsWithError(scram.KeyFactors{Salt: "smtptest:" + user, Iters: scramIterations})
}

// channelBinding is this connection's binding data, as the client should compute it.
func (s *session) channelBinding() (scram.ChannelBinding, bool) {
	tc, ok := s.conn.(*tls.Conn)
	if !ok {
		return scram.ChannelBinding{}, false
	}
	cs := tc.ConnectionState()
	if cs.Version >= tls.VersionTLS13 {
		cb, err := scram.NewTLSExporterBinding(&cs)
		return cb, err == nil
	}
	if len(cs.TLSUnique) > 0 {
		return scram.NewTLSUniqueBinding(cs.TLSUnique), true
	}
	return scram.ChannelBinding{}, false
}
