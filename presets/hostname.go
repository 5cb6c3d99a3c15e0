package presets

import (
	"fmt"
	"net"
	"strings"
)

// DNS limits (RFC 1035 §2.3.4, RFC 1123 §2.1): a name of at most 253 characters without
// its root dot, labels of 1 to 63 letters, digits and hyphens, no hyphen at either end.
const (
	maxHostLen  = 253
	maxLabelLen = 63
)

// checkHost validates a host name that came from DNS (MX, SRV) or HTTP (autoconfig) and
// returns it in lower case without the trailing root dot. It refuses what cannot be a
// host to submit to:
//
//   - a name that breaks the DNS limits above, including every control, format or
//     non-ASCII character (an internationalised name must be in its xn-- form);
//   - a single label, which a resolver would complete from the local search list rather
//     than the DNS that named it;
//   - an IP address literal or an all-digit top-level label (RFC 3696 §2): MX and SRV
//     targets are host names by definition (RFC 5321 §5.1, RFC 2782), and a certificate
//     for an address is not what a provider hands out.
//
// The error says why, quoting at most a short, sanitised prefix of the name.
func checkHost(raw string) (string, error) {
	host := strings.TrimSuffix(raw, ".")
	switch {
	case host == "":
		return "", fmt.Errorf("empty host name")
	case len(host) > maxHostLen:
		return "", fmt.Errorf("host name %s is %d bytes, longer than %d", quoteUntrusted(host), len(host), maxHostLen)
	case net.ParseIP(host) != nil:
		return "", fmt.Errorf("%s is an IP address, not a host name", quoteUntrusted(host))
	}
	labels := strings.Split(host, ".")
	for _, label := range labels {
		if why := badLabel(label); why != "" {
			return "", fmt.Errorf("host name %s: %s", quoteUntrusted(host), why)
		}
	}
	if len(labels) < 2 {
		return "", fmt.Errorf("host name %s has a single label", quoteUntrusted(host))
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("host name %s has an all-digit top-level label", quoteUntrusted(host))
	}
	return strings.ToLower(host), nil
}

// badLabel says what is wrong with one label, or "".
func badLabel(label string) string {
	switch {
	case label == "":
		return "empty label"
	case len(label) > maxLabelLen:
		return fmt.Sprintf("label of %d bytes, longer than %d", len(label), maxLabelLen)
	case label[0] == '-' || label[len(label)-1] == '-':
		return "label starts or ends with a hyphen"
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "character other than a letter, digit or hyphen"
		}
	}
	return ""
}
