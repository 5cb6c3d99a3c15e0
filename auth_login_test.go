package smtpport

import (
	"net/smtp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoginAuth(t *testing.T) {
	a := LoginAuth("user", "secret", "mail.example.test")
	mech, initial, err := a.Start(&smtp.ServerInfo{Name: "mail.example.test", TLS: true})
	require.NoError(t, err)
	assert.Equal(t, "LOGIN", mech)
	assert.Nil(t, initial)
	// Prompts are answered in order whatever their wording.
	for _, step := range []struct{ prompt, want string }{{"User Name", "user"}, {"Passwort:", "secret"}} {
		got, err := a.Next([]byte(step.prompt), true)
		require.NoError(t, err)
		assert.Equal(t, step.want, string(got))
	}
	_, err = a.Next([]byte("more?"), true)
	assert.Error(t, err, "a third prompt is refused")
	got, err := a.Next(nil, false)
	assert.NoError(t, err)
	assert.Nil(t, got)
}

func TestLoginAuthRefusesUnsafeConnections(t *testing.T) {
	cases := map[string]*smtp.ServerInfo{
		"no TLS":     {Name: "mail.example.test", TLS: false},
		"wrong host": {Name: "evil.example.test", TLS: true},
	}
	for name, info := range cases {
		t.Run(name, func(t *testing.T) {
			a := LoginAuth("user", "secret", "mail.example.test")
			_, initial, err := a.Start(info)
			assert.Error(t, err)
			assert.Nil(t, initial)
		})
	}
}
