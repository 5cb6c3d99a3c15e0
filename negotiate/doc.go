// Package negotiate is smtpport's engine: it races a list of SMTP submission routes with a
// head start, brings each one to verified TLS and a post-TLS EHLO, picks the most preferred
// route that is ready, authenticates on that one connection only, and hands back a stock
// *net/smtp.Client. It never falls back to plaintext.
//
// Most programs use the root package (smtpport.Dial); this package holds the types those
// calls return (Result, Attempt, Error) and the sentinels errors.Is can test for.
package negotiate
