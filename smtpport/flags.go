package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlagSet makes a subcommand's flag set. It prints nothing itself: parseArgs turns
// -h/--help into a help flag and errors into one-line usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("smtpport "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags that may come before or after the positional arguments
// ("smtpport probe gmail --json" and "smtpport probe --json gmail" both work) and
// returns the positional ones. help is true when -h or --help was given.
func parseArgs(fs *flag.FlagSet, args []string) (positional []string, help bool, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, true, nil
			}
			return nil, false, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, false, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), false, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// printHelp writes a command's help: the summary, then every flag with its meaning.
func printHelp(w io.Writer, summary string, fs *flag.FlagSet) {
	fmt.Fprint(w, summary)
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0s" {
			usage += " (default " + f.DefValue + ")"
		}
		// Descriptions wrap at tableWidth, under their first line.
		const indent = 29
		for i, l := range wrap(strings.Fields(usage), " ", tableWidth-indent) {
			if i > 0 {
				line = ""
			}
			fmt.Fprintf(w, "%-*s%s\n", indent, line+" ", l)
		}
	})
}

// usageError reports a usage mistake in one line, points at the help, and returns 2.
func usageError(e *env, command string, err error) int {
	fmt.Fprintf(e.stderr, "smtpport: %s\n", oneLine(err.Error()))
	if command == "" {
		fmt.Fprintln(e.stderr, "Run 'smtpport --help' for usage.")
	} else {
		fmt.Fprintf(e.stderr, "Run 'smtpport %s --help' for usage.\n", command)
	}
	return exitUsage
}

// listFlag is a flag that may be repeated: --to a --to b (or --to a,b).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
