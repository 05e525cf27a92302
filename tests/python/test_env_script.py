# SPDX-License-Identifier: LGPL-2.1-or-later
"""scripts/env.sh alone makes the build tree usable from Python, as
docs/python.md says: run with none of the test environment."""
import os
import subprocess

import pytest

SOURCE_ROOT = os.environ.get("GST_RTC_SOURCE_ROOT") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

CHECK = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtc', '1.0'); "
         "from gi.repository import Gst, GstRtc; Gst.init(None); "
         "import gstrtc.testing; "
         "pc = Gst.ElementFactory.make('rtcbin'); "
         "print(GstRtc.Bin.__module__, type(pc).__name__, Gst.ElementFactory.find('rtcsink') is not None)")


def clean_environment():
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "GST_REGISTRY_1_0", "GST_REGISTRY_FORK")
    return {k: v for k, v in os.environ.items() if k in keep}


def test_env_script_sets_up_a_bare_shell():
    build_root = os.environ.get("GST_RTC_BUILD_ROOT")
    if not build_root:
        pytest.skip("GST_RTC_BUILD_ROOT is not set (run through meson test)")
    script = f'source scripts/env.sh "{build_root}" && /usr/bin/python3 -c "{CHECK}"'
    proc = subprocess.run(["bash", "-c", script], cwd=SOURCE_ROOT, env=clean_environment(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["gi.overrides.GstRtc", "Bin", "True"], proc.stdout


def test_env_script_refuses_a_directory_that_is_no_build_tree(tmp_path):
    proc = subprocess.run(["bash", "-c", f'source scripts/env.sh "{tmp_path}"; echo "rc=$?"'],
                          cwd=SOURCE_ROOT, env=clean_environment(), capture_output=True,
                          text=True, timeout=60)
    assert "rc=1" in proc.stdout
    assert "not a meson build directory" in proc.stderr
