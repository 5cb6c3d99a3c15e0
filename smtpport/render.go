package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/smtpport/smtpport/negotiate"
)

// keyExtensions are the EHLO extensions a sender cares about; the report says when
// one is missing.
var keyExtensions = []string{"SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8"}

// renderReport writes the detailed block of every route, in the candidates' order. Every
// line goes through sayf: greetings, EHLO keywords, certificate names and errors come
// from the server.
func renderReport(w io.Writer, t target, reps []routeReport, now time.Time) {
	for i, c := range t.candidates {
		r := reps[i]
		fmt.Fprintln(w)
		head := fmt.Sprintf("%s  %s", r.Route, status(r))
		if !c.dial {
			head += "  (relay port, not used by Dial)"
		}
		sayf(w, "%s", head)
		field := func(name, format string, args ...any) {
			sayf(w, "  %-12s %s", name, fmt.Sprintf(format, args...))
		}
		switch r.Connect {
		case connectOpen:
			field("tcp", "open in %s", duration(r.ConnectTime))
		case "":
		default:
			field("tcp", "%s", connectPhrase(r))
		}
		if r.Greeting != "" {
			field("greeting", "%s", r.Greeting)
		}
		if r.Route.Security == negotiate.STARTTLS && r.Extensions != nil {
			if r.STARTTLSOffered {
				field("starttls", "offered")
			} else {
				field("starttls", "NOT offered: this port is plaintext only")
			}
		}
		if r.TLS != nil {
			renderTLS(field, r, now)
		}
		if r.Extensions != nil {
			label := "extensions"
			if r.ExtensionsBeforeTLS {
				label = "ehlo (clear)"
			}
			if m := r.Mechanisms(); len(m) > 0 {
				note := ""
				if r.ExtensionsBeforeTLS {
					note = " (offered without TLS: never used)"
				}
				field("auth", "%s%s", strings.Join(m, " "), note)
			} else if !r.ExtensionsBeforeTLS {
				field("auth", "none offered")
			}
			field(label, "%s", extensionsLine(r))
		}
		if len(r.Stages) > 0 {
			field("timing", "%s", timingLine(r))
		}
		// Refused and blackholed routes are said in full by the tcp line.
		if r.Err != nil && r.Connect != connectRefused && r.Connect != connectNoAnswer {
			field("error", "%s", oneLine(r.Err.Error()))
		}
	}
}

func connectPhrase(r routeReport) string {
	switch r.Connect {
	case connectRefused:
		return "refused after " + duration(r.ConnectTime)
	case connectNoAnswer:
		return "no answer after " + duration(r.ConnectTime) + " (likely blocked by a firewall or ISP)"
	case connectNoHost:
		return "not tried: the host name does not resolve"
	}
	return "failed after " + duration(r.ConnectTime)
}

func renderTLS(field func(string, string, ...any), r routeReport, now time.Time) {
	info := r.TLS
	parts := []string{}
	if info.Version != 0 {
		parts = append(parts, tls.VersionName(info.Version))
	}
	if info.CipherSuite != 0 {
		parts = append(parts, tls.CipherSuiteName(info.CipherSuite))
	}
	if info.Verified {
		parts = append(parts, "verified for "+r.Route.Host)
	} else {
		parts = append(parts, "NOT verified")
	}
	field("tls", "%s", strings.Join(parts, ", "))
	if c := info.Certificate; c != nil {
		field("certificate", "%s, issued by %s", c.Subject, c.Issuer)
		if len(c.DNSNames) > 0 {
			field("", "names %s", strings.Join(safeList(c.DNSNames), " "))
		}
		if len(c.IPAddresses) > 0 {
			field("", "IP addresses %s", strings.Join(safeList(c.IPAddresses), " "))
		}
		field("", "expires %s (%s)", c.NotAfter.UTC().Format("2006-01-02 15:04 MST"), expiry(c.NotAfter, now))
	}
	if info.VerifyError != nil {
		field("verify", "%s", info.VerifyError.Error())
	}
}

// expiry is "in 89 days", "in 23h", or "EXPIRED 3 days ago".
func expiry(t, now time.Time) string {
	d := t.Sub(now)
	ago := d < 0
	if ago {
		d = -d
	}
	var s string
	if d >= 48*time.Hour {
		s = fmt.Sprintf("%d days", int(d.Hours()/24))
	} else {
		s = fmt.Sprintf("%dh", int(d.Hours()))
	}
	if ago {
		return "EXPIRED " + s + " ago"
	}
	return "in " + s
}

// extensionsLine lists the EHLO extensions except AUTH, then the key ones missing.
func extensionsLine(r routeReport) string {
	var have []string
	for _, e := range r.Extensions {
		if e.Keyword == "AUTH" {
			continue
		}
		have = append(have, strings.TrimSpace(e.Keyword+" "+e.Params))
	}
	have = safeList(have)
	var missing []string
	for _, k := range keyExtensions {
		if _, ok := r.Extension(k); !ok {
			missing = append(missing, "no "+k)
		}
	}
	line := strings.Join(have, ", ")
	if len(missing) > 0 {
		line += " (" + strings.Join(missing, ", ") + ")"
	}
	return line
}

// timingLine is "dial 0.3ms, greeting 0.2ms, ... = 3.1ms".
func timingLine(r routeReport) string {
	parts := make([]string, len(r.Stages))
	for i, s := range r.Stages {
		parts[i] = s.Stage + " " + duration(s.Duration)
	}
	return strings.Join(parts, ", ") + " = " + duration(r.Elapsed)
}
