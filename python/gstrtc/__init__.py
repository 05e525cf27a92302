# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python helpers of gst-rtc that are not part of the GstRtc namespace.

* :mod:`gstrtc.testing` -- two connected local rtcbin peers, a coturn TURN
  server, a loopback GstRtcSignaller, and pytest fixtures for all three
  (``pytest -p gstrtc.testing``).

The GObject API itself is ``from gi.repository import GstRtc``, with the
overrides in ``gi/overrides/GstRtc.py``.
"""
