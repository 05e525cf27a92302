/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstRtcFanout with real transports: each viewer is a GstRtcTransport pair
 * keyed by an in-memory DTLS handshake, wired back to back through queues
 * that the test pumps. Side A is the viewer on the fan-out, side B plays
 * the browser: it decrypts what the fan-out sent and sends RTCP back. */
#include <gst/check/gstcheck.h>
#include <gst/check/gsttestclock.h>
#include <gst/rtp/rtp.h>
#include <gst/rtc/rtc.h>
#include <gst/rtc/congestion.h>

#define CONNECT_SECONDS 60
#define IN_SSRC 0x11111111
#define MID_EXT_ID_A 1
#define MID_EXT_ID_B 4
#define TWCC_EXT_ID 3
/* The payloader's own extension, which the fan-out must strip. */
#define PAYLOADER_EXT_ID 5

typedef struct
{
  GstRtcTransport *a, *b;
  GAsyncQueue *to_a, *to_b;
  GstRtcFanout *fanout;
  gint viewer_id;
  gint drop_seq;                /* an RTP seq to lose on the way to B, or -1 */
  GMutex lock;
  GPtrArray *rtp;               /* GBytes received by B */
  GPtrArray *rtcp;
} Pair;

static void
a_send (GstRtcTransport * t, const guint8 * data, gsize len, gpointer user_data)
{
  Pair *pair = user_data;

  if (gst_rtc_demux_classify (data, len) == GST_RTC_PACKET_KIND_RTP &&
      len >= 4) {
    gint seq = GST_READ_UINT16_BE (data + 2);

    /* The SRTP header is in the clear, so the seq can be read here. */
    if (g_atomic_int_compare_and_exchange (&pair->drop_seq, seq, -1))
      return;
  }
  g_async_queue_push (pair->to_b, g_bytes_new (data, len));
}

static void
b_send (GstRtcTransport * t, const guint8 * data, gsize len, gpointer user_data)
{
  g_async_queue_push (((Pair *) user_data)->to_a, g_bytes_new (data, len));
}

static void
a_receive (GstRtcTransport * t, GstRtcPacketKind kind, GstBuffer * buffer,
    gpointer user_data)
{
  Pair *pair = user_data;
  GstMapInfo map;

  if (kind == GST_RTC_PACKET_KIND_RTCP && pair->fanout != NULL) {
    gst_buffer_map (buffer, &map, GST_MAP_READ);
    gst_rtc_fanout_handle_rtcp (pair->fanout,
        g_atomic_int_get (&pair->viewer_id), map.data, map.size);
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
}

static void
b_receive (GstRtcTransport * t, GstRtcPacketKind kind, GstBuffer * buffer,
    gpointer user_data)
{
  Pair *pair = user_data;
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_READ);
  g_mutex_lock (&pair->lock);
  g_ptr_array_add (kind == GST_RTC_PACKET_KIND_RTP ? pair->rtp : pair->rtcp,
      g_bytes_new (map.data, map.size));
  g_mutex_unlock (&pair->lock);
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);
}

static void
pair_init (Pair * pair, GstRtcCertificate * ca, GstRtcCertificate * cb)
{
  gchar *fa, *fb;
  GError *error = NULL;

  memset (pair, 0, sizeof (*pair));
  g_mutex_init (&pair->lock);
  pair->drop_seq = -1;
  pair->rtp = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pair->rtcp = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  pair->to_a = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  pair->to_b = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  pair->a = gst_rtc_transport_new (ca, NULL);
  pair->b = gst_rtc_transport_new (cb, NULL);
  gst_rtc_transport_set_send_func (pair->a, a_send, pair, NULL);
  gst_rtc_transport_set_send_func (pair->b, b_send, pair, NULL);
  gst_rtc_transport_set_receive_func (pair->a, a_receive, pair, NULL);
  gst_rtc_transport_set_receive_func (pair->b, b_receive, pair, NULL);

  fa = gst_rtc_transport_get_local_fingerprint (pair->a);
  fb = gst_rtc_transport_get_local_fingerprint (pair->b);
  fail_unless (gst_rtc_transport_set_remote_fingerprint (pair->a, fb, &error));
  fail_unless (gst_rtc_transport_set_remote_fingerprint (pair->b, fa, &error));
  g_free (fa);
  g_free (fb);
  fail_unless (gst_rtc_transport_start (pair->a, GST_RTC_DTLS_ROLE_SERVER,
          &error));
  fail_unless (gst_rtc_transport_start (pair->b, GST_RTC_DTLS_ROLE_CLIENT,
          &error));
}

static void
pair_clear (Pair * pair)
{
  gst_rtc_transport_set_receive_func (pair->a, NULL, NULL, NULL);
  gst_rtc_transport_close (pair->a);
  gst_rtc_transport_close (pair->b);
  gst_object_unref (pair->a);
  gst_object_unref (pair->b);
  g_async_queue_unref (pair->to_a);
  g_async_queue_unref (pair->to_b);
  g_ptr_array_unref (pair->rtp);
  g_ptr_array_unref (pair->rtcp);
  g_mutex_clear (&pair->lock);
}

/* Delivers every queued datagram, and what that makes the other side
 * send, until the wire is quiet. */
static void
pump (Pair * pairs, guint n)
{
  gboolean busy = TRUE;

  while (busy) {
    guint i;

    busy = FALSE;
    for (i = 0; i < n; i++) {
      GBytes *bytes;

      while ((bytes = g_async_queue_try_pop (pairs[i].to_a)) != NULL) {
        gst_rtc_transport_receive (pairs[i].a, g_bytes_get_data (bytes, NULL),
            g_bytes_get_size (bytes));
        g_bytes_unref (bytes);
        busy = TRUE;
      }
      while ((bytes = g_async_queue_try_pop (pairs[i].to_b)) != NULL) {
        gst_rtc_transport_receive (pairs[i].b, g_bytes_get_data (bytes, NULL),
            g_bytes_get_size (bytes));
        g_bytes_unref (bytes);
        busy = TRUE;
      }
    }
  }
}

static Pair *
pairs_new (guint n)
{
  GstRtcCertificate *ca = gst_rtc_certificate_generate (NULL);
  GstRtcCertificate *cb = gst_rtc_certificate_generate (NULL);
  Pair *pairs = g_new0 (Pair, n);
  gint64 deadline;
  guint i, connected = 0;

  fail_unless (ca != NULL && cb != NULL);
  for (i = 0; i < n; i++)
    pair_init (&pairs[i], ca, cb);
  g_object_unref (ca);
  g_object_unref (cb);

  deadline = g_get_monotonic_time () + CONNECT_SECONDS * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline) {
    pump (pairs, n);
    for (i = 0, connected = 0; i < n; i++) {
      connected += gst_rtc_transport_get_state (pairs[i].a) ==
          GST_RTC_TRANSPORT_STATE_CONNECTED &&
          gst_rtc_transport_get_state (pairs[i].b) ==
          GST_RTC_TRANSPORT_STATE_CONNECTED;
    }
    if (connected == n)
      break;
    g_usleep (1000);
  }
  fail_unless_equals_int (connected, n);
  return pairs;
}

static void
pairs_free (Pair * pairs, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    pair_clear (&pairs[i]);
  g_free (pairs);
}

static guint
n_rtp (Pair * pair)
{
  guint n;

  g_mutex_lock (&pair->lock);
  n = pair->rtp->len;
  g_mutex_unlock (&pair->lock);
  return n;
}

/* --- what the payloader pushes ------------------------------------------- */

typedef enum
{
  VP8_KEY_START,
  VP8_DELTA_START,
  VP8_CONTINUATION,
  OPUS,
} PayloadKind;

#define PAYLOAD_LEN 100

/* Two codec bytes, the input seq (a tag to recognise the packet by), a
 * pattern that depends on it. */
static void
make_payload (PayloadKind kind, guint16 seq, gsize len, guint8 * payload)
{
  gsize i;

  switch (kind) {
    case VP8_KEY_START:
      payload[0] = 0x10;        /* S, partition 0 */
      payload[1] = 0x00;        /* P = 0: key frame */
      break;
    case VP8_DELTA_START:
      payload[0] = 0x10;
      payload[1] = 0x01;
      break;
    case VP8_CONTINUATION:
      payload[0] = 0x00;
      payload[1] = 0x01;
      break;
    case OPUS:
      payload[0] = 0xfc;
      payload[1] = 0xff;
      break;
  }
  GST_WRITE_UINT16_BE (payload + 2, seq);
  for (i = 4; i < len; i++)
    payload[i] = (guint8) (seq * 7 + i);
}

static GstBuffer *
make_rtp_raw (guint16 seq, guint32 ts, gboolean marker, const guint8 * payload,
    gsize payload_len)
{
  /* Header, an abs-send-time-like extension of the payloader's own. */
  guint8 *data = g_malloc (12 + 8 + payload_len);

  data[0] = 0x90;
  data[1] = (marker ? 0x80 : 0) | 96;
  GST_WRITE_UINT16_BE (data + 2, seq);
  GST_WRITE_UINT32_BE (data + 4, ts);
  GST_WRITE_UINT32_BE (data + 8, IN_SSRC);
  data[12] = 0xbe;
  data[13] = 0xde;
  GST_WRITE_UINT16_BE (data + 14, 1);
  data[16] = (PAYLOADER_EXT_ID << 4) | 2;
  data[17] = 0x12;
  data[18] = 0x34;
  data[19] = 0x56;
  memcpy (data + 20, payload, payload_len);
  return gst_buffer_new_wrapped (data, 20 + payload_len);
}

static GstBuffer *
make_rtp (PayloadKind kind, guint16 seq, guint32 ts, gboolean marker,
    gsize payload_len)
{
  guint8 payload[1500];

  make_payload (kind, seq, payload_len, payload);
  return make_rtp_raw (seq, ts, marker, payload, payload_len);
}

static void
push (GstRtcFanout * fanout, guint stream, PayloadKind kind, guint16 seq,
    guint32 ts, gboolean marker)
{
  fail_unless (gst_rtc_fanout_push (fanout, stream, make_rtp (kind, seq, ts,
              marker, PAYLOAD_LEN)));
}

/* --- what B received ----------------------------------------------------- */

typedef struct
{
  guint8 pt;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  gboolean marker;
  gchar mid[17];
  gboolean has_twcc;
  guint16 twcc;
  gboolean has_payloader_ext;
  guint8 payload[1500];
  guint payload_len;
  guint16 tag;                  /* the input seq written by make_payload */
} Received;

static void
parse_received (GBytes * bytes, guint8 mid_ext_id, Received * r)
{
  GstBuffer *buffer = gst_buffer_new_memdup (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gpointer data;
  guint size;

  memset (r, 0, sizeof (*r));
  fail_unless (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
  r->pt = gst_rtp_buffer_get_payload_type (&rtp);
  r->seq = gst_rtp_buffer_get_seq (&rtp);
  r->ts = gst_rtp_buffer_get_timestamp (&rtp);
  r->ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  r->marker = gst_rtp_buffer_get_marker (&rtp);
  if (mid_ext_id != 0 && gst_rtp_buffer_get_extension_onebyte_header (&rtp,
          mid_ext_id, 0, &data, &size))
    memcpy (r->mid, data, MIN (size, 16));
  if (gst_rtp_buffer_get_extension_onebyte_header (&rtp, TWCC_EXT_ID, 0,
          &data, &size) && mid_ext_id != TWCC_EXT_ID) {
    fail_unless_equals_int (size, 2);
    r->has_twcc = TRUE;
    r->twcc = GST_READ_UINT16_BE (data);
  }
  r->has_payloader_ext = gst_rtp_buffer_get_extension_onebyte_header (&rtp,
      PAYLOADER_EXT_ID, 0, &data, &size);
  r->payload_len = gst_rtp_buffer_get_payload_len (&rtp);
  fail_unless (r->payload_len <= sizeof (r->payload));
  memcpy (r->payload, gst_rtp_buffer_get_payload (&rtp), r->payload_len);
  if (r->payload_len >= 4)
    r->tag = GST_READ_UINT16_BE (r->payload + 2);
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (buffer);
}

static void
get_received (Pair * pair, guint index, guint8 mid_ext_id, Received * r)
{
  g_mutex_lock (&pair->lock);
  fail_unless (index < pair->rtp->len, "packet %u of %u", index,
      pair->rtp->len);
  parse_received (g_ptr_array_index (pair->rtp, index), mid_ext_id, r);
  g_mutex_unlock (&pair->lock);
}

/* The payload B got is the one pushed with input seq @tag. */
static void
check_payload (const Received * r, PayloadKind kind, guint16 tag)
{
  guint8 expected[PAYLOAD_LEN];

  make_payload (kind, tag, PAYLOAD_LEN, expected);
  fail_unless_equals_int (r->payload_len, PAYLOAD_LEN);
  fail_unless (memcmp (r->payload, expected, PAYLOAD_LEN) == 0,
      "payload of %u differs", tag);
}

static void
config_stream (GstRtcFanoutViewerConfig * config, guint stream_id, guint8 pt,
    guint8 rtx_pt, guint32 ssrc, guint32 rtx_ssrc, const gchar * mid,
    guint8 mid_ext_id, guint8 twcc_ext_id)
{
  fail_unless (gst_rtc_fanout_viewer_config_add_stream (config, stream_id, pt,
          rtx_pt, ssrc, rtx_ssrc, mid, mid_ext_id, twcc_ext_id));
}

static guint
add_viewer (GstRtcFanout * fanout, Pair * pair,
    const GstRtcFanoutViewerConfig * config)
{
  guint id = gst_rtc_fanout_add_viewer (fanout, pair->a, config);

  fail_unless (id != 0);
  pair->fanout = fanout;
  g_atomic_int_set (&pair->viewer_id, id);
  return id;
}

static guint64
stat_u64 (const GstStructure * s, const gchar * field)
{
  guint64 value = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &value), "no %s in %"
      GST_PTR_FORMAT, field, s);
  return value;
}

static guint64
viewer_stat (GstRtcFanout * fanout, guint viewer, const gchar * field)
{
  GstStructure *s = gst_rtc_fanout_get_viewer_stats (fanout, viewer);
  guint64 value;

  fail_unless (s != NULL);
  value = stat_u64 (s, field);
  gst_structure_free (s);
  return value;
}

static guint64
fanout_stat (GstRtcFanout * fanout, const gchar * field)
{
  GstStructure *s = gst_rtc_fanout_get_stats (fanout);
  guint64 value = stat_u64 (s, field);

  gst_structure_free (s);
  return value;
}

static void
send_rtcp_from_b (Pair * pair, GstBuffer * rtcp)
{
  fail_unless_equals_int (gst_rtc_transport_send_buffer (pair->b,
          GST_RTC_PACKET_KIND_RTCP, rtcp), GST_RTC_SRTP_STATUS_OK);
  gst_buffer_unref (rtcp);
}

static GstBuffer *
make_nack (guint32 media_ssrc, guint16 pid, guint16 blp)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint8 *fci;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RTPFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_RTPFB_TYPE_NACK);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0xbbbbbbbb);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
  fail_unless (gst_rtcp_packet_fb_set_fci_length (&packet, 1));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  GST_WRITE_UINT16_BE (fci, pid);
  GST_WRITE_UINT16_BE (fci + 2, blp);
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

static GstBuffer *
make_pli (guint32 media_ssrc)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_PLI);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0xbbbbbbbb);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, media_ssrc);
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

static GstBuffer *
make_fir (guint32 media_ssrc, guint8 command_seq)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint8 *fci;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_FIR);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0xbbbbbbbb);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, 0);
  fail_unless (gst_rtcp_packet_fb_set_fci_length (&packet, 2));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  GST_WRITE_UINT32_BE (fci, media_ssrc);
  fci[4] = command_seq;
  fci[5] = fci[6] = fci[7] = 0;
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

static void
on_request_keyframe (GstRtcFanout * fanout, guint stream_id, gint * count)
{
  g_atomic_int_inc (count);
}

static GstClock *
use_test_clock (GstRtcFanout * fanout)
{
  GstClock *clock = gst_test_clock_new_with_start_time (10 * GST_SECOND);

  gst_rtc_fanout_set_clock (fanout, clock);
  return clock;
}

/* --- tests --------------------------------------------------------------- */

GST_START_TEST (test_forward_rewrites_per_viewer)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcFanoutViewerConfig config_a = { 0, }, config_b = { 0, };
  guint stream, viewer_a, viewer_b, i;
  Received r, head;
  guint16 seq;

  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  fail_unless_equals_int (stream, 1);
  fail_unless (gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8"));
  config_stream (&config_a, stream, 96, 0, 0xa0a0a0a0, 0, "0", MID_EXT_ID_A,
      TWCC_EXT_ID);
  config_stream (&config_b, stream, 120, 0, 0xb0b0b0b0, 0, "video",
      MID_EXT_ID_B, 0);
  viewer_a = add_viewer (fanout, &pairs[0], &config_a);
  viewer_b = add_viewer (fanout, &pairs[1], &config_b);
  fail_unless (viewer_a != viewer_b);
  fail_unless_equals_int (gst_rtc_fanout_get_n_viewers (fanout), 2);

  /* A key frame in two packets, then eight delta frames. */
  push (fanout, stream, VP8_KEY_START, 5000, 1000, FALSE);
  push (fanout, stream, VP8_CONTINUATION, 5001, 1000, TRUE);
  for (seq = 5002; seq < 5010; seq++)
    push (fanout, stream, VP8_DELTA_START, seq, 1000 + 3000 * (seq - 5001),
        TRUE);
  pump (pairs, 2);

  for (i = 0; i < 2; i++) {
    Pair *pair = &pairs[i];
    guint8 mid_id = i == 0 ? MID_EXT_ID_A : MID_EXT_ID_B;
    guint j;

    fail_unless_equals_int (n_rtp (pair), 10);
    get_received (pair, 0, mid_id, &head);
    for (j = 0; j < 10; j++) {
      guint16 in_seq = 5000 + j;
      guint32 in_ts = j < 2 ? 1000 : 1000 + 3000 * (in_seq - 5001);

      get_received (pair, j, mid_id, &r);
      fail_unless_equals_int (r.pt, i == 0 ? 96 : 120);
      fail_unless_equals_int (r.ssrc, i == 0 ? 0xa0a0a0a0 : 0xb0b0b0b0);
      fail_unless_equals_string (r.mid, i == 0 ? "0" : "video");
      fail_if (r.has_payloader_ext, "the payloader's extension got through");
      fail_unless_equals_int ((guint16) (r.seq - head.seq), j);
      fail_unless_equals_int ((guint32) (r.ts - head.ts), in_ts - 1000);
      fail_unless_equals_int (r.marker, j != 0);
      fail_unless_equals_int (r.tag, in_seq);
      check_payload (&r, j == 0 ? VP8_KEY_START : j == 1 ? VP8_CONTINUATION :
          VP8_DELTA_START, in_seq);
      /* Only A negotiated transport-wide-cc; its numbers are its own. */
      fail_unless_equals_int (r.has_twcc, i == 0);
      if (i == 0)
        fail_unless_equals_int ((guint16) (r.twcc - head.twcc), j);
    }
  }

  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_a, "packets-sent"),
      10);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_b, "packets-sent"),
      10);
  fail_unless_equals_uint64 (fanout_stat (fanout, "packets-in"), 10);
  fail_unless_equals_uint64 (fanout_stat (fanout, "packets-out"), 20);
  fail_unless_equals_uint64 (fanout_stat (fanout, "keyframes-in"), 1);
  {
    GstStructure *stats = NULL;
    guint n_viewers = 0;

    g_object_get (fanout, "stats", &stats, NULL);
    fail_unless (gst_structure_get_uint (stats, "viewers", &n_viewers));
    fail_unless_equals_int (n_viewers, 2);
    gst_structure_free (stats);
  }

  /* Not RTP, or an unknown stream: dropped and counted. */
  fail_if (gst_rtc_fanout_push (fanout, stream, gst_buffer_new_wrapped
          (g_memdup2 ("\x80\x60", 2), 2)));
  fail_if (gst_rtc_fanout_push (fanout, 7, make_rtp (OPUS, 1, 1, FALSE, 10)));
  fail_unless_equals_uint64 (fanout_stat (fanout, "malformed-in"), 2);

  fail_unless (gst_rtc_fanout_remove_viewer (fanout, viewer_a));
  fail_if (gst_rtc_fanout_remove_viewer (fanout, viewer_a));
  fail_unless (gst_rtc_fanout_get_viewer_stats (fanout, viewer_a) == NULL);
  gst_object_unref (fanout);
  pairs_free (pairs, 2);
}

GST_END_TEST;

GST_START_TEST (test_late_joiner_contiguous)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcFanoutViewerConfig config = { 0, };
  guint stream, late, j;
  guint16 seq = 60000;
  guint32 ts = 0xfffff000;      /* wraps on the way */
  Received r, head;

  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_AUDIO,
      IN_SSRC, 48000);
  config_stream (&config, stream, 111, 0, 0, 0, "a", MID_EXT_ID_A, 0);
  add_viewer (fanout, &pairs[0], &config);

  for (j = 0; j < 10; j++, seq++, ts += 960)
    push (fanout, stream, OPUS, seq, ts, FALSE);
  late = add_viewer (fanout, &pairs[1], &config);
  for (j = 0; j < 10; j++, seq++, ts += 960)
    push (fanout, stream, OPUS, seq, ts, FALSE);
  pump (pairs, 2);

  fail_unless_equals_int (n_rtp (&pairs[0]), 20);
  fail_unless_equals_int (n_rtp (&pairs[1]), 10);
  get_received (&pairs[1], 0, MID_EXT_ID_A, &head);
  /* No SSRC of its own configured: the source stream's. */
  fail_unless_equals_int (head.ssrc, IN_SSRC);
  fail_unless_equals_int (head.tag, 60010);
  for (j = 0; j < 10; j++) {
    get_received (&pairs[1], j, MID_EXT_ID_A, &r);
    fail_unless_equals_int ((guint16) (r.seq - head.seq), j);
    fail_unless_equals_int (r.ts - head.ts, 960 * j);
    fail_unless_equals_int (r.tag, (guint16) (60010 + j));
  }

  /* Paused, then resumed: the numbering goes on without a gap, the
   * timestamps keep the time that passed. */
  fail_unless (gst_rtc_fanout_set_viewer_stream_active (fanout, late, stream,
          FALSE));
  for (j = 0; j < 5; j++, seq++, ts += 960)
    push (fanout, stream, OPUS, seq, ts, FALSE);
  fail_unless (gst_rtc_fanout_set_viewer_stream_active (fanout, late, stream,
          TRUE));
  for (j = 0; j < 5; j++, seq++, ts += 960)
    push (fanout, stream, OPUS, seq, ts, FALSE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 15);
  for (j = 10; j < 15; j++) {
    get_received (&pairs[1], j, MID_EXT_ID_A, &r);
    fail_unless_equals_int ((guint16) (r.seq - head.seq), j);
    fail_unless_equals_int (r.ts - head.ts, 960 * (j + 5));
    fail_unless_equals_int (r.tag, (guint16) (60015 + j));
  }
  fail_if (gst_rtc_fanout_set_viewer_stream_active (fanout, late, 9, TRUE));

  gst_object_unref (fanout);
  pairs_free (pairs, 2);
}

GST_END_TEST;

GST_START_TEST (test_nack_answered_with_rtx)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcFanoutViewerConfig config_a = { 0, }, config_b = { 0, };
  guint stream, viewer_a, viewer_b, j;
  guint16 seq;
  Received r, head_a, head_b, original;
  static const guint lost[] = { 3, 5, 6 };

  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config_a, stream, 96, 97, 0xa0a0a0a0, 0xa1a1a1a1, "0",
      MID_EXT_ID_A, 0);
  config_stream (&config_b, stream, 100, 0, 0xb0b0b0b0, 0, "1", MID_EXT_ID_B,
      0);
  viewer_a = add_viewer (fanout, &pairs[0], &config_a);
  viewer_b = add_viewer (fanout, &pairs[1], &config_b);

  push (fanout, stream, VP8_KEY_START, 100, 0, TRUE);
  pump (pairs, 2);
  get_received (&pairs[0], 0, MID_EXT_ID_A, &head_a);
  get_received (&pairs[1], 0, MID_EXT_ID_B, &head_b);
  /* B loses its fifth packet on the way. */
  g_atomic_int_set (&pairs[1].drop_seq, (guint16) (head_b.seq + 4));
  for (seq = 101; seq < 120; seq++)
    push (fanout, stream, VP8_DELTA_START, seq, 3000 * (seq - 100), TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[0]), 20);
  fail_unless_equals_int (n_rtp (&pairs[1]), 19);

  /* A asks for 3, 5 and 6 in one NACK: 3 RTX packets, to A only. */
  send_rtcp_from_b (&pairs[0], make_nack (0xa0a0a0a0, head_a.seq + 3,
          0x0006));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[0]), 23);
  fail_unless_equals_int (n_rtp (&pairs[1]), 19);
  for (j = 0; j < 3; j++) {
    get_received (&pairs[0], 20 + j, MID_EXT_ID_A, &r);
    get_received (&pairs[0], lost[j], MID_EXT_ID_A, &original);
    fail_unless_equals_int (r.pt, 97);
    fail_unless_equals_int (r.ssrc, 0xa1a1a1a1);
    fail_unless_equals_string (r.mid, "0");
    fail_unless_equals_int (r.ts, original.ts);
    if (j > 0) {
      Received previous;

      get_received (&pairs[0], 20 + j - 1, MID_EXT_ID_A, &previous);
      fail_unless_equals_int ((guint16) (r.seq - previous.seq), 1);
    }
    /* RFC 4588: the original seq, then the original payload. */
    fail_unless_equals_int (r.payload_len, 2 + PAYLOAD_LEN);
    fail_unless_equals_int (GST_READ_UINT16_BE (r.payload),
        (guint16) (head_a.seq + lost[j]));
    fail_unless (memcmp (r.payload + 2, original.payload, PAYLOAD_LEN) == 0);
  }
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_a, "nacks-received"),
      1);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_a,
          "retransmissions-sent"), 3);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_b,
          "retransmissions-sent"), 0);

  /* B has no RTX: the lost packet comes again as it was. */
  send_rtcp_from_b (&pairs[1], make_nack (0xb0b0b0b0, head_b.seq + 4, 0));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 20);
  get_received (&pairs[1], 19, MID_EXT_ID_B, &r);
  fail_unless_equals_int (r.pt, 100);
  fail_unless_equals_int (r.ssrc, 0xb0b0b0b0);
  fail_unless_equals_int (r.seq, (guint16) (head_b.seq + 4));
  check_payload (&r, VP8_DELTA_START, 104);
  fail_unless_equals_int (n_rtp (&pairs[0]), 23);

  /* A seq we never sent, and one gone from the history, are counted. */
  send_rtcp_from_b (&pairs[1], make_nack (0xb0b0b0b0, head_b.seq + 1000, 0));
  pump (pairs, 2);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_b, "nack-missed"), 1);
  fail_unless_equals_uint64 (fanout_stat (fanout, "retransmissions-sent"), 4);

  gst_object_unref (fanout);
  pairs_free (pairs, 2);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_requests_merged)
{
  Pair *pairs = pairs_new (5);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  guint stream, i;
  gint requests = 0;

  g_signal_connect (fanout, "request-keyframe",
      G_CALLBACK (on_request_keyframe), &requests);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  for (i = 0; i < 5; i++) {
    GstRtcFanoutViewerConfig config = { 0, };

    config_stream (&config, stream, 96, 0, 0xa0 + i, 0, "0", MID_EXT_ID_A, 0);
    add_viewer (fanout, &pairs[i], &config);
  }
  /* They join on a key frame: nothing to ask for. */
  push (fanout, stream, VP8_KEY_START, 1, 0, TRUE);
  pump (pairs, 5);
  fail_unless_equals_int (g_atomic_int_get (&requests), 0);

  /* Five PLIs and a FIR within a second: one request. */
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 2 * GST_SECOND);
  for (i = 0; i < 5; i++) {
    send_rtcp_from_b (&pairs[i], make_pli (0xa0 + i));
    pump (pairs, 5);
    gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 100 * GST_MSECOND);
  }
  send_rtcp_from_b (&pairs[0], make_fir (0xa0, 1));
  pump (pairs, 5);
  fail_unless_equals_int (g_atomic_int_get (&requests), 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, 1, "plis-received"), 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, 1, "firs-received"), 1);

  /* A repeated FIR (same command seq) is the same request. */
  send_rtcp_from_b (&pairs[0], make_fir (0xa0, 1));
  pump (pairs, 5);
  fail_unless_equals_uint64 (viewer_stat (fanout, 1, "firs-received"), 1);

  /* A second later, the next one goes out. */
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), GST_SECOND);
  send_rtcp_from_b (&pairs[2], make_pli (0xa2));
  pump (pairs, 5);
  fail_unless_equals_int (g_atomic_int_get (&requests), 2);
  fail_unless_equals_uint64 (fanout_stat (fanout,
          "keyframe-requests-received"), 7);
  fail_unless_equals_uint64 (fanout_stat (fanout, "keyframe-requests-sent"),
      2);

  /* The application's own request is merged too. */
  fail_if (gst_rtc_fanout_request_keyframe (fanout, stream));
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), GST_SECOND);
  fail_unless (gst_rtc_fanout_request_keyframe (fanout, stream));
  fail_unless_equals_int (g_atomic_int_get (&requests), 3);

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 5);
}

GST_END_TEST;

GST_START_TEST (test_joiner_gets_cached_keyframe)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  guint stream, j;
  gint requests = 0;
  Received r, head;

  g_signal_connect (fanout, "request-keyframe",
      G_CALLBACK (on_request_keyframe), &requests);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config, stream, 96, 0, 0, 0, "v", MID_EXT_ID_A, 0);
  add_viewer (fanout, &pairs[0], &config);

  /* Key frame at ts 9000 in 3 packets, then two delta frames. */
  push (fanout, stream, VP8_KEY_START, 10, 9000, FALSE);
  push (fanout, stream, VP8_CONTINUATION, 11, 9000, FALSE);
  push (fanout, stream, VP8_CONTINUATION, 12, 9000, TRUE);
  push (fanout, stream, VP8_DELTA_START, 13, 12000, FALSE);
  push (fanout, stream, VP8_CONTINUATION, 14, 12000, TRUE);
  push (fanout, stream, VP8_DELTA_START, 15, 15000, TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (requests, 0);

  /* Joins mid-GOP: gets the key frame, not the delta frame pushed now,
   * and a key frame is asked for. */
  add_viewer (fanout, &pairs[1], &config);
  push (fanout, stream, VP8_DELTA_START, 16, 18000, TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 3);
  fail_unless_equals_int (requests, 1);
  get_received (&pairs[1], 0, MID_EXT_ID_A, &head);
  for (j = 0; j < 3; j++) {
    get_received (&pairs[1], j, MID_EXT_ID_A, &r);
    fail_unless_equals_int (r.tag, 10 + j);
    check_payload (&r, j == 0 ? VP8_KEY_START : VP8_CONTINUATION, 10 + j);
    fail_unless_equals_int ((guint16) (r.seq - head.seq), j);
    fail_unless_equals_int (r.ts, head.ts);
    fail_unless_equals_int (r.marker, j == 2);
    fail_unless_equals_string (r.mid, "v");
  }

  /* Delta frames are held back until the next key frame... */
  push (fanout, stream, VP8_DELTA_START, 17, 21000, TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 3);
  /* ...which comes on, numbered on from the cached one. */
  push (fanout, stream, VP8_KEY_START, 18, 24000, FALSE);
  push (fanout, stream, VP8_CONTINUATION, 19, 24000, TRUE);
  push (fanout, stream, VP8_DELTA_START, 20, 27000, TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 6);
  for (j = 3; j < 6; j++) {
    get_received (&pairs[1], j, MID_EXT_ID_A, &r);
    fail_unless_equals_int (r.tag, 15 + j);
    fail_unless_equals_int ((guint16) (r.seq - head.seq), j);
    fail_unless_equals_int (r.ts - head.ts, j < 5 ? 15000 : 18000);
  }

  /* Paused and resumed: the cached key frame (ts 24000) is older than
   * what it got last, so it waits for the next one, numbered on. */
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 2 * GST_SECOND);
  fail_unless (gst_rtc_fanout_set_viewer_stream_active (fanout, 2, stream,
          FALSE));
  push (fanout, stream, VP8_DELTA_START, 21, 30000, TRUE);
  fail_unless (gst_rtc_fanout_set_viewer_stream_active (fanout, 2, stream,
          TRUE));
  push (fanout, stream, VP8_DELTA_START, 22, 33000, TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 6);
  fail_unless_equals_int (requests, 2);
  push (fanout, stream, VP8_KEY_START, 23, 36000, TRUE);
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 7);
  get_received (&pairs[1], 6, MID_EXT_ID_A, &r);
  fail_unless_equals_int (r.tag, 23);
  fail_unless_equals_int ((guint16) (r.seq - head.seq), 6);
  fail_unless_equals_int (r.ts - head.ts, 27000);

  /* The first viewer got all 14 packets, in one run of numbers. */
  fail_unless_equals_int (n_rtp (&pairs[0]), 14);
  get_received (&pairs[0], 0, MID_EXT_ID_A, &head);
  for (j = 0; j < 14; j++) {
    get_received (&pairs[0], j, MID_EXT_ID_A, &r);
    fail_unless_equals_int (r.tag, 10 + j);
    fail_unless_equals_int ((guint16) (r.seq - head.seq), j);
  }

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 2);
}

GST_END_TEST;

static void
push_h264 (GstRtcFanout * fanout, guint stream, guint16 seq, guint32 ts,
    const guint8 * nal_bytes, gsize nal_len)
{
  guint8 payload[64];

  fail_unless (nal_len + 2 <= sizeof (payload));
  memcpy (payload, nal_bytes, nal_len);
  /* A tag to recognise the packet by. */
  GST_WRITE_UINT16_BE (payload + nal_len, seq);
  fail_unless (gst_rtc_fanout_push (fanout, stream, make_rtp_raw (seq, ts,
              FALSE, payload, nal_len + 2)));
}

static guint16
received_h264_tag (Pair * pair, guint index)
{
  Received r;

  get_received (pair, index, 0, &r);
  return GST_READ_UINT16_BE (r.payload + r.payload_len - 2);
}

GST_START_TEST (test_h264_keyframes_found)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcFanoutViewerConfig config = { 0, };
  guint stream;
  /* A non-IDR slice; an FU-A start of one; a STAP-A with SPS and PPS; an
   * FU-A start and end of an IDR slice. */
  static const guint8 slice[] = { 0x41, 0x9a, 0x00 };
  static const guint8 fu_slice_start[] = { 0x5c, 0x81, 0x9a };
  static const guint8 stap_sps_pps[] = { 0x78, 0x00, 0x03, 0x67, 0x42, 0x00,
    0x00, 0x02, 0x68, 0xce
  };
  static const guint8 fu_idr_start[] = { 0x7c, 0x85, 0x88 };
  static const guint8 fu_idr_end[] = { 0x7c, 0x45, 0x88 };
  static const guint8 truncated_stap[] = { 0x78, 0x00, 0x09, 0x67 };

  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  fail_unless (gst_rtc_fanout_set_stream_codec (fanout, stream, "H264"));
  config_stream (&config, stream, 102, 0, 0, 0, NULL, 0, 0);
  add_viewer (fanout, &pairs[0], &config);

  /* No key frame yet: a slice, an FU-A slice and a broken STAP-A are not
   * one, whatever the buffer flags say. */
  push_h264 (fanout, stream, 1, 1000, slice, sizeof (slice));
  push_h264 (fanout, stream, 2, 2000, fu_slice_start, sizeof (fu_slice_start));
  push_h264 (fanout, stream, 3, 3000, truncated_stap, sizeof (truncated_stap));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[0]), 0);

  push_h264 (fanout, stream, 4, 4000, stap_sps_pps, sizeof (stap_sps_pps));
  push_h264 (fanout, stream, 5, 4000, fu_idr_start, sizeof (fu_idr_start));
  push_h264 (fanout, stream, 6, 4000, fu_idr_end, sizeof (fu_idr_end));
  push_h264 (fanout, stream, 7, 5000, fu_slice_start, sizeof (fu_slice_start));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[0]), 4);
  fail_unless_equals_int (received_h264_tag (&pairs[0], 0), 4);

  /* A joiner gets the whole access unit of the key frame (STAP-A and both
   * FU-A packets), then nothing until an IDR in a single NAL unit. */
  add_viewer (fanout, &pairs[1], &config);
  push_h264 (fanout, stream, 8, 6000, slice, sizeof (slice));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 3);
  fail_unless_equals_int (received_h264_tag (&pairs[1], 0), 4);
  fail_unless_equals_int (received_h264_tag (&pairs[1], 2), 6);
  push_h264 (fanout, stream, 9, 7000, fu_slice_start, sizeof (fu_slice_start));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 3);
  {
    static const guint8 idr[] = { 0x65, 0x88, 0x80 };

    push_h264 (fanout, stream, 10, 8000, idr, sizeof (idr));
  }
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), 4);
  fail_unless_equals_int (received_h264_tag (&pairs[1], 3), 10);

  gst_object_unref (fanout);
  pairs_free (pairs, 2);
}

GST_END_TEST;

/* A GstRTCPBuffer parse of what B got: the SR, then the SDES CNAME. */
static void
parse_sr (GBytes * bytes, guint32 * ssrc, guint64 * ntp, guint32 * rtp_ts,
    guint32 * packets, guint32 * octets, gchar ** cname)
{
  GstBuffer *buffer = gst_buffer_new_memdup (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  GstRTCPSDESType type;
  guint8 len, *data;

  fail_unless (gst_rtcp_buffer_validate (buffer));
  fail_unless (gst_rtcp_buffer_map (buffer, GST_MAP_READ, &rtcp));
  fail_unless (gst_rtcp_buffer_get_first_packet (&rtcp, &packet));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&packet),
      GST_RTCP_TYPE_SR);
  gst_rtcp_packet_sr_get_sender_info (&packet, ssrc, ntp, rtp_ts, packets,
      octets);
  fail_unless (gst_rtcp_packet_move_to_next (&packet));
  fail_unless_equals_int (gst_rtcp_packet_get_type (&packet),
      GST_RTCP_TYPE_SDES);
  fail_unless (gst_rtcp_packet_sdes_first_entry (&packet));
  fail_unless (gst_rtcp_packet_sdes_get_entry (&packet, &type, &len, &data));
  fail_unless_equals_int (type, GST_RTCP_SDES_CNAME);
  *cname = g_strndup ((gchar *) data, len);
  gst_rtcp_buffer_unmap (&rtcp);
  gst_buffer_unref (buffer);
}

static GstBuffer *
make_rr (guint32 media_ssrc, guint8 fraction, gint32 lost, guint32 jitter,
    guint32 lsr, guint32 dlsr)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &rtcp);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR, &packet));
  gst_rtcp_packet_rr_set_ssrc (&packet, 0xbbbbbbbb);
  fail_unless (gst_rtcp_packet_add_rb (&packet, media_ssrc, fraction, lost,
          1234, jitter, lsr, dlsr));
  gst_rtcp_buffer_unmap (&rtcp);
  return buffer;
}

GST_START_TEST (test_sender_and_receiver_reports)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  guint stream, viewers[2], i, j;
  guint32 ts = 5000;
  guint16 seq = 1;
  guint64 sr_ntp[2];
  GstStructure *stats, *stream_stats;
  guint64 rtt;
  gint lost;
  guint fraction, jitter;

  g_object_set (fanout, "cname", "fanout@test", NULL);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_AUDIO,
      IN_SSRC, 48000);

  /* The second viewer joins five packets late. */
  for (j = 0; j < 10; j++, seq++, ts += 960) {
    if (j == 0 || j == 5) {
      GstRtcFanoutViewerConfig config = { 0, };

      i = j == 0 ? 0 : 1;
      config_stream (&config, stream, 111, 0, 0xa0 + i, 0, "a", MID_EXT_ID_A,
          0);
      viewers[i] = add_viewer (fanout, &pairs[i], &config);
    }
    fail_unless (gst_rtc_fanout_push (fanout, stream, make_rtp (OPUS, seq, ts,
                FALSE, 50 + j)));
  }
  pump (pairs, 2);
  /* Half an interval has not passed: no report yet. */
  fail_unless_equals_int (pairs[0].rtcp->len, 0);

  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), GST_SECOND);
  fail_unless (gst_rtc_fanout_push (fanout, stream, make_rtp (OPUS, seq, ts,
              FALSE, 70)));
  pump (pairs, 2);

  for (i = 0; i < 2; i++) {
    guint32 ssrc, rtp_ts, packets, octets, expected_octets = 0;
    gchar *cname;
    Received last;

    fail_unless_equals_int (pairs[i].rtcp->len, 1);
    parse_sr (g_ptr_array_index (pairs[i].rtcp, 0), &ssrc, &sr_ntp[i],
        &rtp_ts, &packets, &octets, &cname);
    fail_unless_equals_int (ssrc, 0xa0 + i);
    fail_unless_equals_string (cname, "fanout@test");
    g_free (cname);
    /* What this viewer got, not what was pushed. */
    fail_unless_equals_int (packets, n_rtp (&pairs[i]));
    fail_unless_equals_int (packets, i == 0 ? 11 : 6);
    for (j = 0; j < n_rtp (&pairs[i]); j++) {
      Received r;

      get_received (&pairs[i], j, MID_EXT_ID_A, &r);
      expected_octets += r.payload_len;
    }
    fail_unless_equals_int (octets, expected_octets);
    /* The last packet was pushed at the very time of the report. */
    get_received (&pairs[i], n_rtp (&pairs[i]) - 1, MID_EXT_ID_A, &last);
    fail_unless_equals_int (rtp_ts, last.ts);
    fail_unless (sr_ntp[i] >> 32 > G_GUINT64_CONSTANT (2208988800));
  }

  /* The receiver reports, 300 ms after the SR: loss, jitter, and a round
   * trip of 300 ms less the 100 ms each viewer held the SR. */
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 300 * GST_MSECOND);
  for (i = 0; i < 2; i++) {
    send_rtcp_from_b (&pairs[i], make_rr (0xa0 + i, 64, 3, 123,
            (guint32) (sr_ntp[i] >> 16), 65536 / 10));
    pump (pairs, 2);
    stats = gst_rtc_fanout_get_viewer_stats (fanout, viewers[i]);
    fail_unless (gst_structure_get_uint (stats, "fraction-lost", &fraction));
    fail_unless (gst_structure_get_int (stats, "packets-lost", &lost));
    fail_unless (gst_structure_get_uint (stats, "jitter", &jitter));
    fail_unless (gst_structure_get_uint64 (stats, "round-trip-time", &rtt));
    fail_unless_equals_int (fraction, 64);
    fail_unless_equals_int (lost, 3);
    fail_unless_equals_int (jitter, 123);
    fail_unless (rtt > 199 * GST_MSECOND && rtt < 201 * GST_MSECOND,
        "rtt %" GST_TIME_FORMAT, GST_TIME_ARGS (rtt));
    fail_unless (gst_structure_get (stats, "stream-1", GST_TYPE_STRUCTURE,
            &stream_stats, NULL));
    fail_unless_equals_uint64 (stat_u64 (stream_stats, "srs-sent"), 1);
    fail_unless (gst_structure_get_uint (stream_stats, "fraction-lost",
            &fraction));
    fail_unless_equals_int (fraction, 64);
    gst_structure_free (stream_stats);
    fail_unless_equals_uint64 (stat_u64 (stats, "rtcp-malformed"), 0);
    gst_structure_free (stats);
  }

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 2);
}

GST_END_TEST;

/* A compound of every kind of packet we read: RR, NACK, PLI, FIR, REMB,
 * TWCC, SDES, BYE; the ends of its packets go in @boundaries. */
static gsize
make_compound (guint32 ssrc, guint16 nack_seq, guint8 * out,
    gsize * boundaries, guint * n_boundaries)
{
  gsize len = 0;
  guint n = 0;

#define END_PACKET() boundaries[n++] = len
  /* RR, one block. */
  out[len++] = 0x81;
  out[len++] = 201;
  out[len++] = 0;
  out[len++] = 7;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  len += 4;
  GST_WRITE_UINT32_BE (out + len, ssrc);
  len += 4;
  memset (out + len, 0, 20);
  out[len] = 10;
  len += 20;
  END_PACKET ();
  /* NACK. */
  out[len++] = 0x81;
  out[len++] = 205;
  out[len++] = 0;
  out[len++] = 3;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  GST_WRITE_UINT32_BE (out + len + 4, ssrc);
  GST_WRITE_UINT16_BE (out + len + 8, nack_seq);
  GST_WRITE_UINT16_BE (out + len + 10, 0x0001);
  len += 12;
  END_PACKET ();
  /* PLI. */
  out[len++] = 0x81;
  out[len++] = 206;
  out[len++] = 0;
  out[len++] = 2;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  GST_WRITE_UINT32_BE (out + len + 4, ssrc);
  len += 8;
  END_PACKET ();
  /* FIR. */
  out[len++] = 0x84;
  out[len++] = 206;
  out[len++] = 0;
  out[len++] = 4;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  GST_WRITE_UINT32_BE (out + len + 4, 0);
  GST_WRITE_UINT32_BE (out + len + 8, ssrc);
  GST_WRITE_UINT32_BE (out + len + 12, 0x07000000);
  len += 16;
  END_PACKET ();
  /* REMB: 1.5 Mbit/s for one SSRC. */
  out[len++] = 0x8f;
  out[len++] = 206;
  out[len++] = 0;
  out[len++] = 5;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  GST_WRITE_UINT32_BE (out + len + 4, 0);
  memcpy (out + len + 8, "REMB", 4);
  out[len + 12] = 1;
  /* 1500000 = 187500 << 3 */
  out[len + 13] = (3 << 2) | (187500 >> 16);
  GST_WRITE_UINT16_BE (out + len + 14, 187500 & 0xffff);
  GST_WRITE_UINT32_BE (out + len + 16, ssrc);
  len += 20;
  END_PACKET ();
  /* Transport-wide-cc feedback, two packets received. */
  out[len++] = 0x8f;
  out[len++] = 205;
  out[len++] = 0;
  out[len++] = 5;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  GST_WRITE_UINT32_BE (out + len + 4, ssrc);
  GST_WRITE_UINT16_BE (out + len + 8, 100);
  GST_WRITE_UINT16_BE (out + len + 10, 2);
  GST_WRITE_UINT32_BE (out + len + 12, 0x00000100);
  GST_WRITE_UINT16_BE (out + len + 16, 0x2002);
  out[len + 18] = 4;
  out[len + 19] = 4;
  len += 20;
  END_PACKET ();
  /* SDES CNAME "b", padded. */
  out[len++] = 0x81;
  out[len++] = 202;
  out[len++] = 0;
  out[len++] = 2;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  out[len + 4] = 1;
  out[len + 5] = 1;
  out[len + 6] = 'b';
  out[len + 7] = 0;
  len += 8;
  END_PACKET ();
  /* BYE, with 4 bytes of padding. */
  out[len++] = 0xa1;
  out[len++] = 203;
  out[len++] = 0;
  out[len++] = 2;
  GST_WRITE_UINT32_BE (out + len, 0xbbbbbbbb);
  GST_WRITE_UINT32_BE (out + len + 4, 0x00000004);
  len += 8;
  END_PACKET ();
#undef END_PACKET
  *n_boundaries = n;
  return len;
}

GST_START_TEST (test_malformed_rtcp_counted)
{
  Pair *pairs = pairs_new (1);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcFanoutViewerConfig config = { 0, };
  guint8 compound[512], bad[512];
  gsize boundaries[16], len, i;
  guint n_boundaries, viewer, stream, b;
  guint64 expected_malformed = 0, accepted = 0, refused = 0;
  Received head;
  GRand *rand;

  gst_debug_set_threshold_for_name ("rtcfanout", GST_LEVEL_ERROR);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config, stream, 96, 97, 0xa0, 0xa1, "0", MID_EXT_ID_A, 0);
  viewer = add_viewer (fanout, &pairs[0], &config);
  push (fanout, stream, VP8_KEY_START, 1, 0, TRUE);
  push (fanout, stream, VP8_DELTA_START, 2, 3000, TRUE);
  pump (pairs, 1);
  get_received (&pairs[0], 0, MID_EXT_ID_A, &head);

  len = make_compound (0xa0, head.seq, compound, boundaries, &n_boundaries);
  fail_unless (gst_rtc_fanout_handle_rtcp (fanout, viewer, compound, len));
  pump (pairs, 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "rtcp-malformed"),
      0);
  /* The NACK asked for two packets. */
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer,
          "retransmissions-sent"), 2);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "plis-received"), 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "firs-received"), 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "remb-received"), 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "remb-bitrate"),
      1500000);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer,
          "twcc-feedback-received"), 1);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "byes-received"), 1);

  /* Every truncation: one that ends between two packets is a shorter
   * valid compound, every other one is dropped whole and counted. */
  for (i = 0; i < len; i++) {
    gboolean boundary = FALSE;

    for (b = 0; b < n_boundaries; b++)
      boundary |= boundaries[b] == i;
    fail_unless (gst_rtc_fanout_handle_rtcp (fanout, viewer, compound,
            i) == boundary, "truncated at %u", (guint) i);
    if (!boundary)
      expected_malformed++;
  }
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "rtcp-malformed"),
      expected_malformed);

  /* Lies in the framing and in the fixed parts. */
#define EXPECT_REFUSED(what) G_STMT_START { \
    fail_if (gst_rtc_fanout_handle_rtcp (fanout, viewer, bad, len), what); \
    expected_malformed++; \
  } G_STMT_END
  memcpy (bad, compound, len);
  bad[0] = 0x41;
  EXPECT_REFUSED ("version 1");
  memcpy (bad, compound, len);
  bad[3] = 200;
  EXPECT_REFUSED ("length past the end");
  memcpy (bad, compound, len);
  bad[0] = 0x82;                /* RR with two blocks, room for one */
  EXPECT_REFUSED ("RR count");
  memcpy (bad, compound, len);
  bad[32 + 3] = 2;              /* NACK without FCI */
  bad[32 + 12] = 0x81;
  bad[32 + 13] = 202;
  bad[32 + 14] = 0;
  bad[32 + 15] = 0;
  EXPECT_REFUSED ("NACK without FCI");
  memcpy (bad, compound, len);
  bad[60 + 3] = 2;              /* FIR without entry */
  bad[60 + 12] = 0x80;
  bad[60 + 13] = 202;
  bad[60 + 14] = 0;
  bad[60 + 15] = 1;
  EXPECT_REFUSED ("FIR without entry");
  memcpy (bad, compound, len);
  bad[80 + 16] = 5;             /* REMB naming 5 SSRCs, with room for 1 */
  EXPECT_REFUSED ("REMB SSRC count");
  memcpy (bad, compound, len);
  bad[len - 1] = 0;
  EXPECT_REFUSED ("padding count 0");
  memcpy (bad, compound, len);
  bad[len - 1] = 9;
  EXPECT_REFUSED ("padding past the header");
#undef EXPECT_REFUSED
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "rtcp-malformed"),
      expected_malformed);

  /* Noise, some of it looking like RTCP: never a crash; each refusal is
   * counted once. */
  rand = g_rand_new_with_seed (4585);
  for (i = 0; i < 5000; i++) {
    gsize n = g_rand_int_range (rand, 0, 96), k;

    for (k = 0; k < n; k++)
      bad[k] = g_rand_int_range (rand, 0, 256);
    if (n > 4 && g_rand_boolean (rand)) {
      bad[0] = 0x80 | (bad[0] & 0x3f);
      bad[1] = 200 + g_rand_int_range (rand, 0, 8);
      GST_WRITE_UINT16_BE (bad + 2, n / 4 - 1);
      GST_WRITE_UINT32_BE (bad + 8, 0xa0);
    }
    if (gst_rtc_fanout_handle_rtcp (fanout, viewer, bad, n))
      accepted++;
    else
      refused++;
  }
  g_rand_free (rand);
  fail_unless (accepted > 0 && refused > 0);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer, "rtcp-malformed"),
      expected_malformed + refused);
  fail_unless_equals_uint64 (fanout_stat (fanout, "rtcp-malformed"),
      expected_malformed + refused);
  fail_if (gst_rtc_fanout_handle_rtcp (fanout, 999, compound, len));

  /* And the viewer is still served. */
  pump (pairs, 1);
  g_mutex_lock (&pairs[0].lock);
  g_ptr_array_set_size (pairs[0].rtp, 0);
  g_mutex_unlock (&pairs[0].lock);
  push (fanout, stream, VP8_DELTA_START, 3, 6000, TRUE);
  pump (pairs, 1);
  fail_unless_equals_int (n_rtp (&pairs[0]), 1);

  gst_object_unref (fanout);
  pairs_free (pairs, 1);
}

GST_END_TEST;

typedef struct
{
  GstRtcFanout *fanout;
  guint stream;
  guint n;
  gint done;
} Pusher;

static gpointer
push_thread (gpointer data)
{
  Pusher *pusher = data;
  guint i;

  for (i = 0; i < pusher->n; i++) {
    push (pusher->fanout, pusher->stream, OPUS, i, 960 * i, FALSE);
    if (i % 16 == 0)
      g_usleep (200);
  }
  g_atomic_int_set (&pusher->done, 1);
  return NULL;
}

GST_START_TEST (test_remove_while_pushing)
{
  const guint n_pairs = 4;
  Pair *pairs = pairs_new (n_pairs);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcFanoutViewerConfig config = { 0, };
  Pusher pusher = { fanout, 0, 1000, 0 };
  guint ids[4] = { 0, }, i, cycles = 0, counts[4];
  GThread *thread;

  pusher.stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_AUDIO,
      IN_SSRC, 48000);
  thread = g_thread_new ("pusher", push_thread, &pusher);
  while (!g_atomic_int_get (&pusher.done)) {
    i = cycles++ % n_pairs;
    if (ids[i] != 0) {
      fail_unless (gst_rtc_fanout_remove_viewer (fanout, ids[i]));
      ids[i] = 0;
    } else {
      /* Each subscription on a transport is a new SSRC: its SRTP sender
       * refuses numbers behind those it sent on an SSRC. */
      memset (&config, 0, sizeof (config));
      config_stream (&config, pusher.stream, 111, 0, 0x5000 + cycles, 0, "a",
          MID_EXT_ID_A, 0);
      ids[i] = add_viewer (fanout, &pairs[i], &config);
    }
    pump (pairs, n_pairs);
    g_usleep (100);
  }
  g_thread_join (thread);
  pump (pairs, n_pairs);
  fail_unless (cycles > 10, "only %u add/remove cycles", cycles);
  fail_unless_equals_uint64 (fanout_stat (fanout, "packets-in"), 1000);
  fail_unless_equals_uint64 (fanout_stat (fanout, "send-errors"), 0);
  for (i = 0; i < n_pairs; i++) {
    guint64 dropped;
    GstStructure *stats = gst_rtc_transport_get_stats (pairs[i].b);

    fail_unless (gst_structure_get_uint64 (stats, "dropped-unauthenticated",
            &dropped));
    fail_unless_equals_uint64 (dropped, 0);
    gst_structure_free (stats);
  }

  /* Once removed, a viewer gets nothing more. */
  for (i = 0; i < n_pairs; i++) {
    if (ids[i] != 0)
      fail_unless (gst_rtc_fanout_remove_viewer (fanout, ids[i]));
  }
  pump (pairs, n_pairs);
  for (i = 0; i < n_pairs; i++)
    counts[i] = n_rtp (&pairs[i]);
  pusher.n = 10;
  push_thread (&pusher);
  pump (pairs, n_pairs);
  for (i = 0; i < n_pairs; i++)
    fail_unless_equals_int (n_rtp (&pairs[i]), counts[i]);
  fail_unless_equals_int (gst_rtc_fanout_get_n_viewers (fanout), 0);

  gst_object_unref (fanout);
  pairs_free (pairs, n_pairs);
}

GST_END_TEST;

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

GST_START_TEST (test_hundred_viewers_no_thread)
{
  const guint n_pairs = 100;
  Pair *pairs = pairs_new (n_pairs);
  GstRtcFanout *fanout;
  guint threads_before, stream, i, seq, *ids = g_new0 (guint, n_pairs);

  threads_before = count_threads ();
  fanout = gst_rtc_fanout_new ();
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_AUDIO,
      IN_SSRC, 48000);
  for (i = 0; i < n_pairs; i++) {
    GstRtcFanoutViewerConfig config = { 0, };

    config_stream (&config, stream, 111, 0, 0x1000 + i, 0, "a", MID_EXT_ID_A,
        TWCC_EXT_ID);
    ids[i] = add_viewer (fanout, &pairs[i], &config);
  }
  for (seq = 0; seq < 20; seq++)
    push (fanout, stream, OPUS, seq, 960 * seq, FALSE);
  pump (pairs, n_pairs);
  for (i = 0; i < n_pairs; i++) {
    Received r;

    fail_unless_equals_int (n_rtp (&pairs[i]), 20);
    get_received (&pairs[i], 19, MID_EXT_ID_A, &r);
    fail_unless_equals_int (r.ssrc, 0x1000 + i);
    fail_unless_equals_int (r.tag, 19);
  }
  fail_unless_equals_uint64 (fanout_stat (fanout, "packets-out"),
      20 * n_pairs);
  fail_unless_equals_int (count_threads (), threads_before);

  for (i = 0; i < n_pairs; i++)
    fail_unless (gst_rtc_fanout_remove_viewer (fanout, ids[i]));
  gst_object_unref (fanout);
  fail_unless_equals_int (count_threads (), threads_before);
  g_free (ids);
  pairs_free (pairs, n_pairs);
}

GST_END_TEST;

GST_START_TEST (test_viewer_config)
{
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstRtcCertificate *certificate = gst_rtc_certificate_generate (NULL);
  GstRtcTransport *transport = gst_rtc_transport_new (certificate, NULL);
  g_autoptr (GstRtcFanoutViewerConfig) config =
      gst_rtc_fanout_viewer_config_new ();
  GstRtcFanoutViewerConfig *copy;
  GstRtcFanoutViewerConfig bad = { 0, };
  guint stream, i;

  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO, 1,
      90000);
  fail_unless (gst_rtc_fanout_viewer_config_add_stream (config, stream, 96,
          97, 5, 6, "video", 1, 3));
  copy = gst_rtc_fanout_viewer_config_copy (config);
  fail_unless_equals_int (copy->n_streams, 1);
  fail_unless_equals_string (gst_rtc_fanout_stream_config_get_mid
      (&copy->streams[0]), "video");
  fail_unless (gst_rtc_fanout_add_viewer (fanout, transport, copy) != 0);
  gst_rtc_fanout_viewer_config_free (copy);

  /* Refused: an unknown stream, the same stream twice, a long MID, one id
   * for two extensions. */
  config_stream (&bad, 5, 96, 0, 0, 0, NULL, 0, 0);
  fail_unless_equals_int (gst_rtc_fanout_add_viewer (fanout, transport, &bad),
      0);
  memset (&bad, 0, sizeof (bad));
  config_stream (&bad, stream, 96, 0, 0, 0, NULL, 0, 0);
  config_stream (&bad, stream, 96, 0, 0, 0, NULL, 0, 0);
  fail_unless_equals_int (gst_rtc_fanout_add_viewer (fanout, transport, &bad),
      0);
  memset (&bad, 0, sizeof (bad));
  /* A MID over 16 bytes is refused where the configuration is built, and
   * by add_viewer when the configuration was filled in by hand. */
  fail_if (gst_rtc_fanout_viewer_config_add_stream (&bad, stream, 96, 0, 0, 0,
          "seventeen-bytes!!", 1, 0));
  config_stream (&bad, stream, 96, 0, 0, 0, NULL, 1, 0);
  bad.streams[0].mid = "seventeen-bytes!!";
  fail_unless_equals_int (gst_rtc_fanout_add_viewer (fanout, transport, &bad),
      0);
  memset (&bad, 0, sizeof (bad));
  config_stream (&bad, stream, 96, 0, 0, 0, "v", 2, 2);
  fail_unless_equals_int (gst_rtc_fanout_add_viewer (fanout, transport, &bad),
      0);
  fail_unless_equals_int (gst_rtc_fanout_get_n_viewers (fanout), 1);

  /* Streams run out at GST_RTC_FANOUT_MAX_STREAMS. */
  for (i = 1; i < GST_RTC_FANOUT_MAX_STREAMS; i++)
    fail_unless (gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_AUDIO,
            i, 48000) != 0);
  fail_unless_equals_int (gst_rtc_fanout_add_stream (fanout,
          GST_RTC_MEDIA_KIND_AUDIO, 99, 48000), 0);

  gst_object_unref (fanout);
  gst_object_unref (transport);
  g_object_unref (certificate);
}

GST_END_TEST;

/* --- congestion control: per-viewer estimates, policy, thinning ---------- */

#define CC_FRAME_US 33333
#define CC_PACKET_LEN 1200
#define CC_PROPAGATION_US 20000
#define CC_BOTTLENECK_BPS 100000
#define CC_QUEUE_LIMIT_US 300000
#define CC_FEEDBACK_US 100000

/* The 0-2-1-2 pattern of rtcsink's vp8enc: layer of each frame and its
 * layer-sync bit (a frame that depends on the base layer only). */
static const guint cc_tids[4] = { 0, 2, 1, 2 };
static const gboolean cc_sync[4] = { TRUE, TRUE, TRUE, FALSE };

/* One packet per frame: a VP8 payload descriptor with a 15-bit picture
 * ID, TL0PICIDX and TID/Y, the VP8 header's P bit, then the input seq as
 * a tag. */
static GstBuffer *
make_vp8_layered (guint16 seq, guint32 ts, guint16 picture_id, guint8 tl0,
    guint tid, gboolean sync, gboolean key)
{
  guint8 payload[CC_PACKET_LEN];
  gsize i;

  payload[0] = 0x90;            /* X, S, partition 0 */
  payload[1] = 0xe0;            /* I, L, T */
  GST_WRITE_UINT16_BE (payload + 2, 0x8000 | (picture_id & 0x7fff));
  payload[4] = tl0;
  payload[5] = (tid << 6) | (sync ? 0x20 : 0);
  payload[6] = key ? 0x00 : 0x01;
  GST_WRITE_UINT16_BE (payload + 7, seq);
  for (i = 9; i < sizeof (payload); i++)
    payload[i] = (guint8) (seq + i);
  return make_rtp_raw (seq, ts, TRUE, payload, sizeof (payload));
}

/* What one simulated path did with each packet sent to its viewer. */
typedef struct
{
  guint16 twcc;
  gint64 arrival_us;            /* -1: lost */
} CcArrival;

typedef struct
{
  gboolean bottleneck;
  gint64 last_arrival_us;
  GArray *arrivals;             /* CcArrival, not yet reported */
  guint seen;                   /* packets of pair->rtp looked at */
  guint8 feedback_count;
} CcPath;

/* Every packet B got since the last look left at @send_us: over a
 * fixed delay, or through a FIFO bottleneck that drops what would wait
 * longer than CC_QUEUE_LIMIT_US. */
static void
cc_path_collect (CcPath * path, Pair * pair, gint64 send_us)
{
  while (path->seen < n_rtp (pair)) {
    Received r;
    CcArrival arrival;

    get_received (pair, path->seen++, MID_EXT_ID_A, &r);
    fail_unless (r.has_twcc);
    arrival.twcc = r.twcc;
    arrival.arrival_us = send_us + CC_PROPAGATION_US;
    if (path->bottleneck) {
      gint64 serialised = (gint64) (r.payload_len + 12 + 8 + 10 + 28) * 8 *
          G_USEC_PER_SEC / CC_BOTTLENECK_BPS;
      gint64 start = MAX (send_us, path->last_arrival_us - CC_PROPAGATION_US);

      if (start - send_us > CC_QUEUE_LIMIT_US) {
        arrival.arrival_us = -1;
      } else {
        arrival.arrival_us = start + serialised + CC_PROPAGATION_US;
        path->last_arrival_us = arrival.arrival_us;
      }
    }
    g_array_append_val (path->arrivals, arrival);
  }
}

/* Transport-wide-cc feedback for what has arrived (or is lost) by
 * @now_us, from B. */
static void
cc_path_feedback (CcPath * path, Pair * pair, gint64 now_us)
{
  GstRtcTwccFeedback fb = { 0, };
  GBytes *bytes;
  GError *error = NULL;
  gint64 first_arrival = -1;
  guint n = 0, i;

  for (n = 0; n < path->arrivals->len; n++) {
    CcArrival *a = &g_array_index (path->arrivals, CcArrival, n);

    if (a->arrival_us > now_us)
      break;
    if (a->arrival_us >= 0 && first_arrival < 0)
      first_arrival = a->arrival_us;
  }
  if (n == 0 || first_arrival < 0)
    return;
  fb.sender_ssrc = 0xbbbbbbbb;
  fb.media_ssrc = 0;
  fb.base_seq = g_array_index (path->arrivals, CcArrival, 0).twcc;
  fb.feedback_count = path->feedback_count++;
  fb.reference_time_us = first_arrival - first_arrival % 64000;
  fb.packets = g_array_new (FALSE, TRUE, sizeof (GstRtcTwccPacket));
  for (i = 0; i < n; i++) {
    CcArrival *a = &g_array_index (path->arrivals, CcArrival, i);
    GstRtcTwccPacket packet = { a->twcc, a->arrival_us >= 0,
      MAX (a->arrival_us, 0)
    };

    fail_unless_equals_int (a->twcc, (guint16) (fb.base_seq + i));
    g_array_append_val (fb.packets, packet);
  }
  g_array_remove_range (path->arrivals, 0, n);
  bytes = gst_rtc_twcc_feedback_write (&fb, &error);
  fail_unless (bytes != NULL, "%s", error ? error->message : "");
  send_rtcp_from_b (pair, gst_buffer_new_wrapped_bytes (bytes));
  g_bytes_unref (bytes);
  gst_rtc_twcc_feedback_clear (&fb);
}

static void
on_target_changed (GstRtcFanout * fanout, guint bitrate, guint * last)
{
  g_atomic_int_set (last, bitrate);
}

static gboolean
viewer_constrained (GstRtcFanout * fanout, guint viewer)
{
  GstStructure *s = gst_rtc_fanout_get_viewer_stats (fanout, viewer);
  gboolean constrained = FALSE;

  fail_unless (gst_structure_get_boolean (s, "constrained", &constrained));
  gst_structure_free (s);
  return constrained;
}

static guint
viewer_estimate (GstRtcFanout * fanout, guint viewer)
{
  GstStructure *s = gst_rtc_fanout_get_viewer_stats (fanout, viewer);
  guint estimate = 0;

  fail_unless (gst_structure_get_uint (s, "bandwidth-estimate", &estimate));
  gst_structure_free (s);
  return estimate;
}

/* Two viewers of one VP8 stream with three temporal layers. A's path is
 * clear; B's goes through a 100 kbit/s bottleneck, so its feedback shows
 * a queue that grows. B's estimate falls, the policy leaves B out, B
 * gets the base layer only, numbered without a gap, with consecutive
 * picture IDs, and A gets every packet. */
GST_START_TEST (test_congestion_thins_constrained_viewer)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  CcPath paths[2] = { {FALSE,}, {TRUE,} };
  guint stream, viewer_a, viewer_b, frame, i, last_target = 0;
  guint frames = 150, constrained_seen = 0, thinned_base_only = 0;
  gint64 feedback_due = 0;
  gboolean seen_thinning = FALSE;
  guint16 expected_seq = 0, expected_pid = 0;
  guint32 last_ts = 0;

  g_object_set (fanout, "max-bitrate", 2000000, "min-bitrate", 50000, NULL);
  g_signal_connect (fanout, "target-bitrate-changed",
      G_CALLBACK (on_target_changed), &last_target);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  fail_unless (gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8"));
  config_stream (&config, stream, 96, 97, 0, 0x22222222, "0", MID_EXT_ID_A,
      TWCC_EXT_ID);
  viewer_a = add_viewer (fanout, &pairs[0], &config);
  viewer_b = add_viewer (fanout, &pairs[1], &config);
  for (i = 0; i < 2; i++)
    paths[i].arrivals = g_array_new (FALSE, FALSE, sizeof (CcArrival));
  fail_unless_equals_int (gst_rtc_fanout_get_target_bitrate (fanout),
      2000000);

  for (frame = 0; frame < frames; frame++) {
    gint64 now_us = GST_TIME_AS_USECONDS (gst_clock_get_time (clock));
    guint tid = cc_tids[frame % 4];

    fail_unless (gst_rtc_fanout_push (fanout, stream,
            make_vp8_layered (1000 + frame, 3000 * frame, 100 + frame,
                frame / 4, tid, cc_sync[frame % 4], frame == 0)));
    pump (pairs, 2);
    for (i = 0; i < 2; i++)
      cc_path_collect (&paths[i], &pairs[i], now_us);
    if (now_us >= feedback_due) {
      for (i = 0; i < 2; i++)
        cc_path_feedback (&paths[i], &pairs[i], now_us);
      pump (pairs, 2);
      feedback_due = now_us + CC_FEEDBACK_US;
      /* The policy runs every 200 ms on its own; run it now, so that the
       * target matches the estimates read next. */
      gst_rtc_fanout_update_bandwidth (fanout);
      if (viewer_constrained (fanout, viewer_b)) {
        guint target = gst_rtc_fanout_get_target_bitrate (fanout);

        constrained_seen++;
        /* The slow viewer does not set the rate for all. */
        fail_unless (target >= 2 * viewer_estimate (fanout, viewer_b),
            "target %u, B's estimate %u", target,
            viewer_estimate (fanout, viewer_b));
        fail_unless_equals_int (target, viewer_estimate (fanout, viewer_a));
      }
      fail_if (viewer_constrained (fanout, viewer_a));
    }
    gst_test_clock_advance_time (GST_TEST_CLOCK (clock),
        CC_FRAME_US * GST_USECOND);
  }

  GST_INFO ("A: %u bit/s, B: %u bit/s, target %u, B constrained %u times",
      viewer_estimate (fanout, viewer_a), viewer_estimate (fanout, viewer_b),
      gst_rtc_fanout_get_target_bitrate (fanout), constrained_seen);
  fail_unless (viewer_estimate (fanout, viewer_b) > 0);
  fail_unless (viewer_estimate (fanout, viewer_b) <
      viewer_estimate (fanout, viewer_a) / 2);
  fail_unless (constrained_seen > 0);
  fail_unless (g_atomic_int_get (&last_target) > 0);

  /* A got every frame, untouched. */
  fail_unless_equals_int (n_rtp (&pairs[0]), frames);
  fail_unless_equals_int (viewer_stat (fanout, viewer_a, "frames-thinned"), 0);

  /* B: fewer frames, no gap in the numbering, picture IDs consecutive,
   * and once thinned to the base layer, only layer 0. */
  fail_unless (viewer_stat (fanout, viewer_b, "frames-thinned") > 0);
  fail_unless_equals_int (n_rtp (&pairs[1]) + viewer_stat (fanout, viewer_b,
          "packets-thinned"), frames);
  for (i = 0; i < n_rtp (&pairs[1]); i++) {
    Received r;
    guint16 pid, tag;
    guint in_tid;

    get_received (&pairs[1], i, MID_EXT_ID_A, &r);
    pid = GST_READ_UINT16_BE (r.payload + 2) & 0x7fff;
    tag = GST_READ_UINT16_BE (r.payload + 7);
    in_tid = r.payload[5] >> 6;
    if (i > 0) {
      fail_unless_equals_int (r.seq, expected_seq);
      fail_unless_equals_int (pid, expected_pid);
      fail_unless ((gint32) (r.ts - last_ts) > 0);
      if ((guint) (tag - 1000) != i)
        seen_thinning = TRUE;
    }
    if (seen_thinning && in_tid == 0)
      thinned_base_only++;
    /* The rest of the payload is the frame pushed. */
    fail_unless_equals_int (r.payload[6], tag == 1000 ? 0x00 : 0x01);
    fail_unless_equals_int (r.payload[9], (guint8) (tag + 9));
    expected_seq = r.seq + 1;
    expected_pid = (pid + 1) & 0x7fff;
    last_ts = r.ts;
  }
  fail_unless (seen_thinning);
  fail_unless (thinned_base_only > 0);

  /* A NACK from B for a packet it got maps back through the gaps, with
   * the picture ID B saw. */
  {
    Received last, resent;
    guint before = n_rtp (&pairs[1]);

    /* A few frames back: across thinning gaps. */
    get_received (&pairs[1], before - 5, MID_EXT_ID_A, &last);
    send_rtcp_from_b (&pairs[1], make_nack (last.ssrc, last.seq, 0));
    pump (pairs, 2);
    fail_unless_equals_int (n_rtp (&pairs[1]), before + 1);
    get_received (&pairs[1], before, MID_EXT_ID_A, &resent);
    fail_unless_equals_int (resent.pt, 97);
    fail_unless_equals_int (GST_READ_UINT16_BE (resent.payload), last.seq);
    fail_unless_equals_int (resent.payload_len, last.payload_len + 2);
    fail_unless (memcmp (resent.payload + 2, last.payload,
            last.payload_len) == 0);
  }

  for (i = 0; i < 2; i++)
    g_array_unref (paths[i].arrivals);
  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 2);
}

GST_END_TEST;

static GstBuffer *
make_remb (guint64 bitrate)
{
  GstBuffer *remb = gst_rtcp_buffer_new (1400);
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  guint exponent = 0;
  guint8 *fci;

  while ((bitrate >> exponent) > 0x3ffff)
    exponent++;
  gst_rtcp_buffer_map (remb, GST_MAP_READWRITE, &rtcp);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_AFB);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0xbbbbbbbb);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, 0);
  fail_unless (gst_rtcp_packet_fb_set_fci_length (&packet, 3));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  memcpy (fci, "REMB", 4);
  fci[4] = 1;
  fci[5] = (exponent << 2) | ((bitrate >> exponent) >> 16);
  GST_WRITE_UINT16_BE (fci + 6, (bitrate >> exponent) & 0xffff);
  GST_WRITE_UINT32_BE (fci + 8, IN_SSRC);
  gst_rtcp_buffer_unmap (&rtcp);
  return remb;
}

/* Two viewers that send only REMB, so that the test sets their
 * estimates. B goes down to the base layer at once (the next frame),
 * and back up one layer at a time, each at a layer-sync frame of that
 * layer; A gets everything throughout. */
GST_START_TEST (test_layer_switch_at_sync)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  guint stream, viewer_a, viewer_b, frame, i, n_b;
  /* The input TID of each frame B got, by input frame; -1: dropped. */
  gint got[48];
  guint16 expected_seq = 0;

  g_object_set (fanout, "max-bitrate", 2000000, NULL);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config, stream, 96, 0, 0, 0, NULL, 0, 0);
  viewer_a = add_viewer (fanout, &pairs[0], &config);
  viewer_b = add_viewer (fanout, &pairs[1], &config);

  for (frame = 0; frame < G_N_ELEMENTS (got); frame++) {
    if (frame == 0 || frame == 30) {
      send_rtcp_from_b (&pairs[0], make_remb (2000000));
      send_rtcp_from_b (&pairs[1], make_remb (2000000));
    }
    if (frame == 9) {
      /* Frame 9 has layer 2 and is not a layer-sync frame: B drops to
       * the base layer there. */
      send_rtcp_from_b (&pairs[0], make_remb (2000000));
      send_rtcp_from_b (&pairs[1], make_remb (60000));
    }
    pump (pairs, 2);
    gst_rtc_fanout_update_bandwidth (fanout);
    if (frame == 9)
      fail_unless (viewer_constrained (fanout, viewer_b));
    if (frame == 30)
      fail_if (viewer_constrained (fanout, viewer_b));

    n_b = n_rtp (&pairs[1]);
    fail_unless (gst_rtc_fanout_push (fanout, stream,
            make_vp8_layered (1000 + frame, 3000 * frame, 100 + frame,
                frame / 4, cc_tids[frame % 4], cc_sync[frame % 4],
                frame == 0)));
    pump (pairs, 2);
    got[frame] = -1;
    if (n_rtp (&pairs[1]) > n_b) {
      Received r;

      fail_unless_equals_int (n_rtp (&pairs[1]), n_b + 1);
      get_received (&pairs[1], n_b, 0, &r);
      fail_unless_equals_int (GST_READ_UINT16_BE (r.payload + 7),
          1000 + frame);
      if (n_b > 0)
        fail_unless_equals_int (r.seq, expected_seq);
      expected_seq = r.seq + 1;
      got[frame] = r.payload[5] >> 6;
    }
    gst_test_clock_advance_time (GST_TEST_CLOCK (clock),
        CC_FRAME_US * GST_USECOND);
  }

  fail_unless_equals_int (n_rtp (&pairs[0]), G_N_ELEMENTS (got));
  for (frame = 0; frame < 9; frame++)
    fail_unless_equals_int (got[frame], (gint) cc_tids[frame % 4]);
  /* Constrained: the base layer only, from frame 9 on. */
  for (frame = 9; frame < 30; frame++)
    fail_unless_equals_int (got[frame], frame % 4 == 0 ? 0 : -1);
  /* Frame 30 has layer 1 and layer sync: B climbs to layer 1 there; 31
   * has layer 2 and is dropped (B is at 1); 33 (layer 2, sync) takes B
   * to all layers. */
  fail_unless_equals_int (got[30], 1);
  fail_unless_equals_int (got[31], -1);
  fail_unless_equals_int (got[32], 0);
  for (frame = 33; frame < G_N_ELEMENTS (got); frame++)
    fail_unless_equals_int (got[frame], (gint) cc_tids[frame % 4]);
  fail_unless_equals_int (viewer_stat (fanout, viewer_a, "frames-thinned"), 0);
  i = viewer_stat (fanout, viewer_b, "frames-thinned");
  fail_unless (i > 0);

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 2);
}

GST_END_TEST;

/* A lone viewer that reports less than min-bitrate: the encoder gets
 * the floor, and the viewer gets every layer all the same (it is the
 * one the rate is for). */
GST_START_TEST (test_lone_viewer_not_thinned)
{
  Pair *pairs = pairs_new (1);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  guint stream, viewer, frame;

  g_object_set (fanout, "max-bitrate", 2000000, "min-bitrate", 100000, NULL);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config, stream, 96, 0, 0, 0, NULL, 0, 0);
  viewer = add_viewer (fanout, &pairs[0], &config);
  send_rtcp_from_b (&pairs[0], make_remb (50000));
  pump (pairs, 1);
  gst_rtc_fanout_update_bandwidth (fanout);
  /* The estimator does not go below the floor either. */
  fail_unless_equals_int (viewer_estimate (fanout, viewer), 100000);
  fail_unless_equals_int (gst_rtc_fanout_get_target_bitrate (fanout), 100000);

  for (frame = 0; frame < 12; frame++) {
    fail_unless (gst_rtc_fanout_push (fanout, stream,
            make_vp8_layered (1000 + frame, 3000 * frame, 100 + frame,
                frame / 4, cc_tids[frame % 4], cc_sync[frame % 4],
                frame == 0)));
    pump (pairs, 1);
    gst_test_clock_advance_time (GST_TEST_CLOCK (clock),
        CC_FRAME_US * GST_USECOND);
  }
  fail_unless_equals_int (n_rtp (&pairs[0]), 12);
  fail_unless_equals_int (viewer_stat (fanout, viewer, "frames-thinned"), 0);

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 1);
}

GST_END_TEST;

/* A viewer that sends neither transport-wide-cc nor REMB: the loss its
 * receiver reports count between them drives the loss-based estimate. */
GST_START_TEST (test_receiver_report_loss_estimate)
{
  Pair *pairs = pairs_new (1);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  GstStructure *stats;
  const gchar *source;
  guint stream, viewer, report;
  gdouble loss = 0;

  g_object_set (fanout, "max-bitrate", 2000000, NULL);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config, stream, 96, 0, 0x33333333, 0, NULL, 0, 0);
  viewer = add_viewer (fanout, &pairs[0], &config);
  fail_unless_equals_int (viewer_estimate (fanout, viewer), 0);

  /* Every 250 ms 100 more packets expected, 30 of them lost. */
  for (report = 0; report < 6; report++) {
    GstBuffer *rr = gst_rtcp_buffer_new (1400);
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    GstRTCPPacket packet;

    gst_rtcp_buffer_map (rr, GST_MAP_READWRITE, &rtcp);
    fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_RR,
            &packet));
    gst_rtcp_packet_rr_set_ssrc (&packet, 0xbbbbbbbb);
    fail_unless (gst_rtcp_packet_add_rb (&packet, 0x33333333, 77,
            30 * report, 1000 + 100 * report, 0, 0, 0));
    gst_rtcp_buffer_unmap (&rtcp);
    send_rtcp_from_b (&pairs[0], rr);
    pump (pairs, 1);
    gst_test_clock_advance_time (GST_TEST_CLOCK (clock),
        250 * GST_MSECOND);
  }
  gst_rtc_fanout_update_bandwidth (fanout);

  stats = gst_rtc_fanout_get_viewer_stats (fanout, viewer);
  source = gst_structure_get_string (stats, "estimate-source");
  fail_unless_equals_string (source, "receiver-reports");
  fail_unless (gst_structure_get_double (stats, "loss-fraction", &loss));
  fail_unless (loss > 0.29 && loss < 0.31, "loss %f", loss);
  gst_structure_free (stats);
  /* Five intervals of 30 % loss: down by 15 % each. */
  fail_unless (viewer_estimate (fanout, viewer) < 2000000 * 0.85 * 0.85,
      "estimate %u", viewer_estimate (fanout, viewer));
  fail_unless_equals_int (gst_rtc_fanout_get_target_bitrate (fanout),
      viewer_estimate (fanout, viewer));

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 1);
}

GST_END_TEST;

/* A viewer without transport-wide-cc gets its estimate from REMB, and
 * alone is never constrained. */
GST_START_TEST (test_congestion_remb_only_viewer)
{
  Pair *pairs = pairs_new (1);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  GstStructure *bw;
  const GValue *viewers;
  guint stream, viewer;
  GstBuffer *remb;
  guint8 *fci;
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;

  g_object_set (fanout, "max-bitrate", 2000000, NULL);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  /* No transport-wide-cc: the estimate comes from REMB. */
  config_stream (&config, stream, 96, 0, 0, 0, NULL, 0, 0);
  viewer = add_viewer (fanout, &pairs[0], &config);
  fail_unless_equals_int (viewer_estimate (fanout, viewer), 0);

  /* REMB of 500 kbit/s: exponent 1, mantissa 250000. */
  remb = gst_rtcp_buffer_new (1400);
  gst_rtcp_buffer_map (remb, GST_MAP_READWRITE, &rtcp);
  fail_unless (gst_rtcp_buffer_add_packet (&rtcp, GST_RTCP_TYPE_PSFB,
          &packet));
  gst_rtcp_packet_fb_set_type (&packet, GST_RTCP_PSFB_TYPE_AFB);
  gst_rtcp_packet_fb_set_sender_ssrc (&packet, 0xbbbbbbbb);
  gst_rtcp_packet_fb_set_media_ssrc (&packet, 0);
  fail_unless (gst_rtcp_packet_fb_set_fci_length (&packet, 3));
  fci = gst_rtcp_packet_fb_get_fci (&packet);
  memcpy (fci, "REMB", 4);
  fci[4] = 1;
  fci[5] = (1 << 2) | (250000 >> 16);
  GST_WRITE_UINT16_BE (fci + 6, 250000 & 0xffff);
  GST_WRITE_UINT32_BE (fci + 8, IN_SSRC);
  gst_rtcp_buffer_unmap (&rtcp);
  send_rtcp_from_b (&pairs[0], remb);
  pump (pairs, 1);
  gst_rtc_fanout_update_bandwidth (fanout);

  fail_unless_equals_int (viewer_estimate (fanout, viewer), 500000);
  fail_unless_equals_int (gst_rtc_fanout_get_target_bitrate (fanout), 500000);
  fail_if (viewer_constrained (fanout, viewer));

  /* Transport-wide-cc feedback whose status chunks claim more packets
   * than it holds: counted, dropped, the estimate untouched. */
  {
    guint8 bad[20] = { 0x8f, 205, 0x00, 0x04, 0xbb, 0xbb, 0xbb, 0xbb,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00,
      0x00, 0x00, 0x00, 0x01
    };

    send_rtcp_from_b (&pairs[0], gst_buffer_new_memdup (bad, sizeof (bad)));
    pump (pairs, 1);
    fail_unless_equals_int (viewer_stat (fanout, viewer,
            "twcc-feedback-malformed"), 1);
    fail_unless_equals_int (viewer_stat (fanout, viewer,
            "twcc-feedback-received"), 1);
    fail_unless_equals_int (viewer_estimate (fanout, viewer), 500000);
  }

  bw = gst_rtc_fanout_get_bandwidth_stats (fanout);
  viewers = gst_structure_get_value (bw, "viewers");
  fail_unless (viewers != NULL && gst_value_list_get_size (viewers) == 1);
  {
    const GstStructure *v =
        gst_value_get_structure (gst_value_list_get_value (viewers, 0));
    guint estimate = 0;

    fail_unless (gst_structure_get_uint (v, "estimate", &estimate));
    fail_unless_equals_int (estimate, 500000);
  }
  gst_structure_free (bw);

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 1);
}

GST_END_TEST;

/* A NACK repeated within a round trip is not answered twice, and
 * retransmissions fill only the room the viewer's estimate leaves. */
GST_START_TEST (test_retransmissions_bounded)
{
  Pair *pairs = pairs_new (1);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  guint stream, viewer;
  guint16 seq;
  guint64 sent, over;
  Received head;

  g_object_set (fanout, "max-bitrate", 2000000, "min-bitrate", 50000, NULL);
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  config_stream (&config, stream, 96, 97, 0xa0a0a0a0, 0xa1a1a1a1, "0",
      MID_EXT_ID_A, 0);
  viewer = add_viewer (fanout, &pairs[0], &config);

  push (fanout, stream, VP8_KEY_START, 100, 0, TRUE);
  for (seq = 101; seq < 140; seq++)
    push (fanout, stream, VP8_DELTA_START, seq, 3000 * (seq - 100), TRUE);
  pump (pairs, 1);
  fail_unless_equals_int (n_rtp (&pairs[0]), 40);
  get_received (&pairs[0], 0, MID_EXT_ID_A, &head);

  /* No round-trip time known: a repetition within 100 ms is dropped, one
   * after it answered. */
  send_rtcp_from_b (&pairs[0], make_nack (0xa0a0a0a0, head.seq + 3, 0));
  send_rtcp_from_b (&pairs[0], make_nack (0xa0a0a0a0, head.seq + 3, 0));
  pump (pairs, 1);
  fail_unless_equals_int (n_rtp (&pairs[0]), 41);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer,
          "retransmissions-suppressed"), 1);
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 150 * GST_MSECOND);
  send_rtcp_from_b (&pairs[0], make_nack (0xa0a0a0a0, head.seq + 3, 0));
  pump (pairs, 1);
  fail_unless_equals_int (n_rtp (&pairs[0]), 42);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer,
          "retransmissions-sent"), 2);

  /* An estimate of 100 kbit/s (REMB), then 40 packets at once: about
   * 42 kbit on their way, more than the 10 kbit (100 ms) the viewer may
   * have queued before a retransmission. */
  send_rtcp_from_b (&pairs[0], make_remb (100000));
  pump (pairs, 1);
  gst_rtc_fanout_update_bandwidth (fanout);
  fail_unless_equals_int (viewer_estimate (fanout, viewer), 100000);
  for (seq = 140; seq < 180; seq++)
    push (fanout, stream, VP8_DELTA_START, seq, 3000 * (seq - 100), TRUE);
  pump (pairs, 1);
  fail_unless_equals_int (n_rtp (&pairs[0]), 82);
  send_rtcp_from_b (&pairs[0], make_nack (0xa0a0a0a0, head.seq + 50,
          0xffff));
  pump (pairs, 1);
  fail_unless_equals_int (n_rtp (&pairs[0]), 82);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer,
          "retransmissions-over-budget"), 17);

  /* 500 ms later that has drained: some of the 17 go, not all (each is
   * about 1 kbit). */
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 500 * GST_MSECOND);
  send_rtcp_from_b (&pairs[0], make_nack (0xa0a0a0a0, head.seq + 50,
          0xffff));
  pump (pairs, 1);
  sent = viewer_stat (fanout, viewer, "retransmissions-sent") - 2;
  over = viewer_stat (fanout, viewer, "retransmissions-over-budget") - 17;
  GST_INFO ("after draining: %" G_GUINT64_FORMAT " resent, %"
      G_GUINT64_FORMAT " over the budget", sent, over);
  fail_unless (sent > 0 && sent < 17);
  fail_unless_equals_uint64 (sent + over, 17);
  fail_unless_equals_int (n_rtp (&pairs[0]), 82 + sent);

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 1);
}

GST_END_TEST;

/* A ladder: stream 1 (primary) and stream 2, the same frames encoded
 * smaller (300 kbit/s) on the same timestamps. A (2 Mbit/s) stays on the
 * primary; B (400 kbit/s) is moved to the rendition at its key frame,
 * with its numbering, timestamps, picture IDs and TL0PICIDX going on
 * without a jump, and a NACK for a packet of the rendition is answered
 * from the rendition's history. */
static guint
viewer_source (GstRtcFanout * fanout, guint viewer)
{
  GstStructure *s = gst_rtc_fanout_get_viewer_stats (fanout, viewer);
  const GstStructure *st;
  guint source = 0;

  st = gst_value_get_structure (gst_structure_get_value (s, "stream-1"));
  fail_unless (gst_structure_get_uint (st, "source-stream", &source));
  gst_structure_free (s);
  return source;
}

GST_START_TEST (test_rendition_switch)
{
  Pair *pairs = pairs_new (2);
  GstRtcFanout *fanout = gst_rtc_fanout_new ();
  GstClock *clock = use_test_clock (fanout);
  GstRtcFanoutViewerConfig config = { 0, };
  guint primary, rendition, viewer_a, viewer_b, frame, i, n_before;
  gboolean switched = FALSE;
  Received r, prev;

  g_object_set (fanout, "max-bitrate", 2000000, "min-bitrate", 50000, NULL);
  primary = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC, 90000);
  rendition = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      IN_SSRC + 1, 90000);
  fail_unless (gst_rtc_fanout_set_stream_codec (fanout, primary, "VP8"));
  fail_unless (gst_rtc_fanout_set_stream_codec (fanout, rendition, "VP8"));
  fail_unless (gst_rtc_fanout_set_stream_rendition (fanout, rendition,
          primary, 300000));
  /* Not a rendition of itself, nor of a rendition. */
  fail_if (gst_rtc_fanout_set_stream_rendition (fanout, primary, primary,
          300000));
  fail_if (gst_rtc_fanout_set_stream_rendition (fanout, primary, rendition,
          300000));
  fail_if (gst_rtc_fanout_set_stream_rendition (fanout, rendition, 9,
          300000));
  config_stream (&config, primary, 96, 97, 0, 0x22222222, "0", MID_EXT_ID_A,
      0);
  viewer_a = add_viewer (fanout, &pairs[0], &config);
  viewer_b = add_viewer (fanout, &pairs[1], &config);
  send_rtcp_from_b (&pairs[0], make_remb (2000000));
  send_rtcp_from_b (&pairs[1], make_remb (400000));
  pump (pairs, 2);
  gst_rtc_fanout_update_bandwidth (fanout);
  fail_unless (viewer_constrained (fanout, viewer_b));
  fail_unless_equals_int (viewer_source (fanout, viewer_a), primary);
  fail_unless_equals_int (viewer_source (fanout, viewer_b), primary);

  /* 12 frames of both; the primary's picture IDs start at 1000 and
   * TL0PICIDX at 50, the rendition's at 7000 and 200; the rendition has
   * key frames at 3 and 6 (the primary only at 0). */
  for (frame = 0; frame < 12; frame++) {
    guint32 ts = 3000 * frame;

    /* The rendition's key frame at 3 comes after the primary's frame 3:
     * not taken (that picture was sent); the one at 6 comes first. */
    if (frame != 3)
      fail_unless (gst_rtc_fanout_push (fanout, rendition,
              make_vp8_layered (5000 + frame, ts, 7000 + frame, 200 + frame,
                  0, TRUE, frame == 6)));
    fail_unless (gst_rtc_fanout_push (fanout, primary,
            make_vp8_layered (100 + frame, ts, 1000 + frame, 50 + frame, 0,
                TRUE, frame == 0)));
    if (frame == 3)
      fail_unless (gst_rtc_fanout_push (fanout, rendition,
              make_vp8_layered (5000 + frame, ts, 7000 + frame, 200 + frame,
                  0, TRUE, TRUE)));
    pump (pairs, 2);
  }
  /* A: the primary's 12 packets; B: 6 of the primary, then the
   * rendition from its key frame. */
  fail_unless_equals_int (n_rtp (&pairs[0]), 12);
  fail_unless_equals_int (n_rtp (&pairs[1]), 12);
  fail_unless_equals_int (viewer_source (fanout, viewer_a), primary);
  fail_unless_equals_int (viewer_source (fanout, viewer_b), rendition);
  fail_unless_equals_uint64 (viewer_stat (fanout, viewer_b,
          "rendition-switches"), 1);
  for (i = 0; i < 12; i++) {
    guint16 tag, pid;

    get_received (&pairs[1], i, MID_EXT_ID_A, &r);
    tag = GST_READ_UINT16_BE (r.payload + 7);
    pid = GST_READ_UINT16_BE (r.payload + 2) & 0x7fff;
    fail_unless_equals_int (tag, i < 6 ? 100 + i : 5000 + i);
    if (tag == 5006)
      switched = TRUE;
    if (i > 0) {
      get_received (&pairs[1], i - 1, MID_EXT_ID_A, &prev);
      fail_unless_equals_int ((guint16) (r.seq - prev.seq), 1);
      fail_unless_equals_int (r.ts - prev.ts, 3000);
      fail_unless_equals_int (pid,
          ((GST_READ_UINT16_BE (prev.payload + 2) & 0x7fff) + 1) & 0x7fff);
      fail_unless_equals_int (r.payload[4], (guint8) (prev.payload[4] + 1));
    }
  }
  fail_unless (switched);

  /* B NACKs the rendition's tenth frame: it comes from the rendition
   * (once what was sent to B drained at its estimate). */
  gst_test_clock_advance_time (GST_TEST_CLOCK (clock), 500 * GST_MSECOND);
  get_received (&pairs[1], 9, MID_EXT_ID_A, &prev);
  n_before = n_rtp (&pairs[1]);
  send_rtcp_from_b (&pairs[1], make_nack (prev.ssrc, prev.seq, 0));
  pump (pairs, 2);
  fail_unless_equals_int (n_rtp (&pairs[1]), n_before + 1);
  get_received (&pairs[1], n_before, MID_EXT_ID_A, &r);
  fail_unless_equals_int (GST_READ_UINT16_BE (r.payload), prev.seq);
  fail_unless (memcmp (r.payload + 2, prev.payload, prev.payload_len) == 0);

  /* A got the primary throughout. */
  for (i = 0; i < 12; i++) {
    get_received (&pairs[0], i, MID_EXT_ID_A, &r);
    fail_unless_equals_int (GST_READ_UINT16_BE (r.payload + 7), 100 + i);
  }
  fail_unless_equals_int (n_rtp (&pairs[0]), 12);

  gst_object_unref (fanout);
  gst_object_unref (clock);
  pairs_free (pairs, 2);
}

GST_END_TEST;

static Suite *
fanout_suite (void)
{
  Suite *s = suite_create ("rtcfanout");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_viewer_config);
  tcase_add_test (tc, test_forward_rewrites_per_viewer);
  tcase_add_test (tc, test_late_joiner_contiguous);
  tcase_add_test (tc, test_nack_answered_with_rtx);
  tcase_add_test (tc, test_retransmissions_bounded);
  tcase_add_test (tc, test_rendition_switch);
  tcase_add_test (tc, test_keyframe_requests_merged);
  tcase_add_test (tc, test_joiner_gets_cached_keyframe);
  tcase_add_test (tc, test_h264_keyframes_found);
  tcase_add_test (tc, test_sender_and_receiver_reports);
  tcase_add_test (tc, test_malformed_rtcp_counted);
  tcase_add_test (tc, test_remove_while_pushing);
  tcase_add_test (tc, test_hundred_viewers_no_thread);
  tcase_add_test (tc, test_congestion_thins_constrained_viewer);
  tcase_add_test (tc, test_congestion_remb_only_viewer);
  tcase_add_test (tc, test_layer_switch_at_sync);
  tcase_add_test (tc, test_lone_viewer_not_thinned);
  tcase_add_test (tc, test_receiver_report_loss_estimate);
  return s;
}

GST_CHECK_MAIN (fanout);
