//go:build integration

package integration_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/smtp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/testenv"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/require"
)

// TestWrongPassword: Postfix/Dovecot reject the password; Dial says ErrAuthFailed and the
// credentials went out exactly once (one AUTH command in Postfix's log, no other route).
func TestWrongPassword(t *testing.T) {
	offset := env.LogOffset()
	c, err := smtpport.Dial(bgContext(t, 20*time.Second), preset(),
		smtpport.WithTLSConfig(tlsConfig(t)), smtpport.WithPassword(env.User, env.Password+"-wrong"))
	require.Nil(t, c)
	require.ErrorIs(t, err, smtpport.ErrAuthFailed)
	require.NotContains(t, err.Error(), env.Password, "the password must not appear in the error")

	lines := logLines(t, offset, 1)
	require.Len(t, grep(lines, "authentication failed"), 1, "one failed AUTH in Postfix's log:\n%s", strings.Join(lines, "\n"))
	// Postfix's session summary counts AUTH commands as auth=succeeded/total.
	require.Len(t, grep(lines, " auth="), 1, "one session with AUTH:\n%s", strings.Join(lines, "\n"))
	require.Len(t, grep(lines, " auth=0/1 "), 1, "that session sent AUTH once:\n%s", strings.Join(lines, "\n"))
}

// TestOfferedMechanisms checks the server really offers every mechanism Dovecot is set up
// with, and only after TLS on the submission ports (smtpd_tls_auth_only).
func TestOfferedMechanisms(t *testing.T) {
	c, err := smtp.Dial(fmt.Sprintf("%s:%d", env.Host, 587))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello("client.smtpport.test"))
	ok, _ := c.Extension("AUTH")
	require.False(t, ok, "AUTH offered before TLS on 587")
	require.NoError(t, c.StartTLS(&tls.Config{ServerName: env.Host, RootCAs: tlsConfig(t).RootCAs}))
	ok, params := c.Extension("AUTH")
	require.True(t, ok)
	require.ElementsMatch(t, []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"}, strings.Fields(params))
	require.NoError(t, c.Quit())
}

// forced is a negotiate.Credentials that uses one mechanism, whatever else is offered;
// resetOnAuth wraps it to cut the connection as AUTH goes out. Every mechanism through
// the public options is TestMechanismsOption (mechanisms_test.go).
type forced struct{ mech, user, pass string }

func (f forced) Mechanism(offered []string, _ tls.ConnectionState) (string, error) {
	if !slices.Contains(offered, f.mech) {
		return "", fmt.Errorf("%s not offered (%v)", f.mech, offered)
	}
	return f.mech, nil
}

func (f forced) Auth(_ context.Context, mech, host string, _ tls.ConnectionState) (smtp.Auth, error) {
	switch mech {
	case "PLAIN":
		return smtp.PlainAuth("", f.user, f.pass, host), nil
	case "LOGIN":
		return smtpport.LoginAuth(f.user, f.pass, host), nil
	case "CRAM-MD5":
		return smtp.CRAMMD5Auth(f.user, f.pass), nil
	}
	return nil, fmt.Errorf("no client for %s", mech)
}

// TestDefaultMechanism: with nothing forced, the library picks its strongest mechanism
// among those offered.
func TestDefaultMechanism(t *testing.T) {
	res, err := smtpport.Negotiate(bgContext(t, 20*time.Second), preset(), options(t)...)
	require.NoError(t, err)
	defer res.Client.Quit()
	require.Contains(t, []string{"SCRAM-SHA-256", "PLAIN"}, res.Mechanism)
}

// resetOnAuth makes the network reset the winner's connection just before AUTH is sent
// (Auth is called on the winning route right before the AUTH command).
type resetOnAuth struct {
	forced
	t testing.TB
}

func (r resetOnAuth) Auth(ctx context.Context, mech, host string, cs tls.ConnectionState) (smtp.Auth, error) {
	env.Block(r.t, testenv.PortSubmission, testenv.Reject) // resets established connections too
	return r.forced.Auth(ctx, mech, host, cs)
}

// TestServerGoneDuringAuth: the connection dies as AUTH goes out. Negotiation ends there
// (the credentials may have been seen: no other route gets them), with a typed error.
func TestServerGoneDuringAuth(t *testing.T) {
	_, err := negotiate.Negotiate(bgContext(t, 20*time.Second), negotiate.Config{
		Routes:      preset().Routes,
		TLSConfig:   tlsConfig(t),
		LocalName:   "client.smtpport.test",
		Credentials: resetOnAuth{forced{mech: "PLAIN", user: env.User, pass: env.Password}, t},
	})
	require.Error(t, err)
	require.True(t, isTyped(err), "typed: %v", err)
	require.ErrorIs(t, err, syscall.ECONNRESET)
	var ne *negotiate.Error
	require.ErrorAs(t, err, &ne)
	require.Equal(t, negotiate.Stage("auth"), ne.Attempts[0].Stage)
	for _, a := range ne.Attempts[1:] {
		require.ErrorIs(t, a.Err, negotiate.ErrAbandoned, "no route after AUTH: %s", a)
	}
	// The reset comes from the namespace's firewall: Postfix never sees the AUTH, and its
	// side of the session ends only at its own timeout, so its log has nothing to check.
	// A lost connection is not a wrong password: the outcome is unknown.
	require.ErrorIs(t, err, smtpport.ErrUnreachable)
	require.NotErrorIs(t, err, smtpport.ErrAuthFailed)
}
