package presets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
)

// srvServices are looked up in this order: implicit TLS first, as RFC 8314 §5.1 prefers.
var srvServices = []struct {
	service  string
	security negotiate.Security
}{
	{"submissions", negotiate.ImplicitTLS}, // RFC 8314
	{"submission", negotiate.STARTTLS},     // RFC 6186
}

// discoverSRV reads _submissions._tcp and _submission._tcp SRV records. Records are
// ordered by priority, then heavier weight first; a target of "." means the domain
// decidedly does not offer the service (RFC 2782). When the best target is a known
// provider's host, that provider's preset is returned; otherwise a preset of the records'
// routes, trusted only if every target is inside the domain or a known provider's.
func discoverSRV(ctx context.Context, t target) (Discovered, error) {
	var (
		routes   []negotiate.Route
		evidence []string
		errs     []error
		bad      dropped
	)
	for _, svc := range srvServices {
		_, addrs, err := t.cfg.resolver.LookupSRV(ctx, svc.service, "tcp", t.domain)
		name := "_" + svc.service + "._tcp." + t.domain
		if ctx.Err() != nil { // the step timed out or Discover decided: keep what was found
			errs = append(errs, fmt.Errorf("SRV %s: %w", name, ctx.Err()))
			break
		}
		if err != nil {
			// net.Resolver returns the valid records together with an error for invalid ones.
			errs = append(errs, fmt.Errorf("SRV %s: %w", name, err))
		}
		for _, srv := range sortSRV(addrs) {
			host, err := checkHost(srv.Target)
			if err != nil {
				bad.add("SRV "+name, err)
				continue
			}
			r := negotiate.Route{Host: host, Port: int(srv.Port), Security: svc.security}
			if err := r.Validate(); err != nil {
				bad.add("SRV "+name, fmt.Errorf("target %s: port %d out of range", host, srv.Port))
				continue
			}
			if slices.Contains(routes, r) {
				continue
			}
			routes = append(routes, r)
			evidence = append(evidence, fmt.Sprintf("%s SRV %d %d %d %s", name, srv.Priority, srv.Weight, srv.Port, host))
		}
	}
	if len(routes) == 0 {
		if bad.count > 0 {
			errs = append(errs, errors.New(bad.String()))
		}
		errs = append(errs, ErrNotFound)
		return Discovered{}, fmt.Errorf("SRV %s: %w", t.domain, errors.Join(errs...))
	}
	return routesFound(t, routes, withDropped(strings.Join(evidence, "; "), &bad)), nil
}

// sortSRV drops nil and "." records and orders the rest by priority, heavier weight
// first, deterministically (net.Resolver already shuffles by weight; a fake may not).
func sortSRV(addrs []*net.SRV) []*net.SRV {
	out := make([]*net.SRV, 0, len(addrs))
	for _, a := range addrs {
		if a != nil && normalizeHost(a.Target) != "" {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b *net.SRV) int {
		if a.Priority != b.Priority {
			return int(a.Priority) - int(b.Priority)
		}
		return int(b.Weight) - int(a.Weight)
	})
	return out
}

// routesFound turns discovered routes into an answer: the known provider's preset when
// the first route's host is one (its data is authoritative), else a preset named after
// the domain with the routes as found.
func routesFound(t target, routes []negotiate.Route, evidence string) Discovered {
	if p, ok := knownHost(routes[0].Host); ok {
		return Discovered{Preset: p, Evidence: evidence, Trusted: true}
	}
	trusted := true
	for _, r := range routes {
		trusted = trusted && t.trusted(r.Host)
	}
	return Discovered{
		Preset:   Preset{Name: t.domain, Routes: routes, Username: "as the domain's administrator says (usually the full address)"},
		Evidence: evidence,
		Trusted:  trusted,
	}
}
