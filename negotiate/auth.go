package negotiate

import (
	"context"
	"encoding/base64"
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/smtpport/smtpport/internal/safetext"
)

// minAuthTime is the least time left on the caller's context for AUTH to be sent: with
// less, the reply would likely miss the deadline and the outcome be unknown, where
// refusing leaves it certain (nothing sent). It is added to twice the route's connect time.
const minAuthTime = 5 * time.Millisecond

// authenticate runs AUTH on the winner, the only connection that ever sees credentials,
// within ctx: its own budget (Config.AttemptTimeout, however long the route waited for a
// preferred one), inside the caller's context.
func (n *negotiation) authenticate(ctx context.Context, w *attempt) error {
	creds := n.cfg.Credentials
	if creds == nil {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*w.connect+minAuthTime {
		return &routeError{kind: ErrUnreachable, detail: "no time left to authenticate; nothing was sent"}
	}
	w.reach(stageAuth)
	c := w.conn
	auth, err := creds.Auth(ctx, c.mechanism, w.route.Host, c.tls)
	if err != nil {
		return preparationError(ctx, err)
	}
	raw := c.tap.Conn
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	unwatch := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	mech, err := exchange(c.client.Text, auth, &smtp.ServerInfo{Name: w.route.Host, TLS: true, Auth: c.offered})
	if !unwatch() && err == nil {
		err = &routeError{kind: ErrUnreachable, detail: "time ran out as AUTH succeeded", final: true}
	}
	raw.SetDeadline(time.Time{})
	switch {
	case c.tap.exceeded:
		return oversize("AUTH")
	case err != nil:
		var hint func(*textproto.Error) string
		if h := n.cfg.Hint; h != nil {
			hint = func(e *textproto.Error) string { return safetext.Clean(h(e, mech)) }
		}
		return classifyAuth(err, hint)
	}
	c.mechanism = mech
	return nil
}

// preparationError is the error when the credentials could not produce an smtp.Auth (an
// OAuth2 token source failed or was too slow): nothing was sent, so the outcome is known.
func preparationError(ctx context.Context, err error) error {
	var re *routeError
	switch {
	case errors.As(err, &re):
		return err
	case errors.Is(err, ErrConfig):
		return &routeError{kind: ErrConfig, detail: "credentials could not be prepared; nothing was sent", cause: err, final: true}
	case ctx.Err() != nil:
		return &routeError{kind: ErrUnreachable, detail: "credentials not ready in time; nothing was sent", cause: err, final: true}
	}
	return &routeError{kind: ErrAuthFailed, detail: "could not prepare credentials; nothing was sent", cause: err, final: true}
}

// exchange runs one SASL exchange (RFC 4954) over text and returns the mechanism the Auth
// started. Unlike net/smtp's Client.Auth it sends "*" only to cancel an exchange the
// client cannot continue, never after the server's final reply (a 5xx ends the exchange;
// "*" then is a syntax error in the server's log), and it leaves the connection to the
// caller.
func exchange(text *textproto.Conn, a smtp.Auth, info *smtp.ServerInfo) (string, error) {
	mech, resp, err := a.Start(info)
	if err != nil {
		kind := ErrAuthFailed
		if errors.Is(err, ErrConfig) {
			kind = ErrConfig
		}
		return "", &routeError{kind: kind, detail: "mechanism refused to start; nothing was sent", cause: err, final: true}
	}
	mech = strings.ToUpper(mech)
	line := make([]byte, 0, len("AUTH  ")+len(mech)+base64.StdEncoding.EncodedLen(len(resp)))
	line = append(append(line, "AUTH "...), mech...)
	if len(resp) > 0 {
		line = base64.StdEncoding.AppendEncode(append(line, ' '), resp)
	}
	code, msg, err := command(text, line)
	for err == nil {
		switch code {
		case 334:
			challenge, derr := base64.StdEncoding.DecodeString(msg)
			if derr != nil {
				cancelExchange(text)
				return mech, &routeError{kind: ErrProtocol, detail: "server sent a challenge that is not base64", final: true}
			}
			if resp, err = a.Next(challenge, true); err != nil {
				cancelExchange(text)
				return mech, err
			}
			code, msg, err = command(text, base64.StdEncoding.AppendEncode(nil, resp))
		case 235:
			// The last message is not a challenge; a mechanism that verifies the server
			// (SCRAM) checks it here. The server has already said yes: no "*".
			if _, err := a.Next([]byte(msg), false); err != nil {
				return mech, err
			}
			return mech, nil
		default:
			return mech, &textproto.Error{Code: code, Msg: msg}
		}
	}
	return mech, err
}

// command sends one line and reads the whole reply, whatever its code.
func command(text *textproto.Conn, line []byte) (int, string, error) {
	id, err := text.Cmd("%s", line)
	if err != nil {
		return 0, "", err
	}
	text.StartResponse(id)
	defer text.EndResponse(id)
	return text.ReadResponse(0)
}

// cancelExchange sends "*" (RFC 4954 §4) and reads the server's answer, normally 501.
func cancelExchange(text *textproto.Conn) { command(text, []byte("*")) }
