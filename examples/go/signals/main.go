// signals: prints each signal it receives. SIGINT and SIGTERM end it (exit codes 130 and 143,
// after saying so); SIGHUP, SIGUSR1, SIGUSR2 and SIGWINCH are reported and it keeps running.
// It also prints a heartbeat every few seconds so a stop (SIGSTOP) and continue are visible.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	fmt.Printf("signals demo ready (pid %d): try SIGUSR1, SIGHUP, SIGSTOP/SIGCONT, SIGTERM\n", os.Getpid())
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	beats := 0
	for {
		select {
		case s := <-ch:
			sig := s.(syscall.Signal)
			fmt.Printf("received %v (signal %d)\n", s, int(sig))
			switch sig {
			case syscall.SIGINT:
				fmt.Println("interrupted: exiting with code 130")
				os.Exit(130)
			case syscall.SIGTERM:
				fmt.Println("terminating: exiting with code 143")
				os.Exit(143)
			case syscall.SIGHUP:
				fmt.Println("reloading configuration (pretend)")
			}
		case <-tick.C:
			beats++
			fmt.Printf("heartbeat %d\n", beats)
		}
	}
}
