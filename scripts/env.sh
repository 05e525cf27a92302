# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes a gst-rtc build tree usable without installing it: the elements, the
# library, the GstRtc-1.0 typelib and the Python overrides (gi.overrides.GstRtc)
# and test helpers (gstrtc.testing). Source it, from bash or zsh:
#
#   source scripts/env.sh build        # the build directory (default: build)
#
# then `gst-inspect-1.0 rtcbin`, `python3 -c "from gi.repository import GstRtc"`,
# the examples and `python3 -m pytest tests/python` work from that shell.

if [ -n "${BASH_SOURCE:-}" ]; then
  _gst_rtc_script="${BASH_SOURCE[0]}"
else
  _gst_rtc_script="${(%):-%x}"  # zsh
fi
_gst_rtc_src="$(cd "$(dirname "$_gst_rtc_script")/.." && pwd)"
_gst_rtc_build="${1:-build}"
case "$_gst_rtc_build" in
  /*) ;;
  *) if [ -d "$_gst_rtc_build" ]; then
       _gst_rtc_build="$(cd "$_gst_rtc_build" && pwd)"
     else
       _gst_rtc_build="$_gst_rtc_src/$_gst_rtc_build"
     fi ;;
esac

if [ ! -f "$_gst_rtc_build/build.ninja" ]; then
  echo "env.sh: $_gst_rtc_build is not a meson build directory" \
    "(meson setup $_gst_rtc_build && ninja -C $_gst_rtc_build)" >&2
  unset _gst_rtc_script _gst_rtc_src _gst_rtc_build
  return 1 2>/dev/null || exit 1
fi

_gst_rtc_prepend() {  # VAR DIR: DIR first in the colon-separated VAR, once
  local current
  eval "current=\${$1:-}"
  case ":$current:" in
    *":$2:"*) ;;
    *) if [ -n "$current" ]; then export "$1=$2:$current"; else export "$1=$2"; fi ;;
  esac
}

_gst_rtc_prepend GST_PLUGIN_PATH_1_0 "$_gst_rtc_build/plugins/rtc"
_gst_rtc_prepend GI_TYPELIB_PATH "$_gst_rtc_build/gst/rtc"
_gst_rtc_prepend LD_LIBRARY_PATH "$_gst_rtc_build/gst/rtc"
# python/ holds gi/overrides/GstRtc.py (PyGObject finds every gi/overrides
# directory on sys.path) and the gstrtc package.
_gst_rtc_prepend PYTHONPATH "$_gst_rtc_src/python"
_gst_rtc_prepend PATH "$_gst_rtc_build/tools"
export GST_RTC_SOURCE_ROOT="$_gst_rtc_src"
export GST_RTC_BUILD_ROOT="$_gst_rtc_build"

unset -f _gst_rtc_prepend
unset _gst_rtc_script _gst_rtc_src _gst_rtc_build
