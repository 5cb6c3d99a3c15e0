//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openPTY opens a pseudo-terminal pair with the Linux ioctls on /dev/ptmx (what
// posix_openpt, unlockpt and ptsname do), so the test needs neither a pty library
// nor tmux.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", errno)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// TestTerminalProgress builds the binary and runs 'smtpport probe' on a real
// pseudo-terminal against a server on loopback: one healthy STARTTLS route, one
// healthy implicit-TLS route, and one that accepts but holds its greeting, so the
// live line of that route is redrawn while it waits.
func TestTerminalProgress(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "smtpport")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	hold := make(chan struct{})
	srv, err := smtptest.NewServer(smtptest.Config{Hostname: "127.0.0.1"})
	require.NoError(t, err)
	t.Cleanup(func() { close(hold); srv.Close() })
	var routes []string
	for _, ep := range []smtptest.Endpoint{
		{Port: 587, Security: negotiate.STARTTLS},
		{Port: 465, Security: negotiate.ImplicitTLS},
		{Port: 2525, Security: negotiate.STARTTLS, HoldGreeting: hold},
	} {
		addr, err := srv.Listen(ep)
		require.NoError(t, err)
		routes = append(routes, addr+"/"+ep.Security.String())
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, caPEM(srv.CA()), 0o600))

	master, slave, err := openPTY()
	require.NoError(t, err)
	defer master.Close()
	// The test keeps its own slave open until it has read everything: closing the last
	// slave hangs the terminal up, and a hang-up can race the output still buffered.
	defer slave.Close()
	cmd := exec.Command(bin, append([]string{"probe", "--ca", caFile, "--timeout", "3s"}, routes...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = append(os.Environ(), "TERM=xterm")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	require.NoError(t, cmd.Start())

	// Read until the verdict line is complete; the deadline only bounds a broken run.
	require.NoError(t, master.SetReadDeadline(time.Now().Add(30*time.Second)))
	var screen bytes.Buffer
	verdict := regexp.MustCompile(`Verdict: [^\n]*\n`)
	read := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			screen.Write(buf[:n])
			if verdict.Match(screen.Bytes()) {
				read <- nil
				return
			}
			if err != nil {
				read <- err
				return
			}
		}
	}()
	readErr := <-read
	waitErr := cmd.Wait()
	require.NoError(t, readErr, "reading the terminal; screen so far:\n%s", screen.String())
	require.NoError(t, waitErr, "exit status 0: a route is usable; screen:\n%s", screen.String())

	got := screen.String()
	assert.Contains(t, got, "\x1b[3A", "cursor up over the three route lines")
	assert.Contains(t, got, "\r\x1b[2K", "each line cleared before it is redrawn")
	_, held, _ := strings.Cut(routes[2], ":") // "41687/starttls": one host, so lines name the port
	assert.Regexp(t, regexp.QuoteMeta(held)+`\s+greeting…\s+0\.[1-9]s`, got, "the held route's line counts up while it waits")
	assert.Regexp(t, regexp.QuoteMeta(held)+`\s+greeting…\s+[12]\.\ds`, got)
	assert.Regexp(t, regexp.QuoteMeta(held)+`\s+unreachable\s+at greeting after [0-9.]+s`, got)
	assert.Contains(t, got, "ok          verified TLS 1.3, AUTH PLAIN LOGIN")
	assert.Contains(t, got, "Verdict: Dial would use "+routes[0][:len(routes[0])-len("/starttls")]+"/starttls")
	assert.Contains(t, got, "certificate  CN=127.0.0.1, issued by CN=smtptest CA")
}
