package presets

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
)

// maxAutoconfigSize caps an autoconfig document. Real ones are a few KiB; anything past
// this is refused with errAutoconfigTooLarge rather than read.
const maxAutoconfigSize = 1 << 20

// Autoconfig failures, wrapped with the URL (see Discovered.StepErrors).
var (
	// errAutoconfigTooLarge: the document is larger than maxAutoconfigSize.
	errAutoconfigTooLarge = errors.New("autoconfig document larger than 1 MiB")
	// errAutoconfigMalformed: the document is not a clientConfig XML document.
	errAutoconfigMalformed = errors.New("malformed autoconfig document")
)

// autoconfigURLs are tried in order, https only: Thunderbird's two domain-hosted places.
func autoconfigURLs(domain string) []string {
	return []string{
		"https://autoconfig." + domain + "/mail/config-v1.1.xml",
		"https://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml",
	}
}

// discoverAutoconfig fetches the domain's Thunderbird-style autoconfig document and uses
// its outgoing SMTP servers with socketType SSL or STARTTLS; "plain" servers are ignored.
// The address is not sent (no ?emailaddress= query).
func discoverAutoconfig(ctx context.Context, t target) (Discovered, error) {
	client := httpsOnly(t.cfg.client)
	var errs []error
	for _, url := range autoconfigURLs(t.domain) {
		routes, username, err := fetchAutoconfig(ctx, client, url, t)
		if err == nil {
			d := routesFound(t, routes, "autoconfig "+url)
			if d.Preset.Name == t.domain {
				d.Preset.Docs = url
				if username != "" {
					d.Preset.Username = username
				}
			}
			return d, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return Discovered{}, errors.Join(errs...)
}

// httpsOnly returns a copy of c that refuses to follow a redirect away from https.
func httpsOnly(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	copied := *c
	next := c.CheckRedirect
	copied.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("refusing redirect to non-https %s", req.URL.Redacted())
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &copied
}

// fetchAutoconfig gets and parses one autoconfig URL.
func fetchAutoconfig(ctx context.Context, client *http.Client, url string, t target) ([]negotiate.Route, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", fmt.Errorf("autoconfig %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("autoconfig %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("autoconfig %s: %w: HTTP status %s", url, ErrNotFound, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAutoconfigSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("autoconfig %s: %w", url, err)
	}
	if len(body) > maxAutoconfigSize {
		return nil, "", fmt.Errorf("autoconfig %s: %w", url, errAutoconfigTooLarge)
	}
	routes, username, err := parseAutoconfig(body, t)
	if err != nil {
		return nil, "", fmt.Errorf("autoconfig %s: %w", url, err)
	}
	return routes, username, nil
}

// clientConfig is the part of the Thunderbird autoconfig format (config-v1.1) used here.
type clientConfig struct {
	XMLName   xml.Name `xml:"clientConfig"`
	Providers []struct {
		Outgoing []outgoingServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

type outgoingServer struct {
	Type       string `xml:"type,attr"`
	Hostname   string `xml:"hostname"`
	Port       string `xml:"port"`
	SocketType string `xml:"socketType"`
	Username   string `xml:"username"`
}

// parseAutoconfig returns the document's usable SMTP routes in document order and the
// first server's username convention. Servers with an invalid host name or port are
// dropped, and the error (when nothing is left) says why; servers without TLS are
// ignored by design.
func parseAutoconfig(body []byte, t target) ([]negotiate.Route, string, error) {
	var cc clientConfig
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&cc); err != nil {
		return nil, "", fmt.Errorf("%w: %w", errAutoconfigMalformed, err)
	}
	var (
		routes   []negotiate.Route
		username string
		bad      dropped
	)
	for _, p := range cc.Providers {
		for _, s := range p.Outgoing {
			if s.Type != "" && !strings.EqualFold(s.Type, "smtp") {
				continue
			}
			r, ok, err := s.route(t)
			if err != nil {
				bad.add("outgoingServer", err)
				continue
			}
			if !ok || slices.Contains(routes, r) {
				continue
			}
			if len(routes) == 0 {
				username = describeUsername(s.Username, t)
			}
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		return nil, "", fmt.Errorf("%w: %s", ErrNotFound, withDropped("no outgoing SMTP server with SSL or STARTTLS", &bad))
	}
	return routes, username, nil
}

// route converts one outgoingServer. socketType "plain" and unknown types are skipped
// (ok false); an invalid host name or port is an error.
func (s outgoingServer) route(t target) (r negotiate.Route, ok bool, err error) {
	switch strings.ToUpper(strings.TrimSpace(s.SocketType)) {
	case "SSL", "TLS":
		r.Security, r.Port = negotiate.ImplicitTLS, portSubmissions
	case "STARTTLS":
		r.Security, r.Port = negotiate.STARTTLS, portSubmission
	default:
		return r, false, nil
	}
	if port := strings.TrimSpace(s.Port); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return r, false, fmt.Errorf("port %s is not a port number", quoteUntrusted(port))
		}
		r.Port = n
	}
	if r.Host, err = checkHost(strings.TrimSpace(substitute(s.Hostname, t))); err != nil {
		return r, false, err
	}
	return r, true, r.Validate()
}

// substitute replaces the autoconfig placeholders with the address's parts.
func substitute(s string, t target) string {
	return strings.NewReplacer(
		"%EMAILDOMAIN%", t.domain,
		"%EMAILLOCALPART%", t.local,
		"%EMAILADDRESS%", t.address,
	).Replace(s)
}

// describeUsername turns the username template into the Preset.Username wording; a
// template of the document's own is passed on cleaned and capped.
func describeUsername(tmpl string, t target) string {
	switch strings.TrimSpace(tmpl) {
	case "":
		return ""
	case "%EMAILADDRESS%":
		return "full email address"
	case "%EMAILLOCALPART%":
		return "local part of the address (before @)"
	}
	return clean(substitute(strings.TrimSpace(tmpl), t), maxPresetField)
}
