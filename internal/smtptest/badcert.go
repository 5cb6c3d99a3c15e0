package smtptest

import (
	"crypto/tls"
	"fmt"
	"time"
)

// BadCert names a way a server certificate fails verification.
type BadCert int

const (
	// SelfSigned: signed by its own key, valid name and dates.
	SelfSigned BadCert = iota + 1
	// UnknownCA: signed by a CA the client does not trust (generated for the call).
	UnknownCA
	// WrongName: signed by the trusted CA for another host name.
	WrongName
	// Expired: signed by the trusted CA for the right name, expired yesterday.
	Expired
	// NotYetValid: signed by the trusted CA for the right name, valid from tomorrow.
	NotYetValid
)

// BadCerts lists every kind, for table tests.
var BadCerts = []BadCert{SelfSigned, UnknownCA, WrongName, Expired, NotYetValid}

func (b BadCert) String() string {
	switch b {
	case SelfSigned:
		return "self-signed"
	case UnknownCA:
		return "unknown CA"
	case WrongName:
		return "wrong name"
	case Expired:
		return "expired"
	case NotYetValid:
		return "not yet valid"
	}
	return fmt.Sprintf("BadCert(%d)", int(b))
}

// Issue makes a certificate for host that fails verification against ca in the way b
// says. Keys and certificates are generated per call.
func (b BadCert) Issue(ca *CA, host string) (tls.Certificate, error) {
	now := time.Now()
	switch b {
	case SelfSigned:
		return ca.Issue([]string{host}, CertOptions{SelfSigned: true})
	case UnknownCA:
		other, err := NewCA()
		if err != nil {
			return tls.Certificate{}, err
		}
		return other.Issue([]string{host}, CertOptions{})
	case WrongName:
		return ca.Issue([]string{"wrong." + host}, CertOptions{})
	case Expired:
		return ca.Issue([]string{host}, CertOptions{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	case NotYetValid:
		return ca.Issue([]string{host}, CertOptions{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(48 * time.Hour)})
	}
	return tls.Certificate{}, fmt.Errorf("smtptest: unknown %v", b)
}
