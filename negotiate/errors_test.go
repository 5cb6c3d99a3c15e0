package negotiate

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"plain text":                 "plain text",
		"bell\x07 and esc\x1b[31m":   "bell? and esc?[31m",
		"two\r\nlines":               "two  lines",
		"bidi \u202eevil":            "bidi ?evil",
		"invalid \xff utf8":          "invalid ? utf8",
		"c1 \u0085 control":          "c1 ? control",
		strings.Repeat("x", 300):     strings.Repeat("x", 256) + "…",
		"tab\tseparated":             "tab separated",
		"unicode is fine: café ☕ 日本": "unicode is fine: café ☕ 日本",
	}
	for in, want := range cases {
		assert.Equal(t, want, Sanitize(in))
	}
}

func TestErrorReachesEveryCause(t *testing.T) {
	reply := &textproto.Error{Code: 535, Msg: "5.7.8 bad\x1b[2J credentials"}
	e := &Error{Attempts: []Attempt{
		{Route: Route{"h", 587, STARTTLS}, Stage: StageDial, Err: &routeError{kind: ErrUnreachable, detail: "connection refused"}},
		{Route: Route{"h", 465, ImplicitTLS}, Stage: StageAuth, Err: classifyAuth(reply, "h", "PLAIN")},
	}}
	assert.ErrorIs(t, e, ErrUnreachable)
	assert.ErrorIs(t, e, ErrAuthFailed)
	assert.NotErrorIs(t, e, ErrCertificate)
	var tp *textproto.Error
	assert.True(t, errors.As(e, &tp))
	assert.Equal(t, 535, tp.Code)
	msg := e.Error()
	assert.Contains(t, msg, "h:587/starttls: failed at dial")
	assert.Contains(t, msg, "h:465/tls: failed at auth")
	assert.False(t, strings.ContainsFunc(msg, unicode.IsControl), "server text is sanitised: %q", msg)
	assert.True(t, IsFinal(e.Attempts[1].Err))
	assert.False(t, IsFinal(e.Attempts[0].Err))
}
