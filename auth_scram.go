package smtpport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/smtp"
	"slices"
	"strings"

	"github.com/smtpport/smtpport/internal/safetext"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/xdg-go/scram"
)

// ScramSHA256Auth returns SCRAM-SHA-256 (RFC 7677): the password never crosses the wire;
// the client proves it knows it, and the server must prove it knows it too or the
// exchange fails even after the server said 235. Without the TLS connection state it
// cannot bind to the channel, so it never uses -PLUS; Dial does, where TLS allows.
// It refuses to start unless the connection is TLS (a proof seen in the clear can be
// attacked offline). The user name and password are prepared with SASLprep (RFC 4013),
// as RFC 5802 requires; a password SASLprep refuses makes Start fail before anything is
// sent. A server that asks for more than 600000 PBKDF2 iterations is refused before any
// key is derived.
func ScramSHA256Auth(username, password string) smtp.Auth {
	return &scramAuth{ctx: context.Background(), username: username, password: password}
}

// scramAuth is SCRAM-SHA-256, bound to the TLS channel when binding is set.
type scramAuth struct {
	ctx                      context.Context // bounds the exchange: checked before the key derivation
	username, password, host string
	binding                  *scram.ChannelBinding // the channel's binding data, if known
	plus                     bool                  // use SCRAM-SHA-256-PLUS with binding
	client                   *scram.Client         // prepared user name and password
	conv                     *scram.ClientConversation
	nonce                    string // our nonce, from the client-first message
	answeredFirst            bool   // the server-first message was checked and answered
	// step runs one conversation step; tests replace it to see whether the key
	// derivation (which happens in the step after server-first) was reached.
	step func(string) (string, error)
}

// newSCRAMAuth is SCRAM-SHA-256 for a connection whose TLS state is known: -PLUS when plus,
// else the base mechanism that tells the server it could have bound (the "y" flag) when
// the server does not offer -PLUS, so a stripped -PLUS is detected (RFC 5802 §6). The
// SASLprep preparation happens here, so a password it refuses fails before AUTH starts.
func newSCRAMAuth(ctx context.Context, username, password, host string, cs tls.ConnectionState, plus bool) (*scramAuth, error) {
	a := &scramAuth{ctx: ctx, username: username, password: password, host: host, plus: plus}
	if cb, ok := channelBinding(cs); ok {
		a.binding = &cb
	} else if plus {
		return nil, errors.New("smtpport: SCRAM-SHA-256-PLUS: this TLS connection offers no channel binding")
	}
	var err error
	if a.client, err = newSCRAMClient(username, password); err != nil {
		return nil, err
	}
	return a, nil
}

// newSCRAMClient prepares the credentials with SASLprep. Its refusal is a local
// configuration error: nothing has been sent, and another mechanism may still work.
func newSCRAMClient(username, password string) (*scram.Client, error) {
	if err := saslprepRefusal(username, password); err != nil {
		return nil, fmt.Errorf("smtpport: %w: %s cannot be used: %w; nothing was sent", negotiate.ErrConfig, mechSCRAM, err)
	}
	client, err := scram.SHA256.NewClient(username, password, "")
	if err != nil { // not reached: saslprepRefusal ran the same preparation
		return nil, fmt.Errorf("smtpport: %w: %s cannot be used: SASLprep failed; nothing was sent", negotiate.ErrConfig, mechSCRAM)
	}
	return client, nil
}

func (a *scramAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if err := requireTLS(server, a.host); err != nil {
		return "", nil, err
	}
	if a.client == nil {
		client, err := newSCRAMClient(a.username, a.password)
		if err != nil {
			return "", nil, err
		}
		a.client = client
	}
	mech := mechSCRAM
	switch {
	case a.plus:
		mech = mechSCRAMPlus
		a.conv = a.client.NewConversationWithChannelBinding(*a.binding)
	case a.binding != nil && !slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, mechSCRAMPlus) }):
		a.conv = a.client.NewConversationAdvertisingChannelBinding()
	default:
		a.conv = a.client.NewConversation()
	}
	if a.step == nil {
		a.step = a.conv.Step
	}
	first, err := a.step("")
	if err != nil {
		return "", nil, fmt.Errorf("smtpport: SCRAM: %s", safetext.Clean(err.Error()))
	}
	a.nonce = clientNonceOf(first)
	return mech, []byte(first), nil
}

func (a *scramAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		if a.conv == nil || !a.conv.Valid() {
			return nil, scramProtocolError("server accepted without proving it knows the password")
		}
		return nil, nil
	}
	if a.conv == nil || a.conv.Done() {
		return nil, scramProtocolError("server sent a challenge after its final message")
	}
	serverFinal := a.answeredFirst
	if !serverFinal {
		// The step after server-first derives the key: everything it needs is checked
		// first, and the context too, since the derivation cannot be interrupted.
		if _, err := parseSCRAMServerFirst(string(fromServer), a.nonce); err != nil {
			return nil, err
		}
		if err := a.ctx.Err(); err != nil {
			return nil, fmt.Errorf("smtpport: SCRAM: stopped before the key derivation, no proof sent: %w", contextError(a.ctx))
		}
		a.answeredFirst = true
	}
	resp, err := a.step(string(fromServer))
	switch {
	case err == nil:
	case serverFinal && !strings.HasPrefix(string(fromServer), "e="):
		// A server whose signature does not verify does not hold the credentials.
		return nil, scramProtocolError("server-final message: " + safetext.Clean(err.Error()))
	default:
		return nil, fmt.Errorf("smtpport: SCRAM: %s", safetext.Clean(err.Error()))
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
