package presets

import (
	"net/textproto"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestHint(t *testing.T) {
	cases := []struct {
		name   string
		preset Preset
		mech   string
		code   int
		msg    string
		want   string // a phrase the hint must hold; "" means no hint
	}{
		{"M365 SMTP AUTH disabled", Office365, "LOGIN", 535,
			"5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", "SMTP AUTH disabled"},
		{"M365 refuses PLAIN", Office365, "PLAIN", 504, "5.7.4 Unrecognized authentication type", "use LOGIN or XOAUTH2"},
		{"M365 bad password", Office365, "LOGIN", 535, "5.7.3 Authentication unsuccessful", "check the password"},
		{"M365 bad token", Office365, "XOAUTH2", 535, "5.7.3 Authentication unsuccessful", "SMTP.Send"},
		{"Outlook.com is Exchange Online", Outlook, "LOGIN", 535, "5.7.139 Authentication unsuccessful", "SMTP AUTH disabled"},
		{"Gmail bad token", Gmail, "XOAUTH2", 535, "5.7.8 Username and Password not accepted.", "scope https://mail.google.com/"},
		{"Gmail bad credentials", Gmail, "PLAIN", 535,
			"5.7.8 Username and Password not accepted. For more information, go to\n5.7.8  https://support.google.com/mail/?p=BadCredentials", "app password"},
		{"Gmail app password required", Gmail, "PLAIN", 534, "5.7.9 Application-specific password required.", "app password"},
		{"a provider's host given to Custom keeps its advice", Custom("smtp.office365.com"), "LOGIN", 535, "5.7.139 x", "SMTP AUTH disabled"},
		{"generic 5.7.8 elsewhere", Custom("mail.example.test"), "PLAIN", 535, "5.7.8 Authentication credentials invalid", ""},
		{"another provider's code", Zoho, "PLAIN", 535, "5.7.139 Authentication unsuccessful", ""},
		{"no enhanced code", Office365, "LOGIN", 535, "Authentication failed", ""},
		{"the code must match too", Office365, "LOGIN", 454, "5.7.139 later", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.preset.Hint(&textproto.Error{Code: tc.code, Msg: tc.msg}, tc.mech)
			if tc.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tc.want)
		})
	}
	assert.Empty(t, Gmail.Hint(nil, "PLAIN"))
}

// FuzzHint: any reply text gives either no hint or one of our own sentences, never the
// server's words.
func FuzzHint(f *testing.F) {
	f.Add("office365", "LOGIN", 535, "5.7.139 Authentication unsuccessful")
	f.Add("gmail", "XOAUTH2", 535, "5.7.8 Username and Password not accepted\n5.7.8 https://support.google.com/")
	f.Add("office365", "PLAIN", 504, "5.7.4\x00\r\n")
	f.Fuzz(func(t *testing.T, name, mech string, code int, msg string) {
		p, _ := Lookup(name)
		hint := p.Hint(&textproto.Error{Code: code, Msg: msg}, mech)
		if strings.ContainsFunc(hint, func(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }) {
			t.Fatalf("hint %q is not plain text", hint)
		}
		if hint != "" && len(msg) > 8 && strings.Contains(hint, msg) {
			t.Fatalf("hint %q echoes the server text", hint)
		}
	})
}
