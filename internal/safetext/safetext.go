// Package safetext makes untrusted text (server replies and certificates, DNS records,
// autoconfig documents) safe for an error string, a log line or a terminal: the one rule
// the engine, the presets and the front door share.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Max is the cap Clean applies: longer server text is no sentence anyone needs whole.
const Max = 256

// Clean is Cap(s, Max).
func Clean(s string) string { return Cap(s, Max) }

// Cap makes s safe and short: line breaks and tabs become spaces; every other rune that
// is not graphic (C0 and C1 controls such as ESC and U+009B, bidi overrides such as
// U+202E, line and paragraph separators, zero-width, private-use and unassigned code
// points) and invalid UTF-8 become '?'; text past max bytes is cut and marked with "…".
func Cap(s string, max int) string {
	var b strings.Builder
	for i, r := range s {
		if i >= max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r == utf8.RuneError || !unicode.IsGraphic(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
