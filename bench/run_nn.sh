#!/bin/sh
# Deep-learning engine vs PyTorch 1.13 (2 threads each, one after the other in one run):
# inference and training steps (forward + backward + AdamW) of ResNet-18 at 3×224², batch 16,
# and of the study's small CNN at 1×128², batch 32. The peer runs at its best
# (OPENBLAS_CORETYPE=SkylakeX, see ../shared/BASELINES.md) in three configurations, each round:
#   keep      glibc told to keep freed memory (bench/nn_peer.py --malloc keep), NCHW
#   keep-cl   the same with the model and input in channels_last (NHWC)
#   default   glibc's default malloc, NCHW: PyTorch as most scripts run it
# Its speed is the best of every configuration and round; its peak RSS is that of its leanest
# configuration (the largest of the rounds of each configuration, then the smallest of those),
# so neither figure flatters glia.
# The machine is shared: each side runs ROUNDS times (default 3), alternating, and the best
# round of each is compared (glia's peak RSS: the largest of the rounds). glia's memory model (a
# buffer pool, tensors freed once no backward reads them, batch norm outputs rebuilt in the
# backward) is in docs/nn.md; GLIA_NN_KEEP_ALL=1 shows glia's peak without those savings.
# Usage: sh bench/run_nn.sh [ignored] ; STEPS=N timed steps per round (default 3).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
STEPS=${STEPS:-3}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
echo "== nn: glia bench vs PyTorch 1.13, $STEPS timed steps (after one warm-up step for glia, two for PyTorch) =="
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
field() { echo "$1" | sed "s/.*\"$2\": \([0-9.]*\).*/\1/"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN{print (b>a)?b:a}'; }
for cfg in "resnet18 224 16 3" "cnn 128 32 1"; do
  set -- $cfg
  for mode in "" "--train"; do
    gb=0 gm=0 pb=0 pcfg=none
    km=0 clm=0 dm=0 # peer peak RSS per configuration
    r=0
    while [ $r -lt "$ROUNDS" ]; do
      g=$($BUILD/glia bench --arch "$1" --size "$2" --batch "$3" --channels "$4" --classes 2 \
        --steps "$STEPS" --threads 2 $mode)
      echo "glia   : $g"
      gb=$(max "$gb" "$(field "$g" images_per_s)")
      gm=$(max "$gm" "$(field "$g" peak_rss_mb)")
      for pc in keep keep-cl default; do
        case $pc in
        keep) opts="--malloc keep" ;;
        keep-cl) opts="--malloc keep --channels-last" ;;
        default) opts="--malloc default" ;;
        esac
        p=$(OPENBLAS_CORETYPE=SkylakeX $PY bench/nn_peer.py --arch "$1" --size "$2" --batch "$3" \
          --channels "$4" --classes 2 --steps "$STEPS" --threads 2 $mode $opts)
        echo "PyTorch: $p"
        v=$(field "$p" images_per_s)
        if [ "$(max "$pb" "$v")" != "$pb" ]; then pb=$v pcfg=$pc; fi
        m=$(field "$p" peak_rss_mb)
        case $pc in
        keep) km=$(max "$km" "$m") ;;
        keep-cl) clm=$(max "$clm" "$m") ;;
        default) dm=$(max "$dm" "$m") ;;
        esac
      done
      r=$((r + 1))
    done
    pm=$(awk -v a="$km" -v b="$clm" -v c="$dm" 'BEGIN{m=a; if(b<m)m=b; if(c<m)m=c; print m}')
    awk -v g="$gb" -v p="$pb" -v gm="$gm" -v pm="$pm" -v pc="$pcfg" \
      -v what="$1 $2 b$3 ${mode:---infer}" \
      'BEGIN{printf "%s: best img/s glia %.2f PyTorch %.2f (%s) (%.2fx), peak RSS MB glia %.0f PyTorch %.0f (%.2fx)\n", what, g, p, pc, g/p, gm, pm, gm/pm}'
  done
done
