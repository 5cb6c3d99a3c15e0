package main

import (
	"testing"

	"github.com/smtpport/smtpport/internal/netsim"
)

// TestPrintExample prints a real probe for the README: 587 blackholed (as many ISPs and
// guest networks do), 465 and 2525 healthy, 25 plaintext only. Run it with
//
//	go test ./smtpport -run TestPrintExample -v
func TestPrintExample(t *testing.T) {
	w := newWorld(t)
	w.block(587, netsim.Blackhole)
	r := w.run(t, runOpts{}, "probe", "--timeout", "2s", "mail.example.test")
	t.Logf("exit %d\n$ smtpport probe --timeout 2s mail.example.test\n%s%s", r.code, r.stdout, r.stderr)
	r = w.run(t, runOpts{}, "probe", "--json", "--timeout", "2s", "mail.example.test:465/tls")
	t.Logf("exit %d\n$ smtpport probe --json mail.example.test:465/tls\n%s%s", r.code, r.stdout, r.stderr)
}

// TestPrintSendExample prints a real send for the README.
func TestPrintSendExample(t *testing.T) {
	w := newWorld(t)
	w.block(587, netsim.Blackhole)
	r := w.run(t, runOpts{stdin: message, env: map[string]string{passVar: testPass}},
		"send", "--user", testUser, "--password-env", passVar,
		"--from", testUser, "--to", "bob@example.test", "mail.example.test")
	t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	r = w.run(t, runOpts{env: map[string]string{passVar: testPass}},
		"send", "--dry-run", "--user", testUser, "--password-env", passVar, "--mechanism", "LOGIN", "mail.example.test:2525")
	t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	r = w.run(t, runOpts{env: map[string]string{passVar: "wrong"}},
		"send", "--dry-run", "--user", testUser, "--password-env", passVar, "mail.example.test")
	t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	r = w.run(t, runOpts{}, "presets", "ofice365")
	t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
}
