/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtcsink's pure parts: the answer it gives a viewer's offer and the
 * trickle fragments it reads. They live in the plugin, not the library,
 * so the file is compiled in here. The offers are real: Chromium's
 * recvonly WHEP offer (captured from Debian chromium 156) and aiortc's. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>

#include "../../plugins/rtc/gstrtcsink-answer.c"

#define CHROMIUM_OFFER \
  GST_RTC_TEST_SOURCE_DIR "/rtcsink-fixtures/chromium-recvonly-offer.sdp"

static gchar *
read_fixture (const gchar * path)
{
  gchar *text = NULL;
  GError *error = NULL;

  fail_unless (g_file_get_contents (path, &text, NULL, &error), "%s: %s",
      path, error ? error->message : "");
  return text;
}

static GstRtcSessionDescription *
parse_offer_file (const gchar * path)
{
  gchar *text = read_fixture (path);
  GError *error = NULL;
  GstRtcSessionDescription *offer;

  offer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, text,
      &error);
  fail_unless (offer != NULL, "%s: %s", path, error ? error->message : "");
  g_free (text);
  return offer;
}

static GstRtcCodec *
default_codec (GstRtcMediaKind kind, const gchar * name)
{
  GPtrArray *defaults = gst_rtc_codecs_default (kind);
  GstRtcCodec *codec = NULL;

  for (guint i = 0; i < defaults->len && codec == NULL; i++) {
    GstRtcCodec *c = g_ptr_array_index (defaults, i);

    if (g_ascii_strcasecmp (c->encoding_name, name) == 0)
      codec = gst_rtc_codec_copy (c);
  }
  g_ptr_array_unref (defaults);
  fail_unless (codec != NULL);
  return codec;
}

/* Writes the answer with transport attributes and checks that the SDP
 * model itself finds it a valid answer to the offer. */
static gchar *
finish_and_validate (const GstRtcSessionDescription * offer,
    GstRtcSinkAnswer * answer)
{
  GPtrArray *candidates = g_ptr_array_new_with_free_func (g_free);
  GstRtcSessionDescription *reparsed;
  GError *error = NULL;
  gchar *text;

  g_ptr_array_add (candidates,
      g_strdup ("candidate:1 1 udp 2015363327 192.0.2.2 43881 typ host"));
  gst_rtc_sink_answer_set_transport (answer, "abcd",
      "0123456789abcdefghijklmn",
      "sha-256 FC:BE:EB:AA:C0:DE:5B:72:50:3D:83:A5:42:64:11:15:1C:46:E4:AC:"
      "F1:53:EE:76:BF:A3:C2:87:6C:86:37:B6", GST_RTC_DTLS_SETUP_ACTIVE,
      candidates, TRUE);
  g_ptr_array_unref (candidates);
  text = gst_rtc_session_description_to_string (answer->answer);
  reparsed = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, text,
      &error);
  fail_unless (reparsed != NULL, "%s\n%s", error ? error->message : "", text);
  fail_unless (gst_rtc_sdp_validate_answer (offer, reparsed, &error), "%s\n%s",
      error ? error->message : "", text);
  gst_rtc_session_description_free (reparsed);
  return text;
}

GST_START_TEST (test_chromium_offer_vp8_opus)
{
  GstRtcSessionDescription *offer = parse_offer_file (CHROMIUM_OFFER);
  GstRtcCodec *vp8 = default_codec (GST_RTC_MEDIA_KIND_VIDEO, "VP8");
  GstRtcCodec *opus = default_codec (GST_RTC_MEDIA_KIND_AUDIO, "OPUS");
  GstRtcSinkSource sources[] = {
    {GST_RTC_MEDIA_KIND_AUDIO, 2, opus, "audio0"},
    {GST_RTC_MEDIA_KIND_VIDEO, 1, vp8, "video0"},
  };
  GstRtcSinkAnswer answer;
  GstRtcMediaDescription *video, *audio;
  const GstRtcCodec *codec;
  GError *error = NULL;
  gchar *text;

  fail_unless (gst_rtc_sink_answer_build (offer, sources, 2, "cname", "sid",
          &answer, &error));
  fail_unless_equals_int (answer.n_accepted, 2);
  fail_unless_equals_int (answer.offer_tag, 0);
  fail_unless_equals_int (answer.config.n_streams, 2);
  fail_unless_equals_string (answer.answer->bundle_mids[0], "0");
  fail_unless_equals_string (answer.answer->bundle_mids[1], "1");
  fail_unless (answer.answer->bundle_mids[2] == NULL);

  video = g_ptr_array_index (answer.answer->media, 0);
  fail_unless (!video->rejected);
  fail_unless_equals_int (video->direction, GST_RTC_DIRECTION_SENDONLY);
  fail_unless_equals_int (video->codecs->len, 1);
  codec = g_ptr_array_index (video->codecs, 0);
  fail_unless_equals_string (codec->encoding_name, "VP8");
  /* The offerer's numbers: VP8 96, its RTX 97. */
  fail_unless_equals_int (codec->payload_type, 96);
  fail_unless_equals_int (codec->rtx_payload_type, 97);
  fail_unless (codec->feedback & GST_RTC_RTCP_FB_NACK_PLI);
  fail_unless_equals_int (video->ext_mid, 9);
  fail_unless_equals_int (video->ext_twcc, 4);
  fail_unless (video->ssrc != 0 && video->rtx_ssrc != 0);
  fail_unless_equals_string (video->msid, "sid video0");
  fail_unless_equals_string (video->cname, "cname");

  audio = g_ptr_array_index (answer.answer->media, 1);
  fail_unless (!audio->rejected);
  codec = g_ptr_array_index (audio->codecs, 0);
  fail_unless_equals_string (codec->encoding_name, "OPUS");
  fail_unless_equals_int (codec->payload_type, 111);
  fail_unless (audio->ssrc != 0 && audio->ssrc != video->ssrc);

  /* The fan-out config follows the m-lines, each with its own stream. */
  fail_unless_equals_int (answer.config.streams[0].stream_id, 1);
  fail_unless_equals_int (answer.config.streams[0].payload_type, 96);
  fail_unless_equals_int (answer.config.streams[0].rtx_payload_type, 97);
  fail_unless_equals_int (answer.config.streams[0].mid_ext_id, 9);
  fail_unless_equals_int (answer.config.streams[0].twcc_ext_id, 4);
  fail_unless_equals_string (gst_rtc_fanout_stream_config_get_mid
      (&answer.config.streams[0]), "0");
  fail_unless_equals_int (answer.config.streams[0].ssrc, video->ssrc);
  fail_unless_equals_int (answer.config.streams[1].stream_id, 2);
  fail_unless_equals_int (answer.config.streams[1].payload_type, 111);
  fail_unless_equals_string (gst_rtc_fanout_stream_config_get_mid
      (&answer.config.streams[1]), "1");

  text = finish_and_validate (offer, &answer);
  fail_unless (strstr (text, "a=setup:active") != NULL);
  fail_unless (strstr (text, "a=end-of-candidates") != NULL);
  fail_unless (strstr (text, "a=group:BUNDLE 0 1") != NULL);
  g_free (text);

  gst_rtc_sink_answer_clear (&answer);
  gst_rtc_codec_free (vp8);
  gst_rtc_codec_free (opus);
  gst_rtc_session_description_free (offer);
}

GST_END_TEST;

GST_START_TEST (test_h264_profile_is_matched)
{
  GstRtcSessionDescription *offer = parse_offer_file (CHROMIUM_OFFER);
  GstRtcCodec *h264 = default_codec (GST_RTC_MEDIA_KIND_VIDEO, "H264");
  GstRtcSinkSource source = { GST_RTC_MEDIA_KIND_VIDEO, 1, h264, "video0" };
  GstRtcSinkAnswer answer;
  GstRtcMediaDescription *video, *audio;
  const GstRtcCodec *codec;
  gchar *plid, *mode, *text;

  /* A camera's High profile: Chromium offers 640c1f nowhere, but 4d001f
   * (Main) and f4001f; none is High 64, so nothing matches. */
  g_free (h264->fmtp);
  h264->fmtp = g_strdup ("level-asymmetry-allowed=1;packetization-mode=1;"
      "profile-level-id=640028");
  fail_if (gst_rtc_sink_answer_build (offer, &source, 1, "c", "s", &answer,
          NULL));

  /* Constrained baseline: the first offered format that takes it (102,
   * Baseline 42001f) is chosen, with packetization-mode 1. */
  g_free (h264->fmtp);
  h264->fmtp = g_strdup ("level-asymmetry-allowed=1;packetization-mode=1;"
      "profile-level-id=42e01f");
  fail_unless (gst_rtc_sink_answer_build (offer, &source, 1, "c", "s",
          &answer, NULL));
  video = g_ptr_array_index (answer.answer->media, 0);
  fail_unless_equals_int (video->codecs->len, 1);
  codec = g_ptr_array_index (video->codecs, 0);
  fail_unless_equals_string (codec->encoding_name, "H264");
  fail_unless_equals_int (codec->payload_type, 102);
  fail_unless_equals_int (codec->rtx_payload_type, 103);
  mode = gst_rtc_codec_get_fmtp_value (codec, "packetization-mode");
  fail_unless_equals_string (mode, "1");
  plid = gst_rtc_codec_get_fmtp_value (codec, "profile-level-id");
  fail_unless (g_str_has_prefix (plid, "42"));
  g_free (plid);
  g_free (mode);
  /* No audio source: the audio m-line is rejected, and out of BUNDLE. */
  audio = g_ptr_array_index (answer.answer->media, 1);
  fail_unless (audio->rejected);
  fail_unless_equals_string (answer.answer->bundle_mids[0], "0");
  fail_unless (answer.answer->bundle_mids[1] == NULL);
  fail_unless_equals_int (answer.config.n_streams, 1);
  text = finish_and_validate (offer, &answer);
  /* Rejected m-lines keep credentials (aiortc wants them), not candidates. */
  fail_unless (strstr (text, "m=audio 0 ") != NULL);
  g_free (text);

  gst_rtc_sink_answer_clear (&answer);
  gst_rtc_codec_free (h264);
  gst_rtc_session_description_free (offer);
}

GST_END_TEST;

static const gchar *const TWO_MLINES_NO_BUNDLE =
    "v=0\r\n"
    "o=- 1 1 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:aaaa\r\n"
    "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 FC:BE:EB:AA:C0:DE:5B:72:50:3D:83:A5:42:64:11:15:"
    "1C:46:E4:AC:F1:53:EE:76:BF:A3:C2:87:6C:86:37:B6\r\n"
    "a=setup:%s\r\n"
    "a=mid:v\r\n"
    "a=%s\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 100\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:bbbb\r\n"
    "a=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb\r\n"
    "a=fingerprint:sha-256 FC:BE:EB:AA:C0:DE:5B:72:50:3D:83:A5:42:64:11:15:"
    "1C:46:E4:AC:F1:53:EE:76:BF:A3:C2:87:6C:86:37:B6\r\n"
    "a=setup:actpass\r\n"
    "a=mid:w\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:100 VP8/90000\r\n";

static GstRtcSessionDescription *
parse_offer_text (const gchar * setup, const gchar * direction)
{
  gchar *text = g_strdup_printf (TWO_MLINES_NO_BUNDLE, setup, direction);
  GError *error = NULL;
  GstRtcSessionDescription *offer =
      gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, text,
      &error);

  fail_unless (offer != NULL, "%s", error ? error->message : "");
  g_free (text);
  return offer;
}

GST_START_TEST (test_one_transport_without_bundle)
{
  GstRtcSessionDescription *offer = parse_offer_text ("actpass", "recvonly");
  GstRtcCodec *vp8 = default_codec (GST_RTC_MEDIA_KIND_VIDEO, "VP8");
  GstRtcSinkSource sources[] = {
    {GST_RTC_MEDIA_KIND_VIDEO, 1, vp8, "video0"},
    {GST_RTC_MEDIA_KIND_VIDEO, 2, vp8, "video1"},
  };
  GstRtcSinkAnswer answer;
  GstRtcMediaDescription *first, *second;

  /* Two streams could fill both m-lines, but without BUNDLE they would
   * need two transports: only the first is taken. */
  fail_unless (gst_rtc_sink_answer_build (offer, sources, 2, "c", "s",
          &answer, NULL));
  fail_unless_equals_int (answer.n_accepted, 1);
  fail_unless_equals_int (answer.offer_tag, 0);
  first = g_ptr_array_index (answer.answer->media, 0);
  second = g_ptr_array_index (answer.answer->media, 1);
  fail_unless (!first->rejected);
  fail_unless (second->rejected);
  fail_unless (answer.answer->bundle_mids == NULL);
  gst_rtc_sink_answer_clear (&answer);
  gst_rtc_session_description_free (offer);

  /* An offer that only sends is not a viewer: its m-line is refused. */
  offer = parse_offer_text ("active", "sendonly");
  fail_unless (gst_rtc_sink_answer_build (offer, sources, 2, "c", "s",
          &answer, NULL));
  fail_unless_equals_int (answer.offer_tag, 1);
  /* It wants to be the DTLS client: we are the server. */
  fail_unless_equals_int (gst_rtc_sink_answer_setup
      (GST_RTC_DTLS_SETUP_ACTIVE), GST_RTC_DTLS_SETUP_PASSIVE);
  fail_unless_equals_int (gst_rtc_sink_answer_setup
      (GST_RTC_DTLS_SETUP_ACTPASS), GST_RTC_DTLS_SETUP_ACTIVE);
  fail_unless_equals_int (gst_rtc_sink_answer_setup
      (GST_RTC_DTLS_SETUP_PASSIVE), GST_RTC_DTLS_SETUP_ACTIVE);
  gst_rtc_sink_answer_clear (&answer);
  gst_rtc_session_description_free (offer);
  gst_rtc_codec_free (vp8);
}

GST_END_TEST;

GST_START_TEST (test_nothing_to_send)
{
  GstRtcSessionDescription *offer = parse_offer_text ("actpass", "recvonly");
  GstRtcCodec *opus = default_codec (GST_RTC_MEDIA_KIND_AUDIO, "OPUS");
  GstRtcSinkSource audio = { GST_RTC_MEDIA_KIND_AUDIO, 1, opus, "audio0" };
  GstRtcSinkSource not_ready = { GST_RTC_MEDIA_KIND_VIDEO, 1, NULL, "v" };
  GstRtcSinkAnswer answer;
  GError *error = NULL;

  fail_if (gst_rtc_sink_answer_build (offer, &audio, 1, "c", "s", &answer,
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_NOT_SUPPORTED));
  fail_unless (strstr (error->message, "audio OPUS") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  /* A stream whose caps are not known yet is not offered. */
  fail_if (gst_rtc_sink_answer_build (offer, &not_ready, 1, "c", "s",
          &answer, &error));
  g_clear_error (&error);
  fail_if (gst_rtc_sink_answer_build (offer, NULL, 0, "c", "s", &answer,
          &error));
  g_clear_error (&error);
  gst_rtc_codec_free (opus);
  gst_rtc_session_description_free (offer);
}

GST_END_TEST;

GST_START_TEST (test_sdpfrag)
{
  const gchar *good =
      "a=ice-options:trickle\r\n"
      "a=ice-ufrag:EsAw\r\n"
      "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
      "m=audio 9 RTP/AVP 0\r\n"
      "a=mid:0\r\n"
      "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host "
      "generation 0 ufrag EsAw network-id 1\n"
      "a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host\r\n"
      "a=end-of-candidates\r\n";
  GstRtcSinkSdpFrag frag;
  GError *error = NULL;
  gchar *many;
  GString *builder;

  fail_unless (gst_rtc_sink_sdpfrag_parse (good, strlen (good), 20, &frag,
          &error));
  fail_unless_equals_string (frag.ufrag, "EsAw");
  fail_unless_equals_string (frag.pwd, "P2uYro0UCOQ4zxjKXaWCBui1");
  fail_unless_equals_int (frag.candidates->len, 2);
  fail_unless (g_str_has_prefix (g_ptr_array_index (frag.candidates, 0),
          "candidate:1387637174 1 udp"));
  fail_unless (frag.end_of_candidates);
  gst_rtc_sink_sdpfrag_clear (&frag);

  /* An empty body is a valid (empty) fragment. */
  fail_unless (gst_rtc_sink_sdpfrag_parse ("", 0, 20, &frag, NULL));
  fail_unless_equals_int (frag.candidates->len, 0);
  gst_rtc_sink_sdpfrag_clear (&frag);

  /* Refused: too many candidates, a ufrag without password, control
   * characters, lines that are not SDP. */
  builder = g_string_new (NULL);
  for (guint i = 0; i < 21; i++)
    g_string_append_printf (builder,
        "a=candidate:%u 1 udp 1 10.0.0.%u 9 typ host\r\n", i, i + 1);
  many = g_string_free (builder, FALSE);
  fail_if (gst_rtc_sink_sdpfrag_parse (many, strlen (many), 20, &frag,
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_ACCESS));
  g_clear_error (&error);
  fail_unless (gst_rtc_sink_sdpfrag_parse (many, strlen (many), 21, &frag,
          NULL));
  gst_rtc_sink_sdpfrag_clear (&frag);
  g_free (many);
  fail_if (gst_rtc_sink_sdpfrag_parse ("a=ice-ufrag:abcd\r\n", 18, 20, &frag,
          NULL));
  fail_if (gst_rtc_sink_sdpfrag_parse ("a=candidate:\x01\r\n", 15, 20, &frag,
          NULL));
  fail_if (gst_rtc_sink_sdpfrag_parse ("hello\r\n", 7, 20, &frag, NULL));
  fail_if (gst_rtc_sink_sdpfrag_parse ("a=x\0y\r\n", 7, 20, &frag, NULL));

  /* Every truncation of a good fragment parses or fails cleanly. */
  for (gsize len = 0; len <= strlen (good); len++) {
    gchar *copy = g_memdup2 (good, len);

    if (gst_rtc_sink_sdpfrag_parse (copy, len, 20, &frag, NULL))
      gst_rtc_sink_sdpfrag_clear (&frag);
    g_free (copy);
  }
}

GST_END_TEST;

/* The 200 answer to an ICE restart PATCH reads back as what it says. */
GST_START_TEST (test_sdpfrag_build)
{
  GPtrArray *candidates = g_ptr_array_new ();
  GstRtcSinkSdpFrag frag;
  GError *error = NULL;
  gchar *text;

  g_ptr_array_add (candidates,
      (gpointer) "candidate:1 1 UDP 2130706431 192.0.2.1 21000 typ host");
  g_ptr_array_add (candidates, (gpointer) "2 1 UDP 1694498815 203.0.113.7 "
      "21000 typ srflx raddr 192.0.2.1 rport 21000");
  text = gst_rtc_sink_sdpfrag_build ("uf", "pwpwpwpwpwpwpwpwpwpwpwpw",
      GST_RTC_MEDIA_KIND_VIDEO, "0", candidates, TRUE);
  fail_unless_equals_string (text,
      "a=ice-ufrag:uf\r\na=ice-pwd:pwpwpwpwpwpwpwpwpwpwpwpw\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
      "a=candidate:1 1 UDP 2130706431 192.0.2.1 21000 typ host\r\n"
      "a=candidate:2 1 UDP 1694498815 203.0.113.7 21000 typ srflx raddr "
      "192.0.2.1 rport 21000\r\n" "a=end-of-candidates\r\n");
  fail_unless (gst_rtc_sink_sdpfrag_parse (text, strlen (text), 20, &frag,
          &error), "%s", error ? error->message : "");
  fail_unless_equals_string (frag.ufrag, "uf");
  fail_unless_equals_string (frag.pwd, "pwpwpwpwpwpwpwpwpwpwpwpw");
  fail_unless_equals_int (frag.candidates->len, 2);
  fail_unless (frag.end_of_candidates);
  gst_rtc_sink_sdpfrag_clear (&frag);
  g_free (text);

  /* Gathering not complete, no MID: neither line. */
  g_ptr_array_set_size (candidates, 1);
  text = gst_rtc_sink_sdpfrag_build ("uf", "pw", GST_RTC_MEDIA_KIND_AUDIO,
      NULL, candidates, FALSE);
  fail_unless (g_str_has_prefix (strstr (text, "m="), "m=audio 9 "));
  fail_if (strstr (text, "a=mid:") != NULL);
  fail_if (strstr (text, "a=end-of-candidates") != NULL);
  g_free (text);
  g_ptr_array_unref (candidates);
}

GST_END_TEST;

GST_START_TEST (test_media_type)
{
  fail_unless (gst_rtc_sink_media_type_is ("application/sdp",
          "application/sdp"));
  fail_unless (gst_rtc_sink_media_type_is ("Application/SDP; charset=utf-8",
          "application/sdp"));
  fail_unless (gst_rtc_sink_media_type_is (" application/sdp ",
          "application/sdp"));
  fail_if (gst_rtc_sink_media_type_is ("application/sdpx", "application/sdp"));
  fail_if (gst_rtc_sink_media_type_is ("text/plain", "application/sdp"));
  fail_if (gst_rtc_sink_media_type_is ("", "application/sdp"));
  fail_if (gst_rtc_sink_media_type_is (NULL, "application/sdp"));
  fail_unless (gst_rtc_sink_media_type_is
      ("application/trickle-ice-sdpfrag", "application/trickle-ice-sdpfrag"));
}

GST_END_TEST;

/* The offer rtcsink POSTs to a WHIP server, and what it makes of the
 * answer: an answer built by the library's own JSEP helper, one m-line
 * rejected. */
static GstRtcSessionDescription *
answer_offer (const GstRtcSessionDescription * offer, guint reject)
{
  GstRtcSessionDescription *answer =
      gst_rtc_session_description_new (GST_RTC_SDP_TYPE_ANSWER);
  GPtrArray *mids = g_ptr_array_new ();
  GError *error = NULL;
  gchar *text;

  for (guint i = 0; i < offer->media->len; i++) {
    const GstRtcMediaDescription *offered = g_ptr_array_index (offer->media,
        i);
    GstRtcMediaDescription *media;

    media = gst_rtc_sdp_answer_media (offered, offered->codecs,
        i == reject ? GST_RTC_DIRECTION_INACTIVE : GST_RTC_DIRECTION_RECVONLY,
        &error);
    fail_unless (media != NULL, "%s", error ? error->message : "");
    if (i == reject)
      media->rejected = TRUE;
    else
      g_ptr_array_add (mids, media->mid);
    media->ice_ufrag = g_strdup ("wxyz");
    media->ice_pwd = g_strdup ("0123456789abcdefghijklmn");
    media->fingerprint = g_strdup ("sha-256 FC:BE:EB:AA:C0:DE:5B:72:50:3D:"
        "83:A5:42:64:11:15:1C:46:E4:AC:F1:53:EE:76:BF:A3:C2:87:6C:86:37:B6");
    media->setup = GST_RTC_DTLS_SETUP_ACTIVE;
    media->rtcp_mux = TRUE;
    if (i != reject)
      g_ptr_array_add (media->candidates,
          g_strdup ("candidate:1 1 udp 2015363327 192.0.2.9 5000 typ host"));
    g_ptr_array_add (answer->media, media);
  }
  g_ptr_array_add (mids, NULL);
  answer->bundle_mids = g_strdupv ((gchar **) mids->pdata);
  g_ptr_array_unref (mids);
  /* Through text, as it comes from the network. */
  text = gst_rtc_session_description_to_string (answer);
  gst_rtc_session_description_free (answer);
  answer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, text,
      &error);
  fail_unless (answer != NULL, "%s\n%s", error ? error->message : "", text);
  g_free (text);
  return answer;
}

GST_START_TEST (test_whip_offer)
{
  GstRtcCodec *vp8 = default_codec (GST_RTC_MEDIA_KIND_VIDEO, "VP8");
  GstRtcCodec *h264 = default_codec (GST_RTC_MEDIA_KIND_VIDEO, "H264");
  GstRtcCodec *opus = default_codec (GST_RTC_MEDIA_KIND_AUDIO, "OPUS");
  GstRtcSinkSource sources[] = {
    {GST_RTC_MEDIA_KIND_VIDEO, 1, vp8, "video0", 0},
    {GST_RTC_MEDIA_KIND_AUDIO, 2, opus, "audio0", 0},
    /* A passthrough stream and its transcoded alternative: one m-line. */
    {GST_RTC_MEDIA_KIND_VIDEO, 3, h264, "video1", 7},
    {GST_RTC_MEDIA_KIND_VIDEO, 4, vp8, "video1", 7},
    {GST_RTC_MEDIA_KIND_VIDEO, 5, NULL, "video2", 0},
  };
  GstRtcSessionDescription *reparsed, *answer;
  GstRtcSinkAnswer offer;
  GPtrArray *candidates;
  GError *error = NULL;
  gchar *text;

  fail_unless (gst_rtc_sink_offer_build (sources, G_N_ELEMENTS (sources),
          "cname-1", "stream-1", &offer, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (offer.answer->media->len, 3);
  fail_unless_equals_int (offer.config.n_streams, 3);
  candidates = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (candidates,
      g_strdup ("candidate:1 1 udp 2015363327 192.0.2.2 43881 typ host"));
  gst_rtc_sink_answer_set_transport (&offer, "abcd",
      "0123456789abcdefghijklmn", "sha-256 FC:BE:EB:AA:C0:DE:5B:72:50:3D:83:"
      "A5:42:64:11:15:1C:46:E4:AC:F1:53:EE:76:BF:A3:C2:87:6C:86:37:B6",
      GST_RTC_DTLS_SETUP_ACTPASS, candidates, TRUE);
  g_ptr_array_unref (candidates);
  text = gst_rtc_session_description_to_string (offer.answer);
  fail_unless (strstr (text, "a=group:BUNDLE 0 1 2\r\n") != NULL, "%s", text);
  fail_unless (strstr (text, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n") != NULL,
      "%s", text);
  fail_unless (strstr (text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") != NULL,
      "%s", text);
  fail_unless (strstr (text, "a=rtpmap:98 H264/90000\r\n") != NULL, "%s",
      text);
  fail_unless (strstr (text, "a=setup:actpass\r\n") != NULL, "%s", text);
  fail_unless (strstr (text, "a=msid:stream-1 video1\r\n") != NULL, "%s",
      text);
  fail_unless (strstr (text, "a=sendrecv") == NULL, "%s", text);
  reparsed = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, text,
      &error);
  fail_unless (reparsed != NULL, "%s\n%s", error ? error->message : "", text);
  for (guint i = 0; i < reparsed->media->len; i++) {
    const GstRtcMediaDescription *media =
        g_ptr_array_index (reparsed->media, i);

    fail_unless_equals_int (media->direction, GST_RTC_DIRECTION_SENDONLY);
    fail_unless (media->ext_mid != 0 && media->ssrc != 0);
  }

  /* The audio m-line rejected: the fan-out sends the two videos. */
  answer = answer_offer (reparsed, 1);
  fail_unless (gst_rtc_sink_offer_apply_answer (&offer, answer, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (offer.n_accepted, 2);
  fail_unless_equals_int (offer.offer_tag, 0);
  fail_unless_equals_int (offer.config.streams[0].stream_id, 1);
  fail_unless_equals_int (offer.config.streams[0].payload_type, 96);
  fail_unless_equals_int (offer.config.streams[0].rtx_payload_type, 97);
  fail_unless_equals_int (offer.config.streams[1].stream_id, 3);
  fail_unless_equals_int (offer.config.streams[1].payload_type, 98);
  fail_unless_equals_string (gst_rtc_fanout_stream_config_get_mid
      (&offer.config.streams[1]), "2");
  gst_rtc_session_description_free (answer);

  /* An answer that receives nothing, or does not fit the offer. */
  answer = answer_offer (reparsed, 0);
  for (guint i = 0; i < answer->media->len; i++)
    ((GstRtcMediaDescription *) g_ptr_array_index (answer->media,
            i))->rejected = TRUE;
  fail_if (gst_rtc_sink_offer_apply_answer (&offer, answer, &error));
  fail_unless (error != NULL);
  g_clear_error (&error);
  g_ptr_array_set_size (answer->media, 1);
  fail_if (gst_rtc_sink_offer_apply_answer (&offer, answer, &error));
  fail_unless (error != NULL);
  g_clear_error (&error);
  gst_rtc_session_description_free (answer);

  /* Nothing with caps yet: nothing to offer. */
  gst_rtc_sink_answer_clear (&offer);
  fail_if (gst_rtc_sink_offer_build (&sources[4], 1, "c", "s", &offer,
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_STATE));
  g_clear_error (&error);

  gst_rtc_session_description_free (reparsed);
  g_free (text);
  gst_rtc_codec_free (vp8);
  gst_rtc_codec_free (h264);
  gst_rtc_codec_free (opus);
}

GST_END_TEST;

static Suite *
rtcsink_suite (void)
{
  Suite *s = suite_create ("rtcsink");
  TCase *tc = tcase_create ("answer");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_chromium_offer_vp8_opus);
  tcase_add_test (tc, test_h264_profile_is_matched);
  tcase_add_test (tc, test_one_transport_without_bundle);
  tcase_add_test (tc, test_nothing_to_send);
  tcase_add_test (tc, test_sdpfrag);
  tcase_add_test (tc, test_sdpfrag_build);
  tcase_add_test (tc, test_media_type);
  tcase_add_test (tc, test_whip_offer);
  return s;
}

GST_CHECK_MAIN (rtcsink);
