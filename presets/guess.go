package presets

import (
	"context"
	"fmt"

	"github.com/smtpport/smtpport/negotiate"
)

// discoverGuess is the last resort: smtp.<domain>, then mail.<domain>, each with the
// default routes (587 STARTTLS, 465 implicit TLS, 2525 STARTTLS). Nothing is probed here;
// negotiation finds out which route answers. Both hosts are inside the domain, so the
// guess is trusted: TLS verification still has to pass for each host.
func discoverGuess(_ context.Context, t target) (Discovered, error) {
	var routes []negotiate.Route
	for _, host := range []string{"smtp." + t.domain, "mail." + t.domain} {
		if _, err := checkHost(host); err != nil { // a 249-byte domain leaves no room for "smtp."
			return Discovered{}, fmt.Errorf("%w: cannot guess: %w", ErrNotFound, err)
		}
		routes = append(routes, Custom(host).Routes...)
	}
	return Discovered{
		Preset:   Preset{Name: t.domain, Routes: routes, Username: "usually the full address", Note: "guessed, not advertised by the domain"},
		Evidence: "guessed smtp." + t.domain + " and mail." + t.domain,
		Trusted:  true,
	}, nil
}
