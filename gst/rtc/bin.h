/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>
#include <gst/rtc/ice.h>
#include <gst/rtc/dtls.h>

G_BEGIN_DECLS

/* ---- GstRtcTransceiver ---- */

#define GST_RTC_TYPE_TRANSCEIVER (gst_rtc_transceiver_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcTransceiver, gst_rtc_transceiver, GST_RTC,
    TRANSCEIVER, GstObject)

GST_RTC_API
GstRtcDirection gst_rtc_transceiver_get_direction (GstRtcTransceiver * transceiver);

GST_RTC_API
void gst_rtc_transceiver_set_direction (GstRtcTransceiver * transceiver,
    GstRtcDirection direction);

GST_RTC_API
GstRtcDirection gst_rtc_transceiver_get_current_direction (GstRtcTransceiver * transceiver);

GST_RTC_API
gchar * gst_rtc_transceiver_get_mid (GstRtcTransceiver * transceiver);

GST_RTC_API
guint gst_rtc_transceiver_get_mline_index (GstRtcTransceiver * transceiver);

GST_RTC_API
GstRtcMediaKind gst_rtc_transceiver_get_kind (GstRtcTransceiver * transceiver);

GST_RTC_API
GstCaps * gst_rtc_transceiver_get_codec_preferences (GstRtcTransceiver * transceiver);

GST_RTC_API
void gst_rtc_transceiver_set_codec_preferences (GstRtcTransceiver * transceiver,
    GstCaps * caps);

/* ---- GstRtcBin ---- */

#define GST_RTC_TYPE_BIN (gst_rtc_bin_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcBin, gst_rtc_bin, GST_RTC, BIN, GstBin)

GST_RTC_API
GstElement * gst_rtc_bin_new (const gchar * name);

GST_RTC_API
void gst_rtc_bin_create_offer_async (GstRtcBin * bin,
    const GstStructure * options, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_RTC_API
gchar * gst_rtc_bin_create_offer_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error);

GST_RTC_API
void gst_rtc_bin_create_answer_async (GstRtcBin * bin,
    const GstStructure * options, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_RTC_API
gchar * gst_rtc_bin_create_answer_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error);

GST_RTC_API
void gst_rtc_bin_set_local_description_async (GstRtcBin * bin,
    GstRtcSdpType type, const gchar * sdp, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_RTC_API
gboolean gst_rtc_bin_set_local_description_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error);

GST_RTC_API
void gst_rtc_bin_set_remote_description_async (GstRtcBin * bin,
    GstRtcSdpType type, const gchar * sdp, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_RTC_API
gboolean gst_rtc_bin_set_remote_description_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error);

GST_RTC_API
gboolean gst_rtc_bin_add_ice_candidate (GstRtcBin * bin, guint mline_index,
    const gchar * mid, const gchar * candidate, GError ** error);

GST_RTC_API
gboolean gst_rtc_bin_add_turn_server (GstRtcBin * bin, const gchar * uri,
    GError ** error);

GST_RTC_API
GstRtcTransceiver * gst_rtc_bin_add_transceiver (GstRtcBin * bin,
    GstRtcDirection direction, GstCaps * codec_preferences);

GST_RTC_API
GPtrArray * gst_rtc_bin_get_transceivers (GstRtcBin * bin);

GST_RTC_API
void gst_rtc_bin_get_stats_async (GstRtcBin * bin, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

GST_RTC_API
GstStructure * gst_rtc_bin_get_stats_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error);

GST_RTC_API
GstStructure * gst_rtc_bin_get_stats (GstRtcBin * bin);

GST_RTC_API
GstRtcIceAgent * gst_rtc_bin_get_ice_agent (GstRtcBin * bin);

G_END_DECLS
