package negotiate

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHint(t *testing.T) {
	with := &routeError{kind: ErrAuthFailed, detail: "rejected (535)", hint: "enable SMTP AUTH", final: true}
	without := &routeError{kind: ErrUnreachable, detail: "connection refused"}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"plain error", errors.New("x"), ""},
		{"attempt without hint", without, ""},
		{"attempt with hint", with, "enable SMTP AUTH"},
		{"negotiation error, hint on the second attempt", &Error{Attempts: []Attempt{{Err: without}, {Err: with}}}, "enable SMTP AUTH"},
		{"wrapped", fmt.Errorf("send: %w", &Error{Attempts: []Attempt{{Err: with}}}), "enable SMTP AUTH"},
		{"joined", errors.Join(errors.New("a"), with), "enable SMTP AUTH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Hint(tc.err)) })
	}
}
