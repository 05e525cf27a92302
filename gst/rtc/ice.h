/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>

G_BEGIN_DECLS

/* ---- candidate strings (pure functions) ---- */

/**
 * GST_RTC_ICE_MAX_ADDRESS_LEN:
 *
 * The size of #GstRtcIceCandidateInfo's address buffer, terminating NUL
 * included.
 */
#define GST_RTC_ICE_MAX_ADDRESS_LEN 256
/**
 * GST_RTC_ICE_MAX_FOUNDATION_LEN:
 *
 * The size of #GstRtcIceCandidateInfo's foundation buffer: 32 characters
 * (RFC 8445) and the terminating NUL.
 */
#define GST_RTC_ICE_MAX_FOUNDATION_LEN 33

/**
 * GstRtcIceCandidateInfo:
 * @foundation: the foundation (1 to 32 ice-chars)
 * @component: the component id (1 for RTP, 2 for RTCP)
 * @protocol: UDP or TCP
 * @priority: the priority
 * @address: the connection address: an IP literal or an mDNS `.local` name
 * @port: the port
 * @type: host, srflx, prflx or relay
 * @related_address: the raddr, empty when absent
 * @related_port: the rport, 0 when absent
 * @tcp_type: the tcptype of a TCP candidate
 *
 * One `candidate:` attribute (RFC 8839 section 5.1), split into fields.
 */
typedef struct
{
  gchar foundation[GST_RTC_ICE_MAX_FOUNDATION_LEN];
  guint component;
  GstRtcIceProtocol protocol;
  guint32 priority;
  gchar address[GST_RTC_ICE_MAX_ADDRESS_LEN];
  guint16 port;
  GstRtcIceCandidateType type;
  gchar related_address[GST_RTC_ICE_MAX_ADDRESS_LEN];
  guint16 related_port;
  GstRtcIceTcpType tcp_type;
} GstRtcIceCandidateInfo;

GST_RTC_API
gboolean gst_rtc_ice_candidate_parse (const gchar * candidate,
    GstRtcIceCandidateInfo * info, GError ** error);

GST_RTC_API
gchar * gst_rtc_ice_candidate_to_string (const GstRtcIceCandidateInfo * info);

GST_RTC_API
const gchar * gst_rtc_ice_candidate_type_to_string (GstRtcIceCandidateType type);

/* ---- server URIs (pure functions) ---- */

/**
 * GstRtcIceServer:
 * @is_turn: %TRUE for turn:/turns:, %FALSE for stun:
 * @is_tls: %TRUE for turns:
 * @protocol: UDP or TCP (from `?transport=`)
 * @host: the host name or IP literal
 * @port: the port (3478, or 5349 for turns:, when the URI has none)
 * @username: (nullable): the TURN user name
 * @password: (nullable): the TURN password
 *
 * A STUN or TURN server, as parsed from a `stun://`, `turn://` or `turns://`
 * URI (the RFC 7064/7065 forms without `//` are accepted too).
 */
typedef struct
{
  gboolean is_turn;
  gboolean is_tls;
  GstRtcIceProtocol protocol;
  gchar *host;
  guint16 port;
  gchar *username;
  gchar *password;
} GstRtcIceServer;

GST_RTC_API
GstRtcIceServer * gst_rtc_ice_server_parse (const gchar * uri, GError ** error);

GST_RTC_API
void gst_rtc_ice_server_free (GstRtcIceServer * server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstRtcIceServer, gst_rtc_ice_server_free)

/* ---- GstRtcIceAgent and GstRtcIceStream ---- */

#define GST_RTC_TYPE_ICE_AGENT (gst_rtc_ice_agent_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcIceAgent, gst_rtc_ice_agent, GST_RTC, ICE_AGENT,
    GstObject)

#define GST_RTC_TYPE_ICE_STREAM (gst_rtc_ice_stream_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcIceStream, gst_rtc_ice_stream, GST_RTC, ICE_STREAM,
    GstObject)

/**
 * GstRtcIceReceiveFunc:
 * @stream: the stream
 * @data: (array length=len): one datagram that is not a STUN message
 * @len: its length
 * @user_data: user data
 *
 * Called on the agent's worker thread for each datagram received on the
 * stream. It must not block: hand the data to a queue.
 */
typedef void (*GstRtcIceReceiveFunc) (GstRtcIceStream * stream,
    const guint8 * data, gsize len, gpointer user_data);

GST_RTC_API
GstRtcIceAgent * gst_rtc_ice_agent_new (GMainContext * context);

GST_RTC_API
GMainContext * gst_rtc_ice_agent_get_context (GstRtcIceAgent * agent);

GST_RTC_API
gboolean gst_rtc_ice_agent_set_stun_server (GstRtcIceAgent * agent,
    const gchar * uri, GError ** error);

GST_RTC_API
gboolean gst_rtc_ice_agent_add_turn_server (GstRtcIceAgent * agent,
    const gchar * uri, GError ** error);

GST_RTC_API
void gst_rtc_ice_agent_clear_turn_servers (GstRtcIceAgent * agent);

GST_RTC_API
gchar ** gst_rtc_ice_agent_dup_turn_uris (GstRtcIceAgent * agent);

GST_RTC_API
GstRtcIceStream * gst_rtc_ice_agent_create_stream (GstRtcIceAgent * agent,
    GError ** error);

GST_RTC_API
GstRtcIceAgent * gst_rtc_ice_stream_get_agent (GstRtcIceStream * stream);

GST_RTC_API
guint gst_rtc_ice_stream_get_id (GstRtcIceStream * stream);

GST_RTC_API
gboolean gst_rtc_ice_stream_gather (GstRtcIceStream * stream, GError ** error);

GST_RTC_API
void gst_rtc_ice_stream_get_local_credentials (GstRtcIceStream * stream,
    gchar ** ufrag, gchar ** pwd);

GST_RTC_API
gboolean gst_rtc_ice_stream_set_remote_credentials (GstRtcIceStream * stream,
    const gchar * ufrag, const gchar * pwd, GError ** error);

GST_RTC_API
gboolean gst_rtc_ice_stream_add_remote_candidate (GstRtcIceStream * stream,
    const gchar * candidate, GError ** error);

GST_RTC_API
GstRtcIceState gst_rtc_ice_stream_get_state (GstRtcIceStream * stream);

GST_RTC_API
GstRtcIceGatheringState gst_rtc_ice_stream_get_gathering_state (GstRtcIceStream * stream);

GST_RTC_API
gboolean gst_rtc_ice_stream_get_selected_pair (GstRtcIceStream * stream,
    GstRtcIceCandidateType * local_type, GstRtcIceCandidateType * remote_type,
    gchar ** local_candidate, gchar ** remote_candidate);

GST_RTC_API
gssize gst_rtc_ice_stream_send (GstRtcIceStream * stream,
    const guint8 * data, gsize len);

GST_RTC_API
void gst_rtc_ice_stream_set_receive_func (GstRtcIceStream * stream,
    GstRtcIceReceiveFunc func, gpointer user_data, GDestroyNotify notify);

GST_RTC_API
void gst_rtc_ice_stream_mark_alive (GstRtcIceStream * stream);

GST_RTC_API
void gst_rtc_ice_stream_close (GstRtcIceStream * stream);

G_END_DECLS
