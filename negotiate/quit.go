package negotiate

import (
	"context"
	"net/smtp"
	"time"
)

// quitWait bounds the QUIT exchange, so a server that never answers it does not hold
// a probe for the rest of its timeout.
const quitWait = 2 * time.Second

// quit says QUIT, reads the reply whatever it is, and closes the connection: how a
// probe parts from a route. It bypasses the textproto pipeline: a command whose write
// failed (the server hung up) never ends its response there, and the pipeline would
// then hold QUIT forever, deaf to the deadline.
func quit(ctx context.Context, c *smtp.Client, tap *tapConn) {
	defer c.Close()
	dl := time.Now().Add(quitWait)
	if cdl, ok := ctx.Deadline(); ok && cdl.Before(dl) {
		dl = cdl
	}
	tap.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { tap.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if c.Text.PrintfLine("QUIT") == nil {
		c.Text.ReadResponse(0)
	}
}
