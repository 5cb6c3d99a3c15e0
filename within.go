package smtpport

import (
	"context"
	"fmt"
	"net/smtp"

	"github.com/smtpport/smtpport/internal/limits"
)

// Within runs fn, a block of calls on c, with ctx bounding all of them: when ctx ends,
// the read or write in progress fails at once and the error wraps ctx's cause. The
// per-command timeouts still apply inside. After an error the client's state is unknown:
// close it. c must come from Dial or Negotiate; any other client is an ErrConfig error.
func Within(ctx context.Context, c *smtp.Client, fn func() error) error {
	l := limits.Of(c)
	if l == nil {
		return fmt.Errorf("%w: smtpport.Within: the client was not made by smtpport.Dial", ErrConfig)
	}
	return l.Within(ctx, fn)
}
