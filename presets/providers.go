package presets

import "github.com/smtpport/smtpport/negotiate"

// Gmail is Google's submission service for consumer and Workspace accounts. It needs an
// app password (accounts with 2-Step Verification) or OAuth2 with the scope
// https://mail.google.com/. No port 2525.
var Gmail = Preset{
	Name:       "gmail",
	Routes:     []negotiate.Route{starttls("smtp.gmail.com", 587), implicit("smtp.gmail.com", 465)},
	Mechanisms: []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"},
	Username:   "full email address",
	Docs:       "https://support.google.com/mail/answer/7126229",
	Note:       "535 5.7.8 means an app password or OAuth2 is required",
}

// Office365 is Microsoft 365 / Exchange Online client submission: 587 STARTTLS only,
// TLS 1.2, and only LOGIN or XOAUTH2 (PLAIN gets 504 5.7.4). Basic-auth SMTP AUTH is
// off by default for tenants created after January 2020; Microsoft plans to switch it off
// by default for existing tenants at the end of December 2026 (OAuth2 only for new
// tenants after that), with final removal to be announced for the second half of 2027.
var Office365 = Preset{
	Name:       "office365",
	Routes:     []negotiate.Route{starttls("smtp.office365.com", 587)},
	Mechanisms: []string{"LOGIN", "XOAUTH2"},
	Username:   "mailbox address",
	Docs:       "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission",
	Note:       "535 5.7.139 means SMTP AUTH is disabled for the tenant or mailbox",
}

// Zoho is Zoho Mail for personal accounts in the US data centre (smtp.zoho.com). Use an
// app password when two-factor authentication is on.
var Zoho = Preset{
	Name:       "zoho",
	Routes:     []negotiate.Route{starttls("smtp.zoho.com", 587), implicit("smtp.zoho.com", 465)},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   "full email address",
	Docs:       "https://www.zoho.com/mail/help/zoho-smtp.html",
}

// Mailgun is Mailgun's US region. Credentials are per-domain SMTP credentials.
var Mailgun = Preset{
	Name: "mailgun",
	Routes: []negotiate.Route{
		starttls("smtp.mailgun.org", 587), implicit("smtp.mailgun.org", 465), starttls("smtp.mailgun.org", 2525),
	},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   "per-domain SMTP login, e.g. postmaster@mg.example.com",
	Docs:       "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
}
