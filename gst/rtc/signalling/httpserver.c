/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtchttpserver
 * @title: GstRtcHttpServer
 * @short_description: one HTTP(S) and WebSocket server per address and port,
 *   shared by every element through mount paths
 *
 * WHIP, WHEP, the WebSocket signalling endpoint and the viewer page of
 * several elements can live on one port: each element acquires the server
 * for an address and port with gst_rtc_http_server_acquire(), which starts
 * it on first use, and adds its mounts, path prefixes such as `/whep/cam1`,
 * with a handler each. The last gst_rtc_http_server_release() stops it.
 *
 * The server runs on a thread and #GMainContext of its own, so a flood of
 * HTTP requests is paid for on that thread and never delays ICE, DTLS or
 * RTCP timers on the worker pool. Handlers are called on that thread; a
 * handler may answer at once or keep the #GstRtcHttpRequest and answer
 * later from any thread (the message is paused until then).
 *
 * What every WebRTC HTTP endpoint needs is done here, once:
 *
 * - CORS: every response carries `Access-Control-Allow-Origin` (the
 *   #GstRtcHttpServer:cors-origin, `*` by default) and exposes `Location`,
 *   `Link` and `ETag`; `OPTIONS` preflights are answered with the allowed
 *   methods and headers unless the mount lists OPTIONS among its methods,
 *   in which case its handler answers (WHIP servers may send `Link`
 *   headers there);
 * - a per-mount bearer token (401 with `WWW-Authenticate: Bearer`) and an
 *   authorize hook (403), both decided from the headers before any body
 *   is read;
 * - a per-mount method list (405 with `Allow`);
 * - a body size limit (#GstRtcHttpServer:max-body-size, 413), checked
 *   against `Content-Length` before the body arrives and counted chunk by
 *   chunk otherwise, so that a large body is never held in memory;
 * - a cap on requests in progress (#GstRtcHttpServer:max-requests, 503);
 * - WebSocket upgrades on a mount, with a message size limit (larger
 *   messages close the connection with 1009);
 * - `Link: <…>; rel="ice-server"` headers from STUN and TURN URIs, in the
 *   form of RFC 9725 (WHIP).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "httpserver.h"

#include <gst/rtc/rtc-enums.h>
#include <gst/rtc/ice.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_http_server_debug);
#define GST_CAT_DEFAULT gst_rtc_http_server_debug

#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_PORT 0
#define DEFAULT_CORS_ORIGIN "*"
#define DEFAULT_MAX_BODY_SIZE GST_RTC_HTTP_SERVER_DEFAULT_MAX_BODY_SIZE
#define DEFAULT_MAX_REQUESTS 512

#define LISTEN_BACKLOG 1024

#define DEFAULT_ALLOW_METHODS "POST, PATCH, DELETE, GET, OPTIONS"
#define ALLOW_HEADERS "Content-Type, Authorization, If-Match"
#define EXPOSE_HEADERS "Location, Link, ETag"
#define PREFLIGHT_MAX_AGE "86400"

#define REQUEST_DATA_KEY "gst-rtc-http-request"

/* After its loop quits, the server thread goes on dispatching for a while:
 * closing client connections completes asynchronously, and late answers
 * must find their messages gone rather than leak them. It stops once the
 * context has been idle for DRAIN_IDLE_ROUNDS rounds of DRAIN_ROUND_MS, or
 * after DRAIN_MAX_MS in all. */
#define DRAIN_ROUND_MS 5
#define DRAIN_IDLE_ROUNDS 4
#define DRAIN_MAX_MS 1000

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_TLS_CERTIFICATE,
  PROP_CORS_ORIGIN,
  PROP_MAX_BODY_SIZE,
  PROP_MAX_REQUESTS,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

/* A mount is shared between the server's list (under the object lock) and
 * the requests in progress under it. */
typedef struct
{
  gint refcount;
  gchar *prefix;

  GstRtcHttpHandler handler;
  gpointer user_data;
  GDestroyNotify destroy;

  GstRtcHttpWebsocketHandler websocket_handler;
  gpointer websocket_user_data;
  GDestroyNotify websocket_destroy;
  gsize max_message_size;

  gchar **methods;
  gchar *token;
  GstRtcHttpAuthorizeFunc authorize;
  gpointer authorize_data;
  GDestroyNotify authorize_destroy;

  gboolean removed;
} Mount;

struct _GstRtcHttpServer
{
  GstObject parent;

  /* construct-only */
  gchar *address;
  guint requested_port;
  GTlsCertificate *tls_certificate;

  /* under the object lock */
  gchar *cors_origin;
  guint64 max_body_size;
  guint max_requests;
  GList *mounts;
  gboolean stopped;

  /* set once the server listens */
  guint port;
  gchar *key;

  /* under the registry lock */
  guint users;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  gint in_flight;

  /* the server thread only */
  SoupServer *soup;

  /* start-up handshake with the thread */
  GMutex start_lock;
  GCond start_cond;
  gboolean start_done;
  GError *start_error;
};

struct _GstRtcHttpRequest
{
  GObject parent;

  GstRtcHttpServer *server;
  Mount *mount;

  /* immutable once the handler sees the request */
  gchar *method;
  gchar *path;
  gchar *query;
  gchar *remote_address;
  SoupMessageHeaders *headers;
  GBytes *body;
  gboolean is_upgrade;

  /* the server thread only */
  SoupServerMessage *msg;
  gboolean paused;
  gboolean applied;
  gboolean too_large;
  guint64 body_received;

  /* under lock: the answer, from whichever thread gives it */
  GMutex lock;
  gboolean responded;
  guint status;
  gchar *content_type;
  GBytes *response_body;
  SoupMessageHeaders *response_headers;
};

G_DEFINE_TYPE (GstRtcHttpServer, gst_rtc_http_server, GST_TYPE_OBJECT);

/**
 * GstRtcHttpRequest:
 *
 * One HTTP request to a mount of a #GstRtcHttpServer, as its handler sees
 * it: method, path, query, headers, body and the client's address, and the
 * response the handler gives.
 */
G_DEFINE_TYPE (GstRtcHttpRequest, gst_rtc_http_request, G_TYPE_OBJECT);

static GMutex registry_lock;
static GHashTable *registry;

/* ---- mounts ---- */

static Mount *
mount_ref (Mount * mount)
{
  g_atomic_int_inc (&mount->refcount);
  return mount;
}

static void
mount_unref (Mount * mount)
{
  if (!g_atomic_int_dec_and_test (&mount->refcount))
    return;
  g_free (mount->prefix);
  g_strfreev (mount->methods);
  g_free (mount->token);
  g_free (mount);
}

/* Runs the user's destroy notifies; called once the mount can no longer
 * be entered. */
static void
mount_release_user_data (Mount * mount)
{
  if (mount->destroy)
    mount->destroy (mount->user_data);
  if (mount->websocket_destroy)
    mount->websocket_destroy (mount->websocket_user_data);
  if (mount->authorize_destroy)
    mount->authorize_destroy (mount->authorize_data);
  mount->destroy = mount->websocket_destroy = mount->authorize_destroy = NULL;
}

static gchar *
normalize_prefix (const gchar * path_prefix)
{
  gsize len;

  if (path_prefix == NULL || path_prefix[0] != '/')
    return NULL;
  len = strlen (path_prefix);
  while (len > 1 && path_prefix[len - 1] == '/')
    len--;
  return g_strndup (path_prefix, len);
}

static gboolean
prefix_matches (const gchar * prefix, const gchar * path)
{
  gsize len = strlen (prefix);

  if (len == 1)
    return TRUE;
  return strncmp (prefix, path, len) == 0
      && (path[len] == '\0' || path[len] == '/');
}

/* Called with the object lock. */
static Mount *
find_mount_exact (GstRtcHttpServer * self, const gchar * prefix)
{
  GList *l;

  for (l = self->mounts; l; l = l->next) {
    Mount *mount = l->data;

    if (strcmp (mount->prefix, prefix) == 0)
      return mount;
  }
  return NULL;
}

/* The longest prefix wins, so "/whep/cam1" shadows "/whep". */
static Mount *
find_mount_for_path (GstRtcHttpServer * self, const gchar * path)
{
  Mount *best = NULL;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = self->mounts; l; l = l->next) {
    Mount *mount = l->data;

    if (prefix_matches (mount->prefix, path)
        && (best == NULL || strlen (mount->prefix) > strlen (best->prefix)))
      best = mount;
  }
  if (best)
    mount_ref (best);
  GST_OBJECT_UNLOCK (self);
  return best;
}

/* ---- requests ---- */

static void
gst_rtc_http_request_finalize (GObject * object)
{
  GstRtcHttpRequest *self = GST_RTC_HTTP_REQUEST (object);

  g_clear_object (&self->server);
  g_clear_pointer (&self->mount, mount_unref);
  g_free (self->method);
  g_free (self->path);
  g_free (self->query);
  g_free (self->remote_address);
  g_clear_pointer (&self->headers, soup_message_headers_unref);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_free (self->content_type);
  g_clear_pointer (&self->response_body, g_bytes_unref);
  g_clear_pointer (&self->response_headers, soup_message_headers_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (gst_rtc_http_request_parent_class)->finalize (object);
}

static void
gst_rtc_http_request_class_init (GstRtcHttpRequestClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_rtc_http_request_finalize;
}

static void
gst_rtc_http_request_init (GstRtcHttpRequest * self)
{
  g_mutex_init (&self->lock);
  self->response_headers =
      soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
}

static void
request_msg_gone (gpointer data, GObject * where_the_msg_was)
{
  GstRtcHttpRequest *request = data;

  request->msg = NULL;
}

static void
request_msg_done (SoupServerMessage * msg, GstRtcHttpRequest * request)
{
  /* The client is gone or the answer is sent: nothing more to write. */
  request->applied = TRUE;
}

static GstRtcHttpRequest *
request_new (GstRtcHttpServer * server, Mount * mount, SoupServerMessage * msg)
{
  GstRtcHttpRequest *request = g_object_new (GST_RTC_TYPE_HTTP_REQUEST, NULL);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageHeadersIter iter;
  const gchar *name, *value;

  request->server = g_object_ref (server);
  request->mount = mount_ref (mount);
  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (g_uri_get_path (uri));
  request->query = g_strdup (g_uri_get_query (uri));
  request->remote_address = g_strdup (soup_server_message_get_remote_host
      (msg));
  /* A copy, so that another thread may read it while libsoup moves on. */
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    soup_message_headers_append (request->headers, name, value);
  request->is_upgrade =
      soup_message_headers_header_contains (headers, "Upgrade", "websocket");
  request->body = g_bytes_new (NULL, 0);

  request->msg = msg;
  g_object_weak_ref (G_OBJECT (msg), request_msg_gone, request);
  g_signal_connect (msg, "finished", G_CALLBACK (request_msg_done), request);
  g_signal_connect (msg, "disconnected", G_CALLBACK (request_msg_done),
      request);
  /* The message owns the request; handlers take their own references. */
  g_object_set_data_full (G_OBJECT (msg), REQUEST_DATA_KEY, request,
      g_object_unref);
  return request;
}

static void
copy_header (const char *name, const char *value, gpointer user_data)
{
  soup_message_headers_append (user_data, name, value);
}

/* Writes the stored answer into the message; on the server thread. */
static gboolean
apply_response (gpointer user_data)
{
  GstRtcHttpRequest *request = user_data;
  SoupServerMessage *msg = request->msg;
  SoupMessageHeaders *headers;
  SoupMessageBody *body;

  if (msg == NULL || request->applied)
    return G_SOURCE_REMOVE;

  headers = soup_server_message_get_response_headers (msg);
  body = soup_server_message_get_response_body (msg);
  g_mutex_lock (&request->lock);
  soup_server_message_set_status (msg, request->status, NULL);
  soup_message_headers_foreach (request->response_headers, copy_header,
      headers);
  soup_message_body_truncate (body);
  if (request->content_type)
    soup_message_headers_replace (headers, "Content-Type",
        request->content_type);
  else
    soup_message_headers_remove (headers, "Content-Type");
  if (request->response_body)
    soup_message_body_append_bytes (body, request->response_body);
  g_mutex_unlock (&request->lock);

  request->applied = TRUE;
  GST_LOG_OBJECT (request->server, "%s %s -> %u", request->method,
      request->path, request->status);
  if (request->paused) {
    request->paused = FALSE;
    soup_server_message_unpause (msg);
  }
  return G_SOURCE_REMOVE;
}

/* Answers from inside the server, on its thread, before any handler. */
static void
set_error_status (SoupServerMessage * msg, guint status, const gchar * text)
{
  soup_server_message_set_status (msg, status, NULL);
  if (text) {
    gchar *line = g_strconcat (text, "\n", NULL);

    soup_server_message_set_response (msg, "text/plain; charset=utf-8",
        SOUP_MEMORY_TAKE, line, strlen (line));
  }
}

/* ---- server thread: libsoup callbacks ---- */

static void
msg_gone (gpointer data, GObject * where_the_msg_was)
{
  GstRtcHttpServer *self = data;

  g_atomic_int_add (&self->in_flight, -1);
}

static void
request_started (SoupServer * soup, SoupServerMessage * msg,
    GstRtcHttpServer * self)
{
  g_atomic_int_inc (&self->in_flight);
  g_object_weak_ref (G_OBJECT (msg), msg_gone, self);
}

static void
request_got_chunk (SoupServerMessage * msg, GBytes * chunk,
    GstRtcHttpRequest * request)
{
  guint64 limit;

  if (request->too_large)
    return;
  request->body_received += g_bytes_get_size (chunk);
  GST_OBJECT_LOCK (request->server);
  limit = request->server->max_body_size;
  GST_OBJECT_UNLOCK (request->server);
  if (request->body_received > limit) {
    SoupMessageBody *body = soup_server_message_get_request_body (msg);

    GST_WARNING_OBJECT (request->server, "%s: chunked body past %"
        G_GUINT64_FORMAT " bytes, dropping it", request->remote_address,
        limit);
    request->too_large = TRUE;
    soup_message_body_set_accumulate (body, FALSE);
    soup_message_body_truncate (body);
  }
}

static gboolean
method_allowed (Mount * mount, const gchar * method)
{
  return mount->methods == NULL
      || g_strv_contains ((const gchar * const *) mount->methods, method);
}

static gchar *
allow_methods_string (Mount * mount)
{
  GString *allow;
  guint i;

  if (mount->methods == NULL)
    return g_strdup (DEFAULT_ALLOW_METHODS);
  allow = g_string_new (NULL);
  for (i = 0; mount->methods[i]; i++) {
    if (allow->len)
      g_string_append (allow, ", ");
    g_string_append (allow, mount->methods[i]);
  }
  if (!g_strv_contains ((const gchar * const *) mount->methods, "OPTIONS"))
    g_string_append (allow, allow->len ? ", OPTIONS" : "OPTIONS");
  return g_string_free (allow, FALSE);
}

/* Compares in time independent of where the strings differ. */
static gboolean
token_equal (const gchar * expected, const gchar * given)
{
  gsize expected_len = strlen (expected);
  gsize given_len = strlen (given);
  guint8 diff = expected_len != given_len;
  gsize i;

  for (i = 0; i < given_len; i++)
    diff |= (guint8) given[i] ^ (guint8) expected[i % (expected_len + 1)];
  return diff == 0;
}

static const gchar *
bearer_token_of (GstRtcHttpRequest * request)
{
  const gchar *authorization =
      soup_message_headers_get_one (request->headers, "Authorization");

  if (authorization && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0) {
    authorization += 7;
    while (*authorization == ' ')
      authorization++;
    return authorization;
  }
  return NULL;
}

/* Browsers cannot put headers on a WebSocket handshake: there, RFC 6750's
 * access_token query parameter stands in for the Authorization header. */
static gboolean
check_token (GstRtcHttpRequest * request, const gchar * expected,
    GHashTable * query)
{
  const gchar *given = bearer_token_of (request);

  if (given == NULL && request->is_upgrade && query)
    given = g_hash_table_lookup (query, "access_token");
  return given != NULL && token_equal (expected, given);
}

static void
early_handler (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  GstRtcHttpServer *self = user_data;
  SoupMessageHeaders *request_headers =
      soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const gchar *method = soup_server_message_get_method (msg);
  GstRtcHttpRequest *request;
  GstRtcHttpAuthorizeFunc authorize;
  gpointer authorize_data;
  gchar *cors_origin, *token;
  guint64 max_body_size;
  guint max_requests;
  Mount *mount;

  GST_OBJECT_LOCK (self);
  cors_origin = g_strdup (self->cors_origin);
  max_body_size = self->max_body_size;
  max_requests = self->max_requests;
  GST_OBJECT_UNLOCK (self);

  soup_message_headers_replace (headers, "Access-Control-Allow-Origin",
      cors_origin);
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers",
      EXPOSE_HEADERS);

  if ((guint) g_atomic_int_get (&self->in_flight) > max_requests) {
    GST_WARNING_OBJECT (self, "%u requests in progress, refusing one from %s",
        g_atomic_int_get (&self->in_flight),
        soup_server_message_get_remote_host (msg));
    soup_message_headers_replace (headers, "Retry-After", "1");
    soup_message_headers_replace (headers, "Connection", "close");
    set_error_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "Too busy");
    goto out;
  }

  mount = find_mount_for_path (self, path);
  if (mount == NULL) {
    GST_DEBUG_OBJECT (self, "%s %s: no mount", method, path);
    set_error_status (msg, SOUP_STATUS_NOT_FOUND, "Not found");
    goto out;
  }
  request = request_new (self, mount, msg);

  GST_OBJECT_LOCK (self);
  if (strcmp (method, "OPTIONS") == 0 && (mount->methods == NULL
          || !g_strv_contains ((const gchar * const *) mount->methods,
              "OPTIONS"))) {
    gchar *allow = allow_methods_string (mount);

    GST_OBJECT_UNLOCK (self);
    soup_message_headers_replace (headers, "Access-Control-Allow-Methods",
        allow);
    soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
        ALLOW_HEADERS);
    soup_message_headers_replace (headers, "Access-Control-Max-Age",
        PREFLIGHT_MAX_AGE);
    soup_message_headers_replace (headers, "Allow", allow);
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    g_free (allow);
    goto done;
  }
  if (!method_allowed (mount, method)) {
    gchar *allow = allow_methods_string (mount);

    GST_OBJECT_UNLOCK (self);
    soup_message_headers_replace (headers, "Allow", allow);
    set_error_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        "Method not allowed");
    g_free (allow);
    goto done;
  }
  token = g_strdup (mount->token);
  authorize = mount->authorize;
  authorize_data = mount->authorize_data;
  GST_OBJECT_UNLOCK (self);

  if (request->is_upgrade && strcmp (cors_origin, "*") != 0) {
    const gchar *origin = soup_message_headers_get_one (request_headers,
        "Origin");

    /* CORS does not cover WebSockets: check their Origin here. */
    if (origin && g_ascii_strcasecmp (origin, cors_origin) != 0) {
      GST_WARNING_OBJECT (self, "WebSocket from origin %s refused", origin);
      set_error_status (msg, SOUP_STATUS_FORBIDDEN, "Origin not allowed");
      g_free (token);
      goto done;
    }
  }

  if (token && !check_token (request, token, query)) {
    GST_DEBUG_OBJECT (self, "%s %s from %s: no valid bearer token", method,
        path, request->remote_address);
    soup_message_headers_replace (headers, "WWW-Authenticate",
        bearer_token_of (request) ?
        "Bearer realm=\"gst-rtc\", error=\"invalid_token\"" :
        "Bearer realm=\"gst-rtc\"");
    set_error_status (msg, SOUP_STATUS_UNAUTHORIZED, "Unauthorized");
    g_free (token);
    goto done;
  }
  g_free (token);

  if (authorize && !authorize (self, request, authorize_data)) {
    GST_DEBUG_OBJECT (self, "%s %s from %s: not authorized", method, path,
        request->remote_address);
    set_error_status (msg, SOUP_STATUS_FORBIDDEN, "Forbidden");
    goto done;
  }

  if (soup_message_headers_get_encoding (request_headers) ==
      SOUP_ENCODING_CONTENT_LENGTH) {
    goffset length = soup_message_headers_get_content_length (request_headers);

    if ((guint64) length > max_body_size) {
      GST_WARNING_OBJECT (self, "%s %s from %s: body of %" G_GINT64_FORMAT
          " bytes is over the %" G_GUINT64_FORMAT " byte limit", method, path,
          request->remote_address, (gint64) length, max_body_size);
      /* libsoup still reads the body off the socket; do not keep it. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body
          (msg), FALSE);
      soup_message_headers_replace (headers, "Connection", "close");
      set_error_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
          "Request body too large");
      goto done;
    }
  } else {
    g_signal_connect (msg, "got-chunk", G_CALLBACK (request_got_chunk),
        request);
  }

done:
  mount_unref (mount);
out:
  g_free (cors_origin);
}

static void
server_handler (SoupServer * soup, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  GstRtcHttpServer *self = user_data;
  GstRtcHttpRequest *request = g_object_get_data (G_OBJECT (msg),
      REQUEST_DATA_KEY);
  Mount *mount;
  GstRtcHttpHandler handler;
  gpointer handler_data;
  gboolean removed, has_websocket;

  if (request == NULL) {
    set_error_status (msg, SOUP_STATUS_NOT_FOUND, "Not found");
    return;
  }
  if (request->too_large) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Connection", "close");
    set_error_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "Request body too large");
    return;
  }

  mount = request->mount;
  GST_OBJECT_LOCK (self);
  removed = mount->removed;
  handler = mount->handler;
  handler_data = mount->user_data;
  has_websocket = mount->websocket_handler != NULL;
  GST_OBJECT_UNLOCK (self);

  if (removed) {
    set_error_status (msg, SOUP_STATUS_NOT_FOUND, "Not found");
    return;
  }
  if (has_websocket && (request->is_upgrade || handler == NULL)) {
    /* Leaving the status unset lets libsoup run the handshake. */
    return;
  }
  if (handler == NULL) {
    set_error_status (msg, SOUP_STATUS_NOT_FOUND, "Not found");
    return;
  }

  g_clear_pointer (&request->body, g_bytes_unref);
  request->body = soup_message_body_flatten
      (soup_server_message_get_request_body (msg));

  GST_DEBUG_OBJECT (self, "%s %s from %s (%" G_GSIZE_FORMAT " bytes)",
      request->method, request->path, request->remote_address,
      g_bytes_get_size (request->body));
  handler (self, request, handler_data);

  if (!request->applied && request->msg) {
    /* Answered later: hold the message. A provisional status keeps
     * libsoup from treating it as a WebSocket handshake meanwhile. */
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        NULL);
    request->paused = TRUE;
    soup_server_message_pause (msg);
  }
}

/* libsoup drops a connection whose frame is over the size limit without a
 * close frame, so the peer cannot tell why. It emits "error" just before
 * dropping it: write the 1009 close frame ourselves, in the clear
 * (servers do not mask), straight to the stream. On a connection that
 * still had a frame half written this garbles that frame instead; either
 * way the peer sees the connection end. */
static void
websocket_error (SoupWebsocketConnection * connection, GError * error,
    gpointer user_data)
{
  static const gchar reason[] = "message too big";
  guint8 frame[2 + 2 + sizeof (reason) - 1];
  GIOStream *stream;

  if (!g_error_matches (error, SOUP_WEBSOCKET_ERROR,
          SOUP_WEBSOCKET_CLOSE_TOO_BIG))
    return;

  frame[0] = 0x88;              /* FIN, close */
  frame[1] = sizeof (frame) - 2;
  frame[2] = SOUP_WEBSOCKET_CLOSE_TOO_BIG >> 8;
  frame[3] = SOUP_WEBSOCKET_CLOSE_TOO_BIG & 0xff;
  memcpy (frame + 4, reason, sizeof (reason) - 1);
  stream = soup_websocket_connection_get_io_stream (connection);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), frame,
      sizeof (frame), NULL, NULL, NULL);
  g_output_stream_flush (g_io_stream_get_output_stream (stream), NULL, NULL);
}

static void
websocket_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, SoupWebsocketConnection * connection, gpointer user_data)
{
  GstRtcHttpServer *self = user_data;
  GstRtcHttpRequest *request = g_object_get_data (G_OBJECT (msg),
      REQUEST_DATA_KEY);
  GstRtcHttpWebsocketHandler handler = NULL;
  gpointer handler_data = NULL;
  gsize max_message_size = 0;

  if (request) {
    GST_OBJECT_LOCK (self);
    if (!request->mount->removed) {
      handler = request->mount->websocket_handler;
      handler_data = request->mount->websocket_user_data;
      max_message_size = request->mount->max_message_size;
    }
    GST_OBJECT_UNLOCK (self);
  }
  if (handler == NULL) {
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
        NULL);
    return;
  }

  soup_websocket_connection_set_max_incoming_payload_size (connection,
      max_message_size);
  g_signal_connect (connection, "error", G_CALLBACK (websocket_error), NULL);
  request->applied = TRUE;
  GST_DEBUG_OBJECT (self, "WebSocket %s from %s", path,
      request->remote_address);
  handler (self, request, connection, handler_data);
}

/* ---- server thread: life ---- */

static GSocketAddress *
resolve_address (const gchar * address, guint port, GError ** error)
{
  GInetAddress *inet = g_inet_address_new_from_string (address);
  GSocketAddress *socket_address;

  if (inet == NULL) {
    GResolver *resolver = g_resolver_get_default ();
    GList *addresses = g_resolver_lookup_by_name (resolver, address, NULL,
        error);

    g_object_unref (resolver);
    if (addresses == NULL)
      return NULL;
    inet = g_object_ref (addresses->data);
    g_resolver_free_addresses (addresses);
  }
  socket_address = g_inet_socket_address_new (inet, port);
  g_object_unref (inet);
  return socket_address;
}

static gboolean
start_soup (GstRtcHttpServer * self, GError ** error)
{
  GSocketAddress *socket_address;
  SoupServerListenOptions options = 0;
  GSocket *socket;
  GSList *listeners;

  if (self->tls_certificate) {
    if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
          "Cannot serve HTTPS on %s:%u: GLib has no TLS backend "
          "(install glib-networking)", self->address, self->requested_port);
      return FALSE;
    }
    options |= SOUP_SERVER_LISTEN_HTTPS;
  }

  socket_address = resolve_address (self->address, self->requested_port,
      error);
  if (socket_address == NULL) {
    g_prefix_error (error, "Cannot listen on %s:%u: ", self->address,
        self->requested_port);
    return FALSE;
  }

  self->soup = soup_server_new ("tls-certificate", self->tls_certificate,
      NULL);
  /* Signalling messages are small, and inflating them is a way to make a
   * server hold far more than its message size limit. */
  soup_server_remove_websocket_extension (self->soup,
      SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  g_signal_connect (self->soup, "request-started",
      G_CALLBACK (request_started), self);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, server_handler, self, NULL);
  soup_server_add_websocket_handler (self->soup, NULL, NULL, NULL,
      websocket_handler, self, NULL);

  socket = g_socket_new (g_socket_address_get_family (socket_address),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket) {
    /* GLib's backlog of 10 drops connection attempts, each then retried
     * only after a second, as soon as a burst of clients arrives. */
    g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
    if (!g_socket_bind (socket, socket_address, TRUE, error)
        || !g_socket_listen (socket, error)
        || !soup_server_listen_socket (self->soup, socket, options, error))
      g_clear_object (&socket);
  }
  g_object_unref (socket_address);
  if (socket == NULL) {
    g_prefix_error (error, "Cannot listen on %s:%u: ", self->address,
        self->requested_port);
    g_clear_object (&self->soup);
    return FALSE;
  }
  g_object_unref (socket);

  /* Not soup_server_get_uris (): libsoup 3.2 leaks an address there. */
  listeners = soup_server_get_listeners (self->soup);
  self->port = self->requested_port;
  if (listeners) {
    GSocketAddress *local = g_socket_get_local_address (listeners->data,
        NULL);

    if (local) {
      self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
          (local));
      g_object_unref (local);
    }
  }
  g_slist_free (listeners);
  return TRUE;
}

static gboolean
drain_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
drain_context (GMainContext * context)
{
  gint64 deadline = g_get_monotonic_time () + DRAIN_MAX_MS * 1000;
  GSource *tick = g_timeout_source_new (DRAIN_ROUND_MS);
  guint idle_rounds = 0;

  g_source_set_callback (tick, drain_tick, NULL, NULL);
  g_source_attach (tick, context);
  while (idle_rounds < DRAIN_IDLE_ROUNDS
      && g_get_monotonic_time () < deadline) {
    /* Blocks at most until the next tick. */
    g_main_context_iteration (context, TRUE);
    if (g_main_context_pending (context))
      idle_rounds = 0;
    else
      idle_rounds++;
  }
  while (g_main_context_iteration (context, FALSE)
      && g_get_monotonic_time () < deadline);
  g_source_destroy (tick);
  g_source_unref (tick);
}

static gboolean
announce_started (gpointer user_data)
{
  GstRtcHttpServer *self = user_data;

  g_mutex_lock (&self->start_lock);
  self->start_done = TRUE;
  g_cond_signal (&self->start_cond);
  g_mutex_unlock (&self->start_lock);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer user_data)
{
  GstRtcHttpServer *self = user_data;
  GError *error = NULL;
  gboolean ok;

  g_main_context_push_thread_default (self->context);
  /* Listening sockets attach to the thread-default context, so the
   * server is made here and not by the caller. */
  ok = start_soup (self, &error);

  if (ok) {
    GSource *source = g_idle_source_new ();

    GST_INFO_OBJECT (self, "listening on %s://%s:%u",
        self->tls_certificate ? "https" : "http", self->address, self->port);
    /* Announced from inside the loop: a g_main_loop_quit () before
     * g_main_loop_run () would be lost, and a caller may stop the server
     * as soon as it has it. */
    g_source_set_callback (source, announce_started, self, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
    g_main_loop_run (self->loop);
    soup_server_disconnect (self->soup);
    g_clear_object (&self->soup);
    drain_context (self->context);
    GST_INFO_OBJECT (self, "stopped");
  } else {
    g_mutex_lock (&self->start_lock);
    self->start_error = error;
    self->start_done = TRUE;
    g_cond_signal (&self->start_cond);
    g_mutex_unlock (&self->start_lock);
  }
  g_main_context_pop_thread_default (self->context);
  g_object_unref (self);
  return NULL;
}

static gboolean
server_start (GstRtcHttpServer * self, GError ** error)
{
  gchar *name = g_strdup_printf ("rtc-http-%u", self->requested_port);

  self->thread = g_thread_new (name, server_thread, g_object_ref (self));
  g_free (name);

  g_mutex_lock (&self->start_lock);
  while (!self->start_done)
    g_cond_wait (&self->start_cond, &self->start_lock);
  g_mutex_unlock (&self->start_lock);

  if (self->start_error) {
    g_propagate_error (error, self->start_error);
    self->start_error = NULL;
    g_thread_join (self->thread);
    self->thread = NULL;
    return FALSE;
  }
  return TRUE;
}

static void
server_stop (GstRtcHttpServer * self)
{
  GList *mounts, *l;

  GST_OBJECT_LOCK (self);
  self->stopped = TRUE;
  mounts = self->mounts;
  self->mounts = NULL;
  GST_OBJECT_UNLOCK (self);

  g_main_loop_quit (self->loop);
  if (g_thread_self () == self->thread)
    g_thread_unref (self->thread);      /* it finishes after this dispatch */
  else
    g_thread_join (self->thread);
  self->thread = NULL;

  for (l = mounts; l; l = l->next) {
    Mount *mount = l->data;

    GST_WARNING_OBJECT (self, "mount %s still there at stop", mount->prefix);
    mount->removed = TRUE;
    mount_release_user_data (mount);
    mount_unref (mount);
  }
  g_list_free (mounts);
}

/* Returns once the server thread is between two dispatches, so that no
 * handler of a mount just removed is still running. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncPoint;

static gboolean
sync_cb (gpointer user_data)
{
  SyncPoint *point = user_data;

  g_mutex_lock (&point->lock);
  point->done = TRUE;
  g_cond_signal (&point->cond);
  g_mutex_unlock (&point->lock);
  return G_SOURCE_REMOVE;
}

static void
server_sync (GstRtcHttpServer * self)
{
  SyncPoint point = { 0, };
  GSource *source;
  gboolean stopped;

  if (g_main_context_is_owner (self->context))
    return;

  g_mutex_init (&point.lock);
  g_cond_init (&point.cond);
  /* Attached under the lock: once stopping has begun the thread may be
   * gone, but a source attached before it is dispatched by its drain. */
  GST_OBJECT_LOCK (self);
  stopped = self->stopped;
  if (!stopped) {
    source = g_idle_source_new ();
    g_source_set_priority (source, G_PRIORITY_HIGH);
    g_source_set_callback (source, sync_cb, &point, NULL);
    g_source_attach (source, self->context);
    g_source_unref (source);
  }
  GST_OBJECT_UNLOCK (self);

  if (!stopped) {
    g_mutex_lock (&point.lock);
    while (!point.done)
      g_cond_wait (&point.cond, &point.lock);
    g_mutex_unlock (&point.lock);
  }
  g_mutex_clear (&point.lock);
  g_cond_clear (&point.cond);
}

/* ---- GObject ---- */

static void
gst_rtc_http_server_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcHttpServer *self = GST_RTC_HTTP_SERVER (object);

  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      if (self->address == NULL)
        self->address = g_strdup (DEFAULT_ADDRESS);
      break;
    case PROP_PORT:
      self->requested_port = g_value_get_uint (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_set_object (&self->tls_certificate, g_value_get_object (value));
      break;
    case PROP_CORS_ORIGIN:
      GST_OBJECT_LOCK (self);
      g_free (self->cors_origin);
      self->cors_origin = g_value_dup_string (value);
      if (self->cors_origin == NULL)
        self->cors_origin = g_strdup (DEFAULT_CORS_ORIGIN);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_BODY_SIZE:
      GST_OBJECT_LOCK (self);
      self->max_body_size = g_value_get_uint64 (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_REQUESTS:
      GST_OBJECT_LOCK (self);
      self->max_requests = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_http_server_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcHttpServer *self = GST_RTC_HTTP_SERVER (object);

  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port ? self->port : self->requested_port);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, self->tls_certificate);
      break;
    case PROP_CORS_ORIGIN:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->cors_origin);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_BODY_SIZE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint64 (value, self->max_body_size);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_REQUESTS:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_requests);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_http_server_finalize (GObject * object)
{
  GstRtcHttpServer *self = GST_RTC_HTTP_SERVER (object);

  g_warn_if_fail (self->thread == NULL);
  g_free (self->address);
  g_clear_object (&self->tls_certificate);
  g_free (self->cors_origin);
  g_free (self->key);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->start_lock);
  g_cond_clear (&self->start_cond);
  g_clear_error (&self->start_error);

  G_OBJECT_CLASS (gst_rtc_http_server_parent_class)->finalize (object);
}

static void
gst_rtc_http_server_class_init (GstRtcHttpServerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_rtc_http_server_set_property;
  gobject_class->get_property = gst_rtc_http_server_get_property;
  gobject_class->finalize = gst_rtc_http_server_finalize;

  /**
   * GstRtcHttpServer:address:
   *
   * The local address to listen on: an IP literal or a host name.
   */
  properties[PROP_ADDRESS] = g_param_spec_string ("address", "Address",
      "Local address to listen on", DEFAULT_ADDRESS,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcHttpServer:port:
   *
   * The TCP port: the one asked for until the server listens, then the one
   * it listens on (which differs when 0 was asked for).
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", "Port",
      "TCP port (0 = any free port)", 0, G_MAXUINT16, DEFAULT_PORT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcHttpServer:tls-certificate:
   *
   * The certificate, with its private key, to serve HTTPS and WSS with;
   * %NULL for plain HTTP.
   */
  properties[PROP_TLS_CERTIFICATE] = g_param_spec_object ("tls-certificate",
      "TLS certificate", "Certificate and key for HTTPS (NULL = HTTP)",
      G_TYPE_TLS_CERTIFICATE,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcHttpServer:cors-origin:
   *
   * The `Access-Control-Allow-Origin` of every response. Anything but `*`
   * also restricts the `Origin` of WebSocket handshakes.
   */
  properties[PROP_CORS_ORIGIN] = g_param_spec_string ("cors-origin",
      "CORS origin", "Origin allowed to call the server from a web page",
      DEFAULT_CORS_ORIGIN, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcHttpServer:max-body-size:
   *
   * The largest request body accepted, in bytes; larger ones get 413.
   */
  properties[PROP_MAX_BODY_SIZE] = g_param_spec_uint64 ("max-body-size",
      "Max body size", "Largest request body accepted, in bytes", 0,
      G_MAXUINT64, DEFAULT_MAX_BODY_SIZE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcHttpServer:max-requests:
   *
   * How many requests may be in progress at once; more get 503.
   */
  properties[PROP_MAX_REQUESTS] = g_param_spec_uint ("max-requests",
      "Max requests", "Requests in progress at once before 503", 1,
      G_MAXUINT, DEFAULT_MAX_REQUESTS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);

  GST_DEBUG_CATEGORY_INIT (gst_rtc_http_server_debug, "rtchttpserver", 0,
      "gst-rtc HTTP and WebSocket server");
}

static void
gst_rtc_http_server_init (GstRtcHttpServer * self)
{
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->cors_origin = g_strdup (DEFAULT_CORS_ORIGIN);
  self->max_body_size = DEFAULT_MAX_BODY_SIZE;
  self->max_requests = DEFAULT_MAX_REQUESTS;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->start_lock);
  g_cond_init (&self->start_cond);
}

/* ---- public: server ---- */

/**
 * gst_rtc_http_server_acquire:
 * @address: (nullable): the local address to listen on, `0.0.0.0` when
 *   %NULL
 * @port: the TCP port, or 0 for any free port (then always a new server)
 * @tls_certificate: (nullable): a certificate with its private key, to
 *   serve HTTPS
 * @error: return location for an error naming the address and port
 *
 * Returns the server already listening on @address and @port, or starts
 * one. Elements that share a port share the server; each adds its own
 * mounts. A second acquirer must ask for the same TLS certificate (or
 * none) as the first.
 *
 * Returns: (transfer full) (nullable): the server; give it back with
 *   gst_rtc_http_server_release()
 */
GstRtcHttpServer *
gst_rtc_http_server_acquire (const gchar * address, guint port,
    GTlsCertificate * tls_certificate, GError ** error)
{
  GstRtcHttpServer *server = NULL;
  gchar *key;

  g_return_val_if_fail (port <= G_MAXUINT16, NULL);
  g_return_val_if_fail (tls_certificate == NULL
      || G_IS_TLS_CERTIFICATE (tls_certificate), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (address == NULL)
    address = DEFAULT_ADDRESS;

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);

  key = g_strdup_printf ("%s:%u", address, port);
  if (port != 0)
    server = g_hash_table_lookup (registry, key);
  if (server) {
    gboolean same_tls = (server->tls_certificate == NULL)
        == (tls_certificate == NULL) && (tls_certificate == NULL
        || g_tls_certificate_is_same (server->tls_certificate,
            tls_certificate));

    if (!same_tls) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "The server on %s:%u already runs %s: elements sharing a port "
          "must set the same TLS certificate", address, port,
          server->tls_certificate == NULL ? "plain HTTP" : tls_certificate ?
          "HTTPS with another certificate" : "HTTPS");
      server = NULL;
    } else {
      server->users++;
      g_object_ref (server);
      GST_DEBUG_OBJECT (server, "shared, %u users", server->users);
    }
    g_free (key);
    g_mutex_unlock (&registry_lock);
    return server;
  }
  g_free (key);

  server = g_object_new (GST_RTC_TYPE_HTTP_SERVER, "address", address,
      "port", port, "tls-certificate", tls_certificate, NULL);
  gst_object_ref_sink (server);
  if (!server_start (server, error)) {
    g_mutex_unlock (&registry_lock);
    gst_object_unref (server);
    return NULL;
  }
  server->users = 1;
  server->key = g_strdup_printf ("%s:%u", address, server->port);
  g_hash_table_insert (registry, server->key, server);
  g_mutex_unlock (&registry_lock);

  return server;
}

/**
 * gst_rtc_http_server_release:
 * @server: (transfer full): a server from gst_rtc_http_server_acquire()
 *
 * Gives back a server. The last release stops it: open connections are
 * closed and remaining mounts dropped (remove yours first). WebSocket
 * connections handed to mounts are theirs to close before that.
 */
void
gst_rtc_http_server_release (GstRtcHttpServer * server)
{
  gboolean last;

  g_return_if_fail (GST_RTC_IS_HTTP_SERVER (server));

  g_mutex_lock (&registry_lock);
  if (server->users == 0) {
    g_mutex_unlock (&registry_lock);
    g_critical ("%s: server released more often than acquired", G_STRFUNC);
    return;
  }
  last = --server->users == 0;
  if (last)
    g_hash_table_remove (registry, server->key);
  g_mutex_unlock (&registry_lock);

  if (last) {
    GST_DEBUG_OBJECT (server, "last user gone, stopping");
    server_stop (server);
  }
  gst_object_unref (server);
}

/**
 * gst_rtc_http_server_get_port:
 * @server: a server
 *
 * Gets the TCP port of @server; with port 0 asked for, the one it got.
 *
 * Returns: the port the server listens on
 */
guint
gst_rtc_http_server_get_port (GstRtcHttpServer * server)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), 0);

  return server->port;
}

/**
 * gst_rtc_http_server_get_address:
 * @server: a server
 *
 * Gets the address @server was asked to listen on.
 *
 * Returns: the address the server was asked to listen on
 */
const gchar *
gst_rtc_http_server_get_address (GstRtcHttpServer * server)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), NULL);

  return server->address;
}

/**
 * gst_rtc_http_server_is_https:
 * @server: a server
 *
 * Tells whether @server has a TLS certificate.
 *
 * Returns: %TRUE if the server speaks HTTPS (and WSS)
 */
gboolean
gst_rtc_http_server_is_https (GstRtcHttpServer * server)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);

  return server->tls_certificate != NULL;
}

/**
 * gst_rtc_http_server_get_url:
 * @server: a server
 * @path: (nullable): a path starting with `/`, or %NULL for `/`
 * @websocket: %TRUE for a `ws:`/`wss:` URL, %FALSE for `http:`/`https:`
 *
 * Builds a URL that reaches @path on this host. A wildcard address is
 * replaced by the loopback address.
 *
 * Returns: (transfer full): the URL
 */
gchar *
gst_rtc_http_server_get_url (GstRtcHttpServer * server, const gchar * path,
    gboolean websocket)
{
  const gchar *scheme;
  const gchar *host;
  gboolean bracket;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), NULL);

  host = server->address;

  if (websocket)
    scheme = server->tls_certificate ? "wss" : "ws";
  else
    scheme = server->tls_certificate ? "https" : "http";
  if (strcmp (host, "0.0.0.0") == 0)
    host = "127.0.0.1";
  else if (strcmp (host, "::") == 0)
    host = "::1";
  bracket = strchr (host, ':') != NULL;
  return g_strdup_printf ("%s://%s%s%s:%u%s", scheme, bracket ? "[" : "",
      host, bracket ? "]" : "", server->port, path ? path : "/");
}

/**
 * gst_rtc_http_server_get_context:
 * @server: a server
 *
 * The context handlers run on, for work that must happen on the server's
 * thread (such as sending on a #SoupWebsocketConnection from elsewhere:
 * use g_main_context_invoke()).
 *
 * Returns: (transfer none): the server's main context
 */
GMainContext *
gst_rtc_http_server_get_context (GstRtcHttpServer * server)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), NULL);

  return server->context;
}

static Mount *
mount_get_or_create (GstRtcHttpServer * self, const gchar * prefix,
    gboolean * created)
{
  Mount *mount = find_mount_exact (self, prefix);

  *created = FALSE;
  if (mount == NULL) {
    mount = g_new0 (Mount, 1);
    mount->refcount = 1;
    mount->prefix = g_strdup (prefix);
    *created = TRUE;
  }
  return mount;
}

/**
 * gst_rtc_http_server_add_mount:
 * @server: a server
 * @path_prefix: the path the mount answers, and everything below it
 *   (`/whep` answers `/whep` and `/whep/abc`, not `/whepx`)
 * @handler: (scope notified) (closure user_data) (destroy destroy): called
 *   for each request under @path_prefix
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the mount is removed
 *
 * Adds an HTTP mount. The longest matching prefix wins. A WebSocket mount
 * may share the prefix: upgrade requests go to it, the others here.
 *
 * Returns: %TRUE if the mount was added, %FALSE if @path_prefix already has
 *   an HTTP handler or is not an absolute path
 */
gboolean
gst_rtc_http_server_add_mount (GstRtcHttpServer * server,
    const gchar * path_prefix, GstRtcHttpHandler handler, gpointer user_data,
    GDestroyNotify destroy)
{
  gchar *prefix;
  Mount *mount;
  gboolean created;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);
  g_return_val_if_fail (handler != NULL, FALSE);
  prefix = normalize_prefix (path_prefix);
  g_return_val_if_fail (prefix != NULL, FALSE);

  GST_OBJECT_LOCK (server);
  mount = mount_get_or_create (server, prefix, &created);
  if (mount->handler) {
    GST_OBJECT_UNLOCK (server);
    GST_WARNING_OBJECT (server, "%s is already mounted", prefix);
    g_free (prefix);
    return FALSE;
  }
  mount->handler = handler;
  mount->user_data = user_data;
  mount->destroy = destroy;
  if (created)
    server->mounts = g_list_prepend (server->mounts, mount);
  GST_OBJECT_UNLOCK (server);

  GST_DEBUG_OBJECT (server, "mounted %s", prefix);
  g_free (prefix);
  return TRUE;
}

/**
 * gst_rtc_http_server_add_websocket_mount:
 * @server: a server
 * @path_prefix: the path the mount answers, and everything below it
 * @max_message_size: the largest message accepted, in bytes; a larger one
 *   closes the connection with 1009 (message too big). 0 means
 *   %GST_RTC_HTTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE.
 * @handler: (scope notified) (closure user_data) (destroy destroy): called
 *   for each WebSocket opened under @path_prefix
 * @user_data: data for @handler
 * @destroy: (nullable): frees @user_data when the mount is removed
 *
 * Adds a WebSocket mount. Bearer tokens, the authorize hook and the
 * method list apply to the handshake (a token may also come as an
 * `access_token` query parameter, since browsers cannot set headers on a
 * WebSocket).
 *
 * Returns: %TRUE if the mount was added, %FALSE if @path_prefix already has
 *   a WebSocket handler or is not an absolute path
 */
gboolean
gst_rtc_http_server_add_websocket_mount (GstRtcHttpServer * server,
    const gchar * path_prefix, gsize max_message_size,
    GstRtcHttpWebsocketHandler handler, gpointer user_data,
    GDestroyNotify destroy)
{
  gchar *prefix;
  Mount *mount;
  gboolean created;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);
  g_return_val_if_fail (handler != NULL, FALSE);
  prefix = normalize_prefix (path_prefix);
  g_return_val_if_fail (prefix != NULL, FALSE);

  GST_OBJECT_LOCK (server);
  mount = mount_get_or_create (server, prefix, &created);
  if (mount->websocket_handler) {
    GST_OBJECT_UNLOCK (server);
    GST_WARNING_OBJECT (server, "%s already has a WebSocket mount", prefix);
    g_free (prefix);
    return FALSE;
  }
  mount->websocket_handler = handler;
  mount->websocket_user_data = user_data;
  mount->websocket_destroy = destroy;
  mount->max_message_size = max_message_size ? max_message_size :
      GST_RTC_HTTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE;
  if (created)
    server->mounts = g_list_prepend (server->mounts, mount);
  GST_OBJECT_UNLOCK (server);

  GST_DEBUG_OBJECT (server, "mounted WebSocket %s", prefix);
  g_free (prefix);
  return TRUE;
}

/**
 * gst_rtc_http_server_remove_mount:
 * @server: a server
 * @path_prefix: a mounted path
 *
 * Removes the HTTP and WebSocket handlers at @path_prefix. When called
 * from another thread, it returns only once no handler of the mount is
 * running; the destroy notifies run before it returns. Requests already
 * handed to the handler may still be answered. New requests get 404.
 *
 * Returns: %TRUE if something was mounted there
 */
gboolean
gst_rtc_http_server_remove_mount (GstRtcHttpServer * server,
    const gchar * path_prefix)
{
  gchar *prefix;
  Mount *mount;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);
  prefix = normalize_prefix (path_prefix);
  g_return_val_if_fail (prefix != NULL, FALSE);

  GST_OBJECT_LOCK (server);
  mount = find_mount_exact (server, prefix);
  if (mount) {
    mount->removed = TRUE;
    server->mounts = g_list_remove (server->mounts, mount);
  }
  GST_OBJECT_UNLOCK (server);
  g_free (prefix);

  if (mount == NULL)
    return FALSE;

  server_sync (server);
  GST_DEBUG_OBJECT (server, "unmounted %s", mount->prefix);
  mount_release_user_data (mount);
  mount_unref (mount);
  return TRUE;
}

/**
 * gst_rtc_http_server_set_mount_methods:
 * @server: a server
 * @path_prefix: a mounted path
 * @methods: (nullable) (array zero-terminated=1): the methods the mount
 *   answers, or %NULL for any
 *
 * Restricts the methods of a mount: others get 405 with an `Allow` header.
 * OPTIONS is answered as a CORS preflight by the server unless listed
 * here, in which case the handler answers it.
 *
 * Returns: %TRUE if @path_prefix is mounted
 */
gboolean
gst_rtc_http_server_set_mount_methods (GstRtcHttpServer * server,
    const gchar * path_prefix, const gchar * const *methods)
{
  gchar *prefix;
  Mount *mount;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);
  prefix = normalize_prefix (path_prefix);
  g_return_val_if_fail (prefix != NULL, FALSE);

  GST_OBJECT_LOCK (server);
  mount = find_mount_exact (server, prefix);
  if (mount) {
    g_strfreev (mount->methods);
    mount->methods = g_strdupv ((gchar **) methods);
  }
  GST_OBJECT_UNLOCK (server);
  g_free (prefix);
  return mount != NULL;
}

/**
 * gst_rtc_http_server_set_mount_bearer_token:
 * @server: a server
 * @path_prefix: a mounted path
 * @token: (nullable): the token requests must bear, or %NULL for none
 *
 * Requires `Authorization: Bearer @token` on every request under the
 * mount but CORS preflights; others get 401 with `WWW-Authenticate:
 * Bearer`. The token is never logged.
 *
 * Returns: %TRUE if @path_prefix is mounted
 */
gboolean
gst_rtc_http_server_set_mount_bearer_token (GstRtcHttpServer * server,
    const gchar * path_prefix, const gchar * token)
{
  gchar *prefix;
  Mount *mount;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);
  prefix = normalize_prefix (path_prefix);
  g_return_val_if_fail (prefix != NULL, FALSE);

  GST_OBJECT_LOCK (server);
  mount = find_mount_exact (server, prefix);
  if (mount) {
    g_free (mount->token);
    mount->token = token && *token ? g_strdup (token) : NULL;
  }
  GST_OBJECT_UNLOCK (server);
  g_free (prefix);
  return mount != NULL;
}

/**
 * gst_rtc_http_server_set_mount_authorize:
 * @server: a server
 * @path_prefix: a mounted path
 * @func: (nullable) (scope notified) (closure user_data) (destroy destroy):
 *   decides whether a request may go on, or %NULL for no check
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Sets a hook that sees each request's line and headers, after the bearer
 * token check and before the body is read.
 *
 * Returns: %TRUE if @path_prefix is mounted
 */
gboolean
gst_rtc_http_server_set_mount_authorize (GstRtcHttpServer * server,
    const gchar * path_prefix, GstRtcHttpAuthorizeFunc func,
    gpointer user_data, GDestroyNotify destroy)
{
  gchar *prefix;
  Mount *mount;
  GDestroyNotify old_destroy = NULL;
  gpointer old_data = NULL;

  g_return_val_if_fail (GST_RTC_IS_HTTP_SERVER (server), FALSE);
  prefix = normalize_prefix (path_prefix);
  g_return_val_if_fail (prefix != NULL, FALSE);

  GST_OBJECT_LOCK (server);
  mount = find_mount_exact (server, prefix);
  if (mount) {
    old_destroy = mount->authorize_destroy;
    old_data = mount->authorize_data;
    mount->authorize = func;
    mount->authorize_data = user_data;
    mount->authorize_destroy = destroy;
  }
  GST_OBJECT_UNLOCK (server);
  g_free (prefix);

  if (mount == NULL) {
    if (destroy)
      destroy (user_data);
    return FALSE;
  }
  if (old_destroy) {
    server_sync (server);
    old_destroy (old_data);
  }
  return TRUE;
}

/* ---- public: requests ---- */

/**
 * gst_rtc_http_request_get_method:
 * @request: a request
 *
 * Gets the method of @request.
 *
 * Returns: the HTTP method
 */
const gchar *
gst_rtc_http_request_get_method (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->method;
}

/**
 * gst_rtc_http_request_get_path:
 * @request: a request
 *
 * Gets the path of @request.
 *
 * Returns: the decoded path of the request URI
 */
const gchar *
gst_rtc_http_request_get_path (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->path;
}

/**
 * gst_rtc_http_request_get_mount_path:
 * @request: a request
 *
 * Gets the mount path @request came in through.
 *
 * Returns: the prefix of the mount that took the request
 */
const gchar *
gst_rtc_http_request_get_mount_path (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->mount->prefix;
}

/**
 * gst_rtc_http_request_get_subpath:
 * @request: a request
 *
 * The part of the path below the mount: "" for the mount itself, else
 * starting with `/` (for a mount `/whip`, a request to `/whip/abc` has
 * subpath `/abc`: the resource a WHIP PATCH or DELETE is about).
 *
 * Returns: the path below the mount
 */
const gchar *
gst_rtc_http_request_get_subpath (GstRtcHttpRequest * request)
{
  gsize len;

  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  len = strlen (request->mount->prefix);
  if (len == 1)
    return request->path;
  return request->path + len;
}

/**
 * gst_rtc_http_request_get_query:
 * @request: a request
 *
 * Gets the query string of @request.
 *
 * Returns: (nullable): the raw query string, without the `?`
 */
const gchar *
gst_rtc_http_request_get_query (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->query;
}

/**
 * gst_rtc_http_request_get_header:
 * @request: a request
 * @name: a header name (any case)
 *
 * Gets one header of @request.
 *
 * Returns: (nullable): the header's value; repeated headers are joined
 *   with commas
 */
const gchar *
gst_rtc_http_request_get_header (GstRtcHttpRequest * request,
    const gchar * name)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_list (request->headers, name);
}

/**
 * gst_rtc_http_request_get_headers:
 * @request: a request
 *
 * Gets every header of @request.
 *
 * Returns: (transfer none): all request headers (read only)
 */
SoupMessageHeaders *
gst_rtc_http_request_get_headers (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->headers;
}

/**
 * gst_rtc_http_request_get_body:
 * @request: a request
 *
 * Gets the body of @request.
 *
 * Returns: (transfer none): the request body, empty when there is none
 *   (and in the authorize hook, which runs before the body is read)
 */
GBytes *
gst_rtc_http_request_get_body (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->body;
}

/**
 * gst_rtc_http_request_get_remote_address:
 * @request: a request
 *
 * Gets the address of the client that sent @request.
 *
 * Returns: (nullable): the client's IP address
 */
const gchar *
gst_rtc_http_request_get_remote_address (GstRtcHttpRequest * request)
{
  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), NULL);

  return request->remote_address;
}

/**
 * gst_rtc_http_request_add_response_header:
 * @request: a request not answered yet
 * @name: a header name
 * @value: its value
 *
 * Adds a header to the answer, from any thread, before
 * gst_rtc_http_request_respond().
 */
void
gst_rtc_http_request_add_response_header (GstRtcHttpRequest * request,
    const gchar * name, const gchar * value)
{
  g_return_if_fail (GST_RTC_IS_HTTP_REQUEST (request));
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  g_mutex_lock (&request->lock);
  if (!request->responded)
    soup_message_headers_append (request->response_headers, name, value);
  g_mutex_unlock (&request->lock);
}

static void
append_quoted (GString * out, const gchar * value)
{
  g_string_append_c (out, '"');
  for (; *value; value++) {
    if (*value == '"' || *value == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, *value);
  }
  g_string_append_c (out, '"');
}

/**
 * gst_rtc_http_ice_server_link:
 * @uri: a STUN or TURN server URI, as the `stun-server` and `turn-server`
 *   properties take them (`stun://host:port`,
 *   `turn(s)://user:pass@host:port?transport=tcp`)
 * @error: return location for a %GST_RTC_ERROR_TYPE_ERROR
 *
 * Formats one ICE server as a `Link` header value in the form of RFC 9725
 * (WHIP), section 4.6: `<stun:host:port>; rel="ice-server"`, or for TURN
 * `<turn:host:port?transport=udp>; rel="ice-server"; username="…";
 * credential="…"; credential-type="password"`.
 *
 * Returns: (transfer full) (nullable): the header value, or %NULL with
 *   @error set
 */
gchar *
gst_rtc_http_ice_server_link (const gchar * uri, GError ** error)
{
  GstRtcIceServer *server;
  GString *link;
  gboolean bracket;

  g_return_val_if_fail (uri != NULL, NULL);

  server = gst_rtc_ice_server_parse (uri, error);
  if (server == NULL)
    return NULL;

  bracket = strchr (server->host, ':') != NULL;
  link = g_string_new ("<");
  g_string_append (link, server->is_turn ? (server->is_tls ? "turns:" :
          "turn:") : "stun:");
  g_string_append_printf (link, "%s%s%s:%u", bracket ? "[" : "",
      server->host, bracket ? "]" : "", server->port);
  if (server->is_turn)
    g_string_append_printf (link, "?transport=%s",
        server->protocol == GST_RTC_ICE_PROTOCOL_TCP ? "tcp" : "udp");
  g_string_append (link, ">; rel=\"ice-server\"");
  if (server->is_turn && server->username) {
    g_string_append (link, "; username=");
    append_quoted (link, server->username);
    g_string_append (link, "; credential=");
    append_quoted (link, server->password ? server->password : "");
    g_string_append (link, "; credential-type=\"password\"");
  }
  gst_rtc_ice_server_free (server);
  return g_string_free (link, FALSE);
}

/**
 * gst_rtc_http_request_add_ice_server_links:
 * @request: a request not answered yet
 * @uris: (array zero-terminated=1): STUN and TURN server URIs
 * @error: return location for a %GST_RTC_ERROR_TYPE_ERROR
 *
 * Adds one `Link: <…>; rel="ice-server"` header per URI to the answer
 * (see gst_rtc_http_ice_server_link()). Nothing is added if one URI is
 * malformed.
 *
 * Returns: %TRUE if every URI was valid
 */
gboolean
gst_rtc_http_request_add_ice_server_links (GstRtcHttpRequest * request,
    const gchar * const *uris, GError ** error)
{
  GPtrArray *links;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), FALSE);
  g_return_val_if_fail (uris != NULL, FALSE);

  links = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; uris[i]; i++) {
    gchar *link = gst_rtc_http_ice_server_link (uris[i], error);

    if (link == NULL) {
      g_ptr_array_unref (links);
      return FALSE;
    }
    g_ptr_array_add (links, link);
  }
  for (i = 0; i < links->len; i++)
    gst_rtc_http_request_add_response_header (request, "Link",
        g_ptr_array_index (links, i));
  g_ptr_array_unref (links);
  return TRUE;
}

/**
 * gst_rtc_http_request_respond:
 * @request: a request not answered yet
 * @status: the HTTP status code
 * @content_type: (nullable): the body's media type
 * @body: (nullable): the body
 *
 * Answers the request, from any thread: from the handler, or later. Each
 * request is answered once.
 *
 * Returns: %TRUE if the answer will be sent; %FALSE if the request was
 *   answered already or the server stopped (the client may still have gone
 *   away meanwhile, in which case the answer is dropped)
 */
gboolean
gst_rtc_http_request_respond (GstRtcHttpRequest * request, guint status,
    const gchar * content_type, GBytes * body)
{
  GstRtcHttpServer *server;
  gboolean stopped;

  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), FALSE);
  g_return_val_if_fail (status >= 100 && status < 1000, FALSE);

  g_mutex_lock (&request->lock);
  if (request->responded) {
    g_mutex_unlock (&request->lock);
    GST_WARNING_OBJECT (request->server, "%s %s answered twice",
        request->method, request->path);
    return FALSE;
  }
  request->responded = TRUE;
  request->status = status;
  request->content_type = g_strdup (content_type);
  request->response_body = body ? g_bytes_ref (body) : NULL;
  g_mutex_unlock (&request->lock);

  server = request->server;
  if (g_main_context_is_owner (server->context)) {
    /* On the server's thread (in the handler, typically): the server
     * cannot finish stopping under our feet. */
    apply_response (request);
    return TRUE;
  }
  GST_OBJECT_LOCK (server);
  stopped = server->stopped;
  /* Attached under the lock, so that the server cannot finish stopping in
   * between and leave the source undispatched. From another thread this
   * only attaches a source; nothing runs here. */
  if (!stopped)
    g_main_context_invoke_full (server->context, G_PRIORITY_DEFAULT,
        apply_response, g_object_ref (request), g_object_unref);
  GST_OBJECT_UNLOCK (server);
  return !stopped;
}

/**
 * gst_rtc_http_request_respond_text:
 * @request: a request not answered yet
 * @status: the HTTP status code
 * @text: (nullable): a plain text body; a newline is added
 *
 * Answers with a `text/plain` body, such as the reason of a 400.
 *
 * Returns: see gst_rtc_http_request_respond()
 */
gboolean
gst_rtc_http_request_respond_text (GstRtcHttpRequest * request, guint status,
    const gchar * text)
{
  GBytes *body = NULL;
  gboolean ok;

  g_return_val_if_fail (GST_RTC_IS_HTTP_REQUEST (request), FALSE);

  if (text) {
    gchar *line = g_strconcat (text, "\n", NULL);

    body = g_bytes_new_take (line, strlen (line));
  }
  ok = gst_rtc_http_request_respond (request, status,
      text ? "text/plain; charset=utf-8" : NULL, body);
  if (body)
    g_bytes_unref (body);
  return ok;
}
