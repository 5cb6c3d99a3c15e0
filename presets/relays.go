package presets

import (
	"regexp"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
)

// This file holds sending services (email APIs with an SMTP relay): credentials are API
// keys or per-domain SMTP logins, and most offer alternate ports for networks that block
// 587 and 465. Port 25 is offered by most of them but never listed here.

// Mailgun is Mailgun's US region. Credentials are per-domain SMTP credentials; an EU
// domain only works with MailgunEU.
var Mailgun = Preset{
	Name: "mailgun",
	Routes: []negotiate.Route{
		starttls("smtp.mailgun.org", 587), implicit("smtp.mailgun.org", 465), starttls("smtp.mailgun.org", 2525),
	},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   "per-domain SMTP login, e.g. postmaster@mg.example.com",
	Docs:       "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
}

// MailgunEU is Mailgun's EU region (smtp.eu.mailgun.org), same ports as Mailgun.
var MailgunEU = Preset{
	Name: "mailgun-eu",
	Routes: []negotiate.Route{
		starttls("smtp.eu.mailgun.org", 587), implicit("smtp.eu.mailgun.org", 465), starttls("smtp.eu.mailgun.org", 2525),
	},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   "per-domain SMTP login, e.g. postmaster@mg.example.com",
	Docs:       "https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
	Note:       "for domains created in the EU region; US credentials do not work here",
}

// SendGrid is Twilio SendGrid: 587 and 2525 STARTTLS, 465 implicit TLS, TLS 1.2 or later.
// The user name is the literal string "apikey" and the password an API key.
var SendGrid = Preset{
	Name: "sendgrid",
	Routes: []negotiate.Route{
		starttls("smtp.sendgrid.net", 587), implicit("smtp.sendgrid.net", 465), starttls("smtp.sendgrid.net", 2525),
	},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   `the literal "apikey"; the password is an API key`,
	Docs:       "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api",
}

// sesRegion matches AWS region names such as "us-east-1", "eu-central-1", "us-gov-west-1".
var sesRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// SES returns Amazon SES in one region (email-smtp.<region>.amazonaws.com): 587 and 2587
// STARTTLS, 465 and 2465 implicit TLS. SMTP credentials are regional and are not the IAM
// access key itself. A region that is not an AWS region name (lower case, such as
// us-east-1) gives a preset that can never be dialed: Note says what is wrong, and Dial
// fails with negotiate.ErrConfig naming the region, before any DNS lookup (see Custom).
func SES(region string) Preset {
	if problem := sesRegionProblem(region); problem != "" {
		return refused("presets.SES("+shown(region)+")", "ses-"+shown(region), problem)
	}
	host := "email-smtp." + region + ".amazonaws.com"
	return Preset{
		Name:       "ses-" + region,
		Routes:     []negotiate.Route{starttls(host, 587), implicit(host, 465), starttls(host, 2587), implicit(host, 2465)},
		Mechanisms: []string{"PLAIN", "LOGIN"},
		Username:   "SES SMTP user name (created per region in the SES console)",
		Docs:       "https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
		Note:       "SMTP credentials only work in the region they were created in",
	}
}

// sesRegionProblem says why region is not an AWS region name, naming it, or "".
func sesRegionProblem(region string) string {
	switch {
	case sesRegion.MatchString(region):
		return ""
	case region == "":
		return "empty SES region; want a region name such as us-east-1"
	case sesRegion.MatchString(strings.ToLower(region)):
		return "SES region " + shown(region) + " must be lower case: " + strings.ToLower(region)
	}
	return "SES region " + shown(region) + " is not an AWS region name such as us-east-1 or eu-west-1"
}

// Postmark has no implicit-TLS port: 465 accepts connections and hangs, so it is never
// raced. 587 and 2525 STARTTLS; the server API token is both user name and password.
// Broadcast streams use smtp-broadcasts.postmarkapp.com (set it with smtpport.WithRoutes).
var Postmark = Preset{
	Name:     "postmark",
	Routes:   []negotiate.Route{starttls("smtp.postmarkapp.com", 587), starttls("smtp.postmarkapp.com", 2525)},
	Username: "server API token (also the password)",
	Docs:     "https://postmarkapp.com/developer/user-guide/send-email-with-smtp",
	Note:     "no port 465",
}

// Brevo (formerly Sendinblue): 587 and 2525 STARTTLS, 465 implicit TLS, with the SMTP
// login and an SMTP key from the Brevo console.
var Brevo = Preset{
	Name: "brevo",
	Routes: []negotiate.Route{
		starttls("smtp-relay.brevo.com", 587), implicit("smtp-relay.brevo.com", 465), starttls("smtp-relay.brevo.com", 2525),
	},
	Username: "SMTP login shown in the Brevo console; the password is an SMTP key",
	Docs:     "https://help.brevo.com/hc/en-us/articles/7924908994450",
}

// Mailjet: 587 STARTTLS and 465 implicit TLS; the API key is the user name and the secret
// key the password.
var Mailjet = Preset{
	Name:       "mailjet",
	Routes:     []negotiate.Route{starttls("in-v3.mailjet.com", 587), implicit("in-v3.mailjet.com", 465)},
	Mechanisms: []string{"PLAIN", "LOGIN"},
	Username:   "API key; the password is the secret key",
	Docs:       "https://documentation.mailjet.com/hc/en-us/articles/360043229473",
}

// SMTP2GO offers the most alternates: 587, 2525, 8025 and 80 STARTTLS; 465, 8465 and 443
// implicit TLS. Regional hosts (mail-us, mail-eu, mail-au) can be set with WithRoutes.
var SMTP2GO = Preset{
	Name: "smtp2go",
	Routes: []negotiate.Route{
		starttls("mail.smtp2go.com", 587), implicit("mail.smtp2go.com", 465),
		starttls("mail.smtp2go.com", 2525), implicit("mail.smtp2go.com", 8465),
		starttls("mail.smtp2go.com", 8025), implicit("mail.smtp2go.com", 443),
		starttls("mail.smtp2go.com", 80),
	},
	Username: "SMTP user created in the SMTP2GO console",
	Docs:     "https://support.smtp2go.com/hc/en-gb/articles/223087967-SMTP-Ports",
}

// SparkPost (US): 587 and 2525 STARTTLS, no implicit TLS. The user name is the literal
// "SMTP_Injection" and the password an API key with the Send via SMTP permission.
var SparkPost = Preset{
	Name:       "sparkpost",
	Routes:     []negotiate.Route{starttls("smtp.sparkpostmail.com", 587), starttls("smtp.sparkpostmail.com", 2525)},
	Mechanisms: []string{"LOGIN", "PLAIN"},
	Username:   `the literal "SMTP_Injection"; the password is an API key`,
	Docs:       "https://developers.sparkpost.com/api/smtp/",
}

// SparkPostEU is SparkPost's EU region (smtp.eu.sparkpostmail.com), same ports.
var SparkPostEU = Preset{
	Name:       "sparkpost-eu",
	Routes:     []negotiate.Route{starttls("smtp.eu.sparkpostmail.com", 587), starttls("smtp.eu.sparkpostmail.com", 2525)},
	Mechanisms: []string{"LOGIN", "PLAIN"},
	Username:   `the literal "SMTP_Injection"; the password is an API key`,
	Docs:       "https://developers.sparkpost.com/api/smtp/",
	Note:       "for accounts hosted in the EU region",
}

// Resend: 587 and 2587 STARTTLS, 465 and 2465 implicit TLS; the user name is the literal
// "resend" and the password an API key.
var Resend = Preset{
	Name: "resend",
	Routes: []negotiate.Route{
		starttls("smtp.resend.com", 587), implicit("smtp.resend.com", 465),
		starttls("smtp.resend.com", 2587), implicit("smtp.resend.com", 2465),
	},
	Username: `the literal "resend"; the password is an API key`,
	Docs:     "https://resend.com/docs/send-with-smtp",
}

// Mailtrap's transactional stream (live.smtp.mailtrap.io): 587 STARTTLS; the user name
// is the literal "api" and the password an API token. Other ports are not listed: only
// 587 is confirmed for the sending (not testing) service.
var Mailtrap = Preset{
	Name:     "mailtrap",
	Routes:   []negotiate.Route{starttls("live.smtp.mailtrap.io", 587)},
	Username: `the literal "api"; the password is an API token`,
	Docs:     "https://docs.mailtrap.io/email-api-smtp/setup/smtp-integration",
}

// MailtrapBulk is Mailtrap's bulk stream (bulk.smtp.mailtrap.io), for promotional mail.
var MailtrapBulk = Preset{
	Name:     "mailtrap-bulk",
	Routes:   []negotiate.Route{starttls("bulk.smtp.mailtrap.io", 587)},
	Username: `the literal "api"; the password is an API token`,
	Docs:     "https://docs.mailtrap.io/email-api-smtp/setup/smtp-integration",
	Note:     "bulk (promotional) stream; transactional mail goes through Mailtrap",
}
