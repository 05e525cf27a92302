/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcsrtp
 * @title: GstRtcSrtpSession
 * @short_description: SRTP and SRTCP protection over libsrtp2
 *
 * A #GstRtcSrtpSession protects outgoing RTP and RTCP and unprotects
 * incoming SRTP and SRTCP for one DTLS-SRTP transport, with the keys that
 * the DTLS handshake exported. It holds two libsrtp2 sessions: one for
 * what we send, one for what we receive. Each has its own lock, so that
 * the streaming threads that protect never wait on the network thread that
 * unprotects.
 *
 * Packets that fail to unprotect are dropped by the caller; the session
 * logs them at WARNING and counts them in gst_rtc_srtp_session_get_stats().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "srtp.h"
#include "rtc.h"

#include <string.h>
#include <srtp2/srtp.h>
#include <openssl/crypto.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_srtp_debug);
#define GST_CAT_DEFAULT gst_rtc_srtp_debug

#define RTP_HEADER_LEN 12
#define RTP_EXTENSION_HEADER_LEN 4
#define RTCP_HEADER_LEN 8
#define SRTCP_INDEX_LEN 4
#define RTP_VERSION 2

#define AES_128_KEY_LEN 16
#define AES_CM_SALT_LEN 14
#define AES_GCM_SALT_LEN 12
#define HMAC_SHA1_80_TAG_LEN 10
#define AES_GCM_16_TAG_LEN 16
#define MAX_KEY_SALT_LEN (AES_128_KEY_LEN + AES_CM_SALT_LEN)

/* libsrtp2 refuses replay windows outside this range (srtp_rdbx_init). */
#define MIN_REPLAY_WINDOW 64
#define MAX_REPLAY_WINDOW 0x7fff

#define DEFAULT_REPLAY_WINDOW GST_RTC_SRTP_DEFAULT_REPLAY_WINDOW

#define STATS_NAME "application/x-rtc-srtp-stats"

enum
{
  PROP_0,
  PROP_REPLAY_WINDOW,
  PROP_STATS,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

typedef struct
{
  guint64 rtp_packets;
  guint64 rtcp_packets;
  guint64 auth_failures;
  guint64 replays;
  guint64 malformed;
  guint64 errors;
} SrtpCounters;

/* One direction: the libsrtp2 session and the counters of what went through
 * it. Everything here is guarded by @lock, which is held around each
 * libsrtp2 call because a libsrtp2 session is not thread-safe. */
typedef struct
{
  GMutex lock;
  srtp_t srtp;
  GstRtcSrtpProfile profile;
  SrtpCounters counters;
} SrtpDirection;

struct _GstRtcSrtpSession
{
  GObject parent;

  /* Guards replay_window only. */
  GMutex lock;
  guint replay_window;

  SrtpDirection tx;
  SrtpDirection rx;
};

/**
 * GstRtcSrtpSession:
 *
 * The libsrtp2 sessions of one transport, inbound and outbound, keyed from
 * DTLS-SRTP: protects and unprotects RTP and RTCP packets in place.
 */
G_DEFINE_TYPE_WITH_CODE (GstRtcSrtpSession, gst_rtc_srtp_session,
    G_TYPE_OBJECT, GST_DEBUG_CATEGORY_INIT (gst_rtc_srtp_debug, "rtcsrtp", 0,
        "gst-rtc SRTP session"));

/**
 * gst_rtc_srtp_profile_get_key_length:
 * @profile: an SRTP protection profile
 *
 * Gets the master key length of a protection profile.
 *
 * Returns: the length in bytes of the master key of @profile, 0 for
 *   %GST_RTC_SRTP_PROFILE_NONE or an unknown profile
 */
gsize
gst_rtc_srtp_profile_get_key_length (GstRtcSrtpProfile profile)
{
  switch (profile) {
    case GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80:
    case GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM:
      return AES_128_KEY_LEN;
    default:
      return 0;
  }
}

/**
 * gst_rtc_srtp_profile_get_salt_length:
 * @profile: an SRTP protection profile
 *
 * Gets the master salt length of a protection profile.
 *
 * Returns: the length in bytes of the master salt of @profile, 0 for
 *   %GST_RTC_SRTP_PROFILE_NONE or an unknown profile
 */
gsize
gst_rtc_srtp_profile_get_salt_length (GstRtcSrtpProfile profile)
{
  switch (profile) {
    case GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80:
      return AES_CM_SALT_LEN;
    case GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM:
      return AES_GCM_SALT_LEN;
    default:
      return 0;
  }
}

/**
 * gst_rtc_srtp_profile_to_string:
 * @profile: an SRTP protection profile
 *
 * Names a protection profile.
 *
 * Returns: (transfer none): the name RFC 5764 and RFC 7714 give @profile,
 *   such as "SRTP_AES128_CM_SHA1_80", or "none"
 */
const gchar *
gst_rtc_srtp_profile_to_string (GstRtcSrtpProfile profile)
{
  switch (profile) {
    case GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80:
      return "SRTP_AES128_CM_SHA1_80";
    case GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM:
      return "SRTP_AEAD_AES_128_GCM";
    default:
      return "none";
  }
}

static gsize
profile_tag_length (GstRtcSrtpProfile profile)
{
  switch (profile) {
    case GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80:
      return HMAC_SHA1_80_TAG_LEN;
    case GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM:
      return AES_GCM_16_TAG_LEN;
    default:
      return 0;
  }
}

static const gchar *
status_to_string (GstRtcSrtpStatus status)
{
  switch (status) {
    case GST_RTC_SRTP_STATUS_OK:
      return "ok";
    case GST_RTC_SRTP_STATUS_NO_KEY:
      return "no key";
    case GST_RTC_SRTP_STATUS_MALFORMED:
      return "malformed";
    case GST_RTC_SRTP_STATUS_AUTH_FAIL:
      return "authentication failed";
    case GST_RTC_SRTP_STATUS_REPLAY:
      return "replayed or too old";
    case GST_RTC_SRTP_STATUS_NO_SPACE:
      return "no room for the trailer";
    case GST_RTC_SRTP_STATUS_ERROR:
    default:
      return "libsrtp2 error";
  }
}

static void
srtp_direction_init (SrtpDirection * direction)
{
  g_mutex_init (&direction->lock);
  direction->srtp = NULL;
  direction->profile = GST_RTC_SRTP_PROFILE_NONE;
}

static void
srtp_direction_clear (SrtpDirection * direction)
{
  if (direction->srtp != NULL) {
    srtp_err_status_t err = srtp_dealloc (direction->srtp);

    if (err != srtp_err_status_ok)
      GST_WARNING ("srtp_dealloc failed with libsrtp2 status %d", err);
    direction->srtp = NULL;
  }
  g_mutex_clear (&direction->lock);
}

static void
gst_rtc_srtp_session_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcSrtpSession *session = GST_RTC_SRTP_SESSION (object);

  switch (prop_id) {
    case PROP_REPLAY_WINDOW:
      g_mutex_lock (&session->lock);
      session->replay_window = g_value_get_uint (value);
      g_mutex_unlock (&session->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_srtp_session_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcSrtpSession *session = GST_RTC_SRTP_SESSION (object);

  switch (prop_id) {
    case PROP_REPLAY_WINDOW:
      g_mutex_lock (&session->lock);
      g_value_set_uint (value, session->replay_window);
      g_mutex_unlock (&session->lock);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_rtc_srtp_session_get_stats (session));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_srtp_session_finalize (GObject * object)
{
  GstRtcSrtpSession *session = GST_RTC_SRTP_SESSION (object);

  srtp_direction_clear (&session->tx);
  srtp_direction_clear (&session->rx);
  g_mutex_clear (&session->lock);

  G_OBJECT_CLASS (gst_rtc_srtp_session_parent_class)->finalize (object);
}

static void
gst_rtc_srtp_session_class_init (GstRtcSrtpSessionClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = gst_rtc_srtp_session_set_property;
  object_class->get_property = gst_rtc_srtp_session_get_property;
  object_class->finalize = gst_rtc_srtp_session_finalize;

  /**
   * GstRtcSrtpSession:replay-window:
   *
   * How many packets back an incoming SRTP packet may arrive and still be
   * accepted (and how far back a retransmission may be protected again).
   * libsrtp2's default of 128 is under a second of video; a late
   * retransmission would be dropped as a replay. Takes effect at the next
   * gst_rtc_srtp_session_set_keys().
   */
  properties[PROP_REPLAY_WINDOW] = g_param_spec_uint ("replay-window",
      "Replay window", "Size of the SRTP replay window, in packets",
      MIN_REPLAY_WINDOW, MAX_REPLAY_WINDOW, DEFAULT_REPLAY_WINDOW,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcSrtpSession:stats:
   *
   * The counters of gst_rtc_srtp_session_get_stats(), as a property so that
   * they can be read with g_object_get() and gst-launch's -v.
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Packets protected, unprotected and dropped", gst_structure_get_type (),
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPERTIES, properties);
}

static void
gst_rtc_srtp_session_init (GstRtcSrtpSession * session)
{
  g_mutex_init (&session->lock);
  session->replay_window = DEFAULT_REPLAY_WINDOW;
  srtp_direction_init (&session->tx);
  srtp_direction_init (&session->rx);
}

/**
 * gst_rtc_srtp_session_new:
 *
 * Creates a session with no keys: every packet is refused with
 * %GST_RTC_SRTP_STATUS_NO_KEY until gst_rtc_srtp_session_set_keys().
 *
 * Returns: (transfer full): a new #GstRtcSrtpSession
 */
GstRtcSrtpSession *
gst_rtc_srtp_session_new (void)
{
  gst_rtc_init ();

  return g_object_new (GST_RTC_TYPE_SRTP_SESSION, NULL);
}

static gboolean
check_key_length (GstRtcSrtpProfile profile, const gchar * direction,
    gsize expected, gsize given, GError ** error)
{
  if (given == expected)
    return TRUE;

  g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
      "%s needs %" G_GSIZE_FORMAT " bytes of key and salt for %s, got %"
      G_GSIZE_FORMAT, gst_rtc_srtp_profile_to_string (profile), expected,
      direction, given);
  return FALSE;
}

static srtp_t
create_srtp (GstRtcSrtpProfile profile, srtp_ssrc_type_t ssrc_type,
    const guint8 * key_salt, gsize key_salt_len, guint replay_window,
    GError ** error)
{
  /* libsrtp2 wants a mutable key; a copy spares the caller a cast, and is
   * wiped once libsrtp2 has derived its session keys from it. */
  guint8 key_copy[MAX_KEY_SALT_LEN];
  srtp_policy_t policy;
  srtp_err_status_t err;
  srtp_t srtp = NULL;

  memset (&policy, 0, sizeof (policy));
  if (profile == GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  }
  memcpy (key_copy, key_salt, key_salt_len);
  policy.ssrc.type = ssrc_type;
  policy.key = key_copy;
  policy.window_size = replay_window;
  /* A retransmission (RFC 4588 aside, some senders resend the very same
   * packet) must be protected again with the same index. */
  policy.allow_repeat_tx = ssrc_type == ssrc_any_outbound ? 1 : 0;
  policy.next = NULL;

  err = srtp_create (&srtp, &policy);
  OPENSSL_cleanse (key_copy, sizeof (key_copy));
  if (err != srtp_err_status_ok) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SRTP_FAILURE,
        "srtp_create for %s failed with libsrtp2 status %d",
        ssrc_type == ssrc_any_outbound ? "tx" : "rx", err);
    return NULL;
  }
  return srtp;
}

static void
replace_direction (SrtpDirection * direction, GstRtcSrtpProfile profile,
    srtp_t srtp)
{
  srtp_t old;

  g_mutex_lock (&direction->lock);
  old = direction->srtp;
  direction->srtp = srtp;
  direction->profile = profile;
  g_mutex_unlock (&direction->lock);

  /* Outside the lock: tearing down streams takes a while and nobody needs
   * the old keys any more. */
  if (old != NULL) {
    srtp_err_status_t err = srtp_dealloc (old);

    if (err != srtp_err_status_ok)
      GST_WARNING ("srtp_dealloc failed with libsrtp2 status %d", err);
  }
}

/**
 * gst_rtc_srtp_session_set_keys:
 * @session: a #GstRtcSrtpSession
 * @profile: the protection profile the DTLS handshake chose
 * @tx_key_salt: (array length=tx_len): master key then master salt for what
 *   we send
 * @tx_len: length of @tx_key_salt
 * @rx_key_salt: (array length=rx_len): master key then master salt for what
 *   we receive
 * @rx_len: length of @rx_key_salt
 * @error: return location for a #GError, or %NULL
 *
 * Keys the session, or rekeys it: the previous keys, and the replay state
 * that went with them, are dropped. Each key is the master key followed by
 * the master salt of @profile, 30 bytes for
 * %GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80 and 28 for
 * %GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM. The key material is not kept
 * beyond libsrtp2's own derived session keys.
 *
 * Returns: %TRUE on success; %FALSE with @error set when a length does not
 *   match @profile, @profile is not supported, or libsrtp2 refused the keys
 */
gboolean
gst_rtc_srtp_session_set_keys (GstRtcSrtpSession * session,
    GstRtcSrtpProfile profile, const guint8 * tx_key_salt, gsize tx_len,
    const guint8 * rx_key_salt, gsize rx_len, GError ** error)
{
  gsize expected;
  guint replay_window;
  srtp_t tx, rx;

  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session), FALSE);
  g_return_val_if_fail (tx_key_salt != NULL || tx_len == 0, FALSE);
  g_return_val_if_fail (rx_key_salt != NULL || rx_len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (profile != GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80 &&
      profile != GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "SRTP protection profile %d is not supported", profile);
    return FALSE;
  }

  expected = gst_rtc_srtp_profile_get_key_length (profile) +
      gst_rtc_srtp_profile_get_salt_length (profile);
  if (!check_key_length (profile, "tx", expected, tx_len, error) ||
      !check_key_length (profile, "rx", expected, rx_len, error))
    return FALSE;

  g_mutex_lock (&session->lock);
  replay_window = session->replay_window;
  g_mutex_unlock (&session->lock);

  tx = create_srtp (profile, ssrc_any_outbound, tx_key_salt, tx_len,
      replay_window, error);
  if (tx == NULL)
    return FALSE;
  rx = create_srtp (profile, ssrc_any_inbound, rx_key_salt, rx_len,
      replay_window, error);
  if (rx == NULL) {
    srtp_dealloc (tx);
    return FALSE;
  }

  replace_direction (&session->tx, profile, tx);
  replace_direction (&session->rx, profile, rx);

  GST_DEBUG_OBJECT (session, "keyed with %s, replay window %u",
      gst_rtc_srtp_profile_to_string (profile), replay_window);
  return TRUE;
}

/**
 * gst_rtc_srtp_session_has_keys:
 * @session: a #GstRtcSrtpSession
 *
 * Tells whether @session is keyed.
 *
 * Returns: whether gst_rtc_srtp_session_set_keys() succeeded on @session
 */
gboolean
gst_rtc_srtp_session_has_keys (GstRtcSrtpSession * session)
{
  gboolean keyed;

  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session), FALSE);

  g_mutex_lock (&session->rx.lock);
  keyed = session->rx.srtp != NULL;
  g_mutex_unlock (&session->rx.lock);
  return keyed;
}

/**
 * gst_rtc_srtp_session_get_profile:
 * @session: a #GstRtcSrtpSession
 *
 * Gets the protection profile @session is keyed with.
 *
 * Returns: the profile of the current keys, %GST_RTC_SRTP_PROFILE_NONE
 *   before any
 */
GstRtcSrtpProfile
gst_rtc_srtp_session_get_profile (GstRtcSrtpSession * session)
{
  GstRtcSrtpProfile profile;

  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session),
      GST_RTC_SRTP_PROFILE_NONE);

  g_mutex_lock (&session->tx.lock);
  profile = session->tx.profile;
  g_mutex_unlock (&session->tx.lock);
  return profile;
}

/* Length of the RTP header with its CSRCs and extension, or 0 when @data is
 * not an RTP packet whose header fits in @len. Checked here so that garbage
 * never reaches libsrtp2. */
static gsize
rtp_header_length (const guint8 * data, gsize len)
{
  gsize header_len;

  if (len < RTP_HEADER_LEN || (data[0] >> 6) != RTP_VERSION)
    return 0;

  header_len = RTP_HEADER_LEN + 4 * (data[0] & 0x0f);
  if (data[0] & 0x10) {
    if (len < header_len + RTP_EXTENSION_HEADER_LEN)
      return 0;
    header_len += RTP_EXTENSION_HEADER_LEN +
        4 * (((gsize) data[header_len + 2] << 8) | data[header_len + 3]);
  }
  return header_len <= len ? header_len : 0;
}

static gboolean
rtcp_header_ok (const guint8 * data, gsize len)
{
  return len >= RTCP_HEADER_LEN && (data[0] >> 6) == RTP_VERSION;
}

static GstRtcSrtpStatus
status_from_srtp (srtp_err_status_t err)
{
  switch (err) {
    case srtp_err_status_ok:
      return GST_RTC_SRTP_STATUS_OK;
    case srtp_err_status_auth_fail:
      /* An SRTCP E-flag that contradicts the policy is a forgery too. */
    case srtp_err_status_cant_check:
      return GST_RTC_SRTP_STATUS_AUTH_FAIL;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return GST_RTC_SRTP_STATUS_REPLAY;
    default:
      return GST_RTC_SRTP_STATUS_ERROR;
  }
}

/* Counts the outcome of one packet; called with direction->lock held. */
static void
count_locked (SrtpDirection * direction, gboolean rtcp,
    GstRtcSrtpStatus status)
{
  SrtpCounters *counters = &direction->counters;

  switch (status) {
    case GST_RTC_SRTP_STATUS_OK:
      if (rtcp)
        counters->rtcp_packets++;
      else
        counters->rtp_packets++;
      break;
    case GST_RTC_SRTP_STATUS_AUTH_FAIL:
      counters->auth_failures++;
      break;
    case GST_RTC_SRTP_STATUS_REPLAY:
      counters->replays++;
      break;
    case GST_RTC_SRTP_STATUS_MALFORMED:
      counters->malformed++;
      break;
    case GST_RTC_SRTP_STATUS_NO_KEY:
      /* Expected while DTLS is still running; not a fault of the packet. */
      break;
    case GST_RTC_SRTP_STATUS_NO_SPACE:
    case GST_RTC_SRTP_STATUS_ERROR:
    default:
      counters->errors++;
      break;
  }
}

static void
log_dropped (GstRtcSrtpSession * session, const gchar * operation,
    gboolean rtcp, gsize len, GstRtcSrtpStatus status, srtp_err_status_t err)
{
  if (status == GST_RTC_SRTP_STATUS_NO_KEY) {
    GST_DEBUG_OBJECT (session, "cannot %s %s packet of %" G_GSIZE_FORMAT
        " bytes: no keys yet", operation, rtcp ? "RTCP" : "RTP", len);
    return;
  }
  if (err != srtp_err_status_ok)
    GST_WARNING_OBJECT (session, "dropped %s packet of %" G_GSIZE_FORMAT
        " bytes that failed to %s: %s (libsrtp2 status %d)",
        rtcp ? "RTCP" : "RTP", len, operation, status_to_string (status), err);
  else
    GST_WARNING_OBJECT (session, "dropped %s packet of %" G_GSIZE_FORMAT
        " bytes that failed to %s: %s", rtcp ? "RTCP" : "RTP", len, operation,
        status_to_string (status));
}

/**
 * gst_rtc_srtp_session_protect:
 * @session: a #GstRtcSrtpSession
 * @rtcp: whether @data is RTCP rather than RTP
 * @data: (array length=capacity) (inout): an RTP or RTCP packet, protected
 *   in place
 * @len: (inout): the length of the packet in @data; on success, the length
 *   of the protected packet
 * @capacity: the size of @data, at least *@len plus
 *   %GST_RTC_SRTP_MAX_TRAILER_LEN
 *
 * Protects one outgoing packet in place, appending the authentication tag
 * (and for SRTCP, the index). Safe to call from several threads; RTP and
 * RTCP share one lock. @data should be 4-byte aligned, as libsrtp2 reads
 * it by words.
 *
 * Returns: %GST_RTC_SRTP_STATUS_OK, or why the packet was not protected
 */
GstRtcSrtpStatus
gst_rtc_srtp_session_protect (GstRtcSrtpSession * session, gboolean rtcp,
    guint8 * data, gsize * len, gsize capacity)
{
  SrtpDirection *tx;
  GstRtcSrtpStatus status = GST_RTC_SRTP_STATUS_OK;
  srtp_err_status_t err = srtp_err_status_ok;
  gsize in_len;

  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session),
      GST_RTC_SRTP_STATUS_ERROR);
  g_return_val_if_fail (len != NULL, GST_RTC_SRTP_STATUS_ERROR);
  g_return_val_if_fail (data != NULL || *len == 0, GST_RTC_SRTP_STATUS_ERROR);

  tx = &session->tx;
  in_len = *len;

  if (rtcp ? !rtcp_header_ok (data, in_len) :
      rtp_header_length (data, in_len) == 0)
    status = GST_RTC_SRTP_STATUS_MALFORMED;
  else if (in_len > G_MAXINT - GST_RTC_SRTP_MAX_TRAILER_LEN)
    status = GST_RTC_SRTP_STATUS_MALFORMED;
  else if (capacity < in_len ||
      capacity - in_len < GST_RTC_SRTP_MAX_TRAILER_LEN)
    status = GST_RTC_SRTP_STATUS_NO_SPACE;

  g_mutex_lock (&tx->lock);
  if (status == GST_RTC_SRTP_STATUS_OK && tx->srtp == NULL)
    status = GST_RTC_SRTP_STATUS_NO_KEY;
  if (status == GST_RTC_SRTP_STATUS_OK) {
    int srtp_len = (int) in_len;

    if (rtcp)
      err = srtp_protect_rtcp (tx->srtp, data, &srtp_len);
    else
      err = srtp_protect (tx->srtp, data, &srtp_len);
    status = status_from_srtp (err);
    if (status == GST_RTC_SRTP_STATUS_OK)
      *len = srtp_len;
  }
  count_locked (tx, rtcp, status);
  g_mutex_unlock (&tx->lock);

  if (G_LIKELY (status == GST_RTC_SRTP_STATUS_OK))
    GST_LOG_OBJECT (session, "protected %s packet, %" G_GSIZE_FORMAT " -> %"
        G_GSIZE_FORMAT " bytes", rtcp ? "RTCP" : "RTP", in_len, *len);
  else
    log_dropped (session, "protect", rtcp, in_len, status, err);
  return status;
}

/**
 * gst_rtc_srtp_session_unprotect:
 * @session: a #GstRtcSrtpSession
 * @rtcp: whether @data is SRTCP rather than SRTP
 * @data: (array length=len) (inout): an SRTP or SRTCP packet, unprotected
 *   in place
 * @len: (inout): the length of the packet in @data; on success, the length
 *   of the plain RTP or RTCP packet
 *
 * Verifies and decrypts one incoming packet in place. A packet that fails
 * is logged, counted in the stats, and left for the caller to drop. @data
 * should be 4-byte aligned, as libsrtp2 reads it by words.
 *
 * Returns: %GST_RTC_SRTP_STATUS_OK, or why the packet must be dropped
 */
GstRtcSrtpStatus
gst_rtc_srtp_session_unprotect (GstRtcSrtpSession * session, gboolean rtcp,
    guint8 * data, gsize * len)
{
  SrtpDirection *rx;
  GstRtcSrtpStatus status = GST_RTC_SRTP_STATUS_OK;
  srtp_err_status_t err = srtp_err_status_ok;
  gsize in_len, header_len;

  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session),
      GST_RTC_SRTP_STATUS_ERROR);
  g_return_val_if_fail (len != NULL, GST_RTC_SRTP_STATUS_ERROR);
  g_return_val_if_fail (data != NULL || *len == 0, GST_RTC_SRTP_STATUS_ERROR);

  rx = &session->rx;
  in_len = *len;

  if (rtcp)
    header_len = rtcp_header_ok (data, in_len) ?
        RTCP_HEADER_LEN + SRTCP_INDEX_LEN : 0;
  else
    header_len = rtp_header_length (data, in_len);
  if (header_len == 0 || in_len > G_MAXINT)
    status = GST_RTC_SRTP_STATUS_MALFORMED;

  g_mutex_lock (&rx->lock);
  if (status == GST_RTC_SRTP_STATUS_OK && rx->srtp == NULL)
    status = GST_RTC_SRTP_STATUS_NO_KEY;
  /* The tag is not part of the header, so a packet that ends within it
   * cannot be authentic; say so before libsrtp2 has to find out. */
  if (status == GST_RTC_SRTP_STATUS_OK &&
      in_len < header_len + profile_tag_length (rx->profile))
    status = GST_RTC_SRTP_STATUS_MALFORMED;
  if (status == GST_RTC_SRTP_STATUS_OK) {
    int srtp_len = (int) in_len;

    if (rtcp)
      err = srtp_unprotect_rtcp (rx->srtp, data, &srtp_len);
    else
      err = srtp_unprotect (rx->srtp, data, &srtp_len);
    status = status_from_srtp (err);
    if (status == GST_RTC_SRTP_STATUS_OK)
      *len = srtp_len;
  }
  count_locked (rx, rtcp, status);
  g_mutex_unlock (&rx->lock);

  if (G_LIKELY (status == GST_RTC_SRTP_STATUS_OK))
    GST_LOG_OBJECT (session, "unprotected %s packet, %" G_GSIZE_FORMAT " -> %"
        G_GSIZE_FORMAT " bytes", rtcp ? "RTCP" : "RTP", in_len, *len);
  else
    log_dropped (session, "unprotect", rtcp, in_len, status, err);
  return status;
}

/**
 * gst_rtc_srtp_session_protect_buffer:
 * @session: a #GstRtcSrtpSession
 * @rtcp: whether @buffer holds RTCP rather than RTP
 * @buffer: (transfer none): an RTP or RTCP packet
 * @status: (out) (optional): where to store the outcome
 *
 * Protects the packet in @buffer into a new buffer with room for the
 * trailer. @buffer is left as it was; its timestamps, flags and metas are
 * copied to the new buffer.
 *
 * Returns: (transfer full) (nullable): the protected packet, or %NULL when
 *   it could not be protected (see @status)
 */
GstBuffer *
gst_rtc_srtp_session_protect_buffer (GstRtcSrtpSession * session,
    gboolean rtcp, GstBuffer * buffer, GstRtcSrtpStatus * status)
{
  GstRtcSrtpStatus result;
  GstBuffer *protected;
  GstMapInfo map;
  gsize len;

  if (status != NULL)
    *status = GST_RTC_SRTP_STATUS_ERROR;
  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session), NULL);
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  len = gst_buffer_get_size (buffer);
  protected = gst_buffer_new_allocate (NULL,
      len + GST_RTC_SRTP_MAX_TRAILER_LEN, NULL);
  if (protected == NULL || !gst_buffer_map (protected, &map, GST_MAP_WRITE)) {
    GST_WARNING_OBJECT (session, "cannot allocate %" G_GSIZE_FORMAT " bytes",
        len + GST_RTC_SRTP_MAX_TRAILER_LEN);
    gst_clear_buffer (&protected);
    return NULL;
  }
  /* Extracting rather than mapping @buffer spares a merge of its memories. */
  gst_buffer_extract (buffer, 0, map.data, len);
  result = gst_rtc_srtp_session_protect (session, rtcp, map.data, &len,
      map.size);
  gst_buffer_unmap (protected, &map);

  if (status != NULL)
    *status = result;
  if (result != GST_RTC_SRTP_STATUS_OK) {
    gst_buffer_unref (protected);
    return NULL;
  }
  gst_buffer_set_size (protected, len);
  gst_buffer_copy_into (protected, buffer, GST_BUFFER_COPY_METADATA, 0, -1);
  return protected;
}

/**
 * gst_rtc_srtp_session_get_stats:
 * @session: a #GstRtcSrtpSession
 *
 * Gets the counters of the session, as a structure named
 * "application/x-rtc-srtp-stats" with #guint64 fields "rtp-protected",
 * "rtcp-protected", "rtp-unprotected", "rtcp-unprotected", "auth-failures",
 * "replays", "malformed" and "errors" (both directions summed), and a string
 * field "profile". Counters survive a rekey.
 *
 * Returns: (transfer full): the statistics
 */
GstStructure *
gst_rtc_srtp_session_get_stats (GstRtcSrtpSession * session)
{
  SrtpCounters tx, rx;
  GstRtcSrtpProfile profile;

  g_return_val_if_fail (GST_RTC_IS_SRTP_SESSION (session), NULL);

  /* Copied out so that the structure is built with no lock held. */
  g_mutex_lock (&session->tx.lock);
  tx = session->tx.counters;
  profile = session->tx.profile;
  g_mutex_unlock (&session->tx.lock);
  g_mutex_lock (&session->rx.lock);
  rx = session->rx.counters;
  g_mutex_unlock (&session->rx.lock);

  return gst_structure_new (STATS_NAME,
      "rtp-protected", G_TYPE_UINT64, tx.rtp_packets,
      "rtcp-protected", G_TYPE_UINT64, tx.rtcp_packets,
      "rtp-unprotected", G_TYPE_UINT64, rx.rtp_packets,
      "rtcp-unprotected", G_TYPE_UINT64, rx.rtcp_packets,
      "auth-failures", G_TYPE_UINT64, tx.auth_failures + rx.auth_failures,
      "replays", G_TYPE_UINT64, tx.replays + rx.replays,
      "malformed", G_TYPE_UINT64, tx.malformed + rx.malformed,
      "errors", G_TYPE_UINT64, tx.errors + rx.errors,
      "profile", G_TYPE_STRING, gst_rtc_srtp_profile_to_string (profile),
      NULL);
}
