package smtpport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"

	"github.com/xdg-go/scram"
)

// ScramSHA256Auth returns SCRAM-SHA-256 (RFC 7677): the password never crosses the wire;
// the client proves it knows it, and the server must prove it knows it too or the
// exchange fails even after the server said 235. Without the TLS connection state it
// cannot bind to the channel, so it never uses -PLUS; Dial does, where TLS allows.
// It refuses to start unless the connection is TLS (a proof seen in the clear can be
// attacked offline).
func ScramSHA256Auth(username, password string) smtp.Auth {
	return &scramAuth{username: username, password: password}
}

// scramAuth is SCRAM-SHA-256, bound to the TLS channel when binding is set.
type scramAuth struct {
	username, password, host string
	binding                  *scram.ChannelBinding // the channel's binding data, if known
	plus                     bool                  // use SCRAM-SHA-256-PLUS with binding
	conv                     *scram.ClientConversation
}

// newSCRAMAuth is SCRAM-SHA-256 for a connection whose TLS state is known: -PLUS when plus,
// else the base mechanism that tells the server it could have bound (the "y" flag) when
// the server does not offer -PLUS, so a stripped -PLUS is detected (RFC 5802 §6).
func newSCRAMAuth(username, password, host string, cs tls.ConnectionState, plus bool) (*scramAuth, error) {
	a := &scramAuth{username: username, password: password, host: host, plus: plus}
	if cb, ok := channelBinding(cs); ok {
		a.binding = &cb
	} else if plus {
		return nil, errors.New("smtpport: SCRAM-SHA-256-PLUS: this TLS connection offers no channel binding")
	}
	return a, nil
}

func (a *scramAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, a.host); err != nil {
		return "", nil, err
	}
	client, err := scram.SHA256.NewClient(a.username, a.password, "")
	if err != nil {
		return "", nil, fmt.Errorf("smtpport: SCRAM: %w", err)
	}
	mech := mechSCRAM
	switch {
	case a.plus:
		mech = mechSCRAMPlus
		a.conv = client.NewConversationWithChannelBinding(*a.binding)
	case a.binding != nil && !slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, mechSCRAMPlus) }):
		a.conv = client.NewConversationAdvertisingChannelBinding()
	default:
		a.conv = client.NewConversation()
	}
	first, err := a.conv.Step("")
	if err != nil {
		return "", nil, fmt.Errorf("smtpport: SCRAM: %w", err)
	}
	return mech, []byte(first), nil
}

func (a *scramAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		if a.conv == nil || !a.conv.Valid() {
			return nil, errors.New("smtpport: SCRAM: server accepted without proving it knows the password")
		}
		return nil, nil
	}
	if a.conv == nil || a.conv.Done() {
		return nil, errors.New("smtpport: SCRAM: server sent a challenge after its final message")
	}
	resp, err := a.conv.Step(string(fromServer))
	if err != nil {
		return nil, fmt.Errorf("smtpport: SCRAM: %w", err)
	}
	if a.conv.Done() {
		return []byte{}, nil // server-final verified; the empty response lets the server say 235
	}
	return []byte(resp), nil
}

// channelBinding is the channel binding data of a TLS connection: tls-exporter for TLS 1.3
// (RFC 9266), tls-unique for TLS 1.2 (RFC 5929; Go leaves it empty where it is unsafe,
// on a resumption without extended master secret).
func channelBinding(cs tls.ConnectionState) (scram.ChannelBinding, bool) {
	if !cs.HandshakeComplete {
		return scram.ChannelBinding{}, false
	}
	if cs.Version >= tls.VersionTLS13 {
		cb, err := scram.NewTLSExporterBinding(&cs)
		return cb, err == nil
	}
	if len(cs.TLSUnique) > 0 {
		return scram.NewTLSUniqueBinding(cs.TLSUnique), true
	}
	return scram.ChannelBinding{}, false
}
