/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Signalling: the WebSocket JSON messages (every malformed shape and every
 * truncation), GstRtcHttpServer driven by a real libsoup client over
 * loopback (mounts, sharing, CORS, tokens, limits, HTTPS, WebSocket, a
 * junk flood), and the GstRtcSignaller interface. Waits are bounded by
 * deadlines on the test thread's own main context, never by sleeps. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <gst/rtc/signalling/httpserver.h>
#include <gst/rtc/signalling/signaller.h>
#include <gst/rtc/signalling/wsproto.h>
#include <gst/rtc/signalling/wssignaller.h>

#include <string.h>

#define DEADLINE_SECONDS 10
#define LOOPBACK "127.0.0.1"

/* ---- helpers ---- */

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default context until *flag is set or the deadline passes;
 * a periodic source keeps the iteration from blocking for ever. */
static gboolean
wait_for_flag (volatile gint * flag)
{
  gint64 deadline = g_get_monotonic_time () +
      DEADLINE_SECONDS * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, wake_up, NULL);

  while (!g_atomic_int_get (flag) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return g_atomic_int_get (flag);
}

typedef struct
{
  guint status;
  GBytes *body;
  SoupMessageHeaders *headers;
} Response;

static void
response_clear (Response * response)
{
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
}

static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

/* One request over a fresh session, so that no keep-alive connection
 * outlives the test. Takes @body. */
static Response
http_request (const gchar * method, const gchar * url,
    const gchar * const *headers, const gchar * content_type, GBytes * body)
{
  SoupSession *session = soup_session_new_with_options ("timeout",
      DEADLINE_SECONDS, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  Response response = { 0, };
  GError *error = NULL;
  guint i;

  fail_unless (msg != NULL, "bad URL %s", url);
  g_signal_connect (msg, "accept-certificate",
      G_CALLBACK (accept_any_certificate), NULL);
  for (i = 0; headers && headers[i]; i += 2)
    soup_message_headers_append (soup_message_get_request_headers (msg),
        headers[i], headers[i + 1]);
  if (body) {
    soup_message_set_request_body_from_bytes (msg, content_type, body);
    g_bytes_unref (body);
  }

  response.body = soup_session_send_and_read (session, msg, NULL, &error);
  fail_unless (error == NULL, "%s %s: %s", method, url,
      error ? error->message : "");
  response.status = soup_message_get_status (msg);
  response.headers =
      soup_message_headers_ref (soup_message_get_response_headers (msg));

  g_object_unref (msg);
  g_object_unref (session);
  return response;
}

static gchar *
body_string (const Response * response)
{
  gsize size;
  const gchar *data = g_bytes_get_data (response->body, &size);

  return g_strndup (data, size);
}

static const gchar *
header (const Response * response, const gchar * name)
{
  return soup_message_headers_get_list (response->headers, name);
}

/* A handler that answers "<tag> <method> <subpath> <body length>". */
static void
tag_handler (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  const gchar *tag = user_data;
  gchar *text = g_strdup_printf ("%s %s %s %" G_GSIZE_FORMAT, tag,
      gst_rtc_http_request_get_method (request),
      gst_rtc_http_request_get_subpath (request),
      g_bytes_get_size (gst_rtc_http_request_get_body (request)));

  gst_rtc_http_request_respond_text (request, SOUP_STATUS_OK, text);
  g_free (text);
}

static gchar *
url_for (GstRtcHttpServer * server, const gchar * path)
{
  return gst_rtc_http_server_get_url (server, path, FALSE);
}

/* ---- wsproto ---- */

GST_START_TEST (test_wsproto_build_parse)
{
  const gchar *const peers[] = { "a", "b", NULL };
  GstRtcWsMessage *built[8];
  GError *error = NULL;
  guint i;

  built[0] = gst_rtc_ws_message_new_sdp (GST_RTC_WS_MESSAGE_OFFER,
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
  built[0]->to = g_strdup ("peer-2");
  built[1] = gst_rtc_ws_message_new_sdp (GST_RTC_WS_MESSAGE_ANSWER,
      "v=0\r\n\"quoted\" \\ é\r\n");
  built[1]->from = g_strdup ("peer-1");
  built[2] = gst_rtc_ws_message_new_candidate
      ("candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host", "0", 0);
  built[3] = gst_rtc_ws_message_new_candidate (NULL, "video", -1);
  built[4] = gst_rtc_ws_message_new_join ("room-1", NULL);
  built[5] = gst_rtc_ws_message_new_peers ("room-1", "me", peers);
  built[6] = gst_rtc_ws_message_new_peer_event (GST_RTC_WS_MESSAGE_PEER_LEFT,
      "a");
  built[7] = gst_rtc_ws_message_new_error ("no such peer");

  for (i = 0; i < G_N_ELEMENTS (built); i++) {
    gchar *json = gst_rtc_ws_message_to_json (built[i]);
    GstRtcWsMessage *parsed = gst_rtc_ws_message_parse (json, -1, &error);
    gchar *again;

    fail_unless (parsed != NULL, "%s: %s", json, error ? error->message : "");
    fail_unless (g_str_has_prefix (json, "{\"type\":\""), "%s", json);
    fail_unless_equals_int (parsed->type, built[i]->type);
    fail_unless_equals_string (parsed->sdp, built[i]->sdp);
    fail_unless_equals_string (parsed->sdp_mid, built[i]->sdp_mid);
    fail_unless_equals_int (parsed->sdp_mline_index,
        built[i]->sdp_mline_index);
    fail_unless_equals_string (parsed->room, built[i]->room);
    fail_unless_equals_string (parsed->peer, built[i]->peer);
    fail_unless_equals_string (parsed->reason, built[i]->reason);
    fail_unless_equals_string (parsed->to, built[i]->to);
    fail_unless_equals_string (parsed->from, built[i]->from);
    if (built[i]->peers)
      fail_unless (g_strv_equal ((const gchar * const *) parsed->peers,
              (const gchar * const *) built[i]->peers));
    if (built[i]->type == GST_RTC_WS_MESSAGE_CANDIDATE
        && built[i]->candidate)
      fail_unless_equals_string (parsed->candidate, built[i]->candidate);

    /* A copy serialises the same. */
    {
      GstRtcWsMessage *copy = gst_rtc_ws_message_copy (parsed);

      again = gst_rtc_ws_message_to_json (copy);
      fail_unless_equals_string (again, json);
      g_free (again);
      gst_rtc_ws_message_free (copy);
    }
    g_free (json);
    gst_rtc_ws_message_free (parsed);
    gst_rtc_ws_message_free (built[i]);
  }

  /* The end of candidates is written as browsers write it. */
  {
    GstRtcWsMessage *end = gst_rtc_ws_message_new_candidate (NULL, NULL, 0);
    gchar *json = gst_rtc_ws_message_to_json (end);

    fail_unless_equals_string (json,
        "{\"type\":\"candidate\",\"candidate\":\"\",\"sdpMid\":null,"
        "\"sdpMLineIndex\":0}");
    fail_unless (gst_rtc_ws_message_is_end_of_candidates (end));
    g_free (json);
    gst_rtc_ws_message_free (end);
  }
}

GST_END_TEST;

GST_START_TEST (test_wsproto_accepts)
{
  const gchar *const accepted[] = {
    /* unknown members ignored, at any place */
    "{\"x\":[1,{\"y\":null}],\"type\":\"offer\",\"sdp\":\"v=0\",\"z\":true}",
    /* RTCIceCandidate.toJSON () nested */
    "{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"candidate:1 1 "
        "udp 1 192.0.2.1 1 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,"
        "\"usernameFragment\":\"abcd\"}}",
    "{\"type\":\"candidate\",\"candidate\":null}",
    "{\"type\":\"candidate\",\"candidate\":\"\",\"sdpMid\":null}",
    "{\"type\":\"candidate\",\"candidate\":\"candidate:x\",\"sdpMLineIndex\":65535}",
    "  {\"type\":\"join\",\"room\":\"r\",\"peer\":null}\n",
    "{\"type\":\"peers\",\"peer\":\"me\",\"peers\":[]}",
    "{\"type\":\"error\",\"reason\":\"\"}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (accepted); i++) {
    GError *error = NULL;
    GstRtcWsMessage *message = gst_rtc_ws_message_parse (accepted[i], -1,
        &error);

    fail_unless (message != NULL, "refused %s: %s", accepted[i],
        error ? error->message : "");
    gst_rtc_ws_message_free (message);
  }

  {
    GstRtcWsMessage *message = gst_rtc_ws_message_parse (accepted[1], -1,
        NULL);

    fail_unless_equals_string (message->sdp_mid, "0");
    fail_unless_equals_int (message->sdp_mline_index, 0);
    fail_unless (g_str_has_prefix (message->candidate, "candidate:1 "));
    gst_rtc_ws_message_free (message);
    message = gst_rtc_ws_message_parse (accepted[2], -1, NULL);
    fail_unless (gst_rtc_ws_message_is_end_of_candidates (message));
    gst_rtc_ws_message_free (message);
  }
}

GST_END_TEST;

static const struct
{
  const gchar *json;
  const gchar *reason;
} malformed[] = {
  {"", "empty"},
  {"null", "not a JSON object"},
  {"[]", "not a JSON object"},
  {"42", "not a JSON object"},
  {"\"offer\"", "not a JSON object"},
  {"{", "invalid JSON"},
  {"{\"type\":\"offer\",\"sdp\":\"x\"}x", "invalid JSON"},
  {"{'type':'offer'}", "invalid JSON"},
  {"{}", "\"type\" is missing"},
  {"{\"type\":1}", "\"type\" must be a string"},
  {"{\"type\":null}", "\"type\" must be a string"},
  {"{\"type\":\"bogus\"}", "unknown message type"},
  {"{\"type\":\"OFFER\",\"sdp\":\"x\"}", "unknown message type"},
  {"{\"type\":\"offer\"}", "\"sdp\" is missing"},
  {"{\"type\":\"offer\",\"sdp\":5}", "\"sdp\" must be a string"},
  {"{\"type\":\"offer\",\"sdp\":null}", "\"sdp\" must be a string"},
  {"{\"type\":\"answer\",\"sdp\":[\"v=0\"]}", "\"sdp\" must be a string"},
  {"{\"type\":\"offer\",\"sdp\":\"x\",\"to\":5}", "\"to\" must be a string"},
  {"{\"type\":\"offer\",\"sdp\":\"x\",\"from\":{}}",
      "\"from\" must be a string"},
  {"{\"type\":\"candidate\"}", "\"candidate\" is missing"},
  {"{\"type\":\"candidate\",\"candidate\":7,\"sdpMid\":\"0\"}",
      "\"candidate\" must be a string"},
  {"{\"type\":\"candidate\",\"candidate\":\"c\"}", "needs \"sdpMid\""},
  {"{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMid\":0}",
      "\"sdpMid\" must be a string"},
  {"{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":\"0\"}",
      "\"sdpMLineIndex\" must be an integer"},
  {"{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":0.5}",
      "\"sdpMLineIndex\" must be an integer"},
  {"{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}",
      "out of range"},
  {"{\"type\":\"candidate\",\"candidate\":\"c\",\"sdpMLineIndex\":65536}",
      "out of range"},
  {"{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"c\"}}",
      "needs \"sdpMid\""},
  {"{\"type\":\"join\"}", "\"room\" is missing"},
  {"{\"type\":\"join\",\"room\":\"r\",\"peer\":3}", "\"peer\" must be"},
  {"{\"type\":\"peers\",\"peer\":\"a\"}", "\"peers\" must be an array"},
  {"{\"type\":\"peers\",\"peer\":\"a\",\"peers\":\"b\"}",
      "\"peers\" must be an array"},
  {"{\"type\":\"peers\",\"peer\":\"a\",\"peers\":[\"b\",1]}",
      "\"peers\"[1] must be a string"},
  {"{\"type\":\"peer-joined\"}", "\"peer\" is missing"},
  {"{\"type\":\"peer-left\",\"peer\":false}", "\"peer\" must be a string"},
  {"{\"type\":\"error\"}", "\"reason\" is missing"},
  {"{\"type\":\"offer\",\"sdp\":\"\xff\"}", "not valid UTF-8"},
  {"{\"type\":\"offer\",\"sdp\":\"\xc3\"}", "not valid UTF-8"},
};

GST_START_TEST (test_wsproto_malformed)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (malformed); i++) {
    GError *error = NULL;
    GstRtcWsMessage *message = gst_rtc_ws_message_parse (malformed[i].json,
        -1, &error);

    fail_unless (message == NULL, "accepted %s", malformed[i].json);
    fail_unless (g_error_matches (error, GST_RTC_ERROR,
            GST_RTC_ERROR_TYPE_ERROR), "%s: wrong error", malformed[i].json);
    fail_unless (strstr (error->message, malformed[i].reason) != NULL,
        "%s: \"%s\" does not say \"%s\"", malformed[i].json, error->message,
        malformed[i].reason);
    g_error_free (error);
  }
}

GST_END_TEST;

GST_START_TEST (test_wsproto_hostile)
{
  const gchar with_nul[] = "{\"type\":\"offer\",\"sdp\":\"a\0b\"}";
  GError *error = NULL;
  GString *deep = g_string_new ("{\"type\":\"offer\",\"sdp\":\"x\",\"n\":");
  gchar *big;
  guint i;

  /* An embedded NUL would end the text early for a C-string parser. */
  fail_if (gst_rtc_ws_message_parse (with_nul, sizeof (with_nul) - 1,
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  g_clear_error (&error);

  /* Deep nesting is refused before any recursive parsing. */
  for (i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  fail_if (gst_rtc_ws_message_parse (deep->str, deep->len, &error));
  fail_unless (strstr (error->message, "nested") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  g_string_free (deep, TRUE);

  /* Brackets inside strings do not count. */
  {
    gchar *brackets = g_strnfill (1000, '[');
    gchar *json = g_strdup_printf ("{\"type\":\"offer\",\"sdp\":\"%s\"}",
        brackets);
    GstRtcWsMessage *message = gst_rtc_ws_message_parse (json, -1, &error);

    fail_unless (message != NULL, "%s", error ? error->message : "");
    gst_rtc_ws_message_free (message);
    g_free (json);
    g_free (brackets);
  }

  /* The size limit, exactly. */
  big = g_malloc (GST_RTC_WS_MESSAGE_MAX_SIZE + 2);
  memset (big, 'a', GST_RTC_WS_MESSAGE_MAX_SIZE + 1);
  memcpy (big, "{\"type\":\"offer\",\"sdp\":\"", 23);
  memcpy (big + GST_RTC_WS_MESSAGE_MAX_SIZE - 2, "\"}", 2);
  {
    GstRtcWsMessage *message = gst_rtc_ws_message_parse (big,
        GST_RTC_WS_MESSAGE_MAX_SIZE, &error);

    fail_unless (message != NULL, "%s", error ? error->message : "");
    gst_rtc_ws_message_free (message);
  }
  memcpy (big + GST_RTC_WS_MESSAGE_MAX_SIZE - 2, "a\"}", 3);
  fail_if (gst_rtc_ws_message_parse (big, GST_RTC_WS_MESSAGE_MAX_SIZE + 1,
          &error));
  fail_unless (strstr (error->message, "larger than") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  g_free (big);
}

GST_END_TEST;

/* Every proper prefix of a valid message is refused, and read only within
 * its length (each prefix sits in a buffer of exactly that size, for
 * valgrind and ASan to see any overread). */
GST_START_TEST (test_wsproto_truncated)
{
  const gchar *const valid[] = {
    "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n\","
        "\"to\":\"b\"}",
    "{\"type\":\"candidate\",\"candidate\":\"candidate:1 1 udp 2122260223 "
        "192.0.2.1 54321 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}",
    "{\"type\":\"candidate\",\"candidate\":{\"candidate\":\"c\","
        "\"sdpMLineIndex\":12}}",
    "{\"type\":\"peers\",\"room\":\"r\",\"peer\":\"me\",\"peers\":[\"a\","
        "\"\\u00e9\"]}",
    "{\"type\":\"join\",\"room\":\"é\",\"peer\":null}",
    "{\"type\":\"error\",\"reason\":\"x\"}",
  };
  guint i;
  gsize len;

  for (i = 0; i < G_N_ELEMENTS (valid); i++) {
    gsize full = strlen (valid[i]);
    GstRtcWsMessage *message;

    message = gst_rtc_ws_message_parse (valid[i], full, NULL);
    fail_unless (message != NULL, "refused %s", valid[i]);
    gst_rtc_ws_message_free (message);

    for (len = 0; len < full; len++) {
      gchar *prefix = g_memdup2 (valid[i], MAX (len, 1));
      GError *error = NULL;

      message = gst_rtc_ws_message_parse (prefix, len, &error);
      fail_unless (message == NULL, "accepted %u bytes of %s", (guint) len,
          valid[i]);
      fail_unless (g_error_matches (error, GST_RTC_ERROR,
              GST_RTC_ERROR_TYPE_ERROR));
      g_error_free (error);
      g_free (prefix);
    }
  }
}

GST_END_TEST;

/* ---- GstRtcHttpServer ---- */

GST_START_TEST (test_http_two_mounts_one_server)
{
  GError *error = NULL;
  GstRtcHttpServer *server, *again;
  gchar *url, *text;
  Response response;
  guint port;

  server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  port = gst_rtc_http_server_get_port (server);
  fail_unless (port > 0);

  /* The same address and port is the same server. */
  again = gst_rtc_http_server_acquire (LOOPBACK, port, NULL, &error);
  fail_unless (again == server);

  fail_unless (gst_rtc_http_server_add_mount (server, "/whep", tag_handler,
          "whep", NULL));
  fail_unless (gst_rtc_http_server_add_mount (again, "/whip/", tag_handler,
          "whip", NULL));
  fail_unless (gst_rtc_http_server_add_mount (server, "/whep/special",
          tag_handler, "special", NULL));
  fail_if (gst_rtc_http_server_add_mount (server, "/whep", tag_handler,
          "twice", NULL));

  url = url_for (server, "/whep");
  response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_new_static ("v=0\r\n", 5));
  fail_unless_equals_int (response.status, 200);
  text = body_string (&response);
  fail_unless_equals_string (text, "whep POST  5\n");
  fail_unless_equals_string (header (&response,
          "Access-Control-Allow-Origin"), "*");
  fail_unless_equals_string (header (&response,
          "Access-Control-Expose-Headers"), "Location, Link, ETag");
  g_free (text);
  g_free (url);
  response_clear (&response);

  url = url_for (server, "/whip/resource-1");
  response = http_request ("DELETE", url, NULL, NULL, NULL);
  fail_unless_equals_int (response.status, 200);
  text = body_string (&response);
  fail_unless_equals_string (text, "whip DELETE /resource-1 0\n");
  g_free (text);
  g_free (url);
  response_clear (&response);

  /* The longest prefix wins; a prefix matches whole segments only. */
  url = url_for (server, "/whep/special/x");
  response = http_request ("GET", url, NULL, NULL, NULL);
  text = body_string (&response);
  fail_unless_equals_string (text, "special GET /x 0\n");
  g_free (text);
  g_free (url);
  response_clear (&response);

  url = url_for (server, "/whepx");
  response = http_request ("GET", url, NULL, NULL, NULL);
  fail_unless_equals_int (response.status, 404);
  g_free (url);
  response_clear (&response);

  url = url_for (server, "/nothing/here");
  response = http_request ("GET", url, NULL, NULL, NULL);
  fail_unless_equals_int (response.status, 404);
  g_free (url);
  response_clear (&response);

  /* A removed mount is gone at once. */
  fail_unless (gst_rtc_http_server_remove_mount (server, "/whep/special"));
  fail_if (gst_rtc_http_server_remove_mount (server, "/whep/special"));
  url = url_for (server, "/whep/special/x");
  response = http_request ("GET", url, NULL, NULL, NULL);
  text = body_string (&response);
  fail_unless_equals_string (text, "whep GET /special/x 0\n");
  g_free (text);
  g_free (url);
  response_clear (&response);

  gst_rtc_http_server_remove_mount (server, "/whep");
  gst_rtc_http_server_remove_mount (server, "/whip");
  gst_rtc_http_server_release (again);

  /* Still running for the first user... */
  url = url_for (server, "/whep");
  response = http_request ("GET", url, NULL, NULL, NULL);
  fail_unless_equals_int (response.status, 404);
  response_clear (&response);
  gst_rtc_http_server_release (server);

  /* ...and gone after the last: the port is free for a new server. */
  server = gst_rtc_http_server_acquire (LOOPBACK, port, NULL, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  gst_rtc_http_server_release (server);
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_http_bind_failure)
{
  GError *error = NULL;
  GstRtcHttpServer *server;
  GSocketService *service = g_socket_service_new ();
  guint16 port;
  gchar *where;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service),
      NULL, &error);
  fail_unless (port > 0);
  /* Not in the registry, so the server must try, and fail, to bind. */
  server = gst_rtc_http_server_acquire ("0.0.0.0", port, NULL, &error);
  fail_unless (server == NULL);
  fail_unless (error != NULL);
  where = g_strdup_printf ("0.0.0.0:%u", port);
  fail_unless (strstr (error->message, where) != NULL, "%s", error->message);
  g_free (where);
  g_clear_error (&error);

  server = gst_rtc_http_server_acquire ("not a host name.invalid", 0, NULL,
      &error);
  fail_unless (server == NULL);
  fail_unless (strstr (error->message, "not a host name.invalid") != NULL,
      "%s", error->message);
  g_clear_error (&error);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
}

GST_END_TEST;

GST_START_TEST (test_http_cors)
{
  const gchar *const preflight[] = {
    "Origin", "https://app.example",
    "Access-Control-Request-Method", "POST",
    "Access-Control-Request-Headers", "content-type, authorization",
    NULL
  };
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  gchar *url = url_for (server, "/whip");
  Response response;

  gst_rtc_http_server_add_mount (server, "/whip", tag_handler, "whip", NULL);
  /* Preflights need no token: browsers never send one there. */
  gst_rtc_http_server_set_mount_bearer_token (server, "/whip", "secret");

  response = http_request ("OPTIONS", url, preflight, NULL, NULL);
  fail_unless_equals_int (response.status, 204);
  fail_unless_equals_string (header (&response,
          "Access-Control-Allow-Origin"), "*");
  fail_unless_equals_string (header (&response,
          "Access-Control-Allow-Methods"),
      "POST, PATCH, DELETE, GET, OPTIONS");
  fail_unless_equals_string (header (&response,
          "Access-Control-Allow-Headers"),
      "Content-Type, Authorization, If-Match");
  fail_unless (header (&response, "Access-Control-Max-Age") != NULL);
  response_clear (&response);

  /* A configured origin is the one announced. */
  g_object_set (server, "cors-origin", "https://app.example", NULL);
  response = http_request ("OPTIONS", url, preflight, NULL, NULL);
  fail_unless_equals_string (header (&response,
          "Access-Control-Allow-Origin"), "https://app.example");
  response_clear (&response);

  /* A mount that lists OPTIONS answers it itself. */
  gst_rtc_http_server_set_mount_methods (server, "/whip",
      (const gchar *[]) { "POST", "OPTIONS", NULL });
  gst_rtc_http_server_set_mount_bearer_token (server, "/whip", NULL);
  response = http_request ("OPTIONS", url, preflight, NULL, NULL);
  fail_unless_equals_int (response.status, 200);
  {
    gchar *text = body_string (&response);

    fail_unless_equals_string (text, "whip OPTIONS  0\n");
    g_free (text);
  }
  response_clear (&response);

  gst_rtc_http_server_remove_mount (server, "/whip");
  gst_rtc_http_server_release (server);
  g_free (url);
}

GST_END_TEST;

static gboolean
authorize_no_evil (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  gint *calls = user_data;

  (*calls)++;
  /* Runs before the body: it must not be there yet. */
  fail_unless_equals_int (g_bytes_get_size (gst_rtc_http_request_get_body
          (request)), 0);
  return g_strcmp0 (gst_rtc_http_request_get_header (request, "X-Evil"),
      "yes") != 0;
}

GST_START_TEST (test_http_auth)
{
  const gchar *const good[] = { "Authorization", "Bearer s3cret", NULL };
  const gchar *const lowercase[] = { "Authorization", "bearer s3cret", NULL };
  const gchar *const bad[] = { "Authorization", "Bearer s3cre", NULL };
  const gchar *const longer[] = { "Authorization", "Bearer s3cret!", NULL };
  const gchar *const basic[] = { "Authorization", "Basic czNjcmV0", NULL };
  const gchar *const evil[] = {
    "Authorization", "Bearer s3cret", "X-Evil", "yes", NULL
  };
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  gchar *url = url_for (server, "/whip");
  GBytes *offer = g_bytes_new_static ("v=0\r\n", 5);
  Response response;
  gint calls = 0;

  gst_rtc_http_server_add_mount (server, "/whip", tag_handler, "whip", NULL);
  gst_rtc_http_server_set_mount_bearer_token (server, "/whip", "s3cret");

  response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 401);
  fail_unless (g_str_has_prefix (header (&response, "WWW-Authenticate"),
          "Bearer"));
  response_clear (&response);

  response = http_request ("POST", url, bad, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 401);
  fail_unless (strstr (header (&response, "WWW-Authenticate"),
          "invalid_token") != NULL);
  response_clear (&response);

  response = http_request ("POST", url, longer, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 401);
  response_clear (&response);

  response = http_request ("POST", url, basic, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 401);
  response_clear (&response);

  response = http_request ("POST", url, good, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 200);
  response_clear (&response);

  response = http_request ("POST", url, lowercase, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 200);
  response_clear (&response);

  gst_rtc_http_server_set_mount_authorize (server, "/whip", authorize_no_evil,
      &calls, NULL);
  response = http_request ("POST", url, evil, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 403);
  response_clear (&response);
  response = http_request ("POST", url, good, "application/sdp",
      g_bytes_ref (offer));
  fail_unless_equals_int (response.status, 200);
  response_clear (&response);
  fail_unless_equals_int (calls, 2);

  gst_rtc_http_server_remove_mount (server, "/whip");
  gst_rtc_http_server_release (server);
  g_bytes_unref (offer);
  g_free (url);
}

GST_END_TEST;

static void
count_handler (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  gst_rtc_http_request_respond_text (request, SOUP_STATUS_OK, "counted");
}

GST_START_TEST (test_http_limits)
{
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  gchar *url = url_for (server, "/whip");
  gchar *megabyte = g_malloc0 (1024 * 1024);
  GBytes *big = g_bytes_new_take (megabyte, 1024 * 1024);
  GBytes *small = g_bytes_new_static ("v=0\r\n", 5);
  Response response;
  gint calls = 0;

  gst_rtc_http_server_add_mount (server, "/whip", count_handler, &calls,
      NULL);
  gst_rtc_http_server_set_mount_methods (server, "/whip",
      (const gchar *[]) { "POST", "DELETE", NULL });

  response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_ref (big));
  fail_unless_equals_int (response.status, 413);
  response_clear (&response);
  fail_unless_equals_int (calls, 0);

  /* Exactly at the limit is fine. */
  {
    GBytes *limit = g_bytes_new_from_bytes (big, 0,
        GST_RTC_HTTP_SERVER_DEFAULT_MAX_BODY_SIZE);

    response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_ref (limit));
    fail_unless_equals_int (response.status, 200);
    response_clear (&response);
    g_bytes_unref (limit);
  }

  response = http_request ("GET", url, NULL, NULL, NULL);
  fail_unless_equals_int (response.status, 405);
  fail_unless_equals_string (header (&response, "Allow"),
      "POST, DELETE, OPTIONS");
  response_clear (&response);

  response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_ref (small));
  fail_unless_equals_int (response.status, 200);
  response_clear (&response);
  fail_unless_equals_int (calls, 2);

  /* The limit is a property. */
  g_object_set (server, "max-body-size", (guint64) 4, NULL);
  response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_ref (small));
  fail_unless_equals_int (response.status, 413);
  response_clear (&response);

  gst_rtc_http_server_remove_mount (server, "/whip");
  gst_rtc_http_server_release (server);
  g_bytes_unref (big);
  g_bytes_unref (small);
  g_free (url);
}

GST_END_TEST;

/* A chunked body has no Content-Length to check: it is counted instead. */
GST_START_TEST (test_http_chunked_too_large)
{
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *connection;
  GOutputStream *out;
  GDataInputStream *in;
  gchar *status_line, *chunk;
  gint calls = 0;
  guint i;

  gst_rtc_http_server_add_mount (server, "/whip", count_handler, &calls,
      NULL);
  connection = g_socket_client_connect_to_host (client, LOOPBACK,
      gst_rtc_http_server_get_port (server), NULL, NULL);
  fail_unless (connection != NULL);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (connection)));

  {
    const gchar *head = "POST /whip HTTP/1.1\r\nHost: x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";

    fail_unless (g_output_stream_write_all (out, head, strlen (head), NULL,
            NULL, NULL));
  }
  chunk = g_strnfill (4096, 'x');
  for (i = 0; i < 32; i++) {
    fail_unless (g_output_stream_write_all (out, "1000\r\n", 6, NULL, NULL,
            NULL));
    fail_unless (g_output_stream_write_all (out, chunk, 4096, NULL, NULL,
            NULL));
    fail_unless (g_output_stream_write_all (out, "\r\n", 2, NULL, NULL,
            NULL));
  }
  fail_unless (g_output_stream_write_all (out, "0\r\n\r\n", 5, NULL, NULL,
          NULL));
  g_free (chunk);

  status_line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  fail_unless (status_line != NULL);
  fail_unless (g_str_has_prefix (status_line, "HTTP/1.1 413"), "%s",
      status_line);
  fail_unless_equals_int (calls, 0);
  g_free (status_line);

  g_object_unref (in);
  g_object_unref (connection);
  g_object_unref (client);
  gst_rtc_http_server_remove_mount (server, "/whip");
  gst_rtc_http_server_release (server);
}

GST_END_TEST;

static gpointer
answer_later (gpointer user_data)
{
  GstRtcHttpRequest *request = user_data;
  GError *error = NULL;
  const gchar *const ice_servers[] = {
    "stun://stun.example.net:3478",
    "turn://user:pa%22ss@turn.example.net:3478?transport=tcp",
    NULL
  };
  GBytes *answer = g_bytes_new_static ("v=0\r\n", 5);

  gst_rtc_http_request_add_response_header (request, "Location",
      "/whip/resource-1");
  fail_unless (gst_rtc_http_request_add_ice_server_links (request,
          ice_servers, &error));
  fail_unless (gst_rtc_http_request_respond (request, SOUP_STATUS_CREATED,
          "application/sdp", answer));
  fail_if (gst_rtc_http_request_respond (request, SOUP_STATUS_OK, NULL,
          NULL));
  g_bytes_unref (answer);
  g_object_unref (request);
  return NULL;
}

static void
async_handler (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  GThread **thread = user_data;

  /* Answer from another thread once the handler has returned. */
  *thread = g_thread_new ("answer-later", answer_later,
      g_object_ref (request));
}

GST_START_TEST (test_http_async_answer)
{
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  gchar *url = url_for (server, "/whip");
  GThread *thread = NULL;
  Response response;
  gchar *text;
  GSList *links, *l;
  guint n_links = 0;

  gst_rtc_http_server_add_mount (server, "/whip", async_handler, &thread,
      NULL);
  response = http_request ("POST", url, NULL, "application/sdp",
      g_bytes_new_static ("v=0\r\n", 5));
  fail_unless_equals_int (response.status, 201);
  fail_unless_equals_string (header (&response, "Location"),
      "/whip/resource-1");
  fail_unless_equals_string (header (&response, "Content-Type"),
      "application/sdp");
  text = body_string (&response);
  fail_unless_equals_string (text, "v=0\r\n");
  g_free (text);

  links = soup_header_parse_list (header (&response, "Link"));
  for (l = links; l; l = l->next) {
    const gchar *link = l->data;

    if (g_str_has_prefix (link, "<stun:")) {
      fail_unless_equals_string (link,
          "<stun:stun.example.net:3478>; rel=\"ice-server\"");
      n_links++;
    } else if (g_str_has_prefix (link, "<turn:")) {
      fail_unless (g_str_has_prefix (link,
              "<turn:turn.example.net:3478?transport=tcp>; "
              "rel=\"ice-server\"; username=\"user\"; credential="), "%s",
          link);
      n_links++;
    }
  }
  soup_header_free_list (links);
  fail_unless_equals_int (n_links, 2);
  response_clear (&response);
  g_thread_join (thread);

  gst_rtc_http_server_remove_mount (server, "/whip");
  gst_rtc_http_server_release (server);
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_http_ice_server_link)
{
  GError *error = NULL;
  gchar *link;

  link = gst_rtc_http_ice_server_link ("stun://192.0.2.1:19302", &error);
  fail_unless_equals_string (link,
      "<stun:192.0.2.1:19302>; rel=\"ice-server\"");
  g_free (link);

  link = gst_rtc_http_ice_server_link ("turns://u:p@turn.example.net",
      &error);
  fail_unless_equals_string (link,
      "<turns:turn.example.net:5349?transport=tcp>; rel=\"ice-server\"; "
      "username=\"u\"; credential=\"p\"; credential-type=\"password\"");
  g_free (link);

  fail_if (gst_rtc_http_ice_server_link ("http://example.net", &error));
  fail_unless (error != NULL);
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_http_https)
{
  GstRtcCertificate *certificate;
  GTlsCertificate *tls;
  GstRtcHttpServer *server;
  GError *error = NULL;
  gchar *pem, *url, *text;
  Response response;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    GST_WARNING ("skipping the HTTPS test: GLib has no TLS backend "
        "(install glib-networking)");
    g_printerr ("SKIP: HTTPS test needs glib-networking\n");
    return;
  }

  certificate = gst_rtc_certificate_generate (&error);
  fail_unless (certificate != NULL);
  pem = gst_rtc_certificate_get_pem (certificate, TRUE);
  tls = g_tls_certificate_new_from_pem (pem, -1, &error);
  fail_unless (tls != NULL, "%s", error ? error->message : "");

  server = gst_rtc_http_server_acquire (LOOPBACK, 0, tls, &error);
  fail_unless (server != NULL, "%s", error ? error->message : "");
  fail_unless (gst_rtc_http_server_is_https (server));
  gst_rtc_http_server_add_mount (server, "/whep", tag_handler, "secure",
      NULL);

  url = url_for (server, "/whep");
  fail_unless (g_str_has_prefix (url, "https://"), "%s", url);
  response = http_request ("GET", url, NULL, NULL, NULL);
  fail_unless_equals_int (response.status, 200);
  text = body_string (&response);
  fail_unless_equals_string (text, "secure GET  0\n");
  g_free (text);
  response_clear (&response);

  /* A second user of the port cannot change its mind about TLS. */
  fail_if (gst_rtc_http_server_acquire (LOOPBACK,
          gst_rtc_http_server_get_port (server), NULL, &error));
  fail_unless (error != NULL);
  g_clear_error (&error);

  gst_rtc_http_server_remove_mount (server, "/whep");
  gst_rtc_http_server_release (server);
  g_object_unref (tls);
  g_object_unref (certificate);
  g_free (pem);
  g_free (url);
}

GST_END_TEST;

/* ---- WebSocket ---- */

static void
echo_message (SoupWebsocketConnection * connection, gint type, GBytes * data,
    gpointer user_data)
{
  soup_websocket_connection_send_message (connection, type, data);
}

static void
echo_closed (SoupWebsocketConnection * connection, gpointer user_data)
{
  g_object_unref (connection);
}

static void
echo_handler (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    SoupWebsocketConnection * connection, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  g_signal_connect (connection, "message", G_CALLBACK (echo_message), NULL);
  g_signal_connect (connection, "closed", G_CALLBACK (echo_closed), NULL);
  g_object_ref (connection);
}

typedef struct
{
  SoupWebsocketConnection *connection;
  GError *error;
  gint connected;
  gint closed;
  gint n_messages;
  gchar *last_message;
} WsClient;

static void
ws_client_message (SoupWebsocketConnection * connection, gint type,
    GBytes * data, WsClient * client)
{
  gsize size;
  const gchar *text = g_bytes_get_data (data, &size);

  g_free (client->last_message);
  client->last_message = g_strndup (text, size);
  g_atomic_int_inc (&client->n_messages);
}

static void
ws_client_closed (SoupWebsocketConnection * connection, WsClient * client)
{
  g_atomic_int_set (&client->closed, 1);
}

static void
ws_client_connected (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  WsClient *client = user_data;

  client->connection = soup_session_websocket_connect_finish (SOUP_SESSION
      (source), result, &client->error);
  if (client->connection) {
    g_signal_connect (client->connection, "message",
        G_CALLBACK (ws_client_message), client);
    g_signal_connect (client->connection, "closed",
        G_CALLBACK (ws_client_closed), client);
  }
  g_atomic_int_set (&client->connected, 1);
}

static void
ws_client_connect (SoupSession * session, WsClient * client, const gchar * url)
{
  SoupMessage *msg = soup_message_new ("GET", url);

  soup_session_websocket_connect_async (session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, ws_client_connected, client);
  g_object_unref (msg);
  fail_unless (wait_for_flag (&client->connected), "no WebSocket to %s", url);
}

static void
ws_client_clear (WsClient * client)
{
  if (client->connection) {
    g_signal_handlers_disconnect_by_data (client->connection, client);
    g_object_unref (client->connection);
  }
  g_clear_error (&client->error);
  g_free (client->last_message);
  memset (client, 0, sizeof (*client));
}

GST_START_TEST (test_websocket)
{
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  SoupSession *session = soup_session_new ();
  gchar *url = gst_rtc_http_server_get_url (server, "/ws", TRUE);
  WsClient client = { 0, }, big_client = { 0, }, refused = { 0, };
  gint opened = 0;
  gchar *big;

  fail_unless (g_str_has_prefix (url, "ws://"));
  gst_rtc_http_server_add_websocket_mount (server, "/ws", 1024, echo_handler,
      &opened, NULL);
  gst_rtc_http_server_set_mount_bearer_token (server, "/ws", "tok");

  /* The token may come as a query parameter (browsers cannot set
   * headers on a WebSocket); without it the handshake fails. */
  ws_client_connect (session, &refused, url);
  fail_unless (refused.connection == NULL);
  ws_client_clear (&refused);
  g_free (url);
  url = gst_rtc_http_server_get_url (server, "/ws/room?access_token=tok",
      TRUE);

  ws_client_connect (session, &client, url);
  fail_unless (client.connection != NULL, "%s", client.error ?
      client.error->message : "");
  soup_websocket_connection_send_text (client.connection, "hello");
  fail_unless (wait_for_flag (&client.n_messages));
  fail_unless_equals_string (client.last_message, "hello");

  /* Over the mount's message size: only that connection closes, 1009. */
  ws_client_connect (session, &big_client, url);
  fail_unless (big_client.connection != NULL);
  big = g_strnfill (2048, 'x');
  soup_websocket_connection_send_text (big_client.connection, big);
  g_free (big);
  fail_unless (wait_for_flag (&big_client.closed));
  fail_unless_equals_int (soup_websocket_connection_get_close_code
      (big_client.connection), SOUP_WEBSOCKET_CLOSE_TOO_BIG);

  soup_websocket_connection_send_text (client.connection, "still here");
  fail_unless (wait_for_flag (&client.n_messages) && client.n_messages >= 1);
  {
    gint before = client.n_messages;
    gint64 deadline = g_get_monotonic_time () + DEADLINE_SECONDS *
        G_USEC_PER_SEC;

    while (client.n_messages == before
        && g_strcmp0 (client.last_message, "still here") != 0
        && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, FALSE);
  }
  fail_unless_equals_string (client.last_message, "still here");
  fail_unless_equals_int (g_atomic_int_get (&opened), 2);

  soup_websocket_connection_close (client.connection,
      SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  fail_unless (wait_for_flag (&client.closed));

  ws_client_clear (&client);
  ws_client_clear (&big_client);
  g_object_unref (session);
  gst_rtc_http_server_remove_mount (server, "/ws");
  gst_rtc_http_server_release (server);
  g_free (url);
}

GST_END_TEST;

/* ---- a flood ---- */

GST_START_TEST (test_http_junk_flood)
{
  static const gchar *const junk[] = {
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",       /* a TLS hello */
    "GET / HTTP/1.1\r\n\r\n",   /* no Host */
    "GARBAGE\r\n\r\n",
    "POST /junk HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
    "GET /junk HTTP/1.1\r\nHost: x\r\nX: ",     /* left hanging */
    "\r\n\r\n\r\n",
    "GET /%%%%%% HTTP/9.9\r\nHost: x\r\n\r\n",
    "POST /junk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n",
  };
  GstRtcHttpServer *server = gst_rtc_http_server_acquire (LOOPBACK, 0, NULL,
      NULL);
  GSocketClient *client = g_socket_client_new ();
  GPtrArray *connections = g_ptr_array_new_with_free_func (g_object_unref);
  gchar *url = url_for (server, "/whep");
  Response response;
  guint i;

  gst_rtc_http_server_add_mount (server, "/whep", tag_handler, "whep", NULL);

  for (i = 0; i < 200; i++) {
    GSocketConnection *connection = g_socket_client_connect_to_host (client,
        LOOPBACK, gst_rtc_http_server_get_port (server), NULL, NULL);
    const gchar *bytes = junk[i % G_N_ELEMENTS (junk)];

    fail_unless (connection != NULL);
    g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
            (connection)), bytes, strlen (bytes), NULL, NULL, NULL);
    g_ptr_array_add (connections, connection);
  }

  /* With 200 junk connections open, real requests still get answers. */
  for (i = 0; i < 5; i++) {
    response = http_request ("GET", url, NULL, NULL, NULL);
    fail_unless_equals_int (response.status, 200);
    response_clear (&response);
  }

  g_ptr_array_unref (connections);
  g_object_unref (client);
  gst_rtc_http_server_remove_mount (server, "/whep");
  gst_rtc_http_server_release (server);
  g_free (url);
}

GST_END_TEST;

/* ---- GstRtcSignaller ---- */

#define TEST_TYPE_SIGNALLER (test_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TestSignaller, test_signaller, TEST, SIGNALLER,
    GObject);

struct _TestSignaller
{
  GObject parent;
  GString *log;
};

static void test_signaller_iface_init (GstRtcSignallerInterface * iface);

G_DEFINE_TYPE_WITH_CODE (TestSignaller, test_signaller, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (GST_RTC_TYPE_SIGNALLER, test_signaller_iface_init));

static void
test_signaller_start (GstRtcSignaller * signaller)
{
  TEST_SIGNALLER (signaller)->log = g_string_new ("start;");
  gst_rtc_signaller_session_requested (signaller, "s1", "peer-1");
}

static void
test_signaller_stop (GstRtcSignaller * signaller)
{
  g_string_append (TEST_SIGNALLER (signaller)->log, "stop;");
}

static void
test_signaller_send_sdp (GstRtcSignaller * signaller, const gchar * session,
    const gchar * type, const gchar * sdp)
{
  g_string_append_printf (TEST_SIGNALLER (signaller)->log, "sdp %s %s %s;",
      session, type, sdp);
  /* The friend answers at once. */
  gst_rtc_signaller_session_description (signaller, session, "answer",
      "v=0 answer");
}

static void
test_signaller_send_candidate (GstRtcSignaller * signaller,
    const gchar * session, guint mline, const gchar * mid,
    const gchar * candidate)
{
  g_string_append_printf (TEST_SIGNALLER (signaller)->log,
      "candidate %s %u %s %s;", session, mline, mid ? mid : "(null)",
      candidate ? candidate : "(end)");
  gst_rtc_signaller_handle_ice (signaller, session, mline, mid, candidate);
}

static void
test_signaller_end_session (GstRtcSignaller * signaller,
    const gchar * session)
{
  g_string_append_printf (TEST_SIGNALLER (signaller)->log, "end %s;",
      session);
  gst_rtc_signaller_session_ended (signaller, session);
}

static void
test_signaller_iface_init (GstRtcSignallerInterface * iface)
{
  iface->start = test_signaller_start;
  iface->stop = test_signaller_stop;
  iface->send_sdp = test_signaller_send_sdp;
  iface->send_candidate = test_signaller_send_candidate;
  iface->end_session = test_signaller_end_session;
}

static void
test_signaller_finalize (GObject * object)
{
  if (TEST_SIGNALLER (object)->log)
    g_string_free (TEST_SIGNALLER (object)->log, TRUE);
  G_OBJECT_CLASS (test_signaller_parent_class)->finalize (object);
}

static void
test_signaller_class_init (TestSignallerClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_signaller_finalize;
}

static void
test_signaller_init (TestSignaller * self)
{
}

static void
on_session_requested (GstRtcSignaller * signaller, const gchar * session,
    const gchar * peer, GString * seen)
{
  g_string_append_printf (seen, "requested %s %s;", session, peer);
}

static void
on_session_description (GstRtcSignaller * signaller, const gchar * session,
    const gchar * type, const gchar * sdp, GString * seen)
{
  g_string_append_printf (seen, "description %s %s %s;", session, type, sdp);
}

static void
on_handle_ice (GstRtcSignaller * signaller, const gchar * session,
    guint mline, const gchar * mid, const gchar * candidate, GString * seen)
{
  g_string_append_printf (seen, "ice %s %u %s %s;", session, mline,
      mid ? mid : "(null)", candidate ? candidate : "(end)");
}

static void
on_session_ended (GstRtcSignaller * signaller, const gchar * session,
    GString * seen)
{
  g_string_append_printf (seen, "ended %s;", session);
}

static void
on_error (GstRtcSignaller * signaller, GError * error, GString * seen)
{
  g_string_append_printf (seen, "error %s;", error->message);
}

GST_START_TEST (test_signaller_interface)
{
  GstRtcSignaller *signaller = g_object_new (TEST_TYPE_SIGNALLER, NULL);
  GString *seen = g_string_new (NULL);
  GError *error = g_error_new_literal (GST_RTC_ERROR,
      GST_RTC_ERROR_OPERATION_ERROR, "server gone");

  fail_unless (GST_RTC_IS_SIGNALLER (signaller));
  g_signal_connect (signaller, "session-requested",
      G_CALLBACK (on_session_requested), seen);
  g_signal_connect (signaller, "session-description",
      G_CALLBACK (on_session_description), seen);
  g_signal_connect (signaller, "handle-ice", G_CALLBACK (on_handle_ice),
      seen);
  g_signal_connect (signaller, "session-ended",
      G_CALLBACK (on_session_ended), seen);
  g_signal_connect (signaller, "error", G_CALLBACK (on_error), seen);

  gst_rtc_signaller_start (signaller);
  gst_rtc_signaller_send_sdp (signaller, "s1", "offer", "v=0 offer");
  gst_rtc_signaller_send_candidate (signaller, "s1", 1, "1", "candidate:x");
  gst_rtc_signaller_send_candidate (signaller, "s1", 0, NULL, NULL);
  gst_rtc_signaller_end_session (signaller, "s1");
  gst_rtc_signaller_error (signaller, error);
  gst_rtc_signaller_stop (signaller);

  fail_unless_equals_string (TEST_SIGNALLER (signaller)->log->str,
      "start;sdp s1 offer v=0 offer;candidate s1 1 1 candidate:x;"
      "candidate s1 0 (null) (end);end s1;stop;");
  fail_unless_equals_string (seen->str,
      "requested s1 peer-1;description s1 answer v=0 answer;"
      "ice s1 1 1 candidate:x;ice s1 0 (null) (end);ended s1;"
      "error server gone;");

  g_error_free (error);
  g_string_free (seen, TRUE);
  g_object_unref (signaller);
}

GST_END_TEST;

/* Roles in join, peers and peer-joined: optional, and a peer that knows
 * nothing of them reads the messages as before. */
GST_START_TEST (test_wsproto_roles)
{
  const gchar *const peers[] = { "a", "b", NULL };
  const gchar *const roles[] = { "producer", "", NULL };
  GstRtcWsMessage *message, *parsed;
  GError *error = NULL;
  gchar *json;
  guint i;
  const gchar *refused[] = {
    "{\"type\":\"join\",\"room\":\"r\",\"role\":7}",
    "{\"type\":\"join\",\"room\":\"r\",\"role\":"
        "\"a-role-name-that-is-longer-than-32-bytes\"}",
    "{\"type\":\"peer-joined\",\"peer\":\"a\",\"role\":[\"producer\"]}",
    "{\"type\":\"peers\",\"peer\":\"me\",\"peers\":[\"a\"],\"roles\":[]}",
    "{\"type\":\"peers\",\"peer\":\"me\",\"peers\":[\"a\"],\"roles\":\"p\"}",
    "{\"type\":\"peers\",\"peer\":\"me\",\"peers\":[\"a\"],\"roles\":[1]}",
    "{\"type\":\"peers\",\"peer\":\"me\",\"peers\":[],\"roles\":[\"p\"]}",
  };

  message = gst_rtc_ws_message_new_join ("stage", NULL);
  message->role = g_strdup ("consumer");
  json = gst_rtc_ws_message_to_json (message);
  fail_unless_equals_string (json,
      "{\"type\":\"join\",\"room\":\"stage\",\"role\":\"consumer\"}");
  parsed = gst_rtc_ws_message_parse (json, -1, &error);
  fail_unless (parsed != NULL);
  fail_unless_equals_string (parsed->role, "consumer");
  gst_rtc_ws_message_free (parsed);
  gst_rtc_ws_message_free (message);
  g_free (json);

  message = gst_rtc_ws_message_new_peers ("stage", "me", peers);
  message->peer_roles = g_strdupv ((gchar **) roles);
  json = gst_rtc_ws_message_to_json (message);
  fail_unless (strstr (json, "\"roles\":[\"producer\",\"\"]") != NULL, "%s",
      json);
  parsed = gst_rtc_ws_message_parse (json, -1, &error);
  fail_unless (parsed != NULL, "%s", error ? error->message : "");
  fail_unless (g_strv_equal ((const gchar * const *) parsed->peer_roles,
          roles));
  /* A copy keeps them. */
  {
    GstRtcWsMessage *copy = gst_rtc_ws_message_copy (parsed);

    fail_unless (g_strv_equal ((const gchar * const *) copy->peer_roles,
            roles));
    gst_rtc_ws_message_free (copy);
  }
  gst_rtc_ws_message_free (parsed);
  /* Roles that do not run parallel to the peers are not written. */
  g_strfreev (message->peer_roles);
  message->peer_roles = g_strdupv ((gchar **) peers + 1);
  g_free (json);
  json = gst_rtc_ws_message_to_json (message);
  fail_unless (strstr (json, "roles") == NULL, "%s", json);
  gst_rtc_ws_message_free (message);
  g_free (json);

  /* An old server's peers: no roles at all. A null role is no role. */
  parsed = gst_rtc_ws_message_parse ("{\"type\":\"peers\",\"peer\":\"me\","
      "\"peers\":[\"a\"]}", -1, &error);
  fail_unless (parsed != NULL && parsed->peer_roles == NULL);
  gst_rtc_ws_message_free (parsed);
  parsed = gst_rtc_ws_message_parse ("{\"type\":\"peers\",\"peer\":\"me\","
      "\"peers\":[\"a\"],\"roles\":[null]}", -1, &error);
  fail_unless (parsed != NULL);
  fail_unless_equals_string (parsed->peer_roles[0], "");
  gst_rtc_ws_message_free (parsed);
  parsed = gst_rtc_ws_message_parse ("{\"type\":\"peer-joined\",\"peer\":"
      "\"a\",\"role\":\"producer\"}", -1, &error);
  fail_unless (parsed != NULL);
  fail_unless_equals_string (parsed->role, "producer");
  json = gst_rtc_ws_message_to_json (parsed);
  fail_unless_equals_string (json, "{\"type\":\"peer-joined\",\"peer\":\"a\","
      "\"role\":\"producer\"}");
  g_free (json);
  gst_rtc_ws_message_free (parsed);

  for (i = 0; i < G_N_ELEMENTS (refused); i++) {
    parsed = gst_rtc_ws_message_parse (refused[i], -1, &error);
    fail_unless (parsed == NULL, "accepted %s", refused[i]);
    fail_unless (g_error_matches (error, GST_RTC_ERROR,
            GST_RTC_ERROR_TYPE_ERROR), "%s", refused[i]);
    g_clear_error (&error);
  }
}

GST_END_TEST;

/* A string where a GstRtcSignaller goes: ws:// and wss:// make a room
 * signaller, anything else is refused. */
GST_START_TEST (test_signaller_from_string)
{
  const gchar *good[] = { "ws://127.0.0.1:8443/stage", "wss://example.org/r",
    "ws://[::1]:9/room%20one",
  };
  const gchar *bad[] = { "", "stage", "http://127.0.0.1/stage",
    "ws://127.0.0.1:8443/", "ws://127.0.0.1:8443", "ws:///stage",
    "ws://h/a/b", "whip://h/x",
  };
  GError *error = NULL;
  guint i;

  gst_rtc_init ();
  for (i = 0; i < G_N_ELEMENTS (good); i++) {
    GValue value = G_VALUE_INIT;
    gchar *uri = NULL, *role = NULL, *text;

    g_value_init (&value, GST_RTC_TYPE_SIGNALLER);
    fail_unless (gst_value_deserialize (&value, good[i]), "%s", good[i]);
    fail_unless (GST_RTC_IS_WS_SIGNALLER (g_value_get_object (&value)));
    g_object_get (g_value_get_object (&value), "uri", &uri, "role", &role,
        NULL);
    fail_unless_equals_string (uri, good[i]);
    fail_unless_equals_string (role, GST_RTC_WS_SIGNALLER_ROLE_PRODUCER);
    text = gst_value_serialize (&value);
    fail_unless_equals_string (text, good[i]);
    fail_unless (gst_rtc_ws_signaller_check_uri (good[i], NULL));
    g_free (text);
    g_free (uri);
    g_free (role);
    g_value_unset (&value);
  }
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GValue value = G_VALUE_INIT;
    GstRtcWsSignaller *signaller;

    g_value_init (&value, GST_RTC_TYPE_SIGNALLER);
    fail_if (gst_value_deserialize (&value, bad[i]), "%s", bad[i]);
    fail_unless (g_value_get_object (&value) == NULL);
    g_value_unset (&value);
    signaller = gst_rtc_ws_signaller_new (bad[i], &error);
    fail_unless (signaller == NULL);
    fail_unless (g_error_matches (error, GST_RTC_ERROR,
            GST_RTC_ERROR_TYPE_ERROR));
    fail_unless (strstr (error->message, "ws") != NULL, "%s",
        error->message);
    g_clear_error (&error);
  }
}

GST_END_TEST;

/* No server there: a few attempts with backoff, then the error signal,
 * and nothing after stop. */
static void
on_ws_error (GstRtcSignaller * signaller, const GError * error,
    gpointer user_data)
{
  gchar **message = user_data;

  g_free (*message);
  *message = g_strdup (error->message);
}

GST_START_TEST (test_ws_signaller_unreachable)
{
  GstRtcWsSignaller *signaller;
  GSocket *socket;
  GSocketAddress *address;
  GInetAddress *loopback;
  gchar *uri, *message = NULL;
  guint port;
  gint64 deadline;

  /* A port nobody listens on: bound, never listening. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  fail_unless (g_socket_bind (socket, address, FALSE, NULL));
  g_object_unref (address);
  address = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  uri = g_strdup_printf ("ws://127.0.0.1:%u/room", port);

  signaller = gst_rtc_ws_signaller_new (uri, NULL);
  fail_unless (signaller != NULL);
  g_signal_connect (signaller, "error", G_CALLBACK (on_ws_error), &message);
  gst_rtc_signaller_start (GST_RTC_SIGNALLER (signaller));
  deadline = g_get_monotonic_time () + DEADLINE_SECONDS * G_USEC_PER_SEC;
  while (g_atomic_pointer_get (&message) == NULL
      && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  gst_rtc_signaller_stop (GST_RTC_SIGNALLER (signaller));
  fail_unless (message != NULL, "no error signal");
  fail_unless (strstr (message, "could not connect") != NULL, "%s", message);
  fail_unless (strstr (message, uri) != NULL, "%s", message);
  /* Stopping twice, and stopping a stopped one, are harmless. */
  gst_rtc_signaller_stop (GST_RTC_SIGNALLER (signaller));
  g_object_unref (signaller);

  g_free (message);
  g_free (uri);
  g_object_unref (address);
  g_object_unref (loopback);
  g_object_unref (socket);
}

GST_END_TEST;

static Suite *
signalling_suite (void)
{
  Suite *s = suite_create ("signalling");
  TCase *tc_wsproto = tcase_create ("wsproto");
  TCase *tc_http = tcase_create ("httpserver");
  TCase *tc_signaller = tcase_create ("signaller");

  /* The client needs no proxy, and libproxy's unwinding confuses valgrind. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  tcase_add_test (tc_wsproto, test_wsproto_build_parse);
  tcase_add_test (tc_wsproto, test_wsproto_accepts);
  tcase_add_test (tc_wsproto, test_wsproto_malformed);
  tcase_add_test (tc_wsproto, test_wsproto_hostile);
  tcase_add_test (tc_wsproto, test_wsproto_truncated);
  tcase_add_test (tc_wsproto, test_wsproto_roles);
  suite_add_tcase (s, tc_wsproto);

  tcase_add_test (tc_http, test_http_two_mounts_one_server);
  tcase_add_test (tc_http, test_http_bind_failure);
  tcase_add_test (tc_http, test_http_cors);
  tcase_add_test (tc_http, test_http_auth);
  tcase_add_test (tc_http, test_http_limits);
  tcase_add_test (tc_http, test_http_chunked_too_large);
  tcase_add_test (tc_http, test_http_async_answer);
  tcase_add_test (tc_http, test_http_ice_server_link);
  tcase_add_test (tc_http, test_http_https);
  tcase_add_test (tc_http, test_websocket);
  tcase_add_test (tc_http, test_http_junk_flood);
  suite_add_tcase (s, tc_http);

  tcase_add_test (tc_signaller, test_signaller_interface);
  tcase_add_test (tc_signaller, test_signaller_from_string);
  tcase_add_test (tc_signaller, test_ws_signaller_unreachable);
  suite_add_tcase (s, tc_signaller);

  return s;
}

GST_CHECK_MAIN (signalling);
