/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtcsink's signalling besides WHEP:
 *
 * - the `signaller` property: any GstRtcSignaller (the WebSocket room
 *   client GstRtcWsSignaller, or one an application writes, in Python
 *   too). rtcsink is the producer: each session's offer becomes a viewer,
 *   answered by the same code as a WHEP offer (gstrtcsink.c);
 * - `GET /ws`: a WebSocket endpoint on rtcsink's own HTTP server, with
 *   browser-shaped JSON. It is itself a small GstRtcSignaller
 *   (GstRtcSinkWsEndpoint below) whose sessions are its connections, so
 *   both go through one path.
 *
 * Threads: a signaller emits from wherever it likes; every event is handed
 * to the sink's control thread (the HTTP server's), where viewers are
 * negotiated and removed one thing at a time.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcsink-signalling.h"
#include "gstrtcsink-answer.h"
#include "gstrtcelementutils.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_sink_signalling_debug);
#define GST_CAT_DEFAULT gst_rtc_sink_signalling_debug

#define WS_PATH "/ws"
/* Remote candidates held for a session whose viewer does not exist yet;
 * the viewer itself takes at most GST_RTC_SINK_MAX_REMOTE_CANDIDATES. */
#define MAX_EARLY_CANDIDATES GST_RTC_SINK_MAX_REMOTE_CANDIDATES
#define MAX_PENDING_LOCAL_CANDIDATES 64
/* Sessions one signaller may hold open without an offer (a room full of
 * idle peers); viewers are bounded by max-viewers. */
#define MAX_SESSIONS 1024
/* /ws connections at once, and their rate: the room server's limits. */
#define MAX_WS_CONNECTIONS 256
#define WS_RATE_BURST 200.0
#define WS_RATE_PER_SECOND 100.0

enum
{
  PROP_SIGNALLER_OFFSET,
  PROP_WHIP_URL_OFFSET,
  N_PROPS
};

static guint first_prop_id;

/* ================================================================== */
/* GstRtcSinkWsEndpoint: the /ws connections as a GstRtcSignaller      */
/* ================================================================== */

#define GST_RTC_TYPE_SINK_WS_ENDPOINT (gst_rtc_sink_ws_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcSinkWsEndpoint, gst_rtc_sink_ws_endpoint,
    GST_RTC, SINK_WS_ENDPOINT, GObject)

typedef struct
{
  gchar *id;
  gchar *remote_address;
  SoupWebsocketConnection *connection;
  gdouble tokens;
  gint64 last_refill;
} WsConnection;

struct _GstRtcSinkWsEndpoint
{
  GObject parent;

  /* The server's thread only. */
  GMainContext *context;
  GHashTable *connections;      /* id -> WsConnection */
  gboolean stopped;
  guint next_id;
};

static void ws_endpoint_iface_init (GstRtcSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcSinkWsEndpoint, gst_rtc_sink_ws_endpoint,
    G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (GST_RTC_TYPE_SIGNALLER,
        ws_endpoint_iface_init));

static void
ws_connection_free (WsConnection * conn)
{
  g_signal_handlers_disconnect_matched (conn->connection, G_SIGNAL_MATCH_DATA,
      0, 0, NULL, NULL, conn);
  if (soup_websocket_connection_get_state (conn->connection) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->connection,
        SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_object_unref (conn->connection);
  g_free (conn->remote_address);
  g_free (conn->id);
  g_free (conn);
}

static void
ws_send (WsConnection * conn, const GstRtcWsMessage * message)
{
  gchar *json;

  if (soup_websocket_connection_get_state (conn->connection) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  json = gst_rtc_ws_message_to_json (message);
  soup_websocket_connection_send_text (conn->connection, json);
  g_free (json);
}

static void
ws_send_error (WsConnection * conn, const gchar * reason)
{
  GstRtcWsMessage *message = gst_rtc_ws_message_new_error (reason);

  GST_INFO ("/ws %s (%s): %s", conn->id, conn->remote_address, reason);
  ws_send (conn, message);
  gst_rtc_ws_message_free (message);
}

static gboolean
ws_take_token (WsConnection * conn)
{
  gint64 now = g_get_monotonic_time ();

  conn->tokens = MIN (WS_RATE_BURST, conn->tokens +
      (now - conn->last_refill) * WS_RATE_PER_SECOND / G_USEC_PER_SEC);
  conn->last_refill = now;
  if (conn->tokens < 1.0)
    return FALSE;
  conn->tokens -= 1.0;
  return TRUE;
}

/* The connection is gone: its session ends. */
static void
ws_forget (GstRtcSinkWsEndpoint * self, WsConnection * conn)
{
  gchar *id = g_strdup (conn->id);

  g_hash_table_remove (self->connections, id);
  if (!self->stopped)
    gst_rtc_signaller_session_ended (GST_RTC_SIGNALLER (self), id);
  g_free (id);
}

static void
on_ws_message (SoupWebsocketConnection * connection, gint type, GBytes * data,
    WsConnection * conn)
{
  GstRtcSinkWsEndpoint *self = g_object_get_data (G_OBJECT (connection),
      "rtcsink-ws-endpoint");
  GstRtcSignaller *signaller = GST_RTC_SIGNALLER (self);
  GstRtcWsMessage *message;
  GError *error = NULL;
  const gchar *text;
  gchar *reason;
  gsize size;

  if (soup_websocket_connection_get_state (connection) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (!ws_take_token (conn)) {
    GST_WARNING ("/ws %s (%s) sends too fast, closing", conn->id,
        conn->remote_address);
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "message rate limit exceeded");
    ws_forget (self, conn);
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    ws_send_error (conn, "binary messages are not accepted: send JSON text");
    return;
  }
  text = g_bytes_get_data (data, &size);
  message = gst_rtc_ws_message_parse (text, size, &error);
  if (message == NULL) {
    reason = g_strdup_printf ("bad message: %s", error->message);
    ws_send_error (conn, reason);
    g_free (reason);
    g_clear_error (&error);
    return;
  }
  switch (message->type) {
    case GST_RTC_WS_MESSAGE_OFFER:
      gst_rtc_signaller_session_description (signaller, conn->id, "offer",
          message->sdp);
      break;
    case GST_RTC_WS_MESSAGE_CANDIDATE:
      gst_rtc_signaller_handle_ice (signaller, conn->id,
          MAX (message->sdp_mline_index, 0), message->sdp_mid,
          gst_rtc_ws_message_is_end_of_candidates (message) ? NULL :
          message->candidate);
      break;
    case GST_RTC_WS_MESSAGE_ANSWER:
      ws_send_error (conn, "rtcsink answers offers; it makes none: send "
          "{\"type\":\"offer\",\"sdp\":…}");
      break;
    default:
      reason = g_strdup_printf ("\"%s\" messages are not used here: send an "
          "offer and candidates", gst_rtc_ws_message_type_to_string
          (message->type));
      ws_send_error (conn, reason);
      g_free (reason);
      break;
  }
  gst_rtc_ws_message_free (message);
}

static void
on_ws_closed (SoupWebsocketConnection * connection, WsConnection * conn)
{
  GstRtcSinkWsEndpoint *self = g_object_get_data (G_OBJECT (connection),
      "rtcsink-ws-endpoint");

  GST_DEBUG ("/ws %s (%s) closed", conn->id, conn->remote_address);
  ws_forget (self, conn);
}

/* On the server's thread, for each WebSocket opened at /ws. */
static void
ws_endpoint_add (GstRtcSinkWsEndpoint * self, GstRtcHttpRequest * request,
    SoupWebsocketConnection * connection)
{
  WsConnection *conn;

  if (self->stopped) {
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "the sink is stopping");
    return;
  }
  if (g_hash_table_size (self->connections) >= MAX_WS_CONNECTIONS) {
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many connections");
    return;
  }
  conn = g_new0 (WsConnection, 1);
  conn->id = g_strdup_printf ("ws-%u-%08x", ++self->next_id, g_random_int ());
  conn->remote_address =
      g_strdup (gst_rtc_http_request_get_remote_address (request));
  conn->connection = g_object_ref (connection);
  conn->tokens = WS_RATE_BURST;
  conn->last_refill = g_get_monotonic_time ();
  g_object_set_data (G_OBJECT (connection), "rtcsink-ws-endpoint", self);
  g_hash_table_insert (self->connections, conn->id, conn);
  g_signal_connect (connection, "message", G_CALLBACK (on_ws_message), conn);
  g_signal_connect (connection, "closed", G_CALLBACK (on_ws_closed), conn);
  GST_DEBUG ("/ws %s (%s) opened", conn->id, conn->remote_address);
  gst_rtc_signaller_session_requested (GST_RTC_SIGNALLER (self), conn->id,
      conn->remote_address);
}

/* Calls into the endpoint from other threads run on the server's. */
typedef struct
{
  GstRtcSinkWsEndpoint *self;
  gchar *id;
  GstRtcWsMessage *message;
  gboolean close;
} WsCall;

static void
ws_call_free (gpointer data)
{
  WsCall *call = data;

  g_object_unref (call->self);
  g_free (call->id);
  gst_rtc_ws_message_free (call->message);
  g_free (call);
}

static gboolean
ws_call_run (gpointer data)
{
  WsCall *call = data;
  WsConnection *conn = g_hash_table_lookup (call->self->connections,
      call->id);

  if (conn == NULL)
    return G_SOURCE_REMOVE;
  if (call->message != NULL)
    ws_send (conn, call->message);
  if (call->close) {
    /* it may be closing already (a flood, the peer's own close) */
    if (soup_websocket_connection_get_state (conn->connection) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (conn->connection,
          SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    /* Its session is ended by whoever asked: no session-ended. */
    g_hash_table_remove (call->self->connections, call->id);
  }
  return G_SOURCE_REMOVE;
}

/* In call order: directly on the server's thread, queued from others. */
static void
ws_call (GstRtcSinkWsEndpoint * self, const gchar * id,
    GstRtcWsMessage * message, gboolean close)
{
  WsCall *call = g_new0 (WsCall, 1);

  call->self = g_object_ref (self);
  call->id = g_strdup (id);
  call->message = message;
  call->close = close;
  if (g_main_context_is_owner (self->context)) {
    ws_call_run (call);
    ws_call_free (call);
  } else {
    g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT,
        ws_call_run, call, ws_call_free);
  }
}

static void
ws_endpoint_send_sdp (GstRtcSignaller * signaller, const gchar * session_id,
    const gchar * type, const gchar * sdp)
{
  GstRtcWsMessageType message_type;

  if (!gst_rtc_ws_message_type_from_string (type, &message_type)
      || (message_type != GST_RTC_WS_MESSAGE_OFFER
          && message_type != GST_RTC_WS_MESSAGE_ANSWER))
    return;
  ws_call (GST_RTC_SINK_WS_ENDPOINT (signaller), session_id,
      gst_rtc_ws_message_new_sdp (message_type, sdp), FALSE);
}

static void
ws_endpoint_send_candidate (GstRtcSignaller * signaller,
    const gchar * session_id, guint mline, const gchar * mid,
    const gchar * candidate)
{
  ws_call (GST_RTC_SINK_WS_ENDPOINT (signaller), session_id,
      gst_rtc_ws_message_new_candidate (candidate, mid, MIN (mline,
              G_MAXUINT16)), FALSE);
}

static void
ws_endpoint_end_session (GstRtcSignaller * signaller,
    const gchar * session_id)
{
  ws_call (GST_RTC_SINK_WS_ENDPOINT (signaller), session_id, NULL, TRUE);
}

/* The offer was refused: the client hears why and may try again. */
static void
ws_endpoint_send_error (GstRtcSinkWsEndpoint * self, const gchar * id,
    const gchar * reason)
{
  ws_call (self, id, gst_rtc_ws_message_new_error (reason), FALSE);
}

/* Its viewer is gone: say why, and close. */
static void
ws_endpoint_close (GstRtcSinkWsEndpoint * self, const gchar * id,
    const gchar * reason)
{
  ws_call (self, id, gst_rtc_ws_message_new_error (reason), TRUE);
}

/* On the server's thread: every connection closes, no signal follows. */
static void
ws_endpoint_stop_on_thread (GstRtcSinkWsEndpoint * self)
{
  self->stopped = TRUE;
  g_hash_table_remove_all (self->connections);
}

static void
ws_endpoint_iface_init (GstRtcSignallerInterface * iface)
{
  iface->send_sdp = ws_endpoint_send_sdp;
  iface->send_candidate = ws_endpoint_send_candidate;
  iface->end_session = ws_endpoint_end_session;
}

static void
gst_rtc_sink_ws_endpoint_finalize (GObject * object)
{
  GstRtcSinkWsEndpoint *self = GST_RTC_SINK_WS_ENDPOINT (object);

  g_hash_table_unref (self->connections);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (gst_rtc_sink_ws_endpoint_parent_class)->finalize (object);
}

static void
gst_rtc_sink_ws_endpoint_init (GstRtcSinkWsEndpoint * self)
{
  self->connections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) ws_connection_free);
}

static void
gst_rtc_sink_ws_endpoint_class_init (GstRtcSinkWsEndpointClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_rtc_sink_ws_endpoint_finalize;
}

static GstRtcSinkWsEndpoint *
ws_endpoint_new (GMainContext * context)
{
  GstRtcSinkWsEndpoint *self = g_object_new (GST_RTC_TYPE_SINK_WS_ENDPOINT,
      NULL);

  self->context = g_main_context_ref (context);
  return self;
}

/* ================================================================== */
/* GstRtcSinkWhipClient: publishing to a WHIP endpoint                */
/* ================================================================== */

/* RFC 9725: POST our offer, 201 with the answer and a Location, DELETE
 * that Location to hang up. As a GstRtcSignaller it has one session at a
 * time; when that fails or ends, it asks for a new one after a backoff. */

#define GST_RTC_TYPE_SINK_WHIP_CLIENT (gst_rtc_sink_whip_client_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcSinkWhipClient, gst_rtc_sink_whip_client,
    GST_RTC, SINK_WHIP_CLIENT, GObject)

#define WHIP_FIRST_RETRY_MS 500
#define WHIP_MAX_RETRY_MS 15000
#define WHIP_TIMEOUT_SECONDS 10
#define WHIP_DELETE_TIMEOUT_SECONDS 2
#define WHIP_MAX_ANSWER_SIZE (256 * 1024)

struct _GstRtcSinkWhipClient
{
  GObject parent;

  gchar *url;
  gchar *token;
  GMainContext *context;

  /* On the context's thread. */
  SoupSession *session;
  GCancellable *cancellable;
  GSource *retry;
  guint attempts;
  guint n_sessions;
  gchar *current;               /* session id */
  GUri *location;               /* of the current session, once created */
  gboolean stopped;
};

static void whip_client_iface_init (GstRtcSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcSinkWhipClient, gst_rtc_sink_whip_client,
    G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (GST_RTC_TYPE_SIGNALLER,
        whip_client_iface_init));

static void
whip_request_session (GstRtcSinkWhipClient * self)
{
  if (self->stopped)
    return;
  g_free (self->current);
  self->current = g_strdup_printf ("whip-%u", ++self->n_sessions);
  g_clear_pointer (&self->location, g_uri_unref);
  gst_rtc_signaller_session_requested (GST_RTC_SIGNALLER (self),
      self->current, self->url);
}

static gboolean
whip_on_retry (gpointer data)
{
  GstRtcSinkWhipClient *self = data;

  g_clear_pointer (&self->retry, g_source_unref);
  whip_request_session (self);
  return G_SOURCE_REMOVE;
}

static void
whip_schedule_retry (GstRtcSinkWhipClient * self)
{
  guint delay;

  g_clear_pointer (&self->current, g_free);
  if (self->stopped || self->retry != NULL)
    return;
  delay = MIN ((guint) WHIP_FIRST_RETRY_MS << MIN (self->attempts, 8),
      WHIP_MAX_RETRY_MS);
  self->attempts++;
  GST_INFO ("WHIP: next attempt in %u ms", delay);
  self->retry = g_timeout_source_new (delay);
  g_source_set_callback (self->retry, whip_on_retry, self, NULL);
  g_source_attach (self->retry, self->context);
}

static SoupMessage *
whip_message (GstRtcSinkWhipClient * self, const gchar * method, GUri * uri)
{
  SoupMessage *msg = soup_message_new_from_uri (method, uri);

  if (self->token != NULL) {
    gchar *value = g_strdup_printf ("Bearer %s", self->token);

    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", value);
    g_free (value);
  }
  return msg;
}

typedef struct
{
  GstRtcSinkWhipClient *self;
  gchar *session_id;
  SoupMessage *msg;
} WhipPost;

static void
whip_post_free (WhipPost * post)
{
  g_object_unref (post->self);
  g_free (post->session_id);
  g_object_unref (post->msg);
  g_free (post);
}

static void
whip_on_posted (GObject * source, GAsyncResult * result, gpointer data)
{
  WhipPost *post = data;
  GstRtcSinkWhipClient *self = post->self;
  GError *error = NULL;
  GBytes *body;
  guint status;
  const gchar *location;
  gchar *text = NULL;
  gsize size = 0;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (self->stopped || g_strcmp0 (post->session_id, self->current) != 0) {
    g_clear_error (&error);
    goto out;
  }
  status = soup_message_get_status (post->msg);
  if (body != NULL)
    text = g_strndup (g_bytes_get_data (body, &size), MIN (g_bytes_get_size
            (body), WHIP_MAX_ANSWER_SIZE));
  location = soup_message_headers_get_one (soup_message_get_response_headers
      (post->msg), "Location");
  if (body == NULL || (status != 201 && status != 200) || text == NULL
      || text[0] == '\0') {
    GST_WARNING ("WHIP POST to %s failed: %s", self->url, error ?
        error->message : soup_message_get_reason_phrase (post->msg));
    if (text != NULL && status >= 400)
      GST_WARNING ("WHIP endpoint says (%u): %.200s", status, text);
    gst_rtc_signaller_session_ended (GST_RTC_SIGNALLER (self),
        post->session_id);
    whip_schedule_retry (self);
    goto out;
  }
  if (location != NULL) {
    g_clear_pointer (&self->location, g_uri_unref);
    self->location = g_uri_parse_relative (soup_message_get_uri (post->msg),
        location, G_URI_FLAGS_NONE, NULL);
  }
  if (self->location == NULL)
    GST_WARNING ("WHIP: 201 without a usable Location: cannot DELETE later");
  GST_INFO ("WHIP: published to %s", self->url);
  self->attempts = 0;
  gst_rtc_signaller_session_description (GST_RTC_SIGNALLER (self),
      post->session_id, "answer", text);

out:
  g_clear_error (&error);
  if (body != NULL)
    g_bytes_unref (body);
  g_free (text);
  whip_post_free (post);
}

/* From the control thread (our context), when our offer is ready. */
static void
whip_client_send_sdp (GstRtcSignaller * signaller, const gchar * session_id,
    const gchar * type, const gchar * sdp)
{
  GstRtcSinkWhipClient *self = GST_RTC_SINK_WHIP_CLIENT (signaller);
  WhipPost *post;
  GUri *uri;
  GBytes *body;

  g_return_if_fail (g_main_context_is_owner (self->context));
  if (self->stopped || g_strcmp0 (type, "offer") != 0
      || g_strcmp0 (session_id, self->current) != 0)
    return;
  uri = g_uri_parse (self->url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL) {
    gst_rtc_signaller_session_ended (signaller, session_id);
    return;
  }
  post = g_new0 (WhipPost, 1);
  post->self = g_object_ref (self);
  post->session_id = g_strdup (session_id);
  post->msg = whip_message (self, SOUP_METHOD_POST, uri);
  g_uri_unref (uri);
  body = g_bytes_new (sdp, strlen (sdp));
  soup_message_set_request_body_from_bytes (post->msg, "application/sdp",
      body);
  g_bytes_unref (body);
  GST_DEBUG ("WHIP: POST to %s", self->url);
  soup_session_send_and_read_async (self->session, post->msg,
      G_PRIORITY_DEFAULT, self->cancellable, whip_on_posted, post);
}

static void
whip_on_deleted (GObject * source, GAsyncResult * result, gpointer data)
{
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, NULL);

  if (body != NULL)
    g_bytes_unref (body);
}

/* The viewer is gone (its transport failed, say): hang up, try again. */
static void
whip_client_end_session (GstRtcSignaller * signaller, const gchar * session_id)
{
  GstRtcSinkWhipClient *self = GST_RTC_SINK_WHIP_CLIENT (signaller);

  if (g_strcmp0 (session_id, self->current) != 0 || self->stopped)
    return;
  if (self->location != NULL) {
    SoupMessage *msg = whip_message (self, SOUP_METHOD_DELETE,
        self->location);

    soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
        NULL, whip_on_deleted, NULL);
    g_object_unref (msg);
    g_clear_pointer (&self->location, g_uri_unref);
  }
  whip_schedule_retry (self);
}

static gboolean
whip_start_on_thread (gpointer data)
{
  GstRtcSinkWhipClient *self = data;

  self->session = soup_session_new_with_options ("timeout",
      WHIP_TIMEOUT_SECONDS, NULL);
  self->cancellable = g_cancellable_new ();
  whip_request_session (self);
  return G_SOURCE_REMOVE;
}

static void
whip_client_start (GstRtcSignaller * signaller)
{
  GstRtcSinkWhipClient *self = GST_RTC_SINK_WHIP_CLIENT (signaller);

  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT,
      whip_start_on_thread, g_object_ref (self), g_object_unref);
}

/* On the context's thread: no more attempts; the Location to DELETE. */
static gboolean
whip_stop_on_thread (gpointer data)
{
  GstRtcSinkWhipClient *self = data;

  self->stopped = TRUE;
  if (self->retry != NULL) {
    g_source_destroy (self->retry);
    g_clear_pointer (&self->retry, g_source_unref);
  }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    soup_session_abort (self->session);
  return G_SOURCE_REMOVE;
}

static void
whip_client_stop (GstRtcSignaller * signaller)
{
  GstRtcSinkWhipClient *self = GST_RTC_SINK_WHIP_CLIENT (signaller);
  GUri *location;

  gst_rtc_worker_pool_invoke_sync (self->context, whip_stop_on_thread, self);
  location = g_steal_pointer (&self->location);
  if (location != NULL) {
    /* Hang up before we go, briefly: from this thread, on a session of
     * its own. */
    SoupSession *session = soup_session_new_with_options ("timeout",
        WHIP_DELETE_TIMEOUT_SECONDS, NULL);
    SoupMessage *msg = whip_message (self, SOUP_METHOD_DELETE, location);
    GError *error = NULL;
    GBytes *body = soup_session_send_and_read (session, msg, NULL, &error);

    GST_INFO ("WHIP: DELETE: %s", error ? error->message :
        soup_message_get_reason_phrase (msg));
    g_clear_error (&error);
    if (body != NULL)
      g_bytes_unref (body);
    g_object_unref (msg);
    g_object_unref (session);
    g_uri_unref (location);
  }
}

static void
whip_client_iface_init (GstRtcSignallerInterface * iface)
{
  iface->start = whip_client_start;
  iface->stop = whip_client_stop;
  iface->send_sdp = whip_client_send_sdp;
  iface->end_session = whip_client_end_session;
}

static void
gst_rtc_sink_whip_client_finalize (GObject * object)
{
  GstRtcSinkWhipClient *self = GST_RTC_SINK_WHIP_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  if (self->location != NULL)
    g_uri_unref (self->location);
  g_free (self->current);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->url);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (gst_rtc_sink_whip_client_parent_class)->finalize (object);
}

static void
gst_rtc_sink_whip_client_init (GstRtcSinkWhipClient * self)
{
}

static void
gst_rtc_sink_whip_client_class_init (GstRtcSinkWhipClientClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_rtc_sink_whip_client_finalize;
}

static GstRtcSinkWhipClient *
whip_client_new (const gchar * url, const gchar * token,
    GMainContext * context)
{
  GstRtcSinkWhipClient *self = g_object_new (GST_RTC_TYPE_SINK_WHIP_CLIENT,
      NULL);

  self->url = g_strdup (url);
  self->token = g_strdup (token);
  self->context = g_main_context_ref (context);
  return self;
}

/* ================================================================== */
/* Bindings: a signaller's sessions, and the viewers they make        */
/* ================================================================== */

typedef struct
{
  gint refcount;
  GstRtcSink *sink;
  GstRtcSignaller *signaller;
  GstRtcSinkWsEndpoint *endpoint;       /* when the signaller is /ws */
  /* We offer and the signaller's friend answers (WHIP), with ICE streams
   * of this controlling agent. */
  gboolean offerer;
  GstRtcIceAgent *agent;
  GMainContext *control;
  gulong handlers[5];
  /* Atomic: FALSE once stopped; late events are dropped. */
  gint active;
  /* The control thread only. */
  GHashTable *sessions;         /* id -> GstRtcSinkSession */
} Binding;

struct _GstRtcSinkSession
{
  gint refcount;
  Binding *binding;
  gchar *id;
  gchar *remote;

  /* The control thread only. */
  gchar *viewer_id;
  gboolean offered;
  GPtrArray *early;             /* remote candidates before the viewer */
  gboolean early_end;

  /* Under lock: the answer and our candidates, in that order. */
  GMutex lock;
  gboolean answered;
  gboolean closed;
  GPtrArray *pending;           /* local candidates; "" is the end */
  guint mline;
  gchar *mid;
};

static Binding *
binding_ref (Binding * binding)
{
  g_atomic_int_inc (&binding->refcount);
  return binding;
}

static void
binding_unref (Binding * binding)
{
  if (!g_atomic_int_dec_and_test (&binding->refcount))
    return;
  g_hash_table_unref (binding->sessions);
  g_object_unref (binding->signaller);
  g_clear_object (&binding->endpoint);
  gst_clear_object (&binding->agent);
  g_main_context_unref (binding->control);
  gst_object_unref (binding->sink);
  g_free (binding);
}

GstRtcSinkSession *
gst_rtc_sink_session_ref (GstRtcSinkSession * session)
{
  g_atomic_int_inc (&session->refcount);
  return session;
}

void
gst_rtc_sink_session_unref (GstRtcSinkSession * session)
{
  if (!g_atomic_int_dec_and_test (&session->refcount))
    return;
  g_ptr_array_unref (session->early);
  g_ptr_array_unref (session->pending);
  g_mutex_clear (&session->lock);
  binding_unref (session->binding);
  g_free (session->viewer_id);
  g_free (session->mid);
  g_free (session->remote);
  g_free (session->id);
  g_free (session);
}

static GstRtcSinkSession *
session_new (Binding * binding, const gchar * id, const gchar * remote)
{
  GstRtcSinkSession *session = g_new0 (GstRtcSinkSession, 1);

  session->refcount = 1;
  session->binding = binding_ref (binding);
  session->id = g_strdup (id);
  session->remote = remote && g_strcmp0 (remote, id) != 0 ?
      g_strdup_printf ("%s (%s)", remote, id) : g_strdup (id);
  session->early = g_ptr_array_new_with_free_func (g_free);
  session->pending = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&session->lock);
  return session;
}

const gchar *
gst_rtc_sink_session_get_remote (GstRtcSinkSession * session)
{
  return session->remote;
}

void
gst_rtc_sink_session_bind (GstRtcSinkSession * session,
    const gchar * viewer_id)
{
  g_free (session->viewer_id);
  session->viewer_id = g_strdup (viewer_id);
  GST_DEBUG_OBJECT (session->binding->sink, "session %s is viewer %s",
      session->id, viewer_id);
}

/* On the control thread, once the viewer has its ICE stream. */
static void
session_flush_early (GstRtcSinkSession * session)
{
  GstRtcSink *sink = session->binding->sink;
  guint i;

  if (session->viewer_id == NULL)
    return;
  for (i = 0; i < session->early->len; i++)
    gst_rtc_sink_viewer_add_candidate (sink, session->viewer_id,
        g_ptr_array_index (session->early, i));
  g_ptr_array_set_size (session->early, 0);
  if (session->early_end)
    gst_rtc_sink_viewer_add_candidate (sink, session->viewer_id, NULL);
  session->early_end = FALSE;
}

static void
session_send_candidate_locked (GstRtcSinkSession * session,
    const gchar * candidate)
{
  gst_rtc_signaller_send_candidate (session->binding->signaller, session->id,
      session->mline, session->mid, candidate);
}

void
gst_rtc_sink_session_send_description (GstRtcSinkSession * session,
    const gchar * type, const gchar * sdp, guint mline, const gchar * mid)
{
  guint i;

  g_mutex_lock (&session->lock);
  if (!session->closed) {
    gst_rtc_signaller_send_sdp (session->binding->signaller, session->id,
        type, sdp);
    session->answered = TRUE;
    session->mline = mline;
    g_free (session->mid);
    session->mid = g_strdup (mid);
    for (i = 0; i < session->pending->len; i++) {
      const gchar *candidate = g_ptr_array_index (session->pending, i);

      session_send_candidate_locked (session, candidate[0] ? candidate :
          NULL);
    }
  }
  g_ptr_array_set_size (session->pending, 0);
  g_mutex_unlock (&session->lock);
  session_flush_early (session);
}

void
gst_rtc_sink_session_local_candidate (GstRtcSinkSession * session,
    const gchar * candidate)
{
  g_mutex_lock (&session->lock);
  if (session->closed) {
    /* nothing to tell */
  } else if (session->answered) {
    session_send_candidate_locked (session, candidate);
  } else if (session->pending->len < MAX_PENDING_LOCAL_CANDIDATES) {
    g_ptr_array_add (session->pending, g_strdup (candidate ? candidate : ""));
  }
  g_mutex_unlock (&session->lock);
}

void
gst_rtc_sink_session_refuse (GstRtcSinkSession * session, guint status,
    const gchar * why)
{
  Binding *binding = session->binding;

  GST_INFO_OBJECT (binding->sink, "session %s: offer refused (%u): %s",
      session->id, status, why);
  session->offered = FALSE;
  g_clear_pointer (&session->viewer_id, g_free);
  g_ptr_array_set_size (session->early, 0);
  session->early_end = FALSE;
  if (binding->endpoint != NULL) {
    ws_endpoint_send_error (binding->endpoint, session->id, why);
  } else if (binding->offerer) {
    /* Nothing to publish yet, say: the signaller tries again later. */
    g_mutex_lock (&session->lock);
    session->closed = TRUE;
    g_mutex_unlock (&session->lock);
    gst_rtc_signaller_end_session (binding->signaller, session->id);
    g_hash_table_remove (binding->sessions, session->id);
  } else {
    GST_ELEMENT_WARNING (binding->sink, STREAM, FAILED,
        ("A viewer's offer was refused"), ("session %s: %s", session->id,
            why));
    g_mutex_lock (&session->lock);
    session->closed = TRUE;
    g_mutex_unlock (&session->lock);
    gst_rtc_signaller_end_session (binding->signaller, session->id);
    g_hash_table_remove (binding->sessions, session->id);
  }
}

void
gst_rtc_sink_session_removed (GstRtcSinkSession * session, const gchar * why)
{
  Binding *binding = session->binding;
  gboolean was_closed;

  g_mutex_lock (&session->lock);
  was_closed = session->closed;
  session->closed = TRUE;
  g_mutex_unlock (&session->lock);
  g_clear_pointer (&session->viewer_id, g_free);
  if (was_closed)
    return;
  if (binding->endpoint != NULL)
    ws_endpoint_close (binding->endpoint, session->id, why);
  else
    gst_rtc_signaller_end_session (binding->signaller, session->id);
  /* Only when it is ours still: a new session may have the same id. */
  if (g_hash_table_lookup (binding->sessions, session->id) == session)
    g_hash_table_remove (binding->sessions, session->id);
}

/* ---- events, on the control thread ---- */

typedef enum
{
  EVENT_REQUESTED,
  EVENT_DESCRIPTION,
  EVENT_ICE,
  EVENT_ENDED,
  EVENT_ERROR,
} EventType;

typedef struct
{
  Binding *binding;
  EventType type;
  gchar *session_id;
  gchar *text;                  /* peer, sdp, candidate or error message */
  gchar *sdp_type;
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  binding_unref (event->binding);
  g_free (event->session_id);
  g_free (event->text);
  g_free (event->sdp_type);
  g_free (event);
}

static GstRtcSinkSession *
lookup_session (Binding * binding, const gchar * id, const gchar * remote,
    gboolean create)
{
  GstRtcSinkSession *session = g_hash_table_lookup (binding->sessions, id);

  if (session != NULL || !create)
    return session;
  if (g_hash_table_size (binding->sessions) >= MAX_SESSIONS) {
    GST_WARNING_OBJECT (binding->sink, "%u signalling sessions already: %s "
        "ignored", MAX_SESSIONS, id);
    return NULL;
  }
  session = session_new (binding, id, remote);
  g_hash_table_insert (binding->sessions, session->id, session);
  return session;
}

static void
handle_description (Binding * binding, const gchar * id,
    const gchar * sdp_type, const gchar * sdp)
{
  GstRtcSinkSession *session = lookup_session (binding, id, NULL, TRUE);
  GstRtcSessionDescription *offer;
  GError *error = NULL;
  gchar *why;

  if (session == NULL)
    return;
  if (g_strcmp0 (sdp_type, "offer") != 0) {
    GST_WARNING_OBJECT (binding->sink, "session %s: an %s, but rtcsink "
        "only answers offers", id, sdp_type);
    return;
  }
  if (session->offered) {
    /* A new offer in an established session: the same m-lines (an ICE
     * restart, or no change) are answered; otherwise the session and its
     * viewer go on and only this offer is refused. */
    gchar *viewer_id = g_strdup (session->viewer_id);

    offer = viewer_id == NULL ? NULL :
        gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, sdp,
        &error);
    if (viewer_id == NULL)
      g_set_error (&error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
          "this session's offer is still being answered");
    else if (offer == NULL)
      g_prefix_error (&error, "malformed SDP offer: ");
    if (offer != NULL)
      gst_rtc_sink_session_reoffer (binding->sink, session, viewer_id, offer,
          &error);
    if (error != NULL) {
      if (binding->endpoint != NULL)
        ws_endpoint_send_error (binding->endpoint, id, error->message);
      else
        GST_WARNING_OBJECT (binding->sink, "session %s: %s", id,
            error->message);
      g_clear_error (&error);
    }
    g_free (viewer_id);
    return;
  }
  offer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, sdp,
      &error);
  gst_rtc_sink_session_ref (session);
  if (offer == NULL) {
    why = g_strdup_printf ("malformed SDP offer: %s", error->message);
    gst_rtc_sink_session_refuse (session, 400, why);
    g_free (why);
    g_clear_error (&error);
  } else {
    session->offered = TRUE;
    gst_rtc_sink_session_offer (binding->sink, session, offer);
    session_flush_early (session);
  }
  gst_rtc_sink_session_unref (session);
}

/* We offer: a session is a viewer of ours right away. */
static void
handle_publish (Binding * binding, const gchar * id, const gchar * peer)
{
  GstRtcSinkSession *session = lookup_session (binding, id, peer, TRUE);
  GError *error = NULL;

  if (session == NULL || session->offered)
    return;
  session->offered = TRUE;
  gst_rtc_sink_session_ref (session);
  if (!gst_rtc_sink_publish_offer (binding->sink, session, binding->agent,
          &error)) {
    gst_rtc_sink_session_refuse (session, 503, error->message);
    g_clear_error (&error);
  }
  gst_rtc_sink_session_unref (session);
}

/* The answer to our offer. */
static void
handle_publish_answer (Binding * binding, const gchar * id,
    const gchar * sdp_type, const gchar * sdp)
{
  GstRtcSinkSession *session = lookup_session (binding, id, NULL, FALSE);
  GError *error = NULL;

  if (session == NULL || session->viewer_id == NULL
      || g_strcmp0 (sdp_type, "answer") != 0) {
    GST_WARNING_OBJECT (binding->sink, "session %s: unexpected %s", id,
        sdp_type);
    return;
  }
  /* On failure the viewer is removed, and the session with it. */
  if (gst_rtc_sink_publish_answer (binding->sink, session->viewer_id, sdp,
          &error))
    session_flush_early (session);
  else
    GST_WARNING_OBJECT (binding->sink, "session %s: %s", id, error->message);
  g_clear_error (&error);
}

static void
handle_ice (Binding * binding, const gchar * id, const gchar * candidate)
{
  GstRtcSinkSession *session = lookup_session (binding, id, NULL, FALSE);

  if (session == NULL) {
    GST_DEBUG_OBJECT (binding->sink, "candidate for unknown session %s", id);
    return;
  }
  if (session->viewer_id != NULL && session->early->len == 0) {
    gst_rtc_sink_viewer_add_candidate (binding->sink, session->viewer_id,
        candidate);
  } else if (candidate == NULL) {
    session->early_end = TRUE;
  } else if (session->early->len < MAX_EARLY_CANDIDATES) {
    g_ptr_array_add (session->early, g_strdup (candidate));
  } else {
    GST_WARNING_OBJECT (binding->sink, "session %s: more than %u early "
        "candidates, ignoring the rest", id, MAX_EARLY_CANDIDATES);
  }
}

static void
handle_ended (Binding * binding, const gchar * id)
{
  GstRtcSinkSession *session = lookup_session (binding, id, NULL, FALSE);
  gchar *viewer_id;

  if (session == NULL)
    return;
  gst_rtc_sink_session_ref (session);
  g_mutex_lock (&session->lock);
  session->closed = TRUE;
  g_mutex_unlock (&session->lock);
  g_hash_table_remove (binding->sessions, id);
  viewer_id = g_steal_pointer (&session->viewer_id);
  if (viewer_id != NULL)
    gst_rtc_sink_viewer_remove (binding->sink, viewer_id,
        binding->endpoint ? "the WebSocket closed" :
        "the signalling session ended");
  g_free (viewer_id);
  gst_rtc_sink_session_unref (session);
}

static gboolean
event_run (gpointer data)
{
  Event *event = data;
  Binding *binding = event->binding;

  if (!g_atomic_int_get (&binding->active))
    return G_SOURCE_REMOVE;
  switch (event->type) {
    case EVENT_REQUESTED:
      GST_DEBUG_OBJECT (binding->sink, "session %s requested by %s",
          event->session_id, event->text ? event->text : "?");
      if (binding->offerer)
        handle_publish (binding, event->session_id, event->text);
      else
        lookup_session (binding, event->session_id, event->text, TRUE);
      break;
    case EVENT_DESCRIPTION:
      if (binding->offerer)
        handle_publish_answer (binding, event->session_id, event->sdp_type,
            event->text);
      else
        handle_description (binding, event->session_id, event->sdp_type,
            event->text);
      break;
    case EVENT_ICE:
      handle_ice (binding, event->session_id, event->text);
      break;
    case EVENT_ENDED:
      handle_ended (binding, event->session_id);
      break;
    case EVENT_ERROR:
      GST_ELEMENT_ERROR (binding->sink, RESOURCE, OPEN_READ_WRITE,
          ("Signalling failed"), ("%s", event->text));
      break;
  }
  return G_SOURCE_REMOVE;
}

static void
post_event (Binding * binding, EventType type, const gchar * session_id,
    const gchar * text, const gchar * sdp_type)
{
  Event *event;

  if (!g_atomic_int_get (&binding->active))
    return;
  event = g_new0 (Event, 1);
  event->binding = binding_ref (binding);
  event->type = type;
  event->session_id = g_strdup (session_id);
  event->text = g_strdup (text);
  event->sdp_type = g_strdup (sdp_type);
  /* Queued even on the control thread itself, so that events keep their
   * order whichever thread they come from. */
  {
    GSource *source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_callback (source, event_run, event, event_free);
    g_source_attach (source, binding->control);
    g_source_unref (source);
  }
}

static void
on_session_requested (GstRtcSignaller * signaller, const gchar * session_id,
    const gchar * peer, Binding * binding)
{
  if (session_id != NULL)
    post_event (binding, EVENT_REQUESTED, session_id, peer, NULL);
}

static void
on_session_description (GstRtcSignaller * signaller, const gchar * session_id,
    const gchar * type, const gchar * sdp, Binding * binding)
{
  if (session_id != NULL && sdp != NULL)
    post_event (binding, EVENT_DESCRIPTION, session_id, sdp, type);
}

static void
on_handle_ice (GstRtcSignaller * signaller, const gchar * session_id,
    guint mline, const gchar * mid, const gchar * candidate, Binding * binding)
{
  if (session_id == NULL)
    return;
  /* Our viewers have one transport: the m-line does not matter. */
  if (candidate != NULL && g_str_has_prefix (candidate, "a="))
    candidate += 2;
  post_event (binding, EVENT_ICE, session_id,
      candidate != NULL && candidate[0] != '\0' ? candidate : NULL, NULL);
}

static void
on_session_ended (GstRtcSignaller * signaller, const gchar * session_id,
    Binding * binding)
{
  if (session_id != NULL)
    post_event (binding, EVENT_ENDED, session_id, NULL, NULL);
}

static void
on_error (GstRtcSignaller * signaller, const GError * error,
    Binding * binding)
{
  post_event (binding, EVENT_ERROR, NULL, error ? error->message :
      "unknown error", NULL);
}

static Binding *
binding_new (GstRtcSink * sink, GstRtcSignaller * signaller,
    GMainContext * control)
{
  Binding *binding = g_new0 (Binding, 1);

  binding->refcount = 1;
  binding->sink = gst_object_ref (sink);
  binding->signaller = g_object_ref (signaller);
  binding->control = g_main_context_ref (control);
  binding->active = TRUE;
  binding->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) gst_rtc_sink_session_unref);
  binding->handlers[0] = g_signal_connect (signaller, "session-requested",
      G_CALLBACK (on_session_requested), binding);
  binding->handlers[1] = g_signal_connect (signaller, "session-description",
      G_CALLBACK (on_session_description), binding);
  binding->handlers[2] = g_signal_connect (signaller, "handle-ice",
      G_CALLBACK (on_handle_ice), binding);
  binding->handlers[3] = g_signal_connect (signaller, "session-ended",
      G_CALLBACK (on_session_ended), binding);
  binding->handlers[4] = g_signal_connect (signaller, "error",
      G_CALLBACK (on_error), binding);
  return binding;
}

/* On the control thread, with the signaller stopped: the sessions go
 * (their viewers are removed by the sink right after). */
static gboolean
binding_clear_sessions (gpointer data)
{
  Binding *binding = data;
  GList *sessions, *l;

  sessions = g_hash_table_get_values (binding->sessions);
  for (l = sessions; l != NULL; l = l->next) {
    GstRtcSinkSession *session = l->data;

    g_mutex_lock (&session->lock);
    session->closed = TRUE;
    g_mutex_unlock (&session->lock);
  }
  g_list_free (sessions);
  g_hash_table_remove_all (binding->sessions);
  return G_SOURCE_REMOVE;
}

/* ================================================================== */
/* GstRtcSinkSignalling                                               */
/* ================================================================== */

struct _GstRtcSinkSignalling
{
  GstRtcSink *sink;             /* not owned: it owns us */

  GMutex lock;
  /* Properties, under lock. */
  GstRtcSignaller *signaller;
  gchar *whip_url;

  /* While started, under lock. */
  GstRtcHttpServer *server;
  GMainContext *control;
  Binding *user;
  Binding *ws;
  Binding *whip;
  gulong token_handler;
  /* WS_PATH under the sink's path */
  gchar *ws_path;
};

GstRtcSinkSignalling *
gst_rtc_sink_signalling_new (GstRtcSink * sink)
{
  GstRtcSinkSignalling *signalling = g_new0 (GstRtcSinkSignalling, 1);

  if (gst_rtc_sink_signalling_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (gst_rtc_sink_signalling_debug,
        "rtcsinksignalling", 0, "rtcsink signalling (signaller, /ws, WHIP)");
  signalling->sink = sink;
  g_mutex_init (&signalling->lock);
  return signalling;
}

void
gst_rtc_sink_signalling_free (GstRtcSinkSignalling * signalling)
{
  gst_rtc_sink_signalling_stop (signalling);
  g_clear_object (&signalling->signaller);
  g_free (signalling->whip_url);
  g_free (signalling->ws_path);
  g_mutex_clear (&signalling->lock);
  g_free (signalling);
}

void
gst_rtc_sink_signalling_install_properties (GObjectClass * klass,
    guint first)
{
  first_prop_id = first;

  /**
   * GstRtcSink:signaller:
   *
   * A #GstRtcSignaller through which viewers come: rtcsink is the
   * producer and answers each session's offer; candidates are trickled
   * both ways, and a session that ends removes its viewer. From
   * gst-launch-1.0 (or any string), `ws://host:port/room` makes a
   * #GstRtcWsSignaller for a room of gst-rtc-signalling. Set in the NULL
   * state; started with the element.
   */
  g_object_class_install_property (klass, first + PROP_SIGNALLER_OFFSET,
      g_param_spec_object ("signaller", "Signaller",
          "Signaller the viewers come through (ws://host:port/room for a "
          "gst-rtc-signalling room)", GST_RTC_TYPE_SIGNALLER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRtcSink:whip-url:
   *
   * Publish to this WHIP endpoint (`http(s)://…`) as well: rtcsink
   * offers, POSTs the offer (with #GstRtcSink:bearer-token), applies the
   * answer, and DELETEs the session when it stops, retrying with backoff.
   * The WHIP session is one viewer of the fan-out.
   */
  g_object_class_install_property (klass, first + PROP_WHIP_URL_OFFSET,
      g_param_spec_string ("whip-url", "WHIP URL",
          "Publish to this WHIP endpoint too (none: do not)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

gboolean
gst_rtc_sink_signalling_set_property (GstRtcSinkSignalling * signalling,
    guint prop_id, const GValue * value)
{
  if (prop_id < first_prop_id || prop_id >= first_prop_id + N_PROPS)
    return FALSE;
  g_mutex_lock (&signalling->lock);
  switch (prop_id - first_prop_id) {
    case PROP_SIGNALLER_OFFSET:{
      GObject *object = g_value_get_object (value);

      g_clear_object (&signalling->signaller);
      if (object != NULL)
        signalling->signaller = GST_RTC_SIGNALLER (g_object_ref_sink (object));
      break;
    }
    case PROP_WHIP_URL_OFFSET:
      g_free (signalling->whip_url);
      signalling->whip_url = g_value_dup_string (value);
      break;
  }
  g_mutex_unlock (&signalling->lock);
  return TRUE;
}

gboolean
gst_rtc_sink_signalling_get_property (GstRtcSinkSignalling * signalling,
    guint prop_id, GValue * value)
{
  if (prop_id < first_prop_id || prop_id >= first_prop_id + N_PROPS)
    return FALSE;
  g_mutex_lock (&signalling->lock);
  switch (prop_id - first_prop_id) {
    case PROP_SIGNALLER_OFFSET:
      g_value_set_object (value, signalling->signaller);
      break;
    case PROP_WHIP_URL_OFFSET:
      g_value_set_string (value, signalling->whip_url);
      break;
  }
  g_mutex_unlock (&signalling->lock);
  return TRUE;
}

/* ---- /ws ---- */

static void
on_ws_open (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    SoupWebsocketConnection * connection, gpointer user_data)
{
  Binding *binding = user_data;

  if (!g_atomic_int_get (&binding->active)) {
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "the sink is stopping");
    return;
  }
  ws_endpoint_add (binding->endpoint, request, connection);
}

static void
on_bearer_token (GObject * sink, GParamSpec * pspec,
    GstRtcSinkSignalling * signalling)
{
  GstRtcHttpServer *server = NULL;
  gchar *token = NULL, *ws_path = NULL;

  g_object_get (sink, "bearer-token", &token, NULL);
  g_mutex_lock (&signalling->lock);
  if (signalling->server != NULL && signalling->ws != NULL) {
    server = gst_object_ref (signalling->server);
    ws_path = g_strdup (signalling->ws_path);
  }
  g_mutex_unlock (&signalling->lock);
  if (server != NULL) {
    gst_rtc_http_server_set_mount_bearer_token (server, ws_path, token);
    gst_object_unref (server);
  }
  g_free (ws_path);
  g_free (token);
}

static gboolean
stop_endpoint (gpointer data)
{
  Binding *binding = data;

  ws_endpoint_stop_on_thread (binding->endpoint);
  binding_clear_sessions (binding);
  return G_SOURCE_REMOVE;
}

/* ---- WHIP ---- */

static Binding *
whip_binding_new (GstRtcSink * sink, const gchar * url, GMainContext * control,
    GError ** error)
{
  GstRtcIceTransportPolicy policy;
  GstRtcSinkWhipClient *client;
  GstRtcIceAgent *agent;
  Binding *binding;
  gchar *stun = NULL, *turn = NULL, *token = NULL;
  GUri *uri;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0
          && g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)
      || g_uri_get_host (uri) == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "whip-url \"%s\" is not an http:// or https:// URL", url);
    if (uri != NULL)
      g_uri_unref (uri);
    return NULL;
  }
  g_uri_unref (uri);

  g_object_get (sink, "stun-server", &stun, "turn-server", &turn,
      "ice-transport-policy", &policy, "bearer-token", &token, NULL);
  /* We offer: our agent controls. */
  agent = g_object_new (GST_RTC_TYPE_ICE_AGENT, "controlling", TRUE,
      "ice-transport-policy", policy, NULL);
  gst_object_ref_sink (agent);
  if ((stun != NULL && !gst_rtc_ice_agent_set_stun_server (agent, stun,
              error))
      || (turn != NULL && !gst_rtc_ice_agent_add_turn_server (agent, turn,
              error))) {
    gst_object_unref (agent);
    g_free (stun);
    g_free (turn);
    g_free (token);
    return NULL;
  }
  client = whip_client_new (url, token, control);
  binding = binding_new (sink, GST_RTC_SIGNALLER (client), control);
  binding->offerer = TRUE;
  binding->agent = agent;
  g_object_unref (client);
  g_free (stun);
  g_free (turn);
  if (token != NULL)
    memset (token, 0, strlen (token));
  g_free (token);
  return binding;
}

/* ---- start and stop ---- */

gboolean
gst_rtc_sink_signalling_start (GstRtcSinkSignalling * signalling,
    GstRtcHttpServer * server, GMainContext * control, GError ** error)
{
  GstRtcSignaller *signaller;
  GstRtcSinkWsEndpoint *endpoint;
  Binding *ws, *user = NULL, *whip = NULL;
  gchar *token = NULL, *whip_url, *base = NULL, *ws_path;

  g_mutex_lock (&signalling->lock);
  signaller = signalling->signaller ? g_object_ref (signalling->signaller) :
      NULL;
  whip_url = g_strdup (signalling->whip_url);
  g_mutex_unlock (&signalling->lock);

  if (whip_url != NULL) {
    whip = whip_binding_new (signalling->sink, whip_url, control, error);
    g_free (whip_url);
    if (whip == NULL) {
      g_clear_object (&signaller);
      return FALSE;
    }
  }

  /* /ws (under the sink's path): one endpoint, its connections the
   * sessions. */
  g_object_get (signalling->sink, "path", &base, NULL);
  ws_path = gst_rtc_element_mount_path (base, WS_PATH);
  g_free (base);
  g_mutex_lock (&signalling->lock);
  g_free (signalling->ws_path);
  signalling->ws_path = ws_path;
  g_mutex_unlock (&signalling->lock);
  endpoint = ws_endpoint_new (gst_rtc_http_server_get_context (server));
  ws = binding_new (signalling->sink, GST_RTC_SIGNALLER (endpoint), control);
  ws->endpoint = endpoint;
  if (!gst_rtc_http_server_add_websocket_mount (server, ws_path,
          GST_RTC_WS_MESSAGE_MAX_SIZE, on_ws_open, binding_ref (ws),
          (GDestroyNotify) binding_unref)) {
    GST_WARNING_OBJECT (signalling->sink, "another element serves %s on "
        "this port: no /ws here", ws_path);
    g_atomic_int_set (&ws->active, FALSE);
    binding_unref (ws);
    ws = NULL;
  } else {
    g_object_get (signalling->sink, "bearer-token", &token, NULL);
    gst_rtc_http_server_set_mount_bearer_token (server, ws_path, token);
    g_free (token);
  }

  if (signaller != NULL) {
    user = binding_new (signalling->sink, signaller, control);
    /* A room signaller learns which side we are. */
    if (g_object_class_find_property (G_OBJECT_GET_CLASS (signaller),
            "role") != NULL)
      g_object_set (signaller, "role", GST_RTC_WS_SIGNALLER_ROLE_PRODUCER,
          NULL);
  }

  g_mutex_lock (&signalling->lock);
  signalling->server = gst_object_ref (server);
  signalling->control = g_main_context_ref (control);
  signalling->ws = ws;
  signalling->user = user;
  signalling->whip = whip;
  g_mutex_unlock (&signalling->lock);
  signalling->token_handler = g_signal_connect (signalling->sink,
      "notify::bearer-token", G_CALLBACK (on_bearer_token), signalling);

  if (user != NULL) {
    GST_INFO_OBJECT (signalling->sink, "starting signaller %"
        GST_PTR_FORMAT, signaller);
    gst_rtc_signaller_start (signaller);
    g_object_unref (signaller);
  }
  if (whip != NULL)
    gst_rtc_signaller_start (whip->signaller);
  return TRUE;
}

void
gst_rtc_sink_signalling_stop (GstRtcSinkSignalling * signalling)
{
  GstRtcHttpServer *server;
  GMainContext *control;
  Binding *ws, *user, *whip;
  guint i;

  g_mutex_lock (&signalling->lock);
  server = g_steal_pointer (&signalling->server);
  control = g_steal_pointer (&signalling->control);
  ws = g_steal_pointer (&signalling->ws);
  user = g_steal_pointer (&signalling->user);
  whip = g_steal_pointer (&signalling->whip);
  g_mutex_unlock (&signalling->lock);
  if (server == NULL)
    return;
  if (signalling->token_handler != 0) {
    g_signal_handler_disconnect (signalling->sink, signalling->token_handler);
    signalling->token_handler = 0;
  }

  if (whip != NULL) {
    /* DELETEs the session first (a bounded wait). */
    gst_rtc_signaller_stop (whip->signaller);
    g_atomic_int_set (&whip->active, FALSE);
    for (i = 0; i < G_N_ELEMENTS (whip->handlers); i++)
      g_signal_handler_disconnect (whip->signaller, whip->handlers[i]);
    gst_rtc_worker_pool_invoke_sync (control, binding_clear_sessions, whip);
    binding_unref (whip);
  }
  if (user != NULL) {
    gst_rtc_signaller_stop (user->signaller);
    g_atomic_int_set (&user->active, FALSE);
    for (i = 0; i < G_N_ELEMENTS (user->handlers); i++)
      g_signal_handler_disconnect (user->signaller, user->handlers[i]);
    gst_rtc_worker_pool_invoke_sync (control, binding_clear_sessions, user);
    binding_unref (user);
  }
  if (ws != NULL) {
    gst_rtc_http_server_remove_mount (server, signalling->ws_path);
    g_atomic_int_set (&ws->active, FALSE);
    gst_rtc_worker_pool_invoke_sync (control, stop_endpoint, ws);
    for (i = 0; i < G_N_ELEMENTS (ws->handlers); i++)
      g_signal_handler_disconnect (ws->signaller, ws->handlers[i]);
    binding_unref (ws);
  }
  gst_object_unref (server);
  g_main_context_unref (control);
}
