package main

import (
	"strings"
	"testing"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
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

func TestSendPreset(t *testing.T) {
	// The routes target a preset by name; only the four shim presets exist, and they
	// point at real providers, so this checks the lookup without dialing them.
	w := newWorld(t)
	r := w.run(t, runOpts{stdin: message, env: map[string]string{passVar: testPass}},
		"send", "--preset", "nosuch", "--user", testUser, "--password-env", passVar, "--from", testUser, "--to", "b@example.test")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `smtpport: unknown preset "nosuch"; 'smtpport presets' lists them`)
	assert.Zero(t, w.dialer.TotalDials())
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
		{name: "preset and host", args: []string{"--password-env", passVar, "--preset", "gmail"}, env: map[string]string{passVar: "s3cret-x"}, wantCode: 2, stderr: []string{"exactly one of --preset NAME and --host HOST"}},
		{name: "empty stdin", args: []string{"--password-env", passVar}, env: map[string]string{passVar: "s3cret-x"}, stdin: "-", wantCode: 2, stderr: []string{"no message on stdin"}},
		{name: "extra argument", args: []string{"--password-env", passVar, "message.eml"}, wantCode: 2, stderr: []string{`unexpected argument "message.eml"`}},
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
		Users: map[string]string{testUser: testPass},
		AuthReply: func(string) string {
			return "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
		},
	}, smtptest.Submission()...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	r := w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"send", "--dry-run", "--host", "mail.example.test", "--user", testUser, "--password-env", passVar)
	assert.Equal(t, 1, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %s", r.stderr)
	assert.Contains(t, r.stderr, "SMTP AUTH disabled for this tenant or mailbox")
	assert.NotContains(t, r.stderr, "hint: check --user", "no generic advice beside the provider's")
}
