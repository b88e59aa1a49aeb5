// fifo-producer: creates a named pipe (FIFO) and writes a line to it every interval.
//
//	fifo-producer -path /tmp/ipctap-demo.fifo [-n 20] [-interval 500ms]
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	path := flag.String("path", "/tmp/ipctap-demo.fifo", "FIFO path (created if missing)")
	n := flag.Int("n", 20, "lines to write (0: forever)")
	interval := flag.Duration("interval", 500*time.Millisecond, "pause between lines")
	flag.Parse()
	if _, err := os.Stat(*path); os.IsNotExist(err) {
		if err := syscall.Mkfifo(*path, 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "mkfifo:", err)
			os.Exit(1)
		}
	}
	fmt.Println("opening", *path, "for writing (waits for a reader)")
	f, err := os.OpenFile(*path, os.O_WRONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(1)
	}
	defer f.Close()
	for i := 1; *n == 0 || i <= *n; i++ {
		fmt.Fprintf(f, "reading %d temperature=%.1f\n", i, 20+float64(i%7)/2)
		time.Sleep(*interval)
	}
	fmt.Println("done")
}
