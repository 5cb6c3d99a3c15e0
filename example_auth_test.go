package smtpport_test

import (
	"context"
	"crypto/tls"
	"log"
	"net/smtp"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/presets"
	"golang.org/x/oauth2"
)

// Office 365 over OAuth2: the token source refreshes the token; each Dial asks it once.
func ExampleWithOAuth2() {
	conf := &oauth2.Config{ /* client ID, secret, endpoint, scope https://outlook.office.com/SMTP.Send */ }
	var saved *oauth2.Token // from an earlier authorization
	ctx := context.Background()
	c, err := smtpport.Dial(ctx, presets.Office365,
		smtpport.WithOAuth2("alice@example.com", conf.TokenSource(ctx, saved)))
	if err != nil {
		log.Fatal(err) // errors.Is(err, smtpport.ErrAuthFailed) with a hint for 535 5.7.139
	}
	defer c.Quit()
}

// The mechanisms work with a plain net/smtp client too.
func ExampleLoginAuth() {
	c, err := smtp.Dial("smtp.example.com:587")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{ServerName: "smtp.example.com"}); err != nil {
		log.Fatal(err)
	}
	// LoginAuth refuses to send anything unless TLS is up and the server is the host named.
	if err := c.Auth(smtpport.LoginAuth("alice@example.com", "app password", "smtp.example.com")); err != nil {
		log.Fatal(err)
	}
}
