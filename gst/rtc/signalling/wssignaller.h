/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/signalling/signaller.h>

G_BEGIN_DECLS

/**
 * GST_RTC_WS_SIGNALLER_ROLE_PRODUCER:
 *
 * The role of a peer that sends media and answers offers (rtcsink).
 */
#define GST_RTC_WS_SIGNALLER_ROLE_PRODUCER "producer"

/**
 * GST_RTC_WS_SIGNALLER_ROLE_CONSUMER:
 *
 * The role of a peer that receives media and makes the offers (rtcsrc).
 */
#define GST_RTC_WS_SIGNALLER_ROLE_CONSUMER "consumer"

#define GST_RTC_TYPE_WS_SIGNALLER (gst_rtc_ws_signaller_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcWsSignaller, gst_rtc_ws_signaller, GST_RTC,
    WS_SIGNALLER, GObject)

GST_RTC_API
GstRtcWsSignaller * gst_rtc_ws_signaller_new (const gchar * uri,
    GError ** error);

GST_RTC_API
gboolean gst_rtc_ws_signaller_check_uri (const gchar * uri, GError ** error);

#ifdef BUILDING_GST_RTC
G_GNUC_INTERNAL
void gst_rtc_signaller_register_value_table (void);
#endif

G_END_DECLS
