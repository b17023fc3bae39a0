#!/usr/bin/env python3
"""The tables of bench/envoy/run.sh for BENCHMARKS.md, from its raw files: python3 summarize.py DIR
(DIR holds hop.tsv, rss.tsv, xdsd.tsv) or python3 summarize.py PREFIX (PREFIXhop.tsv, ...: the committed
runs, e.g. bench/envoy/results/2026-12-02-). Medians over the repeats; a ratio is the median of the
per-repeat ratios (the two runs of a pair come from the same repeat), with their range in brackets."""
import csv
import os
import statistics
import sys


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ratio_cell(rs, fmt="{:.2f}"):
    if not rs:
        return "-"
    if len(rs) == 1:
        return fmt.format(rs[0])
    return f"{fmt.format(med(rs))} ({fmt.format(min(rs))}–{fmt.format(max(rs))})"


def hop(d, pre=""):
    rs = rows(os.path.join(d, pre + "hop.tsv"))
    if not rs:
        return
    levels = sorted({int(r["level"]) for r in rs})
    paths = ["direct", "envoy", "envoy-nolog", "haproxy"]
    names = {"direct": "direct", "envoy": "Envoy (deploy config, access log on)",
             "envoy-nolog": "Envoy, access log removed", "haproxy": "HAProxy"}
    by = {(int(r["repeat"]), int(r["level"]), r["path"]): r for r in rs}
    repeats = sorted({int(r["repeat"]) for r in rs})
    print(f"Hop cost, medians over {len(repeats)} repeats:\n")
    print("| outstanding | path | p50 µs | p99 µs | RPC/s | proxy CPU µs per RPC | proxy CPU on its busiest thread |")
    print("|---|---|---|---|---|---|---|")
    for lv in levels:
        for p in paths:
            sel = [by[(r, lv, p)] for r in repeats if (r, lv, p) in by]
            if not sel:
                continue
            cpu = [float(x["proxy_cpu_us_per_rpc"]) for x in sel if x["proxy_cpu_us_per_rpc"] != "-"]
            share = [float(x["busiest_thread_share"]) for x in sel if x.get("busiest_thread_share", "-") != "-"]
            print(f"| {lv} | {names[p]} | {med([int(x['p50_us']) for x in sel]):.0f} | "
                  f"{med([int(x['p99_us']) for x in sel]):.0f} | {med([float(x['rps']) for x in sel]):.0f} | "
                  f"{f'{med(cpu):.1f}' if cpu else '-'} | {f'{100 * med(share):.0f}%' if share else '-'} |")
    print("\nRatios, median of the per-repeat ratios (range over the repeats):\n")
    print("| outstanding | ratio | p50 | p99 | RPC/s | proxy CPU per RPC |")
    print("|---|---|---|---|---|---|")
    pairs = [("envoy", "direct"), ("envoy-nolog", "direct"), ("haproxy", "direct"),
             ("envoy", "haproxy"), ("envoy-nolog", "haproxy"), ("envoy", "envoy-nolog")]
    short = {"direct": "direct", "envoy": "Envoy", "envoy-nolog": "Envoy (no log)", "haproxy": "HAProxy"}
    for lv in levels:
        for a, b in pairs:
            got = {k: [] for k in ("p50_us", "p99_us", "rps", "cpu")}
            for r in repeats:
                x, y = by.get((r, lv, a)), by.get((r, lv, b))
                if not x or not y:
                    continue
                for k in ("p50_us", "p99_us", "rps"):
                    got[k].append(float(x[k]) / float(y[k]))
                if b != "direct":
                    got["cpu"].append(float(x["proxy_cpu_us_per_rpc"]) / float(y["proxy_cpu_us_per_rpc"]))
            print(f"| {lv} | {short[a]} / {short[b]} | {ratio_cell(got['p50_us'])} | {ratio_cell(got['p99_us'])} | "
                  f"{ratio_cell(got['rps'])} | {ratio_cell(got['cpu'])} |")
    print()


def mb(kb):
    return f"{kb / 1024:.1f}"


def rss(d, pre=""):
    rs = rows(os.path.join(d, pre + "rss.tsv"))
    if not rs:
        return
    repeats = sorted({int(r["repeat"]) for r in rs})
    print(f"Sidecar RSS (MiB), medians over {len(repeats)} repeats (fresh process each):\n")
    print("| sidecar | idle after start: RSS (anon / file) | under 10 outstanding: max RSS sampled | peak (VmHWM) "
          "| 1 s after the load: RSS (anon / file) | greeter-client beside it, max RSS | load RPC/s, p50 / p99 µs |")
    print("|---|---|---|---|---|---|---|")
    by = {(int(r["repeat"]), r["proxy"]): r for r in rs}
    for p, name in (("envoy", "Envoy, deploy/clsidecar config"), ("haproxy", "HAProxy (peer)")):
        sel = [by[(r, p)] for r in repeats if (r, p) in by]
        if not sel:
            continue
        m = {k: med([float(x[k]) for x in sel]) for k in sel[0] if k not in ("repeat", "proxy")}
        print(f"| {name} | {mb(m['idle_kb'])} ({mb(m['idle_anon_kb'])} / {mb(m['idle_file_kb'])}) | "
              f"{mb(m['load_max_kb'])} | {mb(m['load_hwm_kb'])} | {mb(m['after_kb'])} ({mb(m['after_anon_kb'])} / "
              f"{mb(m['after_file_kb'])}) | {mb(m['client_max_kb'])} | {m['rps']:.0f}, {m['p50_us']:.0f} / {m['p99_us']:.0f} |")
    r_idle = [float(by[(r, "envoy")]["idle_kb"]) / float(by[(r, "haproxy")]["idle_kb"])
              for r in repeats if (r, "envoy") in by and (r, "haproxy") in by]
    r_load = [float(by[(r, "envoy")]["load_max_kb"]) / float(by[(r, "haproxy")]["load_max_kb"])
              for r in repeats if (r, "envoy") in by and (r, "haproxy") in by]
    print(f"\nEnvoy / HAProxy RSS, per-repeat ratio: idle {ratio_cell(r_idle, '{:.1f}')}, "
          f"under load {ratio_cell(r_load, '{:.1f}')}\n")


def xdsd(d, pre=""):
    rs = rows(os.path.join(d, pre + "xdsd.tsv"))
    if not rs:
        return
    repeats = sorted({int(r["repeat"]) for r in rs})
    n = rs[0]["clients"]
    print(f"xdsd RSS per client, {n} clients of one kind on a fresh xdsd, medians over {len(repeats)} repeats:\n")
    print("| clients | xdsd RSS before (MiB) | xdsd RSS with them, synced and idle (MiB) | xdsd KiB per client (range) "
          "| bytes each client sent xdsd | all synced after (s) | each client's own RSS, median (MiB) |")
    print("|---|---|---|---|---|---|---|")
    by = {(int(r["repeat"]), r["kind"]): r for r in rs}
    for k, name in (("envoy", f"{n} Envoys (deploy/xds/client.yaml bootstrap, ADS)"),
                    ("proxyless", f"{n} proxyless greeter-clients (xds:///listener_0)"),
                    ("envoy-node-once", f"what-if: {n} Envoys, same bootstrap + set_node_on_first_message_only")):
        sel = [by[(r, k)] for r in repeats if (r, k) in by]
        if not sel:
            continue
        per = [float(x["xdsd_per_client_kb"]) for x in sel]
        print(f"| {name} | {mb(med([float(x['xdsd_before_kb']) for x in sel]))} | "
              f"{mb(med([float(x['xdsd_after_kb']) for x in sel]))} | {ratio_cell(per, '{:.1f}')} | "
              f"{med([int(x['bytes_in_per_client']) for x in sel]):,.0f} | "
              f"{med([float(x['sync_s']) for x in sel]):.1f} | {mb(med([float(x['client_rss_median_kb']) for x in sel]))} |")
    rr = [float(by[(r, "envoy")]["xdsd_per_client_kb"]) / float(by[(r, "proxyless")]["xdsd_per_client_kb"])
          for r in repeats if (r, "envoy") in by and (r, "proxyless") in by
          and float(by[(r, "proxyless")]["xdsd_per_client_kb"]) > 0]
    print(f"\nxdsd KiB per Envoy / per proxyless client, per-repeat ratio: {ratio_cell(rr)}")
    ro = [float(by[(r, "envoy-node-once")]["xdsd_per_client_kb"]) / float(by[(r, "proxyless")]["xdsd_per_client_kb"])
          for r in repeats if (r, "envoy-node-once") in by and (r, "proxyless") in by
          and float(by[(r, "proxyless")]["xdsd_per_client_kb"]) > 0]
    if ro:
        print(f"xdsd KiB per Envoy sending its node once / per proxyless client: {ratio_cell(ro)}")
    print()


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "build/bench-envoy"
    base = d if os.path.isdir(d) else os.path.dirname(d)
    pre = "" if os.path.isdir(d) else os.path.basename(d)
    hop(base, pre)
    rss(base, pre)
    xdsd(base, pre)


if __name__ == "__main__":
    main()
