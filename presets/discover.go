package presets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Source is the step of Discover that found a preset, highest priority first: "domain"
// (the address's domain is a known mailbox provider's), "mx" (an MX host belongs to a
// known provider), "srv" (_submissions._tcp / _submission._tcp SRV records),
// "autoconfig" (a Thunderbird-style autoconfig document) and "guess" (smtp.<domain> and
// mail.<domain>, not probed).
type Source string

const (
	sourceDomain     Source = "domain"
	sourceMX         Source = "mx"
	sourceSRV        Source = "srv"
	sourceAutoconfig Source = "autoconfig"
	sourceGuess      Source = "guess"
)

// defaultStepTimeout bounds each discovery step (one DNS lookup family or the autoconfig
// fetches), the figure Thunderbird uses for its guesses.
const defaultStepTimeout = 10 * time.Second

// ErrNotFound is wrapped by a step that ran but found nothing usable, and by Discover
// when no step answered.
var ErrNotFound = errors.New("no submission server found")

// Discovered is Discover's answer: the preset and how it was found.
type Discovered struct {
	// Preset to pass to smtpport.Dial. Preset.Untrusted is the negation of Trusted.
	Preset Preset
	// Domain is the address's domain, lower case.
	Domain string
	// Source is the step that answered: "domain", "mx", "srv", "autoconfig" or "guess".
	Source Source
	// Evidence is what the step saw: the MX host, the SRV records, the autoconfig URL.
	Evidence string
	// Trusted reports that every route's host is inside the address's domain or belongs
	// to a known provider. DNS answers are not authenticated and an autoconfig document
	// vouches only for itself, so an outside host could be an attacker's; smtpport.Dial
	// refuses an untrusted preset unless given smtpport.WithUntrustedDiscovery.
	Trusted bool
	// StepErrors explains why each higher-priority step did not answer (NXDOMAIN, no
	// known provider, malformed autoconfig ...), in priority order.
	StepErrors []error
}

// Resolver is the DNS that Discover uses; *net.Resolver satisfies it.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
}

// DiscoverOption configures Discover.
type DiscoverOption func(*discoverConfig)

type discoverConfig struct {
	resolver    Resolver
	client      *http.Client
	stepTimeout time.Duration
	noGuess     bool
	// observe, when set (tests only), sees every step result as the decision loop
	// receives it.
	observe func(source Source, err error)
}

// WithResolver sets the DNS resolver (default net.DefaultResolver).
func WithResolver(r Resolver) DiscoverOption {
	return func(c *discoverConfig) { c.resolver = r }
}

// WithHTTPClient sets the client for autoconfig fetches (default http.DefaultClient).
// Discover only requests https URLs and refuses redirects to anything else.
func WithHTTPClient(client *http.Client) DiscoverOption {
	return func(c *discoverConfig) { c.client = client }
}

// withStepTimeout bounds each step (default 10 s). A step that times out
// counts as not found, and lower-priority answers may then be used.
func withStepTimeout(d time.Duration) DiscoverOption {
	return func(c *discoverConfig) { c.stepTimeout = d }
}

// WithoutGuess drops the last step, so Discover fails with ErrNotFound instead of
// guessing smtp.<domain> and mail.<domain>.
func WithoutGuess() DiscoverOption {
	return func(c *discoverConfig) { c.noGuess = true }
}

// target is what every step works on.
type target struct {
	address string // as given, for autoconfig placeholders
	local   string // local part, may be empty
	domain  string // ASCII, lower case, no trailing dot
	cfg     *discoverConfig
}

type step struct {
	source Source
	run    func(context.Context, target) (Discovered, error)
}

// Discover finds the preset for an email address (a bare domain works too). The steps,
// highest priority first: the address's domain is a known mailbox provider's; an MX host
// belongs to a known provider; SRV records _submissions._tcp then _submission._tcp
// (RFC 8314, RFC 6186); an autoconfig document at https://autoconfig.<domain>/ then
// https://<domain>/.well-known/; a guess of smtp.<domain> and mail.<domain>.
//
// Each network step is bounded by the step timeout (10 s by default). The guess is
// not probed: negotiation finds out which of its routes answers, with TLS verified for
// each host as always.
//
// DNS and HTTP answers are untrusted input. Every host name they supply must be a DNS
// host name (at most 253 bytes, labels of 1 to 63 letters, digits and hyphens, at least
// two labels, not an IP address); records that are not are dropped, and the step's error
// or Evidence says why. Every string that reaches the result (Evidence, StepErrors, the
// preset's Name, Username, Docs and Note) is sanitised like the engine's server text (control
// and format characters such as U+009B and U+202E become '?') and capped in length.
//
// The network steps run concurrently. The answer is the highest-priority step that
// found something: a lower step's answer waits only for higher steps still running, and a
// decided answer never waits for lower steps, which are cancelled. No goroutine outlives
// Discover. When ctx ends first, the error wraps ctx.Err().
func Discover(ctx context.Context, address string, opts ...DiscoverOption) (Discovered, error) {
	cfg := discoverConfig{resolver: net.DefaultResolver, client: http.DefaultClient, stepTimeout: defaultStepTimeout}
	for _, opt := range opts {
		opt(&cfg)
	}
	t, err := parseAddress(address)
	if err != nil {
		return Discovered{}, err
	}
	t.cfg = &cfg
	if err := ctx.Err(); err != nil {
		return Discovered{}, fmt.Errorf("presets: discover %s: %w", t.domain, err)
	}
	if p, ok := byDomain(t.domain); ok {
		return Discovered{Preset: p, Domain: t.domain, Source: sourceDomain, Evidence: "domain " + t.domain, Trusted: true}, nil
	}
	steps := []step{{sourceMX, discoverMX}, {sourceSRV, discoverSRV}, {sourceAutoconfig, discoverAutoconfig}}
	if !cfg.noGuess {
		steps = append(steps, step{sourceGuess, discoverGuess})
	}
	return race(ctx, t, steps)
}

type stepResult struct {
	index int
	found Discovered
	err   error
	// callersTime: the step timed out on the caller's deadline (no later than its own),
	// so the caller's time ran out even if ctx has not said so yet (a resolver gives up
	// a moment before the deadline it was given).
	callersTime bool
}

// race runs the steps concurrently and returns the highest-priority answer as soon as it
// is decided: every higher step has failed and this one has answered.
func race(ctx context.Context, t target, steps []step) (Discovered, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	results := make(chan stepResult, len(steps)) // buffered: a late step never blocks
	for i, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, scancel := context.WithTimeout(ctx, t.cfg.stepTimeout)
			defer scancel()
			found, err := s.run(sctx, t)
			callers := false
			if err != nil {
				callers = isTimeout(err) && callersDeadline(ctx, sctx)
				err = untrusted{fmt.Errorf("%s: %w", s.source, err)}
			}
			results <- stepResult{index: i, found: found, err: err, callersTime: callers}
		}()
	}

	done := make([]bool, len(steps))
	outcome := make([]stepResult, len(steps))
	for {
		if err := ctx.Err(); err != nil { // checked first: a step failing because ctx ended decides nothing
			return Discovered{}, fmt.Errorf("presets: discover %s: %w", t.domain, err)
		}
		var failures []error
		decided := true
		for i := range steps {
			if !done[i] {
				decided = false
				break
			}
			if outcome[i].err == nil {
				d := outcome[i].found
				d.Domain, d.Source, d.StepErrors = t.domain, steps[i].source, failures
				d.Preset.Untrusted = !d.Trusted
				return d.sanitized(), nil
			}
			failures = append(failures, outcome[i].err)
		}
		if decided {
			return Discovered{}, fmt.Errorf("presets: discover %s: %w: %w", t.domain, ErrNotFound, errors.Join(failures...))
		}
		select {
		case r := <-results:
			if r.callersTime {
				return Discovered{}, fmt.Errorf("presets: discover %s: %w", t.domain, context.DeadlineExceeded)
			}
			done[r.index], outcome[r.index] = true, r
			if t.cfg.observe != nil {
				t.cfg.observe(steps[r.index].source, r.err)
			}
		case <-ctx.Done():
		}
	}
}

// callersDeadline reports whether step's deadline is the caller's, not its own timeout.
func callersDeadline(caller, step context.Context) bool {
	cdl, ok := caller.Deadline()
	sdl, _ := step.Deadline()
	return ok && !cdl.After(sdl)
}

// isTimeout reports a lookup that ran out of time, however the resolver says it.
func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// parseAddress takes "local@domain" or a bare domain and returns the domain in ASCII.
func parseAddress(address string) (target, error) {
	address = strings.TrimSpace(address)
	local, domain := "", address
	if at := strings.LastIndexByte(address, '@'); at >= 0 {
		local, domain = address[:at], address[at+1:]
	}
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if !validDomain(domain) {
		return target{}, fmt.Errorf("presets: discover: %s has no valid domain (internationalised domains must be given in their xn-- form)", quoteUntrusted(address))
	}
	return target{address: address, local: local, domain: domain}, nil
}

// validDomain accepts dotted DNS names of letters, digits and hyphens (RFC 1123 labels).
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// trusted reports whether a host may receive credentials without the caller's opt-in:
// it is inside the address's domain or a known provider's host.
func (t target) trusted(host string) bool {
	if inDomain(host, t.domain) {
		return true
	}
	_, known := knownHost(host)
	return known
}
