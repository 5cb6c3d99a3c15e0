package presets

import "strings"

// This file maps what an address reveals to a provider: its domain (consumer mailboxes)
// and its MX hosts (custom domains hosted by a provider).

// consumerDomains maps a mailbox provider's own domains to its preset name. Every entry
// is a domain the provider itself documents or lists in Thunderbird's ISPDB (the files of
// github.com/thunderbird/autoconfig, ispdb/, which name the provider's own setup pages);
// there are no wildcards ("yahoo.*"): a brand's country domain may be run by another
// company, and such an address is then found by its MX records or not at all.
//
// Not aliased on purpose: yahoo.co.jp (Yahoo! JAPAN, run by LY Corporation, not Yahoo
// Inc.; its own help names smtp.mail.yahoo.co.jp, support.yahoo-net.jp/PccMail/s/article/
// H000007321), other yahoo.*, aol.*, gmx.*, yandex.*, outlook.*, hotmail.* and live.*
// domains the lists below do not name, and passport.com (no Microsoft page lists it as a
// mailbox domain).
var consumerDomains = buildConsumerDomains(map[string][]string{
	// Google: ispdb/googlemail.com.xml (gmail.com, googlemail.com).
	"gmail": {"gmail.com", "googlemail.com"},

	// Microsoft Outlook.com: ispdb/hotmail.com.xml, whose setup page is Microsoft's "POP,
	// IMAP, and SMTP settings for Outlook.com" (support.microsoft.com, d088b986).
	"outlook": {
		"outlook.com", "hotmail.com", "live.com", "msn.com", "windowslive.com", "livemail.tw",
		"outlook.at", "outlook.be", "outlook.cl", "outlook.cz", "outlook.de", "outlook.dk",
		"outlook.es", "outlook.fr", "outlook.hu", "outlook.ie", "outlook.in", "outlook.it",
		"outlook.jp", "outlook.kr", "outlook.lv", "outlook.my", "outlook.ph", "outlook.pt",
		"outlook.sa", "outlook.sg", "outlook.sk", "outlook.co.id", "outlook.co.il",
		"outlook.co.th", "outlook.com.ar", "outlook.com.au", "outlook.com.br", "outlook.com.gr",
		"outlook.com.tr", "outlook.com.vn",
		"hotmail.be", "hotmail.ca", "hotmail.cl", "hotmail.cz", "hotmail.de", "hotmail.dk",
		"hotmail.es", "hotmail.fi", "hotmail.fr", "hotmail.gr", "hotmail.hu", "hotmail.it",
		"hotmail.lt", "hotmail.lv", "hotmail.my", "hotmail.nl", "hotmail.no", "hotmail.ph",
		"hotmail.rs", "hotmail.se", "hotmail.sg", "hotmail.sk", "hotmail.co.id",
		"hotmail.co.il", "hotmail.co.in", "hotmail.co.jp", "hotmail.co.kr", "hotmail.co.th",
		"hotmail.co.uk", "hotmail.co.za", "hotmail.com.ar", "hotmail.com.au", "hotmail.com.br",
		"hotmail.com.hk", "hotmail.com.tr", "hotmail.com.tw", "hotmail.com.vn",
		"live.at", "live.be", "live.ca", "live.cl", "live.cn", "live.de", "live.dk", "live.fi",
		"live.fr", "live.hk", "live.ie", "live.in", "live.it", "live.jp", "live.nl", "live.no",
		"live.ru", "live.se", "live.co.jp", "live.co.kr", "live.co.uk", "live.co.za",
		"live.com.ar", "live.com.au", "live.com.mx", "live.com.my", "live.com.ph",
		"live.com.pt", "live.com.sg",
	},

	// Zoho Corporation's data-centre domains (zoho.com, .eu, .in, .com.au, .jp: Zoho's
	// "Multi DC" pages, e.g. zoho.com/crm/developer/docs/api/v8/multi-dc.html) and their
	// personal-mailbox twins zohomail.* (ispdb/zoho.com.xml lists zoho.com, zohomail.com).
	"zoho":    {"zoho.com", "zohomail.com"},
	"zoho-eu": {"zoho.eu", "zohomail.eu"},
	"zoho-in": {"zoho.in", "zohomail.in"},
	"zoho-au": {"zoho.com.au", "zohomail.com.au"},
	"zoho-jp": {"zoho.jp", "zohomail.jp"},

	// Fastmail: fastmail.com/help/technical/servernamesandports.html (ISPDB
	// messagingengine.com.xml links it); only its two main domains.
	"fastmail": {"fastmail.com", "fastmail.fm"},

	// Apple: "iCloud Mail server settings", support.apple.com/102525 (formerly HT202304;
	// ispdb/me.com.xml): icloud.com, me.com, mac.com.
	"icloud": {"icloud.com", "me.com", "mac.com"},

	// Yahoo Inc.: ispdb/yahoo.com.xml, whose pages are help.yahoo.com's.
	"yahoo": {
		"yahoo.com", "yahoo.de", "yahoo.it", "yahoo.fr", "yahoo.es", "yahoo.se", "yahoo.co.in",
		"yahoo.co.uk", "yahoo.co.nz", "yahoo.com.au", "yahoo.com.ar", "yahoo.com.br",
		"yahoo.com.mx", "ymail.com", "myyahoo.com", "rocketmail.com",
	},

	// AOL (a Yahoo Inc. brand): ispdb/aol.com.xml, whose page is help.aol.com's.
	"aol": {
		"aol.com", "aim.com", "netscape.net", "netscape.com", "compuserve.com", "cs.com",
		"wmconnect.com", "aol.de", "aol.it", "aol.fr", "aol.es", "aol.se", "aol.co.uk",
		"aol.co.nz", "aol.com.au", "aol.com.ar", "aol.com.br", "aol.com.mx",
	},

	// GMX (United Internet): two services with different servers. mail.gmx.net:
	// ispdb/gmx.net.xml (page hilfe.gmx.net); mail.gmx.com: ispdb/gmx.com.xml.
	"gmx-net": {"gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu", "gmx.biz", "gmx.org", "gmx.info"},
	"gmx": {
		"gmx.com", "gmx.tm", "gmx.us", "gmx.co.uk", "gmx.es", "gmx.fr", "gmx.ca", "gmx.cn",
		"gmx.co.in", "gmx.com.br", "gmx.com.my", "gmx.hk", "gmx.ie", "gmx.ph", "gmx.pt",
		"gmx.ru", "gmx.se", "gmx.sg", "gmx.tw", "gmx.com.tr", "gmx.it", "gmx.li",
	},

	// Yandex: ispdb/yandex.ru.xml (its OAuth2 issuer is oauth.yandex.com).
	"yandex": {"yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "ya.ru", "narod.ru"},

	// Proton: "Types of email addresses and aliases", proton.me/support/addresses-and-aliases
	// (proton.me, protonmail.com, pm.me, protonmail.ch).
	"proton-bridge": {"proton.me", "protonmail.com", "protonmail.ch", "pm.me"},
})

// buildConsumerDomains inverts the per-provider lists, refusing a domain listed twice.
func buildConsumerDomains(byPreset map[string][]string) map[string]string {
	out := map[string]string{}
	for preset, domains := range byPreset {
		for _, d := range domains {
			if other, dup := out[d]; dup {
				panic("presets: " + d + " is listed for " + other + " and " + preset)
			}
			out[d] = preset
		}
	}
	return out
}

// byDomain returns the preset for a consumer mailbox domain.
func byDomain(domain string) (Preset, bool) {
	name, ok := consumerDomains[domain]
	if !ok {
		return Preset{}, false
	}
	return Lookup(name)
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
