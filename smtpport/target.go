package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

// portRelay is SMTP's server-to-server port. Probing a host includes it because the
// articles about blocked ports are mostly about it, but Dial never submits on it.
const portRelay = 25

// candidate is one route to probe and whether Dial would use it.
type candidate struct {
	route negotiate.Route
	// dial: the route is in the list Dial gets; false for the informational port 25.
	dial bool
}

// target is what 'smtpport probe TARGET' resolved to.
type target struct {
	name       string // as typed
	kind       string // "preset", "host", "address" or "routes"
	preset     presets.Preset
	candidates []candidate
	// untrusted: discovery found hosts outside the address's domain; --auth refuses them.
	untrusted bool
	note      string // how the target was resolved, printed above the report
}

// resolveTarget turns the probe's arguments into candidate routes: routes when every
// argument is host:port/security, else one argument that is a preset name, an email
// address (discovery) or a host.
func resolveTarget(ctx context.Context, args []string, opts ...presets.DiscoverOption) (target, error) {
	if strings.Contains(args[0], "/") {
		t := target{name: strings.Join(args, " "), kind: "routes"}
		for _, a := range args {
			r, err := negotiate.ParseRoute(a)
			if err != nil {
				return target{}, usage{err}
			}
			t.candidates = append(t.candidates, candidate{route: r, dial: true})
			t.preset.Routes = append(t.preset.Routes, r)
		}
		t.preset.Name = t.candidates[0].route.Host
		return t, nil
	}
	if len(args) > 1 {
		return target{}, usage{fmt.Errorf("one TARGET at a time (or several host:port/security routes), got %q", args)}
	}
	name := args[0]
	if p, ok := presets.Lookup(name); ok {
		return presetTarget(name, "preset", p), nil
	}
	if strings.Contains(name, "@") {
		d, err := presets.Discover(ctx, name, opts...)
		if err != nil {
			return target{}, fmt.Errorf("discovery for %s: %w", name, err)
		}
		t := presetTarget(name, "address", d.Preset)
		t.untrusted = !d.Trusted
		t.note = fmt.Sprintf("Discovered %s for %s by %s: %s", presetHosts(d.Preset), name, d.Source, negotiate.Sanitize(d.Evidence))
		if t.untrusted {
			t.note += " (outside the address's domain: not trusted with credentials)"
		}
		return t, nil
	}
	p := presets.Custom(name)
	t := presetTarget(name, "host", p)
	relay := negotiate.Route{Host: name, Port: portRelay, Security: negotiate.STARTTLS}
	if err := relay.Validate(); err != nil {
		return target{}, usage{fmt.Errorf("%q is not a preset, an address or a host name", name)}
	}
	t.candidates = append(t.candidates, candidate{route: relay})
	return t, nil
}

func presetTarget(name, kind string, p presets.Preset) target {
	t := target{name: name, kind: kind, preset: p}
	for _, r := range p.Routes {
		t.candidates = append(t.candidates, candidate{route: r, dial: true})
	}
	return t
}

// usage marks an error as the user's mistake: exit code 2.
type usage struct{ err error }

func (u usage) Error() string { return u.err.Error() }
func (u usage) Unwrap() error { return u.err }
