/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcsink
 * @title: rtcsink
 * @see_also: rtcbin, #GstRtcFanout, #GstRtcHttpServer
 *
 * Serves a pipeline's audio and video to any number of browsers over
 * WebRTC, with nothing else to run: rtcsink is an HTTP server with a viewer
 * page at `/` and a WHEP endpoint at `/whep` (RFC 9725's sibling for
 * playback: POST an SDP offer, get 201 with the answer and a `Location`;
 * PATCH trickle candidates or an ICE restart to it; DELETE it to hang up).
 *
 * Each `video_%u` and `audio_%u` request pad takes raw media, which is
 * encoded once in real-time settings (VP8 at #GstRtcSink:video-bitrate,
 * Opus at 64 kbit/s), or media that is already encoded (VP8, VP9, H.264,
 * Opus), which is only parsed and payloaded, SPS and PPS repeated before
 * each IDR so that late joiners can start. Every viewer then gets the same
 * RTP packets through a #GstRtcFanout, rewritten to what that viewer
 * negotiated; a viewer is a plain structure with its own ICE stream and
 * DTLS-SRTP transport, not an element, a pad or a thread. Viewers' key
 * frame requests (PLI, FIR, and joining) are merged to at most one a
 * second per stream and sent upstream as a force-key-unit event.
 *
 * A WHEP offer that arrives before the input's caps are known waits for
 * them (at most 5 s, then 503 with `Retry-After`). Malformed offers get
 * 400 with the reason, other content types 415, bodies over 64 KiB 413,
 * offers past #GstRtcSink:max-viewers 503, unknown resources 404. A viewer
 * sends us at most 20 candidates. A viewer whose transport fails, closes,
 * or that sends an RTCP BYE is removed.
 *
 * The server listens on #GstRtcSink:address (all interfaces by default)
 * and #GstRtcSink:port; elements that use the same address and port share
 * one server. With #GstRtcSink:tls-certificate it serves HTTPS (browsers
 * count only `https://` pages, `localhost` and `127.0.0.1` as secure
 * contexts). #GstRtcSink:port-min and #GstRtcSink:port-max keep the media
 * in a UDP port range, and #GstRtcSink:announced-address adds the public
 * address of a 1:1 NAT to the candidates.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! rtcsink name=s port=8080 \
 *     audiotestsrc is-live=true ! s.
 * ]| Serves a test picture and tone: open http://127.0.0.1:8080/.
 * |[
 * gst-launch-1.0 v4l2src ! rtcsink
 * ]| A camera to browsers, in one line.
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency \
 *     key-int-max=60 ! rtcsink port=8080 bearer-token=secret
 * ]| H.264 encoded upstream is sent as it is; WHEP requests must carry
 * `Authorization: Bearer secret` (the viewer page takes `?token=secret`).
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! rtcsink port=8443 \
 *     tls-certificate=cert.pem tls-key=key.pem port-min=20000 \
 *     port-max=20099 announced-address=203.0.113.7
 * ]| HTTPS, media on UDP ports 20000-20099, behind a 1:1 NAT whose public
 * address is 203.0.113.7.
 *
 * |[
 * gst-launch-1.0 v4l2src ! video/x-raw,width=1280,height=720 ! rtcsink \
 *     ladder=640x360@600000,320x180@200000
 * ]| Encodes the camera three times (#GstRtcSink:ladder): each viewer is
 * moved between 1280x720, 640x360 and 320x180 by its own bandwidth.
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! rtcsink \
 *     signaller=ws://127.0.0.1:8443/stage
 * ]| Joins the room "stage" of gst-rtc-signalling as a producer and answers
 * every consumer that offers (#GstRtcSink:signaller). Pages may also use
 * `ws://host:8080/ws`, and #GstRtcSink:whip-url publishes to a WHIP server.
 *
 * Playing with curl, given an offer in offer.sdp:
 * |[
 * curl -i -X POST -H 'Content-Type: application/sdp' \
 *     --data-binary @offer.sdp http://127.0.0.1:8080/whep
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcsink.h"
#include "gstrtcelementutils.h"
#include "gstrtcsink-answer.h"
#include "gstrtcsink-signalling.h"
#include "gstrtcsink-transcode.h"

#include <gst/rtc/rtc.h>
#include <string.h>
#ifdef __linux__
#include <sys/random.h>
#endif

GST_DEBUG_CATEGORY_STATIC (gst_rtc_sink_debug);
#define GST_CAT_DEFAULT gst_rtc_sink_debug

#define DEFAULT_PORT 8080
#define DEFAULT_PATH ""
#define DEFAULT_ADDRESS "0.0.0.0"
#define DEFAULT_STUN_SERVER NULL
#define DEFAULT_TURN_SERVER NULL
#define DEFAULT_ICE_TRANSPORT_POLICY GST_RTC_ICE_TRANSPORT_POLICY_ALL
#define DEFAULT_MAX_VIEWERS 50
#define DEFAULT_VIDEO_BITRATE 1500000
#define DEFAULT_CONGESTION_CONTROL TRUE
#define DEFAULT_BEARER_TOKEN NULL
#define DEFAULT_TLS_CERTIFICATE NULL
#define DEFAULT_TLS_KEY NULL
#define DEFAULT_PORT_MIN 0
#define DEFAULT_PORT_MAX 0
#define DEFAULT_ANNOUNCED_ADDRESS NULL
#define DEFAULT_LADDER NULL

#define WHEP_PATH "/whep"
#define PAGE_PATH "/"
#define RESOURCE_PREFIX "/org/gstreamer/rtc/rtcsink/"

/* How long an offer waits for the input caps, and what a 503 then says. */
#define CAPS_WAIT_SECONDS 5
#define RETRY_AFTER_SECONDS "5"
/* Host candidates on a few interfaces take milliseconds; STUN a round
 * trip; a TURN allocation a few. Past this the answer goes out with what
 * was gathered (and no end-of-candidates). */
#define GATHER_TIMEOUT_MS 2000
#define MAX_LOCAL_CANDIDATES 32

#define VIDEO_CLOCK_RATE 90000
#define OPUS_CLOCK_RATE 48000
#define VIDEO_PAYLOAD_TYPE 96
#define OPUS_PAYLOAD_TYPE 111
#define RTP_MTU 1200
#define OPUS_BITRATE 64000

#define VP8_DEADLINE_REALTIME 1
#define VP8_CPU_USED 8
#define VP8_KEYFRAME_MAX_DIST 60
#define VP8_THREADS 2
/* Three temporal layers in the 0-2-1-2 pattern, so that the fan-out can
 * drop the upper ones for a viewer whose path is slower than the rest;
 * layers 0 and 0-1 carry 25 % and 50 % of the rate (what GstRtcFanout
 * assumes): a quarter of the frames, a quarter of the bits, so that a
 * viewer at a third of the others' rate still gets the base layer
 * through. */
#define VP8_TEMPORAL_LAYERS 3
#define VP8_LAYER0_PERCENT 25
#define VP8_LAYER1_PERCENT 50
/* The lowest rate congestion control gives the encoder. */
#define MIN_VIDEO_BITRATE 100000
/* At most one rtcsink-bandwidth message in this time (µs). */
#define BANDWIDTH_MESSAGE_INTERVAL G_USEC_PER_SEC

#define RTCP_BYE 203

/* The ladder: at most this many rungs below the primary, each within
 * what VP8 can carry and what #GstRtcSink:video-bitrate allows. */
#define LADDER_MAX_RUNGS 3
#define LADDER_MAX_DIMENSION 16383
#define LADDER_MIN_BITRATE 10000
#define LADDER_MAX_BITRATE G_MAXINT

/* Raw formats first, as we prefer them: what needs no conversion before
 * our encoder, then anything raw, then what we only payload. */
#define VIDEO_SINK_CAPS \
  "video/x-raw, format=(string)I420; video/x-raw; video/x-vp8; " \
  "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au; " \
  "video/x-h264; video/x-vp9"
#define AUDIO_SINK_CAPS \
  "audio/x-raw, format=(string)S16LE, rate=(int)48000; audio/x-raw; " \
  "audio/x-opus; audio/mpeg, mpegversion=(int){ 2, 4 }; audio/x-mulaw; " \
  "audio/x-alaw"

static GstStaticPadTemplate video_template =
GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (VIDEO_SINK_CAPS));

static GstStaticPadTemplate audio_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS (AUDIO_SINK_CAPS));

/* One rung of #GstRtcSink:ladder, as parsed. */
typedef struct
{
  guint width;
  guint height;
  guint bitrate;
} LadderSpec;

/* One rung of a raw video pad's ladder: the picture scaled and encoded
 * once more, into a fan-out stream of its own that is a rendition of the
 * pad's. */
typedef struct
{
  GstRtcSink *sink;
  LadderSpec spec;
  guint fanout_stream;
  guint32 ssrc;
  /* queue ! videoscale ! capsfilter ! vp8enc ! rtpvp8pay ! appsink */
  GPtrArray *elements;
  GstElement *appsink;
  /* Under the sink's lock. */
  guint keyframe_requests;
  /* Atomic: counted on the streaming thread. */
  gsize packets;
  gsize bytes;
} SinkRung;

/* One request pad: its branch, and the fan-out stream it feeds. */
typedef struct
{
  GstRtcSink *sink;
  GstRtcMediaKind kind;
  guint index;
  GstPad *pad;
  gchar *track_id;
  guint fanout_stream;
  guint32 ssrc;

  /* Set once on the streaming thread, when the first caps arrive; read
   * under the sink's lock elsewhere. */
  gchar *input_name;
  GPtrArray *elements;
  GstElement *encoder;
  GstElement *appsink;
  gboolean mark_keyframes;
  /* H.264 whose payloader caps have no profile-level-id (byte-stream
   * input without h264parse): read it from the first SPS sent. */
  gboolean want_sps;
  /* H.264 input: its transcode branches (gstrtcsink-transcode.c). */
  GstRtcSinkTranscoder *transcoder;
  /* Raw video with #GstRtcSink:ladder: its rungs (SinkRung), set with
   * the branch; read under the sink's lock. */
  GPtrArray *rungs;

  /* Under the sink's lock: what the payloader sends, once its caps are
   * known. Viewers are answered with it. */
  GstRtcCodec *codec;
  guint keyframe_requests;
} SinkStream;

/* One viewer: a WHEP session. */
typedef struct
{
  gint refcount;
  GstRtcSink *sink;
  gchar *id;
  gchar *etag;
  gchar *remote_address;

  /* The control thread only. */
  GstRtcSinkAnswer answer;
  GstRtcDtlsSetup setup;
  GSource *gather_timeout;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  guint n_remote_candidates;

  /* Under the sink's lock. */
  GstRtcHttpRequest *request;
  /* Instead of @request: the signalling session (a GstRtcSignaller, /ws)
   * the offer came through; answer and candidates go back through it. */
  GstRtcSinkSession *session;
  /* We offer and the session answers (WHIP): @answer holds our offer
   * until the answer comes. */
  gboolean offerer;
  GstRtcIceStream *ice;
  GstRtcTransport *transport;
  GPtrArray *local_candidates;
  gboolean gathering_done;
  gboolean answered;
  gboolean added;
  gboolean removed;

  /* Atomic: read by the transport's worker. */
  guint fanout_id;
  gint bye_seen;

  /* Set before the viewer is added: the transcode target it gets, or
   * NULL for the streams as they come. */
  gchar *transcode;

  /* An ICE restart (WHEP PATCH with new credentials) being answered:
   * under the sink's lock; the timeout on the control thread only. */
  gboolean restarting;
  GstRtcHttpRequest *restart_request;
  GPtrArray *restart_candidates;
  gboolean restart_gathering_done;
  GSource *restart_timeout;
} Viewer;

/* A WHEP offer that came before the input caps. */
typedef struct
{
  GstRtcHttpRequest *request;
  GstRtcSinkSession *session;
  GstRtcSessionDescription *offer;
  GSource *timeout;
} WaitingOffer;

struct _GstRtcSink
{
  GstBin parent;

  /* Properties, under the object lock. */
  guint port;
  gchar *path;
  gchar *address;
  gchar *stun_server;
  gchar *turn_server;
  GstRtcIceTransportPolicy ice_transport_policy;
  guint max_viewers;
  guint video_bitrate;
  gboolean congestion_control;
  /* When the last rtcsink-bandwidth message went out (monotonic µs). */
  gint64 last_bandwidth_message;
  gchar *bearer_token;
  gchar *tls_certificate;
  gchar *tls_key;
  guint port_min;
  guint port_max;
  gchar *announced_address;
  gchar *ladder;
  /* #GstRtcSink:ladder as parsed when the element started. */
  LadderSpec ladder_rungs[LADDER_MAX_RUNGS];
  guint n_ladder_rungs;

  /* Immutable after init. */
  GstRtcFanout *fanout;
  gchar *cname;
  gchar *stream_id;

  GMutex lock;
  /* Under lock. */
  GPtrArray *streams;
  guint next_index[2];
  GHashTable *viewers;
  guint n_added;
  GList *waiting;
  gboolean running;
  gboolean page_mounted;
  /* The mounts on server: WHEP_PATH and PAGE_PATH under path. */
  gchar *whep_path;
  gchar *page_path;
  GstRtcHttpServer *server;
  GMainContext *control;
  GstRtcIceAgent *agent;
  GstRtcCertificate *certificate;

  /* Signaller, /ws and WHIP (gstrtcsink-signalling.c). */
  GstRtcSinkSignalling *signalling;
};

enum
{
  PROP_0,
  PROP_PORT,
  PROP_ADDRESS,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_MAX_VIEWERS,
  PROP_VIDEO_BITRATE,
  PROP_CONGESTION_CONTROL,
  PROP_BEARER_TOKEN,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_PORT_MIN,
  PROP_PORT_MAX,
  PROP_ANNOUNCED_ADDRESS,
  PROP_N_VIEWERS,
  PROP_STATS,
  PROP_PATH,
  PROP_LADDER,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

enum
{
  SIGNAL_VIEWER_ADDED,
  SIGNAL_VIEWER_REMOVED,
  SIGNAL_GET_VIEWER_STATS,
  SIGNAL_LAST
};

static guint signals[SIGNAL_LAST];

#define gst_rtc_sink_parent_class parent_class
G_DEFINE_TYPE (GstRtcSink, gst_rtc_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcsink, "rtcsink", GST_RANK_NONE,
    GST_TYPE_RTC_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_sink_debug, "rtcsink", 0,
        "gst-rtc WebRTC sink (WHEP server)"));

/* ---- small helpers ---- */

/* Viewer ids name WHEP resources that anyone who knows them can DELETE:
 * they come from the kernel's CSPRNG, not from GLib's Mersenne Twister. */
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

static const gchar *
kind_name (GstRtcMediaKind kind)
{
  return kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio";
}

static const gchar *
transport_state_name (GstRtcTransportState state)
{
  GEnumClass *klass = g_type_class_ref (GST_RTC_TYPE_TRANSPORT_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);
  const gchar *name = value ? value->value_nick : "unknown";

  g_type_class_unref (klass);
  return name;
}

/* ---- the ladder property ---- */

/* Reads a decimal number of at most 10 digits at *@p (no sign, no
 * space), and moves *@p past it. */
static gboolean
ladder_number (const gchar ** p, guint64 * value)
{
  const gchar *s = *p;
  guint64 v = 0;
  guint digits = 0;

  while (g_ascii_isdigit (*s)) {
    if (++digits > 10)
      return FALSE;
    v = v * 10 + (guint64) (*s - '0');
    s++;
  }
  if (digits == 0)
    return FALSE;
  *p = s;
  *value = v;
  return TRUE;
}

/* @start up to the next comma (at most 64 bytes), as valid UTF-8, for
 * messages. */
static gchar *
ladder_excerpt (const gchar * start)
{
  const gchar *comma = strchr (start, ',');
  gsize len = comma != NULL ? (gsize) (comma - start) : strlen (start);

  return g_utf8_make_valid (start, MIN (len, 64));
}

/* Parses #GstRtcSink:ladder: comma-separated `WIDTHxHEIGHT@BITRATE`
 * rungs (spaces allowed around a rung), at most LADDER_MAX_RUNGS. %NULL,
 * "" or only spaces is no ladder. Any other string either fills @rungs
 * or gives an error that quotes the bad rung. */
static gboolean
parse_ladder (const gchar * text, LadderSpec * rungs, guint * n_rungs,
    GError ** error)
{
  const gchar *p = text, *start;
  guint64 width, height, bitrate;
  gchar *excerpt;

  *n_rungs = 0;
  if (text == NULL)
    return TRUE;
  while (g_ascii_isspace (*p))
    p++;
  if (*p == '\0')
    return TRUE;

  for (;;) {
    while (g_ascii_isspace (*p))
      p++;
    start = p;
    if (*p == '\0' || *p == ',') {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "rung %u is empty", *n_rungs + 1);
      return FALSE;
    }
    if (*n_rungs == LADDER_MAX_RUNGS) {
      excerpt = ladder_excerpt (start);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "more than %u rungs (\"%s\" is one too many)", LADDER_MAX_RUNGS,
          excerpt);
      g_free (excerpt);
      return FALSE;
    }
    if (!ladder_number (&p, &width) || *p++ != 'x'
        || !ladder_number (&p, &height) || *p++ != '@'
        || !ladder_number (&p, &bitrate)) {
      excerpt = ladder_excerpt (start);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "rung \"%s\" is not WIDTHxHEIGHT@BITRATE (e.g. 320x240@300000)",
          excerpt);
      g_free (excerpt);
      return FALSE;
    }
    while (g_ascii_isspace (*p))
      p++;
    if (*p != '\0' && *p != ',') {
      excerpt = ladder_excerpt (start);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "rung \"%s\" has junk after its bitrate", excerpt);
      g_free (excerpt);
      return FALSE;
    }
    if (width == 0 || width > LADDER_MAX_DIMENSION || height == 0
        || height > LADDER_MAX_DIMENSION) {
      excerpt = ladder_excerpt (start);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "rung \"%s\": width and height must be 1..%u", excerpt,
          LADDER_MAX_DIMENSION);
      g_free (excerpt);
      return FALSE;
    }
    if (bitrate < LADDER_MIN_BITRATE || bitrate > LADDER_MAX_BITRATE) {
      excerpt = ladder_excerpt (start);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "rung \"%s\": the bitrate must be %u..%u bit/s", excerpt,
          LADDER_MIN_BITRATE, (guint) LADDER_MAX_BITRATE);
      g_free (excerpt);
      return FALSE;
    }
    rungs[*n_rungs].width = width;
    rungs[*n_rungs].height = height;
    rungs[*n_rungs].bitrate = bitrate;
    (*n_rungs)++;
    if (*p == '\0')
      return TRUE;
    p++;                        /* the comma */
  }
}

/* The parsed ladder as text: "320x240@300000,160x120@120000". */
static gchar *
ladder_to_string (const LadderSpec * rungs, guint n_rungs)
{
  GString *text = g_string_new (NULL);
  guint i;

  for (i = 0; i < n_rungs; i++)
    g_string_append_printf (text, "%s%ux%u@%u", i > 0 ? "," : "",
        rungs[i].width, rungs[i].height, rungs[i].bitrate);
  return g_string_free (text, FALSE);
}

/* At NULL to READY: takes #GstRtcSink:ladder for the pads' branches, or
 * fails with an error that names the bad part. */
static gboolean
gst_rtc_sink_load_ladder (GstRtcSink * self)
{
  LadderSpec rungs[LADDER_MAX_RUNGS] = { {0} };
  GError *error = NULL;
  guint n_rungs;
  gchar *ladder;

  GST_OBJECT_LOCK (self);
  ladder = g_strdup (self->ladder);
  GST_OBJECT_UNLOCK (self);
  if (!parse_ladder (ladder, rungs, &n_rungs, &error)) {
    gchar *shown = g_utf8_make_valid (ladder, MIN (strlen (ladder), 200));

    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid ladder \"%s\": %s", shown, error->message), (NULL));
    g_free (shown);
    g_free (ladder);
    g_clear_error (&error);
    return FALSE;
  }
  g_free (ladder);
  GST_OBJECT_LOCK (self);
  memcpy (self->ladder_rungs, rungs, sizeof (rungs));
  self->n_ladder_rungs = n_rungs;
  GST_OBJECT_UNLOCK (self);
  GST_DEBUG_OBJECT (self, "ladder of %u rungs", n_rungs);
  return TRUE;
}

static void
rung_free (SinkRung * rung)
{
  if (rung->elements != NULL)
    g_ptr_array_unref (rung->elements);
  gst_clear_object (&rung->appsink);
  g_free (rung);
}

static void
stream_free (SinkStream * stream)
{
  g_free (stream->track_id);
  if (stream->rungs != NULL)
    g_ptr_array_unref (stream->rungs);
  g_free (stream->input_name);
  if (stream->elements != NULL)
    g_ptr_array_unref (stream->elements);
  gst_clear_object (&stream->encoder);
  gst_clear_object (&stream->appsink);
  g_clear_pointer (&stream->codec, gst_rtc_codec_free);
  g_clear_pointer (&stream->transcoder, gst_rtc_sink_transcoder_unref);
  g_free (stream);
}

/* Called with the lock: whether every pad's payloader has caps, and
 * whether at least one has. */
static gboolean
streams_ready_locked (GstRtcSink * self, gboolean * any_ready)
{
  gboolean all = self->streams->len > 0;
  guint i;

  *any_ready = FALSE;
  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    if (stream->codec != NULL)
      *any_ready = TRUE;
    else
      all = FALSE;
  }
  return all;
}

/* ---- the control thread ----
 *
 * Everything that changes a viewer's life (negotiation, answer, removal)
 * runs on the HTTP server's thread, one thing at a time: handlers run
 * there already, and the ICE and DTLS workers hand their news over. */

/* ---- viewers ---- */

static Viewer *
viewer_ref (Viewer * viewer)
{
  g_atomic_int_inc (&viewer->refcount);
  return viewer;
}

static void
viewer_unref (gpointer data)
{
  Viewer *viewer = data;

  if (!g_atomic_int_dec_and_test (&viewer->refcount))
    return;
  g_clear_object (&viewer->request);
  g_clear_pointer (&viewer->session, gst_rtc_sink_session_unref);
  gst_rtc_sink_answer_clear (&viewer->answer);
  gst_clear_object (&viewer->transport);
  gst_clear_object (&viewer->ice);
  g_ptr_array_unref (viewer->local_candidates);
  g_clear_object (&viewer->restart_request);
  g_ptr_array_unref (viewer->restart_candidates);
  g_free (viewer->remote_ufrag);
  g_free (viewer->remote_pwd);
  g_free (viewer->remote_address);
  g_free (viewer->etag);
  g_free (viewer->id);
  g_free (viewer->transcode);
  gst_object_unref (viewer->sink);
  g_free (viewer);
}

static void
viewer_closure_unref (gpointer data, GClosure * closure)
{
  viewer_unref (data);
}

static Viewer *
viewer_new (GstRtcSink * self, GstRtcHttpRequest * request,
    GstRtcSinkSession * session)
{
  Viewer *viewer = g_new0 (Viewer, 1);

  viewer->refcount = 1;
  viewer->sink = gst_object_ref (self);
  viewer->id = random_token (16);
  viewer->etag = random_token (8);
  viewer->request = request ? g_object_ref (request) : NULL;
  viewer->session = session ? gst_rtc_sink_session_ref (session) : NULL;
  viewer->remote_address = g_strdup (request ?
      gst_rtc_http_request_get_remote_address (request) :
      gst_rtc_sink_session_get_remote (session));
  viewer->local_candidates = g_ptr_array_new_with_free_func (g_free);
  viewer->restart_candidates = g_ptr_array_new_with_free_func (g_free);
  return viewer;
}

static void
control_invoke_viewer (Viewer * viewer, GSourceFunc func)
{
  GMainContext *control = NULL;

  g_mutex_lock (&viewer->sink->lock);
  if (viewer->sink->control != NULL)
    control = g_main_context_ref (viewer->sink->control);
  g_mutex_unlock (&viewer->sink->lock);
  if (control == NULL)
    return;
  g_main_context_invoke_full (control, G_PRIORITY_DEFAULT, func,
      viewer_ref (viewer), viewer_unref);
  g_main_context_unref (control);
}

static void
post_viewer_message (GstRtcSink * self, const gchar * name, Viewer * viewer,
    guint n_viewers, const gchar * reason)
{
  GstStructure *s = gst_structure_new (name,
      "id", G_TYPE_STRING, viewer->id,
      "remote-address", G_TYPE_STRING, viewer->remote_address,
      "viewers", G_TYPE_UINT, n_viewers, NULL);

  if (reason != NULL)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* On the control thread (or with it stopped). Answers a POST still
 * pending with @status and @why, tears the transport down, and tells the
 * application if the viewer had been added. */
static void
remove_viewer (Viewer * viewer, guint status, const gchar * why)
{
  GstRtcSink *self = viewer->sink;
  GstRtcHttpRequest *request, *restart_request;
  GstRtcIceStream *ice;
  GstRtcTransport *transport;
  gboolean was_added;
  guint fanout_id, n_viewers;

  g_mutex_lock (&self->lock);
  if (viewer->removed) {
    g_mutex_unlock (&self->lock);
    return;
  }
  viewer->removed = TRUE;
  request = g_steal_pointer (&viewer->request);
  restart_request = g_steal_pointer (&viewer->restart_request);
  was_added = viewer->added;
  if (was_added)
    self->n_added--;
  n_viewers = self->n_added;
  /* The table's reference is ours now. */
  g_hash_table_steal (self->viewers, viewer->id);
  ice = viewer->ice ? gst_object_ref (viewer->ice) : NULL;
  transport = viewer->transport ? gst_object_ref (viewer->transport) : NULL;
  g_mutex_unlock (&self->lock);

  GST_INFO_OBJECT (self, "viewer %s (%s) removed: %s", viewer->id,
      viewer->remote_address, why);
  if (request != NULL) {
    if (status == 503)
      gst_rtc_http_request_add_response_header (request, "Retry-After",
          RETRY_AFTER_SECONDS);
    gst_rtc_http_request_respond_text (request, status, why);
    g_object_unref (request);
  } else if (viewer->session != NULL) {
    gst_rtc_sink_session_removed (viewer->session, why);
  }
  if (restart_request != NULL) {
    gst_rtc_http_request_respond_text (restart_request, 404, why);
    g_object_unref (restart_request);
  }
  if (viewer->restart_timeout != NULL) {
    g_source_destroy (viewer->restart_timeout);
    g_clear_pointer (&viewer->restart_timeout, g_source_unref);
  }
  if (viewer->gather_timeout != NULL) {
    g_source_destroy (viewer->gather_timeout);
    g_clear_pointer (&viewer->gather_timeout, g_source_unref);
  }
  fanout_id = g_atomic_int_and (&viewer->fanout_id, 0);
  if (fanout_id != 0)
    gst_rtc_fanout_remove_viewer (self->fanout, fanout_id);
  /* A transcode branch without viewers idles. */
  gst_rtc_sink_transcode_viewer_removed (self->fanout, &viewer->answer.config);
  if (transport != NULL) {
    gst_rtc_transport_set_receive_func (transport, NULL, NULL, NULL);
    g_signal_handlers_disconnect_by_data (transport, viewer);
    gst_rtc_transport_close (transport);
    gst_object_unref (transport);
  }
  if (ice != NULL) {
    g_signal_handlers_disconnect_by_data (ice, viewer);
    gst_rtc_ice_stream_close (ice);
    gst_object_unref (ice);
  }

  if (was_added) {
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VIEWERS]);
    g_signal_emit (self, signals[SIGNAL_VIEWER_REMOVED], 0, viewer->id);
    post_viewer_message (self, "rtcsink-viewer-removed", viewer, n_viewers,
        why);
  }
  viewer_unref (viewer);
}

static gboolean
remove_viewer_failed (gpointer user_data)
{
  Viewer *viewer = user_data;
  GstRtcTransportState state = GST_RTC_TRANSPORT_STATE_CLOSED;

  g_mutex_lock (&viewer->sink->lock);
  if (viewer->transport != NULL)
    state = gst_rtc_transport_get_state (viewer->transport);
  g_mutex_unlock (&viewer->sink->lock);
  remove_viewer (viewer, 503, state == GST_RTC_TRANSPORT_STATE_FAILED ?
      "the transport failed" : "the transport closed");
  return G_SOURCE_REMOVE;
}

static gboolean
remove_viewer_bye (gpointer user_data)
{
  remove_viewer (user_data, 503, "the viewer sent RTCP BYE");
  return G_SOURCE_REMOVE;
}

static gboolean
rtcp_has_bye (const guint8 * data, gsize len)
{
  gsize offset = 0;

  while (offset + 4 <= len) {
    gsize packet_len = 4 * ((gsize) GST_READ_UINT16_BE (data + offset + 2) + 1);

    if (data[offset + 1] == RTCP_BYE)
      return TRUE;
    offset += packet_len;
  }
  return FALSE;
}

/* On the transport's worker: the viewer's RTCP goes to the fan-out. A
 * viewer only receives, so its RTP, if any, is dropped. */
static void
on_viewer_packet (GstRtcTransport * transport, GstRtcPacketKind kind,
    GstBuffer * buffer, gpointer user_data)
{
  Viewer *viewer = user_data;
  guint fanout_id = g_atomic_int_get (&viewer->fanout_id);
  GstMapInfo map;

  if (kind == GST_RTC_PACKET_KIND_RTCP && fanout_id != 0
      && gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_rtc_fanout_handle_rtcp (viewer->sink->fanout, fanout_id, map.data,
        map.size);
    if (rtcp_has_bye (map.data, map.size)
        && g_atomic_int_compare_and_exchange (&viewer->bye_seen, 0, 1))
      control_invoke_viewer (viewer, remove_viewer_bye);
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
}

static void
on_transport_state (GstRtcTransport * transport, GParamSpec * pspec,
    Viewer * viewer)
{
  GstRtcTransportState state = gst_rtc_transport_get_state (transport);

  GST_DEBUG_OBJECT (viewer->sink, "viewer %s: transport %s", viewer->id,
      transport_state_name (state));
  if (state == GST_RTC_TRANSPORT_STATE_FAILED
      || state == GST_RTC_TRANSPORT_STATE_CLOSED)
    control_invoke_viewer (viewer, remove_viewer_failed);
}

static void
on_new_candidate (GstRtcIceStream * ice, const gchar * candidate,
    Viewer * viewer)
{
  GstRtcSinkSession *trickle = NULL;

  g_mutex_lock (&viewer->sink->lock);
  if (viewer->restarting && ice == viewer->ice) {
    /* For the answer to an ICE restart. */
    if (viewer->restart_candidates->len < MAX_LOCAL_CANDIDATES)
      g_ptr_array_add (viewer->restart_candidates, g_strdup (candidate));
    g_mutex_unlock (&viewer->sink->lock);
    return;
  }
  if (!viewer->answered
      && viewer->local_candidates->len < MAX_LOCAL_CANDIDATES)
    g_ptr_array_add (viewer->local_candidates, g_strdup (candidate));
  else if (viewer->answered && viewer->session != NULL && !viewer->removed)
    trickle = gst_rtc_sink_session_ref (viewer->session);
  g_mutex_unlock (&viewer->sink->lock);
  /* Too late for the answer: a signalling session trickles it. */
  if (trickle != NULL) {
    gst_rtc_sink_session_local_candidate (trickle, candidate);
    gst_rtc_sink_session_unref (trickle);
  }
}

static gboolean finish_answer (gpointer user_data);
static gboolean finish_restart (gpointer user_data);

static void
on_gathering_done (GstRtcIceStream * ice, Viewer * viewer)
{
  GstRtcSinkSession *trickle = NULL;

  g_mutex_lock (&viewer->sink->lock);
  if (viewer->restarting && ice == viewer->ice) {
    viewer->restart_gathering_done = TRUE;
    g_mutex_unlock (&viewer->sink->lock);
    control_invoke_viewer (viewer, finish_restart);
    return;
  }
  viewer->gathering_done = TRUE;
  if (viewer->answered && viewer->session != NULL && !viewer->removed)
    trickle = gst_rtc_sink_session_ref (viewer->session);
  g_mutex_unlock (&viewer->sink->lock);
  if (trickle != NULL) {
    gst_rtc_sink_session_local_candidate (trickle, NULL);
    gst_rtc_sink_session_unref (trickle);
  }
  control_invoke_viewer (viewer, finish_answer);
}

static gchar **
ice_server_uris (GstRtcSink * self)
{
  GPtrArray *uris = g_ptr_array_new ();

  GST_OBJECT_LOCK (self);
  if (self->stun_server != NULL)
    g_ptr_array_add (uris, g_strdup (self->stun_server));
  if (self->turn_server != NULL)
    g_ptr_array_add (uris, g_strdup (self->turn_server));
  GST_OBJECT_UNLOCK (self);
  g_ptr_array_add (uris, NULL);
  return (gchar **) g_ptr_array_free (uris, FALSE);
}

/* On the control thread, when gathering is done or took too long: the
 * answer goes out and the viewer joins the fan-out. */
static gboolean
finish_answer (gpointer user_data)
{
  Viewer *viewer = user_data;
  GstRtcSink *self = viewer->sink;
  GstRtcHttpRequest *request;
  GPtrArray *candidates;
  gboolean complete;
  gchar *ufrag = NULL, *pwd = NULL, *fingerprint, *sdp, *location, *etag;
  gchar **uris;
  guint fanout_id, n_viewers;
  GBytes *body;
  GError *error = NULL;

  g_mutex_lock (&self->lock);
  if (viewer->answered || viewer->removed) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  viewer->answered = TRUE;
  request = g_steal_pointer (&viewer->request);
  candidates = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < viewer->local_candidates->len; i++)
    g_ptr_array_add (candidates,
        g_strdup (g_ptr_array_index (viewer->local_candidates, i)));
  complete = viewer->gathering_done;
  g_mutex_unlock (&self->lock);

  if (viewer->gather_timeout != NULL) {
    g_source_destroy (viewer->gather_timeout);
    g_clear_pointer (&viewer->gather_timeout, g_source_unref);
  }
  if (!complete)
    GST_WARNING_OBJECT (self, "viewer %s: gathering took over %u ms, "
        "answering with %u candidates", viewer->id, GATHER_TIMEOUT_MS,
        candidates->len);

  gst_rtc_ice_stream_get_local_credentials (viewer->ice, &ufrag, &pwd);
  if (ufrag == NULL || pwd == NULL || candidates->len == 0) {
    g_mutex_lock (&self->lock);
    viewer->request = request;
    g_mutex_unlock (&self->lock);
    remove_viewer (viewer, 500, ufrag == NULL ? "the ICE stream has no "
        "credentials" : "no local ICE candidate could be gathered");
    g_free (ufrag);
    g_free (pwd);
    g_ptr_array_unref (candidates);
    return G_SOURCE_REMOVE;
  }
  fingerprint = gst_rtc_transport_get_local_fingerprint (viewer->transport);
  gst_rtc_sink_answer_set_transport (&viewer->answer, ufrag, pwd,
      fingerprint, viewer->setup, candidates, complete);
  /* The password is a secret: wipe our copy. */
  memset (pwd, 0, strlen (pwd));
  g_free (pwd);
  g_free (ufrag);
  g_free (fingerprint);
  g_ptr_array_unref (candidates);
  sdp = gst_rtc_session_description_to_string (viewer->answer.answer);

  if (viewer->offerer) {
    /* Our offer (WHIP): the viewer joins the fan-out once answered
     * (gst_rtc_sink_publish_answer()). */
    gst_rtc_sink_session_send_description (viewer->session, "offer", sdp, 0,
        ((GstRtcMediaDescription *) g_ptr_array_index (viewer->answer.answer->
                media, 0))->mid);
    g_free (sdp);
    return G_SOURCE_REMOVE;
  }

  fanout_id = gst_rtc_fanout_add_viewer (self->fanout, viewer->transport,
      &viewer->answer.config);
  if (fanout_id == 0) {
    g_free (sdp);
    g_mutex_lock (&self->lock);
    viewer->request = request;
    g_mutex_unlock (&self->lock);
    remove_viewer (viewer, 500, "the fan-out refused the viewer's "
        "configuration");
    return G_SOURCE_REMOVE;
  }
  g_atomic_int_set (&viewer->fanout_id, fanout_id);

  if (request == NULL) {
    const GstRtcMediaDescription *tag =
        g_ptr_array_index (viewer->answer.answer->media,
        viewer->answer.offer_tag);

    /* Through the signalling session the offer came from. */
    gst_rtc_sink_session_send_description (viewer->session, "answer", sdp,
        viewer->answer.offer_tag, tag->mid);
    g_free (sdp);
    goto answered;
  }

  location = g_strdup_printf ("%s/%s",
      gst_rtc_http_request_get_mount_path (request), viewer->id);
  etag = g_strdup_printf ("\"%s\"", viewer->etag);
  gst_rtc_http_request_add_response_header (request, "Location", location);
  gst_rtc_http_request_add_response_header (request, "ETag", etag);
  uris = ice_server_uris (self);
  if (uris[0] != NULL
      && !gst_rtc_http_request_add_ice_server_links (request,
          (const gchar * const *) uris, &error)) {
    GST_WARNING_OBJECT (self, "no Link header: %s", error->message);
    g_clear_error (&error);
  }
  g_strfreev (uris);
  body = g_bytes_new_take (sdp, strlen (sdp));
  gst_rtc_http_request_respond (request, 201, "application/sdp", body);
  g_bytes_unref (body);
  g_free (location);
  g_free (etag);
  g_object_unref (request);

answered:
  g_mutex_lock (&self->lock);
  viewer->added = !viewer->removed;
  if (viewer->added)
    self->n_added++;
  n_viewers = self->n_added;
  g_mutex_unlock (&self->lock);
  if (!viewer->added)
    return G_SOURCE_REMOVE;

  GST_INFO_OBJECT (self, "viewer %s (%s) added, fan-out viewer %u, %u "
      "m-lines; %u viewers", viewer->id, viewer->remote_address, fanout_id,
      viewer->answer.n_accepted, n_viewers);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VIEWERS]);
  g_signal_emit (self, signals[SIGNAL_VIEWER_ADDED], 0, viewer->id);
  post_viewer_message (self, "rtcsink-viewer-added", viewer, n_viewers, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_gather_timeout (gpointer user_data)
{
  Viewer *viewer = user_data;

  g_clear_pointer (&viewer->gather_timeout, g_source_unref);
  finish_answer (viewer);
  return G_SOURCE_REMOVE;
}

/* Adds remote candidates, up to the per-viewer cap. */
static void
add_remote_candidates (Viewer * viewer, GstRtcIceStream * ice,
    const GPtrArray * candidates, gboolean end_of_candidates)
{
  GError *error = NULL;
  guint i;

  for (i = 0; candidates != NULL && i < candidates->len; i++) {
    const gchar *candidate = g_ptr_array_index (candidates, i);

    if (viewer->n_remote_candidates >= GST_RTC_SINK_MAX_REMOTE_CANDIDATES) {
      GST_WARNING_OBJECT (viewer->sink, "viewer %s: more than %u remote "
          "candidates, ignoring the rest", viewer->id,
          GST_RTC_SINK_MAX_REMOTE_CANDIDATES);
      break;
    }
    viewer->n_remote_candidates++;
    if (!gst_rtc_ice_stream_add_remote_candidate (ice, candidate, &error)) {
      GST_DEBUG_OBJECT (viewer->sink, "viewer %s: candidate skipped: %s",
          viewer->id, error->message);
      g_clear_error (&error);
    }
  }
  if (end_of_candidates)
    gst_rtc_ice_stream_add_remote_candidate (ice, NULL, NULL);
}

/* Who sent an offer: a WHEP request or a signalling session. */
static const gchar *
offer_remote (GstRtcHttpRequest * request, GstRtcSinkSession * session)
{
  return request != NULL ? gst_rtc_http_request_get_remote_address (request)
      : gst_rtc_sink_session_get_remote (session);
}

/* Refuses an offer: an HTTP status to a WHEP request, the reason to a
 * signalling session. */
static void
refuse_offer (GstRtcHttpRequest * request, GstRtcSinkSession * session,
    guint status, gboolean retry_after, const gchar * why)
{
  if (request == NULL) {
    gst_rtc_sink_session_refuse (session, status, why);
    return;
  }
  if (retry_after)
    gst_rtc_http_request_add_response_header (request, "Retry-After",
        RETRY_AFTER_SECONDS);
  gst_rtc_http_request_respond_text (request, status, why);
}

/* On the control thread: answers @offer, from a WHEP @request or a
 * signalling @session. Takes @offer. */
static void
negotiate (GstRtcSink * self, GstRtcHttpRequest * request,
    GstRtcSinkSession * session, GstRtcSessionDescription * offer)
{
  GstRtcSinkSource sources[GST_RTC_FANOUT_MAX_STREAMS];
  GstRtcCodec *codecs[GST_RTC_FANOUT_MAX_STREAMS];
  gchar *tracks[GST_RTC_FANOUT_MAX_STREAMS];
  GstRtcSinkTranscoder *transcoders[GST_RTC_FANOUT_MAX_STREAMS];
  guint n_transcoders = 0;
  GstStructure *transcode = NULL;
  GstRtcSinkAnswer answer;
  const GstRtcMediaDescription *tag;
  GstRtcIceAgent *agent = NULL;
  GstRtcCertificate *certificate = NULL;
  GstRtcIceStream *ice = NULL;
  GstRtcTransport *transport = NULL;
  GMainContext *control = NULL;
  Viewer *viewer = NULL;
  GError *error = NULL;
  guint n_sources = 0, i, max_viewers, status = 500;
  const gchar *why = NULL;
  gchar *message = NULL;
  gboolean built;

  GST_OBJECT_LOCK (self);
  max_viewers = self->max_viewers;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  if (!self->running) {
    g_mutex_unlock (&self->lock);
    refuse_offer (request, session, 503, TRUE, "the sink is stopping");
    gst_rtc_session_description_free (offer);
    return;
  }
  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    if (stream->codec == NULL || n_sources >= G_N_ELEMENTS (sources))
      continue;
    codecs[n_sources] = gst_rtc_codec_copy (stream->codec);
    tracks[n_sources] = g_strdup (stream->track_id);
    sources[n_sources].kind = stream->kind;
    sources[n_sources].fanout_stream = stream->fanout_stream;
    sources[n_sources].codec = codecs[n_sources];
    sources[n_sources].track_id = tracks[n_sources];
    sources[n_sources].group = 0;
    n_sources++;
    /* H.264 that a viewer cannot play is transcoded for it. */
    if (stream->transcoder != NULL) {
      n_sources = gst_rtc_sink_transcoder_add_sources (stream->transcoder,
          sources, codecs, tracks, n_sources, G_N_ELEMENTS (sources));
      transcoders[n_transcoders++] =
          gst_rtc_sink_transcoder_ref (stream->transcoder);
    }
  }
  agent = gst_object_ref (self->agent);
  certificate = g_object_ref (self->certificate);
  control = g_main_context_ref (self->control);
  g_mutex_unlock (&self->lock);

  built = gst_rtc_sink_answer_build (offer, sources, n_sources, self->cname,
      self->stream_id, &answer, &error);
  for (i = 0; i < n_sources; i++) {
    gst_rtc_codec_free (codecs[i]);
    g_free (tracks[i]);
  }
  if (!built) {
    GST_INFO_OBJECT (self, "offer from %s refused: %s",
        offer_remote (request, session), error->message);
    refuse_offer (request, session, 400, FALSE, error->message);
    g_clear_error (&error);
    goto done;
  }
  if (n_transcoders > 0 && !gst_rtc_sink_transcode_resolve (transcoders,
          n_transcoders, &answer.config, &transcode, &error)) {
    message = g_strdup_printf ("could not transcode for this viewer: %s",
        error->message);
    GST_WARNING_OBJECT (self, "offer from %s: %s",
        offer_remote (request, session), message);
    refuse_offer (request, session, 500, FALSE, message);
    g_clear_error (&error);
    gst_rtc_sink_transcode_viewer_removed (self->fanout, &answer.config);
    gst_rtc_sink_answer_clear (&answer);
    goto done;
  }

  g_mutex_lock (&self->lock);
  if (g_hash_table_size (self->viewers) >= max_viewers) {
    g_mutex_unlock (&self->lock);
    message = g_strdup_printf ("this sink serves at most %u viewers",
        max_viewers);
    refuse_offer (request, session, 503, FALSE, message);
    gst_rtc_sink_transcode_viewer_removed (self->fanout, &answer.config);
    gst_rtc_sink_answer_clear (&answer);
    goto done;
  }
  viewer = viewer_new (self, request, session);
  viewer->answer = answer;
  if (transcode != NULL)
    viewer->transcode = g_strdup (gst_structure_get_string (transcode,
            "target"));
  g_hash_table_insert (self->viewers, viewer->id, viewer_ref (viewer));
  g_mutex_unlock (&self->lock);
  if (session != NULL)
    gst_rtc_sink_session_bind (session, viewer->id);
  if (transcode != NULL)
    gst_rtc_sink_transcode_post_viewer (GST_ELEMENT (self), viewer->id,
        g_steal_pointer (&transcode));

  tag = g_ptr_array_index (offer->media, viewer->answer.offer_tag);
  viewer->setup = gst_rtc_sink_answer_setup (tag->setup);
  viewer->remote_ufrag = g_strdup (tag->ice_ufrag);
  viewer->remote_pwd = g_strdup (tag->ice_pwd);

  ice = gst_rtc_ice_agent_create_stream (agent, &error);
  if (ice == NULL) {
    why = "could not create an ICE stream";
    goto fail;
  }
  g_mutex_lock (&self->lock);
  viewer->ice = gst_object_ref (ice);
  g_mutex_unlock (&self->lock);
  g_signal_connect_data (ice, "new-candidate", G_CALLBACK (on_new_candidate),
      viewer_ref (viewer), viewer_closure_unref, 0);
  g_signal_connect_data (ice, "gathering-done",
      G_CALLBACK (on_gathering_done), viewer_ref (viewer),
      viewer_closure_unref, 0);
  if (tag->ice_ufrag == NULL || tag->ice_pwd == NULL
      || !gst_rtc_ice_stream_set_remote_credentials (ice, tag->ice_ufrag,
          tag->ice_pwd, &error)) {
    status = 400;
    why = "the offer's ICE credentials were refused";
    goto fail;
  }
  add_remote_candidates (viewer, ice, tag->candidates, tag->end_of_candidates);

  transport = gst_rtc_transport_new (certificate,
      gst_rtc_ice_agent_get_context (agent));
  g_mutex_lock (&self->lock);
  viewer->transport = gst_object_ref (transport);
  g_mutex_unlock (&self->lock);
  gst_rtc_transport_set_ice_stream (transport, ice);
  if (tag->fingerprint == NULL
      || !gst_rtc_transport_set_remote_fingerprint (transport,
          tag->fingerprint, &error)) {
    status = 400;
    why = "the offer's DTLS fingerprint was refused";
    goto fail;
  }
  gst_rtc_transport_set_receive_func (transport, on_viewer_packet,
      viewer_ref (viewer), viewer_unref);
  g_signal_connect_data (transport, "notify::state",
      G_CALLBACK (on_transport_state), viewer_ref (viewer),
      viewer_closure_unref, 0);

  if (!gst_rtc_transport_start (transport,
          viewer->setup == GST_RTC_DTLS_SETUP_ACTIVE ?
          GST_RTC_DTLS_ROLE_CLIENT : GST_RTC_DTLS_ROLE_SERVER, &error)) {
    why = "could not start DTLS";
    goto fail;
  }
  if (!gst_rtc_ice_stream_gather (ice, &error)) {
    why = "could not gather ICE candidates";
    goto fail;
  }
  viewer->gather_timeout = g_timeout_source_new (GATHER_TIMEOUT_MS);
  g_source_set_callback (viewer->gather_timeout, on_gather_timeout,
      viewer_ref (viewer), viewer_unref);
  g_source_attach (viewer->gather_timeout, control);
  GST_DEBUG_OBJECT (self, "viewer %s (%s): %u m-lines accepted, gathering",
      viewer->id, viewer->remote_address, viewer->answer.n_accepted);
  goto done;

fail:
  message = g_strdup_printf ("%s%s%s", why, error ? ": " : "",
      error ? error->message : "");
  GST_WARNING_OBJECT (self, "viewer %s (%s): %s", viewer->id,
      viewer->remote_address, message);
  g_clear_error (&error);
  remove_viewer (viewer, status, message);

done:
  for (i = 0; i < n_transcoders; i++)
    gst_rtc_sink_transcoder_unref (transcoders[i]);
  if (transcode != NULL)
    gst_structure_free (transcode);
  if (viewer != NULL)
    viewer_unref (viewer);
  gst_clear_object (&ice);
  gst_clear_object (&transport);
  gst_clear_object (&agent);
  g_clear_object (&certificate);
  if (control != NULL)
    g_main_context_unref (control);
  g_free (message);
  gst_rtc_session_description_free (offer);
}

/* ---- publishing: viewers we offer to (WHIP) ---- */

static Viewer *lookup_viewer (GstRtcSink * self, const gchar * id);

/**
 * gst_rtc_sink_publish_offer: (skip)
 *
 * On the control thread: a viewer to which we offer, through @session,
 * with an ICE stream of @agent (a controlling one). The offer goes out
 * through the session once gathered; gst_rtc_sink_publish_answer() takes
 * the answer. A failure after the viewer exists removes it (and the
 * session hears of it) and still returns %TRUE.
 *
 * Returns: %FALSE with @error if nothing could be offered (no caps yet)
 */
gboolean
gst_rtc_sink_publish_offer (GstRtcSink * self, GstRtcSinkSession * session,
    GstRtcIceAgent * agent, GError ** error)
{
  GstRtcSinkSource sources[GST_RTC_FANOUT_MAX_STREAMS];
  GstRtcCodec *codecs[GST_RTC_FANOUT_MAX_STREAMS];
  gchar *tracks[GST_RTC_FANOUT_MAX_STREAMS];
  GstRtcSinkAnswer offer;
  GstRtcCertificate *certificate;
  GstRtcIceStream *ice = NULL;
  GstRtcTransport *transport = NULL;
  GMainContext *control;
  Viewer *viewer;
  GError *local_error = NULL;
  const gchar *why = NULL;
  gchar *message;
  guint n_sources = 0, i;
  gboolean built;

  g_mutex_lock (&self->lock);
  if (!self->running) {
    g_mutex_unlock (&self->lock);
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the sink is stopping");
    return FALSE;
  }
  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    if (stream->codec == NULL || n_sources >= G_N_ELEMENTS (sources))
      continue;
    codecs[n_sources] = gst_rtc_codec_copy (stream->codec);
    tracks[n_sources] = g_strdup (stream->track_id);
    sources[n_sources].kind = stream->kind;
    sources[n_sources].fanout_stream = stream->fanout_stream;
    sources[n_sources].codec = codecs[n_sources];
    sources[n_sources].track_id = tracks[n_sources];
    sources[n_sources].group = 0;
    n_sources++;
  }
  certificate = g_object_ref (self->certificate);
  control = g_main_context_ref (self->control);
  g_mutex_unlock (&self->lock);

  built = gst_rtc_sink_offer_build (sources, n_sources, self->cname,
      self->stream_id, &offer, error);
  for (i = 0; i < n_sources; i++) {
    gst_rtc_codec_free (codecs[i]);
    g_free (tracks[i]);
  }
  if (!built) {
    g_object_unref (certificate);
    g_main_context_unref (control);
    return FALSE;
  }

  viewer = viewer_new (self, NULL, session);
  viewer->answer = offer;
  viewer->offerer = TRUE;
  viewer->setup = GST_RTC_DTLS_SETUP_ACTPASS;
  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->viewers, viewer->id, viewer_ref (viewer));
  g_mutex_unlock (&self->lock);
  gst_rtc_sink_session_bind (session, viewer->id);

  ice = gst_rtc_ice_agent_create_stream (agent, &local_error);
  if (ice == NULL) {
    why = "could not create an ICE stream";
    goto fail;
  }
  g_mutex_lock (&self->lock);
  viewer->ice = gst_object_ref (ice);
  g_mutex_unlock (&self->lock);
  g_signal_connect_data (ice, "new-candidate", G_CALLBACK (on_new_candidate),
      viewer_ref (viewer), viewer_closure_unref, 0);
  g_signal_connect_data (ice, "gathering-done",
      G_CALLBACK (on_gathering_done), viewer_ref (viewer),
      viewer_closure_unref, 0);
  transport = gst_rtc_transport_new (certificate,
      gst_rtc_ice_agent_get_context (agent));
  g_mutex_lock (&self->lock);
  viewer->transport = gst_object_ref (transport);
  g_mutex_unlock (&self->lock);
  gst_rtc_transport_set_ice_stream (transport, ice);
  gst_rtc_transport_set_receive_func (transport, on_viewer_packet,
      viewer_ref (viewer), viewer_unref);
  g_signal_connect_data (transport, "notify::state",
      G_CALLBACK (on_transport_state), viewer_ref (viewer),
      viewer_closure_unref, 0);
  if (!gst_rtc_ice_stream_gather (ice, &local_error)) {
    why = "could not gather ICE candidates";
    goto fail;
  }
  viewer->gather_timeout = g_timeout_source_new (GATHER_TIMEOUT_MS);
  g_source_set_callback (viewer->gather_timeout, on_gather_timeout,
      viewer_ref (viewer), viewer_unref);
  g_source_attach (viewer->gather_timeout, control);
  GST_DEBUG_OBJECT (self, "publishing as viewer %s (%s): %u m-lines, "
      "gathering", viewer->id, viewer->remote_address, offer.n_accepted);
  goto done;

fail:
  message = g_strdup_printf ("%s%s%s", why, local_error ? ": " : "",
      local_error ? local_error->message : "");
  GST_WARNING_OBJECT (self, "viewer %s (%s): %s", viewer->id,
      viewer->remote_address, message);
  g_clear_error (&local_error);
  remove_viewer (viewer, 500, message);
  g_free (message);

done:
  viewer_unref (viewer);
  gst_clear_object (&ice);
  gst_clear_object (&transport);
  g_object_unref (certificate);
  g_main_context_unref (control);
  return TRUE;
}

/**
 * gst_rtc_sink_publish_answer: (skip)
 *
 * On the control thread: the answer to the offer of viewer @viewer_id.
 * The viewer starts DTLS and joins the fan-out. A bad answer removes the
 * viewer (its session hears of it).
 *
 * Returns: %FALSE with @error if the answer could not be used
 */
gboolean
gst_rtc_sink_publish_answer (GstRtcSink * self, const gchar * viewer_id,
    const gchar * sdp, GError ** error)
{
  GstRtcSessionDescription *answer = NULL;
  const GstRtcMediaDescription *tag;
  GstRtcIceStream *ice = NULL;
  GstRtcTransport *transport = NULL;
  Viewer *viewer = lookup_viewer (self, viewer_id);
  GError *local_error = NULL;
  const gchar *why = NULL;
  guint fanout_id, n_viewers;
  gboolean ok = FALSE;
  gchar *message;

  if (viewer == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "no viewer %s", viewer_id);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  if (viewer->ice != NULL)
    ice = gst_object_ref (viewer->ice);
  if (viewer->transport != NULL)
    transport = gst_object_ref (viewer->transport);
  g_mutex_unlock (&self->lock);
  if (!viewer->offerer || !viewer->answered
      || g_atomic_int_get (&viewer->fanout_id) != 0 || ice == NULL) {
    why = "no offer of ours is waiting for an answer";
    goto fail;
  }
  answer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, sdp,
      &local_error);
  if (answer == NULL) {
    why = "malformed SDP answer";
    goto fail;
  }
  if (!gst_rtc_sink_offer_apply_answer (&viewer->answer, answer,
          &local_error)) {
    why = "the answer cannot be used";
    goto fail;
  }
  tag = g_ptr_array_index (answer->media, viewer->answer.offer_tag);
  g_free (viewer->remote_ufrag);
  viewer->remote_ufrag = g_strdup (tag->ice_ufrag);
  g_free (viewer->remote_pwd);
  viewer->remote_pwd = g_strdup (tag->ice_pwd);
  if (tag->ice_ufrag == NULL || tag->ice_pwd == NULL
      || !gst_rtc_ice_stream_set_remote_credentials (ice, tag->ice_ufrag,
          tag->ice_pwd, &local_error)) {
    why = "the answer's ICE credentials were refused";
    goto fail;
  }
  add_remote_candidates (viewer, ice, tag->candidates, tag->end_of_candidates);
  if (tag->fingerprint == NULL
      || !gst_rtc_transport_set_remote_fingerprint (transport,
          tag->fingerprint, &local_error)) {
    why = "the answer's DTLS fingerprint was refused";
    goto fail;
  }
  /* The answerer chose: active makes it the DTLS client. */
  viewer->setup = tag->setup == GST_RTC_DTLS_SETUP_ACTIVE ?
      GST_RTC_DTLS_SETUP_PASSIVE : GST_RTC_DTLS_SETUP_ACTIVE;
  if (!gst_rtc_transport_start (transport,
          viewer->setup == GST_RTC_DTLS_SETUP_ACTIVE ?
          GST_RTC_DTLS_ROLE_CLIENT : GST_RTC_DTLS_ROLE_SERVER,
          &local_error)) {
    why = "could not start DTLS";
    goto fail;
  }
  fanout_id = gst_rtc_fanout_add_viewer (self->fanout, transport,
      &viewer->answer.config);
  if (fanout_id == 0) {
    why = "the fan-out refused the configuration";
    goto fail;
  }
  g_atomic_int_set (&viewer->fanout_id, fanout_id);

  g_mutex_lock (&self->lock);
  viewer->added = !viewer->removed;
  if (viewer->added)
    self->n_added++;
  n_viewers = self->n_added;
  g_mutex_unlock (&self->lock);
  ok = TRUE;
  if (viewer->added) {
    GST_INFO_OBJECT (self, "viewer %s (%s) answered our offer, fan-out "
        "viewer %u, %u m-lines; %u viewers", viewer->id,
        viewer->remote_address, fanout_id, viewer->answer.n_accepted,
        n_viewers);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VIEWERS]);
    g_signal_emit (self, signals[SIGNAL_VIEWER_ADDED], 0, viewer->id);
    post_viewer_message (self, "rtcsink-viewer-added", viewer, n_viewers,
        NULL);
  }
  goto done;

fail:
  message = g_strdup_printf ("%s%s%s", why, local_error ? ": " : "",
      local_error ? local_error->message : "");
  GST_WARNING_OBJECT (self, "viewer %s (%s): %s", viewer->id,
      viewer->remote_address, message);
  g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
      message);
  g_clear_error (&local_error);
  remove_viewer (viewer, 500, message);
  g_free (message);

done:
  if (answer != NULL)
    gst_rtc_session_description_free (answer);
  gst_clear_object (&ice);
  gst_clear_object (&transport);
  viewer_unref (viewer);
  return ok;
}

/* ---- offers that wait for caps ---- */

static void
waiting_offer_free (WaitingOffer * waiting)
{
  if (waiting->timeout != NULL) {
    g_source_destroy (waiting->timeout);
    g_source_unref (waiting->timeout);
  }
  g_clear_object (&waiting->request);
  g_clear_pointer (&waiting->session, gst_rtc_sink_session_unref);
  if (waiting->offer != NULL)
    gst_rtc_session_description_free (waiting->offer);
  g_free (waiting);
}

typedef struct
{
  GstRtcSink *sink;
  WaitingOffer *waiting;
} WaitingTimeout;

static gboolean
on_waiting_timeout (gpointer user_data)
{
  WaitingTimeout *data = user_data;
  GstRtcSink *self = data->sink;
  WaitingOffer *waiting = data->waiting;
  gboolean found, any_ready = FALSE;

  g_mutex_lock (&self->lock);
  found = g_list_find (self->waiting, waiting) != NULL;
  if (found) {
    self->waiting = g_list_remove (self->waiting, waiting);
    streams_ready_locked (self, &any_ready);
  }
  g_mutex_unlock (&self->lock);
  if (!found)
    return G_SOURCE_REMOVE;

  g_clear_pointer (&waiting->timeout, g_source_unref);
  if (any_ready) {
    /* Some pads never got caps: serve what the others have. */
    GST_INFO_OBJECT (self, "not every pad has caps after %u s; answering "
        "with those that have", CAPS_WAIT_SECONDS);
    negotiate (self, waiting->request, waiting->session,
        g_steal_pointer (&waiting->offer));
  } else {
    GST_INFO_OBJECT (self, "no input caps after %u s, refusing an offer",
        CAPS_WAIT_SECONDS);
    refuse_offer (waiting->request, waiting->session, 503, TRUE,
        "the stream has not started yet: no input caps");
  }
  waiting_offer_free (waiting);
  return G_SOURCE_REMOVE;
}

static void
wait_for_caps (GstRtcSink * self, GstRtcHttpRequest * request,
    GstRtcSinkSession * session, GstRtcSessionDescription * offer)
{
  WaitingOffer *waiting = g_new0 (WaitingOffer, 1);
  WaitingTimeout *data = g_new0 (WaitingTimeout, 1);

  waiting->request = request ? g_object_ref (request) : NULL;
  waiting->session = session ? gst_rtc_sink_session_ref (session) : NULL;
  waiting->offer = offer;
  data->sink = self;
  data->waiting = waiting;
  waiting->timeout = g_timeout_source_new_seconds (CAPS_WAIT_SECONDS);
  g_source_set_callback (waiting->timeout, on_waiting_timeout, data, g_free);
  g_source_attach (waiting->timeout, self->control);
  self->waiting = g_list_append (self->waiting, waiting);
  GST_DEBUG_OBJECT (self, "offer from %s waits for the input caps",
      offer_remote (request, session));
}

/* On the control thread, once every pad has caps. */
static gboolean
process_waiting (gpointer user_data)
{
  GstRtcSink *self = user_data;
  gboolean any_ready;
  GList *waiting, *l;

  g_mutex_lock (&self->lock);
  if (!streams_ready_locked (self, &any_ready)) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  waiting = g_steal_pointer (&self->waiting);
  g_mutex_unlock (&self->lock);

  for (l = waiting; l != NULL; l = l->next) {
    WaitingOffer *offer = l->data;

    negotiate (self, offer->request, offer->session,
        g_steal_pointer (&offer->offer));
    waiting_offer_free (offer);
  }
  g_list_free (waiting);
  return G_SOURCE_REMOVE;
}

/* ---- HTTP ---- */

static void
respond_text (GstRtcHttpRequest * request, guint status, const gchar * text)
{
  gst_rtc_http_request_respond_text (request, status, text);
}

static void offer_received (GstRtcSink * self, GstRtcHttpRequest * request,
    GstRtcSinkSession * session, GstRtcSessionDescription * offer);

static void
handle_offer (GstRtcSink * self, GstRtcHttpRequest * request)
{
  GBytes *body = gst_rtc_http_request_get_body (request);
  const gchar *data;
  gsize len;
  gchar *text, *message;
  GstRtcSessionDescription *offer;
  GError *error = NULL;

  if (!gst_rtc_sink_media_type_is (gst_rtc_http_request_get_header (request,
              "Content-Type"), "application/sdp")) {
    respond_text (request, 415, "a WHEP offer is application/sdp");
    return;
  }
  data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  if (data == NULL || len == 0) {
    respond_text (request, 400, "the body is empty: WHEP needs an SDP offer");
    return;
  }
  if (memchr (data, '\0', len) != NULL) {
    respond_text (request, 400, "the offer contains a NUL byte");
    return;
  }
  text = g_strndup (data, len);
  offer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, text,
      &error);
  g_free (text);
  if (offer == NULL) {
    message = g_strdup_printf ("malformed SDP offer: %s", error->message);
    GST_INFO_OBJECT (self, "offer from %s: %s",
        gst_rtc_http_request_get_remote_address (request), message);
    respond_text (request, 400, message);
    g_free (message);
    g_clear_error (&error);
    return;
  }

  offer_received (self, request, NULL, offer);
}

/* On the control thread: a parsed offer from a WHEP @request or a
 * signalling @session, answered now or once the input caps are known.
 * Takes @offer. */
static void
offer_received (GstRtcSink * self, GstRtcHttpRequest * request,
    GstRtcSinkSession * session, GstRtcSessionDescription * offer)
{
  gboolean any_ready, all_ready;
  guint max_viewers, n;
  gchar *message;

  GST_OBJECT_LOCK (self);
  max_viewers = self->max_viewers;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  n = g_hash_table_size (self->viewers) + g_list_length (self->waiting);
  if (!self->running || n >= max_viewers) {
    gboolean running = self->running;

    g_mutex_unlock (&self->lock);
    gst_rtc_session_description_free (offer);
    if (running) {
      message = g_strdup_printf ("this sink serves at most %u viewers",
          max_viewers);
      GST_INFO_OBJECT (self, "offer from %s refused: %s",
          offer_remote (request, session), message);
      refuse_offer (request, session, 503, FALSE, message);
      g_free (message);
    } else {
      refuse_offer (request, session, 503, TRUE, "the sink is stopping");
    }
    return;
  }
  all_ready = streams_ready_locked (self, &any_ready);
  if (!all_ready) {
    wait_for_caps (self, request, session, offer);
    g_mutex_unlock (&self->lock);
    return;
  }
  g_mutex_unlock (&self->lock);
  negotiate (self, request, session, offer);
}

/**
 * gst_rtc_sink_session_offer: (skip)
 *
 * An offer that came through a signalling session (a GstRtcSignaller or
 * /ws), on the control thread. Takes @offer.
 */
void
gst_rtc_sink_session_offer (GstRtcSink * sink, GstRtcSinkSession * session,
    GstRtcSessionDescription * offer)
{
  offer_received (sink, NULL, session, offer);
}

static Viewer *
lookup_viewer (GstRtcSink * self, const gchar * id)
{
  Viewer *viewer;

  g_mutex_lock (&self->lock);
  viewer = g_hash_table_lookup (self->viewers, id);
  if (viewer != NULL)
    viewer_ref (viewer);
  g_mutex_unlock (&self->lock);
  return viewer;
}

/**
 * gst_rtc_sink_viewer_add_candidate: (skip)
 *
 * A remote candidate (%NULL: no more) that came through a signalling
 * session, for the viewer it made. On the control thread.
 */
void
gst_rtc_sink_viewer_add_candidate (GstRtcSink * sink, const gchar * viewer_id,
    const gchar * candidate)
{
  GPtrArray *candidates = g_ptr_array_new ();
  GstRtcIceStream *ice = NULL;
  Viewer *viewer = lookup_viewer (sink, viewer_id);

  if (viewer == NULL)
    goto out;
  g_mutex_lock (&sink->lock);
  if (viewer->ice != NULL && !viewer->removed)
    ice = gst_object_ref (viewer->ice);
  g_mutex_unlock (&sink->lock);
  if (ice != NULL) {
    if (candidate != NULL)
      g_ptr_array_add (candidates, (gpointer) candidate);
    add_remote_candidates (viewer, ice, candidates, candidate == NULL);
    gst_object_unref (ice);
  }
  viewer_unref (viewer);
out:
  g_ptr_array_unref (candidates);
}

/**
 * gst_rtc_sink_viewer_remove: (skip)
 *
 * The signalling session of a viewer ended. On the control thread.
 */
void
gst_rtc_sink_viewer_remove (GstRtcSink * sink, const gchar * viewer_id,
    const gchar * why)
{
  Viewer *viewer = lookup_viewer (sink, viewer_id);

  if (viewer != NULL) {
    remove_viewer (viewer, 503, why);
    viewer_unref (viewer);
  }
}

static gboolean
etag_matches (Viewer * viewer, GstRtcHttpRequest * request)
{
  const gchar *if_match = gst_rtc_http_request_get_header (request,
      "If-Match");
  gchar *quoted;
  gboolean match;

  if (if_match == NULL || g_str_equal (if_match, "*"))
    return TRUE;
  quoted = g_strdup_printf ("\"%s\"", viewer->etag);
  match = g_str_equal (if_match, quoted) || g_str_equal (if_match,
      viewer->etag);
  g_free (quoted);
  return match;
}

/* On the control thread, once the restarted stream has gathered (or took
 * too long): 200 with our new credentials and candidates, and a new ETag. */
static gboolean
finish_restart (gpointer user_data)
{
  Viewer *viewer = user_data;
  GstRtcSink *self = viewer->sink;
  GstRtcHttpRequest *request;
  GstRtcIceStream *ice = NULL;
  GPtrArray *candidates;
  const GstRtcMediaDescription *tag;
  gboolean complete;
  gchar *ufrag = NULL, *pwd = NULL, *frag, *etag;
  GBytes *body;

  g_mutex_lock (&self->lock);
  if (!viewer->restarting || viewer->removed) {
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  viewer->restarting = FALSE;
  request = g_steal_pointer (&viewer->restart_request);
  candidates = g_steal_pointer (&viewer->restart_candidates);
  viewer->restart_candidates = g_ptr_array_new_with_free_func (g_free);
  complete = viewer->restart_gathering_done;
  if (viewer->ice != NULL)
    ice = gst_object_ref (viewer->ice);
  etag = g_strdup_printf ("\"%s\"", viewer->etag);
  g_mutex_unlock (&self->lock);

  if (viewer->restart_timeout != NULL) {
    g_source_destroy (viewer->restart_timeout);
    g_clear_pointer (&viewer->restart_timeout, g_source_unref);
  }
  if (ice != NULL)
    gst_rtc_ice_stream_get_local_credentials (ice, &ufrag, &pwd);
  if (ufrag == NULL || pwd == NULL || candidates->len == 0) {
    const gchar *why = ufrag == NULL ? "the ICE restart failed: no "
        "credentials" : "the ICE restart failed: no local candidate could "
        "be gathered";

    GST_WARNING_OBJECT (self, "viewer %s: %s", viewer->id, why);
    if (request != NULL)
      respond_text (request, 500, why);
    else
      remove_viewer (viewer, 503, why);
    goto out;
  }
  if (!complete)
    GST_WARNING_OBJECT (self, "viewer %s: restart gathering took over %u ms, "
        "answering with %u candidates", viewer->id, GATHER_TIMEOUT_MS,
        candidates->len);

  tag = g_ptr_array_index (viewer->answer.answer->media,
      viewer->answer.offer_tag);
  if (request == NULL) {
    /* A new offer through the signalling session: a whole answer. */
    gchar *fingerprint =
        gst_rtc_transport_get_local_fingerprint (viewer->transport);
    gchar *sdp;

    gst_rtc_sink_answer_set_transport (&viewer->answer, ufrag, pwd,
        fingerprint, viewer->setup, candidates, complete);
    viewer->answer.answer->session_version++;
    g_free (fingerprint);
    sdp = gst_rtc_session_description_to_string (viewer->answer.answer);
    if (viewer->session != NULL)
      gst_rtc_sink_session_send_description (viewer->session, "answer", sdp,
          viewer->answer.offer_tag, tag->mid);
    g_free (sdp);
    GST_INFO_OBJECT (self, "viewer %s: ICE restarted (new offer), %u "
        "candidates", viewer->id, candidates->len);
    goto out;
  }
  frag = gst_rtc_sink_sdpfrag_build (ufrag, pwd, tag->kind, tag->mid,
      candidates, complete);
  gst_rtc_http_request_add_response_header (request, "ETag", etag);
  body = g_bytes_new_take (frag, strlen (frag));
  gst_rtc_http_request_respond (request, 200,
      "application/trickle-ice-sdpfrag", body);
  g_bytes_unref (body);
  GST_INFO_OBJECT (self, "viewer %s: ICE restarted, %u candidates",
      viewer->id, candidates->len);

out:
  if (pwd != NULL)
    memset (pwd, 0, strlen (pwd));
  g_free (pwd);
  g_free (ufrag);
  g_free (etag);
  g_ptr_array_unref (candidates);
  gst_clear_object (&ice);
  g_clear_object (&request);
  return G_SOURCE_REMOVE;
}

static gboolean
on_restart_timeout (gpointer user_data)
{
  Viewer *viewer = user_data;

  g_clear_pointer (&viewer->restart_timeout, g_source_unref);
  finish_restart (viewer);
  return G_SOURCE_REMOVE;
}

/* On the control thread: a PATCH with new ICE credentials. The viewer's
 * transport moves to a fresh ICE stream once it connects (DTLS and SRTP
 * are kept, media goes on over the old one until then); the answer waits
 * for the fresh stream's candidates. */
static gboolean
viewer_restart_ice (GstRtcSink * self, Viewer * viewer,
    GstRtcHttpRequest * request, const gchar * ufrag, const gchar * pwd,
    const GPtrArray * candidates, gboolean end_of_candidates,
    guint * status, GError ** error)
{
  GstRtcTransport *transport = NULL;
  GstRtcIceStream *fresh, *old;
  GMainContext *control = NULL;
  GError *local_error = NULL;
  gboolean ok = FALSE;

  g_mutex_lock (&self->lock);
  if (viewer->removed || !viewer->added || viewer->offerer
      || viewer->transport == NULL) {
    g_mutex_unlock (&self->lock);
    *status = 409;
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the session cannot restart ICE before it is established");
    return FALSE;
  }
  if (viewer->restarting) {
    g_mutex_unlock (&self->lock);
    *status = 409;
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "an ICE restart is already in progress");
    return FALSE;
  }
  transport = gst_object_ref (viewer->transport);
  if (self->control != NULL)
    control = g_main_context_ref (self->control);
  g_mutex_unlock (&self->lock);

  fresh = gst_rtc_transport_restart_ice (transport, &local_error);
  gst_object_unref (transport);
  if (fresh == NULL) {
    *status = 500;
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "the ICE restart failed: %s", local_error->message);
    g_clear_error (&local_error);
    goto out;
  }
  if (!gst_rtc_ice_stream_set_remote_credentials (fresh, ufrag, pwd,
          &local_error)) {
    *status = 400;
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "the new ICE credentials were refused: %s", local_error->message);
    g_clear_error (&local_error);
    gst_object_unref (fresh);
    goto out;
  }

  g_mutex_lock (&self->lock);
  old = viewer->ice;
  viewer->ice = gst_object_ref (fresh);
  viewer->restarting = TRUE;
  g_clear_object (&viewer->restart_request);
  if (request != NULL)
    viewer->restart_request = g_object_ref (request);
  viewer->restart_gathering_done = FALSE;
  g_ptr_array_set_size (viewer->restart_candidates, 0);
  g_free (viewer->etag);
  viewer->etag = random_token (8);
  g_free (viewer->remote_ufrag);
  g_free (viewer->remote_pwd);
  viewer->remote_ufrag = g_strdup (ufrag);
  viewer->remote_pwd = g_strdup (pwd);
  viewer->n_remote_candidates = 0;
  g_mutex_unlock (&self->lock);

  /* The old stream carries media until the fresh one connects; the
   * transport closes it then. Its candidates no longer matter. */
  if (old != NULL) {
    g_signal_handlers_disconnect_by_data (old, viewer);
    gst_object_unref (old);
  }
  g_signal_connect_data (fresh, "new-candidate",
      G_CALLBACK (on_new_candidate), viewer_ref (viewer),
      viewer_closure_unref, 0);
  g_signal_connect_data (fresh, "gathering-done",
      G_CALLBACK (on_gathering_done), viewer_ref (viewer),
      viewer_closure_unref, 0);
  add_remote_candidates (viewer, fresh, candidates, end_of_candidates);
  GST_INFO_OBJECT (self, "viewer %s: ICE restart on stream %u", viewer->id,
      gst_rtc_ice_stream_get_id (fresh));

  if (!gst_rtc_ice_stream_gather (fresh, &local_error)) {
    GST_WARNING_OBJECT (self, "viewer %s: restart gathering failed: %s",
        viewer->id, local_error->message);
    g_clear_error (&local_error);
    finish_restart (viewer);
  } else if (control != NULL) {
    if (viewer->restart_timeout != NULL) {
      g_source_destroy (viewer->restart_timeout);
      g_source_unref (viewer->restart_timeout);
    }
    viewer->restart_timeout = g_timeout_source_new (GATHER_TIMEOUT_MS);
    g_source_set_callback (viewer->restart_timeout, on_restart_timeout,
        viewer_ref (viewer), viewer_unref);
    g_source_attach (viewer->restart_timeout, control);
  }
  gst_object_unref (fresh);
  ok = TRUE;

out:
  if (control != NULL)
    g_main_context_unref (control);
  return ok;
}

/* A PATCH with new credentials: the answer is a 200 with a fragment. */
static void
restart_viewer_ice (GstRtcSink * self, GstRtcHttpRequest * request,
    Viewer * viewer, GstRtcSinkSdpFrag * frag)
{
  GError *error = NULL;
  guint status = 500;

  if (!viewer_restart_ice (self, viewer, request, frag->ufrag, frag->pwd,
          frag->candidates, frag->end_of_candidates, &status, &error)) {
    respond_text (request, status, error->message);
    g_clear_error (&error);
  }
}

/**
 * gst_rtc_sink_session_reoffer: (skip)
 *
 * A new offer on a signalling session whose viewer is established, on the
 * control thread. The same m-lines with new ICE credentials restart ICE;
 * the same ones with the same credentials are answered as before (with
 * their candidates added); anything else is refused with @error. The
 * answer goes back through the session. Takes @offer.
 */
gboolean
gst_rtc_sink_session_reoffer (GstRtcSink * sink, GstRtcSinkSession * session,
    const gchar * viewer_id, GstRtcSessionDescription * offer,
    GError ** error)
{
  Viewer *viewer = lookup_viewer (sink, viewer_id);
  const GstRtcMediaDescription *tag, *ours;
  GstRtcIceStream *ice = NULL;
  gboolean ok = FALSE, restart, ready;
  guint i, status = 500;
  gchar *sdp;

  g_mutex_lock (&sink->lock);
  ready = viewer != NULL && viewer->added && !viewer->removed
      && !viewer->offerer && viewer->session == session;
  g_mutex_unlock (&sink->lock);
  if (!ready) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the session's first offer is still being answered");
    goto out;
  }
  if (offer->media->len != viewer->answer.answer->media->len) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
        "a new offer that adds or removes m-lines is not supported: start "
        "a new session");
    goto out;
  }
  for (i = 0; i < offer->media->len; i++) {
    const GstRtcMediaDescription *theirs = g_ptr_array_index (offer->media,
        i);

    ours = g_ptr_array_index (viewer->answer.answer->media, i);
    if (g_strcmp0 (theirs->mid, ours->mid) != 0 || theirs->kind != ours->kind) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_MODIFICATION,
          "a new offer that changes m-line %u is not supported: start a "
          "new session", i);
      goto out;
    }
  }
  tag = g_ptr_array_index (offer->media, viewer->answer.offer_tag);
  if (tag->ice_ufrag == NULL || tag->ice_pwd == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "the offer has no ICE credentials");
    goto out;
  }
  restart = g_strcmp0 (tag->ice_ufrag, viewer->remote_ufrag) != 0
      || g_strcmp0 (tag->ice_pwd, viewer->remote_pwd) != 0;
  if (restart) {
    /* finish_restart() answers. */
    ok = viewer_restart_ice (sink, viewer, NULL, tag->ice_ufrag,
        tag->ice_pwd, tag->candidates, tag->end_of_candidates, &status,
        error);
    goto out;
  }

  g_mutex_lock (&sink->lock);
  if (viewer->ice != NULL)
    ice = gst_object_ref (viewer->ice);
  g_mutex_unlock (&sink->lock);
  if (ice != NULL) {
    add_remote_candidates (viewer, ice, tag->candidates,
        tag->end_of_candidates);
    gst_object_unref (ice);
  }
  viewer->answer.answer->session_version++;
  sdp = gst_rtc_session_description_to_string (viewer->answer.answer);
  ours = g_ptr_array_index (viewer->answer.answer->media,
      viewer->answer.offer_tag);
  gst_rtc_sink_session_send_description (session, "answer", sdp,
      viewer->answer.offer_tag, ours->mid);
  g_free (sdp);
  GST_INFO_OBJECT (sink, "viewer %s: a new offer without changes answered",
      viewer->id);
  ok = TRUE;

out:
  if (viewer != NULL)
    viewer_unref (viewer);
  gst_rtc_session_description_free (offer);
  return ok;
}

static void
handle_patch (GstRtcSink * self, GstRtcHttpRequest * request, Viewer * viewer)
{
  GBytes *body = gst_rtc_http_request_get_body (request);
  GstRtcSinkSdpFrag frag;
  GstRtcIceStream *ice = NULL;
  GError *error = NULL;
  const gchar *data;
  gsize len = 0;
  gchar *message;

  if (!gst_rtc_sink_media_type_is (gst_rtc_http_request_get_header (request,
              "Content-Type"), "application/trickle-ice-sdpfrag")) {
    respond_text (request, 415,
        "a WHEP PATCH is application/trickle-ice-sdpfrag");
    return;
  }
  if (!etag_matches (viewer, request)) {
    respond_text (request, 412, "If-Match does not match the session's ETag");
    return;
  }
  data = body != NULL ? g_bytes_get_data (body, &len) : NULL;
  if (!gst_rtc_sink_sdpfrag_parse (data != NULL ? data : "", len,
          GST_RTC_SINK_MAX_REMOTE_CANDIDATES, &frag, &error)) {
    message = g_strdup_printf ("malformed trickle fragment: %s",
        error->message);
    respond_text (request, 400, message);
    g_free (message);
    g_clear_error (&error);
    return;
  }
  if (frag.ufrag != NULL && (g_strcmp0 (frag.ufrag, viewer->remote_ufrag) != 0
          || g_strcmp0 (frag.pwd, viewer->remote_pwd) != 0)) {
    restart_viewer_ice (self, request, viewer, &frag);
    gst_rtc_sink_sdpfrag_clear (&frag);
    return;
  }

  g_mutex_lock (&self->lock);
  if (viewer->ice != NULL && !viewer->removed)
    ice = gst_object_ref (viewer->ice);
  g_mutex_unlock (&self->lock);
  if (ice == NULL) {
    gst_rtc_sink_sdpfrag_clear (&frag);
    respond_text (request, 404, "no such session");
    return;
  }
  add_remote_candidates (viewer, ice, frag.candidates, frag.end_of_candidates);
  gst_object_unref (ice);
  GST_DEBUG_OBJECT (self, "viewer %s: %u trickled candidates%s", viewer->id,
      frag.candidates->len, frag.end_of_candidates ? ", end" : "");
  gst_rtc_sink_sdpfrag_clear (&frag);
  gst_rtc_http_request_respond (request, 204, NULL, NULL);
}

static void
on_whep_request (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  GstRtcSink *self = user_data;
  const gchar *method = gst_rtc_http_request_get_method (request);
  const gchar *subpath = gst_rtc_http_request_get_subpath (request);
  Viewer *viewer;

  if (subpath[0] == '\0' || g_str_equal (subpath, "/")) {
    if (g_str_equal (method, "POST")) {
      handle_offer (self, request);
    } else {
      gst_rtc_http_request_add_response_header (request, "Allow", "POST");
      respond_text (request, 405, "POST an SDP offer here");
    }
    return;
  }

  /* /whep/<id> */
  viewer = strchr (subpath + 1, '/') == NULL ?
      lookup_viewer (self, subpath + 1) : NULL;
  if (viewer == NULL) {
    respond_text (request, 404, "no such session");
    return;
  }
  if (g_str_equal (method, "DELETE")) {
    remove_viewer (viewer, 503, "the viewer hung up (DELETE)");
    gst_rtc_http_request_respond (request, 200, NULL, NULL);
  } else if (g_str_equal (method, "PATCH")) {
    handle_patch (self, request, viewer);
  } else {
    gst_rtc_http_request_add_response_header (request, "Allow",
        "PATCH, DELETE");
    respond_text (request, 405, "PATCH or DELETE a session");
  }
  viewer_unref (viewer);
}

static void
on_page_request (GstRtcHttpServer * server, GstRtcHttpRequest * request,
    gpointer user_data)
{
  const gchar *path = gst_rtc_http_request_get_subpath (request);
  const gchar *name = NULL, *content_type = NULL;
  GBytes *bytes;
  gchar *resource;

  if (path[0] == '\0') {
    /* /room/alice: the page's relative URLs (whep, ws) need the slash */
    gchar *location = g_strconcat (gst_rtc_http_request_get_path (request),
        "/", NULL);

    gst_rtc_http_request_add_response_header (request, "Location", location);
    g_free (location);
    respond_text (request, 308, "the viewer page is one level down");
    return;
  }
  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html")) {
    name = "index.html";
    content_type = "text/html; charset=utf-8";
  } else if (g_str_equal (path, "/viewer.js")) {
    name = "viewer.js";
    content_type = "text/javascript; charset=utf-8";
  }
  if (name == NULL) {
    respond_text (request, 404, "not found");
    return;
  }
  resource = g_strconcat (RESOURCE_PREFIX, name, NULL);
  bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE,
      NULL);
  g_free (resource);
  if (bytes == NULL) {
    respond_text (request, 500, "the viewer page is missing from the plugin");
    return;
  }
  gst_rtc_http_request_add_response_header (request, "Cache-Control",
      "no-cache");
  gst_rtc_http_request_respond (request, 200, content_type, bytes);
  g_bytes_unref (bytes);
}

/* ---- the streams ---- */

static GstElement *
make_element (GstRtcSink * self, const gchar * factory, const gchar * purpose)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("The '%s' element is missing", factory),
        ("rtcsink needs %s to %s", factory, purpose));
  return element;
}

static void
set_if_exists (GstElement * element, const gchar * name, const gchar * value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), name))
    gst_util_set_object_arg (G_OBJECT (element), name, value);
  else
    GST_DEBUG_OBJECT (element, "no property %s", name);
}

static GstElement *
make_queue (GstRtcSink * self, gboolean leaky)
{
  GstElement *queue = make_element (self, "queue", "decouple the encoder");

  if (queue != NULL && leaky) {
    /* A live source must never wait for a slow encoder: drop old
     * frames instead. */
    g_object_set (queue, "max-size-buffers", 3, "max-size-bytes", 0,
        "max-size-time", (guint64) 0, NULL);
    gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  }
  return queue;
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
/* vp8enc's temporal-scalability-* integer lists are GValueArrays, which
 * cannot be set from a string. */
static void
set_int_list (GstElement * encoder, const gchar * property,
    const gint * values, guint n)
{
  GValueArray *array = g_value_array_new (n);
  GValue value = G_VALUE_INIT;
  guint i;

  g_value_init (&value, G_TYPE_INT);
  for (i = 0; i < n; i++) {
    g_value_set_int (&value, values[i]);
    g_value_array_append (array, &value);
  }
  g_value_unset (&value);
  g_object_set (encoder, property, array, NULL);
  g_value_array_free (array);
}

G_GNUC_END_IGNORE_DEPRECATIONS

/* The layers' cumulative bitrates follow the encoder's. */
static void
set_vp8_bitrate (GstElement * encoder, guint bitrate)
{
  gint layers = 1;

  g_object_get (encoder, "temporal-scalability-number-layers", &layers, NULL);
  if (layers == VP8_TEMPORAL_LAYERS) {
    gint rates[VP8_TEMPORAL_LAYERS] = {
      (gint) ((guint64) bitrate * VP8_LAYER0_PERCENT / 100),
      (gint) ((guint64) bitrate * VP8_LAYER1_PERCENT / 100),
      (gint) bitrate,
    };

    set_int_list (encoder, "temporal-scalability-target-bitrate", rates,
        VP8_TEMPORAL_LAYERS);
  }
  g_object_set (encoder, "target-bitrate", (gint) bitrate, NULL);
}

/* libvpx's 3-layer pattern: layer 0 refers to and updates the last
 * frame only; the layer-1 frame refers to layer 0 and updates golden;
 * the first layer-2 frame refers to layer 0 only (a layer-sync point),
 * the second to both, and neither updates anything. */
static void
set_vp8_temporal_layers (GstElement * encoder, guint bitrate)
{
  static const gint decimators[] = { 4, 2, 1 };
  static const gint layer_ids[] = { 0, 2, 1, 2 };

  g_object_set (encoder, "temporal-scalability-number-layers",
      VP8_TEMPORAL_LAYERS, "temporal-scalability-periodicity", 4, NULL);
  set_int_list (encoder, "temporal-scalability-rate-decimator", decimators,
      G_N_ELEMENTS (decimators));
  set_int_list (encoder, "temporal-scalability-layer-id", layer_ids,
      G_N_ELEMENTS (layer_ids));
  gst_util_set_object_arg (G_OBJECT (encoder),
      "temporal-scalability-layer-flags",
      "<no-ref-golden+no-ref-alt+no-upd-golden+no-upd-alt,"
      "no-ref-golden+no-ref-alt+no-upd-last+no-upd-golden+no-upd-alt"
      "+no-upd-entropy,"
      "no-ref-golden+no-ref-alt+no-upd-last+no-upd-alt,"
      "no-ref-alt+no-upd-last+no-upd-golden+no-upd-alt+no-upd-entropy>");
  gst_util_set_object_arg (G_OBJECT (encoder),
      "temporal-scalability-layer-sync-flags", "<false,true,true,false>");
  set_vp8_bitrate (encoder, bitrate);
}

static GstElement *
make_vp8enc (GstRtcSink * self, guint bitrate)
{
  GstElement *encoder = make_element (self, "vp8enc", "encode raw video");
  gboolean congestion_control;

  if (encoder == NULL)
    return NULL;
  GST_OBJECT_LOCK (self);
  congestion_control = self->congestion_control;
  GST_OBJECT_UNLOCK (self);
  /* libvpx's defaults (a one-second deadline, cpu-used 0) are for files;
   * these keep a live stream live. */
  g_object_set (encoder, "deadline", (gint64) VP8_DEADLINE_REALTIME,
      "cpu-used", VP8_CPU_USED, "target-bitrate", (gint) bitrate,
      "keyframe-max-dist", VP8_KEYFRAME_MAX_DIST, "lag-in-frames", 0,
      "threads", VP8_THREADS, NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
  gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
  if (congestion_control)
    set_vp8_temporal_layers (encoder, bitrate);
  return encoder;
}

static GstElement *
make_payloader (GstRtcSink * self, guint32 ssrc, const gchar * factory,
    guint pt)
{
  GstElement *payloader = make_element (self, factory, "payload the stream");

  if (payloader == NULL)
    return NULL;
  g_object_set (payloader, "ssrc", ssrc, "pt", pt, "mtu", RTP_MTU, NULL);
  return payloader;
}

/* The appsink at the end of a branch; its new-sample signal hands the
 * packets over. Through appsink's signals rather than libgstapp's
 * callbacks: a signal per frame (a buffer list) costs nothing next to
 * the encoder. */
static GstElement *
make_appsink (GstRtcSink * self)
{
  GstElement *appsink = make_element (self, "appsink", "hand packets over");

  if (appsink == NULL)
    return NULL;
  g_object_set (appsink, "sync", FALSE, "async", FALSE, "emit-signals", TRUE,
      "enable-last-sample", FALSE, "buffer-list", TRUE, "wait-on-eos", FALSE,
      NULL);
  return appsink;
}

/* On the streaming thread: pulls @appsink's sample and calls @func for
 * each packet in it. */
static GstFlowReturn
pull_packets (GstElement * appsink, void (*func) (gpointer, GstBuffer *),
    gpointer data)
{
  GstSample *sample = NULL;
  GstBufferList *list;
  GstBuffer *buffer;
  guint i, n;

  g_signal_emit_by_name (appsink, "pull-sample", &sample);
  if (sample == NULL)
    return GST_FLOW_FLUSHING;
  list = gst_sample_get_buffer_list (sample);
  if (list != NULL) {
    n = gst_buffer_list_length (list);
    for (i = 0; i < n; i++)
      func (data, gst_buffer_list_get (list, i));
  } else if ((buffer = gst_sample_get_buffer (sample)) != NULL) {
    func (data, buffer);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static gboolean
h264_caps_payloadable (const GstStructure * s)
{
  const gchar *format = gst_structure_get_string (s, "stream-format");
  const gchar *alignment = gst_structure_get_string (s, "alignment");

  if (format == NULL || alignment == NULL)
    return FALSE;
  if (g_str_equal (format, "avc"))
    return g_str_equal (alignment, "au");
  return g_str_equal (format, "byte-stream")
      && (g_str_equal (alignment, "au") || g_str_equal (alignment, "nal"));
}

static GstFlowReturn on_new_sample (GstElement * appsink, gpointer user_data);

/* Adds @chain's elements to the sink and links them in order. An
 * element that could not be added is dropped from @chain, so that the
 * caller removes exactly those in the bin. */
static gboolean
add_and_link_chain (GstRtcSink * self, GPtrArray * chain)
{
  guint i;

  for (i = 0; i < chain->len; i++) {
    if (!gst_bin_add (GST_BIN (self), g_ptr_array_index (chain, i))) {
      g_ptr_array_set_size (chain, i);
      return FALSE;
    }
  }
  for (i = 0; i + 1 < chain->len; i++) {
    if (!gst_element_link (g_ptr_array_index (chain, i),
            g_ptr_array_index (chain, i + 1))) {
      GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
          ("could not link %s to %s",
              GST_ELEMENT_NAME (g_ptr_array_index (chain, i)),
              GST_ELEMENT_NAME (g_ptr_array_index (chain, i + 1))));
      return FALSE;
    }
  }
  return TRUE;
}

static guint encoder_bitrate (GstRtcSink * self);
static GstPadProbeReturn on_payloader_event (GstPad * pad,
    GstPadProbeInfo * info, gpointer user_data);

static void
push_rung_packet (gpointer data, GstBuffer * buffer)
{
  SinkRung *rung = data;

  g_atomic_pointer_add (&rung->packets, 1);
  g_atomic_pointer_add (&rung->bytes, gst_buffer_get_size (buffer));
  gst_rtc_fanout_push (rung->sink->fanout, rung->fanout_stream,
      gst_buffer_ref (buffer));
}

/* On the streaming thread: a rung's packets, once for all viewers. */
static GstFlowReturn
on_rung_sample (GstElement * appsink, gpointer user_data)
{
  return pull_packets (appsink, push_rung_packet, user_data);
}

/* Takes a rung's elements out of the sink. */
static void
rung_remove (GstRtcSink * self, SinkRung * rung)
{
  guint i;

  for (i = 0; rung->elements != NULL && i < rung->elements->len; i++) {
    GstElement *e = g_ptr_array_index (rung->elements, i);

    if (GST_OBJECT_PARENT (e) != GST_OBJECT (self))
      continue;
    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), e);
  }
}

/* Makes one rung of @stream's ladder in the sink, fed by @tee: queue !
 * videoscale ! capsfilter ! vp8enc ! rtpvp8pay ! appsink, into a fan-out
 * stream that is a rendition of the pad's. Its payloader takes
 * @timestamp_offset, as the primary's, so that the fan-out can switch a
 * viewer between them on one timeline. The elements are linked, not yet
 * started. Posts an error and returns NULL on failure. */
static SinkRung *
build_rung (GstRtcSink * self, SinkStream * stream, GstElement * tee,
    const LadderSpec * spec, guint32 timestamp_offset)
{
  SinkRung *rung = g_new0 (SinkRung, 1);
  GPtrArray *chain = g_ptr_array_new_with_free_func (gst_object_unref);
  GstElement *element, *payloader, *appsink;
  GstCaps *caps;

#define ADD(e) G_STMT_START { element = (e); if (element == NULL) goto fail; \
    g_ptr_array_add (chain, gst_object_ref_sink (element)); } G_STMT_END

  rung->sink = self;
  rung->spec = *spec;
  rung->ssrc = g_random_int ();
  rung->elements = chain;

  ADD (make_queue (self, TRUE));
  ADD (make_element (self, "videoscale", "scale the ladder's rungs"));
  ADD (make_element (self, "capsfilter", "size a rung"));
  caps = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT,
      (gint) spec->width, "height", G_TYPE_INT, (gint) spec->height,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (element, "caps", caps, NULL);
  gst_caps_unref (caps);
  /* The same settings, and temporal layers, as the primary's encoder. */
  ADD (make_vp8enc (self, spec->bitrate));
  ADD (payloader = make_payloader (self, rung->ssrc, "rtpvp8pay",
          VIDEO_PAYLOAD_TYPE));
  g_object_set (payloader, "timestamp-offset", timestamp_offset, NULL);
  set_if_exists (payloader, "picture-id-mode", "15-bit");
  ADD (appsink = make_appsink (self));
#undef ADD

  rung->fanout_stream = gst_rtc_fanout_add_stream (self->fanout,
      GST_RTC_MEDIA_KIND_VIDEO, rung->ssrc, VIDEO_CLOCK_RATE);
  if (rung->fanout_stream == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No room for the ladder of %s", GST_PAD_NAME (stream->pad)),
        ("the fan-out carries at most %u streams",
            GST_RTC_FANOUT_MAX_STREAMS));
    goto fail;
  }
  gst_rtc_fanout_set_stream_codec (self->fanout, rung->fanout_stream, "VP8");
  if (!gst_rtc_fanout_set_stream_rendition (self->fanout,
          rung->fanout_stream, stream->fanout_stream, spec->bitrate)) {
    GST_ELEMENT_ERROR (self, CORE, FAILED, (NULL),
        ("the fan-out refused stream %u as a rendition of stream %u",
            rung->fanout_stream, stream->fanout_stream));
    goto fail;
  }

  if (!add_and_link_chain (self, chain))
    goto fail;
  if (!gst_element_link (tee, g_ptr_array_index (chain, 0))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("could not link the ladder's tee to %s",
            GST_ELEMENT_NAME (g_ptr_array_index (chain, 0))));
    goto fail;
  }
  rung->appsink = gst_object_ref (appsink);
  g_signal_connect (appsink, "new-sample", G_CALLBACK (on_rung_sample),
      rung);
  GST_INFO_OBJECT (self, "%s: rung %ux%u at %u bit/s, fan-out stream %u",
      GST_PAD_NAME (stream->pad), spec->width, spec->height, spec->bitrate,
      rung->fanout_stream);
  return rung;

fail:
  rung_remove (self, rung);
  rung_free (rung);
  return NULL;
}

/* Builds the pad's branch for the first caps it gets, on the streaming
 * thread: encode raw input, only payload encoded input. */
static gboolean
build_branch (GstRtcSink * self, SinkStream * stream, const GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (s);
  GPtrArray *chain = g_ptr_array_new_with_free_func (gst_object_unref);
  GstElement *encoder = NULL, *payloader = NULL, *element, *appsink;
  GstElement *tee = NULL, *ladder_tee = NULL;
  GstRtcSinkTranscoder *transcoder = NULL;
  GPtrArray *rungs = NULL;
  LadderSpec ladder[LADDER_MAX_RUNGS];
  guint32 timestamp_offset = 0;
  GstPad *pad, *target;
  gboolean mark_keyframes = FALSE, ok = FALSE;
  guint bitrate, n_rungs, i;

  bitrate = encoder_bitrate (self);
  GST_OBJECT_LOCK (self);
  n_rungs = self->n_ladder_rungs;
  memcpy (ladder, self->ladder_rungs, sizeof (ladder));
  GST_OBJECT_UNLOCK (self);
  if (n_rungs > 0 && (stream->kind != GST_RTC_MEDIA_KIND_VIDEO
          || !g_str_equal (name, "video/x-raw"))) {
    if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO)
      GST_WARNING_OBJECT (self, "%s: %s input is only payloaded: the ladder "
          "is not made for it", GST_PAD_NAME (stream->pad), name);
    n_rungs = 0;
  }

#define ADD(e) G_STMT_START { element = (e); if (element == NULL) goto out; \
    g_ptr_array_add (chain, gst_object_ref_sink (element)); } G_STMT_END

  if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO
      && g_str_equal (name, "video/x-raw")) {
    ADD (make_queue (self, TRUE));
    ADD (make_element (self, "videoconvert", "convert raw video"));
    if (n_rungs > 0) {
      /* The rungs hang off this tee, each behind a leaky queue of its
       * own; so does the primary encoder. */
      ADD (ladder_tee = make_element (self, "tee", "feed the ladder"));
      g_object_set (ladder_tee, "allow-not-linked", TRUE, NULL);
      ADD (make_queue (self, TRUE));
      /* One timeline for every rung's RTP timestamps (G_MAXUINT32 would
       * mean "random" to the payloaders). */
      do
        timestamp_offset = g_random_int ();
      while (timestamp_offset == G_MAXUINT32);
    }
    ADD (encoder = make_vp8enc (self, bitrate));
    ADD (payloader = make_payloader (self, stream->ssrc, "rtpvp8pay",
            VIDEO_PAYLOAD_TYPE));
    set_if_exists (payloader, "picture-id-mode", "15-bit");
    if (n_rungs > 0)
      g_object_set (payloader, "timestamp-offset", timestamp_offset, NULL);
  } else if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO
      && g_str_equal (name, "video/x-vp8")) {
    ADD (make_queue (self, FALSE));
    ADD (payloader = make_payloader (self, stream->ssrc, "rtpvp8pay",
            VIDEO_PAYLOAD_TYPE));
    set_if_exists (payloader, "picture-id-mode", "15-bit");
  } else if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO
      && g_str_equal (name, "video/x-vp9")) {
    ADD (make_queue (self, FALSE));
    ADD (payloader = make_payloader (self, stream->ssrc, "rtpvp9pay",
            VIDEO_PAYLOAD_TYPE));
    set_if_exists (payloader, "picture-id-mode", "15-bit");
    /* The fan-out finds VP8 and H.264 key frames itself; VP9 ones we
     * mark. */
    mark_keyframes = TRUE;
  } else if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO
      && g_str_equal (name, "video/x-h264")) {
    GstElementFactory *parse = gst_element_factory_find ("h264parse");

    ADD (make_queue (self, FALSE));
    if (parse != NULL) {
      ADD (gst_element_factory_create (parse, NULL));
      gst_object_unref (parse);
    } else if (!h264_caps_payloadable (s)) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("H.264 needs h264parse (gst-plugins-bad), which is not installed"),
          ("without it rtcsink takes byte-stream (au or nal) or avc (au) "
              "H.264 only; got %" GST_PTR_FORMAT, caps));
      goto out;
    }
    /* Transcode branches hang off this tee (gstrtcsink-transcode.c). */
    ADD (tee = make_element (self, "tee", "share H.264 with transcoders"));
    g_object_set (tee, "allow-not-linked", TRUE, NULL);
    ADD (payloader = make_payloader (self, stream->ssrc, "rtph264pay",
            VIDEO_PAYLOAD_TYPE));
    /* SPS and PPS before every IDR: a viewer who joins late starts at the
     * next IDR without waiting for out-of-band parameter sets. */
    g_object_set (payloader, "config-interval", -1, NULL);
    set_if_exists (payloader, "aggregate-mode", "zero-latency");
  } else if (stream->kind == GST_RTC_MEDIA_KIND_AUDIO
      && (g_str_equal (name, "audio/x-raw")
          || gst_rtc_sink_transcode_audio_needs_decoding (s))) {
    GstCaps *stereo = gst_caps_from_string ("audio/x-raw, channels=(int)[1,2]");

    ADD (make_queue (self, FALSE));
    if (!g_str_equal (name, "audio/x-raw")) {
      /* AAC, PCMU and PCMA reach browsers as Opus. */
      GPtrArray *decode =
          gst_rtc_sink_transcode_make_audio_decoder (GST_ELEMENT (self), caps);

      if (decode == NULL) {
        gst_caps_unref (stereo);
        goto out;
      }
      for (i = 0; i < decode->len; i++)
        ADD (g_ptr_array_index (decode, i));
      g_ptr_array_unref (decode);
    }
    ADD (make_element (self, "audioconvert", "convert raw audio"));
    ADD (make_element (self, "audioresample", "resample raw audio"));
    ADD (make_element (self, "capsfilter", "downmix to stereo"));
    g_object_set (element, "caps", stereo, NULL);
    gst_caps_unref (stereo);
    ADD (encoder = make_element (self, "opusenc", "encode raw audio"));
    g_object_set (encoder, "bitrate", OPUS_BITRATE, NULL);
    set_if_exists (encoder, "frame-size", "20");
    ADD (payloader = make_payloader (self, stream->ssrc, "rtpopuspay",
            OPUS_PAYLOAD_TYPE));
  } else if (stream->kind == GST_RTC_MEDIA_KIND_AUDIO
      && g_str_equal (name, "audio/x-opus")) {
    ADD (make_queue (self, FALSE));
    ADD (payloader = make_payloader (self, stream->ssrc, "rtpopuspay",
            OPUS_PAYLOAD_TYPE));
  } else {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("%s cannot send %s", GST_PAD_NAME (stream->pad), name),
        ("rtcsink takes raw video, VP8, VP9 or H.264 on video pads and raw "
            "audio or Opus on audio pads"));
    goto out;
  }

  ADD (appsink = make_appsink (self));
  g_signal_connect (appsink, "new-sample", G_CALLBACK (on_new_sample),
      stream);
  pad = gst_element_get_static_pad (appsink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      on_payloader_event, stream, NULL);
  gst_object_unref (pad);

  if (!add_and_link_chain (self, chain))
    goto out;
  if (n_rungs > 0) {
    rungs = g_ptr_array_new_with_free_func ((GDestroyNotify) rung_free);
    for (i = 0; i < n_rungs; i++) {
      SinkRung *rung = build_rung (self, stream, ladder_tee, &ladder[i],
          timestamp_offset);

      if (rung == NULL)
        goto out;
      g_ptr_array_add (rungs, rung);
    }
    /* Downstream first: the tee starts after them, with the chain. */
    for (i = 0; i < rungs->len; i++) {
      SinkRung *rung = g_ptr_array_index (rungs, i);
      guint j;

      for (j = rung->elements->len; j > 0; j--)
        gst_element_sync_state_with_parent (g_ptr_array_index
            (rung->elements, j - 1));
    }
  }
  for (i = chain->len; i > 0; i--)
    gst_element_sync_state_with_parent (g_ptr_array_index (chain, i - 1));

  target = gst_element_get_static_pad (g_ptr_array_index (chain, 0), "sink");
  ok = gst_ghost_pad_set_target (GST_GHOST_PAD (stream->pad), target);
  gst_object_unref (target);
  if (!ok)
    goto out;

  if (tee != NULL)
    transcoder = gst_rtc_sink_transcoder_new (GST_ELEMENT (self),
        self->fanout, tee, GST_PAD_NAME (stream->pad), bitrate);
  g_mutex_lock (&self->lock);
  stream->transcoder = transcoder;
  stream->input_name = g_strdup (name);
  stream->elements = g_ptr_array_ref (chain);
  stream->encoder = encoder ? gst_object_ref (encoder) : NULL;
  stream->appsink = gst_object_ref (appsink);
  stream->mark_keyframes = mark_keyframes;
  stream->rungs = g_steal_pointer (&rungs);
  g_mutex_unlock (&self->lock);
  GST_INFO_OBJECT (self, "%s: %s input, %s%s", GST_PAD_NAME (stream->pad),
      name, encoder ? "encoding" : "payloading only",
      n_rungs > 0 ? ", with a ladder" : "");

out:
#undef ADD
  if (!ok) {
    /* Elements already in the bin leave it; the others are dropped with
     * the array. */
    for (i = 0; i < chain->len; i++) {
      GstElement *e = g_ptr_array_index (chain, i);

      if (GST_OBJECT_PARENT (e) == GST_OBJECT (self)) {
        gst_element_set_state (e, GST_STATE_NULL);
        gst_bin_remove (GST_BIN (self), e);
      }
    }
    for (i = 0; rungs != NULL && i < rungs->len; i++)
      rung_remove (self, g_ptr_array_index (rungs, i));
  }
  if (rungs != NULL)
    g_ptr_array_unref (rungs);
  g_ptr_array_unref (chain);
  return ok;
}

/* The codec viewers are answered with, from the payloader's caps. */
static GstRtcCodec *
codec_from_payloader_caps (SinkStream * stream, GstCaps * caps)
{
  GstRtcCodec *from_caps, *codec = NULL;
  GPtrArray *defaults;
  GError *error = NULL;
  guint i;

  from_caps = gst_rtc_codec_new_from_caps (caps, &error);
  if (from_caps == NULL) {
    GST_WARNING ("payloader caps %" GST_PTR_FORMAT ": %s", caps,
        error->message);
    g_clear_error (&error);
    return NULL;
  }
  /* Our default codec of that name carries the feedback we do; H.264
   * takes the stream's own profile and level. */
  defaults = gst_rtc_codecs_default (stream->kind);
  for (i = 0; i < defaults->len && codec == NULL; i++) {
    GstRtcCodec *candidate = g_ptr_array_index (defaults, i);

    if (g_ascii_strcasecmp (candidate->encoding_name,
            from_caps->encoding_name) == 0)
      codec = gst_rtc_codec_copy (candidate);
  }
  g_ptr_array_unref (defaults);
  if (codec == NULL) {
    GST_WARNING ("no SDP codec for %s", from_caps->encoding_name);
  } else if (g_ascii_strcasecmp (codec->encoding_name, "H264") == 0) {
    gchar *profile = gst_rtc_codec_get_fmtp_value (from_caps,
        "profile-level-id");

    if (profile == NULL) {
      /* rtph264pay only puts it in its caps for avc input (with
       * codec_data): the SPS in the stream will tell. */
      GST_DEBUG ("H.264 caps without profile-level-id");
      g_clear_pointer (&codec, gst_rtc_codec_free);
      g_atomic_int_set (&stream->want_sps, TRUE);
    } else {
      g_free (codec->fmtp);
      codec->fmtp = g_strdup_printf ("level-asymmetry-allowed=1;"
          "packetization-mode=1;profile-level-id=%s", profile);
      g_free (profile);
    }
  }
  gst_rtc_codec_free (from_caps);
  return codec;
}

/* Takes @codec as what the stream sends, and lets offers that waited for
 * it go on. */
static void
stream_set_codec (SinkStream * stream, GstRtcCodec * codec)
{
  GstRtcSink *self = stream->sink;
  gboolean first, all_ready, any_ready;
  GMainContext *control = NULL;

  gst_rtc_fanout_set_stream_codec (self->fanout, stream->fanout_stream,
      codec->encoding_name);
  g_mutex_lock (&self->lock);
  first = stream->codec == NULL;
  g_clear_pointer (&stream->codec, gst_rtc_codec_free);
  stream->codec = codec;
  all_ready = streams_ready_locked (self, &any_ready);
  if (all_ready && self->waiting != NULL && self->control != NULL)
    control = g_main_context_ref (self->control);
  g_mutex_unlock (&self->lock);

  if (first)
    GST_INFO_OBJECT (self, "%s sends %s/%u", GST_PAD_NAME (stream->pad),
        codec->encoding_name, codec->clock_rate);
  if (control != NULL) {
    g_main_context_invoke_full (control, G_PRIORITY_DEFAULT, process_waiting,
        gst_object_ref (self), gst_object_unref);
    g_main_context_unref (control);
  }
}

static GstPadProbeReturn
on_payloader_event (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  SinkStream *stream = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstRtcCodec *codec;
  GstCaps *caps;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  codec = codec_from_payloader_caps (stream, caps);
  if (codec != NULL) {
    g_atomic_int_set (&stream->want_sps, FALSE);
    stream_set_codec (stream, codec);
  }
  return GST_PAD_PROBE_OK;
}

/* The RTP payload of @packet, or NULL. */
static const guint8 *
rtp_payload (const guint8 * data, gsize size, gsize * payload_size)
{
  gsize header;

  if (size < 12 || (data[0] & 0xc0) != 0x80)
    return NULL;
  header = 12 + 4 * (data[0] & 0x0f);
  if ((data[0] & 0x10) && size >= header + 4)
    header += 4 + 4 * (gsize) GST_READ_UINT16_BE (data + header + 2);
  if (size <= header)
    return NULL;
  *payload_size = size - header;
  return data + header;
}

/* profile_idc, the constraint flags and level_idc are the three bytes
 * after an SPS's NAL header: the profile-level-id of RFC 6184. Looks in
 * a single NAL unit packet and in STAP-A (what rtph264pay sends SPS in). */
static gboolean
find_sps_profile (const guint8 * payload, gsize size, guint8 profile[3])
{
  gsize offset;

  if (size < 1)
    return FALSE;
  switch (payload[0] & 0x1f) {
    case 7:
      if (size < 4)
        return FALSE;
      memcpy (profile, payload + 1, 3);
      return TRUE;
    case 24:
      for (offset = 1; offset + 2 < size;) {
        gsize nal_size = GST_READ_UINT16_BE (payload + offset);
        const guint8 *nal = payload + offset + 2;

        if (nal_size == 0 || offset + 2 + nal_size > size)
          return FALSE;
        if ((nal[0] & 0x1f) == 7 && nal_size >= 4) {
          memcpy (profile, nal + 1, 3);
          return TRUE;
        }
        offset += 2 + nal_size;
      }
      return FALSE;
    default:
      return FALSE;
  }
}

static void
learn_h264_profile (SinkStream * stream, GstBuffer * buffer)
{
  const guint8 *payload;
  guint8 profile[3];
  gsize payload_size;
  GstMapInfo map;
  gboolean found = FALSE;
  GstRtcCodec *codec;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  payload = rtp_payload (map.data, map.size, &payload_size);
  if (payload != NULL)
    found = find_sps_profile (payload, payload_size, profile);
  gst_buffer_unmap (buffer, &map);
  if (!found || !g_atomic_int_compare_and_exchange (&stream->want_sps, TRUE,
          FALSE))
    return;

  codec = gst_rtc_codec_new (VIDEO_PAYLOAD_TYPE, "H264", VIDEO_CLOCK_RATE, 0,
      NULL);
  codec->fmtp = g_strdup_printf ("level-asymmetry-allowed=1;"
      "packetization-mode=1;profile-level-id=%02x%02x%02x", profile[0],
      profile[1], profile[2]);
  codec->feedback = GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
      GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC |
      GST_RTC_RTCP_FB_GOOG_REMB;
  GST_DEBUG ("%s: H.264 profile-level-id %02x%02x%02x from the SPS",
      GST_PAD_NAME (stream->pad), profile[0], profile[1], profile[2]);
  stream_set_codec (stream, codec);
}

/* VP9 payload descriptor (RFC 9628): I P L F B E V Z. A packet that
 * begins a frame (B) that is not inter-predicted (P clear) begins a key
 * frame. */
static GstBuffer *
mark_vp9_keyframe (GstBuffer * buffer)
{
  GstMapInfo map;
  gboolean keyframe_start = FALSE;

  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gsize size;
    const guint8 *payload = rtp_payload (map.data, map.size, &size);

    keyframe_start = payload != NULL && (payload[0] & 0x08)
        && !(payload[0] & 0x40);
    gst_buffer_unmap (buffer, &map);
  }
  buffer = gst_buffer_make_writable (buffer);
  if (keyframe_start)
    GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  else
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}

static void
push_packet (gpointer data, GstBuffer * buffer)
{
  SinkStream *stream = data;

  if (G_UNLIKELY (g_atomic_int_get (&stream->want_sps)))
    learn_h264_profile (stream, buffer);
  buffer = gst_buffer_ref (buffer);
  if (stream->mark_keyframes)
    buffer = mark_vp9_keyframe (buffer);
  gst_rtc_fanout_push (stream->sink->fanout, stream->fanout_stream, buffer);
}

/* On the streaming thread: the payloader's packets, once for all
 * viewers. */
static GstFlowReturn
on_new_sample (GstElement * appsink, gpointer user_data)
{
  return pull_packets (appsink, push_packet, user_data);
}

/* What the VP8 encoder is to produce: #GstRtcSink:video-bitrate, or with
 * congestion control the fan-out's target under it. */
static guint
encoder_bitrate (GstRtcSink * self)
{
  guint bitrate;
  gboolean congestion_control;

  GST_OBJECT_LOCK (self);
  bitrate = self->video_bitrate;
  congestion_control = self->congestion_control;
  GST_OBJECT_UNLOCK (self);
  if (congestion_control)
    bitrate = MIN (bitrate,
        gst_rtc_fanout_get_target_bitrate (self->fanout));
  return bitrate;
}

/* Sets the bitrate of our VP8 encoders (none with encoded input).
 * Returns how many there are. */
static guint
apply_encoder_bitrate (GstRtcSink * self, guint bitrate)
{
  GPtrArray *encoders = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i, n;

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO && stream->encoder)
      g_ptr_array_add (encoders, gst_object_ref (stream->encoder));
  }
  g_mutex_unlock (&self->lock);
  for (i = 0; i < encoders->len; i++)
    set_vp8_bitrate (g_ptr_array_index (encoders, i), bitrate);
  n = encoders->len;
  g_ptr_array_unref (encoders);
  return n;
}

/* The fan-out's policy moved the target: the encoder follows, and the
 * application hears of it in an rtcsink-bandwidth message, at most one
 * a second. With encoded input nothing is re-encoded: only reported. */
static void
on_target_bitrate_changed (GstRtcFanout * fanout, guint target,
    GstRtcSink * self)
{
  GstStructure *s, *bandwidth;
  gboolean congestion_control, post;
  guint bitrate = encoder_bitrate (self), encoders = 0;
  gint64 now = g_get_monotonic_time ();

  GST_OBJECT_LOCK (self);
  congestion_control = self->congestion_control;
  post = self->last_bandwidth_message == 0 ||
      now - self->last_bandwidth_message >= BANDWIDTH_MESSAGE_INTERVAL;
  if (post)
    self->last_bandwidth_message = now;
  GST_OBJECT_UNLOCK (self);

  if (congestion_control) {
    encoders = apply_encoder_bitrate (self, bitrate);
    GST_DEBUG_OBJECT (self, "fan-out target %u bit/s, encoder %u bit/s",
        target, bitrate);
  }
  if (!post)
    return;

  bandwidth = gst_rtc_fanout_get_bandwidth_stats (fanout);
  s = gst_structure_new ("rtcsink-bandwidth",
      "target-bitrate", G_TYPE_UINT, target,
      "encoder-bitrate", G_TYPE_UINT, encoders > 0 ? bitrate : 0,
      "congestion-control", G_TYPE_BOOLEAN, congestion_control,
      "passthrough", G_TYPE_BOOLEAN, encoders == 0, NULL);
  gst_structure_set_value (s, "viewers",
      gst_structure_get_value (bandwidth, "viewers"));
  gst_structure_set_value (s, "constrained-viewers",
      gst_structure_get_value (bandwidth, "constrained-viewers"));
  gst_structure_free (bandwidth);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* The fan-out's merged key frame requests become an upstream
 * force-key-unit event: our encoder makes one; with encoded input, it
 * travels up through the parser to whoever encodes. */
static void
on_request_keyframe (GstRtcFanout * fanout, guint stream_id, GstRtcSink * self)
{
  GstElement *appsink = NULL;
  GstStructure *s;
  GstPad *pad;
  guint count = 0, i, j;

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    if (stream->fanout_stream == stream_id && stream->appsink != NULL) {
      appsink = gst_object_ref (stream->appsink);
      count = ++stream->keyframe_requests;
    }
    /* A rung's request goes to the rung's own encoder. */
    for (j = 0; stream->rungs != NULL && j < stream->rungs->len; j++) {
      SinkRung *rung = g_ptr_array_index (stream->rungs, j);

      if (rung->fanout_stream == stream_id && rung->appsink != NULL) {
        appsink = gst_object_ref (rung->appsink);
        count = ++rung->keyframe_requests;
      }
    }
  }
  g_mutex_unlock (&self->lock);
  if (appsink == NULL)
    return;

  GST_DEBUG_OBJECT (self, "key frame request %u for stream %u", count,
      stream_id);
  s = gst_structure_new ("GstForceKeyUnit",
      "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
      "all-headers", G_TYPE_BOOLEAN, TRUE, "count", G_TYPE_UINT, count, NULL);
  pad = gst_element_get_static_pad (appsink, "sink");
  gst_pad_push_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
  gst_object_unref (pad);
  gst_object_unref (appsink);
}

static gboolean
sink_pad_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRtcSink *self = GST_RTC_SINK (parent);
  SinkStream *stream = gst_pad_get_element_private (pad);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    const gchar *name;

    gst_event_parse_caps (event, &caps);
    name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
    if (stream->input_name == NULL) {
      if (!build_branch (self, stream, caps)) {
        gst_event_unref (event);
        return FALSE;
      }
    } else if (!g_str_equal (stream->input_name, name)) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("%s cannot switch from %s to %s", GST_PAD_NAME (pad),
              stream->input_name, name), (NULL));
      gst_event_unref (event);
      return FALSE;
    }
  }
  return gst_pad_event_default (pad, parent, event);
}

/* Until the first caps build the branch, the pad has no target: it
 * answers caps queries from its template, in our order of preference. */
static gboolean
sink_pad_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  GstCaps *templ, *filter, *caps, *result;

  if (target != NULL) {
    gst_object_unref (target);
    return gst_pad_query_default (pad, parent, query);
  }
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:
      templ = gst_pad_get_pad_template_caps (pad);
      gst_query_parse_caps (query, &filter);
      result = filter ? gst_caps_intersect_full (templ, filter,
          GST_CAPS_INTERSECT_FIRST) : gst_caps_ref (templ);
      gst_query_set_caps_result (query, result);
      gst_caps_unref (result);
      gst_caps_unref (templ);
      return TRUE;
    case GST_QUERY_ACCEPT_CAPS:
      templ = gst_pad_get_pad_template_caps (pad);
      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query,
          gst_caps_can_intersect (caps, templ));
      gst_caps_unref (templ);
      return TRUE;
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static gboolean
index_in_use_locked (GstRtcSink * self, GstRtcMediaKind kind, guint index)
{
  guint i;

  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    if (stream->kind == kind && stream->index == index)
      return TRUE;
  }
  return FALSE;
}

static GstPad *
gst_rtc_sink_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstRtcSink *self = GST_RTC_SINK (element);
  GstRtcMediaKind kind;
  const gchar *prefix;
  SinkStream *stream;
  gchar *pad_name;
  guint index;

  if (g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video_%u")) {
    kind = GST_RTC_MEDIA_KIND_VIDEO;
    prefix = "video_";
  } else if (g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ),
          "audio_%u")) {
    kind = GST_RTC_MEDIA_KIND_AUDIO;
    prefix = "audio_";
  } else {
    return NULL;
  }

  g_mutex_lock (&self->lock);
  if (name != NULL) {
    const gchar *digits = name + strlen (prefix);
    gchar *end = NULL;
    guint64 value;

    if (!g_str_has_prefix (name, prefix) || *digits == '\0'
        || !g_ascii_isdigit (*digits)) {
      g_mutex_unlock (&self->lock);
      GST_WARNING_OBJECT (self, "pad name %s does not fit %s%%u", name,
          prefix);
      return NULL;
    }
    value = g_ascii_strtoull (digits, &end, 10);
    if (*end != '\0' || value > G_MAXUINT16
        || index_in_use_locked (self, kind, value)) {
      g_mutex_unlock (&self->lock);
      GST_WARNING_OBJECT (self, "pad name %s is invalid or in use", name);
      return NULL;
    }
    index = value;
  } else {
    while (index_in_use_locked (self, kind, self->next_index[kind]))
      self->next_index[kind]++;
    index = self->next_index[kind]++;
  }
  if (self->streams->len >= GST_RTC_FANOUT_MAX_STREAMS) {
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "no room for another stream");
    return NULL;
  }

  stream = g_new0 (SinkStream, 1);
  stream->sink = self;
  stream->kind = kind;
  stream->index = index;
  stream->ssrc = g_random_int ();
  stream->track_id = g_strdup_printf ("%s%u", kind_name (kind), index);
  stream->fanout_stream = gst_rtc_fanout_add_stream (self->fanout, kind,
      stream->ssrc, kind == GST_RTC_MEDIA_KIND_VIDEO ? VIDEO_CLOCK_RATE :
      OPUS_CLOCK_RATE);
  if (stream->fanout_stream == 0) {
    /* The fan-out never forgets a stream: released pads count too. */
    g_mutex_unlock (&self->lock);
    GST_WARNING_OBJECT (self, "the fan-out has no room for another stream");
    stream_free (stream);
    return NULL;
  }
  g_ptr_array_add (self->streams, stream);
  g_mutex_unlock (&self->lock);

  pad_name = g_strdup_printf ("%s%u", prefix, index);
  stream->pad = gst_ghost_pad_new_no_target_from_template (pad_name, templ);
  g_free (pad_name);
  gst_pad_set_element_private (stream->pad, stream);
  gst_pad_set_event_function (stream->pad, sink_pad_event);
  gst_pad_set_query_function (stream->pad, sink_pad_query);
  gst_pad_set_active (stream->pad, TRUE);
  gst_element_add_pad (element, stream->pad);
  GST_DEBUG_OBJECT (self, "new pad %s, fan-out stream %u",
      GST_PAD_NAME (stream->pad), stream->fanout_stream);
  return stream->pad;
}

static void
gst_rtc_sink_release_pad (GstElement * element, GstPad * pad)
{
  GstRtcSink *self = GST_RTC_SINK (element);
  SinkStream *stream = gst_pad_get_element_private (pad);
  GPtrArray *elements, *rungs;
  guint i;

  g_mutex_lock (&self->lock);
  /* Out of the array without its free function: it is freed below. */
  for (i = 0; i < self->streams->len; i++) {
    if (g_ptr_array_index (self->streams, i) == stream) {
      g_ptr_array_steal_index (self->streams, i);
      break;
    }
  }
  elements = g_steal_pointer (&stream->elements);
  rungs = g_steal_pointer (&stream->rungs);
  gst_clear_object (&stream->encoder);
  gst_clear_object (&stream->appsink);
  g_mutex_unlock (&self->lock);

  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  if (stream->transcoder != NULL)
    gst_rtc_sink_transcoder_remove (stream->transcoder);
  for (i = 0; elements != NULL && i < elements->len; i++) {
    GstElement *e = g_ptr_array_index (elements, i);

    gst_element_set_locked_state (e, TRUE);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), e);
  }
  if (elements != NULL)
    g_ptr_array_unref (elements);
  /* After the tee that fed them. */
  for (i = 0; rungs != NULL && i < rungs->len; i++)
    rung_remove (self, g_ptr_array_index (rungs, i));
  if (rungs != NULL)
    g_ptr_array_unref (rungs);
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
  stream_free (stream);
}

/* ---- start and stop ---- */

static gboolean
gst_rtc_sink_start (GstRtcSink * self)
{
  static const gchar *whep_methods[] = { "POST", "PATCH", "DELETE", NULL };
  static const gchar *page_methods[] = { "GET", "HEAD", NULL };
  GstRtcHttpServer *server;
  GstRtcCertificate *certificate;
  GstRtcIceAgent *agent;
  GstRtcIceTransportPolicy policy;
  gchar *address, *stun, *turn, *token, *url;
  gchar *tls_file, *key_file, *announced;
  gchar *base, *whep_path = NULL, *page_path = NULL;
  GTlsCertificate *tls = NULL;
  guint port, port_min, port_max;
  gboolean page_mounted;
  GError *error = NULL;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  port = self->port;
  base = g_strdup (self->path);
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  token = g_strdup (self->bearer_token);
  policy = self->ice_transport_policy;
  tls_file = g_strdup (self->tls_certificate);
  key_file = g_strdup (self->tls_key);
  port_min = self->port_min;
  port_max = self->port_max;
  announced = g_strdup (self->announced_address);
  GST_OBJECT_UNLOCK (self);
  whep_path = gst_rtc_element_mount_path (base, WHEP_PATH);
  page_path = gst_rtc_element_mount_path (base, PAGE_PATH);

  if (!gst_rtc_element_check_mount_base (base, &error)
      || !gst_rtc_element_check_ice_settings (&port_min, &port_max, announced,
          &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    goto fail;
  }
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
  if (!gst_rtc_http_server_add_mount (server, whep_path, on_whep_request,
          self, NULL)) {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY,
        ("%s:%u already serves %s (another rtcsink? set path)", address,
            port, whep_path), (NULL));
    gst_rtc_http_server_release (server);
    goto fail;
  }
  gst_rtc_http_server_set_mount_methods (server, whep_path, whep_methods);
  gst_rtc_http_server_set_mount_bearer_token (server, whep_path, token);
  page_mounted = gst_rtc_http_server_add_mount (server, page_path,
      on_page_request, self, NULL);
  if (page_mounted)
    gst_rtc_http_server_set_mount_methods (server, page_path, page_methods);
  else
    GST_WARNING_OBJECT (self, "another element serves %s on %s:%u",
        page_path, address, port);

  certificate = gst_rtc_certificate_generate (&error);
  if (certificate == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Could not make a DTLS certificate"), ("%s", error->message));
    goto fail_mounted;
  }
  /* We answer: the offering browser is the controlling agent. */
  agent = g_object_new (GST_RTC_TYPE_ICE_AGENT, "controlling", FALSE,
      "ice-transport-policy", policy, NULL);
  gst_object_ref_sink (agent);
  gst_rtc_element_configure_ice_agent (agent, port_min, port_max, announced);
  if ((stun != NULL && !gst_rtc_ice_agent_set_stun_server (agent, stun,
              &error))
      || (turn != NULL && !gst_rtc_ice_agent_add_turn_server (agent, turn,
              &error))) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid %s", stun != NULL && error != NULL && turn == NULL ?
            "stun-server" : "stun-server or turn-server"),
        ("%s", error->message));
    gst_object_unref (agent);
    g_object_unref (certificate);
    goto fail_mounted;
  }

  g_mutex_lock (&self->lock);
  self->server = server;
  self->control = g_main_context_ref (gst_rtc_http_server_get_context
      (server));
  self->agent = agent;
  self->certificate = certificate;
  self->page_mounted = page_mounted;
  g_free (self->whep_path);
  self->whep_path = g_strdup (whep_path);
  g_free (self->page_path);
  self->page_path = g_strdup (page_path);
  self->running = TRUE;
  g_mutex_unlock (&self->lock);

  if (page_mounted && !g_str_equal (page_path, PAGE_PATH)) {
    gchar *slashed = g_strconcat (page_path, "/", NULL);

    url = gst_rtc_http_server_get_url (server, slashed, FALSE);
    g_free (slashed);
  } else {
    url = gst_rtc_http_server_get_url (server, page_mounted ? page_path :
        whep_path, FALSE);
  }
  GST_INFO_OBJECT (self, "serving viewers at %s", url);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("rtcsink-listening", "url", G_TYPE_STRING, url,
              "port", G_TYPE_UINT, gst_rtc_http_server_get_port (server),
              NULL)));
  g_free (url);
  g_free (address);
  g_free (stun);
  g_free (turn);
  g_free (token);
  g_free (tls_file);
  g_free (key_file);
  g_free (announced);
  g_free (base);
  g_free (whep_path);
  g_free (page_path);
  g_clear_object (&tls);
  return TRUE;

fail_mounted:
  gst_rtc_http_server_remove_mount (server, whep_path);
  if (page_mounted)
    gst_rtc_http_server_remove_mount (server, page_path);
  gst_rtc_http_server_release (server);
fail:
  g_clear_error (&error);
  g_free (address);
  g_free (stun);
  g_free (turn);
  g_free (token);
  g_free (tls_file);
  g_free (key_file);
  g_free (announced);
  g_free (base);
  g_free (whep_path);
  g_free (page_path);
  g_clear_object (&tls);
  return FALSE;
}

/* On the control thread: every viewer and waiting offer goes. */
static gboolean
stop_sessions (gpointer user_data)
{
  GstRtcSink *self = user_data;
  GList *viewers, *waiting, *l;

  g_mutex_lock (&self->lock);
  viewers = g_hash_table_get_values (self->viewers);
  for (l = viewers; l != NULL; l = l->next)
    viewer_ref (l->data);
  waiting = g_steal_pointer (&self->waiting);
  g_mutex_unlock (&self->lock);

  for (l = viewers; l != NULL; l = l->next) {
    remove_viewer (l->data, 503, "the sink stopped");
    viewer_unref (l->data);
  }
  g_list_free (viewers);
  for (l = waiting; l != NULL; l = l->next) {
    WaitingOffer *offer = l->data;

    refuse_offer (offer->request, offer->session, 503, TRUE,
        "the sink stopped");
    waiting_offer_free (offer);
  }
  g_list_free (waiting);
  return G_SOURCE_REMOVE;
}

static void
gst_rtc_sink_stop (GstRtcSink * self)
{
  GstRtcHttpServer *server;
  GstRtcIceAgent *agent;
  GstRtcCertificate *certificate;
  GMainContext *control;
  gboolean page_mounted;
  gchar *whep_path, *page_path;

  g_mutex_lock (&self->lock);
  self->running = FALSE;
  server = self->server;
  control = self->control;
  page_mounted = self->page_mounted;
  whep_path = g_strdup (self->whep_path);
  page_path = g_strdup (self->page_path);
  g_mutex_unlock (&self->lock);
  if (server == NULL) {
    g_free (whep_path);
    g_free (page_path);
    return;
  }

  /* No handler runs once the mounts are gone, and no signaller speaks
   * once stopped. */
  gst_rtc_http_server_remove_mount (server, whep_path);
  if (page_mounted)
    gst_rtc_http_server_remove_mount (server, page_path);
  g_free (whep_path);
  g_free (page_path);
  gst_rtc_sink_signalling_stop (self->signalling);
  gst_rtc_worker_pool_invoke_sync (control, stop_sessions, self);

  g_mutex_lock (&self->lock);
  server = g_steal_pointer (&self->server);
  control = g_steal_pointer (&self->control);
  agent = g_steal_pointer (&self->agent);
  certificate = g_steal_pointer (&self->certificate);
  self->page_mounted = FALSE;
  g_mutex_unlock (&self->lock);

  gst_rtc_http_server_release (server);
  g_main_context_unref (control);
  gst_object_unref (agent);
  g_object_unref (certificate);
  GST_DEBUG_OBJECT (self, "stopped");
}

/* The signaller, /ws and WHIP, once the server and viewers are ready. */
static gboolean
gst_rtc_sink_start_signalling (GstRtcSink * self)
{
  GstRtcHttpServer *server;
  GMainContext *control;
  GError *error = NULL;
  gboolean ok;

  g_mutex_lock (&self->lock);
  server = gst_object_ref (self->server);
  control = g_main_context_ref (self->control);
  g_mutex_unlock (&self->lock);
  ok = gst_rtc_sink_signalling_start (self->signalling, server, control,
      &error);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not start signalling"), ("%s", error->message));
    g_clear_error (&error);
  }
  gst_object_unref (server);
  g_main_context_unref (control);
  return ok;
}

static GstStateChangeReturn
gst_rtc_sink_change_state (GstElement * element, GstStateChange transition)
{
  GstRtcSink *self = GST_RTC_SINK (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && (!gst_rtc_sink_load_ladder (self) || !gst_rtc_sink_start (self)))
    return GST_STATE_CHANGE_FAILURE;
  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !gst_rtc_sink_start_signalling (self)) {
    gst_rtc_sink_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY)
      gst_rtc_sink_stop (self);
    return ret;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_NULL)
    gst_rtc_sink_stop (self);
  return ret;
}

/* ---- stats ---- */

static GstStructure *
gst_rtc_sink_get_viewer_stats (GstRtcSink * self, const gchar * id)
{
  GstRtcTransport *transport = NULL;
  GstStructure *stats = NULL, *transport_stats;
  Viewer *viewer;
  guint fanout_id;

  if (id == NULL)
    return NULL;
  viewer = lookup_viewer (self, id);
  if (viewer == NULL)
    return NULL;

  fanout_id = g_atomic_int_get (&viewer->fanout_id);
  if (fanout_id != 0)
    stats = gst_rtc_fanout_get_viewer_stats (self->fanout, fanout_id);
  if (stats == NULL)
    stats = gst_structure_new_empty ("application/x-rtc-fanout-viewer-stats");
  g_mutex_lock (&self->lock);
  if (viewer->transport != NULL)
    transport = gst_object_ref (viewer->transport);
  g_mutex_unlock (&self->lock);

  gst_structure_set (stats, "id", G_TYPE_STRING, viewer->id,
      "remote-address", G_TYPE_STRING, viewer->remote_address, NULL);
  gst_structure_set (stats, "transcode", G_TYPE_STRING,
      viewer->transcode != NULL ? viewer->transcode : "none", NULL);
  if (transport != NULL) {
    gst_structure_set (stats, "transport-state", G_TYPE_STRING,
        transport_state_name (gst_rtc_transport_get_state (transport)), NULL);
    transport_stats = gst_rtc_transport_get_stats (transport);
    if (transport_stats != NULL) {
      gst_structure_set (stats, "transport", GST_TYPE_STRUCTURE,
          transport_stats, NULL);
      gst_structure_free (transport_stats);
    }
    gst_object_unref (transport);
  }
  viewer_unref (viewer);
  return stats;
}

/* The fan-out's counters, and the ladder: `ladder` (the rungs in use,
 * "" for none), `rungs`, and per rung of each pad a `rung-N` structure
 * with its size, bitrate, fan-out stream and what it pushed. */
static GstStructure *
gst_rtc_sink_get_stats (GstRtcSink * self)
{
  GstStructure *stats = gst_rtc_fanout_get_stats (self->fanout);
  guint n = 0, i, j;
  gchar *ladder;

  GST_OBJECT_LOCK (self);
  ladder = ladder_to_string (self->ladder_rungs, self->n_ladder_rungs);
  GST_OBJECT_UNLOCK (self);
  gst_structure_set (stats, "ladder", G_TYPE_STRING, ladder, NULL);
  g_free (ladder);

  g_mutex_lock (&self->lock);
  for (i = 0; i < self->streams->len; i++) {
    SinkStream *stream = g_ptr_array_index (self->streams, i);

    for (j = 0; stream->rungs != NULL && j < stream->rungs->len; j++) {
      SinkRung *rung = g_ptr_array_index (stream->rungs, j);
      GstStructure *s;
      gchar *field;

      s = gst_structure_new ("rtcsink-rung",
          "pad", G_TYPE_STRING, GST_PAD_NAME (stream->pad),
          "width", G_TYPE_UINT, rung->spec.width,
          "height", G_TYPE_UINT, rung->spec.height,
          "bitrate", G_TYPE_UINT, rung->spec.bitrate,
          "fanout-stream", G_TYPE_UINT, rung->fanout_stream,
          "primary-stream", G_TYPE_UINT, stream->fanout_stream,
          "packets", G_TYPE_UINT64,
          (guint64) g_atomic_pointer_get (&rung->packets),
          "bytes", G_TYPE_UINT64,
          (guint64) g_atomic_pointer_get (&rung->bytes),
          "keyframe-requests", G_TYPE_UINT, rung->keyframe_requests, NULL);
      field = g_strdup_printf ("rung-%u", n++);
      gst_structure_set (stats, field, GST_TYPE_STRUCTURE, s, NULL);
      g_free (field);
      gst_structure_free (s);
    }
  }
  g_mutex_unlock (&self->lock);
  gst_structure_set (stats, "rungs", G_TYPE_UINT, n, NULL);
  return stats;
}

/* ---- GObject ---- */

static void
gst_rtc_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcSink *self = GST_RTC_SINK (object);

  switch (prop_id) {
    case PROP_PORT:
      GST_OBJECT_LOCK (self);
      self->port = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PATH:
      GST_OBJECT_LOCK (self);
      g_free (self->path);
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = g_strdup (DEFAULT_PATH);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ADDRESS:
      GST_OBJECT_LOCK (self);
      g_free (self->address);
      self->address = g_value_dup_string (value);
      if (self->address == NULL)
        self->address = g_strdup (DEFAULT_ADDRESS);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STUN_SERVER:
      GST_OBJECT_LOCK (self);
      g_free (self->stun_server);
      self->stun_server = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TURN_SERVER:
      GST_OBJECT_LOCK (self);
      g_free (self->turn_server);
      self->turn_server = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      GST_OBJECT_LOCK (self);
      self->ice_transport_policy = g_value_get_enum (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_VIEWERS:
      GST_OBJECT_LOCK (self);
      self->max_viewers = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_VIDEO_BITRATE:{
      guint bitrate = g_value_get_uint (value);

      GST_OBJECT_LOCK (self);
      self->video_bitrate = bitrate;
      GST_OBJECT_UNLOCK (self);
      /* The fan-out's estimates start at and never exceed it. */
      g_object_set (self->fanout, "max-bitrate", bitrate,
          "min-bitrate", MIN (bitrate, MIN_VIDEO_BITRATE), NULL);
      apply_encoder_bitrate (self, encoder_bitrate (self));
      break;
    }
    case PROP_CONGESTION_CONTROL:
      GST_OBJECT_LOCK (self);
      self->congestion_control = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      g_object_set (self->fanout, "thinning", g_value_get_boolean (value),
          NULL);
      apply_encoder_bitrate (self, encoder_bitrate (self));
      break;
    case PROP_BEARER_TOKEN:{
      GstRtcHttpServer *server = NULL;
      gchar *token = g_value_dup_string (value);
      gchar *whep_path = NULL;

      GST_OBJECT_LOCK (self);
      g_free (self->bearer_token);
      self->bearer_token = g_strdup (token);
      GST_OBJECT_UNLOCK (self);
      g_mutex_lock (&self->lock);
      if (self->server != NULL) {
        server = gst_object_ref (self->server);
        whep_path = g_strdup (self->whep_path);
      }
      g_mutex_unlock (&self->lock);
      if (server != NULL) {
        gst_rtc_http_server_set_mount_bearer_token (server, whep_path, token);
        gst_object_unref (server);
      }
      g_free (whep_path);
      g_free (token);
      break;
    }
    case PROP_TLS_CERTIFICATE:
      GST_OBJECT_LOCK (self);
      g_free (self->tls_certificate);
      self->tls_certificate = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TLS_KEY:
      GST_OBJECT_LOCK (self);
      g_free (self->tls_key);
      self->tls_key = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PORT_MIN:
      GST_OBJECT_LOCK (self);
      self->port_min = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PORT_MAX:
      GST_OBJECT_LOCK (self);
      self->port_max = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ANNOUNCED_ADDRESS:{
      const gchar *announced = g_value_get_string (value);

      if (announced != NULL && *announced != '\0'
          && !g_hostname_is_ip_address (announced))
        GST_WARNING_OBJECT (self, "announced-address \"%s\" is not an IP "
            "address: starting will fail", announced);
      GST_OBJECT_LOCK (self);
      g_free (self->announced_address);
      self->announced_address = g_strdup (announced);
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_LADDER:
      GST_OBJECT_LOCK (self);
      g_free (self->ladder);
      self->ladder = g_value_dup_string (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      if (!gst_rtc_sink_signalling_set_property (self->signalling, prop_id,
              value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtcSink *self = GST_RTC_SINK (object);

  switch (prop_id) {
    case PROP_PORT:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->port);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PATH:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->path);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ADDRESS:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->address);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STUN_SERVER:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->stun_server);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TURN_SERVER:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->turn_server);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      GST_OBJECT_LOCK (self);
      g_value_set_enum (value, self->ice_transport_policy);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_VIEWERS:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_viewers);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_CONGESTION_CONTROL:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->congestion_control);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_VIDEO_BITRATE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->video_bitrate);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_BEARER_TOKEN:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->bearer_token);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TLS_CERTIFICATE:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->tls_certificate);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TLS_KEY:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->tls_key);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PORT_MIN:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->port_min);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_PORT_MAX:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->port_max);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_ANNOUNCED_ADDRESS:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->announced_address);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_N_VIEWERS:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->n_added);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_LADDER:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->ladder);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_rtc_sink_get_stats (self));
      break;
    default:
      if (!gst_rtc_sink_signalling_get_property (self->signalling, prop_id,
              value))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_sink_finalize (GObject * object)
{
  GstRtcSink *self = GST_RTC_SINK (object);

  gst_rtc_sink_signalling_free (self->signalling);
  g_signal_handlers_disconnect_by_data (self->fanout, self);
  gst_object_unref (self->fanout);
  g_ptr_array_unref (self->streams);
  g_hash_table_unref (self->viewers);
  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self->whep_path);
  g_free (self->page_path);
  g_free (self->address);
  g_free (self->stun_server);
  g_free (self->turn_server);
  g_free (self->bearer_token);
  g_free (self->tls_certificate);
  g_free (self->tls_key);
  g_free (self->announced_address);
  g_free (self->ladder);
  g_free (self->cname);
  g_free (self->stream_id);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rtc_sink_init (GstRtcSink * self)
{
  gchar *token;

  self->port = DEFAULT_PORT;
  self->path = g_strdup (DEFAULT_PATH);
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->stun_server = g_strdup (DEFAULT_STUN_SERVER);
  self->turn_server = g_strdup (DEFAULT_TURN_SERVER);
  self->ice_transport_policy = DEFAULT_ICE_TRANSPORT_POLICY;
  self->max_viewers = DEFAULT_MAX_VIEWERS;
  self->video_bitrate = DEFAULT_VIDEO_BITRATE;
  self->congestion_control = DEFAULT_CONGESTION_CONTROL;
  self->bearer_token = g_strdup (DEFAULT_BEARER_TOKEN);
  self->ladder = g_strdup (DEFAULT_LADDER);

  g_mutex_init (&self->lock);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify)
      stream_free);
  self->viewers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      viewer_unref);

  self->signalling = gst_rtc_sink_signalling_new (self);
  self->fanout = gst_rtc_fanout_new ();
  g_object_get (self->fanout, "cname", &self->cname, NULL);
  token = random_token (4);
  self->stream_id = g_strdup_printf ("rtcsink-%s", token);
  g_free (token);
  g_signal_connect (self->fanout, "request-keyframe",
      G_CALLBACK (on_request_keyframe), self);
  g_object_set (self->fanout, "max-bitrate", DEFAULT_VIDEO_BITRATE,
      "min-bitrate", MIN_VIDEO_BITRATE, "thinning",
      DEFAULT_CONGESTION_CONTROL, NULL);
  g_signal_connect (self->fanout, "target-bitrate-changed",
      G_CALLBACK (on_target_bitrate_changed), self);
}

static void
gst_rtc_sink_class_init (GstRtcSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_rtc_sink_set_property;
  gobject_class->get_property = gst_rtc_sink_get_property;
  gobject_class->finalize = gst_rtc_sink_finalize;

  element_class->request_new_pad = gst_rtc_sink_request_new_pad;
  element_class->release_pad = gst_rtc_sink_release_pad;
  element_class->change_state = gst_rtc_sink_change_state;

  /**
   * GstRtcSink:port:
   *
   * The TCP port of the HTTP server (viewer page and WHEP). Elements with
   * the same #GstRtcSink:address and port share one server. 0 picks a
   * free port (see the `rtcsink-listening` element message).
   */
  properties[PROP_PORT] = g_param_spec_uint ("port", "Port",
      "TCP port of the HTTP server (viewer page and WHEP; 0 = any free one)",
      0, G_MAXUINT16, DEFAULT_PORT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:path:
   *
   * Where the element's endpoints are on the HTTP server: "" serves the
   * viewer page at `/`, WHEP at `/whep` and the WebSocket at `/ws`;
   * `/room/alice` serves `/room/alice/`, `/room/alice/whep` and
   * `/room/alice/ws`, so that several rtcsink (and rtcsrc) share one port.
   * Two elements that mount the same path on one port: the second fails to
   * start.
   */
  properties[PROP_PATH] = g_param_spec_string ("path", "Path",
      "URL path under which the viewer page, WHEP and /ws are mounted "
      "(\"\": the server's root)", DEFAULT_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:address:
   *
   * The address the HTTP server listens on: `0.0.0.0` (every IPv4
   * interface) by default, like other servers; `127.0.0.1` keeps it to
   * this machine. The ICE candidates offered to viewers are those of all
   * interfaces regardless.
   */
  properties[PROP_ADDRESS] = g_param_spec_string ("address", "Address",
      "Address the HTTP server listens on", DEFAULT_ADDRESS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:stun-server:
   *
   * A STUN server (`stun://host:port`) to learn our public address from,
   * for viewers behind another NAT. None by default. Also announced to
   * WHEP clients in a `Link: rel="ice-server"` header.
   */
  properties[PROP_STUN_SERVER] = g_param_spec_string ("stun-server",
      "STUN server", "STUN server URI (stun://host:port)", DEFAULT_STUN_SERVER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:turn-server:
   *
   * A TURN server (`turn(s)://user:password@host:port`) to relay through
   * when no direct path works. None by default. Announced to WHEP clients
   * in a `Link` header, credentials included.
   */
  properties[PROP_TURN_SERVER] = g_param_spec_string ("turn-server",
      "TURN server", "TURN server URI (turn(s)://user:password@host:port)",
      DEFAULT_TURN_SERVER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:ice-transport-policy:
   *
   * `relay` uses TURN-relayed candidates only (needs
   * #GstRtcSink:turn-server).
   */
  properties[PROP_ICE_TRANSPORT_POLICY] =
      g_param_spec_enum ("ice-transport-policy", "ICE transport policy",
      "Which local candidates may be used", GST_RTC_TYPE_ICE_TRANSPORT_POLICY,
      DEFAULT_ICE_TRANSPORT_POLICY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:max-viewers:
   *
   * The most viewers served at once, negotiating ones included; further
   * WHEP offers get 503.
   */
  properties[PROP_MAX_VIEWERS] = g_param_spec_uint ("max-viewers",
      "Maximum viewers", "Most viewers served at once (others get 503)", 1,
      G_MAXUINT16, DEFAULT_MAX_VIEWERS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcSink:video-bitrate:
   *
   * The target bitrate of the VP8 encoder used for raw video input, in
   * bit/s (constant bitrate). Changes apply at once. With
   * #GstRtcSink:congestion-control it is where the encoder starts and
   * the most it is given.
   */
  properties[PROP_VIDEO_BITRATE] = g_param_spec_uint ("video-bitrate",
      "Video bitrate", "Target bitrate of the VP8 encoder (bit/s)", 10000,
      G_MAXINT, DEFAULT_VIDEO_BITRATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcSink:congestion-control:
   *
   * Whether the VP8 encoder follows the viewers' paths: each viewer's
   * transport-wide-cc feedback (or REMB) feeds its own bandwidth
   * estimate, and the one encoder shared by all is set to a low
   * percentile of the healthy viewers' estimates, never above
   * #GstRtcSink:video-bitrate. The encoder makes three VP8 temporal
   * layers, and a viewer whose estimate is well below the target gets
   * only the lower ones. An `rtcsink-bandwidth` element message (at most
   * one a second) gives the target and each viewer's estimate. Encoded
   * input is not re-encoded: it is only reported. Set it before the
   * input caps: the layers are chosen when the encoder is made.
   */
  properties[PROP_CONGESTION_CONTROL] =
      g_param_spec_boolean ("congestion-control", "Congestion control",
      "Adapt the shared encoder to the viewers' bandwidth estimates",
      DEFAULT_CONGESTION_CONTROL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcSink:bearer-token:
   *
   * When set, WHEP requests must carry `Authorization: Bearer <token>`
   * (else 401). The viewer page itself is not protected; it sends the
   * token given as `?token=` in its URL. Never logged.
   */
  properties[PROP_BEARER_TOKEN] = g_param_spec_string ("bearer-token",
      "Bearer token", "Token WHEP requests must bear (none: open)",
      DEFAULT_BEARER_TOKEN,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcSink:tls-certificate:
   *
   * A PEM file with the certificate (chain) to serve HTTPS with: the
   * page, WHEP and `/ws` (then `wss://`). Its private key is in the same
   * file, unless #GstRtcSink:tls-key names another one. Browsers publish
   * and capture only from secure contexts, and a page served over HTTPS
   * can only reach `https://` and `wss://` URLs. Elements that share a
   * port must name the same certificate (else the second one fails to
   * start). None by default: plain HTTP.
   */
  properties[PROP_TLS_CERTIFICATE] = g_param_spec_string ("tls-certificate",
      "TLS certificate", "PEM file of the HTTPS certificate (and its key, "
      "unless tls-key is set); none = plain HTTP", DEFAULT_TLS_CERTIFICATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:tls-key:
   *
   * A PEM file with the private key of #GstRtcSink:tls-certificate, when
   * it is not in the certificate's file (as `certbot` writes them:
   * `fullchain.pem` and `privkey.pem`).
   */
  properties[PROP_TLS_KEY] = g_param_spec_string ("tls-key", "TLS key",
      "PEM file of the HTTPS private key (none: in tls-certificate's file)",
      DEFAULT_TLS_KEY,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:port-min:
   *
   * The lowest local UDP port of the ICE host candidates (0: no lower
   * bound). With #GstRtcSink:port-max it keeps media inside a range a
   * firewall opens. Each viewer takes one port per local address, so the
   * range bounds the viewers too. A port-min above port-max is an error
   * when the element starts.
   */
  properties[PROP_PORT_MIN] = g_param_spec_uint ("port-min",
      "Minimum UDP port", "Lowest local UDP port for ICE (0 = no bound)",
      0, G_MAXUINT16, DEFAULT_PORT_MIN,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:port-max:
   *
   * The highest local UDP port of the ICE host candidates (0: no upper
   * bound).
   */
  properties[PROP_PORT_MAX] = g_param_spec_uint ("port-max",
      "Maximum UDP port", "Highest local UDP port for ICE (0 = no bound)",
      0, G_MAXUINT16, DEFAULT_PORT_MAX,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:announced-address:
   *
   * The public IP address of a 1:1 NAT in front of this host (a cloud
   * instance's elastic or floating IP). Each UDP host candidate of the
   * same address family gets a server-reflexive twin with this address
   * and the same port, so viewers on the internet reach us without a
   * STUN server; the NAT must forward the ports unchanged (use
   * #GstRtcSink:port-min and #GstRtcSink:port-max to bound them). Anything
   * but an IP literal is an error when the element starts.
   */
  properties[PROP_ANNOUNCED_ADDRESS] =
      g_param_spec_string ("announced-address", "Announced address",
      "Public IP address of a 1:1 NAT in front of this host (none by "
      "default)", DEFAULT_ANNOUNCED_ADDRESS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcSink:n-viewers:
   *
   * How many viewers were answered and not removed since.
   */
  properties[PROP_N_VIEWERS] = g_param_spec_uint ("n-viewers", "Viewers",
      "Viewers served now", 0, G_MAXUINT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcSink:stats:
   *
   * Counters of the fan-out (see gst_rtc_fanout_get_stats()): packets
   * in and out, retransmissions, key frame requests, RTCP. Per-viewer
   * counters come from #GstRtcSink::get-viewer-stats.
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Counters of the fan-out", GST_TYPE_STRUCTURE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcSink:ladder:
   *
   * Lower renditions of raw video input, encoded besides the primary one:
   * comma-separated rungs `WIDTHxHEIGHT@BITRATE` (bit/s), at most three,
   * e.g. `320x240@300000,160x120@120000`. Each rung is the picture scaled
   * and VP8-encoded once more (one more encoder per rung, however many
   * viewers there are), into a fan-out stream of its own whose RTP
   * timestamps share the primary's timeline; the fan-out moves each
   * viewer, by its own bandwidth estimate, between the primary and the
   * rungs at their key frames. Viewers still negotiate one video stream.
   * Encoded input (VP8, VP9, H.264) is only payloaded and has no ladder.
   * A malformed value makes the element fail to start, with an error
   * naming the bad rung. Read when the element starts, used when a pad's
   * first caps arrive. None by default.
   */
  properties[PROP_LADDER] = g_param_spec_string ("ladder", "Ladder",
      "Lower renditions of raw video: comma-separated WIDTHxHEIGHT@BITRATE "
      "rungs, at most 3 (none by default)", DEFAULT_LADDER,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_properties (gobject_class, PROP_LAST, properties);
  /* signaller, whip-url (gstrtcsink-signalling.c) */
  gst_rtc_sink_signalling_install_properties (gobject_class, PROP_LAST);

  /**
   * GstRtcSink::viewer-added:
   * @sink: the sink
   * @id: the viewer's id (the last part of its WHEP resource URL)
   *
   * A viewer was answered and joined the fan-out. Emitted on the HTTP
   * server's thread. An element message `rtcsink-viewer-added` follows.
   */
  signals[SIGNAL_VIEWER_ADDED] = g_signal_new ("viewer-added",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstRtcSink::viewer-removed:
   * @sink: the sink
   * @id: the viewer's id
   *
   * A viewer left: it sent DELETE or RTCP BYE, its transport failed or
   * closed, or the sink stopped. Its transport is closed and its
   * resources are freed. Emitted on the HTTP server's thread. An element
   * message `rtcsink-viewer-removed` (with a `reason`) follows.
   */
  signals[SIGNAL_VIEWER_REMOVED] = g_signal_new ("viewer-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstRtcSink::get-viewer-stats:
   * @sink: the sink
   * @id: a viewer's id
   *
   * Counters of one viewer: what the fan-out sent it and read from its
   * RTCP (see gst_rtc_fanout_get_viewer_stats()), its `remote-address`,
   * `transport-state` and the `transport` counters.
   *
   * Returns: (transfer full) (nullable): the counters, or %NULL for an
   *   unknown viewer
   */
  signals[SIGNAL_GET_VIEWER_STATS] =
      g_signal_new_class_handler ("get-viewer-stats",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_rtc_sink_get_viewer_stats), NULL, NULL, NULL,
      GST_TYPE_STRUCTURE, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &video_template);
  gst_element_class_add_static_pad_template (element_class, &audio_template);
  gst_element_class_set_static_metadata (element_class,
      "WebRTC sink (WHEP server)", "Sink/Network/WebRTC",
      "Serves its input to browsers over WebRTC: encodes once, fans out to "
      "every viewer, with a built-in WHEP endpoint and viewer page",
      "gst-rtc developers");
}
