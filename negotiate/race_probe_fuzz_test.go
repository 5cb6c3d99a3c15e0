package negotiate

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// scriptDialer connects to a fake server that writes script, then hangs up, and records
// everything the client wrote.
type scriptDialer struct {
	script []byte
	wg     sync.WaitGroup
	mu     sync.Mutex
	sent   bytes.Buffer
}

func (d *scriptDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	client, server := net.Pipe()
	d.wg.Add(2)
	go func() { // the client's writes, until the pipe closes
		defer d.wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := server.Read(buf)
			d.mu.Lock()
			d.sent.Write(buf[:n])
			d.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { // the server's script; Write returns once the client has read it all
		defer d.wg.Done()
		server.Write(d.script)
		server.Close()
	}()
	return client, nil
}

// FuzzProbe feeds arbitrary server bytes to a probe (Config.Probe): it must not panic or
// hang, must never send AUTH or HELO, never report a hostile server ready, and never pass
// control characters through in the text its Trace reports.
func FuzzProbe(f *testing.F) {
	f.Add([]byte("220 mail ESMTP\r\n250-mail\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n220 go ahead\r\n"), false)
	f.Add([]byte("220 mail ESMTP\r\n250-mail\r\n250 AUTH PLAIN\r\n221 bye\r\n"), false)
	f.Add([]byte("220 mail\r\n250-mail\r\n250 STARTTLS\r\n220 go ahead\r\n250 injected\r\n"), false)
	f.Add([]byte("220-a\r\n220-\x1b[2Jb\r\n220 c\u202e\r\n250 x\r\n"), false)
	f.Add([]byte("\x16\x03\x01\x00\x05hello"), true)
	f.Add([]byte("554 go away\r\n"), false)
	f.Fuzz(func(t *testing.T, script []byte, implicit bool) {
		route := Route{Host: "mail.example.test", Port: 587, Security: STARTTLS}
		if implicit {
			route.Port, route.Security = 465, ImplicitTLS
		}
		d := &scriptDialer{script: script}
		var (
			mu    sync.Mutex
			texts []string
		)
		trace := &Trace{
			Greeting: func(_ Route, text string) {
				mu.Lock()
				defer mu.Unlock()
				texts = append(texts, text)
			},
			EHLO: func(_ Route, ext map[string]string, _ bool) {
				mu.Lock()
				defer mu.Unlock()
				for k, v := range ext {
					texts = append(texts, k, v)
				}
			},
		}
		start := time.Now()
		defer func() {
			if el := time.Since(start); el > 3*time.Second { // the attempt timeout is 5 s: nothing may wait for it
				t.Fatalf("probe took %s", el)
			}
		}()
		res, err := Negotiate(context.Background(), Config{Routes: []Route{route}, Dialer: d, LocalName: "probe.example",
			AttemptTimeout: 5 * time.Second, Probe: true, Trace: trace})
		d.wg.Wait()

		if err == nil {
			t.Fatalf("a scripted server without a certificate was reported ready: %+v", res)
		}
		for _, line := range strings.Split(d.sent.String(), "\r\n") {
			upper := strings.ToUpper(line)
			if strings.HasPrefix(upper, "AUTH") || strings.HasPrefix(upper, "HELO") || strings.HasPrefix(upper, "MAIL") {
				t.Fatalf("probe sent %q", line)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range texts {
			if strings.ContainsFunc(s, func(c rune) bool { return unicode.IsControl(c) || (c >= 0x202a && c <= 0x202e) }) {
				t.Fatalf("unsanitised server text %q", s)
			}
		}
	})
}
