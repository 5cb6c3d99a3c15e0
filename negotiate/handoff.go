package negotiate

import (
	"time"

	"github.com/smtpport/smtpport/internal/limits"
)

// handoff gives the caller the connection: the read cap is lifted and no negotiation
// guard stays in the client's reader or writer (hello restores both), so nothing that
// watched the negotiation inspects the mail that follows. What stays is the limits
// layer: RFC 5321 per-command timeouts (at most commandTimeout when positive), a cap on
// each reply, and the hook for a context over a block of calls.
func handoff(c *conn, commandTimeout time.Duration) {
	c.tap.handoff()
	limits.Install(c.client, c.tap, commandTimeout)
}
