package presets

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smtpport/smtpport/negotiate"
)

// fixture is the expected table, written out by hand so that a typo in a host, a port or a
// mode in the presets fails here. Routes read "host:port/mode" in negotiation order.
var fixture = map[string][]string{
	"gmail":                  {"smtp.gmail.com:587/starttls", "smtp.gmail.com:465/tls"},
	"google-workspace-relay": {"smtp-relay.gmail.com:587/starttls"},
	"office365":              {"smtp.office365.com:587/starttls"},
	"outlook":                {"smtp-mail.outlook.com:587/starttls"},
	"zoho":                   {"smtp.zoho.com:587/starttls", "smtp.zoho.com:465/tls"},
	"zoho-eu":                {"smtp.zoho.eu:587/starttls", "smtp.zoho.eu:465/tls"},
	"zoho-in":                {"smtp.zoho.in:587/starttls", "smtp.zoho.in:465/tls"},
	"zoho-au":                {"smtp.zoho.com.au:587/starttls", "smtp.zoho.com.au:465/tls"},
	"zoho-jp":                {"smtp.zoho.jp:587/starttls", "smtp.zoho.jp:465/tls"},
	"zoho-ca":                {"smtp.zohocloud.ca:587/starttls", "smtp.zohocloud.ca:465/tls"},
	"zoho-pro":               {"smtppro.zoho.com:587/starttls", "smtppro.zoho.com:465/tls"},
	"zoho-pro-eu":            {"smtppro.zoho.eu:587/starttls", "smtppro.zoho.eu:465/tls"},
	"zoho-pro-in":            {"smtppro.zoho.in:587/starttls", "smtppro.zoho.in:465/tls"},
	"zoho-pro-au":            {"smtppro.zoho.com.au:587/starttls", "smtppro.zoho.com.au:465/tls"},
	"zoho-pro-jp":            {"smtppro.zoho.jp:587/starttls", "smtppro.zoho.jp:465/tls"},
	"zoho-pro-ca":            {"smtppro.zohocloud.ca:587/starttls", "smtppro.zohocloud.ca:465/tls"},
	"fastmail":               {"smtp.fastmail.com:465/tls"},
	"icloud":                 {"smtp.mail.me.com:587/starttls"},
	"yahoo":                  {"smtp.mail.yahoo.com:587/starttls", "smtp.mail.yahoo.com:465/tls"},
	"aol":                    {"smtp.aol.com:465/tls"},
	"gmx":                    {"mail.gmx.com:587/starttls", "mail.gmx.com:465/tls"},
	"gmx-net":                {"mail.gmx.net:587/starttls", "mail.gmx.net:465/tls"},
	"yandex":                 {"smtp.yandex.com:465/tls"},
	"proton-bridge":          {"127.0.0.1:1025/starttls"},
	"proton-submission":      {"smtp.protonmail.ch:587/starttls"},
	"mailgun":                {"smtp.mailgun.org:587/starttls", "smtp.mailgun.org:465/tls", "smtp.mailgun.org:2525/starttls"},
	"mailgun-eu":             {"smtp.eu.mailgun.org:587/starttls", "smtp.eu.mailgun.org:465/tls", "smtp.eu.mailgun.org:2525/starttls"},
	"sendgrid":               {"smtp.sendgrid.net:587/starttls", "smtp.sendgrid.net:465/tls", "smtp.sendgrid.net:2525/starttls"},
	"postmark":               {"smtp.postmarkapp.com:587/starttls", "smtp.postmarkapp.com:2525/starttls"},
	"brevo":                  {"smtp-relay.brevo.com:587/starttls", "smtp-relay.brevo.com:465/tls", "smtp-relay.brevo.com:2525/starttls"},
	"mailjet":                {"in-v3.mailjet.com:587/starttls", "in-v3.mailjet.com:465/tls"},
	"smtp2go": {
		"mail.smtp2go.com:587/starttls", "mail.smtp2go.com:465/tls", "mail.smtp2go.com:2525/starttls",
		"mail.smtp2go.com:8465/tls", "mail.smtp2go.com:8025/starttls", "mail.smtp2go.com:443/tls",
		"mail.smtp2go.com:80/starttls",
	},
	"sparkpost":     {"smtp.sparkpostmail.com:587/starttls", "smtp.sparkpostmail.com:2525/starttls"},
	"sparkpost-eu":  {"smtp.eu.sparkpostmail.com:587/starttls", "smtp.eu.sparkpostmail.com:2525/starttls"},
	"resend":        {"smtp.resend.com:587/starttls", "smtp.resend.com:465/tls", "smtp.resend.com:2587/starttls", "smtp.resend.com:2465/tls"},
	"mailtrap":      {"live.smtp.mailtrap.io:587/starttls"},
	"mailtrap-bulk": {"bulk.smtp.mailtrap.io:587/starttls"},
}

func routeStrings(routes []negotiate.Route) []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.String()
	}
	return out
}

func TestPresetsMatchFixture(t *testing.T) {
	all := All()
	require.Len(t, all, len(fixture), "a preset was added or removed without updating the fixture")
	for _, p := range all {
		t.Run(p.Name, func(t *testing.T) {
			want, ok := fixture[p.Name]
			require.True(t, ok, "preset %q missing from the fixture", p.Name)
			assert.Equal(t, want, routeStrings(p.Routes))
			for _, r := range p.Routes {
				assert.NoError(t, r.Validate())
				assert.NotEqual(t, 25, r.Port, "port 25 is for relaying, never a submission route")
			}
			assert.NotEmpty(t, p.Username, "username convention")
			assert.True(t, strings.HasPrefix(p.Docs, "https://"), "docs link %q", p.Docs)
			assert.False(t, p.Untrusted)
		})
	}
}

func TestExportedVarsAreInTheTable(t *testing.T) {
	for _, p := range []Preset{
		Gmail, GoogleWorkspaceRelay, Office365, Outlook, Zoho, ZohoEU, ZohoIN, ZohoAU, ZohoJP, ZohoCA,
		ZohoPro, ZohoProEU, ZohoProIN, ZohoProAU, ZohoProJP, ZohoProCA, Mailgun, MailgunEU, SendGrid,
		Postmark, Brevo, Mailjet, SMTP2GO, SparkPost, SparkPostEU, Resend, Mailtrap, MailtrapBulk,
		Fastmail, ICloud, Yahoo, AOL, GMX, GMXNet, Yandex, ProtonBridge, ProtonSubmission,
	} {
		got, ok := Lookup(p.Name)
		require.True(t, ok, p.Name)
		assert.Equal(t, p, got)
	}
}

func TestQuirks(t *testing.T) {
	// Office 365 and Outlook.com refuse PLAIN (504 5.7.4): it must never be offered.
	for _, p := range []Preset{Office365, Outlook} {
		assert.ElementsMatch(t, []string{"LOGIN", "XOAUTH2"}, p.Mechanisms, p.Name)
	}
	// Postmark's 465 accepts and hangs: never raced.
	for _, r := range Postmark.Routes {
		assert.NotEqual(t, 465, r.Port)
	}
	assert.Contains(t, Gmail.Note+Gmail.Username, "app password")
	assert.Contains(t, Gmail.Mechanisms, "XOAUTH2")
}

func TestSES(t *testing.T) {
	p := SES("eu-west-1")
	assert.Equal(t, "ses-eu-west-1", p.Name)
	assert.Equal(t, []string{
		"email-smtp.eu-west-1.amazonaws.com:587/starttls", "email-smtp.eu-west-1.amazonaws.com:465/tls",
		"email-smtp.eu-west-1.amazonaws.com:2587/starttls", "email-smtp.eu-west-1.amazonaws.com:2465/tls",
	}, routeStrings(p.Routes))
	assert.Len(t, SES("us-gov-west-1").Routes, 4)

	cases := []struct{ region, problem string }{
		{"", "empty SES region"},
		{"nowhere", "SES region nowhere is not an AWS region name"},
		{"eu west 1", "SES region eu west 1 is not"},
		{"evil.com/x", "SES region evil.com/x is not"},
		{"us-east-1.evil.com", "SES region us-east-1.evil.com is not"},
		{"eu-west-1\x00", `SES region eu-west-1\x00 is not`},
		{"EU-WEST-1", "SES region EU-WEST-1 must be lower case: eu-west-1"},
	}
	for _, tc := range cases {
		p := SES(tc.region)
		require.Len(t, p.Routes, 1, "region %q", tc.region)
		err := p.Routes[0].Validate()
		require.Error(t, err, "a bad region's preset can never be dialed")
		assert.Contains(t, err.Error(), "presets.SES(")
		if !strings.Contains(tc.problem, `\`) { // Validate quotes the host, doubling backslashes
			assert.Contains(t, err.Error(), tc.problem)
		}
		assert.Contains(t, p.Note, tc.problem)
		assert.Empty(t, p.Mechanisms)
	}
}

func TestAllSortedAndCloneSafe(t *testing.T) {
	all := All()
	for i := 1; i < len(all); i++ {
		assert.Less(t, all[i-1].Name, all[i].Name)
	}
	// Changing what All and Lookup return never changes the table.
	all[0].Routes[0].Port = 1
	all[0].Mechanisms = append(all[0].Mechanisms[:0], "EVIL")
	g, _ := Lookup("gmail")
	g.Routes[0].Host = "evil.example"
	g.Mechanisms[0] = "EVIL"
	assert.Equal(t, All()[0].Routes, fixtureRoutes(t, all[0].Name))
	g2, _ := Lookup("gmail")
	assert.Equal(t, "smtp.gmail.com", g2.Routes[0].Host)
	assert.Equal(t, "PLAIN", g2.Mechanisms[0])
}

func TestExportedVarChangeDoesNotReachTable(t *testing.T) {
	saved := Postmark
	t.Cleanup(func() { Postmark = saved })
	Postmark.Routes = []negotiate.Route{implicit("smtp.postmarkapp.com", 465)}
	p, _ := Lookup("postmark")
	assert.Equal(t, fixture["postmark"], routeStrings(p.Routes))
}

func fixtureRoutes(t *testing.T, name string) []negotiate.Route {
	t.Helper()
	var out []negotiate.Route
	for _, s := range fixture[name] {
		r, err := negotiate.ParseRoute(s)
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

func TestCloneIsDeep(t *testing.T) {
	c := Gmail.Clone()
	c.Routes[0].Port = 1
	c.Mechanisms[0] = "X"
	assert.Equal(t, 587, Gmail.Routes[0].Port)
	assert.Equal(t, "PLAIN", Gmail.Mechanisms[0])
}
