/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RTC_SRC (gst_rtc_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcSrc, gst_rtc_src, GST, RTC_SRC, GstBin)

GST_ELEMENT_REGISTER_DECLARE (rtcsrc);

G_END_DECLS
