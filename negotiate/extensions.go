package negotiate

import (
	"net/smtp"
	"slices"
	"strings"

	"github.com/smtpport/smtpport/internal/safetext"
)

// knownExtensions are the EHLO keywords smtpport reports: the IANA SMTP Service
// Extensions registry (https://www.iana.org/assignments/mail-parameters) and the common
// unregistered ones. net/smtp reads the EHLO over TLS itself and can only be asked about
// a keyword, so a trace sees these and nothing else.
var knownExtensions = []string{
	"8BITMIME", "ATRN", "AUTH", "BINARYMIME", "BURL", "CHECKPOINT", "CHUNKING", "CLIENTID",
	"CONNEG", "CONPERM", "DELIVERBY", "DSN", "ENHANCEDSTATUSCODES", "ETRN", "EXPN",
	"FUTURERELEASE", "HELP", "LIMITS", "MT-PRIORITY", "MTRK", "NO-SOLICITING", "ONEX",
	"PIPELINING", "REQUIRETLS", "RRVS", "SIZE", "SMTPUTF8", "STARTTLS", "SUBMITTER", "TURN",
	"UTF8SMTP", "VERB", "VRFY", "XCLIENT", "XFORWARD", "XEXCH50", "X-EXPS", "X-LINK2STATE",
}

// extensions lists which known extensions the client's latest EHLO offered, with their
// parameters sanitised.
func extensions(c *smtp.Client) map[string]string {
	out := map[string]string{}
	for _, k := range knownExtensions {
		if ok, params := c.Extension(k); ok {
			out[k] = safetext.Clean(strings.TrimSpace(params))
		}
	}
	return out
}

// offeredMechanisms lists the AUTH keywords of the latest EHLO (over TLS), upper case.
// net/smtp's own ServerInfo.Auth can still hold the pre-TLS list; this never does.
func offeredMechanisms(c *smtp.Client) []string {
	ok, params := c.Extension("AUTH")
	if !ok {
		return nil
	}
	return parseMechanisms(params)
}

// parseMechanisms reads the parameters of an EHLO AUTH line. Only well-formed SASL
// mechanism names are kept (RFC 4422 §3.1: 1 to 20 of A-Z, 0-9, '-', '_'), so nothing
// odd a server puts there reaches a Credentials implementation or a message.
func parseMechanisms(params string) []string {
	var out []string
	for _, f := range strings.Fields(strings.ToUpper(params)) {
		if isMechanismName(f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func isMechanismName(s string) bool {
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
