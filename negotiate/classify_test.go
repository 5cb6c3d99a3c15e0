package negotiate

import (
	"errors"
	"io"
	"net/textproto"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestClassifyAuth(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"535", &textproto.Error{Code: 535, Msg: "5.7.8 nope"}, "credentials rejected: 535 5.7.8 nope"},
		{"454", &textproto.Error{Code: 454, Msg: "4.7.0 later"}, "temporary authentication failure; try again later: 454"},
		{"534", &textproto.Error{Code: 534, Msg: "5.7.9 weak"}, "too weak"},
		{"530", &textproto.Error{Code: 530, Msg: "5.7.0 required"}, "authentication it did not get: 530"},
		{"504", &textproto.Error{Code: 504, Msg: "5.5.4 what"}, "does not support the mechanism"},
		{"client-side", errors.New("server signature invalid"), "authentication exchange failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := classifyAuth(tc.err, nil)
			if !errors.Is(err, ErrAuthFailed) || !isFinal(err) || !errors.Is(err, tc.err) {
				t.Fatalf("%v: want a final ErrAuthFailed wrapping the cause", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%q does not say %q", err, tc.want)
			}
		})
	}
}

// TestClassifyAuthLostConnection: a connection lost during AUTH is not a wrong password.
// It ends negotiation (the credentials may have gone out) as ErrUnreachable.
func TestClassifyAuthLostConnection(t *testing.T) {
	for name, cause := range map[string]error{
		"closed":  io.EOF,
		"reset":   syscall.ECONNRESET,
		"421":     &textproto.Error{Code: 421, Msg: "4.3.2 shutting down"},
		"timeout": os.ErrDeadlineExceeded,
	} {
		t.Run(name, func(t *testing.T) {
			err := classifyAuth(cause, nil)
			if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrAuthFailed) || !isFinal(err) || !errors.Is(err, cause) {
				t.Fatalf("%v: want a final ErrUnreachable, not ErrAuthFailed, wrapping the cause", err)
			}
			if !strings.Contains(err.Error(), "outcome unknown") {
				t.Fatalf("%v: want the error to say the outcome is unknown", err)
			}
		})
	}
}
