package limits

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"runtime"
	"sync"
	"weak"
)

// registry finds the limits of a client from Dial. Weak keys and a cleanup keep it from
// holding clients alive; the value never points back at its client.
var registry sync.Map // weak.Pointer[smtp.Client] -> *Conn

func register(c *smtp.Client, l *Conn) {
	key := weak.Make(c)
	registry.Store(key, l)
	runtime.AddCleanup(c, func(k weak.Pointer[smtp.Client]) { registry.Delete(k) }, key)
}

// Of returns the limits installed under c, or nil for a client Dial did not make.
func Of(c *smtp.Client) *Conn {
	if c == nil {
		return nil
	}
	v, ok := registry.Load(weak.Make(c))
	if !ok {
		return nil
	}
	return v.(*Conn)
}

// Within runs fn with ctx bounding every read and write on the connection: when ctx
// ends, the I/O in progress fails at once and fn's error wraps ctx's cause. An
// interrupted client is left unusable (its deadline stays past) and must be closed. If
// ctx ends but fn completed, nothing was interrupted and the client stays usable.
func (l *Conn) Within(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("nothing sent: %w", context.Cause(ctx))
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		l.interrupt(context.Cause(ctx))
		close(fired)
	})
	err := fn()
	if stop() {
		return err
	}
	<-fired
	if err == nil {
		l.resume()
		return nil
	}
	if cause := context.Cause(ctx); !errors.Is(err, cause) {
		err = fmt.Errorf("%w: %w", cause, err)
	}
	return err
}
