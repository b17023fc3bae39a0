#!/usr/bin/env bash
# stage-rootfs.sh [--with-loader] BINDIR OUTDIR NAME...
#
# For each program NAME in BINDIR, stages OUTDIR/NAME/ as a root file system holding only the
# stripped program at /usr/local/bin/NAME and the shared libraries it links (its ldd closure), each
# under its canonical directory (/usr/lib/..., Debian 12 merges /lib into /usr/lib) and SONAME file
# name. The Dockerfile copies OUTDIR/NAME/ onto the Debian runtime image; tests/deploy chroots into
# it (with --with-loader, which adds the dynamic loader the runtime image otherwise provides) to
# prove the program runs with nothing else. A NAME that BINDIR lacks is skipped with a note.
set -euo pipefail

loader=0
if [ "${1:-}" = --with-loader ]; then
  loader=1
  shift
fi
[ $# -ge 3 ] || { echo "usage: $0 [--with-loader] BINDIR OUTDIR NAME..." >&2; exit 2; }
bindir=$1
outdir=$2
shift 2

for name in "$@"; do
  if [ ! -x "$bindir/$name" ]; then
    echo "stage-rootfs: $bindir/$name not built, skipped"
    continue
  fi
  root="$outdir/$name"
  install -D -m 0755 "$bindir/$name" "$root/usr/local/bin/$name"
  strip --strip-unneeded "$root/usr/local/bin/$name"
  # "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)"; the loader line has no "=>".
  ldd "$bindir/$name" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
    dir=$(dirname "$(readlink -f "$lib")")
    install -D -m 0644 "$lib" "$root$dir/$(basename "$lib")"
  done
  if [ "$loader" = 1 ]; then
    ldd "$bindir/$name" | awk '$1 ~ /^\/.*ld-linux/ { print $1 }' | while read -r ld; do
      install -D -m 0755 "$ld" "$root$ld"
    done
  fi
  echo "stage-rootfs: $name: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1)"
done
