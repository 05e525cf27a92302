/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>

G_BEGIN_DECLS

/**
 * GstRtcPacerKind:
 * @GST_RTC_PACER_KIND_AUDIO: audio: never held back
 * @GST_RTC_PACER_KIND_VIDEO: video: paced, dropped (oldest first) only when
 *   the queue is full
 * @GST_RTC_PACER_KIND_RETRANSMISSION: RTX: paced like video, never dropped
 *   for video's sake
 *
 * What a packet given to a #GstRtcPacer is.
 */
typedef enum
{
  GST_RTC_PACER_KIND_AUDIO,
  GST_RTC_PACER_KIND_VIDEO,
  GST_RTC_PACER_KIND_RETRANSMISSION,
} GstRtcPacerKind;

/**
 * GstRtcPacer:
 *
 * A leaky bucket that spreads outgoing media packets over time.
 */
#define GST_RTC_TYPE_PACER (gst_rtc_pacer_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcPacer, gst_rtc_pacer, GST_RTC, PACER, GObject);

/**
 * GstRtcPacerSendFunc:
 * @pacer: the pacer
 * @data: (array length=len): the packet, writable (the callback may
 *   complete it, e.g. with a transport-wide sequence number)
 * @len: its length
 * @kind: what it is
 * @tag: what was given to gst_rtc_pacer_push() with it
 * @now_us: the pacer's time of sending (µs)
 * @user_data: user data
 *
 * Puts one packet on the wire. Called from the thread that pushed the
 * packet or from the pacer's own thread, one packet at a time and in the
 * order the packets leave.
 */
typedef void (*GstRtcPacerSendFunc) (GstRtcPacer * pacer, guint8 * data,
    gsize len, GstRtcPacerKind kind, guint tag, gint64 now_us,
    gpointer user_data);

GST_RTC_API
GstRtcPacer * gst_rtc_pacer_new (void);

GST_RTC_API
void gst_rtc_pacer_set_send_func (GstRtcPacer * pacer,
    GstRtcPacerSendFunc func, gpointer user_data, GDestroyNotify notify);

GST_RTC_API
void gst_rtc_pacer_set_target_bitrate (GstRtcPacer * pacer, guint bitrate);

GST_RTC_API
guint64 gst_rtc_pacer_get_pacing_rate (GstRtcPacer * pacer);

GST_RTC_API
void gst_rtc_pacer_push (GstRtcPacer * pacer, GstRtcPacerKind kind,
    const guint8 * data, gsize len, guint tag, gint64 now_us);

GST_RTC_API
gint64 gst_rtc_pacer_process (GstRtcPacer * pacer, gint64 now_us);

GST_RTC_API
gboolean gst_rtc_pacer_start (GstRtcPacer * pacer, GError ** error);

GST_RTC_API
void gst_rtc_pacer_stop (GstRtcPacer * pacer);

GST_RTC_API
GstStructure * gst_rtc_pacer_get_stats (GstRtcPacer * pacer);

G_END_DECLS
