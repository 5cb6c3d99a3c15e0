package smtpport_test

import (
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSASLprepRule: the mechanism chosen for a password depends on what SASLprep does to
// it (credentials_saslprep.go). The test server prepares passwords for SCRAM as RFC 5802
// says, so every choice it makes also logs in.
func TestSASLprepRule(t *testing.T) {
	const (
		ascii      = "correct horse battery staple"
		fullWidth  = "pin １２３"             // NFKC maps to "pin 123"
		noBreak    = "two\u00a0words"      // mapped to a space
		softHyphen = "soft\u00adhyphen"    // mapped to nothing
		control    = "bell\u0007character" // prohibited: SCRAM unusable
		emoji      = "pass\U0001F600"      // unassigned in Unicode 3.2: SCRAM unusable
	)
	var (
		all      = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}
		onlySCRA = []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}
		scramCRA = []string{"SCRAM-SHA-256", "CRAM-MD5"}
		loginOnl = []string{"SCRAM-SHA-256", "LOGIN"}
	)
	cases := []struct {
		password string
		offered  []string
		want     string // "" : no usable mechanism, a configuration error
	}{
		{ascii, all, "SCRAM-SHA-256-PLUS"},
		{ascii, onlySCRA, "SCRAM-SHA-256-PLUS"},
		{ascii, scramCRA, "SCRAM-SHA-256"},
		{ascii, loginOnl, "SCRAM-SHA-256"},

		{fullWidth, all, "PLAIN"},
		{fullWidth, onlySCRA, "SCRAM-SHA-256-PLUS"}, // the only one offered: still used
		{fullWidth, scramCRA, "CRAM-MD5"},
		{fullWidth, loginOnl, "LOGIN"},
		{noBreak, all, "PLAIN"},
		{noBreak, onlySCRA, "SCRAM-SHA-256-PLUS"},
		{noBreak, scramCRA, "CRAM-MD5"},
		{softHyphen, all, "PLAIN"},
		{softHyphen, onlySCRA, "SCRAM-SHA-256-PLUS"},
		{softHyphen, scramCRA, "CRAM-MD5"},

		{control, all, "PLAIN"},
		{control, onlySCRA, ""},
		{control, scramCRA, "CRAM-MD5"},
		{control, loginOnl, "LOGIN"},
		{emoji, all, "PLAIN"},
		{emoji, onlySCRA, ""},
	}
	for _, tc := range cases {
		t.Run(tc.password+"/"+tc.offered[len(tc.offered)-1], func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Users: map[string]string{testUser: tc.password}, Mechanisms: tc.offered},
				smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS})
			res, err := e.dial(t, smtpport.WithPassword(testUser, tc.password))
			if tc.want == "" {
				require.ErrorIs(t, err, negotiate.ErrConfig)
				assert.NotErrorIs(t, err, negotiate.ErrAuthFailed, "the password was not rejected: it was never sent")
				assert.Contains(t, err.Error(), "SCRAM-SHA-256 cannot be used: SASLprep (RFC 4013) refuses the password")
				assert.Contains(t, err.Error(), "nothing was sent")
				assert.NotContains(t, err.Error(), tc.password)
				assert.Empty(t, e.srv.AuthCommands(), "nothing sent")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Mechanism)
			require.Len(t, e.srv.AuthCommands(), 1)
			sendOne(t, res.Client, e.srv, 587)
		})
	}
}

// TestSASLprepWithMechanisms: an explicit WithMechanisms keeps its order whatever
// SASLprep does, except that a SCRAM it refuses is skipped; with nothing left, Dial
// fails before connecting.
func TestSASLprepWithMechanisms(t *testing.T) {
	all := []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}
	cases := []struct {
		name, password string
		mechanisms     []string
		want           string // "": configuration error before any connection
	}{
		{name: "changed password, SCRAM asked for", password: "pin １２３", mechanisms: []string{"SCRAM-SHA-256", "PLAIN"}, want: "SCRAM-SHA-256-PLUS"},
		{name: "changed password, PLAIN asked for", password: "pin １２３", mechanisms: []string{"LOGIN", "SCRAM-SHA-256"}, want: "LOGIN"},
		{name: "refused password, SCRAM then PLAIN", password: "bell\u0007", mechanisms: []string{"SCRAM-SHA-256", "PLAIN"}, want: "PLAIN"},
		{name: "refused password, SCRAM only", password: "bell\u0007", mechanisms: []string{"SCRAM-SHA-256"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{Users: map[string]string{testUser: tc.password}, Mechanisms: all},
				smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS})
			res, err := e.dial(t, smtpport.WithPassword(testUser, tc.password), smtpport.WithMechanisms(tc.mechanisms...),
				smtpport.WithStagger(time.Millisecond))
			if tc.want == "" {
				require.ErrorIs(t, err, negotiate.ErrConfig)
				assert.Contains(t, err.Error(), "SCRAM-SHA-256-PLUS and SCRAM-SHA-256 cannot be used: SASLprep")
				assert.Zero(t, e.dialer.TotalDials(), "known before connecting")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Mechanism)
		})
	}
}

// TestSASLprepUserName: the rule covers the user name too; a server that skips SASLprep
// would see another user.
func TestSASLprepUserName(t *testing.T) {
	const user = "ａｌｉｃｅ@example.test" // full-width letters
	e := newEnv(t, smtptest.Config{Users: map[string]string{user: testPass}, Mechanisms: []string{"SCRAM-SHA-256", "PLAIN"}},
		smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS})
	res, err := e.dial(t, smtpport.WithPassword(user, testPass))
	require.NoError(t, err)
	assert.Equal(t, "PLAIN", res.Mechanism)
}
