/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtcbin end to end, in one process: two rtcbins on loopback negotiate
 * with the action signals or the typed methods, trickle their candidates
 * to each other, and decode what the other sends. Also: renegotiation on a
 * live connection, two streams of one kind on one BUNDLE transport (told
 * apart by MID, then by a=ssrc alone), hostile descriptions, and the call
 * with gst-plugins-bad hidden from the registry. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <gst/rtp/rtp.h>
#include <nice/agent.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* RTCBIN_TEST_DEADLINE overrides it, for slow runs (valgrind) */
#define DEFAULT_DEADLINE_SECONDS 30
#define MIN_FRAMES 30
#define MAX_STREAMS 8

/* Set in the child process of test_call_without_plugins_bad. */
#define NO_BAD_ENV "RTCBIN_TEST_EXPECT_NO_PLUGINS_BAD"

typedef struct _Peer Peer;

typedef struct
{
  gchar *encoding;
  gint frames;
} Stream;

struct _Peer
{
  const gchar *name;
  GstElement *pipeline;
  GstElement *rtcbin;
  Peer *remote;
  GMutex lock;
  Stream streams[MAX_STREAMS];
  gint n_streams;
  gint negotiation_needed;
  gboolean trickle;
  /* what went wrong on a streaming or ICE thread, where check's fail()
   * must not be called; the test thread fails with it */
  gchar *failure;
};

static void
peer_failure (Peer * peer, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
peer_failure (Peer * peer, const gchar * format, ...)
{
  va_list args;

  g_mutex_lock (&peer->lock);
  if (peer->failure == NULL) {
    va_start (args, format);
    peer->failure = g_strdup_vprintf (format, args);
    va_end (args);
  }
  g_mutex_unlock (&peer->lock);
}

/* ---- fixture ---- */

static guint
deadline_seconds (void)
{
  const gchar *env = g_getenv ("RTCBIN_TEST_DEADLINE");
  guint64 seconds = env ? g_ascii_strtoull (env, NULL, 10) : 0;

  return seconds > 0 ? seconds : DEFAULT_DEADLINE_SECONDS;
}

static void
restrict_to_loopback (GstElement * rtcbin)
{
  GstRtcIceAgent *agent = NULL;
  NiceAgent *nice = NULL;
  NiceAddress address;

  g_object_get (rtcbin, "ice-agent", &agent, NULL);
  fail_unless (agent != NULL);
  /* ICE must not give up before the test does */
  g_object_set (agent, "ice-timeout", deadline_seconds (), NULL);
  g_object_get (agent, "nice-agent", &nice, NULL);
  nice_address_init (&address);
  nice_address_set_from_string (&address, "127.0.0.1");
  nice_agent_add_local_address (nice, &address);
  g_object_unref (nice);
  gst_object_unref (agent);
}

static void
on_handoff (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gint * frames)
{
  g_atomic_int_inc (frames);
}

/* A src pad appeared: decode it into a fakesink that counts frames. */
static void
on_pad_added (GstElement * rtcbin, GstPad * pad, Peer * peer)
{
  GstCaps *caps;
  const gchar *encoding;
  const gchar *chain;
  GstElement *decoder, *sink;
  GstPad *sinkpad;
  GError *error = NULL;
  Stream *stream;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL) {
    peer_failure (peer, "%s has no caps at pad-added", GST_PAD_NAME (pad));
    return;
  }
  encoding = gst_structure_get_string (gst_caps_get_structure (caps, 0),
      "encoding-name");
  if (encoding == NULL)
    encoding = "(none)";
  if (g_ascii_strcasecmp (encoding, "VP8") == 0)
    chain = "rtpvp8depay ! vp8dec ! fakesink name=sink sync=false "
        "signal-handoffs=true";
  else if (g_ascii_strcasecmp (encoding, "OPUS") == 0)
    chain = "rtpopusdepay ! opusdec ! fakesink name=sink sync=false "
        "signal-handoffs=true";
  else
    chain = NULL;
  if (chain == NULL) {
    peer_failure (peer, "unexpected caps on %s", GST_PAD_NAME (pad));
    gst_caps_unref (caps);
    return;
  }

  g_mutex_lock (&peer->lock);
  if (peer->n_streams == MAX_STREAMS) {
    g_mutex_unlock (&peer->lock);
    peer_failure (peer, "more than %d received streams", MAX_STREAMS);
    gst_caps_unref (caps);
    return;
  }
  stream = &peer->streams[peer->n_streams++];
  stream->encoding = g_ascii_strup (encoding, -1);
  g_mutex_unlock (&peer->lock);
  gst_caps_unref (caps);

  decoder = gst_parse_bin_from_description (chain, TRUE, &error);
  if (decoder == NULL) {
    peer_failure (peer, "%s", error->message);
    g_clear_error (&error);
    return;
  }
  sink = gst_bin_get_by_name (GST_BIN (decoder), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff),
      &stream->frames);
  gst_object_unref (sink);
  gst_bin_add (GST_BIN (peer->pipeline), decoder);
  gst_element_sync_state_with_parent (decoder);
  sinkpad = gst_element_get_static_pad (decoder, "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    peer_failure (peer, "cannot link %s", GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
  GST_INFO ("%s decodes %s from %s", peer->name, stream->encoding,
      GST_PAD_NAME (pad));
}

static void
on_ice_candidate (GstElement * rtcbin, guint mline, const gchar * candidate,
    Peer * peer)
{
  if (!g_str_has_prefix (candidate, "candidate:"))
    peer_failure (peer, "on-ice-candidate gave '%s'", candidate);
  if (peer->trickle)
    g_signal_emit_by_name (peer->remote->rtcbin, "add-ice-candidate", mline,
        candidate);
}

static void
on_negotiation_needed (GstElement * rtcbin, Peer * peer)
{
  g_atomic_int_inc (&peer->negotiation_needed);
}

static void
peer_init (Peer * peer, const gchar * name, const gchar * launch)
{
  GError *error = NULL;

  memset (peer, 0, sizeof (*peer));
  g_mutex_init (&peer->lock);
  peer->name = name;
  peer->trickle = TRUE;
  peer->pipeline = gst_parse_launch (launch, &error);
  fail_unless (peer->pipeline != NULL, "%s: %s", launch,
      error ? error->message : "");
  if (!GST_IS_PIPELINE (peer->pipeline)) {
    /* a lone element: gst_parse_launch() does not wrap it */
    GstElement *pipeline = gst_pipeline_new (NULL);

    gst_bin_add (GST_BIN (pipeline), peer->pipeline);
    peer->pipeline = pipeline;
  }
  peer->rtcbin = gst_bin_get_by_name (GST_BIN (peer->pipeline), "rtc");
  fail_unless (peer->rtcbin != NULL);
  restrict_to_loopback (peer->rtcbin);
  g_signal_connect (peer->rtcbin, "pad-added", G_CALLBACK (on_pad_added),
      peer);
  g_signal_connect (peer->rtcbin, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), peer);
  g_signal_connect (peer->rtcbin, "on-negotiation-needed",
      G_CALLBACK (on_negotiation_needed), peer);
}

static void
peer_clear (Peer * peer)
{
  gint i;

  gst_element_set_state (peer->pipeline, GST_STATE_NULL);
  gst_object_unref (peer->rtcbin);
  gst_object_unref (peer->pipeline);
  for (i = 0; i < peer->n_streams; i++)
    g_free (peer->streams[i].encoding);
  g_free (peer->failure);
  g_mutex_clear (&peer->lock);
}

static void
peers_link (Peer * a, Peer * b)
{
  a->remote = b;
  b->remote = a;
}

static void
peers_start (Peer * a, Peer * b)
{
  fail_unless (gst_element_set_state (a->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_set_state (b->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
}

static void
peers_stop (Peer * a, Peer * b)
{
  /* both to NULL first: neither may outlive the other's transport */
  gst_element_set_state (a->pipeline, GST_STATE_NULL);
  gst_element_set_state (b->pipeline, GST_STATE_NULL);
  peer_clear (a);
  peer_clear (b);
}

static void
check_bus (Peer * peer)
{
  GstBus *bus = gst_element_get_bus (peer->pipeline);
  GstMessage *message;

  g_mutex_lock (&peer->lock);
  if (peer->failure != NULL) {
    gchar *failure = g_strdup (peer->failure);

    g_mutex_unlock (&peer->lock);
    fail ("%s: %s", peer->name, failure);
  }
  g_mutex_unlock (&peer->lock);

  while ((message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR)) != NULL) {
    GError *error = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (message, &error, &debug);
    fail ("%s: error from %s: %s (%s)", peer->name,
        GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message,
        debug ? debug : "");
  }
  gst_object_unref (bus);
}

typedef gboolean (*Predicate) (Peer * a, Peer * b, gpointer data);

/* Polls @predicate until it holds or the deadline passes, failing on any
 * error message on the way. Iterates the default main context, which
 * carries the results of the typed methods. */
static gboolean
wait_for (Peer * a, Peer * b, Predicate predicate, gpointer data)
{
  gint64 deadline = g_get_monotonic_time () +
      deadline_seconds () * G_TIME_SPAN_SECOND;

  while (g_get_monotonic_time () < deadline) {
    if (a != NULL)
      check_bus (a);
    if (b != NULL)
      check_bus (b);
    if (predicate (a, b, data))
      return TRUE;
    while (g_main_context_iteration (NULL, FALSE));
    g_usleep (20 * 1000);
  }
  return predicate (a, b, data);
}

static GstRtcPeerConnectionState
connection_state (Peer * peer)
{
  GstRtcPeerConnectionState state;

  g_object_get (peer->rtcbin, "connection-state", &state, NULL);
  return state;
}

static gboolean
both_connected (Peer * a, Peer * b, gpointer data)
{
  return connection_state (a) == GST_RTC_PEER_CONNECTION_STATE_CONNECTED
      && connection_state (b) == GST_RTC_PEER_CONNECTION_STATE_CONNECTED;
}

static gint
frames_of (Peer * peer, const gchar * encoding, gint nth)
{
  gint i, seen = 0, frames = -1;

  g_mutex_lock (&peer->lock);
  for (i = 0; i < peer->n_streams; i++) {
    if (g_strcmp0 (peer->streams[i].encoding, encoding) == 0 && seen++ == nth) {
      frames = g_atomic_int_get (&peer->streams[i].frames);
      break;
    }
  }
  g_mutex_unlock (&peer->lock);
  return frames;
}

typedef struct
{
  gint n_video_a, n_audio_a, n_video_b, n_audio_b;
} Expected;

static gboolean
enough_frames (Peer * a, Peer * b, gpointer data)
{
  const Expected *expected = data;
  gint i;

  for (i = 0; i < expected->n_video_a; i++)
    if (frames_of (a, "VP8", i) < MIN_FRAMES)
      return FALSE;
  for (i = 0; i < expected->n_audio_a; i++)
    if (frames_of (a, "OPUS", i) < MIN_FRAMES)
      return FALSE;
  for (i = 0; i < expected->n_video_b; i++)
    if (frames_of (b, "VP8", i) < MIN_FRAMES)
      return FALSE;
  for (i = 0; i < expected->n_audio_b; i++)
    if (frames_of (b, "OPUS", i) < MIN_FRAMES)
      return FALSE;
  return TRUE;
}

static void
report_frames (Peer * peer)
{
  gint i;

  g_mutex_lock (&peer->lock);
  for (i = 0; i < peer->n_streams; i++)
    GST_INFO ("%s stream %d %s: %d frames", peer->name, i,
        peer->streams[i].encoding, g_atomic_int_get (&peer->streams[i].frames));
  g_mutex_unlock (&peer->lock);
}

/* ---- negotiation through the action signals ---- */

/* Waits for a promise and returns a copy of its reply (never NULL). */
static GstStructure *
promise_result (GstPromise * promise)
{
  const GstStructure *reply;
  GstStructure *copy;

  fail_unless_equals_int (gst_promise_wait (promise),
      GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  fail_unless (reply != NULL);
  copy = gst_structure_copy (reply);
  gst_promise_unref (promise);
  return copy;
}

static GError *
reply_error (const GstStructure * reply)
{
  GError *error = NULL;

  if (gst_structure_has_field (reply, "error"))
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
  return error;
}

static gchar *
create_description (Peer * peer, const gchar * action, const gchar * type)
{
  GstPromise *promise = gst_promise_new ();
  GstStructure *reply;
  GError *error;
  gchar *sdp = NULL;

  g_signal_emit_by_name (peer->rtcbin, action, NULL, promise);
  reply = promise_result (promise);
  error = reply_error (reply);
  fail_unless (error == NULL, "%s %s: %s", peer->name, action,
      error ? error->message : "");
  fail_unless_equals_string (gst_structure_get_string (reply, "type"), type);
  sdp = g_strdup (gst_structure_get_string (reply, "sdp"));
  fail_unless (sdp != NULL);
  gst_structure_free (reply);
  return sdp;
}

/* Returns the error of setting a description, NULL on success. */
static GError *
try_set_description (Peer * peer, const gchar * action, const gchar * type,
    const gchar * sdp)
{
  GstPromise *promise = gst_promise_new ();
  GstStructure *reply;
  GError *error;

  g_signal_emit_by_name (peer->rtcbin, action, type, sdp, promise);
  reply = promise_result (promise);
  error = reply_error (reply);
  gst_structure_free (reply);
  return error;
}

static void
set_description (Peer * peer, const gchar * action, const gchar * type,
    const gchar * sdp)
{
  GError *error = try_set_description (peer, action, type, sdp);

  fail_unless (error == NULL, "%s %s(%s): %s\n%s", peer->name, action, type,
      error ? error->message : "", sdp);
}

/* transport-cc on one m-line at most, and a video one */
static void
check_one_twcc_mline (const gchar * sdp)
{
  GstRtcSessionDescription *desc;
  GError *error = NULL;
  guint i, n = 0;

  desc = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, sdp,
      &error);
  fail_unless (desc != NULL, "%s", error ? error->message : "");
  for (i = 0; i < desc->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (desc->media, i);

    if (media->ext_twcc == 0)
      continue;
    n++;
    fail_unless_equals_int (media->kind, GST_RTC_MEDIA_KIND_VIDEO);
  }
  fail_unless (n <= 1, "%u m-lines with transport-cc", n);
  gst_rtc_session_description_free (desc);
}

/* A offers, B answers, both through the action signals. */
static void
negotiate (Peer * a, Peer * b)
{
  gchar *offer, *answer;

  offer = create_description (a, "create-offer", "offer");
  GST_INFO ("offer:\n%s", offer);
  check_one_twcc_mline (offer);
  set_description (a, "set-local-description", "offer", offer);
  set_description (b, "set-remote-description", "offer", offer);
  answer = create_description (b, "create-answer", "answer");
  GST_INFO ("answer:\n%s", answer);
  set_description (b, "set-local-description", "answer", answer);
  set_description (a, "set-remote-description", "answer", answer);
  g_free (offer);
  g_free (answer);
}

static GstRtcSignalingState
signaling_state (Peer * peer)
{
  GstRtcSignalingState state;

  g_object_get (peer->rtcbin, "signaling-state", &state, NULL);
  return state;
}

#define VIDEO_SOURCE(pt) \
  "videotestsrc is-live=true pattern=ball ! " \
  "video/x-raw,width=160,height=120,framerate=30/1 ! " \
  "vp8enc deadline=1 keyframe-max-dist=2000 ! rtpvp8pay pt=" #pt
#define AUDIO_SOURCE \
  "audiotestsrc is-live=true wave=sine ! opusenc ! rtpopuspay pt=111"
#define VIDEO_AUDIO_PEER \
  "rtcbin name=rtc " VIDEO_SOURCE (96) " ! rtc.sink_0 " \
  AUDIO_SOURCE " ! rtc.sink_1"

static void
check_no_plugins_bad (void)
{
  static const gchar *absent[] = { "webrtcbin", "dtlssrtpenc", "nicesrc",
    NULL
  };
  gint i;

  for (i = 0; absent[i] != NULL; i++) {
    GstElementFactory *factory = gst_element_factory_find (absent[i]);

    fail_unless (factory == NULL, "%s is in the registry", absent[i]);
  }
  GST_INFO ("webrtcbin, dtlssrtpenc and nicesrc are absent");
}

static void check_call_stats (Peer * peer);

/* VP8 and Opus both ways, offer/answer and trickle through the signals. */
GST_START_TEST (test_call_signals)
{
  Peer a, b;
  Expected expected = { 1, 1, 1, 1 };

  if (g_getenv (NO_BAD_ENV) != NULL)
    check_no_plugins_bad ();

  peer_init (&a, "A", VIDEO_AUDIO_PEER);
  peer_init (&b, "B", VIDEO_AUDIO_PEER);
  peers_link (&a, &b);
  peers_start (&a, &b);

  negotiate (&a, &b);
  fail_unless_equals_int (signaling_state (&a),
      GST_RTC_SIGNALING_STATE_STABLE);
  fail_unless_equals_int (signaling_state (&b),
      GST_RTC_SIGNALING_STATE_STABLE);

  fail_unless (wait_for (&a, &b, both_connected, NULL),
      "not connected: A %d, B %d", connection_state (&a),
      connection_state (&b));
  if (!wait_for (&a, &b, enough_frames, &expected)) {
    report_frames (&a);
    report_frames (&b);
    fail ("fewer than %d frames decoded", MIN_FRAMES);
  }
  report_frames (&a);
  report_frames (&b);

  check_call_stats (&a);
  check_call_stats (&b);

  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- the typed methods ---- */

static void
on_async_ready (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static gboolean
have_result (Peer * a, Peer * b, gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* Iterates the default main context, where the callbacks come, until the
 * result is there. */
static GAsyncResult *
wait_result (GAsyncResult ** slot)
{
  fail_unless (wait_for (NULL, NULL, have_result, slot),
      "no result before the deadline");
  return *slot;
}

static void
negotiate_async (Peer * a, Peer * b)
{
  GstRtcBin *bin_a = GST_RTC_BIN (a->rtcbin), *bin_b = GST_RTC_BIN (b->rtcbin);
  GAsyncResult *result = NULL;
  GError *error = NULL;
  gchar *offer, *answer;

  gst_rtc_bin_create_offer_async (bin_a, NULL, NULL, on_async_ready, &result);
  offer = gst_rtc_bin_create_offer_finish (bin_a, wait_result (&result),
      &error);
  fail_unless (offer != NULL, "%s", error ? error->message : "");
  g_clear_object (&result);

  gst_rtc_bin_set_local_description_async (bin_a, GST_RTC_SDP_TYPE_OFFER,
      offer, NULL, on_async_ready, &result);
  fail_unless (gst_rtc_bin_set_local_description_finish (bin_a,
          wait_result (&result), &error), "%s", error ? error->message : "");
  g_clear_object (&result);

  gst_rtc_bin_set_remote_description_async (bin_b, GST_RTC_SDP_TYPE_OFFER,
      offer, NULL, on_async_ready, &result);
  fail_unless (gst_rtc_bin_set_remote_description_finish (bin_b,
          wait_result (&result), &error), "%s", error ? error->message : "");
  g_clear_object (&result);

  gst_rtc_bin_create_answer_async (bin_b, NULL, NULL, on_async_ready,
      &result);
  answer = gst_rtc_bin_create_answer_finish (bin_b, wait_result (&result),
      &error);
  fail_unless (answer != NULL, "%s", error ? error->message : "");
  g_clear_object (&result);

  /* NULL: the answer create-answer made (W3C implicit description) */
  gst_rtc_bin_set_local_description_async (bin_b, GST_RTC_SDP_TYPE_ANSWER,
      NULL, NULL, on_async_ready, &result);
  fail_unless (gst_rtc_bin_set_local_description_finish (bin_b,
          wait_result (&result), &error), "%s", error ? error->message : "");
  g_clear_object (&result);

  gst_rtc_bin_set_remote_description_async (bin_a, GST_RTC_SDP_TYPE_ANSWER,
      answer, NULL, on_async_ready, &result);
  fail_unless (gst_rtc_bin_set_remote_description_finish (bin_a,
          wait_result (&result), &error), "%s", error ? error->message : "");
  g_clear_object (&result);

  /* a wrong one fails through the same path */
  gst_rtc_bin_set_remote_description_async (bin_a, GST_RTC_SDP_TYPE_ANSWER,
      answer, NULL, on_async_ready, &result);
  fail_if (gst_rtc_bin_set_remote_description_finish (bin_a,
          wait_result (&result), &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_STATE), "%s", error->message);
  g_clear_error (&error);
  g_clear_object (&result);

  g_free (offer);
  g_free (answer);
}

/* Candidates through the typed method, from the ICE worker thread. */
static void
on_ice_candidate_typed (GstElement * rtcbin, guint mline,
    const gchar * candidate, Peer * peer)
{
  GError *error = NULL;

  if (!gst_rtc_bin_add_ice_candidate (GST_RTC_BIN (peer->remote->rtcbin),
          mline, NULL, candidate, &error)) {
    GST_WARNING ("candidate refused: %s", error->message);
    g_clear_error (&error);
  }
}

GST_START_TEST (test_call_typed_api)
{
  Peer a, b;
  Expected expected = { 1, 1, 1, 1 };
  GAsyncResult *result = NULL;
  GstStructure *stats;
  GPtrArray *transceivers;
  GError *error = NULL;

  peer_init (&a, "A", VIDEO_AUDIO_PEER);
  peer_init (&b, "B", VIDEO_AUDIO_PEER);
  a.trickle = b.trickle = FALSE;
  g_signal_connect (a.rtcbin, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate_typed), &a);
  g_signal_connect (b.rtcbin, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate_typed), &b);
  peers_link (&a, &b);
  peers_start (&a, &b);

  negotiate_async (&a, &b);
  transceivers = gst_rtc_bin_get_transceivers (GST_RTC_BIN (a.rtcbin));
  fail_unless_equals_int (transceivers->len, 2);
  g_ptr_array_unref (transceivers);

  fail_unless (wait_for (&a, &b, both_connected, NULL));
  if (!wait_for (&a, &b, enough_frames, &expected)) {
    report_frames (&a);
    report_frames (&b);
    fail ("fewer than %d frames decoded", MIN_FRAMES);
  }

  gst_rtc_bin_get_stats_async (GST_RTC_BIN (b.rtcbin), NULL, on_async_ready,
      &result);
  stats = gst_rtc_bin_get_stats_finish (GST_RTC_BIN (b.rtcbin),
      wait_result (&result), &error);
  fail_unless (stats != NULL);
  g_clear_object (&result);
  gst_structure_free (stats);

  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- statistics ---- */

typedef struct
{
  const gchar *type;
  guint n;
  const GstStructure *last;
} StatsCount;

static gboolean
count_stats_type (GQuark field, const GValue * value, gpointer user_data)
{
  StatsCount *count = user_data;
  const GstStructure *s;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (g_strcmp0 (gst_structure_get_string (s, "type"), count->type) == 0) {
    count->n++;
    count->last = s;
  }
  return TRUE;
}

static guint
stats_count (const GstStructure * stats, const gchar * type,
    const GstStructure ** last)
{
  StatsCount count = { type, 0, NULL };

  gst_structure_foreach (stats, count_stats_type, &count);
  if (last != NULL)
    *last = count.last;
  return count.n;
}

static guint64
transport_stat (Peer * peer, const gchar * field)
{
  GstStructure *stats = gst_rtc_bin_get_stats (GST_RTC_BIN (peer->rtcbin));
  const GstStructure *transport = NULL;
  guint64 value = 0;

  fail_unless_equals_int (stats_count (stats, "transport", &transport), 1);
  fail_unless (gst_structure_get_uint64 (transport, field, &value), "%s",
      field);
  gst_structure_free (stats);
  return value;
}

/* get-stats through the action signal: W3C-shaped entries. */
static void
check_call_stats (Peer * peer)
{
  GstPromise *promise = gst_promise_new ();
  GstStructure *stats;
  const GstStructure *inbound = NULL, *outbound = NULL, *transport = NULL;
  guint64 packets = 0;

  g_signal_emit_by_name (peer->rtcbin, "get-stats", promise);
  stats = promise_result (promise);
  GST_INFO ("%s stats: %" GST_PTR_FORMAT, peer->name, stats);
  fail_unless_equals_int (stats_count (stats, "transport", &transport), 1);
  /* the peer's video is on the TWCC m-line: it sends feedback */
  fail_unless (gst_structure_get_uint64 (transport, "twccFeedbackReceived",
          &packets));
  fail_unless (packets > 0, "%s got no transport-cc feedback", peer->name);
  fail_unless_equals_int (stats_count (stats, "candidate-pair", NULL), 1);
  fail_unless_equals_int (stats_count (stats, "local-candidate", NULL), 1);
  fail_unless_equals_int (stats_count (stats, "remote-candidate", NULL), 1);
  fail_unless (stats_count (stats, "codec", NULL) >= 2);
  /* one per received stream; RTX is not a stream of its own */
  fail_unless_equals_int (stats_count (stats, "inbound-rtp", &inbound), 2);
  fail_unless_equals_int (stats_count (stats, "outbound-rtp", &outbound), 2);
  fail_unless (gst_structure_get_uint64 (inbound, "packetsReceived",
          &packets));
  fail_unless (packets > 0);
  fail_unless (gst_structure_has_field (inbound, "codecId"));
  fail_unless (gst_structure_has_field (inbound, "ssrc"));
  fail_unless (gst_structure_get_uint64 (outbound, "packetsSent", &packets));
  fail_unless (packets > 0);
  fail_unless (gst_structure_has_field (outbound, "timestamp"));
  gst_structure_free (stats);
}

/* ---- renegotiation ---- */

static gboolean
negotiation_needed_after (Peer * a, Peer * b, gpointer data)
{
  return g_atomic_int_get (&a->negotiation_needed) > GPOINTER_TO_INT (data);
}

static gboolean
second_video_flows (Peer * a, Peer * b, gpointer data)
{
  return frames_of (b, "VP8", 0) >= MIN_FRAMES
      && frames_of (b, "VP8", 1) >= MIN_FRAMES;
}

static gboolean
video_back_flows (Peer * a, Peer * b, gpointer data)
{
  return frames_of (a, "VP8", 0) >= MIN_FRAMES;
}

/* A live video source and a new sink pad for it. */
static void
add_video_source (Peer * peer)
{
  GstElement *source;
  GstPad *srcpad, *sinkpad;
  GError *error = NULL;

  source = gst_parse_bin_from_description (VIDEO_SOURCE (96), TRUE, &error);
  fail_unless (source != NULL, "%s", error ? error->message : "");
  gst_bin_add (GST_BIN (peer->pipeline), source);
  sinkpad = gst_element_request_pad_simple (peer->rtcbin, "sink_%u");
  fail_unless (sinkpad != NULL);
  srcpad = gst_element_get_static_pad (source, "src");
  fail_unless_equals_int (gst_pad_link (srcpad, sinkpad), GST_PAD_LINK_OK);
  gst_object_unref (srcpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (source);
}

static GstRtcTransport *
transceiver_transport (GstElement * rtcbin, guint index)
{
  GPtrArray *transceivers =
      gst_rtc_bin_get_transceivers (GST_RTC_BIN (rtcbin));
  GstRtcTransport *transport = NULL;

  fail_unless (index < transceivers->len);
  g_object_get (g_ptr_array_index (transceivers, index), "transport",
      &transport, NULL);
  g_ptr_array_unref (transceivers);
  fail_unless (transport != NULL);
  return transport;
}

/* A second video stream added to a connected call: on-negotiation-needed
 * fires, the new offer keeps the transport, the stream flows, and no new
 * DTLS handshake happens. Then the answerer adds one and offers. */
GST_START_TEST (test_renegotiation)
{
  Peer a, b;
  Expected one_video = { 0, 0, 1, 0 };
  GstRtcTransport *transport_a, *transport_b, *second;
  GstRtcDtlsConnection *dtls_a, *dtls_b, *dtls;
  gint needed;

  peer_init (&a, "A", "rtcbin name=rtc " VIDEO_SOURCE (96) " ! rtc.sink_0");
  peer_init (&b, "B", "rtcbin name=rtc");
  peers_link (&a, &b);
  peers_start (&a, &b);
  fail_unless (wait_for (&a, &b, negotiation_needed_after,
          GINT_TO_POINTER (0)), "no on-negotiation-needed for the sink pad");
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));
  fail_unless (wait_for (&a, &b, enough_frames, &one_video));

  transport_a = transceiver_transport (a.rtcbin, 0);
  transport_b = transceiver_transport (b.rtcbin, 0);
  dtls_a = gst_rtc_transport_get_dtls_connection (transport_a);
  dtls_b = gst_rtc_transport_get_dtls_connection (transport_b);
  fail_unless (dtls_a != NULL && dtls_b != NULL);

  /* the second stream */
  needed = g_atomic_int_get (&a.negotiation_needed);
  add_video_source (&a);
  fail_unless (wait_for (&a, &b, negotiation_needed_after,
          GINT_TO_POINTER (needed)), "no on-negotiation-needed");

  negotiate (&a, &b);
  if (!wait_for (&a, &b, second_video_flows, NULL)) {
    report_frames (&b);
    fail ("the second stream does not flow");
  }
  report_frames (&b);

  /* one transport, one DTLS session, from before */
  second = transceiver_transport (a.rtcbin, 1);
  fail_unless (second == transport_a);
  dtls = gst_rtc_transport_get_dtls_connection (second);
  fail_unless (dtls == dtls_a);
  g_object_unref (dtls);
  gst_object_unref (second);
  second = transceiver_transport (b.rtcbin, 1);
  fail_unless (second == transport_b);
  dtls = gst_rtc_transport_get_dtls_connection (second);
  fail_unless (dtls == dtls_b);
  g_object_unref (dtls);
  gst_object_unref (second);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (dtls_a),
      GST_RTC_DTLS_STATE_CONNECTED);

  /* now B, the first answerer, adds a stream and makes the offer */
  needed = g_atomic_int_get (&b.negotiation_needed);
  add_video_source (&b);
  fail_unless (wait_for (&b, &a, negotiation_needed_after,
          GINT_TO_POINTER (needed)), "no on-negotiation-needed on B");
  negotiate (&b, &a);
  if (!wait_for (&a, &b, video_back_flows, NULL)) {
    report_frames (&a);
    fail ("B's stream does not flow");
  }
  second = transceiver_transport (b.rtcbin, 2);
  fail_unless (second == transport_b);
  gst_object_unref (second);
  dtls = gst_rtc_transport_get_dtls_connection (transport_a);
  fail_unless (dtls == dtls_a);
  g_object_unref (dtls);

  g_object_unref (dtls_a);
  g_object_unref (dtls_b);
  gst_object_unref (transport_a);
  gst_object_unref (transport_b);
  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- ICE restart ---- */

static gchar *
sdp_ice_ufrag (const gchar * sdp)
{
  const gchar *at = strstr (sdp, "a=ice-ufrag:");
  const gchar *end;

  fail_unless (at != NULL, "no ice-ufrag in\n%s", sdp);
  at += strlen ("a=ice-ufrag:");
  end = strpbrk (at, "\r\n");
  return g_strndup (at, end ? end - at : (gssize) strlen (at));
}

typedef struct
{
  GstRtcTransport *transport;
  GstRtcIceStream *before;
} StreamSwitch;

/* The transport runs on another ICE stream than before the restart. */
static gboolean
stream_switched (Peer * a, Peer * b, gpointer data)
{
  StreamSwitch *sw = data;
  GstRtcIceStream *now = gst_rtc_transport_get_ice_stream (sw->transport);
  gboolean switched = now != NULL && now != sw->before
      && (gst_rtc_ice_stream_get_state (now) == GST_RTC_ICE_STATE_CONNECTED
      || gst_rtc_ice_stream_get_state (now) == GST_RTC_ICE_STATE_COMPLETED);

  gst_clear_object (&now);
  return switched;
}

static gboolean
more_video_frames (Peer * a, Peer * b, gpointer data)
{
  return frames_of (b, "VP8", 0) >= GPOINTER_TO_INT (data);
}

/* One side restarts ICE (create-offer with ice-restart=true): new
 * credentials in the offer and in the answer, both transports move to a
 * fresh ICE stream, the DTLS session is kept, and media goes on. Then the
 * other side restarts, so both the offerer's and the answerer's paths run. */
static void
ice_restart_round (Peer * offerer, Peer * answerer, Peer * receiver,
    const gchar * old_offer_ufrag, const gchar * old_answer_ufrag)
{
  GstStructure *options = gst_structure_new ("options", "ice-restart",
      G_TYPE_BOOLEAN, TRUE, NULL);
  GstPromise *promise = gst_promise_new ();
  GstStructure *reply;
  GError *error;
  GstRtcTransport *t_offerer = transceiver_transport (offerer->rtcbin, 0);
  GstRtcTransport *t_answerer = transceiver_transport (answerer->rtcbin, 0);
  StreamSwitch sw_offerer = { t_offerer,
    gst_rtc_transport_get_ice_stream (t_offerer)
  };
  StreamSwitch sw_answerer = { t_answerer,
    gst_rtc_transport_get_ice_stream (t_answerer)
  };
  GstRtcDtlsConnection *dtls_before =
      gst_rtc_transport_get_dtls_connection (t_offerer), *dtls_after;
  gchar *offer, *answer, *ufrag;
  gint frames;

  g_signal_emit_by_name (offerer->rtcbin, "create-offer", options, promise);
  gst_structure_free (options);
  reply = promise_result (promise);
  error = reply_error (reply);
  fail_unless (error == NULL, "restart offer: %s", error ? error->message : "");
  offer = g_strdup (gst_structure_get_string (reply, "sdp"));
  gst_structure_free (reply);
  ufrag = sdp_ice_ufrag (offer);
  fail_if (g_strcmp0 (ufrag, old_offer_ufrag) == 0,
      "the restart offer kept ufrag %s", ufrag);
  g_free (ufrag);

  set_description (offerer, "set-local-description", "offer", offer);
  set_description (answerer, "set-remote-description", "offer", offer);
  answer = create_description (answerer, "create-answer", "answer");
  ufrag = sdp_ice_ufrag (answer);
  fail_if (g_strcmp0 (ufrag, old_answer_ufrag) == 0,
      "the answer to a restart kept ufrag %s", ufrag);
  g_free (ufrag);
  set_description (answerer, "set-local-description", "answer", answer);
  set_description (offerer, "set-remote-description", "answer", answer);

  fail_unless (wait_for (offerer, answerer, stream_switched, &sw_offerer),
      "%s's transport did not move to the fresh ICE stream", offerer->name);
  fail_unless (wait_for (offerer, answerer, stream_switched, &sw_answerer),
      "%s's transport did not move to the fresh ICE stream", answerer->name);
  fail_unless (wait_for (offerer, answerer, both_connected, NULL));
  /* the same DTLS session, so the same keys */
  dtls_after = gst_rtc_transport_get_dtls_connection (t_offerer);
  fail_unless (dtls_after == dtls_before);
  g_object_unref (dtls_after);
  g_object_unref (dtls_before);

  /* media still flows, over the fresh stream */
  frames = frames_of (receiver, "VP8", 0);
  fail_unless (wait_for (receiver == answerer ? offerer : answerer, receiver,
          more_video_frames, GINT_TO_POINTER (frames + 30)),
      "video stopped after the ICE restart (%d frames)", frames);

  gst_object_unref (sw_offerer.before);
  gst_object_unref (sw_answerer.before);
  gst_object_unref (t_offerer);
  gst_object_unref (t_answerer);
  g_free (offer);
  g_free (answer);
}

GST_START_TEST (test_ice_restart)
{
  Peer a, b;
  Expected one_video = { 0, 0, 1, 0 };
  gchar *a_ufrag, *b_ufrag;
  gchar *sdp;

  peer_init (&a, "A", "rtcbin name=rtc " VIDEO_SOURCE (96) " ! rtc.sink_0");
  peer_init (&b, "B", "rtcbin name=rtc");
  peers_link (&a, &b);
  peers_start (&a, &b);
  fail_unless (wait_for (&a, &b, negotiation_needed_after,
          GINT_TO_POINTER (0)));
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));
  fail_unless (wait_for (&a, &b, enough_frames, &one_video));

  g_object_get (a.rtcbin, "local-description", &sdp, NULL);
  a_ufrag = sdp_ice_ufrag (sdp);
  g_free (sdp);
  g_object_get (b.rtcbin, "local-description", &sdp, NULL);
  b_ufrag = sdp_ice_ufrag (sdp);
  g_free (sdp);

  /* A, the first offerer, restarts */
  ice_restart_round (&a, &b, &b, a_ufrag, b_ufrag);
  g_free (a_ufrag);
  g_free (b_ufrag);

  /* then B, which answered until now */
  g_object_get (a.rtcbin, "local-description", &sdp, NULL);
  a_ufrag = sdp_ice_ufrag (sdp);
  g_free (sdp);
  g_object_get (b.rtcbin, "local-description", &sdp, NULL);
  b_ufrag = sdp_ice_ufrag (sdp);
  g_free (sdp);
  ice_restart_round (&b, &a, &b, b_ufrag, a_ufrag);
  g_free (a_ufrag);
  g_free (b_ufrag);

  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- congestion control ---- */

typedef struct
{
  GMutex lock;
  GstElement *encoder;
  guint64 applied;              /* video-bitrate of the last message */
  guint target;
  guint encoders;
  guint messages;
  gboolean has_usage;
} Bandwidth;

/* rtcbin-bandwidth messages, as they are posted (check_bus() drops what
 * it does not look for) */
static void
on_bandwidth_message (GstBus * bus, GstMessage * message, Bandwidth * bw)
{
  const GstStructure *s = gst_message_get_structure (message);

  if (s == NULL || !gst_structure_has_name (s, "rtcbin-bandwidth"))
    return;
  g_mutex_lock (&bw->lock);
  bw->messages++;
  gst_structure_get_uint64 (s, "video-bitrate", &bw->applied);
  gst_structure_get_uint (s, "target-bitrate", &bw->target);
  gst_structure_get_uint (s, "encoders", &bw->encoders);
  bw->has_usage = gst_structure_has_field (s, "usage");
  g_mutex_unlock (&bw->lock);
}

/* Done once a message said it set the encoder, and the encoder has that
 * bitrate. */
static gboolean
bandwidth_applied (Peer * a, Peer * b, gpointer data)
{
  Bandwidth *bw = data;
  gint bitrate = 0;
  gboolean done;

  g_object_get (bw->encoder, "target-bitrate", &bitrate, NULL);
  g_mutex_lock (&bw->lock);
  done = bw->messages > 0 && bw->encoders == 1 && bw->has_usage
      /* vp8enc keeps whole kbit/s */
      && ABS (bitrate - (gint) bw->applied) < 1000 && bw->applied != 100000;
  g_mutex_unlock (&bw->lock);
  return done;
}

/* The send-side estimate (from B's transport-cc feedback) sets A's
 * vp8enc target-bitrate, posts rtcbin-bandwidth and shows in get-stats;
 * with congestion-control off, the encoder is left alone. */
GST_START_TEST (test_congestion_control)
{
  Peer a, b;
  Bandwidth bw = { 0, };
  Expected one_video = { 0, 0, 1, 0 };
  GstStructure *stats;
  const GstStructure *pair = NULL;
  gdouble available = 0;
  gint bitrate = 0;
  gboolean on;
  GstBus *bus;

  peer_init (&a, "A", "rtcbin name=rtc start-bitrate=700000 "
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc name=venc deadline=1 target-bitrate=100000 ! "
      "rtpvp8pay pt=96 ! rtc.sink_0");
  peer_init (&b, "B", "rtcbin name=rtc");
  g_object_get (a.rtcbin, "congestion-control", &on, NULL);
  fail_unless (on, "congestion control is off by default");
  bw.encoder = gst_bin_get_by_name (GST_BIN (a.pipeline), "venc");
  g_mutex_init (&bw.lock);
  bus = gst_element_get_bus (a.pipeline);
  gst_bus_enable_sync_message_emission (bus);
  g_signal_connect (bus, "sync-message::element",
      G_CALLBACK (on_bandwidth_message), &bw);
  peers_link (&a, &b);
  peers_start (&a, &b);
  fail_unless (wait_for (&a, &b, negotiation_needed_after,
          GINT_TO_POINTER (0)));
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));
  fail_unless (wait_for (&a, &b, enough_frames, &one_video));
  fail_unless (wait_for (&a, &b, bandwidth_applied, &bw),
      "the estimate never reached vp8enc (%u messages, last %" G_GUINT64_FORMAT
      " bit/s for %u encoders)", bw.messages, bw.applied, bw.encoders);
  GST_INFO ("estimate %u bit/s, vp8enc at %" G_GUINT64_FORMAT, bw.target,
      bw.applied);
  fail_unless (bw.target >= 30000 && bw.target <= 8000000);

  stats = gst_rtc_bin_get_stats (GST_RTC_BIN (a.rtcbin));
  fail_unless_equals_int (stats_count (stats, "candidate-pair", &pair), 1);
  fail_unless (gst_structure_get_double (pair, "availableOutgoingBitrate",
          &available));
  fail_unless (available >= 30000, "availableOutgoingBitrate %f", available);
  gst_structure_free (stats);
  gst_object_unref (bw.encoder);
  g_signal_handlers_disconnect_by_data (bus, &bw);
  gst_bus_disable_sync_message_emission (bus);
  gst_object_unref (bus);
  peers_stop (&a, &b);
  g_mutex_clear (&bw.lock);

  /* off: vp8enc keeps its own setting */
  peer_init (&a, "A", "rtcbin name=rtc congestion-control=false "
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc name=venc deadline=1 target-bitrate=100000 ! "
      "rtpvp8pay pt=96 ! rtc.sink_0");
  peer_init (&b, "B", "rtcbin name=rtc");
  peers_link (&a, &b);
  peers_start (&a, &b);
  fail_unless (wait_for (&a, &b, negotiation_needed_after,
          GINT_TO_POINTER (0)));
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));
  fail_unless (wait_for (&a, &b, enough_frames, &one_video));
  bw.encoder = gst_bin_get_by_name (GST_BIN (a.pipeline), "venc");
  g_object_get (bw.encoder, "target-bitrate", &bitrate, NULL);
  fail_unless_equals_int (bitrate, 100000);
  gst_object_unref (bw.encoder);
  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- two streams of one kind on one BUNDLE transport ---- */

static gboolean
sink_pads_have_caps (Peer * a, Peer * b, gpointer data)
{
  GstPad *pad0 = gst_element_get_static_pad (a->rtcbin, "sink_0");
  GstPad *pad1 = gst_element_get_static_pad (a->rtcbin, "sink_1");
  gboolean ready = gst_pad_has_current_caps (pad0)
      && gst_pad_has_current_caps (pad1);

  gst_object_unref (pad0);
  gst_object_unref (pad1);
  return ready;
}

static void
two_videos (gboolean write_mid)
{
  Peer a, b;
  Expected two = { 0, 0, 2, 0 };

  /* fixed SSRCs, so that the offer's a=ssrc names them */
  peer_init (&a, "A", "rtcbin name=rtc "
      VIDEO_SOURCE (96) " ssrc=286331153 ! rtc.sink_0 "
      VIDEO_SOURCE (96) " ssrc=572662306 ! rtc.sink_1");
  peer_init (&b, "B", "rtcbin name=rtc");
  g_object_set (a.rtcbin, "mid-extension", write_mid, NULL);
  peers_link (&a, &b);
  peers_start (&a, &b);
  fail_unless (wait_for (&a, &b, sink_pads_have_caps, NULL));
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));
  if (!wait_for (&a, &b, enough_frames, &two)) {
    report_frames (&b);
    fail ("the two video streams do not both flow");
  }
  report_frames (&b);

  if (write_mid) {
    fail_unless (transport_stat (&b, "packetsRoutedByMid") > 0);
  } else {
    fail_unless_equals_int (transport_stat (&b, "packetsRoutedByMid"), 0);
    /* both media SSRCs, and RTX ones if a retransmission happened */
    fail_unless (transport_stat (&b, "ssrcsLearntBySsrc") >= 2);
  }
  fail_unless_equals_int (transport_stat (&b, "packetsHeldDropped"), 0);
  peers_stop (&a, &b);
}

GST_START_TEST (test_two_videos_by_mid)
{
  two_videos (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_two_videos_by_ssrc)
{
  two_videos (FALSE);
}

GST_END_TEST;

/* ---- NACK and RTX ---- */

typedef struct
{
  guint video_pt;
  gint seen;
  gint dropped;
} Dropper;

/* Drops one media packet in ten on the way into rtpbin, after the first
 * twenty (a jitterbuffer cannot ask for what came before the first). */
static GstPadProbeReturn
drop_some (GstPad * pad, GstPadProbeInfo * info, Dropper * dropper)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  gboolean drop = FALSE;

  if (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp)) {
    if (gst_rtp_buffer_get_payload_type (&rtp) == dropper->video_pt) {
      gint n = g_atomic_int_add (&dropper->seen, 1);

      drop = n > 20 && n % 10 == 5;
    }
    gst_rtp_buffer_unmap (&rtp);
  }
  if (drop) {
    g_atomic_int_inc (&dropper->dropped);
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

static guint64
rtp_stat (Peer * peer, const gchar * type, const gchar * field, guint * n)
{
  GstStructure *stats = gst_rtc_bin_get_stats (GST_RTC_BIN (peer->rtcbin));
  const GstStructure *object = NULL;
  guint64 value = 0;
  guint count = 0;

  *n = stats_count (stats, type, &object);
  if (object != NULL) {
    if (!gst_structure_get_uint64 (object, field, &value)
        && gst_structure_get_uint (object, field, &count))
      value = count;
  }
  gst_structure_free (stats);
  return value;
}

static gboolean
retransmissions_seen (Peer * a, Peer * b, gpointer data)
{
  guint n;

  return rtp_stat (b, "inbound-rtp", "retransmittedPacketsReceived", &n) >= 5
      && frames_of (b, "VP8", 0) >= 2 * MIN_FRAMES;
}

/* Packets lost on the way are asked for again (NACK) and come back over
 * RTX; the stream decodes throughout. */
GST_START_TEST (test_nack_rtx)
{
  Peer a, b;
  Dropper dropper = { 96, 0, 0 };
  GstElement *rtpbin;
  GstPad *pad;
  gulong probe;
  guint n = 0;

  peer_init (&a, "A", "rtcbin name=rtc " VIDEO_SOURCE (96) " ! rtc.sink_0");
  peer_init (&b, "B", "rtcbin name=rtc");
  peers_link (&a, &b);
  peers_start (&a, &b);
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));

  /* B's first transceiver is rtpbin session 0 */
  rtpbin = gst_bin_get_by_name (GST_BIN (b.rtcbin), "rtpbin");
  fail_unless (rtpbin != NULL);
  pad = gst_element_get_static_pad (rtpbin, "recv_rtp_sink_0");
  fail_unless (pad != NULL);
  probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
      (GstPadProbeCallback) drop_some, &dropper, NULL);

  if (!wait_for (&a, &b, retransmissions_seen, NULL)) {
    report_frames (&b);
    fail ("no retransmission: %d dropped, %" G_GUINT64_FORMAT " NACKs sent, %"
        G_GUINT64_FORMAT " RTX sent, %" G_GUINT64_FORMAT " RTX received",
        g_atomic_int_get (&dropper.dropped),
        rtp_stat (&b, "inbound-rtp", "nackCount", &n),
        rtp_stat (&a, "outbound-rtp", "retransmittedPacketsSent", &n),
        rtp_stat (&b, "inbound-rtp", "retransmittedPacketsReceived", &n));
  }
  fail_unless (rtp_stat (&b, "inbound-rtp", "nackCount", &n) > 0);
  fail_unless_equals_int (n, 1);
  fail_unless (rtp_stat (&a, "outbound-rtp", "retransmittedPacketsSent",
          &n) > 0);
  /* the RTX stream is not an outbound-rtp of its own */
  fail_unless_equals_int (n, 1);
  fail_unless (rtp_stat (&a, "outbound-rtp", "nackCount", &n) > 0);

  gst_pad_remove_probe (pad, probe);
  gst_object_unref (pad);
  gst_object_unref (rtpbin);
  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- keyframe requests ---- */

static GstPadProbeReturn
count_key_unit_requests (GstPad * pad, GstPadProbeInfo * info, gint * count)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_UPSTREAM
      && gst_structure_has_name (gst_event_get_structure (event),
          "GstForceKeyUnit"))
    g_atomic_int_inc (count);
  return GST_PAD_PROBE_OK;
}

static gboolean
count_above (Peer * a, Peer * b, gpointer data)
{
  gint *counts = data;

  return g_atomic_int_get (&counts[0]) > counts[1];
}

static gboolean
some_frames (Peer * a, Peer * b, gpointer data)
{
  return frames_of (b, "VP8", 0) >= 10;
}

/* A decoder on B asks for a keyframe: B sends a PLI, and A's encoder gets
 * the request as a GstForceKeyUnit event through the sink pad. */
GST_START_TEST (test_pli_reaches_encoder)
{
  Peer a, b;
  GstElement *payloader;
  GstPad *pad, *received = NULL;
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  gint counts[2] = { 0, 0 };
  GstStructure *s;

  peer_init (&a, "A", "rtcbin name=rtc " VIDEO_SOURCE (96) " name=pay ! "
      "rtc.sink_0");
  peer_init (&b, "B", "rtcbin name=rtc");
  payloader = gst_bin_get_by_name (GST_BIN (a.pipeline), "pay");
  pad = gst_element_get_static_pad (payloader, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      (GstPadProbeCallback) count_key_unit_requests, &counts[0], NULL);
  gst_object_unref (pad);
  peers_link (&a, &b);
  peers_start (&a, &b);
  negotiate (&a, &b);
  fail_unless (wait_for (&a, &b, both_connected, NULL));
  fail_unless (wait_for (&a, &b, some_frames, NULL));

  it = gst_element_iterate_src_pads (b.rtcbin);
  if (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    received = g_value_dup_object (&item);
  g_value_unset (&item);
  gst_iterator_free (it);
  fail_unless (received != NULL);

  counts[1] = g_atomic_int_get (&counts[0]);
  s = gst_structure_new ("GstForceKeyUnit", "running-time", G_TYPE_UINT64,
      GST_CLOCK_TIME_NONE, "all-headers", G_TYPE_BOOLEAN, FALSE,
      "count", G_TYPE_UINT, 1, NULL);
  fail_unless (gst_pad_send_event (received,
          gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s)));
  fail_unless (wait_for (&a, &b, count_above, counts),
      "A's payloader saw no keyframe request");

  gst_object_unref (received);
  gst_object_unref (payloader);
  peers_stop (&a, &b);
}

GST_END_TEST;

/* ---- without gst-plugins-bad ---- */

/* The shared objects of the packages whose WebRTC stack we replace:
 * gst-plugins-bad (webrtcbin, dtls, srtp) and libnice's GStreamer plugin
 * (nicesrc, nicesink). */
static GHashTable *
hidden_plugin_files (void)
{
  GHashTable *hidden = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  gchar *out = NULL, **lines;
  gint status = 0, i;
  GError *error = NULL;

  fail_unless (g_spawn_command_line_sync
      ("dpkg -L gstreamer1.0-plugins-bad gstreamer1.0-nice", &out, NULL,
          &status, &error), "%s", error ? error->message : "");
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    if (g_str_has_suffix (lines[i], ".so") && strstr (lines[i],
            "/gstreamer-1.0/") != NULL)
      g_hash_table_add (hidden, g_path_get_basename (lines[i]));
  }
  g_strfreev (lines);
  g_free (out);
  fail_unless (g_hash_table_contains (hidden, "libgstwebrtc.so"));
  fail_unless (g_hash_table_contains (hidden, "libgstnice.so"));
  return hidden;
}

GST_START_TEST (test_call_without_plugins_bad)
{
  const gchar *system_dir = g_getenv ("GST_PLUGIN_SYSTEM_PATH_1_0");
  GHashTable *hidden = hidden_plugin_files ();
  gchar *tmp, *registry, *out = NULL, *err = NULL;
  gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  gchar *argv[] = { self, NULL };
  gchar **envp;
  GDir *dir;
  const gchar *name;
  guint linked = 0;
  gint status = -1;
  GError *error = NULL;

  if (system_dir == NULL || *system_dir == '\0')
    system_dir = "/usr/lib/x86_64-linux-gnu/gstreamer-1.0";
  tmp = g_dir_make_tmp ("rtcbin-no-bad-XXXXXX", &error);
  fail_unless (tmp != NULL, "%s", error ? error->message : "");
  dir = g_dir_open (system_dir, 0, &error);
  fail_unless (dir != NULL, "%s", error ? error->message : "");
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *target, *link;

    if (!g_str_has_suffix (name, ".so") || g_hash_table_contains (hidden,
            name))
      continue;
    target = g_build_filename (system_dir, name, NULL);
    link = g_build_filename (tmp, name, NULL);
    fail_unless (symlink (target, link) == 0);
    linked++;
    g_free (target);
    g_free (link);
  }
  g_dir_close (dir);
  GST_INFO ("%u system plugins linked, %u hidden", linked,
      g_hash_table_size (hidden));
  fail_unless (linked > 50);

  registry = g_build_filename (tmp, "registry.bin", NULL);
  envp = g_get_environ ();
  envp = g_environ_setenv (envp, "GST_PLUGIN_SYSTEM_PATH_1_0", tmp, TRUE);
  envp = g_environ_setenv (envp, "GST_REGISTRY_1_0", registry, TRUE);
  envp = g_environ_setenv (envp, "GST_REGISTRY_FORK", "no", TRUE);
  envp = g_environ_setenv (envp, "GST_CHECKS", "test_call_signals", TRUE);
  envp = g_environ_setenv (envp, NO_BAD_ENV, "1", TRUE);
  fail_unless (g_spawn_sync (NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
          &out, &err, &status, &error), "%s", error ? error->message : "");
  GST_INFO ("child:\n%s\n%s", out, err);
  fail_unless (g_spawn_check_wait_status (status, NULL),
      "the call without gst-plugins-bad failed:\n%s\n%s", out, err);
  fail_unless (strstr (out, "100%: Checks: 1, Failures: 0, Errors: 0")
      != NULL, "%s", out);

  /* clean up the temporary plugin directory */
  dir = g_dir_open (tmp, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename (tmp, name, NULL);

    g_unlink (path);
    g_free (path);
  }
  if (dir != NULL)
    g_dir_close (dir);
  g_rmdir (tmp);

  g_strfreev (envp);
  g_free (self);
  g_free (out);
  g_free (err);
  g_free (registry);
  g_free (tmp);
  g_hash_table_unref (hidden);
}

GST_END_TEST;

/* ---- hostile descriptions ---- */

/* A description as Chrome writes one, with two m-lines, made by hand so
 * that each case below can break one thing. */
static const gchar chrome_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:"
    "2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:"
    "2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\n";

/* @sdp with every line that starts with @prefix removed. */
static gchar *
without_lines (const gchar * sdp, const gchar * prefix)
{
  gchar **lines = g_strsplit (sdp, "\r\n", -1);
  GString *out = g_string_new (NULL);
  gint i;

  for (i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0' || g_str_has_prefix (lines[i], prefix))
      continue;
    g_string_append_printf (out, "%s\r\n", lines[i]);
  }
  g_strfreev (lines);
  return g_string_free (out, FALSE);
}

static gchar *
replaced (const gchar * sdp, const gchar * from, const gchar * to)
{
  gchar **parts = g_strsplit (sdp, from, -1);
  gchar *result;

  fail_unless (g_strv_length (parts) > 1, "'%s' not in the SDP", from);
  result = g_strjoinv (to, parts);
  g_strfreev (parts);
  return result;
}

static gchar *
garbage (gsize len)
{
  GRand *rand = g_rand_new_with_seed (8829);
  gchar *text = g_malloc (len + 1);
  gsize i;

  for (i = 0; i < len; i++)
    text[i] = 1 + g_rand_int_range (rand, 0, 255);
  text[len] = '\0';
  g_rand_free (rand);
  return text;
}

typedef struct
{
  const gchar *what;
  gchar *sdp;
  const gchar *type;
  const gchar *must_mention;
} BadCase;

static gboolean
contains_nocase (const gchar * haystack, const gchar * needle)
{
  gchar *h = g_ascii_strdown (haystack, -1);
  gchar *n = g_ascii_strdown (needle, -1);
  gboolean found = strstr (h, n) != NULL;

  g_free (h);
  g_free (n);
  return found;
}

/* Each bad description fails its one call with an error that names the
 * problem, and leaves the connection as it was. */
GST_START_TEST (test_bad_remote_descriptions)
{
  BadCase cases[] = {
    {"no fingerprint", without_lines (chrome_offer, "a=fingerprint"),
        "offer", "fingerprint"},
    {"no ICE credentials", without_lines (chrome_offer, "a=ice-"), "offer",
        "ice-ufrag"},
    {"a broken m-line", replaced (chrome_offer, "m=video 9 UDP",
              "m=video nine UDP"), "offer", NULL},
    {"a wrong setup value", replaced (chrome_offer, "a=setup:actpass",
              "a=setup:holdconn"), "offer", "setup"},
    {"a BUNDLE group naming a missing mid", replaced (chrome_offer,
              "BUNDLE 0 1", "BUNDLE 0 7"), "offer", "7"},
    {"100 KB of garbage", garbage (100 * 1024), "offer", NULL},
    {"an answer in the stable state", g_strdup (chrome_offer), "answer",
        "stable"},
    {"an unknown type", g_strdup (chrome_offer), "counteroffer", "type"},
    {"no m-line", g_strdup ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"
              "t=0 0\r\n"), "offer", "m-line"},
  };
  GstElement *rtcbin = gst_element_factory_make ("rtcbin", NULL);
  Peer peer = { 0, };
  guint i;

  fail_unless (rtcbin != NULL);
  gst_object_ref_sink (rtcbin);
  peer.name = "rtcbin";
  peer.rtcbin = rtcbin;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error;
    gchar *remote = NULL;

    error = try_set_description (&peer, "set-remote-description",
        cases[i].type, cases[i].sdp);
    fail_unless (error != NULL, "%s was accepted", cases[i].what);
    fail_unless (error->domain == GST_RTC_ERROR, "%s: not a GstRtcError",
        cases[i].what);
    GST_INFO ("%s: %s", cases[i].what, error->message);
    if (cases[i].must_mention != NULL)
      fail_unless (contains_nocase (error->message, cases[i].must_mention),
          "%s: the error does not say '%s': %s", cases[i].what,
          cases[i].must_mention, error->message);
    if (g_str_equal (cases[i].type, "answer"))
      fail_unless_equals_int (error->code, GST_RTC_ERROR_INVALID_STATE);
    g_error_free (error);

    fail_unless_equals_int (signaling_state (&peer),
        GST_RTC_SIGNALING_STATE_STABLE);
    g_object_get (rtcbin, "remote-description", &remote, NULL);
    fail_unless (remote == NULL, "%s left a remote description",
        cases[i].what);
    g_free (cases[i].sdp);
  }

  /* After all that, a good offer still works. */
  set_description (&peer, "set-remote-description", "offer", chrome_offer);
  fail_unless_equals_int (signaling_state (&peer),
      GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER);

  gst_element_set_state (rtcbin, GST_STATE_NULL);
  gst_object_unref (rtcbin);
}

GST_END_TEST;

/* An offer whose only video codec we do not know: that m-line is rejected
 * in the answer, the audio one is answered. */
GST_START_TEST (test_unknown_codecs_rejected)
{
  GstElement *rtcbin = gst_element_factory_make ("rtcbin", NULL);
  Peer peer = { 0, };
  GstRtcSessionDescription *answer;
  GstRtcMediaDescription *audio, *video;
  gchar *offer, *sdp, *tmp;
  GError *error = NULL;

  gst_object_ref_sink (rtcbin);
  peer.name = "rtcbin";
  peer.rtcbin = rtcbin;

  tmp = replaced (chrome_offer, "a=rtpmap:96 VP8/90000",
      "a=rtpmap:96 X-UNKNOWN/90000");
  offer = replaced (tmp, "a=rtpmap:111 opus/48000/2",
      "a=rtpmap:111 opus/48000/2");
  g_free (tmp);
  set_description (&peer, "set-remote-description", "offer", offer);
  sdp = create_description (&peer, "create-answer", "answer");
  GST_INFO ("answer:\n%s", sdp);
  answer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, sdp,
      &error);
  fail_unless (answer != NULL, "%s", error ? error->message : "");
  fail_unless_equals_int (answer->media->len, 2);
  audio = g_ptr_array_index (answer->media, 0);
  video = g_ptr_array_index (answer->media, 1);
  fail_unless (!audio->rejected);
  fail_unless (video->rejected);
  fail_unless_equals_string (((GstRtcCodec *) g_ptr_array_index
          (audio->codecs, 0))->encoding_name, "OPUS");
  set_description (&peer, "set-local-description", "answer", sdp);
  fail_unless_equals_int (signaling_state (&peer),
      GST_RTC_SIGNALING_STATE_STABLE);

  gst_rtc_session_description_free (answer);
  g_free (sdp);
  g_free (offer);
  gst_element_set_state (rtcbin, GST_STATE_NULL);
  gst_object_unref (rtcbin);
}

GST_END_TEST;

static void
remember_mline (GstElement * rtcbin, guint mline, const gchar * candidate,
    gint * last)
{
  g_atomic_int_set (last, (gint) mline);
}

static gboolean
have_candidate (Peer * a, Peer * b, gpointer data)
{
  return g_atomic_int_get ((gint *) data) >= 0;
}

/* We reject the offer's BUNDLE-tagged m-line: the answer's group, and our
 * candidates, move to the first m-line we accept. */
GST_START_TEST (test_rejected_bundle_tag)
{
  GstElement *rtcbin = gst_element_factory_make ("rtcbin", NULL);
  Peer peer = { 0, };
  GstRtcSessionDescription *answer;
  gchar *offer, *sdp;
  GError *error = NULL;
  gint mline = -1;

  gst_object_ref_sink (rtcbin);
  peer.name = "rtcbin";
  peer.rtcbin = rtcbin;
  restrict_to_loopback (rtcbin);
  g_signal_connect (rtcbin, "on-ice-candidate", G_CALLBACK (remember_mline),
      &mline);

  offer = replaced (chrome_offer, "a=rtpmap:111 opus/48000/2",
      "a=rtpmap:111 X-UNKNOWN/48000/2");
  set_description (&peer, "set-remote-description", "offer", offer);
  sdp = create_description (&peer, "create-answer", "answer");
  answer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, sdp,
      &error);
  fail_unless (answer != NULL, "%s", error ? error->message : "");
  fail_unless (((GstRtcMediaDescription *) g_ptr_array_index (answer->media,
              0))->rejected);
  fail_unless (!((GstRtcMediaDescription *) g_ptr_array_index (answer->media,
              1))->rejected);
  fail_unless (answer->bundle_mids != NULL);
  fail_unless_equals_string (answer->bundle_mids[0], "1");
  set_description (&peer, "set-local-description", "answer", sdp);
  fail_unless (wait_for (NULL, NULL, have_candidate, &mline));
  fail_unless_equals_int (g_atomic_int_get (&mline), 1);

  gst_rtc_session_description_free (answer);
  g_free (sdp);
  g_free (offer);
  gst_element_set_state (rtcbin, GST_STATE_NULL);
  gst_object_unref (rtcbin);
}

GST_END_TEST;

/* A malformed candidate fails add-ice-candidate-full with a GError. */
GST_START_TEST (test_bad_candidate)
{
  GstElement *rtcbin = gst_element_factory_make ("rtcbin", NULL);
  Peer peer = { 0, };
  GstPromise *promise;
  GstStructure *reply;
  GError *error;

  gst_object_ref_sink (rtcbin);
  peer.name = "rtcbin";
  peer.rtcbin = rtcbin;
  set_description (&peer, "set-remote-description", "offer", chrome_offer);

  promise = gst_promise_new ();
  g_signal_emit_by_name (rtcbin, "add-ice-candidate-full", 0, NULL,
      "candidate:1 1 udp notanumber 127.0.0.1 4000 typ host", promise);
  reply = promise_result (promise);
  error = reply_error (reply);
  fail_unless (error != NULL);
  GST_INFO ("bad candidate: %s", error->message);
  g_error_free (error);
  gst_structure_free (reply);

  promise = gst_promise_new ();
  g_signal_emit_by_name (rtcbin, "add-ice-candidate-full", 0, "nosuchmid",
      "candidate:1 1 udp 1 127.0.0.1 4000 typ host", promise);
  reply = promise_result (promise);
  error = reply_error (reply);
  fail_unless (error != NULL);
  fail_unless (strstr (error->message, "nosuchmid") != NULL);
  g_error_free (error);
  gst_structure_free (reply);

  promise = gst_promise_new ();
  g_signal_emit_by_name (rtcbin, "add-ice-candidate-full", 0, NULL,
      "candidate:1 1 udp 2122260223 127.0.0.1 40002 typ host", promise);
  reply = promise_result (promise);
  error = reply_error (reply);
  fail_unless (error == NULL, "%s", error ? error->message : "");
  gst_structure_free (reply);

  gst_element_set_state (rtcbin, GST_STATE_NULL);
  gst_object_unref (rtcbin);
}

GST_END_TEST;

static Suite *
rtcbin_suite (void)
{
  Suite *s = suite_create ("rtcbin");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bad_remote_descriptions);
  tcase_add_test (tc, test_unknown_codecs_rejected);
  tcase_add_test (tc, test_bad_candidate);
  tcase_add_test (tc, test_rejected_bundle_tag);
  tcase_add_test (tc, test_call_signals);
  tcase_add_test (tc, test_call_typed_api);
  tcase_add_test (tc, test_renegotiation);
  tcase_add_test (tc, test_ice_restart);
  tcase_add_test (tc, test_congestion_control);
  tcase_add_test (tc, test_two_videos_by_mid);
  tcase_add_test (tc, test_two_videos_by_ssrc);
  tcase_add_test (tc, test_nack_rtx);
  tcase_add_test (tc, test_pli_reaches_encoder);
  tcase_add_test (tc, test_call_without_plugins_bad);
  return s;
}

GST_CHECK_MAIN (rtcbin);
