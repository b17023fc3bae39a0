#!/usr/bin/env python3
"""Envoy's config as a deploy/ manifest ships it, with only addresses and ports changed (the benchmark's
counterpart of src/lab/envoycfg.c).

Reads MANIFEST, takes the ConfigMap CONFIGMAP's data "config.yaml" (Envoy's bootstrap), rewrites
  --admin IP:PORT        the admin socket address
  --listen IP:PORT       every static listener's socket address
  --host NAME=IP[:PORT]  every cluster endpoint whose address is NAME (repeatable)
  --no-access-log        drops every access_log of the HTTP connection managers (the one change that is
                         not an address: the benchmark's "without the access log" variant)
  --node-once            sets dynamic_resources.ads_config.set_node_on_first_message_only (a what-if, not
                         what deploy/ ships: Envoy then sends its node only on a stream's first request)
writes the result to OUT, and prints the Envoy container's args from the Deployment that mounts the
ConfigMap, one a line, without "-c PATH" (the caller passes its own -c OUT).
"""
import argparse
import sys

import yaml


def split_addr(s):
    host, _, port = s.rpartition(":")
    if not host or not port.isdigit():
        sys.exit(f"envoycfg.py: bad IP:PORT {s!r}")
    return host, int(port)


def envoy_args(docs, configmap):
    for d in docs:
        if not d or d.get("kind") != "Deployment":
            continue
        spec = d["spec"]["template"]["spec"]
        vols = [v["name"] for v in spec.get("volumes", []) if v.get("configMap", {}).get("name") == configmap]
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            if c.get("command", [None])[0] != "envoy":
                continue
            if not any(m["name"] in vols for m in c.get("volumeMounts", [])):
                continue
            args, it = [], iter(c.get("args", []))
            for a in it:
                if a in ("-c", "--config-path"):
                    next(it, None)
                else:
                    args.append(a)
            return args
    sys.exit(f"envoycfg.py: no Deployment container runs envoy with ConfigMap {configmap} mounted")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("manifest")
    p.add_argument("configmap")
    p.add_argument("out")
    p.add_argument("--admin")
    p.add_argument("--listen")
    p.add_argument("--host", action="append", default=[])
    p.add_argument("--no-access-log", action="store_true")
    p.add_argument("--node-once", action="store_true")
    a = p.parse_args()

    with open(a.manifest) as f:
        docs = list(yaml.safe_load_all(f))
    cm = [d for d in docs if d and d.get("kind") == "ConfigMap" and d["metadata"]["name"] == a.configmap]
    if not cm or "config.yaml" not in cm[0].get("data", {}):
        sys.exit(f"envoycfg.py: {a.manifest}: no ConfigMap {a.configmap} with data config.yaml")
    cfg = yaml.safe_load(cm[0]["data"]["config.yaml"])

    if a.admin:
        sa = cfg["admin"]["address"]["socket_address"]
        sa["address"], sa["port_value"] = split_addr(a.admin)
    hosts = {}
    for h in a.host:
        name, _, addr = h.partition("=")
        ip, _, port = addr.partition(":")
        hosts[name] = (ip, int(port) if port else None)
    static = cfg.get("static_resources", {})
    for lis in static.get("listeners", []):
        if a.listen:
            sa = lis["address"]["socket_address"]
            sa["address"], sa["port_value"] = split_addr(a.listen)
        if a.no_access_log:
            for fc in lis.get("filter_chains", []):
                for flt in fc.get("filters", []):
                    flt.get("typed_config", {}).pop("access_log", None)
    for cl in static.get("clusters", []):
        for le in cl.get("load_assignment", {}).get("endpoints", []):
            for ep in le.get("lb_endpoints", []):
                sa = ep["endpoint"]["address"]["socket_address"]
                if sa["address"] in hosts:
                    ip, port = hosts[sa["address"]]
                    sa["address"] = ip
                    if port:
                        sa["port_value"] = port
    if a.node_once:
        cfg["dynamic_resources"]["ads_config"]["set_node_on_first_message_only"] = True
    with open(a.out, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    print("\n".join(envoy_args(docs, a.configmap)))


if __name__ == "__main__":
    main()
