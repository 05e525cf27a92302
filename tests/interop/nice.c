/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Our rtcicesrc/rtcicesink on a GstRtcIceAgent against libnice's own
 * nicesrc/nicesink on a plain NiceAgent (the test-only peer): ICE
 * credentials and candidates cross in SDP attribute form, and VP8 RTP
 * flows both ways over the pair; each side decodes frames. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <nice/agent.h>

#define FRAMES 30
#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8," \
  "clock-rate=90000,payload=96"

typedef struct
{
  GMutex lock;
  GMainContext *their_context;
  GMainLoop *their_loop;
  GThread *their_thread;
  NiceAgent *theirs;
  guint their_stream;
  GstRtcIceAgent *agent;
  GstRtcIceStream *ours;
  gint ours_decoded, theirs_decoded;
} Fixture;

static gpointer
run_their_loop (gpointer user_data)
{
  Fixture *f = user_data;

  g_main_context_push_thread_default (f->their_context);
  g_main_loop_run (f->their_loop);
  g_main_context_pop_thread_default (f->their_context);
  return NULL;
}

/* Their candidate, as libnice prints it, goes to our stream. */
static void
on_their_candidate (NiceAgent * agent, NiceCandidate * candidate,
    Fixture * f)
{
  gchar *sdp = nice_agent_generate_local_candidate_sdp (agent, candidate);
  GError *error = NULL;

  fail_unless (gst_rtc_ice_stream_add_remote_candidate (f->ours, sdp, &error),
      "ours refused libnice's candidate %s: %s", sdp,
      error ? error->message : "");
  g_free (sdp);
}

/* Our candidate, as we print it, goes to libnice's parser. */
static void
on_our_candidate (GstRtcIceStream * stream, const gchar * candidate,
    Fixture * f)
{
  gchar *line = g_strdup_printf ("a=%s", candidate);
  NiceCandidate *parsed = nice_agent_parse_remote_candidate_sdp (f->theirs,
      f->their_stream, line);
  GSList *list;

  fail_unless (parsed != NULL, "libnice cannot parse our candidate %s", line);
  list = g_slist_append (NULL, parsed);
  nice_agent_set_remote_candidates (f->theirs, f->their_stream, 1, list);
  g_slist_free_full (list, (GDestroyNotify) nice_candidate_free);
  g_free (line);
}

static GstPadProbeReturn
count_frame (GstPad * pad, GstPadProbeInfo * info, gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_pipeline (const gchar * description, gint * counter)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstElement *decoder;
  GstPad *pad;

  fail_unless (pipeline != NULL, "%s", error ? error->message : "");
  decoder = gst_bin_get_by_name (GST_BIN (pipeline), "decoder");
  pad = gst_element_get_static_pad (decoder, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, counter,
      NULL);
  gst_object_unref (pad);
  gst_object_unref (decoder);
  return pipeline;
}

static void
restrict_to_loopback (NiceAgent * agent)
{
  NiceAddress address;

  nice_address_init (&address);
  nice_address_set_from_string (&address, "127.0.0.1");
  nice_agent_add_local_address (agent, &address);
}

static void
run_exchange (gboolean ours_controlling)
{
  Fixture f = { 0, };
  GstElement *ours_pipeline, *theirs_pipeline, *element;
  NiceAgent *our_nice = NULL;
  gchar *ufrag, *pwd;
  GError *error = NULL;
  gint64 deadline;
  GstRtcIceCandidateType local_type, remote_type;

  /* libnice's agent on its own thread and context, as an app would run it. */
  f.their_context = g_main_context_new ();
  f.their_loop = g_main_loop_new (f.their_context, FALSE);
  f.their_thread = g_thread_new ("libnice-peer", run_their_loop, &f);
  f.theirs = nice_agent_new (f.their_context, NICE_COMPATIBILITY_RFC5245);
  g_object_set (f.theirs, "upnp", FALSE, "controlling-mode",
      !ours_controlling, NULL);
  restrict_to_loopback (f.theirs);
  f.their_stream = nice_agent_add_stream (f.theirs, 1);
  g_signal_connect (f.theirs, "new-candidate-full",
      G_CALLBACK (on_their_candidate), &f);

  f.agent = gst_rtc_ice_agent_new (NULL);
  g_object_set (f.agent, "controlling", ours_controlling, NULL);
  g_object_get (f.agent, "nice-agent", &our_nice, NULL);
  restrict_to_loopback (our_nice);
  g_object_unref (our_nice);
  f.ours = gst_rtc_ice_agent_create_stream (f.agent, &error);
  fail_unless (f.ours != NULL);
  g_signal_connect (f.ours, "new-candidate", G_CALLBACK (on_our_candidate),
      &f);

  /* Credentials first, both ways. */
  gst_rtc_ice_stream_get_local_credentials (f.ours, &ufrag, &pwd);
  fail_unless (nice_agent_set_remote_credentials (f.theirs, f.their_stream,
          ufrag, pwd));
  g_free (ufrag);
  g_free (pwd);
  fail_unless (nice_agent_get_local_credentials (f.theirs, f.their_stream,
          &ufrag, &pwd));
  fail_unless (gst_rtc_ice_stream_set_remote_credentials (f.ours, ufrag, pwd,
          &error));
  g_free (ufrag);
  g_free (pwd);

  ours_pipeline = make_pipeline ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay ! "
      "rtcicesink name=sink "
      "rtcicesrc name=src ! " VP8_CAPS " ! rtpvp8depay ! vp8dec name=decoder ! "
      "fakesink sync=false async=false", &f.ours_decoded);
  element = gst_bin_get_by_name (GST_BIN (ours_pipeline), "sink");
  g_object_set (element, "stream", f.ours, NULL);
  gst_object_unref (element);
  element = gst_bin_get_by_name (GST_BIN (ours_pipeline), "src");
  g_object_set (element, "stream", f.ours, NULL);
  gst_object_unref (element);

  theirs_pipeline = make_pipeline ("videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay ! "
      "nicesink name=sink component=1 sync=false async=false "
      "nicesrc name=src component=1 ! " VP8_CAPS " ! rtpvp8depay ! "
      "vp8dec name=decoder ! fakesink sync=false async=false",
      &f.theirs_decoded);
  element = gst_bin_get_by_name (GST_BIN (theirs_pipeline), "sink");
  g_object_set (element, "agent", f.theirs, "stream", f.their_stream, NULL);
  gst_object_unref (element);
  element = gst_bin_get_by_name (GST_BIN (theirs_pipeline), "src");
  g_object_set (element, "agent", f.theirs, "stream", f.their_stream, NULL);
  gst_object_unref (element);

  fail_unless (gst_element_set_state (ours_pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_set_state (theirs_pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);

  fail_unless (gst_rtc_ice_stream_gather (f.ours, &error));
  fail_unless (nice_agent_gather_candidates (f.theirs, f.their_stream));

  deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline &&
      (g_atomic_int_get (&f.ours_decoded) < FRAMES ||
          g_atomic_int_get (&f.theirs_decoded) < FRAMES))
    g_usleep (20 * 1000);

  GST_INFO ("decoded by ours %d, by libnice's %d", f.ours_decoded,
      f.theirs_decoded);
  fail_unless (g_atomic_int_get (&f.ours_decoded) >= FRAMES,
      "we decoded %d frames from libnice's nicesink", f.ours_decoded);
  fail_unless (g_atomic_int_get (&f.theirs_decoded) >= FRAMES,
      "libnice's nicesrc decoded %d frames from us", f.theirs_decoded);
  fail_unless (gst_rtc_ice_stream_get_selected_pair (f.ours, &local_type,
          &remote_type, NULL, NULL));
  fail_unless_equals_int (local_type, GST_RTC_ICE_CANDIDATE_TYPE_HOST);

  gst_element_set_state (ours_pipeline, GST_STATE_NULL);
  gst_element_set_state (theirs_pipeline, GST_STATE_NULL);
  gst_object_unref (ours_pipeline);
  gst_object_unref (theirs_pipeline);
  gst_rtc_ice_stream_close (f.ours);
  gst_object_unref (f.ours);
  gst_object_unref (f.agent);
  g_main_loop_quit (f.their_loop);
  g_thread_join (f.their_thread);
  g_object_unref (f.theirs);
  g_main_loop_unref (f.their_loop);
  g_main_context_unref (f.their_context);
}

GST_START_TEST (test_ours_controlling)
{
  run_exchange (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_ours_controlled)
{
  run_exchange (FALSE);
}

GST_END_TEST;

static Suite *
nice_interop_suite (void)
{
  Suite *s = suite_create ("nice-interop");
  TCase *tc = tcase_create ("general");
  GstPluginFeature *nicesrc;

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  nicesrc = gst_registry_find_feature (gst_registry_get (), "nicesrc",
      GST_TYPE_ELEMENT_FACTORY);
  if (nicesrc != NULL) {
    gst_object_unref (nicesrc);
    tcase_add_test (tc, test_ours_controlling);
    tcase_add_test (tc, test_ours_controlled);
  } else {
    g_printerr ("nicesrc not found (gstreamer1.0-nice): skipping\n");
  }
  return s;
}

GST_CHECK_MAIN (nice_interop);
