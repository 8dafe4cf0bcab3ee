#!/bin/sh
# Deep-learning engine vs PyTorch 1.13 (2 threads each, one after the other in one run):
# inference and training steps (forward + backward + AdamW) of ResNet-18 at 3×224², batch 16,
# and of the study's small CNN at 1×128², batch 32. The peer runs at its best
# (OPENBLAS_CORETYPE=SkylakeX, see ../shared/BASELINES.md).
# The machine is shared: each side runs ROUNDS times (default 3), alternating, and the best
# round of each is compared (peak RSS: the largest of the rounds). glia's memory model (a
# buffer pool, tensors freed once no backward reads them, batch norm outputs rebuilt in the
# backward) is in docs/nn.md; GLIA_NN_KEEP_ALL=1 shows glia's peak without those savings.
# Usage: sh bench/run_nn.sh [ignored] ; STEPS=N timed steps per round (default 3).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
STEPS=${STEPS:-3}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
echo "== nn: glia bench vs PyTorch 1.13, $STEPS timed steps after one warm-up =="
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
field() { echo "$1" | sed "s/.*\"$2\": \([0-9.]*\).*/\1/"; }
for cfg in "resnet18 224 16 3" "cnn 128 32 1"; do
  set -- $cfg
  for mode in "" "--train"; do
    gb=0 pb=0 gm=0 pm=0
    r=0
    while [ $r -lt "$ROUNDS" ]; do
      g=$($BUILD/glia bench --arch "$1" --size "$2" --batch "$3" --channels "$4" --classes 2 \
        --steps "$STEPS" --threads 2 $mode)
      p=$(OPENBLAS_CORETYPE=SkylakeX $PY bench/nn_peer.py --arch "$1" --size "$2" --batch "$3" \
        --channels "$4" --classes 2 --steps "$STEPS" --threads 2 $mode)
      echo "glia   : $g"
      echo "PyTorch: $p"
      gb=$(awk -v a="$gb" -v b="$(field "$g" images_per_s)" 'BEGIN{print (b>a)?b:a}')
      pb=$(awk -v a="$pb" -v b="$(field "$p" images_per_s)" 'BEGIN{print (b>a)?b:a}')
      gm=$(awk -v a="$gm" -v b="$(field "$g" peak_rss_mb)" 'BEGIN{print (b>a)?b:a}')
      pm=$(awk -v a="$pm" -v b="$(field "$p" peak_rss_mb)" 'BEGIN{print (b>a)?b:a}')
      r=$((r + 1))
    done
    awk -v g="$gb" -v p="$pb" -v gm="$gm" -v pm="$pm" -v what="$1 $2 b$3 ${mode:---infer}" \
      'BEGIN{printf "%s: best img/s glia %.2f PyTorch %.2f (%.2fx), peak RSS MB glia %.0f PyTorch %.0f (%.2fx)\n", what, g, p, g/p, gm, pm, gm/pm}'
  done
done
