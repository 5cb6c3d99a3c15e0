// Package presets holds what smtpport knows about mail providers: the submission routes
// each one really offers, in the order smtpport tries them, and the SASL mechanisms it
// accepts. A Preset is a value; changing a copy never changes the table.
//
// Pick a preset by variable (Gmail, Office365, SES("eu-west-1") ...), by name with Lookup,
// or from an email address with Discover. Routes follow smtpport's order: 587 STARTTLS,
// 465 implicit TLS, then the provider's alternate ports (2525, 2587, 2465 ...). Port 25
// is never listed: it is for relaying between servers and is blocked on most networks.
// A port appears only when the provider's documentation (or Thunderbird's ISPDB, which
// providers maintain) says it is offered; the Docs field names the source.
package presets

import "github.com/smtpport/smtpport/negotiate"

// Preset describes one provider's submission service.
type Preset struct {
	// Name is the preset's canonical name, e.g. "gmail"; it also keys route memory.
	Name string
	// Routes in the order they are tried.
	Routes []negotiate.Route
	// Mechanisms, when not empty, are the only SASL mechanisms the provider accepts
	// (EHLO names, e.g. "LOGIN", "XOAUTH2"); the negotiator never offers others even if
	// the server advertises them.
	Mechanisms []string
	// Username says what the provider expects as the user name.
	Username string
	// Docs links the provider's own documentation for SMTP submission.
	Docs string
	// Note is a one-line caveat users hit (app passwords, tenant switches...).
	Note string
	// Untrusted is set by Discover when a route's host came from unauthenticated DNS or
	// HTTP and is neither inside the address's domain nor a known provider host. smtpport
	// refuses such a preset unless the caller passes smtpport.WithUntrustedDiscovery.
	Untrusted bool
}

// Standard ports, RFC 6409 and RFC 8314.
const (
	PortSubmission  = 587  // STARTTLS
	PortSubmissions = 465  // implicit TLS
	PortAlternate   = 2525 // STARTTLS; not standard, offered by many relays for blocked networks
)

// Custom is the default order for a host smtpport knows nothing about: 587 STARTTLS,
// 465 implicit TLS, 2525 STARTTLS.
func Custom(host string) Preset {
	return Preset{
		Name: host,
		Routes: []negotiate.Route{
			{Host: host, Port: PortSubmission, Security: negotiate.STARTTLS},
			{Host: host, Port: PortSubmissions, Security: negotiate.ImplicitTLS},
			{Host: host, Port: PortAlternate, Security: negotiate.STARTTLS},
		},
	}
}

// Clone returns a deep copy, so callers can change routes without touching the table.
func (p Preset) Clone() Preset {
	p.Routes = append([]negotiate.Route(nil), p.Routes...)
	p.Mechanisms = append([]string(nil), p.Mechanisms...)
	return p
}

func starttls(host string, port int) negotiate.Route {
	return negotiate.Route{Host: host, Port: port, Security: negotiate.STARTTLS}
}

func implicit(host string, port int) negotiate.Route {
	return negotiate.Route{Host: host, Port: port, Security: negotiate.ImplicitTLS}
}
