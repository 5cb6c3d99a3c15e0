package smtptest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Hangup, returned by Config.AuthReply, closes the connection mid-AUTH without a reply.
const Hangup = "hangup"

var (
	// errCancelled is a client's "*" during a SASL exchange (RFC 4954 §4).
	errCancelled = errors.New("auth cancelled")
	// errBadExchange is a client that broke a mechanism's protocol.
	errBadExchange = errors.New("bad SASL exchange")
	// errHangup ends the session without a reply.
	errHangup = errors.New("hangup")
)

// mechanism runs one SASL exchange after "AUTH NAME [initial]" and returns the
// authenticated user, or ok false for bad credentials.
type mechanism func(s *session, initial []byte, hasInitial bool) (user string, ok bool, err error)

// mechanisms the server knows; Config.Mechanisms chooses which it advertises.
var mechanisms = map[string]mechanism{
	"PLAIN":              authPlain,
	"LOGIN":              authLogin,
	"CRAM-MD5":           authCRAMMD5,
	"XOAUTH2":            authXOAuth2,
	"OAUTHBEARER":        authOAuthBearer,
	"SCRAM-SHA-256":      authSCRAM(false),
	"SCRAM-SHA-256-PLUS": authSCRAM(true),
}

func (s *session) auth(arg string) error {
	if !s.tls {
		return s.reply(538, "5.7.11 Encryption required for requested authentication mechanism")
	}
	if s.user != "" {
		return s.reply(503, "5.5.1 already authenticated")
	}
	name, initial, hasInitial := strings.Cut(arg, " ")
	name = strings.ToUpper(name)
	mech, known := mechanisms[name]
	if !known || !slices.Contains(s.srv.cfg.Mechanisms, name) {
		return s.reply(504, "5.5.4 mechanism not supported")
	}
	var resp []byte
	if hasInitial && initial != "=" {
		var err error
		if resp, err = base64.StdEncoding.DecodeString(initial); err != nil {
			return s.reply(501, "5.5.2 bad base64")
		}
	}
	user, ok, err := mech(s, resp, hasInitial)
	switch {
	case errors.Is(err, errCancelled):
		return s.reply(501, "5.7.0 AUTH cancelled")
	case errors.Is(err, errBadExchange):
		return s.reply(501, "5.5.2 "+err.Error())
	case err != nil:
		return err
	}
	if hook := s.srv.cfg.AuthReply; hook != nil {
		if r := hook(name); r == Hangup {
			return errHangup
		} else if r != "" {
			return s.replyLine(r)
		}
	}
	if !ok {
		return s.reply(535, "5.7.8 Authentication credentials invalid")
	}
	s.user = user
	return s.reply(235, "2.7.0 Authentication successful")
}

// replyLine sends a reply given as "535 5.7.139 text".
func (s *session) replyLine(line string) error {
	code, text, _ := strings.Cut(line, " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 200 || n > 599 {
		n, text = 451, "4.3.0 smtptest: bad AuthReply "+strconv.Quote(line)
	}
	return s.reply(n, text)
}

// challenge sends a 334 with data and returns the client's decoded answer.
func (s *session) challenge(data []byte) ([]byte, error) {
	if err := s.reply(334, base64.StdEncoding.EncodeToString(data)); err != nil {
		return nil, err
	}
	line, err := s.readLine()
	if err != nil {
		return nil, err
	}
	decoded, decErr := base64.StdEncoding.DecodeString(line)
	s.srv.record(Command{Conn: s.id, Port: s.ep.Port, TLS: s.tls, Line: line, Decoded: string(decoded)})
	if line == "*" {
		return nil, errCancelled
	}
	if decErr != nil {
		return nil, errCancelled
	}
	return decoded, nil
}

// initialOrChallenge is the client's first message: the initial response, or the answer
// to an empty challenge when the AUTH line had none.
func (s *session) initialOrChallenge(resp []byte, hasInitial bool) ([]byte, error) {
	if hasInitial {
		return resp, nil
	}
	return s.challenge(nil)
}

func (s *session) checkPassword(user, pass string) bool {
	want, ok := s.srv.cfg.Users[user]
	return ok && want == pass
}

func authPlain(s *session, resp []byte, hasInitial bool) (string, bool, error) {
	resp, err := s.initialOrChallenge(resp, hasInitial)
	if err != nil {
		return "", false, err
	}
	parts := bytes.Split(resp, []byte{0})
	if len(parts) != 3 {
		return "", false, nil
	}
	user, pass := string(parts[1]), string(parts[2])
	return user, s.checkPassword(user, pass), nil
}

func authLogin(s *session, resp []byte, hasInitial bool) (string, bool, error) {
	user := resp
	if !hasInitial {
		var err error
		if user, err = s.challenge([]byte("Username:")); err != nil {
			return "", false, err
		}
	}
	pass, err := s.challenge([]byte("Password:"))
	if err != nil {
		return "", false, err
	}
	return string(user), s.checkPassword(string(user), string(pass)), nil
}

// decodeAuthLine decodes the initial response of an AUTH line, for the record.
func decodeAuthLine(line string) string {
	if !equalFoldPrefix(line, "AUTH ") {
		return ""
	}
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return ""
	}
	b, err := base64.StdEncoding.DecodeString(fields[2])
	if err != nil {
		return ""
	}
	return string(b)
}

func equalFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func containsFold(s, sub string) bool {
	return sub != "" && strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
