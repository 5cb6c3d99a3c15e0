package negotiate

import (
	"context"
	"errors"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestErrorReachesEveryCause(t *testing.T) {
	reply := &textproto.Error{Code: 535, Msg: "5.7.8 bad\x1b[2J credentials"}
	e := &Error{Attempts: []Attempt{
		{Route: Route{"h", 587, STARTTLS}, Stage: stageDial, Err: &routeError{kind: ErrUnreachable, detail: "connection refused"}},
		{Route: Route{"h", 465, ImplicitTLS}, Stage: stageAuth, Err: classifyAuth(reply, nil)},
	}}
	assert.ErrorIs(t, e, ErrUnreachable)
	assert.ErrorIs(t, e, ErrAuthFailed)
	assert.NotErrorIs(t, e, ErrCertificate)
	var tp *textproto.Error
	assert.True(t, errors.As(e, &tp))
	assert.Equal(t, 535, tp.Code)
	msg := e.Error()
	assert.Contains(t, msg, "h:587/starttls: failed at dial")
	assert.False(t, strings.ContainsFunc(msg, unicode.IsControl), "server text is sanitised: %q", msg)
	assert.True(t, isFinal(e.Attempts[1].Err))
	assert.False(t, isFinal(e.Attempts[0].Err))
}

// TestErrorReadsRight: the decisive failure leads, a reply code is said once, identical
// failures are said once, and every message has the one prefix.
func TestErrorReadsRight(t *testing.T) {
	dns := errors.New("lookup mail.example.test: no such host")
	r587, r465, r2525 := Route{"mail.example.test", 587, STARTTLS}, Route{"mail.example.test", 465, ImplicitTLS}, Route{"mail.example.test", 2525, STARTTLS}
	cases := []struct {
		name     string
		attempts []Attempt
		want     string
		not      []string
	}{
		{
			name: "auth rejected on a working route",
			attempts: []Attempt{
				{Route: r587, Stage: stageDial, Err: ErrAbandoned},
				{Route: r465, Stage: stageAuth, Err: classifyAuth(&textproto.Error{Code: 535, Msg: "5.7.8 nope"}, nil)},
			},
			want: "smtpport: mail.example.test:465/tls: authentication failed: credentials rejected: 535 5.7.8 nope; " +
				"other routes: mail.example.test:587/starttls: abandoned at dial after 0s",
			not: []string{"no route worked", "(535)"},
		},
		{
			name: "the same DNS failure on every route",
			attempts: []Attempt{
				{Route: r587, Stage: stageDial, Err: classifyDial(dns)},
				{Route: r465, Stage: stageDial, Err: classifyDial(dns)},
				{Route: r2525, Stage: stageDial, Err: classifyDial(dns)},
			},
			want: "smtpport: no route worked: mail.example.test:587/starttls, mail.example.test:465/tls, mail.example.test:2525/starttls: " +
				"failed at dial after 0s: unreachable: connect failed: lookup mail.example.test: no such host",
		},
		{
			name:     "attempt timeout is not the caller's deadline",
			attempts: []Attempt{{Route: r587, Stage: stageGreeting, Err: contextError(classifyReply(os.ErrDeadlineExceeded, "greeting"), attemptTimeout(2*time.Second))}},
			want:     "[attempt timeout of 2s reached]",
			not:      []string{"context deadline exceeded"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := (&Error{Attempts: tc.attempts}).Error()
			assert.Contains(t, msg, tc.want)
			assert.True(t, strings.HasPrefix(msg, "smtpport: "), msg)
			assert.Equal(t, 1, strings.Count(msg, "smtpport: "), "one prefix: %s", msg)
			for _, n := range tc.not {
				assert.NotContains(t, msg, n)
			}
		})
	}
	assert.NotErrorIs(t, contextError(classifyReply(os.ErrDeadlineExceeded, "greeting"), attemptTimeout(time.Second)), context.DeadlineExceeded)
}
