package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"

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

// ready and failed build reports for decide without a server; at is the attempt's
// Offset, took its time to ready.
func ready(port int, sec negotiate.Security, auth string, at, took time.Duration) routeReport {
	route := negotiate.Route{Host: "h.example", Port: port, Security: sec}
	r := routeReport{
		Route: route, Connect: connectOpen, started: true, Stage: string(negotiate.Stage("ready")),
		TLS:     &tlsInfo{Version: tls.VersionTLS13, Verified: true},
		Attempt: negotiate.Attempt{Route: route, Stage: negotiate.Stage("ready"), Offset: at, Ready: took, Elapsed: took},
	}
	if auth != "" {
		r.Extensions = []extension{{Keyword: "AUTH", Params: auth}}
	}
	return r
}

func failed(port int, sec negotiate.Security, connect connectResult, err error) routeReport {
	route := negotiate.Route{Host: "h.example", Port: port, Security: sec}
	return routeReport{Route: route, Connect: connect, Err: err, started: true, Stage: "dial", Elapsed: 3 * time.Millisecond,
		Attempt: negotiate.Attempt{Route: route, Stage: negotiate.Stage("dial"), Err: err, Elapsed: 3 * time.Millisecond}}
}

func TestDecide(t *testing.T) {
	bad := failed(465, negotiate.ImplicitTLS, connectOpen, fmt.Errorf("%w: server certificate rejected", negotiate.ErrCertificate))
	refused := failed(587, negotiate.STARTTLS, connectRefused, negotiate.ErrUnreachable)
	stalled := failed(587, negotiate.STARTTLS, connectOpen, fmt.Errorf("%w: no reply to EHLO", negotiate.ErrUnreachable))
	ms := time.Millisecond
	waited := ready(465, negotiate.ImplicitTLS, "PLAIN", 250*ms, 10*ms)
	waited.Attempt.Waited = 300 * ms
	late := ready(465, negotiate.ImplicitTLS, "PLAIN", 250*ms, 10*ms)
	late.Attempt.Waited = time.Second
	cases := []struct {
		name       string
		reps       []routeReport
		winner     int // port the engine picked; 0: it failed
		wantPort   int
		wantInLine []string
	}{
		{name: "the engine's winner", reps: []routeReport{ready(587, negotiate.STARTTLS, "PLAIN", 0, 8*ms), ready(465, negotiate.ImplicitTLS, "PLAIN", 0, 5*ms)},
			winner: 587, wantPort: 587, wantInLine: []string{"Dial would use h.example:587/starttls after 8ms: verified TLS 1.3."}},
		{name: "failures are listed, the head start is in the time", reps: []routeReport{refused, ready(465, negotiate.ImplicitTLS, "PLAIN", 250*ms, 12*ms)},
			winner: 465, wantPort: 465, wantInLine: []string{"after 262ms (started at 250ms, ready 12ms later): verified TLS 1.3 (587/starttls: refused)."}},
		{name: "the wait for a stalled preferred route is in the time", reps: []routeReport{stalled, waited},
			winner: 465, wantPort: 465, wantInLine: []string{"after 560ms (started at 250ms, ready 10ms later, then waited 300ms for 587/starttls)", "(587/starttls: unreachable)"}},
		{name: "a preferred route ready past its grace is too late", reps: []routeReport{ready(587, negotiate.STARTTLS, "PLAIN", 0, 1500*ms), late},
			winner: 465, wantPort: 465, wantInLine: []string{"Dial would use h.example:465/tls after 1.3s", "(587/starttls: ready only after 1.5s, too late)"}},
		{name: "no AUTH is a warning", reps: []routeReport{ready(587, negotiate.STARTTLS, "", 0, 8*ms)},
			winner: 587, wantPort: 587, wantInLine: []string{"offers no AUTH after TLS"}},
		{name: "a bad certificate before a ready route stops Dial", reps: []routeReport{refused, bad, ready(2525, negotiate.STARTTLS, "PLAIN", 500*ms, 8*ms)},
			wantInLine: []string{"Dial stops at h.example:465/tls after 3ms, bad certificate"}},
		{name: "a bad certificate after the winner does not matter", reps: []routeReport{ready(587, negotiate.STARTTLS, "PLAIN", 0, 8*ms), bad},
			winner: 587, wantPort: 587},
		{name: "nothing works", reps: []routeReport{refused, failed(465, negotiate.ImplicitTLS, connectNoAnswer, negotiate.ErrUnreachable)},
			wantInLine: []string{"no route works (587/starttls: refused; 465/tls: no answer): the submission ports look blocked"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := presets.Preset{Name: "h"}
			run := probeRun{reps: tc.reps}
			var attempts []negotiate.Attempt
			for _, r := range tc.reps {
				p.Routes = append(p.Routes, r.Route)
				attempts = append(attempts, r.Attempt)
				if r.Route.Port == tc.winner {
					run.result = &negotiate.Result{Route: r.Route}
				}
			}
			if run.result != nil {
				run.result.Attempts = attempts
			} else {
				run.err = &negotiate.Error{Attempts: attempts}
			}
			v := decide(presetTarget("h", "preset", p), run)
			if tc.wantPort == 0 {
				assert.Nil(t, v.choice)
			} else {
				require.NotNil(t, v.choice)
				assert.Equal(t, tc.wantPort, v.choice.Port)
			}
			for _, want := range tc.wantInLine {
				assert.Contains(t, v.line, want)
			}
		})
	}
}
