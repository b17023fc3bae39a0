//go:build tools

// Package tools names the commands scripts/grpc-xds.sh builds from grpc-go, so
// that go mod tidy keeps their dependencies (cmd/lbstats is ours).
package tools

import (
	_ "google.golang.org/grpc/interop/xds/client"
	_ "google.golang.org/grpc/interop/xds/server"
)
