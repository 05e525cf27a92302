/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcwsproto
 * @title: WebSocket signalling messages
 * @short_description: parse and build the JSON messages of the WebSocket
 *   signalling protocol
 *
 * The messages are JSON objects with a `"type"` member. Offers, answers and
 * candidates have the shape of the browser's RTCSessionDescriptionInit and
 * RTCIceCandidateInit, so a page can hand them to its RTCPeerConnection
 * as they are; a candidate may also arrive nested, as
 * `JSON.stringify ({type: "candidate", candidate: event.candidate})` writes
 * it. Room messages (`join`, `peers`, `peer-joined`, `peer-left`) and
 * `error` are this project's own. Any message may carry `"to"` and
 * `"from"` peer ids, which a relaying server uses and fills in.
 *
 * Roles are optional and backward compatible: a `join` may carry
 * `"role"` (`"producer"` sends media, `"consumer"` receives it and makes
 * the offers), the server repeats it in `peer-joined`, and its `peers`
 * message carries `"roles"`, an array parallel to `"peers"`. A peer that
 * knows nothing of roles ignores them, and one that announced none has
 * an empty role.
 *
 * Parsing is strict about what it uses and lenient about the rest: members
 * it does not know are ignored, but a known member with the wrong JSON type
 * is refused, so that a `"sdpMLineIndex":"0"` is an error rather than a
 * silent 0.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "wsproto.h"

#include <gst/rtc/rtc-enums.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* json-glib parses recursively; a peer must not be able to exhaust the
 * stack with 256 KiB of '['. Real messages nest two levels deep. */
#define MAX_NESTING_DEPTH 16

/* sdpMLineIndex is an unsigned short in the W3C API. */
#define MAX_MLINE_INDEX G_MAXUINT16

static const gchar *const type_names[] = {
  [GST_RTC_WS_MESSAGE_OFFER] = "offer",
  [GST_RTC_WS_MESSAGE_ANSWER] = "answer",
  [GST_RTC_WS_MESSAGE_CANDIDATE] = "candidate",
  [GST_RTC_WS_MESSAGE_JOIN] = "join",
  [GST_RTC_WS_MESSAGE_PEERS] = "peers",
  [GST_RTC_WS_MESSAGE_PEER_JOINED] = "peer-joined",
  [GST_RTC_WS_MESSAGE_PEER_LEFT] = "peer-left",
  [GST_RTC_WS_MESSAGE_ERROR] = "error",
};

G_DEFINE_BOXED_TYPE (GstRtcWsMessage, gst_rtc_ws_message,
    gst_rtc_ws_message_copy, gst_rtc_ws_message_free);

/**
 * gst_rtc_ws_message_type_to_string:
 * @type: a message type
 *
 * Names a message type as the `"type"` member does.
 *
 * Returns: (nullable): the `"type"` value of @type, %NULL for an invalid one
 */
const gchar *
gst_rtc_ws_message_type_to_string (GstRtcWsMessageType type)
{
  if ((guint) type >= G_N_ELEMENTS (type_names))
    return NULL;
  return type_names[type];
}

/**
 * gst_rtc_ws_message_type_from_string:
 * @name: a `"type"` value
 * @type: (out): where to store the type
 *
 * Parses the `"type"` of a message.
 *
 * Returns: %TRUE if @name is a known message type
 */
gboolean
gst_rtc_ws_message_type_from_string (const gchar * name,
    GstRtcWsMessageType * type)
{
  guint i;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (type != NULL, FALSE);

  for (i = 0; i < G_N_ELEMENTS (type_names); i++) {
    if (strcmp (name, type_names[i]) == 0) {
      *type = i;
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * gst_rtc_ws_message_new:
 * @type: the message type
 *
 * Creates a message of the WebSocket signalling protocol.
 *
 * Returns: (transfer full): an empty message of @type, to fill in
 */
GstRtcWsMessage *
gst_rtc_ws_message_new (GstRtcWsMessageType type)
{
  GstRtcWsMessage *message;

  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);

  message = g_new0 (GstRtcWsMessage, 1);
  message->type = type;
  message->sdp_mline_index = -1;
  return message;
}

/**
 * gst_rtc_ws_message_new_sdp:
 * @type: %GST_RTC_WS_MESSAGE_OFFER or %GST_RTC_WS_MESSAGE_ANSWER
 * @sdp: the session description
 *
 * Creates an `offer` or `answer` message.
 *
 * Returns: (transfer full): an offer or answer message
 */
GstRtcWsMessage *
gst_rtc_ws_message_new_sdp (GstRtcWsMessageType type, const gchar * sdp)
{
  GstRtcWsMessage *message;

  g_return_val_if_fail (type == GST_RTC_WS_MESSAGE_OFFER
      || type == GST_RTC_WS_MESSAGE_ANSWER, NULL);
  g_return_val_if_fail (sdp != NULL, NULL);

  message = gst_rtc_ws_message_new (type);
  message->sdp = g_strdup (sdp);
  return message;
}

/**
 * gst_rtc_ws_message_new_candidate:
 * @candidate: (nullable): the `candidate:` attribute value, %NULL for the
 *   end of candidates
 * @sdp_mid: (nullable): the MID of the m-line
 * @sdp_mline_index: the index of the m-line, or -1
 *
 * Creates a `candidate` message, shaped like the W3C RTCIceCandidateInit.
 *
 * Returns: (transfer full): a candidate message
 */
GstRtcWsMessage *
gst_rtc_ws_message_new_candidate (const gchar * candidate,
    const gchar * sdp_mid, gint sdp_mline_index)
{
  GstRtcWsMessage *message;

  g_return_val_if_fail (sdp_mline_index >= -1
      && sdp_mline_index <= MAX_MLINE_INDEX, NULL);

  message = gst_rtc_ws_message_new (GST_RTC_WS_MESSAGE_CANDIDATE);
  message->candidate = g_strdup (candidate);
  message->sdp_mid = g_strdup (sdp_mid);
  message->sdp_mline_index = sdp_mline_index;
  return message;
}

/**
 * gst_rtc_ws_message_new_join:
 * @room: the room to join
 * @peer: (nullable): the id the peer would like, or %NULL to be given one
 *
 * Creates a `join` message, with which a peer enters a room.
 *
 * Returns: (transfer full): a join message
 */
GstRtcWsMessage *
gst_rtc_ws_message_new_join (const gchar * room, const gchar * peer)
{
  GstRtcWsMessage *message;

  g_return_val_if_fail (room != NULL, NULL);

  message = gst_rtc_ws_message_new (GST_RTC_WS_MESSAGE_JOIN);
  message->room = g_strdup (room);
  message->peer = g_strdup (peer);
  return message;
}

/**
 * gst_rtc_ws_message_new_peers:
 * @room: (nullable): the room
 * @peer: the receiver's own peer id
 * @peers: (nullable) (array zero-terminated=1): the other peers in the room
 *
 * Creates a `peers` message, the list of a room a joining peer receives.
 *
 * Returns: (transfer full): a peers message
 */
GstRtcWsMessage *
gst_rtc_ws_message_new_peers (const gchar * room, const gchar * peer,
    const gchar * const *peers)
{
  GstRtcWsMessage *message;
  const gchar *const none[] = { NULL };

  g_return_val_if_fail (peer != NULL, NULL);

  message = gst_rtc_ws_message_new (GST_RTC_WS_MESSAGE_PEERS);
  message->room = g_strdup (room);
  message->peer = g_strdup (peer);
  message->peers = g_strdupv ((gchar **) (peers ? peers : none));
  return message;
}

/**
 * gst_rtc_ws_message_new_peer_event:
 * @type: %GST_RTC_WS_MESSAGE_PEER_JOINED or %GST_RTC_WS_MESSAGE_PEER_LEFT
 * @peer: the peer that came or went
 *
 * Creates a message that tells a room a peer joined or left.
 *
 * Returns: (transfer full): a peer-joined or peer-left message
 */
GstRtcWsMessage *
gst_rtc_ws_message_new_peer_event (GstRtcWsMessageType type,
    const gchar * peer)
{
  GstRtcWsMessage *message;

  g_return_val_if_fail (type == GST_RTC_WS_MESSAGE_PEER_JOINED
      || type == GST_RTC_WS_MESSAGE_PEER_LEFT, NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  message = gst_rtc_ws_message_new (type);
  message->peer = g_strdup (peer);
  return message;
}

/**
 * gst_rtc_ws_message_new_error:
 * @reason: why
 *
 * Creates an `error` message.
 *
 * Returns: (transfer full): an error message
 */
GstRtcWsMessage *
gst_rtc_ws_message_new_error (const gchar * reason)
{
  GstRtcWsMessage *message;

  g_return_val_if_fail (reason != NULL, NULL);

  message = gst_rtc_ws_message_new (GST_RTC_WS_MESSAGE_ERROR);
  message->reason = g_strdup (reason);
  return message;
}

/**
 * gst_rtc_ws_message_copy:
 * @message: a message
 *
 * Copies a message.
 *
 * Returns: (transfer full): a deep copy of @message
 */
GstRtcWsMessage *
gst_rtc_ws_message_copy (const GstRtcWsMessage * message)
{
  GstRtcWsMessage *copy;

  g_return_val_if_fail (message != NULL, NULL);

  copy = g_new0 (GstRtcWsMessage, 1);
  copy->type = message->type;
  copy->sdp = g_strdup (message->sdp);
  copy->candidate = g_strdup (message->candidate);
  copy->sdp_mid = g_strdup (message->sdp_mid);
  copy->sdp_mline_index = message->sdp_mline_index;
  copy->room = g_strdup (message->room);
  copy->peer = g_strdup (message->peer);
  copy->peers = g_strdupv (message->peers);
  copy->reason = g_strdup (message->reason);
  copy->to = g_strdup (message->to);
  copy->from = g_strdup (message->from);
  copy->role = g_strdup (message->role);
  copy->peer_roles = g_strdupv (message->peer_roles);
  return copy;
}

/**
 * gst_rtc_ws_message_free:
 * @message: (transfer full) (nullable): a message
 *
 * Frees @message and every string in it.
 */
void
gst_rtc_ws_message_free (GstRtcWsMessage * message)
{
  if (message == NULL)
    return;

  g_free (message->sdp);
  g_free (message->candidate);
  g_free (message->sdp_mid);
  g_free (message->room);
  g_free (message->peer);
  g_strfreev (message->peers);
  g_free (message->reason);
  g_free (message->to);
  g_free (message->from);
  g_free (message->role);
  g_strfreev (message->peer_roles);
  g_free (message);
}

/**
 * gst_rtc_ws_message_is_end_of_candidates:
 * @message: a message
 *
 * Tells whether @message ends the candidates of its sender.
 *
 * Returns: %TRUE if @message is a candidate message that says no more
 *   candidates will come (its candidate is null or empty)
 */
gboolean
gst_rtc_ws_message_is_end_of_candidates (const GstRtcWsMessage * message)
{
  g_return_val_if_fail (message != NULL, FALSE);

  return message->type == GST_RTC_WS_MESSAGE_CANDIDATE
      && (message->candidate == NULL || message->candidate[0] == '\0');
}

/* ---- parsing ---- */

/* A strict RFC 8259 check before json-glib sees the text: json-glib 1.6
 * also takes single quotes and other liberties that no browser sends, and
 * parses recursively, so depth is bounded here first. The recursion below
 * is bounded by MAX_NESTING_DEPTH. */
typedef struct
{
  const gchar *start;
  const gchar *p;
  const gchar *end;
  guint depth;
  const gchar *problem;
} JsonCheck;

static gboolean
check_fail (JsonCheck * check, const gchar * problem)
{
  if (check->problem == NULL)
    check->problem = problem;
  return FALSE;
}

static void
check_skip_space (JsonCheck * check)
{
  while (check->p < check->end && (*check->p == ' ' || *check->p == '\t'
          || *check->p == '\n' || *check->p == '\r'))
    check->p++;
}

static gboolean
check_string (JsonCheck * check)
{
  guint i;

  check->p++;                   /* the opening quote */
  while (check->p < check->end) {
    guchar c = *check->p++;

    if (c == '"')
      return TRUE;
    if (c < 0x20)
      return check_fail (check, "control character in a string");
    if (c != '\\')
      continue;
    if (check->p >= check->end)
      break;
    c = *check->p++;
    if (c == 'u') {
      for (i = 0; i < 4; i++) {
        if (check->p >= check->end)
          return check_fail (check, "unterminated string");
        if (!g_ascii_isxdigit (*check->p++))
          return check_fail (check, "bad \\u escape");
      }
    } else if (c == '\0' || strchr ("\"\\/bfnrt", c) == NULL) {
      return check_fail (check, "bad escape in a string");
    }
  }
  return check_fail (check, "unterminated string");
}

static gboolean
check_digits (JsonCheck * check)
{
  const gchar *first = check->p;

  while (check->p < check->end && g_ascii_isdigit (*check->p))
    check->p++;
  return check->p > first || check_fail (check, "bad number");
}

static gboolean
check_number (JsonCheck * check)
{
  if (*check->p == '-')
    check->p++;
  if (check->p < check->end && *check->p == '0')
    check->p++;
  else if (!check_digits (check))
    return FALSE;
  if (check->p < check->end && *check->p == '.') {
    check->p++;
    if (!check_digits (check))
      return FALSE;
  }
  if (check->p < check->end && (*check->p == 'e' || *check->p == 'E')) {
    check->p++;
    if (check->p < check->end && (*check->p == '+' || *check->p == '-'))
      check->p++;
    if (!check_digits (check))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_literal (JsonCheck * check, const gchar * literal)
{
  gsize len = strlen (literal);

  if ((gsize) (check->end - check->p) < len
      || memcmp (check->p, literal, len) != 0)
    return check_fail (check, "unexpected character");
  check->p += len;
  return TRUE;
}

static gboolean check_value (JsonCheck * check);

/* An object or array: @close ends it, members are "key": value in an
 * object and plain values in an array. */
static gboolean
check_container (JsonCheck * check, gchar close)
{
  if (++check->depth > MAX_NESTING_DEPTH)
    return check_fail (check, "nested too deep");
  check->p++;
  check_skip_space (check);
  if (check->p < check->end && *check->p == close) {
    check->p++;
    check->depth--;
    return TRUE;
  }
  for (;;) {
    if (close == '}') {
      check_skip_space (check);
      if (check->p >= check->end)
        return check_fail (check, "unexpected end");
      if (*check->p != '"')
        return check_fail (check, "expected a member name");
      if (!check_string (check))
        return FALSE;
      check_skip_space (check);
      if (check->p >= check->end)
        return check_fail (check, "unexpected end");
      if (*check->p++ != ':')
        return check_fail (check, "expected ':'");
    }
    if (!check_value (check))
      return FALSE;
    check_skip_space (check);
    if (check->p >= check->end)
      return check_fail (check, "unexpected end");
    if (*check->p == ',') {
      check->p++;
      continue;
    }
    if (*check->p++ != close)
      return check_fail (check, close == '}' ? "expected ',' or '}'" :
          "expected ',' or ']'");
    check->depth--;
    return TRUE;
  }
}

static gboolean
check_value (JsonCheck * check)
{
  check_skip_space (check);
  if (check->p >= check->end)
    return check_fail (check, "unexpected end");
  switch (*check->p) {
    case '{':
      return check_container (check, '}');
    case '[':
      return check_container (check, ']');
    case '"':
      return check_string (check);
    case 't':
      return check_literal (check, "true");
    case 'f':
      return check_literal (check, "false");
    case 'n':
      return check_literal (check, "null");
    default:
      if (*check->p == '-' || g_ascii_isdigit (*check->p))
        return check_number (check);
      return check_fail (check, "unexpected character");
  }
}

static gboolean
check_json (const gchar * data, gsize len, GError ** error)
{
  JsonCheck check = { data, data, data + len, 0, NULL };

  if (check_value (&check)) {
    check_skip_space (&check);
    if (check.p == check.end)
      return TRUE;
    check_fail (&check, "trailing characters");
  }
  if (g_str_equal (check.problem, "nested too deep"))
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "JSON nested deeper than %u levels", MAX_NESTING_DEPTH);
  else
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "invalid JSON at byte %" G_GSIZE_FORMAT ": %s",
        (gsize) (check.p - check.start), check.problem);
  return FALSE;
}

/* The member, or NULL when absent; a JSON null counts as absent only where
 * @null_ok, so that a required string cannot be nulled. */
static gboolean
get_string_member (JsonObject * object, const gchar * name, gboolean null_ok,
    gchar ** out, GError ** error)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_NULL (node) && null_ok)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" must be a string%s", name, null_ok ? " or null" : "");
    return FALSE;
  }
  *out = json_node_dup_string (node);
  return TRUE;
}

static gboolean
require_string_member (JsonObject * object, const gchar * name,
    gchar ** out, GError ** error)
{
  if (!get_string_member (object, name, FALSE, out, error))
    return FALSE;
  if (*out == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"%s\" is missing", name);
    return FALSE;
  }
  return TRUE;
}

static gboolean
get_mline_index_member (JsonObject * object, gint * out, GError ** error)
{
  JsonNode *node = json_object_get_member (object, "sdpMLineIndex");
  gint64 value;

  *out = -1;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"sdpMLineIndex\" must be an integer or null");
    return FALSE;
  }
  value = json_node_get_int (node);
  if (value < 0 || value > MAX_MLINE_INDEX) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"sdpMLineIndex\" %" G_GINT64_FORMAT " is out of range", value);
    return FALSE;
  }
  *out = value;
  return TRUE;
}

/* The candidate's three members, either inline or nested in a
 * "candidate" object as RTCIceCandidate.toJSON() gives it. */
static gboolean
parse_candidate (JsonObject * object, GstRtcWsMessage * message,
    GError ** error)
{
  JsonNode *node = json_object_get_member (object, "candidate");
  JsonObject *fields = object;

  if (node == NULL) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"candidate\" is missing (use null or \"\" to end the candidates)");
    return FALSE;
  }
  if (JSON_NODE_HOLDS_OBJECT (node))
    fields = json_node_get_object (node);

  if (!get_string_member (fields, "candidate", TRUE, &message->candidate,
          error))
    return FALSE;
  if (!get_string_member (fields, "sdpMid", TRUE, &message->sdp_mid, error))
    return FALSE;
  if (!get_mline_index_member (fields, &message->sdp_mline_index, error))
    return FALSE;

  if (!gst_rtc_ws_message_is_end_of_candidates (message)
      && message->sdp_mid == NULL && message->sdp_mline_index < 0) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "a candidate needs \"sdpMid\" or \"sdpMLineIndex\"");
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_peers (JsonObject * object, GstRtcWsMessage * message, GError ** error)
{
  JsonNode *node = json_object_get_member (object, "peers");
  JsonArray *array;
  guint i, n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"peers\" must be an array of strings");
    return FALSE;
  }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  message->peers = g_new0 (gchar *, n + 1);
  for (i = 0; i < n; i++) {
    JsonNode *element = json_array_get_element (array, i);

    if (!JSON_NODE_HOLDS_VALUE (element)
        || json_node_get_value_type (element) != G_TYPE_STRING) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "\"peers\"[%u] must be a string", i);
      return FALSE;
    }
    message->peers[i] = json_node_dup_string (element);
  }
  return TRUE;
}

/* "roles": optional, but when present an array of strings (or nulls, read
 * as no role) as long as "peers". */
static gboolean
parse_peer_roles (JsonObject * object, GstRtcWsMessage * message,
    GError ** error)
{
  JsonNode *node = json_object_get_member (object, "roles");
  JsonArray *array;
  guint i, n;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"roles\" must be an array of strings");
    return FALSE;
  }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n != g_strv_length (message->peers)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"roles\" has %u entries for %u peers", n,
        g_strv_length (message->peers));
    return FALSE;
  }
  message->peer_roles = g_new0 (gchar *, n + 1);
  for (i = 0; i < n; i++) {
    JsonNode *element = json_array_get_element (array, i);

    if (JSON_NODE_HOLDS_NULL (element)) {
      message->peer_roles[i] = g_strdup ("");
      continue;
    }
    if (!JSON_NODE_HOLDS_VALUE (element)
        || json_node_get_value_type (element) != G_TYPE_STRING
        || strlen (json_node_get_string (element)) > GST_RTC_WS_MAX_ROLE_LEN) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "\"roles\"[%u] must be a string of at most %u bytes", i,
          GST_RTC_WS_MAX_ROLE_LEN);
      return FALSE;
    }
    message->peer_roles[i] = json_node_dup_string (element);
  }
  return TRUE;
}

/* "role": optional, a string or null, and short. */
static gboolean
parse_role (JsonObject * object, GstRtcWsMessage * message, GError ** error)
{
  if (!get_string_member (object, "role", TRUE, &message->role, error))
    return FALSE;
  if (message->role != NULL
      && strlen (message->role) > GST_RTC_WS_MAX_ROLE_LEN) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "\"role\" is longer than %u bytes", GST_RTC_WS_MAX_ROLE_LEN);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_object (JsonObject * object, GstRtcWsMessage * message, GError ** error)
{
  if (!get_string_member (object, "to", FALSE, &message->to, error))
    return FALSE;
  if (!get_string_member (object, "from", FALSE, &message->from, error))
    return FALSE;

  switch (message->type) {
    case GST_RTC_WS_MESSAGE_OFFER:
    case GST_RTC_WS_MESSAGE_ANSWER:
      return require_string_member (object, "sdp", &message->sdp, error);
    case GST_RTC_WS_MESSAGE_CANDIDATE:
      return parse_candidate (object, message, error);
    case GST_RTC_WS_MESSAGE_JOIN:
      if (!require_string_member (object, "room", &message->room, error))
        return FALSE;
      if (!parse_role (object, message, error))
        return FALSE;
      return get_string_member (object, "peer", TRUE, &message->peer, error);
    case GST_RTC_WS_MESSAGE_PEERS:
      if (!get_string_member (object, "room", TRUE, &message->room, error))
        return FALSE;
      if (!require_string_member (object, "peer", &message->peer, error))
        return FALSE;
      if (!parse_peers (object, message, error))
        return FALSE;
      return parse_peer_roles (object, message, error);
    case GST_RTC_WS_MESSAGE_PEER_JOINED:
      if (!parse_role (object, message, error))
        return FALSE;
      return require_string_member (object, "peer", &message->peer, error);
    case GST_RTC_WS_MESSAGE_PEER_LEFT:
      return require_string_member (object, "peer", &message->peer, error);
    case GST_RTC_WS_MESSAGE_ERROR:
      return require_string_member (object, "reason", &message->reason,
          error);
  }
  g_assert_not_reached ();
  return FALSE;
}

/**
 * gst_rtc_ws_message_parse:
 * @data: (array length=len) (element-type guint8): the JSON text
 * @len: its length, or -1 if @data is nul-terminated
 * @error: return location for a %GST_RTC_ERROR_TYPE_ERROR
 *
 * Parses one signalling message. The text must be valid UTF-8, at most
 * %GST_RTC_WS_MESSAGE_MAX_SIZE bytes, and a JSON object with a known
 * `"type"`; members the type needs must be present with the right JSON
 * type, and other members are ignored.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 */
GstRtcWsMessage *
gst_rtc_ws_message_parse (const gchar * data, gssize len, GError ** error)
{
  JsonParser *parser;
  JsonNode *root;
  JsonObject *object;
  GstRtcWsMessage *message = NULL;
  GstRtcWsMessageType type;
  gchar *type_name = NULL;
  GError *json_error = NULL;
  gsize length;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  length = len < 0 ? strlen (data) : (gsize) len;
  if (length > GST_RTC_WS_MESSAGE_MAX_SIZE) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "message of %" G_GSIZE_FORMAT " bytes is larger than the %u byte "
        "limit", length, GST_RTC_WS_MESSAGE_MAX_SIZE);
    return NULL;
  }
  if (length == 0) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "empty message");
    return NULL;
  }
  /* Also refuses embedded NULs, which json-glib would read as the end. */
  if (!g_utf8_validate (data, length, NULL)) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "message is not valid UTF-8");
    return NULL;
  }
  if (!check_json (data, length, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, &json_error)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "invalid JSON: %s", json_error->message);
    g_clear_error (&json_error);
    goto done;
  }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "message is not a JSON object");
    goto done;
  }
  object = json_node_get_object (root);

  if (!require_string_member (object, "type", &type_name, error))
    goto done;
  if (!gst_rtc_ws_message_type_from_string (type_name, &type)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "unknown message type \"%s\"", type_name);
    goto done;
  }

  message = gst_rtc_ws_message_new (type);
  if (!parse_object (object, message, error))
    g_clear_pointer (&message, gst_rtc_ws_message_free);

done:
  g_free (type_name);
  g_object_unref (parser);
  return message;
}

/* ---- building ---- */

static void
add_string (JsonBuilder * builder, const gchar * name, const gchar * value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/**
 * gst_rtc_ws_message_to_json:
 * @message: a message
 *
 * Serialises @message as one line of JSON, with `"type"` first and only
 * the members that apply to its type. An end-of-candidates message gets
 * `"candidate":""`, as browsers send it.
 *
 * Returns: (transfer full): the JSON text
 */
gchar *
gst_rtc_ws_message_to_json (const GstRtcWsMessage * message)
{
  JsonBuilder *builder;
  JsonGenerator *generator;
  JsonNode *root;
  gchar *json;
  guint i;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (gst_rtc_ws_message_type_to_string (message->type),
      NULL);

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string (builder, "type", gst_rtc_ws_message_type_to_string
      (message->type));

  switch (message->type) {
    case GST_RTC_WS_MESSAGE_OFFER:
    case GST_RTC_WS_MESSAGE_ANSWER:
      add_string (builder, "sdp", message->sdp ? message->sdp : "");
      break;
    case GST_RTC_WS_MESSAGE_CANDIDATE:
      add_string (builder, "candidate",
          message->candidate ? message->candidate : "");
      json_builder_set_member_name (builder, "sdpMid");
      if (message->sdp_mid)
        json_builder_add_string_value (builder, message->sdp_mid);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "sdpMLineIndex");
      if (message->sdp_mline_index >= 0)
        json_builder_add_int_value (builder, message->sdp_mline_index);
      else
        json_builder_add_null_value (builder);
      break;
    case GST_RTC_WS_MESSAGE_JOIN:
      add_string (builder, "room", message->room ? message->room : "");
      add_string (builder, "peer", message->peer);
      add_string (builder, "role", message->role);
      break;
    case GST_RTC_WS_MESSAGE_PEERS:
      add_string (builder, "room", message->room);
      add_string (builder, "peer", message->peer ? message->peer : "");
      json_builder_set_member_name (builder, "peers");
      json_builder_begin_array (builder);
      for (i = 0; message->peers && message->peers[i]; i++)
        json_builder_add_string_value (builder, message->peers[i]);
      json_builder_end_array (builder);
      /* Only when it runs parallel to "peers": a reader checks that. */
      if (message->peer_roles != NULL && g_strv_length (message->peer_roles)
          == (message->peers ? g_strv_length (message->peers) : 0)) {
        json_builder_set_member_name (builder, "roles");
        json_builder_begin_array (builder);
        for (i = 0; message->peer_roles[i]; i++)
          json_builder_add_string_value (builder, message->peer_roles[i]);
        json_builder_end_array (builder);
      }
      break;
    case GST_RTC_WS_MESSAGE_PEER_JOINED:
      add_string (builder, "peer", message->peer ? message->peer : "");
      add_string (builder, "role", message->role);
      break;
    case GST_RTC_WS_MESSAGE_PEER_LEFT:
      add_string (builder, "peer", message->peer ? message->peer : "");
      break;
    case GST_RTC_WS_MESSAGE_ERROR:
      add_string (builder, "reason", message->reason ? message->reason : "");
      break;
  }
  add_string (builder, "to", message->to);
  add_string (builder, "from", message->from);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);

  json_node_unref (root);
  g_object_unref (generator);
  g_object_unref (builder);
  return json;
}
