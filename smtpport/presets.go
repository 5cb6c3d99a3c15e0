package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

const presetsUsage = `Usage: smtpport presets [--json] [NAME]

Lists the mail providers smtpport knows: the name to pass to 'smtpport probe' and
'smtpport send', the submission host, the routes in the order smtpport tries them, and
the SASL mechanisms the provider accepts ("any" when not restricted).
Names are matched ignoring case and punctuation, and common aliases work (o365,
google, hotmail), as do the providers' hosts (smtp.gmail.com). Amazon SES takes its
region: ses-eu-west-1.

With NAME it shows that preset in full: every route, the mechanisms, the user-name
convention, the provider's documentation, the caveat users hit, and its aliases.
`

// tableWidth is the most columns the presets table takes: it wraps its ROUTES and AUTH
// cells to fit.
const tableWidth = 100

// jsonPreset is one preset in 'smtpport presets --json'.
type jsonPreset struct {
	Name       string      `json:"name"`
	Routes     []jsonRoute `json:"routes"`
	Mechanisms []string    `json:"mechanisms"`
	Username   string      `json:"username,omitempty"`
	Docs       string      `json:"docs,omitempty"`
	Note       string      `json:"note,omitempty"`
	Aliases    []string    `json:"aliases"`
}

// jsonRoute is a route in JSON: {"host": ..., "port": 587, "security": "starttls"}.
type jsonRoute struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

func toJSONRoute(r negotiate.Route) jsonRoute {
	return jsonRoute{Host: safe(r.Host), Port: r.Port, Security: r.Security.String()}
}

func toJSONPreset(p presets.Preset) jsonPreset {
	jp := jsonPreset{
		Name: p.Name, Mechanisms: p.Mechanisms, Username: p.Username, Docs: p.Docs, Note: p.Note,
		Aliases: presets.Aliases(p.Name), Routes: []jsonRoute{},
	}
	if jp.Mechanisms == nil {
		jp.Mechanisms = []string{}
	}
	if jp.Aliases == nil {
		jp.Aliases = []string{}
	}
	for _, r := range p.Routes {
		jp.Routes = append(jp.Routes, toJSONRoute(r))
	}
	return jp
}

func runPresets(args []string, e *env) int {
	fs := newFlagSet("presets")
	asJSON := fs.Bool("json", false, "print JSON: an array of objects with \"name\", \"routes\", \"mechanisms\", \"aliases\" (one object with NAME)")
	rest, help, err := parseArgs(fs, args)
	switch {
	case help:
		printHelp(e.stdout, presetsUsage, fs)
		return exitOK
	case err != nil:
		return usageError(e, "presets", err)
	case len(rest) > 1:
		return usageError(e, "presets", fmt.Errorf("presets takes at most one NAME, got %q", rest))
	case len(rest) == 1:
		p, ok := presets.Lookup(rest[0])
		if !ok {
			return usageError(e, "presets", unknownPreset(rest[0]))
		}
		if *asJSON {
			return writeJSON(e, toJSONPreset(p))
		}
		renderPreset(e.stdout, p)
		return exitOK
	}
	all := presets.All()
	if *asJSON {
		out := make([]jsonPreset, 0, len(all))
		for _, p := range all {
			out = append(out, toJSONPreset(p))
		}
		return writeJSON(e, out)
	}
	rows := [][][]string{{{"NAME"}, {"HOST"}, {"ROUTES"}, {"AUTH"}}}
	for _, p := range all {
		rows = append(rows, [][]string{{p.Name}, hostList(p), routeWords(p), strings.Fields(presetAuth(p))})
	}
	writeTable(e.stdout, rows, tableWidth)
	fmt.Fprintf(e.stdout, "\n%s. Amazon SES is regional: use ses-REGION, e.g. ses-eu-west-1.\n", plural(len(all), "preset"))
	fmt.Fprintln(e.stdout, "'smtpport presets NAME' shows one in full, with its aliases.")
	return exitOK
}

// renderPreset writes one preset in full, each field on its own lines, wrapped to the
// table's width.
func renderPreset(w io.Writer, p presets.Preset) {
	order := ", tried in this order"
	if len(p.Routes) == 1 {
		order = ""
	}
	sayf(w, "%s (%s%s)", p.Name, plural(len(p.Routes), "route"), order)
	field := func(label string, words []string, sep string) {
		if len(words) == 0 {
			return
		}
		const indent = "  %-11s "
		lines := wrap(words, sep, tableWidth-len(fmt.Sprintf(indent, "")))
		for i, l := range lines {
			if i > 0 {
				label = ""
			}
			sayf(w, "%s", strings.TrimRight(fmt.Sprintf(indent, label)+l, " "))
		}
	}
	var routes []string
	for _, r := range p.Routes {
		routes = append(routes, r.String())
	}
	for i, r := range routes {
		label := ""
		if i == 0 {
			label = "routes"
		}
		field(label, []string{r}, "")
	}
	mechanisms := p.Mechanisms
	if len(mechanisms) == 0 {
		mechanisms = []string{"any", "the", "server", "offers", "after", "TLS"}
	}
	field("mechanisms", mechanisms, " ")
	field("username", strings.Fields(p.Username), " ")
	field("docs", strings.Fields(p.Docs), " ")
	field("note", strings.Fields(p.Note), " ")
	aliases := presets.Aliases(p.Name)
	for i := range aliases[:max(len(aliases)-1, 0)] {
		aliases[i] += ","
	}
	field("aliases", aliases, " ")
}

// presetHosts lists the distinct hosts of p's routes.
func presetHosts(p presets.Preset) string {
	return strings.Join(hostList(p), ",")
}

func hostList(p presets.Preset) []string {
	var hosts []string
	for _, r := range p.Routes {
		if len(hosts) == 0 || hosts[len(hosts)-1] != r.Host {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// routeWords is "587/starttls", "465/tls" ...: the host is in its own column.
func routeWords(p presets.Preset) []string {
	words := make([]string, len(p.Routes))
	for i, r := range p.Routes {
		words[i] = strconv.Itoa(r.Port) + "/" + r.Security.String()
	}
	return words
}

func presetAuth(p presets.Preset) string {
	if len(p.Mechanisms) == 0 {
		return "any"
	}
	return strings.Join(p.Mechanisms, " ")
}

// writeJSON prints v indented, with a final newline.
func writeJSON(e *env, v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(e.stderr, "smtpport: %s\n", oneLine(err.Error()))
		return exitFail
	}
	return exitOK
}
