package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const message = "From: alice@example.test\nTo: bob@example.test\nSubject: hi\n\nhello\n.leading dot\n"

func TestSend(t *testing.T) {
	cases := []struct {
		name     string
		block    map[int]netsim.Behaviour
		args     []string
		wantPort int
	}{
		{name: "host, all healthy", wantPort: 587},
		{name: "587 blackholed", block: map[int]netsim.Behaviour{587: netsim.Blackhole}, wantPort: 465},
		{name: "587 and 465 refused", block: map[int]netsim.Behaviour{587: netsim.Refuse, 465: netsim.Refuse}, wantPort: 2525},
		{name: "two recipients", args: []string{"--to", "carol@example.test"}, wantPort: 587},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			for port, b := range tc.block {
				w.block(port, b)
			}
			args := append([]string{"send", "--host", "mail.example.test", "--user", testUser, "--password-env", passVar,
				"--from", testUser, "--to", "bob@example.test"}, tc.args...)
			r := w.run(t, runOpts{stdin: message, env: map[string]string{passVar: testPass}}, args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			require.Len(t, lines, 2, r.stdout)
			assert.Regexp(t, `^route: mail\.example\.test:`+itoa(tc.wantPort)+`/(starttls|tls) \(TLS 1\.3, AUTH PLAIN as alice@example\.test\)$`, lines[0])
			assert.Equal(t, "server: 250 2.0.0 queued", lines[1])
			msgs := w.srv.Messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, tc.wantPort, msgs[0].Port)
			assert.Equal(t, testUser, msgs[0].User)
			assert.Equal(t, testUser, msgs[0].From)
			wantTo := []string{"bob@example.test"}
			if len(tc.args) > 0 {
				wantTo = append(wantTo, "carol@example.test")
			}
			assert.Equal(t, wantTo, msgs[0].To)
			assert.Equal(t, strings.ReplaceAll(message, "\n", "\r\n"), string(msgs[0].Data), "CRLF line ends, dot-stuffing undone by the server")
			assert.NotContains(t, r.stdout, testPass)
		})
	}
}

func itoa(n int) string {
	return map[int]string{587: "587", 465: "465", 2525: "2525"}[n]
}

// TestSendPresetNames: presets point at real providers, so this checks the lookup and its
// errors without dialing them.
func TestSendPresetNames(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown", []string{"--preset", "nosuch"}, `smtpport: unknown preset "nosuch"; 'smtpport presets' lists them`},
		{"typo", []string{"--preset", "sendgird"}, `smtpport: unknown preset "sendgird"; did you mean sendgrid? ('smtpport presets' lists them)`},
		{"bad SES region", []string{"--preset", "ses-nowhere"}, `SES region nowhere is not an AWS region name`},
		{"a preset given as --host", []string{"--host", "gmail"}, "smtpport: --host gmail: that is a preset name; use --preset gmail"},
		{"a bad --host", []string{"--host", "mail.example.test:25x"}, `"mail.example.test:25x" is not a preset, an address or a host name: port 25x is not a number`},
		{"a bad TARGET", []string{"mail.example.test:587/ssl3"}, "unknown security mode ssl3"},
		{"TARGET and --host", []string{"--host", "mail.example.test", "mail.example.test:587"}, `unexpected argument "mail.example.test:587"`},
		{"no target", nil, "give exactly one of TARGET, --preset NAME and --host HOST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			args := append([]string{"send", "--user", testUser, "--password-env", passVar, "--from", testUser, "--to", "b@example.test"}, tc.args...)
			r := w.run(t, runOpts{stdin: message, env: map[string]string{passVar: testPass}}, args...)
			assert.Equal(t, 2, r.code)
			first, _, _ := strings.Cut(r.stderr, "\n")
			assert.Contains(t, first, tc.stderr)
			assert.Zero(t, w.dialer.TotalDials())
		})
	}
}

// TestSendRoutes: send takes probe's TARGET syntax, so a route probe found working on
// any port can be used as is; --host takes it too.
func TestSendRoutes(t *testing.T) {
	endpoints := append(smtptest.Submission(), smtptest.Endpoint{Port: 2587, Security: negotiate.STARTTLS},
		smtptest.Endpoint{Port: 2465, Security: negotiate.ImplicitTLS})
	cases := []struct {
		name     string
		args     []string
		block    []int
		wantPort int
		route    string
	}{
		{"host as TARGET", []string{"mail.example.test"}, nil, 587, "mail.example.test:587/starttls"},
		{"port as TARGET", []string{"mail.example.test:2587"}, nil, 2587, "mail.example.test:2587/starttls"},
		{"port and mode as TARGET", []string{"mail.example.test:2465/tls"}, nil, 2465, "mail.example.test:2465/tls"},
		{"mode as TARGET", []string{"mail.example.test/tls"}, nil, 465, "mail.example.test:465/tls"},
		{"several routes, the first refused", []string{"mail.example.test:2587", "mail.example.test:2465/tls"}, []int{2587}, 2465, "mail.example.test:2465/tls"},
		{"--host with a port", []string{"--host", "mail.example.test:2587"}, nil, 2587, "mail.example.test:2587/starttls"},
		{"--host with a mode", []string{"--host", "mail.example.test/tls"}, nil, 465, "mail.example.test:465/tls"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, endpoints...)
			for _, port := range tc.block {
				w.block(port, netsim.Refuse)
			}
			args := append([]string{"send", "--user", testUser, "--password-env", passVar, "--from", testUser, "--to", "bob@example.test"}, tc.args...)
			r := w.run(t, runOpts{stdin: message, env: map[string]string{passVar: testPass}}, args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "route: "+tc.route+" (TLS 1.3, AUTH PLAIN as alice@example.test)\n")
			msgs := w.srv.Messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, tc.wantPort, msgs[0].Port)
			for _, port := range []int{587, 465, 2525, 2587, 2465} {
				if port != tc.wantPort && !slices.Contains(tc.block, port) {
					assert.Zero(t, w.dialer.Dials(w.srv.RouteAddr(port)), "port %d was not asked for or not needed", port)
				}
			}
		})
	}
}

// TestSendMechanism: --mechanism restricts and orders the SASL mechanisms (repeated or
// comma-separated, any case); the server sees only the one chosen.
func TestSendMechanism(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"default order", nil, "PLAIN"},
		{"one", []string{"--mechanism", "LOGIN"}, "LOGIN"},
		{"comma-separated, in order", []string{"--mechanism", "cram-md5,plain"}, "CRAM-MD5"},
		{"repeated, first not offered", []string{"--mechanism", "SCRAM-SHA-256", "--mechanism", "login"}, "LOGIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Config{Users: map[string]string{testUser: testPass}, Mechanisms: []string{"PLAIN", "LOGIN", "CRAM-MD5"}},
				smtptest.Submission()...)
			w := &world{srv: srv, dialer: srv.Dialer()}
			args := append([]string{"send", "--dry-run", "--user", testUser, "--password-env", passVar, "mail.example.test"}, tc.args...)
			r := w.run(t, runOpts{env: map[string]string{passVar: testPass}}, args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "AUTH "+tc.want+" as "+testUser)
			auths := srv.AuthCommands()
			require.NotEmpty(t, auths)
			assert.True(t, strings.HasPrefix(auths[0].Line, "AUTH "+tc.want), auths[0].Line)
		})
	}
}

// TestSendTypo: a TARGET that does not resolve and is close to a preset says which.
func TestSendTypo(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}, dialer: nxDialer{inner: w.dialer, hosts: []string{"gmial"}}},
		"send", "--dry-run", "--user", testUser, "--password-env", passVar, "gmial")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no such host")
	assert.Contains(t, r.stderr, "(gmail is a preset: did you mean gmail?)")
}

func TestSendDryRun(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"send", "--dry-run", "--host", "mail.example.test", "--user", testUser, "--password-env", passVar)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "route: mail.example.test:587/starttls (TLS 1.3, AUTH PLAIN as alice@example.test)\n")
	assert.Contains(t, r.stdout, "dry run: negotiated and authenticated; nothing sent\n")
	assert.Empty(t, w.srv.Messages())
	require.Len(t, w.srv.AuthCommands(), 1)
	for _, c := range w.srv.Commands() {
		assert.NotRegexp(t, `^(?i)(MAIL|RCPT|DATA)`, c.Line)
	}
}

func TestSendFailures(t *testing.T) {
	base := []string{"send", "--host", "mail.example.test", "--user", testUser, "--from", testUser, "--to", "bob@example.test"}
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		block    []int
		stdin    string
		wantCode int
		stderr   []string
	}{
		{
			name: "wrong password", args: []string{"--password-env", passVar}, env: map[string]string{passVar: "wrong"},
			wantCode: 1, stderr: []string{"smtpport: mail.example.test:587/starttls: authentication failed", "535", "(hint: check --user and the secret"},
		},
		{
			name: "every port blocked", args: []string{"--password-env", passVar, "--timeout", "2s"}, env: map[string]string{passVar: testPass},
			block: []int{587, 465, 2525}, wantCode: 1, stderr: []string{"connection refused", "(hint: run 'smtpport probe'"},
		},
		{
			name: "oauth2 token, server without XOAUTH2", args: []string{"--oauth2-token-env", "TOKEN"}, env: map[string]string{"TOKEN": "ya29.secret"},
			wantCode: 1, stderr: []string{"server offers PLAIN LOGIN; these credentials can use XOAUTH2 OAUTHBEARER"},
		},
		{name: "no secret variable", args: []string{"--password-env", "UNSET"}, wantCode: 2, stderr: []string{"smtpport: environment variable UNSET is empty or not set"}},
		{name: "two secrets", args: []string{"--password-env", "A", "--oauth2-token-env", "B"}, wantCode: 2, stderr: []string{"not both"}},
		{name: "preset and host", args: []string{"--password-env", passVar, "--preset", "gmail"}, env: map[string]string{passVar: "s3cret-x"}, wantCode: 2, stderr: []string{"give exactly one of TARGET, --preset NAME and --host HOST"}},
		{name: "empty stdin", args: []string{"--password-env", passVar}, env: map[string]string{passVar: "s3cret-x"}, stdin: "-", wantCode: 2, stderr: []string{"no message on stdin"}},
		{name: "extra argument", args: []string{"--password-env", passVar, "message.eml"}, wantCode: 2, stderr: []string{`unexpected argument "message.eml"`, "the message is read from stdin"}},
		{name: "unknown mechanism", args: []string{"--password-env", passVar, "--mechanism", "SCRAM-SHA-1"}, env: map[string]string{passVar: "s3cret-x"},
			wantCode: 2, stderr: []string{`--mechanism: unknown mechanism "SCRAM-SHA-1"`}},
		{name: "token mechanism with a password", args: []string{"--password-env", passVar, "--mechanism", "OAUTHBEARER"}, env: map[string]string{passVar: "s3cret-x"},
			wantCode: 2, stderr: []string{"--mechanism OAUTHBEARER cannot be used with --password-env (it can use SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN, CRAM-MD5)"}},
		{name: "password mechanism with a token", args: []string{"--oauth2-token-env", "TOKEN", "--mechanism", "PLAIN"}, env: map[string]string{"TOKEN": "ya29.secret-x"},
			wantCode: 2, stderr: []string{"--mechanism PLAIN cannot be used with --oauth2-token-env (it can use XOAUTH2, OAUTHBEARER)"}},
		{name: "mechanism the server does not offer", args: []string{"--password-env", passVar, "--mechanism", "SCRAM-SHA-256,CRAM-MD5"}, env: map[string]string{passVar: testPass},
			wantCode: 1, stderr: []string{"no common SASL mechanism"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			for _, port := range tc.block {
				w.block(port, netsim.Refuse)
			}
			stdin := message
			if tc.stdin == "-" {
				stdin = ""
			}
			r := w.run(t, runOpts{stdin: stdin, env: tc.env}, append(append([]string{}, base...), tc.args...)...)
			assert.Equal(t, tc.wantCode, r.code)
			first, _, _ := strings.Cut(r.stderr, "\n")
			for _, want := range tc.stderr {
				assert.Contains(t, first, want, "one line, with the hint")
			}
			assert.Empty(t, w.srv.Messages())
			for _, secret := range tc.env {
				assert.NotContains(t, r.stderr, secret)
				assert.False(t, w.srv.SawSecret(secret) && secret != "wrong" && secret != testPass, "a secret reached the server unasked")
			}
		})
	}
}

func TestSendHelp(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "send", "--help")
	assert.Equal(t, 0, r.code)
	for _, want := range []string{"Usage: smtpport send", "--password-env VAR", "--oauth2-token-env VAR", "--to ADDRESS", "--dry-run"} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestSendOAuth2(t *testing.T) {
	const token = "ya29.test-token"
	srv := smtptest.Start(t, smtptest.Config{
		Mechanisms: []string{"PLAIN", "XOAUTH2"},
		Tokens:     map[string]string{testUser: token},
	}, smtptest.Submission()...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	r := w.run(t, runOpts{stdin: message, env: map[string]string{"TOKEN": token}},
		"send", "--host", "mail.example.test", "--user", testUser, "--oauth2-token-env", "TOKEN",
		"--from", testUser, "--to", "bob@example.test")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "route: mail.example.test:587/starttls (TLS 1.3, AUTH XOAUTH2 as alice@example.test)\n")
	assert.Contains(t, r.stdout, "server: 250 2.0.0 queued\n")
	assert.NotContains(t, r.stdout, token)
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, testUser, msgs[0].User)
}

// TestSendProviderHint: a known provider reply carries its own hint, which the one-line
// error shows once, without the command's generic advice.
func TestSendProviderHint(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Config{
		Hostname: "smtp.office365.com", // the provider's advice comes with its preset
		Users:    map[string]string{testUser: testPass},
		AuthReply: func(string) string {
			return "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
		},
	}, smtptest.Submission()...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"send", "--dry-run", "--preset", "office365", "--user", testUser, "--password-env", passVar)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %s", r.stderr)
	assert.Contains(t, r.stderr, "SMTP AUTH disabled for this tenant or mailbox")
	assert.NotContains(t, r.stderr, "hint: check --user", "no generic advice beside the provider's")
}
