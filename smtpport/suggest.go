package main

import (
	"strings"

	"github.com/smtpport/smtpport/presets"
)

// suggest returns the preset whose name, alias or host is closest to what was typed, when
// it is close enough to be a typo ("gmial", "ofice365", "smtp.gmial.com"), or "". Names
// are compared as presets.Lookup compares them: lower case, letters and digits only.
func suggest(typed string) string {
	k := fold(typed)
	limit := typoLimit(len(k))
	if limit == 0 {
		return ""
	}
	best, bestDist := "", limit+1
	consider := func(spelling, name string) {
		d := editDistance(k, fold(spelling))
		if d < bestDist || d == bestDist && len(name) < len(best) {
			best, bestDist = name, d
		}
	}
	for _, p := range presets.All() {
		consider(p.Name, p.Name)
		for _, a := range presets.Aliases(p.Name) {
			consider(a, p.Name)
		}
		for _, r := range p.Routes {
			consider(r.Host, p.Name)
		}
	}
	return best
}

// typoLimit is how many edits a name of n letters and digits may be from a preset's and
// still be taken for a typo of it: none for very short names, where any two are close.
func typoLimit(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 6:
		return 1
	case n < 10:
		return 2
	}
	return 3
}

// fold keeps the lower-case letters and digits of s, as presets.Lookup compares names.
func fold(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// editDistance is the optimal-string-alignment distance between a and b (ASCII): the
// insertions, deletions, substitutions and swaps of two neighbours that turn a into b.
// A swap counts once, so "gmial" is one edit from "gmail".
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
