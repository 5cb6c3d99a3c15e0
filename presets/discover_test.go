package presets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDNS answers from maps; a missing name is NXDOMAIN. A hook, when set, runs first and
// may block (until ctx ends) to simulate a hanging resolver.
type fakeDNS struct {
	mx      map[string][]*net.MX
	srv     map[string][]*net.SRV // key "_submissions._tcp.example.com"
	mxHook  func(ctx context.Context) error
	srvHook func(ctx context.Context, service string) error
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if f.mxHook != nil {
		if err := f.mxHook(ctx); err != nil {
			return nil, err
		}
	}
	if mx, ok := f.mx[name]; ok {
		return mx, nil
	}
	return nil, notFound(name)
}

func (f *fakeDNS) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if f.srvHook != nil {
		if err := f.srvHook(ctx, service); err != nil {
			return "", nil, err
		}
	}
	key := "_" + service + "._" + proto + "." + name
	if srv, ok := f.srv[key]; ok {
		return key, srv, nil
	}
	return "", nil, notFound(key)
}

// hang blocks until ctx ends, like a resolver whose packets are dropped.
func hang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// webServer is an httptest TLS server that every autoconfig URL reaches: the client dials
// it whatever the host, and its certificate is valid for example.com and *.example.com.
type webServer struct {
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	pages  map[string]http.HandlerFunc // key "host/path"
	seen   []string
}

func newWebServer(t *testing.T) *webServer {
	w := &webServer{pages: map[string]http.HandlerFunc{}}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		key := r.Host + r.URL.Path
		w.mu.Lock()
		w.seen = append(w.seen, key)
		h := w.pages[key]
		w.mu.Unlock()
		if h == nil {
			http.NotFound(rw, r)
			return
		}
		h(rw, r)
	}))
	// Handshakes cut short by a cancelled Discover are expected; keep them out of the log.
	w.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	w.srv.StartTLS()
	transport := w.srv.Client().Transport.(*http.Transport).Clone()
	addr := w.srv.Listener.Addr().String()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	w.client = &http.Client{Transport: transport}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		w.srv.Close()
	})
	return w
}

func (w *webServer) page(hostPath string, h http.HandlerFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pages[hostPath] = h
}

func xmlPage(body string) http.HandlerFunc {
	return func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(rw, body)
	}
}

const autoconfigDoc = `<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
    <outgoingServer type="smtp">
      <hostname>plain.%EMAILDOMAIN%</hostname><port>25</port><socketType>plain</socketType>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname><port>465</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.%EMAILDOMAIN%</hostname><port>587</port><socketType>STARTTLS</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>`

func discover(t *testing.T, address string, opts ...DiscoverOption) (Discovered, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Discover(ctx, address, opts...)
}

func TestDiscoverDomain(t *testing.T) {
	// The domain step needs no network: a resolver that fails the test proves it.
	dns := &fakeDNS{
		mxHook:  func(context.Context) error { t.Error("MX looked up for a known domain"); return nil },
		srvHook: func(context.Context, string) error { t.Error("SRV looked up for a known domain"); return nil },
	}
	for addr, want := range map[string]string{
		"someone@gmail.com": "gmail", "x@GoogleMail.com": "gmail", "x@hotmail.com": "outlook",
		"x@live.com": "outlook", "x@outlook.de": "outlook", "x@icloud.com": "icloud", "x@me.com": "icloud",
		"x@yahoo.com": "yahoo", "x@yahoo.co.uk": "yahoo", "x@yahoo.com.br": "yahoo", "x@aol.com": "aol",
		"x@gmx.de": "gmx-net", "x@gmx.com": "gmx", "x@gmx.fr": "gmx", "x@zoho.eu": "zoho-eu",
		"x@zohomail.com": "zoho", "x@fastmail.com": "fastmail", "x@yandex.ru": "yandex",
		"x@proton.me": "proton-bridge", "x@pm.me": "proton-bridge", "gmail.com": "gmail",
	} {
		d, err := discover(t, addr, WithResolver(dns))
		require.NoError(t, err, addr)
		assert.Equal(t, want, d.Preset.Name, addr)
		assert.Equal(t, sourceDomain, d.Source)
		assert.True(t, d.Trusted)
		assert.False(t, d.Preset.Untrusted)
	}
}

func TestDiscoverMX(t *testing.T) {
	for mx, want := range map[string]string{
		"aspmx.l.google.com.":                     "gmail",
		"smtp.google.com.":                        "gmail",
		"alt1.aspmx.l.googlemail.com":             "gmail",
		"example-com.mail.protection.outlook.com": "office365",
		"mx.zoho.com":                             "zoho-pro",
		"mx2.zoho.eu":                             "zoho-pro-eu",
		"mx.zoho.in":                              "zoho-pro-in",
		"mx.zoho.com.au":                          "zoho-pro-au",
		"mx.zoho.jp":                              "zoho-pro-jp",
		"mx.zohocloud.ca":                         "zoho-pro-ca",
		"mxa.mailgun.org":                         "mailgun",
		"mxb.eu.mailgun.org":                      "mailgun-eu",
		"in1-smtp.messagingengine.com":            "fastmail",
		"mx01.mail.icloud.com":                    "icloud",
		"mta5.am0.yahoodns.net":                   "yahoo",
		"mx.yandex.net":                           "yandex",
		"mail.protonmail.ch":                      "proton-submission",
	} {
		dns := &fakeDNS{mx: map[string][]*net.MX{
			// The lower preference wins; the unknown host has the higher one.
			"example.com": {{Host: "backup.example.net.", Pref: 50}, {Host: mx, Pref: 10}},
		}}
		d, err := discover(t, "someone@example.com", WithResolver(dns), WithoutGuess())
		require.NoError(t, err, mx)
		assert.Equal(t, want, d.Preset.Name, mx)
		assert.Equal(t, sourceMX, d.Source)
		assert.Equal(t, "MX "+normalizeHost(mx), d.Evidence)
		assert.True(t, d.Trusted)
		assert.Equal(t, "example.com", d.Domain)
	}
}

func TestDiscoverMXUnknownFallsThrough(t *testing.T) {
	dns := &fakeDNS{mx: map[string][]*net.MX{"example.com": {{Host: "mx.example.com.", Pref: 10}}}}
	d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, sourceGuess, d.Source)
	require.Len(t, d.StepErrors, 3)
	assert.ErrorIs(t, d.StepErrors[0], ErrNotFound)
	assert.Contains(t, d.StepErrors[0].Error(), "mx.example.com")
}

func TestDiscoverSRV(t *testing.T) {
	dns := &fakeDNS{srv: map[string][]*net.SRV{
		"_submissions._tcp.example.com": {
			{Target: "backup.example.com.", Port: 465, Priority: 20, Weight: 0},
			{Target: "light.example.com.", Port: 465, Priority: 10, Weight: 1},
			{Target: "heavy.example.com.", Port: 465, Priority: 10, Weight: 9},
		},
		"_submission._tcp.example.com": {{Target: "mail.example.com.", Port: 587, Priority: 0, Weight: 0}},
	}}
	d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, sourceSRV, d.Source)
	assert.Equal(t, []string{
		"heavy.example.com:465/tls", "light.example.com:465/tls", "backup.example.com:465/tls",
		"mail.example.com:587/starttls",
	}, routeStrings(d.Preset.Routes))
	assert.True(t, d.Trusted)
	assert.Equal(t, "example.com", d.Preset.Name)
	assert.Contains(t, d.Evidence, "_submissions._tcp.example.com SRV 10 9 465 heavy.example.com")
	require.Len(t, d.StepErrors, 1, "only MX ran before SRV")
}

// partialDNS returns valid records together with an error, as net.Resolver does when
// some records of an answer are malformed.
type partialDNS struct{ fakeDNS }

func (p *partialDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	mx, _ := p.fakeDNS.LookupMX(ctx, name)
	return mx, &net.DNSError{Err: "cannot unmarshal DNS message", Name: name}
}

func (p *partialDNS) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	cname, srv, _ := p.fakeDNS.LookupSRV(ctx, service, proto, name)
	return cname, srv, &net.DNSError{Err: "cannot unmarshal DNS message", Name: name}
}

func TestDiscoverUsesValidRecordsBesideErrors(t *testing.T) {
	dns := &partialDNS{fakeDNS{mx: map[string][]*net.MX{"example.com": {{Host: "mx.zoho.eu", Pref: 10}}}}}
	d, err := discover(t, "a@example.com", WithResolver(dns), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, "zoho-pro-eu", d.Preset.Name)

	dns = &partialDNS{fakeDNS{srv: map[string][]*net.SRV{"_submission._tcp.example.com": {{Target: "mail.example.com", Port: 587}}}}}
	d, err = discover(t, "a@example.com", WithResolver(dns), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, sourceSRV, d.Source)
	assert.Equal(t, []string{"mail.example.com:587/starttls"}, routeStrings(d.Preset.Routes))
}

func TestDiscoverSRVDotMeansNoService(t *testing.T) {
	dns := &fakeDNS{srv: map[string][]*net.SRV{
		"_submissions._tcp.example.com": {{Target: ".", Port: 0}},
		"_submission._tcp.example.com":  {{Target: "mail.example.com", Port: 587}},
	}}
	d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, []string{"mail.example.com:587/starttls"}, routeStrings(d.Preset.Routes))

	dns.srv["_submission._tcp.example.com"] = []*net.SRV{{Target: ".", Port: 0}}
	d, err = discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, sourceGuess, d.Source, "a domain that says no service falls through")
}

func TestDiscoverTrust(t *testing.T) {
	for _, tc := range []struct {
		target      string
		wantTrusted bool
		wantPreset  string
	}{
		{"mail.example.com", true, "example.com"},
		{"example.com", true, "example.com"},
		{"deep.sub.example.com", true, "example.com"},
		{"smtp.office365.com", true, "office365"}, // known provider: its own preset, with its quirks
		{"email-smtp.eu-west-1.amazonaws.com", true, "ses-eu-west-1"},
		{"mail.attacker.example.net", false, "example.com"},
		{"notexample.com", false, "example.com"},
		{"example.com.attacker.net", false, "example.com"},
	} {
		dns := &fakeDNS{srv: map[string][]*net.SRV{
			"_submission._tcp.example.com": {{Target: tc.target + ".", Port: 587}},
		}}
		d, err := discover(t, "a@example.com", WithResolver(dns), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
		require.NoError(t, err, tc.target)
		assert.Equal(t, tc.wantTrusted, d.Trusted, tc.target)
		assert.Equal(t, !tc.wantTrusted, d.Preset.Untrusted, tc.target)
		assert.Equal(t, tc.wantPreset, d.Preset.Name, tc.target)
	}
	d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{srv: map[string][]*net.SRV{
		"_submission._tcp.example.com": {{Target: "smtp.office365.com", Port: 587}},
	}}), WithoutGuess(), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, []string{"LOGIN", "XOAUTH2"}, d.Preset.Mechanisms)
}

func TestDiscoverAutoconfig(t *testing.T) {
	web := newWebServer(t)
	web.page("example.com/.well-known/autoconfig/mail/config-v1.1.xml", xmlPage(autoconfigDoc))
	d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
	require.NoError(t, err)
	assert.Equal(t, sourceAutoconfig, d.Source)
	assert.Equal(t, []string{"smtp.example.com:465/tls", "smtp.example.com:587/starttls"}, routeStrings(d.Preset.Routes),
		"plain is ignored, placeholders substituted, document order kept")
	assert.Equal(t, "full email address", d.Preset.Username)
	assert.True(t, d.Trusted)
	assert.Equal(t, "autoconfig https://example.com/.well-known/autoconfig/mail/config-v1.1.xml", d.Evidence)
	web.mu.Lock()
	assert.Equal(t, []string{
		"autoconfig.example.com/mail/config-v1.1.xml", "example.com/.well-known/autoconfig/mail/config-v1.1.xml",
	}, web.seen, "autoconfig.<domain> first, then .well-known")
	web.mu.Unlock()
}

func TestDiscoverAutoconfigUntrustedHost(t *testing.T) {
	web := newWebServer(t)
	web.page("autoconfig.example.com/mail/config-v1.1.xml", xmlPage(strings.ReplaceAll(autoconfigDoc, "smtp.%EMAILDOMAIN%", "smtp.attacker.example.net")))
	d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
	require.NoError(t, err)
	assert.Equal(t, sourceAutoconfig, d.Source)
	assert.False(t, d.Trusted)
	assert.True(t, d.Preset.Untrusted)
}

func TestDiscoverAutoconfigErrors(t *testing.T) {
	huge := strings.Repeat(" ", maxAutoconfigSize)
	for _, tc := range []struct {
		name string
		page http.HandlerFunc
		want error
	}{
		{"oversized", xmlPage(strings.Replace(autoconfigDoc, "<clientConfig", huge+"<clientConfig", 1)), errAutoconfigTooLarge},
		{"malformed", xmlPage("<clientConfig><emailProvider><outgoingServer"), errAutoconfigMalformed},
		{"not xml", xmlPage("<html><body>hello</body></html>"), errAutoconfigMalformed},
		{"bad port", xmlPage(strings.ReplaceAll(autoconfigDoc, "<port>", "<port>x")), ErrNotFound},
		{"only plain", xmlPage(`<clientConfig><emailProvider><outgoingServer type="smtp"><hostname>smtp.example.com</hostname><port>25</port><socketType>plain</socketType></outgoingServer></emailProvider></clientConfig>`), ErrNotFound},
		{"server error", func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, "boom", 500) }, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			web := newWebServer(t)
			web.page("autoconfig.example.com/mail/config-v1.1.xml", tc.page)
			d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
			require.NoError(t, err)
			assert.Equal(t, sourceGuess, d.Source)
			require.Len(t, d.StepErrors, 3)
			assert.ErrorIs(t, d.StepErrors[2], tc.want)
			assert.Contains(t, d.StepErrors[2].Error(), "https://autoconfig.example.com/mail/config-v1.1.xml")
		})
	}
}

func TestDiscoverAutoconfigRefusesHTTPRedirect(t *testing.T) {
	web := newWebServer(t)
	web.page("autoconfig.example.com/mail/config-v1.1.xml", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "http://example.com/config.xml", http.StatusFound)
	})
	web.page("example.com/config.xml", xmlPage(autoconfigDoc))
	d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(web.client))
	require.NoError(t, err)
	assert.Equal(t, sourceGuess, d.Source)
	assert.Contains(t, d.StepErrors[2].Error(), "refusing redirect to non-https")
}

func TestDiscoverGuess(t *testing.T) {
	d, err := discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(newWebServer(t).client))
	require.NoError(t, err)
	assert.Equal(t, sourceGuess, d.Source)
	assert.True(t, d.Trusted)
	assert.Equal(t, []string{
		"smtp.example.com:587/starttls", "smtp.example.com:465/tls", "smtp.example.com:2525/starttls",
		"mail.example.com:587/starttls", "mail.example.com:465/tls", "mail.example.com:2525/starttls",
	}, routeStrings(d.Preset.Routes))

	_, err = discover(t, "a@example.com", WithResolver(&fakeDNS{}), WithHTTPClient(newWebServer(t).client), WithoutGuess())
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "autoconfig")
}

// TestDiscoverPriority: a lower step that answers first waits for a higher one still
// running, and the higher one wins when it answers.
func TestDiscoverPriority(t *testing.T) {
	web := newWebServer(t)
	web.page("autoconfig.example.com/mail/config-v1.1.xml", xmlPage(autoconfigDoc))
	release := make(chan struct{})
	autoconfigSeen := make(chan struct{})
	dns := &fakeDNS{
		srv: map[string][]*net.SRV{"_submissions._tcp.example.com": {{Target: "srv.example.com", Port: 465}}},
		srvHook: func(ctx context.Context, _ string) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}
	observe := func(c *discoverConfig) {
		c.observe = func(source Source, err error) {
			if source == sourceAutoconfig {
				assert.NoError(t, err)
				close(autoconfigSeen)
			}
		}
	}
	type answer struct {
		d   Discovered
		err error
	}
	got := make(chan answer, 1)
	go func() {
		d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(web.client), observe)
		got <- answer{d, err}
	}()
	<-autoconfigSeen // autoconfig and guess have answered; SRV is still blocked
	select {
	case a := <-got:
		t.Fatalf("Discover answered %s before SRV finished", a.d.Source)
	default:
	}
	close(release)
	a := <-got
	require.NoError(t, a.err)
	assert.Equal(t, sourceSRV, a.d.Source)
	assert.Equal(t, []string{"srv.example.com:465/tls"}, routeStrings(a.d.Preset.Routes))
}

// TestDiscoverHangingLowerStepsDoNotDelay: MX answers while SRV and autoconfig hang for
// good; Discover returns at once and cancels them (goleak checks nothing is left).
func TestDiscoverHangingLowerStepsDoNotDelay(t *testing.T) {
	web := newWebServer(t)
	web.page("autoconfig.example.com/mail/config-v1.1.xml", func(rw http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	dns := &fakeDNS{
		mx:      map[string][]*net.MX{"example.com": {{Host: "aspmx.l.google.com", Pref: 1}}},
		srvHook: func(ctx context.Context, _ string) error { return hang(ctx) },
	}
	// A step timeout of an hour: only Discover's own cancellation can end the hangs, and
	// the test's 10 s context fails the test if Discover waited for them.
	d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(web.client), withStepTimeout(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, sourceMX, d.Source)
	assert.Equal(t, "gmail", d.Preset.Name)
}

// TestDiscoverStepTimeout: a hanging higher step is given up after the step timeout and
// the lower answer is used.
func TestDiscoverStepTimeout(t *testing.T) {
	dns := &fakeDNS{
		mxHook: hang,
		srv:    map[string][]*net.SRV{"_submission._tcp.example.com": {{Target: "mail.example.com", Port: 587}}},
	}
	d, err := discover(t, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client), withStepTimeout(20*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, sourceSRV, d.Source)
	require.Len(t, d.StepErrors, 1)
	assert.ErrorIs(t, d.StepErrors[0], context.DeadlineExceeded)
}

func TestDiscoverContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	dns := &fakeDNS{
		mxHook: func(c context.Context) error { cancel(); return hang(c) },
	}
	_, err := Discover(ctx, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
	assert.ErrorIs(t, err, context.Canceled)

	_, err = Discover(ctx, "a@example.com", WithResolver(dns))
	assert.ErrorIs(t, err, context.Canceled, "already cancelled")
}

// TestDiscoverContextDeadline: when the caller's deadline ends the lookups, Discover says
// so; it does not fall through to the guess, also when the resolver gives up a moment
// before the deadline it was given (net.Resolver does) and ctx has not ended yet.
func TestDiscoverContextDeadline(t *testing.T) {
	early := func(c context.Context) error { // a resolver that times out just before c's deadline
		dl, _ := c.Deadline()
		select {
		case <-time.After(time.Until(dl) - 5*time.Millisecond):
			return &net.DNSError{Err: "i/o timeout", IsTimeout: true}
		case <-c.Done():
			return c.Err()
		}
	}
	for name, hook := range map[string]func(context.Context) error{"at the deadline": hang, "just before it": early} {
		t.Run(name, func(t *testing.T) {
			dns := &fakeDNS{mxHook: hook, srvHook: func(c context.Context, _ string) error { return hook(c) }}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			d, err := Discover(ctx, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client))
			require.ErrorIs(t, err, context.DeadlineExceeded, "got %+v", d)
		})
	}
	// A step's own timeout is not the caller's: the next step answers.
	dns := &fakeDNS{mxHook: hang, srv: map[string][]*net.SRV{"_submission._tcp.example.com": {{Target: "mail.example.com", Port: 587}}}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := Discover(ctx, "a@example.com", WithResolver(dns), WithHTTPClient(newWebServer(t).client), withStepTimeout(20*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, sourceSRV, d.Source)
}

func TestDiscoverBadAddress(t *testing.T) {
	for _, addr := range []string{"", "nobody", "a@", "a@localhost", "a@exa mple.com", "a@exämple.com", "a@-x.com", "a@x..com"} {
		_, err := Discover(context.Background(), addr, WithResolver(&fakeDNS{}))
		assert.Error(t, err, addr)
		assert.False(t, errors.Is(err, ErrNotFound), addr)
	}
}

func TestNetResolverIsAResolver(t *testing.T) {
	var _ Resolver = net.DefaultResolver
}
