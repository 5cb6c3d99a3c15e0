package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile text: terminal escapes (ESC, OSC title, the C1 CSI U+009B), bidi overrides
// and isolates, and a name of 8 KB. None of it may reach the terminal, in text or JSON.
const (
	hostileText = "\x1b[2J\x1b]0;pwned\x07 \u009b31m \u202egnp.exe\u202c \u2066x\u2069"
	escHost     = "\x1b]0;pwned\x07evil.test" // certificates carry ASCII names only
)

var longName = strings.Repeat("a", 8192) + ".example.test"

// hostileRunes are what must never be printed, and an uncut 8 KB name.
var (
	hostileRunes = regexp.MustCompile("[\x1b\u009b\u202a-\u202e\u2066-\u2069\x07\x00]")
	uncutName    = regexp.MustCompile(`a{300}`)
)

// assertSafeOutput checks everything the command wrote. In terminal mode the only
// escapes allowed are the progress lines' own cursor movements.
func assertSafeOutput(t *testing.T, r result, terminal bool) {
	t.Helper()
	for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if terminal && name == "stdout" {
			out = regexp.MustCompile(`\x1b\[[0-9]+A|\r\x1b\[2K`).ReplaceAllString(out, "")
		}
		assert.False(t, hostileRunes.MatchString(out), "%s carries a control or bidi character: %q", name, firstMatch(out))
		assert.False(t, uncutName.MatchString(out), "%s carries an uncut 8 KB name", name)
		for _, l := range strings.Split(out, "\n") {
			assert.Less(t, len(l), 4096, "%s: a line of %d bytes", name, len(l))
		}
	}
}

func firstMatch(s string) string {
	loc := hostileRunes.FindStringIndex(s)
	if loc == nil {
		return ""
	}
	return s[max(loc[0]-40, 0):min(loc[1]+40, len(s))]
}

// assertSafeJSON decodes the output and checks every string in it, keys included.
func assertSafeJSON(t *testing.T, r result) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &v), r.stdout)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case string:
			for _, c := range x {
				if !unicode.IsGraphic(c) {
					assert.Fail(t, "a character that is not graphic in JSON", "%s: %q", path, x)
					break
				}
			}
			assert.False(t, uncutName.MatchString(x), "%s: an uncut 8 KB name", path)
		case []any:
			for i, e := range x {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		}
	}
	walk("", v)
}

// hostileServer is one world whose every route says hostile things in its own way.
func hostileServer(t *testing.T) *world {
	t.Helper()
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	cert, err := ca.Issue([]string{smtptest.DefaultHostname, escHost, longName}, smtptest.CertOptions{})
	require.NoError(t, err)
	greeting := smtptest.Step{Send: smtptest.Reply(220, smtptest.DefaultHostname+" ESMTP "+hostileText)}
	ehlo := smtptest.Step{Expect: "EHLO", Send: smtptest.Reply(250, smtptest.DefaultHostname,
		"X-"+hostileText, "AUTH PLAIN \u202eLOGIN", "SIZE 1\u009b0", "X-LONG-"+longName)}
	return newWorldCA(t, ca,
		// 587: plaintext only, hostile greeting and EHLO keywords (shown from the clear EHLO).
		smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Script: []smtptest.Step{greeting, ehlo}},
		// 465: verified TLS with a certificate whose names are hostile, hostile EHLO after TLS.
		smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, Certificate: &cert,
			Script: []smtptest.Step{{TLS: true}, greeting, ehlo}},
		// 2525: refuses with hostile text.
		smtptest.Endpoint{Port: 2525, Security: negotiate.STARTTLS, Script: []smtptest.Step{
			{Send: smtptest.Reply(554, "5.7.1 "+hostileText+" "+longName), Close: true}}},
	)
}

func TestHostileServerText(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "terminal"}[terminal], func(t *testing.T) {
			w := hostileServer(t)
			r := w.run(t, runOpts{terminal: terminal}, "probe", "--timeout", "5s", "mail.example.test")
			assertSafeOutput(t, r, terminal)
			// The hostile text was there to show: it is shown, defused.
			assert.Contains(t, r.stdout, "greeting     mail.example.test ESMTP ?[2J?]0;pwned? ?31m ?gnp.exe? ?x?")
			assert.Contains(t, r.stdout, "names mail.example.test ?]0;pwned?evil.test "+strings.Repeat("a", maxWord)+"…(")
			assert.Contains(t, r.stdout, "extensions   SIZE 1?0")
			assert.Contains(t, r.stdout, "554 5.7.1 ?[2J?]0;pwned? ?31m ?gnp.exe? ?x? aaaa")
		})
	}
}

func TestHostileServerJSON(t *testing.T) {
	w := hostileServer(t)
	r := w.run(t, runOpts{}, "probe", "--json", "--timeout", "5s", "mail.example.test")
	assertSafeOutput(t, r, false)
	assertSafeJSON(t, r)
	out := decodeProbe(t, r)
	require.Len(t, out.Routes, 4)
	tlsRoute := out.Routes[1]
	require.NotNil(t, tlsRoute.TLS)
	assert.True(t, tlsRoute.TLS.Verified, "the certificate is valid for the route's host")
	assert.Contains(t, tlsRoute.TLS.DNSNames, "?]0;pwned?evil.test")
}

// TestHostileSend: send prints the server's final reply, and errors, defused too.
func TestHostileSend(t *testing.T) {
	w := hostileServer(t)
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"send", "--dry-run", "--user", testUser, "--password-env", passVar, "mail.example.test:2525")
	assert.Equal(t, 1, r.code)
	assertSafeOutput(t, r, false)
	assert.Contains(t, r.stderr, "554")
}

// TestHostileDiscovery: host names and evidence from DNS. Discovery may refuse such names
// or pass them on; either way nothing hostile is printed and nothing is dialed but the
// (refused) names themselves.
func TestHostileDiscovery(t *testing.T) {
	cases := []struct {
		name string
		host string
	}{
		{"bidi and C1 in a discovered host", "mail\u202e\u009b.example.test"},
		{"escape in a discovered host", "mail\x1b[31m.example.test"},
		{"an 8 KB discovered host", longName},
	}
	for _, tc := range cases {
		for _, asJSON := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "", true: " (json)"}[asJSON], func(t *testing.T) {
				w := newWorld(t)
				for _, port := range []int{587, 465} {
					w.dialer.Set(net.JoinHostPort(tc.host, strconv.Itoa(port)), netsim.Refuse)
				}
				dns := fakeDNS(map[string]string{"submission": net.JoinHostPort(tc.host, "587"), "submissions": net.JoinHostPort(tc.host, "465")})
				args := []string{"probe", "--timeout", "3s", "alice@example.test"}
				if asJSON {
					args = append(args[:1], append([]string{"--json"}, args[1:]...)...)
				}
				r := w.runDiscover(t, dns, args...)
				assert.NotEqual(t, 0, r.code, "no route works")
				assertSafeOutput(t, r, false)
				if asJSON && r.stdout != "" {
					assertSafeJSON(t, r)
				}
				assert.Zero(t, w.dialer.Dials(w.srv.RouteAddr(587))+w.dialer.Dials(w.srv.RouteAddr(465)), "only the discovered host is tried")
			})
		}
	}
}

// TestHostileTyped: a user-typed name with such characters is refused, defused.
func TestHostileTyped(t *testing.T) {
	for _, args := range [][]string{
		{"probe", "mail" + hostileText},
		{"probe", longName + ":587"},
		{"presets", "gmail" + hostileText},
		{"send", "--user", "u", "--password-env", passVar, "--dry-run", "bad\u202ehost"},
		{"send", "--user", "u", "--password-env", passVar, "--dry-run", "--preset", longName},
	} {
		w := newWorld(t)
		r := w.run(t, runOpts{env: map[string]string{passVar: testPass}}, args...)
		assert.Equal(t, 2, r.code, "%q: %s", args, r.stderr)
		assertSafeOutput(t, r, false)
		assert.Zero(t, w.dialer.TotalDials())
	}
}

// hostileReport is a probe report as an engine that sanitised nothing would return it:
// the command must make it safe on its own, at the point of printing.
func hostileReport(port int) routeReport {
	host := "mail\u202e" + hostileText + ".example.test"
	return routeReport{
		Route:    negotiate.Route{Host: host, Port: port, Security: negotiate.ImplicitTLS},
		Connect:  connectOpen,
		Greeting: "220 " + hostileText + " " + longName,
		started:  true,
		TLS: &tlsInfo{Version: 0x0304, Certificate: &certificate{
			Subject: "CN=" + hostileText, Issuer: "CN=" + longName, DNSNames: []string{escHost, longName},
		}, VerifyError: errors.New("x509: certificate is valid for " + escHost + ", " + longName)},
		Extensions: []extension{{Keyword: "X-" + hostileText}, {Keyword: "AUTH", Params: "PLAIN \u202eLOGIN"}, {Keyword: "SIZE", Params: longName}},
		Stage:      hostileText,
		Stages:     []stageTime{{Stage: hostileText}},
		Err:        fmt.Errorf("%w: %s %s", negotiate.ErrCertificate, hostileText, longName),
	}
}

func TestRenderDefusesWhatTheEngineGives(t *testing.T) {
	reps := []routeReport{hostileReport(465), hostileReport(2465)}
	reps[1].Route.Host = "other" + hostileText
	tg := target{name: "t", candidates: []candidate{{route: reps[0].Route, dial: true}, {route: reps[1].Route, dial: true}}}

	var text bytes.Buffer
	renderReport(&text, tg, reps, time.Now())
	prog := newProgress(&text, false, tg)
	for i, r := range reps {
		prog.finished(i, r)
	}
	prog.close()
	v := decide(tg, probeRun{reps: reps, err: &negotiate.Error{Attempts: []negotiate.Attempt{
		{Route: reps[0].Route, Err: reps[0].Err}, {Route: reps[1].Route, Err: reps[1].Err}}}})
	sayf(&text, "Verdict: %s", v.line)
	assertSafeOutput(t, result{stdout: text.String()}, false)
	assert.Contains(t, text.String(), "?gnp.exe?", "shown, defused")

	js, err := json.MarshalIndent(toJSONProbe(tg, reps, v), "", "  ")
	require.NoError(t, err)
	assertSafeOutput(t, result{stdout: string(js)}, false)
	assertSafeJSON(t, result{stdout: string(js)})
}
