package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeResolver answers SRV lookups from a table (service → "host:port") and nothing
// else, so discovery in tests never touches the network.
type fakeResolver map[string]string

func (f fakeResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	hostport, ok := f[service]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: "_" + service + "._" + proto + "." + name, IsNotFound: true}
	}
	host, port, _ := net.SplitHostPort(hostport)
	p, _ := strconv.Atoi(port)
	return "", []*net.SRV{{Target: host + ".", Port: uint16(p), Priority: 10, Weight: 1}}, nil
}

// noHTTP fails every autoconfig fetch at once.
type noHTTP struct{}

func (noHTTP) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in tests")
}

func fakeDNS(srv map[string]string) []presets.DiscoverOption {
	return []presets.DiscoverOption{
		presets.WithResolver(fakeResolver(srv)),
		presets.WithHTTPClient(&http.Client{Transport: noHTTP{}}),
		presets.WithoutGuess(),
	}
}

func TestProbeAddress(t *testing.T) {
	w := newWorld(t)
	r := w.runDiscover(t, fakeDNS(map[string]string{"submissions": "mail.example.test:465", "submission": "mail.example.test:587"}),
		"probe", "alice@example.test")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Discovered mail.example.test for alice@example.test by srv: _submissions._tcp.example.test SRV 10 1 465 mail.example.test")
	assert.Contains(t, r.stdout, "Verdict: Dial would use mail.example.test:465/tls")
	assert.Zero(t, w.dialer.Dials(w.srv.RouteAddr(2525)), "only the discovered routes")
}

func TestProbeAddressUntrusted(t *testing.T) {
	w := newWorld(t)
	w.dialer.Set("relay.elsewhere.test:587", netsim.Refuse) // never dial the real network
	dns := fakeDNS(map[string]string{"submission": "relay.elsewhere.test:587"})

	r := w.runDiscover(t, dns, "probe", "alice@example.test")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "not trusted with credentials", "probing an untrusted host is harmless: no credentials")

	r = w.runDiscover(t, dns, "probe", "--auth", "--user", testUser, "--password-env", passVar, "alice@example.test")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "smtpport: --auth refused: the discovered server is outside the address's domain")
	assert.Empty(t, w.srv.AuthCommands())
}

func TestProbeAddressNotFound(t *testing.T) {
	w := newWorld(t)
	r := w.runDiscover(t, fakeDNS(nil), "probe", "alice@example.test")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "smtpport: discovery for alice@example.test: ")
	assert.Contains(t, r.stderr, "no submission server found")
	assert.Zero(t, w.dialer.TotalDials())
}
