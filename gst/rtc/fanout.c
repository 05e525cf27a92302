/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcfanout
 * @title: GstRtcFanout
 * @short_description: one encoded stream, served to many viewers
 *
 * A #GstRtcFanout takes the RTP packets of one payloader per source stream
 * (an audio stream, or one rendition of a video) and sends each of them to
 * every viewer that subscribed to the stream, through the viewer's own
 * #GstRtcTransport. The stream is encoded once, however many viewers
 * there are.
 *
 * A viewer is a plain structure, not an element, a pad, an rtpbin or a
 * thread. For each viewer the fan-out rewrites every packet to what that
 * viewer negotiated: payload type, SSRC, the MID and transport-wide-cc
 * header extensions under the viewer's ids, and a sequence number and
 * timestamp space of the viewer's own, which starts at a random base and
 * stays contiguous when the viewer joins late, waits for a key frame, or
 * pauses a stream. The rewritten packet is built on the stack; nothing is
 * allocated per viewer and per packet.
 *
 * Each viewer gets its own RTCP: a sender report about once a second per
 * stream, with the viewer's packet and octet counts and its rewritten
 * timestamps; and what the viewer sends back, handed to
 * gst_rtc_fanout_handle_rtcp(), is read: receiver reports (loss, jitter,
 * round-trip time), generic NACKs (answered from one retransmission
 * history shared by all viewers, as RTX when the viewer negotiated it),
 * PLI and FIR (merged into at most one #GstRtcFanout::request-keyframe a
 * second per stream), REMB and transport-wide-cc feedback.
 *
 * Congestion control: each viewer has its own #GstRtcBandwidthEstimator,
 * told the transport-wide sequence number, size and send time of every
 * packet sent to the viewer and fed with the viewer's transport-wide-cc
 * feedback (or, from a viewer that sends only that, REMB; and the loss
 * of its receiver reports). One encoder serves every viewer, so one
 * target is chosen over them (#GstRtcFanout:target-bitrate): the 25th
 * percentile of the estimates of the healthy viewers, within
 * #GstRtcFanout:min-bitrate and #GstRtcFanout:max-bitrate. A viewer whose
 * estimate is under half the median is *constrained* and left out, so
 * that the slowest viewer alone never sets the rate for all.
 *
 * A viewer whose estimate is below the target (or below what the streams
 * bring in, when that is less) gets less: on a VP8 stream
 * with temporal layers (the TID of the RFC 7741 payload descriptor), the
 * fan-out drops the upper layers for that viewer and numbers what it
 * sends on without a gap, so the viewer neither sees loss nor asks for
 * the dropped packets, and rewrites the picture ID likewise. It climbs
 * back one layer at a time, at a layer-sync frame (Y bit) or a key frame.
 * With 3 layers the base layer is taken as 25 % of the rate and the
 * first two as 50 %; with 2 layers the base as 60 %.
 *
 * A viewer that joins a video stream gets the packets of the last key
 * frame first, then the stream from the next key frame on: it never gets
 * a delta frame it cannot decode.
 *
 * Threads: gst_rtc_fanout_push() runs on the streaming thread; it takes an
 * immutable snapshot of the viewer list, so adding or removing a viewer
 * never waits for a push to finish, and a push never waits for another
 * viewer's RTCP. gst_rtc_fanout_handle_rtcp() runs on the viewer
 * transport's worker. No thread is created.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtc.h"
#include "congestion.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_fanout_debug);
#define GST_CAT_DEFAULT gst_rtc_fanout_debug

/* Retransmission history per stream: slots indexed by the payloader's
 * sequence number. 1024 slots hold a second of a 10 Mbit/s stream; older
 * packets would arrive too late to be useful anyway. */
#define HISTORY_SIZE 1024
#define HISTORY_MASK (HISTORY_SIZE - 1)
#define HISTORY_DURATION GST_SECOND

/* A key frame larger than this (1.2 MB of 1200-byte packets) is not
 * cached: a joiner then waits for the next one. */
#define MAX_KEYFRAME_PACKETS 1024

#define KEYFRAME_REQUEST_INTERVAL GST_SECOND
#define SR_INTERVAL GST_SECOND

/* Sequence number ranges of a viewer's output, so that a NACK can be
 * mapped back to the payloader's numbering. A new range starts each time
 * a viewer (re)synchronises: join, key frame after waiting, resume. */
#define MAX_SEGMENTS 64

/* Input that jumps further than this is a new payloader, not loss. */
#define MAX_INPUT_GAP 1000

/* One NACK can make us resend at most this many packets. */
#define MAX_RETRANSMISSIONS_PER_RTCP 256
/* A packet is resent at most once per round trip (this long when the
 * round-trip time is not known yet, and never more often than the
 * floor): a receiver repeats its NACKs until the packet arrives, and
 * answering each repetition only adds to the queue that lost it. */
#define RESEND_RING 256
#define DEFAULT_RESEND_INTERVAL (100 * GST_MSECOND)
#define MIN_RESEND_INTERVAL (20 * GST_MSECOND)
/* Retransmissions fill only the room the viewer's estimate leaves: none
 * while what was sent to it in the recent past would take longer than
 * this to drain at its estimated rate. */
#define RTX_MAX_BACKLOG (100 * GST_MSECOND)

/* Congestion control. */
#define DEFAULT_MIN_BITRATE 100000
#define DEFAULT_MAX_BITRATE 1500000
#define DEFAULT_THINNING TRUE
#define POLICY_INTERVAL (200 * GST_MSECOND)
/* Under this share of the median estimate a viewer is constrained; it
 * is healthy again above the second (hysteresis). */
#define CONSTRAINED_RATIO 0.5
#define UNCONSTRAINED_RATIO 0.6
#define POLICY_PERCENTILE 25
/* #GstRtcFanout::target-bitrate-changed is emitted for changes larger
 * than this share. */
#define TARGET_CHANGE_RATIO 0.05
#define ALL_LAYERS 0xff
/* Bytes SRTP adds to each packet (an 80-bit authentication tag). */
#define SRTP_OVERHEAD 10

/* Rewritten packets are built here; larger ones go to the heap. */
#define STACK_PACKET_SIZE 2048

/* Seconds between 1900 (NTP) and 1970 (Unix). */
#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800)

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_BYE 203
#define RTCP_RTPFB 205
#define RTCP_PSFB 206
#define RTPFB_NACK 1
#define RTPFB_TWCC 15
#define PSFB_PLI 1
#define PSFB_FIR 4
#define PSFB_AFB 15

typedef enum
{
  CODEC_OTHER,
  CODEC_VP8,
  CODEC_H264,
} Codec;

typedef struct
{
  GstBuffer *buffer;
  guint16 seq;
  GstClockTime time;
} HistoryEntry;

typedef struct
{
  GstBuffer *buffer;
  guint16 seq;
} CachedPacket;

typedef struct _Stream
{
  guint id;
  GstRtcMediaKind kind;
  guint32 ssrc;
  guint clock_rate;
  gint codec;                   /* Codec, atomic */

  /* Serialises pushes on this stream: what follows up to `lock` is only
   * touched by the pushing thread. */
  GMutex push_lock;
  guint32 last_ts;
  GstClockTime last_ts_time;
  gboolean have_ts;

  /* Shared with the RTCP workers and the app thread. */
  GMutex lock;
  HistoryEntry history[HISTORY_SIZE];
  guint16 history_oldest;
  guint16 history_newest;
  guint history_len;
  GArray *keyframe;             /* CachedPacket */
  guint32 keyframe_ts;
  gboolean keyframe_open;       /* packets with keyframe_ts still join it */
  gboolean keyframe_current;    /* the newest packet is part of it */
  GstClockTime last_keyframe_request;
  guint64 keyframes;

  /* Temporal layers seen in the payload (highest TID + 1), atomic. */
  gint n_layers;

  /* A lower rendition of another stream (the ladder): viewers subscribe
   * to the primary and are switched between it and its renditions.
   * Set before any viewer is added, under the object lock. */
  struct _Stream *primary;
  guint rendition_bitrate;
} Stream;


typedef enum
{
  /* Subscribed, waiting for the transport to connect and for the next
   * push to send the cached key frame. */
  VIEWER_STREAM_JOINING,
  /* Has nothing it could decode a delta frame against. */
  VIEWER_STREAM_WAITING_KEYFRAME,
  VIEWER_STREAM_FORWARDING,
  VIEWER_STREAM_PAUSED,
} ViewerStreamState;

static const gchar *const state_names[] = {
  "joining", "waiting-keyframe", "forwarding", "paused"
};

typedef struct
{
  guint16 out_start;
  guint16 in_start;
  guint count;
  /* How far the viewer's VP8 picture IDs are behind the source's in
   * this range: one per frame dropped before it, and the jump at a
   * switch of rendition; the same for TL0PICIDX. */
  guint16 pid_delta;
  guint8 tl0_delta;
  /* The stream (primary or rendition) the range came from. */
  Stream *source;
} Segment;

typedef struct
{
  Stream *stream;

  /* What the viewer negotiated. */
  guint8 payload_type;
  guint8 rtx_payload_type;
  guint32 ssrc;
  guint32 rtx_ssrc;
  gchar mid[17];
  /* The header extension block written into every packet (RFC 8285
   * one-byte form), and where in it the transport-wide seq goes. */
  guint8 ext[28];
  guint ext_len;
  gint twcc_offset;

  ViewerStreamState state;
  /* The ladder: the stream forwarded (the primary, @stream, or one of its
   * renditions), and the one to switch to at its next key frame. */
  Stream *source;
  Stream *switch_to;
  guint64 rendition_switches;
  /* The last VP8 picture ID and TL0PICIDX the viewer got, so that a
   * switch continues them. */
  gboolean have_out_pid, have_out_tl0;
  guint16 last_out_pid;
  guint8 last_out_tl0;
  guint8 tl0_delta;
  gboolean based;
  guint16 seq_delta;
  guint32 ts_delta;
  guint16 next_seq;
  guint16 last_in_seq;
  guint32 last_in_ts;
  guint16 rtx_seq;
  Segment segments[MAX_SEGMENTS];
  guint n_segments;
  guint segment_head;

  /* Temporal layer thinning: the highest TID forwarded (ALL_LAYERS for
   * all), decided per frame. */
  guint max_tid;
  gboolean layer_have_ts;
  guint32 layer_ts;
  gboolean layer_drop;
  gboolean skipped;             /* dropped since the last packet sent */
  guint16 pid_delta;
  guint64 packets_thinned;
  guint64 frames_thinned;

  /* The previous receiver report, for the loss between two. */
  gboolean have_rr_base;
  guint32 rr_ext_highest_seq;
  gint32 rr_packets_lost;

  guint64 packets_sent;
  guint64 octets_sent;          /* payload octets, as the SR counts them */
  guint64 bytes_sent;
  guint64 send_errors;
  guint64 retransmissions_sent;
  guint64 retransmissions_suppressed;   /* resent less than an RTT ago */
  guint64 retransmissions_over_budget;  /* over the viewer's estimate */
  /* When each recently resent packet (by the viewer's sequence number)
   * was resent. */
  guint16 resend_seq[RESEND_RING];
  GstClockTime resend_time[RESEND_RING];
  guint64 nacks_received;
  guint64 nack_requests;
  guint64 nack_missed;
  guint64 plis_received;
  guint64 firs_received;
  gboolean have_fir_seq;
  guint8 last_fir_seq;
  guint64 srs_sent;
  GstClockTime next_sr;

  gboolean have_rr;
  guint8 fraction_lost;
  gint32 packets_lost;
  guint32 ext_highest_seq;
  guint32 jitter;
  GstClockTime rtt;
} ViewerStream;

typedef struct
{
  gint refcount;
  guint id;

  /* Held while anything is sent to the viewer, so that once
   * remove_viewer() has cleared the transport, nothing more is. */
  GMutex lock;
  GstRtcTransport *transport;
  gboolean connected;
  guint16 twcc_seq;
  ViewerStream *streams[GST_RTC_FANOUT_MAX_STREAMS];

  guint64 rtcp_received;
  guint64 rtcp_malformed;
  guint64 rtcp_unknown_ssrc;
  guint64 remb_received;
  guint64 remb_bitrate;
  guint64 twcc_received;
  guint64 twcc_malformed;
  guint64 byes_received;
  gint last_rr_stream;

  /* Congestion control. The estimator exists from the start when the
   * viewer negotiated transport-wide-cc, else from its first REMB or
   * receiver report. */
  GstRtcBandwidthEstimator *estimator;
  gboolean have_estimate;       /* feedback or REMB arrived */
  gboolean twcc_seen;
  guint estimate;               /* as the policy last read it */
  /* What was sent to the viewer and would still be on its way at the
   * estimated rate (a leaky bucket drained at viewer->estimate). */
  gdouble backlog_bits;
  GstClockTime backlog_time;
  gboolean constrained;
  /* The viewer's estimate over the target; what share of the layers it
   * gets. G_MAXDOUBLE: everything. */
  gdouble share;
} Viewer;

struct _GstRtcFanout
{
  GstObject parent;

  /* Protected by the object lock. Streams are never removed, so a pointer
   * read from the array stays valid while the fan-out lives. */
  Stream *streams[GST_RTC_FANOUT_MAX_STREAMS];
  guint n_streams;
  GPtrArray *viewers;           /* immutable snapshot of Viewer, ref-counted */
  GHashTable *viewers_by_id;
  guint next_viewer_id;
  GstClock *clock;
  GstClockTime clock_base;
  guint64 ntp_base;             /* nanoseconds since 1900 at clock_base */
  gchar *cname;

  /* Counters, updated atomically. */
  gsize packets_in, bytes_in, malformed_in;
  gsize packets_out, bytes_out, send_errors;
  gsize retransmissions_sent, nack_missed;
  gsize keyframe_requests_received, keyframe_requests_sent;
  gsize rtcp_received, rtcp_malformed;

  /* Congestion control: settings under the object lock; the policy runs
   * under policy_lock. */
  guint min_bitrate, max_bitrate;
  gboolean thinning;
  GMutex policy_lock;
  GstClockTime last_policy;
  guint target_bitrate;         /* atomic */
  guint emitted_target;         /* under policy_lock */
  guint healthy_viewers, constrained_viewers;   /* under policy_lock */
  /* What the streams bring in, measured over a second (policy_lock). */
  GstClockTime rate_time;
  guint64 rate_bytes;
  guint input_bitrate;
};

enum
{
  PROP_0,
  PROP_CNAME,
  PROP_STATS,
  PROP_MIN_BITRATE,
  PROP_MAX_BITRATE,
  PROP_THINNING,
  PROP_TARGET_BITRATE,
  PROP_LAST
};

enum
{
  SIGNAL_REQUEST_KEYFRAME,
  SIGNAL_TARGET_BITRATE_CHANGED,
  SIGNAL_LAST
};

static GParamSpec *properties[PROP_LAST];
static guint signals[SIGNAL_LAST];

G_DEFINE_TYPE_WITH_CODE (GstRtcFanout, gst_rtc_fanout, GST_TYPE_OBJECT,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_fanout_debug, "rtcfanout", 0,
        "gst-rtc fan-out"));

G_DEFINE_BOXED_TYPE (GstRtcFanoutViewerConfig, gst_rtc_fanout_viewer_config,
    gst_rtc_fanout_viewer_config_copy, gst_rtc_fanout_viewer_config_free);

static inline guint64
counter (gsize * value)
{
  return (guint64) (gsize) g_atomic_pointer_get (value);
}

static inline void
counter_add (gsize * value, gsize amount)
{
  if (amount > 0)
    g_atomic_pointer_add (value, amount);
}

/* --- RTP parsing and codec inspection ----------------------------------- */

typedef struct
{
  const guint8 *data;
  gsize size;
  guint csrc_count;
  gboolean marker;
  guint16 seq;
  guint32 ts;
  gsize payload_offset;
  gsize payload_len;            /* without padding */
  guint padding_len;

  /* VP8 payload descriptor (RFC 7741), once vp8_parse_descriptor() ran:
   * the temporal layer (-1: none given), its layer-sync bit, and where
   * the picture ID is in the payload (-1: none) and its width. */
  gint tid;
  gboolean layer_sync;
  gint pid_offset;
  guint pid_bits;
  gint tl0_offset;
} RtpPacket;

static gboolean
rtp_parse (const guint8 * data, gsize size, RtpPacket * packet)
{
  gsize offset;

  if (size < 12 || (data[0] >> 6) != 2)
    return FALSE;
  packet->csrc_count = data[0] & 0x0f;
  offset = 12 + 4 * packet->csrc_count;
  if (size < offset)
    return FALSE;
  if (data[0] & 0x10) {
    if (size < offset + 4)
      return FALSE;
    offset += 4 + 4 * (gsize) GST_READ_UINT16_BE (data + offset + 2);
    if (size < offset)
      return FALSE;
  }
  packet->padding_len = 0;
  if (data[0] & 0x20) {
    packet->padding_len = data[size - 1];
    if (packet->padding_len == 0 || offset + packet->padding_len > size)
      return FALSE;
  }
  packet->data = data;
  packet->size = size;
  packet->marker = (data[1] & 0x80) != 0;
  packet->seq = GST_READ_UINT16_BE (data + 2);
  packet->ts = GST_READ_UINT32_BE (data + 4);
  packet->payload_offset = offset;
  packet->payload_len = size - offset - packet->padding_len;
  packet->tid = -1;
  packet->layer_sync = FALSE;
  packet->pid_offset = -1;
  packet->pid_bits = 0;
  packet->tl0_offset = -1;
  return TRUE;
}

/* RFC 7741 section 4.2: X, then I (picture ID, 7 or 15 bits), L
 * (TL0PICIDX), T and K (TID, Y, KEYIDX). Fills the VP8 fields of
 * @packet; a descriptor cut short leaves them unset. */
static void
vp8_parse_descriptor (RtpPacket * packet)
{
  const guint8 *payload = packet->data + packet->payload_offset;
  gsize len = packet->payload_len, offset = 2;
  gint pid_offset = -1, tl0_offset = -1;
  guint pid_bits = 0;
  guint8 x;

  if (len < 1 || !(payload[0] & 0x80))
    return;
  if (len < 2)
    return;
  x = payload[1];
  if (x & 0x80) {
    if (len < offset + 1)
      return;
    pid_offset = offset;
    pid_bits = (payload[offset] & 0x80) ? 15 : 7;
    offset += pid_bits == 15 ? 2 : 1;
  }
  if (x & 0x40)
    tl0_offset = offset++;
  if (len < offset)
    return;
  packet->pid_offset = pid_offset;
  packet->pid_bits = pid_bits;
  packet->tl0_offset = tl0_offset;
  if ((x & 0x20) && len > offset) {
    packet->tid = payload[offset] >> 6;
    packet->layer_sync = (payload[offset] & 0x20) != 0;
  }
}

/* RFC 7741: the first packet of a frame (S set, partition 0) whose VP8
 * payload header has the inverse key frame bit P cleared. */
static gboolean
vp8_starts_keyframe (const guint8 * payload, gsize len)
{
  gsize offset = 1;

  if (len < 1 || !(payload[0] & 0x10) || (payload[0] & 0x07) != 0)
    return FALSE;
  if (payload[0] & 0x80) {
    guint8 x;

    if (len < 2)
      return FALSE;
    x = payload[1];
    offset = 2;
    if (x & 0x80) {
      if (len < offset + 1)
        return FALSE;
      offset += (payload[offset] & 0x80) ? 2 : 1;
    }
    if (x & 0x40)
      offset++;
    if (x & 0x30)
      offset++;
  }
  if (len < offset + 1)
    return FALSE;
  return (payload[offset] & 0x01) == 0;
}

static gboolean
h264_nal_is_key (guint8 nal_header)
{
  guint8 type = nal_header & 0x1f;

  /* An IDR slice, or the SPS that precedes one. */
  return type == 5 || type == 7;
}

/* RFC 6184: a single NAL unit, any NAL unit inside a STAP-A, or the start
 * of an FU-A. */
static gboolean
h264_starts_keyframe (const guint8 * payload, gsize len)
{
  guint8 type;

  if (len < 1)
    return FALSE;
  type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23)
    return h264_nal_is_key (payload[0]);
  if (type == 24) {
    gsize offset = 1;

    while (offset + 2 < len) {
      gsize nal_size = GST_READ_UINT16_BE (payload + offset);

      offset += 2;
      if (nal_size == 0 || offset + nal_size > len)
        return FALSE;
      if (h264_nal_is_key (payload[offset]))
        return TRUE;
      offset += nal_size;
    }
    return FALSE;
  }
  if (type == 28)
    return len >= 2 && (payload[1] & 0x80) && h264_nal_is_key (payload[1]);
  return FALSE;
}

/* --- streams, history, key frame cache ---------------------------------- */

static Stream *
stream_new (guint id, GstRtcMediaKind kind, guint32 ssrc, guint clock_rate)
{
  Stream *stream = g_new0 (Stream, 1);

  stream->id = id;
  stream->kind = kind;
  stream->ssrc = ssrc;
  stream->clock_rate = clock_rate;
  stream->codec = CODEC_OTHER;
  g_mutex_init (&stream->push_lock);
  g_mutex_init (&stream->lock);
  stream->keyframe = g_array_new (FALSE, FALSE, sizeof (CachedPacket));
  stream->last_keyframe_request = GST_CLOCK_TIME_NONE;
  return stream;
}

static void
keyframe_clear (Stream * stream)
{
  guint i;

  for (i = 0; i < stream->keyframe->len; i++)
    gst_buffer_unref (g_array_index (stream->keyframe, CachedPacket,
            i).buffer);
  g_array_set_size (stream->keyframe, 0);
  stream->keyframe_open = FALSE;
  stream->keyframe_current = FALSE;
}

static void
history_clear (Stream * stream)
{
  guint i;

  for (i = 0; i < HISTORY_SIZE; i++) {
    if (stream->history[i].buffer != NULL)
      gst_buffer_unref (stream->history[i].buffer);
    stream->history[i].buffer = NULL;
  }
  stream->history_len = 0;
}

static void
stream_free (Stream * stream)
{
  history_clear (stream);
  keyframe_clear (stream);
  g_array_unref (stream->keyframe);
  g_mutex_clear (&stream->push_lock);
  g_mutex_clear (&stream->lock);
  g_free (stream);
}

/* Called with stream->lock. */
static void
history_insert (Stream * stream, GstBuffer * buffer, guint16 seq,
    GstClockTime now)
{
  HistoryEntry *entry;

  if (stream->history_len > 0) {
    guint16 ahead = seq - stream->history_newest;

    /* A repeated or older number, or a jump: a new payloader. */
    if (ahead == 0 || ahead > MAX_INPUT_GAP)
      history_clear (stream);
  }
  if (stream->history_len == 0)
    stream->history_oldest = seq;

  entry = &stream->history[seq & HISTORY_MASK];
  if (entry->buffer != NULL)
    gst_buffer_unref (entry->buffer);
  entry->buffer = gst_buffer_ref (buffer);
  entry->seq = seq;
  entry->time = now;
  stream->history_newest = seq;
  stream->history_len = (guint16) (seq - stream->history_oldest) + 1;
  if (stream->history_len > HISTORY_SIZE) {
    stream->history_oldest = seq - (HISTORY_SIZE - 1);
    stream->history_len = HISTORY_SIZE;
  }

  /* Age out from the oldest end; also drop what a skipped number left in
   * its slot from an earlier lap. */
  while (stream->history_len > 1) {
    entry = &stream->history[stream->history_oldest & HISTORY_MASK];
    if (entry->buffer != NULL) {
      if (entry->seq == stream->history_oldest
          && entry->time + HISTORY_DURATION >= now)
        break;
      gst_buffer_unref (entry->buffer);
      entry->buffer = NULL;
    }
    stream->history_oldest++;
    stream->history_len--;
  }
}

/* Called with stream->lock. Returns a new reference. */
static GstBuffer *
history_lookup (Stream * stream, guint16 seq, GstClockTime now)
{
  HistoryEntry *entry = &stream->history[seq & HISTORY_MASK];
  guint i;

  if (stream->history_len > 0 && entry->buffer != NULL && entry->seq == seq
      && (guint16) (seq - stream->history_oldest) < stream->history_len
      && entry->time + HISTORY_DURATION >= now)
    return gst_buffer_ref (entry->buffer);

  /* A joiner may ask again for the cached key frame, which can be older
   * than the history. */
  for (i = 0; i < stream->keyframe->len; i++) {
    CachedPacket *cached = &g_array_index (stream->keyframe, CachedPacket, i);

    if (cached->seq == seq)
      return gst_buffer_ref (cached->buffer);
  }
  return NULL;
}

/* Called on the pushing thread with stream->lock. Returns whether @packet
 * starts a new key frame. */
static gboolean
keyframe_update (Stream * stream, GstBuffer * buffer, const RtpPacket * packet)
{
  const guint8 *payload = packet->data + packet->payload_offset;
  gboolean key;

  switch (g_atomic_int_get (&stream->codec)) {
    case CODEC_VP8:
      key = vp8_starts_keyframe (payload, packet->payload_len);
      break;
    case CODEC_H264:
      key = h264_starts_keyframe (payload, packet->payload_len);
      break;
    default:
      key = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
      break;
  }

  if (stream->keyframe_open && packet->ts == stream->keyframe_ts) {
    /* The rest of the key frame's packets (SPS, PPS, FU-A continuation). */
    if (stream->keyframe->len < MAX_KEYFRAME_PACKETS) {
      CachedPacket cached = { gst_buffer_ref (buffer), packet->seq };

      g_array_append_val (stream->keyframe, cached);
    } else {
      GST_WARNING ("stream %u: key frame of more than %u packets not cached",
          stream->id, MAX_KEYFRAME_PACKETS);
      keyframe_clear (stream);
    }
    stream->keyframe_current = stream->keyframe->len > 0;
    return FALSE;
  }
  if (key) {
    CachedPacket cached = { gst_buffer_ref (buffer), packet->seq };

    keyframe_clear (stream);
    g_array_append_val (stream->keyframe, cached);
    stream->keyframe_ts = packet->ts;
    stream->keyframe_open = TRUE;
    stream->keyframe_current = TRUE;
    stream->keyframes++;
    return TRUE;
  }
  stream->keyframe_open = FALSE;
  stream->keyframe_current = FALSE;
  return FALSE;
}

/* --- viewers ------------------------------------------------------------ */

static GstRtcBandwidthEstimator *viewer_ensure_estimator (GstRtcFanout * self,
    Viewer * viewer);
static void update_policy (GstRtcFanout * self, GstClockTime now,
    gboolean force);

static Viewer *
viewer_ref (Viewer * viewer)
{
  g_atomic_int_inc (&viewer->refcount);
  return viewer;
}

static void
viewer_unref (gpointer data)
{
  Viewer *viewer = data;
  guint i;

  if (!g_atomic_int_dec_and_test (&viewer->refcount))
    return;
  for (i = 0; i < GST_RTC_FANOUT_MAX_STREAMS; i++)
    g_free (viewer->streams[i]);
  gst_clear_object (&viewer->transport);
  gst_clear_object (&viewer->estimator);
  g_mutex_clear (&viewer->lock);
  g_free (viewer);
}

/* Drops the transport: from here on nothing is sent to the viewer. Waits
 * for a send to it that runs on another thread. */
static void
viewer_retire (Viewer * viewer)
{
  GstRtcTransport *transport;

  g_mutex_lock (&viewer->lock);
  transport = g_steal_pointer (&viewer->transport);
  g_mutex_unlock (&viewer->lock);
  gst_clear_object (&transport);
}

static ViewerStream *
viewer_find_ssrc (Viewer * viewer, guint32 ssrc)
{
  guint i;

  for (i = 0; i < GST_RTC_FANOUT_MAX_STREAMS; i++) {
    if (viewer->streams[i] != NULL && viewer->streams[i]->ssrc == ssrc)
      return viewer->streams[i];
  }
  return NULL;
}

/* Starts a new output range at @in_seq, numbered on from what the viewer
 * got last: the viewer sees no gap where it got nothing on purpose. The
 * timestamp offset is drawn once and kept, so that timestamps keep their
 * distance in time. */
static void
viewer_stream_resync (ViewerStream * vs, guint16 in_seq, guint32 in_ts)
{
  Segment *segment;

  if (!vs->based) {
    /* Below 2^15, as libwebrtc does, so that no receiver sees an early
     * wrap. */
    vs->next_seq = g_random_int_range (0, 0x8000);
    vs->ts_delta = g_random_int () - in_ts;
    vs->rtx_seq = g_random_int_range (0, 0x8000);
    vs->based = TRUE;
  }
  vs->seq_delta = vs->next_seq - in_seq;
  vs->segment_head = (vs->segment_head + 1) % MAX_SEGMENTS;
  vs->n_segments = MIN (vs->n_segments + 1, MAX_SEGMENTS);
  segment = &vs->segments[vs->segment_head];
  segment->out_start = vs->next_seq;
  segment->in_start = in_seq;
  segment->count = 0;
  segment->pid_delta = vs->pid_delta;
  segment->tl0_delta = vs->tl0_delta;
  segment->source = vs->source;
  vs->skipped = FALSE;
}

static gboolean
viewer_stream_map_seq (ViewerStream * vs, guint16 out_seq, guint16 * in_seq,
    guint16 * pid_delta, guint8 * tl0_delta, Stream ** source)
{
  guint i;

  for (i = 0; i < vs->n_segments; i++) {
    Segment *segment = &vs->segments[(vs->segment_head + MAX_SEGMENTS - i)
        % MAX_SEGMENTS];
    guint16 offset = out_seq - segment->out_start;

    if (offset < segment->count) {
      *in_seq = segment->in_start + offset;
      *pid_delta = segment->pid_delta;
      *tl0_delta = segment->tl0_delta;
      *source = segment->source;
      return TRUE;
    }
  }
  return FALSE;
}

/* --- time --------------------------------------------------------------- */

static guint64
ntp_from_ns (guint64 ns)
{
  guint64 seconds = ns / GST_SECOND;
  guint64 fraction = ((ns % GST_SECOND) << 32) / GST_SECOND;

  return (seconds << 32) | fraction;
}

static guint32
ntp_middle (guint64 ntp)
{
  return (guint32) (ntp >> 16);
}

/* Called with the object lock. */
static guint64
ntp_now_locked (GstRtcFanout * self, GstClockTime now)
{
  return ntp_from_ns (self->ntp_base + (now - self->clock_base));
}

/* Called with the object lock. */
static void
reset_clock_locked (GstRtcFanout * self, GstClock * clock)
{
  gst_object_replace ((GstObject **) & self->clock, (GstObject *) clock);
  self->clock_base = gst_clock_get_time (self->clock);
  self->ntp_base = (guint64) g_get_real_time () * 1000
      + NTP_UNIX_OFFSET * GST_SECOND;
}

/* --- sending ------------------------------------------------------------ */

typedef struct
{
  GstRtcFanout *self;
  Stream *stream;
  GstClockTime now;
  guint64 ntp_now;
  guint packets_out;
  gsize bytes_out;
  guint send_errors;
  gboolean need_keyframe;
} SendContext;

/* Writes the viewer's header for @packet into @out: its payload type (or
 * RTX), SSRC, numbers and extensions, then the payload. Returns the
 * length. */
static gsize
write_packet (Viewer * viewer, ViewerStream * vs, const RtpPacket * packet,
    guint16 out_seq, guint16 pid_delta, guint8 tl0_delta, gboolean rtx,
    guint8 * out)
{
  gsize csrc_len = 4 * packet->csrc_count;
  gsize offset, payload_len;

  out[0] = 0x80 | (vs->ext_len > 0 ? 0x10 : 0) | packet->csrc_count;
  if (!rtx && packet->padding_len > 0)
    out[0] |= 0x20;
  out[1] = (packet->marker ? 0x80 : 0) |
      (rtx ? vs->rtx_payload_type : vs->payload_type);
  GST_WRITE_UINT16_BE (out + 2, rtx ? vs->rtx_seq++ : out_seq);
  GST_WRITE_UINT32_BE (out + 4, packet->ts + vs->ts_delta);
  GST_WRITE_UINT32_BE (out + 8, rtx ? vs->rtx_ssrc : vs->ssrc);
  memcpy (out + 12, packet->data + 12, csrc_len);
  offset = 12 + csrc_len;
  if (vs->ext_len > 0) {
    memcpy (out + offset, vs->ext, vs->ext_len);
    if (vs->twcc_offset >= 0)
      GST_WRITE_UINT16_BE (out + offset + vs->twcc_offset, viewer->twcc_seq++);
    offset += vs->ext_len;
  }
  if (rtx) {
    /* RFC 4588: the original sequence number, as the viewer knows it,
     * then the original payload without padding. */
    GST_WRITE_UINT16_BE (out + offset, out_seq);
    offset += 2;
    payload_len = packet->payload_len;
  } else {
    payload_len = packet->payload_len + packet->padding_len;
  }
  memcpy (out + offset, packet->data + packet->payload_offset, payload_len);
  if (pid_delta != 0 && packet->pid_offset >= 0) {
    /* The viewer's picture IDs stay consecutive over dropped frames. */
    guint8 *pid = out + offset + packet->pid_offset;

    if (packet->pid_bits == 15) {
      guint16 value = ((GST_READ_UINT16_BE (pid) & 0x7fff) - pid_delta)
          & 0x7fff;

      GST_WRITE_UINT16_BE (pid, 0x8000 | value);
    } else {
      pid[0] = (pid[0] - pid_delta) & 0x7f;
    }
  }
  if (tl0_delta != 0 && packet->tl0_offset >= 0)
    out[offset + packet->tl0_offset] -= tl0_delta;
  return offset + payload_len;
}

static gsize
max_packet_len (ViewerStream * vs, const RtpPacket * packet)
{
  return 12 + 4 * packet->csrc_count + vs->ext_len + 2 + packet->payload_len +
      packet->padding_len;
}

/* Called with viewer->lock. Drains the viewer's backlog at its estimate
 * up to @now; with no estimate there is no backlog. */
static gdouble
viewer_backlog (Viewer * viewer, GstClockTime now)
{
  if (viewer->estimate == 0 || !GST_CLOCK_TIME_IS_VALID (now)) {
    viewer->backlog_bits = 0;
  } else if (GST_CLOCK_TIME_IS_VALID (viewer->backlog_time)
      && now > viewer->backlog_time) {
    viewer->backlog_bits -= (gdouble) viewer->estimate *
        (now - viewer->backlog_time) / GST_SECOND;
    if (viewer->backlog_bits < 0)
      viewer->backlog_bits = 0;
  }
  viewer->backlog_time = now;
  return viewer->backlog_bits;
}

/* Called with viewer->lock held and a transport. */
static gboolean
send_rewritten (SendContext * ctx, Viewer * viewer, ViewerStream * vs,
    const RtpPacket * packet, guint16 out_seq, guint16 pid_delta,
    guint8 tl0_delta, gboolean rtx)
{
  guint8 stack[STACK_PACKET_SIZE];
  guint8 *out = stack;
  gsize needed = max_packet_len (vs, packet), len;
  GstRtcSrtpStatus status;
  guint16 twcc_seq = viewer->twcc_seq;

  if (needed > sizeof (stack))
    out = g_malloc (needed);
  len = write_packet (viewer, vs, packet, out_seq, pid_delta, tl0_delta, rtx,
      out);
  status = gst_rtc_transport_send (viewer->transport, GST_RTC_PACKET_KIND_RTP,
      out, len);
  if (out != stack)
    g_free (out);

  if (status != GST_RTC_SRTP_STATUS_OK) {
    vs->send_errors++;
    ctx->send_errors++;
    GST_LOG ("viewer %u: packet not sent (SRTP status %d)", viewer->id,
        status);
    return FALSE;
  }
  if (vs->twcc_offset >= 0 && viewer->estimator != NULL)
    gst_rtc_bandwidth_estimator_on_sent (viewer->estimator, twcc_seq,
        len + SRTP_OVERHEAD, GST_TIME_AS_USECONDS (ctx->now));
  if (!rtx) {
    vs->packets_sent++;
    vs->octets_sent += packet->payload_len;
  }
  vs->bytes_sent += len;
  viewer_backlog (viewer, ctx->now);
  viewer->backlog_bits += 8.0 * (len + SRTP_OVERHEAD);
  ctx->packets_out++;
  ctx->bytes_out += len;
  return TRUE;
}

/* The VP8 picture ID of a packet that has one (pid_offset >= 0). */
static guint16
vp8_picture_id (const RtpPacket * packet)
{
  const guint8 *pid = packet->data + packet->payload_offset +
      packet->pid_offset;

  return packet->pid_bits == 15 ? GST_READ_UINT16_BE (pid) & 0x7fff :
      pid[0] & 0x7f;
}

/* Sends one packet of the stream in the viewer's numbering. */
static void
send_media (SendContext * ctx, Viewer * viewer, ViewerStream * vs,
    const RtpPacket * packet)
{
  guint16 out_seq = packet->seq + vs->seq_delta;
  Segment *segment = &vs->segments[vs->segment_head];
  guint16 offset = out_seq - segment->out_start;

  if ((guint) offset + 1 > segment->count)
    segment->count = offset + 1;
  vs->next_seq = out_seq + 1;
  vs->last_in_seq = packet->seq;
  vs->last_in_ts = packet->ts;
  if (vs->packets_sent == 0 && vs->srs_sent == 0)
    vs->next_sr = ctx->now + SR_INTERVAL / 2;
  if (packet->pid_offset >= 0) {
    vs->last_out_pid = (vp8_picture_id (packet) - vs->pid_delta) &
        (packet->pid_bits == 15 ? 0x7fff : 0x7f);
    vs->have_out_pid = TRUE;
  }
  if (packet->tl0_offset >= 0) {
    vs->last_out_tl0 = packet->data[packet->payload_offset +
        packet->tl0_offset] - vs->tl0_delta;
    vs->have_out_tl0 = TRUE;
  }
  send_rewritten (ctx, viewer, vs, packet, out_seq, vs->pid_delta,
      vs->tl0_delta, FALSE);
}

/* Called on the pushing thread with viewer->lock: @packet starts a key
 * frame of vs->switch_to. The viewer goes on from it as if the stream
 * had not changed: its sequence numbers from the next one (a new
 * segment), its timestamps on the same timeline (renditions share it),
 * VP8 picture IDs and TL0PICIDX from the next ones. */
static void
switch_source (SendContext * ctx, Viewer * viewer, ViewerStream * vs,
    const RtpPacket * packet)
{
  GST_DEBUG ("viewer %u: stream %u switched from %u to %u", viewer->id,
      vs->stream->id, vs->source->id, ctx->stream->id);
  vs->source = ctx->stream;
  vs->switch_to = NULL;
  vs->rendition_switches++;
  if (vs->have_out_pid && packet->pid_offset >= 0)
    vs->pid_delta = vp8_picture_id (packet) - (guint16) (vs->last_out_pid + 1);
  if (vs->have_out_tl0 && packet->tl0_offset >= 0)
    vs->tl0_delta = packet->data[packet->payload_offset +
        packet->tl0_offset] - (guint8) (vs->last_out_tl0 + 1);
  /* Temporal layers are chosen afresh at this key frame. */
  vs->layer_have_ts = FALSE;
  viewer_stream_resync (vs, packet->seq, packet->ts);
  send_media (ctx, viewer, vs, packet);
}

/* RFC 3550 section 6.4.1, followed by an SDES CNAME as a compound packet
 * must be. The RTP timestamp is where the viewer's clock stands now:
 * the last timestamp pushed, advanced by the time since it was first
 * seen. */
static void
send_sender_report (SendContext * ctx, Viewer * viewer, ViewerStream * vs)
{
  guint8 packet[28 + 8 + 2 + 256 + 4];
  Stream *stream = ctx->stream;
  GstRtcFanout *self = ctx->self;
  guint32 rtp_ts;
  gsize cname_len, sdes_len;
  GstRtcSrtpStatus status;

  rtp_ts = stream->last_ts + vs->ts_delta +
      (guint32) gst_util_uint64_scale (ctx->now - stream->last_ts_time,
      stream->clock_rate, GST_SECOND);

  packet[0] = 0x80;
  packet[1] = RTCP_SR;
  GST_WRITE_UINT16_BE (packet + 2, 6);
  GST_WRITE_UINT32_BE (packet + 4, vs->ssrc);
  GST_WRITE_UINT64_BE (packet + 8, ctx->ntp_now);
  GST_WRITE_UINT32_BE (packet + 16, rtp_ts);
  GST_WRITE_UINT32_BE (packet + 20, (guint32) vs->packets_sent);
  GST_WRITE_UINT32_BE (packet + 24, (guint32) vs->octets_sent);

  GST_OBJECT_LOCK (self);
  cname_len = MIN (strlen (self->cname), 255);
  memcpy (packet + 28 + 10, self->cname, cname_len);
  GST_OBJECT_UNLOCK (self);
  /* SSRC, CNAME item, at least one null octet ending the chunk. */
  sdes_len = (4 + 2 + cname_len + 1 + 3) & ~3;
  packet[28] = 0x81;
  packet[29] = RTCP_SDES;
  GST_WRITE_UINT16_BE (packet + 30, sdes_len / 4);
  GST_WRITE_UINT32_BE (packet + 32, vs->ssrc);
  packet[36] = 1;
  packet[37] = cname_len;
  memset (packet + 38 + cname_len, 0, sdes_len - 6 - cname_len);

  status = gst_rtc_transport_send (viewer->transport, GST_RTC_PACKET_KIND_RTCP,
      packet, 28 + 4 + sdes_len);
  if (status == GST_RTC_SRTP_STATUS_OK) {
    vs->srs_sent++;
    GST_LOG ("viewer %u: SR ssrc %08x, %" G_GUINT64_FORMAT " packets",
        viewer->id, vs->ssrc, vs->packets_sent);
  } else {
    vs->send_errors++;
  }
  vs->next_sr = ctx->now + SR_INTERVAL;
}

/* Layer shares of the rate, cumulative: with n layers, layers 0..t
 * carry share[n - 1][t] of it. They match what rtcsink asks of vp8enc. */
static const gdouble layer_shares[3][3] = {
  {1.0, 1.0, 1.0},
  {0.6, 1.0, 1.0},
  {0.25, 0.5, 1.0},
};

/* The highest layer a viewer with @share of the target can take, given
 * that it takes @current now: climbing needs the full share, staying
 * tolerates 10 % less. */
static guint
choose_max_tid (guint n_layers, gdouble share, guint current)
{
  gint t;

  if (n_layers <= 1)
    return ALL_LAYERS;
  if (current == ALL_LAYERS)
    current = n_layers - 1;
  for (t = n_layers - 1; t > 0; t--) {
    gdouble needed = n_layers <= 3 ? layer_shares[n_layers - 1][t] :
        (gdouble) (t + 1) / n_layers;

    if ((guint) t > current ? share >= needed : share * 1.1 >= needed)
      break;
  }
  return t == (gint) n_layers - 1 ? ALL_LAYERS : (guint) t;
}

/* Called with viewer->lock on a forwarding video stream. Returns
 * whether the frame @packet belongs to is dropped for this viewer. The
 * decision is taken at the first packet of each frame and kept for the
 * rest of it. */
static gboolean
layer_filter (SendContext * ctx, Viewer * viewer, ViewerStream * vs,
    const RtpPacket * packet, gboolean starts_keyframe)
{
  guint want;

  if (packet->tid < 0)
    return FALSE;
  if (vs->layer_have_ts && packet->ts == vs->layer_ts)
    return vs->layer_drop;

  want = choose_max_tid (g_atomic_int_get (&ctx->stream->n_layers),
      viewer->share, vs->max_tid);
  if (want < vs->max_tid) {
    /* Down at once: nothing that is still sent needs a dropped layer. */
    GST_DEBUG ("viewer %u: stream %u thinned to layer %u", viewer->id,
        ctx->stream->id, want);
    vs->max_tid = want;
  } else if (want > vs->max_tid) {
    /* Up at a key frame, or one layer at a time at a frame of that layer
     * which depends on the base layer only. */
    if (starts_keyframe) {
      vs->max_tid = want;
    } else if (packet->layer_sync && (guint) packet->tid == vs->max_tid + 1) {
      vs->max_tid = packet->tid;
      if (vs->max_tid + 1 >= (guint) g_atomic_int_get (&ctx->stream->n_layers)
          && want == ALL_LAYERS)
        vs->max_tid = ALL_LAYERS;
    }
    if (vs->max_tid != ALL_LAYERS || want == ALL_LAYERS)
      GST_DEBUG ("viewer %u: stream %u at layer %u (wants %u)", viewer->id,
          ctx->stream->id, vs->max_tid, want);
  }
  vs->layer_have_ts = TRUE;
  vs->layer_ts = packet->ts;
  vs->layer_drop = vs->max_tid != ALL_LAYERS
      && (guint) packet->tid > vs->max_tid;
  if (vs->layer_drop) {
    vs->frames_thinned++;
    if (packet->pid_offset >= 0)
      vs->pid_delta++;
  }
  return vs->layer_drop;
}

/* Called on the pushing thread. */
static void
forward_to_viewer (SendContext * ctx, Viewer * viewer, const RtpPacket * packet,
    gboolean starts_keyframe)
{
  Stream *stream = ctx->stream;
  ViewerStream *vs;

  g_mutex_lock (&viewer->lock);
  /* A rendition's packets go to the viewers of its primary. */
  vs = viewer->streams[(stream->primary ? stream->primary : stream)->id - 1];
  if (viewer->transport == NULL || vs == NULL)
    goto done;

  if (vs->source != stream) {
    /* Not what this viewer gets now: unless it is the rendition it is
     * to switch to, and this its key frame. */
    if (vs->switch_to != stream || vs->state == VIEWER_STREAM_PAUSED)
      goto done;
    if (vs->state == VIEWER_STREAM_JOINING)
      goto done;
    /* A key frame of a picture the viewer already got from the old
     * source would be a second frame with one timestamp (receivers that
     * assemble frames by timestamp merge the two): wait for the next. */
    if (!starts_keyframe || (vs->packets_sent > 0
            && (gint32) (packet->ts - vs->last_in_ts) <= 0)) {
      ctx->need_keyframe = TRUE;
      goto done;
    }
    switch_source (ctx, viewer, vs, packet);
    vs->state = VIEWER_STREAM_FORWARDING;
    goto done;
  }

  switch (vs->state) {
    case VIEWER_STREAM_PAUSED:
      goto done;
    case VIEWER_STREAM_JOINING:
      if (!viewer->connected) {
        if (gst_rtc_transport_get_state (viewer->transport) !=
            GST_RTC_TRANSPORT_STATE_CONNECTED)
          goto done;
        viewer->connected = TRUE;
      }
      if (stream->kind != GST_RTC_MEDIA_KIND_VIDEO) {
        viewer_stream_resync (vs, packet->seq, packet->ts);
        vs->state = VIEWER_STREAM_FORWARDING;
        send_media (ctx, viewer, vs, packet);
        break;
      }
      /* Only this thread changes the cache, so it is read without the
       * stream lock. A viewer that resumes may have got past the cached
       * key frame already: going back in time would only be dropped. */
      if (stream->keyframe->len > 0 && vs->packets_sent > 0 &&
          (gint32) (stream->keyframe_ts - vs->last_in_ts) <= 0) {
        vs->state = VIEWER_STREAM_WAITING_KEYFRAME;
        ctx->need_keyframe = TRUE;
        break;
      }
      if (stream->keyframe->len > 0) {
        gboolean synced = FALSE;
        guint i;

        for (i = 0; i < stream->keyframe->len; i++) {
          CachedPacket *cached =
              &g_array_index (stream->keyframe, CachedPacket, i);
          GstMapInfo map;
          RtpPacket cached_packet;

          if (!gst_buffer_map (cached->buffer, &map, GST_MAP_READ))
            continue;
          if (rtp_parse (map.data, map.size, &cached_packet)) {
            if (!synced)
              viewer_stream_resync (vs, cached_packet.seq, cached_packet.ts);
            synced = TRUE;
            send_media (ctx, viewer, vs, &cached_packet);
          }
          gst_buffer_unmap (cached->buffer, &map);
        }
        GST_DEBUG ("viewer %u: sent the cached key frame of stream %u "
            "(%u packets)", viewer->id, stream->id, stream->keyframe->len);
      }
      if (stream->keyframe->len > 0 && stream->keyframe_current) {
        /* The packet being pushed was part of it. */
        vs->state = VIEWER_STREAM_FORWARDING;
      } else {
        vs->state = VIEWER_STREAM_WAITING_KEYFRAME;
        ctx->need_keyframe = TRUE;
      }
      break;
    case VIEWER_STREAM_WAITING_KEYFRAME:
      if (!starts_keyframe) {
        /* Ask again while it waits: a request merged with one made for
         * another viewer, or lost upstream, must not leave it waiting
         * for the encoder's next natural key frame (request_keyframe()
         * keeps this to one a second). */
        ctx->need_keyframe = TRUE;
        break;
      }
      viewer_stream_resync (vs, packet->seq, packet->ts);
      vs->state = VIEWER_STREAM_FORWARDING;
      send_media (ctx, viewer, vs, packet);
      break;
    case VIEWER_STREAM_FORWARDING:{
      guint16 ahead = packet->seq - vs->last_in_seq;

      if (layer_filter (ctx, viewer, vs, packet, starts_keyframe)) {
        /* Numbered on from the next packet sent: no gap to NACK. */
        vs->last_in_seq = packet->seq;
        vs->last_in_ts = packet->ts;
        vs->skipped = TRUE;
        vs->packets_thinned++;
        break;
      }
      if (vs->skipped || ahead == 0 || ahead > MAX_INPUT_GAP)
        viewer_stream_resync (vs, packet->seq, packet->ts);
      send_media (ctx, viewer, vs, packet);
      break;
    }
  }

  if (vs->packets_sent > 0 && ctx->now >= vs->next_sr)
    send_sender_report (ctx, viewer, vs);

done:
  g_mutex_unlock (&viewer->lock);
}

/* Emits request-keyframe unless one went out less than a second ago. */
static gboolean
request_keyframe (GstRtcFanout * self, Stream * stream, GstClockTime now)
{
  gboolean due;

  g_mutex_lock (&stream->lock);
  due = !GST_CLOCK_TIME_IS_VALID (stream->last_keyframe_request)
      || now >= stream->last_keyframe_request + KEYFRAME_REQUEST_INTERVAL;
  if (due)
    stream->last_keyframe_request = now;
  g_mutex_unlock (&stream->lock);

  if (!due) {
    GST_LOG_OBJECT (self, "stream %u: key frame request merged", stream->id);
    return FALSE;
  }
  counter_add (&self->keyframe_requests_sent, 1);
  GST_DEBUG_OBJECT (self, "stream %u: requesting a key frame", stream->id);
  g_signal_emit (self, signals[SIGNAL_REQUEST_KEYFRAME], 0, stream->id);
  return TRUE;
}

/* --- encoder policy ----------------------------------------------------- */

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* The rate @stream is sent at: a rendition's own, the primary's the
 * encoder target (@primary_rate). */
static guint
stream_rate (Stream * stream, guint primary_rate)
{
  return stream->primary != NULL ? stream->rendition_bitrate : primary_rate;
}

/* Rendition switches are damped: a viewer moves up to a rung when its
 * estimate exceeds the rung's rate by this factor, and stays on its rung
 * while the estimate is above this share of the rate. */
#define RENDITION_UP_MARGIN 1.2
#define RENDITION_KEEP_SHARE 0.85

/* Called under the policy lock with the viewer's lock. Picks the highest
 * rung of vs->stream's ladder that @estimate carries (the lowest when
 * none does) and sets vs->switch_to when it is not the one forwarded;
 * the switch happens at that rung's next key frame. */
static void
choose_rendition (ViewerStream * vs, Stream ** streams, guint n_streams,
    guint estimate, guint primary_rate)
{
  Stream *best = NULL, *lowest = NULL;
  guint best_rate = 0, lowest_rate = G_MAXUINT, current_rate, i;

  if (estimate == 0)
    return;
  current_rate = stream_rate (vs->source, primary_rate);
  for (i = 0; i < n_streams; i++) {
    Stream *rung = streams[i];
    guint rate;
    gdouble needed;

    if (rung != vs->stream && rung->primary != vs->stream)
      continue;
    rate = stream_rate (rung, primary_rate);
    if (rate < lowest_rate) {
      lowest = rung;
      lowest_rate = rate;
    }
    if (rung == vs->source)
      needed = RENDITION_KEEP_SHARE * rate;
    else if (rate > current_rate)
      needed = RENDITION_UP_MARGIN * rate;
    else
      needed = rate;
    if (estimate >= needed && (best == NULL || rate > best_rate)) {
      best = rung;
      best_rate = rate;
    }
  }
  if (best == NULL)
    best = lowest;
  if (best == NULL || best == vs->source) {
    vs->switch_to = NULL;
  } else if (vs->switch_to != best) {
    GST_DEBUG ("stream %u: to switch from %u to %u (estimate %u)",
        vs->stream->id, vs->source->id, best->id, estimate);
    vs->switch_to = best;
  }
}

/* One target for the shared encoder, from the viewers' estimates; and
 * for each viewer, whether it is constrained and what share of the
 * target it can take. Runs after feedback, at most every
 * POLICY_INTERVAL unless @force. */
static void
update_policy (GstRtcFanout * self, GstClockTime now, gboolean force)
{
  GPtrArray *viewers;
  GArray *all, *healthy;
  guint min_bitrate, max_bitrate, target, reference = 0, emitted, i, j;
  guint share_base, n_streams;
  gboolean emit = FALSE, thinning;
  guint64 bytes_in = counter (&self->bytes_in);
  Stream *streams[GST_RTC_FANOUT_MAX_STREAMS];
  gboolean has_renditions[GST_RTC_FANOUT_MAX_STREAMS];

  if (force)
    g_mutex_lock (&self->policy_lock);
  else if (!g_mutex_trylock (&self->policy_lock))
    return;
  GST_OBJECT_LOCK (self);
  if (!force && GST_CLOCK_TIME_IS_VALID (self->last_policy)
      && now < self->last_policy + POLICY_INTERVAL) {
    GST_OBJECT_UNLOCK (self);
    g_mutex_unlock (&self->policy_lock);
    return;
  }
  self->last_policy = now;
  viewers = g_ptr_array_ref (self->viewers);
  n_streams = self->n_streams;
  memset (has_renditions, 0, sizeof (has_renditions));
  for (j = 0; j < n_streams; j++) {
    streams[j] = self->streams[j];
    if (streams[j]->primary != NULL)
      has_renditions[streams[j]->primary->id - 1] = TRUE;
  }
  min_bitrate = self->min_bitrate;
  max_bitrate = self->max_bitrate;
  thinning = self->thinning;
  GST_OBJECT_UNLOCK (self);

  if (GST_CLOCK_TIME_IS_VALID (now)) {
    if (!GST_CLOCK_TIME_IS_VALID (self->rate_time) || now < self->rate_time) {
      self->rate_time = now;
      self->rate_bytes = bytes_in;
    } else if (now - self->rate_time >= GST_SECOND) {
      self->input_bitrate = (guint) MIN (gst_util_uint64_scale (bytes_in -
              self->rate_bytes, 8 * GST_SECOND, now - self->rate_time),
          G_MAXUINT);
      self->rate_time = now;
      self->rate_bytes = bytes_in;
    }
  }

  all = g_array_new (FALSE, FALSE, sizeof (guint));
  healthy = g_array_new (FALSE, FALSE, sizeof (guint));
  for (i = 0; i < viewers->len; i++) {
    Viewer *viewer = g_ptr_array_index (viewers, i);

    g_mutex_lock (&viewer->lock);
    viewer->estimate = 0;
    if (viewer->estimator != NULL && viewer->have_estimate) {
      viewer->estimate =
          gst_rtc_bandwidth_estimator_get_target (viewer->estimator);
      g_array_append_val (all, viewer->estimate);
    }
    g_mutex_unlock (&viewer->lock);
  }
  g_array_sort (all, compare_uint);
  /* The median, the upper one of two: with two viewers the faster is
   * the reference the slower is measured against. */
  if (all->len > 0)
    reference = g_array_index (all, guint, all->len / 2);

  for (i = 0; i < viewers->len; i++) {
    Viewer *viewer = g_ptr_array_index (viewers, i);

    g_mutex_lock (&viewer->lock);
    if (viewer->estimate == 0 || all->len < 2) {
      viewer->constrained = FALSE;
    } else {
      gdouble ratio = viewer->constrained ? UNCONSTRAINED_RATIO :
          CONSTRAINED_RATIO;

      viewer->constrained = viewer->estimate < ratio * reference;
    }
    if (viewer->estimate > 0 && !viewer->constrained)
      g_array_append_val (healthy, viewer->estimate);
    g_mutex_unlock (&viewer->lock);
  }
  g_array_sort (healthy, compare_uint);
  if (healthy->len > 0)
    target = g_array_index (healthy, guint,
        (healthy->len - 1) * POLICY_PERCENTILE / 100);
  else
    target = max_bitrate;
  /* A viewer's share is measured against what is sent: the target before
   * the floor (a lone viewer under min-bitrate is not thinned for it), and
   * no more than the streams bring in (an encoder that makes less than
   * its target, or encoded input). */
  share_base = MIN (target, max_bitrate);
  if (self->input_bitrate > 0)
    share_base = MIN (share_base, self->input_bitrate);
  target = CLAMP (target, min_bitrate, max_bitrate);

  for (i = 0; i < viewers->len; i++) {
    Viewer *viewer = g_ptr_array_index (viewers, i);
    guint rate = share_base;

    g_mutex_lock (&viewer->lock);
    for (j = 0; j < n_streams; j++) {
      ViewerStream *vs = viewer->streams[j];

      if (vs != NULL && has_renditions[j]) {
        choose_rendition (vs, streams, n_streams, viewer->estimate,
            share_base);
        rate = stream_rate (vs->source, share_base);
      }
    }
    viewer->share = thinning && viewer->estimate > 0 && rate > 0 ?
        (gdouble) viewer->estimate / rate : G_MAXDOUBLE;
    g_mutex_unlock (&viewer->lock);
  }

  self->healthy_viewers = healthy->len;
  self->constrained_viewers = all->len - healthy->len;
  g_atomic_int_set (&self->target_bitrate, target);
  emitted = self->emitted_target;
  if (emitted == 0 || ABS ((gdouble) target - emitted) >
      TARGET_CHANGE_RATIO * emitted) {
    self->emitted_target = target;
    emit = TRUE;
  }
  GST_LOG_OBJECT (self, "target %u from %u viewers with estimates, %u "
      "healthy", target, all->len, healthy->len);
  g_array_unref (all);
  g_array_unref (healthy);
  g_ptr_array_unref (viewers);
  g_mutex_unlock (&self->policy_lock);

  if (emit) {
    GST_DEBUG_OBJECT (self, "encoder target %u bit/s", target);
    g_signal_emit (self, signals[SIGNAL_TARGET_BITRATE_CHANGED], 0, target);
  }
}

/* --- GObject ------------------------------------------------------------ */

static void
gst_rtc_fanout_init (GstRtcFanout * self)
{
  GstClock *system = gst_system_clock_obtain ();

  self->viewers = g_ptr_array_new_with_free_func (viewer_unref);
  self->viewers_by_id = g_hash_table_new_full (NULL, NULL, NULL, viewer_unref);
  self->next_viewer_id = 1;
  self->cname = g_strdup_printf ("gst-rtc-%08x", g_random_int ());
  self->min_bitrate = DEFAULT_MIN_BITRATE;
  self->max_bitrate = DEFAULT_MAX_BITRATE;
  self->thinning = DEFAULT_THINNING;
  self->target_bitrate = DEFAULT_MAX_BITRATE;
  self->last_policy = GST_CLOCK_TIME_NONE;
  self->rate_time = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->policy_lock);
  reset_clock_locked (self, system);
  gst_object_unref (system);
}

static void
gst_rtc_fanout_dispose (GObject * object)
{
  GstRtcFanout *self = GST_RTC_FANOUT (object);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->viewers_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    viewer_retire (value);
  g_hash_table_remove_all (self->viewers_by_id);
  g_ptr_array_set_size (self->viewers, 0);

  G_OBJECT_CLASS (gst_rtc_fanout_parent_class)->dispose (object);
}

static void
gst_rtc_fanout_finalize (GObject * object)
{
  GstRtcFanout *self = GST_RTC_FANOUT (object);
  guint i;

  for (i = 0; i < self->n_streams; i++)
    stream_free (self->streams[i]);
  g_ptr_array_unref (self->viewers);
  g_hash_table_unref (self->viewers_by_id);
  gst_clear_object (&self->clock);
  g_free (self->cname);
  g_mutex_clear (&self->policy_lock);

  G_OBJECT_CLASS (gst_rtc_fanout_parent_class)->finalize (object);
}

static void
gst_rtc_fanout_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcFanout *self = GST_RTC_FANOUT (object);

  switch (prop_id) {
    case PROP_CNAME:{
      const gchar *cname = g_value_get_string (value);

      if (cname == NULL || *cname == '\0' || strlen (cname) > 255) {
        GST_WARNING_OBJECT (self, "a CNAME must have 1 to 255 bytes");
        break;
      }
      GST_OBJECT_LOCK (self);
      g_free (self->cname);
      self->cname = g_strdup (cname);
      GST_OBJECT_UNLOCK (self);
      break;
    }
    case PROP_MIN_BITRATE:
      GST_OBJECT_LOCK (self);
      self->min_bitrate = g_value_get_uint (value);
      self->max_bitrate = MAX (self->max_bitrate, self->min_bitrate);
      GST_OBJECT_UNLOCK (self);
      update_policy (self, GST_CLOCK_TIME_NONE, TRUE);
      break;
    case PROP_MAX_BITRATE:
      GST_OBJECT_LOCK (self);
      self->max_bitrate = g_value_get_uint (value);
      self->min_bitrate = MIN (self->max_bitrate, self->min_bitrate);
      GST_OBJECT_UNLOCK (self);
      update_policy (self, GST_CLOCK_TIME_NONE, TRUE);
      break;
    case PROP_THINNING:
      GST_OBJECT_LOCK (self);
      self->thinning = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      update_policy (self, GST_CLOCK_TIME_NONE, TRUE);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_fanout_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcFanout *self = GST_RTC_FANOUT (object);

  switch (prop_id) {
    case PROP_CNAME:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->cname);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_rtc_fanout_get_stats (self));
      break;
    case PROP_MIN_BITRATE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->min_bitrate);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_BITRATE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_bitrate);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_THINNING:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->thinning);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_TARGET_BITRATE:
      g_value_set_uint (value, gst_rtc_fanout_get_target_bitrate (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_fanout_class_init (GstRtcFanoutClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = gst_rtc_fanout_dispose;
  gobject_class->finalize = gst_rtc_fanout_finalize;
  gobject_class->set_property = gst_rtc_fanout_set_property;
  gobject_class->get_property = gst_rtc_fanout_get_property;

  /**
   * GstRtcFanout:cname:
   *
   * The RTCP CNAME sent with every sender report. Set it to the CNAME of
   * the description (`a=ssrc:… cname:`) the viewers were given.
   */
  properties[PROP_CNAME] = g_param_spec_string ("cname", "CNAME",
      "The RTCP CNAME sent with sender reports", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcFanout:stats:
   *
   * Counters of the whole fan-out; see gst_rtc_fanout_get_stats().
   */
  /* gst_structure_get_type(), not GST_TYPE_STRUCTURE: the latter is 0
   * before gst_init(), which the introspection dumper does not call. */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Counters of the whole fan-out", gst_structure_get_type (),
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcFanout:min-bitrate:
   *
   * The lowest target the policy gives the encoder, and the lowest
   * estimate of viewers added from now on, in bit/s.
   */
  properties[PROP_MIN_BITRATE] = g_param_spec_uint ("min-bitrate",
      "Minimum bitrate", "Lowest encoder target (bit/s)", 0, G_MAXINT,
      DEFAULT_MIN_BITRATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcFanout:max-bitrate:
   *
   * The highest target the policy gives the encoder, in bit/s; also
   * where the estimate of each viewer added from now on starts, and its
   * ceiling.
   */
  properties[PROP_MAX_BITRATE] = g_param_spec_uint ("max-bitrate",
      "Maximum bitrate", "Highest encoder target and start of each "
      "viewer's estimate (bit/s)", 0, G_MAXINT, DEFAULT_MAX_BITRATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcFanout:thinning:
   *
   * Whether a viewer whose estimate is below the target gets the upper
   * temporal layers of a VP8 stream dropped.
   */
  properties[PROP_THINNING] = g_param_spec_boolean ("thinning", "Thinning",
      "Drop upper VP8 temporal layers for viewers below the target",
      DEFAULT_THINNING, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcFanout:target-bitrate:
   *
   * What the shared encoder should produce now, in bit/s; see
   * gst_rtc_fanout_get_target_bitrate().
   */
  properties[PROP_TARGET_BITRATE] = g_param_spec_uint ("target-bitrate",
      "Target bitrate", "What the shared encoder should produce (bit/s)",
      0, G_MAXUINT, DEFAULT_MAX_BITRATE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, PROP_LAST, properties);

  /**
   * GstRtcFanout::request-keyframe:
   * @fanout: the fan-out
   * @stream_id: the stream that needs a key frame
   *
   * A viewer lost a picture (PLI, FIR) or joined without one to start
   * from. Requests of all viewers are merged: at most one signal a second
   * per stream. Answer it with an upstream force-key-unit event. Emitted
   * from the thread that pushed or handed in the RTCP, with no lock held.
   */
  signals[SIGNAL_REQUEST_KEYFRAME] = g_signal_new ("request-keyframe",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_UINT);

  /**
   * GstRtcFanout::target-bitrate-changed:
   * @fanout: the fan-out
   * @bitrate: the new target, in bit/s
   *
   * The encoder policy moved the target by more than 5 % since it was
   * last emitted (the first time: at the first estimate). Set the
   * shared encoder's bitrate from it. Emitted from the thread that
   * handed in the RTCP, with no lock held.
   */
  signals[SIGNAL_TARGET_BITRATE_CHANGED] =
      g_signal_new ("target-bitrate-changed", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

/* --- public API --------------------------------------------------------- */

/**
 * gst_rtc_fanout_viewer_config_new:
 *
 * Creates a viewer configuration, to fill in and hand to the fan-out.
 *
 * Returns: (transfer full): an empty viewer configuration
 */
GstRtcFanoutViewerConfig *
gst_rtc_fanout_viewer_config_new (void)
{
  return g_new0 (GstRtcFanoutViewerConfig, 1);
}

/**
 * gst_rtc_fanout_viewer_config_copy:
 * @config: a viewer configuration
 *
 * Copies @config. MIDs stored by gst_rtc_fanout_viewer_config_add_stream()
 * live inside the configuration and are copied with it.
 *
 * Returns: (transfer full): a copy of @config
 */
GstRtcFanoutViewerConfig *
gst_rtc_fanout_viewer_config_copy (const GstRtcFanoutViewerConfig * config)
{
  GstRtcFanoutViewerConfig *copy;

  g_return_val_if_fail (config != NULL, NULL);

  copy = g_memdup2 (config, sizeof (*config));
  return copy;
}

/**
 * gst_rtc_fanout_viewer_config_free:
 * @config: (transfer full) (nullable): a viewer configuration
 *
 * Frees @config.
 */
void
gst_rtc_fanout_viewer_config_free (GstRtcFanoutViewerConfig * config)
{
  g_free (config);
}

/* A MID of up to 16 bytes and its NUL fit in a stream's reserved room,
 * where gst_rtc_fanout_viewer_config_add_stream() keeps it. */
G_STATIC_ASSERT (sizeof (((GstRtcFanoutStreamConfig *) NULL)->_gst_reserved) >
    16);

/**
 * gst_rtc_fanout_stream_config_get_mid:
 * @config: one stream of a viewer configuration
 *
 * Gets the MID one stream of a viewer configuration is sent with.
 *
 * Returns: (nullable): the MID set by hand in @config's `mid` field, else
 *   the one gst_rtc_fanout_viewer_config_add_stream() stored in @config
 */
const gchar *
gst_rtc_fanout_stream_config_get_mid (const GstRtcFanoutStreamConfig * config)
{
  const gchar *stored = (const gchar *) config->_gst_reserved;

  if (config->mid != NULL)
    return config->mid;
  return stored[0] != '\0' ? stored : NULL;
}

/**
 * gst_rtc_fanout_viewer_config_add_stream:
 * @config: a viewer configuration
 * @stream_id: the source stream
 * @payload_type: the viewer's payload type for it
 * @rtx_payload_type: the viewer's RTX payload type, or 0
 * @ssrc: the SSRC to send with, or 0 for the source stream's
 * @rtx_ssrc: the RTX SSRC
 * @mid: (nullable): the viewer's MID for the m-line
 * @mid_ext_id: the MID header extension id, or 0
 * @twcc_ext_id: the transport-wide-cc header extension id, or 0
 *
 * Subscribes the configured viewer to @stream_id, active from the start.
 *
 * Returns: %FALSE if @config already has %GST_RTC_FANOUT_MAX_STREAMS
 *   streams, or @mid is longer than 16 bytes
 */
gboolean
gst_rtc_fanout_viewer_config_add_stream (GstRtcFanoutViewerConfig * config,
    guint stream_id, guint8 payload_type, guint8 rtx_payload_type,
    guint32 ssrc, guint32 rtx_ssrc, const gchar * mid, guint8 mid_ext_id,
    guint8 twcc_ext_id)
{
  GstRtcFanoutStreamConfig *stream;

  g_return_val_if_fail (config != NULL, FALSE);

  /* The MID is kept inside the configuration (RFC 8843 MIDs are short),
   * not interned: a client chooses it, and interned strings live forever. */
  if (config->n_streams >= GST_RTC_FANOUT_MAX_STREAMS ||
      (mid != NULL && strlen (mid) > 16))
    return FALSE;
  stream = &config->streams[config->n_streams++];
  memset (stream, 0, sizeof (*stream));
  stream->stream_id = stream_id;
  stream->active = TRUE;
  stream->payload_type = payload_type;
  stream->rtx_payload_type = rtx_payload_type;
  stream->ssrc = ssrc;
  stream->rtx_ssrc = rtx_ssrc;
  /* Stored by value, with @mid left NULL, so that the configuration can
   * be copied as a plain struct: see gst_rtc_fanout_stream_config_get_mid(). */
  if (mid != NULL)
    g_strlcpy ((gchar *) stream->_gst_reserved, mid,
        sizeof (stream->_gst_reserved));
  stream->mid_ext_id = mid_ext_id;
  stream->twcc_ext_id = twcc_ext_id;
  return TRUE;
}

/**
 * gst_rtc_fanout_new:
 *
 * Creates a fan-out.
 *
 * Returns: (transfer full): a new fan-out, with no stream and no viewer
 */
GstRtcFanout *
gst_rtc_fanout_new (void)
{
  GstRtcFanout *self;

  self = g_object_new (GST_RTC_TYPE_FANOUT, NULL);
  gst_object_ref_sink (self);
  return self;
}

/**
 * gst_rtc_fanout_set_clock:
 * @fanout: a fan-out
 * @clock: (nullable): the clock to time reports, key frame requests and
 *   the history by; %NULL for the system clock
 *
 * Sets where the fan-out reads the time. Tests use a #GstTestClock. The
 * NTP time in sender reports is the wall clock when this is called,
 * advanced by @clock.
 */
void
gst_rtc_fanout_set_clock (GstRtcFanout * fanout, GstClock * clock)
{
  g_return_if_fail (GST_RTC_IS_FANOUT (fanout));
  g_return_if_fail (clock == NULL || GST_IS_CLOCK (clock));

  GST_OBJECT_LOCK (fanout);
  if (clock == NULL) {
    GstClock *system = gst_system_clock_obtain ();

    reset_clock_locked (fanout, system);
    gst_object_unref (system);
  } else {
    reset_clock_locked (fanout, clock);
  }
  GST_OBJECT_UNLOCK (fanout);
}

/**
 * gst_rtc_fanout_add_stream:
 * @fanout: a fan-out
 * @kind: audio or video: only video waits for key frames
 * @ssrc: the SSRC the payloader writes; viewers without an SSRC of their
 *   own get it
 * @clock_rate: the RTP clock rate of the payload
 *
 * Adds a source stream, fed by one payloader with gst_rtc_fanout_push().
 *
 * Returns: the stream's id (from 1), or 0 when the fan-out has
 *   %GST_RTC_FANOUT_MAX_STREAMS streams already
 */
guint
gst_rtc_fanout_add_stream (GstRtcFanout * fanout, GstRtcMediaKind kind,
    guint32 ssrc, guint clock_rate)
{
  guint id = 0;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), 0);
  g_return_val_if_fail (clock_rate > 0, 0);

  GST_OBJECT_LOCK (fanout);
  if (fanout->n_streams < GST_RTC_FANOUT_MAX_STREAMS) {
    id = fanout->n_streams + 1;
    fanout->streams[id - 1] = stream_new (id, kind, ssrc, clock_rate);
    /* A pusher reads n_streams without the lock. */
    g_atomic_int_set (&fanout->n_streams, id);
  }
  GST_OBJECT_UNLOCK (fanout);

  if (id == 0)
    GST_WARNING_OBJECT (fanout, "no room for another stream");
  else
    GST_DEBUG_OBJECT (fanout, "stream %u: %s, ssrc %08x, clock rate %u", id,
        kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio", ssrc,
        clock_rate);
  return id;
}

static Stream *
get_stream (GstRtcFanout * self, guint stream_id)
{
  if (stream_id == 0 || stream_id > (guint) g_atomic_int_get (&self->n_streams))
    return NULL;
  return self->streams[stream_id - 1];
}

/**
 * gst_rtc_fanout_set_stream_codec:
 * @fanout: a fan-out
 * @stream_id: a stream
 * @encoding_name: the RTP encoding name, e.g. `VP8` or `H264`
 *
 * Tells the fan-out the codec of a video stream, so that it finds key
 * frames in the payload itself: the VP8 payload descriptor's S bit and
 * the VP8 header's P bit; an H.264 IDR slice or SPS, alone, in a STAP-A
 * or at the start of an FU-A. For other codecs, a pushed packet without
 * %GST_BUFFER_FLAG_DELTA_UNIT starts a key frame.
 *
 * Returns: %TRUE if the fan-out can find key frames of @encoding_name
 */
gboolean
gst_rtc_fanout_set_stream_codec (GstRtcFanout * fanout, guint stream_id,
    const gchar * encoding_name)
{
  Stream *stream;
  Codec codec = CODEC_OTHER;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);
  g_return_val_if_fail (encoding_name != NULL, FALSE);

  stream = get_stream (fanout, stream_id);
  g_return_val_if_fail (stream != NULL, FALSE);

  if (g_ascii_strcasecmp (encoding_name, "VP8") == 0)
    codec = CODEC_VP8;
  else if (g_ascii_strcasecmp (encoding_name, "H264") == 0)
    codec = CODEC_H264;
  g_atomic_int_set (&stream->codec, codec);
  return codec != CODEC_OTHER;
}

/**
 * gst_rtc_fanout_set_stream_rendition:
 * @fanout: a fan-out
 * @stream_id: a video stream
 * @primary_id: the video stream it is a lower rendition of
 * @bitrate: the rate @stream_id is encoded at, in bit/s
 *
 * Makes @stream_id a rung of @primary_id's ladder: the same picture
 * encoded once more, smaller, with the same codec and RTP timestamps on
 * the same timeline as the primary's (the same payloader
 * `timestamp-offset`). Viewers subscribe to the primary; each is switched
 * by its own bandwidth estimate to the highest rung it can take, at a key
 * frame of that rung, with sequence numbers, timestamps and VP8 picture
 * IDs continuing as if nothing changed. The primary is the top rung, at
 * the encoder target (#GstRtcFanout:target-bitrate). Call it before
 * viewers are added.
 *
 * Returns: %FALSE if a stream is unknown, not video, the same, or
 *   @primary_id is itself a rendition
 */
gboolean
gst_rtc_fanout_set_stream_rendition (GstRtcFanout * fanout, guint stream_id,
    guint primary_id, guint bitrate)
{
  Stream *stream, *primary;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);

  stream = get_stream (fanout, stream_id);
  primary = get_stream (fanout, primary_id);
  if (stream == NULL || primary == NULL || stream == primary
      || stream->kind != GST_RTC_MEDIA_KIND_VIDEO
      || primary->kind != GST_RTC_MEDIA_KIND_VIDEO || bitrate == 0)
    return FALSE;
  GST_OBJECT_LOCK (fanout);
  if (primary->primary != NULL) {
    GST_OBJECT_UNLOCK (fanout);
    return FALSE;
  }
  stream->primary = primary;
  stream->rendition_bitrate = bitrate;
  GST_OBJECT_UNLOCK (fanout);
  GST_DEBUG_OBJECT (fanout, "stream %u: rendition of stream %u at %u bit/s",
      stream_id, primary_id, bitrate);
  return TRUE;
}

/**
 * gst_rtc_fanout_push:
 * @fanout: a fan-out
 * @stream_id: the stream the packet belongs to
 * @rtp: (transfer full): one RTP packet from the stream's payloader
 *
 * Keeps @rtp for retransmissions and sends it to every viewer subscribed
 * to the stream, rewritten for each. Called on the streaming thread;
 * pushes to one stream are serialised. On a video stream whose codec is
 * not known to the fan-out, clear %GST_BUFFER_FLAG_DELTA_UNIT on the
 * first packet of each key frame.
 *
 * Returns: %FALSE if @rtp was not RTP or @stream_id is unknown; it is
 *   dropped and counted
 */
gboolean
gst_rtc_fanout_push (GstRtcFanout * fanout, guint stream_id, GstBuffer * rtp)
{
  SendContext ctx = { fanout, };
  GPtrArray *viewers;
  GstMapInfo map;
  RtpPacket packet;
  gboolean starts_keyframe = FALSE;
  Stream *stream;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);
  g_return_val_if_fail (GST_IS_BUFFER (rtp), FALSE);

  stream = get_stream (fanout, stream_id);
  if (stream == NULL) {
    GST_WARNING_OBJECT (fanout, "packet for unknown stream %u dropped",
        stream_id);
    counter_add (&fanout->malformed_in, 1);
    gst_buffer_unref (rtp);
    return FALSE;
  }
  /* A writable buffer in several memories is merged once, here, rather
   * than on every retransmission. */
  if (!gst_buffer_map (rtp, &map, GST_MAP_READ)) {
    counter_add (&fanout->malformed_in, 1);
    gst_buffer_unref (rtp);
    return FALSE;
  }
  if (!rtp_parse (map.data, map.size, &packet)) {
    GST_WARNING_OBJECT (fanout, "stream %u: %" G_GSIZE_FORMAT "-byte packet "
        "is not RTP, dropped", stream_id, map.size);
    counter_add (&fanout->malformed_in, 1);
    gst_buffer_unmap (rtp, &map);
    gst_buffer_unref (rtp);
    return FALSE;
  }
  counter_add (&fanout->packets_in, 1);
  counter_add (&fanout->bytes_in, map.size);
  if (g_atomic_int_get (&stream->codec) == CODEC_VP8) {
    vp8_parse_descriptor (&packet);
    if (packet.tid >= g_atomic_int_get (&stream->n_layers))
      g_atomic_int_set (&stream->n_layers, packet.tid + 1);
  }

  g_mutex_lock (&stream->push_lock);
  GST_OBJECT_LOCK (fanout);
  viewers = g_ptr_array_ref (fanout->viewers);
  ctx.now = gst_clock_get_time (fanout->clock);
  ctx.ntp_now = ntp_now_locked (fanout, ctx.now);
  GST_OBJECT_UNLOCK (fanout);
  ctx.stream = stream;

  if (!stream->have_ts || packet.ts != stream->last_ts) {
    stream->last_ts = packet.ts;
    stream->last_ts_time = ctx.now;
    stream->have_ts = TRUE;
  }

  g_mutex_lock (&stream->lock);
  history_insert (stream, rtp, packet.seq, ctx.now);
  if (stream->kind == GST_RTC_MEDIA_KIND_VIDEO)
    starts_keyframe = keyframe_update (stream, rtp, &packet);
  g_mutex_unlock (&stream->lock);

  GST_LOG_OBJECT (fanout, "stream %u: seq %u ts %u%s to %u viewers",
      stream_id, packet.seq, packet.ts, starts_keyframe ? " (key frame)" : "",
      viewers->len);
  for (i = 0; i < viewers->len; i++)
    forward_to_viewer (&ctx, g_ptr_array_index (viewers, i), &packet,
        starts_keyframe);
  g_mutex_unlock (&stream->push_lock);
  g_ptr_array_unref (viewers);

  counter_add (&fanout->packets_out, ctx.packets_out);
  counter_add (&fanout->bytes_out, ctx.bytes_out);
  counter_add (&fanout->send_errors, ctx.send_errors);
  gst_buffer_unmap (rtp, &map);
  gst_buffer_unref (rtp);

  if (ctx.need_keyframe)
    request_keyframe (fanout, stream, ctx.now);
  return TRUE;
}

static gboolean
validate_stream_config (GstRtcFanout * self,
    const GstRtcFanoutStreamConfig * config)
{
  if (get_stream (self, config->stream_id) == NULL) {
    GST_WARNING_OBJECT (self, "viewer config names unknown stream %u",
        config->stream_id);
    return FALSE;
  }
  if (config->payload_type > 127 || config->rtx_payload_type > 127) {
    GST_WARNING_OBJECT (self, "payload types are 7 bits");
    return FALSE;
  }
  if (config->mid_ext_id > 14 || config->twcc_ext_id > 14 ||
      (config->mid_ext_id != 0 && config->mid_ext_id == config->twcc_ext_id)) {
    GST_WARNING_OBJECT (self, "header extension ids must be distinct and "
        "in 1..14");
    return FALSE;
  }
  if (config->mid_ext_id != 0 && gst_rtc_fanout_stream_config_get_mid (config) != NULL &&
      (gst_rtc_fanout_stream_config_get_mid (config)[0] == '\0' ||
          strlen (gst_rtc_fanout_stream_config_get_mid (config)) > 16)) {
    GST_WARNING_OBJECT (self, "a MID must have 1 to 16 bytes");
    return FALSE;
  }
  return TRUE;
}

static ViewerStream *
viewer_stream_new (Stream * stream, const GstRtcFanoutStreamConfig * config)
{
  ViewerStream *vs = g_new0 (ViewerStream, 1);
  gsize pos = 4;

  vs->stream = stream;
  vs->source = stream;
  vs->payload_type = config->payload_type;
  vs->rtx_payload_type = config->rtx_payload_type;
  vs->ssrc = config->ssrc != 0 ? config->ssrc : stream->ssrc;
  vs->rtx_ssrc = config->rtx_ssrc;
  vs->state = config->active ? VIEWER_STREAM_JOINING : VIEWER_STREAM_PAUSED;
  vs->twcc_offset = -1;
  vs->rtt = GST_CLOCK_TIME_NONE;
  vs->max_tid = ALL_LAYERS;
  for (guint i = 0; i < RESEND_RING; i++)
    vs->resend_time[i] = GST_CLOCK_TIME_NONE;

  /* RFC 8285 one-byte header extensions, written once here: every
   * packet to this viewer carries the same block but for the
   * transport-wide sequence number. */
  vs->ext[0] = 0xbe;
  vs->ext[1] = 0xde;
  if (config->mid_ext_id != 0 && gst_rtc_fanout_stream_config_get_mid (config) != NULL) {
    const gchar *mid = gst_rtc_fanout_stream_config_get_mid (config);
    gsize mid_len = strlen (mid);

    g_strlcpy (vs->mid, mid, sizeof (vs->mid));
    vs->ext[pos++] = (config->mid_ext_id << 4) | (mid_len - 1);
    memcpy (vs->ext + pos, mid, mid_len);
    pos += mid_len;
  }
  if (config->twcc_ext_id != 0) {
    vs->ext[pos++] = (config->twcc_ext_id << 4) | 1;
    vs->twcc_offset = pos;
    pos += 2;
  }
  if (pos > 4) {
    while (pos % 4 != 0)
      vs->ext[pos++] = 0;
    GST_WRITE_UINT16_BE (vs->ext + 2, (pos - 4) / 4);
    vs->ext_len = pos;
  }
  return vs;
}

/**
 * gst_rtc_fanout_add_viewer:
 * @fanout: a fan-out
 * @transport: (transfer none): the viewer's transport; the fan-out keeps
 *   a reference until the viewer is removed
 * @config: what the viewer negotiated, per stream
 *
 * Adds a viewer. It gets nothing until @transport is connected; then it
 * starts on each audio stream at once, and on each video stream with the
 * last key frame, then from the next one (a key frame is requested).
 * Hand the RTCP that @transport receives to gst_rtc_fanout_handle_rtcp().
 *
 * A transport that carried a viewer before must be given new SSRCs: its
 * SRTP sender refuses sequence numbers behind those it already sent on
 * an SSRC, and a new viewer starts at a random one.
 *
 * Returns: the viewer's id (from 1), or 0 if @config is not valid
 */
guint
gst_rtc_fanout_add_viewer (GstRtcFanout * fanout, GstRtcTransport * transport,
    const GstRtcFanoutViewerConfig * config)
{
  Viewer *viewer;
  GPtrArray *viewers, *old;
  guint i, subscribed = 0;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), 0);
  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), 0);
  g_return_val_if_fail (config != NULL, 0);
  g_return_val_if_fail (config->n_streams <= GST_RTC_FANOUT_MAX_STREAMS, 0);

  viewer = g_new0 (Viewer, 1);
  viewer->refcount = 1;
  viewer->last_rr_stream = -1;
  viewer->share = G_MAXDOUBLE;
  viewer->backlog_time = GST_CLOCK_TIME_NONE;
  g_mutex_init (&viewer->lock);
  for (i = 0; i < config->n_streams; i++) {
    const GstRtcFanoutStreamConfig *stream_config = &config->streams[i];
    Stream *stream;

    if (!validate_stream_config (fanout, stream_config))
      goto invalid;
    stream = get_stream (fanout, stream_config->stream_id);
    if (viewer->streams[stream->id - 1] != NULL) {
      GST_WARNING_OBJECT (fanout, "stream %u configured twice", stream->id);
      goto invalid;
    }
    viewer->streams[stream->id - 1] = viewer_stream_new (stream,
        stream_config);
    subscribed++;
    if (stream_config->twcc_ext_id != 0)
      viewer_ensure_estimator (fanout, viewer);
  }
  viewer->transport = gst_object_ref (transport);

  GST_OBJECT_LOCK (fanout);
  viewer->id = fanout->next_viewer_id++;
  viewers = g_ptr_array_new_full (fanout->viewers->len + 1, viewer_unref);
  for (i = 0; i < fanout->viewers->len; i++)
    g_ptr_array_add (viewers, viewer_ref (g_ptr_array_index (fanout->viewers,
                i)));
  g_ptr_array_add (viewers, viewer_ref (viewer));
  old = fanout->viewers;
  fanout->viewers = viewers;
  g_hash_table_insert (fanout->viewers_by_id, GUINT_TO_POINTER (viewer->id),
      viewer);
  GST_OBJECT_UNLOCK (fanout);
  g_ptr_array_unref (old);

  GST_DEBUG_OBJECT (fanout, "viewer %u added, %u streams", viewer->id,
      subscribed);
  return viewer->id;

invalid:
  viewer_unref (viewer);
  return 0;
}

/**
 * gst_rtc_fanout_remove_viewer:
 * @fanout: a fan-out
 * @viewer_id: a viewer
 *
 * Removes a viewer and drops the fan-out's reference to its transport.
 * Safe while packets are pushed on another thread: when this returns,
 * nothing more is sent to the viewer.
 *
 * Returns: %FALSE if there is no such viewer
 */
gboolean
gst_rtc_fanout_remove_viewer (GstRtcFanout * fanout, guint viewer_id)
{
  Viewer *viewer;
  GPtrArray *viewers, *old;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);

  GST_OBJECT_LOCK (fanout);
  viewer = g_hash_table_lookup (fanout->viewers_by_id,
      GUINT_TO_POINTER (viewer_id));
  if (viewer == NULL) {
    GST_OBJECT_UNLOCK (fanout);
    return FALSE;
  }
  g_hash_table_steal (fanout->viewers_by_id, GUINT_TO_POINTER (viewer_id));
  viewers = g_ptr_array_new_full (fanout->viewers->len, viewer_unref);
  for (i = 0; i < fanout->viewers->len; i++) {
    Viewer *other = g_ptr_array_index (fanout->viewers, i);

    if (other != viewer)
      g_ptr_array_add (viewers, viewer_ref (other));
  }
  old = fanout->viewers;
  fanout->viewers = viewers;
  GST_OBJECT_UNLOCK (fanout);

  /* A push that took the old snapshot may be sending to the viewer now;
   * retiring waits for that send, and no later one happens. */
  viewer_retire (viewer);
  g_ptr_array_unref (old);
  viewer_unref (viewer);
  GST_DEBUG_OBJECT (fanout, "viewer %u removed", viewer_id);
  return TRUE;
}

/* Returns a new reference and the time. */
static Viewer *
lookup_viewer (GstRtcFanout * self, guint viewer_id, GstClockTime * now,
    guint64 * ntp_now)
{
  Viewer *viewer;

  GST_OBJECT_LOCK (self);
  viewer = g_hash_table_lookup (self->viewers_by_id,
      GUINT_TO_POINTER (viewer_id));
  if (viewer != NULL)
    viewer_ref (viewer);
  if (now != NULL)
    *now = gst_clock_get_time (self->clock);
  if (ntp_now != NULL)
    *ntp_now = ntp_now_locked (self, *now);
  GST_OBJECT_UNLOCK (self);
  return viewer;
}

/**
 * gst_rtc_fanout_set_viewer_stream_active:
 * @fanout: a fan-out
 * @viewer_id: a viewer
 * @stream_id: a stream the viewer subscribed to
 * @active: whether the viewer wants the stream now
 *
 * Pauses or resumes one stream for one viewer. A resumed video stream
 * starts again as on joining, with a key frame; the viewer's numbering
 * goes on where it stopped.
 *
 * Returns: %FALSE if the viewer or its subscription does not exist
 */
gboolean
gst_rtc_fanout_set_viewer_stream_active (GstRtcFanout * fanout,
    guint viewer_id, guint stream_id, gboolean active)
{
  Viewer *viewer;
  ViewerStream *vs = NULL;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);

  viewer = lookup_viewer (fanout, viewer_id, NULL, NULL);
  if (viewer == NULL)
    return FALSE;
  g_mutex_lock (&viewer->lock);
  if (stream_id >= 1 && stream_id <= GST_RTC_FANOUT_MAX_STREAMS)
    vs = viewer->streams[stream_id - 1];
  if (vs != NULL) {
    if (!active)
      vs->state = VIEWER_STREAM_PAUSED;
    else if (vs->state == VIEWER_STREAM_PAUSED)
      vs->state = VIEWER_STREAM_JOINING;
  }
  g_mutex_unlock (&viewer->lock);
  viewer_unref (viewer);
  return vs != NULL;
}

/* --- RTCP from viewers -------------------------------------------------- */

/* Checks the fixed part of one packet we act on, so that acting on it
 * cannot read past @size (header included, padding excluded). */
static gboolean
rtcp_packet_validate (const guint8 * p, gsize size)
{
  guint count = p[0] & 0x1f;

  switch (p[1]) {
    case RTCP_SR:
      return size >= 28 + 24 * (gsize) count;
    case RTCP_RR:
      return size >= 8 + 24 * (gsize) count;
    case RTCP_BYE:
      return size >= 4 + 4 * (gsize) count;
    case RTCP_RTPFB:
      if (size < 12)
        return FALSE;
      if (count == RTPFB_NACK)
        return size >= 16;
      if (count == RTPFB_TWCC)
        return size >= 20;
      return TRUE;
    case RTCP_PSFB:
      if (size < 12)
        return FALSE;
      if (count == PSFB_FIR)
        return size >= 20;
      if (count == PSFB_AFB && size >= 16 && memcmp (p + 12, "REMB", 4) == 0)
        return size >= 20 && size >= 20 + 4 * (gsize) p[16];
      return TRUE;
    default:
      return TRUE;
  }
}

/* RFC 3550 section 6.1 framing: version 2, lengths that add up exactly,
 * padding inside its packet. Returns the size of the packet at @offset
 * without padding, or 0 if the compound is malformed there. */
static gsize
rtcp_next (const guint8 * data, gsize len, gsize offset, gsize * packet_len)
{
  const guint8 *p = data + offset;
  gsize remaining = len - offset, size;

  if (remaining < 4 || (p[0] >> 6) != 2)
    return 0;
  *packet_len = ((gsize) GST_READ_UINT16_BE (p + 2) + 1) * 4;
  if (*packet_len > remaining)
    return 0;
  size = *packet_len;
  if (p[0] & 0x20) {
    guint8 padding = p[size - 1];

    if (padding == 0 || padding > size - 4)
      return 0;
    size -= padding;
  }
  if (!rtcp_packet_validate (p, size))
    return 0;
  return size;
}

static gboolean
rtcp_compound_is_valid (const guint8 * data, gsize len)
{
  gsize offset = 0, packet_len;

  if (len < 4)
    return FALSE;
  while (offset < len) {
    if (rtcp_next (data, len, offset, &packet_len) == 0)
      return FALSE;
    offset += packet_len;
  }
  return TRUE;
}

typedef struct
{
  SendContext send;
  guint32 ntp_middle;
  guint32 keyframe_streams;     /* bit per stream index */
  guint retransmissions;
  gboolean bandwidth_updated;
} RtcpContext;

/* Called with viewer->lock. The estimator of a viewer that negotiated
 * no transport-wide-cc, made when it first reports. */
static GstRtcBandwidthEstimator *
viewer_ensure_estimator (GstRtcFanout * self, Viewer * viewer)
{
  if (viewer->estimator == NULL) {
    guint min_bitrate, max_bitrate;

    GST_OBJECT_LOCK (self);
    min_bitrate = self->min_bitrate;
    max_bitrate = self->max_bitrate;
    GST_OBJECT_UNLOCK (self);
    viewer->estimator = gst_rtc_bandwidth_estimator_new (max_bitrate,
        min_bitrate, max_bitrate);
  }
  return viewer->estimator;
}

static void
handle_report_block (RtcpContext * ctx, Viewer * viewer, const guint8 * block)
{
  ViewerStream *vs = viewer_find_ssrc (viewer, GST_READ_UINT32_BE (block));
  guint32 lost, lsr, dlsr;

  if (vs == NULL) {
    viewer->rtcp_unknown_ssrc++;
    return;
  }
  vs->have_rr = TRUE;
  vs->fraction_lost = block[4];
  lost = ((guint32) block[5] << 16) | ((guint32) block[6] << 8) | block[7];
  /* 24-bit two's complement. */
  vs->packets_lost = (lost & 0x800000) ? (gint32) (lost | 0xff000000) :
      (gint32) lost;
  vs->ext_highest_seq = GST_READ_UINT32_BE (block + 8);
  vs->jitter = GST_READ_UINT32_BE (block + 12);
  lsr = GST_READ_UINT32_BE (block + 16);
  dlsr = GST_READ_UINT32_BE (block + 20);
  /* RFC 3550 section 6.4.1: arrival time less the last SR's time less the
   * delay since it, in 1/65536 s. */
  if (lsr != 0) {
    guint32 rtt = ctx->ntp_middle - lsr - dlsr;

    if (rtt < 0x80000000) {
      vs->rtt = gst_util_uint64_scale (rtt, GST_SECOND, 65536);
      if (viewer->estimator != NULL)
        gst_rtc_bandwidth_estimator_set_rtt (viewer->estimator,
            GST_TIME_AS_USECONDS (vs->rtt));
    }
  }
  /* Loss between two reports, for a viewer without transport-wide-cc
   * feedback (which counts loss itself). */
  if (vs->have_rr_base && !viewer->twcc_seen) {
    guint32 expected = vs->ext_highest_seq - vs->rr_ext_highest_seq;
    gint32 lost = vs->packets_lost - vs->rr_packets_lost;

    if (expected > 0 && expected < 0x8000) {
      gst_rtc_bandwidth_estimator_on_loss_report (viewer_ensure_estimator
          (ctx->send.self, viewer), CLAMP (lost, 0, (gint32) expected),
          expected, GST_TIME_AS_USECONDS (ctx->send.now));
      viewer->have_estimate = TRUE;
      ctx->bandwidth_updated = TRUE;
    }
  }
  vs->have_rr_base = TRUE;
  vs->rr_ext_highest_seq = vs->ext_highest_seq;
  vs->rr_packets_lost = vs->packets_lost;
  viewer->last_rr_stream = vs->stream->id - 1;
}

/* Called with viewer->lock. Whether @out_seq may be resent now: not
 * within a round trip of its last retransmission, and only while the
 * viewer's backlog leaves room (see RTX_MAX_BACKLOG). Records the
 * retransmission when it is allowed. */
static gboolean
retransmission_allowed (RtcpContext * ctx, Viewer * viewer,
    ViewerStream * vs, guint16 out_seq)
{
  GstClockTime now = ctx->send.now, interval;
  guint slot = out_seq % RESEND_RING;

  interval = GST_CLOCK_TIME_IS_VALID (vs->rtt) ?
      MAX (vs->rtt, MIN_RESEND_INTERVAL) : DEFAULT_RESEND_INTERVAL;
  if (GST_CLOCK_TIME_IS_VALID (vs->resend_time[slot])
      && vs->resend_seq[slot] == out_seq
      && now < vs->resend_time[slot] + interval) {
    vs->retransmissions_suppressed++;
    return FALSE;
  }
  if (viewer->estimate > 0 && viewer_backlog (viewer, now) >
      (gdouble) viewer->estimate * RTX_MAX_BACKLOG / GST_SECOND) {
    vs->retransmissions_over_budget++;
    return FALSE;
  }
  vs->resend_seq[slot] = out_seq;
  vs->resend_time[slot] = now;
  return TRUE;
}

/* Called with viewer->lock. Answers a NACK for one of the viewer's
 * sequence numbers from the shared history. */
static void
retransmit (RtcpContext * ctx, Viewer * viewer, ViewerStream * vs,
    guint16 out_seq)
{
  Stream *stream = vs->stream;
  GstBuffer *buffer = NULL;
  guint16 in_seq, pid_delta = 0;
  guint8 tl0_delta = 0;
  GstMapInfo map;
  RtpPacket packet;

  vs->nack_requests++;
  if (ctx->retransmissions >= MAX_RETRANSMISSIONS_PER_RTCP)
    return;
  if (viewer_stream_map_seq (vs, out_seq, &in_seq, &pid_delta, &tl0_delta,
          &stream)) {
    g_mutex_lock (&stream->lock);
    buffer = history_lookup (stream, in_seq, ctx->send.now);
    g_mutex_unlock (&stream->lock);
  }
  if (buffer == NULL) {
    GST_LOG ("viewer %u: seq %u no longer in the history", viewer->id,
        out_seq);
    vs->nack_missed++;
    counter_add (&ctx->send.self->nack_missed, 1);
    return;
  }
  if (!retransmission_allowed (ctx, viewer, vs, out_seq)) {
    gst_buffer_unref (buffer);
    return;
  }
  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    if (rtp_parse (map.data, map.size, &packet)) {
      gboolean rtx = vs->rtx_payload_type != 0;

      if (g_atomic_int_get (&stream->codec) == CODEC_VP8)
        vp8_parse_descriptor (&packet);
      ctx->retransmissions++;
      if (send_rewritten (&ctx->send, viewer, vs, &packet, out_seq, pid_delta,
              tl0_delta, rtx)) {
        vs->retransmissions_sent++;
        counter_add (&ctx->send.self->retransmissions_sent, 1);
        GST_LOG ("viewer %u: resent seq %u%s", viewer->id, out_seq,
            rtx ? " as RTX" : "");
      }
    }
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
}

static void
handle_feedback (RtcpContext * ctx, Viewer * viewer, const guint8 * p,
    gsize size, gsize packet_len)
{
  guint fmt = p[0] & 0x1f;
  GstRtcFanout *self = ctx->send.self;
  ViewerStream *vs;
  gsize offset;

  if (p[1] == RTCP_RTPFB && fmt == RTPFB_NACK) {
    /* RFC 4585 section 6.2.1: a lost packet id and a bitmask of the 16
     * that follow it. */
    vs = viewer_find_ssrc (viewer, GST_READ_UINT32_BE (p + 8));
    if (vs == NULL) {
      viewer->rtcp_unknown_ssrc++;
      return;
    }
    vs->nacks_received++;
    if (viewer->transport == NULL)
      return;
    for (offset = 12; offset + 4 <= size; offset += 4) {
      guint16 pid = GST_READ_UINT16_BE (p + offset);
      guint16 blp = GST_READ_UINT16_BE (p + offset + 2);
      guint bit;

      retransmit (ctx, viewer, vs, pid);
      for (bit = 0; bit < 16; bit++) {
        if (blp & (1 << bit))
          retransmit (ctx, viewer, vs, pid + bit + 1);
      }
    }
  } else if (p[1] == RTCP_RTPFB && fmt == RTPFB_TWCC) {
    GstRtcTwccFeedback feedback;
    GError *error = NULL;

    viewer->twcc_received++;
    if (!gst_rtc_twcc_feedback_parse (p, packet_len, &feedback, &error)) {
      viewer->twcc_malformed++;
      GST_WARNING_OBJECT (self, "viewer %u: transport-wide-cc feedback "
          "dropped: %s", viewer->id, error->message);
      g_clear_error (&error);
      return;
    }
    if (viewer->estimator != NULL) {
      gst_rtc_bandwidth_estimator_on_feedback (viewer->estimator, &feedback,
          GST_TIME_AS_USECONDS (ctx->send.now));
      viewer->have_estimate = TRUE;
      viewer->twcc_seen = TRUE;
      ctx->bandwidth_updated = TRUE;
    }
    gst_rtc_twcc_feedback_clear (&feedback);
  } else if (p[1] == RTCP_PSFB && fmt == PSFB_PLI) {
    vs = viewer_find_ssrc (viewer, GST_READ_UINT32_BE (p + 8));
    if (vs == NULL) {
      viewer->rtcp_unknown_ssrc++;
      return;
    }
    vs->plis_received++;
    counter_add (&self->keyframe_requests_received, 1);
    ctx->keyframe_streams |= 1u << (vs->source->id - 1);
  } else if (p[1] == RTCP_PSFB && fmt == PSFB_FIR) {
    /* RFC 5104 section 4.3.1: one entry per SSRC; a repeated command
     * sequence number is a retransmission of the same request. */
    for (offset = 12; offset + 8 <= size; offset += 8) {
      guint8 command_seq = p[offset + 4];

      vs = viewer_find_ssrc (viewer, GST_READ_UINT32_BE (p + offset));
      if (vs == NULL) {
        viewer->rtcp_unknown_ssrc++;
        continue;
      }
      if (vs->have_fir_seq && vs->last_fir_seq == command_seq)
        continue;
      vs->have_fir_seq = TRUE;
      vs->last_fir_seq = command_seq;
      vs->firs_received++;
      counter_add (&self->keyframe_requests_received, 1);
      ctx->keyframe_streams |= 1u << (vs->source->id - 1);
    }
  } else if (p[1] == RTCP_PSFB && fmt == PSFB_AFB && size >= 20 &&
      memcmp (p + 12, "REMB", 4) == 0) {
    /* draft-alvestrand-rmcat-remb: 6-bit exponent, 18-bit mantissa. */
    guint exponent = p[17] >> 2;
    guint64 mantissa = ((guint64) (p[17] & 0x03) << 16) |
        GST_READ_UINT16_BE (p + 18);

    viewer->remb_received++;
    viewer->remb_bitrate = exponent > 46 ? G_MAXUINT64 : mantissa << exponent;
    gst_rtc_bandwidth_estimator_on_remb (viewer_ensure_estimator (self,
            viewer), viewer->remb_bitrate,
        GST_TIME_AS_USECONDS (ctx->send.now));
    viewer->have_estimate = TRUE;
    ctx->bandwidth_updated = TRUE;
  }
}

/**
 * gst_rtc_fanout_handle_rtcp:
 * @fanout: a fan-out
 * @viewer_id: the viewer whose transport received @data
 * @data: (array length=len): one decrypted RTCP compound packet
 * @len: its length
 *
 * Reads what a viewer reports: receiver reports, NACKs (answered at once
 * from the retransmission history), PLI and FIR (merged key frame
 * requests), REMB and transport-wide-cc feedback. Call it from the
 * viewer transport's receive function. A malformed compound packet is
 * dropped whole and counted.
 *
 * Returns: %TRUE if @data was well-formed RTCP of a known viewer
 */
gboolean
gst_rtc_fanout_handle_rtcp (GstRtcFanout * fanout, guint viewer_id,
    const guint8 * data, gsize len)
{
  RtcpContext ctx = { {fanout,}, };
  Viewer *viewer;
  gsize offset, packet_len, size;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  viewer = lookup_viewer (fanout, viewer_id, &ctx.send.now,
      &ctx.send.ntp_now);
  if (viewer == NULL)
    return FALSE;
  ctx.ntp_middle = ntp_middle (ctx.send.ntp_now);
  counter_add (&fanout->rtcp_received, 1);

  g_mutex_lock (&viewer->lock);
  viewer->rtcp_received++;
  if (!rtcp_compound_is_valid (data, len)) {
    viewer->rtcp_malformed++;
    g_mutex_unlock (&viewer->lock);
    counter_add (&fanout->rtcp_malformed, 1);
    GST_WARNING_OBJECT (fanout, "viewer %u: malformed %" G_GSIZE_FORMAT
        "-byte RTCP dropped", viewer_id, len);
    viewer_unref (viewer);
    return FALSE;
  }

  for (offset = 0; offset < len; offset += packet_len) {
    const guint8 *p = data + offset;
    guint count = p[0] & 0x1f;

    size = rtcp_next (data, len, offset, &packet_len);
    switch (p[1]) {
      case RTCP_SR:
        for (i = 0; i < count; i++)
          handle_report_block (&ctx, viewer, p + 28 + 24 * i);
        break;
      case RTCP_RR:
        for (i = 0; i < count; i++)
          handle_report_block (&ctx, viewer, p + 8 + 24 * i);
        break;
      case RTCP_BYE:
        viewer->byes_received++;
        break;
      case RTCP_RTPFB:
      case RTCP_PSFB:
        ctx.send.stream = NULL;
        handle_feedback (&ctx, viewer, p, size, packet_len);
        break;
      default:
        break;
    }
  }
  g_mutex_unlock (&viewer->lock);
  viewer_unref (viewer);

  counter_add (&fanout->packets_out, ctx.send.packets_out);
  counter_add (&fanout->bytes_out, ctx.send.bytes_out);
  counter_add (&fanout->send_errors, ctx.send.send_errors);
  for (i = 0; i < GST_RTC_FANOUT_MAX_STREAMS; i++) {
    if (ctx.keyframe_streams & (1u << i))
      request_keyframe (fanout, get_stream (fanout, i + 1), ctx.send.now);
  }
  if (ctx.bandwidth_updated)
    update_policy (fanout, ctx.send.now, FALSE);
  return TRUE;
}

/**
 * gst_rtc_fanout_request_keyframe:
 * @fanout: a fan-out
 * @stream_id: a video stream
 *
 * Asks for a key frame on behalf of the application, merged with the
 * viewers' requests.
 *
 * Returns: %TRUE if #GstRtcFanout::request-keyframe was emitted, %FALSE
 *   if one was less than a second ago
 */
gboolean
gst_rtc_fanout_request_keyframe (GstRtcFanout * fanout, guint stream_id)
{
  Stream *stream;
  GstClockTime now;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), FALSE);
  stream = get_stream (fanout, stream_id);
  g_return_val_if_fail (stream != NULL, FALSE);

  GST_OBJECT_LOCK (fanout);
  now = gst_clock_get_time (fanout->clock);
  GST_OBJECT_UNLOCK (fanout);
  return request_keyframe (fanout, stream, now);
}

/**
 * gst_rtc_fanout_get_n_viewers:
 * @fanout: a fan-out
 *
 * Counts the viewers of @fanout.
 *
 * Returns: how many viewers the fan-out has
 */
guint
gst_rtc_fanout_get_n_viewers (GstRtcFanout * fanout)
{
  guint n;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), 0);

  GST_OBJECT_LOCK (fanout);
  n = fanout->viewers->len;
  GST_OBJECT_UNLOCK (fanout);
  return n;
}

/**
 * gst_rtc_fanout_get_viewer_stats:
 * @fanout: a fan-out
 * @viewer_id: a viewer
 *
 * Counters of one viewer, summed over its streams: `packets-sent`,
 * `bytes-sent`, `retransmissions-sent`, `nacks-received`,
 * `nack-requests` (sequence numbers asked for), `nack-missed` (no longer
 * in the history), `retransmissions-suppressed` (asked for again within
 * a round trip of the last retransmission), `retransmissions-over-budget`
 * (not resent: what was sent to the viewer would take more than 100 ms to
 * drain at its bandwidth estimate), `rendition-switches`, `plis-received`, `firs-received`, `srs-sent`,
 * `send-errors`, `rtcp-received`, `rtcp-malformed`, `remb-received`,
 * `remb-bitrate`, `twcc-feedback-received`, `twcc-feedback-malformed`;
 * for congestion control `bandwidth-estimate` (bit/s, 0 until the viewer
 * sent transport-wide-cc feedback or REMB), `estimate-source` (`twcc`,
 * `remb`, `receiver-reports` or `none`), `constrained` (left out of the
 * encoder policy), `packets-thinned` and `frames-thinned` (dropped
 * temporal layers) and, with an estimator, `loss-fraction` (double, the
 * loss its last interval saw, from transport-wide-cc or receiver
 * reports) and `estimator` (see
 * gst_rtc_bandwidth_estimator_get_stats()); once a receiver report
 * arrived, `fraction-lost` (in 1/256), `packets-lost`, `jitter` (in RTP
 * clock units) and `round-trip-time` (a #GstClockTime) from the newest
 * one. A `stream-N` structure per stream holds the same per-stream
 * counters, the `ssrc`, the `state`, `max-temporal-layer` (-1 when
 * every layer is sent), `source-stream` (the stream forwarded: the one
 * subscribed to, or a rendition of it, see
 * gst_rtc_fanout_set_stream_rendition()) and `rendition-switches`.
 *
 * Returns: (transfer full) (nullable): the viewer's counters, or %NULL if
 *   there is no such viewer
 */
GstStructure *
gst_rtc_fanout_get_viewer_stats (GstRtcFanout * fanout, guint viewer_id)
{
  GstStructure *stats;
  Viewer *viewer;
  guint64 packets = 0, bytes = 0, retransmissions = 0, nacks = 0;
  guint64 suppressed = 0, over_budget = 0, switches = 0;
  guint64 nack_requests = 0, nack_missed = 0, plis = 0, firs = 0, srs = 0;
  guint64 send_errors = 0, packets_thinned = 0, frames_thinned = 0;
  const gchar *source;
  guint i;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), NULL);

  viewer = lookup_viewer (fanout, viewer_id, NULL, NULL);
  if (viewer == NULL)
    return NULL;

  stats = gst_structure_new ("application/x-rtc-fanout-viewer-stats",
      "viewer-id", G_TYPE_UINT, viewer_id, NULL);
  g_mutex_lock (&viewer->lock);
  for (i = 0; i < GST_RTC_FANOUT_MAX_STREAMS; i++) {
    ViewerStream *vs = viewer->streams[i];
    GstStructure *s;
    gchar *name;

    if (vs == NULL)
      continue;
    packets += vs->packets_sent;
    bytes += vs->bytes_sent;
    retransmissions += vs->retransmissions_sent;
    nacks += vs->nacks_received;
    nack_requests += vs->nack_requests;
    nack_missed += vs->nack_missed;
    suppressed += vs->retransmissions_suppressed;
    over_budget += vs->retransmissions_over_budget;
    switches += vs->rendition_switches;
    plis += vs->plis_received;
    firs += vs->firs_received;
    srs += vs->srs_sent;
    send_errors += vs->send_errors;
    packets_thinned += vs->packets_thinned;
    frames_thinned += vs->frames_thinned;

    s = gst_structure_new ("application/x-rtc-fanout-viewer-stream-stats",
        "stream-id", G_TYPE_UINT, i + 1,
        "ssrc", G_TYPE_UINT, vs->ssrc,
        "state", G_TYPE_STRING, state_names[vs->state],
        "packets-sent", G_TYPE_UINT64, vs->packets_sent,
        "octets-sent", G_TYPE_UINT64, vs->octets_sent,
        "bytes-sent", G_TYPE_UINT64, vs->bytes_sent,
        "retransmissions-sent", G_TYPE_UINT64, vs->retransmissions_sent,
        "retransmissions-suppressed", G_TYPE_UINT64,
        vs->retransmissions_suppressed,
        "retransmissions-over-budget", G_TYPE_UINT64,
        vs->retransmissions_over_budget,
        "nacks-received", G_TYPE_UINT64, vs->nacks_received,
        "nack-requests", G_TYPE_UINT64, vs->nack_requests,
        "nack-missed", G_TYPE_UINT64, vs->nack_missed,
        "plis-received", G_TYPE_UINT64, vs->plis_received,
        "firs-received", G_TYPE_UINT64, vs->firs_received,
        "srs-sent", G_TYPE_UINT64, vs->srs_sent,
        "send-errors", G_TYPE_UINT64, vs->send_errors,
        "packets-thinned", G_TYPE_UINT64, vs->packets_thinned,
        "frames-thinned", G_TYPE_UINT64, vs->frames_thinned,
        "max-temporal-layer", G_TYPE_INT,
        vs->max_tid == ALL_LAYERS ? -1 : (gint) vs->max_tid,
        "source-stream", G_TYPE_UINT, vs->source->id,
        "rendition-switches", G_TYPE_UINT64, vs->rendition_switches, NULL);
    if (vs->have_rr) {
      gst_structure_set (s,
          "fraction-lost", G_TYPE_UINT, (guint) vs->fraction_lost,
          "packets-lost", G_TYPE_INT, vs->packets_lost,
          "extended-highest-seq", G_TYPE_UINT, vs->ext_highest_seq,
          "jitter", G_TYPE_UINT, vs->jitter, NULL);
    }
    if (GST_CLOCK_TIME_IS_VALID (vs->rtt))
      gst_structure_set (s, "round-trip-time", G_TYPE_UINT64, vs->rtt, NULL);
    name = g_strdup_printf ("stream-%u", i + 1);
    gst_structure_set (stats, name, GST_TYPE_STRUCTURE, s, NULL);
    g_free (name);
    gst_structure_free (s);
  }
  gst_structure_set (stats,
      "packets-sent", G_TYPE_UINT64, packets,
      "bytes-sent", G_TYPE_UINT64, bytes,
      "retransmissions-sent", G_TYPE_UINT64, retransmissions,
      "nacks-received", G_TYPE_UINT64, nacks,
      "nack-requests", G_TYPE_UINT64, nack_requests,
      "nack-missed", G_TYPE_UINT64, nack_missed,
      "retransmissions-suppressed", G_TYPE_UINT64, suppressed,
      "retransmissions-over-budget", G_TYPE_UINT64, over_budget,
      "rendition-switches", G_TYPE_UINT64, switches,
      "plis-received", G_TYPE_UINT64, plis,
      "firs-received", G_TYPE_UINT64, firs,
      "srs-sent", G_TYPE_UINT64, srs,
      "send-errors", G_TYPE_UINT64, send_errors,
      "rtcp-received", G_TYPE_UINT64, viewer->rtcp_received,
      "rtcp-malformed", G_TYPE_UINT64, viewer->rtcp_malformed,
      "rtcp-unknown-ssrc", G_TYPE_UINT64, viewer->rtcp_unknown_ssrc,
      "remb-received", G_TYPE_UINT64, viewer->remb_received,
      "remb-bitrate", G_TYPE_UINT64, viewer->remb_bitrate,
      "twcc-feedback-received", G_TYPE_UINT64, viewer->twcc_received,
      "twcc-feedback-malformed", G_TYPE_UINT64, viewer->twcc_malformed,
      "byes-received", G_TYPE_UINT64, viewer->byes_received, NULL);
  if (viewer->twcc_seen)
    source = "twcc";
  else if (viewer->remb_received > 0)
    source = "remb";
  else if (viewer->estimator != NULL && viewer->have_estimate)
    source = "receiver-reports";
  else
    source = "none";
  gst_structure_set (stats,
      "bandwidth-estimate", G_TYPE_UINT, viewer->estimator != NULL
      && viewer->have_estimate ?
      gst_rtc_bandwidth_estimator_get_target (viewer->estimator) : 0,
      "estimate-source", G_TYPE_STRING, source,
      "constrained", G_TYPE_BOOLEAN, viewer->constrained,
      "packets-thinned", G_TYPE_UINT64, packets_thinned,
      "frames-thinned", G_TYPE_UINT64, frames_thinned, NULL);
  if (viewer->estimator != NULL) {
    GstStructure *estimator =
        gst_rtc_bandwidth_estimator_get_stats (viewer->estimator);
    gdouble loss = 0;

    gst_structure_get_double (estimator, "loss-fraction", &loss);
    gst_structure_set (stats, "loss-fraction", G_TYPE_DOUBLE, loss,
        "estimator", GST_TYPE_STRUCTURE, estimator, NULL);
    gst_structure_free (estimator);
  }
  if (viewer->last_rr_stream >= 0) {
    ViewerStream *vs = viewer->streams[viewer->last_rr_stream];

    gst_structure_set (stats,
        "fraction-lost", G_TYPE_UINT, (guint) vs->fraction_lost,
        "packets-lost", G_TYPE_INT, vs->packets_lost,
        "jitter", G_TYPE_UINT, vs->jitter, NULL);
    if (GST_CLOCK_TIME_IS_VALID (vs->rtt))
      gst_structure_set (stats, "round-trip-time", G_TYPE_UINT64, vs->rtt,
          NULL);
  }
  g_mutex_unlock (&viewer->lock);
  viewer_unref (viewer);
  return stats;
}

/**
 * gst_rtc_fanout_get_stats:
 * @fanout: a fan-out
 *
 * Counters of the whole fan-out: `viewers`, `streams`, `keyframes-in`
 * (key frames found in the pushed video), `packets-in`,
 * `bytes-in`, `malformed-in`, `packets-out`, `bytes-out` (RTP and RTX
 * before SRTP), `retransmissions-sent`, `nack-missed`, `send-errors`,
 * `keyframe-requests-received` (PLI and FIR), `keyframe-requests-sent`
 * (merged #GstRtcFanout::request-keyframe emissions), `rtcp-received`,
 * `rtcp-malformed`.
 *
 * Returns: (transfer full): the counters
 */
GstStructure *
gst_rtc_fanout_get_stats (GstRtcFanout * fanout)
{
  guint viewers, streams, i;
  guint64 keyframes = 0;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), NULL);

  GST_OBJECT_LOCK (fanout);
  viewers = fanout->viewers->len;
  streams = fanout->n_streams;
  GST_OBJECT_UNLOCK (fanout);
  for (i = 0; i < streams; i++) {
    Stream *stream = fanout->streams[i];

    g_mutex_lock (&stream->lock);
    keyframes += stream->keyframes;
    g_mutex_unlock (&stream->lock);
  }

  return gst_structure_new ("application/x-rtc-fanout-stats",
      "viewers", G_TYPE_UINT, viewers,
      "streams", G_TYPE_UINT, streams,
      "keyframes-in", G_TYPE_UINT64, keyframes,
      "packets-in", G_TYPE_UINT64, counter (&fanout->packets_in),
      "bytes-in", G_TYPE_UINT64, counter (&fanout->bytes_in),
      "malformed-in", G_TYPE_UINT64, counter (&fanout->malformed_in),
      "packets-out", G_TYPE_UINT64, counter (&fanout->packets_out),
      "bytes-out", G_TYPE_UINT64, counter (&fanout->bytes_out),
      "retransmissions-sent", G_TYPE_UINT64,
      counter (&fanout->retransmissions_sent),
      "nack-missed", G_TYPE_UINT64, counter (&fanout->nack_missed),
      "send-errors", G_TYPE_UINT64, counter (&fanout->send_errors),
      "keyframe-requests-received", G_TYPE_UINT64,
      counter (&fanout->keyframe_requests_received),
      "keyframe-requests-sent", G_TYPE_UINT64,
      counter (&fanout->keyframe_requests_sent),
      "rtcp-received", G_TYPE_UINT64, counter (&fanout->rtcp_received),
      "rtcp-malformed", G_TYPE_UINT64, counter (&fanout->rtcp_malformed),
      NULL);
}

/**
 * gst_rtc_fanout_get_target_bitrate:
 * @fanout: a fan-out
 *
 * What the encoder shared by all viewers should produce: the 25th
 * percentile of the healthy viewers' estimates, within
 * #GstRtcFanout:min-bitrate and #GstRtcFanout:max-bitrate;
 * #GstRtcFanout:max-bitrate until a viewer has an estimate.
 *
 * Returns: the target, in bit/s
 */
guint
gst_rtc_fanout_get_target_bitrate (GstRtcFanout * fanout)
{
  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), 0);

  return (guint) g_atomic_int_get (&fanout->target_bitrate);
}

/**
 * gst_rtc_fanout_update_bandwidth:
 * @fanout: a fan-out
 *
 * Runs the encoder policy now rather than at the next feedback (it runs
 * at most every 200 ms on its own), which may emit
 * #GstRtcFanout::target-bitrate-changed from this thread.
 */
void
gst_rtc_fanout_update_bandwidth (GstRtcFanout * fanout)
{
  GstClockTime now;

  g_return_if_fail (GST_RTC_IS_FANOUT (fanout));

  GST_OBJECT_LOCK (fanout);
  now = gst_clock_get_time (fanout->clock);
  GST_OBJECT_UNLOCK (fanout);
  update_policy (fanout, now, TRUE);
}

/**
 * gst_rtc_fanout_get_bandwidth_stats:
 * @fanout: a fan-out
 *
 * The state of congestion control: `target-bitrate` (uint, bit/s),
 * `min-bitrate`, `max-bitrate`, `healthy-viewers`, `constrained-viewers`
 * (uint, as the policy last counted them), `input-bitrate` (uint, what
 * the streams pushed over the last second the policy measured, bit/s, 0
 * until measured) and `viewers`, a list with one
 * structure per viewer: `viewer-id`, `estimate` (uint, bit/s, 0 when it
 * has none yet), `constrained` (boolean), `loss-fraction` (double),
 * `max-temporal-layer` (int, the lowest over its streams, -1 when it gets
 * every layer).
 *
 * Returns: (transfer full): the state
 */
GstStructure *
gst_rtc_fanout_get_bandwidth_stats (GstRtcFanout * fanout)
{
  GstStructure *stats;
  GPtrArray *viewers;
  GValue list = G_VALUE_INIT;
  guint min_bitrate, max_bitrate, healthy, constrained, input, i, j;

  g_return_val_if_fail (GST_RTC_IS_FANOUT (fanout), NULL);

  g_mutex_lock (&fanout->policy_lock);
  healthy = fanout->healthy_viewers;
  constrained = fanout->constrained_viewers;
  input = fanout->input_bitrate;
  g_mutex_unlock (&fanout->policy_lock);
  GST_OBJECT_LOCK (fanout);
  viewers = g_ptr_array_ref (fanout->viewers);
  min_bitrate = fanout->min_bitrate;
  max_bitrate = fanout->max_bitrate;
  GST_OBJECT_UNLOCK (fanout);

  gst_value_list_init (&list, viewers->len);
  for (i = 0; i < viewers->len; i++) {
    Viewer *viewer = g_ptr_array_index (viewers, i);
    GValue value = G_VALUE_INIT;
    GstStructure *s;
    guint estimate = 0, layer = ALL_LAYERS;
    gdouble loss = 0;

    g_mutex_lock (&viewer->lock);
    if (viewer->estimator != NULL && viewer->have_estimate) {
      GstStructure *e =
          gst_rtc_bandwidth_estimator_get_stats (viewer->estimator);

      gst_structure_get_uint (e, "target-bitrate", &estimate);
      gst_structure_get_double (e, "loss-fraction", &loss);
      gst_structure_free (e);
    }
    for (j = 0; j < GST_RTC_FANOUT_MAX_STREAMS; j++) {
      if (viewer->streams[j] != NULL)
        layer = MIN (layer, viewer->streams[j]->max_tid);
    }
    s = gst_structure_new ("viewer",
        "viewer-id", G_TYPE_UINT, viewer->id,
        "estimate", G_TYPE_UINT, estimate,
        "constrained", G_TYPE_BOOLEAN, viewer->constrained,
        "loss-fraction", G_TYPE_DOUBLE, loss,
        "max-temporal-layer", G_TYPE_INT,
        layer == ALL_LAYERS ? -1 : (gint) layer, NULL);
    g_mutex_unlock (&viewer->lock);
    g_value_init (&value, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&value, s);
    gst_value_list_append_and_take_value (&list, &value);
  }
  g_ptr_array_unref (viewers);

  stats = gst_structure_new ("application/x-rtc-fanout-bandwidth",
      "target-bitrate", G_TYPE_UINT,
      gst_rtc_fanout_get_target_bitrate (fanout),
      "min-bitrate", G_TYPE_UINT, min_bitrate,
      "max-bitrate", G_TYPE_UINT, max_bitrate,
      "healthy-viewers", G_TYPE_UINT, healthy,
      "constrained-viewers", G_TYPE_UINT, constrained,
      "input-bitrate", G_TYPE_UINT, input, NULL);
  gst_structure_take_value (stats, "viewers", &list);
  return stats;
}
