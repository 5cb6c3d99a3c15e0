package smtptest

import (
	"crypto/subtle"
	"fmt"
	"strings"
)

// Error challenges sent for a rejected token, as Google documents them.
const (
	xoauth2Error     = `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`
	oauthBearerError = `{"status":"invalid_token","scope":"https://mail.google.com/"}`
)

func (s *session) checkToken(user, token string) bool {
	want, ok := s.srv.cfg.Tokens[user]
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

// authXOAuth2 is Google's XOAUTH2: "user=U^Aauth=Bearer T^A^A". A rejected token gets
// a JSON error challenge; the client answers with an empty line, then 535.
func authXOAuth2(s *session, resp []byte, hasInitial bool) (string, bool, error) {
	resp, err := s.initialOrChallenge(resp, hasInitial)
	if err != nil {
		return "", false, err
	}
	var user, token string
	parts := strings.Split(string(resp), "\x01")
	if len(parts) == 4 && parts[2] == "" && parts[3] == "" {
		user, _ = strings.CutPrefix(parts[0], "user=")
		token, _ = strings.CutPrefix(parts[1], "auth=Bearer ")
	}
	if s.checkToken(user, token) {
		return user, true, nil
	}
	answer, err := s.challenge([]byte(xoauth2Error))
	if err != nil {
		return "", false, err
	}
	if len(answer) != 0 {
		return "", false, fmt.Errorf("%w: XOAUTH2 error challenge wants an empty response", errBadExchange)
	}
	return user, false, nil
}

// authOAuthBearer is RFC 7628: a GS2 header naming the user, then key=value pairs
// separated by ^A, one of them "auth=Bearer T". A rejected token gets a JSON error
// challenge; the client must answer with a single ^A (§3.2.3), then 535.
func authOAuthBearer(s *session, resp []byte, hasInitial bool) (string, bool, error) {
	resp, err := s.initialOrChallenge(resp, hasInitial)
	if err != nil {
		return "", false, err
	}
	user, token, ok := parseOAuthBearer(string(resp))
	if !ok {
		return "", false, fmt.Errorf("%w: malformed OAUTHBEARER message", errBadExchange)
	}
	if s.checkToken(user, token) {
		return user, true, nil
	}
	answer, err := s.challenge([]byte(oauthBearerError))
	if err != nil {
		return "", false, err
	}
	if string(answer) != "\x01" {
		return "", false, fmt.Errorf("%w: OAUTHBEARER error challenge wants %%x01", errBadExchange)
	}
	return user, false, nil
}

// parseOAuthBearer reads "n,a=user,^Ahost=h^Aauth=Bearer t^A^A".
func parseOAuthBearer(msg string) (user, token string, ok bool) {
	gs2, rest, found := strings.Cut(msg, "\x01")
	if !found || !strings.HasSuffix(rest, "\x01\x01") {
		return "", "", false
	}
	fields := strings.Split(gs2, ",")
	if len(fields) != 3 || (fields[0] != "n" && fields[0] != "y") || fields[2] != "" {
		return "", "", false
	}
	if a, isA := strings.CutPrefix(fields[1], "a="); isA {
		user = strings.NewReplacer("=2C", ",", "=3D", "=").Replace(a)
	}
	for _, kv := range strings.Split(strings.TrimSuffix(rest, "\x01\x01"), "\x01") {
		key, value, _ := strings.Cut(kv, "=")
		if key == "auth" {
			token, _ = strings.CutPrefix(value, "Bearer ")
		}
	}
	return user, token, true
}
