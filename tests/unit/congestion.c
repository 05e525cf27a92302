/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transport-wide-cc feedback and REMB parsing (hand-made packets, every
 * truncation, mutations), and the bandwidth estimator on synthetic
 * traces: a simulated bottleneck with a FIFO queue, drop-tail, random
 * loss and capacity steps, driven by the estimator's own target. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <gst/rtc/congestion.h>
#include <string.h>

/* ---- parsing ---- */

/* base 100, 5 packets, reference time 1 (64 ms), feedback count 7:
 * a run-length chunk "small delta" x 5, deltas 4 (1 ms) each. */
static const guint8 run_length_packet[] = {
  0x8f, 205, 0x00, 0x06,
  0x11, 0x11, 0x11, 0x11,
  0x00, 0x00, 0x00, 0x01,
  0x00, 100, 0x00, 0x05,
  0x00, 0x00, 0x01, 0x07,
  0x20, 0x05,                   /* T=0 S=01 run=5 */
  4, 4, 4, 4, 4,
  0x00,
};

/* base 65534 (wraps), 9 packets: a one-bit vector chunk (14 symbols, 9
 * used: 1 0 1 1 0 0 0 0 1), deltas 8, 8, 8, 8 ms (32 each) and a two-bit
 * chunk is not needed. Reference time -1 (-64 ms). */
static const guint8 one_bit_packet[] = {
  0x8f, 205, 0x00, 0x06,
  0x22, 0x22, 0x22, 0x22,
  0x00, 0x00, 0x00, 0x00,
  0xff, 0xfe, 0x00, 0x09,
  0xff, 0xff, 0xff, 0x00,
  0xac, 0x20,                   /* 1 0 | 1 0 1 1 0 0 0 0 1 0 0 0 0 0 */
  32, 32, 32, 32,
  0x00, 0x00,
};

/* base 1, 3 packets: a two-bit chunk "small, large(-2 ms), not
 * received", deltas 200 (50 ms) then -8 (-2 ms). */
static const guint8 two_bit_packet[] = {
  0x8f, 205, 0x00, 0x06,
  0x33, 0x33, 0x33, 0x33,
  0x00, 0x00, 0x00, 0x00,
  0x00, 0x01, 0x00, 0x03,
  0x00, 0x00, 0x02, 0x00,
  0xd8, 0x00,                   /* 11 | 01 10 00 00 00 00 00 */
  200, 0xff, 0xf8,
  0x00, 0x00, 0x00,
};

static const GstRtcTwccPacket *
packet_at (const GstRtcTwccFeedback * feedback, guint i)
{
  fail_unless (i < feedback->packets->len);
  return &g_array_index (feedback->packets, GstRtcTwccPacket, i);
}

GST_START_TEST (test_twcc_parse)
{
  GstRtcTwccFeedback fb;
  GError *error = NULL;
  guint i;

  fail_unless (gst_rtc_twcc_feedback_parse (run_length_packet,
          sizeof (run_length_packet), &fb, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (fb.sender_ssrc, 0x11111111);
  fail_unless_equals_int (fb.base_seq, 100);
  fail_unless_equals_int (fb.feedback_count, 7);
  fail_unless_equals_int64 (fb.reference_time_us, 64000);
  fail_unless_equals_int (fb.packets->len, 5);
  for (i = 0; i < 5; i++) {
    fail_unless_equals_int (packet_at (&fb, i)->seq, 100 + i);
    fail_unless (packet_at (&fb, i)->received);
    fail_unless_equals_int64 (packet_at (&fb, i)->arrival_us,
        64000 + (i + 1) * 1000);
  }
  gst_rtc_twcc_feedback_clear (&fb);

  fail_unless (gst_rtc_twcc_feedback_parse (one_bit_packet,
          sizeof (one_bit_packet), &fb, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int64 (fb.reference_time_us, -64000);
  fail_unless_equals_int (fb.packets->len, 9);
  {
    static const gboolean received[] = { 1, 0, 1, 1, 0, 0, 0, 0, 1 };
    gint64 t = -64000;

    for (i = 0; i < 9; i++) {
      fail_unless_equals_int (packet_at (&fb, i)->seq, (65534 + i) & 0xffff);
      fail_unless_equals_int (packet_at (&fb, i)->received, received[i]);
      if (received[i]) {
        t += 8000;
        fail_unless_equals_int64 (packet_at (&fb, i)->arrival_us, t);
      }
    }
  }
  gst_rtc_twcc_feedback_clear (&fb);

  fail_unless (gst_rtc_twcc_feedback_parse (two_bit_packet,
          sizeof (two_bit_packet), &fb, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (fb.packets->len, 3);
  fail_unless_equals_int64 (packet_at (&fb, 0)->arrival_us, 2 * 64000 +
      50000);
  fail_unless_equals_int64 (packet_at (&fb, 1)->arrival_us, 2 * 64000 +
      48000);
  fail_if (packet_at (&fb, 2)->received);
  gst_rtc_twcc_feedback_clear (&fb);
}

GST_END_TEST;

static void
check_refused (const guint8 * data, gsize len, const gchar * expected)
{
  GstRtcTwccFeedback fb = { 0, };
  GError *error = NULL;

  fb.sender_ssrc = 0xdeadbeef;
  fail_if (gst_rtc_twcc_feedback_parse (data, len, &fb, &error),
      "accepted %" G_GSIZE_FORMAT " bytes (expected: %s)", len, expected);
  fail_unless (error != NULL);
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  fail_unless (strstr (error->message, expected) != NULL,
      "'%s' does not say '%s'", error->message, expected);
  /* untouched on failure */
  fail_unless_equals_int (fb.sender_ssrc, 0xdeadbeef);
  fail_unless (fb.packets == NULL);
  g_error_free (error);
}

GST_START_TEST (test_twcc_malformed)
{
  guint8 copy[64];
  gsize len;

  /* every truncation, the length field kept: it claims more than is
   * there */
  for (len = 0; len < sizeof (run_length_packet); len++)
    check_refused (run_length_packet, len, "truncated");

  /* every truncation with a header that agrees: the chunks or deltas are
   * cut short */
  for (len = 20; len < sizeof (two_bit_packet); len += 4) {
    memcpy (copy, two_bit_packet, len);
    GST_WRITE_UINT16_BE (copy + 2, len / 4 - 1);
    check_refused (copy, len, "truncated");
  }

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  copy[0] = 0x4f;               /* version 1 */
  check_refused (copy, sizeof (run_length_packet), "version");

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  copy[1] = 200;                /* a sender report */
  check_refused (copy, sizeof (run_length_packet), "packet type");

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  copy[0] = 0x81;               /* generic NACK */
  check_refused (copy, sizeof (run_length_packet), "format");

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  GST_WRITE_UINT16_BE (copy + 14, 0);
  check_refused (copy, sizeof (run_length_packet), "no packet");

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  GST_WRITE_UINT16_BE (copy + 14, 60000);
  check_refused (copy, sizeof (run_length_packet), "more than");

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  copy[20] = 0x60;              /* run-length of the reserved symbol */
  check_refused (copy, sizeof (run_length_packet), "reserved");

  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  copy[20] = 0x20;
  copy[21] = 0x00;              /* a run of 0 */
  check_refused (copy, sizeof (run_length_packet), "empty run");

  memcpy (copy, two_bit_packet, sizeof (two_bit_packet));
  copy[20] = 0xdc;              /* 11 | 01 11: the reserved two-bit symbol */
  check_refused (copy, sizeof (two_bit_packet), "reserved");

  /* the status count promises more deltas than there are */
  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  GST_WRITE_UINT16_BE (copy + 14, 8);
  copy[21] = 0x08;
  check_refused (copy, sizeof (run_length_packet), "receive deltas");

  /* padding bit with a bad count */
  memcpy (copy, run_length_packet, sizeof (run_length_packet));
  copy[0] |= 0x20;
  copy[sizeof (run_length_packet) - 1] = 200;
  check_refused (copy, sizeof (run_length_packet), "padding");

  check_refused (NULL, 0, "truncated");
}

GST_END_TEST;

/* Mutated packets: any answer, never a crash or a read past the end
 * (valgrind and the sanitizer builds check that part). */
GST_START_TEST (test_twcc_mutated)
{
  GRand *rand = g_rand_new_with_seed (7);
  guint i;

  for (i = 0; i < 20000; i++) {
    guint8 copy[sizeof (two_bit_packet)];
    GstRtcTwccFeedback fb;
    gsize len = g_rand_int_range (rand, 0, sizeof (copy) + 1);
    guint flips = g_rand_int_range (rand, 1, 4), f;

    memcpy (copy, i % 2 ? two_bit_packet : one_bit_packet, sizeof (copy));
    for (f = 0; f < flips; f++)
      copy[g_rand_int_range (rand, 0, sizeof (copy))] ^=
          1 << g_rand_int_range (rand, 0, 8);
    if (gst_rtc_twcc_feedback_parse (copy, len, &fb, NULL)) {
      fail_unless (fb.packets != NULL && fb.packets->len > 0);
      gst_rtc_twcc_feedback_clear (&fb);
    }
  }
  g_rand_free (rand);
}

GST_END_TEST;

GST_START_TEST (test_twcc_write_roundtrip)
{
  GstRtcTwccFeedback in = { 0, }, out;
  GError *error = NULL;
  GBytes *bytes;
  gint64 t = 5 * 64000 + 1234;
  guint i;

  in.sender_ssrc = 42;
  in.base_seq = 65530;
  in.feedback_count = 3;
  in.reference_time_us = t;
  in.packets = g_array_new (FALSE, FALSE, sizeof (GstRtcTwccPacket));
  for (i = 0; i < 40; i++) {
    GstRtcTwccPacket packet = { (guint16) (65530 + i), i % 5 != 3, 0 };

    /* small steps, a jump of 100 ms, and one packet reordered back */
    t += (i == 20) ? 100000 : (i == 30 ? -3000 : 1000);
    packet.arrival_us = t;
    g_array_append_val (in.packets, packet);
  }
  bytes = gst_rtc_twcc_feedback_write (&in, &error);
  fail_unless (bytes != NULL, "%s", error ? error->message : "");
  fail_unless (g_bytes_get_size (bytes) % 4 == 0);
  fail_unless (gst_rtc_twcc_feedback_parse (g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), &out, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (out.base_seq, 65530);
  fail_unless_equals_int (out.feedback_count, 3);
  fail_unless_equals_int (out.packets->len, 40);
  for (i = 0; i < 40; i++) {
    const GstRtcTwccPacket *a = packet_at (&in, i), *b = packet_at (&out, i);

    fail_unless_equals_int (a->seq, b->seq);
    fail_unless_equals_int (a->received, b->received);
    /* quantized to 250 µs, without drift */
    if (a->received)
      fail_unless (ABS (a->arrival_us - b->arrival_us) < 250,
          "packet %u: %" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT, i,
          a->arrival_us, b->arrival_us);
  }
  gst_rtc_twcc_feedback_clear (&out);
  g_bytes_unref (bytes);

  /* a gap in the sequence numbers cannot be written */
  g_array_index (in.packets, GstRtcTwccPacket, 5).seq += 1;
  fail_if (gst_rtc_twcc_feedback_write (&in, &error));
  g_clear_error (&error);
  gst_rtc_twcc_feedback_clear (&in);
}

GST_END_TEST;

GST_START_TEST (test_remb_parse)
{
  /* 1 SSRC, exponent 3, mantissa 0x1e848 (125000): 1 Mb/s */
  guint8 remb[] = {
    0x8f, 206, 0x00, 0x05,
    0x11, 0x11, 0x11, 0x11,
    0x00, 0x00, 0x00, 0x00,
    'R', 'E', 'M', 'B',
    0x01, (3 << 2) | 0x01, 0xe8, 0x48,
    0x22, 0x22, 0x22, 0x22,
  };
  guint64 bitrate = 0;
  GError *error = NULL;
  gsize len;

  fail_unless (gst_rtc_remb_parse (remb, sizeof (remb), &bitrate, &error),
      "%s", error ? error->message : "");
  fail_unless_equals_uint64 (bitrate, 1000000);

  for (len = 0; len < sizeof (remb); len++) {
    fail_if (gst_rtc_remb_parse (remb, len, &bitrate, &error));
    g_clear_error (&error);
  }
  remb[16] = 5;                 /* 5 SSRCs announced, 1 there */
  fail_if (gst_rtc_remb_parse (remb, sizeof (remb), &bitrate, &error));
  fail_unless (strstr (error->message, "SSRC") != NULL);
  g_clear_error (&error);
  remb[16] = 1;
  remb[17] = (63 << 2) | 0x03;  /* 2^63 * 2^18: overflows */
  fail_if (gst_rtc_remb_parse (remb, sizeof (remb), &bitrate, &error));
  fail_unless (strstr (error->message, "overflows") != NULL);
  g_clear_error (&error);
  remb[17] = (3 << 2) | 0x01;
  remb[13] = 'X';               /* other application feedback */
  fail_if (gst_rtc_remb_parse (remb, sizeof (remb), &bitrate, &error));
  g_clear_error (&error);
}

GST_END_TEST;

/* ---- the estimator on a simulated bottleneck ---- */

#define MS 1000
#define PACKET_SIZE 1200
#define PROPAGATION_US (20 * MS)
#define MAX_QUEUE_US (300 * MS)
#define FEEDBACK_INTERVAL_US (100 * MS)

typedef struct
{
  gint64 at_us;
  guint capacity;               /* bit/s */
} Step;

typedef struct
{
  gint64 send_us;
  gint64 arrival_us;            /* -1: lost */
} SimPacket;

typedef struct
{
  /* per step, over its second half */
  gdouble mean_target;
  gdouble mean_queue_ms;
  gdouble loss;
  gdouble utilisation;
  gint64 adapt_us;              /* first time within [0.5, 1.0] x capacity */
} StepResult;

typedef struct
{
  GBytes *packet;
  gint64 deliver_us;
} PendingFeedback;

/* What the simulated sender has to send at most (an encoder of simple
 * content sends less than its target). */
static guint app_limit_bps = G_MAXUINT;

/* Runs @estimator against a link of the given capacity steps for
 * @duration_us, sending paced packets at its target. */
static void
simulate (GstRtcBandwidthEstimator * estimator, const Step * steps,
    guint n_steps, gint64 duration_us, gdouble random_loss, guint32 seed,
    StepResult * results)
{
  GRand *rand = g_rand_new_with_seed (seed);
  GArray *sent = g_array_new (FALSE, FALSE, sizeof (SimPacket));
  GQueue feedback = G_QUEUE_INIT;
  gint64 t, queue_free_us = 0, next_feedback_us = FEEDBACK_INTERVAL_US;
  gdouble budget = 0;
  guint first_unreported = 0, step = 0, fb_count = 0;
  gdouble sum_target = 0, sum_queue = 0;
  guint64 n_target = 0, n_queue = 0, lost = 0, total = 0, bytes_in = 0;

  for (guint s = 0; s < n_steps; s++)
    results[s].adapt_us = -1;

  for (t = 0; t < duration_us; t += MS) {
    guint capacity;
    gint64 step_end;

    if (step + 1 < n_steps && t >= steps[step + 1].at_us) {
      step++;
      sum_target = sum_queue = 0;
      n_target = n_queue = lost = total = bytes_in = 0;
    }
    capacity = steps[step].capacity;
    step_end = step + 1 < n_steps ? steps[step + 1].at_us : duration_us;

    /* feedback that reached us */
    while (!g_queue_is_empty (&feedback)
        && ((PendingFeedback *) g_queue_peek_head (&feedback))->deliver_us
        <= t) {
      PendingFeedback *pending = g_queue_pop_head (&feedback);
      GstRtcTwccFeedback fb;

      fail_unless (gst_rtc_twcc_feedback_parse (g_bytes_get_data
              (pending->packet, NULL), g_bytes_get_size (pending->packet),
              &fb, NULL));
      gst_rtc_bandwidth_estimator_on_feedback (estimator, &fb, t);
      gst_rtc_twcc_feedback_clear (&fb);
      g_bytes_unref (pending->packet);
      g_free (pending);
    }

    /* paced sending at the target (or at what the application has) */
    budget += MIN (gst_rtc_bandwidth_estimator_get_target (estimator),
        app_limit_bps) / 8.0 * MS / G_USEC_PER_SEC;
    while (budget >= PACKET_SIZE) {
      SimPacket packet = { t, -1 };
      gint64 start = MAX (t, queue_free_us);

      budget -= PACKET_SIZE;
      gst_rtc_bandwidth_estimator_on_sent (estimator, sent->len & 0xffff,
          PACKET_SIZE, t);
      total++;
      if (g_rand_double (rand) < random_loss) {
        lost++;
      } else if (start - t > MAX_QUEUE_US) {
        lost++;                 /* drop-tail */
      } else {
        queue_free_us = start + (gint64) PACKET_SIZE * 8 * G_USEC_PER_SEC /
            capacity;
        packet.arrival_us = queue_free_us + PROPAGATION_US;
        if (t >= (steps[step].at_us + step_end) / 2) {
          sum_queue += (queue_free_us - t) / 1000.0;
          n_queue++;
        }
        bytes_in += PACKET_SIZE;
      }
      g_array_append_val (sent, packet);
    }

    /* the receiver's feedback: everything up to the newest arrival */
    if (t >= next_feedback_us) {
      gint last = -1;
      guint i;

      next_feedback_us += FEEDBACK_INTERVAL_US;
      for (i = first_unreported; i < sent->len; i++) {
        SimPacket *p = &g_array_index (sent, SimPacket, i);

        if (p->arrival_us >= 0 && p->arrival_us <= t)
          last = i;
      }
      if (last >= (gint) first_unreported) {
        GstRtcTwccFeedback fb = { 0, };
        PendingFeedback *pending = g_new (PendingFeedback, 1);
        gint64 reference = -1;

        fb.base_seq = first_unreported & 0xffff;
        fb.feedback_count = fb_count++;
        fb.packets = g_array_new (FALSE, FALSE, sizeof (GstRtcTwccPacket));
        for (i = first_unreported; i <= (guint) last; i++) {
          SimPacket *p = &g_array_index (sent, SimPacket, i);
          GstRtcTwccPacket packet = { i & 0xffff, p->arrival_us >= 0,
            p->arrival_us
          };

          if (packet.received && reference < 0)
            reference = p->arrival_us;
          g_array_append_val (fb.packets, packet);
        }
        fb.reference_time_us = reference;
        pending->packet = gst_rtc_twcc_feedback_write (&fb, NULL);
        fail_unless (pending->packet != NULL);
        pending->deliver_us = t + PROPAGATION_US;
        g_queue_push_tail (&feedback, pending);
        gst_rtc_twcc_feedback_clear (&fb);
        first_unreported = last + 1;
      }
    }

    /* figures over the second half of each step */
    {
      guint target = gst_rtc_bandwidth_estimator_get_target (estimator);

      if (results[step].adapt_us < 0 && target <= capacity
          && target >= capacity / 2)
        results[step].adapt_us = t - steps[step].at_us;
      if (t >= (steps[step].at_us + step_end) / 2) {
        sum_target += target;
        n_target++;
      }
      if (t + MS >= step_end) {
        gdouble half_s = (step_end - steps[step].at_us) / 2e6;

        results[step].mean_target = n_target ? sum_target / n_target : 0;
        results[step].mean_queue_ms = n_queue ? sum_queue / n_queue : 0;
        results[step].loss = total ? (gdouble) lost / total : 0;
        /* bytes over the whole step; good enough for a ratio */
        results[step].utilisation = bytes_in * 8.0 /
            ((step_end - steps[step].at_us) / 1e6) / capacity;
        (void) half_s;
      }
    }
  }

  while (!g_queue_is_empty (&feedback)) {
    PendingFeedback *pending = g_queue_pop_head (&feedback);

    g_bytes_unref (pending->packet);
    g_free (pending);
  }
  g_array_unref (sent);
  g_rand_free (rand);
}

static void
report (const gchar * name, const Step * steps, const StepResult * r,
    guint n)
{
  for (guint i = 0; i < n; i++)
    g_printerr ("%s step %u (%u kbit/s): target %.0f kbit/s, adapted in "
        "%.1f s, queue %.1f ms, loss %.2f %%, utilisation %.0f %%\n", name,
        i, steps[i].capacity / 1000, r[i].mean_target / 1000,
        r[i].adapt_us / 1e6, r[i].mean_queue_ms, r[i].loss * 100,
        r[i].utilisation * 100);
}

/* A 1 Mb/s bottleneck, starting above it: below the cap within 5 s, and
 * then near it, with a short queue and little loss. */
GST_START_TEST (test_estimator_bottleneck)
{
  GstRtcBandwidthEstimator *estimator =
      gst_rtc_bandwidth_estimator_new (2000000, 50000, 5000000);
  const Step steps[] = { {0, 1000000} };
  StepResult r[1];
  GstStructure *stats;

  simulate (estimator, steps, 1, 30 * G_USEC_PER_SEC, 0, 1, r);
  report ("bottleneck", steps, r, 1);
  fail_unless (r[0].adapt_us >= 0 && r[0].adapt_us <= 5 * G_USEC_PER_SEC,
      "took %.1f s to go below the cap", r[0].adapt_us / 1e6);
  fail_unless (r[0].mean_target <= 1000000 && r[0].mean_target >= 600000,
      "settled at %.0f bit/s", r[0].mean_target);
  fail_unless (r[0].mean_queue_ms < 100, "queue %.1f ms", r[0].mean_queue_ms);
  fail_unless (r[0].loss < 0.02, "loss %.3f", r[0].loss);

  stats = gst_rtc_bandwidth_estimator_get_stats (estimator);
  fail_unless (gst_structure_has_field (stats, "acked-bitrate"));
  gst_structure_free (stats);
  g_object_unref (estimator);
}

GST_END_TEST;

/* The RMCAT step: 1 -> 2.5 -> 0.6 -> 1 Mb/s, 40 s each. */
GST_START_TEST (test_estimator_steps)
{
  GstRtcBandwidthEstimator *estimator =
      gst_rtc_bandwidth_estimator_new (1000000, 50000, 5000000);
  const Step steps[] = {
    {0, 1000000}, {40 * G_USEC_PER_SEC, 2500000},
    {80 * G_USEC_PER_SEC, 600000}, {120 * G_USEC_PER_SEC, 1000000},
  };
  StepResult r[4];
  guint i;

  simulate (estimator, steps, 4, 160 * G_USEC_PER_SEC, 0, 2, r);
  report ("steps", steps, r, 4);
  for (i = 0; i < 4; i++) {
    fail_unless (r[i].adapt_us >= 0, "step %u never adapted", i);
    fail_unless (r[i].mean_target <= 1.05 * steps[i].capacity
        && r[i].mean_target >= 0.5 * steps[i].capacity,
        "step %u: %.0f bit/s for a capacity of %u", i, r[i].mean_target,
        steps[i].capacity);
    fail_unless (r[i].mean_queue_ms < 150, "step %u: queue %.1f ms", i,
        r[i].mean_queue_ms);
  }
  /* the drop to 0.6 Mb/s is followed within seconds */
  fail_unless (r[2].adapt_us < 5 * G_USEC_PER_SEC, "took %.1f s",
      r[2].adapt_us / 1e6);
  g_object_unref (estimator);
}

GST_END_TEST;

/* Random loss on a wide link: 20 % brings the rate down, 1 % does not. */
GST_START_TEST (test_estimator_loss)
{
  const Step steps[] = { {0, 10000000} };
  StepResult r[1];
  GstRtcBandwidthEstimator *estimator;
  GstStructure *stats;
  gdouble fraction;

  estimator = gst_rtc_bandwidth_estimator_new (1000000, 50000, 2000000);
  simulate (estimator, steps, 1, 10 * G_USEC_PER_SEC, 0.20, 3, r);
  report ("20% loss", steps, r, 1);
  fail_unless (r[0].mean_target < 300000, "%.0f bit/s under 20 %% loss",
      r[0].mean_target);
  stats = gst_rtc_bandwidth_estimator_get_stats (estimator);
  fail_unless (gst_structure_get_double (stats, "loss-fraction", &fraction));
  fail_unless (fraction > 0.1 && fraction < 0.3, "loss fraction %f",
      fraction);
  gst_structure_free (stats);
  g_object_unref (estimator);

  estimator = gst_rtc_bandwidth_estimator_new (1000000, 50000, 2000000);
  simulate (estimator, steps, 1, 10 * G_USEC_PER_SEC, 0.01, 4, r);
  report ("1% loss", steps, r, 1);
  fail_unless (r[0].mean_target >= 1000000, "%.0f bit/s under 1 %% loss",
      r[0].mean_target);
  g_object_unref (estimator);
}

GST_END_TEST;

/* An application-limited sender (simple content: 200 kb/s against a
 * 1.5 Mb/s target) on a wide link keeps its target: the estimate must not
 * fall to what it happens to send, or the encoder could never climb back
 * when the content gets complex. */
GST_START_TEST (test_estimator_app_limited)
{
  const Step steps[] = { {0, 10000000} };
  StepResult r[1];
  GstRtcBandwidthEstimator *estimator =
      gst_rtc_bandwidth_estimator_new (1500000, 50000, 5000000);

  app_limit_bps = 200000;
  simulate (estimator, steps, 1, 10 * G_USEC_PER_SEC, 0, 5, r);
  app_limit_bps = G_MAXUINT;
  report ("app-limited", steps, r, 1);
  fail_unless (gst_rtc_bandwidth_estimator_get_target (estimator) >= 1500000,
      "target fell to %u bit/s while sending 200 kb/s",
      gst_rtc_bandwidth_estimator_get_target (estimator));
  g_object_unref (estimator);
}

GST_END_TEST;

GST_START_TEST (test_estimator_remb)
{
  GstRtcBandwidthEstimator *estimator =
      gst_rtc_bandwidth_estimator_new (1000000, 50000, 5000000);

  gst_rtc_bandwidth_estimator_on_remb (estimator, 300000, 0);
  fail_unless_equals_int (gst_rtc_bandwidth_estimator_get_target (estimator),
      300000);
  /* below the floor: the floor */
  gst_rtc_bandwidth_estimator_on_remb (estimator, 1000, 1000);
  fail_unless_equals_int (gst_rtc_bandwidth_estimator_get_target (estimator),
      50000);
  g_object_unref (estimator);
}

GST_END_TEST;

static Suite *
congestion_suite (void)
{
  Suite *s = suite_create ("congestion");
  TCase *parse = tcase_create ("parse");
  TCase *estimator = tcase_create ("estimator");

  suite_add_tcase (s, parse);
  tcase_add_test (parse, test_twcc_parse);
  tcase_add_test (parse, test_twcc_malformed);
  tcase_add_test (parse, test_twcc_mutated);
  tcase_add_test (parse, test_twcc_write_roundtrip);
  tcase_add_test (parse, test_remb_parse);
  suite_add_tcase (s, estimator);
  tcase_set_timeout (estimator, 120);
  tcase_add_test (estimator, test_estimator_bottleneck);
  tcase_add_test (estimator, test_estimator_steps);
  tcase_add_test (estimator, test_estimator_loss);
  tcase_add_test (estimator, test_estimator_app_limited);
  tcase_add_test (estimator, test_estimator_remb);
  return s;
}

GST_CHECK_MAIN (congestion);
