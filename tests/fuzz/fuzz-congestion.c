/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the transport-cc feedback and REMB parsers, and what the
 * estimator does with any feedback that parses. A parsed feedback must
 * write back to bytes that parse to the same statuses. */
#include <gst/rtc/rtc.h>
#include <gst/rtc/congestion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static GstRtcBandwidthEstimator *estimator;

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstRtcTwccFeedback feedback;
  guint64 bitrate;
  uint8_t *copy;

  if (estimator == NULL) {
    estimator = gst_rtc_bandwidth_estimator_new (1000000, 30000, 10000000);
    for (guint i = 0; i < 4096; i++)
      gst_rtc_bandwidth_estimator_on_sent (estimator, i, 1200, i * 1000);
  }

  /* An exact-size heap copy, so that ASan catches any read past the end. */
  copy = malloc (size ? size : 1);
  memcpy (copy, data, size);
  if (gst_rtc_twcc_feedback_parse (copy, size, &feedback, NULL)) {
    GBytes *bytes = gst_rtc_twcc_feedback_write (&feedback, NULL);

    if (feedback.packets == NULL || feedback.packets->len == 0)
      abort ();
    /* the writer may refuse deltas it cannot say in 16 bits (the parser
     * accepts a sum of them); what it writes must parse the same */
    if (bytes != NULL) {
      GstRtcTwccFeedback again;
      guint i;

      if (!gst_rtc_twcc_feedback_parse (g_bytes_get_data (bytes, NULL),
              g_bytes_get_size (bytes), &again, NULL))
        abort ();
      if (again.packets->len != feedback.packets->len)
        abort ();
      for (i = 0; i < again.packets->len; i++)
        if (g_array_index (again.packets, GstRtcTwccPacket, i).received !=
            g_array_index (feedback.packets, GstRtcTwccPacket, i).received)
          abort ();
      gst_rtc_twcc_feedback_clear (&again);
      g_bytes_unref (bytes);
    }
    gst_rtc_bandwidth_estimator_on_feedback (estimator, &feedback, 5000000);
    gst_rtc_twcc_feedback_clear (&feedback);
  }
  if (gst_rtc_remb_parse (copy, size, &bitrate, NULL))
    gst_rtc_bandwidth_estimator_on_remb (estimator, bitrate, 5000000);
  (void) gst_rtc_bandwidth_estimator_get_target (estimator);
  free (copy);
  return 0;
}
