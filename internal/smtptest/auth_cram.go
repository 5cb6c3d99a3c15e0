package smtptest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// authCRAMMD5 is RFC 2195: a unique challenge, answered with the user name and the
// hex HMAC-MD5 of the challenge keyed by the password.
func authCRAMMD5(s *session, _ []byte, hasInitial bool) (string, bool, error) {
	if hasInitial {
		return "", false, fmt.Errorf("%w: CRAM-MD5 has no initial response", errBadExchange)
	}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	challenge := fmt.Sprintf("<%x.%d@%s>", nonce, time.Now().Unix(), s.srv.cfg.Hostname)
	resp, err := s.challenge([]byte(challenge))
	if err != nil {
		return "", false, err
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	if !ok {
		return "", false, nil
	}
	pass, known := s.srv.cfg.Users[user]
	if !known {
		return user, false, nil
	}
	mac := hmac.New(md5.New, []byte(pass))
	mac.Write([]byte(challenge))
	want := hex.EncodeToString(mac.Sum(nil))
	return user, hmac.Equal([]byte(digest), []byte(want)), nil
}
