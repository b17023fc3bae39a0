// The wrapper module that builds grpc-go's xDS interop client and server from
// the Go module proxy (scripts/grpc-xds.sh), plus our lbstats (cmd/lbstats).
// Since grpc v1.65.0, interop/xds is a module of its own (replace
// google.golang.org/grpc => ../.., pseudo-versions only) that this machine's
// module proxy does not serve (403 for the pseudo-versions of the v1.83.0 and
// v1.83.1 commits); v1.64.1 is the newest release whose own module still holds
// interop/xds/client and interop/xds/server.
module grpclb.local/grpc-xds

go 1.26.0

require (
	github.com/envoyproxy/go-control-plane v0.12.0
	google.golang.org/grpc v1.64.1
	google.golang.org/protobuf v1.33.0
)

require (
	cloud.google.com/go/compute v1.25.1 // indirect
	cloud.google.com/go/compute/metadata v0.2.3 // indirect
	github.com/census-instrumentation/opencensus-proto v0.4.1 // indirect
	github.com/cespare/xxhash/v2 v2.2.0 // indirect
	github.com/cncf/xds/go v0.0.0-20240318125728-8a4994d93e50 // indirect
	github.com/envoyproxy/protoc-gen-validate v1.0.4 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	golang.org/x/net v0.26.0 // indirect
	golang.org/x/oauth2 v0.18.0 // indirect
	golang.org/x/sync v0.7.0 // indirect
	golang.org/x/sys v0.21.0 // indirect
	golang.org/x/text v0.16.0 // indirect
	google.golang.org/appengine v1.6.8 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20240318140521-94a12d6c2237 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20240318140521-94a12d6c2237 // indirect
)
