# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Python programs in docs/python.md run as written and print what the
page says they print."""
import os
import re
import shutil
import subprocess
import sys

import pytest

SOURCE_ROOT = os.environ.get("GST_RTC_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(SOURCE_ROOT, "docs", "python.md")


def blocks():
    with open(DOC) as doc:
        return re.findall(r"```python\n(.*?)```", doc.read(), re.S)


def block_starting(prefix):
    found = [b for b in blocks() if b.startswith(prefix)]
    assert found, f"docs/python.md has no python block starting with {prefix!r}"
    return found[0]


def run(program, tmp_path, timeout=120):
    path = tmp_path / "program.py"
    path.write_text(program)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(SOURCE_ROOT, "python"),
                                                      env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def first_call():
    return block_starting('import gi\ngi.require_version("Gst", "1.0")\n'
                          'gi.require_version("GstRtc", "1.0")\nfrom gi.repository import Gst, '
                          'GstRtc\n\nGst.init(None)\n\ndef peer')


def test_first_call(tmp_path):
    assert run(first_call(), tmp_path).strip() == "connected"


def test_error_example(tmp_path):
    program = first_call().split("pipe_a.set_state(Gst.State.NULL)")[0]
    program += block_starting("try:\n")
    out = run(program, tmp_path)
    assert "GST_RTC_ERROR_SDP_SYNTAX_ERROR" in out and "invalid remote offer" in out


def test_turn_example(tmp_path):
    if shutil.which("turnserver") is None:
        pytest.skip("turnserver (coturn) is not installed")
    out = run(block_starting("from gstrtc.testing import PeerPair, TurnServer"), tmp_path)
    assert "typ relay" in out


def test_signaller_skeleton(tmp_path):
    program = block_starting('import gi\ngi.require_version("GstRtc", "1.0")\n'
                             'from gi.repository import GObject, GstRtc')
    program += "\nprint(isinstance(MySignaller(), GstRtc.Signaller))\n"
    assert run(program, tmp_path).strip() == "True"


def test_loopback_signaller_example(tmp_path):
    out = run(block_starting('import gi\ngi.require_version("Gst", "1.0")\n'
                             'gi.require_version("GstRtc", "1.0")\nfrom gi.repository import Gst\n'
                             'from gstrtc.testing import LoopbackSignaller'), tmp_path)
    assert "through a Python signaller" in out
