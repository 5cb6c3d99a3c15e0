package presets

import (
	"fmt"
	"strings"

	"github.com/smtpport/smtpport/internal/safetext"
)

// Caps for text that came from DNS or HTTP, applied where it leaves Discover.
const (
	maxQuoted      = 64   // a name quoted inside an error
	maxStepError   = 512  // one step's error text
	maxEvidence    = 1024 // Discovered.Evidence
	maxPresetField = 256  // Preset.Name, Username, Docs and Note of a discovered preset
)

// clean makes untrusted text safe for an error string, a log line or a terminal and caps
// it at max bytes, by the rules the engine uses (safetext.Cap).
func clean(s string, max int) string { return safetext.Cap(s, max) }

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
