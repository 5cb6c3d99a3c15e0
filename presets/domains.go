package presets

import "strings"

// This file maps what an address reveals to a provider: its domain (consumer mailboxes)
// and its MX hosts (custom domains hosted by a provider). Domain lists follow Thunderbird's
// ISPDB (the <domain> elements of each provider's file).

// consumerDomains maps a mailbox provider's own domains to its preset name.
var consumerDomains = map[string]string{
	"gmail.com": "gmail", "googlemail.com": "gmail",

	"outlook.com": "outlook", "hotmail.com": "outlook", "live.com": "outlook", "msn.com": "outlook",
	"passport.com": "outlook", "hotmail.co.uk": "outlook", "live.co.uk": "outlook",

	"zoho.com": "zoho", "zohomail.com": "zoho",
	"zoho.eu": "zoho-eu", "zohomail.eu": "zoho-eu",
	"zoho.in": "zoho-in", "zohomail.in": "zoho-in",
	"zoho.com.au": "zoho-au", "zohomail.com.au": "zoho-au",
	"zoho.jp": "zoho-jp", "zohomail.jp": "zoho-jp",

	"fastmail.com": "fastmail", "fastmail.fm": "fastmail",

	"icloud.com": "icloud", "me.com": "icloud", "mac.com": "icloud",

	"ymail.com": "yahoo", "rocketmail.com": "yahoo", "myyahoo.com": "yahoo",

	"aim.com": "aol", "netscape.net": "aol", "compuserve.com": "aol", "cs.com": "aol",

	"gmx.net": "gmx-net", "gmx.de": "gmx-net", "gmx.at": "gmx-net", "gmx.ch": "gmx-net",

	"ya.ru": "yandex", "narod.ru": "yandex",

	"proton.me": "proton-bridge", "protonmail.com": "proton-bridge",
	"protonmail.ch": "proton-bridge", "pm.me": "proton-bridge",
}

// consumerFamilies maps a first label to a preset for every public suffix after it:
// "yahoo" covers yahoo.com, yahoo.co.uk, yahoo.com.br ... Only brands whose country
// domains all belong to the provider are here.
var consumerFamilies = map[string]string{
	"yahoo":   "yahoo",
	"aol":     "aol",
	"gmx":     "gmx",
	"yandex":  "yandex",
	"hotmail": "outlook",
	"outlook": "outlook",
}

// byDomain returns the preset for a consumer mailbox domain.
func byDomain(domain string) (Preset, bool) {
	name, ok := consumerDomains[domain]
	if !ok {
		if first, rest, dotted := strings.Cut(domain, "."); dotted && countrySuffix(rest) {
			name, ok = consumerFamilies[first]
		}
	}
	if !ok {
		return Preset{}, false
	}
	return Lookup(name)
}

// countrySuffix reports whether s looks like a public suffix a brand registers under:
// one label ("de") or a second-level label and a country ("co.uk", "com.br").
func countrySuffix(s string) bool {
	second, tld, two := strings.Cut(s, ".")
	if !two {
		return isLabel(s)
	}
	switch second {
	case "co", "com", "net", "org", "ne", "or":
		return isLabel(tld)
	}
	return false
}

func isLabel(s string) bool {
	return s != "" && !strings.ContainsAny(s, ". ")
}

// mxRule maps MX hosts ending in suffix (and, when set, whose first label starts with
// label) to a preset.
type mxRule struct {
	suffix string
	label  string
	preset string
}

// mxRules are checked in order; the first match wins, so specific suffixes come first.
var mxRules = []mxRule{
	{suffix: ".google.com", preset: "gmail"}, // aspmx.l.google.com, smtp.google.com
	{suffix: ".googlemail.com", preset: "gmail"},
	{suffix: ".mail.protection.outlook.com", preset: "office365"},
	{suffix: ".olc.protection.outlook.com", preset: "outlook"},
	// Zoho: a custom domain is an organisation account, which submits through smtppro.
	{suffix: ".zoho.com.au", label: "mx", preset: "zoho-pro-au"},
	{suffix: ".zoho.com", label: "mx", preset: "zoho-pro"},
	{suffix: ".zoho.eu", label: "mx", preset: "zoho-pro-eu"},
	{suffix: ".zoho.in", label: "mx", preset: "zoho-pro-in"},
	{suffix: ".zoho.jp", label: "mx", preset: "zoho-pro-jp"},
	{suffix: ".zohocloud.ca", label: "mx", preset: "zoho-pro-ca"},
	{suffix: ".eu.mailgun.org", preset: "mailgun-eu"},
	{suffix: ".mailgun.org", preset: "mailgun"},
	{suffix: ".messagingengine.com", preset: "fastmail"},
	{suffix: ".mail.icloud.com", preset: "icloud"},
	{suffix: ".gm0.yahoodns.net", preset: "aol"}, // ISPDB aol.com.xml
	{suffix: ".yahoodns.net", preset: "yahoo"},
	{suffix: ".yandex.net", preset: "yandex"},
	{suffix: ".yandex.ru", preset: "yandex"},
	{suffix: ".protonmail.ch", preset: "proton-submission"},
	{suffix: ".gmx.net", preset: "gmx-net"},
	{suffix: ".gmx.com", preset: "gmx"},
}

// byMX returns the preset for one MX host, if it belongs to a known provider.
func byMX(host string) (Preset, bool) {
	host = normalizeHost(host)
	for _, r := range mxRules {
		if !strings.HasSuffix(host, r.suffix) {
			continue
		}
		if r.label != "" && !strings.HasPrefix(host, r.label) {
			continue
		}
		return Lookup(r.preset)
	}
	return Preset{}, false
}

// inDomain reports whether host is domain itself or one of its subdomains.
func inDomain(host, domain string) bool {
	host = normalizeHost(host)
	return host == domain || strings.HasSuffix(host, "."+domain)
}
