// A Go program for the wrapper test: imports net, so that with cgo it is
// dynamically linked (as Debian builds most Go programs).  Writes "ran" to
// the file named by its first argument.
package main

import (
	"net"
	"os"
)

func main() {
	_ = net.ParseIP("192.0.2.1")
	if len(os.Args) > 1 {
		_ = os.WriteFile(os.Args[1], []byte("ran\n"), 0o644)
	}
}
