#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sets up, builds and runs the demo: until rtcsink exists, two processes
# that stream VP8 + Opus to each other over ICE and DTLS-SRTP.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh
bash scripts/build.sh
exec bash examples/transport-demo/run-demo.sh "$top/build" --loopback "$@"
