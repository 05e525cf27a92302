/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * GST_RTC_HTTP_SERVER_DEFAULT_MAX_BODY_SIZE:
 *
 * The largest request body a #GstRtcHttpServer accepts unless told
 * otherwise: 64 KiB, ample for an SDP offer.
 */
#define GST_RTC_HTTP_SERVER_DEFAULT_MAX_BODY_SIZE (64 * 1024)

/**
 * GST_RTC_HTTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE:
 *
 * The largest WebSocket message a WebSocket mount accepts when given 0:
 * 256 KiB, the signalling message limit.
 */
#define GST_RTC_HTTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE (256 * 1024)

#define GST_RTC_TYPE_HTTP_SERVER (gst_rtc_http_server_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcHttpServer, gst_rtc_http_server, GST_RTC,
    HTTP_SERVER, GstObject)

#define GST_RTC_TYPE_HTTP_REQUEST (gst_rtc_http_request_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcHttpRequest, gst_rtc_http_request, GST_RTC,
    HTTP_REQUEST, GObject)

/**
 * GstRtcHttpHandler:
 * @server: the server
 * @request: the request, with its whole body
 * @user_data: the mount's user data
 *
 * Called on the server's thread for each request under a mount. Answer
 * with gst_rtc_http_request_respond() before returning, or keep a
 * reference to @request and answer later from any thread.
 */
typedef void (*GstRtcHttpHandler) (GstRtcHttpServer * server,
    GstRtcHttpRequest * request, gpointer user_data);

/**
 * GstRtcHttpWebsocketHandler:
 * @server: the server
 * @request: the upgrade request (already answered: do not respond)
 * @connection: (transfer none): the open WebSocket connection
 * @user_data: the mount's user data
 *
 * Called on the server's thread for each WebSocket opened under a mount.
 * Keep a reference to @connection to keep it open. Its signals are
 * emitted on the server's thread, and it must be used from that thread
 * only (see gst_rtc_http_server_get_context()).
 */
typedef void (*GstRtcHttpWebsocketHandler) (GstRtcHttpServer * server,
    GstRtcHttpRequest * request, SoupWebsocketConnection * connection,
    gpointer user_data);

/**
 * GstRtcHttpAuthorizeFunc:
 * @server: the server
 * @request: the request; its body is not read yet
 * @user_data: user data
 *
 * Decides, from the request line and headers, whether a request under a
 * mount may go on. Called on the server's thread; must not block.
 *
 * Returns: %TRUE to let the request through, %FALSE to answer 403
 */
typedef gboolean (*GstRtcHttpAuthorizeFunc) (GstRtcHttpServer * server,
    GstRtcHttpRequest * request, gpointer user_data);

/* ---- the server ---- */

GST_RTC_API
GstRtcHttpServer * gst_rtc_http_server_acquire (const gchar * address,
    guint port, GTlsCertificate * tls_certificate, GError ** error);

GST_RTC_API
void gst_rtc_http_server_release (GstRtcHttpServer * server);

GST_RTC_API
guint gst_rtc_http_server_get_port (GstRtcHttpServer * server);

GST_RTC_API
const gchar * gst_rtc_http_server_get_address (GstRtcHttpServer * server);

GST_RTC_API
gboolean gst_rtc_http_server_is_https (GstRtcHttpServer * server);

GST_RTC_API
gchar * gst_rtc_http_server_get_url (GstRtcHttpServer * server,
    const gchar * path, gboolean websocket);

GST_RTC_API
GMainContext * gst_rtc_http_server_get_context (GstRtcHttpServer * server);

GST_RTC_API
gboolean gst_rtc_http_server_add_mount (GstRtcHttpServer * server,
    const gchar * path_prefix, GstRtcHttpHandler handler, gpointer user_data,
    GDestroyNotify destroy);

GST_RTC_API
gboolean gst_rtc_http_server_add_websocket_mount (GstRtcHttpServer * server,
    const gchar * path_prefix, gsize max_message_size,
    GstRtcHttpWebsocketHandler handler, gpointer user_data,
    GDestroyNotify destroy);

GST_RTC_API
gboolean gst_rtc_http_server_remove_mount (GstRtcHttpServer * server,
    const gchar * path_prefix);

GST_RTC_API
gboolean gst_rtc_http_server_set_mount_methods (GstRtcHttpServer * server,
    const gchar * path_prefix, const gchar * const * methods);

GST_RTC_API
gboolean gst_rtc_http_server_set_mount_bearer_token (GstRtcHttpServer * server,
    const gchar * path_prefix, const gchar * token);

GST_RTC_API
gboolean gst_rtc_http_server_set_mount_authorize (GstRtcHttpServer * server,
    const gchar * path_prefix, GstRtcHttpAuthorizeFunc func,
    gpointer user_data, GDestroyNotify destroy);

/* ---- requests ---- */

GST_RTC_API
const gchar * gst_rtc_http_request_get_method (GstRtcHttpRequest * request);

GST_RTC_API
const gchar * gst_rtc_http_request_get_path (GstRtcHttpRequest * request);

GST_RTC_API
const gchar * gst_rtc_http_request_get_mount_path (GstRtcHttpRequest * request);

GST_RTC_API
const gchar * gst_rtc_http_request_get_subpath (GstRtcHttpRequest * request);

GST_RTC_API
const gchar * gst_rtc_http_request_get_query (GstRtcHttpRequest * request);

GST_RTC_API
const gchar * gst_rtc_http_request_get_header (GstRtcHttpRequest * request,
    const gchar * name);

GST_RTC_API
SoupMessageHeaders * gst_rtc_http_request_get_headers (GstRtcHttpRequest * request);

GST_RTC_API
GBytes * gst_rtc_http_request_get_body (GstRtcHttpRequest * request);

GST_RTC_API
const gchar * gst_rtc_http_request_get_remote_address (GstRtcHttpRequest * request);

GST_RTC_API
void gst_rtc_http_request_add_response_header (GstRtcHttpRequest * request,
    const gchar * name, const gchar * value);

GST_RTC_API
gboolean gst_rtc_http_request_add_ice_server_links (GstRtcHttpRequest * request,
    const gchar * const * uris, GError ** error);

GST_RTC_API
gboolean gst_rtc_http_request_respond (GstRtcHttpRequest * request,
    guint status, const gchar * content_type, GBytes * body);

GST_RTC_API
gboolean gst_rtc_http_request_respond_text (GstRtcHttpRequest * request,
    guint status, const gchar * text);

/* ---- helpers ---- */

GST_RTC_API
gchar * gst_rtc_http_ice_server_link (const gchar * uri, GError ** error);

G_END_DECLS
