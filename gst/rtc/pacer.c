/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcpacer
 * @title: GstRtcPacer
 * @short_description: Spreads outgoing media packets over time
 *
 * A leaky bucket in front of the wire. An encoder hands over a keyframe as
 * tens of packets at once; sent back to back they fill the bottleneck's
 * queue and the delay-based estimator reads that as congestion. The pacer
 * lets video packets out at #GstRtcPacer:factor times the current target
 * bitrate (gst_rtc_pacer_set_target_bitrate()), with a burst budget of
 * #GstRtcPacer:burst-ms of that rate.
 *
 * Audio is never held back: it leaves at once, ahead of queued video, and
 * its bytes are charged to the budget. RTCP does not go through the pacer.
 * The queue is bounded in time: it holds at most #GstRtcPacer:max-queue-ms
 * at the pacing rate (and at most #GstRtcPacer:max-queue-bytes). Beyond
 * that, the oldest retransmission is dropped (it is stale, and a NACK storm
 * on a lossy path must not crowd out new media), then, as a last resort,
 * the oldest video packet (the receiver's NACK or PLI recovers). The
 * pacing rate itself never rises above factor × target: a queue that
 * drained faster would flood the bottleneck it is there to protect.
 *
 * Time is given by the caller (µs, any origin): gst_rtc_pacer_push() and
 * gst_rtc_pacer_process() take "now", so that the pacer is tested on a
 * synthetic clock. gst_rtc_pacer_start() runs a thread that calls
 * gst_rtc_pacer_process() on g_get_monotonic_time() when the next packet
 * is due. With a target of 0 the pacer does not pace: packets leave in the
 * thread that pushes them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "pacer.h"
#include "rtc.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_pacer_debug);
#define GST_CAT_DEFAULT gst_rtc_pacer_debug

#define DEFAULT_FACTOR 2.5
#define DEFAULT_BURST_MS 5
#define DEFAULT_MAX_QUEUE_MS 500
#define DEFAULT_MAX_QUEUE_BYTES (2 * 1024 * 1024)
/* the burst budget holds at least one full packet */
#define MIN_BURST_BYTES 1500

enum
{
  PROP_0,
  PROP_FACTOR,
  PROP_BURST_MS,
  PROP_MAX_QUEUE_MS,
  PROP_MAX_QUEUE_BYTES,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

typedef struct
{
  GstRtcPacerKind kind;
  guint tag;
  gint64 queued_us;
  gsize len;
  guint8 data[];
} Packet;

struct _GstRtcPacer
{
  GObject parent;

  /* properties, under lock */
  gdouble factor;
  guint burst_ms;
  guint max_queue_ms;
  guint max_queue_bytes;

  /* serialises the send function: packets leave one at a time, in order */
  GMutex send_lock;
  GstRtcPacerSendFunc send_func;
  gpointer send_data;
  GDestroyNotify send_notify;

  GMutex lock;
  GCond cond;
  GQueue queue;                 /* Packet, video and RTX, oldest first */
  gsize queued_bytes;
  guint target;                 /* bit/s; 0: no pacing */
  gdouble budget;               /* bytes; may go below zero */
  gint64 budget_us;             /* when the budget was last brought up */
  gboolean budget_valid;

  GThread *thread;
  gboolean running;
  gboolean wake;

  /* statistics, under lock */
  guint64 packets_sent;
  guint64 bytes_sent;
  guint64 audio_packets;
  guint64 packets_dropped;
  guint64 bytes_dropped;
  guint64 rtx_dropped;
  guint64 packets_paced;        /* video/RTX that had to wait */
  gint64 queue_delay_sum_us;
  guint64 queue_delay_count;
  gint64 max_queue_delay_us;
  gsize max_queued_bytes;
};

G_DEFINE_TYPE (GstRtcPacer, gst_rtc_pacer, G_TYPE_OBJECT);

static void
gst_rtc_pacer_init (GstRtcPacer * self)
{
  self->factor = DEFAULT_FACTOR;
  self->burst_ms = DEFAULT_BURST_MS;
  self->max_queue_ms = DEFAULT_MAX_QUEUE_MS;
  self->max_queue_bytes = DEFAULT_MAX_QUEUE_BYTES;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->send_lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
}

static void
gst_rtc_pacer_finalize (GObject * object)
{
  GstRtcPacer *self = GST_RTC_PACER (object);

  gst_rtc_pacer_stop (self);
  g_queue_clear_full (&self->queue, g_free);
  if (self->send_notify != NULL)
    self->send_notify (self->send_data);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->send_lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_rtc_pacer_parent_class)->finalize (object);
}

static void
gst_rtc_pacer_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcPacer *self = GST_RTC_PACER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_FACTOR:
      self->factor = g_value_get_double (value);
      break;
    case PROP_BURST_MS:
      self->burst_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE_MS:
      self->max_queue_ms = g_value_get_uint (value);
      break;
    case PROP_MAX_QUEUE_BYTES:
      self->max_queue_bytes = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->wake = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
gst_rtc_pacer_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRtcPacer *self = GST_RTC_PACER (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_FACTOR:
      g_value_set_double (value, self->factor);
      break;
    case PROP_BURST_MS:
      g_value_set_uint (value, self->burst_ms);
      break;
    case PROP_MAX_QUEUE_MS:
      g_value_set_uint (value, self->max_queue_ms);
      break;
    case PROP_MAX_QUEUE_BYTES:
      g_value_set_uint (value, self->max_queue_bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_rtc_pacer_class_init (GstRtcPacerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->finalize = gst_rtc_pacer_finalize;
  gobject_class->set_property = gst_rtc_pacer_set_property;
  gobject_class->get_property = gst_rtc_pacer_get_property;

  /**
   * GstRtcPacer:factor:
   *
   * The pacing rate as a multiple of the target bitrate. Above 1, so that
   * an encoder's overshoot and keyframes leave promptly.
   */
  properties[PROP_FACTOR] = g_param_spec_double ("factor", "Factor",
      "Pacing rate as a multiple of the target bitrate", 0.1, 100.0,
      DEFAULT_FACTOR, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * GstRtcPacer:burst-ms:
   *
   * How much may leave back to back after a pause, in milliseconds at the
   * pacing rate (at least one packet).
   */
  properties[PROP_BURST_MS] = g_param_spec_uint ("burst-ms", "Burst",
      "Burst budget in ms at the pacing rate", 0, 1000, DEFAULT_BURST_MS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * GstRtcPacer:max-queue-ms:
   *
   * The longest the queue may take to drain at the pacing rate: beyond
   * it, stale retransmissions and then the oldest video are dropped.
   */
  properties[PROP_MAX_QUEUE_MS] = g_param_spec_uint ("max-queue-ms",
      "Max queue time", "Longest queue, in ms at the pacing rate", 10, 60000,
      DEFAULT_MAX_QUEUE_MS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * GstRtcPacer:max-queue-bytes:
   *
   * The most the queue holds whatever the rate; beyond it old
   * retransmissions, then the oldest video packets, are dropped.
   */
  properties[PROP_MAX_QUEUE_BYTES] = g_param_spec_uint ("max-queue-bytes",
      "Max queue bytes", "Queue size beyond which old video is dropped",
      1500, G_MAXUINT, DEFAULT_MAX_QUEUE_BYTES,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);

  GST_DEBUG_CATEGORY_INIT (gst_rtc_pacer_debug, "rtcpacer", 0,
      "gst-rtc pacer");
}

/**
 * gst_rtc_pacer_new:
 *
 * Makes a pacer that does not pace yet (its target is 0).
 *
 * Returns: (transfer full): a new pacer
 */
GstRtcPacer *
gst_rtc_pacer_new (void)
{
  return g_object_new (GST_RTC_TYPE_PACER, NULL);
}

/**
 * gst_rtc_pacer_set_send_func:
 * @pacer: a pacer
 * @func: (scope notified) (nullable): what puts packets on the wire
 * @user_data: (closure func): its data
 * @notify: (destroy user_data): frees @user_data
 *
 * Sets the function that sends packets. Without one, packets are counted
 * and discarded.
 */
void
gst_rtc_pacer_set_send_func (GstRtcPacer * pacer, GstRtcPacerSendFunc func,
    gpointer user_data, GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (GST_RTC_IS_PACER (pacer));

  g_mutex_lock (&pacer->send_lock);
  old_notify = pacer->send_notify;
  old_data = pacer->send_data;
  pacer->send_func = func;
  pacer->send_data = user_data;
  pacer->send_notify = notify;
  g_mutex_unlock (&pacer->send_lock);
  if (old_notify != NULL)
    old_notify (old_data);
}

/* the rate packets may leave at (bit/s), under lock */
static guint64
pacing_rate_locked (GstRtcPacer * self)
{
  if (self->target == 0)
    return 0;
  return MAX ((guint64) (self->target * self->factor), 1);
}

/* the most the queue holds, under lock: max-queue-ms at the pacing rate,
 * within max-queue-bytes */
static gsize
queue_limit_locked (GstRtcPacer * self)
{
  guint64 limit = pacing_rate_locked (self) / 8 * self->max_queue_ms / 1000;

  limit = MAX (limit, 2 * MIN_BURST_BYTES);
  return MIN (limit, self->max_queue_bytes);
}

static gdouble
burst_bytes_locked (GstRtcPacer * self, guint64 rate)
{
  gdouble burst = (gdouble) rate / 8.0 * self->burst_ms / 1000.0;

  return MAX (burst, MIN_BURST_BYTES);
}

/* Brings the budget up to @now_us, under lock. */
static void
refill_locked (GstRtcPacer * self, gint64 now_us)
{
  guint64 rate = pacing_rate_locked (self);
  gdouble burst;

  if (!self->budget_valid) {
    self->budget_valid = TRUE;
    self->budget_us = now_us;
    self->budget = burst_bytes_locked (self, rate);
    return;
  }
  if (now_us > self->budget_us) {
    burst = burst_bytes_locked (self, rate);
    self->budget += (gdouble) rate / 8.0 * (now_us - self->budget_us) / 1e6;
    /* an idle pacer keeps at most the burst budget */
    if (self->budget > burst)
      self->budget = burst;
    self->budget_us = now_us;
  }
}

/* Sends one packet; the send lock is held. */
static void
send_packet (GstRtcPacer * self, Packet * packet, gint64 now_us)
{
  if (self->send_func != NULL)
    self->send_func (self, packet->data, packet->len, packet->kind,
        packet->tag, now_us, self->send_data);
}

static Packet *
packet_new (GstRtcPacerKind kind, const guint8 * data, gsize len,
    guint tag, gint64 now_us)
{
  Packet *packet = g_malloc (sizeof (Packet) + len);

  packet->kind = kind;
  packet->tag = tag;
  packet->queued_us = now_us;
  packet->len = len;
  if (len > 0)
    memcpy (packet->data, data, len);
  return packet;
}

/* Drops the oldest packet of @kind, under lock; FALSE when there is
 * none. */
static gboolean
drop_oldest_locked (GstRtcPacer * self, GstRtcPacerKind kind)
{
  GList *l;

  for (l = self->queue.head; l != NULL; l = l->next) {
    Packet *packet = l->data;

    if (packet->kind == kind) {
      if (kind == GST_RTC_PACER_KIND_RETRANSMISSION)
        self->rtx_dropped++;
      self->queued_bytes -= packet->len;
      self->packets_dropped++;
      self->bytes_dropped += packet->len;
      g_queue_delete_link (&self->queue, l);
      g_free (packet);
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * gst_rtc_pacer_push:
 * @pacer: a pacer
 * @kind: what the packet is
 * @data: (array length=len): one packet (copied)
 * @len: its length
 * @tag: a number given back to the send function with the packet
 * @now_us: the time now (µs), in the clock of gst_rtc_pacer_process()
 *
 * Hands over one packet. Audio, and anything while the target is 0,
 * leaves at once from this thread; video and RTX leave at once when the
 * budget allows and nothing is queued, or join the queue.
 */
void
gst_rtc_pacer_push (GstRtcPacer * pacer, GstRtcPacerKind kind,
    const guint8 * data, gsize len, guint tag, gint64 now_us)
{
  Packet *packet;
  gboolean direct;

  g_return_if_fail (GST_RTC_IS_PACER (pacer));
  g_return_if_fail (data != NULL || len == 0);

  packet = packet_new (kind, data, len, tag, now_us);

  /* the send lock first, as in gst_rtc_pacer_process(): a packet that the
   * thread pops later cannot overtake this one */
  g_mutex_lock (&pacer->send_lock);
  g_mutex_lock (&pacer->lock);
  refill_locked (pacer, now_us);
  direct = pacer->target == 0 || kind == GST_RTC_PACER_KIND_AUDIO
      || (g_queue_is_empty (&pacer->queue) && pacer->budget > 0);
  if (direct) {
    pacer->budget -= len;
    pacer->packets_sent++;
    pacer->bytes_sent += len;
    if (kind == GST_RTC_PACER_KIND_AUDIO)
      pacer->audio_packets++;
    else if (pacer->target != 0) {
      pacer->queue_delay_count++;
    }
    g_mutex_unlock (&pacer->lock);
    send_packet (pacer, packet, now_us);
    g_mutex_unlock (&pacer->send_lock);
    g_free (packet);
    return;
  }

  g_queue_push_tail (&pacer->queue, packet);
  pacer->queued_bytes += len;
  pacer->packets_paced++;
  {
    gsize limit = queue_limit_locked (pacer);

    /* stale retransmissions go first, then the oldest video */
    while (pacer->queued_bytes > limit
        && (drop_oldest_locked (pacer, GST_RTC_PACER_KIND_RETRANSMISSION)
            || drop_oldest_locked (pacer, GST_RTC_PACER_KIND_VIDEO)));
  }
  pacer->max_queued_bytes = MAX (pacer->max_queued_bytes,
      pacer->queued_bytes);
  pacer->wake = TRUE;
  g_cond_signal (&pacer->cond);
  g_mutex_unlock (&pacer->lock);
  g_mutex_unlock (&pacer->send_lock);
}

/**
 * gst_rtc_pacer_process:
 * @pacer: a pacer
 * @now_us: the time now (µs)
 *
 * Sends the queued packets that the budget allows at @now_us.
 *
 * Returns: when the next queued packet is due (µs), or -1 when the queue
 *   is empty
 */
gint64
gst_rtc_pacer_process (GstRtcPacer * pacer, gint64 now_us)
{
  gint64 next = -1;

  g_return_val_if_fail (GST_RTC_IS_PACER (pacer), -1);

  g_mutex_lock (&pacer->send_lock);
  g_mutex_lock (&pacer->lock);
  refill_locked (pacer, now_us);
  for (;;) {
    Packet *packet;
    gint64 waited;
    guint64 rate;

    if (g_queue_is_empty (&pacer->queue))
      break;
    if (pacer->target != 0 && pacer->budget <= 0) {
      rate = pacing_rate_locked (pacer);
      next = now_us + (gint64) (-pacer->budget * 8.0 * 1e6 / rate) + 1;
      break;
    }
    packet = g_queue_pop_head (&pacer->queue);
    pacer->queued_bytes -= packet->len;
    pacer->budget -= packet->len;
    pacer->packets_sent++;
    pacer->bytes_sent += packet->len;
    waited = MAX (now_us - packet->queued_us, 0);
    pacer->queue_delay_sum_us += waited;
    pacer->queue_delay_count++;
    pacer->max_queue_delay_us = MAX (pacer->max_queue_delay_us, waited);
    g_mutex_unlock (&pacer->lock);
    send_packet (pacer, packet, now_us);
    g_free (packet);
    g_mutex_lock (&pacer->lock);
  }
  g_mutex_unlock (&pacer->lock);
  g_mutex_unlock (&pacer->send_lock);
  return next;
}

/**
 * gst_rtc_pacer_set_target_bitrate:
 * @pacer: a pacer
 * @bitrate: the estimate (bit/s); 0 stops pacing
 *
 * Sets the target the pacing rate is a multiple of.
 */
void
gst_rtc_pacer_set_target_bitrate (GstRtcPacer * pacer, guint bitrate)
{
  g_return_if_fail (GST_RTC_IS_PACER (pacer));

  g_mutex_lock (&pacer->lock);
  if (pacer->target != bitrate)
    GST_LOG_OBJECT (pacer, "target %u bit/s", bitrate);
  pacer->target = bitrate;
  pacer->wake = TRUE;
  g_cond_signal (&pacer->cond);
  g_mutex_unlock (&pacer->lock);
}

/**
 * gst_rtc_pacer_get_pacing_rate:
 * @pacer: a pacer
 *
 * Gets the rate queued packets leave at now.
 *
 * Returns: bit/s, 0 when not pacing
 */
guint64
gst_rtc_pacer_get_pacing_rate (GstRtcPacer * pacer)
{
  guint64 rate;

  g_return_val_if_fail (GST_RTC_IS_PACER (pacer), 0);

  g_mutex_lock (&pacer->lock);
  rate = pacing_rate_locked (pacer);
  g_mutex_unlock (&pacer->lock);
  return rate;
}

static gpointer
pacer_thread (gpointer data)
{
  GstRtcPacer *self = data;

  g_mutex_lock (&self->lock);
  while (self->running) {
    gint64 next;

    self->wake = FALSE;
    g_mutex_unlock (&self->lock);
    next = gst_rtc_pacer_process (self, g_get_monotonic_time ());
    g_mutex_lock (&self->lock);
    if (!self->running)
      break;
    if (self->wake)
      continue;
    if (next < 0)
      g_cond_wait (&self->cond, &self->lock);
    else
      g_cond_wait_until (&self->cond, &self->lock, next);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/**
 * gst_rtc_pacer_start:
 * @pacer: a pacer
 * @error: where to put an error
 *
 * Starts the thread that sends queued packets when they are due, on
 * g_get_monotonic_time(): from then on, give that time to
 * gst_rtc_pacer_push().
 *
 * Returns: TRUE when the thread runs
 */
gboolean
gst_rtc_pacer_start (GstRtcPacer * pacer, GError ** error)
{
  GThread *thread;

  g_return_val_if_fail (GST_RTC_IS_PACER (pacer), FALSE);

  g_mutex_lock (&pacer->lock);
  if (pacer->thread != NULL) {
    g_mutex_unlock (&pacer->lock);
    return TRUE;
  }
  pacer->running = TRUE;
  g_mutex_unlock (&pacer->lock);
  thread = g_thread_try_new ("rtcpacer", pacer_thread, pacer, error);
  g_mutex_lock (&pacer->lock);
  if (thread == NULL)
    pacer->running = FALSE;
  pacer->thread = thread;
  g_mutex_unlock (&pacer->lock);
  return thread != NULL;
}

/**
 * gst_rtc_pacer_stop:
 * @pacer: a pacer
 *
 * Stops the thread of gst_rtc_pacer_start(), if it runs, and discards
 * what is queued.
 */
void
gst_rtc_pacer_stop (GstRtcPacer * pacer)
{
  GThread *thread;

  g_return_if_fail (GST_RTC_IS_PACER (pacer));

  g_mutex_lock (&pacer->lock);
  pacer->running = FALSE;
  thread = g_steal_pointer (&pacer->thread);
  g_cond_signal (&pacer->cond);
  g_mutex_unlock (&pacer->lock);
  if (thread != NULL)
    g_thread_join (thread);
  g_mutex_lock (&pacer->lock);
  g_queue_clear_full (&pacer->queue, g_free);
  pacer->queued_bytes = 0;
  g_mutex_unlock (&pacer->lock);
}

/**
 * gst_rtc_pacer_get_stats:
 * @pacer: a pacer
 *
 * Gets the pacer's counters: `packets-sent`, `bytes-sent`,
 * `audio-packets` (sent without waiting), `packets-paced` (video and RTX
 * that waited in the queue), `packets-dropped`, `bytes-dropped` (all kinds),
 * `rtx-dropped` (the retransmissions among them),
 * `queued-packets`, `queued-bytes`, `max-queued-bytes`,
 * `mean-queue-delay-ms` (over paced video and RTX, including those that
 * did not wait), `max-queue-delay-ms`, `target-bitrate` and `pacing-rate`
 * (bit/s).
 *
 * Returns: (transfer full): a `GstRtcPacerStats` structure
 */
GstStructure *
gst_rtc_pacer_get_stats (GstRtcPacer * pacer)
{
  GstStructure *s;

  g_return_val_if_fail (GST_RTC_IS_PACER (pacer), NULL);

  g_mutex_lock (&pacer->lock);
  s = gst_structure_new ("GstRtcPacerStats",
      "packets-sent", G_TYPE_UINT64, pacer->packets_sent,
      "bytes-sent", G_TYPE_UINT64, pacer->bytes_sent,
      "audio-packets", G_TYPE_UINT64, pacer->audio_packets,
      "packets-paced", G_TYPE_UINT64, pacer->packets_paced,
      "packets-dropped", G_TYPE_UINT64, pacer->packets_dropped,
      "bytes-dropped", G_TYPE_UINT64, pacer->bytes_dropped,
      "rtx-dropped", G_TYPE_UINT64, pacer->rtx_dropped,
      "queued-packets", G_TYPE_UINT, g_queue_get_length (&pacer->queue),
      "queued-bytes", G_TYPE_UINT64, (guint64) pacer->queued_bytes,
      "max-queued-bytes", G_TYPE_UINT64, (guint64) pacer->max_queued_bytes,
      "mean-queue-delay-ms", G_TYPE_DOUBLE, pacer->queue_delay_count > 0 ?
      pacer->queue_delay_sum_us / 1000.0 / pacer->queue_delay_count : 0.0,
      "max-queue-delay-ms", G_TYPE_DOUBLE, pacer->max_queue_delay_us / 1000.0,
      "target-bitrate", G_TYPE_UINT, pacer->target,
      "pacing-rate", G_TYPE_UINT64, pacing_rate_locked (pacer), NULL);
  g_mutex_unlock (&pacer->lock);
  return s;
}
