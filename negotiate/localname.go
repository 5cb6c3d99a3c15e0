package negotiate

import (
	"net"
	"os"
	"strings"
	"sync"
)

var hostname = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil || !strings.Contains(h, ".") || validateLocalName(h) != nil {
		return ""
	}
	return h
})

// defaultLocalName is this machine's dotted host name, else an RFC 5321 address literal
// for the local end of the connection. Some relays reject "EHLO localhost".
func defaultLocalName(local net.Addr) string {
	if h := hostname(); h != "" {
		return h
	}
	if ta, ok := local.(*net.TCPAddr); ok {
		if ip4 := ta.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + ta.IP.String() + "]"
	}
	return "localhost"
}
