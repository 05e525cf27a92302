/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcsdp
 * @title: Session descriptions
 * @short_description: JSEP offer/answer (RFC 8829) over GstSDPMessage
 *
 * A remote description is parsed with GstSDPMessage, then validated and
 * turned into a #GstRtcSessionDescription: one #GstRtcMediaDescription per
 * m-line, with its codecs, RTX, header extensions, ICE credentials, DTLS
 * fingerprint and candidates already resolved (session-level defaults and
 * BUNDLE inheritance applied). Anything a peer could use against us is
 * bounded: m-lines, candidates and codecs per m-line.
 *
 * gst_rtc_sdp_answer_media() builds one m-line of an answer from an offered
 * one and our codecs; gst_rtc_session_description_to_string() writes a
 * model back out in the shape browsers expect.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sdp.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_sdp_debug);
#define GST_CAT_DEFAULT gst_rtc_sdp_debug

/* Limits against hostile descriptions. Browsers stay far below them: a
 * Chrome offer has about 15 codecs per video m-line and a few candidates. */
#define MAX_MEDIA 64
#define MAX_CANDIDATES 256
#define MAX_CODECS 64
#define MAX_RIDS 16
#define MAX_SDP_LENGTH (1024 * 1024)
/* Each value we keep is bounded too, so that what we write back (where a
 * msid or cname appears up to three times) stays far below
 * MAX_SDP_LENGTH. 255 is also the most an RTCP SDES item can carry. */
#define MAX_TOKEN_LENGTH 255
#define MAX_FMTP_LENGTH 4096
#define MAX_CANDIDATE_LENGTH 1024

#define MAX_PAYLOAD_TYPE 127
#define N_PAYLOAD_TYPES (MAX_PAYLOAD_TYPE + 1)
#define MAX_EXTMAP_ID 255
#define SHA256_LENGTH 32

#define EXT_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define EXT_URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define EXT_URI_TWCC \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* What we answer for Opus whatever the offer says: 10 ms frames are the
 * smallest browsers use, and in-band FEC costs little and saves a lot. */
#define OPUS_ANSWER_FMTP "minptime=10;useinbandfec=1"

/* RFC 6184 section 8.1: without profile-level-id, Baseline level 1. */
#define H264_DEFAULT_PROFILE_LEVEL_ID "42000a"

#define VIDEO_FEEDBACK (GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI | \
    GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC | \
    GST_RTC_RTCP_FB_GOOG_REMB)

static void
ensure_debug_category (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtc_sdp_debug, "rtcsdp", 0,
        "gst-rtc SDP offer/answer");
    g_once_init_leave (&initialised, 1);
  }
}

/* ---- small parsing helpers ---- */

static gboolean
parse_uint (const gchar * text, guint64 max, guint64 * value)
{
  guint64 parsed;

  if (text == NULL || !g_ascii_isdigit (text[0]))
    return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &parsed, NULL))
    return FALSE;
  *value = parsed;
  return TRUE;
}

static gboolean
parse_payload_type (const gchar * text, guint * payload_type)
{
  guint64 value;

  if (!parse_uint (text, MAX_PAYLOAD_TYPE, &value))
    return FALSE;
  *payload_type = (guint) value;
  return TRUE;
}

/* Splits on runs of spaces and tabs, dropping empty tokens: GstSDPMessage
 * keeps attribute values as written, with any extra blanks. */
static gchar **
split_tokens (const gchar * text, gint max_tokens)
{
  GPtrArray *tokens = g_ptr_array_new ();
  const gchar *p = text;

  while (p != NULL && *p != '\0') {
    const gchar *start;

    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0')
      break;
    start = p;
    if (max_tokens > 0 && (gint) tokens->len == max_tokens - 1) {
      gchar *rest = g_strdup (start);

      g_ptr_array_add (tokens, g_strstrip (rest));
      break;
    }
    while (*p != '\0' && *p != ' ' && *p != '\t')
      p++;
    g_ptr_array_add (tokens, g_strndup (start, p - start));
  }
  g_ptr_array_add (tokens, NULL);
  return (gchar **) g_ptr_array_free (tokens, FALSE);
}

static gboolean
strv_has (gchar ** strv, const gchar * value)
{
  return strv != NULL && value != NULL
      && g_strv_contains ((const gchar * const *) strv, value);
}

static gboolean
str_equal0 (const gchar * a, const gchar * b)
{
  return g_strcmp0 (a, b) == 0;
}

/* "m-line 2 (mid "1")", for error messages. */
static gchar *
describe_mline (guint index, const gchar * mid)
{
  if (mid != NULL)
    return g_strdup_printf ("m-line %u (mid \"%s\")", index, mid);
  return g_strdup_printf ("m-line %u", index);
}

static gboolean
check_length (const gchar * value, gsize max, const gchar * what,
    const gchar * where, GError ** error)
{
  if (value == NULL || strlen (value) <= max)
    return TRUE;
  g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
      "%s: %s is longer than %" G_GSIZE_FORMAT " characters, the limit",
      where, what, max);
  return FALSE;
}

static gchar *
fmtp_lookup (const gchar * fmtp, const gchar * key)
{
  gchar **params;
  gchar *found = NULL;

  if (fmtp == NULL || key == NULL)
    return NULL;

  params = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; params[i] != NULL && found == NULL; i++) {
    gchar *param = g_strstrip (params[i]);
    gchar *equals = strchr (param, '=');

    if (equals == NULL) {
      if (g_ascii_strcasecmp (param, key) == 0)
        found = g_strdup ("");
      continue;
    }
    *equals = '\0';
    if (g_ascii_strcasecmp (g_strstrip (param), key) == 0)
      found = g_strdup (g_strstrip (equals + 1));
  }
  g_strfreev (params);
  return found;
}

/* The numeric value of an fmtp parameter, or @fallback when absent. A value
 * that is present but not a number gives G_MAXUINT, so it matches nothing. */
static guint
fmtp_lookup_uint (const gchar * fmtp, const gchar * key, guint fallback)
{
  gchar *text = fmtp_lookup (fmtp, key);
  guint64 value;
  guint result = fallback;

  if (text != NULL)
    result = parse_uint (text, G_MAXUINT - 1, &value) ? (guint) value :
        G_MAXUINT;
  g_free (text);
  return result;
}

static const gchar *
direction_name (GstRtcDirection direction)
{
  switch (direction) {
    case GST_RTC_DIRECTION_INACTIVE:
      return "inactive";
    case GST_RTC_DIRECTION_SENDONLY:
      return "sendonly";
    case GST_RTC_DIRECTION_RECVONLY:
      return "recvonly";
    case GST_RTC_DIRECTION_SENDRECV:
      return "sendrecv";
    case GST_RTC_DIRECTION_NONE:
    default:
      return "none";
  }
}

static gboolean
direction_from_name (const gchar * name, GstRtcDirection * direction)
{
  static const GstRtcDirection directions[] = { GST_RTC_DIRECTION_INACTIVE,
    GST_RTC_DIRECTION_SENDONLY, GST_RTC_DIRECTION_RECVONLY,
    GST_RTC_DIRECTION_SENDRECV
  };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++) {
    if (g_strcmp0 (name, direction_name (directions[i])) == 0) {
      *direction = directions[i];
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
direction_sends (GstRtcDirection direction)
{
  return direction == GST_RTC_DIRECTION_SENDRECV
      || direction == GST_RTC_DIRECTION_SENDONLY
      || direction == GST_RTC_DIRECTION_NONE;
}

static gboolean
direction_receives (GstRtcDirection direction)
{
  return direction == GST_RTC_DIRECTION_SENDRECV
      || direction == GST_RTC_DIRECTION_RECVONLY
      || direction == GST_RTC_DIRECTION_NONE;
}

static GstRtcDirection
direction_from_flags (gboolean sends, gboolean receives)
{
  if (sends && receives)
    return GST_RTC_DIRECTION_SENDRECV;
  if (sends)
    return GST_RTC_DIRECTION_SENDONLY;
  if (receives)
    return GST_RTC_DIRECTION_RECVONLY;
  return GST_RTC_DIRECTION_INACTIVE;
}

static const gchar *
setup_name (GstRtcDtlsSetup setup)
{
  switch (setup) {
    case GST_RTC_DTLS_SETUP_ACTPASS:
      return "actpass";
    case GST_RTC_DTLS_SETUP_ACTIVE:
      return "active";
    case GST_RTC_DTLS_SETUP_PASSIVE:
      return "passive";
    case GST_RTC_DTLS_SETUP_NONE:
    default:
      return NULL;
  }
}

static gboolean
setup_from_name (const gchar * name, GstRtcDtlsSetup * setup)
{
  if (g_strcmp0 (name, "actpass") == 0)
    *setup = GST_RTC_DTLS_SETUP_ACTPASS;
  else if (g_strcmp0 (name, "active") == 0)
    *setup = GST_RTC_DTLS_SETUP_ACTIVE;
  else if (g_strcmp0 (name, "passive") == 0)
    *setup = GST_RTC_DTLS_SETUP_PASSIVE;
  else
    return FALSE;
  return TRUE;
}

/* ---- codecs ---- */

/**
 * gst_rtc_codec_new:
 * @payload_type: the RTP payload type, 0..127
 * @encoding_name: the encoding name; it is stored upper-cased
 * @clock_rate: the RTP clock rate
 * @channels: audio channels, 0 for video
 * @fmtp: (nullable): the a=fmtp parameters, without `a=fmtp:PT `
 *
 * Creates a codec with no RTX and no RTCP feedback.
 *
 * Returns: (transfer full): a new #GstRtcCodec
 */
GstRtcCodec *
gst_rtc_codec_new (guint payload_type, const gchar * encoding_name,
    guint clock_rate, guint channels, const gchar * fmtp)
{
  GstRtcCodec *codec;

  g_return_val_if_fail (payload_type <= MAX_PAYLOAD_TYPE, NULL);
  g_return_val_if_fail (encoding_name != NULL, NULL);

  codec = g_new0 (GstRtcCodec, 1);
  codec->payload_type = payload_type;
  codec->encoding_name = g_ascii_strup (encoding_name, -1);
  codec->clock_rate = clock_rate;
  codec->channels = channels;
  codec->fmtp = (fmtp != NULL && fmtp[0] != '\0') ? g_strdup (fmtp) : NULL;
  return codec;
}

/**
 * gst_rtc_codec_copy:
 * @codec: a #GstRtcCodec
 *
 * Copies a codec description.
 *
 * Returns: (transfer full): a deep copy of @codec
 */
GstRtcCodec *
gst_rtc_codec_copy (const GstRtcCodec * codec)
{
  GstRtcCodec *copy;

  g_return_val_if_fail (codec != NULL, NULL);

  copy = g_new0 (GstRtcCodec, 1);
  *copy = *codec;
  copy->encoding_name = g_strdup (codec->encoding_name);
  copy->fmtp = g_strdup (codec->fmtp);
  return copy;
}

/**
 * gst_rtc_codec_free:
 * @codec: (nullable) (transfer full): a #GstRtcCodec
 *
 * Frees @codec.
 */
void
gst_rtc_codec_free (GstRtcCodec * codec)
{
  if (codec == NULL)
    return;
  g_free (codec->encoding_name);
  g_free (codec->fmtp);
  g_free (codec);
}

G_DEFINE_BOXED_TYPE (GstRtcCodec, gst_rtc_codec, gst_rtc_codec_copy,
    gst_rtc_codec_free);

/**
 * gst_rtc_codec_get_fmtp_value:
 * @codec: a #GstRtcCodec
 * @key: an fmtp parameter name, matched without regard to case
 *
 * Looks a parameter up in the codec's a=fmtp, such as `profile-level-id`
 * or `apt`. A parameter written without `=` has the value "".
 *
 * Returns: (transfer full) (nullable): its value, or %NULL when absent
 */
gchar *
gst_rtc_codec_get_fmtp_value (const GstRtcCodec * codec, const gchar * key)
{
  g_return_val_if_fail (codec != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return fmtp_lookup (codec->fmtp, key);
}

/* Caps field names must be plain tokens; an fmtp from the network may
 * hold anything. */
static gboolean
is_caps_field_name (const gchar * name)
{
  if (name == NULL || !g_ascii_isalpha (name[0]))
    return FALSE;
  for (const gchar * p = name; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  }
  return TRUE;
}

static const gchar *const reserved_caps_fields[] = {
  "media", "payload", "clock-rate", "encoding-name", "encoding-params",
  "ssrc", "timestamp-offset", "seqnum-offset", "clock-base", "seqnum-base",
  "npt-start", "npt-stop", "play-speed", "play-scale", "onvif-mode",
  "mikey", NULL
};

static const gchar *const reserved_caps_prefixes[] = {
  "a-", "x-", "rtcp-fb-", "extmap-", "srtp-", "srtcp-", "rtx-", NULL
};

static gboolean
is_reserved_caps_field (const gchar * name)
{
  if (g_strv_contains (reserved_caps_fields, name))
    return TRUE;
  for (guint i = 0; reserved_caps_prefixes[i] != NULL; i++) {
    if (g_str_has_prefix (name, reserved_caps_prefixes[i]))
      return TRUE;
  }
  return FALSE;
}

static const struct
{
  GstRtcRtcpFeedback flag;
  const gchar *caps_field;
  const gchar *sdp_value;
} feedback_names[] = {
  /* In the order Chrome writes them. */
  {GST_RTC_RTCP_FB_GOOG_REMB, "rtcp-fb-goog-remb", "goog-remb"},
  {GST_RTC_RTCP_FB_TRANSPORT_CC, "rtcp-fb-transport-cc", "transport-cc"},
  {GST_RTC_RTCP_FB_CCM_FIR, "rtcp-fb-ccm-fir", "ccm fir"},
  {GST_RTC_RTCP_FB_NACK, "rtcp-fb-nack", "nack"},
  {GST_RTC_RTCP_FB_NACK_PLI, "rtcp-fb-nack-pli", "nack pli"},
};

/**
 * gst_rtc_codec_to_caps:
 * @codec: a #GstRtcCodec
 * @kind: the kind of its m-line
 *
 * Builds the `application/x-rtp` caps rtpbin and the depayloaders expect
 * for @codec, in the shape gst_sdp_media_get_caps_from_media() gives:
 * `media`, `encoding-name`, `clock-rate`, `payload`, `encoding-params`
 * (the channels, for multi-channel audio), each fmtp parameter as a string
 * field, and `rtcp-fb-*` booleans.
 *
 * Returns: (transfer full): the caps
 */
GstCaps *
gst_rtc_codec_to_caps (const GstRtcCodec * codec, GstRtcMediaKind kind)
{
  GstStructure *s;

  g_return_val_if_fail (codec != NULL, NULL);
  g_return_val_if_fail (codec->encoding_name != NULL, NULL);

  s = gst_structure_new ("application/x-rtp",
      "media", G_TYPE_STRING,
      kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio",
      "encoding-name", G_TYPE_STRING, codec->encoding_name,
      "clock-rate", G_TYPE_INT, (gint) codec->clock_rate,
      "payload", G_TYPE_INT, (gint) codec->payload_type, NULL);

  if (kind == GST_RTC_MEDIA_KIND_AUDIO && codec->channels > 1) {
    gchar *channels = g_strdup_printf ("%u", codec->channels);

    gst_structure_set (s, "encoding-params", G_TYPE_STRING, channels, NULL);
    g_free (channels);
  }

  if (codec->fmtp != NULL) {
    gchar **params = g_strsplit (codec->fmtp, ";", -1);

    for (guint i = 0; params[i] != NULL; i++) {
      gchar *param = g_strstrip (params[i]);
      gchar *equals = strchr (param, '=');
      gchar *key;

      /* Valueless parameters such as telephone-event's "0-15" have no
       * caps equivalent. */
      if (equals == NULL)
        continue;
      *equals = '\0';
      key = g_ascii_strdown (g_strstrip (param), -1);
      if (is_caps_field_name (key) && !is_reserved_caps_field (key)
          && !gst_structure_has_field (s, key))
        gst_structure_set (s, key, G_TYPE_STRING, g_strstrip (equals + 1),
            NULL);
      g_free (key);
    }
    g_strfreev (params);
  }

  for (guint i = 0; i < G_N_ELEMENTS (feedback_names); i++) {
    if (codec->feedback & feedback_names[i].flag)
      gst_structure_set (s, feedback_names[i].caps_field, G_TYPE_BOOLEAN, TRUE,
          NULL);
  }

  return gst_caps_new_full (s, NULL);
}

typedef struct
{
  GString *fmtp;
  GstRtcRtcpFeedback feedback;
} CapsFields;

static gboolean
collect_caps_field (GQuark field_id, const GValue * value, gpointer user_data)
{
  CapsFields *fields = user_data;
  const gchar *name = g_quark_to_string (field_id);
  gchar *text = NULL;

  if (g_str_has_prefix (name, "rtcp-fb-")) {
    for (guint i = 0; i < G_N_ELEMENTS (feedback_names); i++) {
      if (g_str_equal (name, feedback_names[i].caps_field)
          && G_VALUE_HOLDS_BOOLEAN (value) && g_value_get_boolean (value))
        fields->feedback |= feedback_names[i].flag;
    }
    return TRUE;
  }
  if (is_reserved_caps_field (name))
    return TRUE;

  if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) != NULL)
    text = g_value_dup_string (value);
  else if (G_VALUE_HOLDS_INT (value))
    text = g_strdup_printf ("%d", g_value_get_int (value));
  else if (G_VALUE_HOLDS_UINT (value))
    text = g_strdup_printf ("%u", g_value_get_uint (value));

  /* Non-fixed values (lists, ranges) and other types have no place in an
   * fmtp line. */
  if (text != NULL && strpbrk (text, ";\r\n") == NULL) {
    if (fields->fmtp->len > 0)
      g_string_append_c (fields->fmtp, ';');
    g_string_append_printf (fields->fmtp, "%s=%s", name, text);
  }
  g_free (text);
  return TRUE;
}

/**
 * gst_rtc_codec_new_from_caps:
 * @caps: `application/x-rtp` caps, as on a sink pad of rtcbin
 * @error: return location for a #GError, or %NULL
 *
 * The inverse of gst_rtc_codec_to_caps(): reads `encoding-name`,
 * `clock-rate`, `payload`, `encoding-params` and `media`, turns the other
 * string fields (`profile-level-id`, `packetization-mode`, …) into the
 * fmtp, and `rtcp-fb-*` booleans into feedback. Fields that describe a
 * stream rather than a format (`ssrc`, `seqnum-offset`, `a-*`, `x-*`, …)
 * are left out.
 *
 * Returns: (transfer full) (nullable): a new codec, or %NULL with @error
 *   set (%GST_RTC_ERROR_TYPE_ERROR) naming what is missing
 */
GstRtcCodec *
gst_rtc_codec_new_from_caps (const GstCaps * caps, GError ** error)
{
  const GstStructure *s;
  const gchar *encoding_name, *media, *encoding_params;
  gint clock_rate, payload;
  guint channels;
  gboolean audio;
  CapsFields fields = { NULL, GST_RTC_RTCP_FB_NONE };
  GstRtcCodec *codec;

  g_return_val_if_fail (GST_IS_CAPS (caps), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  ensure_debug_category ();

  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "caps are empty or ANY, not application/x-rtp");
    return NULL;
  }
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_has_name (s, "application/x-rtp")) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "caps are %s, not application/x-rtp", gst_structure_get_name (s));
    return NULL;
  }
  encoding_name = gst_structure_get_string (s, "encoding-name");
  if (encoding_name == NULL || encoding_name[0] == '\0') {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "application/x-rtp caps have no encoding-name string");
    return NULL;
  }
  if (!gst_structure_get_int (s, "clock-rate", &clock_rate)
      || clock_rate <= 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "application/x-rtp caps for %s have no positive clock-rate integer",
        encoding_name);
    return NULL;
  }
  if (!gst_structure_get_int (s, "payload", &payload) || payload < 0
      || payload > MAX_PAYLOAD_TYPE) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "application/x-rtp caps for %s have no payload integer from 0 to 127",
        encoding_name);
    return NULL;
  }

  media = gst_structure_get_string (s, "media");
  /* Without media, a 90 kHz clock is what every video payload uses. */
  audio = media != NULL ? g_str_equal (media, "audio") : clock_rate != 90000;
  channels = audio ? 1 : 0;
  encoding_params = gst_structure_get_string (s, "encoding-params");
  if (audio && encoding_params != NULL) {
    guint64 value;

    if (!parse_uint (encoding_params, 255, &value) || value == 0) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "encoding-params \"%s\" of %s is not a channel count",
          encoding_params, encoding_name);
      return NULL;
    }
    channels = (guint) value;
  }

  fields.fmtp = g_string_new (NULL);
  gst_structure_foreach (s, collect_caps_field, &fields);

  codec = gst_rtc_codec_new (payload, encoding_name, clock_rate, channels,
      fields.fmtp->str);
  codec->feedback = fields.feedback;
  g_string_free (fields.fmtp, TRUE);
  return codec;
}

/**
 * gst_rtc_codecs_default:
 * @kind: audio or video
 *
 * Our codecs in order of preference: for video VP8 (96, RTX 97),
 * VP9 profile 0 (98, RTX 99), H.264 constrained baseline 3.1 (100, RTX 101)
 * and H.264 constrained high 3.1 (102, RTX 103), all with NACK, PLI, FIR,
 * transport-cc
 * and REMB; for audio Opus (111), PCMU (0) and PCMA (8).
 *
 * Returns: (transfer container) (element-type GstRtcCodec): the codecs
 */
GPtrArray *
gst_rtc_codecs_default (GstRtcMediaKind kind)
{
  GPtrArray *codecs =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_rtc_codec_free);
  GstRtcCodec *codec;

  if (kind == GST_RTC_MEDIA_KIND_VIDEO) {
    static const struct
    {
      guint payload_type, rtx_payload_type;
      const gchar *name, *fmtp;
    } video[] = {
      {96, 97, "VP8", NULL},
      {98, 99, "VP9", "profile-id=0"},
      {100, 101, "H264",
          "level-asymmetry-allowed=1;packetization-mode=1;"
          "profile-level-id=42e01f"},
      {102, 103, "H264",
          "level-asymmetry-allowed=1;packetization-mode=1;"
          "profile-level-id=640c1f"},
    };

    for (guint i = 0; i < G_N_ELEMENTS (video); i++) {
      codec = gst_rtc_codec_new (video[i].payload_type, video[i].name, 90000,
          0, video[i].fmtp);
      codec->rtx_payload_type = video[i].rtx_payload_type;
      codec->feedback = VIDEO_FEEDBACK;
      g_ptr_array_add (codecs, codec);
    }
  } else {
    codec = gst_rtc_codec_new (111, "OPUS", 48000, 2, OPUS_ANSWER_FMTP);
    codec->feedback = GST_RTC_RTCP_FB_TRANSPORT_CC;
    g_ptr_array_add (codecs, codec);
    g_ptr_array_add (codecs, gst_rtc_codec_new (0, "PCMU", 8000, 1, NULL));
    g_ptr_array_add (codecs, gst_rtc_codec_new (8, "PCMA", 8000, 1, NULL));
  }
  return codecs;
}

/* ---- media and session descriptions ---- */

static GPtrArray *
new_codec_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) gst_rtc_codec_free);
}

/**
 * gst_rtc_media_description_new:
 * @mline: the m-line's index
 * @kind: audio or video
 *
 * Creates an empty, sendrecv media description.
 *
 * Returns: (transfer full): a new #GstRtcMediaDescription
 */
GstRtcMediaDescription *
gst_rtc_media_description_new (guint mline, GstRtcMediaKind kind)
{
  GstRtcMediaDescription *media = g_new0 (GstRtcMediaDescription, 1);

  media->mline = mline;
  media->kind = kind;
  media->direction = GST_RTC_DIRECTION_SENDRECV;
  media->codecs = new_codec_array ();
  media->candidates = g_ptr_array_new_with_free_func (g_free);
  return media;
}

/**
 * gst_rtc_media_description_copy:
 * @media: a #GstRtcMediaDescription
 *
 * Copies an m-line description.
 *
 * Returns: (transfer full): a deep copy of @media
 */
GstRtcMediaDescription *
gst_rtc_media_description_copy (const GstRtcMediaDescription * media)
{
  GstRtcMediaDescription *copy;

  g_return_val_if_fail (media != NULL, NULL);

  copy = g_new0 (GstRtcMediaDescription, 1);
  *copy = *media;
  copy->mid = g_strdup (media->mid);
  copy->cname = g_strdup (media->cname);
  copy->msid = g_strdup (media->msid);
  copy->rids = g_strdupv (media->rids);
  copy->ice_ufrag = g_strdup (media->ice_ufrag);
  copy->ice_pwd = g_strdup (media->ice_pwd);
  copy->fingerprint = g_strdup (media->fingerprint);
  copy->application = g_strdup (media->application);

  copy->codecs = new_codec_array ();
  for (guint i = 0; media->codecs != NULL && i < media->codecs->len; i++)
    g_ptr_array_add (copy->codecs,
        gst_rtc_codec_copy (g_ptr_array_index (media->codecs, i)));

  copy->candidates = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; media->candidates != NULL && i < media->candidates->len;
      i++)
    g_ptr_array_add (copy->candidates,
        g_strdup (g_ptr_array_index (media->candidates, i)));
  return copy;
}

/**
 * gst_rtc_media_description_free:
 * @media: (nullable) (transfer full): a #GstRtcMediaDescription
 *
 * Frees @media and everything it holds.
 */
void
gst_rtc_media_description_free (GstRtcMediaDescription * media)
{
  if (media == NULL)
    return;
  g_free (media->mid);
  if (media->codecs != NULL)
    g_ptr_array_unref (media->codecs);
  g_free (media->cname);
  g_free (media->msid);
  g_strfreev (media->rids);
  g_free (media->ice_ufrag);
  g_free (media->ice_pwd);
  g_free (media->fingerprint);
  if (media->candidates != NULL)
    g_ptr_array_unref (media->candidates);
  g_free (media->application);
  g_free (media);
}

G_DEFINE_BOXED_TYPE (GstRtcMediaDescription, gst_rtc_media_description,
    gst_rtc_media_description_copy, gst_rtc_media_description_free);

/**
 * gst_rtc_media_description_find_codec:
 * @media: a #GstRtcMediaDescription
 * @payload_type: a payload type
 *
 * Finds the codec whose own payload type is @payload_type (an RTX payload
 * type finds nothing: look at each codec's @rtx_payload_type for those).
 *
 * Returns: (transfer none) (nullable): the codec, or %NULL
 */
const GstRtcCodec *
gst_rtc_media_description_find_codec (const GstRtcMediaDescription * media,
    guint payload_type)
{
  g_return_val_if_fail (media != NULL, NULL);

  for (guint i = 0; media->codecs != NULL && i < media->codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (media->codecs, i);

    if (codec->payload_type == payload_type)
      return codec;
  }
  return NULL;
}

/**
 * gst_rtc_session_description_new:
 * @type: offer, pranswer or answer
 *
 * Creates a description with no m-lines.
 *
 * Returns: (transfer full): a new #GstRtcSessionDescription
 */
GstRtcSessionDescription *
gst_rtc_session_description_new (GstRtcSdpType type)
{
  GstRtcSessionDescription *desc = g_new0 (GstRtcSessionDescription, 1);

  desc->type = type;
  desc->media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_rtc_media_description_free);
  return desc;
}

/**
 * gst_rtc_session_description_copy:
 * @desc: a #GstRtcSessionDescription
 *
 * Copies a session description.
 *
 * Returns: (transfer full): a deep copy of @desc
 */
GstRtcSessionDescription *
gst_rtc_session_description_copy (const GstRtcSessionDescription * desc)
{
  GstRtcSessionDescription *copy;

  g_return_val_if_fail (desc != NULL, NULL);

  copy = gst_rtc_session_description_new (desc->type);
  copy->session_id = g_strdup (desc->session_id);
  copy->session_version = desc->session_version;
  copy->bundle_mids = g_strdupv (desc->bundle_mids);
  copy->ice_lite = desc->ice_lite;
  copy->ice_trickle = desc->ice_trickle;
  for (guint i = 0; desc->media != NULL && i < desc->media->len; i++)
    g_ptr_array_add (copy->media,
        gst_rtc_media_description_copy (g_ptr_array_index (desc->media, i)));
  return copy;
}

/**
 * gst_rtc_session_description_free:
 * @desc: (nullable) (transfer full): a #GstRtcSessionDescription
 *
 * Frees @desc and everything it holds.
 */
void
gst_rtc_session_description_free (GstRtcSessionDescription * desc)
{
  if (desc == NULL)
    return;
  g_free (desc->session_id);
  if (desc->media != NULL)
    g_ptr_array_unref (desc->media);
  g_strfreev (desc->bundle_mids);
  g_free (desc);
}

G_DEFINE_BOXED_TYPE (GstRtcSessionDescription, gst_rtc_session_description,
    gst_rtc_session_description_copy, gst_rtc_session_description_free);

/* ---- parsing ---- */

/* What the session level says, as defaults for every m-line. */
typedef struct
{
  GstRtcSdpType type;
  guint n_candidates;
  gchar *ice_ufrag;
  gchar *ice_pwd;
  gchar *fingerprint;
  GstRtcDtlsSetup setup;
  GstRtcDirection direction;
  gboolean end_of_candidates;
  gboolean ice_trickle;
} ParseContext;

/* What the a=rtpmap, a=fmtp and a=rtcp-fb lines of one m-line say about
 * one payload type. */
typedef struct
{
  gboolean listed;
  gboolean has_rtpmap;
  gchar *name;
  guint clock_rate;
  guint channels;
  gchar *fmtp;
  GstRtcRtcpFeedback feedback;
} PayloadInfo;

static const struct
{
  guint payload_type;
  const gchar *name;
  guint clock_rate;
} static_audio_payloads[] = {
  /* RFC 3551 table 4: the static types browsers still list without an
   * a=rtpmap. */
  {0, "PCMU", 8000},
  {3, "GSM", 8000},
  {4, "G723", 8000},
  {8, "PCMA", 8000},
  {9, "G722", 8000},
  {13, "CN", 8000},
  {18, "G729", 8000},
};

/* The codecs an answerer of ours could pick: an m-line offering none of
 * them is worth a log line when it gets rejected later. */
static const gchar *const usable_codec_names[] = {
  "OPUS", "PCMU", "PCMA", "VP8", "VP9", "H264", "AV1", NULL
};

static const GstSDPAttribute *
attribute_at (const GArray * attributes, guint i)
{
  return &g_array_index (attributes, GstSDPAttribute, i);
}

/* The first attribute @key, stripped of blanks, or NULL. */
static gchar *
dup_attribute (const GArray * attributes, const gchar * key)
{
  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);

    if (g_strcmp0 (attr->key, key) == 0 && attr->value != NULL) {
      gchar *value = g_strstrip (g_strdup (attr->value));

      if (value[0] != '\0')
        return value;
      g_free (value);
    }
  }
  return NULL;
}

static gboolean
has_attribute (const GArray * attributes, const gchar * key)
{
  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    if (g_strcmp0 (attribute_at (attributes, i)->key, key) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
has_ice_option (const GArray * attributes, const gchar * option)
{
  gboolean found = FALSE;

  for (guint i = 0; attributes != NULL && i < attributes->len && !found; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;

    if (g_strcmp0 (attr->key, "ice-options") != 0 || attr->value == NULL)
      continue;
    tokens = split_tokens (attr->value, -1);
    found = strv_has (tokens, option);
    g_strfreev (tokens);
  }
  return found;
}

static gboolean
is_sha256_fingerprint (const gchar * hex)
{
  /* 32 bytes: "AB:CD:…", 95 characters. */
  if (strlen (hex) != SHA256_LENGTH * 3 - 1)
    return FALSE;
  for (guint i = 0; hex[i] != '\0'; i++) {
    if (i % 3 == 2 ? hex[i] != ':' : !g_ascii_isxdigit (hex[i]))
      return FALSE;
  }
  return TRUE;
}

/* Picks the sha-256 a=fingerprint of @attributes into *fingerprint (left
 * NULL when there is no a=fingerprint at all). aiortc lists sha-256,
 * sha-384 and sha-512 ones; only a list without sha-256 is refused. */
static gboolean
parse_fingerprints (const GArray * attributes, const gchar * where,
    gchar ** fingerprint, GError ** error)
{
  gchar *other_hash = NULL;
  gboolean ok = TRUE;

  for (guint i = 0; attributes != NULL && i < attributes->len && ok; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;

    if (g_strcmp0 (attr->key, "fingerprint") != 0)
      continue;
    tokens = split_tokens (attr->value, -1);
    if (g_strv_length (tokens) != 2) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s: malformed a=fingerprint:%s (want \"<hash> <hex>\")", where,
          attr->value != NULL ? attr->value : "");
      ok = FALSE;
    } else if (g_ascii_strcasecmp (tokens[0], "sha-256") == 0) {
      if (!is_sha256_fingerprint (tokens[1])) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "%s: malformed sha-256 a=fingerprint \"%s\" (want 32 hex "
            "bytes separated by colons)", where, tokens[1]);
        ok = FALSE;
      } else if (*fingerprint == NULL) {
        gchar *hex = g_ascii_strup (tokens[1], -1);

        *fingerprint = g_strconcat ("sha-256 ", hex, NULL);
        g_free (hex);
      }
    } else if (other_hash == NULL) {
      other_hash = g_strdup (tokens[0]);
    }
    g_strfreev (tokens);
  }

  if (ok && *fingerprint == NULL && other_hash != NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "%s: a=fingerprint uses hash %s; only sha-256 is supported", where,
        other_hash);
    ok = FALSE;
  }
  g_free (other_hash);
  return ok;
}

static gboolean
parse_setup_attribute (const GArray * attributes, GstRtcSdpType type,
    const gchar * where, GstRtcDtlsSetup * setup, GError ** error)
{
  gchar *value = dup_attribute (attributes, "setup");
  gboolean ok = TRUE;

  if (value == NULL) {
    if (has_attribute (attributes, "setup")) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s: empty a=setup", where);
      return FALSE;
    }
    return TRUE;
  }
  if (!setup_from_name (value, setup)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "%s: a=setup:%s is not actpass, active or passive", where, value);
    ok = FALSE;
  } else if (*setup == GST_RTC_DTLS_SETUP_ACTPASS
      && (type == GST_RTC_SDP_TYPE_ANSWER
          || type == GST_RTC_SDP_TYPE_PRANSWER)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "%s: a=setup:actpass is not allowed in an answer (RFC 5763: the "
        "answerer must pick active or passive)", where);
    ok = FALSE;
  }
  g_free (value);
  return ok;
}

static gboolean
parse_direction_attribute (const GArray * attributes,
    GstRtcDirection * direction)
{
  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    if (direction_from_name (attribute_at (attributes, i)->key, direction))
      return TRUE;
  }
  return FALSE;
}

static gboolean
parse_ice_credential (const GArray * attributes, const gchar * key,
    const gchar * where, gchar ** credential, GError ** error)
{
  gchar *value = dup_attribute (attributes, key);

  if (value == NULL)
    return TRUE;
  if (strlen (value) > MAX_TOKEN_LENGTH || strchr (value, ' ')
      || strchr (value, '\t')) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "%s: a=%s is not one token of at most %u characters, the limit",
        where, key, MAX_TOKEN_LENGTH);
    g_free (value);
    return FALSE;
  }
  *credential = value;
  return TRUE;
}

/* "96 VP8/90000" or "111 opus/48000/2". */
static gboolean
parse_rtpmap (const gchar * value, guint * payload_type, gchar ** name,
    guint * clock_rate, guint * channels)
{
  gchar **tokens = split_tokens (value, 2);
  gchar **parts = NULL;
  guint64 number;
  gboolean ok = FALSE;

  if (g_strv_length (tokens) != 2 || !parse_payload_type (tokens[0],
          payload_type))
    goto done;
  parts = g_strsplit (tokens[1], "/", 4);
  if (g_strv_length (parts) < 2 || g_strv_length (parts) > 3
      || parts[0][0] == '\0')
    goto done;
  if (!parse_uint (parts[1], G_MAXINT, &number) || number == 0)
    goto done;
  *clock_rate = (guint) number;
  *channels = 0;
  if (parts[2] != NULL) {
    if (!parse_uint (parts[2], 255, &number) || number == 0)
      goto done;
    *channels = (guint) number;
  }
  *name = g_strdup (parts[0]);
  ok = TRUE;

done:
  g_strfreev (parts);
  g_strfreev (tokens);
  return ok;
}

static GstRtcRtcpFeedback
feedback_from_tokens (gchar ** tokens)
{
  const gchar *type = tokens[1];
  const gchar *param = type != NULL ? tokens[2] : NULL;

  if (g_strcmp0 (type, "nack") == 0 && param == NULL)
    return GST_RTC_RTCP_FB_NACK;
  if (g_strcmp0 (type, "nack") == 0 && g_strcmp0 (param, "pli") == 0)
    return GST_RTC_RTCP_FB_NACK_PLI;
  if (g_strcmp0 (type, "ccm") == 0 && g_strcmp0 (param, "fir") == 0)
    return GST_RTC_RTCP_FB_CCM_FIR;
  if (g_strcmp0 (type, "transport-cc") == 0)
    return GST_RTC_RTCP_FB_TRANSPORT_CC;
  if (g_strcmp0 (type, "goog-remb") == 0)
    return GST_RTC_RTCP_FB_GOOG_REMB;
  return GST_RTC_RTCP_FB_NONE;
}

/* Reads a=rtpmap, a=fmtp and a=rtcp-fb into @payloads (indexed by payload
 * type; only types listed on the m= line are kept). */
static gboolean
collect_payload_info (const GArray * attributes, const gchar * where,
    PayloadInfo * payloads, GstRtcRtcpFeedback * wildcard_feedback,
    GError ** error)
{
  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    const gchar *value = attr->value != NULL ? attr->value : "";
    guint pt = 0;

    if (g_strcmp0 (attr->key, "rtpmap") == 0) {
      gchar *name = NULL;
      guint clock_rate, channels;

      if (!parse_rtpmap (value, &pt, &name, &clock_rate, &channels)) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
            "%s: malformed a=rtpmap:%s", where, value);
        return FALSE;
      }
      if (!check_length (name, MAX_TOKEN_LENGTH, "an a=rtpmap encoding name",
              where, error)) {
        g_free (name);
        return FALSE;
      }
      if (!payloads[pt].listed || payloads[pt].has_rtpmap) {
        GST_DEBUG ("%s: ignoring a=rtpmap:%s (not listed, or repeated)",
            where, value);
        g_free (name);
        continue;
      }
      payloads[pt].has_rtpmap = TRUE;
      payloads[pt].name = name;
      payloads[pt].clock_rate = clock_rate;
      payloads[pt].channels = channels;
    } else if (g_strcmp0 (attr->key, "fmtp") == 0) {
      gchar **tokens = split_tokens (value, 2);

      if (tokens[0] == NULL || !parse_payload_type (tokens[0], &pt)) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
            "%s: malformed a=fmtp:%s", where, value);
        g_strfreev (tokens);
        return FALSE;
      }
      if (!check_length (tokens[1], MAX_FMTP_LENGTH, "an a=fmtp", where,
              error)) {
        g_strfreev (tokens);
        return FALSE;
      }
      if (payloads[pt].listed && payloads[pt].fmtp == NULL
          && tokens[1] != NULL && tokens[1][0] != '\0')
        payloads[pt].fmtp = g_strdup (tokens[1]);
      g_strfreev (tokens);
    } else if (g_strcmp0 (attr->key, "rtcp-fb") == 0) {
      gchar **tokens = split_tokens (value, -1);
      GstRtcRtcpFeedback feedback;

      if (tokens[0] == NULL || tokens[1] == NULL
          || (!g_str_equal (tokens[0], "*")
              && !parse_payload_type (tokens[0], &pt))) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
            "%s: malformed a=rtcp-fb:%s", where, value);
        g_strfreev (tokens);
        return FALSE;
      }
      feedback = feedback_from_tokens (tokens);
      if (g_str_equal (tokens[0], "*"))
        *wildcard_feedback |= feedback;
      else if (payloads[pt].listed)
        payloads[pt].feedback |= feedback;
      g_strfreev (tokens);
    }
  }
  return TRUE;
}

static gboolean
build_codecs (GstRtcMediaDescription * media, const GstSDPMedia * sdp_media,
    const gchar * where, GError ** error)
{
  PayloadInfo *payloads = g_new0 (PayloadInfo, N_PAYLOAD_TYPES);
  GstRtcRtcpFeedback wildcard_feedback = GST_RTC_RTCP_FB_NONE;
  guint order[N_PAYLOAD_TYPES];
  guint n_listed = 0;
  gboolean ok = FALSE, usable = FALSE;

  for (guint i = 0; i < gst_sdp_media_formats_len (sdp_media); i++) {
    const gchar *format = gst_sdp_media_get_format (sdp_media, i);
    guint pt;

    if (format == NULL || format[0] == '\0')
      continue;
    if (!parse_payload_type (format, &pt)) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
          "%s: format \"%s\" is not a payload type from 0 to 127", where,
          format);
      goto done;
    }
    if (payloads[pt].listed) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
          "%s lists payload type %u twice", where, pt);
      goto done;
    }
    payloads[pt].listed = TRUE;
    order[n_listed++] = pt;
  }

  if (!collect_payload_info (sdp_media->attributes, where, payloads,
          &wildcard_feedback, error))
    goto done;

  for (guint i = 0; i < n_listed; i++) {
    PayloadInfo *info = &payloads[order[i]];
    const gchar *name = info->name;
    guint clock_rate = info->clock_rate, channels = info->channels;
    GstRtcCodec *codec;

    if (info->has_rtpmap && g_ascii_strcasecmp (name, "rtx") == 0)
      continue;
    if (!info->has_rtpmap) {
      name = NULL;
      for (guint j = 0; media->kind == GST_RTC_MEDIA_KIND_AUDIO
          && j < G_N_ELEMENTS (static_audio_payloads); j++) {
        if (static_audio_payloads[j].payload_type == order[i]) {
          name = static_audio_payloads[j].name;
          clock_rate = static_audio_payloads[j].clock_rate;
        }
      }
      if (name == NULL) {
        GST_DEBUG ("%s: payload type %u has no a=rtpmap, skipping it", where,
            order[i]);
        continue;
      }
    }
    if (media->codecs->len == MAX_CODECS) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s has more than %u codecs, the limit", where, MAX_CODECS);
      goto done;
    }
    if (channels == 0 && media->kind == GST_RTC_MEDIA_KIND_AUDIO)
      channels = 1;
    codec = gst_rtc_codec_new (order[i], name, clock_rate, channels,
        info->fmtp);
    codec->feedback = info->feedback | wildcard_feedback;
    g_ptr_array_add (media->codecs, codec);
    if (g_strv_contains (usable_codec_names, codec->encoding_name))
      usable = TRUE;
  }

  /* RTX is not a codec of its own but the repair stream of the one its
   * apt= names (RFC 4588). */
  for (guint i = 0; i < n_listed; i++) {
    PayloadInfo *info = &payloads[order[i]];
    guint apt;
    GstRtcCodec *repaired = NULL;

    if (!info->has_rtpmap || g_ascii_strcasecmp (info->name, "rtx") != 0)
      continue;
    apt = fmtp_lookup_uint (info->fmtp, "apt", G_MAXUINT);
    for (guint j = 0; j < media->codecs->len; j++) {
      GstRtcCodec *codec = g_ptr_array_index (media->codecs, j);

      if (codec->payload_type == apt)
        repaired = codec;
    }
    if (repaired == NULL || repaired->rtx_payload_type != 0) {
      GST_DEBUG ("%s: RTX payload type %u repairs no codec of its own, "
          "skipping it", where, order[i]);
      continue;
    }
    repaired->rtx_payload_type = order[i];
  }

  if (!usable && !media->rejected)
    GST_DEBUG ("%s offers no codec we know; an answer of ours will reject it",
        where);
  ok = TRUE;

done:
  for (guint i = 0; i < N_PAYLOAD_TYPES; i++) {
    g_free (payloads[i].name);
    g_free (payloads[i].fmtp);
  }
  g_free (payloads);
  return ok;
}

static gboolean
parse_extmaps (GstRtcMediaDescription * media, const GArray * attributes,
    const gchar * where, GError ** error)
{
  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;
    gchar *slash;
    guint64 id;
    gboolean ok;

    if (g_strcmp0 (attr->key, "extmap") != 0)
      continue;
    tokens = split_tokens (attr->value, -1);
    ok = tokens[0] != NULL && tokens[1] != NULL;
    if (ok) {
      /* "<id>[/<direction>] <uri> [<attributes>]" (RFC 8285) */
      slash = strchr (tokens[0], '/');
      if (slash != NULL)
        *slash = '\0';
      ok = parse_uint (tokens[0], MAX_EXTMAP_ID, &id) && id > 0;
    }
    if (!ok) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
          "%s: malformed a=extmap:%s (want an id from 1 to %u and a URI)",
          where, attr->value != NULL ? attr->value : "", MAX_EXTMAP_ID);
      g_strfreev (tokens);
      return FALSE;
    }
    if (g_str_equal (tokens[1], EXT_URI_MID) && media->ext_mid == 0)
      media->ext_mid = id;
    else if (g_str_equal (tokens[1], EXT_URI_RID) && media->ext_rid == 0)
      media->ext_rid = id;
    else if (g_str_equal (tokens[1], EXT_URI_TWCC) && media->ext_twcc == 0)
      media->ext_twcc = id;
    g_strfreev (tokens);
  }
  return TRUE;
}

static gboolean
parse_ssrc_value (const gchar * text, guint32 * ssrc)
{
  guint64 value;

  if (!parse_uint (text, G_MAXUINT32, &value))
    return FALSE;
  *ssrc = (guint32) value;
  return TRUE;
}

static gboolean
parse_ssrcs (GstRtcMediaDescription * media, const GArray * attributes,
    const gchar * where, GError ** error)
{
  guint32 first_ssrc = 0, fid_primary = 0, fid_repair = 0;
  gboolean have_first = FALSE, have_fid = FALSE;
  gchar *ssrc_msid = NULL;

  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;
    gboolean ok = TRUE;
    guint32 ssrc;

    if (g_strcmp0 (attr->key, "ssrc") == 0) {
      tokens = split_tokens (attr->value, 2);
      ok = tokens[0] != NULL && parse_ssrc_value (tokens[0], &ssrc);
      if (ok && !have_first) {
        first_ssrc = ssrc;
        have_first = TRUE;
      }
    } else if (g_strcmp0 (attr->key, "ssrc-group") == 0) {
      tokens = split_tokens (attr->value, -1);
      if (g_strcmp0 (tokens[0], "FID") == 0 && !have_fid) {
        ok = g_strv_length (tokens) == 3
            && parse_ssrc_value (tokens[1], &fid_primary)
            && parse_ssrc_value (tokens[2], &fid_repair);
        have_fid = ok;
      }
    } else {
      continue;
    }
    g_strfreev (tokens);
    if (!ok) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
          "%s: malformed a=%s:%s", where, attr->key,
          attr->value != NULL ? attr->value : "");
      return FALSE;
    }
  }

  if (have_fid) {
    media->ssrc = fid_primary;
    media->rtx_ssrc = fid_repair;
  } else if (have_first) {
    media->ssrc = first_ssrc;
  }
  if (!have_fid && !have_first)
    return TRUE;

  /* RFC 5576 source attributes of the media SSRC: its cname, and the
   * msid that webrtcbin and older Chrome put there instead of a=msid. */
  for (guint i = 0; i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;
    guint32 ssrc;

    if (g_strcmp0 (attr->key, "ssrc") != 0)
      continue;
    tokens = split_tokens (attr->value, 2);
    if (tokens[0] != NULL && tokens[1] != NULL
        && parse_ssrc_value (tokens[0], &ssrc) && ssrc == media->ssrc) {
      if (g_str_has_prefix (tokens[1], "cname:") && media->cname == NULL
          && tokens[1][6] != '\0')
        media->cname = g_strdup (tokens[1] + 6);
      else if (g_str_has_prefix (tokens[1], "msid:") && ssrc_msid == NULL
          && tokens[1][5] != '\0')
        ssrc_msid = g_strdup (tokens[1] + 5);
    }
    g_strfreev (tokens);
  }
  if (media->msid == NULL)
    media->msid = g_steal_pointer (&ssrc_msid);
  g_free (ssrc_msid);
  return check_length (media->cname, MAX_TOKEN_LENGTH, "the a=ssrc cname",
      where, error) && check_length (media->msid, MAX_TOKEN_LENGTH,
      "the a=ssrc msid", where, error);
}

static gboolean
parse_rids (GstRtcMediaDescription * media, const GArray * attributes,
    const gchar * where, GError ** error)
{
  GPtrArray *rids = NULL;
  gboolean ok = TRUE;

  for (guint i = 0; attributes != NULL && i < attributes->len && ok; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;

    if (g_strcmp0 (attr->key, "rid") != 0)
      continue;
    tokens = split_tokens (attr->value, 2);
    if (tokens[0] != NULL) {
      if (rids == NULL)
        rids = g_ptr_array_new_with_free_func (g_free);
      if (rids->len == MAX_RIDS) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "%s has more than %u a=rid, the limit", where, MAX_RIDS);
        ok = FALSE;
      } else {
        ok = check_length (tokens[0], MAX_TOKEN_LENGTH, "an a=rid id", where,
            error);
        if (ok)
          g_ptr_array_add (rids, g_strdup (tokens[0]));
      }
    }
    g_strfreev (tokens);
  }
  if (rids != NULL && ok) {
    g_ptr_array_set_free_func (rids, NULL);
    g_ptr_array_add (rids, NULL);
    media->rids = (gchar **) g_ptr_array_free (rids, FALSE);
  } else if (rids != NULL) {
    g_ptr_array_unref (rids);
  }
  return ok;
}

static gboolean
parse_candidates (GstRtcMediaDescription * media, const GArray * attributes,
    ParseContext * ctx, GError ** error)
{
  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar *value;

    if (g_strcmp0 (attr->key, "candidate") != 0)
      continue;
    if (++ctx->n_candidates > MAX_CANDIDATES) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "the description has more than %u candidates, the limit",
          MAX_CANDIDATES);
      return FALSE;
    }
    value = g_strstrip (g_strdup (attr->value != NULL ? attr->value : ""));
    if (strlen (value) > MAX_CANDIDATE_LENGTH) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "m-line %u: an a=candidate is longer than %u characters, the limit",
          media->mline, MAX_CANDIDATE_LENGTH);
      g_free (value);
      return FALSE;
    }
    g_ptr_array_add (media->candidates, g_strconcat ("candidate:", value,
            NULL));
    g_free (value);
  }
  return TRUE;
}

static GstRtcMediaDescription *
parse_media (ParseContext * ctx, const GstSDPMedia * sdp_media, guint index,
    GError ** error)
{
  const GArray *attributes = sdp_media->attributes;
  const gchar *type = gst_sdp_media_get_media (sdp_media);
  GstRtcMediaDescription *media = NULL;
  gchar *mid, *msid, *where;
  guint n_formats = 0;

  mid = dup_attribute (attributes, "mid");
  if (mid != NULL && strlen (mid) > MAX_TOKEN_LENGTH) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "m-line %u: a=mid is longer than %u characters, the limit", index,
        MAX_TOKEN_LENGTH);
    g_free (mid);
    return NULL;
  }
  where = describe_mline (index, mid);

  for (guint i = 0; i < gst_sdp_media_formats_len (sdp_media); i++) {
    const gchar *format = gst_sdp_media_get_format (sdp_media, i);

    if (format != NULL && format[0] != '\0')
      n_formats++;
  }

  if (g_strcmp0 (type, "audio") == 0) {
    media = gst_rtc_media_description_new (index, GST_RTC_MEDIA_KIND_AUDIO);
  } else if (g_strcmp0 (type, "video") == 0) {
    media = gst_rtc_media_description_new (index, GST_RTC_MEDIA_KIND_VIDEO);
  } else if (g_strcmp0 (type, "application") == 0) {
    GString *application = g_string_new (gst_sdp_media_get_proto (sdp_media));

    media = gst_rtc_media_description_new (index, GST_RTC_MEDIA_KIND_AUDIO);
    for (guint i = 0; i < gst_sdp_media_formats_len (sdp_media); i++) {
      const gchar *format = gst_sdp_media_get_format (sdp_media, i);

      if (format != NULL && format[0] != '\0')
        g_string_append_printf (application, " %s", format);
    }
    media->application = g_string_free (application, FALSE);
    if (!check_length (media->application, MAX_TOKEN_LENGTH,
            "the m=application protocol and formats", where, error))
      goto fail;
    /* Data channels are not supported yet: keep the m-line so that its
     * index and mid stay right, but never use it. */
    media->rejected = TRUE;
    GST_DEBUG ("%s is a data channel, which we reject", where);
  } else {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "%s: media type \"%s\" is not audio, video or application", where,
        type != NULL ? type : "");
    goto fail;
  }
  media->mid = g_steal_pointer (&mid);

  if (n_formats == 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "%s has no formats on its m= line", where);
    goto fail;
  }
  if (gst_sdp_media_get_proto (sdp_media) == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "%s has no protocol on its m= line", where);
    goto fail;
  }

  media->bundle_only = has_attribute (attributes, "bundle-only");
  if (gst_sdp_media_get_port (sdp_media) == 0 && !media->bundle_only)
    media->rejected = TRUE;
  media->rtcp_mux = has_attribute (attributes, "rtcp-mux");
  media->rtcp_rsize = has_attribute (attributes, "rtcp-rsize");
  media->end_of_candidates = ctx->end_of_candidates
      || has_attribute (attributes, "end-of-candidates");
  if (has_ice_option (attributes, "trickle"))
    ctx->ice_trickle = TRUE;
  if (!parse_direction_attribute (attributes, &media->direction))
    media->direction = ctx->direction;

  if (!parse_ice_credential (attributes, "ice-ufrag", where,
          &media->ice_ufrag, error)
      || !parse_ice_credential (attributes, "ice-pwd", where,
          &media->ice_pwd, error))
    goto fail;
  if (media->ice_ufrag == NULL && media->ice_pwd == NULL) {
    media->ice_ufrag = g_strdup (ctx->ice_ufrag);
    media->ice_pwd = g_strdup (ctx->ice_pwd);
  }
  if (!parse_fingerprints (attributes, where, &media->fingerprint, error))
    goto fail;
  if (media->fingerprint == NULL)
    media->fingerprint = g_strdup (ctx->fingerprint);
  media->setup = ctx->setup;
  if (!parse_setup_attribute (attributes, ctx->type, where, &media->setup,
          error))
    goto fail;
  if (!parse_candidates (media, attributes, ctx, error))
    goto fail;

  if (media->application == NULL) {
    if (!build_codecs (media, sdp_media, where, error)
        || !parse_extmaps (media, attributes, where, error)
        || !parse_ssrcs (media, attributes, where, error))
      goto fail;
    msid = dup_attribute (attributes, "msid");
    /* a=msid wins over the per-SSRC msid of older stacks. */
    if (msid != NULL) {
      g_free (media->msid);
      media->msid = msid;
    }
    if (!check_length (media->msid, MAX_TOKEN_LENGTH, "a=msid", where, error)
        || !parse_rids (media, attributes, where, error))
      goto fail;
  }

  g_free (where);
  return media;

fail:
  gst_rtc_media_description_free (media);
  g_free (mid);
  g_free (where);
  return NULL;
}

/* GstSDPMessage reads an m= port with atoi(): "abc" would become 0 (a
 * rejected m-line) and "-1" 4294967295. So the port token of each m= line
 * is checked here, on the text, with the m-line limit. */
static gboolean
check_text (const gchar * sdp, GError ** error)
{
  const gchar *line = sdp;
  guint n_mlines = 0;

  if (strnlen (sdp, MAX_SDP_LENGTH + 1) > MAX_SDP_LENGTH) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the description is longer than %u bytes, the limit", MAX_SDP_LENGTH);
    return FALSE;
  }
  if (!g_str_has_prefix (sdp, "v=0") || (sdp[3] != '\r' && sdp[3] != '\n')) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "the description does not start with a v=0 line");
    return FALSE;
  }

  while (line != NULL && *line != '\0') {
    const gchar *end = strchr (line, '\n');
    const gchar *p, *port;
    gsize port_len;
    guint64 value = 0;
    gboolean ok;

    /* Like GstSDPMessage, which skips blanks before a line's type and
     * between tokens. */
    while (*line == ' ' || *line == '\t' || *line == '\r' || *line == '\v'
        || *line == '\f')
      line++;
    if (g_str_has_prefix (line, "m=")) {
      if (++n_mlines > MAX_MEDIA) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "the description has more than %u m-lines, the limit", MAX_MEDIA);
        return FALSE;
      }
      p = line + 2;
      while (*p == ' ' || *p == '\t')
        p++;
      while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r'
          && *p != '\n')
        p++;
      while (*p == ' ' || *p == '\t')
        p++;
      port = p;
      while (g_ascii_isdigit (*p))
        p++;
      port_len = p - port;
      ok = port_len > 0 && port_len <= 5;
      if (ok) {
        gchar *digits = g_strndup (port, port_len);

        ok = parse_uint (digits, 65535, &value);
        g_free (digits);
      }
      if (ok && *p == '/') {
        /* <port>/<number of ports> */
        p++;
        ok = g_ascii_isdigit (*p);
        while (g_ascii_isdigit (*p))
          p++;
      }
      if (!ok || (*p != ' ' && *p != '\t')) {
        const gchar *token_end = port;

        while (*token_end != '\0' && *token_end != ' ' && *token_end != '\r'
            && *token_end != '\n' && token_end - port < 32)
          token_end++;
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
            "m-line %u: port \"%.*s\" is not a number from 0 to 65535 "
            "followed by a protocol", n_mlines - 1, (gint) (token_end - port),
            port);
        return FALSE;
      }
    }
    line = end != NULL ? end + 1 : NULL;
  }
  return TRUE;
}

static gboolean
parse_session_level (ParseContext * ctx, const GstSDPMessage * msg,
    GstRtcSessionDescription * desc, GError ** error)
{
  const GArray *attributes = msg->attributes;
  const GstSDPOrigin *origin = gst_sdp_message_get_origin (msg);
  guint64 version;

  if (origin != NULL && origin->sess_id != NULL && origin->sess_id[0] != '\0') {
    if (!check_length (origin->sess_id, MAX_TOKEN_LENGTH, "the o= session id",
            "session level", error))
      return FALSE;
    desc->session_id = g_strdup (origin->sess_id);
  }
  if (origin != NULL && parse_uint (origin->sess_version, G_MAXUINT64,
          &version))
    desc->session_version = version;

  desc->ice_lite = has_attribute (attributes, "ice-lite");
  ctx->ice_trickle = has_ice_option (attributes, "trickle");
  ctx->end_of_candidates = has_attribute (attributes, "end-of-candidates");
  if (!parse_direction_attribute (attributes, &ctx->direction))
    ctx->direction = GST_RTC_DIRECTION_SENDRECV;

  if (!parse_ice_credential (attributes, "ice-ufrag", "session level",
          &ctx->ice_ufrag, error)
      || !parse_ice_credential (attributes, "ice-pwd", "session level",
          &ctx->ice_pwd, error)
      || !parse_fingerprints (attributes, "session level", &ctx->fingerprint,
          error)
      || !parse_setup_attribute (attributes, ctx->type, "session level",
          &ctx->setup, error))
    return FALSE;

  for (guint i = 0; attributes != NULL && i < attributes->len; i++) {
    const GstSDPAttribute *attr = attribute_at (attributes, i);
    gchar **tokens;

    if (g_strcmp0 (attr->key, "group") != 0)
      continue;
    tokens = split_tokens (attr->value, -1);
    if (g_strcmp0 (tokens[0], "BUNDLE") == 0) {
      /* Only the first BUNDLE group: we use one transport. */
      if (tokens[1] != NULL)
        desc->bundle_mids = g_strdupv (tokens + 1);
      g_strfreev (tokens);
      break;
    }
    g_strfreev (tokens);
  }
  return TRUE;
}

static GstRtcMediaDescription *
find_media_by_mid (const GstRtcSessionDescription * desc, const gchar * mid)
{
  for (guint i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

    if (mid != NULL && g_strcmp0 (media->mid, mid) == 0)
      return media;
  }
  return NULL;
}

/* Checks mids and the BUNDLE group, lets bundled m-lines without a
 * transport of their own inherit the tagged m-line's, then checks that
 * every m-line that needs a transport has ICE credentials and a
 * fingerprint. */
static gboolean
check_transports (GstRtcSessionDescription * desc, const guint * ports,
    GError ** error)
{
  GstRtcMediaDescription *tagged = NULL;

  for (guint i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

    for (guint j = 0; j < i && media->mid != NULL; j++) {
      GstRtcMediaDescription *other = g_ptr_array_index (desc->media, j);

      if (g_strcmp0 (other->mid, media->mid) == 0) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "m-line %u repeats the mid \"%s\" of m-line %u", i, media->mid,
            j);
        return FALSE;
      }
    }
  }

  /* Each mid at most once, so a longer group is wrong; checking that first
   * keeps the checks below from going quadratic on a hostile group. */
  if (desc->bundle_mids != NULL
      && g_strv_length (desc->bundle_mids) > desc->media->len) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "a=group:BUNDLE names %u mids but there are %u m-lines",
        g_strv_length (desc->bundle_mids), desc->media->len);
    return FALSE;
  }
  for (guint i = 0; desc->bundle_mids != NULL && desc->bundle_mids[i]; i++) {
    if (find_media_by_mid (desc, desc->bundle_mids[i]) == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "a=group:BUNDLE names mid \"%s\", which no m-line has",
          desc->bundle_mids[i]);
      return FALSE;
    }
    for (guint j = 0; j < i; j++) {
      if (g_str_equal (desc->bundle_mids[j], desc->bundle_mids[i])) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "a=group:BUNDLE names mid \"%s\" twice", desc->bundle_mids[i]);
        return FALSE;
      }
    }
  }
  if (desc->bundle_mids != NULL)
    tagged = find_media_by_mid (desc, desc->bundle_mids[0]);

  for (guint i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    gboolean needs_transport = ports[i] != 0 || media->bundle_only;
    gchar *where;

    /* RFC 8843 section 7.2: a bundle-only (or port 0) bundled m-line
     * carries no transport attributes; it uses the tagged m-line's. */
    if (tagged != NULL && media != tagged && strv_has (desc->bundle_mids,
            media->mid) && (media->bundle_only || ports[i] == 0)) {
      if (media->ice_ufrag == NULL && media->ice_pwd == NULL) {
        media->ice_ufrag = g_strdup (tagged->ice_ufrag);
        media->ice_pwd = g_strdup (tagged->ice_pwd);
      }
      if (media->fingerprint == NULL)
        media->fingerprint = g_strdup (tagged->fingerprint);
      if (media->setup == GST_RTC_DTLS_SETUP_NONE)
        media->setup = tagged->setup;
    }

    if (!needs_transport)
      continue;
    where = describe_mline (i, media->mid);
    if (media->ice_ufrag == NULL || media->ice_pwd == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s has no a=ice-ufrag and a=ice-pwd, at media or session level",
          where);
      g_free (where);
      return FALSE;
    }
    if (media->fingerprint == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s: no a=fingerprint, at media or session level", where);
      g_free (where);
      return FALSE;
    }
    g_free (where);
  }
  return TRUE;
}

/**
 * gst_rtc_session_description_parse:
 * @type: offer, pranswer or answer
 * @sdp: the SDP text
 * @error: return location for a #GError, or %NULL
 *
 * Parses and validates a session description: every m-line that needs a
 * transport must have ICE credentials and a sha-256 fingerprint (its own,
 * the session's, or, for a bundle-only m-line, the BUNDLE-tagged
 * m-line's); a=setup must be valid for @type; mids must be unique and the
 * BUNDLE group must name existing ones. Data channel m-lines are kept but
 * rejected. At most 64 m-lines, 256 candidates and 64 codecs per m-line
 * are accepted.
 *
 * Returns: (transfer full) (nullable): the description, or %NULL with
 *   @error set in the %GST_RTC_ERROR domain, naming the m-line at fault
 */
GstRtcSessionDescription *
gst_rtc_session_description_parse (GstRtcSdpType type, const gchar * sdp,
    GError ** error)
{
  ParseContext ctx = { 0, };
  GstSDPMessage *msg = NULL;
  GstRtcSessionDescription *desc = NULL;
  guint ports[MAX_MEDIA];
  guint n_media;

  g_return_val_if_fail (sdp != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  ensure_debug_category ();

  if (type == GST_RTC_SDP_TYPE_ROLLBACK) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "a rollback has no session description to parse");
    return NULL;
  }
  if (!check_text (sdp, error))
    return NULL;

  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "GstSDPMessage could not parse the description");
    goto fail;
  }
  n_media = gst_sdp_message_medias_len (msg);
  if (n_media == 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "the description has no m-line");
    goto fail;
  }
  /* check_text() counted the m= lines already; this guards the array. */
  if (n_media > MAX_MEDIA) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the description has more than %u m-lines, the limit", MAX_MEDIA);
    goto fail;
  }

  ctx.type = type;
  desc = gst_rtc_session_description_new (type);
  if (!parse_session_level (&ctx, msg, desc, error))
    goto fail;

  for (guint i = 0; i < n_media; i++) {
    const GstSDPMedia *sdp_media = gst_sdp_message_get_media (msg, i);
    GstRtcMediaDescription *media = parse_media (&ctx, sdp_media, i, error);

    if (media == NULL)
      goto fail;
    ports[i] = gst_sdp_media_get_port (sdp_media);
    g_ptr_array_add (desc->media, media);
  }
  desc->ice_trickle = ctx.ice_trickle;

  if (!check_transports (desc, ports, error))
    goto fail;

  GST_DEBUG ("parsed %s with %u m-lines", gst_rtc_sdp_type_to_string (type),
      n_media);
  g_free (ctx.ice_ufrag);
  g_free (ctx.ice_pwd);
  g_free (ctx.fingerprint);
  gst_sdp_message_free (msg);
  return desc;

fail:
  GST_DEBUG ("refusing %s: %s", gst_rtc_sdp_type_to_string (type),
      error != NULL && *error != NULL ? (*error)->message : "(no details)");
  g_free (ctx.ice_ufrag);
  g_free (ctx.ice_pwd);
  g_free (ctx.fingerprint);
  gst_rtc_session_description_free (desc);
  if (msg != NULL)
    gst_sdp_message_free (msg);
  return NULL;
}

/* ---- writing ---- */

/* Browsers write these in lower case; everything else as stored. */
static const gchar *
sdp_encoding_name (const gchar * name)
{
  static const gchar *const lower_case[] = {
    "opus", "telephone-event", "red", "ulpfec", "flexfec-03", "rtx", NULL
  };

  for (guint i = 0; lower_case[i] != NULL; i++) {
    if (g_ascii_strcasecmp (name, lower_case[i]) == 0)
      return lower_case[i];
  }
  return name;
}

static void
add_attribute_printf (GstSDPMedia * media, const gchar * key,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

static void
add_attribute_printf (GstSDPMedia * media, const gchar * key,
    const gchar * format, ...)
{
  va_list args;
  gchar *value;

  va_start (args, format);
  value = g_strdup_vprintf (format, args);
  va_end (args);
  gst_sdp_media_add_attribute (media, key, value);
  g_free (value);
}

static void
add_codec_attributes (GstSDPMedia * sdp_media, const GstRtcCodec * codec)
{
  guint pt = codec->payload_type;

  if (codec->channels > 1)
    add_attribute_printf (sdp_media, "rtpmap", "%u %s/%u/%u", pt,
        sdp_encoding_name (codec->encoding_name), codec->clock_rate,
        codec->channels);
  else
    add_attribute_printf (sdp_media, "rtpmap", "%u %s/%u", pt,
        sdp_encoding_name (codec->encoding_name), codec->clock_rate);
  for (guint i = 0; i < G_N_ELEMENTS (feedback_names); i++) {
    if (codec->feedback & feedback_names[i].flag)
      add_attribute_printf (sdp_media, "rtcp-fb", "%u %s", pt,
          feedback_names[i].sdp_value);
  }
  if (codec->fmtp != NULL && codec->fmtp[0] != '\0')
    add_attribute_printf (sdp_media, "fmtp", "%u %s", pt, codec->fmtp);
  if (codec->rtx_payload_type != 0) {
    add_attribute_printf (sdp_media, "rtpmap", "%u rtx/%u",
        codec->rtx_payload_type, codec->clock_rate);
    add_attribute_printf (sdp_media, "fmtp", "%u apt=%u",
        codec->rtx_payload_type, pt);
  }
}

static void
add_ssrc_attributes (GstSDPMedia * sdp_media,
    const GstRtcMediaDescription * media, guint32 ssrc)
{
  if (media->cname != NULL)
    add_attribute_printf (sdp_media, "ssrc", "%u cname:%s", ssrc,
        media->cname);
  if (media->msid != NULL)
    add_attribute_printf (sdp_media, "ssrc", "%u msid:%s", ssrc, media->msid);
  if (media->cname == NULL && media->msid == NULL)
    add_attribute_printf (sdp_media, "ssrc", "%u", ssrc);
}

static void
add_media_to_sdp (GstSDPMessage * msg, const GstRtcSessionDescription * desc,
    const GstRtcMediaDescription * media)
{
  GstSDPMedia sdp_media;
  gboolean rtp = media->application == NULL;
  struct
  {
    guint id;
    const gchar *uri;
  } extmaps[3] = {
    {media->ext_mid, EXT_URI_MID},
    {media->ext_rid, EXT_URI_RID},
    {media->ext_twcc, EXT_URI_TWCC},
  };

  /* gst_sdp_media_init() frees what it finds: start from zeroes. */
  memset (&sdp_media, 0, sizeof (sdp_media));
  gst_sdp_media_init (&sdp_media);
  gst_sdp_media_set_port_info (&sdp_media,
      media->rejected || media->bundle_only ? 0 : 9, 0);

  if (rtp) {
    gst_sdp_media_set_media (&sdp_media,
        media->kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio");
    gst_sdp_media_set_proto (&sdp_media, "UDP/TLS/RTP/SAVPF");
    for (guint i = 0; i < media->codecs->len; i++) {
      const GstRtcCodec *codec = g_ptr_array_index (media->codecs, i);
      gchar *pt = g_strdup_printf ("%u", codec->payload_type);

      gst_sdp_media_add_format (&sdp_media, pt);
      g_free (pt);
      if (codec->rtx_payload_type != 0) {
        pt = g_strdup_printf ("%u", codec->rtx_payload_type);
        gst_sdp_media_add_format (&sdp_media, pt);
        g_free (pt);
      }
    }
    /* An m= line needs a format even when nothing is left to offer (a
     * rejected m-line whose codecs we did not know). */
    if (media->codecs->len == 0)
      gst_sdp_media_add_format (&sdp_media, "0");
  } else {
    gchar **tokens = split_tokens (media->application, -1);

    gst_sdp_media_set_media (&sdp_media, "application");
    gst_sdp_media_set_proto (&sdp_media,
        tokens[0] != NULL ? tokens[0] : "UDP/DTLS/SCTP");
    for (guint i = 1; tokens[0] != NULL && tokens[i] != NULL; i++)
      gst_sdp_media_add_format (&sdp_media, tokens[i]);
    if (tokens[0] == NULL || tokens[1] == NULL)
      gst_sdp_media_add_format (&sdp_media, "webrtc-datachannel");
    g_strfreev (tokens);
  }

  gst_sdp_media_add_connection (&sdp_media, "IN", "IP4", "0.0.0.0", 0, 0);
  if (rtp)
    gst_sdp_media_add_attribute (&sdp_media, "rtcp", "9 IN IP4 0.0.0.0");
  if (media->ice_ufrag != NULL)
    gst_sdp_media_add_attribute (&sdp_media, "ice-ufrag", media->ice_ufrag);
  if (media->ice_pwd != NULL)
    gst_sdp_media_add_attribute (&sdp_media, "ice-pwd", media->ice_pwd);
  if (desc->ice_trickle)
    gst_sdp_media_add_attribute (&sdp_media, "ice-options", "trickle");
  if (media->fingerprint != NULL)
    gst_sdp_media_add_attribute (&sdp_media, "fingerprint",
        media->fingerprint);
  if (setup_name (media->setup) != NULL)
    gst_sdp_media_add_attribute (&sdp_media, "setup",
        setup_name (media->setup));
  if (media->mid != NULL)
    gst_sdp_media_add_attribute (&sdp_media, "mid", media->mid);
  if (media->bundle_only)
    gst_sdp_media_add_attribute (&sdp_media, "bundle-only", "");

  if (rtp) {
    /* By id, as browsers write them. */
    for (guint id = 1; id <= MAX_EXTMAP_ID; id++) {
      for (guint i = 0; i < G_N_ELEMENTS (extmaps); i++) {
        if (extmaps[i].id == id)
          add_attribute_printf (&sdp_media, "extmap", "%u %s", id,
              extmaps[i].uri);
      }
    }
  }
  if (media->direction != GST_RTC_DIRECTION_NONE)
    gst_sdp_media_add_attribute (&sdp_media,
        direction_name (media->direction), "");

  if (rtp) {
    if (media->msid != NULL)
      gst_sdp_media_add_attribute (&sdp_media, "msid", media->msid);
    if (media->rtcp_mux)
      gst_sdp_media_add_attribute (&sdp_media, "rtcp-mux", "");
    if (media->rtcp_rsize)
      gst_sdp_media_add_attribute (&sdp_media, "rtcp-rsize", "");
    for (guint i = 0; i < media->codecs->len; i++)
      add_codec_attributes (&sdp_media, g_ptr_array_index (media->codecs, i));

    if (media->rids != NULL && media->rids[0] != NULL) {
      /* RFC 8853: the rids we receive when we only receive, else the ones
       * we send. */
      const gchar *rid_direction =
          media->direction == GST_RTC_DIRECTION_RECVONLY ? "recv" : "send";
      gchar *list = g_strjoinv (";", media->rids);

      for (guint i = 0; media->rids[i] != NULL; i++)
        add_attribute_printf (&sdp_media, "rid", "%s %s", media->rids[i],
            rid_direction);
      add_attribute_printf (&sdp_media, "simulcast", "%s %s", rid_direction,
          list);
      g_free (list);
    }

    if (media->ssrc != 0) {
      if (media->rtx_ssrc != 0)
        add_attribute_printf (&sdp_media, "ssrc-group", "FID %u %u",
            media->ssrc, media->rtx_ssrc);
      add_ssrc_attributes (&sdp_media, media, media->ssrc);
      if (media->rtx_ssrc != 0)
        add_ssrc_attributes (&sdp_media, media, media->rtx_ssrc);
    }
  }

  for (guint i = 0; media->candidates != NULL && i < media->candidates->len;
      i++) {
    const gchar *candidate = g_ptr_array_index (media->candidates, i);

    if (g_str_has_prefix (candidate, "a="))
      candidate += 2;
    if (g_str_has_prefix (candidate, "candidate:"))
      candidate += strlen ("candidate:");
    gst_sdp_media_add_attribute (&sdp_media, "candidate", candidate);
  }
  if (media->end_of_candidates)
    gst_sdp_media_add_attribute (&sdp_media, "end-of-candidates", "");

  /* Takes the contents of sdp_media, leaving it empty. */
  gst_sdp_message_add_media (msg, &sdp_media);
}

/**
 * gst_rtc_session_description_to_sdp:
 * @desc: a #GstRtcSessionDescription
 *
 * Writes @desc as a GstSDPMessage in the shape browsers accept: every
 * m-line on the discard port 9 (0 when rejected or bundle-only) with
 * `UDP/TLS/RTP/SAVPF`, `c=IN IP4 0.0.0.0`, its transport attributes,
 * header extensions, direction, codecs with their RTX, SSRCs and
 * candidates. A %NULL @session_id gets a random one.
 *
 * Returns: (transfer full): the message
 */
GstSDPMessage *
gst_rtc_session_description_to_sdp (const GstRtcSessionDescription * desc)
{
  GstSDPMessage *msg = NULL;
  gchar *session_id, *session_version;

  g_return_val_if_fail (desc != NULL, NULL);
  ensure_debug_category ();

  if (desc->session_id != NULL)
    session_id = g_strdup (desc->session_id);
  else
    /* RFC 8829 section 5.2.1: a 64-bit random number with the top bit
     * clear. */
    session_id = g_strdup_printf ("%" G_GUINT64_FORMAT,
        ((((guint64) g_random_int ()) << 32) | g_random_int ())
        & G_GUINT64_CONSTANT (0x7fffffffffffffff));
  session_version = g_strdup_printf ("%" G_GUINT64_FORMAT,
      desc->session_version);

  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  gst_sdp_message_set_origin (msg, "-", session_id, session_version, "IN",
      "IP4", "0.0.0.0");
  gst_sdp_message_set_session_name (msg, "-");
  gst_sdp_message_add_time (msg, "0", "0", NULL);
  g_free (session_id);
  g_free (session_version);

  if (desc->bundle_mids != NULL && desc->bundle_mids[0] != NULL) {
    gchar *mids = g_strjoinv (" ", desc->bundle_mids);
    gchar *group = g_strconcat ("BUNDLE ", mids, NULL);

    gst_sdp_message_add_attribute (msg, "group", group);
    g_free (group);
    g_free (mids);
  }
  if (desc->ice_trickle)
    gst_sdp_message_add_attribute (msg, "ice-options", "trickle");
  if (desc->ice_lite)
    gst_sdp_message_add_attribute (msg, "ice-lite", "");
  gst_sdp_message_add_attribute (msg, "msid-semantic", " WMS *");

  for (guint i = 0; desc->media != NULL && i < desc->media->len; i++)
    add_media_to_sdp (msg, desc, g_ptr_array_index (desc->media, i));
  return msg;
}

/**
 * gst_rtc_session_description_to_string:
 * @desc: a #GstRtcSessionDescription
 *
 * Writes @desc as SDP text; see gst_rtc_session_description_to_sdp().
 * Parsing the text again gives back an equal description.
 *
 * Returns: (transfer full): the SDP text
 */
gchar *
gst_rtc_session_description_to_string (const GstRtcSessionDescription * desc)
{
  GstSDPMessage *msg;
  gchar *text;

  g_return_val_if_fail (desc != NULL, NULL);

  msg = gst_rtc_session_description_to_sdp (desc);
  text = gst_sdp_message_as_text (msg);
  gst_sdp_message_free (msg);
  return text;
}

/* ---- offer/answer ---- */

/**
 * gst_rtc_sdp_type_from_string:
 * @name: "offer", "pranswer", "answer" or "rollback"
 * @type: (out): the type
 *
 * Parses the W3C name of an SDP type.
 *
 * Returns: %TRUE if @name is a known type
 */
gboolean
gst_rtc_sdp_type_from_string (const gchar * name, GstRtcSdpType * type)
{
  static const GstRtcSdpType types[] = { GST_RTC_SDP_TYPE_OFFER,
    GST_RTC_SDP_TYPE_PRANSWER, GST_RTC_SDP_TYPE_ANSWER,
    GST_RTC_SDP_TYPE_ROLLBACK
  };

  g_return_val_if_fail (type != NULL, FALSE);

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (types); i++) {
    if (g_ascii_strcasecmp (name, gst_rtc_sdp_type_to_string (types[i])) == 0) {
      *type = types[i];
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * gst_rtc_sdp_type_to_string:
 * @type: a #GstRtcSdpType
 *
 * Names an SDP type as the W3C API does.
 *
 * Returns: its W3C name: "offer", "pranswer", "answer" or "rollback"
 */
const gchar *
gst_rtc_sdp_type_to_string (GstRtcSdpType type)
{
  switch (type) {
    case GST_RTC_SDP_TYPE_OFFER:
      return "offer";
    case GST_RTC_SDP_TYPE_PRANSWER:
      return "pranswer";
    case GST_RTC_SDP_TYPE_ANSWER:
      return "answer";
    case GST_RTC_SDP_TYPE_ROLLBACK:
      return "rollback";
    default:
      return "unknown";
  }
}

/**
 * gst_rtc_direction_to_string:
 * @direction: a #GstRtcDirection
 *
 * Names a direction as SDP does.
 *
 * Returns: its SDP attribute name ("sendrecv", "sendonly", "recvonly",
 *   "inactive"), or "none"
 */
const gchar *
gst_rtc_direction_to_string (GstRtcDirection direction)
{
  return direction_name (direction);
}

/**
 * gst_rtc_direction_answer:
 * @offered: the direction in the offer (the offerer's point of view)
 * @local: what we are willing to do on this m-line
 *
 * The direction to answer with (RFC 8829 section 5.3.1): we send only if
 * the offerer receives and we want to send, and receive only if the
 * offerer sends and we want to receive. %GST_RTC_DIRECTION_NONE counts as
 * sendrecv.
 *
 * Returns: the answer's direction, from our point of view
 */
GstRtcDirection
gst_rtc_direction_answer (GstRtcDirection offered, GstRtcDirection local)
{
  gboolean offerer_sends = direction_sends (offered);
  gboolean offerer_receives = direction_receives (offered);

  return direction_from_flags (offerer_receives && direction_sends (local),
      offerer_sends && direction_receives (local));
}

/**
 * gst_rtc_direction_reverse:
 * @direction: a direction seen from one side
 *
 * Turns a direction around.
 *
 * Returns: the same direction seen from the other side: sendonly and
 *   recvonly swap, the others stay
 */
GstRtcDirection
gst_rtc_direction_reverse (GstRtcDirection direction)
{
  if (direction == GST_RTC_DIRECTION_SENDONLY)
    return GST_RTC_DIRECTION_RECVONLY;
  if (direction == GST_RTC_DIRECTION_RECVONLY)
    return GST_RTC_DIRECTION_SENDONLY;
  return direction;
}

/* H.264 profiles as RFC 6184 table 5 tells them apart by profile_idc and
 * the constraint flags of profile-iop. */
typedef enum
{
  H264_PROFILE_OTHER,
  H264_PROFILE_CONSTRAINED_BASELINE,
  H264_PROFILE_BASELINE,
  H264_PROFILE_MAIN,
  H264_PROFILE_EXTENDED,
  H264_PROFILE_HIGH,
  H264_PROFILE_CONSTRAINED_HIGH,
} H264Profile;

#define H264_CONSTRAINT_SET0 0x80
#define H264_CONSTRAINT_SET1 0x40
#define H264_CONSTRAINT_SET3 0x10
#define H264_CONSTRAINT_SET4 0x08
#define H264_CONSTRAINT_SET5 0x04

typedef struct
{
  guint8 profile_idc;
  guint8 profile_iop;
  guint8 level_idc;
  H264Profile profile;
  /* Comparable: twice level_idc, with level 1b between 1.0 and 1.1. */
  guint level_rank;
} H264ProfileLevel;

static gboolean
h264_parse_profile_level_id (const gchar * text, H264ProfileLevel * out)
{
  guint8 bytes[3];

  if (text == NULL || strlen (text) != 6)
    return FALSE;
  for (guint i = 0; i < 3; i++) {
    gint high = g_ascii_xdigit_value (text[2 * i]);
    gint low = g_ascii_xdigit_value (text[2 * i + 1]);

    if (high < 0 || low < 0)
      return FALSE;
    bytes[i] = (high << 4) | low;
  }
  out->profile_idc = bytes[0];
  out->profile_iop = bytes[1];
  out->level_idc = bytes[2];
  if (out->level_idc == 0)
    return FALSE;

  switch (out->profile_idc) {
    case 66:
      out->profile = (out->profile_iop & H264_CONSTRAINT_SET1) ?
          H264_PROFILE_CONSTRAINED_BASELINE : H264_PROFILE_BASELINE;
      break;
    case 77:
      /* A Main stream that also obeys Baseline's constraints. */
      out->profile = (out->profile_iop & H264_CONSTRAINT_SET0) ?
          H264_PROFILE_CONSTRAINED_BASELINE : H264_PROFILE_MAIN;
      break;
    case 88:
      if ((out->profile_iop & (H264_CONSTRAINT_SET0 | H264_CONSTRAINT_SET1))
          == (H264_CONSTRAINT_SET0 | H264_CONSTRAINT_SET1))
        out->profile = H264_PROFILE_CONSTRAINED_BASELINE;
      else if (out->profile_iop & H264_CONSTRAINT_SET0)
        out->profile = H264_PROFILE_BASELINE;
      else
        out->profile = H264_PROFILE_EXTENDED;
      break;
    case 100:
      out->profile = (out->profile_iop & (H264_CONSTRAINT_SET4 |
              H264_CONSTRAINT_SET5)) == (H264_CONSTRAINT_SET4 |
          H264_CONSTRAINT_SET5) ? H264_PROFILE_CONSTRAINED_HIGH :
          H264_PROFILE_HIGH;
      break;
    default:
      out->profile = H264_PROFILE_OTHER;
      break;
  }

  /* Level 1b: level_idc 11 with constraint_set3 in the Baseline family,
   * level_idc 9 elsewhere. */
  if ((out->level_idc == 11 && (out->profile_iop & H264_CONSTRAINT_SET3)
          && (out->profile_idc == 66 || out->profile_idc == 77
              || out->profile_idc == 88)) || out->level_idc == 9)
    out->level_rank = 21;
  else
    out->level_rank = out->level_idc * 2;
  return TRUE;
}

static gchar *
h264_format_profile_level_id (guint8 profile_idc, guint8 profile_iop,
    guint level_rank)
{
  guint8 level_idc;
  gboolean baseline_family = profile_idc == 66 || profile_idc == 77
      || profile_idc == 88;

  if (level_rank == 21) {
    if (baseline_family) {
      level_idc = 11;
      profile_iop |= H264_CONSTRAINT_SET3;
    } else {
      level_idc = 9;
    }
  } else {
    level_idc = level_rank / 2;
    if (baseline_family && level_idc == 11)
      profile_iop &= ~H264_CONSTRAINT_SET3;
  }
  return g_strdup_printf ("%02x%02x%02x", profile_idc, profile_iop, level_idc);
}

/* Whether we may answer an offered H.264 format with our @local one, and
 * with which fmtp: same packetization mode, a compatible profile, and the
 * level RFC 6184 section 8.2.2 allows. */
static gboolean
h264_match (const GstRtcCodec * offered, const GstRtcCodec * local,
    gchar ** answer_fmtp)
{
  gchar *offered_plid = fmtp_lookup (offered->fmtp, "profile-level-id");
  gchar *local_plid = fmtp_lookup (local->fmtp, "profile-level-id");
  H264ProfileLevel offer_pl, local_pl;
  guint packetization_mode;
  gboolean offer_asymmetry, asymmetry, ok = FALSE;
  guint level_rank;
  gchar *plid;

  /* Our own format comes from caps. Without packetization-mode they are
   * those of a payloader that has not seen its input yet, and rtph264pay
   * sends mode 1 (FU-A). Without profile-level-id, the encoder has not
   * chosen yet: it can make what the offer asks for, which the answer
   * then names (the RFC 6184 default of Baseline 1.0 is for SDP, where an
   * absent parameter is a statement). */
  packetization_mode = fmtp_lookup_uint (offered->fmtp, "packetization-mode",
      0);
  if (packetization_mode != fmtp_lookup_uint (local->fmtp,
          "packetization-mode", 1))
    goto done;
  if (!h264_parse_profile_level_id (offered_plid != NULL ? offered_plid :
          H264_DEFAULT_PROFILE_LEVEL_ID, &offer_pl))
    goto done;
  if (local_plid == NULL)
    local_pl = offer_pl;
  else if (!h264_parse_profile_level_id (local_plid, &local_pl))
    goto done;

  if (offer_pl.profile == H264_PROFILE_OTHER
      || local_pl.profile == H264_PROFILE_OTHER) {
    if (offer_pl.profile_idc != local_pl.profile_idc
        || offer_pl.profile_iop != local_pl.profile_iop)
      goto done;
  } else if (offer_pl.profile != local_pl.profile
      /* What we send in the constrained profile, a decoder of the full one
       * takes; we then answer with the offered profile. */
      && !(local_pl.profile == H264_PROFILE_CONSTRAINED_BASELINE
          && offer_pl.profile == H264_PROFILE_BASELINE)
      && !(local_pl.profile == H264_PROFILE_CONSTRAINED_HIGH
          && offer_pl.profile == H264_PROFILE_HIGH)) {
    goto done;
  }

  /* With level asymmetry each side's level says what it can receive, so
   * ours stands; without, both use the lower one. */
  offer_asymmetry = fmtp_lookup_uint (offered->fmtp,
      "level-asymmetry-allowed", 0) == 1;
  asymmetry = offer_asymmetry && fmtp_lookup_uint (local->fmtp,
      "level-asymmetry-allowed", 0) == 1;
  level_rank = asymmetry ? local_pl.level_rank :
      MIN (local_pl.level_rank, offer_pl.level_rank);

  plid = h264_format_profile_level_id (offer_pl.profile_idc,
      offer_pl.profile_iop, level_rank);
  *answer_fmtp = g_strdup_printf ("%spacketization-mode=%u;"
      "profile-level-id=%s", offer_asymmetry ? "level-asymmetry-allowed=1;" :
      "", packetization_mode, plid);
  g_free (plid);
  ok = TRUE;

done:
  g_free (offered_plid);
  g_free (local_plid);
  return ok;
}

/* RFC 2198 section 5: the fmtp of "red" lists the payload types of its
 * blocks, "pt/pt/...". Empty is fine (browsers write none on video). */
static gboolean
red_fmtp_valid (const gchar * fmtp)
{
  gchar **blocks;
  gboolean ok = TRUE;

  if (fmtp == NULL || fmtp[0] == '\0')
    return TRUE;
  blocks = g_strsplit (fmtp, "/", -1);
  for (guint i = 0; ok && blocks[i] != NULL; i++) {
    guint pt;

    ok = parse_payload_type (g_strstrip (blocks[i]), &pt);
  }
  g_strfreev (blocks);
  return ok;
}

static gboolean
is_fec_codec_name (const gchar * name)
{
  return name != NULL && (g_ascii_strcasecmp (name, "RED") == 0
      || g_ascii_strcasecmp (name, "ULPFEC") == 0);
}

/* Video RED is only worth keeping with ULPFEC inside it, and ULPFEC only
 * travels in RED here: keep both or neither. */
static void
pair_red_and_ulpfec (GPtrArray * codecs, guint mline)
{
  gint red = -1, ulpfec = -1;

  for (guint i = 0; i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (g_ascii_strcasecmp (codec->encoding_name, "RED") == 0 && red < 0)
      red = i;
    else if (g_ascii_strcasecmp (codec->encoding_name, "ULPFEC") == 0
        && ulpfec < 0)
      ulpfec = i;
  }
  if ((red < 0) == (ulpfec < 0))
    return;
  GST_DEBUG ("m-line %u: %s without %s, leaving it out", mline,
      red >= 0 ? "red" : "ulpfec", red >= 0 ? "ulpfec" : "red");
  g_ptr_array_remove_index (codecs, red >= 0 ? red : ulpfec);
}

static gboolean
codec_match (const GstRtcCodec * offered, const GstRtcCodec * local,
    GstRtcMediaKind kind, gchar ** answer_fmtp)
{
  const gchar *name = offered->encoding_name;
  guint offered_channels = offered->channels, local_channels = local->channels;

  *answer_fmtp = NULL;
  if (name == NULL || local->encoding_name == NULL
      || g_ascii_strcasecmp (name, local->encoding_name) != 0
      || offered->clock_rate != local->clock_rate)
    return FALSE;
  if (kind == GST_RTC_MEDIA_KIND_AUDIO) {
    offered_channels = MAX (offered_channels, 1);
    local_channels = MAX (local_channels, 1);
  }
  if (offered_channels != local_channels)
    return FALSE;

  if (g_ascii_strcasecmp (name, "H264") == 0)
    return h264_match (offered, local, answer_fmtp);

  if (g_ascii_strcasecmp (name, "VP9") == 0) {
    guint profile = fmtp_lookup_uint (offered->fmtp, "profile-id", 0);

    if (profile != fmtp_lookup_uint (local->fmtp, "profile-id", 0))
      return FALSE;
    *answer_fmtp = g_strdup_printf ("profile-id=%u", profile);
    return TRUE;
  }
  if (g_ascii_strcasecmp (name, "AV1") == 0) {
    if (fmtp_lookup_uint (offered->fmtp, "profile", 0) !=
        fmtp_lookup_uint (local->fmtp, "profile", 0))
      return FALSE;
    *answer_fmtp = g_strdup (local->fmtp);
    return TRUE;
  }
  if (g_ascii_strcasecmp (name, "OPUS") == 0) {
    *answer_fmtp = g_strdup (OPUS_ANSWER_FMTP);
    return TRUE;
  }
  if (g_ascii_strcasecmp (name, "RED") == 0) {
    if (!red_fmtp_valid (offered->fmtp)) {
      GST_DEBUG ("red payload type %u has a malformed fmtp \"%s\": "
          "not answering it", offered->payload_type, offered->fmtp);
      return FALSE;
    }
    /* our RED carries what the m-line negotiates: no block list */
    return TRUE;
  }
  if (g_ascii_strcasecmp (name, "ULPFEC") == 0)
    return TRUE;
  *answer_fmtp = g_strdup (local->fmtp);
  return TRUE;
}

/**
 * gst_rtc_sdp_answer_media:
 * @offered: an m-line of a parsed offer
 * @local_codecs: (element-type GstRtcCodec): the codecs we can use for it,
 *   such as gst_rtc_codecs_default() gives
 * @local_direction: what we are willing to do on it
 * @error: return location for a #GError, or %NULL
 *
 * Builds the answer's m-line: the offered codecs we support, in the
 * offerer's order and with the offerer's payload types (RTX kept when we
 * have it for that codec, feedback intersected, fmtp chosen as JSEP and
 * RFC 6184 require), the offerer's mid, rid and transport-cc extension
 * ids, rtcp-mux, rtcp-rsize if offered, and the direction of
 * gst_rtc_direction_answer(). With no codec in common the m-line is
 * rejected (port 0, keeping its first offered codec so that it can be
 * written), which is not an error. ICE, fingerprint and setup are left for
 * the caller.
 *
 * Returns: (transfer full) (nullable): the answer's m-line, or %NULL with
 *   @error set when the arguments are malformed
 */
GstRtcMediaDescription *
gst_rtc_sdp_answer_media (const GstRtcMediaDescription * offered,
    const GPtrArray * local_codecs, GstRtcDirection local_direction,
    GError ** error)
{
  GstRtcMediaDescription *answer;

  g_return_val_if_fail (offered != NULL, NULL);
  g_return_val_if_fail (local_codecs != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  ensure_debug_category ();

  if (offered->codecs == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "m-line %u of the offer has no codec array", offered->mline);
    return NULL;
  }
  if (offered->kind != GST_RTC_MEDIA_KIND_AUDIO
      && offered->kind != GST_RTC_MEDIA_KIND_VIDEO) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "m-line %u of the offer has an unknown kind %d", offered->mline,
        offered->kind);
    return NULL;
  }
  for (guint i = 0; i < local_codecs->len; i++) {
    const GstRtcCodec *local = g_ptr_array_index (local_codecs, i);

    if (local == NULL || local->encoding_name == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "local codec %u has no encoding name", i);
      return NULL;
    }
  }

  answer = gst_rtc_media_description_new (offered->mline, offered->kind);
  answer->mid = g_strdup (offered->mid);
  answer->application = g_strdup (offered->application);

  if (offered->application == NULL && !offered->rejected) {
    for (guint i = 0; i < offered->codecs->len; i++) {
      const GstRtcCodec *offer_codec = g_ptr_array_index (offered->codecs, i);

      for (guint j = 0; j < local_codecs->len; j++) {
        const GstRtcCodec *local = g_ptr_array_index (local_codecs, j);
        gchar *fmtp = NULL;
        GstRtcCodec *codec;

        if (!codec_match (offer_codec, local, offered->kind, &fmtp))
          continue;
        codec = gst_rtc_codec_new (offer_codec->payload_type,
            offer_codec->encoding_name, offer_codec->clock_rate,
            offer_codec->channels, fmtp);
        codec->feedback = offer_codec->feedback & local->feedback;
        if (local->rtx_payload_type != 0)
          codec->rtx_payload_type = offer_codec->rtx_payload_type;
        g_ptr_array_add (answer->codecs, codec);
        g_free (fmtp);
        break;
      }
    }
  }

  if (offered->kind == GST_RTC_MEDIA_KIND_VIDEO)
    pair_red_and_ulpfec (answer->codecs, offered->mline);
  /* RED and ULPFEC alone carry no media */
  for (guint i = 0; i < answer->codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (answer->codecs, i);

    if (!is_fec_codec_name (codec->encoding_name))
      break;
    if (i + 1 == answer->codecs->len)
      g_ptr_array_set_size (answer->codecs, 0);
  }

  if (answer->codecs->len == 0) {
    answer->rejected = TRUE;
    answer->direction = GST_RTC_DIRECTION_INACTIVE;
    if (offered->application == NULL && offered->codecs->len > 0) {
      GstRtcCodec *kept = gst_rtc_codec_copy (g_ptr_array_index
          (offered->codecs, 0));

      kept->rtx_payload_type = 0;
      kept->feedback = GST_RTC_RTCP_FB_NONE;
      g_ptr_array_add (answer->codecs, kept);
    }
    GST_DEBUG ("m-line %u: no codec in common, rejecting it", offered->mline);
    return answer;
  }

  answer->ext_mid = offered->ext_mid;
  answer->ext_rid = offered->ext_rid;
  answer->ext_twcc = offered->ext_twcc;
  answer->direction = gst_rtc_direction_answer (offered->direction,
      local_direction);
  answer->rtcp_mux = TRUE;
  if (!offered->rtcp_mux)
    GST_INFO ("m-line %u: the offer has no a=rtcp-mux; answering with it "
        "anyway, as we only do muxed RTCP", offered->mline);
  answer->rtcp_rsize = offered->rtcp_rsize;
  GST_DEBUG ("m-line %u: answering %s with %u codecs, first %s/%u",
      offered->mline, direction_name (answer->direction), answer->codecs->len,
      ((GstRtcCodec *) g_ptr_array_index (answer->codecs, 0))->encoding_name,
      ((GstRtcCodec *) g_ptr_array_index (answer->codecs, 0))->payload_type);
  return answer;
}

static gboolean
offer_has_payload_type (const GstRtcMediaDescription * offer, guint pt,
    const gchar * encoding_name)
{
  for (guint i = 0; i < offer->codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (offer->codecs, i);

    if (encoding_name == NULL && codec->rtx_payload_type == pt)
      return TRUE;
    if (encoding_name != NULL && codec->payload_type == pt)
      return g_ascii_strcasecmp (codec->encoding_name, encoding_name) == 0;
  }
  return FALSE;
}

/**
 * gst_rtc_sdp_validate_answer:
 * @offer: the offer we sent
 * @answer: the answer to it
 * @error: return location for a #GError, or %NULL
 *
 * Checks that @answer answers @offer: the same m-lines with the same kinds
 * and mids in the same order, only payload types the offer had on each
 * m-line (with the same encoding), a=setup active or passive, a direction
 * the offer allows, and a BUNDLE group within the offer's.
 *
 * Returns: %TRUE if it does; else %FALSE with @error set
 *   (%GST_RTC_ERROR_INVALID_ACCESS) naming the m-line at fault
 */
gboolean
gst_rtc_sdp_validate_answer (const GstRtcSessionDescription * offer,
    const GstRtcSessionDescription * answer, GError ** error)
{
  g_return_val_if_fail (offer != NULL && offer->media != NULL, FALSE);
  g_return_val_if_fail (answer != NULL && answer->media != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  ensure_debug_category ();

  if (answer->media->len != offer->media->len) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the answer has %u m-lines but the offer %u", answer->media->len,
        offer->media->len);
    return FALSE;
  }

  for (guint i = 0; i < offer->media->len; i++) {
    const GstRtcMediaDescription *o = g_ptr_array_index (offer->media, i);
    const GstRtcMediaDescription *a = g_ptr_array_index (answer->media, i);
    gchar *where = describe_mline (i, a->mid);
    gboolean ok = FALSE;

    if ((o->application == NULL) != (a->application == NULL)
        || (o->application == NULL && o->kind != a->kind)) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s of the answer is not of the kind the offer has there", where);
      goto next;
    }
    if (!str_equal0 (o->mid, a->mid)) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s of the answer has mid \"%s\" where the offer has \"%s\"",
          where, a->mid != NULL ? a->mid : "", o->mid != NULL ? o->mid : "");
      goto next;
    }
    if (a->rejected || a->application != NULL) {
      ok = TRUE;
      goto next;
    }
    if (o->rejected) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s of the answer accepts an m-line the offer rejected", where);
      goto next;
    }
    for (guint j = 0; j < a->codecs->len; j++) {
      const GstRtcCodec *codec = g_ptr_array_index (a->codecs, j);

      if (!offer_has_payload_type (o, codec->payload_type,
              codec->encoding_name)) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "%s of the answer has payload type %u (%s), which the offer "
            "did not have there", where, codec->payload_type,
            codec->encoding_name);
        goto next;
      }
      if (codec->rtx_payload_type != 0
          && !offer_has_payload_type (o, codec->rtx_payload_type, NULL)) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "%s of the answer has RTX payload type %u, which the offer "
            "did not have there", where, codec->rtx_payload_type);
        goto next;
      }
    }
    if (a->setup != GST_RTC_DTLS_SETUP_ACTIVE
        && a->setup != GST_RTC_DTLS_SETUP_PASSIVE) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s of the answer has a=setup:%s; an answer must say active or "
          "passive", where, setup_name (a->setup) != NULL ?
          setup_name (a->setup) : "(none)");
      goto next;
    }
    if ((direction_sends (a->direction) && !direction_receives (o->direction))
        || (direction_receives (a->direction)
            && !direction_sends (o->direction))) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "%s of the answer is %s, which the offer's %s does not allow",
          where, direction_name (a->direction), direction_name (o->direction));
      goto next;
    }
    ok = TRUE;

  next:
    g_free (where);
    if (!ok)
      return FALSE;
  }

  for (guint i = 0; answer->bundle_mids != NULL && answer->bundle_mids[i];
      i++) {
    if (!strv_has (offer->bundle_mids, answer->bundle_mids[i])) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "the answer's a=group:BUNDLE has mid \"%s\", which the offer's "
          "does not", answer->bundle_mids[i]);
      return FALSE;
    }
  }
  return TRUE;
}
