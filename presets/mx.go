package presets

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
)

// discoverMX looks the domain's MX records up and answers when one, in preference order,
// belongs to a known provider: a domain hosted at Google submits through Gmail, one at
// Exchange Online through Office365, and so on. MX data is not authenticated, but the
// answer is always a known provider's own hosts, so it is trusted.
func discoverMX(ctx context.Context, t target) (Discovered, error) {
	mxs, err := t.cfg.resolver.LookupMX(ctx, t.domain)
	// net.Resolver returns the valid records together with an error for invalid ones.
	if err != nil && (len(mxs) == 0 || ctx.Err() != nil) {
		return Discovered{}, fmt.Errorf("MX %s: %w", t.domain, err)
	}
	mxs = slices.Clone(mxs)
	slices.SortStableFunc(mxs, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	var (
		hosts []string
		bad   dropped
	)
	for _, mx := range mxs {
		if mx == nil {
			continue
		}
		host, err := checkHost(mx.Host)
		if err != nil {
			bad.add("MX", err)
			continue
		}
		if p, ok := byMX(host); ok {
			return Discovered{Preset: p, Evidence: withDropped("MX "+host, &bad), Trusted: true}, nil
		}
		hosts = append(hosts, host)
	}
	switch {
	case len(hosts) == 0 && bad.count == 0:
		return Discovered{}, fmt.Errorf("MX %s: %w: no MX records", t.domain, ErrNotFound)
	case len(hosts) == 0:
		return Discovered{}, fmt.Errorf("MX %s: %w: %s", t.domain, ErrNotFound, bad.String())
	}
	return Discovered{}, fmt.Errorf("MX %s: %w: %s", t.domain, ErrNotFound, withDropped("no known provider among "+listHosts(hosts), &bad))
}

// listHosts names up to five hosts, and how many more there were.
func listHosts(hosts []string) string {
	if len(hosts) <= 5 {
		return strings.Join(hosts, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(hosts[:5], ", "), len(hosts)-5)
}

// withDropped appends what was ignored, if anything, to s.
func withDropped(s string, bad *dropped) string {
	if bad.count == 0 {
		return s
	}
	return s + "; " + bad.String()
}
