package smtpport_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReadmeAPICompiles builds the program in README's API section, so the page a
// newcomer reads first cannot drift from the API (and needs only smtpport and presets).
func TestReadmeAPICompiles(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## The API on one page\n")
	require.True(t, ok, "README has no API section")
	_, code, ok := strings.Cut(section, "```go\n")
	require.True(t, ok, "API section has no Go block")
	code, _, ok = strings.Cut(code, "```\n")
	require.True(t, ok, "API section's Go block is not closed")
	for _, line := range strings.Split(code, "\n") {
		if imp, isImport := strings.CutPrefix(strings.TrimSpace(line), `"github.com/`); isImport {
			require.Contains(t, []string{`smtpport/smtpport"`, `smtpport/smtpport/presets"`}, imp,
				"the API section imports only smtpport and presets")
		}
	}
	file := filepath.Join(t.TempDir(), "main.go")
	require.NoError(t, os.WriteFile(file, []byte(code), 0o600))
	out, err := exec.Command("go", "vet", file).CombinedOutput()
	require.NoError(t, err, "README's API program does not build:\n%s", out)
}
