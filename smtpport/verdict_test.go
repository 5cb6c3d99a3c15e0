package main

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dnsFailure is a dialer for which no host name resolves.
type dnsFailure struct{}

func (dnsFailure) DialContext(_ context.Context, _, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
}

func TestProbeNoHost(t *testing.T) {
	w := newWorld(t)
	var out, errOut = &stringsBuilder{}, &stringsBuilder{}
	code := run(context.Background(), []string{"probe", "--json", "mail.example.test"},
		&env{stdout: out, stderr: errOut, dialer: dnsFailure{}, roots: w.srv.CA().Pool()})
	require.Equal(t, 1, code, errOut.String())
	got := decodeProbe(t, result{stdout: out.String()})
	for _, r := range got.Routes {
		assert.Equal(t, "no-host", r.Status)
		assert.Equal(t, "no host", r.TCP.Result)
	}
	assert.Nil(t, got.Choice)
	assert.Contains(t, got.Verdict, "the host name does not resolve from here")
}

type stringsBuilder struct{ b []byte }

func (s *stringsBuilder) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *stringsBuilder) String() string              { return string(s.b) }

// ready and failed build reports for decide without a server.
func ready(port int, sec negotiate.Security, auth string) negotiate.RouteReport {
	r := negotiate.RouteReport{
		Route:   negotiate.Route{Host: "h.example", Port: port, Security: sec},
		Connect: negotiate.ConnectOpen,
		TLS:     &negotiate.TLSInfo{Version: tls.VersionTLS13, Verified: true},
	}
	if auth != "" {
		r.Extensions = []negotiate.Extension{{Keyword: "AUTH", Params: auth}}
	}
	return r
}

func failed(port int, sec negotiate.Security, connect negotiate.ConnectResult, err error) negotiate.RouteReport {
	return negotiate.RouteReport{Route: negotiate.Route{Host: "h.example", Port: port, Security: sec}, Connect: connect, Err: err}
}

// certFailure is a real final certificate error, made by probing nothing: Probe's
// errors are the only way to get one outside the negotiate package.
func certFailure(t *testing.T) negotiate.RouteReport {
	t.Helper()
	w := newWorld(t)
	r := negotiate.Probe(context.Background(), negotiate.Config{Dialer: w.dialer}, w.srv.Route(465), nil)
	require.ErrorIs(t, r.Err, negotiate.ErrCertificate, "system roots do not know the test CA")
	return r
}

func TestDecide(t *testing.T) {
	bad := certFailure(t)
	bad.Route = negotiate.Route{Host: "h.example", Port: 465, Security: negotiate.ImplicitTLS}
	refused := failed(587, negotiate.STARTTLS, negotiate.ConnectRefused, negotiate.ErrUnreachable)
	cases := []struct {
		name       string
		reps       []negotiate.RouteReport
		wantPort   int
		wantInLine string
	}{
		{name: "first ready wins", reps: []negotiate.RouteReport{ready(587, negotiate.STARTTLS, "PLAIN"), ready(465, negotiate.ImplicitTLS, "PLAIN")},
			wantPort: 587, wantInLine: "Dial would use h.example:587/starttls: the most preferred route that reached verified TLS 1.3."},
		{name: "failures are listed", reps: []negotiate.RouteReport{refused, ready(465, negotiate.ImplicitTLS, "PLAIN")},
			wantPort: 465, wantInLine: "(587/starttls: refused)"},
		{name: "no AUTH is a warning", reps: []negotiate.RouteReport{ready(587, negotiate.STARTTLS, "")},
			wantPort: 587, wantInLine: "offers no AUTH after TLS"},
		{name: "a bad certificate before a ready route stops Dial", reps: []negotiate.RouteReport{refused, bad, ready(2525, negotiate.STARTTLS, "PLAIN")},
			wantInLine: "Dial stops at h.example:465/tls, bad certificate"},
		{name: "a bad certificate after the ready route does not matter", reps: []negotiate.RouteReport{ready(587, negotiate.STARTTLS, "PLAIN"), bad},
			wantPort: 587},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := presets.Preset{Name: "h"}
			for _, r := range tc.reps {
				p.Routes = append(p.Routes, r.Route)
			}
			v := decide(presetTarget("h", "preset", p), tc.reps)
			if tc.wantPort == 0 {
				assert.Nil(t, v.choice)
			} else {
				require.NotNil(t, v.choice)
				assert.Equal(t, tc.wantPort, v.choice.Port)
			}
			assert.Contains(t, v.line, tc.wantInLine)
		})
	}
}
