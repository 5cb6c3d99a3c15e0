//go:build integration

package integration_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/stretchr/testify/require"
)

// TestMechanismsOption forces each mechanism Dovecot offers through the public option,
// on each submission route, and finds it in Postfix's log.
func TestMechanismsOption(t *testing.T) {
	for _, mech := range []string{"SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"} {
		for _, port := range []int{587, 465, 2525} {
			t.Run(fmt.Sprintf("%s/%d", mech, port), func(t *testing.T) {
				offset := env.LogOffset()
				res, err := smtpport.Negotiate(bgContext(t, 20*time.Second), preset(),
					options(t, smtpport.WithRoutes(route(port)), smtpport.WithMechanisms(mech))...)
				require.NoError(t, err)
				require.Equal(t, mech, res.Mechanism)
				id := newID("mechopt")
				require.NoError(t, send(res.Client, id))
				require.NoError(t, res.Client.Quit())
				requireDelivered(t, id, id)
				lines := logLines(t, offset, 1)
				require.Len(t, grep(lines, "sasl_method="+mech+", sasl_username="+env.User), 1,
					"Postfix logged the mechanism:\n%s", strings.Join(lines, "\n"))
			})
		}
	}
}

// TestSCRAMWrongPassword: a wrong password over SCRAM-SHA-256 is ErrAuthFailed, with one
// AUTH command.
func TestSCRAMWrongPassword(t *testing.T) {
	offset := env.LogOffset()
	c, err := smtpport.Dial(bgContext(t, 20*time.Second), preset(), smtpport.WithTLSConfig(tlsConfig(t)),
		smtpport.WithPassword(env.User, env.Password+"-wrong"), smtpport.WithMechanisms("SCRAM-SHA-256"))
	require.Nil(t, c)
	require.ErrorIs(t, err, smtpport.ErrAuthFailed)
	lines := logLines(t, offset, 1)
	require.Len(t, grep(lines, " auth=0/1 "), 1, "one AUTH command:\n%s", strings.Join(lines, "\n"))
}
