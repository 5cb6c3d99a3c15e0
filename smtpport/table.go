package main

import (
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// writeTable prints rows of cells as aligned columns two spaces apart, in at most width
// columns when it can: a cell is a list of words, and columns are wrapped (down to their
// longest word) until the table fits, each time the column whose wrapping adds the
// fewest lines. Continuation lines leave the other columns blank.
func writeTable(w io.Writer, rows [][][]string, width int) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0])
	widths, floors := make([]int, n), make([]int, n)
	for _, row := range rows {
		for c, cell := range row {
			widths[c] = max(widths[c], textWidth(strings.Join(cell, " ")))
			for _, word := range cell {
				floors[c] = max(floors[c], textWidth(word))
			}
		}
	}
	total := func() int {
		t := 2 * (n - 1)
		for _, x := range widths {
			t += x
		}
		return t
	}
	for total() > width {
		best, bestWidth, bestHeight := -1, 0, 0
		for c := range widths {
			if widths[c] <= floors[c] {
				continue
			}
			narrower := slices.Clone(widths)
			narrower[c] = usedWidth(rows, c, widths[c]-1)
			h := tableHeight(rows, narrower)
			if best < 0 || h < bestHeight || h == bestHeight && widths[c] > widths[best] {
				best, bestWidth, bestHeight = c, narrower[c], h
			}
		}
		if best < 0 {
			break // every column is down to its longest word
		}
		widths[best] = bestWidth
	}
	for _, row := range rows {
		cells := make([][]string, n)
		height := 0
		for c, cell := range row {
			cells[c] = wrap(cell, " ", widths[c])
			height = max(height, len(cells[c]))
		}
		for i := range height {
			var b strings.Builder
			for c := range cells {
				text := ""
				if i < len(cells[c]) {
					text = cells[c][i]
				}
				b.WriteString(text)
				if c < n-1 {
					b.WriteString(strings.Repeat(" ", widths[c]-textWidth(text)+2))
				}
			}
			sayf(w, "%s", strings.TrimRight(b.String(), " "))
		}
	}
}

// wrap fills lines of at most width columns with words joined by sep; a word longer
// than width gets a line of its own.
func wrap(words []string, sep string, width int) []string {
	var lines []string
	line := ""
	for _, word := range words {
		switch {
		case line == "":
			line = word
		case textWidth(line)+len(sep)+textWidth(word) <= width:
			line += sep + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// usedWidth is the widest line of column c when its cells are wrapped at width.
func usedWidth(rows [][][]string, c, width int) int {
	used := 0
	for _, row := range rows {
		for _, l := range wrap(row[c], " ", width) {
			used = max(used, textWidth(l))
		}
	}
	return used
}

// tableHeight is how many lines the rows take with columns wrapped at widths.
func tableHeight(rows [][][]string, widths []int) int {
	h := 0
	for _, row := range rows {
		tallest := 0
		for c, cell := range row {
			tallest = max(tallest, len(wrap(cell, " ", widths[c])))
		}
		h += tallest
	}
	return h
}

func textWidth(s string) int { return utf8.RuneCountInString(s) }
