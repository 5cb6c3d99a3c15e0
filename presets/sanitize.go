package presets

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps for text that came from DNS or HTTP, applied where it leaves Discover.
const (
	maxQuoted      = 64   // a name quoted inside an error
	maxStepError   = 512  // one step's error text
	maxEvidence    = 1024 // Discovered.Evidence
	maxPresetField = 256  // Preset.Name, Username, Docs and Note of a discovered preset
)

// clean makes untrusted text safe for an error string, a log line or a terminal, by the
// rules of negotiate.Sanitize with a cap of max bytes: line breaks and tabs become
// spaces, every other rune that is not graphic (C0 and C1 controls such as U+009B, bidi
// overrides such as U+202E, zero-width and private-use characters) and invalid UTF-8
// become '?', and text past max is cut and marked with "…".
func clean(s string, max int) string {
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

// quoteUntrusted is an untrusted name for an error: sanitised, short, in quotes.
func quoteUntrusted(s string) string {
	return `"` + clean(s, maxQuoted) + `"`
}

// untrusted wraps an error whose text came in part from DNS or HTTP: its text is cleaned
// and capped; errors.Is and errors.As still reach the cause.
type untrusted struct{ err error }

func (u untrusted) Error() string { return clean(u.err.Error(), maxStepError) }
func (u untrusted) Unwrap() error { return u.err }

// sanitized is d as Discover hands it out: every field that DNS or HTTP could fill is
// cleaned and capped. Host names in routes were validated by checkHost already.
func (d Discovered) sanitized() Discovered {
	d.Evidence = clean(d.Evidence, maxEvidence)
	d.Preset.Name = clean(d.Preset.Name, maxPresetField)
	d.Preset.Username = clean(d.Preset.Username, maxPresetField)
	d.Preset.Docs = clean(d.Preset.Docs, maxPresetField)
	d.Preset.Note = clean(d.Preset.Note, maxPresetField)
	for i, err := range d.StepErrors {
		if _, ok := err.(untrusted); !ok {
			d.StepErrors[i] = untrusted{err}
		}
	}
	return d
}

// dropped collects why records were ignored, for a step's error or its evidence.
type dropped struct {
	reasons []string
	count   int
}

// add notes one ignored record; only the first few reasons are kept.
func (d *dropped) add(what string, err error) {
	d.count++
	if len(d.reasons) < 3 {
		d.reasons = append(d.reasons, what+": "+err.Error())
	}
}

// String is "" when nothing was dropped, else "ignored N record(s): why; why (and M more)".
func (d *dropped) String() string {
	if d.count == 0 {
		return ""
	}
	s := fmt.Sprintf("ignored %d record(s): %s", d.count, strings.Join(d.reasons, "; "))
	if more := d.count - len(d.reasons); more > 0 {
		s += fmt.Sprintf(" (and %d more)", more)
	}
	return s
}
