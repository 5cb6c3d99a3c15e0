package smtpport

import "time"

// WithPoolBackoff sets the first retry's backoff, so tests of many retries stay short.
func WithPoolBackoff(d time.Duration) Option { return func(s *settings) { s.poolBackoff = d } }
