package smtptest

import "testing"

func TestReply(t *testing.T) {
	cases := []struct {
		code  int
		lines []string
		want  string
	}{
		{220, []string{"ready"}, "220 ready\r\n"},
		{250, []string{"host", "STARTTLS", "AUTH PLAIN"}, "250-host\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"},
		{502, nil, "502 \r\n"},
	}
	for _, tc := range cases {
		if got := string(Reply(tc.code, tc.lines...)); got != tc.want {
			t.Errorf("Reply(%d, %q) = %q, want %q", tc.code, tc.lines, got, tc.want)
		}
	}
}

func TestBadCertsDiffer(t *testing.T) {
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range BadCerts {
		if _, err := b.Issue(ca, DefaultHostname); err != nil {
			t.Errorf("%v: %v", b, err)
		}
	}
}
