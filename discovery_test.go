package smtpport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

// countingDialer refuses every connection and counts the attempts.
type countingDialer struct{ n atomic.Int32 }

var errRefusedByTest = errors.New("refused by test dialer")

func (d *countingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	d.n.Add(1)
	return nil, errRefusedByTest
}

func TestUntrustedDiscoveryIsRefused(t *testing.T) {
	untrusted := presets.Preset{
		Name:      "example.org",
		Routes:    []negotiate.Route{{Host: "mail.attacker.example.net", Port: 587, Security: negotiate.STARTTLS}},
		Untrusted: true,
	}
	d := &countingDialer{}
	_, err := Negotiate(context.Background(), untrusted, WithDialer(d), WithPassword("u", "p"))
	require.ErrorIs(t, err, negotiate.ErrConfig)
	assert.Contains(t, err.Error(), "mail.attacker.example.net")
	assert.Contains(t, err.Error(), "WithUntrustedDiscovery")
	assert.Zero(t, d.n.Load(), "nothing may be dialed for a refused preset")

	for name, opt := range map[string]Option{
		"opt-in":          WithUntrustedDiscovery(),
		"explicit routes": WithRoutes(negotiate.Route{Host: "mail.example.org", Port: 587, Security: negotiate.STARTTLS}),
	} {
		d := &countingDialer{}
		_, err := Negotiate(context.Background(), untrusted, WithDialer(d), opt)
		require.Error(t, err, name)
		assert.NotErrorIs(t, err, negotiate.ErrConfig, name)
		assert.Equal(t, int32(1), d.n.Load(), name)
	}

	trusted := untrusted
	trusted.Untrusted = false
	d = &countingDialer{}
	_, err = Negotiate(context.Background(), trusted, WithDialer(d))
	assert.NotErrorIs(t, err, negotiate.ErrConfig)
	assert.Equal(t, int32(1), d.n.Load())
}

// TestPresetMechanismChoice: the preset's Mechanisms decide what a password may use.
// Office 365 advertises PLAIN but rejects it (504 5.7.4), so LOGIN must be chosen.
func TestPresetMechanismChoice(t *testing.T) {
	offered := []string{"PLAIN", "LOGIN", "XOAUTH2"}
	for _, tc := range []struct {
		preset presets.Preset
		want   string
	}{
		{presets.Office365, "LOGIN"},
		{presets.Outlook, "LOGIN"},
		{presets.Gmail, "PLAIN"},
		{presets.Custom("mail.example.org"), "PLAIN"},
	} {
		pol, err := newPolicy("a password", passwordMechanisms, nil, tc.preset.Mechanisms)
		require.NoError(t, err, tc.preset.Name)
		c := &passwordCredentials{username: "u", password: "p", policy: pol}
		got, err := c.Mechanism(offered, tls.ConnectionState{})
		require.NoError(t, err, tc.preset.Name)
		assert.Equal(t, tc.want, got, tc.preset.Name)
	}
	pol, err := newPolicy("a password", passwordMechanisms, nil, presets.Office365.Mechanisms)
	require.NoError(t, err)
	c := &passwordCredentials{policy: pol}
	_, err = c.Mechanism([]string{"PLAIN"}, tls.ConnectionState{})
	assert.Error(t, err, "Office 365 with only PLAIN offered: refuse rather than send it")
}

// TestOffice365NeverOffersPLAIN: against a server advertising PLAIN and LOGIN, the
// Office 365 preset authenticates with LOGIN and no AUTH PLAIN line is ever sent.
func TestOffice365NeverOffersPLAIN(t *testing.T) {
	const user, pass = "alice@example.test", "correct horse battery staple"
	srv := smtptest.Start(t, smtptest.Config{
		Users:      map[string]string{user: pass},
		Mechanisms: []string{"PLAIN", "LOGIN"},
	}, smtptest.Endpoint{Port: 587, Security: negotiate.STARTTLS})
	p := presets.Office365
	p.Routes = srv.Routes(587)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Negotiate(ctx, p, WithTLSConfig(srv.ClientTLS()), WithDialer(srv.Dialer()), WithPassword(user, pass))
	require.NoError(t, err)
	defer res.Client.Close()
	assert.Equal(t, "LOGIN", res.Mechanism)
	auths := srv.AuthCommands()
	require.Len(t, auths, 1)
	assert.True(t, strings.HasPrefix(strings.ToUpper(auths[0].Line), "AUTH LOGIN"), auths[0].Line)
}
