package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWriteTable(t *testing.T) {
	rows := [][][]string{
		{{"NAME"}, {"ROUTES"}, {"AUTH"}},
		{{"short"}, {"587/starttls"}, {"PLAIN"}},
		{{"long-name"}, {"587/starttls", "465/tls", "2525/starttls"}, {"PLAIN", "LOGIN", "XOAUTH2"}},
	}
	cases := []struct {
		name  string
		width int
		want  string
	}{
		{"fits", 80, "" +
			"NAME       ROUTES                              AUTH\n" +
			"short      587/starttls                        PLAIN\n" +
			"long-name  587/starttls 465/tls 2525/starttls  PLAIN LOGIN XOAUTH2\n"},
		{"wraps the widest columns first", 50, "" +
			"NAME       ROUTES                AUTH\n" +
			"short      587/starttls          PLAIN\n" +
			"long-name  587/starttls 465/tls  PLAIN LOGIN\n" +
			"           2525/starttls         XOAUTH2\n"},
		{"no narrower than the longest word", 10, "" +
			"NAME       ROUTES         AUTH\n" +
			"short      587/starttls   PLAIN\n" +
			"long-name  587/starttls   PLAIN\n" +
			"           465/tls        LOGIN\n" +
			"           2525/starttls  XOAUTH2\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writeTable(&b, rows, tc.width)
			assert.Equal(t, tc.want, b.String())
			if tc.width >= 40 {
				for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
					assert.LessOrEqual(t, textWidth(l), tc.width, l)
				}
			}
		})
	}
}

func TestWrap(t *testing.T) {
	assert.Equal(t, []string{"a b", "c"}, wrap([]string{"a", "b", "c"}, " ", 3))
	assert.Equal(t, []string{"toolong", "a"}, wrap([]string{"toolong", "a"}, " ", 3))
	assert.Equal(t, []string{""}, wrap(nil, " ", 3))
}
