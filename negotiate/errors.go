package negotiate

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"

	"github.com/smtpport/smtpport/internal/safetext"
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
	// injected after the STARTTLS reply, a malformed STARTTLS reply, replies past the size
	// cap). Ends negotiation.
	ErrProtocol = errors.New("protocol violation")
)

// ErrAbandoned marks a route that was still working when another route won or when
// another route's failure ended negotiation.
var ErrAbandoned = errors.New("abandoned")

// Stage is how far an attempt got, as errors print it. A STARTTLS route passes "dial",
// "greeting", "ehlo", "starttls", "tls" (its EHLO comes again over TLS), "auth" and
// "ready"; an implicit-TLS route goes "dial", "tls", "greeting", "ehlo", "auth",
// "ready". Compare with those strings; errors.Is on the sentinels says why it stopped.
type Stage string

const (
	stageDial     Stage = "dial"
	stageGreeting Stage = "greeting"
	stageEHLO     Stage = "ehlo"
	stageSTARTTLS Stage = "starttls"
	stageTLS      Stage = "tls"
	stageAuth     Stage = "auth"
	stageReady    Stage = "ready"
)

// Attempt records what happened on one route: the last stage reached, the time from the
// start of the attempt, and the cause when it failed (nil for the winner).
type Attempt struct {
	Route   Route
	Stage   Stage
	Elapsed time.Duration
	Err     error
	// Offset is when the attempt started, counted from the start of negotiation: the
	// head start shows here (0, 250ms, 500ms...).
	Offset time.Duration
	// Ready is when the route reached verified TLS and its EHLO over TLS, counted from
	// the attempt's start; zero if it never did.
	Ready time.Duration
	// Waited is how long the route, once ready, waited for a more preferred route that
	// was still handshaking (bounded; see the package documentation).
	Waited time.Duration
}

// String is one line: "smtp.gmail.com:587/starttls: failed at dial after 250ms: unreachable: ...".
func (a Attempt) String() string {
	elapsed := a.Elapsed.Round(time.Millisecond)
	switch {
	case a.Err == nil:
		s := fmt.Sprintf("%s: %s after %s", a.Route, a.Stage, elapsed)
		if a.Ready > 0 {
			s += fmt.Sprintf(" (ready after %s", a.Ready.Round(time.Millisecond))
			if a.Waited > 0 {
				s += fmt.Sprintf(", waited %s for a preferred route", a.Waited.Round(time.Millisecond))
			}
			s += ")"
		}
		return s
	case errors.Is(a.Err, ErrAbandoned):
		return fmt.Sprintf("%s: abandoned at %s after %s", a.Route, a.Stage, elapsed)
	}
	return fmt.Sprintf("%s: failed at %s after %s: %v", a.Route, a.Stage, elapsed, a.Err)
}

// Error is returned when negotiation fails. It lists every route that was started, in
// the order tried; errors.Is and errors.As see through it to each attempt's cause.
type Error struct {
	Attempts []Attempt
}

// Error leads with the attempt that ended negotiation when one did (a rejected password
// on a working route is not "no route worked"), and says identical failures once.
func (e *Error) Error() string {
	if len(e.Attempts) == 0 {
		return "smtpport: no route was tried"
	}
	var b strings.Builder
	rest := e.Attempts
	if i := e.decisive(); i >= 0 {
		a := e.Attempts[i]
		fmt.Fprintf(&b, "smtpport: %s: %v", a.Route, a.Err)
		rest = append(append([]Attempt(nil), e.Attempts[:i]...), e.Attempts[i+1:]...)
		if len(rest) == 0 {
			return b.String()
		}
		b.WriteString("; other routes: ")
	} else {
		b.WriteString("smtpport: no route worked: ")
	}
	for i, group := range groupAttempts(rest) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(group)
	}
	return b.String()
}

// decisive is the index of the attempt whose failure ended negotiation, or -1.
func (e *Error) decisive() int {
	for i, a := range e.Attempts {
		if isFinal(a.Err) {
			return i
		}
	}
	return -1
}

// groupAttempts renders attempts, merging those that failed the same way at the same
// stage ("a:587/starttls, a:465/tls: failed at dial: unreachable: ... no such host").
func groupAttempts(attempts []Attempt) []string {
	type group struct {
		routes  []string
		first   Attempt
		elapsed time.Duration
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, a := range attempts {
		if a.Err == nil || errors.Is(a.Err, ErrAbandoned) {
			groups = append(groups, &group{first: a})
			continue
		}
		key := string(a.Stage) + "\x00" + a.Err.Error()
		if g, ok := byKey[key]; ok {
			g.routes = append(g.routes, a.Route.String())
			g.elapsed = max(g.elapsed, a.Elapsed)
			continue
		}
		g := &group{routes: []string{a.Route.String()}, first: a, elapsed: a.Elapsed}
		byKey[key] = g
		groups = append(groups, g)
	}
	out := make([]string, len(groups))
	for i, g := range groups {
		if len(g.routes) <= 1 {
			out[i] = g.first.String()
			continue
		}
		out[i] = fmt.Sprintf("%s: failed at %s after %s: %v", strings.Join(g.routes, ", "), g.first.Stage,
			g.elapsed.Round(time.Millisecond), g.first.Err)
	}
	return out
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
	ctxErr error  // why the attempt's time ran out: the caller's context, or the attempt timeout
}

func (e *routeError) Error() string {
	var b strings.Builder
	b.WriteString(e.kind.Error())
	if e.detail != "" {
		b.WriteString(": ")
		b.WriteString(e.detail)
	}
	var reply *textproto.Error
	switch {
	case errors.As(e.cause, &reply):
		// The server's reply, code once and text unquoted (textproto quotes it).
		fmt.Fprintf(&b, ": %03d %s", reply.Code, safetext.Clean(reply.Msg))
	case e.cause != nil:
		b.WriteString(": ")
		b.WriteString(safetext.Clean(e.cause.Error()))
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

// isFinal reports whether err ends negotiation instead of moving to the next route:
// certificate failures, authentication failures and suspected tampering.
func isFinal(err error) bool {
	var re *routeError
	return errors.As(err, &re) && re.final
}

// attemptTimeout is the cause of an attempt that ran out of its own time
// (Config.AttemptTimeout), as opposed to the caller's context: it is deliberately not
// context.DeadlineExceeded, which would say the caller's deadline passed.
type attemptTimeout time.Duration

// defaultAttemptTimeoutCause is attemptTimeout(defaultAttemptTimeout) boxed once: each
// route and each AUTH would otherwise allocate its cause.
var defaultAttemptTimeoutCause error = attemptTimeout(defaultAttemptTimeout)

func attemptTimeoutCause(d time.Duration) error {
	if d == defaultAttemptTimeout {
		return defaultAttemptTimeoutCause
	}
	return attemptTimeout(d)
}

func (d attemptTimeout) Error() string {
	return "attempt timeout of " + time.Duration(d).String() + " reached"
}
