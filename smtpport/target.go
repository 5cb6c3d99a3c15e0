package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// target is what a TARGET argument of probe or send resolved to.
type target struct {
	name       string // as typed
	kind       string // "preset", "host", "address" or "routes"
	preset     presets.Preset
	candidates []candidate
	// untrusted: discovery found hosts outside the address's domain; --auth refuses them.
	untrusted bool
	note      string // how the target was resolved, printed above the report
	// suggestion is the preset a host that does not resolve may have been meant to be.
	suggestion string
}

// resolveTarget turns TARGET arguments into a preset and candidate routes. One argument
// may be a preset name, alias or host (presets.Lookup), an email address (discovery),
// or a route; several arguments are routes, tried in the order given. A route is what
// presets.Custom reads: host, host:port, host/security or host:port/security.
func resolveTarget(ctx context.Context, args []string, opts ...presets.DiscoverOption) (target, error) {
	if len(args) != 1 {
		return resolveRoutes(args)
	}
	name := args[0]
	if p, ok := presets.Lookup(name); ok {
		t := presetTarget(name, "preset", p)
		if isHostOf(name, p) && len(p.Routes) > 0 {
			t.note = fmt.Sprintf("%s is a host of the %s preset: %s", hostName(name), p.Name, plural(len(p.Routes), "route"))
		}
		return t, nil
	}
	if problem := sesProblem(name); problem != "" {
		return target{}, usage{errors.New(problem)}
	}
	if strings.Contains(name, "@") && !strings.Contains(name, "/") {
		d, err := presets.Discover(ctx, name, opts...)
		if err != nil {
			return target{}, fmt.Errorf("discovery for %s: %w", name, err)
		}
		t := presetTarget(name, "address", d.Preset)
		t.untrusted = !d.Trusted
		t.note = fmt.Sprintf("Discovered %s for %s by %s: %s", presetHosts(d.Preset), name, d.Source, d.Evidence)
		if t.untrusted {
			t.note += " (outside the address's domain: not trusted with credentials)"
		}
		return t, nil
	}
	return resolveRoutes(args)
}

// resolveRoutes reads each argument with presets.Custom. A single bare host that is not
// a known provider's is kind "host": its default routes, plus port 25 for information.
// When every host belongs to one known preset, that preset's name, mechanisms and advice
// come along with the routes given.
func resolveRoutes(args []string) (target, error) {
	t := target{name: strings.Join(args, " "), kind: "routes"}
	for _, a := range args {
		if p, ok := presets.Lookup(a); ok {
			if !isHostOf(a, p) {
				return target{}, usage{fmt.Errorf("one TARGET at a time (or several routes), got preset %q among %q", a, args)}
			}
			t.preset.Routes = append(t.preset.Routes, p.Routes...)
			continue
		}
		p := presets.Custom(a)
		if err := validRoutes(p); err != nil {
			if len(args) == 1 {
				return target{}, usage{fmt.Errorf("%q is not a preset, an address or a host name: %s", a, p.Note)}
			}
			return target{}, usage{fmt.Errorf("route %q: %s", a, p.Note)}
		}
		t.preset.Routes = append(t.preset.Routes, p.Routes...)
	}
	if len(t.preset.Routes) == 0 {
		return target{}, usage{errors.New("no routes given")}
	}
	t.preset.Name = t.preset.Routes[0].Host
	if known, ok := onePreset(t.preset.Routes); ok {
		routes := t.preset.Routes
		t.preset = known
		t.preset.Routes = routes
	}
	for _, r := range t.preset.Routes {
		if !slices.ContainsFunc(t.candidates, func(c candidate) bool { return c.route == r }) {
			t.candidates = append(t.candidates, candidate{route: r, dial: true}) // a route once
		}
	}
	if host := t.preset.Routes[0].Host; len(args) == 1 && slices.Equal(t.preset.Routes, presets.Custom(host).Routes) {
		// A bare host of no known provider: say what the name may have meant, and show
		// port 25, which the articles about blocked ports are about.
		t.kind = "host"
		t.candidates = append(t.candidates, candidate{route: negotiate.Route{Host: host, Port: portRelay, Security: negotiate.STARTTLS}})
		if t.suggestion = suggest(args[0]); t.suggestion != "" && !strings.Contains(host, ".") {
			t.note = fmt.Sprintf("%s is not a preset (did you mean %s?): probing it as a host name", host, t.suggestion)
		}
	}
	return t, nil
}

func presetTarget(name, kind string, p presets.Preset) target {
	t := target{name: name, kind: kind, preset: p}
	for _, r := range p.Routes {
		t.candidates = append(t.candidates, candidate{route: r, dial: true})
	}
	return t
}

// isHostOf reports whether name is one of p's hosts rather than its name or an alias.
func isHostOf(name string, p presets.Preset) bool {
	name = hostName(name)
	return slices.ContainsFunc(p.Routes, func(r negotiate.Route) bool { return r.Host == name })
}

// hostName is a host name as presets compare them: lower case, no root dot.
func hostName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// onePreset returns the known preset every route's host belongs to, if there is one.
func onePreset(routes []negotiate.Route) (presets.Preset, bool) {
	var found presets.Preset
	for i, r := range routes {
		p, ok := presets.Lookup(r.Host)
		if !ok || !isHostOf(r.Host, p) || i > 0 && p.Name != found.Name {
			return presets.Preset{}, false
		}
		found = p
	}
	return found, true
}

// validRoutes says why p cannot be dialed: presets.Custom and presets.SES return such a
// preset for input they cannot read, with the reason in Note.
func validRoutes(p presets.Preset) error {
	if len(p.Routes) == 0 {
		return errors.New("no routes")
	}
	for _, r := range p.Routes {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// sesPrefixes are the spellings presets.Lookup accepts before an SES region.
var sesPrefixes = []string{"ses-", "ses:", "aws-ses-", "amazon-ses-"}

// sesProblem says what is wrong with an SES name Lookup refused ("ses-nowhere"), naming
// the region, or "" when name is not an SES name.
func sesProblem(name string) string {
	lower := strings.ToLower(strings.TrimSpace(name))
	for _, prefix := range sesPrefixes {
		if region, ok := strings.CutPrefix(lower, prefix); ok {
			if p := presets.SES(region); validRoutes(p) != nil {
				return fmt.Sprintf("%q is not an Amazon SES preset: %s (e.g. ses-eu-west-1)", name, p.Note)
			}
		}
	}
	return ""
}

// unknownPreset is the error for a preset name Lookup does not know, with the closest
// name when it looks like a typo.
func unknownPreset(name string) error {
	if problem := sesProblem(name); problem != "" {
		return errors.New(problem)
	}
	if s := suggest(name); s != "" {
		return fmt.Errorf("unknown preset %q; did you mean %s? ('smtpport presets' lists them)", name, s)
	}
	return fmt.Errorf("unknown preset %q; 'smtpport presets' lists them", name)
}

// usage marks an error as the user's mistake: exit code 2.
type usage struct{ err error }

func (u usage) Error() string { return u.err.Error() }
func (u usage) Unwrap() error { return u.err }
