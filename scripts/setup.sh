#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs every build and test dependency of gst-rtc from Debian 12.
# Idempotent and non-interactive: it does nothing when all is installed.
set -euo pipefail

build_packages=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libnice-dev libsrtp2-dev libssl-dev libsoup-3.0-dev libjson-glib-dev
  gobject-introspection libgirepository1.0-dev
)
runtime_packages=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 python3-gi python3-gst-1.0
  openssl glib-networking gir1.2-soup-3.0
)
# Test-only peers and tools: gst-plugins-bad's WebRTC stack and libnice's
# elements (never loaded by the plugin), codecs, tshark, clang for fuzzing.
test_packages=(
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-nice gir1.2-gst-plugins-bad-1.0 libgstreamer-plugins-bad1.0-dev
  python3-pytest tshark clang libclang-rt-14-dev valgrind
  iproute2 iptables chromium python3-aiortc nodejs coturn
  gir1.2-gst-rtsp-server-1.0
  gir1.2-nice-0.1
  python3-matplotlib
)

wanted=("${build_packages[@]}" "${runtime_packages[@]}" "${test_packages[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# npm comes with some Node.js builds and as Debian's own package with
# others: ask for the package only when there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#wanted[@]} Debian packages are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
