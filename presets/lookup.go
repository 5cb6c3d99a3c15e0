package presets

import (
	"slices"
	"strings"
)

// table is the registry behind Lookup and All: private copies of the exported presets,
// taken at package initialisation. Assigning to an exported variable (presets.Gmail = ...)
// changes that variable only; Lookup and All keep returning the documented data.
var table = buildTable()

// aliases maps what people type to a canonical preset name, spelled as people write it.
// Lookup compares names after fold (lower case, letters and digits only), so "Zoho_EU",
// "zoho-eu" and "zoho.eu" are the same key and need no separate entry.
var aliases = map[string]string{
	"google":               "gmail",
	"googlemail":           "gmail",
	"gmail.com":            "gmail",
	"google-workspace":     "gmail",
	"workspace":            "gmail",
	"gsuite":               "gmail",
	"workspace-relay":      "google-workspace-relay",
	"google-relay":         "google-workspace-relay",
	"gmail-relay":          "google-workspace-relay",
	"smtp-relay.gmail.com": "google-workspace-relay",
	"o365":                 "office365",
	"m365":                 "office365",
	"ms365":                "office365",
	"microsoft-365":        "office365",
	"exchange-online":      "office365",
	"exo":                  "office365",
	"outlook.com":          "outlook",
	"hotmail":              "outlook",
	"hotmail.com":          "outlook",
	"live":                 "outlook",
	"live.com":             "outlook",
	"msn":                  "outlook",
	"zoho-us":              "zoho",
	"zoho.com":             "zoho",
	"zoho-mail":            "zoho",
	"zoho.com.au":          "zoho-au",
	"zohocloud.ca":         "zoho-ca",
	"zoho-org":             "zoho-pro",
	"smtppro":              "zoho-pro",
	"zoho-pro-us":          "zoho-pro",
	"mailgun-us":           "mailgun",
	"twilio-sendgrid":      "sendgrid",
	"postmarkapp":          "postmark",
	"sendinblue":           "brevo",
	"sparkpost-us":         "sparkpost",
	"fastmail.fm":          "fastmail",
	"fastmail.com":         "fastmail",
	"apple":                "icloud",
	"icloud-mail":          "icloud",
	"me":                   "icloud",
	"me.com":               "icloud",
	"mac":                  "icloud",
	"ymail":                "yahoo",
	"yahoo-mail":           "yahoo",
	"yahoo.com":            "yahoo",
	"aol.com":              "aol",
	"gmx.com":              "gmx",
	"gmx.net":              "gmx-net",
	"gmx.de":               "gmx-net",
	"yandex.ru":            "yandex",
	"yandex.com":           "yandex",
	"proton":               "proton-bridge",
	"protonmail":           "proton-bridge",
	"bridge":               "proton-bridge",
	"protonmail-bridge":    "proton-bridge",
	"proton-smtp":          "proton-submission",
	"protonmail-smtp":      "proton-submission",
}

// aliasIndex is aliases keyed by fold, built with the table.
var aliasIndex = buildAliasIndex()

// buildAliasIndex folds the alias keys and checks them against the table: every alias
// names a preset, no two fold alike, and none folds to another preset's name (Lookup
// would find that preset first and the alias could never work).
func buildAliasIndex() map[string]string {
	index := make(map[string]string, len(aliases))
	for alias, name := range aliases {
		k := fold(alias)
		if _, ok := table[fold(name)]; !ok {
			panic("presets: alias " + alias + " names no preset: " + name)
		}
		if other, dup := index[k]; dup {
			panic("presets: aliases " + alias + " and one of " + other + " fold alike")
		}
		if p, ok := table[k]; ok && p.Name != name {
			panic("presets: alias " + alias + " is preset " + p.Name + "'s name")
		}
		index[k] = name
	}
	return index
}

// sesPrefixes are the spellings Lookup accepts before an SES region.
var sesPrefixes = []string{"ses-", "ses:", "aws-ses-", "amazon-ses-"}

func buildTable() map[string]Preset {
	all := []Preset{
		Gmail, GoogleWorkspaceRelay, Office365, Outlook,
		Zoho, ZohoEU, ZohoIN, ZohoAU, ZohoJP, ZohoCA,
		ZohoPro, ZohoProEU, ZohoProIN, ZohoProAU, ZohoProJP, ZohoProCA,
		Fastmail, ICloud, Yahoo, AOL, GMX, GMXNet, Yandex, ProtonBridge, ProtonSubmission,
		Mailgun, MailgunEU, SendGrid, Postmark, Brevo, Mailjet, SMTP2GO,
		SparkPost, SparkPostEU, Resend, Mailtrap, MailtrapBulk,
	}
	t := make(map[string]Preset, len(all))
	for _, p := range all {
		k := fold(p.Name)
		if _, dup := t[k]; dup {
			panic("presets: duplicate preset name " + p.Name)
		}
		t[k] = p.Clone()
	}
	return t
}

// fold reduces a name to its comparison key: lower case, ASCII letters and digits only.
func fold(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Lookup finds a preset by name or alias, ignoring case and punctuation: "gmail",
// "Google", "o365", "exchange-online", "zoho_eu", "ses-eu-west-1" (SES takes its region
// after "ses-", "aws-ses-" or "amazon-ses-"), or by one of its hosts: "smtp.gmail.com",
// "email-smtp.eu-west-1.amazonaws.com" (case-insensitive, a trailing dot allowed; a host
// several presets share finds the one with the shortest name). The result is a copy.
func Lookup(name string) (Preset, bool) {
	lower := strings.ToLower(strings.TrimSpace(name))
	for _, prefix := range sesPrefixes {
		if region, ok := strings.CutPrefix(lower, prefix); ok {
			if !sesRegion.MatchString(region) {
				return Preset{}, false
			}
			return SES(region), true
		}
	}
	k := fold(name)
	if canonical, ok := aliasIndex[k]; ok {
		k = fold(canonical)
	}
	if p, ok := table[k]; ok {
		return p.Clone(), true
	}
	return knownHost(name)
}

// Aliases lists the other spellings Lookup accepts for the preset it finds for name,
// sorted: Aliases("gmail") includes "google" and "gmail.com". Lookup also accepts the
// preset's hosts, which are in its Routes. Nil when Lookup finds nothing.
func Aliases(name string) []string {
	p, ok := Lookup(name)
	if !ok {
		return nil
	}
	var out []string
	if region, ok := strings.CutPrefix(p.Name, "ses-"); ok && strings.HasPrefix(p.Routes[0].Host, "email-smtp.") {
		for _, prefix := range sesPrefixes[1:] {
			out = append(out, prefix+region)
		}
	}
	for alias, canonical := range aliases {
		if canonical == p.Name {
			out = append(out, alias)
		}
	}
	slices.Sort(out)
	return out
}

// All returns a copy of every fixed preset, sorted by name. SES is regional and not in
// the list; build it with SES(region).
func All() []Preset {
	out := make([]Preset, 0, len(table))
	for _, p := range table {
		out = append(out, p.Clone())
	}
	slices.SortFunc(out, func(a, b Preset) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// knownHost returns the preset whose routes use host, for hosts smtpport knows: every
// host in the table and Amazon SES's regional hosts. It is what makes a discovered host
// trustworthy without being inside the address's domain.
func knownHost(host string) (Preset, bool) {
	host = normalizeHost(host)
	if region, ok := strings.CutPrefix(host, "email-smtp."); ok {
		if region, ok = strings.CutSuffix(region, ".amazonaws.com"); ok && sesRegion.MatchString(region) {
			return SES(region), true
		}
	}
	var found []Preset
	for _, p := range table {
		for _, r := range p.Routes {
			if r.Host == host && r.Host != "127.0.0.1" {
				found = append(found, p)
				break
			}
		}
	}
	if len(found) == 0 {
		return Preset{}, false
	}
	// Deterministic when hosts are shared: the shortest name is the main preset.
	slices.SortFunc(found, func(a, b Preset) int {
		if c := len(a.Name) - len(b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return found[0].Clone(), true
}

// normalizeHost lower-cases a DNS name and drops the trailing root dot.
func normalizeHost(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
}
