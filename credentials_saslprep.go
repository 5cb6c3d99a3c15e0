package smtpport

import (
	"errors"
	"slices"

	"github.com/xdg-go/stringprep"
)

// SCRAM proves knowledge of the SASLprep-prepared password (RFC 5802 §2.2, RFC 4013),
// while PLAIN, LOGIN and CRAM-MD5 send or hash the bytes as given. A server that does not
// prepare the password it stores (Dovecot, for one) then rejects a SCRAM proof for a
// password SASLprep changes, though PLAIN with the same password succeeds. The rule, per
// user name and password pair:
//
//   - SASLprep leaves both unchanged: every server agrees on the bytes, and the default
//     order prefers SCRAM.
//   - SASLprep changes one (full-width digits, a no-break space, a soft hyphen): the default
//     order puts PLAIN, LOGIN and CRAM-MD5 before SCRAM, which is still used when it is the
//     only mechanism offered.
//   - SASLprep refuses one (control characters, code points unassigned in Unicode 3.2 such
//     as emoji, mixed-direction text): SCRAM cannot be used at all. It is skipped; when the
//     server offers nothing else, the error wraps negotiate.ErrConfig, names the mechanism,
//     and nothing has been sent.
//
// WithMechanisms keeps its order whatever SASLprep does, except that a refused SCRAM is
// still skipped.

// saslprepOutcome is what SASLprep does to a user name and password.
type saslprepOutcome int

const (
	saslprepUnchanged saslprepOutcome = iota // every server sees the same bytes
	saslprepChanges                          // SCRAM proves other bytes than PLAIN sends
	saslprepRefuses                          // SCRAM cannot be used
)

// saslprepOf prepares both strings as SCRAM would and says what happened.
func saslprepOf(username, password string) saslprepOutcome {
	if saslprepRefusal(username, password) != nil {
		return saslprepRefuses
	}
	u, _ := stringprep.SASLprep.Prepare(username)
	p, _ := stringprep.SASLprep.Prepare(password)
	if u != username || p != password {
		return saslprepChanges
	}
	return saslprepUnchanged
}

// saslprepRefusal is nil unless SASLprep refuses the user name or the password; the
// error says which and why, and never quotes the password or its offending character.
func saslprepRefusal(username, password string) error {
	for _, s := range []struct{ what, value string }{{"user name", username}, {"password", password}} {
		if _, err := stringprep.SASLprep.Prepare(s.value); err != nil {
			why := "invalid text"
			var perr stringprep.Error
			if errors.As(err, &perr) && perr.Msg != "" {
				why = perr.Msg
			}
			return errors.New("SASLprep (RFC 4013) refuses the " + s.what + ": " + why)
		}
	}
	return nil
}

// passwordOrder is the default order for a password, adjusted to what SASLprep does to
// it, and the mechanisms it cannot use with the reason.
func passwordOrder(outcome saslprepOutcome, why error) (order []string, unusable map[string]error) {
	isSCRAM := func(m string) bool { return m == mechSCRAM || m == mechSCRAMPlus }
	switch outcome {
	case saslprepChanges:
		order = slices.DeleteFunc(slices.Clone(passwordMechanisms), isSCRAM)
		return append(order, mechSCRAMPlus, mechSCRAM), nil
	case saslprepRefuses:
		return slices.DeleteFunc(slices.Clone(passwordMechanisms), isSCRAM),
			map[string]error{mechSCRAMPlus: why, mechSCRAM: why}
	}
	return passwordMechanisms, nil
}
