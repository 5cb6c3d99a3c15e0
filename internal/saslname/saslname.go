// Package saslname reads the mechanism list of an EHLO AUTH line, for the engine and the
// CLI alike.
package saslname

import (
	"slices"
	"strings"
)

// Parse returns the well-formed SASL mechanism names in params (RFC 4422 §3.1: 1 to 20
// of A-Z, 0-9, '-', '_'), upper case, once each, so nothing odd a server puts there
// reaches a Credentials implementation or a message.
func Parse(params string) []string {
	fields := strings.Fields(strings.ToUpper(params))
	out := fields[:0] // filtered in place: Fields' slice is ours
	for _, f := range fields {
		if Valid(f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Valid reports whether s is a well-formed SASL mechanism name.
func Valid(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
