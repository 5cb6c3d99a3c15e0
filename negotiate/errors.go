package negotiate

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinels for errors.Is. Every attempt error wraps exactly one of them.
var (
	// ErrAuthFailed: the server did not accept the credentials, or offered no mechanism
	// the credentials can use. Ends negotiation: credentials are never tried on another route.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrTLSUnavailable: the server would not set up TLS on this route (STARTTLS missing or
	// refused, a handshake failure that is not about the certificate, plaintext on an
	// implicit-TLS port). The next route is tried.
	ErrTLSUnavailable = errors.New("TLS unavailable")
	// ErrCertificate: the server's certificate failed verification for the route's host.
	// Ends negotiation: a bad certificate on one port is a reason to trust no port.
	ErrCertificate = errors.New("certificate verification failed")
	// ErrUnreachable: no working SMTP service at the route (refused, timed out, no greeting,
	// 421 service closing). The next route is tried.
	ErrUnreachable = errors.New("unreachable")
	// ErrProtocol: the server broke the protocol in a way that suggests tampering (bytes
	// injected after the STARTTLS reply, replies past the size cap). Ends negotiation.
	ErrProtocol = errors.New("protocol violation")
)

// Stages an attempt can reach, in the order a STARTTLS route passes them. An implicit-TLS
// route goes dial, tls, greeting, ehlo, auth, ready.
const (
	StageDial     = "dial"
	StageGreeting = "greeting"
	StageEHLO     = "ehlo"
	StageSTARTTLS = "starttls"
	StageTLS      = "tls"
	StageAuth     = "auth"
	StageReady    = "ready"
)

// Attempt records what happened on one route: the last stage reached, the time from the
// start of the attempt, and the cause when it failed (nil for the winner).
type Attempt struct {
	Route   Route
	Stage   string
	Elapsed time.Duration
	Err     error
	// Offset is when the attempt started, counted from the start of negotiation: the
	// head start shows here (0, 250ms, 500ms...).
	Offset time.Duration
}

// String is one line: "smtp.gmail.com:587/starttls: dial after 250ms: unreachable: ...".
func (a Attempt) String() string {
	if a.Err == nil {
		return fmt.Sprintf("%s: %s after %s", a.Route, a.Stage, a.Elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: failed at %s after %s: %v", a.Route, a.Stage, a.Elapsed.Round(time.Millisecond), a.Err)
}

// Error is returned when negotiation fails. It lists every route that was started, in
// preference order; errors.Is and errors.As see through it to each attempt's cause.
type Error struct {
	Attempts []Attempt
}

func (e *Error) Error() string {
	if len(e.Attempts) == 0 {
		return "smtpport: no route was tried"
	}
	var b strings.Builder
	b.WriteString("smtpport: no route worked")
	for i, a := range e.Attempts {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}

// Unwrap returns every attempt's error, so errors.Is(err, ErrAuthFailed) and
// errors.As(err, &certErr) reach the cause on any route.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
	}
	return errs
}

// routeError is an attempt's failure: which sentinel it belongs to, a sanitised sentence
// of our own, and the original cause for errors.As.
type routeError struct {
	kind   error  // one of the sentinels
	detail string // what happened, in our words (already sanitised)
	hint   string // what the user can do, when known
	cause  error  // original error, or nil
	final  bool   // ends negotiation: no other route is tried
	ctxErr error  // the context's cause, when the context ended the attempt
}

func (e *routeError) Error() string {
	var b strings.Builder
	b.WriteString(e.kind.Error())
	if e.detail != "" {
		b.WriteString(": ")
		b.WriteString(e.detail)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(Sanitize(e.cause.Error()))
	}
	if e.hint != "" {
		b.WriteString(" (")
		b.WriteString(e.hint)
		b.WriteString(")")
	}
	if e.ctxErr != nil {
		b.WriteString(" [")
		b.WriteString(e.ctxErr.Error())
		b.WriteString("]")
	}
	return b.String()
}

func (e *routeError) Unwrap() []error {
	errs := []error{e.kind}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	return errs
}

// IsFinal reports whether err ends negotiation instead of moving to the next route:
// certificate failures, authentication failures and suspected tampering.
func IsFinal(err error) bool {
	var re *routeError
	return errors.As(err, &re) && re.final
}

// Sanitize makes server-supplied text safe for an error string or a log line: line
// breaks and tabs become spaces; every other rune that is not graphic (control and
// format characters such as ESC and the bidi overrides, line and paragraph separators,
// private-use and unassigned code points) and invalid UTF-8 become '?'; the text is cut
// at 256 bytes and marked with "…".
func Sanitize(s string) string {
	const max = 256
	var b strings.Builder
	for i, r := range s {
		if i >= max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError || !unicode.IsGraphic(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
