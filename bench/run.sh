#!/bin/sh
# Runs each benchmark of bench/ beside its peer in one run and prints the ratios.
# Needs the oracles (scripts/install-oracles.sh) and a built tree (make build).
# Usage: sh bench/run.sh [DATA]   (DATA defaults to ../shared/data/kaggle-brain-mri)
set -eu
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/kaggle-brain-mri}
BUILD=${BUILD:-build}
PY=/usr/bin/python3
echo "== decode + per-channel histograms + CDFs, $DATA =="
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
g1=$($BUILD/bench_decode_hist "$DATA" 5 1)
g2=$($BUILD/bench_decode_hist "$DATA" 5 2)
p1=$($PY bench/decode_hist.py "$DATA" 5 1)
p2=$($PY bench/decode_hist.py "$DATA" 5 2)
echo "glia   1 thread : $g1"
echo "glia   2 threads: $g2"
echo "OpenCV 1 process: $p1"
echo "OpenCV 2 procs  : $p2"
ms() { echo "$1" | sed 's/.*"ms_per_image": \([0-9.]*\).*/\1/'; }
awk -v a="$(ms "$g1")" -v b="$(ms "$p1")" 'BEGIN{printf "ratio, 1 core each : OpenCV/glia = %.2fx\n", b/a}'
awk -v a="$(ms "$g2")" -v b="$(ms "$p2")" 'BEGIN{printf "ratio, 2 cores each: OpenCV/glia = %.2fx\n", b/a}'
awk -v a="$(ms "$g2")" -v b="$(ms "$p1")" 'BEGIN{printf "ratio, glia 2 threads vs OpenCV script (1 process): %.2fx\n", b/a}'
for extra in bench/run_*.sh; do
  [ -e "$extra" ] && sh "$extra" "$DATA"
done
exit 0
