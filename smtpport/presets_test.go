package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseTable reads the presets table back: one entry per preset, continuation lines
// joined to their row, cells cut at the header's column offsets.
func parseTable(t *testing.T, table string) (header string, rows map[string][]string) {
	t.Helper()
	lines := strings.Split(table, "\n")
	header = lines[0]
	var starts []int
	for i := range header {
		if header[i] != ' ' && (i == 0 || header[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	require.Len(t, starts, 4, header)
	rows = map[string][]string{}
	var current []string
	for _, l := range lines[1:] {
		cells := make([]string, len(starts))
		for c, s := range starts {
			end := len(l)
			if c+1 < len(starts) {
				end = min(end, starts[c+1])
			}
			if s < end {
				cells[c] = strings.TrimSpace(l[s:end])
			}
		}
		if cells[0] != "" {
			current = cells
			rows[cells[0]] = current
			continue
		}
		require.NotNil(t, current, "a continuation line follows a row: %q", l)
		for c := range cells {
			if cells[c] != "" {
				current[c] = strings.TrimSpace(current[c] + " " + cells[c])
			}
		}
	}
	return header, rows
}

func TestPresetsTable(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets")
	require.Equal(t, 0, r.code, r.stderr)
	table, footer, ok := strings.Cut(strings.TrimSuffix(r.stdout, "\n"), "\n\n")
	require.True(t, ok)
	all := presets.All()
	assert.Equal(t, strconv.Itoa(len(all))+" presets. Amazon SES is regional: use ses-REGION, e.g. ses-eu-west-1.\n"+
		"'smtpport presets NAME' shows one in full, with its aliases.", footer)
	for _, l := range strings.Split(r.stdout, "\n") {
		assert.LessOrEqual(t, len([]rune(l)), 100, "fits 100 columns: %q", l)
		assert.Equal(t, strings.TrimRight(l, " "), l, "no trailing spaces")
	}
	header, rows := parseTable(t, table)
	assert.Regexp(t, `^NAME\s+HOST\s+ROUTES\s+AUTH$`, header)
	require.Len(t, rows, len(all), "one row per preset")
	for _, p := range all {
		row := rows[p.Name]
		require.NotNil(t, row, p.Name)
		var routes []string
		for _, rt := range p.Routes {
			routes = append(routes, strconv.Itoa(rt.Port)+"/"+rt.Security.String())
		}
		assert.Equal(t, strings.Join(routes, " "), row[2], "%s: every route, in order, however wrapped", p.Name)
		want := strings.Join(p.Mechanisms, " ")
		if want == "" {
			want = "any"
		}
		assert.Equal(t, want, row[3], p.Name)
		assert.Equal(t, p.Routes[0].Host, row[1], p.Name)
	}
	assert.Equal(t, []string{"gmail", "smtp.gmail.com", "587/starttls 465/tls", "PLAIN LOGIN XOAUTH2 OAUTHBEARER"}, rows["gmail"])
	assert.Equal(t, "587/starttls 465/tls 2525/starttls 8465/tls 8025/starttls 443/tls 80/starttls", rows["smtp2go"][2])
	assert.Zero(t, w.dialer.TotalDials())
}

func TestPresetsJSON(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var out []presetJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	byName := map[string]int{}
	for i, p := range out {
		byName[p.Name] = i
		assert.NotEmpty(t, p.Routes, p.Name)
		assert.NotNil(t, p.Mechanisms, "mechanisms is an array, never null")
		assert.NotNil(t, p.Aliases, "aliases is an array, never null")
	}
	require.Contains(t, byName, "gmail")
	g := out[byName["gmail"]]
	require.Len(t, g.Routes, 2)
	assert.Equal(t, "smtp.gmail.com", g.Routes[0].Host)
	assert.Equal(t, 587, g.Routes[0].Port)
	assert.Equal(t, "starttls", g.Routes[0].Security)
	assert.Equal(t, 465, g.Routes[1].Port)
	assert.Equal(t, "tls", g.Routes[1].Security)
	assert.Contains(t, g.Docs, "https://")
	assert.NotEmpty(t, g.Note)
	assert.Contains(t, g.Aliases, "google")
}

// presetJSON is one object of 'smtpport presets --json', written out independently of
// the command's types so the test checks the contract.
type presetJSON struct {
	Name   string `json:"name"`
	Routes []struct {
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Security string `json:"security"`
	} `json:"routes"`
	Mechanisms []string `json:"mechanisms"`
	Username   string   `json:"username"`
	Docs       string   `json:"docs"`
	Note       string   `json:"note"`
	Aliases    []string `json:"aliases"`
}

// TestPresetShow is 'smtpport presets NAME': one preset in full, found by any spelling
// Lookup accepts; an unknown name is a usage error with the closest preset.
func TestPresetShow(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		stdout   []string // lines, in order
		stderr   string
	}{
		{name: "by name", args: []string{"gmail"}, stdout: []string{
			"gmail (2 routes, tried in this order)",
			"  routes      smtp.gmail.com:587/starttls",
			"              smtp.gmail.com:465/tls",
			"  mechanisms  PLAIN LOGIN XOAUTH2 OAUTHBEARER",
			"  username    full email address",
			"  docs        https://support.google.com/mail/answer/7126229",
			"  note        535 5.7.8 means an app password or OAuth2 is required",
			"  aliases     gmail.com, google, google-workspace, googlemail, gsuite, workspace",
		}},
		{name: "by alias", args: []string{"O365"}, stdout: []string{"office365 (1 route)", "  routes      smtp.office365.com:587/starttls", "  mechanisms  LOGIN XOAUTH2"}},
		{name: "by host", args: []string{"smtp.gmail.com"}, stdout: []string{"gmail (2 routes, tried in this order)"}},
		{name: "any mechanism", args: []string{"icloud"}, stdout: []string{"  mechanisms  any the server offers after TLS"}},
		{name: "SES region", args: []string{"ses-eu-west-1"}, stdout: []string{
			"ses-eu-west-1 (4 routes, tried in this order)",
			"  routes      email-smtp.eu-west-1.amazonaws.com:587/starttls",
			"  aliases     amazon-ses-eu-west-1, aws-ses-eu-west-1, ses:eu-west-1",
		}},
		{name: "a long note wraps", args: []string{"zoho-pro"}, stdout: []string{
			"  note        for paid organisation accounts with a domain-based address; use an",
			"              application-specific password with 2FA",
		}},
		{name: "typo", args: []string{"gmial"}, wantCode: 2, stderr: `smtpport: unknown preset "gmial"; did you mean gmail? ('smtpport presets' lists them)`},
		{name: "typo of an alias", args: []string{"hotmial"}, wantCode: 2, stderr: "did you mean outlook?"},
		{name: "unknown, nothing close", args: []string{"xyzzy-mail"}, wantCode: 2, stderr: `smtpport: unknown preset "xyzzy-mail"; 'smtpport presets' lists them`},
		{name: "bad SES region", args: []string{"ses-nowhere"}, wantCode: 2, stderr: `smtpport: "ses-nowhere" is not an Amazon SES preset: SES region nowhere is not an AWS region name`},
		{name: "two names", args: []string{"gmail", "zoho"}, wantCode: 2, stderr: "presets takes at most one NAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.run(t, runOpts{}, append([]string{"presets"}, tc.args...)...)
			assert.Equal(t, tc.wantCode, r.code, r.stderr)
			if len(tc.stdout) > 0 {
				got := strings.Split(r.stdout, "\n")
				at := 0
				for _, want := range tc.stdout {
					i := indexFrom(got, at, want)
					if assert.GreaterOrEqual(t, i, 0, "line %q in order in:\n%s", want, r.stdout) {
						at = i + 1
					}
				}
				for _, l := range got {
					if len([]rune(l)) > 100 { // only a word that cannot wrap, such as a URL
						assert.Len(t, strings.Fields(l[14:]), 1, "wrapped to 100 columns: %q", l)
					}
				}
			}
			if tc.stderr != "" {
				first, _, _ := strings.Cut(r.stderr, "\n")
				assert.Contains(t, first, tc.stderr)
				assert.Empty(t, r.stdout)
			}
			assert.Zero(t, w.dialer.TotalDials())
		})
	}
}

func indexFrom(lines []string, from int, want string) int {
	for i := from; i < len(lines); i++ {
		if lines[i] == want {
			return i
		}
	}
	return -1
}

func TestPresetShowJSON(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets", "--json", "exchange-online")
	require.Equal(t, 0, r.code, r.stderr)
	var p presetJSON
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p))
	assert.Equal(t, "office365", p.Name)
	assert.Equal(t, []string{"LOGIN", "XOAUTH2"}, p.Mechanisms)
	assert.Contains(t, p.Aliases, "exchange-online")
	require.Len(t, p.Routes, 1)
	assert.Equal(t, 587, p.Routes[0].Port)
}

func TestPresetsUsage(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Usage: smtpport presets [--json] [NAME]")
	assert.Contains(t, r.stdout, "--json")
	r = w.run(t, runOpts{}, "presets", "--colour")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "flag provided but not defined")
}
