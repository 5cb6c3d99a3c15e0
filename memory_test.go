package smtpport_test

import (
	"testing"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRouteMemoryIsPerUser: the memo of one user never steers another user's Dial.
func TestRouteMemoryIsPerUser(t *testing.T) {
	const bob, bobPass = "bob@example.test", "another password"
	e := newEnv(t, smtptest.Config{Users: map[string]string{testUser: testPass, bob: bobPass}})
	mem := smtpport.NewMemory()

	e.dialer.Set(e.srv.RouteAddr(587), netsim.Refuse)
	res, err := e.negotiate(t, testContext(t), smtpport.WithRouteMemory(mem))
	require.NoError(t, err)
	require.Equal(t, 465, res.Route.Port)
	e.dialer.Set(e.srv.RouteAddr(587), netsim.Pass)

	res, err = smtpport.Negotiate(testContext(t), e.preset,
		smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer),
		smtpport.WithPassword(bob, bobPass), smtpport.WithRouteMemory(mem))
	require.NoError(t, err)
	defer res.Client.Close()
	assert.Equal(t, 587, res.Route.Port, "bob races from scratch")
	assert.False(t, res.FromMemory)

	res, err = e.negotiate(t, testContext(t), smtpport.WithRouteMemory(mem))
	require.NoError(t, err)
	assert.Equal(t, 465, res.Route.Port, "alice keeps her route")
	assert.True(t, res.FromMemory)
}
