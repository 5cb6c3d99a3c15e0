package smtpport

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
)

// maxSCRAMIterations caps the PBKDF2 iteration count a server may ask for. RFC 5802 §9
// warns that a hostile server can ask for a huge count to burn the client's CPU; before
// this cap i=2147483647 cost about six minutes of CPU, outside any context.
//
// What real servers ask: 4096 by default in Dovecot (AUTH_SCRAM_DEFAULT_ITERATE_COUNT,
// src/lib-auth/auth-scram.h), Cyrus SASL (DEFAULT_ITERATION_COUNTER, plugins/scram.c)
// and PostgreSQL; RFC 7677 §4 makes 4096 the minimum. Cyrus SASL's own client refuses
// more than 65536, PostgreSQL's drivers pgjdbc and node-postgres more than 100000 by
// default; Stalwart offers no SCRAM for SMTP (stalw.art/docs/mta/inbound/auth). The cap
// is OWASP's 2023 figure for PBKDF2-HMAC-SHA256 password storage, so a server configured
// to the strictest common guidance still works.
//
// Cost, measured with crypto/pbkdf2 on the 2-core AMD EPYC (SHA-NI) this was written on:
// 4096 iterations 0.86 ms, 100000 17 ms, 600000 106 ms (about 175 ns an iteration). The
// derivation cannot be interrupted, so this is also how far past its deadline a
// context can be when the server's challenge arrives just before it.
const maxSCRAMIterations = 600_000

// minSCRAMIterations is RFC 7677 §4's minimum, which xdg-go/scram enforces too.
const minSCRAMIterations = 4096

// scramServerFirst is what the client takes from a server-first message (RFC 5802 §7).
type scramServerFirst struct {
	nonce string
	salt  []byte
	iters int
}

// parseSCRAMServerFirst checks a server-first message completely before any key is
// derived from it:
//
//	server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
//
// A mandatory extension, a missing or malformed field, a nonce that does not extend
// clientNonce, an empty salt, or an iteration count that is not a positive decimal
// within [minSCRAMIterations, maxSCRAMIterations] is refused with an error wrapping
// negotiate.ErrProtocol. The iteration count is checked before the nonce, so a hostile
// server's count is reported even when its nonce is wrong too. Server bytes are never
// echoed.
func parseSCRAMServerFirst(msg, clientNonce string) (scramServerFirst, error) {
	var sf scramServerFirst
	fields := strings.Split(msg, ",")
	switch {
	case strings.HasPrefix(msg, "m="):
		return sf, scramProtocolError("server-first message demands an extension (m=) this client does not know")
	case len(fields) < 3:
		return sf, scramProtocolError("server-first message has fewer than three fields")
	}
	nonce, okNonce := strings.CutPrefix(fields[0], "r=")
	salt, okSalt := strings.CutPrefix(fields[1], "s=")
	iters, okIters := strings.CutPrefix(fields[2], "i=")
	if !okNonce || !okSalt || !okIters {
		return sf, scramProtocolError("server-first message does not start r=, s=, i=")
	}

	n, err := parseIterationCount(iters)
	if err != nil {
		return sf, err
	}
	sf.iters = n

	if sf.salt, err = base64.StdEncoding.Strict().DecodeString(salt); err != nil || len(sf.salt) == 0 {
		return sf, scramProtocolError("server-first message has an empty or malformed salt")
	}

	switch {
	case !isSCRAMPrintable(nonce):
		return sf, scramProtocolError("server nonce has characters outside printable ASCII")
	case clientNonce == "" || !strings.HasPrefix(nonce, clientNonce):
		return sf, scramProtocolError("server nonce does not extend the client nonce")
	case len(nonce) == len(clientNonce):
		return sf, scramProtocolError("server nonce adds nothing to the client nonce")
	}
	sf.nonce = nonce
	return sf, nil
}

// parseIterationCount reads RFC 5802's posit-number (%x31-39 *DIGIT) and applies the
// bounds, without overflowing on a number of any length.
func parseIterationCount(s string) (int, error) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, scramProtocolError("iteration count is not a positive decimal number")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, scramProtocolError("iteration count is not a positive decimal number")
		}
		if n > maxSCRAMIterations {
			continue // already refused; keep checking the syntax without overflowing
		}
		n = n*10 + int(c-'0')
	}
	switch {
	case n > maxSCRAMIterations:
		return 0, scramProtocolError(fmt.Sprintf("server asks for more than %d PBKDF2 iterations (the cap); refusing to derive", maxSCRAMIterations))
	case n < minSCRAMIterations:
		return 0, scramProtocolError(fmt.Sprintf("server asks for %d PBKDF2 iterations, fewer than RFC 7677's minimum of %d", n, minSCRAMIterations))
	}
	return n, nil
}

// isSCRAMPrintable: RFC 5802's printable, %x21-2B / %x2D-7E (no comma), at least one.
func isSCRAMPrintable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// clientNonceOf takes the nonce out of our own client-first message ("gs2-header
// n=user,r=nonce"): the user name has its commas encoded as =2C, so ",r=" is the nonce.
func clientNonceOf(clientFirst string) string {
	i := strings.LastIndex(clientFirst, ",r=")
	if i < 0 {
		return ""
	}
	return clientFirst[i+len(",r="):]
}

// scramProtocolError is a server that broke SCRAM: ErrProtocol, and final.
func scramProtocolError(why string) error {
	return fmt.Errorf("smtpport: SCRAM: %w: %s", negotiate.ErrProtocol, why)
}
