package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// verdict is the probe's answer: the route Dial would choose, or why there is none.
type verdict struct {
	choice *negotiate.Route
	line   string // one line, printed after "Verdict: "
}

// decide says what Dial would do, from the engine's answer to the probe: the route the
// race picked (by bounded preference: a ready route waits for a more preferred one only
// for a short grace) and when it would have been picked, or the failure that would end
// Dial, or why no route works.
func decide(t target, run probeRun) verdict {
	reps := run.reps
	var before []string
	if run.result != nil {
		w := slices.IndexFunc(t.candidates, func(c candidate) bool { return c.dial && c.route == run.result.Route })
		if w >= 0 && reps[w].Ready() {
			r := reps[w]
			for i, c := range t.candidates[:w] {
				if c.dial {
					before = append(before, shortRoute(c.route)+": "+lostBecause(reps[i], r))
				}
			}
			route := r.Route
			line := fmt.Sprintf("Dial would use %s after %s%s: verified %s", route, duration(chosenAt(r.Attempt)),
				timeline(r.Attempt, t, w), tls.VersionName(r.TLS.Version))
			if len(before) > 0 {
				line += " (" + strings.Join(before, "; ") + ")"
			}
			if len(r.Mechanisms()) == 0 {
				line += "; it offers no AUTH after TLS, so credentials cannot be used there"
			}
			return verdict{choice: &route, line: line + "."}
		}
	}
	if i := decisive(t, reps); i >= 0 {
		r := reps[i]
		return verdict{line: fmt.Sprintf("no route: Dial stops at %s after %s, %s: %s; after that it trusts no other port of this server.",
			r.Route, duration(r.Attempt.Offset+r.Elapsed), statusPhrase(r), summary(r))}
	}
	for i, c := range t.candidates {
		if c.dial {
			before = append(before, shortRoute(c.route)+": "+statusPhrase(reps[i]))
		}
	}
	line := "no route works"
	if len(before) > 0 {
		line += " (" + strings.Join(before, "; ") + ")"
	}
	return verdict{line: line + ": " + advice(t, reps) + "."}
}

// chosenAt is when Dial would pick the route, from its start: the route's own start
// (its head start), its time to ready, and its wait for a preferred route.
func chosenAt(a negotiate.Attempt) time.Duration { return a.Offset + a.Ready + a.Waited }

// timeline explains chosenAt when there is more to it than the route's own time.
func timeline(a negotiate.Attempt, t target, w int) string {
	if a.Offset < time.Millisecond && a.Waited == 0 {
		return "" // the first route started: its own time is the whole story
	}
	s := fmt.Sprintf(" (started at %s, ready %s later", duration(a.Offset), duration(a.Ready))
	if a.Waited > 0 {
		var waitedFor []string
		for _, c := range t.candidates[:w] {
			if c.dial {
				waitedFor = append(waitedFor, shortRoute(c.route))
			}
		}
		s += fmt.Sprintf(", then waited %s for %s", duration(a.Waited), strings.Join(waitedFor, " or "))
	}
	return s + ")"
}

// lostBecause says why a more preferred route r did not win over the winner w.
func lostBecause(r, w routeReport) string {
	if r.Ready() {
		// Ready, but after the winner was picked: still connecting when the winner was
		// ready, or past its grace.
		return "ready only after " + duration(r.Attempt.Offset+r.Attempt.Ready) + ", too late"
	}
	return statusPhrase(r)
}

// decisive is the Dial route whose failure would end negotiation first (a bad
// certificate, tampering: errors that the engine documents as final), or -1.
func decisive(t target, reps []routeReport) int {
	found := -1
	for i, c := range t.candidates {
		r := reps[i]
		if !c.dial || !r.started || !isFinal(r.Err) {
			continue
		}
		if found < 0 || r.Attempt.Offset+r.Elapsed < reps[found].Attempt.Offset+reps[found].Elapsed {
			found = i
		}
	}
	return found
}

// isFinal reports an attempt error that ends Dial instead of moving to the next route
// (see the sentinels' documentation); a probe sends no credentials, so no AUTH failure.
func isFinal(err error) bool {
	return errors.Is(err, negotiate.ErrCertificate) || errors.Is(err, negotiate.ErrProtocol)
}

// advice says what the failures have in common and what to try.
func advice(t target, reps []routeReport) string {
	blocked, noTLS, noHost := true, false, true
	relayOK := false
	for i, c := range t.candidates {
		s := status(reps[i])
		if !c.dial {
			relayOK = relayOK || s == statusOK || s == statusNoTLS
			continue
		}
		blocked = blocked && (s == statusNoAnswer || s == statusRefused)
		noHost = noHost && s == statusNoHost
		noTLS = noTLS || s == statusNoTLS
	}
	var hints []string
	switch {
	case noHost:
		hints = append(hints, "the host name does not resolve from here; check its spelling and this machine's DNS")
	case blocked:
		hints = append(hints, "the submission ports look blocked from this network (firewall or ISP); try another network, or a provider that offers port 2525")
	case noTLS:
		hints = append(hints, "the server offers no usable TLS on these routes, and smtpport never sends in plaintext")
	default:
		hints = append(hints, "see each route's error above")
	}
	if relayOK {
		hints = append(hints, "port 25 answers, but it is for server-to-server relay and smtpport does not submit there")
	}
	return strings.Join(hints, "; ")
}

// shortRoute is "587/starttls" for the verdict line, where the host is obvious.
func shortRoute(r negotiate.Route) string {
	return strconv.Itoa(r.Port) + "/" + r.Security.String()
}
