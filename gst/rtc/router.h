/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/sdp.h>

G_BEGIN_DECLS

/**
 * GST_RTC_SSRC_ROUTER_DEFAULT_MAX_SSRCS:
 *
 * How many SSRCs a router remembers by default. A peer that sprays
 * SSRCs only pushes the least recently seen ones out.
 */
#define GST_RTC_SSRC_ROUTER_DEFAULT_MAX_SSRCS 1000

#define GST_RTC_TYPE_SSRC_ROUTER (gst_rtc_ssrc_router_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcSsrcRouter, gst_rtc_ssrc_router, GST_RTC,
    SSRC_ROUTER, GObject)

GST_RTC_API
GstRtcSsrcRouter * gst_rtc_ssrc_router_new (void);

GST_RTC_API
void gst_rtc_ssrc_router_set_media (GstRtcSsrcRouter * router,
    GPtrArray * media);

GST_RTC_API
gint gst_rtc_ssrc_router_route (GstRtcSsrcRouter * router,
    const guint8 * rtp, gsize len, guint64 now_us);

GST_RTC_API
gint gst_rtc_ssrc_router_lookup (GstRtcSsrcRouter * router, guint32 ssrc);

GST_RTC_API
void gst_rtc_ssrc_router_forget (GstRtcSsrcRouter * router, guint32 ssrc);

GST_RTC_API
void gst_rtc_ssrc_router_set_max_ssrcs (GstRtcSsrcRouter * router,
    guint max_ssrcs);

GST_RTC_API
guint gst_rtc_ssrc_router_get_n_ssrcs (GstRtcSsrcRouter * router);

GST_RTC_API
GstStructure * gst_rtc_ssrc_router_get_stats (GstRtcSsrcRouter * router);

GST_RTC_API
gboolean gst_rtc_rtp_parse_ssrc (const guint8 * rtp, gsize len,
    guint32 * ssrc);

G_END_DECLS
