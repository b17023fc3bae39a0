// grpc-go's Greeter, the Go peer of greeter-server in bench/greeter (issue 13). The helloworld package
// is grpc-go's own (its examples module, which has no release tags of its own: this is the pseudo-version
// the Go module proxy serves). Built by bench/greeter/run.sh (go_peer_build).
module grpclb.local/peers/greeter

go 1.26.0

require (
	google.golang.org/grpc v1.85.0
	google.golang.org/grpc/examples v0.0.0-20260825154716-030ee8becb20
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
