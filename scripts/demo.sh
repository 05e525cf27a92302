#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sets up, builds and runs the demo: a test picture and tone served to any
# number of browsers by rtcsink, in one pipeline line:
#
#   gst-launch-1.0 videotestsrc is-live=true ! rtcsink name=s port=8080 \
#       audiotestsrc is-live=true ! s.
#
# It prints the viewer page's URL and serves until Ctrl-C.
#   demo.sh [extra rtcsink properties, e.g. max-viewers=5 stun-server=stun://…]
# Environment: PORT (8080), ADDRESS (0.0.0.0: every interface),
# SKIP_SETUP=1 to skip scripts/setup.sh.
#
# The earlier demo, two processes streaming to each other over ICE and
# DTLS-SRTP with the transport elements, is still there:
#   bash examples/transport-demo/run-demo.sh build --loopback
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh
fi
bash scripts/build.sh

port=${PORT:-8080}
address=${ADDRESS:-0.0.0.0}
build=$top/build
export GST_PLUGIN_PATH_1_0=$build/plugins/rtc${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}
export LD_LIBRARY_PATH=$build/gst/rtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

if ! gst-inspect-1.0 rtcsink > /dev/null 2>&1; then
  echo "FAIL: the rtcsink element is not in $build/plugins/rtc" >&2
  exit 1
fi

echo
echo "rtcsink demo: open the viewer page in a browser (Chromium, Firefox, Safari)"
if [ "$address" = 0.0.0.0 ]; then
  echo "  on this machine:    http://127.0.0.1:$port/"
  for ip in $(hostname -I 2>/dev/null || true); do
    case $ip in
      *:*) ;;  # the server listens on IPv4 only
      *) echo "  from another one:   http://$ip:$port/" ;;
    esac
  done
else
  echo "  http://$address:$port/"
fi
echo "  WHEP endpoint:      http://127.0.0.1:$port/whep (any WHEP player works)"
echo "Ctrl-C stops it."
echo

exec gst-launch-1.0 videotestsrc is-live=true \
  ! rtcsink name=s port="$port" address="$address" "$@" \
  audiotestsrc is-live=true ! s.
