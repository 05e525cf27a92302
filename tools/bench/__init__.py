# SPDX-License-Identifier: LGPL-2.1-or-later
"""gst-rtc-bench modules: transports, fanout, mesh, step (see common.py for
the interface they share)."""
