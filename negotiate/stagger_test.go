package negotiate_test

import (
	"testing"
	"time"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
)

func TestAdaptiveStagger(t *testing.T) {
	cases := []struct {
		connect time.Duration
		want    time.Duration
	}{
		{0, negotiate.DefaultStagger},
		{-time.Second, negotiate.DefaultStagger},
		{time.Microsecond, negotiate.MinStagger},
		{50 * time.Millisecond, negotiate.MinStagger},
		{80 * time.Millisecond, 160 * time.Millisecond},
		{time.Second, negotiate.MaxStagger},
		{time.Hour, negotiate.MaxStagger},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, negotiate.AdaptiveStagger(tc.connect), "connect %v", tc.connect)
	}
	assert.Equal(t, 250*time.Millisecond, negotiate.DefaultStagger, "RFC 8305's recommended delay")
}

func TestHandshakeStagger(t *testing.T) {
	cases := []struct {
		connect  time.Duration
		security negotiate.Security
		want     time.Duration
	}{
		{0, negotiate.STARTTLS, negotiate.DefaultStagger},
		{time.Millisecond, negotiate.STARTTLS, negotiate.MinStagger},
		// 25 ms each way: a 50 ms connect, 6 round trips to ready, half again as margin.
		{50 * time.Millisecond, negotiate.STARTTLS, 450 * time.Millisecond},
		{50 * time.Millisecond, negotiate.ImplicitTLS, 300 * time.Millisecond},
		{time.Second, negotiate.ImplicitTLS, negotiate.MaxStagger},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, negotiate.HandshakeStagger(tc.connect, tc.security), "connect %v %v", tc.connect, tc.security)
	}
}

func TestRoundTrips(t *testing.T) {
	// TCP, greeting, EHLO, STARTTLS, TLS, EHLO, AUTH.
	assert.Equal(t, 7, negotiate.RoundTrips(negotiate.STARTTLS))
	// TCP, TLS, greeting, EHLO, AUTH.
	assert.Equal(t, 5, negotiate.RoundTrips(negotiate.ImplicitTLS))
}
