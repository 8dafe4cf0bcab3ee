#!/bin/sh
# Installs the Python oracles used to regenerate test fixtures and run peers in benchmarks.
# Never needed by `make test` or `make demo`: fixtures are committed.
set -eu
PKGS="python3 python3-numpy python3-pil python3-opencv python3-skimage python3-sklearn
python3-scipy python3-torch python3-torchvision hyperfine libtiff-tools"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
