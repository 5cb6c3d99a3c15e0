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
	var hosts []string
	for _, mx := range mxs {
		if mx == nil {
			continue
		}
		host := normalizeHost(mx.Host)
		if p, ok := byMX(host); ok {
			return Discovered{Preset: p, Evidence: "MX " + host, Trusted: true}, nil
		}
		hosts = append(hosts, host)
	}
	if len(hosts) == 0 {
		return Discovered{}, fmt.Errorf("MX %s: %w: no MX records", t.domain, ErrNotFound)
	}
	return Discovered{}, fmt.Errorf("MX %s: %w: no known provider among %s", t.domain, ErrNotFound, strings.Join(hosts, ", "))
}
