// rpcclient: calls the Arith service of rpcserver a few times and exits.
//
//	rpcclient -connect 127.0.0.1:7300 [-n 5] [-interval 200ms]
//	rpcclient -connect unix:/tmp/arith.sock
package main

import (
	"flag"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"strings"
	"time"
)

type Args struct{ A, B int }

type Quotient struct{ Quo, Rem int }

func dial(target string, wait time.Duration) (net.Conn, error) {
	network, addr := "tcp", target
	if strings.HasPrefix(addr, "unix:") {
		network, addr = "unix", strings.TrimPrefix(addr, "unix:")
	} else if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	deadline := time.Now().Add(wait)
	for {
		c, err := net.Dial(network, addr)
		if err == nil || time.Now().After(deadline) {
			return c, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func main() {
	target := flag.String("connect", "127.0.0.1:7301", "HOST:PORT or unix:PATH")
	n := flag.Int("n", 5, "number of Multiply calls")
	interval := flag.Duration("interval", 200*time.Millisecond, "pause between calls")
	flag.Parse()
	conn, err := dial(*target, 10*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	for i := 1; i <= *n; i++ {
		var product int
		if err := client.Call("Arith.Multiply", &Args{A: i, B: 7}, &product); err != nil {
			fmt.Fprintln(os.Stderr, "Multiply:", err)
			os.Exit(1)
		}
		fmt.Printf("%d * 7 = %d\n", i, product)
		time.Sleep(*interval)
	}
	var q Quotient
	if err := client.Call("Arith.Divide", &Args{A: 17, B: 5}, &q); err == nil {
		fmt.Printf("17 / 5 = %d rem %d\n", q.Quo, q.Rem)
	}
	if err := client.Call("Arith.Divide", &Args{A: 1, B: 0}, &q); err != nil {
		fmt.Println("1 / 0:", err)
	}
}
