package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/testenv"
	"github.com/smtpport/smtpport/presets"
)

// smtpSource is Postfix's own load generator.
const smtpSource = "/usr/sbin/smtp-source"

// postfixPoolTarget is the real Postfix of internal/testenv (its env file names the host,
// CA and account). Every run waits first for Postfix's queue to be empty, so no run
// pays for the deliveries of the one before. Run it under flock /tmp/testenv.lock.
func postfixPoolTarget() (*target, *testenv.Env, error) {
	env, err := testenv.Load()
	if err != nil {
		return nil, nil, err
	}
	if err := env.Ready(10 * time.Second); err != nil {
		return nil, nil, err
	}
	if _, err := env.TLSConfig(); err != nil {
		return nil, nil, err
	}
	tlsConfig := func() *tls.Config {
		c, _ := env.TLSConfig()
		return c
	}
	to := env.Address("bench")
	return &target{
		preset: presets.Custom(env.Host),
		opts: func() []smtpport.Option {
			return []smtpport.Option{
				smtpport.WithTLSConfig(tlsConfig()),
				smtpport.WithLocalName(benchHELO),
				smtpport.WithPassword(env.User, env.Password),
			}
		},
		from: env.User, to: to, msg: newMessage(env.User, to),
		addr465: net.JoinHostPort(env.Host, "465"), tls: tlsConfig, password: env.Password,
		before: func() error { return waitQueueEmpty(env, 2*time.Minute) },
	}, env, nil
}

func waitQueueEmpty(env *testenv.Env, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		empty, err := env.QueueEmpty()
		if err != nil || empty {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postfix queue not empty after %v:\n%s", limit, env.QueueReport())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// smtpSourceCeiling runs smtp-source against port 25: plain SMTP, no TLS, no AUTH, no
// PIPELINING (its man page says so), each session keeping its connection (-d). It does
// less than the contenders, so it bounds what this machine's Postfix accepts.
func smtpSourceCeiling(env *testenv.Env) (*ceiling, error) {
	if _, err := os.Stat(smtpSource); err != nil {
		return nil, err
	}
	size := len(newMessage(env.User, env.Address("bench")))
	return &ceiling{
		name: "ceiling: Postfix smtp-source -d (port 25: plaintext, no AUTH)",
		run: func(conns, messages int) error {
			cmd := exec.Command(smtpSource, "-d", "-s", strconv.Itoa(conns), "-m", strconv.Itoa(messages),
				"-l", strconv.Itoa(size), "-f", env.User, "-t", env.Address("bench"), "-M", benchHELO,
				net.JoinHostPort(env.Addr, "25"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %w: %s", smtpSource, err, out)
			}
			if len(out) > 0 {
				return errors.New(string(out))
			}
			return nil
		},
	}, nil
}
