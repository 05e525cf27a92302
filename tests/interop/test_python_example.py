# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/python/rtcbin-call.py runs as documented: an rtcbin <-> webrtcbin
call through GObject introspection, each side as the offerer, that exits 0
and prints the frames each side decoded."""
import os
import re
import subprocess

import pytest

from rtcpeer import element_available, element_under_test, missing_element_under_test

SOURCE_ROOT = os.environ.get("GST_RTC_SOURCE_ROOT",
                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXAMPLE = os.path.join(SOURCE_ROOT, "examples", "python", "rtcbin-call.py")
FRAMES = 30


@pytest.mark.parametrize("offerer", ["ours", "peer"])
def test_rtcbin_call_example(offerer):
    missing = missing_element_under_test()
    if missing:
        pytest.fail(missing)
    if not element_available("webrtcbin"):
        pytest.skip("webrtcbin is not installed (gstreamer1.0-plugins-bad)")
    ours = element_under_test()
    proc = subprocess.run(["/usr/bin/python3", EXAMPLE, "--ours", ours, "--offerer", offerer,
                           "--frames", str(FRAMES), "--timeout", "30"],
                          capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "success" in proc.stdout, out
    decoded = re.findall(r"^(ours|peer) \((\w+)\): decoded (\d+) video frames \((\d+), (\d+)\), "
                         r"(\d+) audio buffers; connection (\S+)", proc.stdout, re.M)
    assert len(decoded) == 2, out
    for who, element, video, width, height, audio, state in decoded:
        assert element == (ours if who == "ours" else "webrtcbin"), out
        assert int(video) >= FRAMES and int(audio) > 0, out
        assert (int(width), int(height)) == (320, 240), out
        assert state == "connected", out
