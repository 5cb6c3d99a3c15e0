package smtptest

import (
	"net/smtp"
	"net/textproto"
	"testing"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secured is a net/smtp client to srv's 587, after STARTTLS.
func secured(t *testing.T, srv *Server) *smtp.Client {
	t.Helper()
	conn, err := srv.Dialer().DialContext(t.Context(), "tcp", srv.RouteAddr(587))
	require.NoError(t, err)
	c, err := smtp.NewClient(conn, srv.Hostname())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Hello("client.test"))
	cfg := srv.ClientTLS()
	cfg.ServerName = srv.Hostname()
	require.NoError(t, c.StartTLS(cfg))
	return c
}

func TestNoAUTHAdvertised(t *testing.T) {
	srv := Start(t, Config{Users: map[string]string{"u": "p"}, Mechanisms: []string{}}, Endpoint{Port: 587, Security: negotiate.STARTTLS})
	ok, _ := secured(t, srv).Extension("AUTH")
	assert.False(t, ok)
}

func TestCRAMMD5(t *testing.T) {
	srv := Start(t, Config{Users: map[string]string{"u": "p"}, Mechanisms: []string{"CRAM-MD5"}}, Endpoint{Port: 587, Security: negotiate.STARTTLS})
	require.NoError(t, secured(t, srv).Auth(smtp.CRAMMD5Auth("u", "p")))
	var tpErr *textproto.Error
	require.ErrorAs(t, secured(t, srv).Auth(smtp.CRAMMD5Auth("u", "wrong")), &tpErr)
	assert.Equal(t, 535, tpErr.Code)
	assert.False(t, srv.SawSecret("p"), "CRAM-MD5 never sends the password")
}

func TestAuthReply(t *testing.T) {
	srv := Start(t, Config{
		Users:     map[string]string{"u": "p"},
		AuthReply: func(mech string) string { return "454 4.7.0 " + mech + " busy" },
	}, Endpoint{Port: 587, Security: negotiate.STARTTLS})
	var tpErr *textproto.Error
	require.ErrorAs(t, secured(t, srv).Auth(smtp.PlainAuth("", "u", "p", srv.Hostname())), &tpErr)
	assert.Equal(t, &textproto.Error{Code: 454, Msg: "4.7.0 PLAIN busy"}, tpErr)
}
