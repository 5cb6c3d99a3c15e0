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
