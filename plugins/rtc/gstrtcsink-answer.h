/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/rtc/rtc.h>

G_BEGIN_DECLS

/* The most remote candidates rtcsink takes from one viewer, offer and
 * trickle together: a browser has a handful; more is someone making us
 * send connectivity checks to addresses of their choosing. */
#define GST_RTC_SINK_MAX_REMOTE_CANDIDATES 20

/**
 * GstRtcSinkSource:
 * @kind: audio or video
 * @fanout_stream: the #GstRtcFanout stream that carries it
 * @codec: what the payloader sends (name, clock rate, fmtp); its payload
 *   type does not matter: each viewer gets the one it offered
 * @track_id: the track part of a=msid
 * @group: 0, or an id shared by alternatives for one input (its
 *   passthrough stream and its transcoded ones): an m-line takes the first
 *   of them it accepts, and the others are then used up with it
 *
 * One stream that rtcsink can send, as the answer builder sees it.
 */
typedef struct
{
  GstRtcMediaKind kind;
  guint fanout_stream;
  const GstRtcCodec *codec;
  const gchar *track_id;
  guint group;
} GstRtcSinkSource;

/**
 * GstRtcSinkAnswer:
 * @answer: the answer, without ICE, DTLS and candidate attributes yet
 * @offer_tag: the offered m-line whose transport the viewer uses (the
 *   BUNDLE-tagged one we accepted)
 * @config: per accepted m-line, what the fan-out rewrites packets to
 * @n_accepted: accepted m-lines
 *
 * What gst_rtc_sink_answer_build() makes of an offer.
 */
typedef struct
{
  GstRtcSessionDescription *answer;
  guint offer_tag;
  GstRtcFanoutViewerConfig config;
  guint n_accepted;
} GstRtcSinkAnswer;

G_GNUC_INTERNAL
gboolean gst_rtc_sink_answer_build (const GstRtcSessionDescription * offer,
    const GstRtcSinkSource * sources, guint n_sources, const gchar * cname,
    const gchar * stream_id, GstRtcSinkAnswer * out, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_sink_answer_set_transport (GstRtcSinkAnswer * answer,
    const gchar * ufrag, const gchar * pwd, const gchar * fingerprint,
    GstRtcDtlsSetup setup, const GPtrArray * candidates,
    gboolean end_of_candidates);

G_GNUC_INTERNAL
void gst_rtc_sink_answer_clear (GstRtcSinkAnswer * answer);

G_GNUC_INTERNAL
GstRtcDtlsSetup gst_rtc_sink_answer_setup (GstRtcDtlsSetup offered);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_offer_build (const GstRtcSinkSource * sources,
    guint n_sources, const gchar * cname, const gchar * stream_id,
    GstRtcSinkAnswer * out, GError ** error);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_offer_apply_answer (GstRtcSinkAnswer * offer,
    const GstRtcSessionDescription * answer, GError ** error);

/**
 * GstRtcSinkSdpFrag:
 * @ufrag: (nullable): a=ice-ufrag of the fragment
 * @pwd: (nullable): a=ice-pwd of the fragment
 * @candidates: (element-type utf8): the `candidate:…` lines, without `a=`
 * @end_of_candidates: %TRUE if a=end-of-candidates was present
 *
 * An `application/trickle-ice-sdpfrag` body (RFC 8840), as WHIP and WHEP
 * PATCH requests carry.
 */
typedef struct
{
  gchar *ufrag;
  gchar *pwd;
  GPtrArray *candidates;
  gboolean end_of_candidates;
} GstRtcSinkSdpFrag;

G_GNUC_INTERNAL
gboolean gst_rtc_sink_sdpfrag_parse (const gchar * text, gsize len,
    guint max_candidates, GstRtcSinkSdpFrag * frag, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_sink_sdpfrag_clear (GstRtcSinkSdpFrag * frag);

G_GNUC_INTERNAL
gchar * gst_rtc_sink_sdpfrag_build (const gchar * ufrag, const gchar * pwd,
    GstRtcMediaKind kind, const gchar * mid, const GPtrArray * candidates,
    gboolean end_of_candidates);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_media_type_is (const gchar * content_type,
    const gchar * media_type);

G_END_DECLS
