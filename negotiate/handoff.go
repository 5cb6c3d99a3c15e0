package negotiate

// handoff gives the caller the connection: the read cap is lifted and no negotiation
// guard stays in the client's reader or writer (hello restores both), so nothing that
// watched the negotiation inspects the mail that follows. The connection has no deadline
// and no context watcher left.
func handoff(c *conn) {
	c.tap.handoff()
}
