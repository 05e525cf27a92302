/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcwssignaller
 * @title: GstRtcWsSignaller
 * @short_description: a #GstRtcSignaller that meets its peers in a room of
 *   gst-rtc-signalling
 * @see_also: #GstRtcSignaller, gst-rtc-signalling
 *
 * A client of the WebSocket rooms of `gst-rtc-signalling` (libsoup-3.0),
 * given as `ws://host:port/room` (or `wss://`). It joins the room with its
 * #GstRtcWsSignaller:role and keeps one session per peer of the other
 * role, named by that peer's id. **The consumer offers**:
 *
 * - a `consumer` emits #GstRtcSignaller::session-requested for each
 *   producer in the room (there when it joins, or joining later); the
 *   element then sends its offer with gst_rtc_signaller_send_sdp() and
 *   gets the producer's answer in #GstRtcSignaller::session-description;
 * - a `producer` that receives an offer from a peer emits
 *   #GstRtcSignaller::session-requested and then
 *   #GstRtcSignaller::session-description with the offer; the element
 *   answers with gst_rtc_signaller_send_sdp().
 *
 * Candidates travel both ways (gst_rtc_signaller_send_candidate() and
 * #GstRtcSignaller::handle-ice); a peer leaving the room ends its session
 * (#GstRtcSignaller::session-ended). With a server that announces no roles,
 * a consumer offers to every peer.
 *
 * It runs on a thread of its own and emits its signals there. When the
 * server goes away, every session ends and the signaller reconnects, with
 * a backoff from 250 ms doubling to 10 s, for as long as it runs. When it
 * cannot connect at all (three attempts in a row before it was ever
 * connected), it emits #GstRtcSignaller::error and gives up.
 *
 * The string `ws://host:port/room` can stand for a signaller wherever a
 * #GstRtcSignaller property is set from text (gst-launch-1.0,
 * gst_util_set_object_arg()): gst_rtc_init() registers a deserializer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "wssignaller.h"
#include "wsproto.h"

#include <gst/gst.h>
#include <gst/rtc/rtc-enums.h>
#include <libsoup/soup.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_ws_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_ws_signaller_debug

#define DEFAULT_URI NULL
#define DEFAULT_ROLE GST_RTC_WS_SIGNALLER_ROLE_PRODUCER
#define DEFAULT_PEER_ID NULL

#define FIRST_RETRY_MS 250
#define MAX_RETRY_MS 10000
/* Before the first connection: this many failures and the server is
 * taken to be unreachable. */
#define MAX_INITIAL_ATTEMPTS 3
/* A dead server (or a dead path to it) is noticed by the WebSocket pings
 * going unanswered. */
#define KEEPALIVE_SECONDS 10
/* Sessions at once: each peer of the room is one, and a room full of
 * hostile peers must not grow us without bound. */
#define MAX_SESSIONS 256
#define MAX_ROOM_LEN 128

struct _GstRtcWsSignaller
{
  GObject parent;

  /* Properties, under lock. */
  GMutex lock;
  gchar *uri;
  gchar *role;
  gchar *peer_id;

  /* Under lock: the thread, while started. */
  gboolean running;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  /* The signaller's thread only. */
  SoupSession *session;
  GCancellable *cancellable;
  SoupWebsocketConnection *connection;
  GSource *retry;
  guint attempts;
  gboolean ever_connected;
  gboolean server_has_roles;
  gchar *own_id;
  gchar *room;
  GUri *root;
  GHashTable *sessions;         /* peer id -> nothing */
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_ROLE,
  PROP_PEER_ID,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

static void gst_rtc_ws_signaller_iface_init (GstRtcSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (GstRtcWsSignaller, gst_rtc_ws_signaller,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (GST_RTC_TYPE_SIGNALLER,
        gst_rtc_ws_signaller_iface_init);
    GST_DEBUG_CATEGORY_INIT (gst_rtc_ws_signaller_debug, "rtcwssignaller", 0,
        "gst-rtc WebSocket room signaller"));

/* ---- URIs ---- */

/* Splits ws://host:port/room into the server's root (an http URI, which
 * libsoup upgrades) and the room. */
static gboolean
split_uri (const gchar * uri, GUri ** root, gchar ** room, GError ** error)
{
  GUri *parsed;
  const gchar *scheme, *path;
  gboolean secure;
  gsize len;

  if (uri == NULL) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "no signalling URI: give ws://host:port/room");
    return FALSE;
  }
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" is not a URI: give ws://host:port/room", uri);
    return FALSE;
  }
  scheme = g_uri_get_scheme (parsed);
  secure = g_ascii_strcasecmp (scheme, "wss") == 0;
  if (!secure && g_ascii_strcasecmp (scheme, "ws") != 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" is not a ws:// or wss:// URI", uri);
    g_uri_unref (parsed);
    return FALSE;
  }
  if (g_uri_get_host (parsed) == NULL || g_uri_get_host (parsed)[0] == '\0') {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" has no host", uri);
    g_uri_unref (parsed);
    return FALSE;
  }
  path = g_uri_get_path (parsed);
  while (*path == '/')
    path++;
  len = strlen (path);
  if (len == 0 || len > MAX_ROOM_LEN || strchr (path, '/') != NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" names no room: give ws://host:port/room (one path segment "
        "of 1 to %u bytes)", uri, MAX_ROOM_LEN);
    g_uri_unref (parsed);
    return FALSE;
  }
  if (room != NULL)
    *room = g_uri_unescape_string (path, NULL);
  if (room != NULL && *room == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" has a malformed room name", uri);
    g_uri_unref (parsed);
    return FALSE;
  }
  if (root != NULL)
    *root = g_uri_build (G_URI_FLAGS_NONE, secure ? "https" : "http", NULL,
        g_uri_get_host (parsed), g_uri_get_port (parsed), "/", NULL, NULL);
  g_uri_unref (parsed);
  return TRUE;
}

/**
 * gst_rtc_ws_signaller_check_uri:
 * @uri: a signalling URI
 * @error: why it is not one
 *
 * Checks that @uri names a room of a gst-rtc-signalling server.
 *
 * Returns: %TRUE if @uri is a `ws://` or `wss://` URI with a host and a
 *   room (one path segment)
 */
gboolean
gst_rtc_ws_signaller_check_uri (const gchar * uri, GError ** error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return split_uri (uri, NULL, NULL, error);
}

/**
 * gst_rtc_ws_signaller_new:
 * @uri: `ws://host:port/room` or `wss://host:port/room`
 * @error: why @uri cannot be used
 *
 * Creates a signaller for a room of a gst-rtc-signalling server.
 *
 * Returns: (transfer full) (nullable): a producer signaller for the room
 *   of @uri (set #GstRtcWsSignaller:role for a consumer), or %NULL
 */
GstRtcWsSignaller *
gst_rtc_ws_signaller_new (const gchar * uri, GError ** error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!gst_rtc_ws_signaller_check_uri (uri, error))
    return NULL;
  return g_object_new (GST_RTC_TYPE_WS_SIGNALLER, "uri", uri, NULL);
}

/* ---- on the signaller's thread ---- */

static gboolean
is_consumer (GstRtcWsSignaller * self)
{
  gboolean consumer;

  g_mutex_lock (&self->lock);
  consumer = g_strcmp0 (self->role, GST_RTC_WS_SIGNALLER_ROLE_CONSUMER) == 0;
  g_mutex_unlock (&self->lock);
  return consumer;
}

static void
send_message (GstRtcWsSignaller * self, const GstRtcWsMessage * message)
{
  gchar *json;

  if (self->connection == NULL
      || soup_websocket_connection_get_state (self->connection) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    GST_WARNING_OBJECT (self, "not connected: %s message dropped",
        gst_rtc_ws_message_type_to_string (message->type));
    return;
  }
  json = gst_rtc_ws_message_to_json (message);
  soup_websocket_connection_send_text (self->connection, json);
  g_free (json);
}

/* Starts a session with @peer (a consumer's offer is to follow). */
static gboolean
open_session (GstRtcWsSignaller * self, const gchar * peer)
{
  if (g_hash_table_contains (self->sessions, peer))
    return FALSE;
  if (g_hash_table_size (self->sessions) >= MAX_SESSIONS) {
    GST_WARNING_OBJECT (self, "already %u sessions: peer %s ignored",
        MAX_SESSIONS, peer);
    return FALSE;
  }
  g_hash_table_add (self->sessions, g_strdup (peer));
  GST_DEBUG_OBJECT (self, "session with %s", peer);
  gst_rtc_signaller_session_requested (GST_RTC_SIGNALLER (self), peer, peer);
  return TRUE;
}

static void
close_session (GstRtcWsSignaller * self, const gchar * peer)
{
  gchar *id = g_strdup (peer);

  if (g_hash_table_remove (self->sessions, id)) {
    GST_DEBUG_OBJECT (self, "session with %s ended", id);
    gst_rtc_signaller_session_ended (GST_RTC_SIGNALLER (self), id);
  }
  g_free (id);
}

static void
close_all_sessions (GstRtcWsSignaller * self, gboolean emit)
{
  GList *ids, *l;

  ids = g_hash_table_get_keys (self->sessions);
  g_hash_table_steal_all (self->sessions);
  for (l = ids; l != NULL; l = l->next) {
    if (emit)
      gst_rtc_signaller_session_ended (GST_RTC_SIGNALLER (self), l->data);
    g_free (l->data);
  }
  g_list_free (ids);
}

static gboolean
wants_session_with (GstRtcWsSignaller * self, const gchar * role)
{
  /* A server that knows no roles: every peer may be a producer. */
  if (!self->server_has_roles)
    return TRUE;
  return g_strcmp0 (role, GST_RTC_WS_SIGNALLER_ROLE_PRODUCER) == 0;
}

static void
handle_message (GstRtcWsSignaller * self, GstRtcWsMessage * message)
{
  GstRtcSignaller *signaller = GST_RTC_SIGNALLER (self);
  gboolean consumer = is_consumer (self);
  guint i;

  switch (message->type) {
    case GST_RTC_WS_MESSAGE_PEERS:
      g_free (self->own_id);
      self->own_id = g_strdup (message->peer);
      self->server_has_roles = message->peer_roles != NULL;
      GST_INFO_OBJECT (self, "joined room \"%s\" as %s (%u others)",
          self->room, self->own_id, g_strv_length (message->peers));
      if (!consumer)
        break;
      for (i = 0; message->peers[i] != NULL; i++) {
        if (wants_session_with (self, message->peer_roles ?
                message->peer_roles[i] : NULL))
          open_session (self, message->peers[i]);
      }
      break;
    case GST_RTC_WS_MESSAGE_PEER_JOINED:
      GST_DEBUG_OBJECT (self, "%s joined (role \"%s\")", message->peer,
          message->role ? message->role : "");
      if (consumer && wants_session_with (self, message->role))
        open_session (self, message->peer);
      break;
    case GST_RTC_WS_MESSAGE_PEER_LEFT:
      GST_DEBUG_OBJECT (self, "%s left", message->peer);
      close_session (self, message->peer);
      break;
    case GST_RTC_WS_MESSAGE_OFFER:
      if (message->from == NULL)
        break;
      if (consumer) {
        GST_WARNING_OBJECT (self, "an offer from %s, but consumers make the "
            "offers: ignored", message->from);
        break;
      }
      if (!g_hash_table_contains (self->sessions, message->from)
          && !open_session (self, message->from))
        break;
      gst_rtc_signaller_session_description (signaller, message->from,
          "offer", message->sdp);
      break;
    case GST_RTC_WS_MESSAGE_ANSWER:
      if (message->from == NULL)
        break;
      if (!consumer || !g_hash_table_contains (self->sessions, message->from)) {
        GST_WARNING_OBJECT (self, "an answer from %s, with no offer made to "
            "it: ignored", message->from);
        break;
      }
      gst_rtc_signaller_session_description (signaller, message->from,
          "answer", message->sdp);
      break;
    case GST_RTC_WS_MESSAGE_CANDIDATE:
      if (message->from == NULL
          || !g_hash_table_contains (self->sessions, message->from)) {
        GST_DEBUG_OBJECT (self, "a candidate from %s, no session with it",
            message->from ? message->from : "nobody");
        break;
      }
      gst_rtc_signaller_handle_ice (signaller, message->from,
          MAX (message->sdp_mline_index, 0), message->sdp_mid,
          gst_rtc_ws_message_is_end_of_candidates (message) ? NULL :
          message->candidate);
      break;
    case GST_RTC_WS_MESSAGE_ERROR:
      GST_WARNING_OBJECT (self, "the server says: %s", message->reason);
      break;
    case GST_RTC_WS_MESSAGE_JOIN:
      GST_WARNING_OBJECT (self, "a join message from the server: ignored");
      break;
  }
}

static void
on_ws_message (SoupWebsocketConnection * connection, gint type, GBytes * data,
    GstRtcWsSignaller * self)
{
  GstRtcWsMessage *message;
  GError *error = NULL;
  const gchar *text;
  gsize size;

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    GST_WARNING_OBJECT (self, "binary message from the server: ignored");
    return;
  }
  text = g_bytes_get_data (data, &size);
  message = gst_rtc_ws_message_parse (text, size, &error);
  if (message == NULL) {
    GST_WARNING_OBJECT (self, "bad message from the server: %s",
        error->message);
    g_clear_error (&error);
    return;
  }
  handle_message (self, message);
  gst_rtc_ws_message_free (message);
}

static void schedule_retry (GstRtcWsSignaller * self, const GError * error);

static void
drop_connection (GstRtcWsSignaller * self)
{
  if (self->connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->connection, self);
  if (soup_websocket_connection_get_state (self->connection) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection,
        SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->connection);
}

static void
on_ws_closed (SoupWebsocketConnection * connection, GstRtcWsSignaller * self)
{
  GError *error;

  GST_INFO_OBJECT (self, "the server closed the connection (%u)",
      soup_websocket_connection_get_close_code (connection));
  drop_connection (self);
  g_clear_pointer (&self->own_id, g_free);
  close_all_sessions (self, TRUE);
  error = g_error_new_literal (GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
      "the signalling server closed the connection");
  self->attempts = 0;
  schedule_retry (self, error);
  g_error_free (error);
}

static void
on_ws_error (SoupWebsocketConnection * connection, GError * error,
    GstRtcWsSignaller * self)
{
  GST_INFO_OBJECT (self, "connection error: %s", error->message);
}

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtcWsSignaller *self = user_data;
  SoupWebsocketConnection *connection;
  GstRtcWsMessage *join;
  GError *error = NULL;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (source),
      result, &error);
  if (connection != NULL && (self->cancellable == NULL
          || g_cancellable_is_cancelled (self->cancellable))) {
    /* Stopped while the handshake finished. */
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
    g_object_unref (connection);
    g_object_unref (self);
    return;
  }
  if (connection == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      schedule_retry (self, error);
    g_clear_error (&error);
    g_object_unref (self);
    return;
  }
  self->connection = connection;
  self->attempts = 0;
  self->ever_connected = TRUE;
  soup_websocket_connection_set_max_incoming_payload_size (connection,
      GST_RTC_WS_MESSAGE_MAX_SIZE);
  soup_websocket_connection_set_keepalive_interval (connection,
      KEEPALIVE_SECONDS);
  g_signal_connect (connection, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (connection, "closed", G_CALLBACK (on_ws_closed), self);
  g_signal_connect (connection, "error", G_CALLBACK (on_ws_error), self);

  join = gst_rtc_ws_message_new_join (self->room, NULL);
  g_mutex_lock (&self->lock);
  join->peer = g_strdup (self->peer_id);
  join->role = g_strdup (self->role);
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "connected; joining \"%s\" as %s", self->room,
      join->role);
  send_message (self, join);
  gst_rtc_ws_message_free (join);
  g_object_unref (self);
}

static void
connect_now (GstRtcWsSignaller * self)
{
  SoupMessage *msg;

  msg = soup_message_new_from_uri (SOUP_METHOD_GET, self->root);
  GST_DEBUG_OBJECT (self, "connecting (attempt %u)", self->attempts + 1);
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, self->cancellable, on_connected,
      g_object_ref (self));
  g_object_unref (msg);
}

static gboolean
on_retry (gpointer user_data)
{
  GstRtcWsSignaller *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (GstRtcWsSignaller * self, const GError * error)
{
  guint delay;

  if (!self->ever_connected && self->attempts + 1 >= MAX_INITIAL_ATTEMPTS) {
    GError *fatal;
    gchar *uri;

    g_mutex_lock (&self->lock);
    uri = g_strdup (self->uri);
    g_mutex_unlock (&self->lock);
    fatal = g_error_new (GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
        "could not connect to the signalling server %s: %s", uri,
        error->message);
    gst_rtc_signaller_error (GST_RTC_SIGNALLER (self), fatal);
    g_error_free (fatal);
    g_free (uri);
    return;
  }
  delay = MIN ((guint) FIRST_RETRY_MS << MIN (self->attempts, 8),
      MAX_RETRY_MS);
  self->attempts++;
  GST_INFO_OBJECT (self, "%s; trying again in %u ms", error->message, delay);
  if (self->retry != NULL) {
    g_source_destroy (self->retry);
    g_source_unref (self->retry);
  }
  self->retry = g_timeout_source_new (delay);
  g_source_set_callback (self->retry, on_retry, self, NULL);
  /* Our thread's context: self->context is gone once stop() began. */
  g_source_attach (self->retry, g_main_context_get_thread_default ());
}

static gboolean
start_on_thread (gpointer user_data)
{
  GstRtcWsSignaller *self = user_data;

  self->session = soup_session_new ();
  self->cancellable = g_cancellable_new ();
  self->attempts = 0;
  self->ever_connected = FALSE;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

/* Also from stop() on our own thread. No signal is emitted from here on. */
static gboolean
stop_on_thread (gpointer user_data)
{
  GstRtcWsSignaller *self = user_data;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->retry != NULL) {
    g_source_destroy (self->retry);
    g_clear_pointer (&self->retry, g_source_unref);
  }
  drop_connection (self);
  close_all_sessions (self, FALSE);
  g_clear_pointer (&self->own_id, g_free);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  return G_SOURCE_REMOVE;
}

static gpointer
thread_main (gpointer user_data)
{
  GstRtcWsSignaller *self = user_data;
  GMainContext *context;
  GMainLoop *loop;

  g_mutex_lock (&self->lock);
  context = g_main_context_ref (self->context);
  loop = g_main_loop_ref (self->loop);
  g_mutex_unlock (&self->lock);

  g_main_context_push_thread_default (context);
  g_main_loop_run (loop);
  /* What a cancelled connect still has to say, it says now. */
  while (g_main_context_iteration (context, FALSE));
  g_main_context_pop_thread_default (context);
  g_main_loop_unref (loop);
  g_main_context_unref (context);
  return NULL;
}

/* ---- calls from any thread ---- */

typedef struct
{
  GstRtcWsSignaller *self;
  GstRtcWsMessage *message;
  gchar *forget;
} Outgoing;

static void
outgoing_free (gpointer data)
{
  Outgoing *outgoing = data;

  g_object_unref (outgoing->self);
  gst_rtc_ws_message_free (outgoing->message);
  g_free (outgoing->forget);
  g_free (outgoing);
}

static gboolean
outgoing_run (gpointer data)
{
  Outgoing *outgoing = data;

  if (outgoing->message != NULL)
    send_message (outgoing->self, outgoing->message);
  if (outgoing->forget != NULL)
    g_hash_table_remove (outgoing->self->sessions, outgoing->forget);
  return G_SOURCE_REMOVE;
}

/* Hands @message (taken) to the thread, in call order. */
static void
post (GstRtcWsSignaller * self, GstRtcWsMessage * message, const gchar * forget)
{
  GMainContext *context = NULL;
  Outgoing *outgoing;

  g_mutex_lock (&self->lock);
  if (self->running)
    context = g_main_context_ref (self->context);
  g_mutex_unlock (&self->lock);
  if (context == NULL) {
    GST_DEBUG_OBJECT (self, "not started: message dropped");
    gst_rtc_ws_message_free (message);
    return;
  }
  outgoing = g_new0 (Outgoing, 1);
  outgoing->self = g_object_ref (self);
  outgoing->message = message;
  outgoing->forget = g_strdup (forget);
  /* Not g_main_context_invoke(): on our own thread it would run at once,
   * ahead of messages already queued. */
  {
    GSource *source = g_idle_source_new ();

    g_source_set_priority (source, G_PRIORITY_DEFAULT);
    g_source_set_callback (source, outgoing_run, outgoing, outgoing_free);
    g_source_attach (source, context);
    g_source_unref (source);
  }
  g_main_context_unref (context);
}

static void
gst_rtc_ws_signaller_start (GstRtcSignaller * signaller)
{
  GstRtcWsSignaller *self = GST_RTC_WS_SIGNALLER (signaller);
  GError *error = NULL;
  GUri *root = NULL;
  gchar *room = NULL;

  g_mutex_lock (&self->lock);
  if (self->running) {
    g_mutex_unlock (&self->lock);
    return;
  }
  if (!split_uri (self->uri, &root, &room, &error)) {
    g_mutex_unlock (&self->lock);
    gst_rtc_signaller_error (signaller, error);
    g_clear_error (&error);
    return;
  }
  if (self->root != NULL)
    g_uri_unref (self->root);
  self->root = root;
  g_free (self->room);
  self->room = room;
  self->running = TRUE;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("rtcwssignaller", thread_main, self);
  g_main_context_invoke (self->context, start_on_thread, self);
  g_mutex_unlock (&self->lock);
}

typedef struct
{
  GstRtcWsSignaller *self;
  GMutex lock;
  GCond cond;
  gboolean done;
} StopCall;

static gboolean
stop_call_run (gpointer data)
{
  StopCall *call = data;

  stop_on_thread (call->self);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

static void
gst_rtc_ws_signaller_stop (GstRtcSignaller * signaller)
{
  GstRtcWsSignaller *self = GST_RTC_WS_SIGNALLER (signaller);
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;

  g_mutex_lock (&self->lock);
  if (!self->running) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->running = FALSE;
  context = g_steal_pointer (&self->context);
  loop = g_steal_pointer (&self->loop);
  thread = g_steal_pointer (&self->thread);
  g_mutex_unlock (&self->lock);

  if (g_main_context_is_owner (context)) {
    /* From one of our own signal handlers: the thread ends when that
     * handler returns. */
    stop_on_thread (self);
    g_main_loop_quit (loop);
    g_thread_unref (thread);
  } else {
    StopCall call = { self, };

    g_mutex_init (&call.lock);
    g_cond_init (&call.cond);
    g_main_context_invoke (context, stop_call_run, &call);
    g_mutex_lock (&call.lock);
    while (!call.done)
      g_cond_wait (&call.cond, &call.lock);
    g_mutex_unlock (&call.lock);
    g_mutex_clear (&call.lock);
    g_cond_clear (&call.cond);
    g_main_loop_quit (loop);
    g_thread_join (thread);
  }
  g_main_loop_unref (loop);
  g_main_context_unref (context);
  GST_DEBUG_OBJECT (self, "stopped");
}

static void
gst_rtc_ws_signaller_send_sdp (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * type, const gchar * sdp)
{
  GstRtcWsSignaller *self = GST_RTC_WS_SIGNALLER (signaller);
  GstRtcWsMessage *message;

  if (g_strcmp0 (type, "offer") == 0)
    message = gst_rtc_ws_message_new_sdp (GST_RTC_WS_MESSAGE_OFFER, sdp);
  else if (g_strcmp0 (type, "answer") == 0)
    message = gst_rtc_ws_message_new_sdp (GST_RTC_WS_MESSAGE_ANSWER, sdp);
  else {
    GST_WARNING_OBJECT (self, "cannot send an SDP of type \"%s\"", type);
    return;
  }
  message->to = g_strdup (session_id);
  post (self, message, NULL);
}

static void
gst_rtc_ws_signaller_send_candidate (GstRtcSignaller * signaller,
    const gchar * session_id, guint mline, const gchar * mid,
    const gchar * candidate)
{
  GstRtcWsMessage *message;

  message = gst_rtc_ws_message_new_candidate (candidate, mid,
      MIN (mline, G_MAXUINT16));
  message->to = g_strdup (session_id);
  post (GST_RTC_WS_SIGNALLER (signaller), message, NULL);
}

static void
gst_rtc_ws_signaller_end_session (GstRtcSignaller * signaller,
    const gchar * session_id)
{
  /* The room protocol has no hang-up message: the peer notices the
   * transport closing. The session is forgotten here. */
  post (GST_RTC_WS_SIGNALLER (signaller), NULL, session_id);
}

static void
gst_rtc_ws_signaller_iface_init (GstRtcSignallerInterface * iface)
{
  iface->start = gst_rtc_ws_signaller_start;
  iface->stop = gst_rtc_ws_signaller_stop;
  iface->send_sdp = gst_rtc_ws_signaller_send_sdp;
  iface->send_candidate = gst_rtc_ws_signaller_send_candidate;
  iface->end_session = gst_rtc_ws_signaller_end_session;
}

/* ---- GObject ---- */

static void
gst_rtc_ws_signaller_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcWsSignaller *self = GST_RTC_WS_SIGNALLER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_URI:
      g_free (self->uri);
      self->uri = g_value_dup_string (value);
      break;
    case PROP_ROLE:
      g_free (self->role);
      self->role = g_value_dup_string (value);
      if (self->role == NULL)
        self->role = g_strdup (DEFAULT_ROLE);
      break;
    case PROP_PEER_ID:
      g_free (self->peer_id);
      self->peer_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_rtc_ws_signaller_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcWsSignaller *self = GST_RTC_WS_SIGNALLER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case PROP_PEER_ID:
      g_value_set_string (value, self->peer_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_rtc_ws_signaller_dispose (GObject * object)
{
  gst_rtc_ws_signaller_stop (GST_RTC_SIGNALLER (object));
  G_OBJECT_CLASS (gst_rtc_ws_signaller_parent_class)->dispose (object);
}

static void
gst_rtc_ws_signaller_finalize (GObject * object)
{
  GstRtcWsSignaller *self = GST_RTC_WS_SIGNALLER (object);

  g_hash_table_unref (self->sessions);
  if (self->root != NULL)
    g_uri_unref (self->root);
  g_free (self->room);
  g_free (self->own_id);
  g_free (self->uri);
  g_free (self->role);
  g_free (self->peer_id);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_rtc_ws_signaller_parent_class)->finalize (object);
}

static void
gst_rtc_ws_signaller_init (GstRtcWsSignaller * self)
{
  g_mutex_init (&self->lock);
  self->uri = g_strdup (DEFAULT_URI);
  self->role = g_strdup (DEFAULT_ROLE);
  self->peer_id = g_strdup (DEFAULT_PEER_ID);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
}

static void
gst_rtc_ws_signaller_class_init (GstRtcWsSignallerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_rtc_ws_signaller_set_property;
  gobject_class->get_property = gst_rtc_ws_signaller_get_property;
  gobject_class->dispose = gst_rtc_ws_signaller_dispose;
  gobject_class->finalize = gst_rtc_ws_signaller_finalize;

  /**
   * GstRtcWsSignaller:uri:
   *
   * The room: `ws://host:port/room` or `wss://host:port/room`. Read at
   * start.
   */
  properties[PROP_URI] = g_param_spec_string ("uri", "URI",
      "The room: ws://host:port/room", DEFAULT_URI,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcWsSignaller:role:
   *
   * `producer` (answers the offers of consumers: rtcsink) or `consumer`
   * (offers to every producer: rtcsrc). The element using the signaller
   * sets it before start.
   */
  properties[PROP_ROLE] = g_param_spec_string ("role", "Role",
      "producer (answers) or consumer (offers)", DEFAULT_ROLE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcWsSignaller:peer-id:
   *
   * The peer id to ask the server for; the server picks one when it is
   * %NULL or taken. Read at each (re)connection.
   */
  properties[PROP_PEER_ID] = g_param_spec_string ("peer-id", "Peer id",
      "Peer id to ask for (none: the server picks)", DEFAULT_PEER_ID,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, PROP_LAST, properties);
}

/* ---- strings as signallers ---- */

static gboolean
signaller_deserialize (GValue * dest, const gchar * s)
{
  GstRtcWsSignaller *signaller;
  GError *error = NULL;

  signaller = gst_rtc_ws_signaller_new (s, &error);
  if (signaller == NULL) {
    GST_WARNING ("not a signaller: %s", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  g_value_take_object (dest, signaller);
  return TRUE;
}

static gchar *
signaller_serialize (const GValue * value)
{
  GObject *object = g_value_get_object (value);
  gchar *uri = NULL;

  if (GST_RTC_IS_WS_SIGNALLER (object))
    g_object_get (object, "uri", &uri, NULL);
  return uri != NULL ? uri : g_strdup ("NULL");
}

static gint
signaller_compare (const GValue * value1, const GValue * value2)
{
  return g_value_get_object (value1) == g_value_get_object (value2) ?
      GST_VALUE_EQUAL : GST_VALUE_UNORDERED;
}

/**
 * gst_rtc_signaller_register_value_table: (skip)
 *
 * Lets a `ws://` or `wss://` string stand for a #GstRtcWsSignaller where a
 * #GstRtcSignaller is deserialized. Called once by gst_rtc_init().
 */
void
gst_rtc_signaller_register_value_table (void)
{
  static GstValueTable table = {
    0, signaller_compare, signaller_serialize, signaller_deserialize,
  };

  table.type = GST_RTC_TYPE_SIGNALLER;
  gst_value_register (&table);
}
