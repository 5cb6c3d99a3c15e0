package presets_test

import (
	"context"
	"fmt"

	"github.com/smtpport/smtpport/presets"
)

func ExampleLookup() {
	p, ok := presets.Lookup("exchange-online")
	fmt.Println(ok, p.Name, p.Routes[0], p.Mechanisms)
	// Output: true office365 smtp.office365.com:587/starttls [LOGIN XOAUTH2]
}

func ExampleSES() {
	for _, r := range presets.SES("eu-west-1").Routes {
		fmt.Println(r)
	}
	// Output:
	// email-smtp.eu-west-1.amazonaws.com:587/starttls
	// email-smtp.eu-west-1.amazonaws.com:465/tls
	// email-smtp.eu-west-1.amazonaws.com:2587/starttls
	// email-smtp.eu-west-1.amazonaws.com:2465/tls
}

// A consumer address is recognised by its domain, without any network traffic. For a
// custom domain Discover looks at MX, SRV and autoconfig; pass the result's Preset to
// smtpport.Dial, which refuses it when Trusted is false unless told otherwise.
func ExampleDiscover() {
	d, err := presets.Discover(context.Background(), "someone@googlemail.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Source, d.Preset.Name, d.Trusted)
	// Output: domain gmail true
}

// Custom reads the route syntax of the smtpport command. Input it cannot read gives a
// preset that Dial refuses with ErrConfig naming the input; Validate finds out earlier.
func ExampleCustom() {
	for _, in := range []string{"mail.example.org:2587", "mail.example.org/tls", "mail.example.org:587x"} {
		p := presets.Custom(in)
		if err := p.Routes[0].Validate(); err != nil {
			fmt.Println(in, "->", p.Note)
			continue
		}
		fmt.Println(in, "->", p.Routes)
	}
	// Output:
	// mail.example.org:2587 -> [mail.example.org:2587/starttls]
	// mail.example.org/tls -> [mail.example.org:465/tls]
	// mail.example.org:587x -> port 587x is not a number from 1 to 65535
}
