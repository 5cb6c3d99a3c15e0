package main

import (
	"context"
	"errors"
	"strings"

	"github.com/smtpport/smtpport/presets"
)

// The functions in this file are shims over the presets package while its Lookup, All
// and Discover are being written on another branch. After that lands, each body becomes
// one call: presets.Lookup(name), presets.All(), presets.Discover(ctx, address).

// knownPresets is the preset table until presets.All exists.
var knownPresets = []presets.Preset{presets.Gmail, presets.Mailgun, presets.Office365, presets.Zoho}

// lookupPreset finds a preset by name, ignoring case. Shim for presets.Lookup.
func lookupPreset(name string) (presets.Preset, bool) {
	for _, p := range knownPresets {
		if strings.EqualFold(p.Name, strings.TrimSpace(name)) {
			return p.Clone(), true
		}
	}
	return presets.Preset{}, false
}

// allPresets lists every preset, sorted by name. Shim for presets.All.
func allPresets() []presets.Preset {
	out := make([]presets.Preset, len(knownPresets))
	for i, p := range knownPresets {
		out[i] = p.Clone()
	}
	return out
}

// discovered is what discovery found for an email address: the preset, whether its
// hosts can be trusted with credentials, and which step found it. It mirrors
// presets.Discovered.
type discovered struct {
	preset  presets.Preset
	trusted bool
	source  string
}

// errNoDiscovery is the shim's answer until presets.Discover exists.
var errNoDiscovery = errors.New("discovery not available yet: probe the provider's host or a preset name instead")

// discover finds the submission server for an email address. Shim for
// presets.Discover(ctx, address): map Discovered.Preset, .Trusted and .Source.
func discover(ctx context.Context, address string) (discovered, error) {
	return discovered{}, errNoDiscovery
}
