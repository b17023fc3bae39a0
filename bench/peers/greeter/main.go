// greeter-go-server: a Greeter on grpc-go, the Go peer of greeter-server in bench/greeter (issue 13).
//
// It answers SayHello with "<NAME>: Hello <request name>", as greeter-server does, with no delay and no
// per-call log (as greeter-server at RESPONSE_DELAY=0 LOG_LEVEL=warn and the C++ peer). The server is
// grpc-go's defaults, as its helloworld example starts it (grpc.NewServer() with no options); the
// generated code is grpc-go's own helloworld package, from its examples module.
//
// Environment, as greeter-server's where they apply:
//
//	NAME            the name in every reply (default: the host name)
//	LISTEN_ADDRESS  IP:port to listen on (default 127.0.0.1:50051); a loopback IP only, since this
//	                server is a benchmark peer for this machine
//
// A variable set but empty, or a value that is not valid, exits 2, as greeter-server does.
// SIGTERM/SIGINT: graceful stop (in-flight calls get one second), then exit 0.
// The one log line at start (stderr) says the GOMAXPROCS the runtime chose: bench/greeter checks it.
package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/grpc"
	pb "google.golang.org/grpc/examples/helloworld/helloworld"
)

const prog = "greeter-go-server"

type greeter struct {
	pb.UnimplementedGreeterServer
	name string
}

func (g *greeter) SayHello(_ context.Context, in *pb.HelloRequest) (*pb.HelloReply, error) {
	return &pb.HelloReply{Message: g.name + ": Hello " + in.GetName()}, nil
}

// logf writes one line as greeter-server's log does: "<UTC time> <program> <level> key=value...".
func logf(level, format string, args ...any) {
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	fmt.Fprintf(os.Stderr, "%s %s %s %s\n", ts, prog, level, fmt.Sprintf(format, args...))
}

func fatal(format string, args ...any) {
	logf("error", format, args...)
	os.Exit(2)
}

// env returns the variable's value, or dflt when it is unset; set but empty is an error.
func env(name, dflt string) string {
	v, ok := os.LookupEnv(name)
	if !ok {
		return dflt
	}
	if v == "" {
		fatal(`msg="empty value" var=%s value="" hint="unset it for the default"`, name)
	}
	return v
}

// nameProblem says what is wrong with a NAME, as greeter-server's check does ("" when nothing is).
func nameProblem(s string) string {
	switch {
	case len(s) > 1024:
		return "longer than 1024 bytes"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case strings.ContainsFunc(s, unicode.IsControl):
		return "control character"
	}
	return ""
}

// loopbackProblem says why an address is not a loopback IP:port ("" when it is one).
func loopbackProblem(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "expected IP:port"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return "not a loopback IP address (127.x.y.z or ::1)"
	}
	return ""
}

func main() {
	host, _ := os.Hostname()
	name := env("NAME", host)
	if why := nameProblem(name); why != "" {
		fatal(`msg="invalid name" var=NAME reason="%s"`, why)
	}
	addr := env("LISTEN_ADDRESS", "127.0.0.1:50051")
	if why := loopbackProblem(addr); why != "" {
		fatal(`msg="invalid address" var=LISTEN_ADDRESS value="%s" reason="%s"`, addr, why)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		logf("error", `msg="cannot listen" address=%s reason="%v"`, addr, err)
		os.Exit(1)
	}

	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, &greeter{name: name})

	// On a signal: stop taking calls, let those in flight finish for at most a second, then exit.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	stopped := make(chan struct{})
	go func() {
		<-sig
		force := time.AfterFunc(time.Second, s.Stop)
		s.GracefulStop()
		force.Stop()
		close(stopped)
	}()

	logf("info", "msg=listening name=%s address=%s gomaxprocs=%d numcpu=%d grpc=%s go=%s",
		name, lis.Addr(), runtime.GOMAXPROCS(0), runtime.NumCPU(), grpc.Version, runtime.Version())
	if err := s.Serve(lis); err != nil {
		logf("error", `msg="serve failed" reason="%v"`, err)
		os.Exit(1)
	}
	<-stopped // Serve returns as soon as the listener closes: wait for the calls in flight
}
