package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSuggest(t *testing.T) {
	cases := []struct{ typed, want string }{
		{"gmial", "gmail"},
		{"gmal", "gmail"},
		{"GMIAL", "gmail"},
		{"ofice365", "office365"},
		{"offcie-365", "office365"},
		{"sendgird", "sendgrid"},
		{"hotmial", "outlook"},      // an alias's typo leads to its preset
		{"smtp.gmial.com", "gmail"}, // a host's typo too
		{"smtp.offce365.com", "office365"},
		{"zohoo-eu", "zoho-eu"},
		{"mailgnu", "mailgun"},
		{"mx", ""},        // too short to tell a typo from another name
		{"aol", ""},       // (exact names never get here: Lookup finds them)
		{"localhost", ""}, // far from everything
		{"mail.example.com", ""},
		{"exchange", ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, suggest(tc.typed), "suggest(%q)", tc.typed)
	}
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"gmail", "gmail", 0},
		{"gmial", "gmail", 1}, // a swap is one edit
		{"kitten", "sitting", 3}, {"ca", "abc", 3}, {"office365", "ofice365", 1},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, editDistance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		assert.Equal(t, tc.want, editDistance(tc.b, tc.a), "symmetric: %q %q", tc.b, tc.a)
	}
}
