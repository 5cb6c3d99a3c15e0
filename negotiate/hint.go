package negotiate

import "errors"

// Hint returns the advice attached to the first attempt error in err's tree that has one
// (a known provider reply, such as Microsoft 365's 535 5.7.139), or "". Error strings
// already end with it in parentheses; Hint lets a caller tell whether to add advice of
// its own.
func Hint(err error) string {
	var re *routeError
	if errors.As(err, &re) && re.hint != "" {
		return re.hint
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if h := Hint(e); h != "" {
				return h
			}
		}
	case interface{ Unwrap() error }:
		return Hint(u.Unwrap())
	}
	return ""
}
