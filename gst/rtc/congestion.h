/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>

G_BEGIN_DECLS

/**
 * GST_RTC_TWCC_DELTA_US:
 *
 * The unit of receive deltas in transport-wide-cc feedback: 250 µs.
 */
#define GST_RTC_TWCC_DELTA_US 250

/**
 * GstRtcTwccPacket:
 * @seq: the transport-wide sequence number
 * @received: whether the peer got it
 * @arrival_us: when it arrived, in the peer's clock (µs), if @received
 *
 * One packet of a transport-wide-cc feedback message.
 */
typedef struct
{
  guint16 seq;
  gboolean received;
  gint64 arrival_us;
} GstRtcTwccPacket;

/**
 * GstRtcTwccFeedback:
 * @sender_ssrc: who sent the feedback
 * @media_ssrc: the media source field (unused by TWCC, often 0 or 1)
 * @base_seq: the first sequence number reported
 * @feedback_count: the feedback packet counter (8 bits, wraps)
 * @reference_time_us: the reference time, a multiple of 64 ms
 * @packets: (element-type GstRtcTwccPacket): one per reported packet, in
 *   sequence order from @base_seq
 *
 * A parsed RTCP transport-wide congestion control feedback message
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01, RTPFB FMT 15).
 */
typedef struct
{
  guint32 sender_ssrc;
  guint32 media_ssrc;
  guint16 base_seq;
  guint8 feedback_count;
  gint64 reference_time_us;
  GArray *packets;
} GstRtcTwccFeedback;

GST_RTC_API
gboolean gst_rtc_twcc_feedback_parse (const guint8 * data, gsize len,
    GstRtcTwccFeedback * feedback, GError ** error);

GST_RTC_API
void gst_rtc_twcc_feedback_clear (GstRtcTwccFeedback * feedback);

GST_RTC_API
GBytes * gst_rtc_twcc_feedback_write (const GstRtcTwccFeedback * feedback,
    GError ** error);

GST_RTC_API
gboolean gst_rtc_remb_parse (const guint8 * data, gsize len,
    guint64 * bitrate, GError ** error);

/**
 * GstRtcBandwidthUsage:
 * @GST_RTC_BANDWIDTH_USAGE_NORMAL: the queues are steady
 * @GST_RTC_BANDWIDTH_USAGE_UNDERUSING: the queues drain
 * @GST_RTC_BANDWIDTH_USAGE_OVERUSING: the queues grow: we send too much
 *
 * What the delay-based detector of #GstRtcBandwidthEstimator concludes.
 */
typedef enum
{
  GST_RTC_BANDWIDTH_USAGE_NORMAL,
  GST_RTC_BANDWIDTH_USAGE_UNDERUSING,
  GST_RTC_BANDWIDTH_USAGE_OVERUSING,
} GstRtcBandwidthUsage;

#define GST_RTC_TYPE_BANDWIDTH_ESTIMATOR (gst_rtc_bandwidth_estimator_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcBandwidthEstimator, gst_rtc_bandwidth_estimator,
    GST_RTC, BANDWIDTH_ESTIMATOR, GObject)

GST_RTC_API
GstRtcBandwidthEstimator * gst_rtc_bandwidth_estimator_new (guint start_bitrate,
    guint min_bitrate, guint max_bitrate);

GST_RTC_API
void gst_rtc_bandwidth_estimator_on_sent (GstRtcBandwidthEstimator * estimator,
    guint16 seq, gsize size, gint64 send_time_us);

GST_RTC_API
void gst_rtc_bandwidth_estimator_on_feedback (GstRtcBandwidthEstimator * estimator,
    const GstRtcTwccFeedback * feedback, gint64 now_us);

GST_RTC_API
void gst_rtc_bandwidth_estimator_on_remb (GstRtcBandwidthEstimator * estimator,
    guint64 bitrate, gint64 now_us);

GST_RTC_API
void gst_rtc_bandwidth_estimator_on_loss_report (GstRtcBandwidthEstimator * estimator,
    guint lost, guint expected, gint64 now_us);

GST_RTC_API
void gst_rtc_bandwidth_estimator_set_rtt (GstRtcBandwidthEstimator * estimator,
    gint64 rtt_us);

GST_RTC_API
guint gst_rtc_bandwidth_estimator_get_target (GstRtcBandwidthEstimator * estimator);

GST_RTC_API
GstRtcBandwidthUsage gst_rtc_bandwidth_estimator_get_usage (GstRtcBandwidthEstimator * estimator);

GST_RTC_API
GstStructure * gst_rtc_bandwidth_estimator_get_stats (GstRtcBandwidthEstimator * estimator);

G_END_DECLS
