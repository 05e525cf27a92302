#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The RTSP camera bridge: an RTSP camera to any number of browsers, in one
# gst-launch-1.0 line (see README.md in this directory).
#
#   run.sh rtsp://user:pass@192.0.2.10:554/stream1 [aac|pcmu|pcma]
#   run.sh test-camera [cb|high|cb+aac|high+aac|cb+pcmu]
#
# The first form bridges a camera: its H.264 video, and its audio when
# told which codec it sends. The second starts the test camera
# (tests/interop/rtsp_camera.py, gst-rtsp-server) on a free port and
# bridges it. It prints the viewer page's URL and serves until Ctrl-C.
# Environment: BUILD (the meson build directory, default build), PORT
# (8080), ADDRESS (0.0.0.0: every interface).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
case "$build" in /*) ;; *) build=$top/$build ;; esac
port=${PORT:-8080}
address=${ADDRESS:-0.0.0.0}

if [ $# -lt 1 ]; then
  sed -n '5,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

export GST_PLUGIN_PATH_1_0=$build/plugins/rtc${GST_PLUGIN_PATH_1_0:+:$GST_PLUGIN_PATH_1_0}
export LD_LIBRARY_PATH=$build/gst/rtc${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! gst-inspect-1.0 rtcsink > /dev/null 2>&1; then
  echo "FAIL: no rtcsink element in $build/plugins/rtc (build first: bash scripts/build.sh)" >&2
  exit 1
fi

camera_pid=
cleanup() { if [ -n "$camera_pid" ]; then kill "$camera_pid" 2> /dev/null || true; fi; }
trap cleanup EXIT

if [ "$1" = test-camera ]; then
  mount=${2:-cb+aac}
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  /usr/bin/python3 "$top/tests/interop/rtsp_camera.py" "$mount" > "$fifo" &
  camera_pid=$!
  read -r url < "$fifo"
  rm -f "$fifo"
  case "$mount" in
    *+aac) audio=aac ;;
    *+pcmu) audio=pcmu ;;
    *) audio=none ;;
  esac
  echo "test camera: $url"
else
  url=$1
  audio=${2:-none}
fi

case "$audio" in
  aac) audio_branch="r. ! rtpmp4gdepay ! aacparse ! s." ;;
  pcmu) audio_branch="r. ! rtppcmudepay ! s." ;;
  pcma) audio_branch="r. ! rtppcmadepay ! s." ;;
  none) audio_branch="" ;;
  *) echo "unknown audio codec $audio (aac, pcmu, pcma)" >&2; exit 2 ;;
esac

echo "open http://127.0.0.1:$port/ (or this machine's address) in a browser"
set -x
# Word splitting of $audio_branch is what we want: it is pipeline syntax.
# shellcheck disable=SC2086
gst-launch-1.0 -m rtspsrc location="$url" name=r \
    r. ! rtph264depay ! h264parse ! rtcsink name=s port="$port" address="$address" \
    $audio_branch
