package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestLoadMissingEnvironment(t *testing.T) {
	t.Setenv("SMTPPORT_TESTENV_DIR", t.TempDir())
	_, err := Load()
	require.ErrorContains(t, err, "environment not up")
	require.ErrorContains(t, err, "testenv.sh up")
}

func TestLoadIncompleteFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SMTPPORT_TESTENV_DIR", dir)
	write(t, filepath.Join(dir, "testenv.env"), "SMTPPORT_TESTENV_HOST=mail.smtpport.test\n")
	_, err := Load()
	require.ErrorContains(t, err, "missing from")
}

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testenv.env")
	write(t, path, "A=1\nB=x=y\n\nnot a pair\nC=\n")
	vals, err := readEnvFile(path)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"A": "1", "B": "x=y", "C": ""}, vals)
}

func TestMessages(t *testing.T) {
	e := &Env{Maildir: filepath.Join(t.TempDir(), "tester")}
	msgs, err := e.Messages()
	require.NoError(t, err, "a Maildir that does not exist yet is empty")
	require.Empty(t, msgs)

	write(t, filepath.Join(e.Maildir, "new", "1.a"), "Message-ID: <one@x>\r\nSubject: 1\r\n\r\nbody\r\n")
	write(t, filepath.Join(e.Maildir, "cur", "2.b:2,S"), "Subject: 2\nMessage-Id:  <two@x> \n\nbody\n")
	require.NoError(t, os.MkdirAll(filepath.Join(e.Maildir, "tmp"), 0o755))
	write(t, filepath.Join(e.Maildir, "tmp", "3.c"), "Message-ID: <partial@x>\n\n")

	msgs, err = e.Messages()
	require.NoError(t, err)
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.MessageID)
	}
	require.ElementsMatch(t, []string{"one@x", "two@x"}, ids, "new/ and cur/, never tmp/")
}

func TestQueueEmpty(t *testing.T) {
	e := &Env{Spool: t.TempDir()}
	empty, err := e.QueueEmpty()
	require.NoError(t, err)
	require.True(t, empty)

	// A cleanup(8) file left unfinished by a stop mid-message (0600) is never delivered.
	unfinished := filepath.Join(e.Spool, "incoming", "50E1777E997")
	write(t, unfinished, "")
	require.NoError(t, os.Chmod(unfinished, 0o600))
	empty, err = e.QueueEmpty()
	require.NoError(t, err)
	require.True(t, empty, "an unfinished incoming file is not mail to deliver")

	require.NoError(t, os.Chmod(unfinished, 0o700)) // finished: qmgr will take it
	empty, err = e.QueueEmpty()
	require.NoError(t, err)
	require.False(t, empty)
	require.NoError(t, os.Remove(unfinished))

	write(t, filepath.Join(e.Spool, "active", "A", "4F2A1B"), "queue file")
	empty, err = e.QueueEmpty()
	require.NoError(t, err)
	require.False(t, empty)
}

func TestLogSince(t *testing.T) {
	e := &Env{PostfixLog: filepath.Join(t.TempDir(), "postfix.log")}
	write(t, e.PostfixLog, "one\n")
	off := e.LogOffset()
	f, err := os.OpenFile(e.PostfixLog, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("two\nthree\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	lines, err := e.LogSince(off)
	require.NoError(t, err)
	require.Equal(t, []string{"two", "three"}, lines)

	lines, err = e.LogSince(1 << 20) // past the end: the log was recreated
	require.NoError(t, err)
	require.Equal(t, "one two three", strings.Join(lines, " "))
}

func TestAddress(t *testing.T) {
	e := &Env{User: "tester@smtpport.test"}
	require.Equal(t, "tester@smtpport.test", e.Address(""))
	require.Equal(t, "tester+bulk@smtpport.test", e.Address("bulk"))
}
