package smtpport

import "github.com/smtpport/smtpport/negotiate"

// WithRouteMemory remembers, per preset and user name, the route that worked: the next
// Dial tries it alone first (one connection, no race) and races the other routes only if
// it fails at connect level. A certificate or protocol failure forgets it; memos expire
// after a week unused. Use NewMemory for one process, OpenFileMemory to keep memos
// across runs. Without this option every Dial races from scratch.
func WithRouteMemory(m negotiate.RouteMemory) Option {
	return func(s *settings) { s.cfg.Memory = m }
}

// memoryKey names an account in route memory. The NUL cannot occur in a preset name or
// a user name that reaches the wire, so distinct pairs never share a key.
func memoryKey(preset, username string) string {
	return preset + "\x00" + username
}
