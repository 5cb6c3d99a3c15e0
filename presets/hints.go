package presets

import (
	"net/textproto"
	"regexp"
	"strings"
)

// hint is advice for an AUTH reply a provider is known to give: the reply code, its RFC
// 3463 enhanced status code, and whether it came to a token or a password.
type hint struct {
	code   int
	status string
	tokens bool // for XOAUTH2 and OAUTHBEARER; otherwise for the password mechanisms
	either bool // whatever the mechanism
	advice string
}

// Hint turns a reply the provider is known to give to AUTH into a sentence the user can
// act on, or "" when the reply is not one the preset knows. mechanism is the one tried.
// The server's text is never echoed; only its codes are read.
func (p Preset) Hint(reply *textproto.Error, mechanism string) string {
	if reply == nil {
		return ""
	}
	status := enhancedStatus(reply.Msg)
	token := mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER"
	for _, h := range p.hints {
		if h.code == reply.Code && h.status == status && (h.either || h.tokens == token) {
			return h.advice
		}
	}
	return ""
}

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

// microsoftHints are Exchange Online's AUTH replies, from Microsoft's SMTP AUTH
// troubleshooting pages (learn.microsoft.com, "Authenticated client SMTP submission" and
// the 5.7.139 / 5.7.3 / 5.7.4 NDR references).
var microsoftHints = []hint{
	{code: 535, status: "5.7.139", either: true, advice: "Microsoft 365 has SMTP AUTH disabled for this tenant or mailbox: " +
		"an admin can enable authenticated SMTP for the mailbox, or sign in with OAuth2"},
	{code: 504, status: "5.7.4", either: true, advice: "Microsoft 365 does not accept this mechanism (it refuses PLAIN): " +
		"use LOGIN or XOAUTH2, as the office365 preset does"},
	{code: 535, status: "5.7.3", tokens: true, advice: "Microsoft 365 rejected the OAuth2 token: it needs the scope " +
		"https://outlook.office.com/SMTP.Send for this mailbox, and SMTP AUTH enabled for the mailbox"},
	{code: 535, status: "5.7.3", advice: "Microsoft 365 rejected the sign-in: check the password; accounts with MFA or " +
		"Security Defaults need OAuth2"},
}

// googleHints are Gmail's AUTH replies (support.google.com/mail/?p=BadCredentials and
// ?p=InvalidSecondFactor; developers.google.com/gmail/imap/xoauth2-protocol).
var googleHints = []hint{
	{code: 535, status: "5.7.8", tokens: true, advice: "Gmail rejected the OAuth2 token: it needs the scope " +
		"https://mail.google.com/ and must belong to this user name"},
	{code: 535, status: "5.7.8", advice: "Gmail does not accept the account password here: use an app password " +
		"(needs 2-Step Verification) or OAuth2"},
	{code: 534, status: "5.7.9", either: true, advice: "Gmail wants an app password for this account: create one in " +
		"the Google Account's security settings and use it in place of the account password"},
}
