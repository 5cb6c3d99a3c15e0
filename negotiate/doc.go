// Package negotiate is smtpport's engine: it races a list of SMTP submission routes with a
// head start, brings each one to verified TLS and an EHLO over TLS, picks the most
// preferred route that is ready, authenticates on that one connection only, and hands back
// a stock *net/smtp.Client. It never falls back to plaintext.
//
// # The race
//
// Routes start in preference order. The next one starts when the latest has had its head
// start, or at once when a route fails. The head start is 250 ms (RFC 8305) while nothing
// is known about the host; once a connect time is known it is twice that time for a
// route still in connect, and the round trips a connected route still needs at that time,
// half again as margin, for one whose TCP is up; never under 100 ms nor over 2 s. A
// route starts within the last millisecond of its head start, not after it (Go's timers
// wake up to a millisecond late, so the timer is aimed that much early). The first route
// walks on the caller's goroutine; the race gets goroutines of its own only once that
// route has outlasted its head start.
//
// Preference is bounded. A ready route never waits for a more preferred route still in
// TCP connect. It waits for one whose TCP is up only for a grace: the round trips that
// route still needs at its measured connect time, half again as margin, at least 100 ms
// and never more than 1 s, counted from when the waiting route became ready. A preferred
// route that accepts and then stalls (a tarpit, a middlebox, an implicit-TLS server on a
// STARTTLS port) therefore costs one head start and one grace, never its attempt timeout.
// Once a route is ready no other route is started. The winner's AUTH gets its own time
// (Config.AttemptTimeout, inside the caller's context), whatever it spent waiting.
//
// Most programs use the root package (smtpport.Dial); this package holds the types those
// calls return (Result, Attempt, Error) and the sentinels errors.Is can test for.
package negotiate
