// go_fetch URL: an HTTP GET with Go's own resolver and system calls (or
// the C library's resolver when built with cgo); prints the body.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	c := &http.Client{Timeout: 15 * time.Second}
	r, err := c.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_fetch:", err)
		os.Exit(1)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	os.Stdout.Write(b)
}
