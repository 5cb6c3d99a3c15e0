package negotiate_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxEndlessAlloc bounds what one negotiation may allocate, in total, against a server
// that never ends its reply. Without the cap net/smtp would take the whole 64 MiB line
// (about 500 MiB allocated, research/hostile-servers.md case 17). The counter is the
// process's: on 465 it also counts the in-process server's half of the TLS handshake
// and its record encryption, hence the larger bound there (measured: 160-370 KiB in
// the clear, 570 KiB in TLS, up to 1.4 MiB in TLS under -race).
const (
	maxEndlessAlloc    = 1 << 20
	maxEndlessAllocTLS = 4 << 20
)

// TestEndlessRepliesUseBoundedMemory measures runtime.MemStats.TotalAlloc around one
// Negotiate call: the bytes allocated by the whole process while the client reads at most
// maxNegotiationBytes and gives up. It is a memory bound, not a timing assertion.
func TestEndlessRepliesUseBoundedMemory(t *testing.T) {
	line := []byte(strings.Repeat("x", 4096))
	cases := []struct {
		name  string
		ep    smtptest.Endpoint
		bound uint64
	}{
		{name: "greeting line of 64 MiB", ep: smtptest.Endpoint{Script: steps(
			smtptest.Step{Send: []byte("220 "), Repeat: line, Count: 16 << 10})}},
		{name: "2M greeting continuation lines", ep: smtptest.Endpoint{Script: steps(
			smtptest.Step{Repeat: []byte("220-" + strings.Repeat("y", 60) + "\r\n"), Count: 2_000_000})}},
		{name: "2M EHLO continuation lines", ep: smtptest.Endpoint{Script: steps(smtptest.Greet(),
			smtptest.Step{Expect: "EHLO", Repeat: []byte("250-X\r\n"), Count: 2_000_000})}},
		{name: "64 MiB line inside TLS on 465", ep: smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, Script: steps(
			smtptest.Step{TLS: true}, smtptest.Step{Send: []byte("220 "), Repeat: line, Count: 16 << 10})}, bound: maxEndlessAllocTLS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep, bound := tc.ep, tc.bound
			if bound == 0 {
				bound = maxEndlessAlloc
			}
			if ep.Port == 0 {
				ep.Port = 587
			}
			srv := smtptest.Start(t, smtptest.Config{}, ep)
			cfg := negotiate.Config{
				Routes:      []negotiate.Route{srv.Route(ep.Port)},
				TLSConfig:   srv.ClientTLS(),
				Dialer:      srv.Dialer(),
				LocalName:   "client.example.test",
				Credentials: plainCreds{},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := negotiate.Negotiate(ctx, cfg)
			runtime.ReadMemStats(&after)

			require.ErrorIs(t, err, negotiate.ErrProtocol)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d KiB (%d objects) for one negotiation", alloc>>10, after.Mallocs-before.Mallocs)
			assert.Less(t, alloc, bound)
		})
	}
}
