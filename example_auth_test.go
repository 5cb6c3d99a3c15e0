package smtpport_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/smtpport/smtpport"
	"golang.org/x/oauth2"
)

// OAuth2: each Dial asks the token source for a token once, on the winning route; the
// source refreshes it (with Office 365 it would be conf.TokenSource(ctx, saved) from an
// oauth2.Config with the scope https://outlook.office.com/SMTP.Send, and the preset
// presets.Office365).
func ExampleWithOAuth2() {
	srv, opts := testServer(map[string]string{"alice@example.test": "access-token"}, "XOAUTH2", "OAUTHBEARER")
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tokens := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "access-token"})
	res, err := smtpport.Negotiate(ctx, srv.Preset(), append(opts, smtpport.WithOAuth2("alice@example.test", tokens))...)
	if err != nil {
		log.Fatal(err) // errors.Is(err, smtpport.ErrAuthFailed), with a hint for Microsoft's 535 5.7.139
	}
	defer res.Client.Quit()
	fmt.Println("authenticated with", res.Mechanism)
	// Output: authenticated with XOAUTH2
}

// LoginAuth is the LOGIN mechanism net/smtp lacks (Office 365 needs it). It works with a
// plain net/smtp client too: c.Auth(smtpport.LoginAuth(user, pass, host)) after
// c.StartTLS. Like every mechanism here it refuses to send anything unless the
// connection is TLS to the host named.
func ExampleLoginAuth() {
	srv, opts := testServer(map[string]string{"alice@example.test": "app password"}, "LOGIN")
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	login := smtpport.LoginAuth("alice@example.test", "app password", "mail.example.test")
	res, err := smtpport.Negotiate(ctx, srv.Preset(), append(opts, smtpport.WithAuth(login))...)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Client.Quit()
	fmt.Println("authenticated with", res.Mechanism)
	// Output: authenticated with LOGIN
}
