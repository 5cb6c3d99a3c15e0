package main

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// probeJSON is the wire format of 'smtpport probe --json', written out independently of
// the command's own types so the test checks the contract.
type probeJSON struct {
	Target string `json:"target"`
	Routes []struct {
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Security string `json:"security"`
		Status   string `json:"status"`
		Dial     bool   `json:"dial"`
		TCP      struct {
			Result string  `json:"result"`
			MS     float64 `json:"ms"`
		} `json:"tcp"`
		Greeting string `json:"greeting"`
		STARTTLS *bool  `json:"starttls_offered"`
		TLS      *struct {
			Version     string    `json:"version"`
			Cipher      string    `json:"cipher"`
			Verified    bool      `json:"verified"`
			VerifyError string    `json:"verify_error"`
			Subject     string    `json:"subject"`
			Issuer      string    `json:"issuer"`
			DNSNames    []string  `json:"dns_names"`
			IPAddresses []string  `json:"ip_addresses"`
			NotAfter    time.Time `json:"not_after"`
		} `json:"tls"`
		EHLO *struct {
			BeforeTLS    bool     `json:"before_tls"`
			Extensions   []string `json:"extensions"`
			Auth         []string `json:"auth"`
			Size         string   `json:"size"`
			Pipelining   bool     `json:"pipelining"`
			EightBitMIME bool     `json:"8bitmime"`
			SMTPUTF8     bool     `json:"smtputf8"`
		} `json:"ehlo"`
		Stages []struct {
			Stage string  `json:"stage"`
			MS    float64 `json:"ms"`
		} `json:"stages"`
		Stage   string  `json:"stage"`
		Elapsed float64 `json:"elapsed_ms"`
		Error   string  `json:"error"`
	} `json:"routes"`
	Choice *struct {
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Security string `json:"security"`
	} `json:"choice"`
	Verdict string `json:"verdict"`
	Auth    *struct {
		OK        bool   `json:"ok"`
		User      string `json:"user"`
		Mechanism string `json:"mechanism"`
		Error     string `json:"error"`
	} `json:"auth"`
}

func decodeProbe(t *testing.T, r result) probeJSON {
	t.Helper()
	var out probeJSON
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&out), "stdout: %s", r.stdout)
	assert.False(t, dec.More(), "exactly one JSON object")
	return out
}

// TestProbeRoutes is the table: which route the verdict picks as ports fail.
func TestProbeRoutes(t *testing.T) {
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	wrong, err := smtptest.WrongName.Issue(ca, smtptest.DefaultHostname)
	require.NoError(t, err)

	cases := []struct {
		name       string
		endpoints  []smtptest.Endpoint
		block      map[int]netsim.Behaviour
		args       []string
		wantCode   int
		wantChoice int // port, 0 for none
		wantStatus map[int]string
		verdict    string
		timeout    string // --timeout when not the default for the case
	}{
		{
			name: "all healthy", wantChoice: 587,
			wantStatus: map[int]string{587: "ok", 465: "ok", 2525: "ok", 25: "no-tls"},
			verdict:    "Dial would use mail.example.test:587/starttls",
		},
		{
			name: "587 blackholed", block: map[int]netsim.Behaviour{587: netsim.Blackhole}, wantChoice: 465,
			wantStatus: map[int]string{587: "no-answer", 465: "ok", 2525: "ok"},
			verdict:    "(587/starttls: no answer)",
		},
		{
			name: "587 and 465 blocked", block: map[int]netsim.Behaviour{587: netsim.Blackhole, 465: netsim.Refuse}, wantChoice: 2525,
			wantStatus: map[int]string{587: "no-answer", 465: "refused", 2525: "ok"},
			verdict:    "Dial would use mail.example.test:2525/starttls",
		},
		{
			name:     "everything blocked",
			block:    map[int]netsim.Behaviour{587: netsim.Blackhole, 465: netsim.Blackhole, 2525: netsim.Refuse, 25: netsim.Blackhole},
			wantCode: 1, wantStatus: map[int]string{587: "no-answer", 465: "no-answer", 2525: "refused", 25: "no-answer"},
			verdict: "look blocked from this network",
		},
		{
			name: "bad certificate on the preferred route stops Dial",
			endpoints: []smtptest.Endpoint{
				{Port: 587, Security: negotiate.STARTTLS, Certificate: &wrong},
				{Port: 465, Security: negotiate.ImplicitTLS},
			},
			wantCode: 1, wantStatus: map[int]string{587: "bad-certificate", 465: "ok", 2525: "refused"},
			verdict: "Dial stops at mail.example.test:587/starttls",
		},
		{
			name: "no TLS anywhere",
			endpoints: []smtptest.Endpoint{
				{Port: 587, Security: negotiate.STARTTLS, NoSTARTTLS: true},
				{Port: 465, Security: negotiate.ImplicitTLS, MaxTLSVersion: tls.VersionTLS11},
				{Port: 25, Security: negotiate.STARTTLS, NoSTARTTLS: true},
			},
			wantCode: 1, wantStatus: map[int]string{587: "no-tls", 465: "no-tls", 2525: "refused", 25: "no-tls"},
			verdict: "never sends in plaintext",
		},
		{
			name: "587 stalls after its greeting: 465 after a bounded wait",
			endpoints: []smtptest.Endpoint{
				{Port: 587, Security: negotiate.STARTTLS, Script: []smtptest.Step{smtptest.Greet(), {Hang: true}}},
				{Port: 465, Security: negotiate.ImplicitTLS},
				{Port: 2525, Security: negotiate.STARTTLS},
			},
			timeout: "2s", wantChoice: 465, wantStatus: map[int]string{587: "unreachable", 465: "ok", 2525: "ok"},
			verdict: "then waited ",
		},
		{
			name:       "routes in the order given",
			args:       []string{"mail.example.test:465/tls", "mail.example.test:587/starttls"},
			wantChoice: 465, wantStatus: map[int]string{465: "ok", 587: "ok"},
			verdict: "Dial would use mail.example.test:465/tls",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each blackhole costs the whole timeout
			w := newWorldCA(t, ca, tc.endpoints...)
			for port, b := range tc.block {
				w.block(port, b)
			}
			args := tc.args
			if args == nil {
				args = []string{"mail.example.test"}
			}
			// A blackhole costs the whole timeout; elsewhere give slow CI machines room.
			timeout := "10s"
			for _, b := range tc.block {
				if b == netsim.Blackhole {
					timeout = "3s"
				}
			}
			if tc.timeout != "" {
				timeout = tc.timeout
			}
			r := w.run(t, runOpts{}, append([]string{"probe", "--json", "--timeout", timeout}, args...)...)
			assert.Equal(t, tc.wantCode, r.code, "stderr: %s", r.stderr)
			assert.Empty(t, r.stderr)
			out := decodeProbe(t, r)
			assert.Equal(t, strings.Join(args, " "), out.Target)
			got := map[int]string{}
			for _, route := range out.Routes {
				got[route.Port] = route.Status
				assert.Equal(t, "mail.example.test", route.Host)
				assert.Equal(t, route.Port != 25, route.Dial, "port 25 is probed for information only")
				wantSec := "starttls"
				if route.Port == 465 {
					wantSec = "tls"
				}
				assert.Equal(t, wantSec, route.Security)
				assert.Equal(t, route.Status != "ok", route.Error != "", "an error exactly when not ok")
			}
			for port, want := range tc.wantStatus {
				assert.Equal(t, want, got[port], "port %d", port)
			}
			if tc.wantChoice == 0 {
				assert.Nil(t, out.Choice)
			} else {
				require.NotNil(t, out.Choice)
				assert.Equal(t, "mail.example.test", out.Choice.Host)
				assert.Equal(t, tc.wantChoice, out.Choice.Port)
			}
			assert.Contains(t, out.Verdict, tc.verdict)
			assert.Empty(t, w.srv.AuthCommands(), "a probe sends no credentials")
		})
	}
}

func newWorldCA(t *testing.T, ca *smtptest.CA, endpoints ...smtptest.Endpoint) *world {
	t.Helper()
	if len(endpoints) == 0 {
		endpoints = allPorts()
	}
	srv := smtptest.Start(t, smtptest.Config{CA: ca, Users: map[string]string{testUser: testPass}}, endpoints...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	for _, port := range []int{25, 587, 465, 2525} {
		if !hasPort(endpoints, port) {
			w.block(port, netsim.Refuse)
		}
	}
	return w
}

// TestProbeJSONDetails checks every field of a healthy STARTTLS route, a healthy
// implicit-TLS route, a blackholed route and a plaintext port 25.
func TestProbeJSONDetails(t *testing.T) {
	w := newWorld(t)
	w.block(2525, netsim.Blackhole)
	r := w.run(t, runOpts{}, "probe", "mail.example.test", "--json", "--timeout", "3s")
	require.Equal(t, 0, r.code, r.stderr)
	out := decodeProbe(t, r)
	require.Len(t, out.Routes, 4)
	ports := []int{}
	for _, route := range out.Routes {
		ports = append(ports, route.Port)
	}
	assert.Equal(t, []int{587, 465, 2525, 25}, ports, "preference order, then port 25")

	s := out.Routes[0]
	assert.Equal(t, "open", s.TCP.Result)
	assert.Equal(t, "mail.example.test ESMTP smtptest", s.Greeting)
	require.NotNil(t, s.STARTTLS)
	assert.True(t, *s.STARTTLS)
	require.NotNil(t, s.TLS)
	assert.Equal(t, "TLS 1.3", s.TLS.Version)
	assert.NotEmpty(t, s.TLS.Cipher)
	assert.True(t, s.TLS.Verified)
	assert.Empty(t, s.TLS.VerifyError)
	assert.Equal(t, "CN=mail.example.test", s.TLS.Subject)
	assert.Equal(t, "CN=smtptest CA", s.TLS.Issuer)
	assert.Equal(t, []string{"mail.example.test"}, s.TLS.DNSNames)
	assert.WithinDuration(t, time.Now().Add(23*time.Hour), s.TLS.NotAfter, 2*time.Hour)
	require.NotNil(t, s.EHLO)
	assert.False(t, s.EHLO.BeforeTLS)
	assert.Equal(t, []string{"PLAIN", "LOGIN"}, s.EHLO.Auth)
	assert.Equal(t, "10485760", s.EHLO.Size)
	assert.True(t, s.EHLO.EightBitMIME)
	assert.False(t, s.EHLO.Pipelining)
	assert.False(t, s.EHLO.SMTPUTF8)
	assert.Contains(t, s.EHLO.Extensions, "AUTH PLAIN LOGIN")
	assert.NotContains(t, s.EHLO.Extensions, "STARTTLS", "extensions after TLS")
	var stages []string
	for _, st := range s.Stages {
		stages = append(stages, st.Stage)
		assert.GreaterOrEqual(t, st.MS, 0.0)
	}
	assert.Equal(t, []string{"dial", "greeting", "ehlo", "starttls", "tls", "ehlo"}, stages)
	assert.Positive(t, s.Elapsed)
	assert.Empty(t, s.Error)

	i := out.Routes[1]
	assert.Equal(t, "ok", i.Status)
	assert.Nil(t, i.STARTTLS, "no STARTTLS question on an implicit-TLS route")
	require.NotNil(t, i.TLS)
	assert.True(t, i.TLS.Verified)

	b := out.Routes[2]
	assert.Equal(t, "no-answer", b.Status)
	assert.Equal(t, "no answer", b.TCP.Result)
	assert.Positive(t, b.TCP.MS, "the time waited")
	assert.Nil(t, b.TLS)
	assert.Nil(t, b.EHLO)
	assert.Equal(t, "dial", b.Stage)
	assert.Contains(t, b.Error, "unreachable")

	p := out.Routes[3]
	assert.Equal(t, "no-tls", p.Status)
	assert.False(t, p.Dial)
	require.NotNil(t, p.STARTTLS)
	assert.False(t, *p.STARTTLS)
	require.NotNil(t, p.EHLO)
	assert.True(t, p.EHLO.BeforeTLS, "a plaintext-only port reports its pre-TLS EHLO")
	assert.Empty(t, p.EHLO.Auth)
	assert.Nil(t, p.TLS)

	require.NotNil(t, out.Choice)
	assert.Equal(t, "starttls", out.Choice.Security)
	assert.Nil(t, out.Auth)
}

// TestProbeText checks the report a person reads, in plain and terminal mode.
func TestProbeText(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "terminal"}[terminal], func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.block(587, netsim.Blackhole)
			r := w.run(t, runOpts{terminal: terminal}, "probe", "--timeout", "3s", "mail.example.test")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			out := r.stdout
			for _, want := range []string{
				"Probing mail.example.test: 4 routes in parallel, up to 3s each",
				"no credentials",
				"mail.example.test:587/starttls  no-answer",
				"mail.example.test:465/tls  ok",
				"greeting     mail.example.test ESMTP smtptest",
				"tls          TLS 1.3, ",
				"verified for mail.example.test",
				"certificate  CN=mail.example.test, issued by CN=smtptest CA",
				"auth         PLAIN LOGIN",
				"extensions   8BITMIME, ENHANCEDSTATUSCODES, SIZE 10485760 (no PIPELINING, no SMTPUTF8)",
				"starttls     offered",
				"mail.example.test:25/starttls  no-tls  (relay port, not used by Dial)",
				"starttls     NOT offered",
				"timing       dial ",
			} {
				assert.Contains(t, out, want)
			}
			// 465 starts after 587's head start and wins as soon as it is ready: 587 is
			// still in connect, and a ready route never waits for one in connect.
			assert.Regexp(t, `Verdict: Dial would use mail.example.test:465/tls after [0-9.]+m?s \(started at [0-9.]+ms, ready [0-9.µ]+m?s later\): verified TLS 1.3 \(587/starttls: no answer\).\n$`, out)
			assert.Regexp(t, `tcp          no answer after [0-9.]+m?s \(likely blocked by a firewall or ISP\)`, out)
			assert.Regexp(t, `(\n|\x1b\[2K)  587/starttls   no-answer   no answer in [0-9.]+m?s: blocked by a firewall or ISP\?\n`, out)
			assert.Regexp(t, `(\n|\x1b\[2K)  465/tls        ok          verified TLS 1.3, AUTH PLAIN LOGIN, [0-9.]+m?s\n`, out)
			assert.True(t, strings.HasSuffix(out, ".\n"), "the verdict is the last line")
			if terminal {
				assert.Contains(t, out, "\x1b[4A", "redraws move up over the four route lines")
				assert.Contains(t, out, "\r\x1b[2K")
			} else {
				assert.NotContains(t, out, "\x1b[", "no escape codes when stdout is not a terminal")
				assert.Equal(t, 1, strings.Count(out, "  587/starttls   no-answer   "), "one plain line per route")
			}
		})
	}
}

func TestProbeAuth(t *testing.T) {
	cases := []struct {
		name     string
		pass     string
		wantCode int
		wantAuth bool
	}{
		{name: "accepted", pass: testPass, wantAuth: true},
		{name: "rejected", pass: "wrong", wantCode: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.run(t, runOpts{env: map[string]string{passVar: tc.pass}},
				"probe", "--json", "--auth", "--user", testUser, "--password-env", passVar, "mail.example.test")
			assert.Equal(t, tc.wantCode, r.code, r.stderr)
			out := decodeProbe(t, r)
			require.NotNil(t, out.Auth)
			assert.Equal(t, tc.wantAuth, out.Auth.OK)
			assert.Equal(t, testUser, out.Auth.User)
			auths := w.srv.AuthCommands()
			require.Len(t, auths, 1, "credentials go out once, on the chosen route")
			assert.Equal(t, 587, auths[0].Port)
			assert.True(t, auths[0].TLS)
			assert.NotContains(t, r.stdout, tc.pass)
			if tc.wantAuth {
				assert.Equal(t, "PLAIN", out.Auth.Mechanism)
				require.NotNil(t, out.Choice)
				assert.Equal(t, 587, out.Choice.Port)
				assert.Contains(t, out.Verdict, "authenticated as "+testUser+" with PLAIN")
			} else {
				assert.Nil(t, out.Choice)
				assert.Contains(t, out.Auth.Error, "authentication failed")
				assert.Contains(t, out.Auth.Error, "hint:")
			}
		})
	}
}

func TestProbeUsage(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		stdout   string
		stderr   string
	}{
		{name: "no command", args: []string{}, wantCode: 2, stderr: "Usage:"},
		{name: "help", args: []string{"--help"}, stdout: "smtpport probe TARGET"},
		{name: "unknown command", args: []string{"prob"}, wantCode: 2, stderr: `smtpport: unknown command "prob"`},
		{name: "probe help", args: []string{"probe", "-h"}, stdout: "Exit status: 0 when a route is usable"},
		{name: "probe help lists flags", args: []string{"probe", "--help"}, stdout: "--ca FILE"},
		{name: "no target", args: []string{"probe"}, wantCode: 2, stderr: "probe needs a TARGET"},
		{name: "bad flag", args: []string{"probe", "--colour", "x"}, wantCode: 2, stderr: "flag provided but not defined: -colour"},
		{name: "bad timeout", args: []string{"probe", "--timeout", "0s", "gmail"}, wantCode: 2, stderr: "--timeout must be positive"},
		{name: "credentials without --auth", args: []string{"probe", "--user", "u", "gmail"}, wantCode: 2, stderr: "need --auth"},
		{name: "--auth without secret", args: []string{"probe", "--auth", "--user", "u", "gmail"}, wantCode: 2, stderr: "--password-env VAR"},
		{name: "--auth with empty variable", args: []string{"probe", "--auth", "--user", "u", "--password-env", "NOPE", "gmail"}, wantCode: 2, stderr: "NOPE is empty or not set"},
		{name: "missing CA file", args: []string{"probe", "--ca", filepath.Join(dir, "missing.pem"), "gmail"}, wantCode: 2, stderr: "--ca:"},
		{name: "CA file without PEM", args: []string{"probe", "--ca", notPEM, "gmail"}, wantCode: 2, stderr: "holds no PEM certificate"},
		{name: "bad route", args: []string{"probe", "mail.example.test:99999/tls"}, wantCode: 2, stderr: `"mail.example.test:99999/tls" is not a preset, an address or a host name: port 99999 is not a number from 1 to 65535`},
		{name: "bad port", args: []string{"probe", "mail.example.test:smtp"}, wantCode: 2, stderr: "port smtp is not a number"},
		{name: "bad mode", args: []string{"probe", "mail.example.test:587/plain"}, wantCode: 2, stderr: "unknown security mode plain (want starttls or tls)"},
		{name: "bad route among several", args: []string{"probe", "mail.example.test:587", "mail.example.test:x/tls"}, wantCode: 2, stderr: `route "mail.example.test:x/tls": port x is not`},
		{name: "URL", args: []string{"probe", "smtps://mail.example.test"}, wantCode: 2, stderr: "a URL, not a host"},
		{name: "two targets", args: []string{"probe", "gmail", "zoho"}, wantCode: 2, stderr: "one TARGET at a time"},
		{name: "a preset among routes", args: []string{"probe", "mail.example.test:587", "gmail"}, wantCode: 2, stderr: `one TARGET at a time (or several routes), got preset "gmail"`},
		{name: "bad host", args: []string{"probe", "bad\x01host"}, wantCode: 2, stderr: "is not a preset, an address or a host name: spaces or control characters"},
		{name: "bad SES region", args: []string{"probe", "ses-nowhere"}, wantCode: 2, stderr: "SES region nowhere is not an AWS region name"},
		{name: "--mechanism without --auth", args: []string{"probe", "--mechanism", "LOGIN", "gmail"}, wantCode: 2, stderr: "need --auth"},
		{name: "unknown --mechanism", args: []string{"probe", "--auth", "--user", "u", "--password-env", passVar, "--mechanism", "PLAIN,FOO", "gmail"},
			env: map[string]string{passVar: "x"}, wantCode: 2, stderr: `--mechanism: unknown mechanism "FOO" (known: SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER)`},
		{name: "--mechanism for the other kind of secret", args: []string{"probe", "--auth", "--user", "u", "--password-env", passVar, "--mechanism", "xoauth2", "gmail"},
			env: map[string]string{passVar: "x"}, wantCode: 2, stderr: "--mechanism XOAUTH2 cannot be used with --password-env"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.run(t, runOpts{env: tc.env}, tc.args...)
			assert.Equal(t, tc.wantCode, r.code)
			assert.Contains(t, r.stdout, tc.stdout)
			assert.Contains(t, r.stderr, tc.stderr)
			if tc.wantCode != 0 && len(tc.args) > 0 {
				first, _, _ := strings.Cut(r.stderr, "\n")
				assert.True(t, strings.HasPrefix(first, "smtpport: "), r.stderr)
				assert.Contains(t, first, tc.stderr, "the error is one line")
			}
			assert.Zero(t, w.dialer.TotalDials(), "usage errors dial nothing")
		})
	}
}

func TestProbeCA(t *testing.T) {
	w := newWorld(t)
	pemFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(pemFile, caPEM(w.srv.CA()), 0o600))
	// Without the test roots only --ca can make the server's certificate verify.
	r := w.run(t, runOpts{systemRoots: true}, "probe", "--json", "--ca", pemFile, "mail.example.test:465/tls")
	require.Equal(t, 0, r.code, r.stderr)
	out := decodeProbe(t, r)
	require.NotNil(t, out.Routes[0].TLS)
	assert.True(t, out.Routes[0].TLS.Verified)

	r = w.run(t, runOpts{systemRoots: true}, "probe", "--json", "mail.example.test:465/tls")
	require.Equal(t, 1, r.code)
	out = decodeProbe(t, r)
	assert.Equal(t, "bad-certificate", out.Routes[0].Status)
	require.NotNil(t, out.Routes[0].TLS)
	assert.False(t, out.Routes[0].TLS.Verified)
	assert.Equal(t, "CN=mail.example.test", out.Routes[0].TLS.Subject, "the certificate is reported though it failed")
	assert.Contains(t, out.Routes[0].TLS.VerifyError, "unknown authority")
}

func TestProbeAuthText(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"probe", "--auth", "--user", testUser, "--password-env", passVar, "mail.example.test")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "(EHLO and QUIT only)\n", "the header does not promise 'no credentials'")
	assert.Contains(t, r.stdout, "\nAuth: alice@example.test accepted with PLAIN\n")
	assert.True(t, strings.HasSuffix(r.stdout,
		"Verdict: Dial uses mail.example.test:587/starttls: authenticated as alice@example.test with PLAIN over verified TLS 1.3.\n"), r.stdout)
	assert.NotContains(t, r.stdout, testPass)
}

// TestProbeRouteForms: every way of writing routes, on ports beyond the usual three, and
// counts said right.
func TestProbeRouteForms(t *testing.T) {
	endpoints := append(smtptest.Submission(),
		smtptest.Endpoint{Port: 2587, Security: negotiate.STARTTLS},
		smtptest.Endpoint{Port: 2465, Security: negotiate.ImplicitTLS})
	cases := []struct {
		name   string
		args   []string
		routes []string // probed, in order
		header string
	}{
		{"port, STARTTLS by default", []string{"mail.example.test:2587"}, []string{"2587/starttls"}, "Probing mail.example.test:2587: 1 route, up to 5s ("},
		{"port 465 is implicit TLS", []string{"mail.example.test:465"}, []string{"465/tls"}, "1 route, up to 5s"},
		{"port and mode", []string{"mail.example.test:2465/tls"}, []string{"2465/tls"}, "1 route, up to 5s"},
		{"mode only: TLS", []string{"mail.example.test/tls"}, []string{"465/tls"}, "1 route, up to 5s"},
		{"mode only: STARTTLS", []string{"mail.example.test/starttls"}, []string{"587/starttls", "2525/starttls"}, "2 routes in parallel, up to 5s each"},
		{"several", []string{"mail.example.test:2587", "mail.example.test:2465/tls", "mail.example.test/tls"},
			[]string{"2587/starttls", "2465/tls", "465/tls"}, "3 routes in parallel"},
		{"a bare host adds port 25", []string{"MAIL.example.test."}, []string{"587/starttls", "465/tls", "2525/starttls", "25/starttls"}, "4 routes in parallel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, endpoints...)
			r := w.run(t, runOpts{}, append([]string{"probe", "--timeout", "5s"}, tc.args...)...)
			var got []string
			for _, l := range strings.Split(r.stdout, "\n") {
				if route, _, ok := strings.Cut(l, "  "); ok && strings.HasPrefix(route, "mail.example.test:") {
					got = append(got, strings.TrimPrefix(route, "mail.example.test:"))
				}
			}
			assert.Equal(t, tc.routes, got, r.stdout)
			assert.Contains(t, r.stdout, tc.header)
			if !slices.Contains(tc.routes, "25/starttls") {
				assert.Equal(t, 0, r.code, r.stderr)
			}
			assert.Equal(t, len(tc.routes), w.dialer.TotalDials(), "exactly the routes asked for")
		})
	}
}

// TestProbeTypo: a name that is not a preset is probed as a host (it may be one: a
// container called mailpit); when it is close to a preset the report says so, and when
// it does not resolve the verdict suggests the preset.
func TestProbeTypo(t *testing.T) {
	cases := []struct {
		name    string
		typed   string
		note    string
		verdict string
	}{
		{"single-label typo", "gmial", "gmial is not a preset (did you mean gmail?): probing it as a host name",
			"the host name does not resolve from here; check its spelling and this machine's DNS; gmail is a preset: did you mean 'smtpport probe gmail'?"},
		{"typo of a provider host", "smtp.offce365.com", "",
			"office365 is a preset: did you mean 'smtpport probe office365'?"},
		{"nothing close", "mailhost", "", "the host name does not resolve from here; check its spelling and this machine's DNS."},
	}
	for _, tc := range cases {
		for _, asJSON := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "", true: " (json)"}[asJSON], func(t *testing.T) {
				w := newWorld(t)
				d := nxDialer{inner: w.dialer, hosts: []string{tc.typed}}
				args := []string{"probe", tc.typed}
				if asJSON {
					args = []string{"probe", "--json", tc.typed}
				}
				r := w.run(t, runOpts{dialer: d}, args...)
				assert.Equal(t, 1, r.code, r.stderr)
				verdict := r.stdout
				if asJSON {
					verdict = decodeProbe(t, r).Verdict
				} else if tc.note != "" {
					assert.Contains(t, r.stdout, "\n"+tc.note+"\n")
				} else {
					assert.NotContains(t, r.stdout, "is not a preset")
				}
				assert.Contains(t, verdict, tc.verdict)
				if tc.note == "" && !strings.Contains(tc.verdict, "did you mean") {
					assert.NotContains(t, verdict, "did you mean")
				}
			})
		}
	}
}

// TestProbeTypoThatResolves: no suggestion in the verdict when the name is a real host.
func TestProbeTypoThatResolves(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{Hostname: "gmial"}, smtptest.Submission()...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	w.block(25, netsim.Refuse)
	r := w.run(t, runOpts{}, "probe", "gmial")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "gmial is not a preset (did you mean gmail?)")
	assert.Contains(t, r.stdout, "Verdict: Dial would use gmial:587/starttls")
	assert.NotContains(t, r.stdout, "'smtpport probe gmail'")
}

// TestProbeKnownHost: a provider's host is its preset: its own routes, its name.
func TestProbeKnownHost(t *testing.T) {
	w := newWorld(t)
	for _, addr := range []string{"smtp.gmail.com:587", "smtp.gmail.com:465"} {
		w.dialer.Set(addr, netsim.Refuse) // never the real Gmail
	}
	r := w.run(t, runOpts{}, "probe", "smtp.gmail.com")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "Probing smtp.gmail.com: 2 routes in parallel")
	assert.Contains(t, r.stdout, "\nsmtp.gmail.com is a host of the gmail preset: 2 routes\n")
	assert.Equal(t, 2, w.dialer.TotalDials(), "587 and 465: Gmail has no 2525, and no port 25 for a preset")
}

// TestProbeAuthMechanism: --mechanism picks and orders the mechanisms for --auth.
func TestProbeAuthMechanism(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{Users: map[string]string{testUser: testPass}, Mechanisms: []string{"PLAIN", "LOGIN", "CRAM-MD5"}},
		smtptest.Submission()...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	w.block(25, netsim.Refuse)
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"probe", "--json", "--auth", "--user", testUser, "--password-env", passVar, "--mechanism", "login", "mail.example.test:587")
	require.Equal(t, 0, r.code, r.stderr)
	out := decodeProbe(t, r)
	require.NotNil(t, out.Auth)
	assert.Equal(t, "LOGIN", out.Auth.Mechanism)
	auths := srv.AuthCommands()
	require.NotEmpty(t, auths)
	assert.True(t, strings.HasPrefix(auths[0].Line, "AUTH LOGIN"), auths[0].Line)
}

// TestProbeShowsIPSANs: a certificate's IP addresses are shown beside its names, in the
// report and in JSON, whether or not it verified.
func TestProbeShowsIPSANs(t *testing.T) {
	ca, err := smtptest.NewCA()
	require.NoError(t, err)
	cert, err := ca.Issue([]string{smtptest.DefaultHostname, "192.0.2.25", "2001:db8::25"}, smtptest.CertOptions{})
	require.NoError(t, err)
	w := newWorldCA(t, ca, smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, Certificate: &cert})
	target := smtptest.DefaultHostname + ":465/tls"

	r := w.run(t, runOpts{}, "probe", "--json", target)
	require.Equal(t, 0, r.code, r.stderr)
	out := decodeProbe(t, r)
	require.Len(t, out.Routes, 1)
	require.NotNil(t, out.Routes[0].TLS)
	assert.Equal(t, []string{smtptest.DefaultHostname}, out.Routes[0].TLS.DNSNames)
	assert.Equal(t, []string{"192.0.2.25", "2001:db8::25"}, out.Routes[0].TLS.IPAddresses)

	r = w.run(t, runOpts{}, "probe", target)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "names "+smtptest.DefaultHostname+"\n")
	assert.Contains(t, r.stdout, "IP addresses 192.0.2.25 2001:db8::25\n")
}
