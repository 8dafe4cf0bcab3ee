#!/bin/sh
# Deep-learning engine vs PyTorch 1.13 (2 threads each, one after the other in one run):
# inference and training steps (forward + backward + AdamW) of ResNet-18 at 3×224², batch 16,
# and of the study's small CNN at 1×128², batch 32. The peer runs at its best
# (OPENBLAS_CORETYPE=SkylakeX, see ../shared/BASELINES.md).
# Usage: sh bench/run_nn.sh [ignored] ; STEPS=N for more timed steps (default 3).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
STEPS=${STEPS:-3}
PY=/usr/bin/python3
echo "== nn: glia bench vs PyTorch 1.13, $STEPS timed steps after one warm-up =="
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
field() { echo "$1" | sed "s/.*\"$2\": \([0-9.]*\).*/\1/"; }
for cfg in "resnet18 224 16 3" "cnn 128 32 1"; do
  set -- $cfg
  for mode in "" "--train"; do
    g=$($BUILD/glia bench --arch "$1" --size "$2" --batch "$3" --channels "$4" --classes 2 \
      --steps "$STEPS" --threads 2 $mode)
    p=$(OPENBLAS_CORETYPE=SkylakeX $PY bench/nn_peer.py --arch "$1" --size "$2" --batch "$3" \
      --channels "$4" --classes 2 --steps "$STEPS" --threads 2 $mode)
    echo "glia   : $g"
    echo "PyTorch: $p"
    awk -v g="$(field "$g" images_per_s)" -v p="$(field "$p" images_per_s)" \
      -v gm="$(field "$g" peak_rss_mb)" -v pm="$(field "$p" peak_rss_mb)" \
      'BEGIN{printf "ratio: speed glia/PyTorch = %.2fx, peak RSS glia/PyTorch = %.2fx\n", g/p, gm/pm}'
  done
done
