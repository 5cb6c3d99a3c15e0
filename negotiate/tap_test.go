package negotiate

import (
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTapWatchesSTARTTLSReply feeds the tap what a server might send after STARTTLS, in
// the chunks a read could return, and checks what it concludes.
func TestTapWatchesSTARTTLSReply(t *testing.T) {
	cases := []struct {
		name     string
		chunks   []string
		injected bool
		accepted bool
	}{
		{"clean go-ahead then TLS", []string{"220 2.0.0 go ahead\r\n", "\x16\x03\x03"}, false, true},
		{"multi-line go-ahead", []string{"220-hello\r\n220 go\r\n", "\x16\x03\x01"}, false, true},
		{"go-ahead split across reads", []string{"22", "0 go\r", "\n", "\x16"}, false, true},
		{"injection in the same read", []string{"220 go\r\nMAIL FROM:<x@y>\r\n"}, true, true},
		{"partial injected line", []string{"220 go\r\nRCP"}, true, true},
		{"injection in the next segment", []string{"220 go\r\n", "250 fake\r\n"}, true, true},
		{"alert is TLS", []string{"220 go\r\n", "\x15\x03\x03"}, false, true},
		{"refused", []string{"454 4.7.0 TLS not available\r\n"}, false, false},
		{"refused with trailing bytes is not injection", []string{"502 no\r\n250 x\r\n"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tap := newTap(nil, false)
			tap.phase = phaseSTARTTLS
			for _, c := range tc.chunks {
				tap.watch([]byte(c))
			}
			assert.Equal(t, tc.injected, tap.injected)
			assert.Equal(t, tc.accepted, tap.accepted)
		})
	}
}

// TestTapCapsReads: past MaxNegotiationBytes reads fail, and never read past the cap.
func TestTapCapsReads(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := server.Write(buf); err != nil {
				return
			}
		}
	}()
	tap := newTap(client, true)
	total := 0
	buf := make([]byte, 10000)
	var err error
	for err == nil {
		var n int
		n, err = tap.Read(buf)
		total += n
	}
	assert.ErrorIs(t, err, errOversize)
	assert.Equal(t, MaxNegotiationBytes, total)
	tap.handoff()
	n, err := tap.Read(buf)
	assert.NoError(t, err, "after handoff the cap is lifted")
	assert.Positive(t, n)
}
