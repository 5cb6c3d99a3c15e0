//go:build integration

package integration_test

import (
	"fmt"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/stretchr/testify/require"
	"github.com/xdg-go/stringprep"
)

// intlOptions are options with the second test user, whose password SASLprep changes.
func intlOptions(t testing.TB, extra ...smtpport.Option) []smtpport.Option {
	return append([]smtpport.Option{
		smtpport.WithTLSConfig(tlsConfig(t)),
		smtpport.WithPassword(env.IntlUser, env.IntlPassword),
		smtpport.WithLocalName("client.smtpport.test"),
	}, extra...)
}

// sendAs delivers one message from the intl user to the test user's address.
func sendAs(c *smtp.Client, id string) error {
	if err := c.Mail(env.IntlUser); err != nil {
		return err
	}
	if err := c.Rcpt(env.Address("it")); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: smtpport SASLprep\r\nMessage-ID: <%s>\r\n"+
		"Date: %s\r\n\r\nsent with a password SASLprep changes\r\n",
		env.IntlUser, env.Address("it"), id, time.Now().Format(time.RFC1123Z))
	return w.Close()
}

// TestSASLprepChangedPassword (issue 17): Dovecot compares the password as stored, with
// no SASLprep. For a password SASLprep changes, the default choice skips SCRAM and logs
// in on every route; every mechanism Dovecot offers works except SCRAM-SHA-256, which,
// forced, is a plain ErrAuthFailed with the server's 535.
func TestSASLprepChangedPassword(t *testing.T) {
	prepared, err := stringprep.SASLprep.Prepare(env.IntlPassword)
	require.NoError(t, err)
	require.NotEqual(t, prepared, env.IntlPassword, "the second user's password must be one SASLprep changes")
	for _, port := range []int{587, 465, 2525} {
		for _, mech := range []string{"", "PLAIN", "LOGIN", "CRAM-MD5"} {
			name := mech
			if name == "" {
				name = "default"
			}
			t.Run(fmt.Sprintf("%s/%d", name, port), func(t *testing.T) {
				extra := []smtpport.Option{smtpport.WithRoutes(route(port))}
				want := mech
				if mech == "" {
					want = "PLAIN" // Dovecot offers PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256
				} else {
					extra = append(extra, smtpport.WithMechanisms(mech))
				}
				offset := env.LogOffset()
				res, err := smtpport.Negotiate(bgContext(t, 20*time.Second), preset(), intlOptions(t, extra...)...)
				require.NoError(t, err)
				require.Equal(t, want, res.Mechanism)
				id := newID("saslprep")
				require.NoError(t, sendAs(res.Client, id))
				require.NoError(t, res.Client.Quit())
				requireDelivered(t, id, id)
				lines := logLines(t, offset, 1)
				require.Len(t, grep(lines, "sasl_method="+want+", sasl_username="+env.IntlUser), 1,
					"Postfix logged the login:\n%s", strings.Join(lines, "\n"))
			})
		}
		t.Run(fmt.Sprintf("SCRAM-SHA-256/%d", port), func(t *testing.T) {
			offset := env.LogOffset()
			c, err := smtpport.Dial(bgContext(t, 20*time.Second), preset(),
				intlOptions(t, smtpport.WithRoutes(route(port)), smtpport.WithMechanisms("SCRAM-SHA-256"))...)
			require.Nil(t, c)
			require.ErrorIs(t, err, smtpport.ErrAuthFailed)
			require.NotErrorIs(t, err, smtpport.ErrProtocol, "a rejected proof is not a protocol violation")
			var tpErr *textproto.Error
			require.ErrorAs(t, err, &tpErr)
			require.Equal(t, 535, tpErr.Code)
			lines := logLines(t, offset, 1)
			require.Len(t, grep(lines, " auth=0/1 "), 1, "one AUTH command:\n%s", strings.Join(lines, "\n"))
		})
	}
}
