package smtpport

import (
	"errors"
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
)

// The classes of a failed send, for errors.Is on a *SendError.
var (
	// ErrPermanent: the server refused with a 5xx; the same send will fail again.
	ErrPermanent = errors.New("smtpport: refused permanently")
	// ErrTemporary: a 4xx, or the connection was lost before the message was complete;
	// nothing was delivered, so retrying later is safe.
	ErrTemporary = errors.New("smtpport: failed temporarily")
	// ErrOutcomeUnknown: the connection was lost after the final "." was sent and before
	// its reply. The message may have been delivered; a blind retry may duplicate it.
	ErrOutcomeUnknown = errors.New("smtpport: outcome unknown")
)

// SendError is a send that failed after negotiation: the phase it failed in ("MAIL",
// "RCPT", "DATA", "message", "end of data"), the server's reply if there was one, and
// for RCPT every refused recipient, each a SendError of its own. It matches one of
// ErrPermanent, ErrTemporary and ErrOutcomeUnknown.
type SendError struct {
	Phase     string
	Recipient string       // the refused recipient, in an entry of Refused
	Code      int          // the reply code, 0 when the connection failed instead
	Reply     string       // the reply text, sanitised
	Refused   []*SendError // the refused recipients, for Phase "RCPT"
	Err       error        // the underlying error, nil for refused recipients
	class     error
}

func (e *SendError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtpport: %s: ", e.Phase)
	switch {
	case e.Recipient != "":
		fmt.Fprintf(&b, "<%s> %d %s", sanitize(e.Recipient), e.Code, e.Reply)
	case len(e.Refused) > 0:
		fmt.Fprintf(&b, "%d %s refused, message sent to none:", len(e.Refused), plural(len(e.Refused), "recipient"))
		for i, r := range e.Refused {
			sep := " "
			if i > 0 {
				sep = "; "
			}
			fmt.Fprintf(&b, "%s<%s> %d %s", sep, sanitize(r.Recipient), r.Code, r.Reply)
		}
	case e.Code != 0:
		fmt.Fprintf(&b, "%d %s", e.Code, e.Reply)
	case e.class == ErrOutcomeUnknown:
		fmt.Fprintf(&b, "connection lost after the message was sent, before its reply: the server may have accepted it (%v)", e.Err)
	default:
		fmt.Fprintf(&b, "connection lost, nothing delivered (%v)", e.Err)
	}
	switch e.class {
	case ErrPermanent:
		b.WriteString(" [permanent]")
	case ErrTemporary:
		b.WriteString(" [temporary, retry later]")
	case ErrOutcomeUnknown:
		b.WriteString(" [outcome unknown, do not resend blindly]")
	}
	return b.String()
}

// Unwrap returns the error's class (ErrPermanent, ErrTemporary or ErrOutcomeUnknown)
// and the underlying error, so errors.Is and errors.As reach both.
func (e *SendError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.class}
	}
	return []error{e.class, e.Err}
}

// sendFailure classifies err from phase on c.
func sendFailure(c *smtp.Client, phase string, err error) *SendError {
	e := &SendError{Phase: phase, Err: err}
	var reply *textproto.Error
	switch {
	case errors.As(err, &reply):
		e.Code, e.Reply, e.class = reply.Code, sanitize(reply.Msg), replyClass(reply.Code)
	case phase == "end of data" && unanswered(c):
		e.class = ErrOutcomeUnknown
	default:
		e.class = ErrTemporary
	}
	return e
}

// refusal is one recipient the server refused, with its reply.
func refusal(rcpt string, reply *textproto.Error) *SendError {
	return &SendError{Phase: "RCPT", Recipient: rcpt, Code: reply.Code, Reply: sanitize(reply.Msg), class: replyClass(reply.Code)}
}

// refusedRecipients is permanent when any refusal is: retrying the same list fails again.
func refusedRecipients(refused []*SendError) *SendError {
	e := &SendError{Phase: "RCPT", Refused: refused, class: ErrTemporary}
	for _, r := range refused {
		if r.Code >= 500 {
			e.class = ErrPermanent
		}
	}
	return e
}

// replyClass: 5xx permanent; 4xx, and codes no command expects, temporary.
func replyClass(code int) error {
	if code >= 500 && code < 600 {
		return ErrPermanent
	}
	return ErrTemporary
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
