/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/rtc/rtc.h>

#include "gstrtcsink-answer.h"

G_BEGIN_DECLS

/**
 * GstRtcSinkH264Info:
 * @have_sps: an SPS was parsed
 * @profile_idc: its profile_idc
 * @constraint_flags: its constraint_set flags byte
 * @level_idc: its level_idc
 * @reorder_known: whether the SPS tells if frames are reordered (VUI
 *   bitstream_restriction, picture order count type 2, or a profile
 *   without B slices)
 * @max_num_reorder_frames: what it tells (0 when not @reorder_known)
 * @b_slice_seen: a B slice was seen in the stream
 *
 * What rtcsink learns from an H.264 stream it passes through.
 */
typedef struct
{
  gboolean have_sps;
  guint8 profile_idc;
  guint8 constraint_flags;
  guint8 level_idc;
  gboolean reorder_known;
  guint max_num_reorder_frames;
  gboolean b_slice_seen;
} GstRtcSinkH264Info;

G_GNUC_INTERNAL
gboolean gst_rtc_sink_h264_parse_sps (const guint8 * nal, gsize size,
    GstRtcSinkH264Info * info);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_h264_slice_is_b (const guint8 * nal, gsize size);

G_GNUC_INTERNAL
void gst_rtc_sink_h264_scan (const guint8 * data, gsize size,
    guint nal_length_size, GstRtcSinkH264Info * info);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_h264_info_reorders (const GstRtcSinkH264Info * info);

/* One H.264 input of rtcsink and the transcode branches made from it. */
typedef struct _GstRtcSinkTranscoder GstRtcSinkTranscoder;

G_GNUC_INTERNAL
GstRtcSinkTranscoder * gst_rtc_sink_transcoder_new (GstElement * sink,
    GstRtcFanout * fanout, GstElement * tee, const gchar * pad_name,
    guint bitrate);

G_GNUC_INTERNAL
GstRtcSinkTranscoder * gst_rtc_sink_transcoder_ref (GstRtcSinkTranscoder * t);

G_GNUC_INTERNAL
void gst_rtc_sink_transcoder_unref (GstRtcSinkTranscoder * t);

G_GNUC_INTERNAL
void gst_rtc_sink_transcoder_remove (GstRtcSinkTranscoder * t);

G_GNUC_INTERNAL
guint gst_rtc_sink_transcoder_add_sources (GstRtcSinkTranscoder * t,
    GstRtcSinkSource * sources, GstRtcCodec ** codecs, gchar ** tracks,
    guint n_sources, guint max_sources);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_transcode_resolve (GstRtcSinkTranscoder ** transcoders,
    guint n_transcoders, GstRtcFanoutViewerConfig * config,
    GstStructure ** info, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_sink_transcode_viewer_removed (GstRtcFanout * fanout,
    const GstRtcFanoutViewerConfig * config);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_transcode_audio_needs_decoding (const GstStructure * s);

G_GNUC_INTERNAL
GPtrArray * gst_rtc_sink_transcode_make_audio_decoder (GstElement * sink,
    const GstCaps * caps);

G_GNUC_INTERNAL
void gst_rtc_sink_transcode_post_viewer (GstElement * sink,
    const gchar * viewer_id, GstStructure * info);

G_END_DECLS
