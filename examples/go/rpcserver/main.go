// rpcserver: a Go net/rpc server (gob encoding) with an Arith service.
//
//	rpcserver -listen 127.0.0.1:7301      (TCP)
//	rpcserver -listen unix:/tmp/arith.sock (Unix socket)
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"strings"
)

type Args struct{ A, B int }

type Quotient struct{ Quo, Rem int }

type Arith int

func (t *Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

func (t *Arith) Divide(args *Args, quo *Quotient) error {
	if args.B == 0 {
		return errors.New("divide by zero")
	}
	quo.Quo = args.A / args.B
	quo.Rem = args.A % args.B
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:7301", "HOST:PORT or unix:PATH")
	flag.Parse()
	if err := rpc.Register(new(Arith)); err != nil {
		panic(err)
	}
	network, addr := "tcp", *listen
	if strings.HasPrefix(addr, "unix:") {
		network, addr = "unix", strings.TrimPrefix(addr, "unix:")
		os.Remove(addr)
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("rpcserver listening on %s %s (pid %d)\n", network, addr, os.Getpid())
	for {
		conn, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(1)
		}
		fmt.Println("client connected")
		go rpc.ServeConn(conn)
	}
}
