package smtpport

import (
	"context"
	"crypto/tls"
	"errors"
	"net/smtp"
	"net/textproto"
	"testing"

	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

const (
	iUser  = "alice@example.test"
	iPass  = "correct horse battery staple"
	iToken = "ya29.token"
)

// TestCredentialsRefuseInsecureConnections: whatever mechanism the negotiator picks, the
// smtp.Auth the credentials return refuses a plaintext or wrong-host connection before
// producing a byte: PLAIN and CRAM-MD5 from net/smtp included, and a custom Auth is never
// even started.
func TestCredentialsRefuseInsecureConnections(t *testing.T) {
	const host = smtptest.DefaultHostname
	ctx := context.Background()
	cs := tls.ConnectionState{HandshakeComplete: true, Version: tls.VersionTLS12, TLSUnique: []byte("0123456789ab")}
	pass := &passwordCredentials{username: iUser, password: iPass}
	token := &tokenCredentials{username: iUser, source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: iToken})}
	started := false
	custom := &customAuth{auth: startSpy{&started}}

	auths := map[string]smtp.Auth{}
	for _, m := range passwordMechanisms {
		a, err := pass.Auth(ctx, m, host, cs)
		require.NoError(t, err, m)
		auths["password "+m] = a
	}
	for _, m := range tokenMechanisms {
		a, err := token.Auth(ctx, m, host, cs)
		require.NoError(t, err, m)
		auths["token "+m] = a
	}
	a, err := custom.Auth(ctx, "", host, cs)
	require.NoError(t, err)
	auths["custom"] = a

	servers := map[string]*smtp.ServerInfo{
		"plaintext":           {Name: host, Auth: passwordMechanisms},
		"plaintext localhost": {Name: "localhost"},
		"TLS to another host": {Name: "evil.example.test", TLS: true, Auth: passwordMechanisms},
	}
	for name, a := range auths {
		for sname, server := range servers {
			t.Run(name+"/"+sname, func(t *testing.T) {
				mech, resp, err := a.Start(server)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "refusing to send credentials")
				assert.Empty(t, mech)
				assert.Nil(t, resp)
			})
		}
	}
	assert.False(t, started, "a custom Auth is not started on an insecure connection")
}

type startSpy struct{ started *bool }

func (s startSpy) Start(*smtp.ServerInfo) (string, []byte, error) {
	*s.started = true
	return "PLAIN", []byte("\x00u\x00p"), nil
}
func (s startSpy) Next([]byte, bool) ([]byte, error) { return nil, nil }

// TestSCRAMPlusBindsToItsChannel: the -PLUS proof covers the TLS channel it was made on;
// the server refuses it on another connection.
func TestSCRAMPlusBindsToItsChannel(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Config{
				Users:      map[string]string{iUser: iPass},
				Mechanisms: []string{"SCRAM-SHA-256-PLUS"},
			}, smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, MaxTLSVersion: version})
			a, b := startTLS(t, srv), startTLS(t, srv)
			csA, _ := a.TLSConnectionState()
			csB, _ := b.TLSConnectionState()

			wrong, err := newSCRAMAuth(context.Background(), iUser, iPass, srv.Hostname(), csA, true)
			require.NoError(t, err)
			var tpErr *textproto.Error
			require.ErrorAs(t, b.Auth(wrong), &tpErr)
			assert.Equal(t, 535, tpErr.Code)

			c := startTLS(t, srv)
			csC, _ := c.TLSConnectionState()
			right, err := newSCRAMAuth(context.Background(), iUser, iPass, srv.Hostname(), csC, true)
			require.NoError(t, err)
			require.NoError(t, c.Auth(right))
			assert.Equal(t, version, csB.Version)
		})
	}
}

// startTLS opens a plain net/smtp client to srv's 587 and upgrades it to TLS.
func startTLS(t *testing.T, srv *smtptest.Server) *smtp.Client {
	t.Helper()
	conn, err := srv.Dialer().DialContext(context.Background(), "tcp", srv.RouteAddr(587))
	require.NoError(t, err)
	c, err := smtp.NewClient(conn, srv.Hostname())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Hello("client.example.test"))
	require.NoError(t, c.StartTLS(&tls.Config{ServerName: srv.Hostname(), RootCAs: srv.CA().Pool()}))
	return c
}

// hangingSource blocks in Token until release is closed, and says when it was entered.
type hangingSource struct{ entered, release, done chan struct{} }

func (s *hangingSource) Token() (*oauth2.Token, error) {
	defer close(s.done)
	close(s.entered)
	<-s.release
	return &oauth2.Token{AccessToken: iToken}, nil
}

// TestFetchTokenGivesUpPlainly: when the context ends before the token source answers
// (or had ended already), the error says no token came and nothing was sent, and wraps
// the context's cause as well as its error.
func TestFetchTokenGivesUpPlainly(t *testing.T) {
	errGaveUp := errors.New("attempt timeout")
	for _, already := range []bool{false, true} {
		src := &hangingSource{entered: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
		ctx, cancel := context.WithCancelCause(context.Background())
		if already {
			cancel(errGaveUp)
		} else {
			go func() {
				<-src.entered
				cancel(errGaveUp)
			}()
		}
		_, err := fetchToken(ctx, src)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "no OAuth2 token in time; nothing was sent")
		assert.ErrorIs(t, err, errGaveUp)
		assert.ErrorIs(t, err, context.Canceled)
		close(src.release)
		if !already {
			<-src.done // the abandoned Token call ends once the source returns
		}
		cancel(nil)
	}
}
