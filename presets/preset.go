// Package presets holds what smtpport knows about mail providers: the submission routes
// each one really offers, in the order smtpport tries them, and the SASL mechanisms it
// accepts. A Preset is a value; changing a copy never changes the table.
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
