package negotiate_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/smtp"
	"slices"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
)

// passwordCreds is PLAIN with a chosen password, for a wrong-password case.
type passwordCreds struct{ user, pass string }

func (c passwordCreds) Mechanism(offered []string, _ tls.ConnectionState) (string, error) {
	if slices.Contains(offered, "PLAIN") {
		return "PLAIN", nil
	}
	return "", errors.New("no PLAIN")
}

func (c passwordCreds) Auth(_ context.Context, _, host string, _ tls.ConnectionState) (smtp.Auth, error) {
	return smtp.PlainAuth("", c.user, c.pass, host), nil
}

// testServer starts a submission server (587, 465, 2525 unless endpoints are given) and
// returns it with a Config that reaches it through a fresh netsim dialer.
func testServer(tb testing.TB, endpoints ...smtptest.Endpoint) (*smtptest.Server, *netsim.Dialer, negotiate.Config) {
	tb.Helper()
	if len(endpoints) == 0 {
		endpoints = smtptest.Submission()
	}
	srv := smtptest.Start(tb, smtptest.Config{Users: map[string]string{testUser: testPass}}, endpoints...)
	d := srv.Dialer()
	ports := make([]int, len(endpoints))
	for i, ep := range endpoints {
		ports[i] = ep.Port
	}
	cfg := negotiate.Config{
		Routes:      srv.Routes(ports...),
		TLSConfig:   srv.ClientTLS(),
		Dialer:      d,
		LocalName:   "client.example.test",
		Credentials: plainCreds{},
	}
	return srv, d, cfg
}

func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// negotiateOK negotiates and closes the client when the test ends.
func negotiateOK(tb testing.TB, cfg negotiate.Config) *negotiate.Result {
	tb.Helper()
	res, err := negotiate.Negotiate(testContext(tb), cfg)
	if err != nil {
		tb.Fatalf("Negotiate: %v", err)
	}
	tb.Cleanup(func() { res.Client.Close() })
	return res
}
