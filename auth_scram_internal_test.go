package smtpport

import (
	"context"
	"encoding/base64"
	"errors"
	"net/smtp"
	"strings"
	"testing"

	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testClientNonce = "fyko+d2lbbFgONRv9qkxdawL"

// TestParseSCRAMServerFirst: every field is checked before a key is derived; whatever
// is wrong, the error is ErrProtocol and never echoes the server's bytes.
func TestParseSCRAMServerFirst(t *testing.T) {
	const (
		nonce = "r=" + testClientNonce + "3rfcNHYJY1ZVvWVs7j"
		salt  = "s=QSXCR+Q6sek8bf92"
	)
	cases := []struct {
		name, msg string
		iters     int    // when valid
		why       string // part of the error, when refused
	}{
		{name: "RFC 7677 example", msg: nonce + "," + salt + ",i=4096", iters: 4096},
		{name: "at the cap", msg: nonce + "," + salt + ",i=600000", iters: 600000},
		{name: "extensions after the count", msg: nonce + "," + salt + ",i=4096,x=future", iters: 4096},
		{name: "one past the cap", msg: nonce + "," + salt + ",i=600001", why: "more than 600000"},
		{name: "int32 max", msg: nonce + "," + salt + ",i=2147483647", why: "more than 600000"},
		{name: "past any integer", msg: nonce + "," + salt + ",i=" + strings.Repeat("9", 400), why: "more than 600000"},
		{name: "below RFC 7677's minimum", msg: nonce + "," + salt + ",i=4095", why: "fewer than"},
		{name: "zero", msg: nonce + "," + salt + ",i=0", why: "not a positive decimal"},
		{name: "negative", msg: nonce + "," + salt + ",i=-4096", why: "not a positive decimal"},
		{name: "plus sign", msg: nonce + "," + salt + ",i=+4096", why: "not a positive decimal"},
		{name: "leading zero", msg: nonce + "," + salt + ",i=04096", why: "not a positive decimal"},
		{name: "exponent", msg: nonce + "," + salt + ",i=1e6", why: "not a positive decimal"},
		{name: "empty count", msg: nonce + "," + salt + ",i=", why: "not a positive decimal"},
		{name: "count with CR", msg: nonce + "," + salt + ",i=4096\r", why: "not a positive decimal"},
		{name: "count with NUL", msg: nonce + "," + salt + ",i=4096\x00", why: "not a positive decimal"},
		{name: "over the cap with a wrong nonce", msg: "r=other," + salt + ",i=2147483647", why: "more than 600000"},
		{name: "mandatory extension", msg: "m=ext," + nonce + "," + salt + ",i=4096", why: "extension"},
		{name: "two fields", msg: nonce + "," + salt, why: "fewer than three"},
		{name: "empty", msg: "", why: "fewer than three"},
		{name: "fields out of order", msg: salt + "," + nonce + ",i=4096", why: "r=, s=, i="},
		{name: "no count", msg: nonce + "," + salt + ",x=1", why: "r=, s=, i="},
		{name: "empty salt", msg: nonce + ",s=,i=4096", why: "salt"},
		{name: "salt not base64", msg: nonce + ",s=!!!!,i=4096", why: "salt"},
		{name: "salt with bad padding bits", msg: nonce + ",s=QR==,i=4096", why: "salt"},
		{name: "nonce not extending ours", msg: "r=3rfcNHYJY1ZVvWVs7j," + salt + ",i=4096", why: "does not extend"},
		{name: "nonce equal to ours", msg: "r=" + testClientNonce + "," + salt + ",i=4096", why: "adds nothing"},
		{name: "empty nonce", msg: "r=," + salt + ",i=4096", why: "printable"},
		{name: "nonce with a space", msg: "r=" + testClientNonce + "a b," + salt + ",i=4096", why: "printable"},
		{name: "nonce with C1 control", msg: "r=" + testClientNonce + "\u009b31m," + salt + ",i=4096", why: "printable"},
		{name: "nonce with bidi override", msg: "r=" + testClientNonce + "\u202e," + salt + ",i=4096", why: "printable"},
		{name: "nonce with NUL", msg: "r=" + testClientNonce + "\x00," + salt + ",i=4096", why: "printable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sf, err := parseSCRAMServerFirst(tc.msg, testClientNonce)
			if tc.why == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.iters, sf.iters)
				assert.NotEmpty(t, sf.salt)
				assert.True(t, strings.HasPrefix(sf.nonce, testClientNonce))
				return
			}
			require.ErrorIs(t, err, negotiate.ErrProtocol)
			assert.Contains(t, err.Error(), tc.why)
			assert.NotContains(t, err.Error(), "2147483647", "the server's count is not echoed")
			assert.NotContains(t, err.Error(), "3rfcNHYJY1ZVvWVs7j", "the server's nonce is not echoed")
			assert.Less(t, len(err.Error()), 200)
		})
	}
}

// FuzzParseSCRAMServerFirst: whatever the server sends, parsing never panics, and what
// it accepts is within the bounds the key derivation relies on.
func FuzzParseSCRAMServerFirst(f *testing.F) {
	f.Add("r=" + testClientNonce + "abc,s=QSXCR+Q6sek8bf92,i=4096")
	f.Add("r=" + testClientNonce + "abc,s=QSXCR+Q6sek8bf92,i=2147483647")
	f.Add("m=x,r=a,s=b,i=c")
	f.Add("r=" + testClientNonce + "\r,s=QSXCR+Q6sek8bf92,i=600000,e=x")
	f.Fuzz(func(t *testing.T, msg string) {
		sf, err := parseSCRAMServerFirst(msg, testClientNonce)
		if err != nil {
			if !errors.Is(err, negotiate.ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", err)
			}
			return
		}
		if sf.iters < minSCRAMIterations || sf.iters > maxSCRAMIterations {
			t.Fatalf("accepted %d iterations", sf.iters)
		}
		if len(sf.salt) == 0 || !strings.HasPrefix(sf.nonce, testClientNonce) || len(sf.nonce) == len(testClientNonce) {
			t.Fatalf("accepted %q", msg)
		}
	})
}

// TestSCRAMRefusesBeforeDeriving: a hostile server-first message, or a context that has
// ended, stops the exchange before the step that derives the key.
func TestSCRAMRefusesBeforeDeriving(t *testing.T) {
	info := &smtp.ServerInfo{Name: "mail.example.test", TLS: true, Auth: []string{mechSCRAM}}
	cases := []struct {
		name      string
		iters     string
		cancel    bool
		wantErr   error // nil: the derivation runs
		wantCause error
	}{
		{name: "sane count", iters: "4096"},
		{name: "over the cap", iters: "2147483647", wantErr: negotiate.ErrProtocol},
		{name: "malformed count", iters: "-1", wantErr: negotiate.ErrProtocol},
		{name: "context ended", iters: "4096", cancel: true, wantErr: context.Canceled, wantCause: errStopped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			a := &scramAuth{ctx: ctx, username: iUser, password: iPass, host: info.Name}
			_, first, err := a.Start(info)
			require.NoError(t, err)
			nonce := clientNonceOf(string(first))
			require.NotEmpty(t, nonce)

			derived := false
			step := a.step
			a.step = func(msg string) (string, error) { derived = true; return step(msg) }
			if tc.cancel {
				cancel(errStopped)
			}
			serverFirst := "r=" + nonce + "srv,s=" + base64.StdEncoding.EncodeToString([]byte("salt")) + ",i=" + tc.iters
			resp, err := a.Next([]byte(serverFirst), true)
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.True(t, derived)
				assert.True(t, strings.HasPrefix(string(resp), "c="), "client-final %q", resp)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			if tc.wantCause != nil {
				require.ErrorIs(t, err, tc.wantCause, "wraps context.Cause")
				assert.Contains(t, err.Error(), "no proof sent")
			}
			assert.False(t, derived, "no key derived")
			assert.Nil(t, resp)
		})
	}
}

var errStopped = errors.New("caller gave up")
