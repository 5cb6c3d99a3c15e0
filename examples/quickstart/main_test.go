package main

import (
	"bytes"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickstart runs the README's first command in-process: 587 is blackholed, so 465
// wins, and the message arrives.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	text := out.String()
	assert.Regexp(t, `mail\.example\.test:587/starttls\s+\+0s\s+dial\s+\S+\s+abandoned`, text)
	assert.Regexp(t, `mail\.example\.test:465/tls\s+\+\S+\s+ready\s+\S+\s+won`, text)
	assert.Contains(t, text, "Chosen: mail.example.test:465/tls")
	assert.Contains(t, text, "Subject: Hello from smtpport")
	assert.Contains(t, text, "authenticated as demo@example.test")
}

// TestQuickstartUsesPublicPackagesOnly: the program can be copied out of this module.
func TestQuickstartUsesPublicPackagesOnly(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ImportsOnly)
	require.NoError(t, err)
	require.NotEmpty(t, f.Imports)
	for _, imp := range f.Imports {
		assert.NotContains(t, imp.Path.Value, "/internal/", "an internal import cannot be copied out")
	}
}
