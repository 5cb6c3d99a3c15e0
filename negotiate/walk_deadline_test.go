package negotiate

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// deadlineDialer fails the way net.Dialer does when its socket deadline, taken from the
// context, fires a moment before the context's own timer: a plain i/o timeout while
// ctx.Err() may still be nil.
type deadlineDialer struct{}

func (deadlineDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	dl, _ := ctx.Deadline()
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
}

// TestDeadlineIsWrappedWhenTheSocketTimesOutFirst: the error wraps
// context.DeadlineExceeded whichever of the two timers fires first.
func TestDeadlineIsWrappedWhenTheSocketTimesOutFirst(t *testing.T) {
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		_, err := Negotiate(ctx, Config{
			Routes:  []Route{{"a.example", 587, STARTTLS}, {"a.example", 465, ImplicitTLS}},
			Dialer:  deadlineDialer{},
			Stagger: time.Millisecond,
		})
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, ErrUnreachable)
	}
}
