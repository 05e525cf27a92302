/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcbin
 * @title: rtcbin
 * @short_description: one WebRTC peer connection
 *
 * rtcbin is one RTCPeerConnection: offer/answer actions and signals named
 * as in the W3C API and webrtcbin, request sink pads for the streams it
 * sends and sometimes src pads for the streams it receives. Inside, one
 * rtpbin does RTCP, the jitterbuffers and retransmission; one
 * #GstRtcTransport per BUNDLE group carries everything over ICE and
 * DTLS-SRTP, and a #GstRtcSsrcRouter tells the m-lines apart on receipt.
 *
 * Negotiation operations (create-offer, create-answer,
 * set-local-description, set-remote-description, add-ice-candidate) run
 * one at a time, in the order they were asked for, as the W3C operations
 * chain requires. They do not block: an operation asked for while another
 * runs is queued, and run by the thread that runs the chain when the
 * previous one has completed. Their results come through a #GstPromise
 * (action signals) or a #GAsyncReadyCallback (the typed methods).
 *
 * ## Example launch line
 *
 * rtcbin needs signalling, so it is driven from code; see docs/rtcbin.md.
 * A sender:
 * |[
 * videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! rtcbin.sink_0
 * audiotestsrc is-live=true ! opusenc ! rtpopuspay pt=111 ! rtcbin.sink_1
 * rtcbin name=rtcbin
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bin-private.h"
#include "bin-diagnosis.h"
#include "rtc-enumtypes.h"

#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_bin_debug);
GST_DEBUG_CATEGORY_STATIC (gst_rtc_transceiver_debug);
#define GST_CAT_DEFAULT gst_rtc_bin_debug

#define DEFAULT_BUNDLE_POLICY GST_RTC_BUNDLE_POLICY_MAX_BUNDLE
#define DEFAULT_ICE_TRANSPORT_POLICY GST_RTC_ICE_TRANSPORT_POLICY_ALL
/* Enough for one NACK round trip on most paths, half of webrtcbin's 200. */
#define DEFAULT_LATENCY 100
#define DEFAULT_MID_EXTENSION TRUE
#define DEFAULT_CONGESTION_CONTROL TRUE
#define DEFAULT_START_BITRATE 1000000
#define DEFAULT_MIN_BITRATE 30000
#define DEFAULT_MAX_BITRATE 8000000
#define DEFAULT_FEC TRUE
#define DEFAULT_DIRECTION GST_RTC_DIRECTION_SENDRECV

/* an RTX payload type still to be chosen */
#define RTX_WANTED 128

/* m-line index of a transceiver that has none (webrtcbin's convention) */
#define NO_MLINE G_MAXUINT

#define RTC_BIN_LOCK(bin) g_mutex_lock (&(bin)->lock)
#define RTC_BIN_UNLOCK(bin) g_mutex_unlock (&(bin)->lock)

/* ======================================================================== */
/* GstRtcTransceiver                                                        */
/* ======================================================================== */

enum
{
  TRANSCEIVER_PROP_0,
  TRANSCEIVER_PROP_DIRECTION,
  TRANSCEIVER_PROP_CURRENT_DIRECTION,
  TRANSCEIVER_PROP_MID,
  TRANSCEIVER_PROP_MLINE,
  TRANSCEIVER_PROP_KIND,
  TRANSCEIVER_PROP_CODEC_PREFERENCES,
  TRANSCEIVER_PROP_TRANSPORT,
  TRANSCEIVER_N_PROPERTIES
};

static GParamSpec *transceiver_properties[TRANSCEIVER_N_PROPERTIES];

/**
 * GstRtcTransceiver:
 *
 * One m-line of an rtcbin: the W3C RTCRtpTransceiver, with its wanted and
 * negotiated directions, its MID, media kind and codec preferences. Made
 * by gst_rtc_bin_add_transceiver(), by a sink pad request or by a remote
 * offer; listed by gst_rtc_bin_get_transceivers().
 */
G_DEFINE_TYPE_WITH_CODE (GstRtcTransceiver, gst_rtc_transceiver,
    GST_TYPE_OBJECT, GST_DEBUG_CATEGORY_INIT (gst_rtc_transceiver_debug,
        "rtctransceiver", 0, "gst-rtc transceiver"));

static void rtc_bin_schedule_negotiation_check (GstRtcBin * bin);

static void
gst_rtc_transceiver_finalize (GObject * object)
{
  GstRtcTransceiver *transceiver = GST_RTC_TRANSCEIVER (object);
  RtcTransceiverPrivate *priv = &transceiver->priv;

  g_free (transceiver->mid);
  gst_clear_caps (&transceiver->codec_preferences);
  g_weak_ref_clear (&transceiver->bin);
  gst_clear_caps (&priv->sink_caps);
  g_clear_pointer (&priv->negotiated_codecs, g_ptr_array_unref);
  g_free (priv->track_id);
  g_clear_pointer (&priv->entry, rtc_transport_entry_unref);
  gst_clear_object (&priv->send_rtp_sink);
  gst_clear_object (&priv->send_rtcp_sink);
  gst_clear_object (&priv->recv_rtp_src);
  gst_clear_object (&priv->recv_rtcp_src);
  gst_clear_object (&priv->rtxsend);
  gst_clear_object (&priv->rtxreceive);
  gst_clear_object (&priv->fecenc);
  gst_clear_object (&priv->redenc);
  gst_clear_object (&priv->reddec);
  gst_clear_object (&priv->fecdec);

  G_OBJECT_CLASS (gst_rtc_transceiver_parent_class)->finalize (object);
}

static void
gst_rtc_transceiver_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcTransceiver *transceiver = GST_RTC_TRANSCEIVER (object);

  switch (prop_id) {
    case TRANSCEIVER_PROP_DIRECTION:
      gst_rtc_transceiver_set_direction (transceiver,
          g_value_get_enum (value));
      break;
    case TRANSCEIVER_PROP_CODEC_PREFERENCES:
      gst_rtc_transceiver_set_codec_preferences (transceiver,
          g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static GstRtcTransport *
transceiver_get_transport (GstRtcTransceiver * transceiver)
{
  GstRtcTransport *transport = NULL;
  GstRtcBin *bin = g_weak_ref_get (&transceiver->bin);

  if (bin == NULL)
    return NULL;
  g_mutex_lock (&bin->lock);
  if (transceiver->priv.entry != NULL)
    transport = gst_object_ref (transceiver->priv.entry->transport);
  g_mutex_unlock (&bin->lock);
  gst_object_unref (bin);
  return transport;
}

static void
gst_rtc_transceiver_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcTransceiver *transceiver = GST_RTC_TRANSCEIVER (object);

  if (prop_id == TRANSCEIVER_PROP_TRANSPORT) {
    g_value_take_object (value, transceiver_get_transport (transceiver));
    return;
  }

  GST_OBJECT_LOCK (transceiver);
  switch (prop_id) {
    case TRANSCEIVER_PROP_DIRECTION:
      g_value_set_enum (value, transceiver->direction);
      break;
    case TRANSCEIVER_PROP_CURRENT_DIRECTION:
      g_value_set_enum (value, transceiver->current_direction);
      break;
    case TRANSCEIVER_PROP_MID:
      g_value_set_string (value, transceiver->mid);
      break;
    case TRANSCEIVER_PROP_MLINE:
      g_value_set_uint (value, transceiver->mline);
      break;
    case TRANSCEIVER_PROP_KIND:
      g_value_set_enum (value, transceiver->kind);
      break;
    case TRANSCEIVER_PROP_CODEC_PREFERENCES:
      g_value_set_boxed (value, transceiver->codec_preferences);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (transceiver);
}

static void
gst_rtc_transceiver_class_init (GstRtcTransceiverClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = gst_rtc_transceiver_finalize;
  gobject_class->set_property = gst_rtc_transceiver_set_property;
  gobject_class->get_property = gst_rtc_transceiver_get_property;

  /**
   * GstRtcTransceiver:direction:
   *
   * The direction we want (W3C RTCRtpTransceiver.direction). Changing it
   * on a negotiated transceiver makes its rtcbin emit
   * #GstRtcBin::on-negotiation-needed.
   */
  transceiver_properties[TRANSCEIVER_PROP_DIRECTION] =
      g_param_spec_enum ("direction", "Direction",
      "The direction we want", GST_RTC_TYPE_DIRECTION, DEFAULT_DIRECTION,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransceiver:current-direction:
   *
   * The direction the last completed negotiation agreed on (W3C
   * currentDirection), %GST_RTC_DIRECTION_NONE before.
   */
  transceiver_properties[TRANSCEIVER_PROP_CURRENT_DIRECTION] =
      g_param_spec_enum ("current-direction", "Current direction",
      "The negotiated direction", GST_RTC_TYPE_DIRECTION,
      GST_RTC_DIRECTION_NONE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransceiver:mid:
   *
   * The mid of its m-line, once it has one.
   */
  transceiver_properties[TRANSCEIVER_PROP_MID] =
      g_param_spec_string ("mid", "MID", "The mid of its m-line", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransceiver:mlineindex:
   *
   * The index of its m-line, %G_MAXUINT while it has none (webrtcbin's
   * name).
   */
  transceiver_properties[TRANSCEIVER_PROP_MLINE] =
      g_param_spec_uint ("mlineindex", "Media line index",
      "The index of its m-line", 0, G_MAXUINT, NO_MLINE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransceiver:kind:
   *
   * Audio or video, as its caps or its m-line say.
   */
  transceiver_properties[TRANSCEIVER_PROP_KIND] =
      g_param_spec_enum ("kind", "Kind", "Audio or video",
      GST_RTC_TYPE_MEDIA_KIND, GST_RTC_MEDIA_KIND_AUDIO,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransceiver:codec-preferences:
   *
   * RTP caps (one structure per codec, in preference order) to offer or
   * accept when the sink pad has none yet.
   */
  transceiver_properties[TRANSCEIVER_PROP_CODEC_PREFERENCES] =
      g_param_spec_boxed ("codec-preferences", "Codec preferences",
      "RTP caps of the codecs to offer or accept", gst_caps_get_type (),
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransceiver:transport:
   *
   * The secure transport its m-line is carried on, once negotiation gave
   * it one: bundled transceivers share it.
   */
  transceiver_properties[TRANSCEIVER_PROP_TRANSPORT] =
      g_param_spec_object ("transport", "Transport",
      "The transport its m-line is carried on", GST_RTC_TYPE_TRANSPORT,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class,
      TRANSCEIVER_N_PROPERTIES, transceiver_properties);
}

static void
gst_rtc_transceiver_init (GstRtcTransceiver * transceiver)
{
  transceiver->direction = DEFAULT_DIRECTION;
  transceiver->current_direction = GST_RTC_DIRECTION_NONE;
  transceiver->mline = NO_MLINE;
  g_weak_ref_init (&transceiver->bin, NULL);
  transceiver->priv.local_pt = -1;
  transceiver->priv.wire_pt = -1;
  transceiver->priv.wire_rtx_pt = -1;
  transceiver->priv.wire_red_pt = -1;
  transceiver->priv.wire_ulpfec_pt = -1;
  transceiver->priv.wire_red_rtx_pt = -1;
  transceiver->priv.offered_mline = -1;
}

/* Reads the media kind of the first structure of RTP caps. */
static gboolean
kind_from_caps (const GstCaps * caps, GstRtcMediaKind * kind)
{
  const gchar *media;

  if (caps == NULL || gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return FALSE;
  media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "media");
  if (g_strcmp0 (media, "audio") == 0)
    *kind = GST_RTC_MEDIA_KIND_AUDIO;
  else if (g_strcmp0 (media, "video") == 0)
    *kind = GST_RTC_MEDIA_KIND_VIDEO;
  else
    return FALSE;
  return TRUE;
}

/**
 * gst_rtc_transceiver_get_direction:
 * @transceiver: a transceiver
 *
 * Gets the direction the application asked for (W3C direction).
 *
 * Returns: the direction we want
 */
GstRtcDirection
gst_rtc_transceiver_get_direction (GstRtcTransceiver * transceiver)
{
  GstRtcDirection direction;

  g_return_val_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver),
      GST_RTC_DIRECTION_NONE);

  GST_OBJECT_LOCK (transceiver);
  direction = transceiver->direction;
  GST_OBJECT_UNLOCK (transceiver);
  return direction;
}

/**
 * gst_rtc_transceiver_set_direction:
 * @transceiver: a transceiver
 * @direction: the direction we want (not %GST_RTC_DIRECTION_NONE)
 *
 * Changes the direction we want. Takes effect at the next negotiation,
 * which its rtcbin asks for with #GstRtcBin::on-negotiation-needed.
 */
void
gst_rtc_transceiver_set_direction (GstRtcTransceiver * transceiver,
    GstRtcDirection direction)
{
  GstRtcBin *bin;
  gboolean changed;

  g_return_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver));
  g_return_if_fail (direction != GST_RTC_DIRECTION_NONE);

  GST_OBJECT_LOCK (transceiver);
  changed = transceiver->direction != direction;
  transceiver->direction = direction;
  GST_OBJECT_UNLOCK (transceiver);
  if (!changed)
    return;

  g_object_notify_by_pspec (G_OBJECT (transceiver),
      transceiver_properties[TRANSCEIVER_PROP_DIRECTION]);
  bin = g_weak_ref_get (&transceiver->bin);
  if (bin != NULL) {
    rtc_bin_schedule_negotiation_check (bin);
    gst_object_unref (bin);
  }
}

/**
 * gst_rtc_transceiver_get_current_direction:
 * @transceiver: a transceiver
 *
 * Gets the direction the last negotiation agreed on (W3C currentDirection).
 *
 * Returns: the negotiated direction, %GST_RTC_DIRECTION_NONE before the
 *   first negotiation that included it
 */
GstRtcDirection
gst_rtc_transceiver_get_current_direction (GstRtcTransceiver * transceiver)
{
  GstRtcDirection direction;

  g_return_val_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver),
      GST_RTC_DIRECTION_NONE);

  GST_OBJECT_LOCK (transceiver);
  direction = transceiver->current_direction;
  GST_OBJECT_UNLOCK (transceiver);
  return direction;
}

/**
 * gst_rtc_transceiver_get_mid:
 * @transceiver: a transceiver
 *
 * Gets the media identification (`a=mid`) of @transceiver.
 *
 * Returns: (transfer full) (nullable): the mid of its m-line
 */
gchar *
gst_rtc_transceiver_get_mid (GstRtcTransceiver * transceiver)
{
  gchar *mid;

  g_return_val_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver), NULL);

  GST_OBJECT_LOCK (transceiver);
  mid = g_strdup (transceiver->mid);
  GST_OBJECT_UNLOCK (transceiver);
  return mid;
}

/**
 * gst_rtc_transceiver_get_mline_index:
 * @transceiver: a transceiver
 *
 * Gets the position of the m-line of @transceiver in the descriptions.
 *
 * Returns: the index of its m-line, %G_MAXUINT while it has none
 */
guint
gst_rtc_transceiver_get_mline_index (GstRtcTransceiver * transceiver)
{
  guint mline;

  g_return_val_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver), NO_MLINE);

  GST_OBJECT_LOCK (transceiver);
  mline = transceiver->mline;
  GST_OBJECT_UNLOCK (transceiver);
  return mline;
}

/**
 * gst_rtc_transceiver_get_kind:
 * @transceiver: a transceiver
 *
 * Gets the media kind of @transceiver.
 *
 * Returns: audio or video
 */
GstRtcMediaKind
gst_rtc_transceiver_get_kind (GstRtcTransceiver * transceiver)
{
  GstRtcMediaKind kind;

  g_return_val_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver),
      GST_RTC_MEDIA_KIND_AUDIO);

  GST_OBJECT_LOCK (transceiver);
  kind = transceiver->kind;
  GST_OBJECT_UNLOCK (transceiver);
  return kind;
}

/**
 * gst_rtc_transceiver_get_codec_preferences:
 * @transceiver: a transceiver
 *
 * Gets the RTP caps used for @transceiver when its sink pad has none.
 *
 * Returns: (transfer full) (nullable): the codec preferences
 */
GstCaps *
gst_rtc_transceiver_get_codec_preferences (GstRtcTransceiver * transceiver)
{
  GstCaps *caps = NULL;

  g_return_val_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver), NULL);

  GST_OBJECT_LOCK (transceiver);
  if (transceiver->codec_preferences != NULL)
    caps = gst_caps_ref (transceiver->codec_preferences);
  GST_OBJECT_UNLOCK (transceiver);
  return caps;
}

/**
 * gst_rtc_transceiver_set_codec_preferences:
 * @transceiver: a transceiver
 * @caps: (nullable): RTP caps, one structure per codec
 *
 * Sets the codecs to offer or accept when the sink pad has no caps yet.
 * The `media` field of the caps sets the kind of a transceiver that has
 * none yet.
 */
void
gst_rtc_transceiver_set_codec_preferences (GstRtcTransceiver * transceiver,
    GstCaps * caps)
{
  GstRtcMediaKind kind;

  g_return_if_fail (GST_RTC_IS_TRANSCEIVER (transceiver));

  GST_OBJECT_LOCK (transceiver);
  gst_caps_replace (&transceiver->codec_preferences, caps);
  if (!transceiver->kind_known && kind_from_caps (caps, &kind)) {
    transceiver->kind = kind;
    transceiver->kind_known = TRUE;
  }
  GST_OBJECT_UNLOCK (transceiver);
  g_object_notify_by_pspec (G_OBJECT (transceiver),
      transceiver_properties[TRANSCEIVER_PROP_CODEC_PREFERENCES]);
}

/* ======================================================================== */
/* GstRtcBinPad: our ghost pads, with the transceiver they belong to        */
/* ======================================================================== */

#define RTC_TYPE_BIN_PAD (rtc_bin_pad_get_type ())
G_DECLARE_FINAL_TYPE (RtcBinPad, rtc_bin_pad, RTC, BIN_PAD, GstGhostPad);

struct _RtcBinPad
{
  GstGhostPad parent;
  GstRtcTransceiver *transceiver;
};

enum
{
  PAD_PROP_0,
  PAD_PROP_TRANSCEIVER,
};

G_DEFINE_TYPE (RtcBinPad, rtc_bin_pad, GST_TYPE_GHOST_PAD);

static void
rtc_bin_pad_finalize (GObject * object)
{
  RtcBinPad *pad = RTC_BIN_PAD (object);

  gst_clear_object (&pad->transceiver);
  G_OBJECT_CLASS (rtc_bin_pad_parent_class)->finalize (object);
}

static void
rtc_bin_pad_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  RtcBinPad *pad = RTC_BIN_PAD (object);

  switch (prop_id) {
    case PAD_PROP_TRANSCEIVER:
      g_value_set_object (value, pad->transceiver);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
rtc_bin_pad_class_init (RtcBinPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = rtc_bin_pad_finalize;
  gobject_class->get_property = rtc_bin_pad_get_property;

  g_object_class_install_property (gobject_class, PAD_PROP_TRANSCEIVER,
      g_param_spec_object ("transceiver", "Transceiver",
          "The transceiver this pad sends or receives for",
          GST_RTC_TYPE_TRANSCEIVER,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
rtc_bin_pad_init (RtcBinPad * pad)
{
}

static GstPad *
rtc_bin_pad_new (const gchar * name, GstPadDirection direction,
    GstPadTemplate * templ, GstRtcTransceiver * transceiver)
{
  RtcBinPad *pad = g_object_new (RTC_TYPE_BIN_PAD, "name", name,
      "direction", direction, "template", templ, NULL);

  pad->transceiver = gst_object_ref (transceiver);
  return GST_PAD (pad);
}

/* ======================================================================== */
/* GstRtcBin: properties, signals                                           */
/* ======================================================================== */

enum
{
  PROP_0,
  PROP_CONNECTION_STATE,
  PROP_ICE_CONNECTION_STATE,
  PROP_ICE_GATHERING_STATE,
  PROP_SIGNALING_STATE,
  PROP_LOCAL_DESCRIPTION,
  PROP_REMOTE_DESCRIPTION,
  PROP_CURRENT_LOCAL_DESCRIPTION,
  PROP_PENDING_LOCAL_DESCRIPTION,
  PROP_CURRENT_REMOTE_DESCRIPTION,
  PROP_PENDING_REMOTE_DESCRIPTION,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_BUNDLE_POLICY,
  PROP_LATENCY,
  PROP_CERTIFICATE,
  PROP_ICE_AGENT,
  PROP_MID_EXTENSION,
  PROP_CONGESTION_CONTROL,
  PROP_START_BITRATE,
  PROP_MIN_BITRATE,
  PROP_MAX_BITRATE,
  PROP_FEC,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

enum
{
  SIGNAL_CREATE_OFFER,
  SIGNAL_CREATE_ANSWER,
  SIGNAL_SET_LOCAL_DESCRIPTION,
  SIGNAL_SET_REMOTE_DESCRIPTION,
  SIGNAL_ADD_ICE_CANDIDATE,
  SIGNAL_ADD_ICE_CANDIDATE_FULL,
  SIGNAL_ADD_TURN_SERVER,
  SIGNAL_ADD_TRANSCEIVER,
  SIGNAL_GET_TRANSCEIVERS,
  SIGNAL_GET_TRANSCEIVER,
  SIGNAL_GET_STATS,
  SIGNAL_ON_NEGOTIATION_NEEDED,
  SIGNAL_ON_ICE_CANDIDATE,
  SIGNAL_ON_NEW_TRANSCEIVER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS ("application/x-rtp"));

/**
 * GstRtcBin:
 *
 * The `rtcbin` element: one WebRTC peer connection, with the actions and
 * signals of webrtcbin and the W3C RTCPeerConnection, and typed methods
 * (gst_rtc_bin_create_offer_async() and the others) for applications and
 * bindings. See the element's documentation.
 */
G_DEFINE_TYPE_WITH_CODE (GstRtcBin, gst_rtc_bin, GST_TYPE_BIN,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_bin_debug, "rtcbin", 0,
        "gst-rtc peer connection"));

/* ======================================================================== */
/* Small helpers                                                            */
/* ======================================================================== */

static gchar *
random_token (guint len)
{
  static const gchar alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  gchar *token = g_malloc (len + 1);
  guint i;

  for (i = 0; i < len; i++)
    token[i] = alphabet[g_random_int_range (0, sizeof (alphabet) - 1)];
  token[len] = '\0';
  return token;
}

static GstRtcMediaDescription *
desc_media (const GstRtcSessionDescription * desc, guint mline)
{
  if (desc == NULL || desc->media == NULL || mline >= desc->media->len)
    return NULL;
  return g_ptr_array_index (desc->media, mline);
}

static gboolean
direction_sends (GstRtcDirection direction)
{
  return direction == GST_RTC_DIRECTION_SENDRECV
      || direction == GST_RTC_DIRECTION_SENDONLY;
}

static const gchar *
enum_nick (GType type, gint value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);
  const gchar *nick = enum_value ? enum_value->value_nick : "?";

  g_type_class_unref (klass);
  return nick;
}

static GPtrArray *
codecs_copy (const GPtrArray * codecs)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_rtc_codec_free);
  guint i;

  for (i = 0; codecs != NULL && i < codecs->len; i++)
    g_ptr_array_add (copy, gst_rtc_codec_copy (g_ptr_array_index (codecs,
                i)));
  return copy;
}

/* ======================================================================== */
/* Transport entries                                                        */
/* ======================================================================== */

RtcTransportEntry *
rtc_transport_entry_ref (RtcTransportEntry * entry)
{
  g_atomic_int_inc (&entry->refcount);
  return entry;
}

static void
held_ssrc_free (gpointer data)
{
  GQueue *queue = data;

  g_queue_free_full (queue, (GDestroyNotify) gst_buffer_unref);
}

void
rtc_transport_entry_unref (RtcTransportEntry * entry)
{
  if (!g_atomic_int_dec_and_test (&entry->refcount))
    return;
  /* the pacer's thread sends on the transport: it stops first */
  if (entry->pacer != NULL)
    gst_rtc_pacer_stop (entry->pacer);
  gst_clear_object (&entry->transport);
  gst_clear_object (&entry->stream);
  g_clear_object (&entry->router);
  g_free (entry->tag_mid);
  g_ptr_array_unref (entry->local_candidates);
  g_hash_table_unref (entry->remote_candidates);
  g_free (entry->remote_ufrag);
  g_free (entry->remote_pwd);
  g_free (entry->remote_fingerprint);
  g_hash_table_unref (entry->held);
  g_hash_table_unref (entry->local_ssrcs);
  g_clear_object (&entry->pacer);
  g_clear_object (&entry->bwe);
  g_mutex_clear (&entry->hold_lock);
  g_free (entry);
}

/* For arrays with holes: a GPtrArray calls its free function on NULL too */
static void
entry_unref_nullable (gpointer entry)
{
  if (entry != NULL)
    rtc_transport_entry_unref (entry);
}

static void rtc_bin_update_states (GstRtcBin * bin);

static void
on_stream_new_candidate (GstRtcIceStream * stream, const gchar * candidate,
    RtcTransportEntry * entry)
{
  GstRtcBin *bin = entry->bin;
  guint mline;

  RTC_BIN_LOCK (bin);
  if (entry->closed) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  g_ptr_array_add (entry->local_candidates, g_strdup (candidate));
  mline = entry->tag_mline;
  RTC_BIN_UNLOCK (bin);

  GST_DEBUG_OBJECT (bin, "local candidate for m-line %u: %s", mline,
      candidate);
  g_signal_emit (bin, signals[SIGNAL_ON_ICE_CANDIDATE], 0, mline, candidate);
}

static void
on_stream_gathering_done (GstRtcIceStream * stream, RtcTransportEntry * entry)
{
  GstRtcBin *bin = entry->bin;

  RTC_BIN_LOCK (bin);
  entry->gathering_done = TRUE;
  RTC_BIN_UNLOCK (bin);
  GST_DEBUG_OBJECT (bin, "transport %u gathered all its candidates",
      entry->id);
  rtc_bin_update_states (bin);
}

static void
on_entry_state (GObject * object, GParamSpec * pspec,
    RtcTransportEntry * entry)
{
  GstRtcBin *bin = entry->bin;
  gboolean request = FALSE;

  if (gst_rtc_transport_get_state (entry->transport) ==
      GST_RTC_TRANSPORT_STATE_CONNECTED) {
    RTC_BIN_LOCK (bin);
    if (!entry->keyframe_requested && !entry->closed) {
      entry->keyframe_requested = TRUE;
      request = TRUE;
    }
    RTC_BIN_UNLOCK (bin);
  }
  rtc_bin_update_states (bin);
  /* What the encoders sent before the keys existed was dropped: start
   * every stream on a keyframe rather than wait for the peer's PLI. */
  if (request)
    rtc_bin_media_request_keyframes (bin, entry);
}

/* Makes an ICE stream, a transport over it and a router for it. Takes no
 * lock: the caller adds the entry to the bin. */
static RtcTransportEntry *
rtc_transport_entry_new (GstRtcBin * bin, GError ** error)
{
  RtcTransportEntry *entry;
  GstRtcIceStream *stream;
  GstRtcCertificate *certificate;

  stream = gst_rtc_ice_agent_create_stream (bin->agent, error);
  if (stream == NULL)
    return NULL;

  RTC_BIN_LOCK (bin);
  if (bin->certificate == NULL)
    bin->certificate = gst_rtc_certificate_generate (error);
  certificate = bin->certificate ? g_object_ref (bin->certificate) : NULL;
  RTC_BIN_UNLOCK (bin);
  if (certificate == NULL) {
    gst_rtc_ice_stream_close (stream);
    gst_object_unref (stream);
    return NULL;
  }

  entry = g_new0 (RtcTransportEntry, 1);
  entry->refcount = 1;
  entry->bin = bin;
  entry->stream = stream;
  entry->transport = gst_rtc_transport_new (certificate,
      gst_rtc_ice_agent_get_context (bin->agent));
  g_object_unref (certificate);
  entry->router = gst_rtc_ssrc_router_new ();
  entry->local_candidates = g_ptr_array_new_with_free_func (g_free);
  entry->remote_candidates = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  entry->tag_mline = 0;
  g_mutex_init (&entry->hold_lock);
  entry->held = g_hash_table_new_full (NULL, NULL, NULL, held_ssrc_free);
  entry->local_ssrcs = g_hash_table_new (NULL, NULL);
  RTC_BIN_LOCK (bin);
  if (bin->congestion_control)
    entry->bwe = gst_rtc_bandwidth_estimator_new (bin->start_bitrate,
        MIN (bin->min_bitrate, bin->max_bitrate), bin->max_bitrate);
  RTC_BIN_UNLOCK (bin);
  if (entry->bwe != NULL)
    entry->pacer = rtc_bin_media_make_pacer (entry);

  gst_rtc_transport_set_ice_stream (entry->transport, stream);
  gst_rtc_transport_set_receive_func (entry->transport,
      rtc_bin_media_on_receive, rtc_transport_entry_ref (entry),
      (GDestroyNotify) rtc_transport_entry_unref);
  g_signal_connect (stream, "new-candidate",
      G_CALLBACK (on_stream_new_candidate), entry);
  g_signal_connect (stream, "gathering-done",
      G_CALLBACK (on_stream_gathering_done), entry);
  g_signal_connect (stream, "notify::state", G_CALLBACK (on_entry_state),
      entry);
  g_signal_connect (stream, "notify::gathering-state",
      G_CALLBACK (on_entry_state), entry);
  g_signal_connect (entry->transport, "notify::state",
      G_CALLBACK (on_entry_state), entry);

  RTC_BIN_LOCK (bin);
  entry->id = bin->next_entry_id++;
  RTC_BIN_UNLOCK (bin);
  GST_DEBUG_OBJECT (bin, "transport %u on ICE stream %u", entry->id,
      gst_rtc_ice_stream_get_id (stream));
  return entry;
}

/* The ICE stream we signal for: the newest one, which an ICE restart
 * replaces. */
GstRtcIceStream *
rtc_transport_entry_get_stream (RtcTransportEntry * entry)
{
  GstRtcIceStream *stream;

  RTC_BIN_LOCK (entry->bin);
  stream = gst_object_ref (entry->stream);
  RTC_BIN_UNLOCK (entry->bin);
  return stream;
}

/* ICE restart (RFC 8445 9, JSEP 5.2.1/5.3.1): a fresh ICE stream with new
 * credentials takes the entry's place in what we signal; the transport
 * keeps media and DTLS on the old one until the fresh one connects.
 * @keep_remote: the remote credentials are already the new ones (a
 * remote offer restarted). No lock. */
static gboolean
rtc_transport_entry_restart_ice (GstRtcBin * bin, RtcTransportEntry * entry,
    gboolean keep_remote, GError ** error)
{
  GstRtcIceStream *fresh, *old;

  fresh = gst_rtc_transport_restart_ice (entry->transport, error);
  if (fresh == NULL)
    return FALSE;

  RTC_BIN_LOCK (bin);
  if (entry->closed) {
    RTC_BIN_UNLOCK (bin);
    gst_rtc_ice_stream_close (fresh);
    gst_object_unref (fresh);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the transport is closed");
    return FALSE;
  }
  old = entry->stream;
  entry->stream = fresh;
  g_ptr_array_set_size (entry->local_candidates, 0);
  entry->gathering_started = FALSE;
  entry->gathering_done = FALSE;
  g_hash_table_remove_all (entry->remote_candidates);
  if (!keep_remote) {
    g_clear_pointer (&entry->remote_ufrag, g_free);
    g_clear_pointer (&entry->remote_pwd, g_free);
  }
  RTC_BIN_UNLOCK (bin);

  g_signal_handlers_disconnect_by_data (old, entry);
  g_signal_connect (fresh, "new-candidate",
      G_CALLBACK (on_stream_new_candidate), entry);
  g_signal_connect (fresh, "gathering-done",
      G_CALLBACK (on_stream_gathering_done), entry);
  g_signal_connect (fresh, "notify::state", G_CALLBACK (on_entry_state),
      entry);
  g_signal_connect (fresh, "notify::gathering-state",
      G_CALLBACK (on_entry_state), entry);
  GST_INFO_OBJECT (bin, "transport %u: ICE restart on stream %u (was %u)",
      entry->id, gst_rtc_ice_stream_get_id (fresh),
      gst_rtc_ice_stream_get_id (old));
  gst_object_unref (old);
  rtc_bin_update_states (bin);
  return TRUE;
}

/* Closes the transport and waits until none of its callbacks runs. */
static void
rtc_transport_entry_close (GstRtcBin * bin, RtcTransportEntry * entry)
{
  GstRtcIceStream *stream;

  RTC_BIN_LOCK (bin);
  if (entry->closed) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  entry->closed = TRUE;
  stream = gst_object_ref (entry->stream);
  RTC_BIN_UNLOCK (bin);

  g_signal_handlers_disconnect_by_data (stream, entry);
  gst_object_unref (stream);
  g_signal_handlers_disconnect_by_data (entry->transport, entry);
  /* syncs with the worker: no callback runs after this */
  gst_rtc_transport_close (entry->transport);
  gst_rtc_transport_set_receive_func (entry->transport, NULL, NULL, NULL);
  gst_rtc_worker_pool_sync (gst_rtc_ice_agent_get_context (bin->agent));
}

/* ======================================================================== */
/* Aggregated states                                                        */
/* ======================================================================== */

/* W3C RTCPeerConnection "update the connection state" and friends, over
 * the transports in use. */
static void
rtc_bin_update_states (GstRtcBin * bin)
{
  GstRtcPeerConnectionState connection;
  GstRtcIceState ice, prev_ice;
  GstRtcIceGatheringState gathering;
  guint n = 0, n_new = 0, n_connecting = 0, n_connected = 0, n_failed = 0;
  guint n_disconnected = 0, n_closed = 0;
  guint i_new = 0, i_checking = 0, i_connected = 0, i_completed = 0;
  guint i_failed = 0, i_disconnected = 0, i_closed = 0;
  guint g_new = 0, g_gathering = 0, g_complete = 0;
  gboolean notify_connection, notify_ice, notify_gathering;
  GPtrArray *entries;
  guint i;

  RTC_BIN_LOCK (bin);
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtc_transport_entry_unref);
  for (i = 0; i < bin->entries->len; i++)
    g_ptr_array_add (entries,
        rtc_transport_entry_ref (g_ptr_array_index (bin->entries, i)));
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < entries->len; i++) {
    RtcTransportEntry *entry = g_ptr_array_index (entries, i);
    GstRtcIceStream *stream = rtc_transport_entry_get_stream (entry);

    n++;
    switch (gst_rtc_transport_get_state (entry->transport)) {
      case GST_RTC_TRANSPORT_STATE_NEW:
        n_new++;
        break;
      case GST_RTC_TRANSPORT_STATE_CONNECTING:
        n_connecting++;
        break;
      case GST_RTC_TRANSPORT_STATE_CONNECTED:
        n_connected++;
        break;
      case GST_RTC_TRANSPORT_STATE_DISCONNECTED:
        n_disconnected++;
        break;
      case GST_RTC_TRANSPORT_STATE_FAILED:
        n_failed++;
        break;
      case GST_RTC_TRANSPORT_STATE_CLOSED:{
        GstRtcIceState ice_state = gst_rtc_ice_stream_get_state (stream);

        /* W3C: a DTLS transport the peer closed (close_notify) over a
         * working ICE path still counts as connected, not as new. */
        if (ice_state == GST_RTC_ICE_STATE_CONNECTED ||
            ice_state == GST_RTC_ICE_STATE_COMPLETED)
          n_connected++;
        else
          n_closed++;
        break;
      }
    }
    switch (gst_rtc_ice_stream_get_state (stream)) {
      case GST_RTC_ICE_STATE_NEW:
        i_new++;
        break;
      case GST_RTC_ICE_STATE_CHECKING:
        i_checking++;
        break;
      case GST_RTC_ICE_STATE_CONNECTED:
        i_connected++;
        break;
      case GST_RTC_ICE_STATE_COMPLETED:
        i_completed++;
        break;
      case GST_RTC_ICE_STATE_FAILED:
        i_failed++;
        break;
      case GST_RTC_ICE_STATE_DISCONNECTED:
        i_disconnected++;
        break;
      case GST_RTC_ICE_STATE_CLOSED:
        i_closed++;
        break;
    }
    switch (gst_rtc_ice_stream_get_gathering_state (stream)) {
      case GST_RTC_ICE_GATHERING_STATE_NEW:
        g_new++;
        break;
      case GST_RTC_ICE_GATHERING_STATE_GATHERING:
        g_gathering++;
        break;
      case GST_RTC_ICE_GATHERING_STATE_COMPLETE:
        g_complete++;
        break;
    }
    gst_object_unref (stream);
  }
  g_ptr_array_unref (entries);

  if (n_failed > 0)
    connection = GST_RTC_PEER_CONNECTION_STATE_FAILED;
  else if (n_disconnected > 0)
    connection = GST_RTC_PEER_CONNECTION_STATE_DISCONNECTED;
  else if (n_new + n_closed == n)
    connection = GST_RTC_PEER_CONNECTION_STATE_NEW;
  else if (n_new + n_connecting > 0)
    connection = GST_RTC_PEER_CONNECTION_STATE_CONNECTING;
  else
    connection = GST_RTC_PEER_CONNECTION_STATE_CONNECTED;

  if (i_failed > 0)
    ice = GST_RTC_ICE_STATE_FAILED;
  else if (i_disconnected > 0)
    ice = GST_RTC_ICE_STATE_DISCONNECTED;
  else if (i_new + i_closed == n)
    ice = GST_RTC_ICE_STATE_NEW;
  else if (i_new + i_checking > 0)
    ice = GST_RTC_ICE_STATE_CHECKING;
  else if (i_completed + i_closed == n)
    ice = GST_RTC_ICE_STATE_COMPLETED;
  else
    ice = GST_RTC_ICE_STATE_CONNECTED;

  if (g_gathering > 0)
    gathering = GST_RTC_ICE_GATHERING_STATE_GATHERING;
  else if (n > 0 && g_complete == n)
    gathering = GST_RTC_ICE_GATHERING_STATE_COMPLETE;
  else if (g_complete > 0 && g_new > 0)
    gathering = GST_RTC_ICE_GATHERING_STATE_GATHERING;
  else
    gathering = GST_RTC_ICE_GATHERING_STATE_NEW;

  RTC_BIN_LOCK (bin);
  if (bin->closed) {
    connection = GST_RTC_PEER_CONNECTION_STATE_CLOSED;
    ice = GST_RTC_ICE_STATE_CLOSED;
  }
  notify_connection = connection != bin->connection_state;
  prev_ice = bin->ice_connection_state;
  notify_ice = ice != bin->ice_connection_state;
  notify_gathering = gathering != bin->ice_gathering_state;
  bin->connection_state = connection;
  bin->ice_connection_state = ice;
  bin->ice_gathering_state = gathering;
  RTC_BIN_UNLOCK (bin);

  if (notify_gathering) {
    GST_DEBUG_OBJECT (bin, "ICE gathering state %s",
        enum_nick (GST_RTC_TYPE_ICE_GATHERING_STATE, gathering));
    g_object_notify_by_pspec (G_OBJECT (bin),
        properties[PROP_ICE_GATHERING_STATE]);
  }
  if (notify_ice) {
    GST_DEBUG_OBJECT (bin, "ICE connection state %s",
        enum_nick (GST_RTC_TYPE_ICE_STATE, ice));
    g_object_notify_by_pspec (G_OBJECT (bin),
        properties[PROP_ICE_CONNECTION_STATE]);
    /* the connectivity doctor: once on connecting, once on failing */
    if (ice == GST_RTC_ICE_STATE_FAILED
        || ((ice == GST_RTC_ICE_STATE_CONNECTED
                || ice == GST_RTC_ICE_STATE_COMPLETED)
            && prev_ice != GST_RTC_ICE_STATE_CONNECTED
            && prev_ice != GST_RTC_ICE_STATE_COMPLETED
            && prev_ice != GST_RTC_ICE_STATE_DISCONNECTED))
      rtc_bin_post_ice_diagnosis (bin, ice != GST_RTC_ICE_STATE_FAILED,
          prev_ice == GST_RTC_ICE_STATE_CONNECTED
          || prev_ice == GST_RTC_ICE_STATE_COMPLETED
          || prev_ice == GST_RTC_ICE_STATE_DISCONNECTED);
  }
  if (notify_connection) {
    GST_INFO_OBJECT (bin, "connection state %s",
        enum_nick (GST_RTC_TYPE_PEER_CONNECTION_STATE, connection));
    g_object_notify_by_pspec (G_OBJECT (bin),
        properties[PROP_CONNECTION_STATE]);
  }
}

/* ======================================================================== */
/* Transceivers                                                             */
/* ======================================================================== */

/* Lock held. */
static GstRtcTransceiver *
rtc_bin_new_transceiver_locked (GstRtcBin * bin, GstRtcDirection direction,
    GstCaps * codec_preferences)
{
  GstRtcTransceiver *transceiver;
  GstRtcMediaKind kind;
  gchar *name;

  name = g_strdup_printf ("transceiver%u", bin->next_session_id);
  transceiver = g_object_new (GST_RTC_TYPE_TRANSCEIVER, "name", name, NULL);
  g_free (name);
  gst_object_ref_sink (transceiver);
  gst_object_set_parent (GST_OBJECT (transceiver), GST_OBJECT (bin));
  g_weak_ref_set (&transceiver->bin, bin);
  transceiver->direction = direction;
  if (codec_preferences != NULL) {
    transceiver->codec_preferences = gst_caps_ref (codec_preferences);
    if (kind_from_caps (codec_preferences, &kind)) {
      transceiver->kind = kind;
      transceiver->kind_known = TRUE;
    }
  }
  transceiver->priv.session_id = bin->next_session_id++;
  transceiver->priv.track_id = random_token (16);
  g_ptr_array_add (bin->transceivers, transceiver);
  GST_DEBUG_OBJECT (bin, "new transceiver %" GST_PTR_FORMAT ", %s",
      transceiver, gst_rtc_direction_to_string (direction));
  return transceiver;
}

GstRtcTransceiver *
rtc_bin_find_transceiver_by_session (GstRtcBin * bin, guint session_id)
{
  guint i;

  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);

    if (transceiver->priv.session_id == session_id)
      return transceiver;
  }
  return NULL;
}

GstRtcTransceiver *
rtc_bin_find_transceiver_by_mline (GstRtcBin * bin, guint mline)
{
  if (mline >= bin->mlines->len)
    return NULL;
  return g_ptr_array_index (bin->mlines, mline);
}

/* ======================================================================== */
/* Negotiation-needed                                                       */
/* ======================================================================== */

/* W3C "check if negotiation is needed", lock held. */
static gboolean
rtc_bin_negotiation_needed_locked (GstRtcBin * bin)
{
  const GstRtcSessionDescription *local;
  guint i;

  if (bin->closed || bin->signaling_state != GST_RTC_SIGNALING_STATE_STABLE)
    return FALSE;
  local = bin->current_local;

  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);
    const GstRtcMediaDescription *media;
    GstRtcDirection wanted, negotiated;
    gboolean stopped;
    guint mline;

    GST_OBJECT_LOCK (transceiver);
    stopped = transceiver->stopped;
    mline = transceiver->mline;
    wanted = transceiver->direction;
    GST_OBJECT_UNLOCK (transceiver);

    media = desc_media (local, mline);
    if (stopped) {
      if (media != NULL && !media->rejected)
        return TRUE;
      continue;
    }
    if (mline == NO_MLINE || media == NULL)
      return TRUE;
    if (media->rejected)
      continue;
    /* What we asked for last time, against what we want now: an answer's
     * direction is also shaped by the offer, so compare the answer that
     * our wish would give. */
    negotiated = media->direction;
    if (local->type == GST_RTC_SDP_TYPE_OFFER) {
      if (negotiated != wanted)
        return TRUE;
    } else {
      const GstRtcMediaDescription *offered = desc_media (bin->current_remote,
          mline);

      if (offered != NULL
          && gst_rtc_direction_answer (offered->direction, wanted) !=
          negotiated)
        return TRUE;
    }
  }
  return FALSE;
}

static void
rtc_bin_negotiation_task (GstRtcBin * bin)
{
  gboolean emit = FALSE;

  RTC_BIN_LOCK (bin);
  bin->negotiation_check_scheduled = FALSE;
  if (rtc_bin_negotiation_needed_locked (bin)) {
    if (!bin->negotiation_needed)
      emit = TRUE;
    bin->negotiation_needed = TRUE;
  } else {
    bin->negotiation_needed = FALSE;
  }
  RTC_BIN_UNLOCK (bin);

  if (emit) {
    GST_INFO_OBJECT (bin, "negotiation needed");
    g_signal_emit (bin, signals[SIGNAL_ON_NEGOTIATION_NEEDED], 0);
  }
}

static void
negotiation_pool_func (gpointer data, gpointer user_data)
{
  GstRtcBin *bin = data;

  rtc_bin_negotiation_task (bin);
  gst_object_unref (bin);
}

static GThreadPool *
negotiation_task_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool)) {
    GThreadPool *new_pool = g_thread_pool_new (negotiation_pool_func, NULL,
        2, FALSE, NULL);
    g_once_init_leave (&pool, new_pool);
  }
  return pool;
}

/* Queues a check, as W3C queues a task: the signal is emitted from a pool
 * thread, after the call that changed things has returned, and only if
 * negotiation is still needed then. */
static void
rtc_bin_schedule_negotiation_check (GstRtcBin * bin)
{
  gboolean schedule;

  GST_OBJECT_LOCK (bin);
  /* Like webrtcbin: not before the element is at least READY, so that an
   * application can request and link all its pads first. */
  schedule = GST_STATE (bin) >= GST_STATE_READY
      || GST_STATE_PENDING (bin) >= GST_STATE_READY
      || GST_STATE_NEXT (bin) >= GST_STATE_READY;
  GST_OBJECT_UNLOCK (bin);
  if (!schedule)
    return;

  RTC_BIN_LOCK (bin);
  if (bin->negotiation_check_scheduled || bin->closed) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  bin->negotiation_check_scheduled = TRUE;
  RTC_BIN_UNLOCK (bin);
  g_thread_pool_push (negotiation_task_pool (), gst_object_ref (bin), NULL);
}

/* ======================================================================== */
/* The operations chain                                                     */
/* ======================================================================== */

typedef enum
{
  OP_CREATE_OFFER,
  OP_CREATE_ANSWER,
  OP_SET_LOCAL,
  OP_SET_REMOTE,
  OP_ADD_CANDIDATE,
} OpType;

typedef struct
{
  OpType type;
  GstStructure *options;
  GstRtcSdpType sdp_type;
  gchar *sdp;
  guint mline;
  gchar *mid;
  gchar *candidate;

  /* where the result goes: one of these, or a waiting caller */
  GstPromise *promise;
  GTask *task;
  gboolean synchronous;
  gboolean done;

  gchar *result_sdp;
  GError *error;
} Op;

static Op *
op_new (OpType type)
{
  Op *op = g_new0 (Op, 1);

  op->type = type;
  return op;
}

static void
op_free (Op * op)
{
  if (op->options != NULL)
    gst_structure_free (op->options);
  g_free (op->sdp);
  g_free (op->mid);
  g_free (op->candidate);
  if (op->promise != NULL)
    gst_promise_unref (op->promise);
  g_clear_object (&op->task);
  g_free (op->result_sdp);
  g_clear_error (&op->error);
  g_free (op);
}

static gchar *rtc_bin_create_offer (GstRtcBin * bin,
    const GstStructure * options, GError ** error);
static gchar *rtc_bin_create_answer (GstRtcBin * bin,
    const GstStructure * options, GError ** error);
static gboolean rtc_bin_set_description (GstRtcBin * bin, gboolean remote,
    GstRtcSdpType type, const gchar * sdp, GError ** error);
static gboolean rtc_bin_add_candidate (GstRtcBin * bin, guint mline,
    const gchar * mid, const gchar * candidate, GError ** error);

static void
op_run (GstRtcBin * bin, Op * op)
{
  if (op->task != NULL && g_task_return_error_if_cancelled (op->task)) {
    g_clear_object (&op->task);
    return;
  }

  switch (op->type) {
    case OP_CREATE_OFFER:
      op->result_sdp = rtc_bin_create_offer (bin, op->options, &op->error);
      break;
    case OP_CREATE_ANSWER:
      op->result_sdp = rtc_bin_create_answer (bin, op->options, &op->error);
      break;
    case OP_SET_LOCAL:
      rtc_bin_set_description (bin, FALSE, op->sdp_type, op->sdp, &op->error);
      break;
    case OP_SET_REMOTE:
      rtc_bin_set_description (bin, TRUE, op->sdp_type, op->sdp, &op->error);
      break;
    case OP_ADD_CANDIDATE:
      rtc_bin_add_candidate (bin, op->mline, op->mid, op->candidate,
          &op->error);
      break;
  }
  if (op->error != NULL)
    GST_INFO_OBJECT (bin, "operation %d failed: %s", op->type,
        op->error->message);
}

static GstStructure *
reply_for_error (const GError * error)
{
  return gst_structure_new ("application/x-rtc-error", "error", G_TYPE_ERROR,
      error, NULL);
}

/* Delivers the result. The promise is replied in the chain's thread: a
 * change function that starts another operation queues it behind this
 * one, which has completed. */
static void
op_complete (GstRtcBin * bin, Op * op)
{
  if (op->synchronous) {
    /* the caller, in this thread, takes the result */
    op->done = TRUE;
    return;
  }

  if (op->promise != NULL) {
    GstStructure *reply;

    if (op->error != NULL) {
      reply = reply_for_error (op->error);
    } else if (op->result_sdp != NULL) {
      reply = gst_structure_new ("application/x-rtc-session-description",
          "type", G_TYPE_STRING, op->type == OP_CREATE_OFFER ? "offer" :
          "answer", "sdp", G_TYPE_STRING, op->result_sdp, NULL);
    } else {
      reply = gst_structure_new_empty ("application/x-rtc-reply");
    }
    gst_promise_reply (op->promise, reply);
  } else if (op->task != NULL) {
    if (op->error != NULL) {
      g_task_return_error (op->task, g_steal_pointer (&op->error));
    } else if (op->type == OP_CREATE_OFFER || op->type == OP_CREATE_ANSWER) {
      g_task_return_pointer (op->task, g_steal_pointer (&op->result_sdp),
          g_free);
    } else {
      g_task_return_boolean (op->task, TRUE);
    }
  }
  op_free (op);
}

/* Runs @op when the operations before it have completed. The thread that
 * finds the chain idle runs it, and then whatever was queued meanwhile.
 * Never waits for another thread. Returns %TRUE if a synchronous @op has
 * completed and is still the caller's; %FALSE if the chain took it. */
static gboolean
rtc_bin_enqueue (GstRtcBin * bin, Op * op)
{
  gboolean completed_here = FALSE;
  Op *next;

  g_mutex_lock (&bin->ops_lock);
  if (bin->ops_runner != NULL) {
    if (!op->synchronous || bin->ops_runner != g_thread_self ()) {
      /* Another thread runs the chain: queue behind it, without waiting
       * (that thread may be waiting for an ICE worker, which may be us). */
      op->synchronous = FALSE;
      g_queue_push_tail (&bin->ops, op);
      g_mutex_unlock (&bin->ops_lock);
      return FALSE;
    }
    /* Called back from the chain (a promise's change function, a signal
     * handler): the operation that called us has done its work, so this
     * one runs now rather than wait for a thread that waits for us. */
    g_mutex_unlock (&bin->ops_lock);
    op_run (bin, op);
    op_complete (bin, op);
    return TRUE;
  }
  bin->ops_runner = g_thread_self ();
  g_queue_push_tail (&bin->ops, op);
  while ((next = g_queue_pop_head (&bin->ops)) != NULL) {
    g_mutex_unlock (&bin->ops_lock);
    op_run (bin, next);
    if (next == op && op->synchronous)
      completed_here = TRUE;
    op_complete (bin, next);
    g_mutex_lock (&bin->ops_lock);
    bin->ops_done++;
  }
  bin->ops_runner = NULL;
  g_mutex_unlock (&bin->ops_lock);
  return completed_here;
}

/* ======================================================================== */
/* Local codecs                                                             */
/* ======================================================================== */

static gboolean
is_fec_codec (const GstRtcCodec * codec)
{
  return g_ascii_strcasecmp (codec->encoding_name, "RED") == 0
      || g_ascii_strcasecmp (codec->encoding_name, "ULPFEC") == 0;
}

/* RED (with RTX) and ULPFEC after the video codecs, when the fec property
 * allows them and the codecs do not have them yet. */
static void
add_fec_codecs (GstRtcBin * bin, GPtrArray * codecs)
{
  gboolean fec, has_red = FALSE, has_ulpfec = FALSE;
  GstRtcCodec *codec;
  guint i;

  RTC_BIN_LOCK (bin);
  fec = bin->fec;
  RTC_BIN_UNLOCK (bin);
  for (i = 0; i < codecs->len; i++) {
    codec = g_ptr_array_index (codecs, i);
    if (g_ascii_strcasecmp (codec->encoding_name, "RED") == 0) {
      has_red = TRUE;
      codec->feedback = GST_RTC_RTCP_FB_NONE;
    } else if (g_ascii_strcasecmp (codec->encoding_name, "ULPFEC") == 0) {
      has_ulpfec = TRUE;
      codec->feedback = GST_RTC_RTCP_FB_NONE;
      codec->rtx_payload_type = 0;
    }
  }
  if (!fec) {
    for (i = codecs->len; i > 0; i--) {
      codec = g_ptr_array_index (codecs, i - 1);
      if (g_ascii_strcasecmp (codec->encoding_name, "RED") == 0
          || g_ascii_strcasecmp (codec->encoding_name, "ULPFEC") == 0)
        g_ptr_array_remove_index (codecs, i - 1);
    }
    return;
  }
  /* payload type 128: assign_payload_types() gives a free one */
  if (!has_red) {
    codec = gst_rtc_codec_new (0, "RED", 90000, 0, NULL);
    codec->payload_type = 128;
    codec->rtx_payload_type = RTX_WANTED;
    g_ptr_array_add (codecs, codec);
  }
  if (!has_ulpfec) {
    codec = gst_rtc_codec_new (0, "ULPFEC", 90000, 0, NULL);
    codec->payload_type = 128;
    g_ptr_array_add (codecs, codec);
  }
}

/* What a transceiver can send or receive, from (in this order) the caps on
 * its sink pad, what its upstream can produce, its codec preferences, or
 * our defaults for its kind. Takes no lock of ours while it queries. */
static GPtrArray *
transceiver_local_codecs (GstRtcBin * bin, GstRtcTransceiver * transceiver,
    GstRtcMediaKind * kind_out, GError ** error)
{
  GstCaps *caps = NULL;
  GstPad *sink_pad = NULL;
  GPtrArray *codecs;
  GstRtcMediaKind kind;
  gboolean kind_known;
  guint i;

  RTC_BIN_LOCK (bin);
  if (transceiver->priv.sink_caps != NULL)
    caps = gst_caps_ref (transceiver->priv.sink_caps);
  else if (transceiver->priv.sink_pad != NULL)
    sink_pad = gst_object_ref (transceiver->priv.sink_pad);
  RTC_BIN_UNLOCK (bin);

  if (caps == NULL && sink_pad != NULL) {
    GstCaps *filter = gst_caps_new_empty_simple ("application/x-rtp");
    GstCaps *peer = gst_pad_peer_query_caps (sink_pad, filter);

    gst_caps_unref (filter);
    if (peer != NULL && !gst_caps_is_empty (peer) && !gst_caps_is_any (peer)) {
      caps = gst_caps_fixate (gst_caps_copy_nth (peer, 0));
      if (!gst_structure_has_field (gst_caps_get_structure (caps, 0),
              "encoding-name")) {
        gst_caps_unref (caps);
        caps = NULL;
      }
    }
    gst_clear_caps (&peer);
  }
  gst_clear_object (&sink_pad);
  if (caps == NULL)
    caps = gst_rtc_transceiver_get_codec_preferences (transceiver);

  codecs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_rtc_codec_free);
  for (i = 0; caps != NULL && i < gst_caps_get_size (caps); i++) {
    GstCaps *one = gst_caps_copy_nth (caps, i);
    GError *codec_error = NULL;
    GstRtcCodec *codec;

    one = gst_caps_fixate (one);
    codec = gst_rtc_codec_new_from_caps (one, &codec_error);
    if (codec != NULL) {
      /* RFC 7587: Opus is always opus/48000/2 in SDP, whatever the
       * payloader's caps said (a template without encoding-params) */
      if (g_ascii_strcasecmp (codec->encoding_name, "OPUS") == 0)
        codec->channels = 2;
      g_ptr_array_add (codecs, codec);
    } else {
      GST_WARNING_OBJECT (bin, "%" GST_PTR_FORMAT " is not a codec: %s", one,
          codec_error ? codec_error->message : "?");
      g_clear_error (&codec_error);
    }
    gst_caps_unref (one);
  }

  GST_OBJECT_LOCK (transceiver);
  if (!transceiver->kind_known && kind_from_caps (caps, &kind)) {
    transceiver->kind = kind;
    transceiver->kind_known = TRUE;
  } else if (!transceiver->kind_known && codecs->len > 0) {
    /* a payloader's template caps may not say: video is 90 kHz */
    const GstRtcCodec *first = g_ptr_array_index (codecs, 0);

    transceiver->kind = first->clock_rate == 90000 ?
        GST_RTC_MEDIA_KIND_VIDEO : GST_RTC_MEDIA_KIND_AUDIO;
    transceiver->kind_known = TRUE;
  }
  kind = transceiver->kind;
  kind_known = transceiver->kind_known;
  GST_OBJECT_UNLOCK (transceiver);
  GST_DEBUG_OBJECT (bin, "%s: %s from %" GST_PTR_FORMAT,
      GST_OBJECT_NAME (transceiver), kind_known ? (kind ==
          GST_RTC_MEDIA_KIND_AUDIO ? "audio" : "video") : "unknown kind", caps);
  gst_clear_caps (&caps);

  if (codecs->len == 0) {
    g_ptr_array_unref (codecs);
    if (!kind_known) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
          "%s has no codec: link its sink pad to a payloader or give it "
          "codec preferences", GST_OBJECT_NAME (transceiver));
      return NULL;
    }
    codecs = gst_rtc_codecs_default (kind);
    if (codecs == NULL || codecs->len == 0) {
      g_clear_pointer (&codecs, g_ptr_array_unref);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
          "no default %s codecs",
          kind == GST_RTC_MEDIA_KIND_AUDIO ? "audio" : "video");
      return NULL;
    }
  }

  /* What rtpbin gives any video stream: NACK with RTX, PLI, FIR, and
   * transport-cc (kept on one m-line only, see choose_twcc_mline());
   * audio gets nothing. No REMB: we do not do it. */
  for (i = 0; i < codecs->len; i++) {
    GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (kind == GST_RTC_MEDIA_KIND_VIDEO) {
      codec->feedback = GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
          GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC;
      /* any value tells gst_rtc_sdp_answer_media() we do RTX; offers get
       * a real one from assign_payload_types() */
      if (codec->rtx_payload_type == 0)
        codec->rtx_payload_type = RTX_WANTED;
    } else {
      codec->feedback = GST_RTC_RTCP_FB_NONE;
      codec->rtx_payload_type = 0;
    }
  }
  if (kind == GST_RTC_MEDIA_KIND_VIDEO)
    add_fec_codecs (bin, codecs);
  *kind_out = kind;
  return codecs;
}

/* Payload types already taken in a description being built. */
typedef struct
{
  gboolean used[128];
} PtSet;

static void
pt_set_add_codecs (PtSet * set, const GPtrArray * codecs)
{
  guint i;

  for (i = 0; codecs != NULL && i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (codec->payload_type < 128)
      set->used[codec->payload_type] = TRUE;
    if (codec->rtx_payload_type > 0 && codec->rtx_payload_type < 128)
      set->used[codec->rtx_payload_type] = TRUE;
  }
}

static guint
pt_set_take_free (PtSet * set)
{
  guint pt;

  /* the dynamic range first, then the unassigned range of RFC 3551 */
  for (pt = 96; pt < 128; pt++) {
    if (!set->used[pt]) {
      set->used[pt] = TRUE;
      return pt;
    }
  }
  for (pt = 35; pt < 64; pt++) {
    if (!set->used[pt]) {
      set->used[pt] = TRUE;
      return pt;
    }
  }
  return 0;
}

/* Gives fresh codecs payload types no other m-line uses (so that a peer
 * without MID support can tell the m-lines apart by payload type, as
 * webrtcbin 1.22 does) and an RTX payload type to each video codec. */
static void
assign_payload_types (PtSet * set, GPtrArray * codecs, GstRtcMediaKind kind)
{
  guint i, pass;

  /* the media codecs and their RTX first, then RED (with RTX) and ULPFEC
   * (without): adding FEC does not move the others' numbers */
  for (pass = 0; pass < 2; pass++) {
    for (i = 0; i < codecs->len; i++) {
      GstRtcCodec *codec = g_ptr_array_index (codecs, i);

      if (is_fec_codec (codec) != (pass == 1))
        continue;
      if (codec->payload_type >= 128 || set->used[codec->payload_type])
        codec->payload_type = pt_set_take_free (set);
      else
        set->used[codec->payload_type] = TRUE;
    }
    if (kind != GST_RTC_MEDIA_KIND_VIDEO)
      continue;
    for (i = 0; i < codecs->len; i++) {
      GstRtcCodec *codec = g_ptr_array_index (codecs, i);

      if (is_fec_codec (codec) != (pass == 1))
        continue;
      if (g_ascii_strcasecmp (codec->encoding_name, "ULPFEC") == 0) {
        codec->rtx_payload_type = 0;
        continue;
      }
      if (codec->rtx_payload_type == 0 || codec->rtx_payload_type >= 128
          || set->used[codec->rtx_payload_type])
        codec->rtx_payload_type = pt_set_take_free (set);
      else
        set->used[codec->rtx_payload_type] = TRUE;
    }
  }
}

/* ======================================================================== */
/* Building descriptions                                                    */
/* ======================================================================== */

static guint32
caps_ssrc (const GstCaps * caps)
{
  guint ssrc = 0;

  if (caps != NULL && gst_caps_get_size (caps) > 0)
    gst_structure_get_uint (gst_caps_get_structure (caps, 0), "ssrc", &ssrc);
  return ssrc;
}

/* Fills what we say about ourselves on an m-line we send or receive on.
 * Lock held. */
static void
fill_local_media_locked (GstRtcBin * bin, GstRtcTransceiver * transceiver,
    GstRtcMediaDescription * media)
{
  RtcTransceiverPrivate *priv = &transceiver->priv;

  media->rtcp_mux = TRUE;
  media->rtcp_rsize = FALSE;
  g_free (media->cname);
  media->cname = g_strdup (bin->cname);
  media->ssrc = 0;
  media->rtx_ssrc = 0;
  g_clear_pointer (&media->msid, g_free);
  if (priv->sink_pad != NULL && direction_sends (media->direction)) {
    media->msid = g_strdup_printf ("%s %s", bin->stream_id, priv->track_id);
    media->ssrc = caps_ssrc (priv->sink_caps);
    if (media->ssrc != 0 && media->kind == GST_RTC_MEDIA_KIND_VIDEO) {
      guint i;

      for (i = 0; media->codecs != NULL && i < media->codecs->len; i++) {
        GstRtcCodec *codec = g_ptr_array_index (media->codecs, i);

        if (codec->rtx_payload_type != 0) {
          if (priv->rtx_ssrc == 0)
            priv->rtx_ssrc = g_random_int ();
          media->rtx_ssrc = priv->rtx_ssrc;
          break;
        }
      }
    }
  }
}

/* Fills the transport attributes of @media from @entry. Lock held. */
static void
fill_transport_locked (GstRtcBin * bin, RtcTransportEntry * entry,
    GstRtcMediaDescription * media, gboolean with_candidates,
    GstRtcDtlsSetup setup)
{
  gchar *ufrag = NULL, *pwd = NULL;
  guint i;

  gst_rtc_ice_stream_get_local_credentials (entry->stream, &ufrag, &pwd);
  g_free (media->ice_ufrag);
  g_free (media->ice_pwd);
  media->ice_ufrag = ufrag;
  media->ice_pwd = pwd;
  g_free (media->fingerprint);
  media->fingerprint = gst_rtc_transport_get_local_fingerprint
      (entry->transport);
  media->setup = setup;
  if (media->candidates == NULL)
    media->candidates = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (media->candidates, 0);
  media->end_of_candidates = FALSE;
  if (with_candidates) {
    for (i = 0; i < entry->local_candidates->len; i++)
      g_ptr_array_add (media->candidates,
          g_strdup (g_ptr_array_index (entry->local_candidates, i)));
    media->end_of_candidates = entry->gathering_done;
  }
}

static gchar *
unused_mid_locked (GstRtcBin * bin, GstRtcSessionDescription * desc)
{
  guint n;

  for (n = 0;; n++) {
    gchar *mid = g_strdup_printf ("%u", n);
    gboolean used = FALSE;
    guint i;

    for (i = 0; !used && i < desc->media->len; i++) {
      GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

      used = g_strcmp0 (media->mid, mid) == 0;
    }
    for (i = 0; !used && i < bin->transceivers->len; i++) {
      GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers,
          i);

      used = g_strcmp0 (transceiver->mid, mid) == 0;
    }
    if (!used)
      return mid;
    g_free (mid);
  }
}

static RtcTransportEntry *
rtc_bin_bundle_entry_locked (GstRtcBin * bin)
{
  guint i;

  /* The entry of the first m-line that has one carries the bundle. */
  for (i = 0; i < bin->mlines->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->mlines, i);

    if (transceiver != NULL && transceiver->priv.entry != NULL)
      return transceiver->priv.entry;
  }
  for (i = 0; i < bin->entries->len; i++) {
    RtcTransportEntry *entry = g_ptr_array_index (bin->entries, i);

    if (!entry->closed)
      return entry;
  }
  return NULL;
}

/* An entry for our offers: the bundle one, made on first use. */
static RtcTransportEntry *
rtc_bin_ensure_bundle_entry (GstRtcBin * bin, GError ** error)
{
  RtcTransportEntry *entry;

  RTC_BIN_LOCK (bin);
  entry = rtc_bin_bundle_entry_locked (bin);
  if (entry != NULL) {
    rtc_transport_entry_ref (entry);
    RTC_BIN_UNLOCK (bin);
    return entry;
  }
  RTC_BIN_UNLOCK (bin);

  entry = rtc_transport_entry_new (bin, error);
  if (entry == NULL)
    return NULL;
  RTC_BIN_LOCK (bin);
  g_ptr_array_add (bin->entries, rtc_transport_entry_ref (entry));
  RTC_BIN_UNLOCK (bin);
  return entry;
}

typedef struct
{
  GstRtcTransceiver *transceiver;
  GPtrArray *codecs;
  GstRtcMediaKind kind;
} LocalCodecs;

static void
local_codecs_clear (LocalCodecs * local)
{
  gst_clear_object (&local->transceiver);
  g_clear_pointer (&local->codecs, g_ptr_array_unref);
}

/* Snapshot of the transceivers with the codecs each can use: queried
 * without the lock, since that asks upstream elements. An answer needs
 * only the transceivers the offer's m-lines took. */
static GArray *
collect_local_codecs (GstRtcBin * bin, gboolean for_answer, GError ** error)
{
  GArray *result = g_array_new (FALSE, TRUE, sizeof (LocalCodecs));
  GPtrArray *snapshot;
  guint i;

  g_array_set_clear_func (result, (GDestroyNotify) local_codecs_clear);
  RTC_BIN_LOCK (bin);
  snapshot = g_ptr_array_new_with_free_func (gst_object_unref);
  for (i = 0; i < bin->transceivers->len; i++)
    g_ptr_array_add (snapshot,
        gst_object_ref (g_ptr_array_index (bin->transceivers, i)));
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < snapshot->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (snapshot, i);
    LocalCodecs local = { 0, };
    gboolean stopped;

    GST_OBJECT_LOCK (transceiver);
    stopped = transceiver->stopped
        || (for_answer && transceiver->mline == NO_MLINE);
    GST_OBJECT_UNLOCK (transceiver);
    if (stopped)
      continue;
    local.transceiver = gst_object_ref (transceiver);
    local.codecs = transceiver_local_codecs (bin, transceiver, &local.kind,
        error);
    if (local.codecs == NULL) {
      local_codecs_clear (&local);
      g_array_unref (result);
      result = NULL;
      break;
    }
    g_array_append_val (result, local);
  }
  g_ptr_array_unref (snapshot);
  return result;
}

static LocalCodecs *
find_local_codecs (GArray * locals, GstRtcTransceiver * transceiver)
{
  guint i;

  for (i = 0; locals != NULL && i < locals->len; i++) {
    LocalCodecs *local = &g_array_index (locals, LocalCodecs, i);

    if (local->transceiver == transceiver)
      return local;
  }
  return NULL;
}

static gboolean
rtc_bin_check_not_closed (GstRtcBin * bin, GError ** error)
{
  gboolean closed;

  RTC_BIN_LOCK (bin);
  closed = bin->closed;
  RTC_BIN_UNLOCK (bin);
  if (closed)
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the peer connection is closed");
  return !closed;
}

/* Transport-wide congestion control on one m-line of each transport only:
 * rtpbin runs one RTP session per m-line, and rtpsession's TWCC feedback
 * covers the packets of its own session. A sender numbers only the
 * packets of m-lines that negotiated the extension, so with one such
 * m-line the numbers a session sees have no gaps, and its feedback is
 * right. We pick the first video m-line that can have it; the others get
 * neither the extension nor the transport-cc feedback. Lock held. */
static void
choose_twcc_mline (GstRtcBin * bin, GstRtcSessionDescription * desc,
    const GstRtcSessionDescription * offer)
{
  GPtrArray *granted = g_ptr_array_new ();
  guint i, j;

  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    const GstRtcMediaDescription *offered = desc_media (offer, i);
    GstRtcTransceiver *transceiver = NULL;
    RtcTransportEntry *entry = NULL;
    gboolean grant;
    guint id = RTC_BIN_EXT_ID_TWCC;

    if (i < bin->mlines->len)
      transceiver = g_ptr_array_index (bin->mlines, i);
    else {
      for (j = 0; j < bin->transceivers->len; j++) {
        GstRtcTransceiver *t = g_ptr_array_index (bin->transceivers, j);

        if (t->mline == NO_MLINE && t->priv.offered_mline == (gint) i)
          transceiver = t;
      }
    }
    if (transceiver != NULL)
      entry = transceiver->priv.entry;
    /* a new m-line of our offer goes on the bundle transport */
    if (entry == NULL)
      entry = rtc_bin_bundle_entry_locked (bin);

    grant = !media->rejected && media->kind == GST_RTC_MEDIA_KIND_VIDEO
        && !g_ptr_array_find (granted, entry, NULL);
    if (offer != NULL) {
      grant = grant && offered != NULL && offered->ext_twcc != 0;
      if (offered != NULL)
        id = offered->ext_twcc;
    } else if (transceiver != NULL && transceiver->priv.ext_twcc != 0) {
      id = transceiver->priv.ext_twcc;
    }
    /* never an id another extension of the m-line uses */
    if (grant && (id == media->ext_mid || id == media->ext_rid))
      grant = FALSE;

    media->ext_twcc = grant ? id : 0;
    for (j = 0; j < media->codecs->len; j++) {
      GstRtcCodec *codec = g_ptr_array_index (media->codecs, j);

      if (!grant)
        codec->feedback &= ~GST_RTC_RTCP_FB_TRANSPORT_CC;
    }
    if (grant)
      g_ptr_array_add (granted, entry);
  }
  g_ptr_array_unref (granted);
}

/* JSEP 5.2: an offer with every m-line we have, then one per new
 * transceiver, all in one BUNDLE group on one transport. */
static gchar *
rtc_bin_create_offer (GstRtcBin * bin, const GstStructure * options,
    GError ** error)
{
  GstRtcSessionDescription *desc;
  RtcTransportEntry *entry;
  GArray *locals;
  GPtrArray *bundle;
  PtSet pts = { {0,} };
  gboolean ice_restart = FALSE;
  gchar *sdp;
  guint i;

  if (!rtc_bin_check_not_closed (bin, error))
    return NULL;
  if (options != NULL && gst_structure_has_field (options, "ice-restart")) {
    gboolean restart = FALSE;

    gst_structure_get_boolean (options, "ice-restart", &restart);
    ice_restart = restart;
  }

  locals = collect_local_codecs (bin, FALSE, error);
  if (locals == NULL)
    return NULL;
  entry = rtc_bin_ensure_bundle_entry (bin, error);
  if (entry == NULL) {
    g_array_unref (locals);
    return NULL;
  }
  if (ice_restart && !rtc_transport_entry_restart_ice (bin, entry, FALSE,
          error)) {
    rtc_transport_entry_unref (entry);
    g_array_unref (locals);
    return NULL;
  }

  RTC_BIN_LOCK (bin);
  desc = gst_rtc_session_description_new (GST_RTC_SDP_TYPE_OFFER);
  g_free (desc->session_id);
  desc->session_id = g_strdup (bin->session_id);
  desc->session_version = ++bin->session_version;
  desc->ice_trickle = TRUE;

  /* Negotiated m-lines keep their payload types; new ones avoid them. */
  for (i = 0; i < bin->mlines->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->mlines, i);

    if (transceiver != NULL)
      pt_set_add_codecs (&pts, transceiver->priv.negotiated_codecs);
  }

  for (i = 0; i < bin->mlines->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->mlines, i);
    const GstRtcMediaDescription *previous = desc_media (bin->current_local, i);
    GstRtcMediaDescription *media;
    LocalCodecs *local = find_local_codecs (locals, transceiver);
    gboolean stopped = transceiver == NULL;

    if (transceiver != NULL) {
      GST_OBJECT_LOCK (transceiver);
      stopped = transceiver->stopped;
      GST_OBJECT_UNLOCK (transceiver);
    }
    if (previous == NULL)
      previous = desc_media (bin->current_remote, i);

    media = gst_rtc_media_description_new (i, previous ? previous->kind :
        GST_RTC_MEDIA_KIND_AUDIO);
    media->mid = g_strdup (previous ? previous->mid : NULL);
    if (stopped || local == NULL || (previous != NULL && previous->rejected
            && transceiver->priv.negotiated_codecs == NULL)) {
      /* a recycled m-line is not offered again: it stays rejected */
      media->rejected = TRUE;
      media->direction = GST_RTC_DIRECTION_INACTIVE;
      media->application = g_strdup (previous ? previous->application : NULL);
      g_ptr_array_unref (media->codecs);
      media->codecs = codecs_copy (previous ? previous->codecs : NULL);
      g_ptr_array_add (desc->media, media);
      continue;
    }
    media->kind = local->kind;
    GST_OBJECT_LOCK (transceiver);
    media->direction = transceiver->direction;
    GST_OBJECT_UNLOCK (transceiver);
    g_ptr_array_unref (media->codecs);
    if (transceiver->priv.negotiated_codecs != NULL
        && transceiver->priv.negotiated_codecs->len > 0) {
      media->codecs = codecs_copy (transceiver->priv.negotiated_codecs);
    } else {
      media->codecs = codecs_copy (local->codecs);
      assign_payload_types (&pts, media->codecs, media->kind);
    }
    media->ext_mid = transceiver->priv.ext_mid ? transceiver->priv.ext_mid :
        RTC_BIN_EXT_ID_MID;
    fill_local_media_locked (bin, transceiver, media);
    g_ptr_array_add (desc->media, media);
  }

  for (i = 0; i < locals->len; i++) {
    LocalCodecs *local = &g_array_index (locals, LocalCodecs, i);
    GstRtcTransceiver *transceiver = local->transceiver;
    GstRtcMediaDescription *media;

    if (transceiver->mline != NO_MLINE)
      continue;
    media = gst_rtc_media_description_new (desc->media->len, local->kind);
    media->mid = unused_mid_locked (bin, desc);
    GST_OBJECT_LOCK (transceiver);
    media->direction = transceiver->direction;
    GST_OBJECT_UNLOCK (transceiver);
    g_ptr_array_unref (media->codecs);
    media->codecs = codecs_copy (local->codecs);
    assign_payload_types (&pts, media->codecs, local->kind);
    media->ext_mid = RTC_BIN_EXT_ID_MID;
    fill_local_media_locked (bin, transceiver, media);
    transceiver->priv.offered_mline = media->mline;
    g_ptr_array_add (desc->media, media);
  }

  choose_twcc_mline (bin, desc, NULL);
  bundle = g_ptr_array_new ();
  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

    if (media->rejected)
      continue;
    fill_transport_locked (bin, entry, media, bundle->len == 0,
        GST_RTC_DTLS_SETUP_ACTPASS);
    g_ptr_array_add (bundle, g_strdup (media->mid));
  }
  if (bundle->len > 0) {
    g_ptr_array_add (bundle, NULL);
    desc->bundle_mids = (gchar **) g_ptr_array_free (bundle, FALSE);
  } else {
    g_ptr_array_unref (bundle);
  }
  RTC_BIN_UNLOCK (bin);

  rtc_transport_entry_unref (entry);
  g_array_unref (locals);

  if (desc->media->len == 0) {
    gst_rtc_session_description_free (desc);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "nothing to offer: add a transceiver or request a sink pad first");
    return NULL;
  }
  sdp = gst_rtc_session_description_to_string (desc);
  gst_rtc_session_description_free (desc);
  if (sdp == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "could not write the offer");
    return NULL;
  }

  RTC_BIN_LOCK (bin);
  g_free (bin->last_offer);
  bin->last_offer = g_strdup (sdp);
  RTC_BIN_UNLOCK (bin);
  GST_DEBUG_OBJECT (bin, "offer:\n%s", sdp);
  return sdp;
}

/* A port-0 answer to an offered m-line. */
static GstRtcMediaDescription *
rejected_answer_media (const GstRtcMediaDescription * offered)
{
  GstRtcMediaDescription *media;

  media = gst_rtc_media_description_new (offered->mline, offered->kind);
  media->mid = g_strdup (offered->mid);
  media->application = g_strdup (offered->application);
  media->rejected = TRUE;
  media->direction = GST_RTC_DIRECTION_INACTIVE;
  g_ptr_array_unref (media->codecs);
  media->codecs = codecs_copy (offered->codecs);
  if (media->codecs->len > 1)
    g_ptr_array_set_size (media->codecs, 1);
  if (media->codecs->len == 1) {
    GstRtcCodec *codec = g_ptr_array_index (media->codecs, 0);

    codec->rtx_payload_type = 0;
    codec->feedback = GST_RTC_RTCP_FB_NONE;
  }
  return media;
}

static gboolean
strv_contains (gchar ** strv, const gchar * str)
{
  return strv != NULL && str != NULL
      && g_strv_contains ((const gchar * const *) strv, str);
}

/* JSEP 5.3. */
static gchar *
rtc_bin_create_answer (GstRtcBin * bin, const GstStructure * options,
    GError ** error)
{
  GstRtcSessionDescription *desc, *offer;
  GArray *locals;
  GPtrArray *bundle = NULL, *tagged;
  gchar *sdp;
  guint i;

  if (!rtc_bin_check_not_closed (bin, error))
    return NULL;

  RTC_BIN_LOCK (bin);
  if (bin->signaling_state != GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER
      && bin->signaling_state !=
      GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER) {
    GstRtcSignalingState state = bin->signaling_state;

    RTC_BIN_UNLOCK (bin);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "cannot create an answer in signaling state %s: there is no remote "
        "offer", enum_nick (GST_RTC_TYPE_SIGNALING_STATE, state));
    return NULL;
  }
  RTC_BIN_UNLOCK (bin);

  locals = collect_local_codecs (bin, TRUE, error);
  if (locals == NULL)
    return NULL;

  tagged = g_ptr_array_new ();
  RTC_BIN_LOCK (bin);
  offer = bin->pending_remote;
  desc = gst_rtc_session_description_new (GST_RTC_SDP_TYPE_ANSWER);
  g_free (desc->session_id);
  desc->session_id = g_strdup (bin->session_id);
  desc->session_version = ++bin->session_version;
  desc->ice_trickle = TRUE;
  if (offer->bundle_mids != NULL)
    bundle = g_ptr_array_new ();

  for (i = 0; i < offer->media->len; i++) {
    const GstRtcMediaDescription *offered = g_ptr_array_index (offer->media,
        i);
    GstRtcTransceiver *transceiver = rtc_bin_find_transceiver_by_mline (bin,
        i);
    LocalCodecs *local = find_local_codecs (locals, transceiver);
    GstRtcMediaDescription *media = NULL;
    RtcTransportEntry *entry;
    GError *media_error = NULL;
    GstRtcDirection wanted;
    gboolean bundled, is_tag;

    if (offered->rejected || transceiver == NULL || local == NULL
        || transceiver->priv.entry == NULL) {
      g_ptr_array_add (desc->media, rejected_answer_media (offered));
      continue;
    }
    GST_OBJECT_LOCK (transceiver);
    wanted = transceiver->direction;
    GST_OBJECT_UNLOCK (transceiver);

    media = gst_rtc_sdp_answer_media (offered, local->codecs, wanted,
        &media_error);
    if (media == NULL || media->rejected || media->codecs == NULL
        || media->codecs->len == 0) {
      GST_WARNING_OBJECT (bin, "rejecting m-line %u: %s", i,
          media_error ? media_error->message : "no codec in common");
      g_clear_error (&media_error);
      if (media != NULL)
        gst_rtc_media_description_free (media);
      g_ptr_array_add (desc->media, rejected_answer_media (offered));
      continue;
    }
    media->mline = i;
    if (media->mid == NULL)
      media->mid = g_strdup (offered->mid);
    media->kind = offered->kind;
    /* the header extensions we understand, with the offer's ids */
    media->ext_mid = offered->ext_mid;
    media->ext_rid = 0;
    media->ext_twcc = 0;
    g_clear_pointer (&media->rids, g_strfreev);
    if (media->kind == GST_RTC_MEDIA_KIND_VIDEO) {
      guint j;

      for (j = 0; j < media->codecs->len; j++) {
        GstRtcCodec *codec = g_ptr_array_index (media->codecs, j);

        codec->feedback &= GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
            GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC;
      }
    } else {
      guint j;

      for (j = 0; j < media->codecs->len; j++) {
        GstRtcCodec *codec = g_ptr_array_index (media->codecs, j);

        codec->feedback = GST_RTC_RTCP_FB_NONE;
        codec->rtx_payload_type = 0;
      }
    }
    fill_local_media_locked (bin, transceiver, media);

    entry = transceiver->priv.entry;
    bundled = strv_contains (offer->bundle_mids, offered->mid);
    /* Our candidates go on the first m-line we accept on each transport:
     * the offer's BUNDLE tag, unless we rejected it. */
    is_tag = !g_ptr_array_find (tagged, entry, NULL);
    if (is_tag)
      g_ptr_array_add (tagged, entry);
    /* RFC 8842: we are the DTLS client of an actpass offer */
    fill_transport_locked (bin, entry, media, is_tag,
        offered->setup == GST_RTC_DTLS_SETUP_ACTIVE ?
        GST_RTC_DTLS_SETUP_PASSIVE : GST_RTC_DTLS_SETUP_ACTIVE);
    if (entry->dtls_started)
      media->setup = entry->dtls_role == GST_RTC_DTLS_ROLE_CLIENT ?
          GST_RTC_DTLS_SETUP_ACTIVE : GST_RTC_DTLS_SETUP_PASSIVE;
    if (bundled && bundle != NULL)
      g_ptr_array_add (bundle, g_strdup (media->mid));
    g_ptr_array_add (desc->media, media);
  }

  choose_twcc_mline (bin, desc, offer);
  if (bundle != NULL) {
    /* The answerer's tag is the offerer's tag, first of the group. */
    if (bundle->len > 0) {
      g_ptr_array_add (bundle, NULL);
      desc->bundle_mids = (gchar **) g_ptr_array_free (bundle, FALSE);
    } else {
      g_ptr_array_unref (bundle);
    }
  }
  RTC_BIN_UNLOCK (bin);
  g_array_unref (locals);
  g_ptr_array_unref (tagged);

  sdp = gst_rtc_session_description_to_string (desc);
  gst_rtc_session_description_free (desc);
  if (sdp == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "could not write the answer");
    return NULL;
  }
  RTC_BIN_LOCK (bin);
  g_free (bin->last_answer);
  bin->last_answer = g_strdup (sdp);
  RTC_BIN_UNLOCK (bin);
  GST_DEBUG_OBJECT (bin, "answer:\n%s", sdp);
  return sdp;
}

/* ======================================================================== */
/* Setting descriptions                                                     */
/* ======================================================================== */

/* W3C: which types each state takes, and where they lead. */
static gboolean
next_signaling_state (GstRtcSignalingState state, gboolean remote,
    GstRtcSdpType type, GstRtcSignalingState * next)
{
  typedef struct
  {
    GstRtcSignalingState from;
    gboolean remote;
    GstRtcSdpType type;
    GstRtcSignalingState to;
  } Transition;
  static const Transition transitions[] = {
    {GST_RTC_SIGNALING_STATE_STABLE, FALSE, GST_RTC_SDP_TYPE_OFFER,
        GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER},
    {GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER, FALSE, GST_RTC_SDP_TYPE_OFFER,
        GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER},
    {GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER, FALSE,
          GST_RTC_SDP_TYPE_ROLLBACK,
        GST_RTC_SIGNALING_STATE_STABLE},
    {GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER, FALSE,
          GST_RTC_SDP_TYPE_ANSWER,
        GST_RTC_SIGNALING_STATE_STABLE},
    {GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER, FALSE,
          GST_RTC_SDP_TYPE_PRANSWER,
        GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER},
    {GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER, FALSE,
          GST_RTC_SDP_TYPE_ANSWER,
        GST_RTC_SIGNALING_STATE_STABLE},
    {GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER, FALSE,
          GST_RTC_SDP_TYPE_PRANSWER,
        GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER},
    {GST_RTC_SIGNALING_STATE_STABLE, TRUE, GST_RTC_SDP_TYPE_OFFER,
        GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER},
    {GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER, TRUE, GST_RTC_SDP_TYPE_OFFER,
        GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER},
    {GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER, TRUE,
          GST_RTC_SDP_TYPE_ROLLBACK,
        GST_RTC_SIGNALING_STATE_STABLE},
    {GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER, TRUE, GST_RTC_SDP_TYPE_ANSWER,
        GST_RTC_SIGNALING_STATE_STABLE},
    {GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER, TRUE,
          GST_RTC_SDP_TYPE_PRANSWER,
        GST_RTC_SIGNALING_STATE_HAVE_REMOTE_PRANSWER},
    {GST_RTC_SIGNALING_STATE_HAVE_REMOTE_PRANSWER, TRUE,
          GST_RTC_SDP_TYPE_ANSWER,
        GST_RTC_SIGNALING_STATE_STABLE},
    {GST_RTC_SIGNALING_STATE_HAVE_REMOTE_PRANSWER, TRUE,
          GST_RTC_SDP_TYPE_PRANSWER,
        GST_RTC_SIGNALING_STATE_HAVE_REMOTE_PRANSWER},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (transitions); i++) {
    if (transitions[i].from == state && transitions[i].remote == remote
        && transitions[i].type == type) {
      *next = transitions[i].to;
      return TRUE;
    }
  }
  return FALSE;
}

/* The checks a remote description must pass before anything of it is
 * applied; the parser has checked the syntax. Lock held. */
static gboolean
validate_remote_locked (GstRtcBin * bin, const GstRtcSessionDescription * desc,
    GError ** error)
{
  gboolean is_offer = desc->type == GST_RTC_SDP_TYPE_OFFER;
  guint i, j;

  if (desc->media == NULL || desc->media->len == 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the description has no m-line");
    return FALSE;
  }

  for (i = 0; desc->bundle_mids != NULL && desc->bundle_mids[i] != NULL; i++) {
    gboolean found = FALSE;

    for (j = 0; !found && j < desc->media->len; j++) {
      const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, j);

      found = g_strcmp0 (media->mid, desc->bundle_mids[i]) == 0;
    }
    if (!found) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "the BUNDLE group names mid '%s', which no m-line has",
          desc->bundle_mids[i]);
      return FALSE;
    }
  }

  for (i = 0; i < desc->media->len; i++) {
    const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    const GstRtcMediaDescription *ours;
    guint8 digest[32];
    GError *fp_error = NULL;

    if (media->mline != i) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
          "m-line %u is numbered %u", i, media->mline);
      return FALSE;
    }
    /* Existing m-lines keep their kind and mid (JSEP 5.7). */
    ours = desc_media (bin->current_local ? bin->current_local :
        bin->pending_local, i);
    if (!is_offer)
      ours = desc_media (bin->pending_local, i);
    if (ours != NULL && ours->application == NULL
        && media->application == NULL && ours->kind != media->kind) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
          "m-line %u changed from %s to %s", i,
          ours->kind == GST_RTC_MEDIA_KIND_AUDIO ? "audio" : "video",
          media->kind == GST_RTC_MEDIA_KIND_AUDIO ? "audio" : "video");
      return FALSE;
    }
    if (media->rejected)
      continue;
    if (media->mid == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "m-line %u has no a=mid", i);
      return FALSE;
    }
    if (media->ice_ufrag == NULL || media->ice_pwd == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "m-line %u (mid %s) has no ICE credentials (a=ice-ufrag, "
          "a=ice-pwd)", i, media->mid);
      return FALSE;
    }
    if (media->fingerprint == NULL) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "m-line %u (mid %s) has no DTLS fingerprint (a=fingerprint)", i,
          media->mid);
      return FALSE;
    }
    if (!gst_rtc_fingerprint_parse (media->fingerprint, digest, &fp_error)) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "m-line %u (mid %s) has a bad fingerprint: %s", i, media->mid,
          fp_error->message);
      g_clear_error (&fp_error);
      return FALSE;
    }
    if (!is_offer && media->setup == GST_RTC_DTLS_SETUP_ACTPASS) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
          "m-line %u (mid %s): an answer must say a=setup:active or "
          "a=setup:passive, not actpass", i, media->mid);
      return FALSE;
    }
    if (!media->rtcp_mux) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
          "m-line %u (mid %s) does not use a=rtcp-mux, which WebRTC "
          "requires", i, media->mid);
      return FALSE;
    }
    for (j = 0; j < i; j++) {
      const GstRtcMediaDescription *other = g_ptr_array_index (desc->media, j);

      if (!other->rejected && g_strcmp0 (other->mid, media->mid) == 0) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "m-lines %u and %u have the same mid '%s'", j, i, media->mid);
        return FALSE;
      }
    }
  }

  if (is_offer) {
    if (desc->media->len < bin->mlines->len) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
          "the offer has %u m-lines, fewer than the %u negotiated",
          desc->media->len, bin->mlines->len);
      return FALSE;
    }
  } else if (bin->pending_local != NULL) {
    if (!gst_rtc_sdp_validate_answer (bin->pending_local, desc, error))
      return FALSE;
  }
  return TRUE;
}

/* The BUNDLE group of @desc as m-line indices, tag first; NULL without
 * one. */
static GArray *
bundle_mlines (const GstRtcSessionDescription * desc)
{
  GArray *mlines;
  guint i, j;

  if (desc->bundle_mids == NULL)
    return NULL;
  mlines = g_array_new (FALSE, FALSE, sizeof (guint));
  for (i = 0; desc->bundle_mids[i] != NULL; i++) {
    for (j = 0; j < desc->media->len; j++) {
      const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, j);

      if (!media->rejected && g_strcmp0 (media->mid, desc->bundle_mids[i]) == 0) {
        g_array_append_val (mlines, j);
        break;
      }
    }
  }
  if (mlines->len == 0)
    g_clear_pointer (&mlines, g_array_unref);
  return mlines;
}

static gboolean
array_has_mline (GArray * mlines, guint mline)
{
  guint i;

  for (i = 0; mlines != NULL && i < mlines->len; i++) {
    if (g_array_index (mlines, guint, i) == mline)
      return TRUE;
  }
  return FALSE;
}

/* Which transceiver takes each m-line of an offer (JSEP 5.10 and 5.8),
 * without changing anything yet: existing m-lines keep theirs; a new
 * m-line of a remote offer takes the first free transceiver of its kind,
 * else a new recvonly one; a new m-line of our own offer takes the
 * transceiver create-offer put there. Lock held. */
static gboolean
plan_transceivers_locked (GstRtcBin * bin,
    const GstRtcSessionDescription * desc, gboolean remote, GPtrArray * plan,
    guint * n_new, GError ** error)
{
  guint i, j;

  *n_new = 0;
  for (i = 0; i < desc->media->len; i++) {
    const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    GstRtcTransceiver *chosen = NULL;

    if (i < bin->mlines->len) {
      g_ptr_array_add (plan, g_ptr_array_index (bin->mlines, i));
      continue;
    }
    if (media->rejected) {
      g_ptr_array_add (plan, NULL);
      continue;
    }
    for (j = 0; chosen == NULL && j < bin->transceivers->len; j++) {
      GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers,
          j);
      gboolean free_one;

      if (g_ptr_array_find (plan, transceiver, NULL))
        continue;
      GST_OBJECT_LOCK (transceiver);
      free_one = transceiver->mline == NO_MLINE && !transceiver->stopped;
      if (free_one && remote)
        free_one = !transceiver->kind_known || transceiver->kind == media->kind;
      else if (free_one)
        free_one = transceiver->priv.offered_mline == (gint) i;
      GST_OBJECT_UNLOCK (transceiver);
      if (free_one)
        chosen = transceiver;
    }
    if (chosen == NULL && !remote) {
      /* an offer written by hand: any free transceiver of that kind */
      for (j = 0; chosen == NULL && j < bin->transceivers->len; j++) {
        GstRtcTransceiver *transceiver =
            g_ptr_array_index (bin->transceivers, j);

        if (g_ptr_array_find (plan, transceiver, NULL))
          continue;
        GST_OBJECT_LOCK (transceiver);
        if (transceiver->mline == NO_MLINE && !transceiver->stopped
            && transceiver->kind == media->kind)
          chosen = transceiver;
        GST_OBJECT_UNLOCK (transceiver);
      }
      if (chosen == NULL) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
            "m-line %u of the local offer has no transceiver: it was not "
            "made by create-offer", i);
        return FALSE;
      }
    }
    if (chosen == NULL)
      (*n_new)++;
    g_ptr_array_add (plan, chosen);
  }
  return TRUE;
}

/* Which transport carries each m-line of a remote offer: the BUNDLE group
 * shares one, each m-line outside it has its own. Transports in use are
 * kept; missing ones are made here, without the lock. @entries gets a
 * reference per m-line (NULL for rejected ones); @created the new ones. */
static gboolean
plan_remote_offer_transports (GstRtcBin * bin,
    const GstRtcSessionDescription * desc, GPtrArray * transceivers,
    GPtrArray * entries, GPtrArray * created, GError ** error)
{
  GArray *bundle = bundle_mlines (desc);
  RtcTransportEntry *bundle_entry = NULL;
  guint i;

  g_ptr_array_set_size (entries, desc->media->len);
  if (bundle != NULL) {
    GstRtcTransceiver *tag = g_ptr_array_index (transceivers,
        g_array_index (bundle, guint, 0));

    RTC_BIN_LOCK (bin);
    if (tag != NULL && tag->priv.entry != NULL && !tag->priv.entry->closed)
      bundle_entry = rtc_transport_entry_ref (tag->priv.entry);
    else if ((bundle_entry = rtc_bin_bundle_entry_locked (bin)) != NULL)
      rtc_transport_entry_ref (bundle_entry);
    RTC_BIN_UNLOCK (bin);
    if (bundle_entry == NULL) {
      bundle_entry = rtc_transport_entry_new (bin, error);
      if (bundle_entry == NULL)
        goto failed;
      g_ptr_array_add (created, rtc_transport_entry_ref (bundle_entry));
    }
  }

  for (i = 0; i < desc->media->len; i++) {
    const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    GstRtcTransceiver *transceiver = g_ptr_array_index (transceivers, i);
    RtcTransportEntry *entry = NULL;
    guint j;

    if (media->rejected)
      continue;
    if (array_has_mline (bundle, i)) {
      g_ptr_array_index (entries, i) = rtc_transport_entry_ref (bundle_entry);
      continue;
    }
    /* not bundled: its own transport, kept across renegotiations */
    RTC_BIN_LOCK (bin);
    if (transceiver != NULL && transceiver->priv.entry != NULL
        && transceiver->priv.entry != bundle_entry
        && !transceiver->priv.entry->closed) {
      entry = rtc_transport_entry_ref (transceiver->priv.entry);
      for (j = 0; j < i; j++) {
        if (g_ptr_array_index (entries, j) == entry)
          g_clear_pointer (&entry, rtc_transport_entry_unref);
      }
    }
    RTC_BIN_UNLOCK (bin);
    if (entry == NULL) {
      entry = rtc_transport_entry_new (bin, error);
      if (entry == NULL)
        goto failed;
      g_ptr_array_add (created, rtc_transport_entry_ref (entry));
    }
    g_ptr_array_index (entries, i) = entry;
  }

  g_clear_pointer (&bundle_entry, rtc_transport_entry_unref);
  g_clear_pointer (&bundle, g_array_unref);
  return TRUE;

failed:
  g_clear_pointer (&bundle_entry, rtc_transport_entry_unref);
  g_clear_pointer (&bundle, g_array_unref);
  return FALSE;
}

/* What to tell one transport about the remote side, gathered under the
 * lock and done without it. */
typedef struct
{
  RtcTransportEntry *entry;
  gchar *ufrag;
  gchar *pwd;
  gchar *fingerprint;
  GPtrArray *candidates;
  gboolean end_of_candidates;
  GPtrArray *route_media;       /* GstRtcMediaDescription, not owned */
  gboolean start_dtls;
  GstRtcDtlsRole role;
  gboolean gather;
  gboolean restart;             /* the remote offer restarts ICE */
} RemoteApply;

static void
remote_apply_free (RemoteApply * apply)
{
  rtc_transport_entry_unref (apply->entry);
  g_free (apply->ufrag);
  g_free (apply->pwd);
  g_free (apply->fingerprint);
  g_clear_pointer (&apply->candidates, g_ptr_array_unref);
  g_ptr_array_unref (apply->route_media);
  g_free (apply);
}

static RemoteApply *
find_apply (GPtrArray * applies, RtcTransportEntry * entry)
{
  guint i;

  for (i = 0; i < applies->len; i++) {
    RemoteApply *apply = g_ptr_array_index (applies, i);

    if (apply->entry == entry)
      return apply;
  }
  return NULL;
}

/* Groups the m-lines of @remote by transport, taking ICE credentials,
 * fingerprint and candidates from each transport's first m-line (the
 * BUNDLE tag). @entries gives the transport of each m-line. Lock held. */
static GPtrArray *
collect_remote_applies_locked (GstRtcBin * bin,
    const GstRtcSessionDescription * remote, GPtrArray * entries)
{
  GPtrArray *applies = g_ptr_array_new_with_free_func ((GDestroyNotify)
      remote_apply_free);
  guint i, j;

  for (i = 0; i < remote->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (remote->media, i);
    RtcTransportEntry *entry = g_ptr_array_index (entries, i);
    RemoteApply *apply;

    if (entry == NULL || media->rejected)
      continue;
    apply = find_apply (applies, entry);
    if (apply == NULL) {
      apply = g_new0 (RemoteApply, 1);
      apply->entry = rtc_transport_entry_ref (entry);
      apply->ufrag = g_strdup (media->ice_ufrag);
      apply->pwd = g_strdup (media->ice_pwd);
      apply->fingerprint = g_strdup (media->fingerprint);
      apply->candidates = g_ptr_array_new_with_free_func (g_free);
      for (j = 0; media->candidates != NULL && j < media->candidates->len; j++)
        g_ptr_array_add (apply->candidates,
            g_strdup (g_ptr_array_index (media->candidates, j)));
      apply->end_of_candidates = media->end_of_candidates;
      apply->route_media = g_ptr_array_new ();
      g_ptr_array_add (applies, apply);
    }
    g_ptr_array_add (apply->route_media, media);
  }
  return applies;
}

/* A renegotiation keeps the DTLS fingerprint (one DTLS session per
 * transport). New remote ICE credentials in an offer restart ICE; in an
 * answer they are refused unless our offer restarted (which forgot the
 * old ones). Lock held. */
static gboolean
check_applies_locked (GstRtcBin * bin, GPtrArray * applies, gboolean offer,
    GError ** error)
{
  guint i;

  for (i = 0; i < applies->len; i++) {
    RemoteApply *apply = g_ptr_array_index (applies, i);
    RtcTransportEntry *entry = apply->entry;

    apply->restart = FALSE;
    if (entry->remote_ufrag != NULL
        && (g_strcmp0 (entry->remote_ufrag, apply->ufrag) != 0
            || g_strcmp0 (entry->remote_pwd, apply->pwd) != 0)) {
      if (!offer) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
            "the remote ICE credentials of mid %s changed in an answer to "
            "an offer that did not restart ICE",
            entry->tag_mid ? entry->tag_mid : "?");
        return FALSE;
      }
      apply->restart = TRUE;
    }
    if (entry->remote_fingerprint != NULL
        && g_ascii_strcasecmp (entry->remote_fingerprint,
            apply->fingerprint) != 0) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
          "the remote DTLS fingerprint of mid %s changed",
          entry->tag_mid ? entry->tag_mid : "?");
      return FALSE;
    }
  }
  return TRUE;
}

/* Records the remote side in each entry. Lock held. */
static void
store_applies_locked (GstRtcBin * bin, GPtrArray * applies)
{
  guint i;

  for (i = 0; i < applies->len; i++) {
    RemoteApply *apply = g_ptr_array_index (applies, i);
    RtcTransportEntry *entry = apply->entry;

    if (entry->remote_ufrag == NULL || apply->restart) {
      g_free (entry->remote_ufrag);
      g_free (entry->remote_pwd);
      entry->remote_ufrag = g_strdup (apply->ufrag);
      entry->remote_pwd = g_strdup (apply->pwd);
    }
    if (entry->remote_fingerprint == NULL)
      entry->remote_fingerprint = g_strdup (apply->fingerprint);
    entry->remote_tag_mline = ((GstRtcMediaDescription *)
        g_ptr_array_index (apply->route_media, 0))->mline;
  }
}

/* Gives the ICE stream a remote candidate, once: descriptions of later
 * negotiations repeat the candidates, and the stream takes only 64. */
static gboolean
entry_add_remote_candidate (GstRtcBin * bin, RtcTransportEntry * entry,
    const gchar * candidate, GError ** error)
{
  GstRtcIceCandidateInfo info;
  gchar *key;
  gboolean known;

  if (candidate == NULL || *candidate == '\0') {
    GstRtcIceStream *stream = rtc_transport_entry_get_stream (entry);
    gboolean ok = gst_rtc_ice_stream_add_remote_candidate (stream, NULL,
        error);

    gst_object_unref (stream);
    return ok;
  }
  if (!gst_rtc_ice_candidate_parse (candidate, &info, error))
    return FALSE;
  /* the same candidate, however it was written */
  key = gst_rtc_ice_candidate_to_string (&info);
  RTC_BIN_LOCK (bin);
  known = g_hash_table_contains (entry->remote_candidates, key);
  RTC_BIN_UNLOCK (bin);
  if (known) {
    g_free (key);
    return TRUE;
  }
  {
    GstRtcIceStream *stream = rtc_transport_entry_get_stream (entry);
    gboolean ok = gst_rtc_ice_stream_add_remote_candidate (stream, candidate,
        error);

    gst_object_unref (stream);
    if (!ok) {
      g_free (key);
      return FALSE;
    }
  }
  RTC_BIN_LOCK (bin);
  g_hash_table_add (entry->remote_candidates, key);
  RTC_BIN_UNLOCK (bin);
  return TRUE;
}

/* Tells the ICE streams, the transports and the routers. No lock. */
static void
run_applies (GstRtcBin * bin, GPtrArray * applies)
{
  guint i, j;

  for (i = 0; i < applies->len; i++) {
    RemoteApply *apply = g_ptr_array_index (applies, i);
    RtcTransportEntry *entry = apply->entry;
    GstRtcIceStream *stream;
    GError *error = NULL;

    if (apply->restart && !rtc_transport_entry_restart_ice (bin, entry, TRUE,
            &error)) {
      GST_WARNING_OBJECT (bin, "ICE restart failed: %s", error->message);
      g_clear_error (&error);
    }
    stream = rtc_transport_entry_get_stream (entry);
    if (apply->ufrag != NULL
        && !gst_rtc_ice_stream_set_remote_credentials (stream,
            apply->ufrag, apply->pwd, &error)) {
      GST_WARNING_OBJECT (bin, "remote ICE credentials refused: %s",
          error->message);
      g_clear_error (&error);
    }
    for (j = 0; j < apply->candidates->len; j++) {
      const gchar *candidate = g_ptr_array_index (apply->candidates, j);

      if (!entry_add_remote_candidate (bin, entry, candidate, &error)) {
        GST_WARNING_OBJECT (bin, "remote candidate '%s' ignored: %s",
            candidate, error->message);
        g_clear_error (&error);
      }
    }
    if (apply->end_of_candidates)
      gst_rtc_ice_stream_add_remote_candidate (stream, NULL, NULL);
    if (apply->fingerprint != NULL
        && !gst_rtc_transport_set_remote_fingerprint (entry->transport,
            apply->fingerprint, &error)) {
      GST_WARNING_OBJECT (bin, "remote fingerprint refused: %s",
          error->message);
      g_clear_error (&error);
    }
    gst_rtc_ssrc_router_set_media (entry->router, apply->route_media);
    if (apply->start_dtls) {
      GST_INFO_OBJECT (bin, "starting DTLS on transport %u as %s", entry->id,
          apply->role == GST_RTC_DTLS_ROLE_CLIENT ? "client" : "server");
      if (!gst_rtc_transport_start (entry->transport, apply->role, &error)) {
        GST_WARNING_OBJECT (bin, "cannot start DTLS: %s", error->message);
        g_clear_error (&error);
      }
    }
    if (apply->gather && !gst_rtc_ice_stream_gather (stream, &error)) {
      GST_WARNING_OBJECT (bin, "cannot gather: %s", error->message);
      g_clear_error (&error);
    }
    gst_object_unref (stream);
    rtc_bin_media_retry_held (bin, entry);
  }
}

typedef struct
{
  guint mline;
  gchar *mid;
  gchar *candidate;
} EarlyCandidate;

static void
early_candidate_free (EarlyCandidate * early)
{
  g_free (early->mid);
  g_free (early->candidate);
  g_free (early);
}

static void
rtc_bin_add_early_candidates (GstRtcBin * bin)
{
  GPtrArray *early;
  guint i;

  RTC_BIN_LOCK (bin);
  early = bin->early_candidates;
  bin->early_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify)
      early_candidate_free);
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < early->len; i++) {
    EarlyCandidate *candidate = g_ptr_array_index (early, i);
    GError *error = NULL;

    if (!rtc_bin_add_candidate (bin, candidate->mline, candidate->mid,
            candidate->candidate, &error)) {
      GST_WARNING_OBJECT (bin, "early candidate ignored: %s", error->message);
      g_clear_error (&error);
    }
  }
  g_ptr_array_unref (early);
}

static void
set_transceiver_mline (GstRtcTransceiver * transceiver, guint mline,
    const gchar * mid, GstRtcMediaKind kind)
{
  gboolean changed;

  GST_OBJECT_LOCK (transceiver);
  changed = transceiver->mline != mline
      || g_strcmp0 (transceiver->mid, mid) != 0;
  transceiver->mline = mline;
  if (g_strcmp0 (transceiver->mid, mid) != 0) {
    g_free (transceiver->mid);
    transceiver->mid = g_strdup (mid);
  }
  if (!transceiver->kind_known) {
    transceiver->kind = kind;
    transceiver->kind_known = TRUE;
  }
  GST_OBJECT_UNLOCK (transceiver);
  if (changed) {
    g_object_notify_by_pspec (G_OBJECT (transceiver),
        transceiver_properties[TRANSCEIVER_PROP_MID]);
    g_object_notify_by_pspec (G_OBJECT (transceiver),
        transceiver_properties[TRANSCEIVER_PROP_MLINE]);
  }
}

/* Lock held. */
static void
set_signaling_state_locked (GstRtcBin * bin, GstRtcSignalingState state,
    gboolean * notify)
{
  if (bin->signaling_state != state) {
    GST_INFO_OBJECT (bin, "signaling state %s -> %s",
        enum_nick (GST_RTC_TYPE_SIGNALING_STATE, bin->signaling_state),
        enum_nick (GST_RTC_TYPE_SIGNALING_STATE, state));
    bin->signaling_state = state;
    *notify = TRUE;
  }
}

static void
notify_descriptions (GstRtcBin * bin, gboolean signaling)
{
  if (signaling)
    g_object_notify_by_pspec (G_OBJECT (bin), properties[PROP_SIGNALING_STATE]);
  g_object_notify_by_pspec (G_OBJECT (bin), properties[PROP_LOCAL_DESCRIPTION]);
  g_object_notify_by_pspec (G_OBJECT (bin),
      properties[PROP_REMOTE_DESCRIPTION]);
}

/* The tag m-line of each transport: the first m-line it carries. */
static void
set_entry_tags_locked (GstRtcBin * bin, const GstRtcSessionDescription * desc,
    GPtrArray * entries)
{
  GArray *bundle = bundle_mlines (desc);
  guint i;

  for (i = 0; i < desc->media->len; i++) {
    RtcTransportEntry *entry = g_ptr_array_index (entries, i);
    const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    guint tag = i;
    guint j;

    if (entry == NULL)
      continue;
    if (array_has_mline (bundle, i))
      tag = g_array_index (bundle, guint, 0);
    for (j = 0; j < i; j++) {
      if (g_ptr_array_index (entries, j) == entry)
        break;
    }
    if (j < i)
      continue;                 /* already tagged by an earlier m-line */
    if (tag != i)
      media = g_ptr_array_index (desc->media, tag);
    entry->tag_mline = tag;
    g_free (entry->tag_mid);
    entry->tag_mid = g_strdup (media->mid);
  }
  g_clear_pointer (&bundle, g_array_unref);
}

static void
add_entry_locked (GstRtcBin * bin, RtcTransportEntry * entry)
{
  if (!g_ptr_array_find (bin->entries, entry, NULL))
    g_ptr_array_add (bin->entries, rtc_transport_entry_ref (entry));
}

/* SLD(offer): the m-lines get their transceivers and mids, the transport
 * gathers. */
static gboolean
apply_local_offer (GstRtcBin * bin, GstRtcSessionDescription * desc,
    GstRtcSignalingState next, GError ** error)
{
  GPtrArray *plan, *entries;
  RtcTransportEntry *entry, *gather = NULL;
  gboolean notify = FALSE, set_role = FALSE;
  guint n_new, i;

  entry = rtc_bin_ensure_bundle_entry (bin, error);
  if (entry == NULL)
    return FALSE;

  plan = g_ptr_array_new ();
  entries = g_ptr_array_new ();
  RTC_BIN_LOCK (bin);
  if (!plan_transceivers_locked (bin, desc, FALSE, plan, &n_new, error)) {
    RTC_BIN_UNLOCK (bin);
    g_ptr_array_unref (plan);
    g_ptr_array_unref (entries);
    rtc_transport_entry_unref (entry);
    return FALSE;
  }
  g_ptr_array_set_size (entries, desc->media->len);
  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    GstRtcTransceiver *transceiver = g_ptr_array_index (plan, i);

    if (transceiver == NULL)
      continue;
    if (!media->rejected) {
      if (transceiver->priv.entry == NULL)
        transceiver->priv.entry = rtc_transport_entry_ref (entry);
      g_ptr_array_index (entries, i) = transceiver->priv.entry;
    }
  }
  set_entry_tags_locked (bin, desc, entries);
  add_entry_locked (bin, entry);
  g_ptr_array_set_size (bin->mlines, 0);
  for (i = 0; i < plan->len; i++)
    g_ptr_array_add (bin->mlines, g_ptr_array_index (plan, i));

  g_clear_pointer (&bin->pending_local, gst_rtc_session_description_free);
  bin->pending_local = desc;
  set_signaling_state_locked (bin, next, &notify);
  if (!bin->ice_role_set) {
    bin->ice_role_set = TRUE;
    set_role = TRUE;
  }
  if (!entry->gathering_started) {
    entry->gathering_started = TRUE;
    gather = rtc_transport_entry_ref (entry);
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    GstRtcTransceiver *transceiver = g_ptr_array_index (plan, i);

    if (transceiver != NULL)
      set_transceiver_mline (transceiver, i, media->mid, media->kind);
  }
  if (set_role)
    g_object_set (bin->agent, "controlling", TRUE, NULL);
  if (gather != NULL) {
    GError *gather_error = NULL;

    GstRtcIceStream *stream = rtc_transport_entry_get_stream (gather);

    if (!gst_rtc_ice_stream_gather (stream, &gather_error)) {
      GST_WARNING_OBJECT (bin, "cannot gather: %s", gather_error->message);
      g_clear_error (&gather_error);
    }
    gst_object_unref (stream);
    rtc_transport_entry_unref (gather);
  }
  rtc_bin_update_states (bin);
  notify_descriptions (bin, notify);
  g_ptr_array_unref (plan);
  g_ptr_array_unref (entries);
  rtc_transport_entry_unref (entry);
  return TRUE;
}

/* SRD(offer): transceivers for its m-lines (new recvonly ones where none
 * is free), transports for them, the remote ICE and DTLS parameters. */
static gboolean
apply_remote_offer (GstRtcBin * bin, GstRtcSessionDescription * desc,
    GstRtcSignalingState next, GError ** error)
{
  GPtrArray *plan, *entries, *created, *applies = NULL, *new_transceivers;
  gboolean notify = FALSE, set_role = FALSE, ok = FALSE;
  guint n_new, i;

  plan = g_ptr_array_new ();
  entries = g_ptr_array_new_with_free_func (entry_unref_nullable);
  created = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtc_transport_entry_unref);
  new_transceivers = g_ptr_array_new_with_free_func (gst_object_unref);

  RTC_BIN_LOCK (bin);
  ok = plan_transceivers_locked (bin, desc, TRUE, plan, &n_new, error);
  RTC_BIN_UNLOCK (bin);
  if (!ok)
    goto done;
  ok = plan_remote_offer_transports (bin, desc, plan, entries, created, error);
  if (!ok)
    goto done;

  RTC_BIN_LOCK (bin);
  applies = collect_remote_applies_locked (bin, desc, entries);
  ok = check_applies_locked (bin, applies, TRUE, error);
  if (!ok) {
    RTC_BIN_UNLOCK (bin);
    goto done;
  }
  /* From here on nothing fails. */
  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    GstRtcTransceiver *transceiver = g_ptr_array_index (plan, i);
    RtcTransportEntry *entry = g_ptr_array_index (entries, i);

    if (transceiver == NULL && !media->rejected) {
      transceiver = rtc_bin_new_transceiver_locked (bin,
          GST_RTC_DIRECTION_RECVONLY, NULL);
      transceiver->kind = media->kind;
      transceiver->kind_known = TRUE;
      g_ptr_array_index (plan, i) = transceiver;
      g_ptr_array_add (new_transceivers, gst_object_ref (transceiver));
    }
    if (transceiver != NULL && entry != NULL
        && transceiver->priv.entry != entry) {
      g_clear_pointer (&transceiver->priv.entry, rtc_transport_entry_unref);
      transceiver->priv.entry = rtc_transport_entry_ref (entry);
    }
    if (entry != NULL)
      add_entry_locked (bin, entry);
  }
  set_entry_tags_locked (bin, desc, entries);
  store_applies_locked (bin, applies);
  g_ptr_array_set_size (bin->mlines, 0);
  for (i = 0; i < plan->len; i++)
    g_ptr_array_add (bin->mlines, g_ptr_array_index (plan, i));
  g_clear_pointer (&bin->pending_remote, gst_rtc_session_description_free);
  bin->pending_remote = desc;
  set_signaling_state_locked (bin, next, &notify);
  if (!bin->ice_role_set) {
    bin->ice_role_set = TRUE;
    set_role = TRUE;
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);
    GstRtcTransceiver *transceiver = g_ptr_array_index (plan, i);

    if (transceiver != NULL)
      set_transceiver_mline (transceiver, i, media->mid, media->kind);
  }
  if (set_role)
    g_object_set (bin->agent, "controlling", FALSE, NULL);
  for (i = 0; i < new_transceivers->len; i++)
    g_signal_emit (bin, signals[SIGNAL_ON_NEW_TRANSCEIVER], 0,
        g_ptr_array_index (new_transceivers, i));
  run_applies (bin, applies);
  rtc_bin_update_states (bin);
  notify_descriptions (bin, notify);
  rtc_bin_add_early_candidates (bin);
  ok = TRUE;

done:
  if (!ok) {
    for (i = 0; i < created->len; i++)
      rtc_transport_entry_close (bin, g_ptr_array_index (created, i));
  }
  g_clear_pointer (&applies, g_ptr_array_unref);
  g_ptr_array_unref (plan);
  g_ptr_array_unref (entries);
  g_ptr_array_unref (created);
  g_ptr_array_unref (new_transceivers);
  return ok;
}

/* Whether any codec of @codecs asks for NACK. */
static gboolean
codecs_have_nack (const GPtrArray * codecs)
{
  guint i;

  for (i = 0; codecs != NULL && i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (codec->feedback & GST_RTC_RTCP_FB_NACK)
      return TRUE;
  }
  return FALSE;
}

/* SLD(answer) or SRD(answer), and the pranswers: the negotiation is done,
 * media can flow. */
static gboolean
apply_answer (GstRtcBin * bin, GstRtcSessionDescription * desc,
    gboolean remote, GstRtcSignalingState next, GError ** error)
{
  const GstRtcSessionDescription *offer;
  const GstRtcSessionDescription *remote_desc;
  GPtrArray *entries, *applies, *transceivers;
  gboolean notify = FALSE, final = desc->type == GST_RTC_SDP_TYPE_ANSWER;
  guint i;

  entries = g_ptr_array_new_with_free_func (entry_unref_nullable);
  transceivers = g_ptr_array_new_with_free_func (gst_object_unref);

  RTC_BIN_LOCK (bin);
  offer = remote ? bin->pending_local : bin->pending_remote;
  if (offer == NULL || offer->media->len != desc->media->len) {
    guint n = offer ? offer->media->len : 0;

    RTC_BIN_UNLOCK (bin);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the answer has %u m-lines, the offer %u", desc->media->len, n);
    g_ptr_array_unref (entries);
    g_ptr_array_unref (transceivers);
    return FALSE;
  }
  remote_desc = remote ? desc : offer;
  g_ptr_array_set_size (entries, desc->media->len);
  for (i = 0; i < desc->media->len; i++) {
    GstRtcTransceiver *transceiver = rtc_bin_find_transceiver_by_mline (bin,
        i);
    const GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

    if (transceiver != NULL && transceiver->priv.entry != NULL
        && !media->rejected)
      g_ptr_array_index (entries, i) =
          rtc_transport_entry_ref (transceiver->priv.entry);
  }
  applies = collect_remote_applies_locked (bin, remote_desc, entries);
  if (remote && !check_applies_locked (bin, applies, FALSE, error)) {
    RTC_BIN_UNLOCK (bin);
    g_ptr_array_unref (applies);
    g_ptr_array_unref (entries);
    g_ptr_array_unref (transceivers);
    return FALSE;
  }

  /* From here on nothing fails. */
  store_applies_locked (bin, applies);
  /* The answer's BUNDLE tag is the one that counts from now on: the
   * offer's, unless the answer rejected that m-line. */
  set_entry_tags_locked (bin, desc, entries);
  for (i = 0; i < applies->len; i++) {
    RemoteApply *apply = g_ptr_array_index (applies, i);
    RtcTransportEntry *entry = apply->entry;
    const GstRtcMediaDescription *tag = desc_media (desc, entry->tag_mline);

    if (tag == NULL)
      tag = g_ptr_array_index (apply->route_media, 0);
    if (!entry->dtls_started) {
      entry->dtls_started = TRUE;
      apply->start_dtls = TRUE;
      /* RFC 5763: active is the DTLS client. In a remote answer "active"
       * is the peer, in our answer it is us. */
      if (remote)
        entry->dtls_role = tag->setup == GST_RTC_DTLS_SETUP_PASSIVE ?
            GST_RTC_DTLS_ROLE_CLIENT : GST_RTC_DTLS_ROLE_SERVER;
      else
        entry->dtls_role = tag->setup == GST_RTC_DTLS_SETUP_PASSIVE ?
            GST_RTC_DTLS_ROLE_SERVER : GST_RTC_DTLS_ROLE_CLIENT;
      apply->role = entry->dtls_role;
    }
    if (!remote && !entry->gathering_started) {
      entry->gathering_started = TRUE;
      apply->gather = TRUE;
    }
    if (!remote) {
      /* the remote side was applied with the offer */
      g_ptr_array_set_size (apply->candidates, 0);
      apply->end_of_candidates = FALSE;
    }
  }

  for (i = 0; i < desc->media->len; i++) {
    GstRtcTransceiver *transceiver = rtc_bin_find_transceiver_by_mline (bin,
        i);
    const GstRtcMediaDescription *answered = g_ptr_array_index (desc->media,
        i);
    const GstRtcMediaDescription *offered = g_ptr_array_index (offer->media,
        i);
    RtcTransceiverPrivate *priv;
    GstRtcDirection current;

    if (transceiver == NULL)
      continue;
    priv = &transceiver->priv;
    if (answered->rejected || offered->rejected) {
      current = GST_RTC_DIRECTION_INACTIVE;
      g_clear_pointer (&priv->negotiated_codecs, g_ptr_array_unref);
      if (final) {
        GST_OBJECT_LOCK (transceiver);
        transceiver->stopped = TRUE;
        GST_OBJECT_UNLOCK (transceiver);
      }
    } else {
      current = remote ? gst_rtc_direction_reverse (answered->direction) :
          answered->direction;
      g_clear_pointer (&priv->negotiated_codecs, g_ptr_array_unref);
      priv->negotiated_codecs = codecs_copy (answered->codecs);
      priv->negotiated_kind = answered->kind;
      /* the answer holds the extensions both sides accepted */
      priv->ext_mid = answered->ext_mid;
      priv->ext_twcc = answered->ext_twcc;
      priv->do_nack = answered->kind == GST_RTC_MEDIA_KIND_VIDEO
          && codecs_have_nack (answered->codecs);
    }
    GST_OBJECT_LOCK (transceiver);
    transceiver->current_direction = current;
    GST_OBJECT_UNLOCK (transceiver);
    g_ptr_array_add (transceivers, gst_object_ref (transceiver));
  }

  if (final) {
    if (remote) {
      g_clear_pointer (&bin->current_remote, gst_rtc_session_description_free);
      bin->current_remote = desc;
      g_clear_pointer (&bin->current_local, gst_rtc_session_description_free);
      bin->current_local = g_steal_pointer (&bin->pending_local);
    } else {
      g_clear_pointer (&bin->current_local, gst_rtc_session_description_free);
      bin->current_local = desc;
      g_clear_pointer (&bin->current_remote, gst_rtc_session_description_free);
      bin->current_remote = g_steal_pointer (&bin->pending_remote);
    }
    g_clear_pointer (&bin->pending_local, gst_rtc_session_description_free);
    g_clear_pointer (&bin->pending_remote, gst_rtc_session_description_free);
    /* checked again below, now that we are stable */
    bin->negotiation_needed = FALSE;
  } else if (remote) {
    g_clear_pointer (&bin->pending_remote, gst_rtc_session_description_free);
    bin->pending_remote = desc;
  } else {
    g_clear_pointer (&bin->pending_local, gst_rtc_session_description_free);
    bin->pending_local = desc;
  }
  set_signaling_state_locked (bin, next, &notify);
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (transceivers, i);
    GstRtcDirection current;

    g_object_notify_by_pspec (G_OBJECT (transceiver),
        transceiver_properties[TRANSCEIVER_PROP_CURRENT_DIRECTION]);
    current = gst_rtc_transceiver_get_current_direction (transceiver);
    if (current == GST_RTC_DIRECTION_INACTIVE
        && transceiver->priv.negotiated_codecs == NULL)
      continue;
    rtc_bin_media_link_receive (bin, transceiver);
    rtc_bin_media_configure (bin, transceiver);
  }
  run_applies (bin, applies);
  /* A stream added to a live transport: what it sent before negotiation
   * completed was dropped, so start it on a keyframe. */
  for (i = 0; i < applies->len; i++) {
    RemoteApply *apply = g_ptr_array_index (applies, i);

    if (gst_rtc_transport_get_state (apply->entry->transport) ==
        GST_RTC_TRANSPORT_STATE_CONNECTED)
      rtc_bin_media_request_keyframes (bin, apply->entry);
  }
  rtc_bin_update_states (bin);
  notify_descriptions (bin, notify);
  if (remote)
    rtc_bin_add_early_candidates (bin);
  if (final)
    rtc_bin_schedule_negotiation_check (bin);

  g_ptr_array_unref (applies);
  g_ptr_array_unref (entries);
  g_ptr_array_unref (transceivers);
  return TRUE;
}

/* W3C rollback: back to stable, the pending description forgotten and the
 * m-lines it added let go. Transceivers made by a remote offer stay, as
 * recvonly transceivers without an m-line. */
static gboolean
apply_rollback (GstRtcBin * bin, gboolean remote, GstRtcSignalingState next)
{
  const GstRtcSessionDescription *current;
  GPtrArray *released = g_ptr_array_new_with_free_func (gst_object_unref);
  gboolean notify = FALSE;
  guint n, i;

  RTC_BIN_LOCK (bin);
  if (remote)
    g_clear_pointer (&bin->pending_remote, gst_rtc_session_description_free);
  else
    g_clear_pointer (&bin->pending_local, gst_rtc_session_description_free);
  current = bin->current_local ? bin->current_local : bin->current_remote;
  n = current ? current->media->len : 0;
  for (i = n; i < bin->mlines->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->mlines, i);

    if (transceiver != NULL)
      g_ptr_array_add (released, gst_object_ref (transceiver));
  }
  if (bin->mlines->len > n)
    g_ptr_array_set_size (bin->mlines, n);
  set_signaling_state_locked (bin, next, &notify);
  bin->negotiation_needed = FALSE;
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < released->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (released, i);

    GST_OBJECT_LOCK (transceiver);
    transceiver->mline = NO_MLINE;
    g_clear_pointer (&transceiver->mid, g_free);
    GST_OBJECT_UNLOCK (transceiver);
    transceiver->priv.offered_mline = -1;
  }
  g_ptr_array_unref (released);
  notify_descriptions (bin, notify);
  rtc_bin_schedule_negotiation_check (bin);
  return TRUE;
}

static gboolean
rtc_bin_set_description (GstRtcBin * bin, gboolean remote, GstRtcSdpType type,
    const gchar * sdp, GError ** error)
{
  GstRtcSessionDescription *desc;
  GstRtcSignalingState state, next;
  gchar *own_sdp = NULL;
  gboolean ok;

  if (!rtc_bin_check_not_closed (bin, error))
    return FALSE;

  RTC_BIN_LOCK (bin);
  state = bin->signaling_state;
  if (!remote && (sdp == NULL || *sdp == '\0')) {
    /* W3C: an implicit description is the last one we created */
    if (type == GST_RTC_SDP_TYPE_OFFER)
      own_sdp = g_strdup (bin->last_offer);
    else if (type != GST_RTC_SDP_TYPE_ROLLBACK)
      own_sdp = g_strdup (bin->last_answer);
  }
  RTC_BIN_UNLOCK (bin);

  if (!next_signaling_state (state, remote, type, &next)) {
    g_free (own_sdp);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "cannot set a %s %s in signaling state %s", remote ? "remote" :
        "local", gst_rtc_sdp_type_to_string (type),
        enum_nick (GST_RTC_TYPE_SIGNALING_STATE, state));
    return FALSE;
  }
  if (type == GST_RTC_SDP_TYPE_ROLLBACK)
    return apply_rollback (bin, remote, next);

  if (own_sdp != NULL)
    sdp = own_sdp;
  if (sdp == NULL || *sdp == '\0') {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "no SDP given, and no %s was created to set implicitly",
        gst_rtc_sdp_type_to_string (type));
    return FALSE;
  }
  desc = gst_rtc_session_description_parse (type, sdp, error);
  g_free (own_sdp);
  if (desc == NULL) {
    g_prefix_error (error, "invalid %s %s: ", remote ? "remote" : "local",
        gst_rtc_sdp_type_to_string (type));
    return FALSE;
  }
  if (desc->media == NULL || desc->media->len == 0) {
    gst_rtc_session_description_free (desc);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the %s %s has no m-line", remote ? "remote" : "local",
        gst_rtc_sdp_type_to_string (type));
    return FALSE;
  }

  RTC_BIN_LOCK (bin);
  if (remote) {
    ok = validate_remote_locked (bin, desc, error);
  } else if (type != GST_RTC_SDP_TYPE_OFFER && bin->pending_remote != NULL) {
    ok = gst_rtc_sdp_validate_answer (bin->pending_remote, desc, error);
  } else {
    ok = TRUE;
  }
  RTC_BIN_UNLOCK (bin);
  if (!ok) {
    gst_rtc_session_description_free (desc);
    return FALSE;
  }

  if (type == GST_RTC_SDP_TYPE_OFFER)
    ok = remote ? apply_remote_offer (bin, desc, next, error) :
        apply_local_offer (bin, desc, next, error);
  else
    ok = apply_answer (bin, desc, remote, next, error);
  if (!ok)
    gst_rtc_session_description_free (desc);
  return ok;
}

static gboolean
rtc_bin_add_candidate (GstRtcBin * bin, guint mline, const gchar * mid,
    const gchar * candidate, GError ** error)
{
  const GstRtcSessionDescription *remote;
  GstRtcTransceiver *transceiver;
  RtcTransportEntry *entry = NULL;
  gboolean ok;
  guint i;

  if (!rtc_bin_check_not_closed (bin, error))
    return FALSE;
  if (candidate != NULL && strlen (candidate) > 1024) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "a candidate of %" G_GSIZE_FORMAT " bytes is not a candidate",
        strlen (candidate));
    return FALSE;
  }

  RTC_BIN_LOCK (bin);
  remote = bin->pending_remote ? bin->pending_remote : bin->current_remote;
  if (remote == NULL) {
    EarlyCandidate *early;

    /* The offer and the candidates take different paths; keep the
     * candidates until the description arrives, as webrtcbin does. */
    if (bin->early_candidates->len >= RTC_BIN_MAX_EARLY_CANDIDATES) {
      RTC_BIN_UNLOCK (bin);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
          "more than %u candidates before the remote description",
          RTC_BIN_MAX_EARLY_CANDIDATES);
      return FALSE;
    }
    early = g_new0 (EarlyCandidate, 1);
    early->mline = mline;
    early->mid = g_strdup (mid);
    early->candidate = g_strdup (candidate);
    g_ptr_array_add (bin->early_candidates, early);
    RTC_BIN_UNLOCK (bin);
    GST_DEBUG_OBJECT (bin, "candidate kept until the remote description");
    return TRUE;
  }

  if (mid != NULL && *mid != '\0') {
    for (i = 0; i < remote->media->len; i++) {
      const GstRtcMediaDescription *media = g_ptr_array_index (remote->media,
          i);

      if (g_strcmp0 (media->mid, mid) == 0)
        break;
    }
    if (i == remote->media->len) {
      RTC_BIN_UNLOCK (bin);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
          "no m-line has mid '%s'", mid);
      return FALSE;
    }
    mline = i;
  } else if (mline >= remote->media->len) {
    guint n = remote->media->len;

    RTC_BIN_UNLOCK (bin);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
        "m-line index %u is out of range: the description has %u", mline, n);
    return FALSE;
  }

  transceiver = rtc_bin_find_transceiver_by_mline (bin, mline);
  if (transceiver != NULL && transceiver->priv.entry != NULL
      && (transceiver->priv.entry->tag_mline == mline
          || transceiver->priv.entry->remote_tag_mline == mline))
    entry = rtc_transport_entry_ref (transceiver->priv.entry);
  RTC_BIN_UNLOCK (bin);

  if (entry == NULL) {
    /* a rejected m-line, or one bundled on another m-line's transport */
    GST_DEBUG_OBJECT (bin, "candidate for m-line %u ignored", mline);
    if (candidate != NULL && *candidate != '\0') {
      GstRtcIceCandidateInfo info;

      /* ignored, but a malformed one is still an error */
      return gst_rtc_ice_candidate_parse (candidate, &info, error);
    }
    return TRUE;
  }
  ok = entry_add_remote_candidate (bin, entry, candidate, error);
  rtc_transport_entry_unref (entry);
  return ok;
}

/* ======================================================================== */
/* Closing                                                                  */
/* ======================================================================== */

/* W3C close(): every transport is closed, the states are "closed". */
static void
rtc_bin_close (GstRtcBin * bin)
{
  GPtrArray *entries;
  gboolean notify = FALSE;
  guint i;

  RTC_BIN_LOCK (bin);
  if (bin->closed) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  bin->closed = TRUE;
  set_signaling_state_locked (bin, GST_RTC_SIGNALING_STATE_CLOSED, &notify);
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtc_transport_entry_unref);
  for (i = 0; i < bin->entries->len; i++)
    g_ptr_array_add (entries,
        rtc_transport_entry_ref (g_ptr_array_index (bin->entries, i)));
  RTC_BIN_UNLOCK (bin);

  GST_INFO_OBJECT (bin, "closing");
  for (i = 0; i < entries->len; i++)
    rtc_transport_entry_close (bin, g_ptr_array_index (entries, i));
  g_ptr_array_unref (entries);
  rtc_bin_update_states (bin);
  if (notify)
    g_object_notify_by_pspec (G_OBJECT (bin), properties[PROP_SIGNALING_STATE]);
}

/* ======================================================================== */
/* Pads                                                                     */
/* ======================================================================== */

static GstPadProbeReturn
sink_pad_event_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstRtcTransceiver *transceiver = RTC_BIN_PAD (pad)->transceiver;
  GstRtcBin *bin;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  bin = g_weak_ref_get (&transceiver->bin);
  if (bin == NULL)
    return GST_PAD_PROBE_OK;

  gst_event_parse_caps (event, &caps);
  GST_DEBUG_OBJECT (bin, "%s sends %" GST_PTR_FORMAT, GST_PAD_NAME (pad),
      caps);
  RTC_BIN_LOCK (bin);
  gst_caps_replace (&transceiver->priv.sink_caps, caps);
  RTC_BIN_UNLOCK (bin);
  GST_OBJECT_LOCK (transceiver);
  if (!transceiver->kind_known && kind_from_caps (caps,
          &transceiver->kind))
    transceiver->kind_known = TRUE;
  GST_OBJECT_UNLOCK (transceiver);
  rtc_bin_media_update_send_pt (bin, transceiver);
  rtc_bin_media_configure (bin, transceiver);
  gst_object_unref (bin);
  return GST_PAD_PROBE_OK;
}

static gboolean
pad_name_taken (GstElement * element, const gchar * name)
{
  GstPad *pad = gst_element_get_static_pad (element, name);

  if (pad == NULL)
    return FALSE;
  gst_object_unref (pad);
  return TRUE;
}

/* The transceiver a new sink pad sends for: the one of m-line N for
 * "sink_N" if it is free, else a free one that fits the caps (a
 * transceiver made by a remote offer only when caps are given), else a
 * new sendrecv one. Lock held. */
static GstRtcTransceiver *
transceiver_for_sink_pad_locked (GstRtcBin * bin, const gchar * name,
    const GstCaps * caps, gboolean * created)
{
  GstRtcTransceiver *found = NULL;
  GstRtcMediaKind kind;
  gboolean have_kind = kind_from_caps (caps, &kind);
  guint n, i;

  *created = FALSE;
  if (name != NULL && sscanf (name, "sink_%u", &n) == 1) {
    GstRtcTransceiver *transceiver = rtc_bin_find_transceiver_by_mline (bin,
        n);

    if (transceiver != NULL && transceiver->priv.sink_pad == NULL
        && !transceiver->stopped)
      found = transceiver;
  }
  for (i = 0; found == NULL && i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);
    gboolean fits;

    if (transceiver->priv.sink_pad != NULL)
      continue;
    GST_OBJECT_LOCK (transceiver);
    fits = !transceiver->stopped;
    if (fits && have_kind)
      fits = !transceiver->kind_known || transceiver->kind == kind;
    else if (fits)
      fits = direction_sends (transceiver->direction);
    GST_OBJECT_UNLOCK (transceiver);
    if (fits)
      found = transceiver;
  }
  if (found == NULL) {
    found = rtc_bin_new_transceiver_locked (bin, GST_RTC_DIRECTION_SENDRECV,
        NULL);
    *created = TRUE;
  }
  GST_OBJECT_LOCK (found);
  /* W3C addTrack(): the transceiver now sends as well */
  if (found->direction == GST_RTC_DIRECTION_RECVONLY)
    found->direction = GST_RTC_DIRECTION_SENDRECV;
  else if (found->direction == GST_RTC_DIRECTION_INACTIVE)
    found->direction = GST_RTC_DIRECTION_SENDONLY;
  if (!found->kind_known && have_kind) {
    found->kind = kind;
    found->kind_known = TRUE;
  }
  GST_OBJECT_UNLOCK (found);
  return found;
}

static GstPad *
gst_rtc_bin_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstRtcBin *bin = GST_RTC_BIN (element);
  GstRtcTransceiver *transceiver;
  GstPad *pad;
  gboolean created;
  gchar *pad_name;

  if (templ->direction != GST_PAD_SINK
      || g_strcmp0 (templ->name_template, "sink_%u") != 0)
    return NULL;

  RTC_BIN_LOCK (bin);
  if (bin->closed) {
    RTC_BIN_UNLOCK (bin);
    GST_WARNING_OBJECT (bin, "closed: no new pad");
    return NULL;
  }
  transceiver = transceiver_for_sink_pad_locked (bin, name, caps, &created);
  if (name != NULL && g_strcmp0 (name, "sink_%u") != 0
      && !pad_name_taken (element, name)) {
    pad_name = g_strdup (name);
  } else {
    do {
      pad_name = g_strdup_printf ("sink_%u", bin->next_sink_pad++);
      if (!pad_name_taken (element, pad_name))
        break;
      g_free (pad_name);
    } while (TRUE);
  }
  pad = rtc_bin_pad_new (pad_name, GST_PAD_SINK, templ, transceiver);
  g_free (pad_name);
  transceiver->priv.sink_pad = pad;
  RTC_BIN_UNLOCK (bin);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      sink_pad_event_probe, NULL, NULL);
  if (!gst_element_add_pad (element, pad)) {
    RTC_BIN_LOCK (bin);
    transceiver->priv.sink_pad = NULL;
    RTC_BIN_UNLOCK (bin);
    return NULL;
  }
  rtc_bin_media_link_send (bin, transceiver);
  GST_DEBUG_OBJECT (bin, "%s sends for %s", GST_PAD_NAME (pad),
      GST_OBJECT_NAME (transceiver));
  if (created)
    g_signal_emit (bin, signals[SIGNAL_ON_NEW_TRANSCEIVER], 0, transceiver);
  g_object_notify_by_pspec (G_OBJECT (transceiver),
      transceiver_properties[TRANSCEIVER_PROP_DIRECTION]);
  rtc_bin_schedule_negotiation_check (bin);
  return pad;
}

static void
gst_rtc_bin_release_pad (GstElement * element, GstPad * pad)
{
  GstRtcBin *bin = GST_RTC_BIN (element);
  GstRtcTransceiver *transceiver;

  if (!RTC_IS_BIN_PAD (pad) || GST_PAD_DIRECTION (pad) != GST_PAD_SINK)
    return;
  transceiver = gst_object_ref (RTC_BIN_PAD (pad)->transceiver);

  RTC_BIN_LOCK (bin);
  if (transceiver->priv.sink_pad == pad)
    transceiver->priv.sink_pad = NULL;
  gst_clear_caps (&transceiver->priv.sink_caps);
  RTC_BIN_UNLOCK (bin);
  GST_OBJECT_LOCK (transceiver);
  /* W3C removeTrack() */
  if (transceiver->direction == GST_RTC_DIRECTION_SENDRECV)
    transceiver->direction = GST_RTC_DIRECTION_RECVONLY;
  else if (transceiver->direction == GST_RTC_DIRECTION_SENDONLY)
    transceiver->direction = GST_RTC_DIRECTION_INACTIVE;
  GST_OBJECT_UNLOCK (transceiver);

  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  gst_element_remove_pad (element, pad);
  rtc_bin_media_unlink (bin, transceiver, FALSE);
  g_object_notify_by_pspec (G_OBJECT (transceiver),
      transceiver_properties[TRANSCEIVER_PROP_DIRECTION]);
  rtc_bin_schedule_negotiation_check (bin);
  gst_object_unref (transceiver);
}

static gboolean
copy_sticky_event (GstPad * pad, GstEvent ** event, gpointer user_data)
{
  gst_pad_store_sticky_event (GST_PAD (user_data), *event);
  return TRUE;
}

/* Ghosts rtpbin's pad of a received stream as src_%u, with the stream's
 * caps already on it: an application can read them in pad-added, as it
 * can with webrtcbin. */
GstPad *
rtc_bin_add_src_pad (GstRtcBin * bin, GstRtcTransceiver * transceiver,
    GstPad * target)
{
  GstPadTemplate *templ;
  GstPad *pad;
  gchar *name;

  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (bin),
      "src_%u");
  RTC_BIN_LOCK (bin);
  name = g_strdup_printf ("src_%u", bin->next_src_pad++);
  RTC_BIN_UNLOCK (bin);
  pad = rtc_bin_pad_new (name, GST_PAD_SRC, templ, transceiver);
  g_free (name);
  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), target);
  gst_pad_set_active (pad, TRUE);
  gst_pad_sticky_events_foreach (target, copy_sticky_event, pad);
  if (!gst_element_add_pad (GST_ELEMENT (bin), pad)) {
    GST_WARNING_OBJECT (bin, "could not add %" GST_PTR_FORMAT, pad);
    gst_object_unref (pad);
    return NULL;
  }
  GST_INFO_OBJECT (bin, "receiving on %s for %s", GST_PAD_NAME (pad),
      GST_OBJECT_NAME (transceiver));
  return pad;
}

/* ======================================================================== */
/* Element                                                                  */
/* ======================================================================== */

static GstStateChangeReturn
gst_rtc_bin_change_state (GstElement * element, GstStateChange transition)
{
  GstRtcBin *bin = GST_RTC_BIN (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      rtc_bin_media_start_feeder (bin);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_rtc_bin_parent_class)->change_state (element,
      transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      rtc_bin_schedule_negotiation_check (bin);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      /* we are a live source: what we receive comes when it comes */
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      rtc_bin_media_stop_feeder (bin);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      rtc_bin_close (bin);
      break;
    default:
      break;
  }
  return ret;
}

static gchar *
description_to_string (GstRtcBin * bin, const GstRtcSessionDescription * desc,
    gboolean local)
{
  GstRtcSessionDescription *copy;
  gchar *sdp;
  guint i;

  if (desc == NULL)
    return NULL;
  if (!local)
    return gst_rtc_session_description_to_string (desc);

  /* W3C: a local description grows the candidates gathered since. */
  copy = gst_rtc_session_description_copy (desc);
  for (i = 0; i < copy->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (copy->media, i);
    GstRtcTransceiver *transceiver = rtc_bin_find_transceiver_by_mline (bin,
        i);
    RtcTransportEntry *entry = transceiver ? transceiver->priv.entry : NULL;
    guint j;

    if (entry == NULL || media->rejected || entry->tag_mline != i)
      continue;
    if (media->candidates == NULL)
      media->candidates = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_set_size (media->candidates, 0);
    for (j = 0; j < entry->local_candidates->len; j++)
      g_ptr_array_add (media->candidates,
          g_strdup (g_ptr_array_index (entry->local_candidates, j)));
    media->end_of_candidates = entry->gathering_done;
  }
  sdp = gst_rtc_session_description_to_string (copy);
  gst_rtc_session_description_free (copy);
  return sdp;
}

static void
gst_rtc_bin_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtcBin *bin = GST_RTC_BIN (object);

  RTC_BIN_LOCK (bin);
  switch (prop_id) {
    case PROP_CONNECTION_STATE:
      g_value_set_enum (value, bin->connection_state);
      break;
    case PROP_ICE_CONNECTION_STATE:
      g_value_set_enum (value, bin->ice_connection_state);
      break;
    case PROP_ICE_GATHERING_STATE:
      g_value_set_enum (value, bin->ice_gathering_state);
      break;
    case PROP_SIGNALING_STATE:
      g_value_set_enum (value, bin->signaling_state);
      break;
    case PROP_LOCAL_DESCRIPTION:
      g_value_take_string (value, description_to_string (bin,
              bin->pending_local ? bin->pending_local : bin->current_local,
              TRUE));
      break;
    case PROP_REMOTE_DESCRIPTION:
      g_value_take_string (value, description_to_string (bin,
              bin->pending_remote ? bin->pending_remote : bin->current_remote,
              FALSE));
      break;
    case PROP_CURRENT_LOCAL_DESCRIPTION:
      g_value_take_string (value, description_to_string (bin,
              bin->current_local, TRUE));
      break;
    case PROP_PENDING_LOCAL_DESCRIPTION:
      g_value_take_string (value, description_to_string (bin,
              bin->pending_local, TRUE));
      break;
    case PROP_CURRENT_REMOTE_DESCRIPTION:
      g_value_take_string (value, description_to_string (bin,
              bin->current_remote, FALSE));
      break;
    case PROP_PENDING_REMOTE_DESCRIPTION:
      g_value_take_string (value, description_to_string (bin,
              bin->pending_remote, FALSE));
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, bin->stun_server);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, bin->turn_server);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      g_value_set_enum (value, bin->ice_transport_policy);
      break;
    case PROP_BUNDLE_POLICY:
      g_value_set_enum (value, bin->bundle_policy);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, bin->latency);
      break;
    case PROP_CERTIFICATE:
      g_value_set_object (value, bin->certificate);
      break;
    case PROP_ICE_AGENT:
      g_value_set_object (value, bin->agent);
      break;
    case PROP_MID_EXTENSION:
      g_value_set_boolean (value, bin->mid_extension);
      break;
    case PROP_CONGESTION_CONTROL:
      g_value_set_boolean (value, bin->congestion_control);
      break;
    case PROP_START_BITRATE:
      g_value_set_uint (value, bin->start_bitrate);
      break;
    case PROP_MIN_BITRATE:
      g_value_set_uint (value, bin->min_bitrate);
      break;
    case PROP_MAX_BITRATE:
      g_value_set_uint (value, bin->max_bitrate);
      break;
    case PROP_FEC:
      g_value_set_boolean (value, bin->fec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  RTC_BIN_UNLOCK (bin);
}

static void
gst_rtc_bin_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcBin *bin = GST_RTC_BIN (object);
  GError *error = NULL;

  switch (prop_id) {
    case PROP_STUN_SERVER:{
      const gchar *uri = g_value_get_string (value);

      if (!gst_rtc_ice_agent_set_stun_server (bin->agent, uri, &error)) {
        GST_WARNING_OBJECT (bin, "STUN server refused: %s", error->message);
        g_clear_error (&error);
        break;
      }
      RTC_BIN_LOCK (bin);
      g_free (bin->stun_server);
      bin->stun_server = g_strdup (uri);
      RTC_BIN_UNLOCK (bin);
      break;
    }
    case PROP_TURN_SERVER:{
      const gchar *uri = g_value_get_string (value);

      gst_rtc_ice_agent_clear_turn_servers (bin->agent);
      if (uri != NULL && *uri != '\0'
          && !gst_rtc_ice_agent_add_turn_server (bin->agent, uri, &error)) {
        GST_WARNING_OBJECT (bin, "TURN server refused: %s", error->message);
        g_clear_error (&error);
        uri = NULL;
      }
      RTC_BIN_LOCK (bin);
      g_free (bin->turn_server);
      bin->turn_server = g_strdup (uri);
      RTC_BIN_UNLOCK (bin);
      break;
    }
    case PROP_ICE_TRANSPORT_POLICY:
      RTC_BIN_LOCK (bin);
      bin->ice_transport_policy = g_value_get_enum (value);
      RTC_BIN_UNLOCK (bin);
      g_object_set (bin->agent, "ice-transport-policy",
          g_value_get_enum (value), NULL);
      break;
    case PROP_BUNDLE_POLICY:
      RTC_BIN_LOCK (bin);
      bin->bundle_policy = g_value_get_enum (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_LATENCY:
      RTC_BIN_LOCK (bin);
      bin->latency = g_value_get_uint (value);
      RTC_BIN_UNLOCK (bin);
      g_object_set (bin->rtpbin, "latency", g_value_get_uint (value), NULL);
      break;
    case PROP_CERTIFICATE:
      RTC_BIN_LOCK (bin);
      if (bin->entries->len > 0) {
        RTC_BIN_UNLOCK (bin);
        GST_WARNING_OBJECT (bin, "the certificate cannot change once a "
            "transport exists");
        break;
      }
      g_clear_object (&bin->certificate);
      bin->certificate = g_value_dup_object (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_MID_EXTENSION:
      RTC_BIN_LOCK (bin);
      bin->mid_extension = g_value_get_boolean (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_CONGESTION_CONTROL:
      RTC_BIN_LOCK (bin);
      bin->congestion_control = g_value_get_boolean (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_START_BITRATE:
      RTC_BIN_LOCK (bin);
      bin->start_bitrate = g_value_get_uint (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_MIN_BITRATE:
      RTC_BIN_LOCK (bin);
      bin->min_bitrate = g_value_get_uint (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_MAX_BITRATE:
      RTC_BIN_LOCK (bin);
      bin->max_bitrate = g_value_get_uint (value);
      RTC_BIN_UNLOCK (bin);
      break;
    case PROP_FEC:
      RTC_BIN_LOCK (bin);
      bin->fec = g_value_get_boolean (value);
      RTC_BIN_UNLOCK (bin);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_bin_dispose (GObject * object)
{
  GstRtcBin *bin = GST_RTC_BIN (object);
  GPtrArray *transceivers;
  guint i;

  rtc_bin_close (bin);
  rtc_bin_media_stop_feeder (bin);

  RTC_BIN_LOCK (bin);
  transceivers = bin->transceivers;
  bin->transceivers = g_ptr_array_new ();
  g_ptr_array_set_size (bin->mlines, 0);
  RTC_BIN_UNLOCK (bin);
  for (i = 0; i < transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (transceivers, i);

    rtc_bin_media_unlink (bin, transceiver, TRUE);
    RTC_BIN_LOCK (bin);
    g_clear_pointer (&transceiver->priv.entry, rtc_transport_entry_unref);
    RTC_BIN_UNLOCK (bin);
    gst_object_unparent (GST_OBJECT (transceiver));
  }
  g_ptr_array_unref (transceivers);

  RTC_BIN_LOCK (bin);
  g_ptr_array_set_size (bin->entries, 0);
  RTC_BIN_UNLOCK (bin);

  G_OBJECT_CLASS (gst_rtc_bin_parent_class)->dispose (object);
}

static void
gst_rtc_bin_finalize (GObject * object)
{
  GstRtcBin *bin = GST_RTC_BIN (object);

  gst_clear_object (&bin->agent);
  g_clear_object (&bin->certificate);
  g_ptr_array_unref (bin->transceivers);
  g_ptr_array_unref (bin->entries);
  g_ptr_array_unref (bin->mlines);
  g_ptr_array_unref (bin->early_candidates);
  g_clear_pointer (&bin->current_local, gst_rtc_session_description_free);
  g_clear_pointer (&bin->pending_local, gst_rtc_session_description_free);
  g_clear_pointer (&bin->current_remote, gst_rtc_session_description_free);
  g_clear_pointer (&bin->pending_remote, gst_rtc_session_description_free);
  g_free (bin->last_offer);
  g_free (bin->last_answer);
  g_free (bin->cname);
  g_free (bin->stream_id);
  g_free (bin->session_id);
  g_free (bin->stun_server);
  g_free (bin->turn_server);
  g_queue_clear_full (&bin->ops, (GDestroyNotify) op_free);
  g_mutex_clear (&bin->ops_lock);
  g_queue_clear (&bin->feed);
  g_mutex_clear (&bin->feed_lock);
  g_cond_clear (&bin->feed_cond);
  g_rec_mutex_clear (&bin->feed_task_lock);
  gst_clear_object (&bin->feed_task);
  g_mutex_clear (&bin->lock);

  G_OBJECT_CLASS (gst_rtc_bin_parent_class)->finalize (object);
}

/* ---- action signal handlers: thin wrappers over the operations ---- */

static void
action_create_offer (GstRtcBin * bin, GstStructure * options,
    GstPromise * promise)
{
  Op *op = op_new (OP_CREATE_OFFER);

  op->options = options ? gst_structure_copy (options) : NULL;
  op->promise = promise ? gst_promise_ref (promise) : NULL;
  rtc_bin_enqueue (bin, op);
}

static void
action_create_answer (GstRtcBin * bin, GstStructure * options,
    GstPromise * promise)
{
  Op *op = op_new (OP_CREATE_ANSWER);

  op->options = options ? gst_structure_copy (options) : NULL;
  op->promise = promise ? gst_promise_ref (promise) : NULL;
  rtc_bin_enqueue (bin, op);
}

static void
action_set_description (GstRtcBin * bin, OpType type, const gchar * type_name,
    const gchar * sdp, GstPromise * promise)
{
  GstRtcSdpType sdp_type;
  Op *op;

  if (type_name == NULL || !gst_rtc_sdp_type_from_string (type_name,
          &sdp_type)) {
    GError *error = g_error_new (GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "'%s' is not a description type: offer, pranswer, answer or rollback",
        type_name ? type_name : "(null)");

    if (promise != NULL)
      gst_promise_reply (promise, reply_for_error (error));
    g_error_free (error);
    return;
  }
  op = op_new (type);
  op->sdp_type = sdp_type;
  op->sdp = g_strdup (sdp);
  op->promise = promise ? gst_promise_ref (promise) : NULL;
  rtc_bin_enqueue (bin, op);
}

static void
action_set_local_description (GstRtcBin * bin, const gchar * type,
    const gchar * sdp, GstPromise * promise)
{
  action_set_description (bin, OP_SET_LOCAL, type, sdp, promise);
}

static void
action_set_remote_description (GstRtcBin * bin, const gchar * type,
    const gchar * sdp, GstPromise * promise)
{
  action_set_description (bin, OP_SET_REMOTE, type, sdp, promise);
}

static void
action_add_ice_candidate_full (GstRtcBin * bin, guint mline,
    const gchar * mid, const gchar * candidate, GstPromise * promise)
{
  Op *op = op_new (OP_ADD_CANDIDATE);

  op->mline = mline;
  op->mid = g_strdup (mid);
  op->candidate = g_strdup (candidate);
  op->promise = promise ? gst_promise_ref (promise) : NULL;
  rtc_bin_enqueue (bin, op);
}

static void
action_add_ice_candidate (GstRtcBin * bin, guint mline,
    const gchar * candidate)
{
  action_add_ice_candidate_full (bin, mline, NULL, candidate, NULL);
}

static gboolean
action_add_turn_server (GstRtcBin * bin, const gchar * uri)
{
  GError *error = NULL;

  if (!gst_rtc_bin_add_turn_server (bin, uri, &error)) {
    GST_WARNING_OBJECT (bin, "TURN server refused: %s", error->message);
    g_clear_error (&error);
    return FALSE;
  }
  return TRUE;
}

static GstRtcTransceiver *
action_add_transceiver (GstRtcBin * bin, GstRtcDirection direction,
    GstCaps * caps)
{
  return gst_rtc_bin_add_transceiver (bin, direction, caps);
}

static GArray *
action_get_transceivers (GstRtcBin * bin)
{
  GArray *array = g_array_new (FALSE, FALSE, sizeof (GstRtcTransceiver *));
  GPtrArray *transceivers = gst_rtc_bin_get_transceivers (bin);
  guint i;

  g_array_set_clear_func (array, (GDestroyNotify) gst_clear_object);
  for (i = 0; i < transceivers->len; i++) {
    GstRtcTransceiver *transceiver =
        gst_object_ref (g_ptr_array_index (transceivers, i));

    g_array_append_val (array, transceiver);
  }
  g_ptr_array_unref (transceivers);
  return array;
}

static GstRtcTransceiver *
action_get_transceiver (GstRtcBin * bin, gint index)
{
  GstRtcTransceiver *transceiver = NULL;

  RTC_BIN_LOCK (bin);
  if (index >= 0 && (guint) index < bin->transceivers->len)
    transceiver = gst_object_ref (g_ptr_array_index (bin->transceivers,
            index));
  RTC_BIN_UNLOCK (bin);
  return transceiver;
}

static void
action_get_stats (GstRtcBin * bin, GstPromise * promise)
{
  GstStructure *stats = gst_rtc_bin_get_stats (bin);

  if (promise != NULL)
    gst_promise_reply (promise, stats);
  else
    gst_structure_free (stats);
}

static void
gst_rtc_bin_class_init (GstRtcBinClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->dispose = gst_rtc_bin_dispose;
  gobject_class->finalize = gst_rtc_bin_finalize;
  gobject_class->get_property = gst_rtc_bin_get_property;
  gobject_class->set_property = gst_rtc_bin_set_property;

  element_class->request_new_pad = gst_rtc_bin_request_new_pad;
  element_class->release_pad = gst_rtc_bin_release_pad;
  element_class->change_state = gst_rtc_bin_change_state;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "WebRTC peer connection", "Filter/Network/WebRTC",
      "One WebRTC peer connection: offer/answer, ICE, DTLS-SRTP, RTP",
      "gst-rtc developers");

  /**
   * GstRtcBin:connection-state:
   *
   * The W3C RTCPeerConnectionState, over all transports in use. Notified
   * from the ICE worker thread.
   */
  properties[PROP_CONNECTION_STATE] =
      g_param_spec_enum ("connection-state", "Connection state",
      "The peer connection state", GST_RTC_TYPE_PEER_CONNECTION_STATE,
      GST_RTC_PEER_CONNECTION_STATE_NEW,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:ice-connection-state:
   *
   * The W3C RTCIceConnectionState, over all ICE streams in use.
   */
  properties[PROP_ICE_CONNECTION_STATE] =
      g_param_spec_enum ("ice-connection-state", "ICE connection state",
      "The ICE connection state", GST_RTC_TYPE_ICE_STATE,
      GST_RTC_ICE_STATE_NEW, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:ice-gathering-state:
   *
   * The W3C RTCIceGatheringState. When it becomes complete, every local
   * candidate was emitted with #GstRtcBin::on-ice-candidate; descriptions
   * created from then on carry a=end-of-candidates.
   */
  properties[PROP_ICE_GATHERING_STATE] =
      g_param_spec_enum ("ice-gathering-state", "ICE gathering state",
      "The ICE gathering state", GST_RTC_TYPE_ICE_GATHERING_STATE,
      GST_RTC_ICE_GATHERING_STATE_NEW,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:signaling-state:
   *
   * The W3C RTCSignalingState.
   */
  properties[PROP_SIGNALING_STATE] =
      g_param_spec_enum ("signaling-state", "Signaling state",
      "The signaling state", GST_RTC_TYPE_SIGNALING_STATE,
      GST_RTC_SIGNALING_STATE_STABLE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:local-description:
   *
   * The SDP of the pending local description if there is one, else of the
   * current one, with the candidates gathered so far.
   */
  properties[PROP_LOCAL_DESCRIPTION] =
      g_param_spec_string ("local-description", "Local description",
      "The local description, pending or current", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:remote-description:
   *
   * The SDP of the pending remote description if there is one, else of
   * the current one (as we understood it: written from our model).
   */
  properties[PROP_REMOTE_DESCRIPTION] =
      g_param_spec_string ("remote-description", "Remote description",
      "The remote description, pending or current", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:current-local-description:
   *
   * The local description of the last completed negotiation.
   */
  properties[PROP_CURRENT_LOCAL_DESCRIPTION] =
      g_param_spec_string ("current-local-description",
      "Current local description", "The negotiated local description", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:pending-local-description:
   *
   * The local description of a negotiation under way.
   */
  properties[PROP_PENDING_LOCAL_DESCRIPTION] =
      g_param_spec_string ("pending-local-description",
      "Pending local description", "The local description being negotiated",
      NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:current-remote-description:
   *
   * The remote description of the last completed negotiation.
   */
  properties[PROP_CURRENT_REMOTE_DESCRIPTION] =
      g_param_spec_string ("current-remote-description",
      "Current remote description", "The negotiated remote description",
      NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:pending-remote-description:
   *
   * The remote description of a negotiation under way.
   */
  properties[PROP_PENDING_REMOTE_DESCRIPTION] =
      g_param_spec_string ("pending-remote-description",
      "Pending remote description",
      "The remote description being negotiated", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:stun-server:
   *
   * The STUN server, `stun://host:port`. None by default: nothing is
   * contacted unless you say so.
   */
  properties[PROP_STUN_SERVER] =
      g_param_spec_string ("stun-server", "STUN server",
      "The STUN server, stun://host:port", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:turn-server:
   *
   * One TURN server, `turn://user:password@host:port` (replaces those set
   * before; #GstRtcBin::add-turn-server adds more).
   */
  properties[PROP_TURN_SERVER] =
      g_param_spec_string ("turn-server", "TURN server",
      "The TURN server, turn://user:password@host:port", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:ice-transport-policy:
   *
   * Which candidates to use: all, or relayed ones only.
   */
  properties[PROP_ICE_TRANSPORT_POLICY] =
      g_param_spec_enum ("ice-transport-policy", "ICE transport policy",
      "Which candidates to use", GST_RTC_TYPE_ICE_TRANSPORT_POLICY,
      DEFAULT_ICE_TRANSPORT_POLICY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:bundle-policy:
   *
   * The W3C RTCBundlePolicy. Our own offers always put every m-line in one
   * BUNDLE group on one transport, whatever the policy; an offer that
   * bundles nothing is answered with one transport per m-line.
   */
  properties[PROP_BUNDLE_POLICY] =
      g_param_spec_enum ("bundle-policy", "Bundle policy",
      "The bundle policy", GST_RTC_TYPE_BUNDLE_POLICY,
      DEFAULT_BUNDLE_POLICY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:latency:
   *
   * The jitterbuffer latency of received streams, in milliseconds. The
   * default, 100 ms, leaves room for one retransmission on most paths;
   * set 0 to 50 on a LAN for the lowest delay.
   */
  properties[PROP_LATENCY] =
      g_param_spec_uint ("latency", "Latency",
      "Jitterbuffer latency of received streams, in ms", 0, G_MAXUINT,
      DEFAULT_LATENCY, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:certificate:
   *
   * Our DTLS certificate; one is generated when none is set before the
   * first transport is made.
   */
  properties[PROP_CERTIFICATE] =
      g_param_spec_object ("certificate", "Certificate",
      "Our DTLS certificate", GST_RTC_TYPE_CERTIFICATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:ice-agent:
   *
   * The ICE agent, to set what rtcbin does not expose (its `nice-agent`,
   * port ranges, timeouts).
   */
  properties[PROP_ICE_AGENT] =
      g_param_spec_object ("ice-agent", "ICE agent", "The ICE agent",
      GST_RTC_TYPE_ICE_AGENT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:mid-extension:
   *
   * Whether to write the negotiated MID header extension
   * (`urn:ietf:params:rtp-hdrext:sdes:mid`) into every RTP packet we
   * send. Turn it off only to imitate a peer that identifies its streams
   * by `a=ssrc` alone (tests).
   */
  properties[PROP_MID_EXTENSION] =
      g_param_spec_boolean ("mid-extension", "MID extension",
      "Write the MID RTP header extension into sent packets",
      DEFAULT_MID_EXTENSION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:congestion-control:
   *
   * Whether the send-side bandwidth estimate (Google Congestion Control
   * over transport-wide-cc feedback, or the peer's REMB) drives the
   * encoders upstream of the `sink_%u` pads: vp8enc and vp9enc
   * `target-bitrate`, x264enc `bitrate` (kbit/s), openh264enc `bitrate`,
   * and any other encoder with a `bitrate` or `target-bitrate` property in
   * bit/s. Audio encoders are left alone; video gets the estimate minus
   * what the audio senders use, shared equally. Each change is also posted
   * as an `rtcbin-bandwidth` element message. Applies to transports made
   * after it is set.
   */
  properties[PROP_CONGESTION_CONTROL] =
      g_param_spec_boolean ("congestion-control", "Congestion control",
      "Adapt the encoders' bitrates to the estimated available bandwidth",
      DEFAULT_CONGESTION_CONTROL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:start-bitrate:
   *
   * The first estimate (bit/s), until feedback says more.
   */
  properties[PROP_START_BITRATE] =
      g_param_spec_uint ("start-bitrate", "Start bitrate",
      "First bandwidth estimate (bit/s)", 10000, G_MAXINT,
      DEFAULT_START_BITRATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:min-bitrate:
   *
   * The estimate never goes below this (bit/s).
   */
  properties[PROP_MIN_BITRATE] =
      g_param_spec_uint ("min-bitrate", "Minimum bitrate",
      "Lowest bandwidth estimate (bit/s)", 10000, G_MAXINT,
      DEFAULT_MIN_BITRATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:max-bitrate:
   *
   * The estimate never goes above this (bit/s).
   */
  properties[PROP_MAX_BITRATE] =
      g_param_spec_uint ("max-bitrate", "Maximum bitrate",
      "Highest bandwidth estimate (bit/s)", 10000, G_MAXINT,
      DEFAULT_MAX_BITRATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcBin:fec:
   *
   * Whether video m-lines offer and accept RED with ULPFEC (RFC 2198,
   * RFC 5109). When the peer takes them, what we send is wrapped in RED,
   * and ULPFEC packets are added only while the loss the congestion
   * controller measures calls for them (more than 2 %; off again after
   * loss stayed under 1 % for a few seconds); what the peer sends in RED
   * is unwrapped and repaired. Set it before requesting pads: rtpbin's
   * FEC encoder and RED decoder are made with the pads (changed later, it
   * only changes what descriptions offer and accept).
   */
  properties[PROP_FEC] =
      g_param_spec_boolean ("fec", "FEC",
      "Negotiate RED+ULPFEC on video and send FEC when loss calls for it",
      DEFAULT_FEC, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);

  /**
   * GstRtcBin::create-offer:
   * @bin: the rtcbin
   * @options: (nullable): options: `ice-restart` (boolean) TRUE restarts
   *   ICE with new credentials (W3C restartIce())
   * @promise: (nullable): replied with `type` = "offer" and `sdp` fields,
   *   or an `error` field
   *
   * Creates an offer (W3C createOffer). See
   * gst_rtc_bin_create_offer_async().
   */
  signals[SIGNAL_CREATE_OFFER] =
      g_signal_new_class_handler ("create-offer", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (action_create_offer),
      NULL, NULL, NULL, G_TYPE_NONE, 2, gst_structure_get_type (), GST_TYPE_PROMISE);

  /**
   * GstRtcBin::create-answer:
   * @bin: the rtcbin
   * @options: (nullable): options (none are supported yet)
   * @promise: (nullable): replied with `type` = "answer" and `sdp` fields,
   *   or an `error` field
   *
   * Creates an answer to the remote offer (W3C createAnswer).
   */
  signals[SIGNAL_CREATE_ANSWER] =
      g_signal_new_class_handler ("create-answer", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (action_create_answer),
      NULL, NULL, NULL, G_TYPE_NONE, 2, gst_structure_get_type (), GST_TYPE_PROMISE);

  /**
   * GstRtcBin::set-local-description:
   * @bin: the rtcbin
   * @type: "offer", "pranswer", "answer" or "rollback"
   * @sdp: (nullable): the SDP; %NULL or "" for the last one created
   * @promise: (nullable): replied with an empty structure, or one with an
   *   `error` field
   *
   * W3C setLocalDescription. Gathering starts here.
   */
  signals[SIGNAL_SET_LOCAL_DESCRIPTION] =
      g_signal_new_class_handler ("set-local-description",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_set_local_description), NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, GST_TYPE_PROMISE);

  /**
   * GstRtcBin::set-remote-description:
   * @bin: the rtcbin
   * @type: "offer", "pranswer", "answer" or "rollback"
   * @sdp: the SDP
   * @promise: (nullable): replied with an empty structure, or one with an
   *   `error` field
   *
   * W3C setRemoteDescription.
   */
  signals[SIGNAL_SET_REMOTE_DESCRIPTION] =
      g_signal_new_class_handler ("set-remote-description",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_set_remote_description), NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, GST_TYPE_PROMISE);

  /**
   * GstRtcBin::add-ice-candidate:
   * @bin: the rtcbin
   * @mline_index: the m-line the candidate is for
   * @candidate: (nullable): `candidate:...` (with or without `a=`); %NULL
   *   or "" for end-of-candidates
   *
   * Adds a remote candidate (trickle ICE). Errors are only logged: use
   * #GstRtcBin::add-ice-candidate-full to see them.
   */
  signals[SIGNAL_ADD_ICE_CANDIDATE] =
      g_signal_new_class_handler ("add-ice-candidate",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_add_ice_candidate), NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * GstRtcBin::add-ice-candidate-full:
   * @bin: the rtcbin
   * @mline_index: the m-line the candidate is for, used when @mid is %NULL
   * @mid: (nullable): the mid of the m-line
   * @candidate: (nullable): `candidate:...`; %NULL or "" for
   *   end-of-candidates
   * @promise: (nullable): replied with an empty structure, or one with an
   *   `error` field naming what is wrong with the candidate
   *
   * W3C addIceCandidate.
   */
  signals[SIGNAL_ADD_ICE_CANDIDATE_FULL] =
      g_signal_new_class_handler ("add-ice-candidate-full",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_add_ice_candidate_full), NULL, NULL, NULL,
      G_TYPE_NONE, 4, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING,
      GST_TYPE_PROMISE);

  /**
   * GstRtcBin::add-turn-server:
   * @bin: the rtcbin
   * @uri: `turn://user:password@host:port`
   *
   * Adds a TURN server, for transports that gather from now on.
   *
   * Returns: %TRUE if @uri was taken
   */
  signals[SIGNAL_ADD_TURN_SERVER] =
      g_signal_new_class_handler ("add-turn-server",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_add_turn_server), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  /**
   * GstRtcBin::add-transceiver:
   * @bin: the rtcbin
   * @direction: the direction we want
   * @codec_preferences: (nullable): RTP caps of the codecs to offer
   *
   * W3C addTransceiver.
   *
   * Returns: (transfer full): the new transceiver
   */
  signals[SIGNAL_ADD_TRANSCEIVER] =
      g_signal_new_class_handler ("add-transceiver",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_add_transceiver), NULL, NULL, NULL,
      GST_RTC_TYPE_TRANSCEIVER, 2, GST_RTC_TYPE_DIRECTION, gst_caps_get_type ());

  /**
   * GstRtcBin::get-transceivers:
   * @bin: the rtcbin
   *
   * Lists the transceivers (W3C getTransceivers).
   *
   * Returns: (transfer full) (element-type GstRtcTransceiver): the
   *   transceivers, in creation order (a #GArray of pointers, as
   *   webrtcbin's)
   */
  signals[SIGNAL_GET_TRANSCEIVERS] =
      g_signal_new_class_handler ("get-transceivers",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_get_transceivers), NULL, NULL, NULL,
      G_TYPE_ARRAY, 0);

  /**
   * GstRtcBin::get-transceiver:
   * @bin: the rtcbin
   * @index: the index in creation order
   *
   * The transceiver of that index, as webrtcbin's action (handier than
   * #GstRtcBin::get-transceivers from Python).
   *
   * Returns: (transfer full) (nullable): the transceiver
   */
  signals[SIGNAL_GET_TRANSCEIVER] =
      g_signal_new_class_handler ("get-transceiver",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (action_get_transceiver), NULL, NULL, NULL,
      GST_RTC_TYPE_TRANSCEIVER, 1, G_TYPE_INT);

  /**
   * GstRtcBin::get-stats:
   * @bin: the rtcbin
   * @promise: replied with the statistics, see gst_rtc_bin_get_stats()
   *
   * W3C getStats.
   */
  signals[SIGNAL_GET_STATS] =
      g_signal_new_class_handler ("get-stats", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (action_get_stats),
      NULL, NULL, NULL, G_TYPE_NONE, 1, GST_TYPE_PROMISE);

  /**
   * GstRtcBin::on-negotiation-needed:
   * @bin: the rtcbin
   *
   * A negotiation is needed: a transceiver or a sink pad was added, a
   * direction changed. Emitted from a thread of a small pool, once the
   * call that changed things has returned, and only while the signaling
   * state is stable and the element at least READY.
   */
  signals[SIGNAL_ON_NEGOTIATION_NEEDED] =
      g_signal_new ("on-negotiation-needed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * GstRtcBin::on-ice-candidate:
   * @bin: the rtcbin
   * @mline_index: the m-line to signal it with (the BUNDLE tag's, 0
   *   normally)
   * @candidate: `candidate:...`, as RTCIceCandidate.candidate
   *
   * A local candidate to send to the peer (trickle ICE). Emitted on the
   * ICE worker thread: do not block in the handler. The end of gathering
   * is #GstRtcBin:ice-gathering-state becoming complete.
   */
  signals[SIGNAL_ON_ICE_CANDIDATE] =
      g_signal_new ("on-ice-candidate", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
      G_TYPE_STRING);

  /**
   * GstRtcBin::on-new-transceiver:
   * @bin: the rtcbin
   * @transceiver: the new transceiver
   *
   * A transceiver was made by a remote offer or a sink pad request.
   */
  signals[SIGNAL_ON_NEW_TRANSCEIVER] =
      g_signal_new ("on-new-transceiver", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
      GST_RTC_TYPE_TRANSCEIVER);

  gst_type_mark_as_plugin_api (GST_RTC_TYPE_TRANSCEIVER, 0);
}

static void
gst_rtc_bin_init (GstRtcBin * bin)
{
  gst_rtc_init ();

  g_mutex_init (&bin->lock);
  g_mutex_init (&bin->ops_lock);
  g_queue_init (&bin->ops);
  g_mutex_init (&bin->feed_lock);
  g_cond_init (&bin->feed_cond);
  g_queue_init (&bin->feed);
  g_rec_mutex_init (&bin->feed_task_lock);
  bin->feed_flushing = TRUE;

  bin->transceivers = g_ptr_array_new_with_free_func (gst_object_unref);
  bin->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtc_transport_entry_unref);
  bin->mlines = g_ptr_array_new ();
  bin->early_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify)
      early_candidate_free);
  bin->signaling_state = GST_RTC_SIGNALING_STATE_STABLE;
  bin->connection_state = GST_RTC_PEER_CONNECTION_STATE_NEW;
  bin->ice_connection_state = GST_RTC_ICE_STATE_NEW;
  bin->ice_gathering_state = GST_RTC_ICE_GATHERING_STATE_NEW;
  bin->bundle_policy = DEFAULT_BUNDLE_POLICY;
  bin->ice_transport_policy = DEFAULT_ICE_TRANSPORT_POLICY;
  bin->latency = DEFAULT_LATENCY;
  bin->mid_extension = DEFAULT_MID_EXTENSION;
  bin->congestion_control = DEFAULT_CONGESTION_CONTROL;
  bin->start_bitrate = DEFAULT_START_BITRATE;
  bin->min_bitrate = DEFAULT_MIN_BITRATE;
  bin->max_bitrate = DEFAULT_MAX_BITRATE;
  bin->fec = DEFAULT_FEC;
  bin->cname = random_token (16);
  bin->stream_id = random_token (16);
  /* RFC 8866: a numeric session id, below 2^63 */
  bin->session_id = g_strdup_printf ("%" G_GUINT64_FORMAT,
      (((guint64) g_random_int () << 32) | g_random_int ()) >> 2);

  bin->agent = gst_rtc_ice_agent_new (NULL);
  rtc_bin_media_setup_rtpbin (bin);
}

/* ======================================================================== */
/* Public API                                                               */
/* ======================================================================== */

/**
 * gst_rtc_bin_new:
 * @name: (nullable): the element name
 *
 * Creates an rtcbin element, as gst_element_factory_make() ("rtcbin", @name)
 * does.
 *
 * Returns: (transfer floating): a new rtcbin
 */
GstElement *
gst_rtc_bin_new (const gchar * name)
{
  return g_object_new (GST_RTC_TYPE_BIN, "name", name, NULL);
}

static void
enqueue_task_op (GstRtcBin * bin, Op * op, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  op->task = g_task_new (bin, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, source_tag);
  rtc_bin_enqueue (bin, op);
}

/**
 * gst_rtc_bin_create_offer_async:
 * @bin: an rtcbin
 * @options: (nullable): options: `ice-restart` (boolean)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result, in the thread-default
 *   main context of the caller
 * @user_data: (closure): data for @callback
 *
 * Creates an offer once the operations asked for before have completed.
 * Finish with gst_rtc_bin_create_offer_finish().
 */
void
gst_rtc_bin_create_offer_async (GstRtcBin * bin, const GstStructure * options,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  Op *op;

  g_return_if_fail (GST_RTC_IS_BIN (bin));

  op = op_new (OP_CREATE_OFFER);
  op->options = options ? gst_structure_copy (options) : NULL;
  enqueue_task_op (bin, op, cancellable, callback, user_data,
      gst_rtc_bin_create_offer_async);
}

/**
 * gst_rtc_bin_create_offer_finish:
 * @bin: an rtcbin
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes gst_rtc_bin_create_offer_async().
 *
 * Returns: (transfer full) (nullable): the offer's SDP, or %NULL with
 *   @error set
 */
gchar *
gst_rtc_bin_create_offer_finish (GstRtcBin * bin, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, bin), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * gst_rtc_bin_create_answer_async:
 * @bin: an rtcbin
 * @options: (nullable): options (none supported yet)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result, in the thread-default
 *   main context of the caller
 * @user_data: (closure): data for @callback
 *
 * Creates an answer to the remote offer once the operations asked for
 * before have completed. Finish with gst_rtc_bin_create_answer_finish().
 */
void
gst_rtc_bin_create_answer_async (GstRtcBin * bin,
    const GstStructure * options, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  Op *op;

  g_return_if_fail (GST_RTC_IS_BIN (bin));

  op = op_new (OP_CREATE_ANSWER);
  op->options = options ? gst_structure_copy (options) : NULL;
  enqueue_task_op (bin, op, cancellable, callback, user_data,
      gst_rtc_bin_create_answer_async);
}

/**
 * gst_rtc_bin_create_answer_finish:
 * @bin: an rtcbin
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes gst_rtc_bin_create_answer_async().
 *
 * Returns: (transfer full) (nullable): the answer's SDP, or %NULL with
 *   @error set
 */
gchar *
gst_rtc_bin_create_answer_finish (GstRtcBin * bin, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, bin), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * gst_rtc_bin_set_local_description_async:
 * @bin: an rtcbin
 * @type: the description type
 * @sdp: (nullable): the SDP; %NULL for the last one created of @type
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result, in the thread-default
 *   main context of the caller
 * @user_data: (closure): data for @callback
 *
 * W3C setLocalDescription. An SDP other than the one create-offer or
 * create-answer made is taken only as far as it parses: rtcbin does not
 * support SDP munging.
 */
void
gst_rtc_bin_set_local_description_async (GstRtcBin * bin, GstRtcSdpType type,
    const gchar * sdp, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  Op *op;

  g_return_if_fail (GST_RTC_IS_BIN (bin));

  op = op_new (OP_SET_LOCAL);
  op->sdp_type = type;
  op->sdp = g_strdup (sdp);
  enqueue_task_op (bin, op, cancellable, callback, user_data,
      gst_rtc_bin_set_local_description_async);
}

/**
 * gst_rtc_bin_set_local_description_finish:
 * @bin: an rtcbin
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes gst_rtc_bin_set_local_description_async().
 *
 * Returns: %TRUE if the description was set
 */
gboolean
gst_rtc_bin_set_local_description_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, bin), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gst_rtc_bin_set_remote_description_async:
 * @bin: an rtcbin
 * @type: the description type
 * @sdp: the SDP
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result, in the thread-default
 *   main context of the caller
 * @user_data: (closure): data for @callback
 *
 * W3C setRemoteDescription. A description that does not parse, lacks ICE
 * credentials or a fingerprint, or comes in the wrong signaling state
 * fails with an error naming the problem, and changes nothing.
 */
void
gst_rtc_bin_set_remote_description_async (GstRtcBin * bin,
    GstRtcSdpType type, const gchar * sdp, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  Op *op;

  g_return_if_fail (GST_RTC_IS_BIN (bin));

  op = op_new (OP_SET_REMOTE);
  op->sdp_type = type;
  op->sdp = g_strdup (sdp);
  enqueue_task_op (bin, op, cancellable, callback, user_data,
      gst_rtc_bin_set_remote_description_async);
}

/**
 * gst_rtc_bin_set_remote_description_finish:
 * @bin: an rtcbin
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes gst_rtc_bin_set_remote_description_async().
 *
 * Returns: %TRUE if the description was set
 */
gboolean
gst_rtc_bin_set_remote_description_finish (GstRtcBin * bin,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, bin), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gst_rtc_bin_add_ice_candidate:
 * @bin: an rtcbin
 * @mline_index: the m-line of the candidate, used when @mid is %NULL
 * @mid: (nullable): the mid of the m-line
 * @candidate: (nullable): `candidate:...`; %NULL or "" for
 *   end-of-candidates
 * @error: return location for a #GError
 *
 * W3C addIceCandidate. Candidates that come before the remote
 * description are kept until it is set. A malformed candidate is always
 * refused here. When no other thread is running the operations chain,
 * the candidate is added at once and every error is reported; else it
 * is queued behind the running operations (this call never blocks, so it
 * is safe from #GstRtcBin::on-ice-candidate of another rtcbin) and only
 * its syntax is checked here.
 *
 * Returns: %TRUE if the candidate was taken, or ignored because its
 *   m-line is bundled on another one or rejected
 */
gboolean
gst_rtc_bin_add_ice_candidate (GstRtcBin * bin, guint mline_index,
    const gchar * mid, const gchar * candidate, GError ** error)
{
  Op *op;
  gboolean ok;

  g_return_val_if_fail (GST_RTC_IS_BIN (bin), FALSE);

  if (candidate != NULL && *candidate != '\0') {
    GstRtcIceCandidateInfo info;

    if (!gst_rtc_ice_candidate_parse (candidate, &info, error))
      return FALSE;
  }

  op = op_new (OP_ADD_CANDIDATE);
  op->mline = mline_index;
  op->mid = g_strdup (mid);
  op->candidate = g_strdup (candidate);
  op->synchronous = TRUE;
  if (!rtc_bin_enqueue (bin, op))
    return TRUE;                /* queued, and owned by the chain now */
  ok = op->error == NULL;
  if (op->error != NULL)
    g_propagate_error (error, g_steal_pointer (&op->error));
  op_free (op);
  return ok;
}

/**
 * gst_rtc_bin_add_turn_server:
 * @bin: an rtcbin
 * @uri: `turn://user:password@host:port` (`?transport=tcp` for TCP)
 * @error: return location for a #GError
 *
 * Adds a TURN server, for transports that gather from now on.
 *
 * Returns: %TRUE if @uri was taken
 */
gboolean
gst_rtc_bin_add_turn_server (GstRtcBin * bin, const gchar * uri,
    GError ** error)
{
  g_return_val_if_fail (GST_RTC_IS_BIN (bin), FALSE);
  g_return_val_if_fail (uri != NULL, FALSE);

  return gst_rtc_ice_agent_add_turn_server (bin->agent, uri, error);
}

/**
 * gst_rtc_bin_add_transceiver:
 * @bin: an rtcbin
 * @direction: the direction we want
 * @codec_preferences: (nullable): RTP caps of the codecs to offer; their
 *   `media` field sets the kind
 *
 * W3C addTransceiver. To send, request a sink pad afterwards: it binds to
 * the first free transceiver of its kind.
 *
 * Returns: (transfer full): the new transceiver
 */
GstRtcTransceiver *
gst_rtc_bin_add_transceiver (GstRtcBin * bin, GstRtcDirection direction,
    GstCaps * codec_preferences)
{
  GstRtcTransceiver *transceiver;

  g_return_val_if_fail (GST_RTC_IS_BIN (bin), NULL);
  g_return_val_if_fail (direction != GST_RTC_DIRECTION_NONE, NULL);

  RTC_BIN_LOCK (bin);
  transceiver = gst_object_ref (rtc_bin_new_transceiver_locked (bin,
          direction, codec_preferences));
  RTC_BIN_UNLOCK (bin);
  g_signal_emit (bin, signals[SIGNAL_ON_NEW_TRANSCEIVER], 0, transceiver);
  rtc_bin_schedule_negotiation_check (bin);
  return transceiver;
}

/**
 * gst_rtc_bin_get_transceivers:
 * @bin: an rtcbin
 *
 * Lists the transceivers of @bin (W3C getTransceivers).
 *
 * Returns: (transfer container) (element-type GstRtcTransceiver): the
 *   transceivers, in creation order
 */
GPtrArray *
gst_rtc_bin_get_transceivers (GstRtcBin * bin)
{
  GPtrArray *transceivers;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_BIN (bin), NULL);

  transceivers = g_ptr_array_new_with_free_func (gst_object_unref);
  RTC_BIN_LOCK (bin);
  for (i = 0; i < bin->transceivers->len; i++)
    g_ptr_array_add (transceivers,
        gst_object_ref (g_ptr_array_index (bin->transceivers, i)));
  RTC_BIN_UNLOCK (bin);
  return transceivers;
}

/**
 * gst_rtc_bin_get_stats:
 * @bin: an rtcbin
 *
 * Collects statistics now. The structure has one field per W3C stats
 * object, named by its id, each a #GstStructure with `type` (codec,
 * inbound-rtp, outbound-rtp, remote-inbound-rtp, transport,
 * candidate-pair, local-candidate, remote-candidate), `id` and
 * `timestamp` (ms since the epoch) and the W3C members that rtpbin and
 * the transport know (camelCase, as in the W3C dictionaries).
 *
 * Returns: (transfer full): the statistics
 */
GstStructure *
gst_rtc_bin_get_stats (GstRtcBin * bin)
{
  g_return_val_if_fail (GST_RTC_IS_BIN (bin), NULL);

  return rtc_bin_media_collect_stats (bin);
}

/**
 * gst_rtc_bin_get_stats_async:
 * @bin: an rtcbin
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result, in the thread-default
 *   main context of the caller
 * @user_data: (closure): data for @callback
 *
 * W3C getStats; see gst_rtc_bin_get_stats().
 */
void
gst_rtc_bin_get_stats_async (GstRtcBin * bin, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (GST_RTC_IS_BIN (bin));

  task = g_task_new (bin, cancellable, callback, user_data);
  g_task_set_source_tag (task, gst_rtc_bin_get_stats_async);
  g_task_return_pointer (task, gst_rtc_bin_get_stats (bin),
      (GDestroyNotify) gst_structure_free);
  g_object_unref (task);
}

/**
 * gst_rtc_bin_get_stats_finish:
 * @bin: an rtcbin
 * @result: the result
 * @error: return location for a #GError
 *
 * Finishes gst_rtc_bin_get_stats_async().
 *
 * Returns: (transfer full) (nullable): the statistics
 */
GstStructure *
gst_rtc_bin_get_stats_finish (GstRtcBin * bin, GAsyncResult * result,
    GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, bin), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * gst_rtc_bin_get_ice_agent:
 * @bin: an rtcbin
 *
 * Gets the ICE agent that all transports of @bin gather and check on.
 *
 * Returns: (transfer none): the ICE agent of @bin
 */
GstRtcIceAgent *
gst_rtc_bin_get_ice_agent (GstRtcBin * bin)
{
  g_return_val_if_fail (GST_RTC_IS_BIN (bin), NULL);
  return bin->agent;
}
