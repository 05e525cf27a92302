/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SINK (gst_rtc_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcSink, gst_rtc_sink, GST, RTC_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE (rtcsink);

G_END_DECLS
