package negotiate

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouteStringAndParse(t *testing.T) {
	cases := []struct {
		route Route
		text  string
	}{
		{Route{"smtp.gmail.com", 587, STARTTLS}, "smtp.gmail.com:587/starttls"},
		{Route{"smtp.gmail.com", 465, ImplicitTLS}, "smtp.gmail.com:465/tls"},
		{Route{"2001:db8::1", 2525, STARTTLS}, "[2001:db8::1]:2525/starttls"},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			assert.Equal(t, tc.text, tc.route.String())
			got, err := ParseRoute(tc.text)
			require.NoError(t, err)
			assert.Equal(t, tc.route, got)
		})
	}
}

func TestParseRouteRejects(t *testing.T) {
	for _, text := range []string{
		"smtp.gmail.com:587", "smtp.gmail.com/starttls", "smtp.gmail.com:0/tls",
		"smtp.gmail.com:70000/tls", "smtp.gmail.com:587/plain", "bad host:587/tls", ":587/tls",
	} {
		_, err := ParseRoute(text)
		assert.Error(t, err, text)
	}
}

func TestSecurityJSON(t *testing.T) {
	b, err := json.Marshal(Route{Host: "h", Port: 465, Security: ImplicitTLS})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Host":"h","Port":465,"Security":"tls"}`, string(b))
	var r Route
	require.NoError(t, json.Unmarshal([]byte(`{"Host":"h","Port":587,"Security":"STARTTLS"}`), &r))
	assert.Equal(t, STARTTLS, r.Security)
	assert.Error(t, json.Unmarshal([]byte(`{"Security":"none"}`), &r), "no plaintext mode exists")
	_, err = json.Marshal(Route{Security: Security(7)})
	assert.Error(t, err)
}
