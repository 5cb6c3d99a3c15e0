package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresetsTable(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets")
	require.Equal(t, 0, r.code, r.stderr)
	table, footer, ok := strings.Cut(r.stdout, "\n\n")
	require.True(t, ok)
	assert.Equal(t, "Amazon SES is regional: use ses-REGION, e.g. ses-eu-west-1.\n", footer)
	lines := strings.Split(table, "\n")
	require.Greater(t, len(lines), 1)
	assert.Regexp(t, `^NAME\s+HOST\s+ROUTES\s+AUTH$`, lines[0])
	rows := map[string]string{}
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, " ")
		rows[name] = l
	}
	assert.Regexp(t, `^gmail\s+smtp\.gmail\.com\s+587/starttls 465/tls\s+PLAIN LOGIN XOAUTH2 OAUTHBEARER$`, rows["gmail"])
	assert.Regexp(t, `^office365\s+smtp\.office365\.com\s+587/starttls\s+LOGIN XOAUTH2$`, rows["office365"])
	assert.Contains(t, rows["mailgun"], "587/starttls 465/tls 2525/starttls")
	assert.Zero(t, w.dialer.TotalDials())
}

func TestPresetsJSON(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var out []struct {
		Name   string `json:"name"`
		Routes []struct {
			Host     string `json:"host"`
			Port     int    `json:"port"`
			Security string `json:"security"`
		} `json:"routes"`
		Mechanisms []string `json:"mechanisms"`
		Username   string   `json:"username"`
		Docs       string   `json:"docs"`
		Note       string   `json:"note"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
	byName := map[string]int{}
	for i, p := range out {
		byName[p.Name] = i
		assert.NotEmpty(t, p.Routes, p.Name)
		assert.NotNil(t, p.Mechanisms, "mechanisms is an array, never null")
	}
	require.Contains(t, byName, "gmail")
	g := out[byName["gmail"]]
	require.Len(t, g.Routes, 2)
	assert.Equal(t, "smtp.gmail.com", g.Routes[0].Host)
	assert.Equal(t, 587, g.Routes[0].Port)
	assert.Equal(t, "starttls", g.Routes[0].Security)
	assert.Equal(t, 465, g.Routes[1].Port)
	assert.Equal(t, "tls", g.Routes[1].Security)
	assert.Contains(t, g.Docs, "https://")
	assert.NotEmpty(t, g.Note)
}

func TestPresetsUsage(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, runOpts{}, "presets", "extra")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "smtpport: presets takes no arguments")
	r = w.run(t, runOpts{}, "presets", "--help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Usage: smtpport presets [--json]")
	assert.Contains(t, r.stdout, "--json")
}
