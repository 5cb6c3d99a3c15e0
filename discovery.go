package smtpport

import (
	"fmt"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

// WithUntrustedDiscovery lets Dial and Negotiate use a preset that presets.Discover
// marked untrusted: its hosts came from unauthenticated DNS or HTTP and lie outside the
// address's domain and every known provider. TLS is still verified for those hosts, but
// a forged SRV record or autoconfig document could name a host the attacker holds a valid
// certificate for, and the credentials would go there. Use it only when the domain's
// administrator really points submission at another organisation's server.
func WithUntrustedDiscovery() Option {
	return func(s *settings) { s.untrustedDiscovery = true }
}

// refuseUntrusted returns an error wrapping negotiate.ErrConfig when p is an untrusted
// discovery result and the caller neither opted in nor replaced its routes.
func refuseUntrusted(p presets.Preset, s *settings) error {
	if !p.Untrusted || s.untrustedDiscovery || s.routesOK {
		return nil
	}
	var hosts []string
	for _, r := range p.Routes {
		hosts = append(hosts, r.Host)
	}
	return fmt.Errorf("smtpport: %w: preset %q was discovered through unauthenticated DNS or HTTP and points outside the address's domain (%s); pass WithUntrustedDiscovery to use it anyway",
		negotiate.ErrConfig, p.Name, strings.Join(hosts, ", "))
}
