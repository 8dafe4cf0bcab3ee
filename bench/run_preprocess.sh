#!/bin/sh
# Classical preprocessing (issue 3): glia's steps beside OpenCV / scikit-image / NumPy on the
# same images in one run, and the whole `glia preprocess` run beside an OpenCV script.
# Usage: sh bench/run_preprocess.sh [DATA] [THREADS=2]   (run by bench/run.sh)
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/kaggle-brain-mri}
T=${2:-2}
BUILD=${BUILD:-build}
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/glia-bench-pp.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "== classical preprocessing, $DATA, $T threads each =="
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Two rounds, glia and peer alternating, best of the two per step: the shared machine's load
# moves between runs, and alternating gives both sides the same chances.
: > "$WORK/glia.txt"
: > "$WORK/peer.txt"
for round in 1 2; do
  $BUILD/bench_preprocess "$DATA" "$WORK" "$T" 4 20 >> "$WORK/glia.txt"
  $PY bench/preprocess_peer.py "$DATA" "$WORK" "$T" 4 20 >> "$WORK/peer.txt"
  rm -rf "$WORK/glia_out" "$WORK/peer_out"
  t0=$(date +%s.%N)
  $BUILD/glia preprocess "$DATA" -o "$WORK/glia_out" --enhance clahe --panels 0 --threads "$T" --quiet || true
  t1=$(date +%s.%N)
  n=$(grep -c . "$WORK/glia_out/preprocess.csv")
  awk -v a="$t0" -v b="$t1" -v n="$((n - 1))" 'BEGIN{printf "pipeline %d %.4f\n", n, (b-a)*1000/n}' >> "$WORK/glia.txt"
  OMP_NUM_THREADS=$T $PY bench/preprocess_peer.py "$DATA" "$WORK" "$T" 4 20 pipeline >> "$WORK/peer.txt"
done
best() { awk '!($1 in m) || $3 < m[$1] { m[$1] = $3; n[$1] = $2 } END { for (k in m) print k, n[k], m[k] }' "$1"; }
best "$WORK/glia.txt" > "$WORK/glia_best.txt"
best "$WORK/peer.txt" > "$WORK/peer_best.txt"
printf "%-14s %7s %12s %12s %8s\n" step images "glia ms/img" "peer ms/img" "peer/glia"
awk 'NR==FNR { g[$1] = $3; n[$1] = $2; next }
     { peer = $1; key = peer; sub(/_skimage/, "", key)
       if (key in g) printf "%-14s %7d %12.3f %12.3f %7.1fx\n", peer, $2, g[key], $3, $3 / g[key] }' \
  "$WORK/glia_best.txt" "$WORK/peer_best.txt" | sort
grep cleanup "$WORK/glia_best.txt" | awk '{printf "%-14s %7d %12.3f %12s %8s\n", $1, $2, $3, "-", "-"}'
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
