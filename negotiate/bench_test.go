package negotiate_test

import (
	"context"
	"testing"

	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
)

// benchNegotiate measures the hot path: a healthy route on the in-process server, from
// connect to an authenticated client, closed without QUIT. After the first iteration
// TLS sessions resume, as they do for a program that dials repeatedly. Compare runs
// with benchstat; the machine's other load shows in ns/op, far less in allocs/op.
func benchNegotiate(b *testing.B, security negotiate.Security) {
	_, _, cfg := testServer(b, smtptest.Endpoint{Port: 10025, Security: security})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := negotiate.Negotiate(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		res.Client.Close()
	}
}

func BenchmarkNegotiateSTARTTLS(b *testing.B)    { benchNegotiate(b, negotiate.STARTTLS) }
func BenchmarkNegotiateImplicitTLS(b *testing.B) { benchNegotiate(b, negotiate.ImplicitTLS) }
