package presets

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpport/smtpport/negotiate"
)

func TestLookup(t *testing.T) {
	for alias, want := range map[string]string{
		"gmail": "gmail", "Gmail": "gmail", "google": "gmail", "GoogleMail": "gmail", "gmail.com": "gmail",
		"workspace-relay": "google-workspace-relay", "google_workspace_relay": "google-workspace-relay",
		"o365": "office365", "m365": "office365", "microsoft365": "office365", "Microsoft 365": "office365",
		"exchange-online": "office365", "Office365": "office365",
		"outlook": "outlook", "hotmail": "outlook", "outlook.com": "outlook",
		"zoho": "zoho", "zoho-eu": "zoho-eu", "ZohoEU": "zoho-eu", "zoho_in": "zoho-in", "zoho.com.au": "zoho-au",
		"zoho-jp": "zoho-jp", "zoho-ca": "zoho-ca", "smtppro": "zoho-pro", "zoho-pro-eu": "zoho-pro-eu",
		"mailgun": "mailgun", "mailgun-eu": "mailgun-eu", "sendinblue": "brevo", "SMTP2GO": "smtp2go",
		"sparkpost-eu": "sparkpost-eu", "icloud": "icloud", "apple": "icloud", "ymail": "yahoo",
		"gmx.net": "gmx-net", "gmx": "gmx", "proton": "proton-bridge", "proton-submission": "proton-submission",
		"  Yandex ": "yandex",
		// By host: the preset whose routes use it.
		"smtp.gmail.com": "gmail", "SMTP.Gmail.COM.": "gmail", " smtp.office365.com ": "office365",
		"smtp-mail.outlook.com": "outlook", "smtp.zoho.eu": "zoho-eu", "smtppro.zoho.com": "zoho-pro",
		"smtp.eu.mailgun.org": "mailgun-eu", "mail.smtp2go.com": "smtp2go", "smtp-relay.gmail.com": "google-workspace-relay",
		"email-smtp.eu-west-1.amazonaws.com": "ses-eu-west-1", "EMAIL-SMTP.US-EAST-1.AMAZONAWS.COM.": "ses-us-east-1",
	} {
		p, ok := Lookup(alias)
		if assert.True(t, ok, "Lookup(%q)", alias) {
			assert.Equal(t, want, p.Name, "Lookup(%q)", alias)
		}
	}
	p, ok := Lookup("SES-eu-central-1")
	require.True(t, ok)
	assert.Equal(t, "email-smtp.eu-central-1.amazonaws.com", p.Routes[0].Host)

	for _, unknown := range []string{
		"", "nope", "ses", "ses-", "ses-evil.com", "ses-nowhere",
		"gmail.com.evil.example", "smtp.gmail.com.evil.example", "evil.smtp.gmail.com", "smtp.gmail.com:587",
		"127.0.0.1", "email-smtp.evil.com.amazonaws.com", "email-smtp.eu-west-1.amazonaws.com.evil",
	} {
		_, ok := Lookup(unknown)
		assert.False(t, ok, "Lookup(%q)", unknown)
	}
}

// TestLookupByHostCoversEveryRoute: every host of every fixed preset finds a preset
// that uses that host (a shared host finds the same preset each time).
func TestLookupByHostCoversEveryRoute(t *testing.T) {
	for _, p := range All() {
		for _, r := range p.Routes {
			if r.Host == "127.0.0.1" {
				continue // Proton Bridge is local; an address is not a provider
			}
			got, ok := Lookup(r.Host)
			require.True(t, ok, "Lookup(%q)", r.Host)
			assert.True(t, slices.ContainsFunc(got.Routes, func(g negotiate.Route) bool { return g.Host == r.Host }), "Lookup(%q) = %s", r.Host, got.Name)
			again, _ := Lookup(r.Host)
			assert.Equal(t, got.Name, again.Name, "deterministic")
		}
	}
}

func TestAliases(t *testing.T) {
	cases := []struct {
		name    string
		want    []string // contained, in order
		exclude []string
	}{
		{"gmail", []string{"gmail.com", "google", "googlemail"}, []string{"gmail", "gmail-relay"}},
		{"Google", []string{"gmail.com", "google"}, nil},
		{"smtp.gmail.com", []string{"google"}, nil},
		{"office365", []string{"exchange-online", "m365", "o365"}, []string{"hotmail"}},
		{"gmx-net", []string{"gmx.de", "gmx.net"}, []string{"gmx.com"}},
		{"ses-eu-west-1", []string{"amazon-ses-eu-west-1", "aws-ses-eu-west-1", "ses:eu-west-1"}, []string{"ses-eu-west-1"}},
		{"mailjet", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Aliases(tc.name)
			assert.True(t, slices.IsSorted(got), "sorted: %v", got)
			var seen []string
			for _, a := range got {
				if slices.Contains(tc.want, a) {
					seen = append(seen, a)
				}
			}
			assert.Equal(t, tc.want, seen, "Aliases(%q) = %v", tc.name, got)
			for _, x := range tc.exclude {
				assert.NotContains(t, got, x)
			}
			p, _ := Lookup(tc.name)
			for _, a := range got {
				q, ok := Lookup(a)
				if assert.True(t, ok, "alias %q", a) {
					assert.Equal(t, p.Name, q.Name, "alias %q leads back", a)
				}
			}
		})
	}
	assert.Nil(t, Aliases("nope"))
	assert.Nil(t, Aliases("ses-nowhere"))
}

// TestAliasTable: every alias reaches its preset, none is another preset's name in
// disguise, and no two fold alike (buildAliasIndex panics on these at init; this says
// which entry is wrong).
func TestAliasTable(t *testing.T) {
	folded := map[string]string{}
	for alias, name := range aliases {
		k := fold(alias)
		assert.NotContains(t, folded, k, "aliases %q and %q fold alike", alias, folded[k])
		folded[k] = alias
		p, ok := Lookup(alias)
		if assert.True(t, ok, "alias %q", alias) {
			assert.Equal(t, name, p.Name, "alias %q", alias)
		}
	}
}
