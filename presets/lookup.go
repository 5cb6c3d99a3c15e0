package presets

import (
	"slices"
	"strings"
)

// table is the registry behind Lookup and All: private copies of the exported presets,
// taken at package initialisation. Assigning to an exported variable (presets.Gmail = ...)
// changes that variable only; Lookup and All keep returning the documented data.
var table = buildTable()

// aliases maps what people type to a canonical preset name. Keys and names are compared
// after fold (lower case, letters and digits only), so "Zoho_EU", "zoho-eu" and "zoho.eu"
// are the same key and need no separate entry.
var aliases = map[string]string{
	"google":            "gmail",
	"googlemail":        "gmail",
	"gmailcom":          "gmail",
	"googleworkspace":   "gmail",
	"workspace":         "gmail",
	"gsuite":            "gmail",
	"workspacerelay":    "google-workspace-relay",
	"googlerelay":       "google-workspace-relay",
	"gmailrelay":        "google-workspace-relay",
	"smtprelaygmailcom": "google-workspace-relay",
	"o365":              "office365",
	"m365":              "office365",
	"ms365":             "office365",
	"microsoft365":      "office365",
	"exchangeonline":    "office365",
	"exo":               "office365",
	"outlookcom":        "outlook",
	"hotmail":           "outlook",
	"hotmailcom":        "outlook",
	"live":              "outlook",
	"livecom":           "outlook",
	"msn":               "outlook",
	"zohous":            "zoho",
	"zohocom":           "zoho",
	"zohomail":          "zoho",
	"zohocomau":         "zoho-au",
	"zohocloudca":       "zoho-ca",
	"zohoorg":           "zoho-pro",
	"smtppro":           "zoho-pro",
	"zohoprous":         "zoho-pro",
	"mailgunus":         "mailgun",
	"twiliosendgrid":    "sendgrid",
	"postmarkapp":       "postmark",
	"sendinblue":        "brevo",
	"sparkpostus":       "sparkpost",
	"fastmailfm":        "fastmail",
	"fastmailcom":       "fastmail",
	"apple":             "icloud",
	"icloudmail":        "icloud",
	"me":                "icloud",
	"mecom":             "icloud",
	"mac":               "icloud",
	"ymail":             "yahoo",
	"yahoomail":         "yahoo",
	"yahoocom":          "yahoo",
	"aolcom":            "aol",
	"gmxcom":            "gmx",
	"gmxnet":            "gmx-net",
	"gmxde":             "gmx-net",
	"yandexru":          "yandex",
	"yandexcom":         "yandex",
	"proton":            "proton-bridge",
	"protonmail":        "proton-bridge",
	"bridge":            "proton-bridge",
	"protonmailbridge":  "proton-bridge",
	"protonsmtp":        "proton-submission",
	"protonmailsmtp":    "proton-submission",
}

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
// after "ses-", "aws-ses-" or "amazon-ses-"). The result is a copy.
func Lookup(name string) (Preset, bool) {
	lower := strings.ToLower(strings.TrimSpace(name))
	for _, prefix := range []string{"ses-", "ses:", "aws-ses-", "amazon-ses-"} {
		if region, ok := strings.CutPrefix(lower, prefix); ok {
			if !sesRegion.MatchString(region) {
				return Preset{}, false
			}
			return SES(region), true
		}
	}
	k := fold(name)
	if canonical, ok := aliases[k]; ok {
		k = fold(canonical)
	}
	p, ok := table[k]
	if !ok {
		return Preset{}, false
	}
	return p.Clone(), true
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
