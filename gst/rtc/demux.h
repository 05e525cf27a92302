/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>

G_BEGIN_DECLS

GST_RTC_API
GstRtcPacketKind gst_rtc_demux_classify (const guint8 * data, gsize len);

GST_RTC_API
const gchar * gst_rtc_packet_kind_to_string (GstRtcPacketKind kind);

G_END_DECLS
