package negotiate

import (
	"net/textproto"
	"regexp"
	"strings"
)

// enhancedCode matches an RFC 3463 enhanced status code.
var enhancedCode = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// enhancedStatus returns the RFC 3463 enhanced status code that opens a reply's text
// ("5.7.139" in "5.7.139 Authentication unsuccessful"), or "".
func enhancedStatus(msg string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(msg), " ")
	first, _, _ = strings.Cut(first, "\n")
	if enhancedCode.MatchString(first) {
		return first
	}
	return ""
}

// authHint turns a known provider reply to AUTH into a sentence the user can act on, or
// "" when the reply is not one we know. host is the route's host and mech the mechanism
// tried; the server's text is never echoed.
func authHint(host, mech string, e *textproto.Error) string {
	code := enhancedStatus(e.Msg)
	token := mech == "XOAUTH2" || mech == "OAUTHBEARER"
	google := hostIn(host, "gmail.com", "googlemail.com", "google.com") || strings.Contains(strings.ToLower(e.Msg), "google.com")
	microsoft := hostIn(host, "office365.com", "outlook.com")
	switch {
	case e.Code == 535 && code == "5.7.139":
		return "Microsoft 365 has SMTP AUTH disabled for this tenant or mailbox: an admin can enable " +
			"authenticated SMTP for the mailbox, or sign in with OAuth2 (WithOAuth2)"
	case e.Code == 504 && code == "5.7.4":
		return "Microsoft 365 does not accept this mechanism (it refuses PLAIN): use LOGIN or XOAUTH2, " +
			"as the office365 preset does"
	case e.Code == 535 && code == "5.7.3" && microsoft && token:
		return "Microsoft 365 rejected the OAuth2 token: it needs the scope https://outlook.office.com/SMTP.Send " +
			"for this mailbox, and SMTP AUTH enabled for the mailbox"
	case e.Code == 535 && code == "5.7.3" && microsoft:
		return "Microsoft 365 rejected the sign-in: check the password; accounts with MFA or " +
			"Security Defaults need OAuth2 (WithOAuth2)"
	case e.Code == 535 && code == "5.7.8" && google && token:
		return "Gmail rejected the OAuth2 token: it needs the scope https://mail.google.com/ " +
			"and must belong to this user name"
	case e.Code == 535 && code == "5.7.8" && google:
		return "Gmail does not accept the account password here: use an app password " +
			"(needs 2-Step Verification) or OAuth2 (WithOAuth2)"
	case e.Code == 534 && code == "5.7.9" && google:
		return "Gmail wants an app password for this account: create one in the Google Account's " +
			"security settings and use it in place of the account password"
	}
	return ""
}

// hostIn reports whether host is one of domains or a subdomain of one.
func hostIn(host string, domains ...string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
