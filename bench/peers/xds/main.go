// Command xds-peer is xdsd's peer in bench/xds (issue 13): go-control-plane's snapshot cache and
// state-of-the-world ADS server, serving gRPC clients the resources xdsd serves for the same config
// file, and reloading it on the trigger xdsd reacts to.
//
//	xds-peer --config PATH --listen 127.0.5.2:9002
//
// The config is the part of xdsd's schema (docs/xdsd.md) that bench/xds writes: listeners with routes
// to weighted clusters, clusters with IPv4 endpoints; any other key is an error. The resources are
// those of src/xds/snapshot.c for gRPC clients (API listeners): the same names, types and contents.
// As in xdsd, every node gets the same resources, a type's version moves only when its content
// changes, and any event in the file's folder is followed, 100 ms after the last one, by a read of
// the file (also every 2 s, and on SIGHUP); the same bytes change nothing, a bad file keeps the last
// good config. Bad flags exit 2, an address that cannot be bound exits 1, SIGTERM and SIGINT exit 0
// after logging the streams and NACKs seen.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	upstreamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/fsnotify/fsnotify"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	debounce = 100 * time.Millisecond // xdsd's WATCH_DEBOUNCE_MS
	period   = 2 * time.Second        // xdsd's WATCH_PERIOD_MS
	nodeKey  = "every-node"           // the one snapshot's key
)

// The config: field names are the YAML keys (yaml.v3 lower-cases them).
type config struct {
	Name string
	Spec struct {
		Listeners []listenerConfig
		Clusters  []clusterConfig
	}
}

type listenerConfig struct {
	Name    string
	Address string // Envoy's socket listener, which the peer does not serve (see below)
	Port    uint32
	Routes  []routeConfig
}

type routeConfig struct {
	Name     string
	Prefix   string
	Clusters []struct {
		Name   string
		Weight *uint32
	}
}

type clusterConfig struct {
	Name      string
	Endpoints []struct {
		Address string
		Port    uint32
	}
}

// parseConfig decodes a config, makes the checks of xdsd's config.c that this subset needs, and
// fills in its defaults (prefix "/", the weight 100 of a route's only cluster).
func parseConfig(data []byte) (*config, error) {
	var c config
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	if err := d.Decode(&c); errors.Is(err, io.EOF) {
		return nil, errors.New("empty file")
	} else if err != nil {
		return nil, err
	}
	clusters := map[string]bool{}
	for _, cl := range c.Spec.Clusters {
		if cl.Name == "" || clusters[cl.Name] {
			return nil, fmt.Errorf("cluster %q: a cluster needs a name of its own", cl.Name)
		}
		clusters[cl.Name] = true
		for _, e := range cl.Endpoints {
			if a, err := netip.ParseAddr(e.Address); err != nil || !a.Is4() {
				return nil, fmt.Errorf("cluster %q: endpoint %q is not an IPv4 literal (the peer resolves no names)", cl.Name, e.Address)
			}
			if e.Port < 1 || e.Port > 65535 {
				return nil, fmt.Errorf("cluster %q: endpoint port %d is not 1..65535", cl.Name, e.Port)
			}
		}
	}
	listeners := map[string]bool{}
	for _, l := range c.Spec.Listeners {
		if l.Name == "" || listeners[l.Name] {
			return nil, fmt.Errorf("listener %q: a listener needs a name of its own", l.Name)
		}
		listeners[l.Name] = true
		if len(l.Routes) == 0 {
			return nil, fmt.Errorf("listener %q has no routes", l.Name)
		}
		for i := range l.Routes {
			r := &l.Routes[i]
			if r.Prefix == "" {
				r.Prefix = "/"
			} else if !strings.HasPrefix(r.Prefix, "/") {
				return nil, fmt.Errorf("listener %q: route prefix %q must start with \"/\"", l.Name, r.Prefix)
			}
			if len(r.Clusters) == 0 {
				return nil, fmt.Errorf("listener %q: a route needs a cluster", l.Name)
			}
			sum := uint32(0)
			for j := range r.Clusters {
				w := &r.Clusters[j]
				if !clusters[w.Name] {
					return nil, fmt.Errorf("listener %q: cluster %q is not defined", l.Name, w.Name)
				}
				if w.Weight == nil && len(r.Clusters) > 1 {
					return nil, fmt.Errorf("listener %q: cluster %q needs a weight", l.Name, w.Name)
				}
				if w.Weight == nil {
					w.Weight = proto.Uint32(100)
				}
				if *w.Weight > 100 {
					return nil, fmt.Errorf("listener %q: cluster %q has weight %d, over 100", l.Name, w.Name, *w.Weight)
				}
				sum += *w.Weight
			}
			if sum != 100 {
				return nil, fmt.Errorf("listener %q: route weights sum to %d, not 100", l.Name, sum)
			}
		}
	}
	return &c, nil
}

// resources builds, per type, what snapshot.c builds for gRPC clients. (xdsd also builds a socket
// listener of the same name for each listener with a port, which it serves to wildcard LDS
// subscriptions, Envoy's; one snapshot cannot hold two listeners of one name, and bench/xds's clients
// name their listener, so the peer serves the API listeners only.)
func resources(c *config) map[resource.Type][]types.Resource {
	out := map[resource.Type][]types.Resource{
		resource.ListenerType: nil, resource.RouteType: nil, resource.ClusterType: nil, resource.EndpointType: nil,
	}
	for _, l := range c.Spec.Listeners {
		out[resource.ListenerType] = append(out[resource.ListenerType], apiListener(l.Name))
		out[resource.RouteType] = append(out[resource.RouteType], routeConfiguration(&l))
	}
	for _, cl := range c.Spec.Clusters {
		out[resource.ClusterType] = append(out[resource.ClusterType], edsCluster(cl.Name))
		out[resource.EndpointType] = append(out[resource.EndpointType], loadAssignment(&cl))
	}
	return out
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err) // only for messages that cannot be marshalled, which these are not
	}
	return a
}

// overADS is the ConfigSource "over ADS, v3 resources" (RDS in the HCM, EDS in a Cluster).
func overADS() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		ResourceApiVersion:    corev3.ApiVersion_V3,
	}
}

// apiListener: only the name and an HttpConnectionManager with RDS over ADS naming the route
// configuration of the same name, and the router as its one filter.
func apiListener(name string) *listenerv3.Listener {
	hcm := &hcmv3.HttpConnectionManager{
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		StatPrefix: name,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{
			Rds: &hcmv3.Rds{ConfigSource: overADS(), RouteConfigName: name},
		},
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{})},
		}},
	}
	return &listenerv3.Listener{Name: name, ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(hcm)}}
}

// routeConfiguration: one virtual host "*" with the routes in order, each a prefix match to its one
// cluster of non-zero weight or to the weighted clusters (weight 0 left out), timeout 0s.
func routeConfiguration(l *listenerConfig) *routev3.RouteConfiguration {
	var routes []*routev3.Route
	for _, r := range l.Routes {
		action := &routev3.RouteAction{Timeout: durationpb.New(0)}
		var weighted []*routev3.WeightedCluster_ClusterWeight
		for _, c := range r.Clusters {
			if *c.Weight > 0 {
				weighted = append(weighted, &routev3.WeightedCluster_ClusterWeight{Name: c.Name, Weight: wrapperspb.UInt32(*c.Weight)})
			}
		}
		if len(weighted) == 1 {
			action.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: weighted[0].Name}
		} else {
			action.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{
				WeightedClusters: &routev3.WeightedCluster{Clusters: weighted},
			}
		}
		routes = append(routes, &routev3.Route{
			Name:   r.Name,
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: r.Prefix}},
			Action: &routev3.Route_Route{Route: action},
		})
	}
	return &routev3.RouteConfiguration{
		Name:         l.Name,
		VirtualHosts: []*routev3.VirtualHost{{Name: l.Name, Domains: []string{"*"}, Routes: routes}},
	}
}

// edsCluster: EDS over ADS, round robin, connect timeout 1 s, an explicit HTTP/2 upstream.
func edsCluster(name string) *clusterv3.Cluster {
	h2 := &upstreamv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &upstreamv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &upstreamv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &upstreamv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
					Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
				},
			},
		},
	}
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: overADS()},
		ConnectTimeout:       durationpb.New(time.Second),
		LbPolicy:             clusterv3.Cluster_ROUND_ROBIN,
		TypedExtensionProtocolOptions: map[string]*anypb.Any{
			"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": mustAny(h2),
		},
	}
}

// loadAssignment: the endpoints sorted by address and port, each once, HEALTHY, in one locality
// (region "xdsd", zone "default", weighted by its number of endpoints); none when empty.
func loadAssignment(c *clusterConfig) *endpointv3.ClusterLoadAssignment {
	eps := make([]netip.AddrPort, 0, len(c.Endpoints))
	for _, e := range c.Endpoints {
		eps = append(eps, netip.AddrPortFrom(netip.MustParseAddr(e.Address), uint16(e.Port)))
	}
	slices.SortFunc(eps, func(a, b netip.AddrPort) int { return a.Compare(b) })
	eps = slices.Compact(eps)
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: c.Name}
	if len(eps) == 0 {
		return cla
	}
	lle := &endpointv3.LocalityLbEndpoints{
		Locality:            &corev3.Locality{Region: "xdsd", Zone: "default"},
		LoadBalancingWeight: wrapperspb.UInt32(uint32(len(eps))),
	}
	for _, ep := range eps {
		addr := &corev3.SocketAddress{
			Address:       ep.Addr().String(),
			PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(ep.Port())},
		}
		lle.LbEndpoints = append(lle.LbEndpoints, &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: addr}},
			}},
			HealthStatus: corev3.HealthStatus_HEALTHY,
		})
	}
	cla.Endpoints = []*endpointv3.LocalityLbEndpoints{lle}
	return cla
}

// everyNode keys every node to one snapshot: xdsd serves every node the same resources. The cache
// runs with ads=false, so that it answers a subscription that names some of a type's resources (a
// gRPC client names only its own listener) instead of waiting for all of them to be named.
type everyNode struct{}

func (everyNode) ID(*corev3.Node) string { return nodeKey }

// cacheLog passes the cache's warnings and errors to slog.
type cacheLog struct{}

func (cacheLog) Debugf(string, ...any)        {}
func (cacheLog) Infof(string, ...any)         {}
func (cacheLog) Warnf(f string, args ...any)  { slog.Warn(fmt.Sprintf(f, args...)) }
func (cacheLog) Errorf(f string, args ...any) { slog.Error(fmt.Sprintf(f, args...)) }

type peer struct {
	path    string
	cache   cache.SnapshotCache
	read    []byte // the bytes last read (good or bad)
	readErr string // the last read error, logged once
	version int    // bumped on every snapshot whose content differs from the last
	served  *cache.Snapshot
}

// reload reads the file and, when its bytes are new and valid, sets the next snapshot.
func (p *peer) reload() {
	data, err := os.ReadFile(p.path)
	if err != nil {
		if err.Error() != p.readErr {
			slog.Error("cannot read the config, the last good one is served", "path", p.path, "error", err)
		}
		p.read, p.readErr = nil, err.Error()
		return
	}
	p.readErr = ""
	if p.read != nil && bytes.Equal(data, p.read) {
		return
	}
	p.read = data
	c, err := parseConfig(data)
	if err != nil {
		slog.Error("config invalid, the last good one is served", "path", p.path, "error", err)
		return
	}
	snap := p.next(resources(c))
	if snap == nil {
		return
	}
	if err := p.cache.SetSnapshot(context.Background(), nodeKey, snap); err != nil {
		slog.Error("cannot set the snapshot", "error", err)
		return
	}
	p.version++
	p.served = snap
	slog.Info("config loaded", "path", p.path, "name", c.Name, "version", p.version,
		"listeners", len(c.Spec.Listeners), "clusters", len(c.Spec.Clusters))
}

// next returns the snapshot for res under the next version, or nil when nothing differs from the one
// served. A type whose resources are unchanged keeps its version, so that, as with xdsd, a change is
// pushed only for the types it touches (bench/xds's changes: EDS alone).
func (p *peer) next(res map[resource.Type][]types.Resource) *cache.Snapshot {
	v := strconv.Itoa(p.version + 1)
	snap := &cache.Snapshot{}
	changed := p.served == nil
	for typ, items := range res {
		i := cache.GetResponseType(typ)
		snap.Resources[i] = cache.NewResources(v, items)
		if p.served != nil && same(p.served.Resources[i].Items, snap.Resources[i].Items) {
			snap.Resources[i].Version = p.served.Resources[i].Version
		} else {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return snap
}

func same(a, b map[string]types.ResourceWithTTL) bool {
	if len(a) != len(b) {
		return false
	}
	for name, r := range a {
		if o, ok := b[name]; !ok || !proto.Equal(r.Resource, o.Resource) {
			return false
		}
	}
	return true
}

// watch reloads as xdsd does: any event in the file's folder (a rename over the file, a write, a
// ConfigMap's ..data swap) restarts the debounce, after which the file is read; it is also read every
// period and on SIGHUP. It returns on SIGTERM or SIGINT.
func (p *peer) watch() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(p.path)); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	settle := time.NewTimer(debounce)
	settle.Stop()
	check := time.NewTicker(period)
	defer check.Stop()
	for {
		select {
		case <-w.Events:
			settle.Reset(debounce)
		case err := <-w.Errors:
			slog.Error("watch", "dir", filepath.Dir(p.path), "error", err)
		case <-settle.C:
			p.reload()
		case <-check.C:
			p.reload()
		case s := <-sig:
			if s != syscall.SIGHUP {
				return nil
			}
			p.reload()
		}
	}
}

func badFlag(name, value, why string) {
	slog.Error("bad flag", "flag", name, "value", value, "error", why)
	os.Exit(2)
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	configPath := flag.String("config", "", "the config file (watched; required)")
	listen := flag.String("listen", "127.0.5.2:9002", "ADS address, IP:PORT on loopback")
	flag.Parse() // an unknown flag exits 2
	if flag.NArg() > 0 {
		badFlag("(argument)", flag.Arg(0), "no arguments are taken")
	}
	if *configPath == "" {
		badFlag("--config", "", "required")
	}
	if ap, err := netip.ParseAddrPort(*listen); err != nil || !ap.Addr().IsLoopback() || ap.Port() == 0 {
		badFlag("--listen", *listen, "must be IP:PORT with a loopback IP and a port")
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		slog.Error("cannot listen", "flag", "--listen", "value", *listen, "error", err)
		os.Exit(1)
	}

	var streams, nacks atomic.Int64
	callbacks := server.CallbackFuncs{
		StreamOpenFunc: func(context.Context, int64, string) error { streams.Add(1); return nil },
		StreamRequestFunc: func(id int64, r *discoveryv3.DiscoveryRequest) error {
			if r.GetErrorDetail() != nil {
				nacks.Add(1)
				slog.Warn("nack", "stream", id, "type", r.GetTypeUrl(), "version", r.GetVersionInfo(),
					"error", r.GetErrorDetail().GetMessage())
			}
			return nil
		},
	}
	p := &peer{path: *configPath, cache: cache.NewSnapshotCache(false, everyNode{}, cacheLog{})}
	p.reload()
	gs := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, server.NewServer(context.Background(), p.cache, callbacks))
	go func() {
		if err := gs.Serve(lis); err != nil {
			slog.Error("serve", "error", err)
			os.Exit(1)
		}
	}()
	slog.Info("serving", "listen", *listen, "config", *configPath)
	if err := p.watch(); err != nil {
		slog.Error("cannot watch the config's folder", "path", p.path, "error", err)
		os.Exit(1)
	}
	gs.Stop()
	slog.Info("stopped", "streams_total", streams.Load(), "nacks_total", nacks.Load())
}
