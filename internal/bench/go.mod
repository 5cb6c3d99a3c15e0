module github.com/smtpport/smtpport/internal/bench

go 1.26.0

replace github.com/smtpport/smtpport => ../..

require (
	github.com/knadh/smtppool v1.1.0
	github.com/smtpport/smtpport v0.0.0-00010101000000-000000000000
	github.com/wneessen/go-mail v0.8.1
)

require (
	github.com/xdg-go/scram v1.4.0 // indirect
	github.com/xdg-go/stringprep v1.0.4 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/oauth2 v0.37.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)
