package negotiate

import (
	"crypto/tls"
	"time"

	"github.com/smtpport/smtpport/internal/safetext"
)

// Trace receives events as each route is negotiated, in the style of net/http/httptrace:
// for metrics, tracing and live progress. Any field may be nil. Routes run concurrently,
// so the functions must be safe for concurrent use; the events of one route come in
// order, from that route's goroutine, and must not block. Server text is sanitised.
type Trace struct {
	// Stage is called as a route enters a stage.
	Stage func(r Route, s Stage)
	// Connected is called when a route's TCP connect ends: err is nil when it is up.
	Connected func(r Route, took time.Duration, err error)
	// Greeting is called with the first line of the server's 220 greeting when it was
	// read in the clear; over implicit TLS net/smtp reads it and text is "".
	Greeting func(r Route, text string)
	// EHLO is called with the extensions an EHLO reply offered (upper-case keyword to
	// parameters; the keywords smtpport knows, see knownExtensions), before or over TLS.
	EHLO func(r Route, ext map[string]string, overTLS bool)
	// TLS is called when a TLS handshake ends. cs carries the server's certificates even
	// when verification failed (err is then a *tls.CertificateVerificationError).
	TLS func(r Route, cs tls.ConnectionState, err error)
	// Done is called once per started route with its final record: for the winner, after
	// authentication; in a probe (Config.Probe), as each route ends, a ready one's once
	// the race is decided.
	Done func(a Attempt)
}

func (t *Trace) stage(r Route, s Stage) {
	if t != nil && t.Stage != nil {
		t.Stage(r, s)
	}
}

func (t *Trace) connected(r Route, took time.Duration, err error) {
	if t != nil && t.Connected != nil {
		t.Connected(r, took, err)
	}
}

func (t *Trace) greeting(r Route, text string) {
	if t != nil && t.Greeting != nil {
		t.Greeting(r, safetext.Clean(text))
	}
}

func (t *Trace) tls(r Route, cs tls.ConnectionState, err error) {
	if t != nil && t.TLS != nil {
		t.TLS(r, cs, err)
	}
}

func (t *Trace) done(a Attempt) {
	if t != nil && t.Done != nil {
		t.Done(a)
	}
}

func (t *Trace) wantsEHLO() bool { return t != nil && t.EHLO != nil }
