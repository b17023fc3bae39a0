// Command lbstats asks grpc-go's xDS interop client, through its stats port,
// what it did and what it holds: the services gRPC's xDS interop tests drive
// (grpc/grpc doc/xds-test-descriptions.md), from a shell.
//
//	lbstats -addr HOST:PORT stats [-n 100] [-timeout 10s]   peers of the next N RPCs
//	lbstats -addr HOST:PORT accumulated                     counts since the client started
//	lbstats -addr HOST:PORT configure [-rpc UnaryCall,EmptyCall] [-metadata TYPE:KEY:VALUE,...] [-timeout-sec N]
//	lbstats -addr HOST:PORT csds                            the client's xDS resources and their status
//
// Each prints JSON on stdout. An RPC error is printed on stderr and exits 1; a
// usage error exits 2.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	statuspb "github.com/envoyproxy/go-control-plane/envoy/service/status/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/grpclog"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

const usage = `usage: lbstats -addr HOST:PORT COMMAND [flags]
commands:
  stats [-n 100] [-timeout 10s]       LoadBalancerStatsService.GetClientStats: peers of the next N RPCs
  accumulated                         LoadBalancerStatsService.GetClientAccumulatedStats
  configure [-rpc UnaryCall,EmptyCall] [-metadata TYPE:KEY:VALUE,...] [-timeout-sec N]
                                      XdsUpdateClientConfigureService.Configure
  csds                                ClientStatusDiscoveryService.FetchClientStatus: every xDS resource
                                      with its type, name, version, client_status and error_state
`

// rpcDeadline bounds every call but stats, whose deadline is its -timeout plus this.
const rpcDeadline = 10 * time.Second

func main() {
	top := flag.NewFlagSet("lbstats", flag.ContinueOnError)
	top.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	addr := top.String("addr", "", "the interop client's stats address (its --stats_port), e.g. 127.0.0.1:8081")
	if err := top.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *addr == "" || top.NArg() == 0 {
		top.Usage()
		os.Exit(2)
	}
	// Only gRPC's errors: GRPC_GO_LOG_* set for the interop client would otherwise fill stderr.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, os.Stderr))
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("%s: %v", *addr, err)
	}
	cmd, args := top.Arg(0), top.Args()[1:]
	switch cmd {
	case "stats":
		err = stats(conn, args)
	case "accumulated":
		err = accumulated(conn, args)
	case "configure":
		err = configure(conn, args)
	case "csds":
		err = csds(conn, args)
	default:
		fmt.Fprintf(os.Stderr, "lbstats: unknown command %q\n", cmd)
		top.Usage()
		os.Exit(2)
	}
	if err != nil {
		fail("%s %s: %v", cmd, *addr, err)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "lbstats: "+format+"\n", a...)
	os.Exit(1)
}

// parse parses a command's flags; a usage error exits 2.
func parse(fs *flag.FlagSet, args []string) {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "lbstats %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		os.Exit(2)
	}
}

func stats(conn *grpc.ClientConn, args []string) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	n := fs.Int("n", 100, "the number of RPCs to wait for")
	timeout := fs.Duration("timeout", 10*time.Second, "return partial stats after this long (whole seconds)")
	parse(fs, args)
	secs := int32(timeout.Round(time.Second) / time.Second)
	if *n <= 0 || secs <= 0 {
		fmt.Fprintln(os.Stderr, "lbstats stats: -n and -timeout must be positive (-timeout at least 1s)")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs)*time.Second+rpcDeadline)
	defer cancel()
	resp, err := testgrpc.NewLoadBalancerStatsServiceClient(conn).GetClientStats(ctx,
		&testpb.LoadBalancerStatsRequest{NumRpcs: int32(*n), TimeoutSec: secs})
	if err != nil {
		return err
	}
	return printProto(resp)
}

func accumulated(conn *grpc.ClientConn, args []string) error {
	parse(flag.NewFlagSet("accumulated", flag.ContinueOnError), args)
	ctx, cancel := context.WithTimeout(context.Background(), rpcDeadline)
	defer cancel()
	resp, err := testgrpc.NewLoadBalancerStatsServiceClient(conn).GetClientAccumulatedStats(ctx,
		&testpb.LoadBalancerAccumulatedStatsRequest{})
	if err != nil {
		return err
	}
	return printProto(resp)
}

// rpcTypes maps the interop client's RPC names to the Configure request's enum.
var rpcTypes = map[string]testpb.ClientConfigureRequest_RpcType{
	"UnaryCall": testpb.ClientConfigureRequest_UNARY_CALL,
	"EmptyCall": testpb.ClientConfigureRequest_EMPTY_CALL,
}

func rpcType(name string) testpb.ClientConfigureRequest_RpcType {
	t, ok := rpcTypes[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "lbstats configure: unknown RPC type %q (UnaryCall or EmptyCall)\n", name)
		os.Exit(2)
	}
	return t
}

func configure(conn *grpc.ClientConn, args []string) error {
	fs := flag.NewFlagSet("configure", flag.ContinueOnError)
	rpcs := fs.String("rpc", "UnaryCall", "the RPC types to send, comma-separated: UnaryCall, EmptyCall")
	md := fs.String("metadata", "", "metadata per RPC type, comma-separated TYPE:KEY:VALUE (the client's --metadata format)")
	timeoutSec := fs.Int("timeout-sec", 0, "per-RPC timeout in seconds (0: the client's --rpc_timeout)")
	parse(fs, args)
	req := &testpb.ClientConfigureRequest{TimeoutSec: int32(*timeoutSec)}
	for _, name := range strings.Split(*rpcs, ",") {
		req.Types = append(req.Types, rpcType(name))
	}
	if *md != "" {
		for _, entry := range strings.Split(*md, ",") {
			// One key and value per entry; the value may hold colons.
			parts := strings.SplitN(entry, ":", 3)
			if len(parts) != 3 || parts[1] == "" {
				fmt.Fprintf(os.Stderr, "lbstats configure: metadata %q is not TYPE:KEY:VALUE\n", entry)
				os.Exit(2)
			}
			req.Metadata = append(req.Metadata, &testpb.ClientConfigureRequest_Metadata{
				Type: rpcType(parts[0]), Key: parts[1], Value: parts[2]})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), rpcDeadline)
	defer cancel()
	if _, err := testgrpc.NewXdsUpdateClientConfigureServiceClient(conn).Configure(ctx, req); err != nil {
		return err
	}
	return printProto(req) // what the client now sends
}

// resource is one line of csds's output.
type resource struct {
	Type         string      `json:"type"`
	Name         string      `json:"name"`
	Version      string      `json:"version"`
	ClientStatus string      `json:"client_status"`
	ErrorState   *errorState `json:"error_state,omitempty"`
}

type errorState struct {
	Details           string `json:"details"`
	VersionInfo       string `json:"version_info"`
	LastUpdateAttempt string `json:"last_update_attempt,omitempty"`
}

// typeOrder lists resources in the order a gRPC client asks for them.
var typeOrder = map[string]int{
	"envoy.config.listener.v3.Listener":              0,
	"envoy.config.route.v3.RouteConfiguration":       1,
	"envoy.config.cluster.v3.Cluster":                2,
	"envoy.config.endpoint.v3.ClusterLoadAssignment": 3,
}

func csds(conn *grpc.ClientConn, args []string) error {
	parse(flag.NewFlagSet("csds", flag.ContinueOnError), args)
	ctx, cancel := context.WithTimeout(context.Background(), rpcDeadline)
	defer cancel()
	resp, err := statuspb.NewClientStatusDiscoveryServiceClient(conn).FetchClientStatus(ctx, &statuspb.ClientStatusRequest{})
	if err != nil {
		return err
	}
	out := []resource{}
	for _, cfg := range resp.GetConfig() {
		for _, x := range cfg.GetGenericXdsConfigs() {
			typ := x.GetTypeUrl()
			r := resource{Type: typ[strings.LastIndex(typ, "/")+1:], Name: x.GetName(),
				Version: x.GetVersionInfo(), ClientStatus: x.GetClientStatus().String()}
			if e := x.GetErrorState(); e != nil {
				r.ErrorState = &errorState{Details: e.GetDetails(), VersionInfo: e.GetVersionInfo()}
				if e.GetLastUpdateAttempt() != nil {
					r.ErrorState.LastUpdateAttempt = e.GetLastUpdateAttempt().AsTime().Format(time.RFC3339Nano)
				}
			}
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i].Type), rank(out[j].Type)
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

func rank(typ string) int {
	if r, ok := typeOrder[typ]; ok {
		return r
	}
	return len(typeOrder)
}

// printProto prints m as JSON with the .proto field names (rpcs_by_peer, num_failures, ...).
func printProto(m proto.Message) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true, Multiline: true}.Marshal(m)
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}
