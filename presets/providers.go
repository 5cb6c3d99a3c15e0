package presets

import "github.com/smtpport/smtpport/negotiate"

// This file holds mailbox providers: services where a person has an inbox and submits mail
// as themselves. Sending services (Mailgun, SES ...) are in relays.go.

// Gmail is Google's submission service for consumer and Workspace accounts. It needs an
// app password (accounts with 2-Step Verification) or OAuth2 with the scope
// https://mail.google.com/; Google removed plain-password sign-in for consumer accounts on
// 2022-05-30 and for Workspace on 2024-09-30 (support.google.com/a/answer/14114704).
// No port 2525.
var Gmail = Preset{
	Name:       "gmail",
	Routes:     []negotiate.Route{starttls("smtp.gmail.com", 587), implicit("smtp.gmail.com", 465)},
	Mechanisms: []string{"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"},
	Username:   "full email address",
	Docs:       "https://support.google.com/mail/answer/7126229",
	Note:       "535 5.7.8 means an app password or OAuth2 is required",
	hints:      googleHints,
}

// GoogleWorkspaceRelay is the Workspace SMTP relay service (smtp-relay.gmail.com) that an
// administrator enables for devices and applications. With TLS Google documents port 587
// only; SMTP AUTH is possible only over TLS, otherwise the relay authenticates by IP
// address (then call Dial without credentials).
var GoogleWorkspaceRelay = Preset{
	Name:       "google-workspace-relay",
	Routes:     []negotiate.Route{starttls("smtp-relay.gmail.com", 587)},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   "Workspace user address, when the relay rule requires SMTP authentication",
	Docs:       "https://support.google.com/a/answer/2956491",
	Note:       "an administrator must add a relay rule first; limits are per user and per organisation",
	hints:      googleHints,
}

// Office365 is Microsoft 365 / Exchange Online client submission: 587 STARTTLS only,
// TLS 1.2, and only LOGIN or XOAUTH2 (PLAIN gets 504 5.7.4), so a password is always sent
// with LOGIN even when the server also advertises PLAIN.
//
// Basic-auth timeline: SMTP AUTH is off by default for tenants created after January 2020
// and must be enabled per mailbox. Microsoft's update of 27 January 2026 keeps Basic auth
// for SMTP AUTH unchanged until December 2026; at the end of December 2026 it is switched
// off by default for existing tenants (administrators can turn it back on) and tenants
// created after that are OAuth2 only; the final removal date is to be announced in the
// second half of 2027 (techcommunity.microsoft.com Exchange blog 4489835). OAuth2 uses the
// scope https://outlook.office.com/SMTP.Send.
var Office365 = Preset{
	Name:       "office365",
	Routes:     []negotiate.Route{starttls("smtp.office365.com", 587)},
	Mechanisms: []string{"LOGIN", "XOAUTH2"},
	Username:   "mailbox address",
	Docs:       "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission",
	Note:       "535 5.7.139 means SMTP AUTH is disabled for the tenant or mailbox",
	Limits: Limits{MessagesPerMinute: 30, // "Message rate limit: 30 messages per minute"
		Source: "https://learn.microsoft.com/en-us/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits-1"},
	hints: microsoftHints,
}

// Outlook is Microsoft's consumer service (outlook.com, hotmail.com, live.com): 587
// STARTTLS. Microsoft documents OAuth2 (Modern Auth) as the sign-in method and Basic auth
// as being retired (OAuth2 only since 2024-09-16 for most accounts); an app password may
// still work for some accounts. It runs on Exchange Online, so PLAIN is never offered.
var Outlook = Preset{
	Name:       "outlook",
	Routes:     []negotiate.Route{starttls("smtp-mail.outlook.com", 587)},
	Mechanisms: []string{"LOGIN", "XOAUTH2"},
	Username:   "full email address",
	Docs:       "https://support.microsoft.com/en-us/office/pop-imap-and-smtp-settings-8361e398-8af4-4e97-b147-6c6c4ac95353",
	Note:       "OAuth2 is required for most accounts; passwords are being retired",
	hints:      microsoftHints,
}

// ispdb is Thunderbird's provider database, maintained with the providers; cited where a
// provider's own page was not available.
const ispdb = "https://github.com/thunderbird/autoconfig/blob/prod/ispdb/"

// zohoDocs is Zoho's SMTP page; it lists the regional hosts and the smtppro hosts of paid
// organisations. Ports per region are also in Thunderbird's ISPDB (zoho.*.xml).
const zohoDocs = "https://www.zoho.com/mail/help/zoho-smtp.html"

// zoho builds a Zoho Mail preset: 587 STARTTLS and 465 implicit TLS on one regional host.
func zoho(name, host, username, note string) Preset {
	return Preset{
		Name:       name,
		Routes:     []negotiate.Route{starttls(host, 587), implicit(host, 465)},
		Mechanisms: []string{"PLAIN", "LOGIN"},
		Username:   username,
		Docs:       zohoDocs,
		Note:       note,
	}
}

const (
	zohoPersonalUser = "full email address (personal or free-plan account)"
	zohoPersonalNote = "use an application-specific password when two-factor authentication is on"
	zohoOrgUser      = "address on the organisation's domain"
	zohoOrgNote      = "for paid organisation accounts with a domain-based address; use an application-specific password with 2FA"
)

// Zoho Mail for personal accounts, one preset per data centre. The account only works on
// the data centre it lives in (the one whose web address you sign in at). Zoho's China
// (.com.cn) and Saudi (.sa) data centres are not included: no Zoho or ISPDB source for
// their SMTP hosts was found.
var (
	Zoho   = zoho("zoho", "smtp.zoho.com", zohoPersonalUser, zohoPersonalNote)
	ZohoEU = zoho("zoho-eu", "smtp.zoho.eu", zohoPersonalUser, zohoPersonalNote)
	ZohoIN = zoho("zoho-in", "smtp.zoho.in", zohoPersonalUser, zohoPersonalNote)
	ZohoAU = zoho("zoho-au", "smtp.zoho.com.au", zohoPersonalUser, zohoPersonalNote)
	ZohoJP = zoho("zoho-jp", "smtp.zoho.jp", zohoPersonalUser, zohoPersonalNote)
	ZohoCA = zoho("zoho-ca", "smtp.zohocloud.ca", zohoPersonalUser, zohoPersonalNote)
)

// Zoho Mail for organisations (paid plans, address on the organisation's own domain): the
// smtppro hosts, one per data centre. Discover picks these for domains whose MX points at
// Zoho.
var (
	ZohoPro   = zoho("zoho-pro", "smtppro.zoho.com", zohoOrgUser, zohoOrgNote)
	ZohoProEU = zoho("zoho-pro-eu", "smtppro.zoho.eu", zohoOrgUser, zohoOrgNote)
	ZohoProIN = zoho("zoho-pro-in", "smtppro.zoho.in", zohoOrgUser, zohoOrgNote)
	ZohoProAU = zoho("zoho-pro-au", "smtppro.zoho.com.au", zohoOrgUser, zohoOrgNote)
	ZohoProJP = zoho("zoho-pro-jp", "smtppro.zoho.jp", zohoOrgUser, zohoOrgNote)
	ZohoProCA = zoho("zoho-pro-ca", "smtppro.zohocloud.ca", zohoOrgUser, zohoOrgNote)
)

// Fastmail documents 465 implicit TLS only ("SSL/TLS, not STARTTLS") with PLAIN. Port 587
// is reported to work by third parties but is not in Fastmail's documentation, so it is
// not listed.
var Fastmail = Preset{
	Name:       "fastmail",
	Routes:     []negotiate.Route{implicit("smtp.fastmail.com", 465)},
	Mechanisms: []string{"PLAIN"},
	Username:   "full Fastmail email address",
	Docs:       "https://www.fastmail.com/help/technical/servernamesandports.html",
	Note:       "needs an app password; the account password never works over SMTP",
}

// ICloud is iCloud Mail (icloud.com, me.com, mac.com): 587 STARTTLS only; Apple
// documents no implicit-TLS port.
var ICloud = Preset{
	Name:     "icloud",
	Routes:   []negotiate.Route{starttls("smtp.mail.me.com", 587)},
	Username: "full iCloud email address",
	Docs:     "https://support.apple.com/en-us/102525",
	Note:     "needs an app-specific password (two-factor authentication must be on)",
}

// Yahoo is Yahoo Mail: 587 STARTTLS and 465 implicit TLS (ISPDB yahoo.com.xml, which
// links Yahoo's own help). Third-party clients need an app password or OAuth2.
var Yahoo = Preset{
	Name:     "yahoo",
	Routes:   []negotiate.Route{starttls("smtp.mail.yahoo.com", 587), implicit("smtp.mail.yahoo.com", 465)},
	Username: "full email address",
	Docs:     "https://help.yahoo.com/kb/new-mail-for-desktop/imap-server-settings-yahoo-mail-sln4075.html",
	Note:     "needs an app password (generated after two-step verification) or OAuth2",
}

// AOL is AOL Mail: 465 implicit TLS (ISPDB aol.com.xml). Port 587 appears only in
// third-party guides, so it is not listed.
var AOL = Preset{
	Name:     "aol",
	Routes:   []negotiate.Route{implicit("smtp.aol.com", 465)},
	Username: "full email address",
	Docs:     "https://help.aol.com/articles/how-do-i-use-other-email-applications-to-send-and-receive-my-aol-mail",
	Note:     "needs an app password or OAuth2",
}

// GMX is GMX's international service (gmx.com, gmx.co.uk, gmx.fr ...): 587 STARTTLS
// and 465 implicit TLS on mail.gmx.com (ISPDB gmx.com.xml). German-market accounts
// (gmx.net, gmx.de, gmx.at, gmx.ch) use GMXNet.
var GMX = Preset{
	Name:     "gmx",
	Routes:   []negotiate.Route{starttls("mail.gmx.com", 587), implicit("mail.gmx.com", 465)},
	Username: "full email address",
	Docs:     ispdb + "gmx.com.xml",
	Note:     "POP3/IMAP/SMTP access must be switched on once in the account's settings",
}

// GMXNet is GMX's German-market service (gmx.net, gmx.de, gmx.at, gmx.ch): mail.gmx.net,
// 587 STARTTLS and 465 implicit TLS (ISPDB gmx.net.xml).
var GMXNet = Preset{
	Name:     "gmx-net",
	Routes:   []negotiate.Route{starttls("mail.gmx.net", 587), implicit("mail.gmx.net", 465)},
	Username: "full email address (or customer number)",
	Docs:     "https://hilfe.gmx.net/pop-imap/imap/imap-serverdaten.html",
	Note:     "POP3/IMAP/SMTP access must be switched on once in the account's settings",
}

// Yandex is Yandex Mail: 465 implicit TLS (ISPDB yandex.ru.xml). A 587 STARTTLS port
// appears only in third-party lists, so it is not listed. OAuth2 uses the scope
// mail:smtp.
var Yandex = Preset{
	Name:     "yandex",
	Routes:   []negotiate.Route{implicit("smtp.yandex.com", 465)},
	Username: "full email address",
	Docs:     ispdb + "yandex.ru.xml",
	Note:     "needs an app password, and mail-client access switched on in settings",
}

// ProtonBridge is Proton Mail Bridge, the local application that gives paid Proton
// accounts SMTP: 127.0.0.1:1025 STARTTLS (the default port; Bridge shows the one it uses).
//
// Bridge presents its own self-signed certificate, so verification fails until you trust
// it: export it from Bridge (Settings, Advanced, Export TLS certificates), load it into an
// x509.CertPool and pass smtpport.WithTLSConfig(&tls.Config{RootCAs: pool}). smtpport
// never skips verification. If Bridge listens elsewhere, pass smtpport.WithRoutes.
var ProtonBridge = Preset{
	Name:     "proton-bridge",
	Routes:   []negotiate.Route{starttls("127.0.0.1", 1025)},
	Username: "Proton address shown in Bridge",
	Docs:     "https://proton.me/support/macos-certificate-warning",
	Note:     "password is the one Bridge generates, not the account password; trust Bridge's exported certificate",
}

// ProtonSubmission is Proton Mail's direct SMTP submission for custom-domain addresses on
// business, Family and Visionary plans: smtp.protonmail.ch 587 STARTTLS with an SMTP
// token generated in the Proton settings.
var ProtonSubmission = Preset{
	Name:     "proton-submission",
	Routes:   []negotiate.Route{starttls("smtp.protonmail.ch", 587)},
	Username: "custom-domain address the SMTP token was created for",
	Docs:     "https://proton.me/support/smtp-submission",
	Note:     "the password is the SMTP token, not the account password; mail sent this way is not end-to-end encrypted",
}
