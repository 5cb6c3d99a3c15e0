package smtpport

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"

	"github.com/smtpport/smtpport/internal/limits"
	"github.com/smtpport/smtpport/internal/safetext"
	"github.com/smtpport/smtpport/presets"
)

// SendMail negotiates a route of p as Dial does, sends msg from from to every address
// in to, and says QUIT: smtp.SendMail with smtpport's transport. ctx bounds all of it,
// from the first connect to QUIT; when it ends the connection is closed at once. Bare
// LF and lone CR in msg become CRLF.
//
// Recipients are all or nothing, as with smtp.SendMail: if the server refuses any, the
// message goes to none of them and the *SendError names each refused address with its
// reply. Failures after negotiation are *SendError values that match ErrPermanent (5xx:
// do not retry as is), ErrTemporary (4xx, or the connection lost before the message was
// complete: retry later) or ErrOutcomeUnknown (lost after the final "." was sent: the
// message may have been delivered; a blind retry may duplicate it). Negotiation failures
// are the *Error Dial returns.
func SendMail(ctx context.Context, p presets.Preset, from string, to []string, msg []byte, opts ...Option) error {
	if err := checkEnvelope(from, to); err != nil {
		return err
	}
	res, err := Negotiate(ctx, p, opts...)
	if err != nil {
		return err
	}
	c := res.Client
	defer c.Close()
	if err := Within(ctx, c, func() error { return deliver(c, from, to, msg) }); err != nil {
		return err
	}
	// The message is accepted: a failed QUIT changes nothing.
	_ = Within(ctx, c, c.Quit)
	return nil
}

// checkEnvelope refuses what could never be sent, before anything is.
func checkEnvelope(from string, to []string) error {
	if len(to) == 0 {
		return fmt.Errorf("%w: no recipients", ErrConfig)
	}
	for _, a := range append([]string{from}, to...) {
		if strings.ContainsAny(a, "\r\n\x00") {
			return fmt.Errorf("%w: address %q contains a line break or NUL", ErrConfig, a)
		}
	}
	return nil
}

// deliver sends one message on a ready client: MAIL, every RCPT, DATA, the message and
// its final ".". It leaves the session ready for the next message (RSET after a refused
// recipient) when the server allows it. The error is a *SendError.
func deliver(c *smtp.Client, from string, to []string, msg []byte) error {
	if err := c.Mail(from); err != nil {
		return sendFailure(c, "MAIL", err)
	}
	var refused []*SendError
	for _, rcpt := range to {
		err := c.Rcpt(rcpt)
		var reply *textproto.Error
		if errors.As(err, &reply) {
			refused = append(refused, refusal(rcpt, reply))
			continue
		}
		if err != nil {
			return sendFailure(c, "RCPT", err)
		}
	}
	if len(refused) > 0 {
		_ = c.Reset()
		return refusedRecipients(refused)
	}
	w, err := c.Data()
	if err != nil {
		return sendFailure(c, "DATA", err)
	}
	if _, err := w.Write(crlf(msg)); err != nil {
		w.Close()
		return sendFailure(c, "message", err)
	}
	if err := w.Close(); err != nil {
		return sendFailure(c, "end of data", err)
	}
	return nil
}

// crlf gives every line a CRLF ending: bare LF and lone CR included, as RFC 5321 §2.3.8
// requires of what goes on the wire.
func crlf(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/32)
	for i := 0; i < len(msg); i++ {
		switch b := msg[i]; b {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(msg) && msg[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b)
		}
	}
	return out
}

// sanitize makes server text safe for errors and terminals.
func sanitize(s string) string { return safetext.Clean(s) }

// unanswered reports that c's last message was complete on the wire without a reply.
func unanswered(c *smtp.Client) bool {
	l := limits.Of(c)
	return l != nil && l.Unanswered()
}
