package negotiate

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/smtpport/smtpport/internal/safetext"
)

// Security is how a route reaches TLS.
type Security int

const (
	// STARTTLS connects in the clear and upgrades with the STARTTLS command (RFC 3207);
	// the upgrade is mandatory, never opportunistic.
	STARTTLS Security = iota
	// ImplicitTLS starts TLS at connect time, before the greeting (RFC 8314).
	ImplicitTLS
)

// String returns "starttls" or "tls".
func (s Security) String() string {
	switch s {
	case STARTTLS:
		return "starttls"
	case ImplicitTLS:
		return "tls"
	}
	return "security(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes s as its String form, so routes read well in JSON.
func (s Security) MarshalText() ([]byte, error) {
	if s != STARTTLS && s != ImplicitTLS {
		return nil, fmt.Errorf("smtpport: unknown security %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts "starttls", "tls", and the common aliases "ssl" and "implicit".
func (s *Security) UnmarshalText(b []byte) error {
	v, err := parseSecurity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// parseSecurity reads a security mode name, case-insensitively.
func parseSecurity(name string) (Security, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "starttls":
		return STARTTLS, nil
	case "tls", "ssl", "implicit", "implicit-tls", "smtps":
		return ImplicitTLS, nil
	}
	return 0, fmt.Errorf("smtpport: unknown security %q (want starttls or tls)", name)
}

// Route is one way to reach a submission server: a host, a port and how TLS starts.
type Route struct {
	Host     string
	Port     int
	Security Security
}

// String returns the route as "host:port/security", e.g. "smtp.gmail.com:587/starttls".
func (r Route) String() string {
	return r.addr() + "/" + r.Security.String()
}

// addr returns "host:port" for dialing.
func (r Route) addr() string {
	return net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
}

// Validate reports whether the route can be dialed: a host that is a DNS name or an IP
// address (ASCII letters, digits, '.', '-', '_' and an IPv6 address's ':'; at most 253
// bytes; internationalised names in their xn-- form), a port in 1..65535 and a known
// security mode. A host that fails is shown sanitised and cut short in the error.
func (r Route) Validate() error {
	if !validHost(r.Host) {
		return fmt.Errorf("route host %q is not a host name or IP address", shortText(r.Host, 256))
	}
	if r.Port < 1 || r.Port > 65535 {
		return fmt.Errorf("route %s: port %d out of range", r.Host, r.Port)
	}
	if r.Security != STARTTLS && r.Security != ImplicitTLS {
		return fmt.Errorf("route %s: unknown security %d", r.addr(), int(r.Security))
	}
	return nil
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

// shortText is s sanitised and cut to about max bytes.
func shortText(s string, max int) string {
	if len(s) > max {
		s = s[:max] + "…"
	}
	return safetext.Clean(s)
}

// ParseRoute reads the String form back: "host:port/starttls" or "host:port/tls".
func ParseRoute(s string) (Route, error) {
	addr, sec, ok := strings.Cut(s, "/")
	if !ok {
		return Route{}, fmt.Errorf("smtpport: route %q: want host:port/starttls or host:port/tls", s)
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return Route{}, fmt.Errorf("smtpport: route %q: %w", s, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return Route{}, fmt.Errorf("smtpport: route %q: bad port %q", s, portText)
	}
	security, err := parseSecurity(sec)
	if err != nil {
		return Route{}, err
	}
	r := Route{Host: host, Port: port, Security: security}
	return r, r.Validate()
}
