/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gst-rtc-transport-demo: VP8 video and Opus audio from one process to
 * another over ICE and DTLS-SRTP, with no SDP: each side writes its ICE
 * credentials, candidates and certificate fingerprint, one per line, to a
 * file, and reads the other side's from the peer's file. That is all that
 * signalling is (see the primer: the "friend" only carries the letters).
 *
 *   send: videotestsrc ! vp8enc ! rtpvp8pay ─┐
 *         audiotestsrc ! opusenc ! rtpopuspay ┴ funnel ! rtcdtlssrtpenc ! rtcicesink
 *         rtcicesrc ! rtcdtlssrtpdec (the handshake's way back, and RTCP)
 *   recv: rtcicesrc ! rtcdtlssrtpdec ! rtpptdemux ─ rtpvp8depay ! vp8dec ! sink
 *                                               └ rtpopusdepay ! opusdec ! sink
 *         rtcdtlssrtpenc ! rtcicesink (the handshake's way back)
 *
 * Run examples/transport-demo/run-demo.sh, or by hand in two terminals:
 *   gst-rtc-transport-demo --role=recv --out=/tmp/b --in=/tmp/a
 *   gst-rtc-transport-demo --role=send --out=/tmp/a --in=/tmp/b
 */
#include <gst/gst.h>
#include <gst/rtc/rtc.h>
#include <nice/agent.h>
#include <stdio.h>
#include <string.h>

#define VIDEO_PT 96
#define AUDIO_PT 111

typedef struct
{
  gboolean sender;
  gchar *in_path, *out_path;
  guint want_frames;
  guint seconds;
  gboolean loopback_only;
  gchar *wrong_fingerprint;

  GMainLoop *loop;
  GstElement *pipeline;
  GstRtcIceAgent *agent;
  GstRtcIceStream *stream;
  GstElement *enc, *dec;

  GMutex out_lock;
  FILE *out;
  goffset in_offset;
  GString *in_partial;

  gint video_frames, audio_buffers;
  gint64 start_time, connected_time;
  gint exit_code;
} Demo;

static void
write_line (Demo * demo, const gchar * key, const gchar * value)
{
  g_mutex_lock (&demo->out_lock);
  fprintf (demo->out, "%s %s\n", key, value ? value : "");
  fflush (demo->out);
  g_mutex_unlock (&demo->out_lock);
}

/* On the agent's worker thread. */
static void
on_new_candidate (GstRtcIceStream * stream, const gchar * candidate,
    Demo * demo)
{
  write_line (demo, "candidate", candidate);
}

static void
on_gathering_done (GstRtcIceStream * stream, Demo * demo)
{
  write_line (demo, "end-of-candidates", "");
}

static void
handle_line (Demo * demo, const gchar * line)
{
  const gchar *space = strchr (line, ' ');
  gchar *key = space ? g_strndup (line, space - line) : g_strdup (line);
  const gchar *value = space ? space + 1 : "";
  GError *error = NULL;

  if (g_str_equal (key, "credentials")) {
    gchar **parts = g_strsplit (value, " ", 2);

    if (g_strv_length (parts) == 2)
      gst_rtc_ice_stream_set_remote_credentials (demo->stream, parts[0],
          parts[1], &error);
    g_strfreev (parts);
  } else if (g_str_equal (key, "fingerprint")) {
    /* Our decoder and encoder share one connection: setting it on one
     * sets it for both. */
    g_object_set (demo->dec, "peer-fingerprint",
        demo->wrong_fingerprint ? demo->wrong_fingerprint : value, NULL);
  } else if (g_str_equal (key, "candidate")) {
    gst_rtc_ice_stream_add_remote_candidate (demo->stream, value, &error);
  } else if (g_str_equal (key, "end-of-candidates")) {
    gst_rtc_ice_stream_add_remote_candidate (demo->stream, NULL, &error);
  } else if (g_str_equal (key, "bye")) {
    g_print ("peer said bye\n");
    g_main_loop_quit (demo->loop);
  }
  if (error != NULL) {
    g_printerr ("bad line from peer (%s): %s\n", line, error->message);
    g_clear_error (&error);
  }
  g_free (key);
}

/* Reads what the peer appended to its file since last time. */
static gboolean
poll_peer (gpointer user_data)
{
  Demo *demo = user_data;
  gchar *contents = NULL;
  gsize len = 0;
  gchar *start, *newline;

  if (!g_file_get_contents (demo->in_path, &contents, &len, NULL))
    return G_SOURCE_CONTINUE;
  if ((goffset) len > demo->in_offset) {
    g_string_append_len (demo->in_partial, contents + demo->in_offset,
        len - demo->in_offset);
    demo->in_offset = len;
  }
  g_free (contents);

  start = demo->in_partial->str;
  while ((newline = strchr (start, '\n')) != NULL) {
    *newline = '\0';
    handle_line (demo, start);
    start = newline + 1;
  }
  g_string_erase (demo->in_partial, 0, start - demo->in_partial->str);
  return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static GstCaps *
request_pt_map (GstElement * demux, guint pt, Demo * demo)
{
  if (pt == VIDEO_PT)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "video", "encoding-name", G_TYPE_STRING, "VP8", "clock-rate",
        G_TYPE_INT, 90000, "payload", G_TYPE_INT, VIDEO_PT, NULL);
  if (pt == AUDIO_PT)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING,
        "audio", "encoding-name", G_TYPE_STRING, "OPUS", "clock-rate",
        G_TYPE_INT, 48000, "payload", G_TYPE_INT, AUDIO_PT, NULL);
  return NULL;
}

static void
on_demux_pad (GstElement * demux, GstPad * pad, Demo * demo)
{
  gboolean video = g_str_has_suffix (GST_PAD_NAME (pad), "_96");
  const gchar *desc = video ?
      "queue ! rtpvp8depay ! vp8dec name=decoder ! fakesink sync=false async=false" :
      "queue ! rtpopusdepay ! opusdec name=decoder ! fakesink sync=false async=false";
  GstElement *branch;
  GstElement *decoder;
  GstPad *sink, *decoder_src;
  GError *error = NULL;

  if (!video && !g_str_has_suffix (GST_PAD_NAME (pad), "_111"))
    return;
  branch = gst_parse_bin_from_description (desc, TRUE, &error);
  if (branch == NULL) {
    g_printerr ("cannot build the %s branch: %s\n", video ? "video" : "audio",
        error->message);
    g_clear_error (&error);
    return;
  }
  gst_bin_add (GST_BIN (demo->pipeline), branch);
  decoder = gst_bin_get_by_name (GST_BIN (branch), "decoder");
  decoder_src = gst_element_get_static_pad (decoder, "src");
  gst_pad_add_probe (decoder_src, GST_PAD_PROBE_TYPE_BUFFER, count_probe,
      video ? &demo->video_frames : &demo->audio_buffers, NULL);
  gst_object_unref (decoder_src);
  gst_object_unref (decoder);
  sink = gst_element_get_static_pad (branch, "sink");
  gst_pad_link (pad, sink);
  gst_object_unref (sink);
  gst_element_sync_state_with_parent (branch);
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  Demo *demo = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR:{
      GError *error = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      g_printerr ("error from %s: %s\n", GST_OBJECT_NAME (message->src),
          error->message);
      g_clear_error (&error);
      g_free (debug);
      demo->exit_code = 2;
      g_main_loop_quit (demo->loop);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *error = NULL;

      gst_message_parse_warning (message, &error, NULL);
      g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (message->src),
          error->message);
      g_clear_error (&error);
      break;
    }
    default:
      break;
  }
  return TRUE;
}

static gboolean
report (gpointer user_data)
{
  Demo *demo = user_data;
  GstRtcIceCandidateType local, remote;
  gint video = g_atomic_int_get (&demo->video_frames);
  gint audio = g_atomic_int_get (&demo->audio_buffers);
  gchar *pair = NULL;
  gdouble elapsed = (g_get_monotonic_time () - demo->start_time) / 1e6;

  if (gst_rtc_ice_stream_get_selected_pair (demo->stream, &local, &remote,
          NULL, NULL)) {
    pair = g_strdup_printf ("%s/%s", gst_rtc_ice_candidate_type_to_string
        (local), gst_rtc_ice_candidate_type_to_string (remote));
    if (demo->connected_time == 0)
      demo->connected_time = g_get_monotonic_time ();
  }
  if (demo->sender) {
    g_print ("[send %5.1fs] ice pair %s\n", elapsed, pair ? pair : "none");
  } else {
    g_print ("[recv %5.1fs] ice pair %s, video frames decoded %d, audio "
        "buffers decoded %d\n", elapsed, pair ? pair : "none", video, audio);
    if (demo->want_frames > 0 && (guint) video >= demo->want_frames &&
        audio > 0) {
      g_print ("decoded %d video frames and %d audio buffers\n", video, audio);
      write_line (demo, "bye", "");
      demo->exit_code = 0;
      g_main_loop_quit (demo->loop);
    }
  }
  g_free (pair);
  if (demo->seconds > 0 && elapsed > demo->seconds) {
    g_printerr ("gave up after %u s\n", demo->seconds);
    demo->exit_code = demo->sender ? 0 : 1;
    g_main_loop_quit (demo->loop);
  }
  return G_SOURCE_CONTINUE;
}

static GstElement *
build_pipeline (Demo * demo, GError ** error)
{
  const gchar *sender =
      "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! "
      "rtpvp8pay pt=96 ssrc=1111 ! funnel name=mux "
      "audiotestsrc is-live=true wave=ticks ! opusenc ! "
      "rtpopuspay pt=111 ssrc=2222 ! mux. "
      "mux. ! rtcdtlssrtpenc name=enc connection-id=demo-send is-client=true "
      "! rtcicesink name=icesink "
      "rtcicesrc name=icesrc ! rtcdtlssrtpdec name=dec connection-id=demo-send "
      "dec.rtp_src ! fakesink sync=false dec.rtcp_src ! fakesink sync=false";
  const gchar *receiver =
      "rtcicesrc name=icesrc ! rtcdtlssrtpdec name=dec connection-id=demo-recv "
      "dec.rtp_src ! rtpptdemux name=demux "
      "dec.rtcp_src ! fakesink sync=false "
      "rtcdtlssrtpenc name=enc connection-id=demo-recv is-client=false "
      "! rtcicesink name=icesink";
  GstElement *pipeline, *element;

  pipeline = gst_parse_launch (demo->sender ? sender : receiver, error);
  if (pipeline == NULL)
    return NULL;
  demo->enc = gst_bin_get_by_name (GST_BIN (pipeline), "enc");
  demo->dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  element = gst_bin_get_by_name (GST_BIN (pipeline), "icesrc");
  g_object_set (element, "stream", demo->stream, NULL);
  gst_object_unref (element);
  element = gst_bin_get_by_name (GST_BIN (pipeline), "icesink");
  g_object_set (element, "stream", demo->stream, NULL);
  gst_object_unref (element);
  if (!demo->sender) {
    element = gst_bin_get_by_name (GST_BIN (pipeline), "demux");
    g_signal_connect (element, "request-pt-map", G_CALLBACK (request_pt_map),
        demo);
    g_signal_connect (element, "pad-added", G_CALLBACK (on_demux_pad), demo);
    gst_object_unref (element);
  }
  return pipeline;
}

int
main (int argc, char **argv)
{
  Demo demo = { 0, };
  gchar *role = NULL;
  gint frames = 0, seconds = 0;
  gboolean loopback = FALSE;
  GOptionEntry entries[] = {
    {"role", 0, 0, G_OPTION_ARG_STRING, &role, "send or recv", "ROLE"},
    {"in", 0, 0, G_OPTION_ARG_FILENAME, &demo.in_path,
        "The file the peer writes its lines to", "PATH"},
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &demo.out_path,
        "The file we write our lines to", "PATH"},
    {"frames", 0, 0, G_OPTION_ARG_INT, &frames,
        "recv: exit 0 once this many video frames are decoded", "N"},
    {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds,
        "Give up after this many seconds (0: run until interrupted)", "S"},
    {"loopback", 0, 0, G_OPTION_ARG_NONE, &loopback,
        "Gather candidates on 127.0.0.1 only", NULL},
    {"wrong-fingerprint", 0, 0, G_OPTION_ARG_STRING, &demo.wrong_fingerprint,
        "Expect this fingerprint instead of the peer's (to see a refusal)",
        "FP"},
    {NULL}
  };
  GOptionContext *options;
  GError *error = NULL;
  gchar *ufrag = NULL, *pwd = NULL, *line, *fingerprint = NULL;
  GstBus *bus;

  options = g_option_context_new ("- gst-rtc transport demo (no SDP)");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 64;
  }
  g_option_context_free (options);
  if (role == NULL || demo.in_path == NULL || demo.out_path == NULL ||
      (!g_str_equal (role, "send") && !g_str_equal (role, "recv"))) {
    g_printerr ("usage: %s --role=send|recv --in=PEER_FILE --out=OUR_FILE\n",
        argv[0]);
    return 64;
  }
  demo.sender = g_str_equal (role, "send");
  demo.want_frames = frames;
  demo.seconds = seconds;
  demo.exit_code = 1;
  demo.in_partial = g_string_new (NULL);
  g_mutex_init (&demo.out_lock);
  demo.out = fopen (demo.out_path, "w");
  if (demo.out == NULL) {
    g_printerr ("cannot write %s\n", demo.out_path);
    return 1;
  }

  demo.agent = gst_rtc_ice_agent_new (NULL);
  g_object_set (demo.agent, "controlling", demo.sender, NULL);
  demo.stream = gst_rtc_ice_agent_create_stream (demo.agent, &error);
  if (demo.stream == NULL) {
    g_printerr ("cannot create an ICE stream: %s\n", error->message);
    return 1;
  }
  if (loopback) {
    NiceAgent *nice = NULL;
    NiceAddress address;

    g_object_get (demo.agent, "nice-agent", &nice, NULL);
    nice_address_init (&address);
    nice_address_set_from_string (&address, "127.0.0.1");
    nice_agent_add_local_address (nice, &address);
    g_object_unref (nice);
  }
  g_signal_connect (demo.stream, "new-candidate",
      G_CALLBACK (on_new_candidate), &demo);
  g_signal_connect (demo.stream, "gathering-done",
      G_CALLBACK (on_gathering_done), &demo);

  demo.pipeline = build_pipeline (&demo, &error);
  if (demo.pipeline == NULL) {
    g_printerr ("cannot build the pipeline: %s\n", error->message);
    return 1;
  }
  demo.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (demo.pipeline);
  gst_bus_add_watch (bus, on_bus_message, &demo);
  gst_object_unref (bus);

  /* From READY on the certificate exists, so its fingerprint is known. */
  if (gst_element_set_state (demo.pipeline, GST_STATE_READY) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot set the pipeline to READY\n");
    return 1;
  }
  g_object_get (demo.enc, "fingerprint", &fingerprint, NULL);
  gst_rtc_ice_stream_get_local_credentials (demo.stream, &ufrag, &pwd);
  line = g_strdup_printf ("%s %s", ufrag, pwd);
  write_line (&demo, "credentials", line);
  write_line (&demo, "fingerprint", fingerprint);
  g_free (line);
  g_free (ufrag);
  g_free (pwd);
  g_print ("%s: our fingerprint is %s\n", role, fingerprint);
  g_free (fingerprint);

  gst_element_set_state (demo.pipeline, GST_STATE_PLAYING);
  if (!gst_rtc_ice_stream_gather (demo.stream, &error)) {
    g_printerr ("cannot gather candidates: %s\n", error->message);
    return 1;
  }
  demo.start_time = g_get_monotonic_time ();
  g_timeout_add (20, poll_peer, &demo);
  g_timeout_add (1000, report, &demo);
  g_main_loop_run (demo.loop);

  gst_element_set_state (demo.pipeline, GST_STATE_NULL);
  gst_object_unref (demo.enc);
  gst_object_unref (demo.dec);
  gst_object_unref (demo.pipeline);
  gst_rtc_ice_stream_close (demo.stream);
  gst_object_unref (demo.stream);
  gst_object_unref (demo.agent);
  g_main_loop_unref (demo.loop);
  fclose (demo.out);
  g_string_free (demo.in_partial, TRUE);
  g_free (role);
  return demo.exit_code;
}
