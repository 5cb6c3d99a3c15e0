// Package smtpport chooses and negotiates SMTP submission transport security, and hands
// back a stock *net/smtp.Client that is connected over verified TLS, has said EHLO and is
// authenticated:
//
//	c, err := smtpport.Dial(ctx, presets.Gmail, smtpport.WithPassword(user, appPassword))
//	if err != nil {
//		return err // errors.Is(err, smtpport.ErrAuthFailed), ErrUnreachable, ...
//	}
//	defer c.Quit()
//	// c.Mail, c.Rcpt, c.Data as with any net/smtp client
//
// Routes (587 STARTTLS, 465 implicit TLS, 2525 STARTTLS, or what the preset lists) race
// with a head start, so a port blocked by a firewall costs a fraction of a second. It
// never falls back to plaintext, never sends credentials before TLS is verified for the
// route's host, and the context bounds the whole handshake. A failure is a
// *negotiate.Error that says which route failed at which stage and why.
//
// Credentials are WithPassword, WithOAuth2 (an oauth2.TokenSource) or WithAuth (any
// smtp.Auth). The mechanism is chosen from the server's post-TLS EHLO and the preset's
// accepted list: for a password SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, LOGIN, CRAM-MD5;
// for a token XOAUTH2, OAUTHBEARER; WithMechanisms restricts and reorders. SCRAM proves
// the password as SASLprep (RFC 4013) prepares it, while PLAIN, LOGIN and CRAM-MD5 send
// or hash it as given, and some servers (Dovecot) store it unprepared: so SCRAM comes
// first only when SASLprep leaves the user name and password unchanged; when SASLprep
// changes them it comes after CRAM-MD5 (used only if nothing else is offered); when
// SASLprep refuses them it is never used, and a server offering only SCRAM fails the
// route with an error wrapping negotiate.ErrConfig before anything is sent (WithPassword
// has the details). A server asking SCRAM for more than 600000 PBKDF2 iterations is
// refused with ErrProtocol before any key is derived. The mechanisms
// net/smtp lacks (LoginAuth, XOAuth2Auth, OAuthBearerAuth, ScramSHA256Auth) are exported
// for plain net/smtp clients too, and refuse to send a secret except over TLS to the
// named host.
package smtpport
