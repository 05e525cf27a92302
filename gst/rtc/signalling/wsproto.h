/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>

G_BEGIN_DECLS

/**
 * GST_RTC_WS_MESSAGE_MAX_SIZE:
 *
 * The largest JSON text gst_rtc_ws_message_parse() accepts, in bytes. An
 * SDP with many m-lines and candidates stays well below it.
 */
#define GST_RTC_WS_MESSAGE_MAX_SIZE (256 * 1024)

/**
 * GstRtcWsMessageType:
 * @GST_RTC_WS_MESSAGE_OFFER: `{"type":"offer","sdp":…}`
 * @GST_RTC_WS_MESSAGE_ANSWER: `{"type":"answer","sdp":…}`
 * @GST_RTC_WS_MESSAGE_CANDIDATE: `{"type":"candidate","candidate":…,
 *   "sdpMid":…,"sdpMLineIndex":…}`; a null or empty candidate ends the
 *   candidates
 * @GST_RTC_WS_MESSAGE_JOIN: `{"type":"join","room":…,"peer":…,"role":…}`, a
 *   peer asks to enter a room, optionally under a chosen id and announcing
 *   a role (`"producer"` or `"consumer"`)
 * @GST_RTC_WS_MESSAGE_PEERS: `{"type":"peers","room":…,"peer":…,"peers":[…],
 *   "roles":[…]}`, the server tells a peer its own id and who else is in
 *   the room; `"roles"`, when present, runs parallel to `"peers"`
 * @GST_RTC_WS_MESSAGE_PEER_JOINED: `{"type":"peer-joined","peer":…,"role":…}`
 * @GST_RTC_WS_MESSAGE_PEER_LEFT: `{"type":"peer-left","peer":…}`
 * @GST_RTC_WS_MESSAGE_ERROR: `{"type":"error","reason":…}`
 *
 * The kinds of message exchanged over a signalling WebSocket. Offers,
 * answers and candidates are shaped like the browser's
 * RTCSessionDescriptionInit and RTCIceCandidateInit, so that a web page can
 * pass them to and from its RTCPeerConnection unchanged.
 */
typedef enum
{
  GST_RTC_WS_MESSAGE_OFFER,
  GST_RTC_WS_MESSAGE_ANSWER,
  GST_RTC_WS_MESSAGE_CANDIDATE,
  GST_RTC_WS_MESSAGE_JOIN,
  GST_RTC_WS_MESSAGE_PEERS,
  GST_RTC_WS_MESSAGE_PEER_JOINED,
  GST_RTC_WS_MESSAGE_PEER_LEFT,
  GST_RTC_WS_MESSAGE_ERROR,
} GstRtcWsMessageType;

/**
 * GstRtcWsMessage:
 * @type: what the message is
 * @sdp: (nullable): the session description of an offer or answer
 * @candidate: (nullable): the `candidate:` attribute value; %NULL or empty
 *   in the end-of-candidates message
 * @sdp_mid: (nullable): the MID of the candidate's m-line
 * @sdp_mline_index: the index of the candidate's m-line, -1 when absent
 * @room: (nullable): the room of a join or peers message
 * @peer: (nullable): the peer a join, peers, peer-joined or peer-left
 *   message is about (in a peers message: the receiver's own id)
 * @peers: (nullable) (array zero-terminated=1): the other peers in the room
 * @reason: (nullable): the human-readable reason of an error message
 * @to: (nullable): the peer id a relayed message is meant for
 * @from: (nullable): the peer id a relayed message comes from, filled in by
 *   the relaying server
 * @role: (nullable): the role a join or peer-joined message announces
 *   (`"producer"`, `"consumer"`), %NULL when none was announced
 * @peer_roles: (nullable) (array zero-terminated=1): in a peers message,
 *   the role of each of @peers in the same order (an empty string for a
 *   peer that announced none), or %NULL when the server sent no roles
 *
 * One signalling message, as parsed from or serialised to JSON. Fields that
 * do not apply to @type are %NULL (or -1).
 */
typedef struct
{
  GstRtcWsMessageType type;
  gchar *sdp;
  gchar *candidate;
  gchar *sdp_mid;
  gint sdp_mline_index;
  gchar *room;
  gchar *peer;
  gchar **peers;
  gchar *reason;
  gchar *to;
  gchar *from;
  gchar *role;
  gchar **peer_roles;
} GstRtcWsMessage;

/**
 * GST_RTC_WS_MAX_ROLE_LEN:
 *
 * The longest role name, in bytes, that gst_rtc_ws_message_parse() accepts.
 */
#define GST_RTC_WS_MAX_ROLE_LEN 32

#define GST_RTC_TYPE_WS_MESSAGE (gst_rtc_ws_message_get_type ())

GST_RTC_API
GType gst_rtc_ws_message_get_type (void);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new (GstRtcWsMessageType type);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new_sdp (GstRtcWsMessageType type,
    const gchar * sdp);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new_candidate (const gchar * candidate,
    const gchar * sdp_mid, gint sdp_mline_index);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new_join (const gchar * room,
    const gchar * peer);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new_peers (const gchar * room,
    const gchar * peer, const gchar * const * peers);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new_peer_event (GstRtcWsMessageType type,
    const gchar * peer);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_new_error (const gchar * reason);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_copy (const GstRtcWsMessage * message);

GST_RTC_API
void gst_rtc_ws_message_free (GstRtcWsMessage * message);

GST_RTC_API
gboolean gst_rtc_ws_message_is_end_of_candidates (const GstRtcWsMessage * message);

GST_RTC_API
GstRtcWsMessage * gst_rtc_ws_message_parse (const gchar * data, gssize len,
    GError ** error);

GST_RTC_API
gchar * gst_rtc_ws_message_to_json (const GstRtcWsMessage * message);

GST_RTC_API
const gchar * gst_rtc_ws_message_type_to_string (GstRtcWsMessageType type);

GST_RTC_API
gboolean gst_rtc_ws_message_type_from_string (const gchar * name,
    GstRtcWsMessageType * type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtcWsMessage, gst_rtc_ws_message_free)

G_END_DECLS
