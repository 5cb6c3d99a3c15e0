package smtpport

import "github.com/smtpport/smtpport/negotiate"

// The engine's vocabulary, so a program needs only smtpport and presets.
type (
	// Route is one way to reach a server: host, port and how TLS starts.
	Route = negotiate.Route
	// Result is a negotiated connection and how it was reached (Negotiate).
	Result = negotiate.Result
	// Error is a failed negotiation: every attempt, its stage and its cause.
	Error = negotiate.Error
	// Trace receives each route's events as it is negotiated (WithTrace).
	Trace = negotiate.Trace
)

// How a Route reaches TLS.
const (
	STARTTLS    = negotiate.STARTTLS    // connect in the clear, then STARTTLS (RFC 3207), never optional
	ImplicitTLS = negotiate.ImplicitTLS // TLS from the first byte (RFC 8314), as on port 465
)
