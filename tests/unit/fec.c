/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RED + ULPFEC: the policy that turns FEC on from measured loss
 * (gst/rtc/fec-policy.h), answering red/ulpfec (sdp.c), and rtcbin's fec
 * property on Chromium's offer. The lab (tests/net/test_fec.py) runs it
 * against Chromium and shows a repair between two rtcbins. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <string.h>

#include "../../gst/rtc/fec-policy.h"

#define FIXTURE_DIR GST_RTC_TEST_SOURCE_DIR "/sdp-fixtures/"
#define SEC G_USEC_PER_SEC

static gchar *
load_fixture (const gchar * name)
{
  gchar *path = g_build_filename (FIXTURE_DIR, name, NULL);
  gchar *text = NULL;
  GError *error = NULL;

  if (!g_file_get_contents (path, &text, NULL, &error))
    fail ("cannot read %s: %s", path, error->message);
  g_free (path);
  return text;
}

/* ---- policy ---- */

GST_START_TEST (test_policy_off_without_loss)
{
  RtcFecPolicy policy;
  gint64 t;

  rtc_fec_policy_init (&policy);
  for (t = 0; t < 30 * SEC; t += SEC / 2)
    fail_unless_equals_int (rtc_fec_policy_update (&policy, 0.0, t), 0);
  /* 1 % is below the switch-on threshold */
  for (; t < 60 * SEC; t += SEC / 2)
    fail_unless_equals_int (rtc_fec_policy_update (&policy, 0.01, t), 0);
  /* garbage in: NaN and negative count as no loss */
  fail_unless_equals_int (rtc_fec_policy_update (&policy, NAN, t), 0);
  fail_unless_equals_int (rtc_fec_policy_update (&policy, -1.0, t), 0);
}

GST_END_TEST;

GST_START_TEST (test_policy_scales_with_loss)
{
  RtcFecPolicy policy;
  guint at5, at10, at40;
  gint64 t = 0;
  gint i;

  rtc_fec_policy_init (&policy);
  /* the first sample counts at once */
  at5 = rtc_fec_policy_update (&policy, 0.05, t);
  fail_unless (at5 > 0, "no FEC at 5 %% loss");
  fail_unless_equals_int (at5, 15);
  for (i = 0; i < 20; i++)
    at10 = rtc_fec_policy_update (&policy, 0.10, t += SEC / 2);
  fail_unless_equals_int (at10, 30);
  for (i = 0; i < 20; i++)
    at40 = rtc_fec_policy_update (&policy, 0.40, t += SEC / 2);
  fail_unless_equals_int (at40, RTC_FEC_MAX_PERCENTAGE);
  /* just above the threshold: the floor */
  rtc_fec_policy_init (&policy);
  fail_unless_equals_int (rtc_fec_policy_update (&policy, 0.021, 0),
      RTC_FEC_MIN_PERCENTAGE);
}

GST_END_TEST;

GST_START_TEST (test_policy_smoothing)
{
  RtcFecPolicy policy;
  gint64 t = 0;

  rtc_fec_policy_init (&policy);
  fail_unless_equals_int (rtc_fec_policy_update (&policy, 0.0, t), 0);
  /* one lossy sample after clean ones is not enough (0.3 * 5 % = 1.5 %) */
  fail_unless_equals_int (rtc_fec_policy_update (&policy, 0.05, t += SEC / 2),
      0);
  /* a second one is (2.55 %) */
  fail_unless (rtc_fec_policy_update (&policy, 0.05, t += SEC / 2) > 0);
}

GST_END_TEST;

GST_START_TEST (test_policy_hysteresis)
{
  RtcFecPolicy policy;
  gint64 t = 0, off_at = -1;
  guint pct;
  gint i;

  rtc_fec_policy_init (&policy);
  for (i = 0; i < 10; i++)
    pct = rtc_fec_policy_update (&policy, 0.05, t += SEC / 2);
  fail_unless (pct > 0);

  /* between 1 % and 2 %: stays on (at the floor) */
  for (i = 0; i < 40; i++)
    pct = rtc_fec_policy_update (&policy, 0.015, t += SEC / 2);
  fail_unless_equals_int (pct, RTC_FEC_MIN_PERCENTAGE);

  /* loss gone: on for RTC_FEC_OFF_HOLD_US after the average fell under
   * 1 %, then off */
  for (i = 0; i < 60 && off_at < 0; i++) {
    t += SEC / 2;
    if (rtc_fec_policy_update (&policy, 0.0, t) == 0)
      off_at = t;
  }
  fail_unless (off_at > 0, "FEC never went off");
  fail_unless (policy.smoothed_loss < RTC_FEC_OFF_LOSS);
  /* the average needs a few samples to fall, then the hold runs */
  fail_unless (off_at >= RTC_FEC_OFF_HOLD_US, "off too early");

  /* a loss blip during the hold restarts it */
  rtc_fec_policy_init (&policy);
  t = 0;
  for (i = 0; i < 10; i++)
    rtc_fec_policy_update (&policy, 0.05, t += SEC / 2);
  /* the average is under 1 % after 5 samples; 12 are within the hold */
  for (i = 0; i < 12; i++)
    rtc_fec_policy_update (&policy, 0.0, t += SEC / 2);
  fail_unless (policy.percentage > 0 && policy.below_since_us >= 0);
  rtc_fec_policy_update (&policy, 0.20, t += SEC / 2);
  fail_unless (policy.percentage > 0);
  fail_unless_equals_int64 (policy.below_since_us, -1);
}

GST_END_TEST;

/* ---- answering red and ulpfec ---- */

static GPtrArray *
video_codecs (gboolean with_fec)
{
  GPtrArray *codecs = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_VIDEO);

  if (with_fec) {
    GstRtcCodec *red = gst_rtc_codec_new (120, "RED", 90000, 0, NULL);

    red->rtx_payload_type = 121;
    g_ptr_array_add (codecs, red);
    g_ptr_array_add (codecs, gst_rtc_codec_new (122, "ULPFEC", 90000, 0,
            NULL));
  }
  return codecs;
}

static const GstRtcCodec *
find_codec (const GstRtcMediaDescription * media, const gchar * name)
{
  for (guint i = 0; i < media->codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (media->codecs, i);

    if (g_ascii_strcasecmp (codec->encoding_name, name) == 0)
      return codec;
  }
  return NULL;
}

static GstRtcMediaDescription *
answer_video_of (const gchar * offer_text, gboolean with_fec)
{
  GError *error = NULL;
  GstRtcSessionDescription *offer;
  GstRtcMediaDescription *answer = NULL;
  GPtrArray *codecs = video_codecs (with_fec);

  offer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER,
      offer_text, &error);
  fail_unless (offer != NULL, "parse: %s", error ? error->message : "?");
  for (guint i = 0; i < offer->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (offer->media, i);

    if (media->kind == GST_RTC_MEDIA_KIND_VIDEO && answer == NULL) {
      answer = gst_rtc_sdp_answer_media (media, codecs,
          GST_RTC_DIRECTION_SENDRECV, &error);
      fail_unless (answer != NULL, "answer: %s", error ? error->message : "?");
    }
  }
  fail_unless (answer != NULL, "no video m-line");
  gst_rtc_session_description_free (offer);
  g_ptr_array_unref (codecs);
  return answer;
}

GST_START_TEST (test_answer_keeps_red_ulpfec)
{
  gchar *text = load_fixture ("chromium-offer.sdp");
  GstRtcMediaDescription *answer = answer_video_of (text, TRUE);
  const GstRtcCodec *red = find_codec (answer, "RED");
  const GstRtcCodec *ulpfec = find_codec (answer, "ULPFEC");

  /* Chromium: a=rtpmap:116 red/90000, 117 rtx apt=116, 118 ulpfec/90000 */
  fail_unless (red != NULL && ulpfec != NULL);
  fail_unless_equals_int (red->payload_type, 116);
  fail_unless_equals_int (red->rtx_payload_type, 117);
  fail_unless_equals_int (ulpfec->payload_type, 118);
  fail_unless_equals_int (ulpfec->rtx_payload_type, 0);
  fail_unless_equals_int (red->feedback, GST_RTC_RTCP_FB_NONE);
  fail_unless (find_codec (answer, "VP8") != NULL);
  gst_rtc_media_description_free (answer);

  /* without them on our side: absent */
  answer = answer_video_of (text, FALSE);
  fail_unless (find_codec (answer, "RED") == NULL);
  fail_unless (find_codec (answer, "ULPFEC") == NULL);
  fail_unless (find_codec (answer, "VP8") != NULL);
  gst_rtc_media_description_free (answer);
  g_free (text);
}

GST_END_TEST;

static gchar *
replace (const gchar * text, const gchar * old, const gchar * new)
{
  gchar **parts = g_strsplit (text, old, -1);
  gchar *out;

  fail_unless (g_strv_length (parts) == 2, "\"%s\" not found once", old);
  out = g_strjoinv (new, parts);
  g_strfreev (parts);
  return out;
}

GST_START_TEST (test_answer_malformed_red)
{
  static const gchar *const bad[] = {
    "999/abc", "96/", "/96", "abc", "96/96/x", "-1", "128",
  };
  gchar *text = load_fixture ("chromium-offer.sdp");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *line = g_strdup_printf ("a=rtpmap:116 red/90000\r\na=fmtp:116 %s",
        bad[i]);
    gchar *offer = replace (text, "a=rtpmap:116 red/90000", line);
    GstRtcMediaDescription *answer = answer_video_of (offer, TRUE);

    /* the red is left out, and the ulpfec that only travels in it */
    fail_unless (find_codec (answer, "RED") == NULL, "%s", bad[i]);
    fail_unless (find_codec (answer, "ULPFEC") == NULL, "%s", bad[i]);
    fail_unless (find_codec (answer, "VP8") != NULL, "%s", bad[i]);
    gst_rtc_media_description_free (answer);
    g_free (offer);
    g_free (line);
  }
  {
    /* a well-formed block list is fine */
    gchar *offer = replace (text, "a=rtpmap:116 red/90000",
        "a=rtpmap:116 red/90000\r\na=fmtp:116 96/96");
    GstRtcMediaDescription *answer = answer_video_of (offer, TRUE);

    fail_unless (find_codec (answer, "RED") != NULL);
    gst_rtc_media_description_free (answer);
    g_free (offer);
  }
  {
    /* ulpfec without red: neither */
    gchar *offer = replace (text, "a=rtpmap:116 red/90000\r\n", "");
    GstRtcMediaDescription *answer = answer_video_of (offer, TRUE);

    fail_unless (find_codec (answer, "RED") == NULL);
    fail_unless (find_codec (answer, "ULPFEC") == NULL);
    gst_rtc_media_description_free (answer);
    g_free (offer);
  }
  g_free (text);
}

GST_END_TEST;

GST_START_TEST (test_answer_only_fec_rejected)
{
  const gchar *offer =
      "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 116 118\r\nc=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
      "a=fingerprint:sha-256 "
      "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
      "00:00:00:00:00:00:00:00\r\na=setup:actpass\r\n"
      "a=rtpmap:116 red/90000\r\na=rtpmap:118 ulpfec/90000\r\n";
  GstRtcMediaDescription *answer = answer_video_of (offer, TRUE);

  /* RED and ULPFEC carry no media of their own */
  fail_unless (answer->rejected);
  gst_rtc_media_description_free (answer);
}

GST_END_TEST;

/* ---- rtcbin's fec property ---- */

static gchar *
rtcbin_answer (gboolean fec, const gchar * offer)
{
  GstElement *rtcbin = gst_element_factory_make ("rtcbin", NULL);
  GstPromise *promise;
  const GstStructure *reply;
  gchar *sdp = NULL;

  fail_unless (rtcbin != NULL, "no rtcbin");
  gst_object_ref_sink (rtcbin);
  g_object_set (rtcbin, "fec", fec, NULL);
  fail_unless (gst_element_set_state (rtcbin, GST_STATE_READY) !=
      GST_STATE_CHANGE_FAILURE);
  promise = gst_promise_new ();
  g_signal_emit_by_name (rtcbin, "set-remote-description", "offer", offer,
      promise);
  fail_unless (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  fail_unless (reply == NULL || !gst_structure_has_field (reply, "error"),
      "set-remote-description failed: %" GST_PTR_FORMAT, reply);
  gst_promise_unref (promise);

  promise = gst_promise_new ();
  g_signal_emit_by_name (rtcbin, "create-answer", NULL, promise);
  fail_unless (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  fail_unless (reply != NULL && gst_structure_has_field (reply, "sdp"),
      "create-answer failed: %" GST_PTR_FORMAT, reply);
  sdp = g_strdup (gst_structure_get_string (reply, "sdp"));
  gst_promise_unref (promise);
  gst_element_set_state (rtcbin, GST_STATE_NULL);
  gst_object_unref (rtcbin);
  return sdp;
}

GST_START_TEST (test_rtcbin_fec_property)
{
  gchar *offer = load_fixture ("chromium-offer.sdp");
  GstElement *rtcbin = gst_element_factory_make ("rtcbin", NULL);
  gboolean fec = FALSE;
  gchar *answer;

  fail_unless (rtcbin != NULL);
  gst_object_ref_sink (rtcbin);
  g_object_get (rtcbin, "fec", &fec, NULL);
  fail_unless (fec, "fec is on by default");
  gst_object_unref (rtcbin);

  answer = rtcbin_answer (TRUE, offer);
  fail_unless (strstr (answer, "a=rtpmap:116 red/90000") != NULL, "%s",
      answer);
  fail_unless (strstr (answer, "a=rtpmap:118 ulpfec/90000") != NULL, "%s",
      answer);
  fail_unless (strstr (answer, "a=fmtp:117 apt=116") != NULL, "%s", answer);
  g_free (answer);

  answer = rtcbin_answer (FALSE, offer);
  fail_unless (strstr (answer, "red/") == NULL, "%s", answer);
  fail_unless (strstr (answer, "ulpfec/") == NULL, "%s", answer);
  fail_unless (strstr (answer, "VP8/90000") != NULL, "%s", answer);
  g_free (answer);
  g_free (offer);
}

GST_END_TEST;

static Suite *
fec_suite (void)
{
  Suite *s = suite_create ("fec");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_policy_off_without_loss);
  tcase_add_test (tc, test_policy_scales_with_loss);
  tcase_add_test (tc, test_policy_smoothing);
  tcase_add_test (tc, test_policy_hysteresis);
  tcase_add_test (tc, test_answer_keeps_red_ulpfec);
  tcase_add_test (tc, test_answer_malformed_red);
  tcase_add_test (tc, test_answer_only_fec_rejected);
  tcase_add_test (tc, test_rtcbin_fec_property);
  return s;
}

GST_CHECK_MAIN (fec);
