package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

const probeUsage = `Usage: smtpport probe [flags] TARGET

Races the candidate routes of TARGET as smtpport.Dial would (same head starts, same
bounded preference), runs every route to its end, and reports, for each: whether TCP
connects (open, refused, or no answer: likely blocked by a firewall or ISP, with the time
waited), the server's greeting, the security reached (STARTTLS or implicit TLS), the TLS
version and cipher, the certificate (subject, issuer, names, IP addresses, expiry,
verification), the EHLO extensions (AUTH mechanisms, SIZE, PIPELINING, 8BITMIME, SMTPUTF8)
and the time of each stage. Then one verdict: the route smtpport.Dial would choose and
after how long, or why none works.

It sends EHLO, STARTTLS and QUIT only. Credentials are sent only with --auth, and only
on the chosen route after its TLS is verified.

TARGET is one of:
  gmail                       a preset name or alias (see 'smtpport presets'), or one of
                              its hosts (smtp.gmail.com): the preset's routes
  mail.example.com            a host: ports 587/starttls, 465/tls, 2525/starttls, and 25
                              (for information: port 25 is for relay, Dial never uses it)
  me@example.com              an email address: the server is discovered from DNS
  host:2587 host:2465/tls     routes: host:port (465 is implicit TLS, any other port
                              STARTTLS), host:port/starttls, host:port/tls, host/tls
                              (465) or host/starttls (587, 2525); several routes are
                              tried in the order given. 'smtpport send' takes the same.

Exit status: 0 when a route is usable, 1 when none is, 2 for a usage error.

Examples:
  smtpport probe gmail
  smtpport probe --json mail.example.com
  smtpport probe mail.example.com:2587/starttls mail.example.com:2465/tls
  smtpport probe --ca corp-ca.pem --auth --user me --password-env SMTP_PASSWORD mail.corp.example
`

// probeDefaultTimeout bounds each route. Blackholed ports cost this much, in parallel.
const probeDefaultTimeout = 10 * time.Second

func runProbe(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("probe")
	asJSON := fs.Bool("json", false, "print one JSON object (\"routes\", \"choice\") instead of the report")
	caFile := fs.String("ca", "", "also trust the CA certificates in this PEM `FILE` (a private CA)")
	timeout := fs.Duration("timeout", probeDefaultTimeout, "how long each route may take, connect to QUIT (e.g. 30s)")
	auth := fs.Bool("auth", false, "after probing, authenticate on the chosen route (needs --user and a secret)")
	var creds credFlags
	creds.register(fs)
	rest, help, err := parseArgs(fs, args)
	switch {
	case help:
		printHelp(e.stdout, probeUsage, fs)
		return exitOK
	case err != nil:
		return usageError(e, "probe", err)
	case len(rest) == 0:
		return usageError(e, "probe", errors.New("probe needs a TARGET: a preset name, a host, an email address or routes"))
	case *timeout <= 0:
		return usageError(e, "probe", errors.New("--timeout must be positive"))
	case !*auth && creds.given():
		return usageError(e, "probe", errors.New("credential flags need --auth (a probe sends no credentials otherwise)"))
	}
	var secret credentials
	if *auth {
		if secret, err = creds.resolve(e); err != nil {
			return fail(e, "probe", err)
		}
	}
	tlsCfg, err := tlsConfig(e, *caFile)
	if err != nil {
		return fail(e, "probe", err)
	}
	t, err := resolveTarget(ctx, rest, e.discover...)
	if err != nil {
		return fail(e, "probe", err)
	}
	if *auth && t.untrusted {
		return fail(e, "probe", errors.New("--auth refused: the discovered server is outside the address's domain; name the host or preset instead"))
	}
	settings := connectSettings{tls: tlsCfg, dialer: e.dialer, timeout: *timeout}

	if !*asJSON {
		promise := "EHLO and QUIT only, no credentials"
		if *auth {
			promise = "EHLO and QUIT only"
		}
		routes := plural(len(t.candidates), "route") + " in parallel, up to " + duration(*timeout) + " each"
		if len(t.candidates) == 1 {
			routes = "1 route, up to " + duration(*timeout)
		}
		sayf(e.stdout, "Probing %s: %s (%s)", t.name, routes, promise)
		if t.note != "" {
			sayf(e.stdout, "%s", t.note)
		}
		fmt.Fprintln(e.stdout)
	}
	var prog *progress
	if !*asJSON {
		prog = newProgress(e.stdout, e.terminal, t)
	}
	run := probeAll(ctx, t, settings, prog)
	if prog != nil {
		prog.close()
	}
	v := decide(t, run)
	if t.suggestion != "" && v.choice == nil && allNoHost(t, run.reps) {
		v.line = strings.TrimSuffix(v.line, ".") + "; " + t.suggestion + " is a preset: did you mean 'smtpport probe " + t.suggestion + "'?"
	}

	var authResult *jsonAuth
	if *auth && v.choice != nil {
		authResult, v = authenticate(ctx, t, secret, settings, v)
	}
	if *asJSON {
		out := toJSONProbe(t, run.reps, v)
		out.Auth = authResult
		if code := writeJSON(e, out); code != exitOK {
			return code
		}
	} else {
		renderReport(e.stdout, t, run.reps, time.Now())
		fmt.Fprintln(e.stdout)
		if authResult != nil {
			renderAuth(e, authResult)
		}
		sayf(e.stdout, "Verdict: %s", v.line)
	}
	if v.choice == nil {
		return exitFail
	}
	return exitOK
}

// authenticate runs the real negotiation with credentials on the probed routes and
// replaces the predicted choice with the route that authenticated, or with none.
func authenticate(ctx context.Context, t target, c credentials, s connectSettings, v verdict) (*jsonAuth, verdict) {
	res, err := negotiateWith(ctx, t.preset, c, s)
	if err != nil {
		line := oneLine(err.Error())
		if h := hint(err, t.preset); h != "" {
			line += " (" + h + ")"
		}
		return &jsonAuth{User: safe(c.user), Error: line}, verdict{line: "no route: authentication failed: " + line + "."}
	}
	defer res.Client.Quit()
	route := res.Route
	line := fmt.Sprintf("Dial uses %s: authenticated as %s with %s over verified %s.",
		route, c.user, res.Mechanism, tlsVersion(res))
	return &jsonAuth{OK: true, User: safe(c.user), Mechanism: res.Mechanism}, verdict{choice: &route, line: line}
}

func renderAuth(e *env, a *jsonAuth) {
	if a.OK {
		sayf(e.stdout, "Auth: %s accepted with %s", a.User, a.Mechanism)
		return
	}
	sayf(e.stdout, "Auth: %s failed: %s", a.User, a.Error)
}

// allNoHost reports whether every route Dial would use failed because its host name
// does not resolve.
func allNoHost(t target, reps []routeReport) bool {
	for i, c := range t.candidates {
		if c.dial && reps[i].Connect != connectNoHost {
			return false
		}
	}
	return true
}
