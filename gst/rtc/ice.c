/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcice
 * @title: GstRtcIceAgent
 * @short_description: ICE over libnice, one stream per transport
 *
 * A #GstRtcIceAgent wraps one NiceAgent (RFC 5245 mode, trickle on, UPnP
 * off, no STUN or TURN server unless one is set). Each #GstRtcIceStream is
 * one libnice stream with a single component: WebRTC muxes RTCP with RTP
 * and bundles media, so one 5-tuple carries everything.
 *
 * The agent runs on a #GMainContext of the worker pool (see
 * gst_rtc_worker_pool_acquire_context()): there is no thread per agent.
 * libnice emits its signals on whatever thread called into it, so the
 * stream queues what libnice reports and replays it on the worker thread:
 * every signal and property notification of a #GstRtcIceStream is emitted
 * there, in the order libnice reported it.
 *
 * An ICE restart is a new stream: create one, gather, exchange its
 * credentials and candidates, move the traffic, close the old one. (libnice's
 * own restart keeps a relay candidate whose allocation may be gone.)
 *
 * Two timers of our own complete libnice's: #GstRtcIceAgent:ice-timeout
 * fails a stream that never connects (libnice never fails a component that
 * has no remote candidate), and #GstRtcIceAgent:liveness-timeout fails a
 * connected stream whose peer went silent.
 *
 * The candidate and server URI parsers are pure functions and can be used
 * without an agent.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ice.h"
#include "rtc.h"

#include <string.h>
#include <nice/agent.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_ice_agent_debug);
GST_DEBUG_CATEGORY_STATIC (gst_rtc_ice_stream_debug);
#define GST_CAT_DEFAULT gst_rtc_ice_agent_debug

/* ------------------------------------------------------------------------ */
/* Candidate strings                                                        */
/* ------------------------------------------------------------------------ */

#define MAX_FOUNDATION_CHARS (GST_RTC_ICE_MAX_FOUNDATION_LEN - 1)
#define MAX_ADDRESS_CHARS (GST_RTC_ICE_MAX_ADDRESS_LEN - 1)
#define MAX_COMPONENT_ID 256
/* RFC 6544 section 4.5: an active TCP candidate has no port to connect to,
 * and is signalled with the discard port. */
#define TCP_ACTIVE_DISCARD_PORT 9
/* How much of a bad field an error message quotes. */
#define MAX_QUOTED_CHARS 64

typedef struct
{
  const gchar *start;
  gsize len;
} Token;

#define QUOTE(t) (int) MIN ((t)->len, MAX_QUOTED_CHARS), (t)->start

static gboolean
is_separator (gchar c)
{
  /* CR and LF count too, so that a line copied out of an SDP parses. */
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static gboolean
next_token (const gchar ** cursor, Token * token)
{
  const gchar *p = *cursor;

  while (is_separator (*p))
    p++;
  if (*p == '\0') {
    *cursor = p;
    return FALSE;
  }
  token->start = p;
  while (*p != '\0' && !is_separator (*p))
    p++;
  token->len = p - token->start;
  *cursor = p;
  return TRUE;
}

static gboolean
token_is (const Token * token, const gchar * word)
{
  gsize len = strlen (word);

  return token->len == len && g_ascii_strncasecmp (token->start, word,
      len) == 0;
}

/* Decimal digits only: no sign, no blanks, no hex, which strtoul would take. */
static gboolean
token_to_uint (const Token * token, guint64 max, guint64 * value)
{
  guint64 result = 0;
  gsize i;

  /* G_MAXUINT32 has ten digits; more cannot be in range, even with
   * leading zeros we would not bother to accept. */
  if (token->len == 0 || token->len > 10)
    return FALSE;
  for (i = 0; i < token->len; i++) {
    if (!g_ascii_isdigit (token->start[i]))
      return FALSE;
    result = result * 10 + (token->start[i] - '0');
  }
  if (result > max)
    return FALSE;
  *value = result;
  return TRUE;
}

static gboolean
is_ice_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* An IPv4 or IPv6 literal (with an optional zone), or a host name such as an
 * mDNS `.local` name. Resolution is not the parser's business. */
static gboolean
is_address_token (const Token * token)
{
  gsize i;

  if (token->len == 0 || token->len > MAX_ADDRESS_CHARS)
    return FALSE;
  for (i = 0; i < token->len; i++) {
    gchar c = token->start[i];

    if (!g_ascii_isalnum (c) && c != '.' && c != ':' && c != '-' && c != '_'
        && c != '%')
      return FALSE;
  }
  return TRUE;
}

static gboolean set_candidate_error (GError ** error, const gchar * format,
    ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_candidate_error (GError ** error, const gchar * format, ...)
{
  gchar *detail;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
      "Invalid ICE candidate: %s", detail);
  g_free (detail);
  return FALSE;
}

static gboolean
parse_candidate_type (const Token * token, GstRtcIceCandidateType * type)
{
  if (token_is (token, "host"))
    *type = GST_RTC_ICE_CANDIDATE_TYPE_HOST;
  else if (token_is (token, "srflx"))
    *type = GST_RTC_ICE_CANDIDATE_TYPE_SRFLX;
  else if (token_is (token, "prflx"))
    *type = GST_RTC_ICE_CANDIDATE_TYPE_PRFLX;
  else if (token_is (token, "relay"))
    *type = GST_RTC_ICE_CANDIDATE_TYPE_RELAY;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_tcp_type (const Token * token, GstRtcIceTcpType * tcp_type)
{
  if (token_is (token, "active"))
    *tcp_type = GST_RTC_ICE_TCP_TYPE_ACTIVE;
  else if (token_is (token, "passive"))
    *tcp_type = GST_RTC_ICE_TCP_TYPE_PASSIVE;
  else if (token_is (token, "so"))
    *tcp_type = GST_RTC_ICE_TCP_TYPE_SO;
  else
    return FALSE;
  return TRUE;
}

static const gchar *
tcp_type_to_string (GstRtcIceTcpType tcp_type)
{
  switch (tcp_type) {
    case GST_RTC_ICE_TCP_TYPE_ACTIVE:
      return "active";
    case GST_RTC_ICE_TCP_TYPE_PASSIVE:
      return "passive";
    case GST_RTC_ICE_TCP_TYPE_SO:
      return "so";
    case GST_RTC_ICE_TCP_TYPE_NONE:
    default:
      return NULL;
  }
}

/**
 * gst_rtc_ice_candidate_parse:
 * @candidate: a candidate attribute, such as
 *   `candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host`, with or without
 *   a leading `a=` and `candidate:`
 * @info: (out caller-allocates): where to put the fields
 * @error: return location for a #GError (what is wrong with @candidate),
 *   or %NULL
 *
 * Parses one ICE candidate attribute (RFC 8839 section 5.1, RFC 6544 for
 * TCP). Transport, `typ` and type are case-insensitive. Extension
 * attributes other than `raddr`, `rport` and `tcptype` (`generation`,
 * `ufrag`, `network-id`, ...) are skipped. Ranges are checked strictly:
 * component 1 to 256, priority 1 to 2^32-1, port 0 to 65535 with port 0
 * only on an active TCP candidate, foundation 1 to 32 ice-chars, address at
 * most 255 characters. A TCP candidate needs a `tcptype`; a UDP candidate
 * may not have one.
 *
 * This function only reads @candidate: it is safe on any string from the
 * network. @info is left untouched on failure.
 *
 * Returns: %TRUE on success; %FALSE with @error (%GST_RTC_ERROR_TYPE_ERROR,
 *   naming the bad field) otherwise
 */
gboolean
gst_rtc_ice_candidate_parse (const gchar * candidate,
    GstRtcIceCandidateInfo * info, GError ** error)
{
  GstRtcIceCandidateInfo parsed;
  const gchar *cursor;
  Token token, value;
  guint64 number;
  gsize i;

  g_return_val_if_fail (candidate != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  memset (&parsed, 0, sizeof (parsed));
  cursor = candidate;
  while (is_separator (*cursor))
    cursor++;
  if (g_ascii_strncasecmp (cursor, "a=", 2) == 0)
    cursor += 2;
  if (g_ascii_strncasecmp (cursor, "candidate:", 10) == 0)
    cursor += 10;

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "empty, no foundation");
  if (token.len > MAX_FOUNDATION_CHARS)
    return set_candidate_error (error,
        "foundation '%.*s' is longer than %d characters", QUOTE (&token),
        MAX_FOUNDATION_CHARS);
  for (i = 0; i < token.len; i++) {
    if (!is_ice_char (token.start[i]))
      return set_candidate_error (error,
          "foundation '%.*s' has a character that is not an ice-char",
          QUOTE (&token));
  }
  memcpy (parsed.foundation, token.start, token.len);

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no component id");
  if (!token_to_uint (&token, MAX_COMPONENT_ID, &number) || number == 0)
    return set_candidate_error (error,
        "component id '%.*s' is not a number from 1 to %d", QUOTE (&token),
        MAX_COMPONENT_ID);
  parsed.component = number;

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no transport");
  if (token_is (&token, "udp"))
    parsed.protocol = GST_RTC_ICE_PROTOCOL_UDP;
  else if (token_is (&token, "tcp"))
    parsed.protocol = GST_RTC_ICE_PROTOCOL_TCP;
  else
    return set_candidate_error (error, "transport '%.*s' is not UDP or TCP",
        QUOTE (&token));

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no priority");
  if (!token_to_uint (&token, G_MAXUINT32, &number) || number == 0)
    return set_candidate_error (error,
        "priority '%.*s' is not a number from 1 to 4294967295",
        QUOTE (&token));
  parsed.priority = number;

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no connection address");
  if (token.len > MAX_ADDRESS_CHARS)
    return set_candidate_error (error,
        "connection address is longer than %d characters", MAX_ADDRESS_CHARS);
  if (!is_address_token (&token))
    return set_candidate_error (error,
        "connection address '%.*s' is not an IP address or host name",
        QUOTE (&token));
  memcpy (parsed.address, token.start, token.len);

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no port");
  if (!token_to_uint (&token, G_MAXUINT16, &number))
    return set_candidate_error (error,
        "port '%.*s' is not a number from 0 to 65535", QUOTE (&token));
  parsed.port = number;

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no 'typ' after the port");
  if (!token_is (&token, "typ"))
    return set_candidate_error (error, "expected 'typ' but found '%.*s'",
        QUOTE (&token));

  if (!next_token (&cursor, &token))
    return set_candidate_error (error, "no candidate type after 'typ'");
  if (!parse_candidate_type (&token, &parsed.type))
    return set_candidate_error (error,
        "candidate type '%.*s' is not host, srflx, prflx or relay",
        QUOTE (&token));

  while (next_token (&cursor, &token)) {
    if (!next_token (&cursor, &value))
      return set_candidate_error (error,
          "extension attribute '%.*s' has no value", QUOTE (&token));

    if (token_is (&token, "raddr")) {
      if (!is_address_token (&value))
        return set_candidate_error (error,
            "related address '%.*s' is not an IP address or host name of at "
            "most %d characters", QUOTE (&value), MAX_ADDRESS_CHARS);
      memset (parsed.related_address, 0, sizeof (parsed.related_address));
      memcpy (parsed.related_address, value.start, value.len);
    } else if (token_is (&token, "rport")) {
      if (!token_to_uint (&value, G_MAXUINT16, &number))
        return set_candidate_error (error,
            "related port '%.*s' is not a number from 0 to 65535",
            QUOTE (&value));
      parsed.related_port = number;
    } else if (token_is (&token, "tcptype")) {
      if (!parse_tcp_type (&value, &parsed.tcp_type))
        return set_candidate_error (error,
            "tcptype '%.*s' is not active, passive or so", QUOTE (&value));
    }
    /* generation, ufrag, network-id, network-cost, ...: nothing we use */
  }

  if (parsed.protocol == GST_RTC_ICE_PROTOCOL_TCP
      && parsed.tcp_type == GST_RTC_ICE_TCP_TYPE_NONE)
    return set_candidate_error (error, "TCP candidate without a tcptype");
  if (parsed.protocol == GST_RTC_ICE_PROTOCOL_UDP
      && parsed.tcp_type != GST_RTC_ICE_TCP_TYPE_NONE)
    return set_candidate_error (error, "tcptype on a UDP candidate");
  if (parsed.port == 0 && parsed.tcp_type != GST_RTC_ICE_TCP_TYPE_ACTIVE)
    return set_candidate_error (error,
        "port 0 is only allowed on an active TCP candidate");

  *info = parsed;
  return TRUE;
}

/**
 * gst_rtc_ice_candidate_to_string:
 * @info: the fields of a candidate
 *
 * Writes @info as a candidate attribute value, `candidate:...` without the
 * `a=`, as the `candidate` member of a W3C RTCIceCandidate. The transport is
 * written in lower case; extension attributes other than `raddr`, `rport`
 * and `tcptype` are not kept by gst_rtc_ice_candidate_parse() and so are not
 * written.
 *
 * Returns: (transfer full) (nullable): the candidate string, or %NULL when
 *   @info has an unknown candidate type
 */
gchar *
gst_rtc_ice_candidate_to_string (const GstRtcIceCandidateInfo * info)
{
  const gchar *type;
  const gchar *tcp_type;
  GString *out;

  g_return_val_if_fail (info != NULL, NULL);
  type = gst_rtc_ice_candidate_type_to_string (info->type);
  g_return_val_if_fail (type != NULL, NULL);

  out = g_string_new ("candidate:");
  /* strnlen: @info may come from a caller that filled every byte. */
  g_string_append_printf (out, "%.*s %u %s %u %.*s %u typ %s",
      (int) strnlen (info->foundation, MAX_FOUNDATION_CHARS), info->foundation,
      info->component,
      info->protocol == GST_RTC_ICE_PROTOCOL_TCP ? "tcp" : "udp",
      info->priority,
      (int) strnlen (info->address, MAX_ADDRESS_CHARS), info->address,
      info->port, type);
  if (info->related_address[0] != '\0')
    g_string_append_printf (out, " raddr %.*s rport %u",
        (int) strnlen (info->related_address, MAX_ADDRESS_CHARS),
        info->related_address, info->related_port);
  else if (info->related_port != 0)
    g_string_append_printf (out, " rport %u", info->related_port);
  tcp_type = tcp_type_to_string (info->tcp_type);
  if (info->protocol == GST_RTC_ICE_PROTOCOL_TCP && tcp_type != NULL)
    g_string_append_printf (out, " tcptype %s", tcp_type);

  return g_string_free (out, FALSE);
}

/**
 * gst_rtc_ice_candidate_type_to_string:
 * @type: a candidate type
 *
 * Names a candidate type.
 *
 * Returns: (transfer none) (nullable): "host", "srflx", "prflx" or "relay",
 *   as in the `typ` of a candidate attribute; %NULL for an unknown value
 */
const gchar *
gst_rtc_ice_candidate_type_to_string (GstRtcIceCandidateType type)
{
  switch (type) {
    case GST_RTC_ICE_CANDIDATE_TYPE_HOST:
      return "host";
    case GST_RTC_ICE_CANDIDATE_TYPE_SRFLX:
      return "srflx";
    case GST_RTC_ICE_CANDIDATE_TYPE_PRFLX:
      return "prflx";
    case GST_RTC_ICE_CANDIDATE_TYPE_RELAY:
      return "relay";
    default:
      return NULL;
  }
}

/* ------------------------------------------------------------------------ */
/* Server URIs                                                              */
/* ------------------------------------------------------------------------ */

#define DEFAULT_STUN_PORT 3478
#define DEFAULT_TURNS_PORT 5349

static gboolean
scheme_is (const gchar * uri, gsize scheme_len, const gchar * scheme)
{
  return strlen (scheme) == scheme_len
      && g_ascii_strncasecmp (uri, scheme, scheme_len) == 0;
}

static gboolean
is_known_scheme (const gchar * uri, gsize scheme_len)
{
  return scheme_is (uri, scheme_len, "stun")
      || scheme_is (uri, scheme_len, "stuns")
      || scheme_is (uri, scheme_len, "turn")
      || scheme_is (uri, scheme_len, "turns");
}

/* The URI as error messages and logs may show it: the password, between the
 * first ':' of the userinfo and the last '@', becomes "***". When the scheme
 * is not ours we cannot tell where the userinfo starts, so all of it goes. */
static gchar *
redact_server_uri (const gchar * uri)
{
  const gchar *at = strrchr (uri, '@');
  const gchar *colon = strchr (uri, ':');
  const gchar *userinfo;
  const gchar *password;

  if (at == NULL)
    return g_strdup (uri);
  if (colon == NULL || colon > at || !is_known_scheme (uri, colon - uri))
    return g_strdup_printf ("***%s", at);

  userinfo = colon + 1;
  if (g_str_has_prefix (userinfo, "//"))
    userinfo += 2;
  if (userinfo > at)
    return g_strdup_printf ("***%s", at);
  password = memchr (userinfo, ':', at - userinfo);
  if (password == NULL)
    return g_strdup (uri);
  return g_strdup_printf ("%.*s:***%s", (int) (password - uri), uri, at);
}

static gboolean set_server_error (GError ** error, gint code,
    const gchar * shown_uri, const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
set_server_error (GError ** error, gint code, const gchar * shown_uri,
    const gchar * format, ...)
{
  gchar *detail;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GST_RTC_ERROR, code, "ICE server URI '%s': %s",
      shown_uri, detail);
  g_free (detail);
  return FALSE;
}

static gboolean
is_host_name (const gchar * start, gsize len)
{
  gsize i;

  if (len == 0 || len > 253)
    return FALSE;
  for (i = 0; i < len; i++) {
    gchar c = start[i];

    if (!g_ascii_isalnum (c) && c != '.' && c != '-' && c != '_')
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_server_query (GstRtcIceServer * server, const gchar * query,
    const gchar * shown, GError ** error)
{
  gchar **params = g_strsplit (query, "&", -1);
  gboolean ok = TRUE;
  guint i;

  for (i = 0; ok && params[i] != NULL; i++) {
    const gchar *param = params[i];
    const gchar *equals = strchr (param, '=');

    if (*param == '\0')
      continue;
    if (equals == NULL || (gsize) (equals - param) != strlen ("transport")
        || g_ascii_strncasecmp (param, "transport", equals - param) != 0) {
      ok = set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "unknown parameter '%.*s' (only 'transport' is defined)",
          (int) MIN (strlen (param), MAX_QUOTED_CHARS), param);
    } else if (g_ascii_strcasecmp (equals + 1, "udp") == 0) {
      server->protocol = GST_RTC_ICE_PROTOCOL_UDP;
    } else if (g_ascii_strcasecmp (equals + 1, "tcp") == 0) {
      server->protocol = GST_RTC_ICE_PROTOCOL_TCP;
    } else {
      ok = set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "bad transport '%.*s' (must be udp or tcp)",
          (int) MIN (strlen (equals + 1), MAX_QUOTED_CHARS), equals + 1);
    }
  }
  g_strfreev (params);
  return ok;
}

static gboolean
parse_server_userinfo (GstRtcIceServer * server, const gchar * start,
    const gchar * end, const gchar * shown, GError ** error)
{
  const gchar *colon = memchr (start, ':', end - start);
  const gchar *user_end = colon ? colon : end;

  server->username = g_uri_unescape_segment (start, user_end, NULL);
  if (server->username == NULL)
    return set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
        "bad percent-encoding in the user name");
  if (server->username[0] == '\0')
    return set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
        "empty user name before '@'");
  if (colon != NULL) {
    server->password = g_uri_unescape_segment (colon + 1, end, NULL);
    /* Do not say what is wrong in it: that would tell part of it. */
    if (server->password == NULL)
      return set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "bad percent-encoding in the password");
  }
  return TRUE;
}

/**
 * gst_rtc_ice_server_parse: (skip)
 * @uri: a STUN or TURN server URI
 * @error: return location for a #GError (what is wrong with @uri), or %NULL
 *
 * Parses `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]` and
 * `turns:...` (RFC 7064, RFC 7065), also written with `//` after the scheme,
 * and with an optional `user:password@` before the host of a TURN URI, as
 * many applications write them; user name and password are
 * percent-decoded. An IPv6 literal goes in brackets. The port defaults to
 * 3478, or 5349 for `turns:`; the transport to UDP, or TCP for `turns:`.
 *
 * Error messages name @uri with its password replaced by `***`.
 *
 * Returns: (transfer full) (nullable): the server, free it with
 *   gst_rtc_ice_server_free(); %NULL with @error set when @uri is malformed
 *   (%GST_RTC_ERROR_TYPE_ERROR) or asks for STUN over TLS
 *   (%GST_RTC_ERROR_NOT_SUPPORTED)
 */
GstRtcIceServer *
gst_rtc_ice_server_parse (const gchar * uri, GError ** error)
{
  GstRtcIceServer *server;
  gchar *shown;
  const gchar *colon, *rest, *at, *hostport, *hostport_end, *query;
  const gchar *host, *host_end, *port = NULL;
  gsize scheme_len;
  gboolean ok = FALSE;

  g_return_val_if_fail (uri != NULL, NULL);

  shown = redact_server_uri (uri);
  server = g_new0 (GstRtcIceServer, 1);

  colon = strchr (uri, ':');
  if (colon == NULL || colon == uri) {
    set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
        "no scheme (expected stun:, turn: or turns:)");
    goto done;
  }
  scheme_len = colon - uri;
  if (scheme_is (uri, scheme_len, "stun")) {
    server->is_turn = FALSE;
  } else if (scheme_is (uri, scheme_len, "turn")) {
    server->is_turn = TRUE;
  } else if (scheme_is (uri, scheme_len, "turns")) {
    server->is_turn = TRUE;
    server->is_tls = TRUE;
  } else if (scheme_is (uri, scheme_len, "stuns")) {
    set_server_error (error, GST_RTC_ERROR_NOT_SUPPORTED, shown,
        "STUN over TLS (stuns:) is not supported");
    goto done;
  } else {
    /* The scheme may be part of a userinfo when the scheme is missing, so
     * it is not quoted. */
    set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
        "unknown scheme (expected stun:, turn: or turns:)");
    goto done;
  }
  server->protocol = server->is_tls ? GST_RTC_ICE_PROTOCOL_TCP :
      GST_RTC_ICE_PROTOCOL_UDP;
  server->port = server->is_tls ? DEFAULT_TURNS_PORT : DEFAULT_STUN_PORT;

  rest = colon + 1;
  if (g_str_has_prefix (rest, "//"))
    rest += 2;

  /* The last '@': a password may hold an unescaped '@', a host never. */
  at = strrchr (rest, '@');
  hostport = at ? at + 1 : rest;
  query = strchr (hostport, '?');
  hostport_end = query ? query : hostport + strlen (hostport);

  if (at != NULL && !server->is_turn) {
    set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
        "a STUN URI takes no user name or password");
    goto done;
  }

  if (hostport == hostport_end) {
    set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown, "no host");
    goto done;
  }

  if (*hostport == '[') {
    const gchar *bracket = memchr (hostport, ']', hostport_end - hostport);
    gchar *literal;
    gboolean is_ipv6;

    if (bracket == NULL) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "no ']' after the IPv6 literal");
      goto done;
    }
    host = hostport + 1;
    host_end = bracket;
    literal = g_strndup (host, host_end - host);
    is_ipv6 = strchr (literal, ':') != NULL && g_hostname_is_ip_address
        (literal);
    g_free (literal);
    if (host == host_end) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown, "no host");
      goto done;
    }
    if (!is_ipv6) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "'%.*s' in brackets is not an IPv6 address",
          (int) MIN (host_end - host, MAX_QUOTED_CHARS), host);
      goto done;
    }
    if (bracket + 1 < hostport_end) {
      if (bracket[1] != ':') {
        set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
            "unexpected characters after the IPv6 literal");
        goto done;
      }
      port = bracket + 2;
    }
  } else {
    const gchar *port_colon = memchr (hostport, ':', hostport_end - hostport);

    host = hostport;
    host_end = port_colon ? port_colon : hostport_end;
    if (port_colon != NULL) {
      port = port_colon + 1;
      if (memchr (port, ':', hostport_end - port) != NULL) {
        set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
            "an IPv6 address must be written in brackets");
        goto done;
      }
    }
    if (host == host_end) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown, "no host");
      goto done;
    }
    if (!is_host_name (host, host_end - host)) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "bad host '%.*s'", (int) MIN (host_end - host, MAX_QUOTED_CHARS),
          host);
      goto done;
    }
  }
  server->host = g_strndup (host, host_end - host);

  if (port != NULL) {
    Token token = { port, hostport_end - port };
    guint64 number;

    if (token.len == 0) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "no port after ':'");
      goto done;
    }
    if (!token_to_uint (&token, G_MAXUINT16, &number) || number == 0) {
      set_server_error (error, GST_RTC_ERROR_TYPE_ERROR, shown,
          "bad port '%.*s' (must be 1 to 65535)", QUOTE (&token));
      goto done;
    }
    server->port = number;
  }

  if (query != NULL && !parse_server_query (server, query + 1, shown, error))
    goto done;

  if (at != NULL && !parse_server_userinfo (server, rest, at, shown, error))
    goto done;

  ok = TRUE;

done:
  g_free (shown);
  if (!ok) {
    gst_rtc_ice_server_free (server);
    return NULL;
  }
  return server;
}

static void
free_secret (gchar * secret)
{
  if (secret != NULL) {
    memset (secret, 0, strlen (secret));
    g_free (secret);
  }
}

/**
 * gst_rtc_ice_server_free: (skip)
 * @server: (nullable) (transfer full): a server from gst_rtc_ice_server_parse()
 *
 * Frees @server, overwriting its password first.
 */
void
gst_rtc_ice_server_free (GstRtcIceServer * server)
{
  if (server == NULL)
    return;
  g_free (server->host);
  g_free (server->username);
  free_secret (server->password);
  g_free (server);
}

/* ------------------------------------------------------------------------ */
/* Shared helpers of the agent and the stream                               */
/* ------------------------------------------------------------------------ */

#define MAX_REMOTE_CANDIDATES 64
#define MIN_UFRAG_LEN 4
#define MIN_PWD_LEN 22
#define MAX_CREDENTIAL_LEN 256

/* Handed to libnice as user data of its signals. libnice may be emitting
 * one on the worker thread while the agent is being finalized on another:
 * the handler then finds the weak reference empty instead of a freed agent.
 * Each signal connection holds a reference. */
typedef struct
{
  gint refcount;
  GWeakRef agent;
} AgentLink;

static AgentLink *
agent_link_ref (AgentLink * link)
{
  g_atomic_int_inc (&link->refcount);
  return link;
}

static void
agent_link_unref (AgentLink * link)
{
  if (g_atomic_int_dec_and_test (&link->refcount)) {
    g_weak_ref_clear (&link->agent);
    g_free (link);
  }
}

static void
agent_link_closure_notify (gpointer data, GClosure * closure)
{
  agent_link_unref (data);
}

static GWeakRef *
weak_ref_box_new (gpointer object)
{
  GWeakRef *ref = g_new (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

static void
weak_ref_box_free (gpointer data)
{
  GWeakRef *ref = data;

  g_weak_ref_clear (ref);
  g_free (ref);
}

static GstRtcIceCandidateType
candidate_type_from_nice (NiceCandidateType type)
{
  switch (type) {
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
      return GST_RTC_ICE_CANDIDATE_TYPE_SRFLX;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
      return GST_RTC_ICE_CANDIDATE_TYPE_PRFLX;
    case NICE_CANDIDATE_TYPE_RELAYED:
      return GST_RTC_ICE_CANDIDATE_TYPE_RELAY;
    case NICE_CANDIDATE_TYPE_HOST:
    default:
      return GST_RTC_ICE_CANDIDATE_TYPE_HOST;
  }
}

static NiceCandidateType
candidate_type_to_nice (GstRtcIceCandidateType type)
{
  switch (type) {
    case GST_RTC_ICE_CANDIDATE_TYPE_SRFLX:
      return NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
    case GST_RTC_ICE_CANDIDATE_TYPE_PRFLX:
      return NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
    case GST_RTC_ICE_CANDIDATE_TYPE_RELAY:
      return NICE_CANDIDATE_TYPE_RELAYED;
    case GST_RTC_ICE_CANDIDATE_TYPE_HOST:
    default:
      return NICE_CANDIDATE_TYPE_HOST;
  }
}

static gchar *
candidate_string_from_nice (const NiceCandidate * candidate,
    GstRtcIceCandidateType * type)
{
  GstRtcIceCandidateInfo info;
  gchar address[NICE_ADDRESS_STRING_LEN];

  memset (&info, 0, sizeof (info));
  g_strlcpy (info.foundation, candidate->foundation, sizeof (info.foundation));
  info.component = candidate->component_id;
  info.priority = candidate->priority;
  info.type = candidate_type_from_nice (candidate->type);
  switch (candidate->transport) {
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      info.protocol = GST_RTC_ICE_PROTOCOL_TCP;
      info.tcp_type = GST_RTC_ICE_TCP_TYPE_ACTIVE;
      break;
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      info.protocol = GST_RTC_ICE_PROTOCOL_TCP;
      info.tcp_type = GST_RTC_ICE_TCP_TYPE_PASSIVE;
      break;
    case NICE_CANDIDATE_TRANSPORT_TCP_SO:
      info.protocol = GST_RTC_ICE_PROTOCOL_TCP;
      info.tcp_type = GST_RTC_ICE_TCP_TYPE_SO;
      break;
    case NICE_CANDIDATE_TRANSPORT_UDP:
    default:
      info.protocol = GST_RTC_ICE_PROTOCOL_UDP;
      break;
  }
  nice_address_to_string (&candidate->addr, address);
  g_strlcpy (info.address, address, sizeof (info.address));
  info.port = nice_address_get_port (&candidate->addr);
  if (info.tcp_type == GST_RTC_ICE_TCP_TYPE_ACTIVE && info.port == 0)
    info.port = TCP_ACTIVE_DISCARD_PORT;
  if (info.type != GST_RTC_ICE_CANDIDATE_TYPE_HOST
      && nice_address_is_valid (&candidate->base_addr)) {
    nice_address_to_string (&candidate->base_addr, address);
    g_strlcpy (info.related_address, address, sizeof (info.related_address));
    info.related_port = nice_address_get_port (&candidate->base_addr);
  }
  if (type != NULL)
    *type = info.type;
  return gst_rtc_ice_candidate_to_string (&info);
}

static gboolean
is_mdns_name (const gchar * address)
{
  gsize len = strlen (address);

  return len > 6 && g_ascii_strcasecmp (address + len - 6, ".local") == 0;
}

/* Only IP literals: libnice resolves nothing, and mDNS is not done yet. */
static NiceCandidate *
candidate_to_nice (const GstRtcIceCandidateInfo * info, guint stream_id,
    GError ** error)
{
  NiceCandidate *candidate;

  if (is_mdns_name (info->address)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "ICE candidate address '%s' is an mDNS name: resolving mDNS "
        "candidates is not supported yet", info->address);
    return NULL;
  }

  candidate = nice_candidate_new (candidate_type_to_nice (info->type));
  if (!nice_address_set_from_string (&candidate->addr, info->address)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "ICE candidate address '%s' is not an IP address: host names in "
        "candidates are not supported", info->address);
    nice_candidate_free (candidate);
    return NULL;
  }
  nice_address_set_port (&candidate->addr, info->port);
  if (info->related_address[0] != '\0'
      && nice_address_set_from_string (&candidate->base_addr,
          info->related_address))
    nice_address_set_port (&candidate->base_addr, info->related_port);

  switch (info->tcp_type) {
    case GST_RTC_ICE_TCP_TYPE_ACTIVE:
      candidate->transport = NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE;
      break;
    case GST_RTC_ICE_TCP_TYPE_PASSIVE:
      candidate->transport = NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE;
      break;
    case GST_RTC_ICE_TCP_TYPE_SO:
      candidate->transport = NICE_CANDIDATE_TRANSPORT_TCP_SO;
      break;
    case GST_RTC_ICE_TCP_TYPE_NONE:
    default:
      candidate->transport = NICE_CANDIDATE_TRANSPORT_UDP;
      break;
  }
  candidate->priority = info->priority;
  candidate->stream_id = stream_id;
  candidate->component_id = info->component;
  g_strlcpy (candidate->foundation, info->foundation,
      sizeof (candidate->foundation));
  return candidate;
}

static gboolean
is_valid_credential (const gchar * value, gsize min_len)
{
  gsize len = strlen (value);
  gsize i;

  if (len < min_len || len > MAX_CREDENTIAL_LEN)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (!is_ice_char (value[i]))
      return FALSE;
  }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* GstRtcIceAgent                                                           */
/* ------------------------------------------------------------------------ */

#define DEFAULT_CONTROLLING TRUE
#define DEFAULT_ICE_TRANSPORT_POLICY GST_RTC_ICE_TRANSPORT_POLICY_ALL
#define DEFAULT_STUN_SERVER NULL
#define DEFAULT_ICE_TCP FALSE
#define DEFAULT_ICE_UDP TRUE
#define DEFAULT_PORT_MIN 0
#define DEFAULT_PORT_MAX 0
#define DEFAULT_ANNOUNCED_ADDRESS NULL
#define DEFAULT_CONSENT_FRESHNESS FALSE
#define DEFAULT_ICE_TIMEOUT 20
#define DEFAULT_LIVENESS_TIMEOUT 30

enum
{
  AGENT_PROP_0,
  AGENT_PROP_CONTEXT,
  AGENT_PROP_CONTROLLING,
  AGENT_PROP_ICE_TRANSPORT_POLICY,
  AGENT_PROP_STUN_SERVER,
  AGENT_PROP_ICE_TCP,
  AGENT_PROP_ICE_UDP,
  AGENT_PROP_PORT_MIN,
  AGENT_PROP_PORT_MAX,
  AGENT_PROP_ANNOUNCED_ADDRESS,
  AGENT_PROP_CONSENT_FRESHNESS,
  AGENT_PROP_ICE_TIMEOUT,
  AGENT_PROP_LIVENESS_TIMEOUT,
  AGENT_PROP_NICE_AGENT,
  AGENT_N_PROPERTIES
};

static GParamSpec *agent_properties[AGENT_N_PROPERTIES];

/* A TURN server as libnice wants it: an IP address, resolved once. */
typedef struct
{
  gchar *ip;
  guint port;
  gchar *username;
  gchar *password;
  NiceRelayType type;
} TurnServer;

struct _GstRtcIceAgent
{
  GstObject parent;

  /* Set at construction, then immutable. */
  GMainContext *context;
  gboolean context_from_pool;
  gboolean consent_freshness;
  NiceAgent *nice;
  AgentLink *link;

  /* Guarded by the object lock. */
  gboolean controlling;
  GstRtcIceTransportPolicy policy;
  gchar *stun_server;
  gboolean ice_tcp;
  gboolean ice_udp;
  guint port_min;
  guint port_max;
  gchar *announced_address;
  guint ice_timeout;
  guint liveness_timeout;
  GPtrArray *turn_servers;
  /* libnice stream id -> GWeakRef to the GstRtcIceStream */
  GHashTable *streams;
};

/**
 * GstRtcIceAgent:
 *
 * One libnice agent on a worker's main context, with the STUN and TURN
 * servers and the transport policy of a peer connection; it makes the
 * #GstRtcIceStream objects of its transports.
 */
G_DEFINE_TYPE_WITH_CODE (GstRtcIceAgent, gst_rtc_ice_agent, GST_TYPE_OBJECT,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_ice_agent_debug, "rtciceagent", 0,
        "gst-rtc ICE agent"));

static void stream_on_local_candidate (GstRtcIceStream * stream,
    const NiceCandidate * candidate);
static void stream_on_gathering_done (GstRtcIceStream * stream);
static void stream_on_component_state (GstRtcIceStream * stream,
    NiceComponentState state);
static void stream_on_selected_pair (GstRtcIceStream * stream,
    const NiceCandidate * local, const NiceCandidate * remote);

static void
turn_server_free (gpointer data)
{
  TurnServer *server = data;

  g_free (server->ip);
  g_free (server->username);
  free_secret (server->password);
  g_free (server);
}

static GstRtcIceStream *
agent_link_get_stream (AgentLink * link, guint stream_id)
{
  GstRtcIceAgent *agent = g_weak_ref_get (&link->agent);
  GstRtcIceStream *stream = NULL;
  GWeakRef *ref;

  if (agent == NULL)
    return NULL;
  GST_OBJECT_LOCK (agent);
  ref = g_hash_table_lookup (agent->streams, GUINT_TO_POINTER (stream_id));
  if (ref != NULL)
    stream = g_weak_ref_get (ref);
  GST_OBJECT_UNLOCK (agent);
  gst_object_unref (agent);
  return stream;
}

static void
on_nice_new_candidate (NiceAgent * nice, NiceCandidate * candidate,
    gpointer user_data)
{
  GstRtcIceStream *stream = agent_link_get_stream (user_data,
      candidate->stream_id);

  if (stream == NULL)
    return;
  stream_on_local_candidate (stream, candidate);
  gst_object_unref (stream);
}

static void
on_nice_gathering_done (NiceAgent * nice, guint stream_id, gpointer user_data)
{
  GstRtcIceStream *stream = agent_link_get_stream (user_data, stream_id);

  if (stream == NULL)
    return;
  stream_on_gathering_done (stream);
  gst_object_unref (stream);
}

static void
on_nice_component_state_changed (NiceAgent * nice, guint stream_id,
    guint component_id, guint state, gpointer user_data)
{
  GstRtcIceStream *stream = agent_link_get_stream (user_data, stream_id);

  if (stream == NULL)
    return;
  stream_on_component_state (stream, state);
  gst_object_unref (stream);
}

static void
on_nice_new_selected_pair (NiceAgent * nice, guint stream_id,
    guint component_id, NiceCandidate * local, NiceCandidate * remote,
    gpointer user_data)
{
  GstRtcIceStream *stream = agent_link_get_stream (user_data, stream_id);

  if (stream == NULL)
    return;
  stream_on_selected_pair (stream, local, remote);
  gst_object_unref (stream);
}

static void
agent_connect_nice_signal (GstRtcIceAgent * agent, const gchar * name,
    GCallback callback)
{
  g_signal_connect_data (agent->nice, name, callback,
      agent_link_ref (agent->link), agent_link_closure_notify, 0);
}

static gboolean
nice_has_property (NiceAgent * nice, const gchar * name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (nice),
      name) != NULL;
}

static void
agent_apply_policy (GstRtcIceAgent * agent, GstRtcIceTransportPolicy policy)
{
  /* libnice 0.1.21 has no relay-only gathering, but force-relay keeps it
   * from signalling or pairing anything but relay candidates. */
  if (nice_has_property (agent->nice, "force-relay"))
    g_object_set (agent->nice, "force-relay",
        policy == GST_RTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  else if (policy == GST_RTC_ICE_TRANSPORT_POLICY_RELAY)
    GST_WARNING_OBJECT (agent, "this libnice has no force-relay: host and "
        "server-reflexive pairs may still be used, only their signalling "
        "is suppressed");
}

static void
gst_rtc_ice_agent_constructed (GObject * object)
{
  GstRtcIceAgent *agent = GST_RTC_ICE_AGENT (object);
  NiceAgentOption options = NICE_AGENT_OPTION_ICE_TRICKLE;

  G_OBJECT_CLASS (gst_rtc_ice_agent_parent_class)->constructed (object);

  /* for agents made with g_object_new() */
  gst_rtc_init ();

  if (agent->context == NULL) {
    agent->context = gst_rtc_worker_pool_acquire_context ();
    agent->context_from_pool = TRUE;
  }
  if (agent->consent_freshness)
    options |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;

  agent->nice = nice_agent_new_full (agent->context,
      NICE_COMPATIBILITY_RFC5245, options);
  /* UPnP multicasts SSDP on every interface and delays gathering. */
  if (nice_has_property (agent->nice, "upnp"))
    g_object_set (agent->nice, "upnp", FALSE, NULL);
  g_object_set (agent->nice, "controlling-mode", agent->controlling,
      "ice-tcp", agent->ice_tcp, "ice-udp", agent->ice_udp, NULL);
  agent_apply_policy (agent, agent->policy);

  agent->link = g_new0 (AgentLink, 1);
  agent->link->refcount = 1;
  g_weak_ref_init (&agent->link->agent, agent);
  agent_connect_nice_signal (agent, "new-candidate-full",
      G_CALLBACK (on_nice_new_candidate));
  agent_connect_nice_signal (agent, "candidate-gathering-done",
      G_CALLBACK (on_nice_gathering_done));
  agent_connect_nice_signal (agent, "component-state-changed",
      G_CALLBACK (on_nice_component_state_changed));
  agent_connect_nice_signal (agent, "new-selected-pair-full",
      G_CALLBACK (on_nice_new_selected_pair));

  GST_DEBUG_OBJECT (agent, "created NiceAgent %p%s", agent->nice,
      agent->consent_freshness ? " with consent freshness" : "");
}

static void
on_nice_closed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GST_DEBUG ("NiceAgent %p released what it held on servers", source);
}

/* On the worker thread. The GTask of nice_agent_close_async() completes
 * in the thread-default context and keeps the NiceAgent alive until then. */
static gboolean
close_nice_agent (gpointer user_data)
{
  GMainContext *context = g_source_get_context (g_main_current_source ());

  g_main_context_push_thread_default (context);
  nice_agent_close_async (user_data, on_nice_closed, NULL);
  g_main_context_pop_thread_default (context);
  return G_SOURCE_REMOVE;
}

static void
gst_rtc_ice_agent_finalize (GObject * object)
{
  GstRtcIceAgent *agent = GST_RTC_ICE_AGENT (object);

  if (agent->nice != NULL) {
    GSource *source;

    g_signal_handlers_disconnect_matched (agent->nice, G_SIGNAL_MATCH_DATA,
        0, 0, NULL, NULL, agent->link);
    /* Deallocates TURN relays (and waits for the server's answer) rather
     * than leaving them to expire on the server. */
    source = g_idle_source_new ();
    g_source_set_name (source, "GstRtcIceAgent close");
    g_source_set_callback (source, close_nice_agent, agent->nice,
        g_object_unref);
    g_source_attach (source, agent->context);
    g_source_unref (source);
  }
  if (agent->link != NULL)
    agent_link_unref (agent->link);
  g_ptr_array_unref (agent->turn_servers);
  g_hash_table_unref (agent->streams);
  g_free (agent->stun_server);
  g_free (agent->announced_address);
  if (agent->context != NULL) {
    if (agent->context_from_pool)
      gst_rtc_worker_pool_release_context (agent->context);
    else
      g_main_context_unref (agent->context);
  }

  G_OBJECT_CLASS (gst_rtc_ice_agent_parent_class)->finalize (object);
}

static void
gst_rtc_ice_agent_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcIceAgent *agent = GST_RTC_ICE_AGENT (object);

  switch (prop_id) {
    case AGENT_PROP_CONTEXT:
      /* construct-only, before constructed() made the NiceAgent */
      agent->context = g_value_dup_boxed (value);
      break;
    case AGENT_PROP_CONSENT_FRESHNESS:
      agent->consent_freshness = g_value_get_boolean (value);
      break;
    case AGENT_PROP_CONTROLLING:
      GST_OBJECT_LOCK (agent);
      agent->controlling = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (agent);
      if (agent->nice != NULL)
        g_object_set (agent->nice, "controlling-mode",
            g_value_get_boolean (value), NULL);
      break;
    case AGENT_PROP_ICE_TRANSPORT_POLICY:
      GST_OBJECT_LOCK (agent);
      agent->policy = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (agent);
      if (agent->nice != NULL)
        agent_apply_policy (agent, g_value_get_enum (value));
      break;
    case AGENT_PROP_STUN_SERVER:{
      GError *error = NULL;

      if (!gst_rtc_ice_agent_set_stun_server (agent, g_value_get_string (value),
              &error)) {
        g_warning ("Ignoring the stun-server property: %s", error->message);
        g_clear_error (&error);
      }
      break;
    }
    case AGENT_PROP_ICE_TCP:
      GST_OBJECT_LOCK (agent);
      agent->ice_tcp = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (agent);
      if (agent->nice != NULL)
        g_object_set (agent->nice, "ice-tcp", g_value_get_boolean (value),
            NULL);
      break;
    case AGENT_PROP_ICE_UDP:
      GST_OBJECT_LOCK (agent);
      agent->ice_udp = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (agent);
      if (agent->nice != NULL)
        g_object_set (agent->nice, "ice-udp", g_value_get_boolean (value),
            NULL);
      break;
    case AGENT_PROP_PORT_MIN:
      GST_OBJECT_LOCK (agent);
      agent->port_min = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_PORT_MAX:
      GST_OBJECT_LOCK (agent);
      agent->port_max = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_ANNOUNCED_ADDRESS:{
      const gchar *address = g_value_get_string (value);
      gchar *copy = NULL;

      if (address != NULL && *address != '\0') {
        if (g_hostname_is_ip_address (address))
          copy = g_strdup (address);
        else
          GST_WARNING_OBJECT (agent, "announced address '%s' is not an IP "
              "address: ignored", address);
      }
      GST_OBJECT_LOCK (agent);
      g_free (agent->announced_address);
      agent->announced_address = copy;
      GST_OBJECT_UNLOCK (agent);
      break;
    }
    case AGENT_PROP_ICE_TIMEOUT:
      GST_OBJECT_LOCK (agent);
      agent->ice_timeout = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_LIVENESS_TIMEOUT:
      GST_OBJECT_LOCK (agent);
      agent->liveness_timeout = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_ice_agent_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcIceAgent *agent = GST_RTC_ICE_AGENT (object);

  switch (prop_id) {
    case AGENT_PROP_CONTEXT:
      g_value_set_boxed (value, agent->context);
      break;
    case AGENT_PROP_CONSENT_FRESHNESS:
      g_value_set_boolean (value, agent->consent_freshness);
      break;
    case AGENT_PROP_CONTROLLING:
      GST_OBJECT_LOCK (agent);
      g_value_set_boolean (value, agent->controlling);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_ICE_TRANSPORT_POLICY:
      GST_OBJECT_LOCK (agent);
      g_value_set_enum (value, agent->policy);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_STUN_SERVER:
      GST_OBJECT_LOCK (agent);
      g_value_set_string (value, agent->stun_server);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_ICE_TCP:
      GST_OBJECT_LOCK (agent);
      g_value_set_boolean (value, agent->ice_tcp);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_ICE_UDP:
      GST_OBJECT_LOCK (agent);
      g_value_set_boolean (value, agent->ice_udp);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_PORT_MIN:
      GST_OBJECT_LOCK (agent);
      g_value_set_uint (value, agent->port_min);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_PORT_MAX:
      GST_OBJECT_LOCK (agent);
      g_value_set_uint (value, agent->port_max);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_ANNOUNCED_ADDRESS:
      GST_OBJECT_LOCK (agent);
      g_value_set_string (value, agent->announced_address);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_ICE_TIMEOUT:
      GST_OBJECT_LOCK (agent);
      g_value_set_uint (value, agent->ice_timeout);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_LIVENESS_TIMEOUT:
      GST_OBJECT_LOCK (agent);
      g_value_set_uint (value, agent->liveness_timeout);
      GST_OBJECT_UNLOCK (agent);
      break;
    case AGENT_PROP_NICE_AGENT:
      g_value_set_object (value, agent->nice);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_ice_agent_class_init (GstRtcIceAgentClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->constructed = gst_rtc_ice_agent_constructed;
  gobject_class->finalize = gst_rtc_ice_agent_finalize;
  gobject_class->set_property = gst_rtc_ice_agent_set_property;
  gobject_class->get_property = gst_rtc_ice_agent_get_property;

  /**
   * GstRtcIceAgent:context:
   *
   * The #GMainContext that runs the NiceAgent, its sockets and timers, and
   * on whose thread the streams emit their signals. %NULL takes one from
   * the worker pool.
   */
  agent_properties[AGENT_PROP_CONTEXT] =
      g_param_spec_boxed ("context", "Context",
      "The main context that runs the agent (NULL: one from the worker pool)",
      G_TYPE_MAIN_CONTEXT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:controlling:
   *
   * Whether the agent takes the controlling role (the offerer's, for a
   * full ICE agent). When both peers claim the same role, libnice resolves
   * the conflict with the tie-breakers of RFC 8445 section 7.3.1.1 and may
   * switch roles internally. libnice 0.1.21 does not tell which role it
   * ended in: reading the property gives the role that was asked for.
   */
  agent_properties[AGENT_PROP_CONTROLLING] =
      g_param_spec_boolean ("controlling", "Controlling",
      "Whether the agent is in the controlling role", DEFAULT_CONTROLLING,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:ice-transport-policy:
   *
   * With %GST_RTC_ICE_TRANSPORT_POLICY_RELAY, only relay candidates are
   * signalled and only pairs with a local relay candidate are checked and
   * used (libnice's force-relay). Gathering then produces nothing without
   * a TURN server.
   */
  agent_properties[AGENT_PROP_ICE_TRANSPORT_POLICY] =
      g_param_spec_enum ("ice-transport-policy", "ICE transport policy",
      "Which local candidates may be used", GST_RTC_TYPE_ICE_TRANSPORT_POLICY,
      DEFAULT_ICE_TRANSPORT_POLICY,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:stun-server:
   *
   * The STUN server, as a `stun:host:port` URI, used by streams that gather
   * after it is set. There is none by default. A URI that does not parse or
   * resolve is ignored with a warning; use
   * gst_rtc_ice_agent_set_stun_server() to get the error instead.
   */
  agent_properties[AGENT_PROP_STUN_SERVER] =
      g_param_spec_string ("stun-server", "STUN server",
      "The STUN server URI (stun:host:port)", DEFAULT_STUN_SERVER,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:ice-tcp:
   *
   * Whether to gather and use TCP candidates (RFC 6544).
   */
  agent_properties[AGENT_PROP_ICE_TCP] =
      g_param_spec_boolean ("ice-tcp", "ICE-TCP",
      "Whether to use TCP candidates", DEFAULT_ICE_TCP,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:ice-udp:
   *
   * Whether to gather and use UDP candidates.
   */
  agent_properties[AGENT_PROP_ICE_UDP] =
      g_param_spec_boolean ("ice-udp", "ICE-UDP",
      "Whether to use UDP candidates", DEFAULT_ICE_UDP,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:port-min:
   *
   * The lowest local port of host candidates, 0 for any. Applies to
   * streams that gather after it is set.
   */
  agent_properties[AGENT_PROP_PORT_MIN] =
      g_param_spec_uint ("port-min", "Minimum port",
      "Lowest local port for host candidates (0 = any)", 0, G_MAXUINT16,
      DEFAULT_PORT_MIN, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:port-max:
   *
   * The highest local port of host candidates, 0 for any. Applies to
   * streams that gather after it is set.
   */
  agent_properties[AGENT_PROP_PORT_MAX] =
      g_param_spec_uint ("port-max", "Maximum port",
      "Highest local port for host candidates (0 = any)", 0, G_MAXUINT16,
      DEFAULT_PORT_MAX, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:announced-address:
   *
   * The public address of a host behind a 1:1 NAT (a cloud instance with
   * an elastic IP, a server behind a port-preserving forward), or %NULL.
   * For each UDP host candidate of the same address family, the agent
   * also signals a server-reflexive candidate with this address, the same
   * port, and the host candidate as its related address; what arrives at
   * it reaches the host candidate's socket through the NAT. No STUN
   * server is needed for that. Anything but an IP literal is ignored with
   * a warning. Applies to candidates gathered after it is set.
   */
  agent_properties[AGENT_PROP_ANNOUNCED_ADDRESS] =
      g_param_spec_string ("announced-address", "Announced address",
      "Public IP address of a 1:1 NAT in front of this host (NULL = none)",
      DEFAULT_ANNOUNCED_ADDRESS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:consent-freshness:
   *
   * Whether libnice runs RFC 7675 consent freshness. It is off by default:
   * libnice 0.1.21 gives up after 10 s without consent and fails on a single
   * lost response, which is harsher than lossy networks deserve; the
   * stream's #GstRtcIceAgent:liveness-timeout watches the peer instead.
   * It can only be set at construction, with g_object_new().
   */
  agent_properties[AGENT_PROP_CONSENT_FRESHNESS] =
      g_param_spec_boolean ("consent-freshness", "Consent freshness",
      "Whether libnice runs RFC 7675 consent freshness",
      DEFAULT_CONSENT_FRESHNESS,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:ice-timeout:
   *
   * Seconds after which a stream that has remote credentials or has
   * started connectivity checks, and has not connected, goes
   * %GST_RTC_ICE_STATE_FAILED. libnice alone never fails a component that
   * never received a remote candidate. 0 disables it. Read when a stream
   * gets its remote credentials or starts checking.
   */
  agent_properties[AGENT_PROP_ICE_TIMEOUT] =
      g_param_spec_uint ("ice-timeout", "ICE timeout",
      "Seconds for a stream to connect before it fails (0 = never)", 0,
      G_MAXUINT16, DEFAULT_ICE_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:liveness-timeout:
   *
   * Seconds after which a connected stream that received nothing alive
   * goes %GST_RTC_ICE_STATE_FAILED, 0 for never. What counts as alive is
   * set by #GstRtcIceStream:authenticated-liveness. STUN keepalives do not
   * count. Read when a stream connects.
   */
  agent_properties[AGENT_PROP_LIVENESS_TIMEOUT] =
      g_param_spec_uint ("liveness-timeout", "Liveness timeout",
      "Seconds of silence before a connected stream fails (0 = never)", 0,
      G_MAXUINT16, DEFAULT_LIVENESS_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceAgent:nice-agent:
   *
   * The NiceAgent, for tests and advanced use (such as
   * nice_agent_add_local_address() before a stream gathers). Changing its
   * properties behind the #GstRtcIceAgent's back is at your own risk.
   */
  agent_properties[AGENT_PROP_NICE_AGENT] =
      g_param_spec_object ("nice-agent", "NiceAgent", "The libnice agent",
      NICE_TYPE_AGENT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, AGENT_N_PROPERTIES,
      agent_properties);
}

static void
gst_rtc_ice_agent_init (GstRtcIceAgent * agent)
{
  agent->controlling = DEFAULT_CONTROLLING;
  agent->policy = DEFAULT_ICE_TRANSPORT_POLICY;
  agent->ice_tcp = DEFAULT_ICE_TCP;
  agent->ice_udp = DEFAULT_ICE_UDP;
  agent->port_min = DEFAULT_PORT_MIN;
  agent->port_max = DEFAULT_PORT_MAX;
  agent->consent_freshness = DEFAULT_CONSENT_FRESHNESS;
  agent->ice_timeout = DEFAULT_ICE_TIMEOUT;
  agent->liveness_timeout = DEFAULT_LIVENESS_TIMEOUT;
  agent->turn_servers = g_ptr_array_new_with_free_func (turn_server_free);
  agent->streams = g_hash_table_new_full (NULL, NULL, NULL,
      weak_ref_box_free);
}

/**
 * gst_rtc_ice_agent_new:
 * @context: (nullable): the #GMainContext to run the agent on, or %NULL
 *   for one from the worker pool
 *
 * Creates an agent in the controlling role, with no STUN or TURN server.
 * To enable #GstRtcIceAgent:consent-freshness, which can only be set at
 * construction, use g_object_new() instead.
 *
 * Returns: (transfer full): a new agent
 */
GstRtcIceAgent *
gst_rtc_ice_agent_new (GMainContext * context)
{
  GstRtcIceAgent *agent;

  gst_rtc_init ();
  agent = g_object_new (GST_RTC_TYPE_ICE_AGENT, "context", context, NULL);
  return gst_object_ref_sink (agent);
}

/**
 * gst_rtc_ice_agent_get_context:
 * @agent: an agent
 *
 * Gets the main context @agent and its streams run on.
 *
 * Returns: (transfer none): the context the agent runs on
 */
GMainContext *
gst_rtc_ice_agent_get_context (GstRtcIceAgent * agent)
{
  g_return_val_if_fail (GST_RTC_IS_ICE_AGENT (agent), NULL);

  return agent->context;
}

/* libnice takes IP addresses only. Resolving blocks: this runs when the
 * application configures servers, never on a worker thread's hot path. */
static gchar *
resolve_server_host (const GstRtcIceServer * server, const gchar * uri,
    GError ** error)
{
  GResolver *resolver;
  GList *addresses;
  GError *resolve_error = NULL;
  gchar *shown;
  gchar *ip;

  if (g_hostname_is_ip_address (server->host))
    return g_strdup (server->host);

  resolver = g_resolver_get_default ();
  addresses = g_resolver_lookup_by_name (resolver, server->host, NULL,
      &resolve_error);
  g_object_unref (resolver);
  if (addresses == NULL) {
    shown = redact_server_uri (uri);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
        "ICE server URI '%s': could not resolve '%s': %s", shown,
        server->host, resolve_error ? resolve_error->message : "no address");
    g_free (shown);
    g_clear_error (&resolve_error);
    return NULL;
  }
  ip = g_inet_address_to_string (addresses->data);
  g_resolver_free_addresses (addresses);
  return ip;
}

/**
 * gst_rtc_ice_agent_set_stun_server:
 * @agent: an agent
 * @uri: (nullable): a `stun:host[:port]` URI, or %NULL for none
 * @error: return location for a #GError (why @uri was refused), or %NULL
 *
 * Sets the STUN server for streams that gather afterwards. A host name is
 * resolved now, synchronously.
 *
 * Returns: %TRUE if the server was set; %FALSE with @error when @uri does not
 *   parse (%GST_RTC_ERROR_TYPE_ERROR), is not a UDP STUN URI
 *   (%GST_RTC_ERROR_TYPE_ERROR, %GST_RTC_ERROR_NOT_SUPPORTED) or does not
 *   resolve (%GST_RTC_ERROR_OPERATION_ERROR)
 */
gboolean
gst_rtc_ice_agent_set_stun_server (GstRtcIceAgent * agent, const gchar * uri,
    GError ** error)
{
  GstRtcIceServer *server;
  gchar *ip = NULL;
  guint port = DEFAULT_STUN_PORT;
  gchar *old;

  g_return_val_if_fail (GST_RTC_IS_ICE_AGENT (agent), FALSE);

  if (uri != NULL && *uri == '\0')
    uri = NULL;

  if (uri != NULL) {
    server = gst_rtc_ice_server_parse (uri, error);
    if (server == NULL)
      return FALSE;
    if (server->is_turn) {
      gchar *shown = redact_server_uri (uri);

      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "ICE server URI '%s': a TURN URI is not a STUN server; use "
          "gst_rtc_ice_agent_add_turn_server()", shown);
      g_free (shown);
      gst_rtc_ice_server_free (server);
      return FALSE;
    }
    if (server->protocol != GST_RTC_ICE_PROTOCOL_UDP) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
          "ICE server URI '%s': libnice does STUN over UDP only", uri);
      gst_rtc_ice_server_free (server);
      return FALSE;
    }
    ip = resolve_server_host (server, uri, error);
    port = server->port;
    gst_rtc_ice_server_free (server);
    if (ip == NULL)
      return FALSE;
  }

  GST_OBJECT_LOCK (agent);
  old = agent->stun_server;
  agent->stun_server = g_strdup (uri);
  GST_OBJECT_UNLOCK (agent);

  GST_INFO_OBJECT (agent, "STUN server %s (%s:%u)", uri ? uri : "none",
      ip ? ip : "-", port);
  g_object_set (agent->nice, "stun-server", ip, "stun-server-port", port,
      NULL);
  if (g_strcmp0 (old, uri) != 0)
    g_object_notify_by_pspec (G_OBJECT (agent),
        agent_properties[AGENT_PROP_STUN_SERVER]);
  g_free (old);
  g_free (ip);
  return TRUE;
}

/**
 * gst_rtc_ice_agent_add_turn_server:
 * @agent: an agent
 * @uri: a `turn:` URI with user name and password, such as
 *   `turn://user:pass@host:3478?transport=udp`
 * @error: return location for a #GError (why @uri was refused), or %NULL
 *
 * Adds a TURN server for the streams that gather afterwards; several may be
 * added, up to libnice's limit of 8. A host name is resolved now,
 * synchronously.
 *
 * TURN over TLS (`turns:`) is not supported: libnice 0.1.21 in RFC 5245
 * mode speaks plain TCP to the TLS port. It is refused with
 * %GST_RTC_ERROR_NOT_SUPPORTED; `turn:host:port?transport=tcp` is the
 * nearest that works.
 *
 * Returns: %TRUE if the server was added; %FALSE with @error otherwise
 */
gboolean
gst_rtc_ice_agent_add_turn_server (GstRtcIceAgent * agent, const gchar * uri,
    GError ** error)
{
  GstRtcIceServer *server;
  TurnServer *turn;
  gchar *shown;
  gchar *ip;
  gboolean ok = FALSE;

  g_return_val_if_fail (GST_RTC_IS_ICE_AGENT (agent), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  server = gst_rtc_ice_server_parse (uri, error);
  if (server == NULL)
    return FALSE;
  shown = redact_server_uri (uri);

  if (!server->is_turn) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "ICE server URI '%s': not a TURN URI; use "
        "gst_rtc_ice_agent_set_stun_server() for STUN", shown);
    goto done;
  }
  if (server->is_tls) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "ICE server URI '%s': TURN over TLS (turns:) is not supported yet: "
        "libnice 0.1.21 in RFC 5245 mode speaks plain TCP to the TLS port; "
        "use 'turn:%s%s%s:PORT?transport=tcp' with the server's plain TCP "
        "port instead", shown, strchr (server->host, ':') ? "[" : "",
        server->host, strchr (server->host, ':') ? "]" : "");
    goto done;
  }

  ip = resolve_server_host (server, uri, error);
  if (ip == NULL)
    goto done;

  turn = g_new0 (TurnServer, 1);
  turn->ip = ip;
  turn->port = server->port;
  /* libnice wants strings; a server without long-term credentials is
   * unusual but not ours to refuse. */
  turn->username = g_strdup (server->username ? server->username : "");
  turn->password = g_strdup (server->password ? server->password : "");
  turn->type = server->protocol == GST_RTC_ICE_PROTOCOL_TCP ?
      NICE_RELAY_TYPE_TURN_TCP : NICE_RELAY_TYPE_TURN_UDP;

  GST_OBJECT_LOCK (agent);
  if (agent->turn_servers->len >= NICE_CANDIDATE_MAX_TURN_SERVERS) {
    GST_OBJECT_UNLOCK (agent);
    turn_server_free (turn);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "ICE server URI '%s': too many TURN servers (libnice takes %d)",
        shown, NICE_CANDIDATE_MAX_TURN_SERVERS);
    goto done;
  }
  g_ptr_array_add (agent->turn_servers, turn);
  GST_OBJECT_UNLOCK (agent);

  GST_INFO_OBJECT (agent, "added TURN server %s (%s:%u over %s)", shown,
      turn->ip, turn->port, turn->type == NICE_RELAY_TYPE_TURN_TCP ? "TCP" :
      "UDP");
  ok = TRUE;

done:
  g_free (shown);
  gst_rtc_ice_server_free (server);
  return ok;
}

/**
 * gst_rtc_ice_agent_clear_turn_servers:
 * @agent: an agent
 *
 * Forgets every TURN server. Streams that already gathered keep theirs.
 */
void
gst_rtc_ice_agent_clear_turn_servers (GstRtcIceAgent * agent)
{
  g_return_if_fail (GST_RTC_IS_ICE_AGENT (agent));

  GST_OBJECT_LOCK (agent);
  g_ptr_array_set_size (agent->turn_servers, 0);
  GST_OBJECT_UNLOCK (agent);
}

/**
 * gst_rtc_ice_agent_dup_turn_uris:
 * @agent: an agent
 *
 * The TURN servers added so far, as `turn:` URIs with their (resolved)
 * address, user name and password: for the connectivity doctor, which
 * probes them itself (libnice reports no TURN errors).
 *
 * Returns: (transfer full) (array zero-terminated=1): the URIs
 */
gchar **
gst_rtc_ice_agent_dup_turn_uris (GstRtcIceAgent * agent)
{
  GPtrArray *uris;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_ICE_AGENT (agent), NULL);

  uris = g_ptr_array_new ();
  GST_OBJECT_LOCK (agent);
  for (i = 0; i < agent->turn_servers->len; i++) {
    TurnServer *turn = g_ptr_array_index (agent->turn_servers, i);
    gboolean v6 = strchr (turn->ip, ':') != NULL;

    g_ptr_array_add (uris, g_strdup_printf ("turn:%s:%s@%s%s%s:%u?transport=%s",
            turn->username, turn->password, v6 ? "[" : "", turn->ip,
            v6 ? "]" : "", turn->port,
            turn->type == NICE_RELAY_TYPE_TURN_TCP ? "tcp" : "udp"));
  }
  GST_OBJECT_UNLOCK (agent);
  g_ptr_array_add (uris, NULL);
  return (gchar **) g_ptr_array_free (uris, FALSE);
}

/* ------------------------------------------------------------------------ */
/* GstRtcIceStream                                                          */
/* ------------------------------------------------------------------------ */

#undef GST_CAT_DEFAULT
#define GST_CAT_DEFAULT gst_rtc_ice_stream_debug

#define DEFAULT_AUTHENTICATED_LIVENESS FALSE

/* WebRTC muxes RTCP and bundles: one component carries everything. */
#define COMPONENT_ID 1

enum
{
  STREAM_PROP_0,
  STREAM_PROP_STATE,
  STREAM_PROP_GATHERING_STATE,
  STREAM_PROP_AUTHENTICATED_LIVENESS,
  STREAM_N_PROPERTIES
};

static GParamSpec *stream_properties[STREAM_N_PROPERTIES];

enum
{
  SIGNAL_NEW_CANDIDATE,
  SIGNAL_GATHERING_DONE,
  SIGNAL_SELECTED_PAIR_CHANGED,
  N_SIGNALS
};

static guint stream_signals[N_SIGNALS];

typedef enum
{
  /* Only re-evaluate the state: something changed under the lock. */
  EVENT_UPDATE,
  EVENT_LOCAL_CANDIDATE,
  EVENT_GATHERING_DONE,
  EVENT_COMPONENT_STATE,
  EVENT_SELECTED_PAIR,
} StreamEventType;

typedef struct
{
  StreamEventType type;
  NiceComponentState nice_state;
  gchar *local;
  GstRtcIceCandidateType local_type;
} StreamEvent;

/* Lets set_receive_func() replace a callback while the worker thread is
 * inside the old one: the old user data is destroyed when that call ends. */
typedef struct
{
  gint refcount;
  GstRtcIceReceiveFunc func;
  gpointer user_data;
  GDestroyNotify notify;
} ReceiveClosure;

struct _GstRtcIceStream
{
  GstObject parent;

  /* Set at creation, then immutable. */
  GstRtcIceAgent *agent;
  NiceAgent *nice;
  GMainContext *context;
  guint stream_id;
  /* the user data of libnice's receive callback: see close_stream() */
  GWeakRef *receive_ref;
  /* Held around nice_agent_remove_stream() and around reading the
   * candidates that nice_agent_get_selected_pair() points to. Never taken
   * by the handlers of libnice's signals. */
  GMutex nice_lock;

  /* Guarded by the object lock. */
  GstRtcIceState state;
  GstRtcIceGatheringState gathering_state;
  gboolean authenticated_liveness;
  gboolean closed;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  GSList *pending_candidates;   /* NiceCandidate, newest first */
  guint n_remote_candidates;
  gboolean remote_end_of_candidates;
  gint64 last_alive;
  ReceiveClosure *receive;
  GQueue events;
  gboolean drain_scheduled;
  GSource *ice_timer;
  GSource *liveness_timer;
  gboolean failed;              /* by one of our timers; sticky */

  /* Only touched on the worker thread. */
  NiceComponentState nice_state;
  gboolean was_connected;
  gboolean ice_timer_started;
  GstRtcIceState notified_state;
  GstRtcIceGatheringState notified_gathering_state;
};

/**
 * GstRtcIceStream:
 *
 * One ICE stream (a single component) of a #GstRtcIceAgent: local
 * credentials and candidates, the remote ones, its connectivity checks and
 * the selected pair that carries one transport.
 */
G_DEFINE_TYPE_WITH_CODE (GstRtcIceStream, gst_rtc_ice_stream, GST_TYPE_OBJECT,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_ice_stream_debug, "rtcicestream", 0,
        "gst-rtc ICE stream"));

static void
receive_closure_unref (ReceiveClosure * closure)
{
  if (g_atomic_int_dec_and_test (&closure->refcount)) {
    if (closure->notify != NULL)
      closure->notify (closure->user_data);
    g_free (closure);
  }
}

static void
stream_event_free (StreamEvent * event)
{
  g_free (event->local);
  g_free (event);
}

static const gchar *
ice_state_name (GstRtcIceState state)
{
  GEnumClass *klass = g_type_class_peek (GST_RTC_TYPE_ICE_STATE);
  GEnumValue *value = klass ? g_enum_get_value (klass, state) : NULL;

  return value ? value->value_nick : "?";
}

static void stream_process_event (GstRtcIceStream * stream,
    StreamEvent * event);

static gboolean
stream_drain_events (gpointer user_data)
{
  GstRtcIceStream *stream = user_data;
  StreamEvent *event;

  while (TRUE) {
    GST_OBJECT_LOCK (stream);
    event = g_queue_pop_head (&stream->events);
    if (event == NULL)
      stream->drain_scheduled = FALSE;
    GST_OBJECT_UNLOCK (stream);
    if (event == NULL)
      break;
    stream_process_event (stream, event);
    stream_event_free (event);
  }
  return G_SOURCE_REMOVE;
}

/* Any thread. Events are replayed in order on the worker thread, so that
 * signals and notifications come from there only, in libnice's order. */
static void
stream_push_event (GstRtcIceStream * stream, StreamEvent * event)
{
  gboolean schedule;
  GSource *source;

  GST_OBJECT_LOCK (stream);
  g_queue_push_tail (&stream->events, event);
  schedule = !stream->drain_scheduled;
  stream->drain_scheduled = TRUE;
  GST_OBJECT_UNLOCK (stream);

  if (!schedule)
    return;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_name (source, "GstRtcIceStream events");
  g_source_set_callback (source, stream_drain_events, gst_object_ref (stream),
      gst_object_unref);
  g_source_attach (source, stream->context);
  g_source_unref (source);
}

static void
stream_push_update (GstRtcIceStream * stream)
{
  StreamEvent *event = g_new0 (StreamEvent, 1);

  event->type = EVENT_UPDATE;
  stream_push_event (stream, event);
}

static void
stream_on_local_candidate (GstRtcIceStream * stream,
    const NiceCandidate * candidate)
{
  StreamEvent *event;

  if (candidate->component_id != COMPONENT_ID)
    return;
  event = g_new0 (StreamEvent, 1);
  event->type = EVENT_LOCAL_CANDIDATE;
  event->local = candidate_string_from_nice (candidate, &event->local_type);
  stream_push_event (stream, event);
}

static void
stream_on_gathering_done (GstRtcIceStream * stream)
{
  StreamEvent *event = g_new0 (StreamEvent, 1);

  event->type = EVENT_GATHERING_DONE;
  stream_push_event (stream, event);
}

static void
stream_on_component_state (GstRtcIceStream * stream, NiceComponentState state)
{
  StreamEvent *event = g_new0 (StreamEvent, 1);

  event->type = EVENT_COMPONENT_STATE;
  event->nice_state = state;
  stream_push_event (stream, event);
}

static void
stream_on_selected_pair (GstRtcIceStream * stream, const NiceCandidate * local,
    const NiceCandidate * remote)
{
  StreamEvent *event = g_new0 (StreamEvent, 1);

  GST_DEBUG_OBJECT (stream, "libnice selected local %s %s, remote %s %s",
      nice_candidate_type_to_string (local->type), local->foundation,
      nice_candidate_type_to_string (remote->type), remote->foundation);
  event->type = EVENT_SELECTED_PAIR;
  stream_push_event (stream, event);
}

/* The state mapping. libnice goes CONNECTED when a pair works and READY
 * when a pair is nominated. W3C "completed" means that gathering is done on
 * both sides and the checks are over, which libnice does not tell; so READY
 * is "completed" only once our gathering is complete and the peer signalled
 * end-of-candidates, and "connected" before. Both count as connected. */
static GstRtcIceState
stream_compute_state (GstRtcIceStream * stream)
{
  if (stream->closed)
    return GST_RTC_ICE_STATE_CLOSED;
  if (stream->failed)
    return GST_RTC_ICE_STATE_FAILED;

  switch (stream->nice_state) {
    case NICE_COMPONENT_STATE_DISCONNECTED:
    case NICE_COMPONENT_STATE_GATHERING:
      return stream->was_connected ? GST_RTC_ICE_STATE_DISCONNECTED :
          GST_RTC_ICE_STATE_NEW;
    case NICE_COMPONENT_STATE_CONNECTING:
      return GST_RTC_ICE_STATE_CHECKING;
    case NICE_COMPONENT_STATE_CONNECTED:
      return GST_RTC_ICE_STATE_CONNECTED;
    case NICE_COMPONENT_STATE_READY:
      if (stream->gathering_state == GST_RTC_ICE_GATHERING_STATE_COMPLETE
          && stream->remote_end_of_candidates)
        return GST_RTC_ICE_STATE_COMPLETED;
      return GST_RTC_ICE_STATE_CONNECTED;
    case NICE_COMPONENT_STATE_FAILED:
      return GST_RTC_ICE_STATE_FAILED;
    default:
      return stream->state;
  }
}

static gboolean
is_connected_state (GstRtcIceState state)
{
  return state == GST_RTC_ICE_STATE_CONNECTED
      || state == GST_RTC_ICE_STATE_COMPLETED;
}

static gboolean on_ice_timer (gpointer user_data);
static gboolean on_liveness_timer (gpointer user_data);

/* Worker thread. */
static void
stream_arm_timer (GstRtcIceStream * stream, GSource ** slot, guint delay_ms,
    GSourceFunc func, const gchar * name)
{
  GSource *source;

  GST_OBJECT_LOCK (stream);
  if (*slot != NULL || stream->closed) {
    GST_OBJECT_UNLOCK (stream);
    return;
  }
  source = g_timeout_source_new (delay_ms);
  g_source_set_name (source, name);
  /* a weak reference: a pending timer must not keep the stream alive */
  g_source_set_callback (source, func, weak_ref_box_new (stream),
      weak_ref_box_free);
  *slot = source;
  /* attached under the lock: stream_cancel_timers() may unref it as soon as
   * the lock is released */
  g_source_attach (source, stream->context);
  GST_OBJECT_UNLOCK (stream);
}

/* Any thread. */
static void
stream_cancel_timers (GstRtcIceStream * stream)
{
  GSource *ice_timer, *liveness_timer;

  GST_OBJECT_LOCK (stream);
  ice_timer = stream->ice_timer;
  liveness_timer = stream->liveness_timer;
  stream->ice_timer = NULL;
  stream->liveness_timer = NULL;
  GST_OBJECT_UNLOCK (stream);

  if (ice_timer != NULL) {
    g_source_destroy (ice_timer);
    g_source_unref (ice_timer);
  }
  if (liveness_timer != NULL) {
    g_source_destroy (liveness_timer);
    g_source_unref (liveness_timer);
  }
}

static void
stream_take_timer_slot (GstRtcIceStream * stream, GSource ** slot)
{
  GSource *current = g_main_current_source ();

  GST_OBJECT_LOCK (stream);
  if (*slot == current) {
    *slot = NULL;
    GST_OBJECT_UNLOCK (stream);
    g_source_unref (current);
    return;
  }
  GST_OBJECT_UNLOCK (stream);
}

static guint
stream_get_agent_timeout (GstRtcIceStream * stream, gboolean liveness)
{
  guint seconds;

  GST_OBJECT_LOCK (stream->agent);
  seconds = liveness ? stream->agent->liveness_timeout :
      stream->agent->ice_timeout;
  GST_OBJECT_UNLOCK (stream->agent);
  return seconds;
}

/* Worker thread. Emits the notifications that the state change calls for
 * and starts or stops the timers that depend on it. */
static void
stream_update_state (GstRtcIceStream * stream)
{
  GstRtcIceState state, old_state;
  gboolean notify_state, notify_gathering, has_remote_credentials;
  gboolean connecting = FALSE;

  GST_OBJECT_LOCK (stream);
  state = stream_compute_state (stream);
  old_state = stream->notified_state;
  stream->state = state;
  notify_state = state != stream->notified_state;
  stream->notified_state = state;
  notify_gathering =
      stream->gathering_state != stream->notified_gathering_state;
  stream->notified_gathering_state = stream->gathering_state;
  has_remote_credentials = stream->remote_ufrag != NULL;
  if (is_connected_state (state) && !is_connected_state (old_state)) {
    stream->was_connected = TRUE;
    /* The liveness clock starts now: nothing before counts. libnice can
     * come back from its own "failed" too; working checks are a sign of
     * life then. */
    stream->last_alive = g_get_monotonic_time ();
    connecting = TRUE;
  }
  GST_OBJECT_UNLOCK (stream);

  if (state == GST_RTC_ICE_STATE_FAILED || state == GST_RTC_ICE_STATE_CLOSED) {
    stream_cancel_timers (stream);
  } else if (connecting) {
    guint liveness = stream_get_agent_timeout (stream, TRUE);
    GSource *ice_timer;

    GST_OBJECT_LOCK (stream);
    ice_timer = stream->ice_timer;
    stream->ice_timer = NULL;
    GST_OBJECT_UNLOCK (stream);
    if (ice_timer != NULL) {
      g_source_destroy (ice_timer);
      g_source_unref (ice_timer);
    }
    if (liveness > 0)
      stream_arm_timer (stream, &stream->liveness_timer, liveness * 1000,
          on_liveness_timer, "GstRtcIceStream liveness");
  } else if (!stream->was_connected && !stream->ice_timer_started
      && (has_remote_credentials || state == GST_RTC_ICE_STATE_CHECKING)) {
    guint timeout = stream_get_agent_timeout (stream, FALSE);

    stream->ice_timer_started = TRUE;
    if (timeout > 0) {
      GST_DEBUG_OBJECT (stream, "must connect within %u s", timeout);
      stream_arm_timer (stream, &stream->ice_timer, timeout * 1000,
          on_ice_timer, "GstRtcIceStream ICE timeout");
    }
  }

  if (notify_gathering)
    g_object_notify_by_pspec (G_OBJECT (stream),
        stream_properties[STREAM_PROP_GATHERING_STATE]);
  if (notify_state) {
    GST_DEBUG_OBJECT (stream, "state %s -> %s", ice_state_name (old_state),
        ice_state_name (state));
    g_object_notify_by_pspec (G_OBJECT (stream),
        stream_properties[STREAM_PROP_STATE]);
  }
}

/* Worker thread. */
static void
stream_fail (GstRtcIceStream * stream, const gchar * reason)
{
  GST_OBJECT_LOCK (stream);
  if (stream->closed || stream->failed) {
    GST_OBJECT_UNLOCK (stream);
    return;
  }
  stream->failed = TRUE;
  GST_OBJECT_UNLOCK (stream);

  GST_WARNING_OBJECT (stream, "stream %u failed: %s", stream->stream_id,
      reason);
  stream_update_state (stream);
}

static gboolean
on_ice_timer (gpointer user_data)
{
  GstRtcIceStream *stream = g_weak_ref_get (user_data);

  if (stream == NULL)
    return G_SOURCE_REMOVE;
  stream_take_timer_slot (stream, &stream->ice_timer);
  if (!stream->was_connected) {
    gchar *reason = g_strdup_printf ("not connected after %u s",
        stream_get_agent_timeout (stream, FALSE));

    stream_fail (stream, reason);
    g_free (reason);
  }
  gst_object_unref (stream);
  return G_SOURCE_REMOVE;
}

static gboolean
on_liveness_timer (gpointer user_data)
{
  GstRtcIceStream *stream = g_weak_ref_get (user_data);
  guint timeout;
  gint64 silence, limit;

  if (stream == NULL)
    return G_SOURCE_REMOVE;
  stream_take_timer_slot (stream, &stream->liveness_timer);

  timeout = stream_get_agent_timeout (stream, TRUE);
  if (timeout > 0) {
    GST_OBJECT_LOCK (stream);
    silence = g_get_monotonic_time () - stream->last_alive;
    GST_OBJECT_UNLOCK (stream);
    limit = (gint64) timeout * G_USEC_PER_SEC;

    if (silence >= limit) {
      gchar *reason = g_strdup_printf ("nothing alive received for %u s",
          timeout);

      stream_fail (stream, reason);
      g_free (reason);
    } else {
      /* wake up exactly when the silence would reach the limit */
      stream_arm_timer (stream, &stream->liveness_timer,
          (limit - silence + 999) / 1000, on_liveness_timer,
          "GstRtcIceStream liveness");
    }
  }
  gst_object_unref (stream);
  return G_SOURCE_REMOVE;
}

/* The server-reflexive twin of a UDP host candidate, with the agent's
 * announced address (1:1 NAT), or NULL when there is none to make. */
static gchar *
announced_candidate (GstRtcIceAgent * agent, const gchar * host)
{
  GstRtcIceCandidateInfo info;
  GInetAddress *public_address, *host_address;
  gchar *announced;
  gboolean same_family;

  GST_OBJECT_LOCK (agent);
  announced = g_strdup (agent->announced_address);
  GST_OBJECT_UNLOCK (agent);
  if (announced == NULL)
    return NULL;

  if (!gst_rtc_ice_candidate_parse (host, &info, NULL)
      || info.protocol != GST_RTC_ICE_PROTOCOL_UDP) {
    g_free (announced);
    return NULL;
  }
  public_address = g_inet_address_new_from_string (announced);
  host_address = g_inet_address_new_from_string (info.address);
  same_family = public_address != NULL && host_address != NULL
      && g_inet_address_get_family (public_address) ==
      g_inet_address_get_family (host_address)
      && !g_inet_address_equal (public_address, host_address);
  g_clear_object (&public_address);
  g_clear_object (&host_address);
  if (!same_family) {
    g_free (announced);
    return NULL;
  }

  g_strlcpy (info.related_address, info.address,
      sizeof (info.related_address));
  info.related_port = info.port;
  g_strlcpy (info.address, announced, sizeof (info.address));
  g_free (announced);
  info.type = GST_RTC_ICE_CANDIDATE_TYPE_SRFLX;
  /* RFC 8445 5.1.2.1: type preference 100 for server-reflexive, the local
   * preference and component of the host candidate kept. */
  info.priority = (100u << 24) | (info.priority & 0xffffff);
  /* A foundation of its own: another type, and its own base address. */
  if (strlen (info.foundation) + 1 < sizeof (info.foundation)) {
    memmove (info.foundation + 1, info.foundation,
        strlen (info.foundation) + 1);
    info.foundation[0] = 'n';
  }
  return gst_rtc_ice_candidate_to_string (&info);
}

static void
stream_process_event (GstRtcIceStream * stream, StreamEvent * event)
{
  gboolean closed, emit = FALSE;
  GstRtcIceTransportPolicy policy;

  GST_OBJECT_LOCK (stream);
  closed = stream->closed;
  GST_OBJECT_UNLOCK (stream);

  switch (event->type) {
    case EVENT_UPDATE:
      break;
    case EVENT_LOCAL_CANDIDATE:
      GST_OBJECT_LOCK (stream->agent);
      policy = stream->agent->policy;
      GST_OBJECT_UNLOCK (stream->agent);
      if (closed || event->local == NULL)
        break;
      if (policy == GST_RTC_ICE_TRANSPORT_POLICY_RELAY
          && event->local_type != GST_RTC_ICE_CANDIDATE_TYPE_RELAY) {
        GST_DEBUG_OBJECT (stream, "not signalling %s (relay policy)",
            event->local);
        break;
      }
      GST_DEBUG_OBJECT (stream, "local candidate %s", event->local);
      g_signal_emit (stream, stream_signals[SIGNAL_NEW_CANDIDATE], 0,
          event->local);
      if (event->local_type == GST_RTC_ICE_CANDIDATE_TYPE_HOST
          && policy != GST_RTC_ICE_TRANSPORT_POLICY_RELAY) {
        gchar *announced = announced_candidate (stream->agent, event->local);

        if (announced != NULL) {
          GST_DEBUG_OBJECT (stream, "announced candidate %s", announced);
          g_signal_emit (stream, stream_signals[SIGNAL_NEW_CANDIDATE], 0,
              announced);
          g_free (announced);
        }
      }
      break;
    case EVENT_GATHERING_DONE:
      GST_OBJECT_LOCK (stream);
      if (stream->gathering_state != GST_RTC_ICE_GATHERING_STATE_COMPLETE) {
        stream->gathering_state = GST_RTC_ICE_GATHERING_STATE_COMPLETE;
        emit = !closed;
      }
      GST_OBJECT_UNLOCK (stream);
      if (emit) {
        GST_DEBUG_OBJECT (stream, "gathering done");
        stream_update_state (stream);
        g_signal_emit (stream, stream_signals[SIGNAL_GATHERING_DONE], 0);
      }
      break;
    case EVENT_COMPONENT_STATE:
      GST_LOG_OBJECT (stream, "libnice component state %s",
          nice_component_state_to_string (event->nice_state));
      stream->nice_state = event->nice_state;
      break;
    case EVENT_SELECTED_PAIR:
      if (!closed)
        g_signal_emit (stream, stream_signals[SIGNAL_SELECTED_PAIR_CHANGED],
            0);
      break;
  }

  stream_update_state (stream);
}

static void
on_nice_receive (NiceAgent * nice, guint stream_id, guint component_id,
    guint len, gchar * buf, gpointer user_data)
{
  GstRtcIceStream *stream = g_weak_ref_get (user_data);
  ReceiveClosure *closure = NULL;

  if (stream == NULL)
    return;

  GST_OBJECT_LOCK (stream);
  if (!stream->authenticated_liveness)
    stream->last_alive = g_get_monotonic_time ();
  if (stream->receive != NULL) {
    closure = stream->receive;
    g_atomic_int_inc (&closure->refcount);
  }
  GST_OBJECT_UNLOCK (stream);

  GST_LOG_OBJECT (stream, "received %u bytes", len);
  if (closure != NULL) {
    closure->func (stream, (const guint8 *) buf, len, closure->user_data);
    receive_closure_unref (closure);
  }
  gst_object_unref (stream);
}

static gboolean
free_receive_ref (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Any thread. Leaves libnice and the agent; returns FALSE if already done. */
static gboolean
close_stream (GstRtcIceStream * stream)
{
  GSList *pending;
  GSource *source;

  GST_OBJECT_LOCK (stream);
  if (stream->closed) {
    GST_OBJECT_UNLOCK (stream);
    return FALSE;
  }
  stream->closed = TRUE;
  stream->state = GST_RTC_ICE_STATE_CLOSED;
  pending = stream->pending_candidates;
  stream->pending_candidates = NULL;
  GST_OBJECT_UNLOCK (stream);

  g_slist_free_full (pending, (GDestroyNotify) nice_candidate_free);
  stream_cancel_timers (stream);

  GST_OBJECT_LOCK (stream->agent);
  g_hash_table_remove (stream->agent->streams,
      GUINT_TO_POINTER (stream->stream_id));
  GST_OBJECT_UNLOCK (stream->agent);

  g_mutex_lock (&stream->nice_lock);
  nice_agent_attach_recv (stream->nice, stream->stream_id, COMPONENT_ID,
      stream->context, NULL, NULL);
  nice_agent_remove_stream (stream->nice, stream->stream_id);
  g_mutex_unlock (&stream->nice_lock);

  /* The worker thread may be inside on_nice_receive() with this reference
   * right now; it is freed from an idle on that thread, after that call. */
  source = g_idle_source_new ();
  g_source_set_callback (source, free_receive_ref, stream->receive_ref,
      weak_ref_box_free);
  g_source_attach (source, stream->context);
  g_source_unref (source);
  stream->receive_ref = NULL;

  GST_DEBUG_OBJECT (stream, "closed stream %u", stream->stream_id);
  return TRUE;
}

static void
gst_rtc_ice_stream_finalize (GObject * object)
{
  GstRtcIceStream *stream = GST_RTC_ICE_STREAM (object);

  if (stream->agent != NULL) {
    close_stream (stream);
    gst_object_unref (stream->agent);
  }
  if (stream->nice != NULL)
    g_object_unref (stream->nice);
  if (stream->context != NULL)
    g_main_context_unref (stream->context);
  if (stream->receive != NULL)
    receive_closure_unref (stream->receive);
  g_queue_clear_full (&stream->events, (GDestroyNotify) stream_event_free);
  g_slist_free_full (stream->pending_candidates,
      (GDestroyNotify) nice_candidate_free);
  g_free (stream->remote_ufrag);
  free_secret (stream->remote_pwd);
  g_mutex_clear (&stream->nice_lock);

  G_OBJECT_CLASS (gst_rtc_ice_stream_parent_class)->finalize (object);
}

static void
gst_rtc_ice_stream_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcIceStream *stream = GST_RTC_ICE_STREAM (object);

  switch (prop_id) {
    case STREAM_PROP_AUTHENTICATED_LIVENESS:
      GST_OBJECT_LOCK (stream);
      stream->authenticated_liveness = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (stream);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_ice_stream_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcIceStream *stream = GST_RTC_ICE_STREAM (object);

  switch (prop_id) {
    case STREAM_PROP_STATE:
      GST_OBJECT_LOCK (stream);
      g_value_set_enum (value, stream->state);
      GST_OBJECT_UNLOCK (stream);
      break;
    case STREAM_PROP_GATHERING_STATE:
      GST_OBJECT_LOCK (stream);
      g_value_set_enum (value, stream->gathering_state);
      GST_OBJECT_UNLOCK (stream);
      break;
    case STREAM_PROP_AUTHENTICATED_LIVENESS:
      GST_OBJECT_LOCK (stream);
      g_value_set_boolean (value, stream->authenticated_liveness);
      GST_OBJECT_UNLOCK (stream);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_ice_stream_class_init (GstRtcIceStreamClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = gst_rtc_ice_stream_finalize;
  gobject_class->set_property = gst_rtc_ice_stream_set_property;
  gobject_class->get_property = gst_rtc_ice_stream_get_property;

  /**
   * GstRtcIceStream:state:
   *
   * The W3C RTCIceTransportState of the stream. Notified on the agent's
   * worker thread. libnice's READY maps to
   * %GST_RTC_ICE_STATE_COMPLETED once local gathering is complete and the
   * peer signalled end-of-candidates, to %GST_RTC_ICE_STATE_CONNECTED before
   * that; %GST_RTC_ICE_STATE_FAILED set by #GstRtcIceAgent:ice-timeout or
   * #GstRtcIceAgent:liveness-timeout is final.
   */
  stream_properties[STREAM_PROP_STATE] =
      g_param_spec_enum ("state", "State", "The ICE transport state",
      GST_RTC_TYPE_ICE_STATE, GST_RTC_ICE_STATE_NEW,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceStream:gathering-state:
   *
   * The W3C RTCIceGathererState of the stream. Notified on the agent's
   * worker thread.
   */
  stream_properties[STREAM_PROP_GATHERING_STATE] =
      g_param_spec_enum ("gathering-state", "Gathering state",
      "The ICE gathering state", GST_RTC_TYPE_ICE_GATHERING_STATE,
      GST_RTC_ICE_GATHERING_STATE_NEW,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcIceStream:authenticated-liveness:
   *
   * When %FALSE, every received datagram proves the peer alive for
   * #GstRtcIceAgent:liveness-timeout. When %TRUE, only
   * gst_rtc_ice_stream_mark_alive() does: a transport sets it and marks
   * the packets that pass DTLS or SRTP authentication, so that a spoofed
   * stream of datagrams cannot keep a dead peer connected.
   */
  stream_properties[STREAM_PROP_AUTHENTICATED_LIVENESS] =
      g_param_spec_boolean ("authenticated-liveness", "Authenticated liveness",
      "Whether only gst_rtc_ice_stream_mark_alive() proves the peer alive",
      DEFAULT_AUTHENTICATED_LIVENESS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, STREAM_N_PROPERTIES,
      stream_properties);

  /**
   * GstRtcIceStream::new-candidate:
   * @stream: the stream
   * @candidate: a local candidate, `candidate:...` without `a=`
   *
   * Emitted on the worker thread for each local candidate, as libnice
   * gathers it (trickle ICE). With the relay transport policy, only relay
   * candidates are emitted.
   */
  stream_signals[SIGNAL_NEW_CANDIDATE] =
      g_signal_new ("new-candidate", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstRtcIceStream::gathering-done:
   * @stream: the stream
   *
   * Emitted once on the worker thread, after the last
   * #GstRtcIceStream::new-candidate: signal end-of-candidates to the peer.
   */
  stream_signals[SIGNAL_GATHERING_DONE] =
      g_signal_new ("gathering-done", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * GstRtcIceStream::selected-pair-changed:
   * @stream: the stream
   *
   * Emitted on the worker thread when libnice selects a pair; read it with
   * gst_rtc_ice_stream_get_selected_pair().
   */
  stream_signals[SIGNAL_SELECTED_PAIR_CHANGED] =
      g_signal_new ("selected-pair-changed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
gst_rtc_ice_stream_init (GstRtcIceStream * stream)
{
  stream->state = GST_RTC_ICE_STATE_NEW;
  stream->gathering_state = GST_RTC_ICE_GATHERING_STATE_NEW;
  stream->authenticated_liveness = DEFAULT_AUTHENTICATED_LIVENESS;
  stream->nice_state = NICE_COMPONENT_STATE_DISCONNECTED;
  stream->notified_state = GST_RTC_ICE_STATE_NEW;
  stream->notified_gathering_state = GST_RTC_ICE_GATHERING_STATE_NEW;
  g_queue_init (&stream->events);
  g_mutex_init (&stream->nice_lock);
}

/**
 * gst_rtc_ice_agent_create_stream:
 * @agent: an agent
 * @error: return location for a #GError (why no stream was made), or %NULL
 *
 * Adds a stream of one component, with fresh local credentials. Call
 * gst_rtc_ice_stream_gather() to start gathering. An ICE restart is a new
 * stream.
 *
 * Returns: (transfer full) (nullable): the new stream; %NULL with @error
 *   (%GST_RTC_ERROR_INTERNAL_FAILURE) if libnice refused
 */
GstRtcIceStream *
gst_rtc_ice_agent_create_stream (GstRtcIceAgent * agent, GError ** error)
{
  GstRtcIceStream *stream;
  guint stream_id;

  g_return_val_if_fail (GST_RTC_IS_ICE_AGENT (agent), NULL);

  stream_id = nice_agent_add_stream (agent->nice, 1);
  if (stream_id == 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "libnice could not add a stream");
    return NULL;
  }

  stream = g_object_new (GST_RTC_TYPE_ICE_STREAM, NULL);
  gst_object_ref_sink (stream);
  stream->agent = gst_object_ref (agent);
  stream->nice = g_object_ref (agent->nice);
  stream->context = g_main_context_ref (agent->context);
  stream->stream_id = stream_id;
  stream->receive_ref = weak_ref_box_new (stream);

  GST_OBJECT_LOCK (agent);
  g_hash_table_insert (agent->streams, GUINT_TO_POINTER (stream_id),
      weak_ref_box_new (stream));
  GST_OBJECT_UNLOCK (agent);

  /* Attached now, not when the application sets its receive function:
   * libnice receives the connectivity checks through this too. */
  nice_agent_attach_recv (agent->nice, stream_id, COMPONENT_ID,
      agent->context, on_nice_receive, stream->receive_ref);

  GST_DEBUG_OBJECT (stream, "created stream %u on %" GST_PTR_FORMAT,
      stream_id, agent);
  return stream;
}

/**
 * gst_rtc_ice_stream_get_agent:
 * @stream: a stream
 *
 * Gets the agent @stream belongs to.
 *
 * Returns: (transfer none): the agent of @stream, which the stream keeps
 *   alive as long as itself
 */
GstRtcIceAgent *
gst_rtc_ice_stream_get_agent (GstRtcIceStream * stream)
{
  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), NULL);

  return stream->agent;
}

/**
 * gst_rtc_ice_stream_get_id:
 * @stream: a stream
 *
 * Gets the libnice stream id of @stream.
 *
 * Returns: the libnice stream id of @stream
 */
guint
gst_rtc_ice_stream_get_id (GstRtcIceStream * stream)
{
  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), 0);

  return stream->stream_id;
}

/**
 * gst_rtc_ice_stream_gather:
 * @stream: a stream
 * @error: return location for a #GError (why gathering did not start), or %NULL
 *
 * Starts gathering local candidates with the agent's current TURN servers
 * and port range. #GstRtcIceStream::new-candidate is emitted for each,
 * then #GstRtcIceStream::gathering-done, on the worker thread.
 *
 * Returns: %TRUE if gathering started; %FALSE with @error if the stream is
 *   closed or already gathered (%GST_RTC_ERROR_INVALID_STATE) or libnice
 *   could not allocate a host candidate (%GST_RTC_ERROR_ICE_FAILURE)
 */
gboolean
gst_rtc_ice_stream_gather (GstRtcIceStream * stream, GError ** error)
{
  GstRtcIceAgent *agent;
  GPtrArray *turn_servers;
  guint port_min, port_max;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), FALSE);
  agent = stream->agent;

  GST_OBJECT_LOCK (stream);
  if (stream->closed
      || stream->gathering_state != GST_RTC_ICE_GATHERING_STATE_NEW) {
    GST_OBJECT_UNLOCK (stream);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "ICE stream %u is %s: it gathers once; an ICE restart takes a new "
        "stream", stream->stream_id, stream->closed ? "closed" :
        "gathering or has gathered");
    return FALSE;
  }
  stream->gathering_state = GST_RTC_ICE_GATHERING_STATE_GATHERING;
  GST_OBJECT_UNLOCK (stream);
  /* before libnice reports any candidate, so that the notification of
   * "gathering" comes first */
  stream_push_update (stream);

  GST_OBJECT_LOCK (agent);
  port_min = agent->port_min;
  port_max = agent->port_max;
  turn_servers = g_ptr_array_new_full (agent->turn_servers->len,
      turn_server_free);
  for (i = 0; i < agent->turn_servers->len; i++) {
    TurnServer *turn = g_ptr_array_index (agent->turn_servers, i);
    TurnServer *copy = g_new0 (TurnServer, 1);

    copy->ip = g_strdup (turn->ip);
    copy->port = turn->port;
    copy->username = g_strdup (turn->username);
    copy->password = g_strdup (turn->password);
    copy->type = turn->type;
    g_ptr_array_add (turn_servers, copy);
  }
  GST_OBJECT_UNLOCK (agent);

  if (port_min != 0 || port_max != 0)
    nice_agent_set_port_range (stream->nice, stream->stream_id, COMPONENT_ID,
        port_min, port_max != 0 ? port_max : G_MAXUINT16);
  for (i = 0; i < turn_servers->len; i++) {
    TurnServer *turn = g_ptr_array_index (turn_servers, i);

    if (!nice_agent_set_relay_info (stream->nice, stream->stream_id,
            COMPONENT_ID, turn->ip, turn->port, turn->username,
            turn->password, turn->type))
      GST_WARNING_OBJECT (stream, "libnice refused TURN server %s:%u",
          turn->ip, turn->port);
  }
  g_ptr_array_unref (turn_servers);

  GST_DEBUG_OBJECT (stream, "gathering");
  if (!nice_agent_gather_candidates (stream->nice, stream->stream_id)) {
    GST_OBJECT_LOCK (stream);
    stream->gathering_state = GST_RTC_ICE_GATHERING_STATE_NEW;
    GST_OBJECT_UNLOCK (stream);
    stream_push_update (stream);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_ICE_FAILURE,
        "ICE stream %u: libnice could not allocate a host candidate "
        "(port range %u-%u)", stream->stream_id, port_min, port_max);
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_rtc_ice_stream_get_local_credentials:
 * @stream: a stream
 * @ufrag: (out) (optional) (transfer full) (nullable): the local ICE ufrag
 * @pwd: (out) (optional) (transfer full) (nullable): the local ICE password
 *
 * Gets the credentials to signal as `a=ice-ufrag` and `a=ice-pwd`. Each
 * stream has its own. Both are %NULL once the stream is closed.
 */
void
gst_rtc_ice_stream_get_local_credentials (GstRtcIceStream * stream,
    gchar ** ufrag, gchar ** pwd)
{
  gchar *local_ufrag = NULL, *local_pwd = NULL;

  g_return_if_fail (GST_RTC_IS_ICE_STREAM (stream));

  if (!nice_agent_get_local_credentials (stream->nice, stream->stream_id,
          &local_ufrag, &local_pwd)) {
    local_ufrag = NULL;
    local_pwd = NULL;
  }
  if (ufrag != NULL)
    *ufrag = local_ufrag;
  else
    g_free (local_ufrag);
  if (pwd != NULL)
    *pwd = local_pwd;
  else
    free_secret (local_pwd);
}

/**
 * gst_rtc_ice_stream_set_remote_credentials:
 * @stream: a stream
 * @ufrag: the peer's `ice-ufrag` (4 to 256 ice-chars)
 * @pwd: the peer's `ice-pwd` (22 to 256 ice-chars)
 * @error: return location for a #GError (why they were refused), or %NULL
 *
 * Sets the peer's credentials, then hands libnice the remote candidates
 * that were added before them. Setting the same credentials again does
 * nothing; different ones mean an ICE restart, which takes a new stream.
 *
 * Returns: %TRUE on success; %FALSE with @error if a credential is
 *   malformed (%GST_RTC_ERROR_TYPE_ERROR), differs from the one set
 *   (%GST_RTC_ERROR_INVALID_MODIFICATION) or the stream is closed
 *   (%GST_RTC_ERROR_INVALID_STATE)
 */
gboolean
gst_rtc_ice_stream_set_remote_credentials (GstRtcIceStream * stream,
    const gchar * ufrag, const gchar * pwd, GError ** error)
{
  GSList *pending;
  gboolean end_of_candidates;

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), FALSE);
  g_return_val_if_fail (ufrag != NULL, FALSE);
  g_return_val_if_fail (pwd != NULL, FALSE);

  if (!is_valid_credential (ufrag, MIN_UFRAG_LEN)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "ICE ufrag '%.*s' is not %d to %d ice-chars", MAX_QUOTED_CHARS, ufrag,
        MIN_UFRAG_LEN, MAX_CREDENTIAL_LEN);
    return FALSE;
  }
  if (!is_valid_credential (pwd, MIN_PWD_LEN)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "ICE password is not %d to %d ice-chars", MIN_PWD_LEN,
        MAX_CREDENTIAL_LEN);
    return FALSE;
  }

  GST_OBJECT_LOCK (stream);
  if (stream->closed) {
    GST_OBJECT_UNLOCK (stream);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "ICE stream %u is closed", stream->stream_id);
    return FALSE;
  }
  if (stream->remote_ufrag != NULL) {
    gboolean same = g_str_equal (stream->remote_ufrag, ufrag)
        && g_str_equal (stream->remote_pwd, pwd);

    GST_OBJECT_UNLOCK (stream);
    if (same)
      return TRUE;
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
        "ICE stream %u already has other remote credentials: an ICE restart "
        "takes a new stream", stream->stream_id);
    return FALSE;
  }
  stream->remote_ufrag = g_strdup (ufrag);
  stream->remote_pwd = g_strdup (pwd);
  pending = g_slist_reverse (stream->pending_candidates);
  stream->pending_candidates = NULL;
  end_of_candidates = stream->remote_end_of_candidates;
  GST_OBJECT_UNLOCK (stream);

  GST_DEBUG_OBJECT (stream, "remote ufrag %s, %u queued candidates", ufrag,
      g_slist_length (pending));
  nice_agent_set_remote_credentials (stream->nice, stream->stream_id, ufrag,
      pwd);
  if (pending != NULL) {
    if (nice_agent_set_remote_candidates (stream->nice, stream->stream_id,
            COMPONENT_ID, pending) < 0)
      GST_WARNING_OBJECT (stream, "libnice refused the queued candidates");
    g_slist_free_full (pending, (GDestroyNotify) nice_candidate_free);
  }
  if (end_of_candidates)
    nice_agent_peer_candidate_gathering_done (stream->nice, stream->stream_id);

  /* starts the ICE timeout, on the worker thread */
  stream_push_update (stream);
  return TRUE;
}

/**
 * gst_rtc_ice_stream_add_remote_candidate:
 * @stream: a stream
 * @candidate: (nullable): a remote candidate, with or without `a=` and
 *   `candidate:`; %NULL or "" for end-of-candidates
 * @error: return location for a #GError (why it was refused), or %NULL
 *
 * Adds a candidate of the peer (trickle ICE). Candidates added before the
 * remote credentials are queued until they arrive. Candidates for another
 * component than 1 are ignored: WebRTC muxes RTCP. At most 64 candidates
 * are taken per stream, so that a peer cannot make us check thousands of
 * pairs. Addresses must be IP literals.
 *
 * Returns: %TRUE if the candidate was taken or ignored; %FALSE with @error
 *   if it is malformed (%GST_RTC_ERROR_TYPE_ERROR), an mDNS or other host
 *   name (%GST_RTC_ERROR_NOT_SUPPORTED), one too many
 *   (%GST_RTC_ERROR_INVALID_ACCESS) or the stream is closed
 *   (%GST_RTC_ERROR_INVALID_STATE). A refused candidate changes nothing.
 */
gboolean
gst_rtc_ice_stream_add_remote_candidate (GstRtcIceStream * stream,
    const gchar * candidate, GError ** error)
{
  GstRtcIceCandidateInfo info;
  NiceCandidate *nice_candidate;
  gboolean have_credentials;
  GSList single = { NULL, NULL };

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), FALSE);

  if (candidate == NULL || *candidate == '\0') {
    GST_OBJECT_LOCK (stream);
    if (stream->closed) {
      GST_OBJECT_UNLOCK (stream);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
          "ICE stream %u is closed", stream->stream_id);
      return FALSE;
    }
    stream->remote_end_of_candidates = TRUE;
    have_credentials = stream->remote_ufrag != NULL;
    GST_OBJECT_UNLOCK (stream);

    GST_DEBUG_OBJECT (stream, "remote end-of-candidates");
    if (have_credentials)
      nice_agent_peer_candidate_gathering_done (stream->nice,
          stream->stream_id);
    stream_push_update (stream);
    return TRUE;
  }

  if (!gst_rtc_ice_candidate_parse (candidate, &info, error))
    return FALSE;
  if (info.component != COMPONENT_ID) {
    GST_DEBUG_OBJECT (stream, "ignoring candidate of component %u (RTCP is "
        "muxed)", info.component);
    return TRUE;
  }
  nice_candidate = candidate_to_nice (&info, stream->stream_id, error);
  if (nice_candidate == NULL)
    return FALSE;

  GST_OBJECT_LOCK (stream);
  if (stream->closed) {
    GST_OBJECT_UNLOCK (stream);
    nice_candidate_free (nice_candidate);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "ICE stream %u is closed", stream->stream_id);
    return FALSE;
  }
  if (stream->n_remote_candidates >= MAX_REMOTE_CANDIDATES) {
    GST_OBJECT_UNLOCK (stream);
    nice_candidate_free (nice_candidate);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "ICE stream %u already has %d remote candidates, the most it takes",
        stream->stream_id, MAX_REMOTE_CANDIDATES);
    return FALSE;
  }
  stream->n_remote_candidates++;
  have_credentials = stream->remote_ufrag != NULL;
  if (!have_credentials)
    stream->pending_candidates = g_slist_prepend (stream->pending_candidates,
        nice_candidate);
  GST_OBJECT_UNLOCK (stream);

  if (!have_credentials) {
    GST_DEBUG_OBJECT (stream, "queued remote candidate until credentials: %s",
        candidate);
    return TRUE;
  }

  GST_DEBUG_OBJECT (stream, "remote candidate %s", candidate);
  single.data = nice_candidate;
  if (nice_agent_set_remote_candidates (stream->nice, stream->stream_id,
          COMPONENT_ID, &single) < 0)
    GST_WARNING_OBJECT (stream, "libnice refused remote candidate %s",
        candidate);
  nice_candidate_free (nice_candidate);
  return TRUE;
}

/**
 * gst_rtc_ice_stream_get_state:
 * @stream: a stream
 *
 * Gets the ICE transport state of @stream.
 *
 * Returns: the ICE transport state, see #GstRtcIceStream:state
 */
GstRtcIceState
gst_rtc_ice_stream_get_state (GstRtcIceStream * stream)
{
  GstRtcIceState state;

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream),
      GST_RTC_ICE_STATE_CLOSED);

  GST_OBJECT_LOCK (stream);
  state = stream->state;
  GST_OBJECT_UNLOCK (stream);
  return state;
}

/**
 * gst_rtc_ice_stream_get_gathering_state:
 * @stream: a stream
 *
 * Gets the candidate gathering state of @stream.
 *
 * Returns: the gathering state
 */
GstRtcIceGatheringState
gst_rtc_ice_stream_get_gathering_state (GstRtcIceStream * stream)
{
  GstRtcIceGatheringState state;

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream),
      GST_RTC_ICE_GATHERING_STATE_NEW);

  GST_OBJECT_LOCK (stream);
  state = stream->gathering_state;
  GST_OBJECT_UNLOCK (stream);
  return state;
}

/**
 * gst_rtc_ice_stream_get_selected_pair:
 * @stream: a stream
 * @local_type: (out) (optional): the type of the local candidate
 * @remote_type: (out) (optional): the type of the remote candidate
 * @local_candidate: (out) (optional) (transfer full): the local candidate,
 *   `candidate:...`
 * @remote_candidate: (out) (optional) (transfer full): the remote
 *   candidate, `candidate:...`
 *
 * Gets the pair that libnice selected. A remote candidate first learnt
 * from a connectivity check is peer-reflexive, and takes its signalled type
 * once the peer trickles it.
 *
 * Returns: %TRUE if a pair is selected; the out values are then set
 */
gboolean
gst_rtc_ice_stream_get_selected_pair (GstRtcIceStream * stream,
    GstRtcIceCandidateType * local_type, GstRtcIceCandidateType * remote_type,
    gchar ** local_candidate, gchar ** remote_candidate)
{
  NiceCandidate *local = NULL, *remote = NULL;
  GstRtcIceCandidateType ltype, rtype;
  gchar *lstring = NULL, *rstring = NULL;
  gboolean closed, has_pair = FALSE;

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), FALSE);

  /* libnice hands out its own candidates: copy them before the stream can
   * be removed, which is what frees them. */
  g_mutex_lock (&stream->nice_lock);
  GST_OBJECT_LOCK (stream);
  closed = stream->closed;
  GST_OBJECT_UNLOCK (stream);
  if (!closed && nice_agent_get_selected_pair (stream->nice, stream->stream_id,
          COMPONENT_ID, &local, &remote)) {
    lstring = candidate_string_from_nice (local, &ltype);
    rstring = candidate_string_from_nice (remote, &rtype);
    has_pair = lstring != NULL && rstring != NULL;
  }
  g_mutex_unlock (&stream->nice_lock);

  if (has_pair) {
    if (local_type != NULL)
      *local_type = ltype;
    if (remote_type != NULL)
      *remote_type = rtype;
    if (local_candidate != NULL) {
      *local_candidate = lstring;
      lstring = NULL;
    }
    if (remote_candidate != NULL) {
      *remote_candidate = rstring;
      rstring = NULL;
    }
  }
  g_free (lstring);
  g_free (rstring);
  return has_pair;
}

/**
 * gst_rtc_ice_stream_send:
 * @stream: a stream
 * @data: (array length=len): one datagram
 * @len: its length
 *
 * Sends @data on the selected pair. Callable from any thread.
 *
 * Returns: the number of bytes sent, or -1 if nothing could be sent (not
 *   connected, closed, or the socket refused)
 */
gssize
gst_rtc_ice_stream_send (GstRtcIceStream * stream, const guint8 * data,
    gsize len)
{
  gint sent;

  g_return_val_if_fail (GST_RTC_IS_ICE_STREAM (stream), -1);
  g_return_val_if_fail (data != NULL || len == 0, -1);

  if (len > G_MAXUINT16)
    return -1;
  sent = nice_agent_send (stream->nice, stream->stream_id, COMPONENT_ID, len,
      (const gchar *) data);
  if (sent < 0)
    return -1;
  return sent;
}

/**
 * gst_rtc_ice_stream_set_receive_func:
 * @stream: a stream
 * @func: (nullable) (scope notified) (closure user_data) (destroy notify):
 *   called for each received datagram, on the worker thread
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data when @func is replaced or the
 *   stream is finalized, and no call to @func is running anymore
 *
 * Sets the function that receives the datagrams of the stream (STUN
 * messages excluded: libnice takes them). Datagrams that arrive while no
 * function is set are dropped.
 */
void
gst_rtc_ice_stream_set_receive_func (GstRtcIceStream * stream,
    GstRtcIceReceiveFunc func, gpointer user_data, GDestroyNotify notify)
{
  ReceiveClosure *closure = NULL, *old;

  g_return_if_fail (GST_RTC_IS_ICE_STREAM (stream));

  if (func != NULL) {
    closure = g_new0 (ReceiveClosure, 1);
    closure->refcount = 1;
    closure->func = func;
    closure->user_data = user_data;
    closure->notify = notify;
  }

  GST_OBJECT_LOCK (stream);
  old = stream->receive;
  stream->receive = closure;
  GST_OBJECT_UNLOCK (stream);

  if (old != NULL)
    receive_closure_unref (old);
  if (func == NULL && notify != NULL)
    notify (user_data);
}

/**
 * gst_rtc_ice_stream_mark_alive:
 * @stream: a stream
 *
 * Records that an authenticated packet came from the peer just now, for
 * #GstRtcIceAgent:liveness-timeout. Callable from any thread.
 */
void
gst_rtc_ice_stream_mark_alive (GstRtcIceStream * stream)
{
  g_return_if_fail (GST_RTC_IS_ICE_STREAM (stream));

  GST_OBJECT_LOCK (stream);
  stream->last_alive = g_get_monotonic_time ();
  GST_OBJECT_UNLOCK (stream);
}

/**
 * gst_rtc_ice_stream_close:
 * @stream: a stream
 *
 * Removes the stream from libnice, releasing its sockets. The state becomes
 * %GST_RTC_ICE_STATE_CLOSED at once; the notification follows on the
 * worker thread. Closing twice does nothing.
 */
void
gst_rtc_ice_stream_close (GstRtcIceStream * stream)
{
  g_return_if_fail (GST_RTC_IS_ICE_STREAM (stream));

  if (close_stream (stream))
    stream_push_update (stream);
}
