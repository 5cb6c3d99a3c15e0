// Package presets holds what smtpport knows about mail providers: the submission routes
// each one really offers, in the order smtpport tries them, and the SASL mechanisms it
// accepts. A Preset is a value, but its Routes and Mechanisms are slices that every copy
// made by assignment shares: change a preset through Clone (Lookup and All return
// clones), never in place. What smtpport relies on is safe either way: Lookup, All and
// Discover read a private table copied at start, and Dial, Negotiate and NewPool copy the
// preset they are given, so a change to a variable reaches neither the table nor a call
// already made.
//
// Pick a preset by variable (Gmail, Office365, SES("eu-west-1") ...), by name with Lookup,
// or from an email address with Discover. Routes follow smtpport's order: 587 STARTTLS,
// 465 implicit TLS, then the provider's alternate ports (2525, 2587, 2465 ...). Port 25
// is never listed: it is for relaying between servers and is blocked on most networks.
// A port appears only when the provider's documentation (or Thunderbird's ISPDB, which
// providers maintain) says it is offered; the Docs field names the source.
package presets

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/smtpport/smtpport/negotiate"
)

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
	// Limits the provider documents for sending; a Pool honours them.
	Limits Limits

	hints []hint // advice for AUTH replies this provider is known to give (Hint)
}

// Limits are a provider's documented sending limits; zero means not documented (no
// limit applied). Source links the provider's page they come from.
type Limits struct {
	MessagesPerMinute     int // per account
	Connections           int // concurrent connections per account
	MessagesPerConnection int // messages before the provider wants a new connection
	Source                string
}

// Standard ports, RFC 6409 and RFC 8314.
const (
	portSubmission  = 587  // STARTTLS
	portSubmissions = 465  // implicit TLS
	portAlternate   = 2525 // STARTTLS; not standard, offered by many relays for blocked networks
)

// Custom is the preset for a server smtpport knows nothing about. host is a host name or
// an IP address, optionally with a port and a security mode, the route syntax the
// smtpport command uses:
//
//	smtp.example.org            587 STARTTLS, 465 implicit TLS, 2525 STARTTLS
//	smtp.example.org/starttls   587 and 2525 STARTTLS
//	smtp.example.org/tls        465 implicit TLS
//	smtp.example.org:2587       2587 STARTTLS (465 alone means implicit TLS, RFC 8314)
//	smtp.example.org:2465/tls   2465 implicit TLS
//	[2001:db8::1]:587           an IPv6 address with a port takes brackets
//
// The preset's Name is the input, host name in lower case. Input Custom cannot read (a
// bad port, an unknown mode, a URL, an email address, spaces or control characters, a
// name DNS cannot hold) gives a preset that can never be dialed: Note says what is wrong,
// and its one route's host says it too, which negotiate.Route.Validate refuses, so Dial
// fails with ErrConfig naming the input before any DNS lookup or connection. Check
// p.Routes[0].Validate() to find out earlier.
//
// Given routes, Custom is a preset named host with exactly those routes, in that order,
// for a server whose ports and modes you know (a private relay, a test server).
func Custom(host string, routes ...negotiate.Route) Preset {
	if len(routes) > 0 {
		return Preset{Name: host, Routes: slices.Clone(routes)}
	}
	name, routes, problem := parseCustom(host)
	if problem != "" {
		return refused("presets.Custom("+shown(host)+")", shown(host), problem)
	}
	p := Preset{Name: name, Routes: routes}
	if known, ok := knownHost(routes[0].Host); ok {
		p.hints = known.hints // a provider's host: its replies mean what they mean there
	}
	return p
}

// parseCustom reads Custom's input into its name and routes, or says what is wrong.
func parseCustom(in string) (name string, routes []negotiate.Route, problem string) {
	s := strings.TrimSpace(in)
	switch {
	case s == "":
		return "", nil, "empty host"
	case strings.Contains(s, "://"):
		return "", nil, "a URL, not a host; write host, host:port or host:port/tls"
	case strings.Contains(s, "@"):
		return "", nil, "an email address, not a host; presets.Discover finds its server"
	case strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == 0x7f || !unicode.IsGraphic(c) }):
		return "", nil, "spaces or control characters in the host"
	}
	addr, mode, hasMode := strings.Cut(s, "/")
	var security negotiate.Security
	if hasMode {
		if err := security.UnmarshalText([]byte(mode)); err != nil {
			return "", nil, "unknown security mode " + shown(mode) + " (want starttls or tls)"
		}
	}
	host, portText, hasPort, problem := splitPort(addr)
	if problem != "" {
		return "", nil, problem
	}
	if problem := hostProblem(host); problem != "" {
		return "", nil, problem
	}
	if ip := net.ParseIP(host); ip == nil {
		host = normalizeHost(host)
	}
	name = host
	if hasPort {
		if portText == "" {
			return "", nil, "empty port after the colon"
		}
		port, err := strconv.Atoi(portText)
		if err != nil || port < 1 || port > 65535 || portText[0] == '+' {
			return "", nil, "port " + shown(portText) + " is not a number from 1 to 65535"
		}
		if !hasMode {
			security = negotiate.STARTTLS
			if port == portSubmissions {
				security = negotiate.ImplicitTLS
			}
		}
		routes = []negotiate.Route{{Host: host, Port: port, Security: security}}
		name = net.JoinHostPort(host, strconv.Itoa(port))
	} else {
		for _, r := range defaultRoutes(host) {
			if !hasMode || r.Security == security {
				routes = append(routes, r)
			}
		}
	}
	if hasMode {
		name += "/" + security.String()
	}
	return name, routes, ""
}

// defaultRoutes are the routes of a host smtpport knows nothing about, in order.
func defaultRoutes(host string) []negotiate.Route {
	return []negotiate.Route{
		starttls(host, portSubmission), implicit(host, portSubmissions), starttls(host, portAlternate),
	}
}

// splitPort separates "host:port", "[v6]:port", "[v6]" and a bare IPv6 address.
func splitPort(addr string) (host, port string, hasPort bool, problem string) {
	switch {
	case strings.HasPrefix(addr, "["):
		if strings.HasSuffix(addr, "]") {
			return addr[1 : len(addr)-1], "", false, ""
		}
		h, p, err := net.SplitHostPort(addr)
		if err != nil {
			return "", "", false, "cannot read " + shown(addr) + " as [address]:port"
		}
		return h, p, true, ""
	case strings.Count(addr, ":") == 1:
		h, p, _ := net.SplitHostPort(addr)
		return h, p, true, ""
	case strings.Contains(addr, ":"):
		if net.ParseIP(addr) == nil {
			return "", "", false, "too many colons; an IPv6 address with a port takes brackets: [2001:db8::1]:587"
		}
	}
	return addr, "", false, ""
}

// hostProblem says why host is neither an IP address nor a DNS name (RFC 1035 lengths;
// letters, digits, hyphens and underscores, as /etc/hosts and internal zones use), or "".
func hostProblem(host string) string {
	if host == "" {
		return "empty host"
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	name := strings.TrimSuffix(host, ".")
	if len(name) > 253 {
		return "host name longer than 253 bytes"
	}
	for _, label := range strings.Split(name, ".") {
		switch {
		case label == "":
			return "empty label in host name " + shown(host)
		case len(label) > 63:
			return "label longer than 63 bytes in host name " + shown(host)
		case label[0] == '-' || label[len(label)-1] == '-':
			return "label starts or ends with a hyphen in host name " + shown(host)
		}
		for _, c := range label {
			if c > 0x7f {
				return "non-ASCII host name " + shown(host) + "; give its xn-- form"
			}
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "character " + shown(string(c)) + " not allowed in host name " + shown(host)
			}
		}
	}
	return ""
}

// refused is the preset Custom and SES return for input they cannot use. call names the
// function and its input, as the Dial error should; problem says what is wrong. The one
// route's host is that sentence: it has spaces, so negotiate.Route.Validate refuses it
// and Dial fails with ErrConfig before any DNS lookup or connection. Note holds problem.
func refused(call, name, problem string) Preset {
	return Preset{
		Name:   name,
		Routes: []negotiate.Route{{Host: call + " refused: " + problem, Port: portSubmission, Security: negotiate.STARTTLS}},
		Note:   problem,
	}
}

// shown is input fit to quote in an error: control characters escaped, at most 64 bytes.
func shown(s string) string {
	const max = 64
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	if len(q) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = q[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return q
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
