/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>
#include <gst/rtc/transport.h>

G_BEGIN_DECLS

/**
 * GST_RTC_FANOUT_MAX_STREAMS:
 *
 * The most source streams (renditions) one #GstRtcFanout carries, and so
 * the most streams one viewer can subscribe to.
 */
#define GST_RTC_FANOUT_MAX_STREAMS 16

/**
 * GstRtcFanoutStreamConfig:
 * @stream_id: the source stream, as returned by gst_rtc_fanout_add_stream()
 * @active: whether the viewer wants the stream now; an inactive stream can
 *   be turned on later with gst_rtc_fanout_set_viewer_stream_active()
 * @payload_type: the payload type the viewer negotiated for the codec
 * @rtx_payload_type: the viewer's RTX payload type for it (`apt=`), or 0
 *   when the viewer did not negotiate RTX: lost packets are then resent as
 *   they were
 * @ssrc: the SSRC to send the stream with, or 0 for the source stream's
 * @rtx_ssrc: the SSRC of the RTX stream; unused without @rtx_payload_type
 * @mid_ext_id: the one-byte header extension id the viewer negotiated for
 *   `urn:ietf:params:rtp-hdrext:sdes:mid` (1..14), or 0 for none
 * @twcc_ext_id: the one-byte header extension id the viewer negotiated for
 *   transport-wide congestion control (1..14), or 0 for none
 * @mid: (nullable): the MID of the viewer's m-line (1..16 bytes), borrowed
 *   until gst_rtc_fanout_add_viewer() returns; gst_rtc_fanout_viewer_config_add_stream()
 *   stores the MID inside the configuration instead and leaves this %NULL
 *
 * What one viewer negotiated for one source stream. The fan-out rewrites
 * every packet to it: payload type, SSRC, header extensions, and a
 * sequence number and timestamp space of the viewer's own.
 */
typedef struct
{
  guint stream_id;
  gboolean active;
  guint8 payload_type;
  guint8 rtx_payload_type;
  guint32 ssrc;
  guint32 rtx_ssrc;
  guint8 mid_ext_id;
  guint8 twcc_ext_id;
  const gchar *mid;

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
} GstRtcFanoutStreamConfig;

/**
 * GstRtcFanoutViewerConfig:
 * @n_streams: how many entries of @streams are used
 * @streams: one entry per stream the viewer subscribes to
 *
 * What one viewer negotiated. It can live on the stack: the fan-out copies
 * what it needs in gst_rtc_fanout_add_viewer(). Bindings build one with
 * gst_rtc_fanout_viewer_config_new() and
 * gst_rtc_fanout_viewer_config_add_stream().
 */
typedef struct
{
  guint n_streams;
  GstRtcFanoutStreamConfig streams[GST_RTC_FANOUT_MAX_STREAMS];

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING];
} GstRtcFanoutViewerConfig;

GST_RTC_API
const gchar * gst_rtc_fanout_stream_config_get_mid (const GstRtcFanoutStreamConfig * config);

#define GST_RTC_TYPE_FANOUT_VIEWER_CONFIG (gst_rtc_fanout_viewer_config_get_type ())
GST_RTC_API
GType gst_rtc_fanout_viewer_config_get_type (void);

GST_RTC_API
GstRtcFanoutViewerConfig * gst_rtc_fanout_viewer_config_new (void);

GST_RTC_API
GstRtcFanoutViewerConfig * gst_rtc_fanout_viewer_config_copy (const GstRtcFanoutViewerConfig * config);

GST_RTC_API
void gst_rtc_fanout_viewer_config_free (GstRtcFanoutViewerConfig * config);

GST_RTC_API
gboolean gst_rtc_fanout_viewer_config_add_stream (GstRtcFanoutViewerConfig * config,
    guint stream_id, guint8 payload_type, guint8 rtx_payload_type,
    guint32 ssrc, guint32 rtx_ssrc, const gchar * mid, guint8 mid_ext_id,
    guint8 twcc_ext_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtcFanoutViewerConfig,
    gst_rtc_fanout_viewer_config_free)

#define GST_RTC_TYPE_FANOUT (gst_rtc_fanout_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcFanout, gst_rtc_fanout, GST_RTC, FANOUT, GstObject)

GST_RTC_API
GstRtcFanout * gst_rtc_fanout_new (void);

GST_RTC_API
void gst_rtc_fanout_set_clock (GstRtcFanout * fanout, GstClock * clock);

GST_RTC_API
guint gst_rtc_fanout_add_stream (GstRtcFanout * fanout, GstRtcMediaKind kind,
    guint32 ssrc, guint clock_rate);

GST_RTC_API
gboolean gst_rtc_fanout_set_stream_rendition (GstRtcFanout * fanout,
    guint stream_id, guint primary_id, guint bitrate);

GST_RTC_API
gboolean gst_rtc_fanout_set_stream_codec (GstRtcFanout * fanout,
    guint stream_id, const gchar * encoding_name);

GST_RTC_API
gboolean gst_rtc_fanout_push (GstRtcFanout * fanout, guint stream_id,
    GstBuffer * rtp);

GST_RTC_API
guint gst_rtc_fanout_add_viewer (GstRtcFanout * fanout,
    GstRtcTransport * transport, const GstRtcFanoutViewerConfig * config);

GST_RTC_API
gboolean gst_rtc_fanout_remove_viewer (GstRtcFanout * fanout, guint viewer_id);

GST_RTC_API
gboolean gst_rtc_fanout_set_viewer_stream_active (GstRtcFanout * fanout,
    guint viewer_id, guint stream_id, gboolean active);

GST_RTC_API
gboolean gst_rtc_fanout_handle_rtcp (GstRtcFanout * fanout, guint viewer_id,
    const guint8 * data, gsize len);

GST_RTC_API
gboolean gst_rtc_fanout_request_keyframe (GstRtcFanout * fanout,
    guint stream_id);

GST_RTC_API
guint gst_rtc_fanout_get_n_viewers (GstRtcFanout * fanout);

GST_RTC_API
GstStructure * gst_rtc_fanout_get_viewer_stats (GstRtcFanout * fanout,
    guint viewer_id);

GST_RTC_API
GstStructure * gst_rtc_fanout_get_stats (GstRtcFanout * fanout);

GST_RTC_API
guint gst_rtc_fanout_get_target_bitrate (GstRtcFanout * fanout);

GST_RTC_API
void gst_rtc_fanout_update_bandwidth (GstRtcFanout * fanout);

GST_RTC_API
GstStructure * gst_rtc_fanout_get_bandwidth_stats (GstRtcFanout * fanout);

G_END_DECLS
