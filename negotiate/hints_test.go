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

func TestAuthHint(t *testing.T) {
	cases := []struct {
		name, host, mech string
		code             int
		msg              string
		want             string // a phrase the hint must hold; "" means no hint
	}{
		{"M365 SMTP AUTH disabled", "smtp.office365.com", "LOGIN", 535,
			"5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", "SMTP AUTH disabled"},
		{"M365 refuses PLAIN", "smtp.office365.com", "PLAIN", 504, "5.7.4 Unrecognized authentication type", "use LOGIN or XOAUTH2"},
		{"M365 bad password", "smtp.office365.com", "LOGIN", 535, "5.7.3 Authentication unsuccessful", "check the password"},
		{"M365 bad token", "smtp.office365.com", "XOAUTH2", 535, "5.7.3 Authentication unsuccessful", "SMTP.Send"},
		{"Gmail bad token", "smtp.gmail.com", "XOAUTH2", 535, "5.7.8 Username and Password not accepted.", "scope https://mail.google.com/"},
		{"Gmail bad credentials", "smtp.gmail.com", "PLAIN", 535,
			"5.7.8 Username and Password not accepted. For more information, go to\n5.7.8  https://support.google.com/mail/?p=BadCredentials", "app password"},
		{"Gmail text on a custom host", "mx.example.com", "LOGIN", 535, "5.7.8 see https://support.google.com/mail/?p=BadCredentials", "app password"},
		{"Gmail app password required", "smtp.gmail.com", "PLAIN", 534, "5.7.9 Application-specific password required.", "app password"},
		{"generic 5.7.8 elsewhere", "mail.example.test", "PLAIN", 535, "5.7.8 Authentication credentials invalid", ""},
		{"no enhanced code", "smtp.office365.com", "LOGIN", 535, "Authentication failed", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := authHint(tc.host, tc.mech, &textproto.Error{Code: tc.code, Msg: tc.msg})
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Fatalf("hint %q, want one containing %q", got, tc.want)
			}
		})
	}
}

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
			if !errors.Is(err, ErrAuthFailed) || !IsFinal(err) || !errors.Is(err, tc.err) {
				t.Fatalf("%v: want a final ErrAuthFailed wrapping the cause", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%q does not say %q", err, tc.want)
			}
		})
	}
}

// FuzzAuthHint: any reply text gives either no hint or one of our own sentences, never
// the server's words.
func FuzzAuthHint(f *testing.F) {
	f.Add("smtp.office365.com", "LOGIN", 535, "5.7.139 Authentication unsuccessful")
	f.Add("smtp.gmail.com", "XOAUTH2", 535, "5.7.8 Username and Password not accepted\n5.7.8 https://support.google.com/")
	f.Add("x", "PLAIN", 504, "5.7.4\x00\r\n")
	f.Fuzz(func(t *testing.T, host, mech string, code int, msg string) {
		hint := authHint(host, mech, &textproto.Error{Code: code, Msg: msg})
		if hint != "" && Sanitize(hint) != hint {
			t.Fatalf("hint %q is not plain text", hint)
		}
		if hint != "" && len(msg) > 8 && strings.Contains(hint, msg) {
			t.Fatalf("hint %q echoes the server text", hint)
		}
	})
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
			if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrAuthFailed) || !IsFinal(err) || !errors.Is(err, cause) {
				t.Fatalf("%v: want a final ErrUnreachable, not ErrAuthFailed, wrapping the cause", err)
			}
			if !strings.Contains(err.Error(), "outcome unknown") {
				t.Fatalf("%v: want the error to say the outcome is unknown", err)
			}
		})
	}
}
