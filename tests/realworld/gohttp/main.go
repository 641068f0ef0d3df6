// A small HTTP server for the static-binary realworld test
// (tests/realworld/test_static.c), built there with CGO_ENABLED=0 so that
// the Go toolchain links it statically.  It answers each request with its
// pid, the time and a request count, so that a test can see virtual pids
// and virtual time from inside a static Go program.
package main

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

func main() {
	addr := os.Args[1]
	var served int64
	started := time.Now()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n := atomic.AddInt64(&served, 1)
		fmt.Fprintf(w, "go pid %d request %d at %s, up %s\n", os.Getpid(), n,
			time.Now().UTC().Format(time.RFC3339), time.Since(started).Truncate(time.Millisecond))
	})
	fmt.Printf("go server pid %d listening on %s\n", os.Getpid(), addr)
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
