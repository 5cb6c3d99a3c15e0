package smtpport

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
		c := &passwordCredentials{username: "u", password: "p", accepted: tc.preset.Mechanisms}
		got, err := c.Mechanism(offered)
		require.NoError(t, err, tc.preset.Name)
		assert.Equal(t, tc.want, got, tc.preset.Name)
	}
	c := &passwordCredentials{accepted: presets.Office365.Mechanisms}
	_, err := c.Mechanism([]string{"PLAIN"})
	assert.Error(t, err, "Office 365 with only PLAIN offered: refuse rather than send it")
}
