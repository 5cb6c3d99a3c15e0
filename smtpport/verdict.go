package main

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
)

// verdict is the probe's answer: the route Dial would choose, or why there is none.
type verdict struct {
	choice *negotiate.Route
	line   string // one line, printed after "Verdict: "
}

// decide predicts Dial from the reports, which are in the candidates' order: the first
// Dial route in preference order that reached verified TLS, unless a more preferred
// route failed in a way that ends negotiation (a bad certificate, tampering): Dial
// stops there and tries nothing else.
func decide(t target, reps []negotiate.RouteReport) verdict {
	var before []string
	for i, c := range t.candidates {
		if !c.dial {
			continue
		}
		r := reps[i]
		if r.Ready() {
			route := r.Route
			line := fmt.Sprintf("Dial would use %s: the most preferred route that reached verified %s", route, tls.VersionName(r.TLS.Version))
			if len(before) > 0 {
				line += " (" + strings.Join(before, "; ") + ")"
			}
			if len(r.Mechanisms()) == 0 {
				line += "; it offers no AUTH after TLS, so credentials cannot be used there"
			}
			return verdict{choice: &route, line: line + "."}
		}
		if negotiate.IsFinal(r.Err) {
			return verdict{line: fmt.Sprintf("no route: Dial stops at %s, %s: %s; after that it trusts no other port of this server.",
				r.Route, statusPhrase(r), summary(r))}
		}
		before = append(before, shortRoute(r.Route)+": "+statusPhrase(r))
	}
	line := "no route works"
	if len(before) > 0 {
		line += " (" + strings.Join(before, "; ") + ")"
	}
	return verdict{line: line + ": " + advice(t, reps) + "."}
}

// advice says what the failures have in common and what to try.
func advice(t target, reps []negotiate.RouteReport) string {
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
