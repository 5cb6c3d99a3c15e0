package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/smtp"
	"testing"
	"time"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSubmission drives the server with plain net/smtp: STARTTLS, PLAIN, one message.
func TestSubmission(t *testing.T) {
	srv := Start(t, Config{Users: map[string]string{"u": "p"}}, Endpoint{Port: 587, Security: negotiate.STARTTLS})
	conn, err := srv.Dialer().DialContext(t.Context(), "tcp", srv.RouteAddr(587))
	require.NoError(t, err)
	c, err := smtp.NewClient(conn, srv.Hostname())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Hello("client.test"))
	ok, _ := c.Extension("AUTH")
	assert.False(t, ok, "no AUTH before TLS")
	assert.Error(t, c.Mail("u@x"), "MAIL needs AUTH")
	tlsCfg := srv.ClientTLS()
	tlsCfg.ServerName = srv.Hostname()
	require.NoError(t, c.StartTLS(tlsCfg))
	ok, mechs := c.Extension("AUTH")
	require.True(t, ok)
	assert.Equal(t, "PLAIN LOGIN", mechs)
	require.NoError(t, c.Auth(smtp.PlainAuth("", "u", "p", srv.Hostname())))
	require.NoError(t, c.Mail("u@x"))
	require.NoError(t, c.Rcpt("v@y"))
	w, err := c.Data()
	require.NoError(t, err)
	fmt.Fprint(w, "Subject: s\r\n\r\n.dot\r\nbody\r\n")
	require.NoError(t, w.Close())
	require.NoError(t, c.Quit())

	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, Message{Port: 587, User: "u", From: "u@x", To: []string{"v@y"}, Data: []byte("Subject: s\r\n\r\n.dot\r\nbody\r\n")}, msgs[0])
	auths := srv.AuthCommands()
	require.Len(t, auths, 1)
	assert.True(t, auths[0].TLS)
	assert.Equal(t, "\x00u\x00p", auths[0].Decoded)
	assert.True(t, srv.SawSecret("p"))
}

func TestCertificates(t *testing.T) {
	ca, err := NewCA()
	require.NoError(t, err)
	verify := func(cert tls.Certificate, name string) error {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		require.NoError(t, err)
		_, err = leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: name})
		return err
	}
	good, err := ca.Issue([]string{"mail.example.test", "127.0.0.1"}, CertOptions{})
	require.NoError(t, err)
	assert.NoError(t, verify(good, "mail.example.test"))
	assert.Error(t, verify(good, "other.example.test"), "wrong name")

	self, err := ca.Issue([]string{"mail.example.test"}, CertOptions{SelfSigned: true})
	require.NoError(t, err)
	assert.Error(t, verify(self, "mail.example.test"), "self-signed is not from the CA")

	expired, err := ca.Issue([]string{"mail.example.test"}, CertOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	require.NoError(t, err)
	assert.Error(t, verify(expired, "mail.example.test"), "expired")
}
