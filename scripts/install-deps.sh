#!/bin/sh
# Installs the Debian 12 packages glia needs to build and test (idempotent: only what is
# missing is installed; nothing is downloaded except through apt). Run as root.
set -eu
PKGS="build-essential cmake pkg-config clang libomp-dev
libjpeg62-turbo-dev libpng-dev libtiff-dev zlib1g-dev libcjson-dev libssl-dev
libplplot-dev plplot-driver-cairo libcmocka-dev util-linux
clang-format clang-tidy cppcheck
libdnnl-dev"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
