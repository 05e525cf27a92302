/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstRtcPacer on a synthetic clock: the pacer is driven by
 * gst_rtc_pacer_process() with made-up times, so that every interval is
 * exact; one test runs its thread on the real clock. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/pacer.h>

typedef struct
{
  GstRtcPacerKind kind;
  gint64 at_us;
  gsize len;
  guint8 first;
  guint tag;
} Sent;

static void
record (GstRtcPacer * pacer, guint8 * data, gsize len, GstRtcPacerKind kind,
    guint tag, gint64 now_us, gpointer user_data)
{
  GArray *sent = user_data;
  Sent s = { kind, now_us, len, len > 0 ? data[0] : 0, tag };

  g_array_append_val (sent, s);
}

static GstRtcPacer *
make_pacer (GArray ** sent, gdouble factor)
{
  GstRtcPacer *pacer = gst_rtc_pacer_new ();

  *sent = g_array_new (FALSE, FALSE, sizeof (Sent));
  g_object_set (pacer, "factor", factor, NULL);
  gst_rtc_pacer_set_send_func (pacer, record, *sent, NULL);
  return pacer;
}

/* Runs the pacer like its thread would, jumping from one due time to the
 * next, until the queue is empty; returns the time it ended. */
static gint64
drain (GstRtcPacer * pacer, gint64 now)
{
  gint64 next;

  while ((next = gst_rtc_pacer_process (pacer, now)) >= 0) {
    fail_unless (next > now, "the pacer asks to be woken in the past");
    now = next;
  }
  return now;
}

static void
push_frame (GstRtcPacer * pacer, GstRtcPacerKind kind, gsize bytes,
    gsize mtu, gint64 now, guint8 tag)
{
  guint8 packet[1500];

  memset (packet, tag, sizeof (packet));
  while (bytes > 0) {
    gsize len = MIN (bytes, mtu);

    gst_rtc_pacer_push (pacer, kind, packet, len, tag, now);
    bytes -= len;
  }
}

/* A 1 Mb/s pacer (target 1 Mb/s, factor 1) spreads a 30 kB keyframe over
 * about 240 ms, one 1200-byte packet every 9.6 ms. */
GST_START_TEST (test_keyframe_spread)
{
  GArray *sent;
  GstRtcPacer *pacer = make_pacer (&sent, 1.0);
  gint64 t0 = 1000000, end;
  guint i;

  gst_rtc_pacer_set_target_bitrate (pacer, 1000000);
  fail_unless_equals_uint64 (gst_rtc_pacer_get_pacing_rate (pacer), 1000000);
  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 30000, 1200, t0, 1);
  /* the burst budget (one packet at this rate) lets the first one out */
  fail_unless (sent->len >= 1 && sent->len <= 2, "%u sent at once",
      sent->len);
  end = drain (pacer, t0);
  fail_unless_equals_int (sent->len, 25);

  /* the last packet leaves when the 24 before it (minus the burst) have
   * had their time: about 230 ms, 240 ms for the whole frame */
  {
    gint64 last = g_array_index (sent, Sent, 24).at_us - t0;

    GST_INFO ("keyframe spread over %" G_GINT64_FORMAT " µs", last);
    fail_unless (last >= 215000 && last <= 240000, "last packet at %"
        G_GINT64_FORMAT " µs", last);
    fail_unless (end - t0 == last);
  }
  /* after the first two (the burst) and the one the overdrawn budget
   * delays less than a full interval */
  for (i = 3; i < sent->len; i++) {
    gint64 gap = g_array_index (sent, Sent, i).at_us -
        g_array_index (sent, Sent, i - 1).at_us;

    /* 1200 bytes at 1 Mb/s: 9.6 ms (the clock step rounds up 1 µs) */
    fail_unless (gap >= 9590 && gap <= 9610, "interval %u: %" G_GINT64_FORMAT
        " µs", i, gap);
  }
  g_object_unref (pacer);
  g_array_unref (sent);
}

GST_END_TEST;

/* At the default factor (2.5), the same keyframe leaves in ~96 ms. */
GST_START_TEST (test_factor)
{
  GArray *sent;
  GstRtcPacer *pacer = make_pacer (&sent, 2.5);
  gint64 t0 = 5000000, last;

  gst_rtc_pacer_set_target_bitrate (pacer, 1000000);
  fail_unless_equals_uint64 (gst_rtc_pacer_get_pacing_rate (pacer), 2500000);
  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 30000, 1200, t0, 1);
  drain (pacer, t0);
  fail_unless_equals_int (sent->len, 25);
  last = g_array_index (sent, Sent, 24).at_us - t0;
  fail_unless (last >= 85000 && last <= 96100, "%" G_GINT64_FORMAT, last);
  g_object_unref (pacer);
  g_array_unref (sent);
}

GST_END_TEST;

/* Audio pushed while a keyframe is queued leaves at once, ahead of it. */
GST_START_TEST (test_audio_not_held)
{
  GArray *sent;
  GstRtcPacer *pacer = make_pacer (&sent, 1.0);
  gint64 t0 = 0, t;
  guint i, n_audio = 0;
  GstStructure *stats;
  guint64 audio;

  gst_rtc_pacer_set_target_bitrate (pacer, 1000000);
  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 30000, 1200, t0, 1);
  /* an audio packet every 20 ms while the keyframe drains */
  for (t = t0; t < t0 + 200000; t += 20000) {
    guint before = sent->len;
    guint8 opus[100] = { 2, };

    gst_rtc_pacer_process (pacer, t);
    before = sent->len;
    gst_rtc_pacer_push (pacer, GST_RTC_PACER_KIND_AUDIO, opus, sizeof (opus),
        2, t);
    fail_unless_equals_int (sent->len, before + 1);
    fail_unless_equals_int (g_array_index (sent, Sent, before).kind,
        GST_RTC_PACER_KIND_AUDIO);
    fail_unless (g_array_index (sent, Sent, before).at_us == t);
  }
  drain (pacer, t);
  for (i = 0; i < sent->len; i++)
    n_audio += g_array_index (sent, Sent, i).kind == GST_RTC_PACER_KIND_AUDIO;
  fail_unless_equals_int (n_audio, 10);
  fail_unless_equals_int (sent->len, 35);
  stats = gst_rtc_pacer_get_stats (pacer);
  fail_unless (gst_structure_get_uint64 (stats, "audio-packets", &audio));
  fail_unless_equals_uint64 (audio, 10);
  gst_structure_free (stats);
  g_object_unref (pacer);
  g_array_unref (sent);
}

GST_END_TEST;

/* With a target of 0 (no estimate), nothing waits. */
GST_START_TEST (test_no_target_passthrough)
{
  GArray *sent;
  GstRtcPacer *pacer = make_pacer (&sent, 2.5);

  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 30000, 1200, 42, 1);
  fail_unless_equals_int (sent->len, 25);
  fail_unless_equals_int64 (gst_rtc_pacer_process (pacer, 42), -1);
  g_object_unref (pacer);
  g_array_unref (sent);
}

GST_END_TEST;

/* Packets leave in the order pushed; a steady stream below the rate does
 * not wait; the rate follows the target. */
GST_START_TEST (test_order_and_steady)
{
  GArray *sent;
  GstRtcPacer *pacer = make_pacer (&sent, 2.5);
  gint64 t;
  guint i;
  GstStructure *stats;
  gdouble mean_delay;

  gst_rtc_pacer_set_target_bitrate (pacer, 500000);
  /* 400 kb/s in 1000-byte packets: one every 20 ms */
  for (i = 0, t = 0; t < 2000000; t += 20000, i++) {
    guint8 packet[1000];

    memset (packet, (t / 20000) & 0xff, sizeof (packet));
    gst_rtc_pacer_process (pacer, t);
    gst_rtc_pacer_push (pacer, GST_RTC_PACER_KIND_VIDEO, packet,
        sizeof (packet), i, t);
  }
  drain (pacer, t);
  fail_unless_equals_int (sent->len, 100);
  for (i = 0; i < sent->len; i++) {
    fail_unless_equals_int (g_array_index (sent, Sent, i).first, i & 0xff);
    fail_unless_equals_int (g_array_index (sent, Sent, i).tag, i);
    fail_unless (g_array_index (sent, Sent, i).at_us == (gint64) i * 20000);
  }
  stats = gst_rtc_pacer_get_stats (pacer);
  fail_unless (gst_structure_get_double (stats, "mean-queue-delay-ms",
          &mean_delay));
  fail_unless (mean_delay == 0.0);
  gst_structure_free (stats);

  gst_rtc_pacer_set_target_bitrate (pacer, 2000000);
  fail_unless_equals_uint64 (gst_rtc_pacer_get_pacing_rate (pacer), 5000000);
  g_object_unref (pacer);
  g_array_unref (sent);
}

GST_END_TEST;

static guint64
stat_u64 (GstRtcPacer * pacer, const gchar * name)
{
  GstStructure *stats = gst_rtc_pacer_get_stats (pacer);
  guint64 value = 0;

  fail_unless (gst_structure_get_uint64 (stats, name, &value), "%s", name);
  gst_structure_free (stats);
  return value;
}

static guint
count_kind (GArray * sent, GstRtcPacerKind kind)
{
  guint i, n = 0;

  for (i = 0; i < sent->len; i++)
    n += g_array_index (sent, Sent, i).kind == kind;
  return n;
}

/* The queue holds at most max-queue-ms at the pacing rate: beyond it,
 * retransmissions go first, then the oldest video; the pacing rate never
 * rises above factor x target to drain it. */
GST_START_TEST (test_bounded_queue)
{
  GArray *sent;
  GstRtcPacer *pacer = make_pacer (&sent, 1.0);
  gint64 end, last;

  /* 200 ms at 1 Mb/s: 25000 bytes */
  g_object_set (pacer, "max-queue-ms", 200, NULL);
  gst_rtc_pacer_set_target_bitrate (pacer, 1000000);
  /* 40 packets at once: 2 leave (the burst), 20 wait, 18 are dropped */
  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 48000, 1200, 0, 1);
  fail_unless_equals_uint64 (stat_u64 (pacer, "packets-dropped"), 18);
  fail_unless (stat_u64 (pacer, "max-queued-bytes") <= 25000);
  /* a retransmission into a full queue goes, not the video */
  push_frame (pacer, GST_RTC_PACER_KIND_RETRANSMISSION, 6000, 1200, 0, 7);
  fail_unless_equals_uint64 (stat_u64 (pacer, "rtx-dropped"), 5);
  end = drain (pacer, 0);
  fail_unless_equals_int (sent->len, 22);
  fail_unless_equals_int (count_kind (sent, GST_RTC_PACER_KIND_VIDEO), 22);
  /* drained at the pacing rate, not faster: 20 x 9.6 ms after the burst */
  last = g_array_index (sent, Sent, 21).at_us;
  fail_unless (last >= 180000, "drained in %" G_GINT64_FORMAT " µs", last);
  fail_unless (end == last);
  g_array_set_size (sent, 0);

  /* 10 retransmissions then 40 video packets at once: the 8 queued
   * retransmissions are dropped before any video */
  end += 1000000;
  push_frame (pacer, GST_RTC_PACER_KIND_RETRANSMISSION, 12000, 1200, end, 7);
  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 48000, 1200, end, 1);
  drain (pacer, end);
  fail_unless_equals_uint64 (stat_u64 (pacer, "rtx-dropped"), 5 + 8);
  fail_unless_equals_int (count_kind (sent, GST_RTC_PACER_KIND_RETRANSMISSION),
      2);
  fail_unless_equals_int (count_kind (sent, GST_RTC_PACER_KIND_VIDEO), 20);
  g_object_unref (pacer);
  g_array_unref (sent);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GCond cond;
  GArray *times;
} Threaded;

static void
record_threaded (GstRtcPacer * pacer, guint8 * data, gsize len,
    GstRtcPacerKind kind, guint tag, gint64 now_us, gpointer user_data)
{
  Threaded *t = user_data;
  gint64 now = g_get_monotonic_time ();

  g_mutex_lock (&t->lock);
  g_array_append_val (t->times, now);
  g_cond_signal (&t->cond);
  g_mutex_unlock (&t->lock);
}

/* The pacer's own thread sends the queue on the real clock; only the
 * lower bound of the spread is asserted (a loaded machine is late, never
 * early). */
GST_START_TEST (test_thread)
{
  GstRtcPacer *pacer = gst_rtc_pacer_new ();
  Threaded t;
  gint64 start, deadline;
  gint64 spread;

  g_mutex_init (&t.lock);
  g_cond_init (&t.cond);
  t.times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_object_set (pacer, "factor", 1.0, NULL);
  gst_rtc_pacer_set_send_func (pacer, record_threaded, &t, NULL);
  fail_unless (gst_rtc_pacer_start (pacer, NULL));
  gst_rtc_pacer_set_target_bitrate (pacer, 1000000);
  start = g_get_monotonic_time ();
  push_frame (pacer, GST_RTC_PACER_KIND_VIDEO, 30000, 1200, start, 1);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_mutex_lock (&t.lock);
  while (t.times->len < 25)
    fail_unless (g_cond_wait_until (&t.cond, &t.lock, deadline),
        "only %u of 25 packets sent", t.times->len);
  spread = g_array_index (t.times, gint64, 24) - start;
  g_mutex_unlock (&t.lock);
  fail_unless (spread >= 210000, "spread %" G_GINT64_FORMAT " µs", spread);
  gst_rtc_pacer_stop (pacer);
  g_object_unref (pacer);
  g_array_unref (t.times);
  g_mutex_clear (&t.lock);
  g_cond_clear (&t.cond);
}

GST_END_TEST;

static Suite *
pacer_suite (void)
{
  Suite *s = suite_create ("pacer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_keyframe_spread);
  tcase_add_test (tc, test_factor);
  tcase_add_test (tc, test_audio_not_held);
  tcase_add_test (tc, test_no_target_passthrough);
  tcase_add_test (tc, test_order_and_steady);
  tcase_add_test (tc, test_bounded_queue);
  tcase_add_test (tc, test_thread);
  return s;
}

GST_CHECK_MAIN (pacer);
