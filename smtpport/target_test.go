package main

import (
	"context"
	"errors"
	"testing"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResolveTarget: what each TARGET spelling becomes, without any network.
func TestResolveTarget(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		kind     string
		preset   string   // the preset's name
		routes   []string // candidates, port 25 included
		mechs    []string
		note     string
		suggests string
		err      string // a usage error
	}{
		{name: "preset", args: []string{"gmail"}, kind: "preset", preset: "gmail",
			routes: []string{"smtp.gmail.com:587/starttls", "smtp.gmail.com:465/tls"}, mechs: []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"}},
		{name: "alias", args: []string{"Exchange Online"}, kind: "preset", preset: "office365", routes: []string{"smtp.office365.com:587/starttls"}},
		{name: "SES in upper case", args: []string{"SES-EU-WEST-1"}, kind: "preset", preset: "ses-eu-west-1",
			routes: []string{"email-smtp.eu-west-1.amazonaws.com:587/starttls", "email-smtp.eu-west-1.amazonaws.com:465/tls",
				"email-smtp.eu-west-1.amazonaws.com:2587/starttls", "email-smtp.eu-west-1.amazonaws.com:2465/tls"}},
		{name: "provider host", args: []string{"smtp.gmail.com."}, kind: "preset", preset: "gmail",
			routes: []string{"smtp.gmail.com:587/starttls", "smtp.gmail.com:465/tls"}, note: "smtp.gmail.com is a host of the gmail preset: 2 routes"},
		{name: "provider route keeps the provider's advice", args: []string{"smtp.office365.com:587"}, kind: "routes", preset: "office365",
			routes: []string{"smtp.office365.com:587/starttls"}, mechs: []string{"LOGIN", "XOAUTH2"}},
		{name: "host", args: []string{"mail.example.org"}, kind: "host", preset: "mail.example.org",
			routes: []string{"mail.example.org:587/starttls", "mail.example.org:465/tls", "mail.example.org:2525/starttls", "mail.example.org:25/starttls"}},
		{name: "host and port", args: []string{"mail.example.org:2587"}, kind: "routes", preset: "mail.example.org", routes: []string{"mail.example.org:2587/starttls"}},
		{name: "IPv6 with port", args: []string{"[2001:db8::1]:465"}, kind: "routes", preset: "2001:db8::1", routes: []string{"[2001:db8::1]:465/tls"}},
		{name: "routes", args: []string{"a.example:2465/tls", "b.example"}, kind: "routes", preset: "a.example",
			routes: []string{"a.example:2465/tls", "b.example:587/starttls", "b.example:465/tls", "b.example:2525/starttls"}},
		{name: "typo", args: []string{"gmial"}, kind: "host", preset: "gmial", suggests: "gmail",
			routes: []string{"gmial:587/starttls", "gmial:465/tls", "gmial:2525/starttls", "gmial:25/starttls"},
			note:   "gmial is not a preset (did you mean gmail?): probing it as a host name"},
		{name: "dotted typo: suggestion kept for the verdict, no note", args: []string{"smtp.gmial.com"}, kind: "host", preset: "smtp.gmial.com", suggests: "gmail",
			routes: []string{"smtp.gmial.com:587/starttls", "smtp.gmial.com:465/tls", "smtp.gmial.com:2525/starttls", "smtp.gmial.com:25/starttls"}},
		{name: "bad port", args: []string{"mail.example.org:0"}, err: `"mail.example.org:0" is not a preset, an address or a host name: port 0 is not a number from 1 to 65535`},
		{name: "bad SES", args: []string{"aws-ses-mars-1"}, err: `"aws-ses-mars-1" is not an Amazon SES preset: SES region mars-1 is not an AWS region name`},
		{name: "address among routes", args: []string{"mail.example.org:587", "me@example.org"}, err: `route "me@example.org": an email address, not a host`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveTarget(context.Background(), tc.args)
			if tc.err != "" {
				var u usage
				require.True(t, errors.As(err, &u), "a usage error: %v", err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.kind, got.kind)
			assert.Equal(t, tc.preset, got.preset.Name)
			var routes []string
			for _, c := range got.candidates {
				routes = append(routes, c.route.String())
				assert.Equal(t, c.route.Port != 25, c.dial)
			}
			assert.Equal(t, tc.routes, routes)
			if tc.mechs != nil {
				assert.Equal(t, tc.mechs, got.preset.Mechanisms)
			}
			assert.Equal(t, tc.note, got.note)
			assert.Equal(t, tc.suggests, got.suggestion)
		})
	}
}

func TestResolveTargetAddress(t *testing.T) {
	ctx := context.Background()
	tg, err := resolveTarget(ctx, []string{"alice@example.test"}, fakeDNS(map[string]string{
		"submissions": "mail.example.test:465", "submission": "mail.example.test:587"})...)
	require.NoError(t, err)
	assert.Equal(t, "address", tg.kind)
	assert.False(t, tg.untrusted)
	assert.Equal(t, []negotiate.Route{
		{Host: "mail.example.test", Port: 465, Security: negotiate.ImplicitTLS},
		{Host: "mail.example.test", Port: 587, Security: negotiate.STARTTLS},
	}, tg.preset.Routes)
	assert.Contains(t, tg.note, "by srv")

	_, err = resolveTarget(ctx, []string{"alice@example.test"}, fakeDNS(nil)...)
	assert.ErrorIs(t, err, presets.ErrNotFound)
}
