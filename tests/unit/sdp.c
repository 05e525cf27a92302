/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the JSEP model: parsing real offers of Chromium, Firefox,
 * Safari, webrtcbin and aiortc, writing them back, answering them, and
 * refusing malformed or hostile descriptions with the right error. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <string.h>

#define FIXTURE_DIR GST_RTC_TEST_SOURCE_DIR "/sdp-fixtures/"

static const gchar *const offer_fixtures[] = {
  "chromium-offer.sdp", "firefox-offer.sdp", "safari-offer.sdp",
  "webrtcbin-offer.sdp", "aiortc-offer.sdp", NULL
};

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

static GstRtcSessionDescription *
parse_text (GstRtcSdpType type, const gchar * text)
{
  GError *error = NULL;
  GstRtcSessionDescription *desc;

  desc = gst_rtc_session_description_parse (type, text, &error);
  if (desc == NULL)
    fail ("parse failed: %s\n%s", error->message, text);
  fail_unless (error == NULL);
  return desc;
}

static GstRtcSessionDescription *
parse_fixture (GstRtcSdpType type, const gchar * name)
{
  gchar *text = load_fixture (name);
  GstRtcSessionDescription *desc = parse_text (type, text);

  g_free (text);
  return desc;
}

static GstRtcMediaDescription *
media_at (const GstRtcSessionDescription * desc, guint i)
{
  fail_unless (i < desc->media->len);
  return g_ptr_array_index (desc->media, i);
}

static GstRtcCodec *
codec_at (const GstRtcMediaDescription * media, guint i)
{
  fail_unless (i < media->codecs->len, "m-line %u has %u codecs, not %u",
      media->mline, media->codecs->len, i + 1);
  return g_ptr_array_index (media->codecs, i);
}

static void
check_codec (const GstRtcCodec * codec, guint pt, const gchar * name,
    guint clock_rate, guint channels, guint rtx_pt)
{
  fail_unless (codec != NULL);
  fail_unless_equals_int (codec->payload_type, pt);
  fail_unless_equals_string (codec->encoding_name, name);
  fail_unless_equals_int (codec->clock_rate, clock_rate);
  fail_unless_equals_int (codec->channels, channels);
  fail_unless_equals_int (codec->rtx_payload_type, rtx_pt);
}

static void
check_fmtp (const GstRtcCodec * codec, const gchar * key,
    const gchar * expected)
{
  gchar *value = gst_rtc_codec_get_fmtp_value (codec, key);

  fail_unless_equals_string (value, expected);
  g_free (value);
}

/* ---- model equality, for round trips ---- */

static void
assert_strv_equal (gchar ** a, gchar ** b, const gchar * what)
{
  guint n = a != NULL ? g_strv_length (a) : 0;

  fail_unless_equals_int (n, b != NULL ? g_strv_length (b) : 0);
  for (guint i = 0; i < n; i++)
    fail_unless (g_strcmp0 (a[i], b[i]) == 0, "%s[%u]: \"%s\" != \"%s\"",
        what, i, a[i], b[i]);
}

static void
assert_codec_equal (const GstRtcCodec * a, const GstRtcCodec * b)
{
  fail_unless_equals_int (a->payload_type, b->payload_type);
  fail_unless_equals_string (a->encoding_name, b->encoding_name);
  fail_unless_equals_int (a->clock_rate, b->clock_rate);
  fail_unless_equals_int (a->channels, b->channels);
  fail_unless_equals_string (a->fmtp, b->fmtp);
  fail_unless_equals_int (a->rtx_payload_type, b->rtx_payload_type);
  fail_unless_equals_int (a->feedback, b->feedback);
}

static void
assert_media_equal (const GstRtcMediaDescription * a,
    const GstRtcMediaDescription * b)
{
  fail_unless_equals_int (a->mline, b->mline);
  fail_unless_equals_string (a->mid, b->mid);
  fail_unless_equals_int (a->kind, b->kind);
  fail_unless_equals_int (a->direction, b->direction);
  fail_unless_equals_int (a->rejected, b->rejected);
  fail_unless_equals_int (a->bundle_only, b->bundle_only);
  fail_unless_equals_int (a->codecs->len, b->codecs->len);
  for (guint i = 0; i < a->codecs->len; i++)
    assert_codec_equal (codec_at (a, i), codec_at (b, i));
  fail_unless_equals_int (a->ext_mid, b->ext_mid);
  fail_unless_equals_int (a->ext_rid, b->ext_rid);
  fail_unless_equals_int (a->ext_twcc, b->ext_twcc);
  fail_unless_equals_uint64 (a->ssrc, b->ssrc);
  fail_unless_equals_uint64 (a->rtx_ssrc, b->rtx_ssrc);
  fail_unless_equals_string (a->cname, b->cname);
  fail_unless_equals_string (a->msid, b->msid);
  assert_strv_equal (a->rids, b->rids, "rids");
  fail_unless_equals_string (a->ice_ufrag, b->ice_ufrag);
  fail_unless_equals_string (a->ice_pwd, b->ice_pwd);
  fail_unless_equals_string (a->fingerprint, b->fingerprint);
  fail_unless_equals_int (a->setup, b->setup);
  fail_unless_equals_int (a->candidates->len, b->candidates->len);
  for (guint i = 0; i < a->candidates->len; i++)
    fail_unless_equals_string (g_ptr_array_index (a->candidates, i),
        g_ptr_array_index (b->candidates, i));
  fail_unless_equals_int (a->end_of_candidates, b->end_of_candidates);
  fail_unless_equals_int (a->rtcp_mux, b->rtcp_mux);
  fail_unless_equals_int (a->rtcp_rsize, b->rtcp_rsize);
  fail_unless_equals_string (a->application, b->application);
}

static void
assert_session_equal (const GstRtcSessionDescription * a,
    const GstRtcSessionDescription * b)
{
  fail_unless_equals_int (a->type, b->type);
  fail_unless_equals_string (a->session_id, b->session_id);
  fail_unless_equals_uint64 (a->session_version, b->session_version);
  assert_strv_equal (a->bundle_mids, b->bundle_mids, "bundle_mids");
  fail_unless_equals_int (a->ice_lite, b->ice_lite);
  fail_unless_equals_int (a->ice_trickle, b->ice_trickle);
  fail_unless_equals_int (a->media->len, b->media->len);
  for (guint i = 0; i < a->media->len; i++)
    assert_media_equal (media_at (a, i), media_at (b, i));
}

/* ---- parsing the fixtures ---- */

GST_START_TEST (test_parse_chromium)
{
  GstRtcSessionDescription *desc =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "chromium-offer.sdp");
  GstRtcMediaDescription *audio, *video;
  static const struct
  {
    guint pt, rtx;
    const gchar *name, *plid, *mode;
  } video_codecs[] = {
    {96, 97, "VP8", NULL, NULL},
    {102, 103, "H264", "42001f", "1"},
    {104, 105, "H264", "42001f", "0"},
    {106, 107, "H264", "42e01f", "1"},
    {108, 109, "H264", "42e01f", "0"},
    {127, 125, "H264", "4d001f", "1"},
    {39, 40, "H264", "4d001f", "0"},
    {45, 46, "AV1", NULL, NULL},
    {98, 99, "VP9", NULL, NULL},
    {100, 101, "VP9", NULL, NULL},
    {112, 113, "H264", "64001f", "1"},
    {116, 117, "RED", NULL, NULL},
    {118, 0, "ULPFEC", NULL, NULL},
  };

  fail_unless_equals_int (desc->type, GST_RTC_SDP_TYPE_OFFER);
  fail_unless_equals_int (desc->media->len, 2);
  fail_unless_equals_int (g_strv_length (desc->bundle_mids), 2);
  fail_unless_equals_string (desc->bundle_mids[0], "0");
  fail_unless_equals_string (desc->bundle_mids[1], "1");
  fail_unless (desc->ice_trickle);
  fail_if (desc->ice_lite);
  fail_unless_equals_uint64 (desc->session_version, 2);
  fail_unless (desc->session_id != NULL);

  audio = media_at (desc, 0);
  fail_unless_equals_string (audio->mid, "0");
  fail_unless_equals_int (audio->kind, GST_RTC_MEDIA_KIND_AUDIO);
  fail_unless_equals_int (audio->direction, GST_RTC_DIRECTION_SENDRECV);
  fail_if (audio->rejected);
  fail_unless_equals_int (audio->codecs->len, 8);
  check_codec (codec_at (audio, 0), 111, "OPUS", 48000, 2, 0);
  fail_unless_equals_string (codec_at (audio, 0)->fmtp,
      "minptime=10;useinbandfec=1");
  fail_unless_equals_int (codec_at (audio, 0)->feedback,
      GST_RTC_RTCP_FB_TRANSPORT_CC);
  check_codec (codec_at (audio, 1), 63, "RED", 48000, 2, 0);
  check_codec (codec_at (audio, 2), 9, "G722", 8000, 1, 0);
  check_codec (codec_at (audio, 3), 0, "PCMU", 8000, 1, 0);
  check_codec (codec_at (audio, 4), 8, "PCMA", 8000, 1, 0);
  check_codec (codec_at (audio, 5), 13, "CN", 8000, 1, 0);
  check_codec (codec_at (audio, 6), 110, "TELEPHONE-EVENT", 48000, 1, 0);
  check_codec (codec_at (audio, 7), 126, "TELEPHONE-EVENT", 8000, 1, 0);
  fail_unless_equals_int (audio->ext_mid, 4);
  fail_unless_equals_int (audio->ext_twcc, 3);
  fail_unless_equals_int (audio->ext_rid, 0);
  fail_unless_equals_uint64 (audio->ssrc, 700353192);
  fail_unless_equals_uint64 (audio->rtx_ssrc, 0);
  fail_unless (audio->rtcp_mux);
  fail_if (audio->rtcp_rsize);

  video = media_at (desc, 1);
  fail_unless_equals_string (video->mid, "1");
  fail_unless_equals_int (video->kind, GST_RTC_MEDIA_KIND_VIDEO);
  fail_unless_equals_int (video->codecs->len, G_N_ELEMENTS (video_codecs));
  for (guint i = 0; i < G_N_ELEMENTS (video_codecs); i++) {
    GstRtcCodec *codec = codec_at (video, i);

    check_codec (codec, video_codecs[i].pt, video_codecs[i].name, 90000, 0,
        video_codecs[i].rtx);
    check_fmtp (codec, "profile-level-id", video_codecs[i].plid);
    check_fmtp (codec, "packetization-mode", video_codecs[i].mode);
  }
  check_fmtp (codec_at (video, 9), "profile-id", "2");
  fail_unless_equals_int (codec_at (video, 0)->feedback,
      GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
      GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC |
      GST_RTC_RTCP_FB_GOOG_REMB);
  fail_unless_equals_int (codec_at (video, 12)->feedback,
      GST_RTC_RTCP_FB_NONE);
  fail_unless_equals_int (video->ext_mid, 4);
  fail_unless_equals_int (video->ext_rid, 10);
  fail_unless_equals_int (video->ext_twcc, 3);
  fail_unless_equals_uint64 (video->ssrc, 4066310672u);
  fail_unless_equals_uint64 (video->rtx_ssrc, 1620254096u);
  fail_unless (video->rtcp_rsize);

  for (guint i = 0; i < 2; i++) {
    GstRtcMediaDescription *media = media_at (desc, i);

    fail_unless_equals_string (media->ice_ufrag, "qkfF");
    fail_unless_equals_string (media->ice_pwd, "P2GYsoUh4kV0mkdlewehmPEf");
    fail_unless_equals_string (media->fingerprint, "sha-256 80:EC:21:12:60:"
        "00:DC:F7:F2:A2:FE:AB:3F:C0:30:C7:C7:1E:64:F8:21:F9:EF:45:92:A9:91:33:"
        "CA:A5:33:B0");
    fail_unless_equals_int (media->setup, GST_RTC_DTLS_SETUP_ACTPASS);
    fail_unless_equals_string (media->cname, "0vOCqHmmvNjSJFsD");
    fail_unless (g_str_has_prefix (media->msid,
            "3908a6f9-a0eb-4070-9a33-25489a9ad409 "));
    fail_unless_equals_int (media->candidates->len, 0);
    fail_if (media->end_of_candidates);
  }
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_parse_firefox)
{
  GstRtcSessionDescription *desc =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "firefox-offer.sdp");
  GstRtcMediaDescription *audio = media_at (desc, 0);
  GstRtcMediaDescription *video = media_at (desc, 1);
  const gchar *fingerprint = "sha-256 E8:92:5B:52:C6:C0:0C:86:23:69:23:83:75:"
      "50:09:6D:1B:54:32:5A:C8:7D:E6:FC:F3:D9:01:38:3A:9E:BA:F5";

  fail_unless_equals_int (desc->media->len, 2);
  fail_unless (desc->ice_trickle);
  fail_unless_equals_uint64 (desc->session_version, 0);

  /* Firefox writes the fingerprint once, at session level, and ICE
   * credentials per m-line. */
  fail_unless_equals_string (audio->fingerprint, fingerprint);
  fail_unless_equals_string (video->fingerprint, fingerprint);
  fail_unless_equals_string (audio->ice_ufrag, "93903db6");
  fail_unless_equals_string (audio->ice_pwd,
      "0b0f304831095f2ddd1cfa50f96565fb");
  fail_unless_equals_string (video->ice_ufrag, "77ab374d");
  fail_unless_equals_string (video->ice_pwd,
      "906d821f089be0c0368d7efe330fc57d");

  fail_unless_equals_int (audio->codecs->len, 5);
  check_codec (codec_at (audio, 0), 109, "OPUS", 48000, 2, 0);
  check_fmtp (codec_at (audio, 0), "stereo", "1");
  check_codec (codec_at (audio, 1), 9, "G722", 8000, 1, 0);
  check_codec (codec_at (audio, 4), 101, "TELEPHONE-EVENT", 8000, 1, 0);
  fail_unless_equals_string (codec_at (audio, 4)->fmtp, "0-15");
  fail_unless_equals_int (audio->ext_mid, 3);
  fail_unless_equals_int (audio->ext_twcc, 0);
  fail_unless_equals_uint64 (audio->ssrc, 4067345438u);

  fail_unless_equals_int (video->codecs->len, 6);
  check_codec (codec_at (video, 0), 120, "VP8", 90000, 0, 124);
  check_codec (codec_at (video, 1), 121, "VP9", 90000, 0, 125);
  check_codec (codec_at (video, 2), 126, "H264", 90000, 0, 127);
  check_fmtp (codec_at (video, 2), "packetization-mode", "1");
  check_codec (codec_at (video, 3), 97, "H264", 90000, 0, 98);
  check_fmtp (codec_at (video, 3), "packetization-mode", NULL);
  check_codec (codec_at (video, 4), 123, "ULPFEC", 90000, 0, 0);
  check_codec (codec_at (video, 5), 122, "RED", 90000, 0, 119);
  fail_unless_equals_int (codec_at (video, 0)->feedback,
      GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
      GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC |
      GST_RTC_RTCP_FB_GOOG_REMB);
  fail_unless_equals_int (video->ext_mid, 3);
  fail_unless_equals_int (video->ext_twcc, 7);
  /* Firefox writes a=ssrc-group after the a=ssrc lines. */
  fail_unless_equals_uint64 (video->ssrc, 1783574602u);
  fail_unless_equals_uint64 (video->rtx_ssrc, 617987496u);
  fail_unless (g_str_has_prefix (video->cname, "{"));
  fail_unless (video->rtcp_rsize);
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_parse_safari)
{
  GstRtcSessionDescription *desc =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "safari-offer.sdp");
  GstRtcMediaDescription *video = media_at (desc, 1);

  fail_unless_equals_int (video->codecs->len, 5);
  check_codec (codec_at (video, 0), 96, "H264", 90000, 0, 97);
  check_fmtp (codec_at (video, 0), "profile-level-id", "640c1f");
  check_codec (codec_at (video, 1), 98, "H264", 90000, 0, 99);
  check_fmtp (codec_at (video, 1), "profile-level-id", "42e01f");
  check_codec (codec_at (video, 2), 100, "VP8", 90000, 0, 101);
  fail_unless_equals_uint64 (video->ssrc, 1477098228u);
  fail_unless_equals_uint64 (video->rtx_ssrc, 1208478649u);
  fail_unless_equals_string (video->ice_ufrag, "MkT/");
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_parse_webrtcbin)
{
  GstRtcSessionDescription *desc =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "webrtcbin-offer.sdp");
  GstRtcMediaDescription *video = media_at (desc, 0);
  GstRtcMediaDescription *audio = media_at (desc, 1);

  fail_unless_equals_int (desc->media->len, 2);
  fail_unless_equals_string (desc->bundle_mids[0], "video0");
  fail_unless_equals_string (desc->bundle_mids[1], "audio1");
  fail_unless (desc->ice_trickle);

  fail_unless_equals_string (video->mid, "video0");
  fail_unless_equals_int (video->codecs->len, 3);
  check_codec (codec_at (video, 0), 96, "VP8", 90000, 0, 101);
  check_codec (codec_at (video, 1), 98, "RED", 90000, 0, 100);
  check_codec (codec_at (video, 2), 99, "ULPFEC", 90000, 0, 0);
  fail_unless_equals_int (codec_at (video, 0)->feedback,
      GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI);
  fail_unless_equals_uint64 (video->ssrc, 805529145u);
  fail_unless_equals_uint64 (video->rtx_ssrc, 3453744274u);
  /* webrtcbin has no a=msid, only the per-SSRC one. */
  fail_unless_equals_string (video->msid,
      "user1886499315@host-ce0734a8 webrtctransceiver0");
  fail_unless_equals_string (video->cname, "user1886499315@host-ce0734a8");

  /* Port 0 with a=bundle-only is not a rejection. */
  fail_unless_equals_string (audio->mid, "audio1");
  fail_unless (audio->bundle_only);
  fail_if (audio->rejected);
  check_codec (codec_at (audio, 0), 97, "OPUS", 48000, 2, 0);
  fail_unless_equals_int (codec_at (audio, 0)->feedback,
      GST_RTC_RTCP_FB_NACK_PLI);
  fail_unless_equals_string (audio->ice_ufrag,
      "vQRggY7Sgn5TeMGJpxVH/CMmqvY+KFZz");
  fail_unless_equals_string (audio->ice_ufrag, video->ice_ufrag);
  fail_unless_equals_uint64 (audio->ssrc, 3811693399u);
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_parse_aiortc)
{
  GstRtcSessionDescription *desc =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "aiortc-offer.sdp");
  GstRtcMediaDescription *audio = media_at (desc, 0);
  GstRtcMediaDescription *video = media_at (desc, 1);
  const gchar *fingerprint = "sha-256 85:4A:14:43:06:C3:A5:42:CA:ED:B5:FA:F1:"
      "06:6C:FB:11:CA:75:28:80:54:1D:7D:1A:6D:B3:9B:CA:F1:D0:60";

  fail_if (desc->ice_trickle);
  fail_unless_equals_uint64 (desc->session_version, 3910656569u);
  /* A transport per m-line, inside BUNDLE. */
  fail_unless_equals_string (audio->ice_ufrag, "pa2s");
  fail_unless_equals_string (audio->ice_pwd, "nHFPw9ifZ8OICmm4kaJqpg");
  fail_unless_equals_string (video->ice_ufrag, "uLOy");
  fail_unless_equals_string (video->ice_pwd, "cdmnN50pu4lhLmPsVMLUtw");
  /* sha-256 picked among sha-256, sha-384 and sha-512. */
  fail_unless_equals_string (audio->fingerprint, fingerprint);
  fail_unless_equals_string (video->fingerprint, fingerprint);
  for (guint i = 0; i < 2; i++) {
    GstRtcMediaDescription *media = media_at (desc, i);

    fail_unless_equals_int (media->candidates->len, 3);
    fail_unless (media->end_of_candidates);
    fail_unless (g_str_has_prefix (g_ptr_array_index (media->candidates, 0),
            "candidate:"));
    fail_unless (strstr (g_ptr_array_index (media->candidates, 2),
            "typ srflx raddr 192.168.1.23") != NULL);
    fail_unless_equals_int (media->ext_mid, 1);
  }
  check_codec (codec_at (audio, 0), 96, "OPUS", 48000, 2, 0);
  fail_unless_equals_string (codec_at (audio, 0)->fmtp, NULL);
  fail_unless_equals_int (video->codecs->len, 3);
  check_codec (codec_at (video, 0), 97, "VP8", 90000, 0, 98);
  check_codec (codec_at (video, 1), 99, "H264", 90000, 0, 100);
  check_fmtp (codec_at (video, 1), "profile-level-id", "42001f");
  check_codec (codec_at (video, 2), 101, "H264", 90000, 0, 102);
  fail_unless_equals_uint64 (audio->ssrc, 135728116u);
  fail_unless_equals_uint64 (video->ssrc, 645693844u);
  fail_unless_equals_uint64 (video->rtx_ssrc, 1908742820u);
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_parse_chromium_answer)
{
  GstRtcSessionDescription *desc = parse_fixture (GST_RTC_SDP_TYPE_ANSWER,
      "chromium-answer-to-webrtcbin.sdp");

  fail_unless_equals_int (desc->media->len, 2);
  fail_unless_equals_int (media_at (desc, 0)->setup,
      GST_RTC_DTLS_SETUP_ACTIVE);
  fail_unless_equals_int (media_at (desc, 1)->setup,
      GST_RTC_DTLS_SETUP_ACTIVE);
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

/* ---- round trips ---- */

GST_START_TEST (test_round_trip)
{
  const gchar *const fixtures[] = { "chromium-offer.sdp", "firefox-offer.sdp",
    "safari-offer.sdp", "webrtcbin-offer.sdp", "aiortc-offer.sdp",
    "chromium-answer-to-webrtcbin.sdp", NULL
  };

  for (guint i = 0; fixtures[i] != NULL; i++) {
    GstRtcSdpType type = g_str_has_suffix (fixtures[i], "-offer.sdp") ?
        GST_RTC_SDP_TYPE_OFFER : GST_RTC_SDP_TYPE_ANSWER;
    GstRtcSessionDescription *first = parse_fixture (type, fixtures[i]);
    GstRtcSessionDescription *copy = gst_rtc_session_description_copy (first);
    GstRtcSessionDescription *second;
    gchar *text = gst_rtc_session_description_to_string (first);
    gchar *again;

    GST_INFO ("%s written back:\n%s", fixtures[i], text);
    second = parse_text (type, text);
    assert_session_equal (first, second);
    assert_session_equal (first, copy);
    /* Writing is deterministic once the session id is known. */
    again = gst_rtc_session_description_to_string (second);
    fail_unless_equals_string (text, again);
    g_free (again);
    g_free (text);
    gst_rtc_session_description_free (first);
    gst_rtc_session_description_free (second);
    gst_rtc_session_description_free (copy);
  }
}

GST_END_TEST;

GST_START_TEST (test_write_shape)
{
  GstRtcSessionDescription *desc =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "webrtcbin-offer.sdp");
  gchar *text;

  g_free (desc->session_id);
  desc->session_id = NULL;
  text = gst_rtc_session_description_to_string (desc);
  fail_unless (g_str_has_prefix (text, "v=0\r\no=- "));
  fail_unless (strstr (text, " 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"));
  fail_unless (strstr (text, "a=group:BUNDLE video0 audio1\r\n"));
  fail_unless (strstr (text, "a=ice-options:trickle\r\n"));
  fail_unless (strstr (text, "a=msid-semantic: WMS *\r\n"));
  fail_unless (strstr (text, "m=video 9 UDP/TLS/RTP/SAVPF 96 101 98 100 99"
          "\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"));
  fail_unless (strstr (text, "m=audio 0 UDP/TLS/RTP/SAVPF 97\r\n"));
  fail_unless (strstr (text, "a=bundle-only\r\n"));
  fail_unless (strstr (text, "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
          "a=rtcp-fb:96 nack pli\r\na=rtpmap:101 rtx/90000\r\n"
          "a=fmtp:101 apt=96\r\n"));
  fail_unless (strstr (text, "a=rtpmap:97 opus/48000/2\r\n"));
  fail_unless (strstr (text, "a=ssrc-group:FID 805529145 3453744274\r\n"
          "a=ssrc:805529145 cname:user1886499315@host-ce0734a8\r\n"));
  fail_unless (strstr (text, "a=setup:actpass\r\n"));
  fail_unless (strstr (text, "a=rtcp-mux\r\n"));
  g_free (text);
  gst_rtc_session_description_free (desc);
}

GST_END_TEST;

/* ---- answers ---- */

static GstRtcMediaDescription *
answer_with_defaults (const GstRtcMediaDescription * offered,
    GstRtcDirection local)
{
  GPtrArray *codecs = gst_rtc_codecs_default (offered->kind);
  GError *error = NULL;
  GstRtcMediaDescription *answer =
      gst_rtc_sdp_answer_media (offered, codecs, local, &error);

  fail_unless (answer != NULL, "no answer: %s",
      error != NULL ? error->message : "");
  g_ptr_array_unref (codecs);
  return answer;
}

/* Answers a whole offer as rtcbin would, filling in our transport. */
static GstRtcSessionDescription *
answer_offer (const GstRtcSessionDescription * offer)
{
  GstRtcSessionDescription *answer =
      gst_rtc_session_description_new (GST_RTC_SDP_TYPE_ANSWER);

  answer->session_id = g_strdup ("4242");
  answer->bundle_mids = g_strdupv (offer->bundle_mids);
  answer->ice_trickle = TRUE;
  for (guint i = 0; i < offer->media->len; i++) {
    GstRtcMediaDescription *media = answer_with_defaults (media_at (offer, i),
        GST_RTC_DIRECTION_SENDRECV);

    if (!media->rejected) {
      media->ice_ufrag = g_strdup ("abcd");
      media->ice_pwd = g_strdup ("0123456789abcdefghijkl");
      media->fingerprint = g_strdup ("sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:"
          "44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99");
      media->setup = GST_RTC_DTLS_SETUP_ACTIVE;
    }
    g_ptr_array_add (answer->media, media);
  }
  return answer;
}

GST_START_TEST (test_answer_chromium)
{
  GstRtcSessionDescription *offer =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "chromium-offer.sdp");
  GstRtcMediaDescription *audio, *video;
  GstRtcSessionDescription *answer, *parsed;
  GError *error = NULL;
  gchar *text;

  audio = answer_with_defaults (media_at (offer, 0),
      GST_RTC_DIRECTION_SENDRECV);
  fail_if (audio->rejected);
  fail_unless_equals_string (audio->mid, "0");
  fail_unless_equals_int (audio->mline, 0);
  fail_unless_equals_int (audio->codecs->len, 3);
  check_codec (codec_at (audio, 0), 111, "OPUS", 48000, 2, 0);
  fail_unless_equals_string (codec_at (audio, 0)->fmtp,
      "minptime=10;useinbandfec=1");
  fail_unless_equals_int (codec_at (audio, 0)->feedback,
      GST_RTC_RTCP_FB_TRANSPORT_CC);
  check_codec (codec_at (audio, 1), 0, "PCMU", 8000, 1, 0);
  check_codec (codec_at (audio, 2), 8, "PCMA", 8000, 1, 0);
  fail_unless_equals_int (audio->ext_mid, 4);
  fail_unless_equals_int (audio->ext_twcc, 3);
  fail_unless_equals_int (audio->direction, GST_RTC_DIRECTION_SENDRECV);
  fail_unless (audio->rtcp_mux);
  fail_if (audio->rtcp_rsize);
  fail_unless (audio->ice_ufrag == NULL && audio->fingerprint == NULL);
  fail_unless_equals_int (audio->setup, GST_RTC_DTLS_SETUP_NONE);

  video = answer_with_defaults (media_at (offer, 1),
      GST_RTC_DIRECTION_RECVONLY);
  fail_if (video->rejected);
  fail_unless_equals_int (video->direction, GST_RTC_DIRECTION_RECVONLY);
  /* The offerer's order and payload types; pm=0, Main, AV1 and VP9
   * profile 2 left out. */
  fail_unless_equals_int (video->codecs->len, 5);
  check_codec (codec_at (video, 0), 96, "VP8", 90000, 0, 97);
  check_codec (codec_at (video, 1), 102, "H264", 90000, 0, 103);
  fail_unless_equals_string (codec_at (video, 1)->fmtp,
      "level-asymmetry-allowed=1;packetization-mode=1;"
      "profile-level-id=42001f");
  check_codec (codec_at (video, 2), 106, "H264", 90000, 0, 107);
  fail_unless_equals_string (codec_at (video, 2)->fmtp,
      "level-asymmetry-allowed=1;packetization-mode=1;"
      "profile-level-id=42e01f");
  check_codec (codec_at (video, 3), 98, "VP9", 90000, 0, 99);
  fail_unless_equals_string (codec_at (video, 3)->fmtp, "profile-id=0");
  check_codec (codec_at (video, 4), 112, "H264", 90000, 0, 113);
  fail_unless_equals_string (codec_at (video, 4)->fmtp,
      "level-asymmetry-allowed=1;packetization-mode=1;"
      "profile-level-id=64001f");
  fail_unless_equals_int (codec_at (video, 0)->feedback,
      GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
      GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC |
      GST_RTC_RTCP_FB_GOOG_REMB);
  fail_unless_equals_int (video->ext_mid, 4);
  fail_unless_equals_int (video->ext_rid, 10);
  fail_unless_equals_int (video->ext_twcc, 3);
  fail_unless (video->rtcp_rsize);
  gst_rtc_media_description_free (audio);
  gst_rtc_media_description_free (video);

  /* The whole answer, written and read back, answers the offer. */
  answer = answer_offer (offer);
  fail_unless (gst_rtc_sdp_validate_answer (offer, answer, &error),
      "%s", error != NULL ? error->message : "");
  text = gst_rtc_session_description_to_string (answer);
  parsed = parse_text (GST_RTC_SDP_TYPE_ANSWER, text);
  assert_session_equal (answer, parsed);
  fail_unless (gst_rtc_sdp_validate_answer (offer, parsed, &error),
      "%s", error != NULL ? error->message : "");
  g_free (text);
  gst_rtc_session_description_free (parsed);
  gst_rtc_session_description_free (answer);
  gst_rtc_session_description_free (offer);
}

GST_END_TEST;

GST_START_TEST (test_answer_every_fixture)
{
  for (guint i = 0; offer_fixtures[i] != NULL; i++) {
    GstRtcSessionDescription *offer =
        parse_fixture (GST_RTC_SDP_TYPE_OFFER, offer_fixtures[i]);
    GstRtcSessionDescription *answer = answer_offer (offer);
    GstRtcSessionDescription *parsed;
    GError *error = NULL;
    gchar *text;

    for (guint j = 0; j < answer->media->len; j++) {
      GstRtcMediaDescription *media = media_at (answer, j);
      GstRtcCodec *first = codec_at (media, 0);

      fail_if (media->rejected, "%s m-line %u rejected", offer_fixtures[i], j);
      fail_unless (g_strv_contains ((const gchar * []) {
              "OPUS", "VP8", "H264", NULL}, first->encoding_name));
      fail_unless (gst_rtc_media_description_find_codec (media_at (offer, j),
              first->payload_type) != NULL);
    }
    fail_unless (gst_rtc_sdp_validate_answer (offer, answer, &error),
        "%s: %s", offer_fixtures[i], error != NULL ? error->message : "");
    text = gst_rtc_session_description_to_string (answer);
    parsed = parse_text (GST_RTC_SDP_TYPE_ANSWER, text);
    fail_unless (gst_rtc_sdp_validate_answer (offer, parsed, NULL));
    g_free (text);
    gst_rtc_session_description_free (parsed);
    gst_rtc_session_description_free (answer);
    gst_rtc_session_description_free (offer);
  }
}

GST_END_TEST;

#define FP "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:" \
    "00:11:22:33:44:55:66:77:88:99"

/* A small valid offer, which the malformed cases below break one way each. */
static const gchar base_offer[] =
    "v=0\r\n"
    "o=- 123 1 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE a v\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijkl\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:a\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijkl\r\n"
    "a=fingerprint:sha-256 " FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:v\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n";

/* base_offer with the first occurrence of @from replaced by @to. */
static gchar *
edit_offer (const gchar * from, const gchar * to)
{
  const gchar *at = strstr (base_offer, from);
  GString *text = g_string_new (NULL);

  fail_unless (at != NULL, "\"%s\" is not in the base offer", from);
  g_string_append_len (text, base_offer, at - base_offer);
  g_string_append (text, to);
  g_string_append (text, at + strlen (from));
  return g_string_free (text, FALSE);
}

GST_START_TEST (test_answer_unknown_codecs)
{
  gchar *text = edit_offer ("a=rtpmap:111 opus/48000/2",
      "a=rtpmap:111 FOO/8000");
  GstRtcSessionDescription *offer = parse_text (GST_RTC_SDP_TYPE_OFFER, text);
  GstRtcSessionDescription *answer = answer_offer (offer);
  GstRtcSessionDescription *parsed;
  GstRtcMediaDescription *rejected = media_at (answer, 0);
  GstRtcMediaDescription *accepted = media_at (answer, 1);
  GError *error = NULL;
  gchar *answer_text;

  /* Unknown codecs are kept by the parser under their name... */
  check_codec (codec_at (media_at (offer, 0), 0), 111, "FOO", 8000, 1, 0);
  /* ...and the answerer rejects their m-line, keeping one format. */
  fail_unless (rejected->rejected);
  fail_unless_equals_string (rejected->mid, "a");
  fail_unless_equals_int (rejected->codecs->len, 1);
  fail_unless_equals_int (rejected->direction, GST_RTC_DIRECTION_INACTIVE);
  fail_if (accepted->rejected);
  check_codec (codec_at (accepted, 0), 96, "VP8", 90000, 0, 97);

  fail_unless (gst_rtc_sdp_validate_answer (offer, answer, &error), "%s",
      error != NULL ? error->message : "");
  answer_text = gst_rtc_session_description_to_string (answer);
  fail_unless (strstr (answer_text, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\n"));
  fail_unless (strstr (answer_text, "a=mid:a\r\n"));
  parsed = parse_text (GST_RTC_SDP_TYPE_ANSWER, answer_text);
  assert_session_equal (answer, parsed);
  fail_unless (gst_rtc_sdp_validate_answer (offer, parsed, NULL));

  g_free (answer_text);
  g_free (text);
  gst_rtc_session_description_free (parsed);
  gst_rtc_session_description_free (answer);
  gst_rtc_session_description_free (offer);
}

GST_END_TEST;

GST_START_TEST (test_answer_arguments)
{
  GstRtcMediaDescription *offered =
      gst_rtc_media_description_new (0, GST_RTC_MEDIA_KIND_VIDEO);
  GPtrArray *local = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_VIDEO);
  GstRtcMediaDescription *answer;
  GError *error = NULL;

  /* An m-line with no codecs at all: rejected, not an error. */
  answer = gst_rtc_sdp_answer_media (offered, local,
      GST_RTC_DIRECTION_SENDRECV, &error);
  fail_unless (answer != NULL);
  fail_unless (answer->rejected);
  gst_rtc_media_description_free (answer);

  /* A malformed argument is. */
  g_ptr_array_unref (offered->codecs);
  offered->codecs = NULL;
  answer = gst_rtc_sdp_answer_media (offered, local,
      GST_RTC_DIRECTION_SENDRECV, &error);
  fail_unless (answer == NULL);
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  g_clear_error (&error);

  gst_rtc_media_description_free (offered);
  g_ptr_array_unref (local);
}

GST_END_TEST;

GST_START_TEST (test_direction_table)
{
  static const struct
  {
    GstRtcDirection offered, local, answer;
  } table[] = {
    {GST_RTC_DIRECTION_SENDRECV, GST_RTC_DIRECTION_SENDRECV,
        GST_RTC_DIRECTION_SENDRECV},
    {GST_RTC_DIRECTION_SENDRECV, GST_RTC_DIRECTION_SENDONLY,
        GST_RTC_DIRECTION_SENDONLY},
    {GST_RTC_DIRECTION_SENDRECV, GST_RTC_DIRECTION_RECVONLY,
        GST_RTC_DIRECTION_RECVONLY},
    {GST_RTC_DIRECTION_SENDRECV, GST_RTC_DIRECTION_INACTIVE,
        GST_RTC_DIRECTION_INACTIVE},
    {GST_RTC_DIRECTION_SENDONLY, GST_RTC_DIRECTION_SENDRECV,
        GST_RTC_DIRECTION_RECVONLY},
    {GST_RTC_DIRECTION_SENDONLY, GST_RTC_DIRECTION_RECVONLY,
        GST_RTC_DIRECTION_RECVONLY},
    {GST_RTC_DIRECTION_SENDONLY, GST_RTC_DIRECTION_SENDONLY,
        GST_RTC_DIRECTION_INACTIVE},
    {GST_RTC_DIRECTION_SENDONLY, GST_RTC_DIRECTION_INACTIVE,
        GST_RTC_DIRECTION_INACTIVE},
    {GST_RTC_DIRECTION_RECVONLY, GST_RTC_DIRECTION_SENDRECV,
        GST_RTC_DIRECTION_SENDONLY},
    {GST_RTC_DIRECTION_RECVONLY, GST_RTC_DIRECTION_SENDONLY,
        GST_RTC_DIRECTION_SENDONLY},
    {GST_RTC_DIRECTION_RECVONLY, GST_RTC_DIRECTION_RECVONLY,
        GST_RTC_DIRECTION_INACTIVE},
    {GST_RTC_DIRECTION_INACTIVE, GST_RTC_DIRECTION_SENDRECV,
        GST_RTC_DIRECTION_INACTIVE},
    {GST_RTC_DIRECTION_INACTIVE, GST_RTC_DIRECTION_INACTIVE,
        GST_RTC_DIRECTION_INACTIVE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    fail_unless (gst_rtc_direction_answer (table[i].offered,
            table[i].local) == table[i].answer, "row %u", i);

  fail_unless_equals_int (gst_rtc_direction_reverse
      (GST_RTC_DIRECTION_SENDONLY), GST_RTC_DIRECTION_RECVONLY);
  fail_unless_equals_int (gst_rtc_direction_reverse
      (GST_RTC_DIRECTION_RECVONLY), GST_RTC_DIRECTION_SENDONLY);
  fail_unless_equals_int (gst_rtc_direction_reverse
      (GST_RTC_DIRECTION_SENDRECV), GST_RTC_DIRECTION_SENDRECV);
  fail_unless_equals_int (gst_rtc_direction_reverse
      (GST_RTC_DIRECTION_INACTIVE), GST_RTC_DIRECTION_INACTIVE);
  fail_unless_equals_string (gst_rtc_direction_to_string
      (GST_RTC_DIRECTION_SENDRECV), "sendrecv");
  fail_unless_equals_string (gst_rtc_direction_to_string
      (GST_RTC_DIRECTION_SENDONLY), "sendonly");
  fail_unless_equals_string (gst_rtc_direction_to_string
      (GST_RTC_DIRECTION_RECVONLY), "recvonly");
  fail_unless_equals_string (gst_rtc_direction_to_string
      (GST_RTC_DIRECTION_INACTIVE), "inactive");
}

GST_END_TEST;

GST_START_TEST (test_h264_profiles)
{
#define LAA "level-asymmetry-allowed=1;"
#define PM1 "packetization-mode=1;"
  static const struct
  {
    const gchar *offered_fmtp;
    const gchar *local_fmtp;    /* NULL: our defaults, 42e01f and 640c1f */
    const gchar *answer_fmtp;   /* NULL: rejected */
  } table[] = {
    {LAA PM1 "profile-level-id=42e01f", NULL,
        LAA PM1 "profile-level-id=42e01f"},
    /* Baseline offered: what we send in constrained baseline is baseline
     * too, so we answer with the offered profile. */
    {LAA PM1 "profile-level-id=42001f", NULL,
        LAA PM1 "profile-level-id=42001f"},
    /* Main is none of ours. */
    {LAA PM1 "profile-level-id=4d001f", NULL, NULL},
    /* Constrained high 3.1, exactly ours. */
    {LAA PM1 "profile-level-id=640c1f", NULL,
        LAA PM1 "profile-level-id=640c1f"},
    /* High offered: constrained high is a subset of it. */
    {LAA PM1 "profile-level-id=64001f", NULL,
        LAA PM1 "profile-level-id=64001f"},
    /* High 5.1: with level asymmetry our 3.1 stands, and without it the
     * lower of the two is ours too. */
    {LAA PM1 "profile-level-id=640033", NULL,
        LAA PM1 "profile-level-id=64001f"},
    {PM1 "profile-level-id=640033", NULL, PM1 "profile-level-id=64001f"},
    /* Level 1.0 offered: our 3.1 with asymmetry, 1.0 without. */
    {LAA PM1 "profile-level-id=42e00a", NULL,
        LAA PM1 "profile-level-id=42e01f"},
    {PM1 "profile-level-id=42e00a", NULL, PM1 "profile-level-id=42e00a"},
    {PM1 "profile-level-id=640c0a", NULL, PM1 "profile-level-id=640c0a"},
    /* Level 1b (level_idc 11 with constraint_set3) is below 1.1. */
    {PM1 "profile-level-id=42f00b", NULL, PM1 "profile-level-id=42f00b"},
    /* 42c0 and 4240 are constrained baseline as well as 42e0; so is Main
     * with constraint_set0, 4de0. Main with only constraint_set1 is not. */
    {PM1 "profile-level-id=42c01f", NULL, PM1 "profile-level-id=42c01f"},
    {PM1 "profile-level-id=42401f", NULL, PM1 "profile-level-id=42401f"},
    {PM1 "profile-level-id=4de01f", NULL, PM1 "profile-level-id=4de01f"},
    {PM1 "profile-level-id=4d401f", NULL, NULL},
    /* Only packetization-mode 1 is ours (the default is 0). */
    {LAA "packetization-mode=0;profile-level-id=42e01f", NULL, NULL},
    {"profile-level-id=42e01f", NULL, NULL},
    /* No profile-level-id: Baseline 1.0 (RFC 6184 section 8.1). */
    {"packetization-mode=1", NULL, PM1 "profile-level-id=42000a"},
    /* Constrained baseline offered, when we only have High. */
    {LAA PM1 "profile-level-id=42e01f", LAA PM1 "profile-level-id=64001f",
        NULL},
    /* High offered, when we only have constrained baseline. */
    {LAA PM1 "profile-level-id=64001f", LAA PM1 "profile-level-id=42e01f",
        NULL},
    /* Constrained high offered, when we have High: we might send what
     * they cannot decode. */
    {LAA PM1 "profile-level-id=640c1f", LAA PM1 "profile-level-id=64001f",
        NULL},
    {PM1 "profile-level-id=zzzzzz", NULL, NULL},
    {PM1 "profile-level-id=42e0", NULL, NULL},
    /* "": caps without fmtp, those of a payloader before its encoder
     * has chosen a profile. We take the offered profile and level and
     * send packetization mode 1, as rtph264pay does. */
    {LAA PM1 "profile-level-id=42e01f", "", LAA PM1 "profile-level-id=42e01f"},
    {PM1 "profile-level-id=640c33", "", PM1 "profile-level-id=640c33"},
    {"packetization-mode=0;profile-level-id=42e01f", "", NULL},
    /* Only the mode known: any profile offered. */
    {PM1 "profile-level-id=4d001f", "packetization-mode=1",
        PM1 "profile-level-id=4d001f"},
  };
#undef LAA
#undef PM1

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    GstRtcMediaDescription *offered =
        gst_rtc_media_description_new (0, GST_RTC_MEDIA_KIND_VIDEO);
    GPtrArray *local;
    GstRtcMediaDescription *answer;

    if (table[i].local_fmtp != NULL) {
      local = g_ptr_array_new_with_free_func ((GDestroyNotify)
          gst_rtc_codec_free);
      g_ptr_array_add (local, gst_rtc_codec_new (100, "H264", 90000, 0,
              table[i].local_fmtp[0] != '\0' ? table[i].local_fmtp : NULL));
    } else {
      local = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_VIDEO);
    }
    g_ptr_array_add (offered->codecs, gst_rtc_codec_new (120, "H264", 90000,
            0, table[i].offered_fmtp));

    answer = gst_rtc_sdp_answer_media (offered, local,
        GST_RTC_DIRECTION_SENDRECV, NULL);
    fail_unless (answer != NULL);
    if (table[i].answer_fmtp == NULL) {
      fail_unless (answer->rejected, "row %u (%s) should be rejected, got %s",
          i, table[i].offered_fmtp, codec_at (answer, 0)->fmtp);
    } else {
      fail_if (answer->rejected, "row %u (%s) rejected", i,
          table[i].offered_fmtp);
      fail_unless_equals_int (codec_at (answer, 0)->payload_type, 120);
      fail_unless (g_strcmp0 (codec_at (answer, 0)->fmtp,
              table[i].answer_fmtp) == 0, "row %u: \"%s\" != \"%s\"", i,
          codec_at (answer, 0)->fmtp, table[i].answer_fmtp);
    }
    gst_rtc_media_description_free (answer);
    gst_rtc_media_description_free (offered);
    g_ptr_array_unref (local);
  }
}

GST_END_TEST;

GST_START_TEST (test_vp9_and_opus_matching)
{
  GstRtcMediaDescription *video =
      gst_rtc_media_description_new (0, GST_RTC_MEDIA_KIND_VIDEO);
  GstRtcMediaDescription *audio =
      gst_rtc_media_description_new (1, GST_RTC_MEDIA_KIND_AUDIO);
  GstRtcMediaDescription *answer;
  GstRtcCodec *codec;

  /* VP9 without profile-id is profile 0. */
  g_ptr_array_add (video->codecs, gst_rtc_codec_new (100, "VP9", 90000, 0,
          "profile-id=2"));
  codec = gst_rtc_codec_new (101, "vp9", 90000, 0, NULL);
  codec->rtx_payload_type = 102;
  codec->feedback = GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_GOOG_REMB;
  g_ptr_array_add (video->codecs, codec);
  answer = answer_with_defaults (video, GST_RTC_DIRECTION_SENDRECV);
  fail_unless_equals_int (answer->codecs->len, 1);
  check_codec (codec_at (answer, 0), 101, "VP9", 90000, 0, 102);
  fail_unless_equals_string (codec_at (answer, 0)->fmtp, "profile-id=0");
  /* The feedback both sides have, nothing more. */
  fail_unless_equals_int (codec_at (answer, 0)->feedback,
      GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_GOOG_REMB);
  gst_rtc_media_description_free (answer);

  /* RTX only where our codec has it too. */
  {
    GPtrArray *local = g_ptr_array_new_with_free_func ((GDestroyNotify)
        gst_rtc_codec_free);
    GstRtcMediaDescription *vp8 =
        gst_rtc_media_description_new (0, GST_RTC_MEDIA_KIND_VIDEO);

    g_ptr_array_add (local, gst_rtc_codec_new (96, "VP8", 90000, 0, NULL));
    codec = gst_rtc_codec_new (120, "VP8", 90000, 0, "max-fs=12288");
    codec->rtx_payload_type = 124;
    g_ptr_array_add (vp8->codecs, codec);
    answer = gst_rtc_sdp_answer_media (vp8, local, GST_RTC_DIRECTION_SENDRECV,
        NULL);
    check_codec (codec_at (answer, 0), 120, "VP8", 90000, 0, 0);
    fail_unless_equals_string (codec_at (answer, 0)->fmtp, NULL);
    gst_rtc_media_description_free (answer);
    gst_rtc_media_description_free (vp8);
    g_ptr_array_unref (local);
  }

  /* Opus: a sane fmtp whatever was offered. */
  g_ptr_array_add (audio->codecs, gst_rtc_codec_new (109, "opus", 48000, 2,
          "maxplaybackrate=48000;stereo=1;useinbandfec=1"));
  audio->direction = GST_RTC_DIRECTION_SENDONLY;
  audio->rtcp_mux = FALSE;
  answer = answer_with_defaults (audio, GST_RTC_DIRECTION_SENDRECV);
  check_codec (codec_at (answer, 0), 109, "OPUS", 48000, 2, 0);
  fail_unless_equals_string (codec_at (answer, 0)->fmtp,
      "minptime=10;useinbandfec=1");
  fail_unless_equals_int (answer->direction, GST_RTC_DIRECTION_RECVONLY);
  fail_unless (answer->rtcp_mux);
  gst_rtc_media_description_free (answer);

  gst_rtc_media_description_free (video);
  gst_rtc_media_description_free (audio);
}

GST_END_TEST;

/* ---- malformed and hostile input ---- */

static void
expect_error (GstRtcSdpType type, const gchar * text, GstRtcError code,
    const gchar * substring, const gchar * label)
{
  GError *error = NULL;
  GstRtcSessionDescription *desc =
      gst_rtc_session_description_parse (type, text, &error);

  fail_unless (desc == NULL, "%s: parsed when it should not", label);
  fail_unless (error != NULL, "%s: no GError", label);
  fail_unless (error->domain == GST_RTC_ERROR, "%s: wrong domain", label);
  fail_unless (error->code == (gint) code, "%s: code %d (%s)", label,
      error->code, error->message);
  fail_unless (strstr (error->message, substring) != NULL,
      "%s: message \"%s\" does not mention \"%s\"", label, error->message,
      substring);
  GST_INFO ("%s: %s", label, error->message);
  g_error_free (error);
}

static gchar *
repeat_mlines (guint n)
{
  GString *text = g_string_new ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"
      "t=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
      "a=fingerprint:sha-256 " FP "\r\n");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
        "a=mid:%u\r\na=sendrecv\r\n", i);
  return g_string_free (text, FALSE);
}

static gchar *
offer_with_codecs (guint n)
{
  GString *formats = g_string_new (NULL), *maps = g_string_new (NULL);
  gchar *text;

  for (guint i = 0; i < n; i++) {
    g_string_append_printf (formats, " %u", i);
    g_string_append_printf (maps, "a=rtpmap:%u X%u/90000\r\n", i, i);
  }
  text = g_strdup_printf ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF%s\r\na=ice-ufrag:abcd\r\n"
      "a=ice-pwd:0123456789abcdefghijkl\r\na=fingerprint:sha-256 " FP "\r\n"
      "%s", formats->str, maps->str);
  g_string_free (formats, TRUE);
  g_string_free (maps, TRUE);
  return text;
}

static gchar *
offer_with_candidates (guint n)
{
  GString *text = g_string_new (base_offer);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "a=candidate:%u 1 udp 2130706431 "
        "192.0.2.1 %u typ host\r\n", i, 10000 + i);
  return g_string_free (text, FALSE);
}

GST_START_TEST (test_malformed)
{
  static const struct
  {
    const gchar *label;
    GstRtcSdpType type;
    const gchar *from, *to;     /* an edit of base_offer */
    GstRtcError code;
    const gchar *substring;
  } table[] = {
    {"no ufrag", GST_RTC_SDP_TYPE_OFFER,
          "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
          "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=mid:a",
          "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=mid:a",
        GST_RTC_ERROR_INVALID_ACCESS, "m-line 0 (mid \"a\") has no a=ice-ufrag"},
    {"no fingerprint", GST_RTC_SDP_TYPE_OFFER,
          "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=mid:v",
          "a=setup:actpass\r\na=mid:v",
        GST_RTC_ERROR_INVALID_ACCESS, "m-line 1 (mid \"v\"): no a=fingerprint"},
    {"sha-1 fingerprint", GST_RTC_SDP_TYPE_OFFER,
          "a=fingerprint:sha-256 " FP, "a=fingerprint:sha-1 " FP,
        GST_RTC_ERROR_NOT_SUPPORTED, "sha-1"},
    {"short fingerprint", GST_RTC_SDP_TYPE_OFFER,
          "a=fingerprint:sha-256 " FP, "a=fingerprint:sha-256 AA:BB",
        GST_RTC_ERROR_INVALID_ACCESS, "fingerprint"},
    {"fingerprint without hash", GST_RTC_SDP_TYPE_OFFER,
          "a=fingerprint:sha-256 " FP, "a=fingerprint:" FP,
        GST_RTC_ERROR_INVALID_ACCESS, "fingerprint"},
    {"bad setup", GST_RTC_SDP_TYPE_OFFER, "a=setup:actpass",
          "a=setup:holdconn", GST_RTC_ERROR_INVALID_ACCESS, "a=setup:holdconn"},
    {"actpass answer", GST_RTC_SDP_TYPE_ANSWER, "v=0", "v=0",
        GST_RTC_ERROR_INVALID_ACCESS, "actpass"},
    {"actpass pranswer", GST_RTC_SDP_TYPE_PRANSWER, "v=0", "v=0",
        GST_RTC_ERROR_INVALID_ACCESS, "actpass"},
    {"port not a number", GST_RTC_SDP_TYPE_OFFER, "m=audio 9 ",
          "m=audio abc ", GST_RTC_ERROR_SDP_SYNTAX_ERROR, "port \"abc\""},
    {"negative port", GST_RTC_SDP_TYPE_OFFER, "m=video 9 ", "m=video -1 ",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "m-line 1: port"},
    {"port too big", GST_RTC_SDP_TYPE_OFFER, "m=audio 9 ", "m=audio 65536 ",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "port"},
    {"text media", GST_RTC_SDP_TYPE_OFFER, "m=video", "m=text",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "media type \"text\""},
    {"no formats", GST_RTC_SDP_TYPE_OFFER, "SAVPF 111\r\n", "SAVPF\r\n",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "no formats"},
    {"format not a number", GST_RTC_SDP_TYPE_OFFER, "SAVPF 111", "SAVPF opus",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "format \"opus\""},
    {"format out of range", GST_RTC_SDP_TYPE_OFFER, "SAVPF 111", "SAVPF 128",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "payload type"},
    {"duplicate format", GST_RTC_SDP_TYPE_OFFER, "SAVPF 96 97", "SAVPF 96 96",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "twice"},
    {"malformed rtpmap", GST_RTC_SDP_TYPE_OFFER, "a=rtpmap:96 VP8/90000",
          "a=rtpmap:96 VP8", GST_RTC_ERROR_SDP_SYNTAX_ERROR, "a=rtpmap"},
    {"malformed extmap", GST_RTC_SDP_TYPE_OFFER, "a=rtcp-mux\r\na=rtpmap:96",
          "a=rtcp-mux\r\na=extmap:0 urn:x\r\na=rtpmap:96",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "a=extmap"},
    {"malformed ssrc", GST_RTC_SDP_TYPE_OFFER, "a=rtcp-mux\r\na=rtpmap:96",
          "a=rtcp-mux\r\na=ssrc:x cname:y\r\na=rtpmap:96",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "a=ssrc"},
    {"bundle names unknown mid", GST_RTC_SDP_TYPE_OFFER,
          "a=group:BUNDLE a v", "a=group:BUNDLE a x",
        GST_RTC_ERROR_INVALID_ACCESS, "BUNDLE names mid \"x\""},
    {"bundle longer than the m-lines", GST_RTC_SDP_TYPE_OFFER,
          "a=group:BUNDLE a v", "a=group:BUNDLE a v a",
        GST_RTC_ERROR_INVALID_ACCESS, "names 3 mids but there are 2 m-lines"},
    {"bundle names a mid twice", GST_RTC_SDP_TYPE_OFFER,
          "a=group:BUNDLE a v", "a=group:BUNDLE a a",
        GST_RTC_ERROR_INVALID_ACCESS, "names mid \"a\" twice"},
    {"mid too long", GST_RTC_SDP_TYPE_OFFER, "a=mid:v",
          "a=mid:vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
          "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
          "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
          "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv",
        GST_RTC_ERROR_INVALID_ACCESS, "m-line 1: a=mid is longer than 255"},
    {"17 rids", GST_RTC_SDP_TYPE_OFFER, "a=rtcp-mux\r\na=rtpmap:96",
          "a=rtcp-mux\r\na=rid:0 send\r\na=rid:1 send\r\na=rid:2 send\r\n"
          "a=rid:3 send\r\na=rid:4 send\r\na=rid:5 send\r\na=rid:6 send\r\n"
          "a=rid:7 send\r\na=rid:8 send\r\na=rid:9 send\r\na=rid:a send\r\n"
          "a=rid:b send\r\na=rid:c send\r\na=rid:d send\r\na=rid:e send\r\n"
          "a=rid:f send\r\na=rid:g send\r\na=rtpmap:96",
        GST_RTC_ERROR_INVALID_ACCESS, "more than 16 a=rid"},
    {"duplicate mid", GST_RTC_SDP_TYPE_OFFER, "a=mid:v", "a=mid:a",
        GST_RTC_ERROR_INVALID_ACCESS, "m-line 1 repeats the mid \"a\""},
    {"does not start with v=0", GST_RTC_SDP_TYPE_OFFER, "v=0", "v=1",
        GST_RTC_ERROR_SDP_SYNTAX_ERROR, "v=0"},
  };
  gchar *text;
  gchar *garbage;
  gint64 start;
  GRand *rand;

  /* The base offer itself parses, as offer and (minus actpass) answer. */
  g_assert_nonnull (text = g_strdup (base_offer));
  gst_rtc_session_description_free (parse_text (GST_RTC_SDP_TYPE_OFFER,
          text));
  g_free (text);

  for (guint i = 0; i < G_N_ELEMENTS (table); i++) {
    text = edit_offer (table[i].from, table[i].to);
    expect_error (table[i].type, text, table[i].code, table[i].substring,
        table[i].label);
    g_free (text);
  }

  expect_error (GST_RTC_SDP_TYPE_OFFER, "", GST_RTC_ERROR_SDP_SYNTAX_ERROR,
      "v=0", "empty");
  expect_error (GST_RTC_SDP_TYPE_OFFER, "hello world",
      GST_RTC_ERROR_SDP_SYNTAX_ERROR, "v=0", "garbage");
  expect_error (GST_RTC_SDP_TYPE_OFFER,
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
      GST_RTC_ERROR_SDP_SYNTAX_ERROR, "no m-line", "no m-line");
  expect_error (GST_RTC_SDP_TYPE_ROLLBACK, base_offer,
      GST_RTC_ERROR_TYPE_ERROR, "rollback", "rollback");

  /* Limits. */
  text = repeat_mlines (64);
  gst_rtc_session_description_free (parse_text (GST_RTC_SDP_TYPE_OFFER,
          text));
  g_free (text);
  text = repeat_mlines (65);
  expect_error (GST_RTC_SDP_TYPE_OFFER, text, GST_RTC_ERROR_INVALID_ACCESS,
      "more than 64 m-lines", "65 m-lines");
  g_free (text);
  text = offer_with_codecs (64);
  gst_rtc_session_description_free (parse_text (GST_RTC_SDP_TYPE_OFFER,
          text));
  g_free (text);
  text = offer_with_codecs (65);
  expect_error (GST_RTC_SDP_TYPE_OFFER, text, GST_RTC_ERROR_INVALID_ACCESS,
      "more than 64 codecs", "65 codecs");
  g_free (text);
  text = offer_with_candidates (256);
  gst_rtc_session_description_free (parse_text (GST_RTC_SDP_TYPE_OFFER,
          text));
  g_free (text);
  text = offer_with_candidates (257);
  expect_error (GST_RTC_SDP_TYPE_OFFER, text, GST_RTC_ERROR_INVALID_ACCESS,
      "more than 256 candidates", "257 candidates");
  g_free (text);

  /* 100 KB of garbage, refused quickly; then the same after a v=0 line,
   * which GstSDPMessage has to read through. */
  rand = g_rand_new_with_seed (7983);
  garbage = g_malloc (100 * 1024 + 1);
  for (guint i = 0; i < 100 * 1024; i++)
    garbage[i] = 0x20 + g_rand_int_range (rand, 0, 95);
  g_rand_free (rand);
  garbage[100 * 1024] = '\0';
  start = g_get_monotonic_time ();
  expect_error (GST_RTC_SDP_TYPE_OFFER, garbage,
      GST_RTC_ERROR_SDP_SYNTAX_ERROR, "v=0", "100 KB garbage");
  memcpy (garbage, "v=0\n", 4);
  for (guint i = 100; i < 100 * 1024; i += 100)
    garbage[i] = '\n';
  expect_error (GST_RTC_SDP_TYPE_OFFER, garbage,
      GST_RTC_ERROR_SDP_SYNTAX_ERROR, "", "100 KB garbage after v=0");
  fail_unless (g_get_monotonic_time () - start < G_USEC_PER_SEC);
  g_free (garbage);

  garbage = g_malloc0 (2 * 1024 * 1024 + 1);
  memset (garbage, 'a', 2 * 1024 * 1024);
  memcpy (garbage, "v=0\n", 4);
  expect_error (GST_RTC_SDP_TYPE_OFFER, garbage, GST_RTC_ERROR_INVALID_ACCESS,
      "limit", "2 MB");
  g_free (garbage);
}

GST_END_TEST;

GST_START_TEST (test_accepted_oddities)
{
  GstRtcSessionDescription *desc;
  GstRtcMediaDescription *media;
  gchar *text, *written;

  /* Session-level ICE credentials; no a=mid or BUNDLE at all. */
  desc = parse_text (GST_RTC_SDP_TYPE_OFFER,
      "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
      "a=fingerprint:sha-256 " FP "\r\na=setup:actpass\r\na=ice-lite\r\n"
      "m=audio 9 RTP/SAVPF 0 8\r\na=recvonly\r\n");
  media = media_at (desc, 0);
  fail_unless (desc->ice_lite);
  fail_unless_equals_string (media->ice_ufrag, "abcd");
  fail_unless_equals_string (media->mid, NULL);
  fail_unless_equals_int (media->direction, GST_RTC_DIRECTION_RECVONLY);
  /* Static payload types without a=rtpmap. */
  check_codec (codec_at (media, 0), 0, "PCMU", 8000, 1, 0);
  check_codec (codec_at (media, 1), 8, "PCMA", 8000, 1, 0);
  gst_rtc_session_description_free (desc);

  /* A bundle-only m-line with no transport of its own inherits the
   * tagged one's (RFC 8843); a rejected one needs none. */
  text = edit_offer ("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "c=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
      "a=ice-pwd:0123456789abcdefghijkl\r\na=fingerprint:sha-256 " FP "\r\n"
      "a=setup:actpass\r\n",
      "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
      "a=bundle-only\r\n");
  desc = parse_text (GST_RTC_SDP_TYPE_OFFER, text);
  media = media_at (desc, 1);
  fail_unless (media->bundle_only);
  fail_if (media->rejected);
  fail_unless_equals_string (media->ice_ufrag, "abcd");
  fail_unless_equals_string (media->fingerprint, "sha-256 " FP);
  fail_unless_equals_int (media->setup, GST_RTC_DTLS_SETUP_ACTPASS);
  gst_rtc_session_description_free (desc);
  g_free (text);

  text = edit_offer ("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
      "c=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
      "a=ice-pwd:0123456789abcdefghijkl\r\na=fingerprint:sha-256 " FP "\r\n"
      "a=setup:actpass\r\n", "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\n");
  desc = parse_text (GST_RTC_SDP_TYPE_OFFER, text);
  fail_unless (media_at (desc, 1)->rejected);
  gst_rtc_session_description_free (desc);
  g_free (text);

  /* Only unknown codecs: kept, not an error. Wildcard feedback. */
  text = edit_offer ("a=rtpmap:96 VP8/90000",
      "a=rtpmap:96 H266/90000\r\na=rtcp-fb:* nack\r\na=rtcp-fb:96 goog-remb");
  desc = parse_text (GST_RTC_SDP_TYPE_OFFER, text);
  media = media_at (desc, 1);
  check_codec (codec_at (media, 0), 96, "H266", 90000, 0, 97);
  fail_unless_equals_int (codec_at (media, 0)->feedback,
      GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_GOOG_REMB);
  gst_rtc_session_description_free (desc);
  g_free (text);

  /* A data channel m-line: kept, rejected, and echoed in an answer. */
  text = g_strconcat (base_offer, "m=application 9 UDP/DTLS/SCTP "
      "webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\n"
      "a=ice-pwd:0123456789abcdefghijkl\r\na=fingerprint:sha-256 " FP "\r\n"
      "a=setup:actpass\r\na=mid:d\r\na=sctp-port:5000\r\n"
      "a=max-message-size:262144\r\n", NULL);
  desc = parse_text (GST_RTC_SDP_TYPE_OFFER, text);
  media = media_at (desc, 2);
  fail_unless (media->rejected);
  fail_unless_equals_string (media->mid, "d");
  fail_unless_equals_string (media->application,
      "UDP/DTLS/SCTP webrtc-datachannel");
  fail_unless_equals_int (media->codecs->len, 0);
  {
    GstRtcSessionDescription *answer = answer_offer (desc);
    GstRtcSessionDescription *parsed;

    fail_unless (media_at (answer, 2)->rejected);
    written = gst_rtc_session_description_to_string (answer);
    fail_unless (strstr (written,
            "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    parsed = parse_text (GST_RTC_SDP_TYPE_ANSWER, written);
    assert_session_equal (answer, parsed);
    fail_unless (gst_rtc_sdp_validate_answer (desc, parsed, NULL));
    g_free (written);
    gst_rtc_session_description_free (parsed);
    gst_rtc_session_description_free (answer);
  }
  written = gst_rtc_session_description_to_string (desc);
  {
    GstRtcSessionDescription *again =
        parse_text (GST_RTC_SDP_TYPE_OFFER, written);

    assert_session_equal (desc, again);
    gst_rtc_session_description_free (again);
  }
  g_free (written);
  gst_rtc_session_description_free (desc);
  g_free (text);
}

GST_END_TEST;

GST_START_TEST (test_truncations)
{
  gchar *text = load_fixture ("chromium-offer.sdp");
  gsize len = strlen (text);
  guint parsed = 0, refused = 0;

  for (guint i = 0; i < 64; i++) {
    gchar *cut = g_strndup (text, len * i / 63);
    GError *error = NULL;
    GstRtcSessionDescription *desc =
        gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, cut,
        &error);

    fail_unless ((desc == NULL) != (error == NULL), "cut at %" G_GSIZE_FORMAT,
        strlen (cut));
    if (desc != NULL)
      parsed++;
    else
      refused++;
    g_clear_error (&error);
    gst_rtc_session_description_free (desc);
    g_free (cut);
  }
  /* The whole text parses; the shortest cuts do not. */
  fail_unless (parsed >= 1);
  fail_unless (refused >= 1);
  g_free (text);
}

GST_END_TEST;

/* ---- validating answers ---- */

GST_START_TEST (test_validate_answer)
{
  GstRtcSessionDescription *offer =
      parse_fixture (GST_RTC_SDP_TYPE_OFFER, "webrtcbin-offer.sdp");
  GstRtcSessionDescription *answer = parse_fixture (GST_RTC_SDP_TYPE_ANSWER,
      "chromium-answer-to-webrtcbin.sdp");
  GstRtcSessionDescription *bad;
  GError *error = NULL;

  fail_unless (gst_rtc_sdp_validate_answer (offer, answer, &error), "%s",
      error != NULL ? error->message : "");

#define EXPECT_INVALID(substring) G_STMT_START { \
  fail_if (gst_rtc_sdp_validate_answer (offer, bad, &error)); \
  fail_unless (g_error_matches (error, GST_RTC_ERROR, \
          GST_RTC_ERROR_INVALID_ACCESS)); \
  fail_unless (strstr (error->message, substring) != NULL, "%s", \
      error->message); \
  GST_INFO ("%s", error->message); \
  g_clear_error (&error); \
  gst_rtc_session_description_free (bad); \
} G_STMT_END

  /* A payload type the offer did not have. */
  bad = gst_rtc_session_description_copy (answer);
  codec_at (media_at (bad, 0), 0)->payload_type = 120;
  EXPECT_INVALID ("m-line 0 (mid \"video0\") of the answer has payload "
      "type 120");

  /* The offer's pt, but for another codec. */
  bad = gst_rtc_session_description_copy (answer);
  g_free (codec_at (media_at (bad, 0), 0)->encoding_name);
  codec_at (media_at (bad, 0), 0)->encoding_name = g_strdup ("H264");
  EXPECT_INVALID ("payload type 96 (H264)");

  /* An RTX payload type the offer did not have. */
  bad = gst_rtc_session_description_copy (answer);
  codec_at (media_at (bad, 0), 0)->rtx_payload_type = 110;
  EXPECT_INVALID ("RTX payload type 110");

  /* Another mid. */
  bad = gst_rtc_session_description_copy (answer);
  g_free (media_at (bad, 1)->mid);
  media_at (bad, 1)->mid = g_strdup ("audio9");
  EXPECT_INVALID ("mid \"audio9\" where the offer has \"audio1\"");

  /* Another kind. */
  bad = gst_rtc_session_description_copy (answer);
  media_at (bad, 1)->kind = GST_RTC_MEDIA_KIND_VIDEO;
  EXPECT_INVALID ("m-line 1");

  /* actpass. */
  bad = gst_rtc_session_description_copy (answer);
  media_at (bad, 0)->setup = GST_RTC_DTLS_SETUP_ACTPASS;
  EXPECT_INVALID ("actpass");

  /* One m-line missing. */
  bad = gst_rtc_session_description_copy (answer);
  g_ptr_array_remove_index (bad->media, 1);
  EXPECT_INVALID ("1 m-lines but the offer 2");

  /* A BUNDLE mid the offer did not bundle. */
  bad = gst_rtc_session_description_copy (answer);
  g_free (bad->bundle_mids[1]);
  bad->bundle_mids[1] = g_strdup ("data");
  EXPECT_INVALID ("\"data\"");

  /* Sending on an m-line the offer only sends on. */
  media_at (offer, 0)->direction = GST_RTC_DIRECTION_SENDONLY;
  bad = gst_rtc_session_description_copy (answer);
  EXPECT_INVALID ("sendrecv, which the offer's sendonly does not allow");
  bad = gst_rtc_session_description_copy (answer);
  media_at (bad, 0)->direction = GST_RTC_DIRECTION_RECVONLY;
  fail_unless (gst_rtc_sdp_validate_answer (offer, bad, NULL));
  gst_rtc_session_description_free (bad);

  /* A rejected m-line in the answer is always fine. */
  bad = gst_rtc_session_description_copy (answer);
  media_at (bad, 0)->rejected = TRUE;
  codec_at (media_at (bad, 0), 0)->payload_type = 120;
  fail_unless (gst_rtc_sdp_validate_answer (offer, bad, NULL));
  gst_rtc_session_description_free (bad);

#undef EXPECT_INVALID
  gst_rtc_session_description_free (answer);
  gst_rtc_session_description_free (offer);
}

GST_END_TEST;

/* ---- codecs ---- */

GST_START_TEST (test_codecs_default)
{
  GPtrArray *video = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_VIDEO);
  GPtrArray *audio = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_AUDIO);
  GstRtcRtcpFeedback all = GST_RTC_RTCP_FB_NACK | GST_RTC_RTCP_FB_NACK_PLI |
      GST_RTC_RTCP_FB_CCM_FIR | GST_RTC_RTCP_FB_TRANSPORT_CC |
      GST_RTC_RTCP_FB_GOOG_REMB;

  fail_unless_equals_int (video->len, 4);
  check_codec (g_ptr_array_index (video, 0), 96, "VP8", 90000, 0, 97);
  check_codec (g_ptr_array_index (video, 1), 98, "VP9", 90000, 0, 99);
  check_fmtp (g_ptr_array_index (video, 1), "profile-id", "0");
  check_codec (g_ptr_array_index (video, 2), 100, "H264", 90000, 0, 101);
  check_fmtp (g_ptr_array_index (video, 2), "profile-level-id", "42e01f");
  check_fmtp (g_ptr_array_index (video, 2), "packetization-mode", "1");
  check_fmtp (g_ptr_array_index (video, 2), "level-asymmetry-allowed", "1");
  check_codec (g_ptr_array_index (video, 3), 102, "H264", 90000, 0, 103);
  check_fmtp (g_ptr_array_index (video, 3), "profile-level-id", "640c1f");
  for (guint i = 0; i < video->len; i++)
    fail_unless_equals_int (((GstRtcCodec *) g_ptr_array_index (video,
                i))->feedback, all);

  fail_unless_equals_int (audio->len, 3);
  check_codec (g_ptr_array_index (audio, 0), 111, "OPUS", 48000, 2, 0);
  fail_unless_equals_string (((GstRtcCodec *) g_ptr_array_index (audio,
              0))->fmtp, "minptime=10;useinbandfec=1");
  fail_unless_equals_int (((GstRtcCodec *) g_ptr_array_index (audio,
              0))->feedback, GST_RTC_RTCP_FB_TRANSPORT_CC);
  check_codec (g_ptr_array_index (audio, 1), 0, "PCMU", 8000, 1, 0);
  check_codec (g_ptr_array_index (audio, 2), 8, "PCMA", 8000, 1, 0);
  g_ptr_array_unref (video);
  g_ptr_array_unref (audio);
}

GST_END_TEST;

GST_START_TEST (test_codec_caps)
{
  GPtrArray *video = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_VIDEO);
  GPtrArray *audio = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_AUDIO);
  GstCaps *caps, *expected;
  GstRtcCodec *codec;
  GError *error = NULL;
  gboolean flag;

  caps = gst_rtc_codec_to_caps (g_ptr_array_index (audio, 0),
      GST_RTC_MEDIA_KIND_AUDIO);
  expected = gst_caps_from_string ("application/x-rtp, media=(string)audio, "
      "encoding-name=(string)OPUS, clock-rate=(int)48000, payload=(int)111, "
      "encoding-params=(string)2, minptime=(string)10, "
      "useinbandfec=(string)1, rtcp-fb-transport-cc=(boolean)true");
  fail_unless (gst_caps_is_equal (caps, expected), "%" GST_PTR_FORMAT, caps);
  gst_caps_unref (expected);
  codec = gst_rtc_codec_new_from_caps (caps, &error);
  fail_unless (codec != NULL);
  assert_codec_equal (codec, g_ptr_array_index (audio, 0));
  gst_rtc_codec_free (codec);
  gst_caps_unref (caps);

  caps = gst_rtc_codec_to_caps (g_ptr_array_index (audio, 1),
      GST_RTC_MEDIA_KIND_AUDIO);
  fail_if (gst_structure_has_field (gst_caps_get_structure (caps, 0),
          "encoding-params"));
  gst_caps_unref (caps);

  caps = gst_rtc_codec_to_caps (g_ptr_array_index (video, 2),
      GST_RTC_MEDIA_KIND_VIDEO);
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (caps, 0), "profile-level-id"), "42e01f");
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (caps, 0), "packetization-mode"), "1");
  fail_unless_equals_string (gst_structure_get_string
      (gst_caps_get_structure (caps, 0), "media"), "video");
  fail_unless (gst_structure_get_boolean (gst_caps_get_structure (caps, 0),
          "rtcp-fb-nack-pli", &flag) && flag);
  fail_unless (gst_structure_get_boolean (gst_caps_get_structure (caps, 0),
          "rtcp-fb-ccm-fir", &flag) && flag);
  fail_unless (gst_structure_get_boolean (gst_caps_get_structure (caps, 0),
          "rtcp-fb-nack", &flag) && flag);
  codec = gst_rtc_codec_new_from_caps (caps, &error);
  check_codec (codec, 100, "H264", 90000, 0, 0);
  fail_unless_equals_string (codec->fmtp, "level-asymmetry-allowed=1;"
      "packetization-mode=1;profile-level-id=42e01f");
  gst_rtc_codec_free (codec);
  gst_caps_unref (caps);

  /* Caps of a payloader, with stream fields that are not fmtp. */
  caps = gst_caps_from_string ("application/x-rtp, media=(string)video, "
      "clock-rate=(int)90000, encoding-name=(string)H264, payload=(int)102, "
      "packetization-mode=(string)1, profile-level-id=(string)42c01f, "
      "ssrc=(uint)1234, timestamp-offset=(uint)5, seqnum-offset=(uint)7, "
      "a-framerate=(string)30");
  codec = gst_rtc_codec_new_from_caps (caps, &error);
  check_codec (codec, 102, "H264", 90000, 0, 0);
  fail_unless_equals_string (codec->fmtp,
      "packetization-mode=1;profile-level-id=42c01f");
  gst_rtc_codec_free (codec);
  gst_caps_unref (caps);

  /* What is missing is named. */
  {
    static const struct
    {
      const gchar *caps, *substring;
    } bad[] = {
      {"application/x-rtp, clock-rate=(int)90000, payload=(int)96",
          "encoding-name"},
      {"application/x-rtp, encoding-name=(string)VP8, payload=(int)96",
          "clock-rate"},
      {"application/x-rtp, encoding-name=(string)VP8, clock-rate=(int)90000",
          "payload"},
      {"application/x-rtp, encoding-name=(string)VP8, clock-rate=(int)90000, "
            "payload=(int)200", "payload"},
      {"video/x-raw", "application/x-rtp"},
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      caps = gst_caps_from_string (bad[i].caps);
      fail_unless (gst_rtc_codec_new_from_caps (caps, &error) == NULL);
      fail_unless (g_error_matches (error, GST_RTC_ERROR,
              GST_RTC_ERROR_TYPE_ERROR));
      fail_unless (strstr (error->message, bad[i].substring) != NULL, "%s",
          error->message);
      g_clear_error (&error);
      gst_caps_unref (caps);
    }
  }

  g_ptr_array_unref (video);
  g_ptr_array_unref (audio);
}

GST_END_TEST;

GST_START_TEST (test_fmtp_and_types)
{
  GstRtcCodec *codec = gst_rtc_codec_new (97, "h264", 90000, 0,
      "profile-level-id=42e01f; packetization-mode=1;level-asymmetry-allowed=1");
  GstRtcSdpType type;
  GValue value = G_VALUE_INIT;
  GstRtcCodec *boxed;

  fail_unless_equals_string (codec->encoding_name, "H264");
  check_fmtp (codec, "packetization-mode", "1");
  check_fmtp (codec, "PROFILE-LEVEL-ID", "42e01f");
  check_fmtp (codec, "sprop-parameter-sets", NULL);

  g_value_init (&value, GST_RTC_TYPE_CODEC);
  g_value_set_boxed (&value, codec);
  boxed = g_value_dup_boxed (&value);
  assert_codec_equal (codec, boxed);
  fail_unless (boxed != codec && boxed->fmtp != codec->fmtp);
  gst_rtc_codec_free (boxed);
  g_value_unset (&value);
  gst_rtc_codec_free (codec);
  fail_unless (G_TYPE_IS_BOXED (GST_RTC_TYPE_MEDIA_DESCRIPTION));
  fail_unless (G_TYPE_IS_BOXED (GST_RTC_TYPE_SESSION_DESCRIPTION));

  for (GstRtcSdpType t = GST_RTC_SDP_TYPE_OFFER;
      t <= GST_RTC_SDP_TYPE_ROLLBACK; t++) {
    fail_unless (gst_rtc_sdp_type_from_string (gst_rtc_sdp_type_to_string (t),
            &type));
    fail_unless_equals_int (type, t);
  }
  fail_unless_equals_string (gst_rtc_sdp_type_to_string
      (GST_RTC_SDP_TYPE_PRANSWER), "pranswer");
  fail_if (gst_rtc_sdp_type_from_string ("offerx", &type));
  fail_if (gst_rtc_sdp_type_from_string (NULL, &type));
}

GST_END_TEST;

static Suite *
sdp_suite (void)
{
  Suite *s = suite_create ("rtcsdp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parse_chromium);
  tcase_add_test (tc, test_parse_firefox);
  tcase_add_test (tc, test_parse_safari);
  tcase_add_test (tc, test_parse_webrtcbin);
  tcase_add_test (tc, test_parse_aiortc);
  tcase_add_test (tc, test_parse_chromium_answer);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_write_shape);
  tcase_add_test (tc, test_answer_chromium);
  tcase_add_test (tc, test_answer_every_fixture);
  tcase_add_test (tc, test_answer_unknown_codecs);
  tcase_add_test (tc, test_answer_arguments);
  tcase_add_test (tc, test_direction_table);
  tcase_add_test (tc, test_h264_profiles);
  tcase_add_test (tc, test_vp9_and_opus_matching);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_accepted_oddities);
  tcase_add_test (tc, test_truncations);
  tcase_add_test (tc, test_validate_answer);
  tcase_add_test (tc, test_codecs_default);
  tcase_add_test (tc, test_codec_caps);
  tcase_add_test (tc, test_fmtp_and_types);
  return s;
}

GST_CHECK_MAIN (sdp);
