/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the JSEP model. The input is parsed as an offer and as an
 * answer; an offer that parses is answered m-line by m-line with our
 * default codecs, and both the offer and that answer must survive being
 * written out and parsed back, and the answer must answer the offer. */
#include <gst/rtc/rtc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
die (const gchar * what, const GError * error, const gchar * text)
{
  fprintf (stderr, "%s: %s\n%s\n", what, error != NULL ? error->message : "",
      text != NULL ? text : "");
  abort ();
}

/* The parser refuses more than 1 MiB. What we write from a parsed
 * description of nearly that size may be longer (values written twice,
 * lines added); only our answers are bounded to stay well below it. */
#define PARSE_LIMIT (1024 * 1024)

static GstRtcSessionDescription *
reparse (const GstRtcSessionDescription * desc, GstRtcSdpType type,
    gboolean must_fit, const gchar * what)
{
  gchar *text = gst_rtc_session_description_to_string (desc);
  GError *error = NULL;
  GstRtcSessionDescription *parsed = NULL;

  if (strlen (text) > PARSE_LIMIT) {
    if (must_fit)
      die ("our own description is longer than the parser takes", NULL, NULL);
  } else {
    parsed = gst_rtc_session_description_parse (type, text, &error);
    if (parsed == NULL)
      die (what, error, text);
  }
  g_free (text);
  return parsed;
}

static void
answer_offer (const GstRtcSessionDescription * offer)
{
  GstRtcSessionDescription *answer =
      gst_rtc_session_description_new (GST_RTC_SDP_TYPE_ANSWER);
  GstRtcSessionDescription *parsed;
  GError *error = NULL;

  answer->session_id = g_strdup ("1");
  answer->bundle_mids = g_strdupv (offer->bundle_mids);
  for (guint i = 0; i < offer->media->len; i++) {
    const GstRtcMediaDescription *offered =
        g_ptr_array_index (offer->media, i);
    GPtrArray *codecs = gst_rtc_codecs_default (offered->kind);
    GstRtcMediaDescription *media = gst_rtc_sdp_answer_media (offered, codecs,
        GST_RTC_DIRECTION_SENDRECV, &error);

    if (media == NULL)
      die ("answering a parsed offer failed", error, NULL);
    g_ptr_array_unref (codecs);
    /* What rtcbin adds: our own transport. */
    if (!media->rejected) {
      media->ice_ufrag = g_strdup ("fuzz");
      media->ice_pwd = g_strdup ("0123456789abcdefghijkl");
      media->fingerprint = g_strdup ("sha-256 00:11:22:33:44:55:66:77:88:99:"
          "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
      media->setup = GST_RTC_DTLS_SETUP_PASSIVE;
    }
    g_ptr_array_add (answer->media, media);
  }

  if (!gst_rtc_sdp_validate_answer (offer, answer, &error))
    die ("our answer does not answer the offer", error, NULL);
  parsed = reparse (answer, GST_RTC_SDP_TYPE_ANSWER, TRUE,
      "our answer, written out, does not parse");
  if (!gst_rtc_sdp_validate_answer (offer, parsed, &error))
    die ("our answer, read back, does not answer the offer", error, NULL);
  gst_rtc_session_description_free (parsed);
  gst_rtc_session_description_free (answer);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  /* An exact-size, NUL-terminated heap copy: the parser takes a C string,
   * and ASan catches any read past its end. */
  gchar *text = g_malloc (size + 1);
  GstRtcSessionDescription *offer, *answer, *again;
  GError *error = NULL;

  memcpy (text, data, size);
  text[size] = '\0';

  offer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_OFFER, text,
      &error);
  if ((offer == NULL) == (error == NULL))
    abort ();
  g_clear_error (&error);
  if (offer != NULL) {
    again = reparse (offer, GST_RTC_SDP_TYPE_OFFER, FALSE,
        "a parsed offer, written out, does not parse");
    gst_rtc_session_description_free (again);
    answer_offer (offer);
    gst_rtc_session_description_free (offer);
  }

  answer = gst_rtc_session_description_parse (GST_RTC_SDP_TYPE_ANSWER, text,
      &error);
  if ((answer == NULL) == (error == NULL))
    abort ();
  g_clear_error (&error);
  if (answer != NULL) {
    again = reparse (answer, GST_RTC_SDP_TYPE_ANSWER, FALSE,
        "a parsed answer, written out, does not parse");
    gst_rtc_session_description_free (again);
    gst_rtc_session_description_free (answer);
  }

  g_free (text);
  return 0;
}
