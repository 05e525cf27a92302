/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* ---- codecs ---- */

/**
 * GstRtcCodec:
 * @payload_type: the RTP payload type (0..127)
 * @encoding_name: upper case: `VP8`, `VP9`, `H264`, `OPUS`, `PCMU`, `PCMA`
 *   (unknown names are kept as written, upper-cased)
 * @clock_rate: the RTP clock rate
 * @channels: audio channels (0 for video, 1 when the SDP says none)
 * @fmtp: (nullable): the a=fmtp parameters, without `a=fmtp:PT `
 * @rtx_payload_type: the payload type of its RTX (`apt=`), 0 for none
 * @feedback: the RTCP feedback it supports
 *
 * One codec of an m-line.
 */
typedef struct
{
  guint payload_type;
  gchar *encoding_name;
  guint clock_rate;
  guint channels;
  gchar *fmtp;
  guint rtx_payload_type;
  GstRtcRtcpFeedback feedback;
} GstRtcCodec;

#define GST_RTC_TYPE_CODEC (gst_rtc_codec_get_type ())
GST_RTC_API
GType gst_rtc_codec_get_type (void);

GST_RTC_API
GstRtcCodec * gst_rtc_codec_new (guint payload_type, const gchar * encoding_name,
    guint clock_rate, guint channels, const gchar * fmtp);

GST_RTC_API
GstRtcCodec * gst_rtc_codec_copy (const GstRtcCodec * codec);

GST_RTC_API
void gst_rtc_codec_free (GstRtcCodec * codec);

GST_RTC_API
GstCaps * gst_rtc_codec_to_caps (const GstRtcCodec * codec, GstRtcMediaKind kind);

GST_RTC_API
GstRtcCodec * gst_rtc_codec_new_from_caps (const GstCaps * caps, GError ** error);

GST_RTC_API
gchar * gst_rtc_codec_get_fmtp_value (const GstRtcCodec * codec, const gchar * key);

GST_RTC_API
GPtrArray * gst_rtc_codecs_default (GstRtcMediaKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtcCodec, gst_rtc_codec_free)

/* ---- the model of a description ---- */

/**
 * GstRtcMediaDescription:
 * @mline: the m-line's index
 * @mid: (nullable): the a=mid value
 * @kind: audio or video
 * @direction: the direction, from the writer's point of view
 * @rejected: %TRUE for a port-0 (rejected or stopped) m-line
 * @bundle_only: %TRUE for a=bundle-only
 * @codecs: (element-type GstRtcCodec): in preference order; RTX is not a
 *   separate entry but the @rtx_payload_type of the codec it repairs
 * @ext_mid: the id of the `urn:ietf:params:rtp-hdrext:sdes:mid` header
 *   extension, 0 for none
 * @ext_rid: the id of `urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id`, 0 for none
 * @ext_twcc: the id of the transport-wide-cc extension
 *   (`http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01`), 0 for none
 * @ssrc: the first a=ssrc (the media SSRC), 0 for none
 * @rtx_ssrc: the RTX SSRC from `a=ssrc-group:FID`, 0 for none
 * @cname: (nullable): the a=ssrc cname
 * @msid: (nullable): the a=msid value (`stream-id track-id`)
 * @rids: (nullable) (array zero-terminated=1): the a=rid ids it receives or sends
 * @ice_ufrag: (nullable): the ICE user fragment (from the m-line, or the session)
 * @ice_pwd: (nullable): the ICE password (idem)
 * @fingerprint: (nullable): the `sha-256 AB:…` fingerprint (idem)
 * @setup: the a=setup value
 * @candidates: (element-type utf8): `candidate:…` strings, without `a=`
 * @end_of_candidates: %TRUE when a=end-of-candidates was present
 * @rtcp_mux: %TRUE for a=rtcp-mux
 * @rtcp_rsize: %TRUE for a=rtcp-rsize
 * @application: (nullable): for an `m=application` line (data channels,
 *   which are not supported yet): its `<proto> <fmt>…` as written, such as
 *   `UDP/DTLS/SCTP webrtc-datachannel`, so that an answer can echo it. Such
 *   an m-line is always @rejected, has no @codecs, and its @kind means
 *   nothing.
 *
 * What a description says about one m-line, after validation.
 */
typedef struct
{
  guint mline;
  gchar *mid;
  GstRtcMediaKind kind;
  GstRtcDirection direction;
  gboolean rejected;
  gboolean bundle_only;
  GPtrArray *codecs;
  guint ext_mid;
  guint ext_rid;
  guint ext_twcc;
  guint32 ssrc;
  guint32 rtx_ssrc;
  gchar *cname;
  gchar *msid;
  gchar **rids;
  gchar *ice_ufrag;
  gchar *ice_pwd;
  gchar *fingerprint;
  GstRtcDtlsSetup setup;
  GPtrArray *candidates;
  gboolean end_of_candidates;
  gboolean rtcp_mux;
  gboolean rtcp_rsize;
  gchar *application;
} GstRtcMediaDescription;

#define GST_RTC_TYPE_MEDIA_DESCRIPTION (gst_rtc_media_description_get_type ())
GST_RTC_API
GType gst_rtc_media_description_get_type (void);

GST_RTC_API
GstRtcMediaDescription * gst_rtc_media_description_new (guint mline,
    GstRtcMediaKind kind);

GST_RTC_API
GstRtcMediaDescription * gst_rtc_media_description_copy (const GstRtcMediaDescription * media);

GST_RTC_API
void gst_rtc_media_description_free (GstRtcMediaDescription * media);

GST_RTC_API
const GstRtcCodec * gst_rtc_media_description_find_codec (const GstRtcMediaDescription * media,
    guint payload_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtcMediaDescription, gst_rtc_media_description_free)

/**
 * GstRtcSessionDescription:
 * @type: offer, pranswer or answer
 * @session_id: the o= session id
 * @session_version: the o= session version
 * @media: (element-type GstRtcMediaDescription): one entry per m-line, in order
 * @bundle_mids: (nullable) (array zero-terminated=1): the mids of the first
 *   a=group:BUNDLE, tagged m-line first
 * @ice_lite: %TRUE for a=ice-lite
 * @ice_trickle: %TRUE for a=ice-options:trickle
 *
 * A whole session description, after validation.
 */
typedef struct
{
  GstRtcSdpType type;
  gchar *session_id;
  guint64 session_version;
  GPtrArray *media;
  gchar **bundle_mids;
  gboolean ice_lite;
  gboolean ice_trickle;
} GstRtcSessionDescription;

#define GST_RTC_TYPE_SESSION_DESCRIPTION (gst_rtc_session_description_get_type ())
GST_RTC_API
GType gst_rtc_session_description_get_type (void);

GST_RTC_API
GstRtcSessionDescription * gst_rtc_session_description_new (GstRtcSdpType type);

GST_RTC_API
GstRtcSessionDescription * gst_rtc_session_description_copy (const GstRtcSessionDescription * desc);

GST_RTC_API
void gst_rtc_session_description_free (GstRtcSessionDescription * desc);

GST_RTC_API
GstRtcSessionDescription * gst_rtc_session_description_parse (GstRtcSdpType type,
    const gchar * sdp, GError ** error);

GST_RTC_API
gchar * gst_rtc_session_description_to_string (const GstRtcSessionDescription * desc);

GST_RTC_API
GstSDPMessage * gst_rtc_session_description_to_sdp (const GstRtcSessionDescription * desc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtcSessionDescription, gst_rtc_session_description_free)

/* ---- offer/answer (JSEP, RFC 8829) ---- */

GST_RTC_API
gboolean gst_rtc_sdp_type_from_string (const gchar * name, GstRtcSdpType * type);

GST_RTC_API
const gchar * gst_rtc_sdp_type_to_string (GstRtcSdpType type);

GST_RTC_API
const gchar * gst_rtc_direction_to_string (GstRtcDirection direction);

GST_RTC_API
GstRtcDirection gst_rtc_direction_answer (GstRtcDirection offered,
    GstRtcDirection local);

GST_RTC_API
GstRtcDirection gst_rtc_direction_reverse (GstRtcDirection direction);

GST_RTC_API
GstRtcMediaDescription * gst_rtc_sdp_answer_media (const GstRtcMediaDescription * offered,
    const GPtrArray * local_codecs, GstRtcDirection local_direction,
    GError ** error);

GST_RTC_API
gboolean gst_rtc_sdp_validate_answer (const GstRtcSessionDescription * offer,
    const GstRtcSessionDescription * answer, GError ** error);

G_END_DECLS
