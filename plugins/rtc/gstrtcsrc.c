/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcsrc
 * @title: rtcsrc
 * @see_also: rtcsink, rtcbin, #GstRtcSignaller, #GstRtcHttpServer
 *
 * Receives audio and video over WebRTC, in one of three ways:
 *
 * - #GstRtcSrc:whep-url: plays from a WHEP server (rtcsink, or any other).
 *   It offers to receive one video and one audio stream, POSTs the offer
 *   once ICE gathering is done (at most 2 s), sets the 201's answer, and
 *   DELETEs the resource when it stops. A refused offer, an unreachable
 *   server or a connection that fails or goes silent is a warning on the
 *   bus, and it tries again after 1 s, then 2, 4, 8 and 15 s at most.
 * - #GstRtcSrc:port: is a WHIP endpoint, `POST /whip` on the shared
 *   #GstRtcHttpServer of #GstRtcSrc:address and port (rtcsink can serve
 *   `/` and `/whep` on the same port). One publisher at a time: a second
 *   one gets 409 Conflict until the first hangs up (DELETE) or goes away.
 * - #GstRtcSrc:signaller: joins a room (or anything else) through a
 *   #GstRtcSignaller: each `session-requested` is answered with an offer.
 *
 * Each session is one rtcbin. Each received stream comes out of a
 * sometimes pad `video_%u` or `audio_%u`, decoded (decodebin) or, with
 * #GstRtcSrc:decode=false, depayloaded (VP8, VP9, H.264 byte-stream in
 * access units, Opus, PCMU, PCMA). The pads outlive sessions: when the
 * publisher comes back (a new session, a new rtcbin), the new streams
 * come out of the same pads, with new caps and segment events but no EOS.
 * The element messages `rtcsrc-connected` and `rtcsrc-disconnected` (with
 * a `reason`) tell the application.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtcsrc whep-url=http://127.0.0.1:8080/whep name=s \
 *     s. ! queue ! videoconvert ! autovideosink \
 *     s. ! queue ! audioconvert ! autoaudiosink
 * ]| Plays what an rtcsink serves.
 * |[
 * gst-launch-1.0 rtcsrc port=8081 ! queue ! videoconvert ! autovideosink
 * ]| A WHIP endpoint at http://HOST:8081/whip for a browser or OBS.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcsrc.h"
#include "gstrtcelementutils.h"

#include <gst/rtc/rtc.h>
#include <libsoup/soup.h>
#include <string.h>
#ifdef __linux__
#include <sys/random.h>
#endif

GST_DEBUG_CATEGORY_STATIC (gst_rtc_src_debug);
#define GST_CAT_DEFAULT gst_rtc_src_debug

#define DEFAULT_WHEP_URL NULL
#define DEFAULT_BEARER_TOKEN NULL
#define DEFAULT_PORT 0
#define DEFAULT_PATH ""
#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_SIGNALLER NULL
#define DEFAULT_STUN_SERVER NULL
#define DEFAULT_TURN_SERVER NULL
#define DEFAULT_ICE_TRANSPORT_POLICY GST_RTC_ICE_TRANSPORT_POLICY_ALL
#define DEFAULT_LATENCY 100
#define DEFAULT_DECODE TRUE
#define DEFAULT_RECEIVE_VIDEO TRUE
#define DEFAULT_RECEIVE_AUDIO TRUE
#define DEFAULT_MEDIA_TIMEOUT 5
#define DEFAULT_TLS_CERTIFICATE NULL
#define DEFAULT_TLS_KEY NULL
#define DEFAULT_PORT_MIN 0
#define DEFAULT_PORT_MAX 0
#define DEFAULT_ANNOUNCED_ADDRESS NULL

#define WHIP_PATH "/whip"
#define GATHER_TIMEOUT_MS 2000
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 15000
/* ICE and DTLS get this long to deliver a first packet. */
#define CONNECT_TIMEOUT_S 15
#define HTTP_TIMEOUT_S 10
#define DELETE_TIMEOUT_S 2
#define MAX_TRICKLED_CANDIDATES 20
#define RETRY_AFTER_SECONDS "2"

typedef enum
{
  MODE_NONE,
  MODE_WHEP,
  MODE_WHIP,
  MODE_SIGNALLER,
} Mode;

static const gchar *const mode_names[] = { "none", "whep", "whip",
  "signaller"
};

typedef struct _Session Session;

/* A local candidate (NULL: the end of them) held until the SDP is sent. */
typedef struct
{
  guint mline;
  gchar *candidate;
} Candidate;

/* One output pad: it lives as long as the element runs, whatever
 * sessions come and go behind it. */
typedef struct
{
  GstRtcMediaKind kind;
  guint index;
  GstPad *ghost;
  /* The session whose branch is the target, or NULL; under slot_lock. */
  Session *owner;
} Slot;

/* One peer connection: one rtcbin and the branches behind its pads. */
struct _Session
{
  gint refcount;
  GstRtcSrc *src;
  gchar *id;
  gchar *peer;
  Mode mode;
  GstElement *rtcbin;
  GCancellable *cancellable;

  /* Atomic. */
  gint closing;
  gint64 last_data;
  gint got_data;

  /* Held while a streaming thread builds a branch of this session, and
   * by the control thread to tear them down: never both at once. */
  GMutex build_lock;
  GPtrArray *elements;

  /* The control thread only. */
  GSource *gather_timeout;
  GSource *watchdog;
  void (*on_gathered) (Session * session);
  gboolean gathered;
  gboolean connected;
  gint64 started;
  gchar *location;
  gboolean offer_sent;
  gboolean end_of_candidates;
  GPtrArray *early_candidates;
  GPtrArray *transports;
  guint n_trickled;

  /* WHIP: the POST waiting for our answer (under the element's lock). */
  GstRtcHttpRequest *request;
  gchar *etag;
  /* WHIP: a PATCH that restarts ICE, waiting for our new credentials,
   * and the offer it makes (under the element's lock). */
  GstRtcHttpRequest *restart_request;
  gchar *restart_offer;
};

struct _GstRtcSrc
{
  GstBin parent;

  /* Properties, under the object lock. */
  gchar *whep_url;
  gchar *bearer_token;
  guint port;
  gchar *path;
  gchar *address;
  gchar *tls_certificate;
  gchar *tls_key;
  guint port_min;
  guint port_max;
  gchar *announced_address;
  GstRtcSignaller *signaller;
  gchar *stun_server;
  gchar *turn_server;
  GstRtcIceTransportPolicy ice_transport_policy;
  guint latency;
  gboolean decode;
  gboolean receive_video;
  gboolean receive_audio;
  guint media_timeout;

  /* Under lock. */
  GMutex lock;
  Mode mode;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstRtcHttpServer *server;
  /* The WHIP mount on server: "/whip" under path. */
  gchar *whip_path;
  gboolean running;
  Session *session;
  gboolean whip_reserved;
  GstRtcSignaller *active_signaller;
  gulong signaller_handlers[5];

  /* The control thread only. */
  SoupSession *soup;
  guint backoff_ms;
  GSource *retry;

  /* Set once the application sent EOS: nothing flows out any more. */
  gint eos;

  /* Slots, under slot_lock (taken before lock, never after). */
  GMutex slot_lock;
  GPtrArray *slots;
};

enum
{
  PROP_0,
  PROP_WHEP_URL,
  PROP_BEARER_TOKEN,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_SIGNALLER,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_LATENCY,
  PROP_DECODE,
  PROP_RECEIVE_VIDEO,
  PROP_RECEIVE_AUDIO,
  PROP_MEDIA_TIMEOUT,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_PORT_MIN,
  PROP_PORT_MAX,
  PROP_ANNOUNCED_ADDRESS,
  PROP_PATH,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS_ANY);

#define gst_rtc_src_parent_class parent_class
G_DEFINE_TYPE (GstRtcSrc, gst_rtc_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcsrc, "rtcsrc", GST_RANK_NONE,
    GST_TYPE_RTC_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_src_debug, "rtcsrc", 0,
        "gst-rtc WebRTC source (WHEP client, WHIP endpoint, signaller)"));

static void session_end (Session * session, const gchar * reason,
    gboolean tell_peer);
static void schedule_retry (GstRtcSrc * self);
static void whep_connect (GstRtcSrc * self);

/* ---- small helpers ---- */

/* Resource ids name what anyone who knows them can DELETE: they come from
 * the kernel's CSPRNG. */
static gchar *
random_token (guint n_bytes)
{
  guint8 bytes[32];
  GString *hex = g_string_sized_new (2 * n_bytes);
  gboolean have_random = FALSE;
  guint i;

  g_assert (n_bytes <= sizeof (bytes));
#ifdef __linux__
  have_random = getrandom (bytes, n_bytes, 0) == (gssize) n_bytes;
#endif
  if (!have_random) {
    for (i = 0; i < n_bytes; i++)
      bytes[i] = g_random_int_range (0, 256);
  }
  for (i = 0; i < n_bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
media_type_is (const gchar * content_type, const gchar * media_type)
{
  gsize len;

  if (content_type == NULL)
    return FALSE;
  while (*content_type == ' ' || *content_type == '\t')
    content_type++;
  len = strlen (media_type);
  if (g_ascii_strncasecmp (content_type, media_type, len) != 0)
    return FALSE;
  content_type += len;
  while (*content_type == ' ' || *content_type == '\t')
    content_type++;
  return *content_type == '\0' || *content_type == ';';
}

static void
post_element_message (GstRtcSrc * self, GstStructure * structure)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), structure));
}

static GMainContext *
get_context (GstRtcSrc * self)
{
  GMainContext *context = NULL;

  g_mutex_lock (&self->lock);
  if (self->context != NULL)
    context = g_main_context_ref (self->context);
  g_mutex_unlock (&self->lock);
  return context;
}

static GSource *
attach_timeout (GstRtcSrc * self, guint ms, GSourceFunc func, gpointer data,
    GDestroyNotify destroy)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, self->context);
  return source;
}

static void
clear_source (GSource ** source)
{
  if (*source != NULL) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

/* ---- sessions ---- */

static Session *
session_ref (Session * session)
{
  g_atomic_int_inc (&session->refcount);
  return session;
}

static void
session_unref (gpointer data)
{
  Session *session = data;

  if (!g_atomic_int_dec_and_test (&session->refcount))
    return;
  g_assert (session->rtcbin == NULL);
  g_free (session->id);
  g_free (session->peer);
  g_free (session->location);
  g_free (session->etag);
  g_clear_object (&session->request);
  if (session->restart_request != NULL) {
    gst_rtc_http_request_respond_text (session->restart_request, 404,
        "the session ended");
    g_object_unref (session->restart_request);
  }
  g_free (session->restart_offer);
  g_clear_object (&session->cancellable);
  g_ptr_array_unref (session->elements);
  g_ptr_array_unref (session->early_candidates);
  g_ptr_array_unref (session->transports);
  g_mutex_clear (&session->build_lock);
  g_free (session);
}

static gboolean
session_closing (Session * session)
{
  return g_atomic_int_get (&session->closing) != 0;
}

typedef void (*SessionFunc) (Session * session);

typedef struct
{
  Session *session;
  SessionFunc func;
} SessionCall;

static gboolean
session_call_run (gpointer user_data)
{
  SessionCall *call = user_data;

  if (!session_closing (call->session))
    call->func (call->session);
  return G_SOURCE_REMOVE;
}

static void
session_call_free (gpointer user_data)
{
  SessionCall *call = user_data;

  session_unref (call->session);
  g_free (call);
}

/* Runs @func on the control thread, unless the session is closed by then. */
static void
session_invoke (Session * session, SessionFunc func)
{
  GMainContext *context = get_context (session->src);
  SessionCall *call;

  if (context == NULL)
    return;
  call = g_new0 (SessionCall, 1);
  call->session = session_ref (session);
  call->func = func;
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, session_call_run,
      call, session_call_free);
  g_main_context_unref (context);
}

/* Posts a warning and ends the session; WHEP then tries again. */
static void
session_fail (Session * session, const gchar * reason, const gchar * detail)
{
  GstRtcSrc *self = session->src;
  Mode mode = session->mode;

  if (session_closing (session))
    return;
  GST_WARNING_OBJECT (self, "session %s: %s (%s)", session->id, reason,
      GST_STR_NULL (detail));
  GST_ELEMENT_WARNING (self, RESOURCE, READ, ("%s", reason), ("%s: %s",
          session->id, detail != NULL ? detail : reason));
  session_end (session, reason, TRUE);
  if (mode == MODE_WHEP)
    schedule_retry (self);
}

/* ---- outputs ---- */

static GstPadProbeReturn
output_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Session *session = user_data;

  /* A session that goes away must not end the stream of a pad that
   * lives on, nor push into a pad that has a new target. */
  if (session_closing (session) || g_atomic_int_get (&session->src->eos))
    return GST_PAD_PROBE_DROP;
  /* A branch that lost its pad to a newer stream of the same kind (the
   * peer changed SSRC): not-linked would be an error downstream of it. */
  if (!gst_pad_is_linked (pad))
    return GST_PAD_PROBE_DROP;
  if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
      && GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* Any streaming thread: @pad (a branch's last src pad) becomes what
 * video_<index> or audio_<index> carries. */
static void
attach_output (Session * session, GstRtcMediaKind kind, guint index,
    GstPad * pad)
{
  GstRtcSrc *self = session->src;
  Slot *slot = NULL;
  GstPad *ghost = NULL;
  gchar *name;
  guint i;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, output_probe,
      session_ref (session), session_unref);

  g_mutex_lock (&self->slot_lock);
  if (session_closing (session)) {
    g_mutex_unlock (&self->slot_lock);
    return;
  }
  for (i = 0; i < self->slots->len; i++) {
    Slot *candidate = g_ptr_array_index (self->slots, i);

    if (candidate->kind == kind && candidate->index == index)
      slot = candidate;
  }
  if (slot != NULL) {
    GST_INFO_OBJECT (self, "session %s now feeds %s", session->id,
        GST_PAD_NAME (slot->ghost));
    gst_ghost_pad_set_target (GST_GHOST_PAD (slot->ghost), pad);
    slot->owner = session;
    g_mutex_unlock (&self->slot_lock);
    return;
  }

  name = g_strdup_printf ("%s_%u",
      kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio", index);
  ghost = gst_ghost_pad_new_from_template (name, pad,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          kind == GST_RTC_MEDIA_KIND_VIDEO ? "video_%u" : "audio_%u"));
  g_free (name);
  slot = g_new0 (Slot, 1);
  slot->kind = kind;
  slot->index = index;
  slot->ghost = gst_object_ref (ghost);
  slot->owner = session;
  g_ptr_array_add (self->slots, slot);
  gst_pad_set_active (ghost, TRUE);
  GST_INFO_OBJECT (self, "session %s: new pad %s", session->id,
      GST_PAD_NAME (ghost));
  /* Under slot_lock, so that a session ending now cannot race the first
   * target; pad-added handlers link downstream and return. */
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  g_mutex_unlock (&self->slot_lock);
}

typedef struct
{
  Session *session;
  GstRtcMediaKind kind;
  guint index;
} BranchOutput;

static void
branch_output_free (gpointer data, GClosure * closure)
{
  BranchOutput *output = data;

  session_unref (output->session);
  g_free (output);
}

static void
on_decodebin_pad_added (GstElement * decodebin, GstPad * pad,
    BranchOutput * output)
{
  GstCaps *caps;
  gboolean raw = TRUE;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  /* decodebin exposes its pads with their caps; without any, trust it */
  caps = gst_pad_get_current_caps (pad);
  if (caps != NULL && gst_caps_get_size (caps) > 0) {
    const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
            0));
    raw = g_str_has_suffix (name, "/x-raw");
  }
  gst_clear_caps (&caps);
  if (!raw) {
    GST_WARNING_OBJECT (output->session->src,
        "decodebin exposed a pad that is not raw media; ignored");
    return;
  }
  attach_output (output->session, output->kind, output->index, pad);
}

static gboolean
have_element (const gchar * factory)
{
  GstElementFactory *f = gst_element_factory_find (factory);

  if (f == NULL)
    return FALSE;
  gst_object_unref (f);
  return TRUE;
}

/* A depayloader, and for decode=false what follows it, by encoding name. */
typedef struct
{
  const gchar *encoding_name;
  const gchar *depayloader;
  const gchar *parser;          /* optional */
  const gchar *encoded_caps;
} CodecElements;

static const CodecElements codec_elements[] = {
  {"VP8", "rtpvp8depay", NULL, "video/x-vp8"},
  {"VP9", "rtpvp9depay", NULL, "video/x-vp9"},
  {"H264", "rtph264depay", "h264parse",
      "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au"},
  {"OPUS", "rtpopusdepay", NULL, "audio/x-opus"},
  {"PCMU", "rtppcmudepay", NULL, "audio/x-mulaw"},
  {"PCMA", "rtppcmadepay", NULL, "audio/x-alaw"},
};

static const CodecElements *
find_codec_elements (const gchar * encoding_name)
{
  guint i;

  for (i = 0; encoding_name != NULL && i < G_N_ELEMENTS (codec_elements); i++)
    if (g_ascii_strcasecmp (codec_elements[i].encoding_name,
            encoding_name) == 0)
      return &codec_elements[i];
  return NULL;
}

static gboolean
have_decoder_for (const gchar * caps_string)
{
  GList *decoders, *usable;
  GstCaps *caps = gst_caps_from_string (caps_string);
  gboolean found;

  decoders = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DECODER, GST_RANK_MARGINAL);
  usable = gst_element_factory_list_filter (decoders, caps, GST_PAD_SINK,
      FALSE);
  found = usable != NULL;
  gst_plugin_feature_list_free (usable);
  gst_plugin_feature_list_free (decoders);
  gst_caps_unref (caps);
  return found;
}

/* The codecs we offer: our defaults, less those we could not handle. */
static GstCaps *
receivable_codecs (GstRtcMediaKind kind, gboolean decode)
{
  GPtrArray *codecs = gst_rtc_codecs_default (kind);
  GstCaps *caps = gst_caps_new_empty ();
  guint i;

  for (i = 0; codecs != NULL && i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);
    const CodecElements *elements = find_codec_elements (codec->encoding_name);

    if (elements == NULL || !have_element (elements->depayloader))
      continue;
    if (decode && !have_decoder_for (elements->encoded_caps))
      continue;
    gst_caps_append (caps, gst_rtc_codec_to_caps (codec, kind));
  }
  g_clear_pointer (&codecs, g_ptr_array_unref);
  return caps;
}

/* Index of @transceiver among the session's transceivers of its kind:
 * the first video stream of every session goes to video_0. */
static guint
kind_index (GstElement * rtcbin, GstRtcTransceiver * transceiver)
{
  GPtrArray *transceivers = gst_rtc_bin_get_transceivers (GST_RTC_BIN
      (rtcbin));
  GstRtcMediaKind kind = gst_rtc_transceiver_get_kind (transceiver);
  guint i, index = 0;

  for (i = 0; i < transceivers->len; i++) {
    GstRtcTransceiver *other = g_ptr_array_index (transceivers, i);

    if (other == transceiver)
      break;
    if (gst_rtc_transceiver_get_kind (other) == kind
        && gst_rtc_transceiver_get_mline_index (other) != G_MAXUINT)
      index++;
  }
  g_ptr_array_unref (transceivers);
  return index;
}

static GstPadProbeReturn
received_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Session *session = user_data;

  if (session_closing (session))
    return GST_PAD_PROBE_DROP;
  if (info->type & (GST_PAD_PROBE_TYPE_BUFFER |
          GST_PAD_PROBE_TYPE_BUFFER_LIST)) {
    g_atomic_int_set (&session->got_data, 1);
    /* Read by the watchdog; aligned 64-bit stores do not tear on the
     * platforms we build for, and a stale value only delays it a tick. */
    session->last_data = g_get_monotonic_time ();
  }
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_element (GstRtcSrc * self, const gchar * factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    GST_ELEMENT_WARNING (self, CORE, MISSING_PLUGIN,
        ("The '%s' element is missing", factory),
        ("rtcsrc needs it for a stream it received"));
  return element;
}

/* A streaming thread of rtcbin: a received stream gets its branch. */
static void
on_rtcbin_pad_added (GstElement * rtcbin, GstPad * pad, Session * session)
{
  GstRtcSrc *self = session->src;
  GstRtcTransceiver *transceiver = NULL;
  const CodecElements *codec;
  GstRtcMediaKind kind;
  GPtrArray *chain;
  GstCaps *caps;
  GstStructure *s;
  const gchar *media, *encoding;
  gboolean decode;
  guint index, i;
  GstPad *sink, *out = NULL;
  GstElement *decodebin = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, received_probe,
      session_ref (session), session_unref);

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL) {
    GST_WARNING_OBJECT (self, "%s has no caps", GST_PAD_NAME (pad));
    return;
  }
  s = gst_caps_get_structure (caps, 0);
  media = gst_structure_get_string (s, "media");
  encoding = gst_structure_get_string (s, "encoding-name");
  kind = g_strcmp0 (media, "audio") == 0 ? GST_RTC_MEDIA_KIND_AUDIO :
      GST_RTC_MEDIA_KIND_VIDEO;
  codec = find_codec_elements (encoding);
  g_object_get (pad, "transceiver", &transceiver, NULL);
  index = transceiver != NULL ? kind_index (rtcbin, transceiver) : 0;
  gst_clear_object (&transceiver);
  GST_INFO_OBJECT (self, "session %s: %s stream %u, %" GST_PTR_FORMAT,
      session->id, media, index, caps);
  gst_caps_unref (caps);
  if (codec == NULL) {
    GST_ELEMENT_WARNING (self, STREAM, CODEC_NOT_FOUND,
        ("Received %s, which rtcsrc cannot depayload", GST_STR_NULL (encoding)),
        (NULL));
    return;
  }

  GST_OBJECT_LOCK (self);
  decode = self->decode;
  GST_OBJECT_UNLOCK (self);

  chain = g_ptr_array_new ();
  g_ptr_array_add (chain, make_element (self, codec->depayloader));
  if (decode) {
    decodebin = make_element (self, "decodebin");
    g_ptr_array_add (chain, decodebin);
  } else {
    GstElement *capsfilter;

    if (codec->parser != NULL && have_element (codec->parser))
      g_ptr_array_add (chain, make_element (self, codec->parser));
    capsfilter = make_element (self, "capsfilter");
    if (capsfilter != NULL) {
      GstCaps *encoded = gst_caps_from_string (codec->encoded_caps);

      g_object_set (capsfilter, "caps", encoded, NULL);
      gst_caps_unref (encoded);
    }
    g_ptr_array_add (chain, capsfilter);
  }
  for (i = 0; i < chain->len; i++) {
    if (g_ptr_array_index (chain, i) == NULL) {
      for (i = 0; i < chain->len; i++)
        if (g_ptr_array_index (chain, i) != NULL)
          gst_object_unref (g_ptr_array_index (chain, i));
      g_ptr_array_unref (chain);
      return;
    }
  }

  g_mutex_lock (&session->build_lock);
  if (session_closing (session)) {
    g_mutex_unlock (&session->build_lock);
    for (i = 0; i < chain->len; i++)
      gst_object_unref (g_ptr_array_index (chain, i));
    g_ptr_array_unref (chain);
    return;
  }
  for (i = 0; i < chain->len; i++) {
    GstElement *element = g_ptr_array_index (chain, i);

    gst_bin_add (GST_BIN (self), element);
    g_ptr_array_add (session->elements, gst_object_ref (element));
    if (i > 0)
      gst_element_link (g_ptr_array_index (chain, i - 1), element);
  }
  if (decodebin != NULL) {
    BranchOutput *output = g_new0 (BranchOutput, 1);

    output->session = session_ref (session);
    output->kind = kind;
    output->index = index;
    g_signal_connect_data (decodebin, "pad-added",
        G_CALLBACK (on_decodebin_pad_added), output, branch_output_free, 0);
  } else {
    out = gst_element_get_static_pad (g_ptr_array_index (chain,
            chain->len - 1), "src");
  }
  for (i = chain->len; i > 0; i--)
    gst_element_sync_state_with_parent (g_ptr_array_index (chain, i - 1));
  if (out != NULL) {
    attach_output (session, kind, index, out);
    gst_object_unref (out);
  }
  sink = gst_element_get_static_pad (g_ptr_array_index (chain, 0), "sink");
  if (GST_PAD_LINK_FAILED (gst_pad_link (pad, sink)))
    GST_WARNING_OBJECT (self, "could not link %s", GST_PAD_NAME (pad));
  gst_object_unref (sink);
  g_mutex_unlock (&session->build_lock);
  g_ptr_array_unref (chain);
}

/* ---- the session's life ---- */

static void
on_connection_state_changed (Session * session)
{
  GstRtcSrc *self = session->src;
  GstRtcPeerConnectionState state;

  g_object_get (session->rtcbin, "connection-state", &state, NULL);
  GST_DEBUG_OBJECT (self, "session %s: connection state %d", session->id,
      state);
  switch (state) {
    case GST_RTC_PEER_CONNECTION_STATE_CONNECTED:
      if (!session->connected) {
        session->connected = TRUE;
        self->backoff_ms = 0;
        GST_INFO_OBJECT (self, "session %s connected", session->id);
        post_element_message (self, gst_structure_new ("rtcsrc-connected",
                "session", G_TYPE_STRING, session->id,
                "mode", G_TYPE_STRING, mode_names[session->mode],
                "peer", G_TYPE_STRING, session->peer, NULL));
      }
      break;
    case GST_RTC_PEER_CONNECTION_STATE_FAILED:
      session_fail (session, "The WebRTC connection failed (ICE or DTLS)",
          NULL);
      break;
    case GST_RTC_PEER_CONNECTION_STATE_CLOSED:
      session_fail (session, "The WebRTC connection was closed", NULL);
      break;
    default:
      break;
  }
}

static void
on_transport_state_changed (Session * session)
{
  guint i;

  for (i = 0; i < session->transports->len; i++) {
    GstRtcTransportState state =
        gst_rtc_transport_get_state (g_ptr_array_index (session->transports,
            i));

    if (state == GST_RTC_TRANSPORT_STATE_CLOSED) {
      session_fail (session, "The peer closed the connection", "DTLS "
          "close_notify");
      return;
    }
    if (state == GST_RTC_TRANSPORT_STATE_FAILED) {
      session_fail (session, "The WebRTC connection failed (ICE or DTLS)",
          NULL);
      return;
    }
  }
}

static void
transport_notify (GObject * object, GParamSpec * pspec, Session * session)
{
  session_invoke (session, on_transport_state_changed);
}

static void
watch_transports (Session * session)
{
  GPtrArray *transceivers;
  guint i;

  if (session->transports->len > 0)
    return;
  transceivers = gst_rtc_bin_get_transceivers (GST_RTC_BIN (session->rtcbin));
  for (i = 0; i < transceivers->len; i++) {
    GstRtcTransport *transport = NULL;
    guint j;
    gboolean known = FALSE;

    g_object_get (g_ptr_array_index (transceivers, i), "transport", &transport,
        NULL);
    if (transport == NULL)
      continue;
    for (j = 0; j < session->transports->len; j++)
      known |= g_ptr_array_index (session->transports, j) == transport;
    if (known) {
      gst_object_unref (transport);
      continue;
    }
    g_signal_connect (transport, "notify::state", G_CALLBACK
        (transport_notify), session);
    g_ptr_array_add (session->transports, transport);
  }
  g_ptr_array_unref (transceivers);
}

static gboolean
watchdog_tick (gpointer user_data)
{
  Session *session = user_data;
  GstRtcSrc *self = session->src;
  gint64 now = g_get_monotonic_time (), last;
  guint timeout;
  gchar *detail;

  if (session_closing (session))
    return G_SOURCE_REMOVE;
  if (session->connected)
    watch_transports (session);
  GST_OBJECT_LOCK (self);
  timeout = self->media_timeout;
  GST_OBJECT_UNLOCK (self);
  /* Nothing flows out of the jitterbuffers before PLAYING. */
  if (GST_STATE (self) != GST_STATE_PLAYING) {
    session->started = now;
    if (g_atomic_int_get (&session->got_data))
      session->last_data = now;
    return G_SOURCE_CONTINUE;
  }
  if (!g_atomic_int_get (&session->got_data)) {
    if (now - session->started < CONNECT_TIMEOUT_S * G_USEC_PER_SEC)
      return G_SOURCE_CONTINUE;
    detail = g_strdup_printf ("no media within %u s", CONNECT_TIMEOUT_S);
    session_fail (session, "The peer sent no media", detail);
    g_free (detail);
    return G_SOURCE_REMOVE;
  }
  last = session->last_data;
  if (timeout == 0 || now - last < (gint64) timeout * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  detail = g_strdup_printf ("no media for %u s", timeout);
  session_fail (session, "The peer stopped sending", detail);
  g_free (detail);
  return G_SOURCE_REMOVE;
}

static void
session_arm_watchdog (Session * session)
{
  session->started = g_get_monotonic_time ();
  clear_source (&session->watchdog);
  session->watchdog = attach_timeout (session->src, 500, watchdog_tick,
      session_ref (session), session_unref);
}

static void
connection_state_notify (GObject * object, GParamSpec * pspec,
    Session * session)
{
  session_invoke (session, on_connection_state_changed);
}

static void
gathered (Session * session)
{
  void (*func) (Session *) = session->on_gathered;

  clear_source (&session->gather_timeout);
  if (session->gathered || func == NULL)
    return;
  session->gathered = TRUE;
  func (session);
}

static void send_candidate (Session * session, guint mline,
    const gchar * candidate);

static void
on_gathering_state_changed (Session * session)
{
  GstRtcIceGatheringState state;

  g_object_get (session->rtcbin, "ice-gathering-state", &state, NULL);
  if (state != GST_RTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  if (session->on_gathered != NULL)
    gathered (session);
  /* A trickling friend hears that no more candidates follow. */
  if (session->mode == MODE_SIGNALLER && !session->end_of_candidates) {
    session->end_of_candidates = TRUE;
    if (session->offer_sent) {
      send_candidate (session, 0, NULL);
    } else {
      Candidate *end = g_new0 (Candidate, 1);

      g_ptr_array_add (session->early_candidates, end);
    }
  }
}

static void
gathering_state_notify (GObject * object, GParamSpec * pspec,
    Session * session)
{
  session_invoke (session, on_gathering_state_changed);
}

static gboolean
gather_timeout_cb (gpointer user_data)
{
  Session *session = user_data;

  GST_DEBUG_OBJECT (session->src, "session %s: gathering takes long, going "
      "on with what we have", session->id);
  g_source_unref (g_steal_pointer (&session->gather_timeout));
  gathered (session);
  return G_SOURCE_REMOVE;
}

/* Control thread: @func runs once gathering is complete or has taken
 * GATHER_TIMEOUT_MS. */
static void
session_when_gathered (Session * session, void (*func) (Session *))
{
  session->on_gathered = func;
  session->gather_timeout = attach_timeout (session->src, GATHER_TIMEOUT_MS,
      gather_timeout_cb, session_ref (session), session_unref);
  on_gathering_state_changed (session);
}


static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_free (candidate->candidate);
  g_free (candidate);
}

static void
send_candidate (Session * session, guint mline, const gchar * candidate)
{
  GstRtcSignaller *signaller = session->src->active_signaller;

  if (signaller != NULL)
    gst_rtc_signaller_send_candidate (signaller, session->id, mline, NULL,
        candidate);
}

typedef struct
{
  Session *session;
  guint mline;
  gchar *candidate;
} CandidateCall;

static gboolean
candidate_call_run (gpointer user_data)
{
  CandidateCall *call = user_data;
  Session *session = call->session;

  if (session_closing (session))
    return G_SOURCE_REMOVE;
  if (!session->offer_sent) {
    Candidate *early = g_new0 (Candidate, 1);

    early->mline = call->mline;
    early->candidate = g_strdup (call->candidate);
    g_ptr_array_add (session->early_candidates, early);
  } else {
    send_candidate (session, call->mline, call->candidate);
  }
  return G_SOURCE_REMOVE;
}

static void
candidate_call_free (gpointer user_data)
{
  CandidateCall *call = user_data;

  session_unref (call->session);
  g_free (call->candidate);
  g_free (call);
}

/* The ICE worker: only signaller sessions trickle. */
static void
on_ice_candidate (GstElement * rtcbin, guint mline, const gchar * candidate,
    Session * session)
{
  GMainContext *context;
  CandidateCall *call;

  if (session->mode != MODE_SIGNALLER || session_closing (session))
    return;
  context = get_context (session->src);
  if (context == NULL)
    return;
  call = g_new0 (CandidateCall, 1);
  call->session = session_ref (session);
  call->mline = mline;
  call->candidate = g_strdup (candidate);
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, candidate_call_run,
      call, candidate_call_free);
  g_main_context_unref (context);
}

/* Control thread: a new session with its rtcbin, in the element, at the
 * element's state. */
static Session *
session_new (GstRtcSrc * self, Mode mode, const gchar * id, const gchar * peer)
{
  Session *session = g_new0 (Session, 1);
  GstRtcIceTransportPolicy policy;
  GstRtcIceAgent *agent = NULL;
  gchar *stun, *turn, *announced;
  guint latency, port_min, port_max;

  session->refcount = 1;
  session->src = self;
  session->mode = mode;
  session->id = id != NULL ? g_strdup (id) : random_token (8);
  session->peer = g_strdup (peer);
  session->cancellable = g_cancellable_new ();
  g_mutex_init (&session->build_lock);
  session->elements = g_ptr_array_new_with_free_func (gst_object_unref);
  session->early_candidates = g_ptr_array_new_with_free_func (candidate_free);
  session->transports = g_ptr_array_new_with_free_func (gst_object_unref);
  session->last_data = g_get_monotonic_time ();

  GST_OBJECT_LOCK (self);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  policy = self->ice_transport_policy;
  latency = self->latency;
  port_min = self->port_min;
  port_max = self->port_max;
  announced = g_strdup (self->announced_address);
  GST_OBJECT_UNLOCK (self);

  session->rtcbin = gst_object_ref (gst_rtc_bin_new (NULL));
  g_object_set (session->rtcbin, "stun-server", stun, "turn-server", turn,
      "ice-transport-policy", policy, "latency", latency, NULL);
  /* Checked when the element started. */
  g_object_get (session->rtcbin, "ice-agent", &agent, NULL);
  if (agent != NULL && gst_rtc_element_check_ice_settings (&port_min,
          &port_max, announced, NULL))
    gst_rtc_element_configure_ice_agent (agent, port_min, port_max,
        announced);
  gst_clear_object (&agent);
  g_free (stun);
  g_free (turn);
  g_free (announced);
  /* The rtcbin keeps its session alive: its signals, from any thread,
   * never see a freed one. */
  g_object_set_data_full (G_OBJECT (session->rtcbin), "rtcsrc-session",
      session_ref (session), session_unref);
  g_signal_connect (session->rtcbin, "pad-added",
      G_CALLBACK (on_rtcbin_pad_added), session);
  g_signal_connect (session->rtcbin, "notify::connection-state",
      G_CALLBACK (connection_state_notify), session);
  g_signal_connect (session->rtcbin, "notify::ice-gathering-state",
      G_CALLBACK (gathering_state_notify), session);
  g_signal_connect (session->rtcbin, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), session);
  gst_bin_add (GST_BIN (self), session->rtcbin);
  gst_element_sync_state_with_parent (session->rtcbin);

  g_mutex_lock (&self->lock);
  g_assert (self->session == NULL);
  self->session = session_ref (session);
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "session %s (%s) started", session->id,
      mode_names[mode]);
  return session;
}

static void
whep_delete (GstRtcSrc * self, const gchar * location, gboolean wait);

/* Control thread: the session goes, its pads stay. */
static void
session_end (Session * session, const gchar * reason, gboolean tell_peer)
{
  GstRtcSrc *self = session->src;
  GstRtcHttpRequest *request;
  GPtrArray *elements;
  GstElement *rtcbin;
  gboolean running;
  guint i;

  if (!g_atomic_int_compare_and_exchange (&session->closing, 0, 1))
    return;
  session_ref (session);
  GST_INFO_OBJECT (self, "session %s ends: %s", session->id, reason);
  g_cancellable_cancel (session->cancellable);
  clear_source (&session->gather_timeout);
  clear_source (&session->watchdog);

  g_mutex_lock (&self->slot_lock);
  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    if (slot->owner == session) {
      gst_ghost_pad_set_target (GST_GHOST_PAD (slot->ghost), NULL);
      slot->owner = NULL;
    }
  }
  g_mutex_unlock (&self->slot_lock);

  g_mutex_lock (&self->lock);
  if (self->session == session) {
    self->session = NULL;
    session_unref (session);
  }
  request = g_steal_pointer (&session->request);
  running = self->running;
  g_mutex_unlock (&self->lock);
  if (request != NULL) {
    if (!running)
      gst_rtc_http_request_add_response_header (request, "Retry-After",
          RETRY_AFTER_SECONDS);
    gst_rtc_http_request_respond_text (request, running ? 400 : 503, reason);
    g_object_unref (request);
  }

  /* Hang up before closing the connection, so that the peer hears why. */
  if (tell_peer) {
    if (session->mode == MODE_WHEP && session->location != NULL)
      whep_delete (self, session->location, !running);
    else if (session->mode == MODE_SIGNALLER && self->active_signaller)
      gst_rtc_signaller_end_session (self->active_signaller, session->id);
  }

  /* The branches first: rtcbin's threads then push into flushing pads. */
  g_mutex_lock (&session->build_lock);
  elements = session->elements;
  session->elements = g_ptr_array_new_with_free_func (gst_object_unref);
  g_mutex_unlock (&session->build_lock);
  for (i = 0; i < elements->len; i++) {
    GstElement *element = g_ptr_array_index (elements, i);

    gst_element_set_locked_state (element, TRUE);
    gst_element_set_state (element, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), element);
  }
  g_ptr_array_unref (elements);

  for (i = 0; i < session->transports->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index
        (session->transports, i), session);
  g_ptr_array_set_size (session->transports, 0);
  gst_element_set_locked_state (session->rtcbin, TRUE);
  gst_element_set_state (session->rtcbin, GST_STATE_NULL);
  g_signal_handlers_disconnect_by_data (session->rtcbin, session);
  gst_bin_remove (GST_BIN (self), session->rtcbin);
  g_mutex_lock (&self->lock);
  rtcbin = g_steal_pointer (&session->rtcbin);
  g_mutex_unlock (&self->lock);
  gst_object_unref (rtcbin);

  if (session->connected)
    post_element_message (self, gst_structure_new ("rtcsrc-disconnected",
            "session", G_TYPE_STRING, session->id,
            "mode", G_TYPE_STRING, mode_names[session->mode],
            "reason", G_TYPE_STRING, reason, NULL));
  session_unref (session);
}

static void
add_transceivers (GstRtcSrc * self, Session * session)
{
  gboolean video, audio, decode;
  GstCaps *caps;

  GST_OBJECT_LOCK (self);
  video = self->receive_video;
  audio = self->receive_audio;
  decode = self->decode;
  GST_OBJECT_UNLOCK (self);

  if (video) {
    caps = receivable_codecs (GST_RTC_MEDIA_KIND_VIDEO, decode);
    if (!gst_caps_is_empty (caps))
      gst_object_unref (gst_rtc_bin_add_transceiver (GST_RTC_BIN
              (session->rtcbin), GST_RTC_DIRECTION_RECVONLY, caps));
    else
      GST_WARNING_OBJECT (self, "no video codec can be received");
    gst_caps_unref (caps);
  }
  if (audio) {
    caps = receivable_codecs (GST_RTC_MEDIA_KIND_AUDIO, decode);
    if (!gst_caps_is_empty (caps))
      gst_object_unref (gst_rtc_bin_add_transceiver (GST_RTC_BIN
              (session->rtcbin), GST_RTC_DIRECTION_RECVONLY, caps));
    else
      GST_WARNING_OBJECT (self, "no audio codec can be received");
    gst_caps_unref (caps);
  }
}

/* ---- WHEP client ---- */

static void
whep_delete_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GBytes *bytes = soup_session_send_and_read_finish (SOUP_SESSION (source),
      result, NULL);

  if (bytes != NULL)
    g_bytes_unref (bytes);
  g_object_unref (user_data);
}

static void
whep_delete (GstRtcSrc * self, const gchar * location, gboolean wait)
{
  SoupMessage *message = soup_message_new ("DELETE", location);
  gchar *token;

  if (message == NULL)
    return;
  GST_OBJECT_LOCK (self);
  token = g_strdup (self->bearer_token);
  GST_OBJECT_UNLOCK (self);
  if (token != NULL) {
    gchar *value = g_strconcat ("Bearer ", token, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (message),
        "Authorization", value);
    g_free (value);
    g_free (token);
  }
  GST_DEBUG_OBJECT (self, "DELETE %s", location);
  if (wait) {
    /* Stopping: a short synchronous request, the loop is about to end. */
    SoupSession *soup = soup_session_new_with_options ("timeout",
        DELETE_TIMEOUT_S, NULL);
    GBytes *bytes = soup_session_send_and_read (soup, message, NULL, NULL);

    if (bytes != NULL)
      g_bytes_unref (bytes);
    g_object_unref (soup);
    g_object_unref (message);
  } else if (self->soup != NULL) {
    soup_session_send_and_read_async (self->soup, message, G_PRIORITY_DEFAULT,
        NULL, whep_delete_done, message);
  } else {
    g_object_unref (message);
  }
}

static void
answer_remote_set (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GError *error = NULL;

  if (!gst_rtc_bin_set_remote_description_finish (GST_RTC_BIN (source), result,
          &error)) {
    if (!session_closing (session))
      session_fail (session, "The peer's answer cannot be used",
          error->message);
    g_clear_error (&error);
  } else if (!session_closing (session)) {
    GST_INFO_OBJECT (session->src, "session %s: answered (resource %s)",
        session->id, GST_STR_NULL (session->location));
    session_arm_watchdog (session);
  }
  session_unref (session);
}

static void
whep_posted (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GstRtcSrc *self = session->src;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION
      (source), result);
  GError *error = NULL;
  GBytes *body;
  guint status;
  gchar *text = NULL, *why;
  const gchar *location, *content_type;
  gsize len = 0;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
      &error);
  if (session_closing (session) || session->rtcbin == NULL)
    goto done;
  if (body == NULL) {
    session_fail (session, "Could not reach the WHEP server", error->message);
    goto done;
  }
  status = soup_message_get_status (message);
  if (g_bytes_get_size (body) > 0) {
    const gchar *data = g_bytes_get_data (body, &len);

    text = g_utf8_make_valid (data, MIN (len, 64 * 1024));
  }
  if (status != SOUP_STATUS_CREATED) {
    why = g_strdup_printf ("The WHEP server answered %u %s", status,
        GST_STR_NULL (soup_message_get_reason_phrase (message)));
    session_fail (session, why, text != NULL
        && text[0] != '\0' ? g_strstrip (text) : why);
    g_free (why);
    goto done;
  }
  content_type = soup_message_headers_get_content_type
      (soup_message_get_response_headers (message), NULL);
  if (content_type != NULL && g_ascii_strcasecmp (content_type,
          "application/sdp") != 0)
    GST_WARNING_OBJECT (self, "the answer comes as %s", content_type);
  location = soup_message_headers_get_one (soup_message_get_response_headers
      (message), "Location");
  if (location != NULL) {
    gchar *url;

    GST_OBJECT_LOCK (self);
    url = g_strdup (self->whep_url);
    GST_OBJECT_UNLOCK (self);
    session->location = g_uri_resolve_relative (url, location,
        G_URI_FLAGS_NONE, NULL);
    g_free (url);
  } else {
    GST_WARNING_OBJECT (self, "the WHEP server gave no Location: we cannot "
        "hang up");
  }
  if (text == NULL) {
    session_fail (session, "The WHEP server's 201 has no answer", NULL);
    goto done;
  }
  gst_rtc_bin_set_remote_description_async (GST_RTC_BIN (session->rtcbin),
      GST_RTC_SDP_TYPE_ANSWER, text, NULL, answer_remote_set,
      session_ref (session));

done:
  g_free (text);
  g_clear_error (&error);
  if (body != NULL)
    g_bytes_unref (body);
  session_unref (session);
}

static void
whep_post (Session * session)
{
  GstRtcSrc *self = session->src;
  SoupMessage *message;
  GBytes *body;
  gchar *sdp = NULL, *url, *token;

  g_object_get (session->rtcbin, "local-description", &sdp, NULL);
  GST_OBJECT_LOCK (self);
  url = g_strdup (self->whep_url);
  token = g_strdup (self->bearer_token);
  GST_OBJECT_UNLOCK (self);

  message = url != NULL ? soup_message_new ("POST", url) : NULL;
  if (message == NULL || sdp == NULL) {
    session_fail (session, "Cannot POST the offer", url);
    g_free (sdp);
    g_free (url);
    g_free (token);
    return;
  }
  body = g_bytes_new_take (sdp, strlen (sdp));
  soup_message_set_request_body_from_bytes (message, "application/sdp", body);
  g_bytes_unref (body);
  if (token != NULL) {
    gchar *value = g_strconcat ("Bearer ", token, NULL);

    soup_message_headers_replace (soup_message_get_request_headers (message),
        "Authorization", value);
    g_free (value);
  }
  GST_DEBUG_OBJECT (self, "session %s: POST %s", session->id, url);
  soup_session_send_and_read_async (self->soup, message, G_PRIORITY_DEFAULT,
      session->cancellable, whep_posted, session_ref (session));
  g_object_unref (message);
  g_free (url);
  g_free (token);
}

static void
offer_local_set (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GError *error = NULL;

  if (!gst_rtc_bin_set_local_description_finish (GST_RTC_BIN (source), result,
          &error)) {
    session_fail (session, "Could not set our offer", error->message);
    g_clear_error (&error);
  } else if (!session_closing (session)) {
    if (session->mode == MODE_WHEP) {
      session_when_gathered (session, whep_post);
    } else if (session->mode == MODE_SIGNALLER) {
      gchar *sdp = NULL;
      guint i;

      g_object_get (session->rtcbin, "local-description", &sdp, NULL);
      if (session->src->active_signaller != NULL && sdp != NULL)
        gst_rtc_signaller_send_sdp (session->src->active_signaller,
            session->id, "offer", sdp);
      g_free (sdp);
      session->offer_sent = TRUE;
      for (i = 0; i < session->early_candidates->len; i++) {
        Candidate *early = g_ptr_array_index (session->early_candidates, i);

        send_candidate (session, early->mline, early->candidate);
      }
      g_ptr_array_set_size (session->early_candidates, 0);
      session_arm_watchdog (session);
    }
  }
  session_unref (session);
}

static void
offer_created (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GError *error = NULL;
  gchar *sdp;

  sdp = gst_rtc_bin_create_offer_finish (GST_RTC_BIN (source), result, &error);
  if (sdp == NULL) {
    session_fail (session, "Could not create an offer", error->message);
    g_clear_error (&error);
  } else if (!session_closing (session)) {
    gst_rtc_bin_set_local_description_async (GST_RTC_BIN (source),
        GST_RTC_SDP_TYPE_OFFER, sdp, NULL, offer_local_set,
        session_ref (session));
  }
  g_free (sdp);
  session_unref (session);
}

static void
session_offer (Session * session)
{
  add_transceivers (session->src, session);
  gst_rtc_bin_create_offer_async (GST_RTC_BIN (session->rtcbin), NULL, NULL,
      offer_created, session_ref (session));
}

static void
whep_connect (GstRtcSrc * self)
{
  Session *session;
  gchar *url;

  g_mutex_lock (&self->lock);
  if (!self->running || self->session != NULL) {
    g_mutex_unlock (&self->lock);
    return;
  }
  g_mutex_unlock (&self->lock);
  GST_OBJECT_LOCK (self);
  url = g_strdup (self->whep_url);
  GST_OBJECT_UNLOCK (self);
  session = session_new (self, MODE_WHEP, NULL, url);
  g_free (url);
  session_offer (session);
  session_unref (session);
}

static gboolean
retry_cb (gpointer user_data)
{
  GstRtcSrc *self = user_data;

  g_source_unref (g_steal_pointer (&self->retry));
  whep_connect (self);
  return G_SOURCE_REMOVE;
}

/* Control thread: WHEP tries again after 1 s, then 2, 4, 8, 15, 15... */
static void
schedule_retry (GstRtcSrc * self)
{
  gboolean running;

  g_mutex_lock (&self->lock);
  running = self->running && self->mode == MODE_WHEP;
  g_mutex_unlock (&self->lock);
  if (!running || self->retry != NULL)
    return;
  self->backoff_ms = self->backoff_ms == 0 ? BACKOFF_FIRST_MS :
      MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
  GST_INFO_OBJECT (self, "trying again in %u ms", self->backoff_ms);
  self->retry = attach_timeout (self, self->backoff_ms, retry_cb, self, NULL);
}

/* ---- answering (WHIP, and offers that come through a signaller) ---- */

/* The value of the first @prefix line of @sdp, or NULL. */
static gchar *
sdp_line_value (const gchar * sdp, const gchar * prefix)
{
  gchar **lines = g_strsplit (sdp, "\n", -1);
  gchar *value = NULL;
  guint i;

  for (i = 0; lines[i] != NULL && value == NULL; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (g_str_has_prefix (line, prefix))
      value = g_strdup (line + strlen (prefix));
  }
  g_strfreev (lines);
  return value;
}

/* Control thread: our answer to a restart offer is set and gathered; the
 * PATCH gets our new credentials and candidates (RFC 8840 fragment). */
static void
whip_restart_answered (Session * session, const gchar * sdp)
{
  GstRtcSrc *self = session->src;
  GstRtcHttpRequest *request;
  GString *frag, *media;
  gchar **lines, *etag;
  guint i, sections = 0;
  GBytes *body;

  g_mutex_lock (&self->lock);
  request = g_steal_pointer (&session->restart_request);
  g_clear_pointer (&session->restart_offer, g_free);
  if (request != NULL) {
    g_free (session->etag);
    session->etag = random_token (8);
  }
  etag = g_strdup_printf ("\"%s\"", session->etag);
  g_mutex_unlock (&self->lock);
  if (request == NULL) {
    g_free (etag);
    return;
  }

  /* Our credentials first, then the first (BUNDLE) m-section's m=, mid
   * and candidates. */
  frag = g_string_new (NULL);
  media = g_string_new (NULL);
  lines = g_strsplit (sdp != NULL ? sdp : "", "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (g_str_has_prefix (line, "m="))
      sections++;
    if (sections > 1)
      break;
    if (g_str_has_prefix (line, "a=ice-ufrag:")
        || g_str_has_prefix (line, "a=ice-pwd:")) {
      if (strstr (frag->str, line) == NULL)
        g_string_append_printf (frag, "%s\r\n", line);
    } else if (sections == 1 && (g_str_has_prefix (line, "m=")
            || g_str_has_prefix (line, "a=mid:")
            || g_str_has_prefix (line, "a=candidate:")
            || g_str_equal (line, "a=end-of-candidates"))) {
      g_string_append_printf (media, "%s\r\n", line);
    }
  }
  g_strfreev (lines);
  g_string_append_len (frag, media->str, media->len);
  g_string_free (media, TRUE);
  gst_rtc_http_request_add_response_header (request, "ETag", etag);
  body = g_bytes_new_take (frag->str, frag->len);
  g_string_free (frag, FALSE);
  gst_rtc_http_request_respond (request, 200,
      "application/trickle-ice-sdpfrag", body);
  g_bytes_unref (body);
  g_object_unref (request);
  g_free (etag);
  GST_INFO_OBJECT (self, "publisher %s: ICE restarted", session->id);
}

static void
answer_ready (Session * session)
{
  GstRtcSrc *self = session->src;
  gchar *sdp = NULL;

  g_object_get (session->rtcbin, "local-description", &sdp, NULL);
  if (session->mode == MODE_WHIP) {
    GstRtcHttpRequest *request;
    GBytes *body;
    gchar *location, *etag;

    g_mutex_lock (&self->lock);
    request = g_steal_pointer (&session->request);
    g_mutex_unlock (&self->lock);
    if (request == NULL) {
      whip_restart_answered (session, sdp);
    } else {
      g_mutex_lock (&self->lock);
      location = g_strconcat (self->whip_path != NULL ? self->whip_path :
          WHIP_PATH, "/", session->id, NULL);
      g_mutex_unlock (&self->lock);
      etag = g_strdup_printf ("\"%s\"", session->etag);
      gst_rtc_http_request_add_response_header (request, "Location",
          location);
      gst_rtc_http_request_add_response_header (request, "ETag", etag);
      body = g_bytes_new_take (sdp, sdp != NULL ? strlen (sdp) : 0);
      sdp = NULL;
      gst_rtc_http_request_respond (request, 201, "application/sdp", body);
      g_bytes_unref (body);
      g_free (location);
      g_free (etag);
      g_object_unref (request);
      GST_INFO_OBJECT (self, "publisher %s (%s) answered", session->id,
          session->peer);
    }
  } else if (session->mode == MODE_SIGNALLER && self->active_signaller) {
    guint i;

    gst_rtc_signaller_send_sdp (self->active_signaller, session->id, "answer",
        sdp);
    session->offer_sent = TRUE;
    for (i = 0; i < session->early_candidates->len; i++) {
      Candidate *early = g_ptr_array_index (session->early_candidates, i);

      send_candidate (session, early->mline, early->candidate);
    }
    g_ptr_array_set_size (session->early_candidates, 0);
  }
  g_free (sdp);
  session_arm_watchdog (session);
}

static void
answer_local_set (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GError *error = NULL;

  if (!gst_rtc_bin_set_local_description_finish (GST_RTC_BIN (source), result,
          &error)) {
    session_fail (session, "Could not set our answer", error->message);
    g_clear_error (&error);
  } else if (!session_closing (session)) {
    if (session->mode == MODE_WHIP)
      session_when_gathered (session, answer_ready);
    else
      answer_ready (session);
  }
  session_unref (session);
}

static gboolean
answer_accepts_something (const gchar * sdp)
{
  GstRtcSessionDescription *answer;
  gboolean any = FALSE;
  guint i;

  answer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, sdp,
      NULL);
  if (answer == NULL)
    return FALSE;
  for (i = 0; i < answer->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (answer->media, i);

    if (!media->rejected && media->application == NULL)
      any = TRUE;
  }
  gst_rtc_session_description_free (answer);
  return any;
}

static void
answer_created (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GError *error = NULL;
  gchar *sdp;

  sdp = gst_rtc_bin_create_answer_finish (GST_RTC_BIN (source), result,
      &error);
  if (sdp == NULL) {
    session_fail (session, "Could not answer the offer", error->message);
    g_clear_error (&error);
  } else if (!answer_accepts_something (sdp)) {
    session_fail (session, "The offer has no codec rtcsrc can receive",
        NULL);
  } else if (!session_closing (session)) {
    gst_rtc_bin_set_local_description_async (GST_RTC_BIN (source),
        GST_RTC_SDP_TYPE_ANSWER, sdp, NULL, answer_local_set,
        session_ref (session));
  }
  g_free (sdp);
  session_unref (session);
}

static void
offer_remote_set (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Session *session = user_data;
  GError *error = NULL;

  if (!gst_rtc_bin_set_remote_description_finish (GST_RTC_BIN (source), result,
          &error)) {
    gchar *why = g_strdup_printf ("The offer cannot be used: %s",
        error->message);

    session_fail (session, why, error->message);
    g_free (why);
    g_clear_error (&error);
  } else if (!session_closing (session)) {
    gst_rtc_bin_create_answer_async (GST_RTC_BIN (source), NULL, NULL,
        answer_created, session_ref (session));
  }
  session_unref (session);
}

/* ---- WHIP endpoint ---- */

typedef struct
{
  GstRtcSrc *src;
  GstRtcHttpRequest *request;
  gchar *sdp;
  gchar *id;
} WhipOffer;

static void
whip_offer_free (gpointer data)
{
  WhipOffer *offer = data;

  g_clear_object (&offer->request);
  g_free (offer->sdp);
  g_free (offer->id);
  g_free (offer);
}

static gboolean
whip_accept (gpointer user_data)
{
  WhipOffer *offer = user_data;
  GstRtcSrc *self = offer->src;
  Session *session;
  gboolean ok;

  g_mutex_lock (&self->lock);
  self->whip_reserved = FALSE;
  ok = self->running && self->session == NULL;
  g_mutex_unlock (&self->lock);
  if (!ok) {
    gst_rtc_http_request_add_response_header (offer->request, "Retry-After",
        RETRY_AFTER_SECONDS);
    gst_rtc_http_request_respond_text (offer->request, 503,
        "rtcsrc is not running");
    return G_SOURCE_REMOVE;
  }
  session = session_new (self, MODE_WHIP, NULL,
      gst_rtc_http_request_get_remote_address (offer->request));
  session->etag = random_token (8);
  g_mutex_lock (&self->lock);
  session->request = g_steal_pointer (&offer->request);
  g_mutex_unlock (&self->lock);
  gst_rtc_bin_set_remote_description_async (GST_RTC_BIN (session->rtcbin),
      GST_RTC_SDP_TYPE_OFFER, offer->sdp, NULL, offer_remote_set,
      session_ref (session));
  session_unref (session);
  return G_SOURCE_REMOVE;
}

static void
whip_handle_offer (GstRtcSrc * self, GstRtcHttpRequest * request)
{
  GBytes *body = gst_rtc_http_request_get_body (request);
  GstRtcSessionDescription *desc;
  GError *error = NULL;
  const gchar *data;
  gchar *text, *message;
  gsize len = 0;
  gboolean sends = FALSE, running, busy;
  WhipOffer *offer;
  GMainContext *context;
  guint i;

  if (!media_type_is (gst_rtc_http_request_get_header (request,
              "Content-Type"), "application/sdp")) {
    gst_rtc_http_request_respond_text (request, 415,
        "a WHIP offer is application/sdp");
    return;
  }
  data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  if (data == NULL || len == 0) {
    gst_rtc_http_request_respond_text (request, 400,
        "the body is empty: WHIP needs an SDP offer");
    return;
  }
  if (memchr (data, '\0', len) != NULL) {
    gst_rtc_http_request_respond_text (request, 400,
        "the offer contains a NUL byte");
    return;
  }
  text = g_strndup (data, len);
  desc = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, text,
      &error);
  if (desc == NULL) {
    message = g_strdup_printf ("malformed SDP offer: %s", error->message);
    GST_INFO_OBJECT (self, "offer from %s: %s",
        gst_rtc_http_request_get_remote_address (request), message);
    gst_rtc_http_request_respond_text (request, 400, message);
    g_free (message);
    g_free (text);
    g_clear_error (&error);
    return;
  }
  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

    if (!media->rejected && media->application == NULL
        && (media->direction == GST_RTC_DIRECTION_SENDONLY
            || media->direction == GST_RTC_DIRECTION_SENDRECV))
      sends = TRUE;
  }
  gst_rtc_session_description_free (desc);
  if (!sends) {
    gst_rtc_http_request_respond_text (request, 400,
        "the offer sends no audio or video");
    g_free (text);
    return;
  }

  g_mutex_lock (&self->lock);
  running = self->running;
  busy = self->session != NULL || self->whip_reserved;
  if (running && !busy)
    self->whip_reserved = TRUE;
  context = self->context ? g_main_context_ref (self->context) : NULL;
  g_mutex_unlock (&self->lock);
  if (!running || context == NULL || busy) {
    gst_rtc_http_request_add_response_header (request, "Retry-After",
        RETRY_AFTER_SECONDS);
    if (busy && running)
      gst_rtc_http_request_respond_text (request, 409,
          "another publisher is live: rtcsrc takes one at a time");
    else
      gst_rtc_http_request_respond_text (request, 503,
          "rtcsrc is not playing");
    g_free (text);
    if (context != NULL)
      g_main_context_unref (context);
    return;
  }
  offer = g_new0 (WhipOffer, 1);
  offer->src = self;
  offer->request = g_object_ref (request);
  offer->sdp = text;
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, whip_accept, offer,
      whip_offer_free);
  g_main_context_unref (context);
}

static Session *
lookup_session (GstRtcSrc * self, const gchar * id)
{
  Session *session = NULL;

  g_mutex_lock (&self->lock);
  if (self->session != NULL && g_strcmp0 (self->session->id, id) == 0
      && !session_closing (self->session))
    session = session_ref (self->session);
  g_mutex_unlock (&self->lock);
  return session;
}

static void
end_by_delete (Session * session)
{
  session_end (session, "the publisher hung up (DELETE)", FALSE);
}

static void offer_remote_set (GObject * source, GAsyncResult * result,
    gpointer user_data);

/* Control thread: the publisher's restart offer goes to rtcbin, which
 * moves the transport to a fresh ICE stream; answer_ready() then answers
 * the PATCH. */
static void
whip_restart (Session * session)
{
  GstRtcSrc *self = session->src;
  gchar *offer;

  g_mutex_lock (&self->lock);
  offer = g_strdup (session->restart_offer);
  g_mutex_unlock (&self->lock);
  if (offer == NULL || session->rtcbin == NULL || session_closing (session)) {
    g_free (offer);
    return;
  }
  session->gathered = FALSE;
  gst_rtc_bin_set_remote_description_async (GST_RTC_BIN (session->rtcbin),
      GST_RTC_SDP_TYPE_OFFER, offer, NULL, offer_remote_set,
      session_ref (session));
  g_free (offer);
}

/* Appends the fragment's candidates (at most MAX_TRICKLED_CANDIDATES in
 * all, counted in @n) and its end-of-candidates. */
static void
append_frag_candidates (GString * sdp, gchar ** frag_lines, guint * n)
{
  guint j;

  for (j = 0; frag_lines[j] != NULL; j++) {
    const gchar *c = frag_lines[j];

    if ((g_str_has_prefix (c, "a=candidate:")
            && (*n)++ < MAX_TRICKLED_CANDIDATES)
        || g_str_equal (c, "a=end-of-candidates"))
      g_string_append_printf (sdp, "%s\r\n", c);
  }
}

/* The publisher's offer with the fragment's credentials and candidates
 * (in the first m-section) instead of the old ones. */
static gchar *
restart_offer_sdp (const gchar * remote, const gchar * ufrag,
    const gchar * pwd, gchar ** frag_lines)
{
  GString *sdp = g_string_new (NULL);
  gchar **lines = g_strsplit (remote, "\n", -1);
  guint i, sections = 0, n = 0;

  for (i = 0; lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);

    if (*line == '\0')
      continue;
    if (g_str_has_prefix (line, "m=")) {
      /* The end of the first m-section: the new candidates. */
      if (sections == 1)
        append_frag_candidates (sdp, frag_lines, &n);
      sections++;
    }
    if (g_str_has_prefix (line, "a=candidate:")
        || g_str_equal (line, "a=end-of-candidates"))
      continue;
    if (g_str_has_prefix (line, "a=ice-ufrag:"))
      g_string_append_printf (sdp, "a=ice-ufrag:%s\r\n", ufrag);
    else if (g_str_has_prefix (line, "a=ice-pwd:"))
      g_string_append_printf (sdp, "a=ice-pwd:%s\r\n", pwd);
    else
      g_string_append_printf (sdp, "%s\r\n", line);
  }
  if (sections == 1)
    append_frag_candidates (sdp, frag_lines, &n);
  g_strfreev (lines);
  return g_string_free (sdp, FALSE);
}

/* HTTP thread: a PATCH with new ICE credentials. */
static gboolean
whip_handle_restart (GstRtcSrc * self, GstRtcHttpRequest * request,
    Session * session, gchar ** lines)
{
  gchar *ufrag = NULL, *pwd = NULL, *remote = NULL, *old_ufrag = NULL;
  GstElement *rtcbin = NULL;
  gboolean restart = FALSE;
  guint i;

  for (i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "a=ice-ufrag:") && ufrag == NULL)
      ufrag = g_strdup (lines[i] + strlen ("a=ice-ufrag:"));
    else if (g_str_has_prefix (lines[i], "a=ice-pwd:") && pwd == NULL)
      pwd = g_strdup (lines[i] + strlen ("a=ice-pwd:"));
  }
  if (ufrag == NULL && pwd == NULL)
    return FALSE;

  g_mutex_lock (&self->lock);
  if (session->rtcbin != NULL)
    rtcbin = gst_object_ref (session->rtcbin);
  g_mutex_unlock (&self->lock);
  if (rtcbin != NULL)
    g_object_get (rtcbin, "remote-description", &remote, NULL);
  if (remote != NULL)
    old_ufrag = sdp_line_value (remote, "a=ice-ufrag:");
  if (ufrag != NULL && pwd != NULL && old_ufrag != NULL
      && g_str_equal (ufrag, old_ufrag)) {
    /* The same credentials: plain trickle. */
    goto done;
  }
  restart = TRUE;
  if (ufrag == NULL || pwd == NULL || *ufrag == '\0' || *pwd == '\0'
      || strlen (ufrag) > 256 || strlen (pwd) > 256) {
    gst_rtc_http_request_respond_text (request, 400, "an ICE restart needs "
        "both a=ice-ufrag and a=ice-pwd");
    goto done;
  }
  if (remote == NULL) {
    gst_rtc_http_request_respond_text (request, 409, "the session cannot "
        "restart ICE before it is established");
    goto done;
  }
  g_mutex_lock (&self->lock);
  if (session->restart_request != NULL || session->request != NULL) {
    g_mutex_unlock (&self->lock);
    gst_rtc_http_request_respond_text (request, 409,
        "an answer or ICE restart is already in progress");
    goto done;
  }
  session->restart_request = g_object_ref (request);
  g_free (session->restart_offer);
  session->restart_offer = restart_offer_sdp (remote, ufrag, pwd, lines);
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "publisher %s: ICE restart", session->id);
  session_invoke (session, whip_restart);

done:
  gst_clear_object (&rtcbin);
  g_free (remote);
  g_free (old_ufrag);
  g_free (ufrag);
  g_free (pwd);
  return restart;
}

static gboolean
whip_etag_matches (GstRtcSrc * self, GstRtcHttpRequest * request,
    Session * session)
{
  const gchar *if_match = gst_rtc_http_request_get_header (request,
      "If-Match");
  gchar *quoted;
  gboolean match;

  if (if_match == NULL || g_str_equal (if_match, "*"))
    return TRUE;
  g_mutex_lock (&self->lock);
  quoted = g_strdup_printf ("\"%s\"", session->etag ? session->etag : "");
  match = g_str_equal (if_match, quoted);
  g_mutex_unlock (&self->lock);
  g_free (quoted);
  return match;
}

static void
whip_handle_patch (GstRtcSrc * self, GstRtcHttpRequest * request,
    Session * session)
{
  GBytes *body = gst_rtc_http_request_get_body (request);
  const gchar *data;
  gchar *text, **lines;
  gsize len = 0;
  guint i, added = 0;
  GstElement *rtcbin = NULL;

  if (!media_type_is (gst_rtc_http_request_get_header (request,
              "Content-Type"), "application/trickle-ice-sdpfrag")) {
    gst_rtc_http_request_respond_text (request, 415,
        "a WHIP PATCH is application/trickle-ice-sdpfrag");
    return;
  }
  data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  if (data != NULL && memchr (data, '\0', len) != NULL) {
    gst_rtc_http_request_respond_text (request, 400,
        "the fragment contains a NUL byte");
    return;
  }
  if (!whip_etag_matches (self, request, session)) {
    gst_rtc_http_request_respond_text (request, 412,
        "If-Match does not match the session's ETag");
    return;
  }
  text = g_strndup (data != NULL ? data : "", len);
  lines = g_strsplit (text, "\n", -1);
  g_free (text);
  for (i = 0; lines[i] != NULL; i++)
    g_strstrip (lines[i]);
  if (whip_handle_restart (self, request, session, lines)) {
    g_strfreev (lines);
    return;
  }
  g_mutex_lock (&self->lock);
  if (session->rtcbin != NULL)
    rtcbin = gst_object_ref (session->rtcbin);
  g_mutex_unlock (&self->lock);
  for (i = 0; rtcbin != NULL && lines[i] != NULL; i++) {
    gchar *line = g_strstrip (lines[i]);
    GError *error = NULL;

    if (g_str_has_prefix (line, "a=candidate:")) {
      if (session->n_trickled >= MAX_TRICKLED_CANDIDATES) {
        GST_INFO_OBJECT (self, "publisher %s: too many candidates",
            session->id);
        continue;
      }
      session->n_trickled++;
      if (!gst_rtc_bin_add_ice_candidate (GST_RTC_BIN (rtcbin), 0, NULL,
              line + 2, &error)) {
        gchar *message = g_strdup_printf ("bad candidate: %s", error->message);

        gst_rtc_http_request_respond_text (request, 400, message);
        g_free (message);
        g_clear_error (&error);
        g_strfreev (lines);
        gst_object_unref (rtcbin);
        return;
      }
      added++;
    } else if (g_str_equal (line, "a=end-of-candidates")) {
      gst_rtc_bin_add_ice_candidate (GST_RTC_BIN (rtcbin), 0, NULL, NULL,
          NULL);
    }
  }
  g_strfreev (lines);
  if (rtcbin == NULL) {
    gst_rtc_http_request_respond_text (request, 404, "no such session");
    return;
  }
  gst_object_unref (rtcbin);
  GST_DEBUG_OBJECT (self, "publisher %s: %u trickled candidates", session->id,
      added);
  gst_rtc_http_request_respond (request, 204, NULL, NULL);
}

/* The HTTP server's thread. */
static void
on_whip_request (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  GstRtcSrc *self = user_data;
  const gchar *method = gst_rtc_http_request_get_method (request);
  const gchar *subpath = gst_rtc_http_request_get_subpath (request);
  Session *session;

  if (subpath[0] == '\0' || g_str_equal (subpath, "/")) {
    if (g_str_equal (method, "POST")) {
      whip_handle_offer (self, request);
    } else {
      gst_rtc_http_request_add_response_header (request, "Allow", "POST");
      gst_rtc_http_request_respond_text (request, 405,
          "POST an SDP offer here");
    }
    return;
  }
  session = strchr (subpath + 1, '/') == NULL ?
      lookup_session (self, subpath + 1) : NULL;
  if (session == NULL) {
    gst_rtc_http_request_respond_text (request, 404, "no such session");
    return;
  }
  if (g_str_equal (method, "DELETE")) {
    session_invoke (session, end_by_delete);
    gst_rtc_http_request_respond (request, 200, NULL, NULL);
  } else if (g_str_equal (method, "PATCH")) {
    whip_handle_patch (self, request, session);
  } else {
    gst_rtc_http_request_add_response_header (request, "Allow",
        "PATCH, DELETE");
    gst_rtc_http_request_respond_text (request, 405,
        "PATCH or DELETE a session");
  }
  session_unref (session);
}

/* ---- signaller ---- */

typedef struct
{
  GstRtcSrc *src;
  gchar *session_id;
  gchar *peer;
  gchar *type;
  gchar *sdp;
  guint mline;
  gchar *mid;
  gchar *candidate;
} SignallerEvent;

static void
signaller_event_free (gpointer data)
{
  SignallerEvent *event = data;

  g_free (event->session_id);
  g_free (event->peer);
  g_free (event->type);
  g_free (event->sdp);
  g_free (event->mid);
  g_free (event->candidate);
  g_free (event);
}

static void
signaller_invoke (GstRtcSrc * self, GSourceFunc func, SignallerEvent * event)
{
  GMainContext *context = get_context (self);

  event->src = self;
  if (context == NULL) {
    signaller_event_free (event);
    return;
  }
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, func, event,
      signaller_event_free);
  g_main_context_unref (context);
}

/* Control thread: the session named @id, or NULL. */
static Session *
current_session (GstRtcSrc * self, const gchar * id)
{
  return lookup_session (self, id);
}

static void
replace_current_session (GstRtcSrc * self, const gchar * reason)
{
  Session *old;

  g_mutex_lock (&self->lock);
  old = self->session != NULL ? session_ref (self->session) : NULL;
  g_mutex_unlock (&self->lock);
  if (old != NULL) {
    session_end (old, reason, TRUE);
    session_unref (old);
  }
}

static gboolean
signaller_session_requested (gpointer user_data)
{
  SignallerEvent *event = user_data;
  GstRtcSrc *self = event->src;
  Session *session;

  g_mutex_lock (&self->lock);
  if (!self->running || self->active_signaller == NULL) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  g_mutex_unlock (&self->lock);
  replace_current_session (self, "a new session was requested");
  session = session_new (self, MODE_SIGNALLER, event->session_id, event->peer);
  session_offer (session);
  session_unref (session);
  return G_SOURCE_REMOVE;
}

static gboolean
signaller_session_description (gpointer user_data)
{
  SignallerEvent *event = user_data;
  GstRtcSrc *self = event->src;
  Session *session = current_session (self, event->session_id);

  if (g_strcmp0 (event->type, "offer") == 0) {
    /* The friend offers instead: answer it, as a WHIP endpoint would. */
    g_mutex_lock (&self->lock);
    if (!self->running || self->active_signaller == NULL) {
      g_mutex_unlock (&self->lock);
      g_clear_pointer (&session, session_unref);
      return G_SOURCE_REMOVE;
    }
    g_mutex_unlock (&self->lock);
    if (session == NULL) {
      replace_current_session (self, "another session offered");
      session = session_new (self, MODE_SIGNALLER, event->session_id, NULL);
    }
    gst_rtc_bin_set_remote_description_async (GST_RTC_BIN (session->rtcbin),
        GST_RTC_SDP_TYPE_OFFER, event->sdp, NULL, offer_remote_set,
        session_ref (session));
  } else if (session != NULL && g_strcmp0 (event->type, "answer") == 0) {
    gst_rtc_bin_set_remote_description_async (GST_RTC_BIN (session->rtcbin),
        GST_RTC_SDP_TYPE_ANSWER, event->sdp, NULL, answer_remote_set,
        session_ref (session));
  } else {
    GST_WARNING_OBJECT (self, "%s for session %s ignored",
        GST_STR_NULL (event->type), event->session_id);
  }
  g_clear_pointer (&session, session_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
signaller_handle_ice (gpointer user_data)
{
  SignallerEvent *event = user_data;
  Session *session = current_session (event->src, event->session_id);
  GError *error = NULL;

  if (session == NULL)
    return G_SOURCE_REMOVE;
  if (!gst_rtc_bin_add_ice_candidate (GST_RTC_BIN (session->rtcbin),
          event->mline, event->mid, event->candidate != NULL
          && event->candidate[0] != '\0' ? event->candidate : NULL, &error)) {
    GST_WARNING_OBJECT (event->src, "session %s: candidate refused: %s",
        session->id, error->message);
    g_clear_error (&error);
  }
  session_unref (session);
  return G_SOURCE_REMOVE;
}

static gboolean
signaller_session_ended (gpointer user_data)
{
  SignallerEvent *event = user_data;
  Session *session = current_session (event->src, event->session_id);

  if (session != NULL) {
    session_end (session, "the peer ended the session", FALSE);
    session_unref (session);
  }
  return G_SOURCE_REMOVE;
}

static void
on_signaller_session_requested (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * peer, GstRtcSrc * self)
{
  SignallerEvent *event = g_new0 (SignallerEvent, 1);

  event->session_id = g_strdup (session_id);
  event->peer = g_strdup (peer);
  signaller_invoke (self, signaller_session_requested, event);
}

static void
on_signaller_session_description (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * type, const gchar * sdp,
    GstRtcSrc * self)
{
  SignallerEvent *event = g_new0 (SignallerEvent, 1);

  event->session_id = g_strdup (session_id);
  event->type = g_strdup (type);
  event->sdp = g_strdup (sdp);
  signaller_invoke (self, signaller_session_description, event);
}

static void
on_signaller_handle_ice (GstRtcSignaller * signaller, const gchar * session_id,
    guint mline, const gchar * mid, const gchar * candidate, GstRtcSrc * self)
{
  SignallerEvent *event = g_new0 (SignallerEvent, 1);

  event->session_id = g_strdup (session_id);
  event->mline = mline;
  event->mid = g_strdup (mid);
  event->candidate = g_strdup (candidate);
  signaller_invoke (self, signaller_handle_ice, event);
}

static void
on_signaller_session_ended (GstRtcSignaller * signaller,
    const gchar * session_id, GstRtcSrc * self)
{
  SignallerEvent *event = g_new0 (SignallerEvent, 1);

  event->session_id = g_strdup (session_id);
  signaller_invoke (self, signaller_session_ended, event);
}

static void
on_signaller_error (GstRtcSignaller * signaller, const GError * error,
    GstRtcSrc * self)
{
  GST_ELEMENT_WARNING (self, RESOURCE, READ, ("Signalling failed: %s",
          error != NULL ? error->message : "?"), (NULL));
}

/* ---- start and stop ---- */

static gpointer
control_thread (gpointer user_data)
{
  GstRtcSrc *self = user_data;

  g_main_context_push_thread_default (self->context);
  self->soup = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S,
      "user-agent", "gst-rtc-rtcsrc", NULL);
  g_main_loop_run (self->loop);
  /* What the last operations still had to say. */
  while (g_main_context_iteration (self->context, FALSE));
  g_clear_object (&self->soup);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* NULL to READY: the control thread, and the WHIP mount (so that a port in
 * use fails the state change). */
static gboolean
gst_rtc_src_open (GstRtcSrc * self)
{
  static const gchar *whip_methods[] = { "POST", "PATCH", "DELETE", NULL };
  GstRtcHttpServer *server = NULL;
  GTlsCertificate *tls = NULL;
  gchar *address, *whep_url, *token, *tls_file, *key_file, *announced;
  gchar *base, *whip_path = NULL;
  guint port, port_min, port_max;
  gboolean have_signaller;
  Mode mode;
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  whep_url = g_strdup (self->whep_url);
  token = g_strdup (self->bearer_token);
  port = self->port;
  have_signaller = self->signaller != NULL;
  tls_file = g_strdup (self->tls_certificate);
  key_file = g_strdup (self->tls_key);
  port_min = self->port_min;
  port_max = self->port_max;
  announced = g_strdup (self->announced_address);
  base = g_strdup (self->path);
  GST_OBJECT_UNLOCK (self);

  if (!gst_rtc_element_check_mount_base (base, &error)
      || !gst_rtc_element_check_ice_settings (&port_min, &port_max, announced,
          &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    goto fail;
  }

  if (have_signaller)
    mode = MODE_SIGNALLER;
  else if (whep_url != NULL)
    mode = MODE_WHEP;
  else if (port != 0)
    mode = MODE_WHIP;
  else
    mode = MODE_NONE;

  if (mode == MODE_NONE) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("rtcsrc needs whep-url, port or signaller"), (NULL));
    goto fail;
  }
  if (mode == MODE_WHEP) {
    GUri *uri = g_uri_parse (whep_url, G_URI_FLAGS_NONE, NULL);
    gboolean http = uri != NULL && (g_strcmp0 (g_uri_get_scheme (uri),
            "http") == 0 || g_strcmp0 (g_uri_get_scheme (uri),
            "https") == 0);

    if (uri != NULL)
      g_uri_unref (uri);
    if (!http) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid whep-url \"%s\": an http:// or https:// URL is needed",
              whep_url), (NULL));
      goto fail;
    }
  }
  if (mode == MODE_WHIP) {
    if (tls_file != NULL && *tls_file != '\0') {
      tls = gst_rtc_element_load_tls_certificate (tls_file, key_file, &error);
      if (tls == NULL) {
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
            (NULL));
        goto fail;
      }
    } else if (key_file != NULL && *key_file != '\0') {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("tls-key is set but tls-certificate is not"), (NULL));
      goto fail;
    }
    server = gst_rtc_http_server_acquire (address, port, tls, &error);
    if (server == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("Could not listen for %s on %s:%u: %s", tls ? "HTTPS" : "HTTP",
              address, port, error->message), ("%s", error->message));
      goto fail;
    }
    whip_path = gst_rtc_element_mount_path (base, WHIP_PATH);
    if (!gst_rtc_http_server_add_mount (server, whip_path, on_whip_request,
            self, NULL)) {
      GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
          ("%s:%u already serves %s (another rtcsrc? set path)", address,
              port, whip_path), (NULL));
      gst_rtc_http_server_release (server);
      goto fail;
    }
    gst_rtc_http_server_set_mount_methods (server, whip_path, whip_methods);
    gst_rtc_http_server_set_mount_bearer_token (server, whip_path, token);
  }

  g_mutex_lock (&self->lock);
  self->mode = mode;
  self->server = server;
  g_free (self->whip_path);
  self->whip_path = g_strdup (whip_path);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("rtcsrc", control_thread, self);
  g_mutex_unlock (&self->lock);

  if (server != NULL) {
    gchar *url = gst_rtc_http_server_get_url (server, whip_path, FALSE);

    GST_INFO_OBJECT (self, "WHIP endpoint at %s", url);
    post_element_message (self, gst_structure_new ("rtcsrc-listening",
            "url", G_TYPE_STRING, url,
            "port", G_TYPE_UINT, gst_rtc_http_server_get_port (server),
            NULL));
    g_free (url);
  }
  g_free (address);
  g_free (whep_url);
  g_free (token);
  g_free (tls_file);
  g_free (key_file);
  g_free (announced);
  g_free (base);
  g_free (whip_path);
  g_clear_object (&tls);
  return TRUE;

fail:
  g_clear_error (&error);
  g_free (address);
  g_free (whep_url);
  g_free (token);
  g_free (tls_file);
  g_free (key_file);
  g_free (announced);
  g_free (base);
  g_free (whip_path);
  g_clear_object (&tls);
  return FALSE;
}

static gboolean
start_sessions (gpointer user_data)
{
  GstRtcSrc *self = user_data;
  GstRtcSignaller *signaller = NULL;
  Mode mode;

  g_mutex_lock (&self->lock);
  self->running = TRUE;
  mode = self->mode;
  g_mutex_unlock (&self->lock);
  self->backoff_ms = 0;

  if (mode == MODE_WHEP) {
    whep_connect (self);
  } else if (mode == MODE_SIGNALLER) {
    GParamSpec *role;

    GST_OBJECT_LOCK (self);
    signaller = self->signaller ? g_object_ref (self->signaller) : NULL;
    GST_OBJECT_UNLOCK (self);
    if (signaller == NULL)
      return G_SOURCE_REMOVE;
    role = g_object_class_find_property (G_OBJECT_GET_CLASS (signaller),
        "role");
    if (role != NULL && role->value_type == G_TYPE_STRING
        && (role->flags & G_PARAM_WRITABLE))
      g_object_set (signaller, "role", "consumer", NULL);
    g_mutex_lock (&self->lock);
    self->active_signaller = signaller;
    self->signaller_handlers[0] = g_signal_connect (signaller,
        "session-requested", G_CALLBACK (on_signaller_session_requested),
        self);
    self->signaller_handlers[1] = g_signal_connect (signaller,
        "session-description", G_CALLBACK (on_signaller_session_description),
        self);
    self->signaller_handlers[2] = g_signal_connect (signaller, "handle-ice",
        G_CALLBACK (on_signaller_handle_ice), self);
    self->signaller_handlers[3] = g_signal_connect (signaller,
        "session-ended", G_CALLBACK (on_signaller_session_ended), self);
    self->signaller_handlers[4] = g_signal_connect (signaller, "error",
        G_CALLBACK (on_signaller_error), self);
    g_mutex_unlock (&self->lock);
    gst_rtc_signaller_start (signaller);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
stop_sessions (gpointer user_data)
{
  GstRtcSrc *self = user_data;
  GstRtcSignaller *signaller;
  Session *session;
  guint i;

  g_mutex_lock (&self->lock);
  self->running = FALSE;
  session = self->session != NULL ? session_ref (self->session) : NULL;
  signaller = self->active_signaller;
  g_mutex_unlock (&self->lock);
  clear_source (&self->retry);
  if (session != NULL) {
    session_end (session, "rtcsrc stopped", TRUE);
    session_unref (session);
  }
  if (signaller != NULL) {
    gst_rtc_signaller_stop (signaller);
    g_mutex_lock (&self->lock);
    self->active_signaller = NULL;
    g_mutex_unlock (&self->lock);
    for (i = 0; i < G_N_ELEMENTS (self->signaller_handlers); i++) {
      if (self->signaller_handlers[i] != 0)
        g_signal_handler_disconnect (signaller, self->signaller_handlers[i]);
      self->signaller_handlers[i] = 0;
    }
    g_object_unref (signaller);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
gst_rtc_src_close (GstRtcSrc * self)
{
  GstRtcHttpServer *server;
  gchar *whip_path;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint i;

  g_mutex_lock (&self->lock);
  server = g_steal_pointer (&self->server);
  whip_path = g_steal_pointer (&self->whip_path);
  context = self->context;
  loop = self->loop;
  thread = g_steal_pointer (&self->thread);
  g_mutex_unlock (&self->lock);

  if (server != NULL) {
    /* No handler runs once the mount is gone. */
    gst_rtc_http_server_remove_mount (server, whip_path);
    gst_rtc_http_server_release (server);
  }
  g_free (whip_path);
  if (thread != NULL) {
    gst_rtc_worker_pool_invoke_sync (context, stop_sessions, self);
    g_main_context_invoke (context, quit_loop, loop);
    g_thread_join (thread);
  }
  g_mutex_lock (&self->lock);
  self->context = NULL;
  self->loop = NULL;
  self->mode = MODE_NONE;
  g_mutex_unlock (&self->lock);
  if (loop != NULL)
    g_main_loop_unref (loop);
  if (context != NULL)
    g_main_context_unref (context);

  /* The pads go with the element's run. */
  g_mutex_lock (&self->slot_lock);
  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    gst_pad_set_active (slot->ghost, FALSE);
    gst_element_remove_pad (GST_ELEMENT (self), slot->ghost);
    gst_object_unref (slot->ghost);
  }
  g_ptr_array_set_size (self->slots, 0);
  g_mutex_unlock (&self->slot_lock);
}

/* EOS from the application (gst-launch-1.0 -e): sessions come and go
 * behind the pads, so rtcsrc ends the pads' streams itself. */
static gboolean
gst_rtc_src_send_event (GstElement * element, GstEvent * event)
{
  GstRtcSrc *self = GST_RTC_SRC (element);
  GPtrArray *pads;
  guint i;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);

  g_atomic_int_set (&self->eos, 1);
  pads = g_ptr_array_new_with_free_func (gst_object_unref);
  g_mutex_lock (&self->slot_lock);
  for (i = 0; i < self->slots->len; i++) {
    Slot *slot = g_ptr_array_index (self->slots, i);

    g_ptr_array_add (pads, gst_object_ref (slot->ghost));
  }
  g_mutex_unlock (&self->slot_lock);
  GST_INFO_OBJECT (self, "EOS on %u pads", pads->len);
  for (i = 0; i < pads->len; i++)
    gst_pad_push_event (g_ptr_array_index (pads, i), gst_event_ref (event));
  g_ptr_array_unref (pads);
  gst_event_unref (event);
  return TRUE;
}

static GstStateChangeReturn
gst_rtc_src_change_state (GstElement * element, GstStateChange transition)
{
  GstRtcSrc *self = GST_RTC_SRC (element);
  GstStateChangeReturn ret;
  GMainContext *context;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_rtc_src_open (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      g_atomic_int_set (&self->eos, 0);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      context = get_context (self);
      if (context != NULL) {
        gst_rtc_worker_pool_invoke_sync (context, stop_sessions, self);
        g_main_context_unref (context);
      }
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
      gst_rtc_src_close (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      context = get_context (self);
      if (context != NULL) {
        g_main_context_invoke (context, start_sessions, self);
        g_main_context_unref (context);
      }
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_rtc_src_close (self);
      break;
    default:
      break;
  }
  return ret;
}

/* ---- GObject ---- */

static void
gst_rtc_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcSrc *self = GST_RTC_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WHEP_URL:
      g_free (self->whep_url);
      self->whep_url = g_value_dup_string (value);
      break;
    case PROP_BEARER_TOKEN:
      g_free (self->bearer_token);
      self->bearer_token = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = g_strdup (DEFAULT_PATH);
      break;
    case PROP_ADDRESS:
      g_free (self->address);
      self->address = g_value_dup_string (value);
      if (self->address == NULL)
        self->address = g_strdup (DEFAULT_ADDRESS);
      break;
    case PROP_SIGNALLER:
      g_clear_object (&self->signaller);
      self->signaller = g_value_dup_object (value);
      break;
    case PROP_STUN_SERVER:
      g_free (self->stun_server);
      self->stun_server = g_value_dup_string (value);
      break;
    case PROP_TURN_SERVER:
      g_free (self->turn_server);
      self->turn_server = g_value_dup_string (value);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      self->ice_transport_policy = g_value_get_enum (value);
      break;
    case PROP_LATENCY:
      self->latency = g_value_get_uint (value);
      break;
    case PROP_DECODE:
      self->decode = g_value_get_boolean (value);
      break;
    case PROP_RECEIVE_VIDEO:
      self->receive_video = g_value_get_boolean (value);
      break;
    case PROP_RECEIVE_AUDIO:
      self->receive_audio = g_value_get_boolean (value);
      break;
    case PROP_MEDIA_TIMEOUT:
      self->media_timeout = g_value_get_uint (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_free (self->tls_certificate);
      self->tls_certificate = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (self->tls_key);
      self->tls_key = g_value_dup_string (value);
      break;
    case PROP_PORT_MIN:
      self->port_min = g_value_get_uint (value);
      break;
    case PROP_PORT_MAX:
      self->port_max = g_value_get_uint (value);
      break;
    case PROP_ANNOUNCED_ADDRESS:
      g_free (self->announced_address);
      self->announced_address = g_value_dup_string (value);
      if (self->announced_address != NULL && *self->announced_address != '\0'
          && !g_hostname_is_ip_address (self->announced_address))
        GST_WARNING_OBJECT (self, "announced-address \"%s\" is not an IP "
            "address: starting will fail", self->announced_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtc_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtcSrc *self = GST_RTC_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_WHEP_URL:
      g_value_set_string (value, self->whep_url);
      break;
    case PROP_BEARER_TOKEN:
      g_value_set_string (value, self->bearer_token);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_SIGNALLER:
      g_value_set_object (value, self->signaller);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, self->stun_server);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, self->turn_server);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      g_value_set_enum (value, self->ice_transport_policy);
      break;
    case PROP_LATENCY:
      g_value_set_uint (value, self->latency);
      break;
    case PROP_DECODE:
      g_value_set_boolean (value, self->decode);
      break;
    case PROP_RECEIVE_VIDEO:
      g_value_set_boolean (value, self->receive_video);
      break;
    case PROP_RECEIVE_AUDIO:
      g_value_set_boolean (value, self->receive_audio);
      break;
    case PROP_MEDIA_TIMEOUT:
      g_value_set_uint (value, self->media_timeout);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_string (value, self->tls_certificate);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, self->tls_key);
      break;
    case PROP_PORT_MIN:
      g_value_set_uint (value, self->port_min);
      break;
    case PROP_PORT_MAX:
      g_value_set_uint (value, self->port_max);
      break;
    case PROP_ANNOUNCED_ADDRESS:
      g_value_set_string (value, self->announced_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtc_src_finalize (GObject * object)
{
  GstRtcSrc *self = GST_RTC_SRC (object);

  g_free (self->whep_url);
  g_free (self->bearer_token);
  g_free (self->path);
  g_free (self->whip_path);
  g_free (self->address);
  g_free (self->tls_certificate);
  g_free (self->tls_key);
  g_free (self->announced_address);
  g_clear_object (&self->signaller);
  g_free (self->stun_server);
  g_free (self->turn_server);
  g_ptr_array_unref (self->slots);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->slot_lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rtc_src_init (GstRtcSrc * self)
{
  self->whep_url = g_strdup (DEFAULT_WHEP_URL);
  self->bearer_token = g_strdup (DEFAULT_BEARER_TOKEN);
  self->port = DEFAULT_PORT;
  self->path = g_strdup (DEFAULT_PATH);
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->stun_server = g_strdup (DEFAULT_STUN_SERVER);
  self->turn_server = g_strdup (DEFAULT_TURN_SERVER);
  self->ice_transport_policy = DEFAULT_ICE_TRANSPORT_POLICY;
  self->latency = DEFAULT_LATENCY;
  self->decode = DEFAULT_DECODE;
  self->receive_video = DEFAULT_RECEIVE_VIDEO;
  self->receive_audio = DEFAULT_RECEIVE_AUDIO;
  self->media_timeout = DEFAULT_MEDIA_TIMEOUT;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->slot_lock);
  self->slots = g_ptr_array_new_with_free_func (g_free);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_rtc_src_class_init (GstRtcSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_src_set_property;
  gobject_class->get_property = gst_rtc_src_get_property;
  gobject_class->finalize = gst_rtc_src_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rtc_src_change_state);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_rtc_src_send_event);

  /**
   * GstRtcSrc:whep-url:
   *
   * Plays from this WHEP endpoint (`http://host:port/whep`), trying again
   * with backoff when it refuses, is unreachable or the connection drops.
   */
  properties[PROP_WHEP_URL] =
      g_param_spec_string ("whep-url", "WHEP URL",
      "Play from this WHEP endpoint", DEFAULT_WHEP_URL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:bearer-token:
   *
   * Sent as `Authorization: Bearer` to the WHEP server; as a WHIP
   * endpoint, required from publishers. Never logged.
   */
  properties[PROP_BEARER_TOKEN] =
      g_param_spec_string ("bearer-token", "Bearer token",
      "Bearer token for WHEP requests, or required from WHIP publishers",
      DEFAULT_BEARER_TOKEN,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:port:
   *
   * When not 0 (and neither whep-url nor signaller is set), serve a WHIP
   * endpoint at `/whip` on this TCP port. Elements with the same address
   * and port share one HTTP server.
   */
  properties[PROP_PORT] =
      g_param_spec_uint ("port", "Port",
      "TCP port of the WHIP endpoint (0: none)", 0, G_MAXUINT16, DEFAULT_PORT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:path:
   *
   * Where the WHIP endpoint is on the HTTP server: "" serves `/whip`,
   * `/room/alice` serves `/room/alice/whip`, so that several rtcsrc (and
   * rtcsink) share one port. Two elements that mount the same path on one
   * port: the second fails to start.
   */
  properties[PROP_PATH] =
      g_param_spec_string ("path", "Path",
      "URL path under which the WHIP endpoint is mounted (\"\": /whip)",
      DEFAULT_PATH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:address:
   *
   * The address the WHIP endpoint listens on.
   */
  properties[PROP_ADDRESS] =
      g_param_spec_string ("address", "Address",
      "Address the WHIP endpoint listens on", DEFAULT_ADDRESS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:signaller:
   *
   * Join sessions through this signaller: each `session-requested` gets
   * an offer to receive. A string `role` property of the signaller is
   * set to `consumer` before it starts.
   */
  properties[PROP_SIGNALLER] =
      g_param_spec_object ("signaller", "Signaller",
      "Signaller to receive sessions through", GST_RTC_TYPE_SIGNALLER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:stun-server:
   *
   * `stun://host:port`, for each session's rtcbin.
   */
  properties[PROP_STUN_SERVER] =
      g_param_spec_string ("stun-server", "STUN server",
      "STUN server (stun://host:port)", DEFAULT_STUN_SERVER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:turn-server:
   *
   * `turn://user:password@host:port`, for each session's rtcbin.
   */
  properties[PROP_TURN_SERVER] =
      g_param_spec_string ("turn-server", "TURN server",
      "TURN server (turn(s)://user:password@host:port)", DEFAULT_TURN_SERVER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:ice-transport-policy:
   *
   * `relay`: TURN candidates only.
   */
  properties[PROP_ICE_TRANSPORT_POLICY] =
      g_param_spec_enum ("ice-transport-policy", "ICE transport policy",
      "ICE transport policy", GST_RTC_TYPE_ICE_TRANSPORT_POLICY,
      DEFAULT_ICE_TRANSPORT_POLICY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:latency:
   *
   * The jitterbuffer latency of the next sessions, in milliseconds.
   */
  properties[PROP_LATENCY] =
      g_param_spec_uint ("latency", "Latency",
      "Jitterbuffer latency in ms", 0, G_MAXUINT, DEFAULT_LATENCY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcSrc:decode:
   *
   * Decode the received streams (decodebin), or output them encoded:
   * `video/x-vp8`, `video/x-vp9`, `video/x-h264` (byte-stream, access
   * units), `audio/x-opus`, `audio/x-mulaw`, `audio/x-alaw`.
   */
  properties[PROP_DECODE] =
      g_param_spec_boolean ("decode", "Decode",
      "Output decoded media (else encoded)", DEFAULT_DECODE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:receive-video:
   *
   * Offer to receive video (WHEP and signaller sessions).
   */
  properties[PROP_RECEIVE_VIDEO] =
      g_param_spec_boolean ("receive-video", "Receive video",
      "Offer to receive a video stream", DEFAULT_RECEIVE_VIDEO,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:receive-audio:
   *
   * Offer to receive audio (WHEP and signaller sessions).
   */
  properties[PROP_RECEIVE_AUDIO] =
      g_param_spec_boolean ("receive-audio", "Receive audio",
      "Offer to receive an audio stream", DEFAULT_RECEIVE_AUDIO,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:media-timeout:
   *
   * A session whose peer sends nothing for this many seconds (while
   * PLAYING) is ended: WHEP reconnects, a WHIP endpoint takes the next
   * publisher. 0 disables the check. Before the first packet a session
   * has 15 s.
   */
  properties[PROP_MEDIA_TIMEOUT] =
      g_param_spec_uint ("media-timeout", "Media timeout",
      "End a session after this many seconds without media (0: never)", 0,
      3600, DEFAULT_MEDIA_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcSrc:tls-certificate:
   *
   * A PEM file with the certificate (chain) for the WHIP endpoint to
   * serve HTTPS with; its private key is in the same file unless
   * #GstRtcSrc:tls-key names another. Elements sharing a port must name
   * the same certificate. None by default: plain HTTP. (A `https://`
   * #GstRtcSrc:whep-url needs nothing: that is the client side.)
   */
  properties[PROP_TLS_CERTIFICATE] = g_param_spec_string ("tls-certificate",
      "TLS certificate", "PEM file of the WHIP endpoint's HTTPS certificate "
      "(and its key, unless tls-key is set); none = plain HTTP",
      DEFAULT_TLS_CERTIFICATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:tls-key:
   *
   * A PEM file with the private key of #GstRtcSrc:tls-certificate, when
   * it is not in the certificate's file.
   */
  properties[PROP_TLS_KEY] = g_param_spec_string ("tls-key", "TLS key",
      "PEM file of the HTTPS private key (none: in tls-certificate's file)",
      DEFAULT_TLS_KEY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:port-min:
   *
   * The lowest local UDP port of the ICE host candidates (0: no lower
   * bound), in every mode. A port-min above port-max is an error when
   * the element starts.
   */
  properties[PROP_PORT_MIN] = g_param_spec_uint ("port-min",
      "Minimum UDP port", "Lowest local UDP port for ICE (0 = no bound)",
      0, G_MAXUINT16, DEFAULT_PORT_MIN,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:port-max:
   *
   * The highest local UDP port of the ICE host candidates (0: no upper
   * bound).
   */
  properties[PROP_PORT_MAX] = g_param_spec_uint ("port-max",
      "Maximum UDP port", "Highest local UDP port for ICE (0 = no bound)",
      0, G_MAXUINT16, DEFAULT_PORT_MAX,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSrc:announced-address:
   *
   * The public IP address of a 1:1 NAT in front of this host: each UDP
   * host candidate of the same family gets a server-reflexive twin with
   * this address and the same port. Anything but an IP literal is an
   * error when the element starts.
   */
  properties[PROP_ANNOUNCED_ADDRESS] =
      g_param_spec_string ("announced-address", "Announced address",
      "Public IP address of a 1:1 NAT in front of this host (none by "
      "default)", DEFAULT_ANNOUNCED_ADDRESS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class, "WebRTC source",
      "Source/Network/WebRTC",
      "Receives audio and video over WebRTC: plays WHEP, serves WHIP or "
      "joins a room through a signaller",
      "gst-rtc developers");
}
