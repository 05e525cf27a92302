# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python suite runs against a build tree: `meson test -C build
--suite python`, or by hand after `source scripts/env.sh build`:

    /usr/bin/python3 -m pytest tests/python

The fixtures come from gstrtc.testing, the module users load with
`pytest -p gstrtc.testing` (test_fixture.py checks that way too).
"""
import os
import sys

SOURCE_ROOT = os.environ.get("GST_RTC_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON_DIR = os.path.join(SOURCE_ROOT, "python")

# Before gi is imported: its overrides package collects every gi/overrides
# directory on sys.path when it is first imported.
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import gi  # noqa: E402

try:
    gi.require_version("GstRtc", "1.0")
except ValueError as error:
    raise RuntimeError(f"{error}: the GstRtc typelib is not found; "
                       "run `source scripts/env.sh build` or `meson test`") from None

from gstrtc.testing import rtc_peer_pair, rtc_peers, rtc_peers_turn, turn_server  # noqa: E402,F401
