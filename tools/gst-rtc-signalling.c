/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gst-rtc-signalling: a WebSocket room server for WebRTC signalling.
 *
 *   gst-rtc-signalling --port 8443 [--address 127.0.0.1] [--serve-dir DIR]
 *
 * Peers open ws://host:port/ROOM (or ws://host:port/ and send a "join"
 * message). Each gets a peer id and the list of the others in a "peers"
 * message; the others hear "peer-joined" and, later, "peer-left". Offers,
 * answers and candidates sent with "to": ID are relayed to that peer with
 * "from" filled in; without "to" they go to every other peer in the room.
 * The messages are those of <gst/rtc/signalling/wsproto.h>.
 *
 * A peer may announce a role ("producer" or "consumer") in its join
 * message, or as ws://host:port/ROOM?role=producer; the others see it in
 * "peer-joined" and in the "roles" array of "peers". Roles only inform:
 * the server relays between any two peers of a room.
 *
 * Each connection has its own limits: a malformed message gets an error
 * reply and the connection stays open; a message over the size limit
 * closes that connection with 1009, and one that sends faster than the
 * rate limit is closed with 1008. Other peers notice only a peer-left.
 *
 * With --serve-dir, plain HTTP GETs serve files from DIR (the viewer page).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/rtc/signalling/httpserver.h>
#include <gst/rtc/signalling/wsproto.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (signalling_debug);
#define GST_CAT_DEFAULT signalling_debug

#define DEFAULT_PORT 8443
#define DEFAULT_ADDRESS "0.0.0.0"
#define MAX_ROOM_NAME_LEN 128
#define MAX_PEER_ID_LEN 64
#define MAX_ROLE_LEN GST_RTC_WS_MAX_ROLE_LEN
#define MAX_STATIC_FILE_SIZE (32 * 1024 * 1024)

/* Trickle ICE sends a few dozen candidates at once; a burst of 200 and
 * 100 a second leave room for that and not for a flood. */
#define RATE_BURST 200.0
#define RATE_PER_SECOND 100.0

typedef struct _Room Room;

typedef struct
{
  SoupWebsocketConnection *connection;
  gchar *id;
  gchar *role;                  /* "" when none was announced */
  gchar *remote_address;
  Room *room;
  gdouble tokens;
  gint64 last_refill;
} Peer;

struct _Room
{
  gchar *name;
  GHashTable *peers;            /* id -> Peer *, not owned */
};

typedef struct
{
  GstRtcHttpServer *server;
  GHashTable *peers;            /* SoupWebsocketConnection * -> Peer *, owned */
  GHashTable *rooms;            /* name -> Room *, owned */
  gchar *serve_dir;
  gboolean stopping;
} App;

/* ---- rooms (all on the server's thread) ---- */

static void
room_free (Room * room)
{
  g_hash_table_unref (room->peers);
  g_free (room->name);
  g_free (room);
}

static void
send_message (Peer * peer, const GstRtcWsMessage * message)
{
  gchar *json;

  if (soup_websocket_connection_get_state (peer->connection) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  json = gst_rtc_ws_message_to_json (message);
  soup_websocket_connection_send_text (peer->connection, json);
  g_free (json);
}

static void
send_error (Peer * peer, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
send_error (Peer * peer, const gchar * format, ...)
{
  GstRtcWsMessage *message;
  gchar *reason;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  GST_INFO ("peer %s (%s): %s", peer->id ? peer->id : "-",
      peer->remote_address, reason);
  message = gst_rtc_ws_message_new_error (reason);
  send_message (peer, message);
  gst_rtc_ws_message_free (message);
  g_free (reason);
}

static void
broadcast (Room * room, Peer * except, const GstRtcWsMessage * message)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (value != except)
      send_message (value, message);
  }
}

static gboolean
valid_name (const gchar * name, gsize max_len)
{
  gsize len = strlen (name);
  const gchar *p;

  if (len == 0 || len > max_len || !g_utf8_validate (name, len, NULL))
    return FALSE;
  for (p = name; *p; p++) {
    if (g_ascii_iscntrl (*p))
      return FALSE;
  }
  return TRUE;
}

static gchar *
new_peer_id (Room * room)
{
  gchar *id = NULL;

  do {
    g_free (id);
    id = g_strdup_printf ("%08x", g_random_int ());
  } while (g_hash_table_contains (room->peers, id));
  return id;
}

static void
join_room (App * app, Peer * peer, const gchar * name, const gchar * wanted,
    const gchar * role)
{
  Room *room = g_hash_table_lookup (app->rooms, name);
  GstRtcWsMessage *message;
  GPtrArray *others, *roles;
  GHashTableIter iter;
  gpointer key, value;

  if (room == NULL) {
    room = g_new0 (Room, 1);
    room->name = g_strdup (name);
    room->peers = g_hash_table_new (g_str_hash, g_str_equal);
    g_hash_table_insert (app->rooms, room->name, room);
  }

  if (wanted && valid_name (wanted, MAX_PEER_ID_LEN)
      && !g_hash_table_contains (room->peers, wanted))
    peer->id = g_strdup (wanted);
  else
    peer->id = new_peer_id (room);

  g_free (peer->role);
  peer->role = g_strdup (role ? role : "");

  others = g_ptr_array_new ();
  roles = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    g_ptr_array_add (others, key);
    g_ptr_array_add (roles, ((Peer *) value)->role);
  }
  g_ptr_array_add (others, NULL);
  g_ptr_array_add (roles, NULL);

  message = gst_rtc_ws_message_new_peers (room->name, peer->id,
      (const gchar * const *) others->pdata);
  message->peer_roles = g_strdupv ((gchar **) roles->pdata);
  send_message (peer, message);
  gst_rtc_ws_message_free (message);
  g_ptr_array_unref (others);
  g_ptr_array_unref (roles);

  message = gst_rtc_ws_message_new_peer_event (GST_RTC_WS_MESSAGE_PEER_JOINED,
      peer->id);
  if (peer->role[0] != '\0')
    message->role = g_strdup (peer->role);
  broadcast (room, peer, message);
  gst_rtc_ws_message_free (message);

  g_hash_table_insert (room->peers, peer->id, peer);
  peer->room = room;
  GST_INFO ("peer %s (%s, role \"%s\") joined room \"%s\" (%u peers)",
      peer->id, peer->remote_address, peer->role, room->name,
      g_hash_table_size (room->peers));
}

static void
leave_room (App * app, Peer * peer)
{
  Room *room = peer->room;
  GstRtcWsMessage *message;

  if (room == NULL)
    return;
  g_hash_table_remove (room->peers, peer->id);
  peer->room = NULL;
  GST_INFO ("peer %s left room \"%s\"", peer->id, room->name);

  if (!app->stopping) {
    message = gst_rtc_ws_message_new_peer_event (GST_RTC_WS_MESSAGE_PEER_LEFT,
        peer->id);
    broadcast (room, peer, message);
    gst_rtc_ws_message_free (message);
  }
  if (g_hash_table_size (room->peers) == 0)
    g_hash_table_remove (app->rooms, room->name);
}

static void
peer_free (Peer * peer)
{
  g_signal_handlers_disconnect_matched (peer->connection, G_SIGNAL_MATCH_DATA,
      0, 0, NULL, NULL, peer);
  g_object_unref (peer->connection);
  g_free (peer->id);
  g_free (peer->role);
  g_free (peer->remote_address);
  g_free (peer);
}

/* A token bucket per connection. */
static gboolean
take_token (Peer * peer)
{
  gint64 now = g_get_monotonic_time ();

  peer->tokens = MIN (RATE_BURST, peer->tokens +
      (now - peer->last_refill) * RATE_PER_SECOND / G_USEC_PER_SEC);
  peer->last_refill = now;
  if (peer->tokens < 1.0)
    return FALSE;
  peer->tokens -= 1.0;
  return TRUE;
}

static void
relay (Peer * peer, GstRtcWsMessage * message)
{
  Peer *target;

  g_free (message->from);
  message->from = g_strdup (peer->id);

  if (message->to == NULL) {
    broadcast (peer->room, peer, message);
    return;
  }
  target = g_hash_table_lookup (peer->room->peers, message->to);
  if (target == NULL || target == peer) {
    send_error (peer, "no peer \"%s\" in room \"%s\"", message->to,
        peer->room->name);
    return;
  }
  send_message (target, message);
}

static void
on_message (SoupWebsocketConnection * connection, gint type, GBytes * data,
    gpointer user_data)
{
  App *app = g_object_get_data (G_OBJECT (connection), "app");
  Peer *peer = user_data;
  GstRtcWsMessage *message;
  GError *error = NULL;
  gsize size;
  const gchar *text = g_bytes_get_data (data, &size);

  /* Whatever a closing peer still sends is moot. */
  if (soup_websocket_connection_get_state (connection) !=
      SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (!take_token (peer)) {
    GST_WARNING ("peer %s (%s) sends too fast, closing",
        peer->id ? peer->id : "-", peer->remote_address);
    /* The others hear of it now, not when (or if) the flooder completes
     * the closing handshake. */
    leave_room (app, peer);
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "message rate limit exceeded");
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    send_error (peer, "binary messages are not accepted: send JSON text");
    return;
  }

  message = gst_rtc_ws_message_parse (text, size, &error);
  if (message == NULL) {
    send_error (peer, "bad message: %s", error->message);
    g_clear_error (&error);
    return;
  }

  switch (message->type) {
    case GST_RTC_WS_MESSAGE_JOIN:
      if (peer->room)
        send_error (peer, "already in room \"%s\"", peer->room->name);
      else if (!valid_name (message->room, MAX_ROOM_NAME_LEN))
        send_error (peer, "invalid room name");
      else if (message->role != NULL && message->role[0] != '\0'
          && !valid_name (message->role, MAX_ROLE_LEN))
        send_error (peer, "invalid role");
      else
        join_room (app, peer, message->room, message->peer, message->role);
      break;
    case GST_RTC_WS_MESSAGE_OFFER:
    case GST_RTC_WS_MESSAGE_ANSWER:
    case GST_RTC_WS_MESSAGE_CANDIDATE:
      if (peer->room == NULL)
        send_error (peer, "join a room first");
      else
        relay (peer, message);
      break;
    default:
      send_error (peer, "\"%s\" messages come from the server only",
          gst_rtc_ws_message_type_to_string (message->type));
      break;
  }
  gst_rtc_ws_message_free (message);
}

static void
on_closed (SoupWebsocketConnection * connection, gpointer user_data)
{
  App *app = g_object_get_data (G_OBJECT (connection), "app");
  Peer *peer = user_data;

  GST_DEBUG ("peer %s (%s) closed: %u", peer->id ? peer->id : "-",
      peer->remote_address, soup_websocket_connection_get_close_code
      (connection));
  leave_room (app, peer);
  g_hash_table_remove (app->peers, connection);
}

static void
on_error (SoupWebsocketConnection * connection, GError * error,
    gpointer user_data)
{
  Peer *peer = user_data;

  GST_INFO ("peer %s (%s): %s", peer->id ? peer->id : "-",
      peer->remote_address, error->message);
}

static void
on_websocket (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    SoupWebsocketConnection * connection, gpointer user_data)
{
  App *app = user_data;
  const gchar *path = gst_rtc_http_request_get_path (request);
  const gchar *query = gst_rtc_http_request_get_query (request);
  GHashTable *params = NULL;
  const gchar *role = NULL;
  Peer *peer;

  if (app->stopping) {
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    return;
  }

  peer = g_new0 (Peer, 1);
  peer->connection = g_object_ref (connection);
  peer->remote_address =
      g_strdup (gst_rtc_http_request_get_remote_address (request));
  peer->tokens = RATE_BURST;
  peer->last_refill = g_get_monotonic_time ();
  g_object_set_data (G_OBJECT (connection), "app", app);
  g_hash_table_insert (app->peers, connection, peer);

  g_signal_connect (connection, "message", G_CALLBACK (on_message), peer);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), peer);
  g_signal_connect (connection, "error", G_CALLBACK (on_error), peer);

  while (*path == '/')
    path++;
  if (*path == '\0')
    return;                     /* waits for a join message */
  if (!valid_name (path, MAX_ROOM_NAME_LEN)) {
    send_error (peer, "invalid room name");
    soup_websocket_connection_close (connection,
        SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "invalid room name");
    return;
  }
  /* ws://host:port/ROOM?role=producer announces a role without a join. */
  if (query != NULL)
    params = soup_form_decode (query);
  if (params != NULL)
    role = g_hash_table_lookup (params, "role");
  if (role != NULL && role[0] != '\0' && !valid_name (role, MAX_ROLE_LEN)) {
    send_error (peer, "invalid role");
    role = NULL;
  }
  join_room (app, peer, path, NULL, role);
  if (params != NULL)
    g_hash_table_unref (params);
}

/* ---- static files ---- */

static const struct
{
  const gchar *extension;
  const gchar *content_type;
} content_types[] = {
  {".html", "text/html; charset=utf-8"},
  {".htm", "text/html; charset=utf-8"},
  {".js", "text/javascript; charset=utf-8"},
  {".mjs", "text/javascript; charset=utf-8"},
  {".css", "text/css; charset=utf-8"},
  {".json", "application/json"},
  {".txt", "text/plain; charset=utf-8"},
  {".md", "text/markdown; charset=utf-8"},
  {".svg", "image/svg+xml"},
  {".png", "image/png"},
  {".jpg", "image/jpeg"},
  {".jpeg", "image/jpeg"},
  {".gif", "image/gif"},
  {".ico", "image/x-icon"},
  {".webp", "image/webp"},
  {".wasm", "application/wasm"},
  {".webm", "video/webm"},
  {".mp4", "video/mp4"},
};

static const gchar *
content_type_for (const gchar * filename)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (content_types); i++) {
    if (g_str_has_suffix (filename, content_types[i].extension))
      return content_types[i].content_type;
  }
  return "application/octet-stream";
}

/* Refuses anything that could step out of the served directory. */
static gboolean
safe_path (const gchar * path)
{
  gchar **segments;
  gboolean safe = TRUE;
  guint i;

  if (strchr (path, '\\') != NULL)
    return FALSE;
  segments = g_strsplit (path, "/", -1);
  for (i = 0; segments[i]; i++) {
    if (strcmp (segments[i], "..") == 0 || strcmp (segments[i], ".") == 0
        || (segments[i][0] == '.' && segments[i][1] != '\0'))
      safe = FALSE;
  }
  g_strfreev (segments);
  return safe;
}

static void
on_http (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  App *app = user_data;
  const gchar *path = gst_rtc_http_request_get_path (request);
  gchar *filename, *contents = NULL;
  gsize length;
  GStatBuf st;

  if (app->serve_dir == NULL) {
    gchar *url = gst_rtc_http_server_get_url (server, "/ROOM", TRUE);
    gchar *text = g_strdup_printf ("This is a WebSocket signalling server: "
        "connect to %s", url);

    gst_rtc_http_request_add_response_header (request, "Upgrade",
        "websocket");
    gst_rtc_http_request_respond_text (request, 426, text);
    g_free (text);
    g_free (url);
    return;
  }

  if (!safe_path (path)) {
    gst_rtc_http_request_respond_text (request, SOUP_STATUS_NOT_FOUND,
        "Not found");
    return;
  }
  filename = g_build_filename (app->serve_dir, path, NULL);
  if (g_file_test (filename, G_FILE_TEST_IS_DIR)) {
    gchar *index = g_build_filename (filename, "index.html", NULL);

    g_free (filename);
    filename = index;
  }

  if (g_stat (filename, &st) != 0 || !S_ISREG (st.st_mode)
      || st.st_size > MAX_STATIC_FILE_SIZE
      || !g_file_get_contents (filename, &contents, &length, NULL)) {
    GST_DEBUG ("GET %s: not found", path);
    gst_rtc_http_request_respond_text (request, SOUP_STATUS_NOT_FOUND,
        "Not found");
  } else {
    GBytes *body = g_bytes_new_take (contents, length);

    gst_rtc_http_request_add_response_header (request, "Cache-Control",
        "no-cache");
    gst_rtc_http_request_respond (request, SOUP_STATUS_OK,
        content_type_for (filename), body);
    g_bytes_unref (body);
  }
  g_free (filename);
}

/* ---- life ---- */

typedef struct
{
  App *app;
  GMutex lock;
  GCond cond;
  gboolean done;
} Shutdown;

static gboolean
close_all (gpointer user_data)
{
  Shutdown *shutdown = user_data;
  App *app = shutdown->app;
  GHashTableIter iter;
  gpointer key;

  app->stopping = TRUE;
  g_hash_table_iter_init (&iter, app->peers);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (soup_websocket_connection_get_state (key) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (key, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
          "server shutting down");
  }

  g_mutex_lock (&shutdown->lock);
  shutdown->done = TRUE;
  g_cond_signal (&shutdown->cond);
  g_mutex_unlock (&shutdown->lock);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char *argv[])
{
  gint port = DEFAULT_PORT;
  gchar *address = NULL, *serve_dir = NULL, *certificate_file = NULL;
  gint64 max_message_size = GST_RTC_HTTP_SERVER_DEFAULT_MAX_MESSAGE_SIZE;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port to listen on, 0 for any (default 8443)", "PORT"},
    {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
        "Address to listen on (default 0.0.0.0)", "ADDRESS"},
    {"serve-dir", 'd', 0, G_OPTION_ARG_FILENAME, &serve_dir,
        "Serve static files (a viewer page) from DIR", "DIR"},
    {"tls-certificate", 'c', 0, G_OPTION_ARG_FILENAME, &certificate_file,
        "PEM file with certificate and key: serve wss:// and https://",
        "FILE"},
    {"max-message-size", 0, 0, G_OPTION_ARG_INT64, &max_message_size,
        "Largest WebSocket message, in bytes (default 262144)", "BYTES"},
    {NULL}
  };
  GOptionContext *options;
  GError *error = NULL;
  GTlsCertificate *certificate = NULL;
  GMainLoop *loop;
  App app = { 0, };
  Shutdown shutdown = { 0, };
  gchar *url;

  options = g_option_context_new ("- WebSocket signalling rooms for WebRTC");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("gst-rtc-signalling: %s\n", error->message);
    return 2;
  }
  g_option_context_free (options);
  GST_DEBUG_CATEGORY_INIT (signalling_debug, "rtcsignalling", 0,
      "gst-rtc-signalling room server");

  if (port < 0 || port > G_MAXUINT16 || max_message_size <= 0) {
    g_printerr ("gst-rtc-signalling: invalid --port or --max-message-size\n");
    return 2;
  }
  if (serve_dir && !g_file_test (serve_dir, G_FILE_TEST_IS_DIR)) {
    g_printerr ("gst-rtc-signalling: %s is not a directory\n", serve_dir);
    return 2;
  }
  if (certificate_file) {
    certificate = g_tls_certificate_new_from_file (certificate_file, &error);
    if (certificate == NULL) {
      g_printerr ("gst-rtc-signalling: %s\n", error->message);
      return 1;
    }
  }

  app.server = gst_rtc_http_server_acquire (address ? address :
      DEFAULT_ADDRESS, port, certificate, &error);
  g_clear_object (&certificate);
  if (app.server == NULL) {
    g_printerr ("gst-rtc-signalling: %s\n", error->message);
    return 1;
  }
  app.peers = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) peer_free);
  app.rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) room_free);
  app.serve_dir = serve_dir;

  /* WebSocket upgrades and plain requests share the root mount. */
  gst_rtc_http_server_add_websocket_mount (app.server, "/", max_message_size,
      on_websocket, &app, NULL);
  gst_rtc_http_server_add_mount (app.server, "/", on_http, &app, NULL);
  gst_rtc_http_server_set_mount_methods (app.server, "/",
      (const gchar *[]) { "GET", "HEAD", NULL });

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);

  url = gst_rtc_http_server_get_url (app.server, "/ROOM", TRUE);
  g_print ("gst-rtc-signalling: rooms at %s\n", url);
  g_free (url);
  if (serve_dir) {
    url = gst_rtc_http_server_get_url (app.server, "/", FALSE);
    g_print ("gst-rtc-signalling: serving %s at %s\n", serve_dir, url);
    g_free (url);
  }
  fflush (stdout);

  g_main_loop_run (loop);

  g_print ("gst-rtc-signalling: stopping\n");
  fflush (stdout);
  gst_rtc_http_server_remove_mount (app.server, "/");
  shutdown.app = &app;
  g_mutex_init (&shutdown.lock);
  g_cond_init (&shutdown.cond);
  g_main_context_invoke (gst_rtc_http_server_get_context (app.server),
      close_all, &shutdown);
  g_mutex_lock (&shutdown.lock);
  while (!shutdown.done)
    g_cond_wait (&shutdown.cond, &shutdown.lock);
  g_mutex_unlock (&shutdown.lock);
  gst_rtc_http_server_release (app.server);

  /* The server thread is gone: what is left is ours alone. */
  g_hash_table_unref (app.rooms);
  g_hash_table_unref (app.peers);
  g_mutex_clear (&shutdown.lock);
  g_cond_clear (&shutdown.cond);
  g_main_loop_unref (loop);
  g_free (address);
  g_free (serve_dir);
  g_free (certificate_file);
  return 0;
}
