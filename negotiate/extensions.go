package negotiate

import (
	"net/smtp"
	"strings"

	"github.com/smtpport/smtpport/internal/safetext"
	"github.com/smtpport/smtpport/internal/saslname"
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

// parseMechanisms reads the parameters of an EHLO AUTH line (see saslname.Parse).
func parseMechanisms(params string) []string { return saslname.Parse(params) }

func isMechanismName(s string) bool { return saslname.Valid(s) }
