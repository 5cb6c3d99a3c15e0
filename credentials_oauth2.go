package smtpport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/smtp"
	"time"

	"golang.org/x/oauth2"
)

// tokenCredentials authenticate with an OAuth2 access token, fetched once per Dial from
// the token source (refreshing it is the token source's job).
type tokenCredentials struct {
	username string
	source   oauth2.TokenSource
	policy   policy
}

func (c *tokenCredentials) Mechanism(offered []string, _ tls.ConnectionState) (string, error) {
	return c.policy.choose(offered, false)
}

func (c *tokenCredentials) Auth(ctx context.Context, mech, host string, _ tls.ConnectionState) (smtp.Auth, error) {
	if mech != mechXOAuth2 && mech != mechOAuthBearer {
		return nil, fmt.Errorf("%w: an OAuth2 token cannot use %s", errNoMechanism, mech)
	}
	token, err := fetchToken(ctx, c.source)
	if err != nil {
		return nil, err
	}
	if mech == mechXOAuth2 {
		return XOAuth2Auth(c.username, token, host), nil
	}
	return OAuthBearerAuth(c.username, token, host), nil
}

// fetchToken asks ts for an access token, giving up when ctx ends: the error then says
// that no token came in time and nothing was sent (AUTH has not started), and wraps
// context.Cause(ctx). oauth2.TokenSource takes no context, so a Token call still running
// then is left to finish on its own; the token source's own context
// (oauth2.Config.TokenSource) bounds its HTTP exchange.
func fetchToken(ctx context.Context, ts oauth2.TokenSource) (string, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	if ctx.Err() != nil {
		return "", errNoTokenInTime(ctx)
	}
	ch := make(chan result, 1)
	go func() {
		tok, err := ts.Token()
		ch <- result{tok, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		return "", errNoTokenInTime(ctx)
	}
	switch {
	case r.err != nil:
		return "", fmt.Errorf("smtpport: OAuth2 token source: %w", r.err)
	case r.tok == nil || r.tok.AccessToken == "":
		return "", errors.New("smtpport: OAuth2 token source returned no access token")
	case !r.tok.Expiry.IsZero() && !r.tok.Expiry.After(time.Now()):
		return "", errors.New("smtpport: OAuth2 token source returned an expired token " +
			"(refreshing is its job: use oauth2.Config.TokenSource or oauth2.ReuseTokenSource)")
	}
	return r.tok.AccessToken, nil
}

// errNoTokenInTime is fetchToken's error when ctx ended first.
func errNoTokenInTime(ctx context.Context) error {
	return fmt.Errorf("smtpport: no OAuth2 token in time; nothing was sent: %w", contextError(ctx))
}
