#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Two processes, each one pipeline, carry VP8 video and Opus audio over
# ICE (loopback) and DTLS-SRTP; credentials, candidates and fingerprints
# travel through two files. The receiver must decode 60 video frames and
# some audio. Then the same with a wrong fingerprint: nothing is decoded.
set -euo pipefail
build=${GST_RTC_BUILD_ROOT:?}
demo=$build/examples/transport-demo/gst-rtc-transport-demo
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT

run_pair() {
  local extra_recv=$1
  : > "$dir/send.lines"; : > "$dir/recv.lines"
  "$demo" --role=send --loopback --seconds=25 --in="$dir/recv.lines" --out="$dir/send.lines" \
    > "$dir/send.log" 2>&1 &
  local sender=$!
  local status=0
  # shellcheck disable=SC2086
  "$demo" --role=recv --loopback --seconds=20 --frames=60 $extra_recv \
    --in="$dir/send.lines" --out="$dir/recv.lines" > "$dir/recv.log" 2>&1 || status=$?
  kill "$sender" 2>/dev/null || true
  wait "$sender" 2>/dev/null || true
  return $status
}

if ! run_pair ""; then
  echo "FAIL: the receiver did not decode 60 frames"; cat "$dir/recv.log" "$dir/send.log"; exit 1
fi
grep "decoded" "$dir/recv.log" | tail -1
grep -q "^candidate candidate:" "$dir/send.lines" || { echo "FAIL: no trickled candidate"; exit 1; }

wrong="sha-256 $(printf '00:%.0s' $(seq 31))00"
if run_pair "--wrong-fingerprint=$wrong"; then
  echo "FAIL: frames were decoded although the fingerprint was wrong"; cat "$dir/recv.log"; exit 1
fi
grep -qi "fingerprint" "$dir/recv.log" || { echo "FAIL: no fingerprint error reported"; cat "$dir/recv.log"; exit 1; }
grep -i "fingerprint" "$dir/recv.log" | grep -v "our fingerprint" | head -2
echo "PASS: two processes streamed VP8 + Opus over DTLS-SRTP; a wrong fingerprint was refused"
