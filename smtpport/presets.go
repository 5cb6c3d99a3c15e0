package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

const presetsUsage = `Usage: smtpport presets [--json]

Lists the mail providers smtpport knows: the name to pass to 'smtpport probe' and
'smtpport send --preset', the submission host, the routes in the order smtpport tries
them, and the SASL mechanisms the provider accepts ("any" when not restricted).
Names are matched ignoring case and punctuation, and common aliases work (o365,
google, hotmail). Amazon SES takes its region: ses-eu-west-1.
`

// jsonPreset is one element of 'smtpport presets --json'.
type jsonPreset struct {
	Name       string      `json:"name"`
	Routes     []jsonRoute `json:"routes"`
	Mechanisms []string    `json:"mechanisms"`
	Username   string      `json:"username,omitempty"`
	Docs       string      `json:"docs,omitempty"`
	Note       string      `json:"note,omitempty"`
}

// jsonRoute is a route in JSON: {"host": ..., "port": 587, "security": "starttls"}.
type jsonRoute struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
}

func toJSONRoute(r negotiate.Route) jsonRoute {
	return jsonRoute{Host: r.Host, Port: r.Port, Security: r.Security.String()}
}

func runPresets(args []string, e *env) int {
	fs := newFlagSet("presets")
	asJSON := fs.Bool("json", false, "print a JSON array of objects with \"name\" and \"routes\"")
	rest, help, err := parseArgs(fs, args)
	switch {
	case help:
		printHelp(e.stdout, presetsUsage, fs)
		return exitOK
	case err != nil:
		return usageError(e, "presets", err)
	case len(rest) > 0:
		return usageError(e, "presets", fmt.Errorf("presets takes no arguments, got %q", rest[0]))
	}
	all := presets.All()
	if *asJSON {
		out := make([]jsonPreset, 0, len(all))
		for _, p := range all {
			jp := jsonPreset{Name: p.Name, Mechanisms: p.Mechanisms, Username: p.Username, Docs: p.Docs, Note: p.Note}
			if jp.Mechanisms == nil {
				jp.Mechanisms = []string{}
			}
			for _, r := range p.Routes {
				jp.Routes = append(jp.Routes, toJSONRoute(r))
			}
			out = append(out, jp)
		}
		return writeJSON(e, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHOST\tROUTES\tAUTH")
	for _, p := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, presetHosts(p), presetRoutes(p), presetAuth(p))
	}
	tw.Flush()
	fmt.Fprintln(e.stdout, "\nAmazon SES is regional: use ses-REGION, e.g. ses-eu-west-1.")
	return exitOK
}

// presetHosts lists the distinct hosts of p's routes.
func presetHosts(p presets.Preset) string {
	var hosts []string
	for _, r := range p.Routes {
		if len(hosts) == 0 || hosts[len(hosts)-1] != r.Host {
			hosts = append(hosts, r.Host)
		}
	}
	return strings.Join(hosts, ",")
}

// presetRoutes is "587/starttls 465/tls".
func presetRoutes(p presets.Preset) string {
	parts := make([]string, len(p.Routes))
	for i, r := range p.Routes {
		parts[i] = strconv.Itoa(r.Port) + "/" + r.Security.String()
	}
	return strings.Join(parts, " ")
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
