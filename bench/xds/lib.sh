# Shared by bench/xds/run.sh and bench/xds/ab.sh (sourced): reading xds-loadgen's output, the run's metadata, and the
# table of medians over repeats.

# summarize LOADGEN_OUTPUT CLIENTS: synced dead connect_ms rss_kb_before rss_kb_connected rss_bytes_per_client
# changes acked_changes cpu_ms_per_change last_ms_max p50_ms p99_ms max_ms (tab-separated, "-" when missing).
summarize() {
  awk -v n="$2" '
    { delete f; for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2] }
    /^clients=/ { synced = f["synced"]; dead = f["dead"]; connect = f["connect_ms"] }
    /^xdsd_rss_kb_before=/ { rss0 = f["xdsd_rss_kb_before"]; rss1 = f["xdsd_rss_kb_connected"]; per = f["rss_bytes_per_client"] }
    /^change=/ { nc++; cpu += f["xdsd_cpu_ms"]; if (f["acked"] == n "/" n) acked++; if (f["last_ms"] + 0 > last) last = f["last_ms"] + 0 }
    /^summary / { p50 = f["p50_ms"]; p99 = f["p99_ms"]; max = f["max_ms"] }
    function v(x) { return x == "" ? "-" : x }
    END {
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", v(synced), v(dead), v(connect), v(rss0), v(rss1),
        v(per), nc, acked, nc ? sprintf("%.1f", cpu / nc) : "-", nc ? last : "-", v(p50), v(p99), v(max)
    }' "$1"
}

# meta_head LOAD_BEFORE: the lines every run's metadata file starts with.
meta_head() {
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo -)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r)"
  echo "load average (1/5/15 min) before: $1, after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# median_rows RAW X Y NUM RSS_FORMAT DIFF: one table row per clients/connections of RAW (run.sh's columns up to
# max_ms): pairs, then for all synced (s), p50, p99 (ms), RSS per idle client (KB) and CPU per change (ms) the
# medians of X and of Y and the median of the per-repeat ratios NUM / the other, over the repeats where both ran
# clean; DIFF=1 adds the median per-repeat difference of RSS, NUM − the other, in KB.
median_rows() {
  awk -F'\t' -v x="$2" -v y="$3" -v num="$4" -v rssfmt="$5" -v showdiff="$6" '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      if (n == 0) return "-"
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j] + 0 < a[j - 1] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function fmt(v, f) { return v == "-" ? "-" : sprintf(f, v) }
    NR > 1 {
      key = $1 "\t" $2
      if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
      if ($6 != 1) next
      val[key, $3, $5, 1] = $9 / 1000; val[key, $3, $5, 2] = $17; val[key, $3, $5, 3] = $18
      val[key, $3, $5, 4] = $12 / 1024; val[key, $3, $5, 5] = $15
      ran[key, $3, $5] = 1; reps[key, $3] = 1
    }
    END {
      den = num == x ? y : x
      split("%.2f %.0f %.0f " rssfmt " %.0f", form, " ")
      for (i = 1; i <= nk; i++) {
        key = keys[i]; split(key, kc, "\t"); pairs = 0; diff = ""
        for (f = 1; f <= 5; f++) xs[f] = ys[f] = ratio[f] = ""
        for (rk in reps) {
          split(rk, rr, SUBSEP)
          if (rr[1] != key || !((key, rr[2], x) in ran) || !((key, rr[2], y) in ran)) continue
          pairs++
          for (f = 1; f <= 5; f++) {
            xs[f] = xs[f] " " val[key, rr[2], x, f]; ys[f] = ys[f] " " val[key, rr[2], y, f]
            if (val[key, rr[2], den, f] > 0) ratio[f] = ratio[f] " " val[key, rr[2], num, f] / val[key, rr[2], den, f]
          }
          diff = diff " " (val[key, rr[2], num, 4] - val[key, rr[2], den, 4])
        }
        printf "| %s | %s | %d", kc[1], kc[2], pairs
        for (f = 1; f <= 5; f++) {
          printf " | %s / %s | %s", fmt(median(xs[f]), form[f]), fmt(median(ys[f]), form[f]), fmt(median(ratio[f]), "%.2f")
          if (f == 4 && showdiff) printf " | %s", fmt(median(diff), "%+.2f")
        }
        printf " |\n"
      }
    }' "$1"
}
