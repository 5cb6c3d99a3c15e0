package smtpport_test

import (
	"context"
	"errors"
	"net/smtp"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestMechanismChoice: what the server offers after TLS, intersected with what the
// credentials can use and the preset accepts, in the default or WithMechanisms order.
func TestMechanismChoice(t *testing.T) {
	all := []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}
	token := smtpport.WithOAuth2(testUser, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken}))
	password := smtpport.WithPassword(testUser, testPass)
	cases := []struct {
		name     string
		offered  []string
		accepted []string // the preset's list
		opts     []smtpport.Option
		want     string
	}{
		{name: "password: strongest of all", offered: all, opts: []smtpport.Option{password}, want: "SCRAM-SHA-256-PLUS"},
		{name: "password: PLAIN before LOGIN", offered: []string{"LOGIN", "CRAM-MD5", "PLAIN"}, opts: []smtpport.Option{password}, want: "PLAIN"},
		{name: "password: LOGIN before CRAM-MD5", offered: []string{"CRAM-MD5", "LOGIN"}, opts: []smtpport.Option{password}, want: "LOGIN"},
		{name: "password: Office 365 preset", offered: []string{"PLAIN", "LOGIN", "XOAUTH2"}, accepted: []string{"LOGIN", "XOAUTH2"}, opts: []smtpport.Option{password}, want: "LOGIN"},
		{name: "password: preset SCRAM-SHA-256 allows -PLUS", offered: all, accepted: []string{"SCRAM-SHA-256"}, opts: []smtpport.Option{password}, want: "SCRAM-SHA-256-PLUS"},
		{name: "password: WithMechanisms orders", offered: all, opts: []smtpport.Option{password, smtpport.WithMechanisms("login", "PLAIN")}, want: "LOGIN"},
		{name: "password: WithMechanisms skips what is not offered", offered: []string{"PLAIN"}, opts: []smtpport.Option{password, smtpport.WithMechanisms("LOGIN", "PLAIN")}, want: "PLAIN"},
		{name: "password: WithMechanisms skips token names", offered: all, opts: []smtpport.Option{password, smtpport.WithMechanisms("XOAUTH2", "CRAM-MD5")}, want: "CRAM-MD5"},
		{name: "token: XOAUTH2 first", offered: all, opts: []smtpport.Option{token}, want: "XOAUTH2"},
		{name: "token: OAUTHBEARER when alone", offered: []string{"PLAIN", "OAUTHBEARER"}, opts: []smtpport.Option{token}, want: "OAUTHBEARER"},
		{name: "token: WithMechanisms orders", offered: all, opts: []smtpport.Option{token, smtpport.WithMechanisms("OAUTHBEARER", "XOAUTH2")}, want: "OAUTHBEARER"},
		{name: "custom: named by Start", offered: all, opts: []smtpport.Option{smtpport.WithAuth(smtpport.LoginAuth(testUser, testPass, ""))}, want: "LOGIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Mechanisms: tc.offered, Tokens: map[string]string{testUser: testToken}})
			e.preset.Mechanisms = tc.accepted
			res, err := e.dial(t, tc.opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Mechanism)
			auths := e.srv.AuthCommands()
			require.Len(t, auths, 1)
			assert.Regexp(t, "^AUTH "+tc.want+"( |$)", auths[0].Line)
		})
	}
}

// TestNothingUsableAfterTLS: a route with no AUTH, or no mechanism in common, fails before
// any secret is sent, and is not final: another route that offers AUTH wins.
func TestNothingUsableAfterTLS(t *testing.T) {
	cases := []struct {
		name    string
		offered []string
		detail  string
	}{
		{name: "no AUTH", offered: []string{}, detail: "no AUTH after TLS; refusing to continue unauthenticated"},
		{name: "no common mechanism", offered: []string{"GSSAPI", "NTLM"}, detail: "server offers GSSAPI NTLM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Mechanisms: tc.offered})
			_, err := e.dial(t, smtpport.WithPassword(testUser, testPass), smtpport.WithStagger(time.Millisecond))
			require.ErrorIs(t, err, smtpport.ErrAuthFailed)
			assert.Contains(t, err.Error(), tc.detail)
			var nerr *negotiate.Error
			require.ErrorAs(t, err, &nerr)
			assert.Len(t, nerr.Attempts, 3, "not final: every route is tried")
			assert.Empty(t, e.srv.AuthCommands())
			assert.Empty(t, e.srv.Messages(), "never sends mail unauthenticated")
		})
	}
}

func TestConfigErrorsForCredentials(t *testing.T) {
	token := smtpport.WithOAuth2(testUser, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: testToken}))
	cases := map[string]struct {
		accepted []string
		opts     []smtpport.Option
	}{
		"two kinds":                    {opts: []smtpport.Option{smtpport.WithPassword(testUser, testPass), token}},
		"nil token source":             {opts: []smtpport.Option{smtpport.WithOAuth2(testUser, nil)}},
		"nil Auth":                     {opts: []smtpport.Option{smtpport.WithAuth(nil)}},
		"mechanisms without creds":     {opts: []smtpport.Option{smtpport.WithMechanisms("PLAIN")}},
		"unknown mechanism":            {opts: []smtpport.Option{smtpport.WithPassword(testUser, testPass), smtpport.WithMechanisms("PLAIN", "PLAN")}},
		"token names for a password":   {opts: []smtpport.Option{smtpport.WithPassword(testUser, testPass), smtpport.WithMechanisms("XOAUTH2")}},
		"token with a password preset": {accepted: []string{"PLAIN", "LOGIN"}, opts: []smtpport.Option{token}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{})
			e.preset.Mechanisms = tc.accepted
			_, err := e.dial(t, tc.opts...)
			require.ErrorIs(t, err, negotiate.ErrConfig)
			assert.Zero(t, e.dialer.TotalDials())
		})
	}
}

// TestTokenPerDial: each Dial asks the token source once; refreshing is its job.
func TestTokenPerDial(t *testing.T) {
	e := newEnv(t, smtptest.Config{Mechanisms: []string{"XOAUTH2"}, Tokens: map[string]string{testUser: testToken}})
	src := &countingSource{token: testToken}
	for i := 1; i <= 3; i++ {
		res, err := e.dial(t, smtpport.WithOAuth2(testUser, src), smtpport.WithStagger(time.Millisecond))
		require.NoError(t, err)
		assert.Equal(t, int32(i), src.calls.Load(), "one token per Dial, fetched on the winner only")
		sendOne(t, res.Client, e.srv, res.Route.Port)
	}
}

// TestTokenRefreshedBySource: an expired token is refreshed by oauth2.ReuseTokenSource,
// and the fresh one is reused while it lasts.
func TestTokenRefreshedBySource(t *testing.T) {
	e := newEnv(t, smtptest.Config{Mechanisms: []string{"OAUTHBEARER"}, Tokens: map[string]string{testUser: testToken}})
	base := &countingSource{token: testToken}
	ts := oauth2.ReuseTokenSource(&oauth2.Token{AccessToken: "expired", Expiry: time.Now().Add(-time.Minute)}, base)
	for range 2 {
		_, err := e.dial(t, smtpport.WithOAuth2(testUser, ts))
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), base.calls.Load(), "refreshed once, then reused")
	assert.False(t, e.srv.SawSecret("expired"))
}

type failingSource struct{ err error }

func (s failingSource) Token() (*oauth2.Token, error) { return nil, s.err }

func TestTokenSourceProblems(t *testing.T) {
	cases := map[string]oauth2.TokenSource{
		"error":         failingSource{errors.New("invalid_grant")},
		"expired token": oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Minute)}),
		"empty token":   oauth2.StaticTokenSource(&oauth2.Token{}),
	}
	for name, ts := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Mechanisms: []string{"XOAUTH2"}, Tokens: map[string]string{testUser: testToken}})
			_, err := e.dial(t, smtpport.WithOAuth2(testUser, ts))
			require.ErrorIs(t, err, smtpport.ErrAuthFailed)
			assert.Contains(t, err.Error(), "could not prepare credentials")
			assert.Empty(t, e.srv.AuthCommands(), "no AUTH without a token")
		})
	}
}

// blockingSource blocks in Token until release is closed.
type blockingSource struct {
	entered, release, done chan struct{}
}

func (s *blockingSource) Token() (*oauth2.Token, error) {
	defer close(s.done)
	close(s.entered)
	<-s.release
	return &oauth2.Token{AccessToken: testToken}, nil
}

// TestTokenWaitBoundedByContext: a token source that hangs cannot hold Dial past its
// context.
func TestTokenWaitBoundedByContext(t *testing.T) {
	e := newEnv(t, smtptest.Config{Mechanisms: []string{"XOAUTH2"}, Tokens: map[string]string{testUser: testToken}})
	src := &blockingSource{entered: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-src.entered
		cancel()
	}()
	_, err := smtpport.Dial(ctx, e.preset, e.connect(smtpport.WithOAuth2(testUser, src))...)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, smtpport.ErrUnreachable, "not a rejected credential")
	require.NotErrorIs(t, err, smtpport.ErrAuthFailed)
	assert.Contains(t, err.Error(), "no OAuth2 token in time; nothing was sent")
	assert.Empty(t, e.srv.AuthCommands())
	close(src.release)
	<-src.done // the abandoned Token call ends once the source returns
}

// TestCustomAuthGuard: WithAuth's Auth must start a mechanism the server offered (and
// WithMechanisms allows); otherwise nothing is sent.
func TestCustomAuthGuard(t *testing.T) {
	xo := smtpport.XOAuth2Auth(testUser, testToken, smtptest.DefaultHostname)
	cases := []struct {
		name    string
		offered []string
		opts    []smtpport.Option
		want    string // error text; "" means success
	}{
		{name: "not offered", offered: []string{"PLAIN"}, opts: []smtpport.Option{smtpport.WithAuth(xo)}, want: "did not offer"},
		{name: "not allowed", offered: []string{"PLAIN", "XOAUTH2"}, opts: []smtpport.Option{smtpport.WithAuth(xo), smtpport.WithMechanisms("PLAIN")}, want: "does not allow"},
		{name: "allowed", offered: []string{"PLAIN", "XOAUTH2"}, opts: []smtpport.Option{smtpport.WithAuth(xo), smtpport.WithMechanisms("XOAUTH2")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Mechanisms: tc.offered, Tokens: map[string]string{testUser: testToken}})
			res, err := e.dial(t, tc.opts...)
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, "XOAUTH2", res.Mechanism)
				return
			}
			require.ErrorIs(t, err, smtpport.ErrAuthFailed)
			assert.Contains(t, err.Error(), tc.want)
			assert.Empty(t, e.srv.AuthCommands())
			assert.False(t, e.srv.SawSecret(testToken))
		})
	}
}

// TestMechanismsRefuseInsecureConnections: no mechanism's Start returns a response, or
// anything else, for a connection that is not TLS or is to another host.
func TestMechanismsRefuseInsecureConnections(t *testing.T) {
	const host = "mail.example.test"
	auths := map[string]smtp.Auth{
		"LOGIN":         smtpport.LoginAuth(testUser, testPass, host),
		"XOAUTH2":       smtpport.XOAuth2Auth(testUser, testToken, host),
		"OAUTHBEARER":   smtpport.OAuthBearerAuth(testUser, testToken, host),
		"SCRAM-SHA-256": smtpport.ScramSHA256Auth(testUser, testPass),
	}
	servers := map[string]*smtp.ServerInfo{
		"plaintext":           {Name: host, TLS: false, Auth: []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER", "SCRAM-SHA-256"}},
		"plaintext localhost": {Name: "localhost", TLS: false},
		"TLS to another host": {Name: "evil.example.test", TLS: true},
	}
	for name, a := range auths {
		for sname, server := range servers {
			if name == "SCRAM-SHA-256" && server.TLS {
				continue // takes no host: TLS is all it can check
			}
			t.Run(name+"/"+sname, func(t *testing.T) {
				mech, resp, err := a.Start(server)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "refusing to send credentials")
				assert.Empty(t, mech)
				assert.Nil(t, resp)
			})
		}
	}
}
