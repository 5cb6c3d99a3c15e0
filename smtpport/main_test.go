package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"go.uber.org/goleak"
	"golang.org/x/net/proxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testUser = "alice@example.test"
	testPass = "correct horse battery staple"
	passVar  = "SMTP_PASSWORD"
)

// world is a test server on 25, 587, 465 and 2525 with a dialer that can block ports.
type world struct {
	srv    *smtptest.Server
	dialer *netsim.Dialer
}

// allPorts is the usual submission trio plus a plaintext-only port 25, as most MTAs
// listening on 25 without a certificate look.
func allPorts() []smtptest.Endpoint {
	return append(smtptest.Submission(), smtptest.Endpoint{Port: 25, Security: negotiate.STARTTLS, NoSTARTTLS: true})
}

func newWorld(t *testing.T, endpoints ...smtptest.Endpoint) *world {
	t.Helper()
	if len(endpoints) == 0 {
		endpoints = allPorts()
	}
	srv := smtptest.Start(t, smtptest.Config{Users: map[string]string{testUser: testPass}}, endpoints...)
	w := &world{srv: srv, dialer: srv.Dialer()}
	// Any port without an endpoint is refused, so no test ever dials the real network.
	for _, port := range []int{25, 587, 465, 2525} {
		if !hasPort(endpoints, port) {
			w.block(port, netsim.Refuse)
		}
	}
	return w
}

func hasPort(eps []smtptest.Endpoint, port int) bool {
	for _, ep := range eps {
		if ep.Port == port {
			return true
		}
	}
	return false
}

func (w *world) block(port int, b netsim.Behaviour) { w.dialer.Set(w.srv.RouteAddr(port), b) }

// result is one run of the command.
type result struct {
	stdout, stderr string
	code           int
}

// opts vary a run: stdin, the environment, terminal mode.
type runOpts struct {
	stdin    string
	env      map[string]string
	terminal bool
	// systemRoots: trust the system roots instead of the test CA (for --ca tests).
	systemRoots bool
	discover    []presets.DiscoverOption
	// dialer replaces the world's dialer (which it should wrap: no test dials the network).
	dialer proxy.ContextDialer
}

func (w *world) run(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin: strings.NewReader(o.stdin), stdout: &stdout, stderr: &stderr,
		getenv:   func(k string) string { return o.env[k] },
		terminal: o.terminal,
		dialer:   w.dialer,
		roots:    w.srv.CA().Pool(),
	}
	if o.systemRoots {
		e.roots = nil
	}
	e.discover = o.discover
	if o.dialer != nil {
		e.dialer = o.dialer
	}
	code := run(ctx, args, e)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// caPEM is the test CA's certificate as a PEM file's contents, for --ca.
func caPEM(ca *smtptest.CA) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Certificate().Raw})
}

// runDiscover runs the command with discovery options and a password in the environment.
func (w *world) runDiscover(t *testing.T, opts []presets.DiscoverOption, args ...string) result {
	t.Helper()
	return w.run(t, runOpts{discover: opts, env: map[string]string{passVar: testPass}}, args...)
}

// nxDialer answers dials to the listed hosts as a resolver would for a name that does not
// exist, and passes the rest to inner.
type nxDialer struct {
	inner proxy.ContextDialer
	hosts []string
}

func (d nxDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	if slices.Contains(d.hosts, host) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	return d.inner.DialContext(ctx, network, addr)
}
