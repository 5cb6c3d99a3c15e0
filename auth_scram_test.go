package smtpport_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSCRAMHostileServerFirst: a server whose SCRAM challenge asks for an absurd
// iteration count, or is malformed, fails Dial with ErrProtocol and no proof: the client
// refuses before deriving a key (without the cap, i=2147483647 costs minutes of CPU
// outside the context).
func TestSCRAMHostileServerFirst(t *testing.T) {
	salt := base64.StdEncoding.EncodeToString([]byte("salt"))
	cases := []struct {
		name        string
		serverFirst string
		why         string
	}{
		{name: "int32 max iterations", serverFirst: "r=anything,s=" + salt + ",i=2147483647", why: "more than 600000"},
		{name: "zero iterations", serverFirst: "r=anything,s=" + salt + ",i=0", why: "not a positive decimal"},
		{name: "negative iterations", serverFirst: "r=anything,s=" + salt + ",i=-5", why: "not a positive decimal"},
		{name: "no salt", serverFirst: "r=anything,i=4096", why: "fewer than three"},
		{name: "nonce not ours", serverFirst: "r=anything,s=" + salt + ",i=4096", why: "does not extend"},
		{name: "bidi override in the nonce", serverFirst: "r=\u202eanything,s=" + salt + ",i=4096", why: "printable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			script := append(smtptest.UpToTLS(),
				smtptest.EHLO("AUTH SCRAM-SHA-256"),
				smtptest.Step{Expect: "AUTH SCRAM-SHA-256",
					Send: []byte("334 " + base64.StdEncoding.EncodeToString([]byte(tc.serverFirst)) + "\r\n")},
				smtptest.Step{Expect: "*", Send: smtptest.Reply(501, "5.7.0 cancelled")},
				smtptest.Step{Expect: "QUIT", Send: smtptest.Reply(221, "bye"), Close: true},
			)
			e := newEnv(t, smtptest.Config{}, smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS, Script: script})
			_, err := e.dial(t, smtpport.WithPassword(testUser, testPass)) // one route at a time: 587 first
			require.ErrorIs(t, err, smtpport.ErrProtocol)
			assert.Contains(t, err.Error(), tc.why)
			assert.True(t, allFinal(t, err))
			for _, c := range e.srv.Commands() {
				decoded, _ := base64.StdEncoding.DecodeString(c.Line)
				assert.False(t, strings.HasPrefix(string(decoded), "c="), "no client-final (proof) sent: %q", decoded)
			}
		})
	}
}
