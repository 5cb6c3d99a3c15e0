package smtpport_test

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xdg-go/scram"
	"golang.org/x/oauth2"
)

const testToken = "ya29.fresh-token"

// connect lists the options to reach e's server, without credentials.
func (e *env) connect(extra ...smtpport.Option) []smtpport.Option {
	return append([]smtpport.Option{
		smtpport.WithTLSConfig(e.srv.ClientTLS()),
		smtpport.WithDialer(e.dialer),
		smtpport.WithStagger(time.Hour), // one route at a time: 587 unless it fails
	}, extra...)
}

// dial negotiates with exactly opts (plus the connection options).
func (e *env) dial(t *testing.T, opts ...smtpport.Option) (*negotiate.Result, error) {
	t.Helper()
	res, err := smtpport.Negotiate(testContext(t), e.preset, e.connect(opts...)...)
	if err == nil {
		t.Cleanup(func() { res.Client.Close() })
	}
	return res, err
}

// countingSource hands out the same token and counts the calls.
type countingSource struct {
	token string
	calls atomic.Int32
}

func (s *countingSource) Token() (*oauth2.Token, error) {
	s.calls.Add(1)
	return &oauth2.Token{AccessToken: s.token, Expiry: time.Now().Add(time.Hour)}, nil
}

// TestMechanisms authenticates with every mechanism against the test server, which
// checks passwords, proofs, channel bindings and bearer tokens for real.
func TestMechanisms(t *testing.T) {
	cases := []struct {
		name       string
		offered    []string
		maxTLS     uint16
		opt        smtpport.Option
		want       string
		passOnWire bool   // whether the password itself crosses the (encrypted) wire
		gs2        string // SCRAM's GS2 header: the channel binding flag
	}{
		{name: "PLAIN", offered: []string{"PLAIN"}, want: "PLAIN", passOnWire: true},
		{name: "LOGIN", offered: []string{"LOGIN"}, want: "LOGIN", passOnWire: true},
		{name: "CRAM-MD5", offered: []string{"CRAM-MD5"}, want: "CRAM-MD5"},
		// The client could bind but the server offers no -PLUS: "y" says so (RFC 5802 §6).
		{name: "SCRAM-SHA-256", offered: []string{"SCRAM-SHA-256"}, want: "SCRAM-SHA-256", gs2: "y,,"},
		{name: "SCRAM-SHA-256 on TLS 1.2", offered: []string{"SCRAM-SHA-256"}, maxTLS: tls.VersionTLS12, want: "SCRAM-SHA-256", gs2: "y,,"},
		{name: "SCRAM-SHA-256-PLUS tls-exporter", offered: []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}, want: "SCRAM-SHA-256-PLUS", gs2: "p=tls-exporter,,"},
		{name: "SCRAM-SHA-256-PLUS tls-unique", offered: []string{"SCRAM-SHA-256-PLUS"}, maxTLS: tls.VersionTLS12, want: "SCRAM-SHA-256-PLUS", gs2: "p=tls-unique,,"},
		{name: "XOAUTH2", offered: []string{"XOAUTH2"}, opt: smtpport.WithOAuth2(testUser, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})), want: "XOAUTH2"},
		{name: "OAUTHBEARER", offered: []string{"OAUTHBEARER"}, opt: smtpport.WithOAuth2(testUser, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})), want: "OAUTHBEARER"},
		{name: "custom Auth", offered: []string{"PLAIN"}, opt: smtpport.WithAuth(smtp.PlainAuth("", testUser, testPass, smtptest.DefaultHostname)), want: "PLAIN", passOnWire: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Mechanisms: tc.offered, Tokens: map[string]string{testUser: testToken}},
				smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, MaxTLSVersion: tc.maxTLS})
			opt := tc.opt
			if opt == nil {
				opt = smtpport.WithPassword(testUser, testPass)
			}
			res, err := e.dial(t, opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Mechanism)
			if tc.maxTLS != 0 {
				assert.Equal(t, tc.maxTLS, res.TLS.Version)
			}
			assert.Equal(t, tc.passOnWire, e.srv.SawSecret(testPass))
			if tc.gs2 != "" {
				auths := e.srv.AuthCommands()
				require.Len(t, auths, 1)
				assert.True(t, strings.HasPrefix(auths[0].Decoded, tc.gs2+"n="), "client-first %q", auths[0].Decoded)
			}
			sendOne(t, res.Client, e.srv, 587)
		})
	}
}

// TestWrongSecrets: every mechanism's rejection is a final ErrAuthFailed carrying the
// server's 535, tried once and never on another route, and never echoing the secret.
func TestWrongSecrets(t *testing.T) {
	badToken := smtpport.WithOAuth2(testUser, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "stale"}))
	cases := []struct {
		mech     string
		opt      smtpport.Option
		lastLine string // the client's last continuation line, when the mechanism has one
	}{
		{mech: "PLAIN"},
		{mech: "LOGIN"},
		{mech: "CRAM-MD5"},
		{mech: "SCRAM-SHA-256"},
		{mech: "SCRAM-SHA-256-PLUS"},
		{mech: "XOAUTH2", opt: badToken, lastLine: ""}, // empty answer to the JSON error
		{mech: "OAUTHBEARER", opt: badToken, lastLine: base64.StdEncoding.EncodeToString([]byte{1})}, // %x01
	}
	for _, tc := range cases {
		t.Run(tc.mech, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Mechanisms: []string{tc.mech}, Tokens: map[string]string{testUser: testToken}})
			opt := tc.opt
			if opt == nil {
				opt = smtpport.WithPassword(testUser, "wrong password")
			}
			_, err := e.dial(t, opt, smtpport.WithStagger(time.Millisecond))
			require.ErrorIs(t, err, smtpport.ErrAuthFailed)
			assert.True(t, allFinal(t, err))
			var tpErr *textproto.Error
			require.ErrorAs(t, err, &tpErr)
			assert.Equal(t, 535, tpErr.Code)
			assert.Contains(t, err.Error(), "credentials rejected: 535")
			assert.NotContains(t, err.Error(), "wrong password")
			assert.NotContains(t, err.Error(), "stale")
			require.Len(t, e.srv.AuthCommands(), 1, "one AUTH, on one route")
			if tc.opt != nil {
				auth := e.srv.AuthCommands()[0]
				var lines []string // the AUTH connection's lines from AUTH on
				for _, c := range e.srv.Commands() {
					if c.Conn == auth.Conn && (len(lines) > 0 || c.Line == auth.Line) {
						lines = append(lines, c.Line)
					}
				}
				require.GreaterOrEqual(t, len(lines), 2)
				assert.Equal(t, tc.lastLine, lines[1], "answer to the error challenge")
			}
		})
	}
}

// allFinal reports whether every attempt that failed on its own failed in a way that ends
// negotiation (the sentinels say which: a rejected AUTH, a broken AUTH exchange).
func allFinal(t *testing.T, err error) bool {
	var nerr *negotiate.Error
	require.ErrorAs(t, err, &nerr)
	for _, a := range nerr.Attempts {
		if a.Err != nil && !errors.Is(a.Err, negotiate.ErrAbandoned) && !errors.Is(a.Err, smtpport.ErrAuthFailed) && !errors.Is(a.Err, smtpport.ErrProtocol) {
			return false
		}
	}
	return true
}

// TestAuthReplies: the RFC 4954 replies and a hang-up mid-AUTH, each final, with the
// provider hints in the error text.
func TestAuthReplies(t *testing.T) {
	cases := []struct {
		name     string
		host     string
		mechs    []string
		opt      smtpport.Option // credentials; a password when nil
		reply    string
		code     int
		contains []string
	}{
		{name: "M365 SMTP AUTH disabled", host: "smtp.office365.com", mechs: []string{"LOGIN", "XOAUTH2"},
			reply: "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", code: 535,
			contains: []string{"credentials rejected: 535", "SMTP AUTH disabled for this tenant or mailbox", "OAuth2"}},
		{name: "M365 refuses PLAIN", host: "smtp.office365.com", mechs: []string{"PLAIN"},
			reply: "504 5.7.4 Unrecognized authentication type", code: 504,
			contains: []string{"does not support the mechanism: 504", "use LOGIN or XOAUTH2"}},
		{name: "Gmail rejects the token", host: "smtp.gmail.com", mechs: []string{"XOAUTH2"},
			opt:   smtpport.WithOAuth2(testUser, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken})),
			reply: "535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials", code: 535,
			contains: []string{"credentials rejected: 535", "OAuth2 token", "https://mail.google.com/"}},
		{name: "Gmail wants an app password", host: "smtp.gmail.com",
			reply: "535 5.7.8 Username and Password not accepted. https://support.google.com/mail/?p=BadCredentials", code: 535,
			contains: []string{"credentials rejected: 535", "app password", "OAuth2"}},
		{name: "temporary", reply: "454 4.7.0 Temporary authentication failure", code: 454,
			contains: []string{"temporary authentication failure; try again later: 454", "try again later"}},
		{name: "too weak", reply: "534 5.7.9 Authentication mechanism is too weak", code: 534, contains: []string{"too weak"}},
		{name: "required", reply: "530 5.7.0 Authentication required", code: 530, contains: []string{"authentication it did not get: 530"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Hostname: tc.host, Mechanisms: tc.mechs,
				AuthReply: func(string) string { return tc.reply }})
			opt := tc.opt
			if opt == nil {
				opt = smtpport.WithPassword(testUser, testPass)
			}
			_, err := e.dial(t, opt, smtpport.WithStagger(time.Millisecond))
			require.ErrorIs(t, err, smtpport.ErrAuthFailed)
			var tpErr *textproto.Error
			if tc.code != 0 {
				require.ErrorAs(t, err, &tpErr)
				assert.Equal(t, tc.code, tpErr.Code)
			} else {
				assert.False(t, errors.As(err, &tpErr))
			}
			for _, s := range tc.contains {
				assert.Contains(t, err.Error(), s)
			}
			assert.Len(t, e.srv.AuthCommands(), 1, "never retried on another route")
		})
	}
}

// TestAuthHangup: a server that hangs up during AUTH ends negotiation without another
// route, and the error says the outcome is unknown rather than blaming the password.
func TestAuthHangup(t *testing.T) {
	e := newEnv(t, smtptest.Config{AuthReply: func(string) string { return smtptest.Hangup }})
	_, err := e.dial(t, smtpport.WithPassword(testUser, testPass), smtpport.WithStagger(time.Millisecond))
	require.ErrorIs(t, err, smtpport.ErrUnreachable)
	assert.NotErrorIs(t, err, smtpport.ErrAuthFailed, "a lost connection is not a wrong password")
	assert.Contains(t, err.Error(), "outcome unknown")
	assert.Len(t, e.srv.AuthCommands(), 1, "never retried on another route")
}

// TestSCRAMChecksTheServer: the client accepts success only from a server that proved it
// knows the password (RFC 5802 §3, the ServerSignature).
func TestSCRAMChecksTheServer(t *testing.T) {
	lookup := func(user string) (scram.StoredCredentials, error) {
		c, err := scram.SHA256.NewClient(user, testPass, "")
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		return c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: "salt", Iters: 4096})
	}
	server, err := scram.SHA256.NewServer(lookup)
	require.NoError(t, err)
	info := &smtp.ServerInfo{Name: "mail.example.test", TLS: true, Auth: []string{"SCRAM-SHA-256"}}

	// run goes as far as the server-final message, which tamper may change.
	run := func(tamper func(string) string) (smtp.Auth, string) {
		a := smtpport.ScramSHA256Auth(testUser, testPass)
		conv := server.NewConversation()
		mech, first, err := a.Start(info)
		require.NoError(t, err)
		require.Equal(t, "SCRAM-SHA-256", mech)
		assert.True(t, strings.HasPrefix(string(first), "n,,"), "no TLS state: no binding claimed")
		s1, err := conv.Step(string(first))
		require.NoError(t, err)
		c2, err := a.Next([]byte(s1), true)
		require.NoError(t, err)
		s2, err := conv.Step(string(c2))
		require.NoError(t, err)
		require.True(t, conv.Valid())
		return a, tamper(s2)
	}

	a, s2 := run(func(s string) string { return s })
	ack, err := a.Next([]byte(s2), true)
	require.NoError(t, err)
	assert.Equal(t, []byte{}, ack, "empty response after server-final")
	resp, err := a.Next([]byte("2.7.0 Authentication successful"), false)
	require.NoError(t, err)
	assert.Nil(t, resp)

	a, s2 = run(func(string) string { return "v=" + base64.StdEncoding.EncodeToString(make([]byte, 32)) })
	_, err = a.Next([]byte(s2), true)
	assert.Error(t, err, "a forged server signature is refused")

	a, _ = run(func(s string) string { return s })
	_, err = a.Next([]byte("2.7.0 Authentication successful"), false)
	assert.ErrorContains(t, err, "without proving", "235 before the server-final is refused")
}
