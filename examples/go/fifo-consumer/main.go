// fifo-consumer: reads lines from a named pipe and prints them.
//
//	fifo-consumer -path /tmp/ipctap-demo.fifo
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	path := flag.String("path", "/tmp/ipctap-demo.fifo", "FIFO path (created if missing)")
	flag.Parse()
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(*path); err == nil {
			break
		}
		if i == 0 {
			syscall.Mkfifo(*path, 0o600)
		}
		time.Sleep(100 * time.Millisecond)
	}
	f, err := os.Open(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(1)
	}
	defer f.Close()
	in := bufio.NewScanner(f)
	n := 0
	for in.Scan() {
		n++
		fmt.Printf("got: %s\n", in.Text())
	}
	fmt.Printf("writer closed the FIFO after %d lines\n", n)
}
