#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the two-process transport demo: a sender and a receiver, each one
# pipeline, meet over ICE and DTLS-SRTP on this machine. Their "signalling"
# is two files of lines (credentials, candidates, fingerprint).
#   run-demo.sh [BUILD_DIR] [extra options for both sides, e.g. --seconds=20]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
shift || true
demo=$build/examples/transport-demo/gst-rtc-transport-demo
export GST_PLUGIN_PATH_1_0=$build/plugins/rtc${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}
export LD_LIBRARY_PATH=$build/gst/rtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
touch "$dir/send.lines" "$dir/recv.lines"
echo "signalling files: $dir/send.lines and $dir/recv.lines"
"$demo" --role=recv --in="$dir/send.lines" --out="$dir/recv.lines" "$@" &
"$demo" --role=send --in="$dir/recv.lines" --out="$dir/send.lines" "$@" &
wait -n
