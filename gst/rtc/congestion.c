/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtccongestion
 * @title: Congestion control
 * @short_description: transport-wide-cc feedback, REMB, and a bandwidth
 *   estimator after Google Congestion Control
 *
 * The primer says that WebRTC "adjusts the volume while talking": the
 * sender measures the path and sends what it can carry. The receiver
 * reports when each packet arrived (RTCP transport-wide-cc feedback,
 * draft-holmer-rmcat-transport-wide-cc-extensions-01); the sender, who
 * knows when it sent each one, sees queues build up as delays that grow,
 * before any packet is lost.
 *
 * #GstRtcBandwidthEstimator follows the design of draft-ietf-rmcat-gcc-02:
 *
 * - **Delay-based.** Packets sent within 5 ms of each other form a group.
 *   For two groups in a row, the difference between how far apart they
 *   arrived and how far apart they were sent is the growth of the queue
 *   between them. Those differences are summed, smoothed, and a line is
 *   fitted through the last 20 (a trendline filter, in place of the
 *   draft's Kalman filter); its slope, scaled, is compared with an
 *   adaptive threshold (section 5.4) to say overusing, normal or
 *   underusing.
 * - **Rate control** (section 5.5): a state machine of increase, hold and
 *   decrease. Increase is multiplicative (8 % a second) far from the last
 *   congestion point and additive (about a packet per response time)
 *   near it; decrease goes to 85 % of the rate the receiver acknowledged.
 *   An increase never takes the rate past 1.5 times the acknowledged rate
 *   (a rate already above it is held, not lowered).
 * - **Loss-based** (section 6): above 10 % loss the rate falls by half the
 *   loss fraction, below 2 % it rises by 5 %, in between it holds.
 *
 * The target is the lower of the two (and of a REMB the peer sent, when
 * it sends REMB), within the bounds given at creation.
 *
 * The parsers take untrusted bytes and fail with a #GError that says what
 * was wrong; they never read past @len.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "congestion.h"
#include "rtc.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_congestion_debug);
#define GST_CAT_DEFAULT gst_rtc_congestion_debug

#define RTCP_PT_RTPFB 205
#define RTCP_PT_PSFB 206
#define RTPFB_FMT_TWCC 15
#define PSFB_FMT_AFB 15

#define TWCC_HEADER_LEN 20
/* Feedback for more packets than this is refused: a second of video at
 * 10 Mb/s is under 1000 packets, and feedback comes every 100 ms. */
#define TWCC_MAX_STATUS_COUNT 16384
#define REFERENCE_TIME_UNIT_US 64000

enum
{
  SYMBOL_NOT_RECEIVED = 0,
  SYMBOL_SMALL_DELTA = 1,
  SYMBOL_LARGE_DELTA = 2,
  SYMBOL_RESERVED = 3,
};

static void
congestion_debug_init (void)
{
  static gsize init = 0;

  if (g_once_init_enter (&init)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtc_congestion_debug, "rtccongestion", 0,
        "gst-rtc congestion control");
    g_once_init_leave (&init, 1);
  }
}

static gboolean
parse_error (GError ** error, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
parse_error (GError ** error, const gchar * format, ...)
{
  va_list args;
  gchar *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
      message);
  g_free (message);
  return FALSE;
}

/* The common RTCP header: version, type, format, and the length it
 * claims, which must fit in @len. Returns the length to use, without
 * padding, or 0. */
static gsize
rtcp_feedback_header (const guint8 * data, gsize len, guint8 pt, guint8 fmt,
    gsize min_len, const gchar * what, GError ** error)
{
  gsize total;

  if (data == NULL || len < min_len) {
    parse_error (error, "%s truncated: %" G_GSIZE_FORMAT " bytes, at least %"
        G_GSIZE_FORMAT " needed", what, data ? len : 0, min_len);
    return 0;
  }
  if ((data[0] >> 6) != 2) {
    parse_error (error, "%s: RTCP version %u, not 2", what, data[0] >> 6);
    return 0;
  }
  if (data[1] != pt || (data[0] & 0x1f) != fmt) {
    parse_error (error, "%s: packet type %u format %u, not %u/%u", what,
        data[1], data[0] & 0x1f, pt, fmt);
    return 0;
  }
  total = ((gsize) GST_READ_UINT16_BE (data + 2) + 1) * 4;
  if (total > len) {
    parse_error (error, "%s truncated: its header says %" G_GSIZE_FORMAT
        " bytes, %" G_GSIZE_FORMAT " are there", what, total, len);
    return 0;
  }
  if (total < min_len) {
    parse_error (error, "%s: a length of %" G_GSIZE_FORMAT " bytes is too "
        "short (at least %" G_GSIZE_FORMAT ")", what, total, min_len);
    return 0;
  }
  if (data[0] & 0x20) {
    guint8 padding = data[total - 1];

    if (padding == 0 || padding > total - min_len) {
      parse_error (error, "%s: bad padding of %u bytes", what, padding);
      return 0;
    }
    total -= padding;
  }
  return total;
}

/**
 * gst_rtc_twcc_feedback_parse:
 * @data: (array length=len): one RTCP packet (the first of a compound
 *   packet is read; what follows it is ignored)
 * @len: its length
 * @feedback: (out caller-allocates): the result; clear it with
 *   gst_rtc_twcc_feedback_clear() after success
 * @error: return location for a #GError
 *
 * Parses a transport-wide congestion control feedback message (RTPFB,
 * FMT 15): its packet status chunks (run length, one-bit and two-bit
 * vectors) and receive deltas, into one #GstRtcTwccPacket per reported
 * sequence number, with arrival times made absolute from the reference
 * time.
 *
 * Returns: %TRUE, or %FALSE with @error set (`GST_RTC_ERROR_TYPE_ERROR`)
 *   naming what is wrong; @feedback is then untouched
 */
gboolean
gst_rtc_twcc_feedback_parse (const guint8 * data, gsize len,
    GstRtcTwccFeedback * feedback, GError ** error)
{
  const gchar *what = "transport-cc feedback";
  guint status_count, n = 0, i;
  gsize end, pos = TWCC_HEADER_LEN;
  guint8 *symbols;
  gint32 reference;
  gint64 time_us;
  GArray *packets;

  g_return_val_if_fail (feedback != NULL, FALSE);

  end = rtcp_feedback_header (data, len, RTCP_PT_RTPFB, RTPFB_FMT_TWCC,
      TWCC_HEADER_LEN, what, error);
  if (end == 0)
    return FALSE;

  status_count = GST_READ_UINT16_BE (data + 14);
  if (status_count == 0)
    return parse_error (error, "%s reports no packet", what);
  if (status_count > TWCC_MAX_STATUS_COUNT)
    return parse_error (error, "%s reports %u packets, more than %u",
        what, status_count, TWCC_MAX_STATUS_COUNT);

  symbols = g_malloc (status_count);
  while (n < status_count) {
    guint16 chunk;

    if (pos + 2 > end) {
      g_free (symbols);
      return parse_error (error, "%s truncated in its packet status chunks "
          "(%u of %u statuses read)", what, n, status_count);
    }
    chunk = GST_READ_UINT16_BE (data + pos);
    pos += 2;
    if ((chunk & 0x8000) == 0) {
      /* run length: T=0, S (2 bits), length (13 bits) */
      guint symbol = (chunk >> 13) & 0x3;
      guint run = chunk & 0x1fff;

      if (run == 0 || symbol == SYMBOL_RESERVED) {
        g_free (symbols);
        return parse_error (error, "%s: run length chunk 0x%04x is invalid "
            "(%s)", what, chunk, run == 0 ? "empty run" : "reserved symbol");
      }
      for (i = 0; i < run && n < status_count; i++)
        symbols[n++] = symbol;
    } else if ((chunk & 0x4000) == 0) {
      /* status vector of 14 one-bit symbols */
      for (i = 0; i < 14 && n < status_count; i++)
        symbols[n++] = (chunk >> (13 - i)) & 0x1;
    } else {
      /* status vector of 7 two-bit symbols */
      for (i = 0; i < 7 && n < status_count; i++) {
        guint symbol = (chunk >> (12 - 2 * i)) & 0x3;

        if (symbol == SYMBOL_RESERVED) {
          g_free (symbols);
          return parse_error (error, "%s: status vector chunk 0x%04x has "
              "the reserved symbol", what, chunk);
        }
        symbols[n++] = symbol;
      }
    }
  }

  /* 24-bit signed reference time, in 64 ms */
  reference = (gint32) ((GST_READ_UINT32_BE (data + 16) >> 8) << 8) >> 8;
  time_us = (gint64) reference * REFERENCE_TIME_UNIT_US;
  packets = g_array_sized_new (FALSE, FALSE, sizeof (GstRtcTwccPacket),
      status_count);
  for (i = 0; i < status_count; i++) {
    GstRtcTwccPacket packet = { 0, };

    packet.seq = (guint16) (GST_READ_UINT16_BE (data + 12) + i);
    if (symbols[i] == SYMBOL_SMALL_DELTA) {
      if (pos + 1 > end)
        goto truncated_deltas;
      time_us += (gint64) data[pos] * GST_RTC_TWCC_DELTA_US;
      pos += 1;
      packet.received = TRUE;
      packet.arrival_us = time_us;
    } else if (symbols[i] == SYMBOL_LARGE_DELTA) {
      if (pos + 2 > end)
        goto truncated_deltas;
      time_us += (gint64) (gint16) GST_READ_UINT16_BE (data + pos) *
          GST_RTC_TWCC_DELTA_US;
      pos += 2;
      packet.received = TRUE;
      packet.arrival_us = time_us;
    }
    g_array_append_val (packets, packet);
  }
  g_free (symbols);

  feedback->sender_ssrc = GST_READ_UINT32_BE (data + 4);
  feedback->media_ssrc = GST_READ_UINT32_BE (data + 8);
  feedback->base_seq = GST_READ_UINT16_BE (data + 12);
  feedback->feedback_count = data[19];
  feedback->reference_time_us = (gint64) reference * REFERENCE_TIME_UNIT_US;
  feedback->packets = packets;
  return TRUE;

truncated_deltas:
  g_free (symbols);
  g_array_unref (packets);
  return parse_error (error, "%s truncated in its receive deltas (packet %u "
      "of %u)", what, i, status_count);
}

/**
 * gst_rtc_twcc_feedback_clear:
 * @feedback: a feedback filled by gst_rtc_twcc_feedback_parse()
 *
 * Frees what @feedback holds (not @feedback itself).
 */
void
gst_rtc_twcc_feedback_clear (GstRtcTwccFeedback * feedback)
{
  g_return_if_fail (feedback != NULL);

  g_clear_pointer (&feedback->packets, g_array_unref);
}

/**
 * gst_rtc_twcc_feedback_write:
 * @feedback: what to write: @packets must run from @base_seq without a
 *   gap; arrival times must not go back by more than 8 s between
 *   received packets, nor lie before the reference time rounded down to
 *   64 ms
 * @error: return location for a #GError
 *
 * Writes @feedback as an RTCP transport-cc message (two-bit status
 * vectors, zero-padded to 32 bits), for tests, simulations and fuzzing
 * seeds.
 *
 * Returns: (transfer full) (nullable): the packet, or %NULL with @error
 */
GBytes *
gst_rtc_twcc_feedback_write (const GstRtcTwccFeedback * feedback,
    GError ** error)
{
  guint n, n_chunks, i;
  GByteArray *out;
  gint64 reference, time_us;
  guint8 header[TWCC_HEADER_LEN];
  GByteArray *deltas;

  g_return_val_if_fail (feedback != NULL, NULL);

  n = feedback->packets ? feedback->packets->len : 0;
  if (n == 0 || n > TWCC_MAX_STATUS_COUNT) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "cannot write transport-cc feedback for %u packets", n);
    return NULL;
  }

  reference = feedback->reference_time_us >= 0 ?
      feedback->reference_time_us / REFERENCE_TIME_UNIT_US :
      -((-feedback->reference_time_us + REFERENCE_TIME_UNIT_US - 1) /
      REFERENCE_TIME_UNIT_US);
  if (reference < -(1 << 23) || reference >= (1 << 23)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "reference time %" G_GINT64_FORMAT " µs does not fit in 24 bits",
        feedback->reference_time_us);
    return NULL;
  }

  n_chunks = (n + 6) / 7;
  out = g_byte_array_new ();
  deltas = g_byte_array_new ();
  memset (header, 0, sizeof (header));
  g_byte_array_append (out, header, sizeof (header));
  time_us = reference * REFERENCE_TIME_UNIT_US;
  for (i = 0; i < n_chunks; i++) {
    guint16 chunk = 0xc000;
    guint8 bytes[2];
    guint k;

    for (k = 0; k < 7; k++) {
      guint index = i * 7 + k;
      const GstRtcTwccPacket *packet;
      guint symbol = SYMBOL_NOT_RECEIVED;

      if (index < n) {
        packet = &g_array_index (feedback->packets, GstRtcTwccPacket, index);
        if (packet->seq != (guint16) (feedback->base_seq + index)) {
          g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
              "packet %u has sequence number %u, not %u", index, packet->seq,
              (guint16) (feedback->base_seq + index));
          goto failed;
        }
        if (packet->received) {
          gint64 delta = (packet->arrival_us - time_us) /
              GST_RTC_TWCC_DELTA_US;

          if (delta >= 0 && delta <= 255) {
            guint8 b = delta;

            symbol = SYMBOL_SMALL_DELTA;
            g_byte_array_append (deltas, &b, 1);
          } else if (delta >= G_MININT16 && delta <= G_MAXINT16) {
            guint8 b[2];

            symbol = SYMBOL_LARGE_DELTA;
            GST_WRITE_UINT16_BE (b, (guint16) (gint16) delta);
            g_byte_array_append (deltas, b, 2);
          } else {
            g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
                "packet %u arrived %" G_GINT64_FORMAT " µs from the one "
                "before: more than a receive delta can say", index,
                packet->arrival_us - time_us);
            goto failed;
          }
          time_us += delta * GST_RTC_TWCC_DELTA_US;
        }
      }
      chunk |= symbol << (12 - 2 * k);
    }
    GST_WRITE_UINT16_BE (bytes, chunk);
    g_byte_array_append (out, bytes, 2);
  }
  g_byte_array_append (out, deltas->data, deltas->len);
  while (out->len % 4 != 0) {
    guint8 zero = 0;

    g_byte_array_append (out, &zero, 1);
  }
  g_byte_array_unref (deltas);

  out->data[0] = 0x80 | RTPFB_FMT_TWCC;
  out->data[1] = RTCP_PT_RTPFB;
  GST_WRITE_UINT16_BE (out->data + 2, out->len / 4 - 1);
  GST_WRITE_UINT32_BE (out->data + 4, feedback->sender_ssrc);
  GST_WRITE_UINT32_BE (out->data + 8, feedback->media_ssrc);
  GST_WRITE_UINT16_BE (out->data + 12, feedback->base_seq);
  GST_WRITE_UINT16_BE (out->data + 14, n);
  GST_WRITE_UINT32_BE (out->data + 16, (((guint32) reference & 0xffffff) << 8)
      | feedback->feedback_count);
  return g_byte_array_free_to_bytes (out);

failed:
  g_byte_array_unref (deltas);
  g_byte_array_unref (out);
  return NULL;
}

/**
 * gst_rtc_remb_parse:
 * @data: (array length=len): one RTCP packet
 * @len: its length
 * @bitrate: (out): the receiver's estimate, in bit/s
 * @error: return location for a #GError
 *
 * Parses a Receiver Estimated Maximum Bitrate message
 * (draft-alvestrand-rmcat-remb-03: PSFB, FMT 15, "REMB").
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
gst_rtc_remb_parse (const guint8 * data, gsize len, guint64 * bitrate,
    GError ** error)
{
  const gchar *what = "REMB";
  guint num_ssrc, exponent;
  guint32 mantissa;
  gsize end;

  g_return_val_if_fail (bitrate != NULL, FALSE);

  end = rtcp_feedback_header (data, len, RTCP_PT_PSFB, PSFB_FMT_AFB, 20,
      what, error);
  if (end == 0)
    return FALSE;
  if (memcmp (data + 12, "REMB", 4) != 0)
    return parse_error (error, "application feedback is not REMB");
  num_ssrc = data[16];
  if (20 + (gsize) num_ssrc * 4 > end)
    return parse_error (error, "%s truncated: %u SSRCs announced, room for "
        "%" G_GSIZE_FORMAT, what, num_ssrc, (end - 20) / 4);
  exponent = data[17] >> 2;
  mantissa = ((guint32) (data[17] & 0x3) << 16) | GST_READ_UINT16_BE (data +
      18);
  if (mantissa != 0 && exponent > 64 - 18)
    return parse_error (error, "%s: bitrate %u * 2^%u overflows", what,
        mantissa, exponent);
  *bitrate = (guint64) mantissa << exponent;
  return TRUE;
}

/* ======================================================================== */
/* The estimator                                                            */
/* ======================================================================== */

/* Sent packets remembered, a power of two: feedback comes within a few
 * hundred ms, and 2048 packets are 0.4 s at 50 Mb/s (48 KiB per estimator,
 * which the fan-out has one of per viewer). */
#define HISTORY_SIZE 2048
#define BURST_US 5000           /* packets sent this close form a group */
#define TRENDLINE_WINDOW 20
#define TRENDLINE_SMOOTHING 0.9
#define TRENDLINE_GAIN 4.0
#define THRESHOLD_INITIAL 12.5
#define THRESHOLD_MIN 6.0
#define THRESHOLD_MAX 600.0
#define THRESHOLD_K_UP 0.0087
#define THRESHOLD_K_DOWN 0.039
#define OVERUSE_TIME_MS 10.0
#define ACKED_WINDOW_US 500000
#define DECREASE_FACTOR 0.85
#define LOSS_INTERVAL_US 200000
#define LOSS_MIN_PACKETS 20
#define REMB_VALID_US (2 * G_USEC_PER_SEC)
#define DEFAULT_RTT_US 100000

typedef struct
{
  gint64 seq;                   /* unwrapped; -1: empty slot */
  gint64 send_us;
  guint size;
  gboolean reported;
} SentPacket;

typedef struct
{
  gint64 first_send_us;
  gint64 last_send_us;
  gint64 last_arrival_us;
  gsize size;
} PacketGroup;

typedef struct
{
  gint64 arrival_us;
  guint size;
} Acked;

typedef enum
{
  RATE_HOLD,
  RATE_INCREASE,
  RATE_DECREASE,
} RateState;

/**
 * GstRtcBandwidthEstimator:
 *
 * A send-side bandwidth estimate for one transport, fed with what was
 * sent (gst_rtc_bandwidth_estimator_on_sent()) and the peer's feedback
 * (gst_rtc_bandwidth_estimator_on_feedback()). All methods may be called
 * from any thread.
 */
struct _GstRtcBandwidthEstimator
{
  GObject parent;

  GMutex lock;
  guint min_bitrate, max_bitrate;

  SentPacket *history;
  gint64 highest_sent;          /* unwrapped seq, -1 before the first */
  gint64 avg_packet_bits;

  /* delay-based */
  gboolean have_group, have_previous;
  PacketGroup group, previous;
  gint64 first_arrival_us;
  gdouble accumulated_ms, smoothed_ms;
  gdouble window_x[TRENDLINE_WINDOW], window_y[TRENDLINE_WINDOW];
  guint window_len, window_next, num_deltas;
  gdouble trend, previous_trend, modified_trend;
  gdouble threshold;
  gint64 last_threshold_update_us;
  gdouble overuse_time_ms;
  guint overuse_count;
  GstRtcBandwidthUsage usage;

  /* rate control */
  RateState rate_state;
  gdouble delay_rate;
  gint64 last_rate_update_us;
  gint64 last_decrease_us;
  gdouble avg_max_kbps, var_max_kbps;   /* at decreases; < 0: unknown */
  gint64 rtt_us;

  /* acknowledged rate */
  GQueue acked;                 /* Acked, by arrival */
  guint64 acked_bytes;
  gdouble acked_bps;

  /* loss-based */
  guint64 interval_lost, interval_received;
  gint64 interval_start_us;
  gdouble loss_fraction;
  gdouble loss_rate;
  guint64 total_lost, total_received;

  guint64 remb;
  gint64 remb_time_us;
  guint target;
};

G_DEFINE_TYPE (GstRtcBandwidthEstimator, gst_rtc_bandwidth_estimator,
    G_TYPE_OBJECT);

static void
gst_rtc_bandwidth_estimator_finalize (GObject * object)
{
  GstRtcBandwidthEstimator *self = GST_RTC_BANDWIDTH_ESTIMATOR (object);

  g_free (self->history);
  g_queue_clear_full (&self->acked, g_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_rtc_bandwidth_estimator_parent_class)->finalize
      (object);
}

static void
gst_rtc_bandwidth_estimator_class_init (GstRtcBandwidthEstimatorClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_rtc_bandwidth_estimator_finalize;
  congestion_debug_init ();
}

static void
gst_rtc_bandwidth_estimator_init (GstRtcBandwidthEstimator * self)
{
  guint i;

  g_mutex_init (&self->lock);
  self->history = g_new (SentPacket, HISTORY_SIZE);
  for (i = 0; i < HISTORY_SIZE; i++)
    self->history[i].seq = -1;
  self->highest_sent = -1;
  self->avg_packet_bits = 1200 * 8;
  self->first_arrival_us = -1;
  self->threshold = THRESHOLD_INITIAL;
  self->last_threshold_update_us = -1;
  self->overuse_time_ms = -1;
  self->usage = GST_RTC_BANDWIDTH_USAGE_NORMAL;
  self->rate_state = RATE_HOLD;
  self->last_rate_update_us = -1;
  self->last_decrease_us = -1;
  self->avg_max_kbps = -1;
  self->rtt_us = DEFAULT_RTT_US;
  g_queue_init (&self->acked);
  self->interval_start_us = -1;
  self->remb_time_us = -1;
}

/**
 * gst_rtc_bandwidth_estimator_new:
 * @start_bitrate: the first estimate, in bit/s
 * @min_bitrate: the lowest target it gives
 * @max_bitrate: the highest target it gives
 *
 * Returns: (transfer full): a new estimator
 */
GstRtcBandwidthEstimator *
gst_rtc_bandwidth_estimator_new (guint start_bitrate, guint min_bitrate,
    guint max_bitrate)
{
  GstRtcBandwidthEstimator *self;

  g_return_val_if_fail (min_bitrate <= max_bitrate, NULL);

  self = g_object_new (GST_RTC_TYPE_BANDWIDTH_ESTIMATOR, NULL);
  self->min_bitrate = min_bitrate;
  self->max_bitrate = max_bitrate;
  self->target = CLAMP (start_bitrate, min_bitrate, max_bitrate);
  self->delay_rate = self->target;
  self->loss_rate = self->target;
  return self;
}

/* The 64-bit sequence number nearest to @highest that ends in @seq. */
static gint64
unwrap_seq (gint64 highest, guint16 seq)
{
  gint64 candidate;

  if (highest < 0)
    return seq;
  candidate = (highest & ~(gint64) 0xffff) | seq;
  if (candidate - highest > 0x8000)
    candidate -= 0x10000;
  else if (highest - candidate > 0x8000)
    candidate += 0x10000;
  return candidate;
}

/**
 * gst_rtc_bandwidth_estimator_on_sent:
 * @estimator: an estimator
 * @seq: the transport-wide sequence number written into the packet
 * @size: its size on the wire, in bytes
 * @send_time_us: when it left, on a monotonic clock (µs)
 *
 * Records a sent packet, for the feedback that will report it.
 */
void
gst_rtc_bandwidth_estimator_on_sent (GstRtcBandwidthEstimator * estimator,
    guint16 seq, gsize size, gint64 send_time_us)
{
  SentPacket *slot;
  gint64 full;

  g_return_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator));

  g_mutex_lock (&estimator->lock);
  full = unwrap_seq (estimator->highest_sent, seq);
  if (full < 0) {
    g_mutex_unlock (&estimator->lock);
    return;
  }
  if (full > estimator->highest_sent)
    estimator->highest_sent = full;
  slot = &estimator->history[full & (HISTORY_SIZE - 1)];
  slot->seq = full;
  slot->send_us = send_time_us;
  slot->size = size;
  slot->reported = FALSE;
  estimator->avg_packet_bits = (estimator->avg_packet_bits * 15 +
      (gint64) size * 8) / 16;
  g_mutex_unlock (&estimator->lock);
}

/* Least squares slope of the window. */
static gdouble
window_slope (GstRtcBandwidthEstimator * self)
{
  gdouble mean_x = 0, mean_y = 0, num = 0, den = 0;
  guint i;

  for (i = 0; i < self->window_len; i++) {
    mean_x += self->window_x[i];
    mean_y += self->window_y[i];
  }
  mean_x /= self->window_len;
  mean_y /= self->window_len;
  for (i = 0; i < self->window_len; i++) {
    num += (self->window_x[i] - mean_x) * (self->window_y[i] - mean_y);
    den += (self->window_x[i] - mean_x) * (self->window_x[i] - mean_x);
  }
  return den > 0 ? num / den : self->trend;
}

/* Section 5.4: the threshold follows the trend slowly, so that a flow
 * competing with loss-based TCP is not starved. */
static void
update_threshold (GstRtcBandwidthEstimator * self, gdouble modified,
    gint64 now_us)
{
  gdouble abs_modified = fabs (modified), k, dt_ms;

  if (self->last_threshold_update_us < 0)
    self->last_threshold_update_us = now_us;
  /* a spike says nothing about the threshold */
  if (abs_modified > self->threshold + 15.0) {
    self->last_threshold_update_us = now_us;
    return;
  }
  k = abs_modified < self->threshold ? THRESHOLD_K_DOWN : THRESHOLD_K_UP;
  dt_ms = MIN ((now_us - self->last_threshold_update_us) / 1000.0, 100.0);
  self->threshold += k * (abs_modified - self->threshold) * dt_ms;
  self->threshold = CLAMP (self->threshold, THRESHOLD_MIN, THRESHOLD_MAX);
  self->last_threshold_update_us = now_us;
}

/* One delay variation between two groups, in ms. */
static void
detect (GstRtcBandwidthEstimator * self, gdouble delta_ms,
    gdouble send_delta_ms, gint64 arrival_us, gint64 now_us)
{
  gdouble modified;

  if (self->first_arrival_us < 0)
    self->first_arrival_us = arrival_us;
  self->num_deltas = MIN (self->num_deltas + 1, 1000);
  self->accumulated_ms += delta_ms;
  self->smoothed_ms = TRENDLINE_SMOOTHING * self->smoothed_ms +
      (1 - TRENDLINE_SMOOTHING) * self->accumulated_ms;

  self->window_x[self->window_next] =
      (arrival_us - self->first_arrival_us) / 1000.0;
  self->window_y[self->window_next] = self->smoothed_ms;
  self->window_next = (self->window_next + 1) % TRENDLINE_WINDOW;
  if (self->window_len < TRENDLINE_WINDOW)
    self->window_len++;
  if (self->window_len == TRENDLINE_WINDOW)
    self->trend = window_slope (self);

  modified = MIN (self->num_deltas, 60) * self->trend * TRENDLINE_GAIN;
  self->modified_trend = modified;
  if (modified > self->threshold) {
    if (self->overuse_time_ms < 0)
      self->overuse_time_ms = send_delta_ms / 2;
    else
      self->overuse_time_ms += send_delta_ms;
    self->overuse_count++;
    if (self->overuse_time_ms > OVERUSE_TIME_MS && self->overuse_count > 1
        && self->trend >= self->previous_trend) {
      self->overuse_time_ms = 0;
      self->overuse_count = 0;
      self->usage = GST_RTC_BANDWIDTH_USAGE_OVERUSING;
    }
  } else if (modified < -self->threshold) {
    self->overuse_time_ms = -1;
    self->overuse_count = 0;
    self->usage = GST_RTC_BANDWIDTH_USAGE_UNDERUSING;
  } else {
    self->overuse_time_ms = -1;
    self->overuse_count = 0;
    self->usage = GST_RTC_BANDWIDTH_USAGE_NORMAL;
  }
  self->previous_trend = self->trend;
  update_threshold (self, modified, now_us);
}

/* A received packet, in send order: groups, then their delay variation. */
static void
add_arrival (GstRtcBandwidthEstimator * self, gint64 send_us,
    gint64 arrival_us, guint size, gint64 now_us)
{
  if (!self->have_group) {
    self->group.first_send_us = self->group.last_send_us = send_us;
    self->group.last_arrival_us = arrival_us;
    self->group.size = size;
    self->have_group = TRUE;
    return;
  }
  if (send_us < self->group.first_send_us)
    return;                     /* reordered before this group: ignored */
  if (send_us - self->group.first_send_us <= BURST_US) {
    self->group.last_send_us = MAX (self->group.last_send_us, send_us);
    self->group.last_arrival_us = MAX (self->group.last_arrival_us,
        arrival_us);
    self->group.size += size;
    return;
  }

  /* the group is complete */
  if (self->have_previous) {
    gint64 send_delta = self->group.last_send_us - self->previous.last_send_us;
    gint64 arrival_delta = self->group.last_arrival_us -
        self->previous.last_arrival_us;

    if (arrival_delta >= 0 && send_delta > 0)
      detect (self, (arrival_delta - send_delta) / 1000.0,
          send_delta / 1000.0, self->group.last_arrival_us, now_us);
  }
  self->previous = self->group;
  self->have_previous = TRUE;
  self->group.first_send_us = self->group.last_send_us = send_us;
  self->group.last_arrival_us = arrival_us;
  self->group.size = size;
}

static void
add_acked (GstRtcBandwidthEstimator * self, gint64 arrival_us, guint size)
{
  Acked *acked = g_new (Acked, 1);
  Acked *oldest, *newest;
  gint64 span;

  acked->arrival_us = arrival_us;
  acked->size = size;
  g_queue_push_tail (&self->acked, acked);
  self->acked_bytes += size;
  newest = g_queue_peek_tail (&self->acked);
  while ((oldest = g_queue_peek_head (&self->acked)) != NULL
      && newest->arrival_us - oldest->arrival_us > ACKED_WINDOW_US) {
    self->acked_bytes -= oldest->size;
    g_free (g_queue_pop_head (&self->acked));
  }
  oldest = g_queue_peek_head (&self->acked);
  span = newest->arrival_us - oldest->arrival_us;
  /* less than 100 ms of arrivals says little */
  if (span >= 100000)
    self->acked_bps = self->acked_bytes * 8.0 * G_USEC_PER_SEC /
        MAX (span, ACKED_WINDOW_US / 2);
}

/* Section 5.5. */
static void
update_delay_rate (GstRtcBandwidthEstimator * self, gint64 now_us)
{
  gdouble dt_s, acked_kbps = self->acked_bps / 1000.0;
  gint64 response_us = 100000 + self->rtt_us;

  if (self->last_rate_update_us < 0)
    self->last_rate_update_us = now_us;
  dt_s = MIN ((now_us - self->last_rate_update_us) / 1e6, 1.0);
  self->last_rate_update_us = now_us;

  switch (self->usage) {
    case GST_RTC_BANDWIDTH_USAGE_OVERUSING:
      self->rate_state = RATE_DECREASE;
      break;
    case GST_RTC_BANDWIDTH_USAGE_UNDERUSING:
      self->rate_state = RATE_HOLD;
      break;
    case GST_RTC_BANDWIDTH_USAGE_NORMAL:
      if (self->rate_state == RATE_HOLD)
        self->rate_state = RATE_INCREASE;
      else if (self->rate_state == RATE_DECREASE)
        self->rate_state = RATE_HOLD;
      break;
  }

  /* a rate far above the last congestion point: the link got better */
  if (self->avg_max_kbps >= 0 && acked_kbps > 0
      && acked_kbps > self->avg_max_kbps + 3 * sqrt (self->var_max_kbps *
          self->avg_max_kbps))
    self->avg_max_kbps = -1;

  switch (self->rate_state) {
    case RATE_INCREASE:{
      gboolean near = self->avg_max_kbps >= 0;
      gdouble increased, limit = G_MAXDOUBLE;

      if (near) {
        gdouble add = MAX (1000.0, self->avg_packet_bits * dt_s * 1e6 /
            response_us);

        increased = self->delay_rate + add;
      } else {
        increased = self->delay_rate * pow (1.08, dt_s);
      }
      /* no large increase without evidence that the path carries it; a
       * sender that sends little (simple content, an app-limited encoder)
       * keeps its rate rather than being pulled down to what it sent */
      if (self->acked_bps > 0)
        limit = 1.5 * self->acked_bps + 10000;
      if (self->delay_rate < limit)
        self->delay_rate = MAX (self->delay_rate, MIN (increased, limit));
      break;
    }
    case RATE_DECREASE:
      /* at most once a response time: the queue needs that to drain */
      if (self->last_decrease_us < 0
          || now_us - self->last_decrease_us >= response_us) {
        gdouble base = self->acked_bps > 0 ? self->acked_bps :
            self->delay_rate;
        gdouble decreased = DECREASE_FACTOR * base;

        if (decreased < self->delay_rate)
          self->delay_rate = decreased;
        if (acked_kbps > 0) {
          if (self->avg_max_kbps < 0) {
            self->avg_max_kbps = acked_kbps;
            self->var_max_kbps = 0.4;
          } else {
            gdouble norm = MAX (self->avg_max_kbps, 1.0);
            gdouble diff = acked_kbps - self->avg_max_kbps;

            self->avg_max_kbps = 0.95 * self->avg_max_kbps + 0.05 *
                acked_kbps;
            self->var_max_kbps = 0.95 * self->var_max_kbps + 0.05 * diff *
                diff / norm;
            self->var_max_kbps = CLAMP (self->var_max_kbps, 0.4, 2.5);
          }
        }
        self->last_decrease_us = now_us;
        GST_DEBUG_OBJECT (self, "overuse: down to %.0f bit/s (acked %.0f)",
            self->delay_rate, self->acked_bps);
      }
      break;
    case RATE_HOLD:
      break;
  }
  self->delay_rate = CLAMP (self->delay_rate, self->min_bitrate,
      self->max_bitrate);
}

/* Section 6. */
static void
update_loss_rate (GstRtcBandwidthEstimator * self, gint64 now_us)
{
  guint64 total = self->interval_lost + self->interval_received;
  gdouble p;

  if (self->interval_start_us < 0)
    self->interval_start_us = now_us;
  if (now_us - self->interval_start_us < LOSS_INTERVAL_US
      || total < LOSS_MIN_PACKETS) {
    self->loss_rate = MIN (self->loss_rate, MAX (self->delay_rate,
            self->loss_rate));
    return;
  }
  p = (gdouble) self->interval_lost / total;
  self->loss_fraction = p;
  if (p > 0.10)
    self->loss_rate *= 1 - 0.5 * p;
  else if (p < 0.02)
    self->loss_rate = MIN (self->loss_rate * 1.05, self->delay_rate);
  self->loss_rate = CLAMP (self->loss_rate, self->min_bitrate,
      self->max_bitrate);
  self->interval_lost = self->interval_received = 0;
  self->interval_start_us = now_us;
}

static void
update_target (GstRtcBandwidthEstimator * self, gint64 now_us)
{
  gdouble target = MIN (self->delay_rate, self->loss_rate);

  if (self->remb_time_us >= 0 && now_us - self->remb_time_us < REMB_VALID_US
      && self->remb > 0)
    target = MIN (target, (gdouble) self->remb);
  self->target = (guint) CLAMP (target, self->min_bitrate, self->max_bitrate);
}

/**
 * gst_rtc_bandwidth_estimator_on_feedback:
 * @estimator: an estimator
 * @feedback: the peer's transport-cc feedback
 * @now_us: the time it arrived, on the clock of
 *   gst_rtc_bandwidth_estimator_on_sent()
 *
 * Takes the peer's report: arrival times into the delay-based detector,
 * received bytes into the acknowledged rate, losses into the loss-based
 * part. Packets we did not send or no longer remember are ignored, as
 * are reports of a packet already reported.
 */
void
gst_rtc_bandwidth_estimator_on_feedback (GstRtcBandwidthEstimator * estimator,
    const GstRtcTwccFeedback * feedback, gint64 now_us)
{
  guint i;

  g_return_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator));
  g_return_if_fail (feedback != NULL);

  if (feedback->packets == NULL)
    return;
  g_mutex_lock (&estimator->lock);
  for (i = 0; i < feedback->packets->len; i++) {
    const GstRtcTwccPacket *packet = &g_array_index (feedback->packets,
        GstRtcTwccPacket, i);
    gint64 full = unwrap_seq (estimator->highest_sent, packet->seq);
    SentPacket *sent;

    if (full < 0 || full > estimator->highest_sent)
      continue;
    sent = &estimator->history[full & (HISTORY_SIZE - 1)];
    if (sent->seq != full)
      continue;
    if (!packet->received) {
      /* lost, unless a later report says otherwise; counted once */
      if (!sent->reported) {
        sent->reported = TRUE;
        estimator->interval_lost++;
        estimator->total_lost++;
      }
      continue;
    }
    if (sent->reported) {
      /* reported lost before, arrived late after all */
      if (estimator->interval_lost > 0)
        estimator->interval_lost--;
      if (estimator->total_lost > 0)
        estimator->total_lost--;
    }
    sent->reported = TRUE;
    sent->seq = -1;             /* not twice */
    estimator->interval_received++;
    estimator->total_received++;
    add_acked (estimator, packet->arrival_us, sent->size);
    add_arrival (estimator, sent->send_us, packet->arrival_us, sent->size,
        now_us);
  }
  update_delay_rate (estimator, now_us);
  update_loss_rate (estimator, now_us);
  update_target (estimator, now_us);
  GST_LOG_OBJECT (estimator, "target %u (delay %.0f, loss %.0f), acked %.0f, "
      "trend %.3f / threshold %.2f", estimator->target, estimator->delay_rate,
      estimator->loss_rate, estimator->acked_bps, estimator->modified_trend,
      estimator->threshold);
  g_mutex_unlock (&estimator->lock);
}

/**
 * gst_rtc_bandwidth_estimator_on_remb:
 * @estimator: an estimator
 * @bitrate: the peer's REMB, in bit/s
 * @now_us: when it arrived
 *
 * A peer that sends REMB (and perhaps no transport-cc) caps the target
 * for the next 2 s.
 */
void
gst_rtc_bandwidth_estimator_on_remb (GstRtcBandwidthEstimator * estimator,
    guint64 bitrate, gint64 now_us)
{
  g_return_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator));

  g_mutex_lock (&estimator->lock);
  estimator->remb = bitrate;
  estimator->remb_time_us = now_us;
  /* with REMB alone, its value is the estimate */
  if (estimator->total_received == 0) {
    estimator->delay_rate = CLAMP ((gdouble) bitrate,
        estimator->min_bitrate, estimator->max_bitrate);
    estimator->loss_rate = estimator->delay_rate;
  }
  update_target (estimator, now_us);
  g_mutex_unlock (&estimator->lock);
}

/**
 * gst_rtc_bandwidth_estimator_on_loss_report:
 * @estimator: an estimator
 * @lost: packets lost since the previous report
 * @expected: packets expected since the previous report
 * @now_us: when the report arrived
 *
 * Loss counted by something other than transport-cc feedback, such as
 * the difference between two RTCP receiver reports, for a peer that
 * sends no transport-cc. It feeds the loss-based part only. Ignored once
 * transport-cc feedback has reported packets, which counts loss itself.
 */
void
gst_rtc_bandwidth_estimator_on_loss_report (GstRtcBandwidthEstimator *
    estimator, guint lost, guint expected, gint64 now_us)
{
  g_return_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator));

  g_mutex_lock (&estimator->lock);
  if (estimator->total_received == 0 && expected > 0) {
    lost = MIN (lost, expected);
    estimator->interval_lost += lost;
    estimator->interval_received += expected - lost;
    update_loss_rate (estimator, now_us);
    update_target (estimator, now_us);
  }
  g_mutex_unlock (&estimator->lock);
}

/**
 * gst_rtc_bandwidth_estimator_set_rtt:
 * @estimator: an estimator
 * @rtt_us: the round-trip time (from RTCP), in µs
 *
 * The round-trip time sets how often the rate may fall and how fast it
 * grows near the last congestion point. 100 ms until set.
 */
void
gst_rtc_bandwidth_estimator_set_rtt (GstRtcBandwidthEstimator * estimator,
    gint64 rtt_us)
{
  g_return_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator));

  g_mutex_lock (&estimator->lock);
  estimator->rtt_us = CLAMP (rtt_us, 0, 10 * G_USEC_PER_SEC);
  g_mutex_unlock (&estimator->lock);
}

/**
 * gst_rtc_bandwidth_estimator_get_target:
 * @estimator: an estimator
 *
 * Returns: what to send now, in bit/s
 */
guint
gst_rtc_bandwidth_estimator_get_target (GstRtcBandwidthEstimator * estimator)
{
  guint target;

  g_return_val_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator), 0);

  g_mutex_lock (&estimator->lock);
  target = estimator->target;
  g_mutex_unlock (&estimator->lock);
  return target;
}

/**
 * gst_rtc_bandwidth_estimator_get_usage:
 * @estimator: an estimator
 *
 * Returns: the delay-based detector's last verdict
 */
GstRtcBandwidthUsage
gst_rtc_bandwidth_estimator_get_usage (GstRtcBandwidthEstimator * estimator)
{
  GstRtcBandwidthUsage usage;

  g_return_val_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator),
      GST_RTC_BANDWIDTH_USAGE_NORMAL);

  g_mutex_lock (&estimator->lock);
  usage = estimator->usage;
  g_mutex_unlock (&estimator->lock);
  return usage;
}

static const gchar *
usage_name (GstRtcBandwidthUsage usage)
{
  switch (usage) {
    case GST_RTC_BANDWIDTH_USAGE_OVERUSING:
      return "overusing";
    case GST_RTC_BANDWIDTH_USAGE_UNDERUSING:
      return "underusing";
    case GST_RTC_BANDWIDTH_USAGE_NORMAL:
    default:
      return "normal";
  }
}

/**
 * gst_rtc_bandwidth_estimator_get_stats:
 * @estimator: an estimator
 *
 * Returns: (transfer full): `target-bitrate`, `delay-based-bitrate`,
 *   `loss-based-bitrate`, `acked-bitrate` (bit/s, uint), `loss-fraction`,
 *   `trend` and `threshold` (double), `usage` (string), `packets-lost`
 *   and `packets-received` (uint64), `remb` (uint64, 0 when none)
 */
GstStructure *
gst_rtc_bandwidth_estimator_get_stats (GstRtcBandwidthEstimator * estimator)
{
  GstStructure *stats;

  g_return_val_if_fail (GST_RTC_IS_BANDWIDTH_ESTIMATOR (estimator), NULL);

  g_mutex_lock (&estimator->lock);
  stats = gst_structure_new ("bandwidth-estimator",
      "target-bitrate", G_TYPE_UINT, estimator->target,
      "delay-based-bitrate", G_TYPE_UINT, (guint) estimator->delay_rate,
      "loss-based-bitrate", G_TYPE_UINT, (guint) estimator->loss_rate,
      "acked-bitrate", G_TYPE_UINT, (guint) estimator->acked_bps,
      "loss-fraction", G_TYPE_DOUBLE, estimator->loss_fraction,
      "trend", G_TYPE_DOUBLE, estimator->modified_trend,
      "threshold", G_TYPE_DOUBLE, estimator->threshold,
      "usage", G_TYPE_STRING, usage_name (estimator->usage),
      "packets-lost", G_TYPE_UINT64, estimator->total_lost,
      "packets-received", G_TYPE_UINT64, estimator->total_received,
      "remb", G_TYPE_UINT64, estimator->remb, NULL);
  g_mutex_unlock (&estimator->lock);
  return stats;
}
