package negotiate

import "net"

// quickAck is replaced by the platform files from the quick-ACK work.
func quickAck(net.Conn) {}
