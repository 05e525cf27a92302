/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstRtcSsrcRouter on hand-built RTP packets: every rule that places an
 * SSRC on an m-line, the packets it must refuse to place, and malformed
 * input at every length. The descriptions are built by hand, not parsed,
 * so that only the router is under test. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>

#include <string.h>

#define MID_EXT_ID 1
#define RID_EXT_ID 2
#define TWO_BYTE_MID_EXT_ID 20

typedef struct
{
  GstRtcMediaDescription media[3];
  GstRtcCodec codecs[3][2];
  GPtrArray *array;
} Description;

/* Fills a description of @n m-lines, with mids "0", "1", ... and one codec
 * each, of payload type @pts[i]. */
static void
description_init (Description * desc, guint n, const guint * pts,
    guint mid_ext_id)
{
  static const gchar *mids[] = { "0", "1", "2" };
  guint i;

  memset (desc, 0, sizeof (*desc));
  desc->array = g_ptr_array_new ();
  for (i = 0; i < n; i++) {
    GstRtcMediaDescription *media = &desc->media[i];

    media->mline = i;
    media->mid = (gchar *) mids[i];
    media->kind = GST_RTC_MEDIA_KIND_VIDEO;
    media->direction = GST_RTC_DIRECTION_SENDRECV;
    media->codecs = g_ptr_array_new ();
    desc->codecs[i][0].payload_type = pts[i];
    desc->codecs[i][0].encoding_name = (gchar *) "VP8";
    desc->codecs[i][0].clock_rate = 90000;
    g_ptr_array_add (media->codecs, &desc->codecs[i][0]);
    media->ext_mid = mid_ext_id;
    g_ptr_array_add (desc->array, media);
  }
}

static void
description_clear (Description * desc)
{
  guint i;

  for (i = 0; i < desc->array->len; i++)
    g_ptr_array_unref (desc->media[i].codecs);
  g_ptr_array_unref (desc->array);
}

/* Writes an RTP packet into @out: fixed header, then an optional header
 * extension block (@ext, already in RFC 8285 form, with its profile), then
 * a payload of @payload_len bytes of 0x00. Returns the length. */
static gsize
build_packet (guint8 * out, guint8 pt, guint32 ssrc, guint16 profile,
    const guint8 * ext, gsize ext_len, gsize payload_len)
{
  gsize len = 12;
  gsize padded_ext = (ext_len + 3) / 4 * 4;

  memset (out, 0, 12 + 4 + padded_ext + payload_len);
  out[0] = 0x80 | (ext != NULL ? 0x10 : 0);
  out[1] = pt;
  out[2] = 0x12;
  out[3] = 0x34;
  GST_WRITE_UINT32_BE (out + 4, 90000);
  GST_WRITE_UINT32_BE (out + 8, ssrc);
  if (ext != NULL) {
    GST_WRITE_UINT16_BE (out + 12, profile);
    GST_WRITE_UINT16_BE (out + 14, padded_ext / 4);
    memcpy (out + 16, ext, ext_len);
    len += 4 + padded_ext;
  }
  len += payload_len;
  return len;
}

/* A one-byte-form element list carrying a string for @id. */
static gsize
one_byte_element (guint8 * out, guint id, const gchar * value)
{
  gsize len = strlen (value);

  out[0] = (id << 4) | (len - 1);
  memcpy (out + 1, value, len);
  return len + 1;
}

static gsize
two_byte_element (guint8 * out, guint id, const gchar * value)
{
  gsize len = strlen (value);

  out[0] = id;
  out[1] = len;
  memcpy (out + 2, value, len);
  return len + 2;
}

static gint
route_one_byte (GstRtcSsrcRouter * router, guint8 pt, guint32 ssrc,
    guint id, const gchar * value)
{
  guint8 ext[32], packet[128];
  gsize ext_len = one_byte_element (ext, id, value);
  gsize len = build_packet (packet, pt, ssrc, 0xBEDE, ext, ext_len, 20);

  return gst_rtc_ssrc_router_route (router, packet, len, 1000);
}

static gint
route_plain (GstRtcSsrcRouter * router, guint8 pt, guint32 ssrc)
{
  guint8 packet[64];
  gsize len = build_packet (packet, pt, ssrc, 0, NULL, 0, 20);

  return gst_rtc_ssrc_router_route (router, packet, len, 1000);
}

GST_START_TEST (test_mid_one_byte)
{
  static const guint pts[] = { 96, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);

  /* Same payload type on both m-lines: only the MID tells them apart. */
  fail_unless_equals_int (route_one_byte (router, 96, 0xaaaa, MID_EXT_ID,
          "1"), 1);
  fail_unless_equals_int (route_one_byte (router, 96, 0xbbbb, MID_EXT_ID,
          "0"), 0);
  /* Learnt: later packets need no MID. */
  fail_unless_equals_int (route_plain (router, 96, 0xaaaa), 1);
  fail_unless_equals_int (route_plain (router, 96, 0xbbbb), 0);
  fail_unless_equals_int (gst_rtc_ssrc_router_lookup (router, 0xaaaa), 1);
  /* A MID wins over what was learnt. */
  fail_unless_equals_int (route_one_byte (router, 96, 0xaaaa, MID_EXT_ID,
          "0"), 0);
  fail_unless_equals_int (route_plain (router, 96, 0xaaaa), 0);
  /* Another extension id is not the MID. */
  fail_unless_equals_int (route_one_byte (router, 96, 0xcccc, 3, "1"), -1);
  /* An unknown MID is not guessed. */
  fail_unless_equals_int (route_one_byte (router, 96, 0xdddd, MID_EXT_ID,
          "7"), -1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_mid_among_other_elements)
{
  static const guint pts[] = { 96, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  guint8 ext[32], packet[128];
  gsize ext_len = 0, len;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);

  /* A TWCC element (id 3, 2 bytes), padding, then the MID. */
  ext[ext_len++] = (3 << 4) | 1;
  ext[ext_len++] = 0x00;
  ext[ext_len++] = 0x01;
  ext[ext_len++] = 0x00;
  ext_len += one_byte_element (ext + ext_len, MID_EXT_ID, "1");
  len = build_packet (packet, 96, 0x1234, 0xBEDE, ext, ext_len, 10);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      1);

  /* Elements after id 15 are not read (RFC 8285 section 4.2). */
  ext_len = 0;
  ext[ext_len++] = 0xf0;
  ext_len += one_byte_element (ext + ext_len, MID_EXT_ID, "1");
  len = build_packet (packet, 96, 0x5678, 0xBEDE, ext, ext_len, 10);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_mid_two_byte)
{
  static const guint pts[] = { 96, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  guint8 ext[32], packet[128];
  gsize ext_len, len;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);

  ext_len = two_byte_element (ext, MID_EXT_ID, "1");
  len = build_packet (packet, 96, 0x1111, 0x1000, ext, ext_len, 10);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      1);
  /* The low four "appbits" of the profile may be anything. */
  ext_len = two_byte_element (ext, MID_EXT_ID, "0");
  len = build_packet (packet, 96, 0x2222, 0x100f, ext, ext_len, 10);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      0);
  description_clear (&desc);

  /* An id above 14 exists only in the two-byte form. */
  description_init (&desc, 2, pts, TWO_BYTE_MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);
  ext[0] = 0;                   /* a padding byte first */
  ext_len = 1 + two_byte_element (ext + 1, TWO_BYTE_MID_EXT_ID, "1");
  len = build_packet (packet, 96, 0x3333, 0x1000, ext, ext_len, 10);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_rid)
{
  static const guint pts[] = { 96, 96 };
  static gchar *rids0[] = { (gchar *) "hi", (gchar *) "lo", NULL };
  static gchar *rids1[] = { (gchar *) "q", NULL };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;

  description_init (&desc, 2, pts, 0);
  desc.media[0].rids = rids0;
  desc.media[0].ext_rid = RID_EXT_ID;
  desc.media[1].rids = rids1;
  desc.media[1].ext_rid = RID_EXT_ID;
  gst_rtc_ssrc_router_set_media (router, desc.array);

  fail_unless_equals_int (route_one_byte (router, 96, 0x10, RID_EXT_ID, "lo"),
      0);
  fail_unless_equals_int (route_one_byte (router, 96, 0x11, RID_EXT_ID, "q"),
      1);
  fail_unless_equals_int (route_one_byte (router, 96, 0x12, RID_EXT_ID, "hi"),
      0);
  fail_unless_equals_int (route_one_byte (router, 96, 0x13, RID_EXT_ID, "x"),
      -1);
  fail_unless_equals_int (route_plain (router, 96, 0x11), 1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

/* A peer that writes no MID extension: the a=ssrc lines decide. */
GST_START_TEST (test_signalled_ssrc)
{
  static const guint pts[] = { 96, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;

  description_init (&desc, 2, pts, 0);
  desc.media[0].ssrc = 0x1111;
  desc.media[0].rtx_ssrc = 0x1112;
  desc.media[1].ssrc = 0x2222;
  desc.media[1].rtx_ssrc = 0x2223;
  gst_rtc_ssrc_router_set_media (router, desc.array);

  fail_unless_equals_int (route_plain (router, 96, 0x2222), 1);
  fail_unless_equals_int (route_plain (router, 96, 0x1111), 0);
  fail_unless_equals_int (route_plain (router, 97, 0x2223), 1);
  fail_unless_equals_int (route_plain (router, 97, 0x1112), 0);
  /* RTCP from a signalled SSRC is placed before any RTP was seen. */
  gst_rtc_ssrc_router_forget (router, 0x2222);
  fail_unless_equals_int (gst_rtc_ssrc_router_lookup (router, 0x2222), 1);
  fail_unless_equals_int (gst_rtc_ssrc_router_lookup (router, 0x9999), -1);
  /* Not signalled, and the payload type is on both m-lines. */
  fail_unless_equals_int (route_plain (router, 96, 0x3333), -1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_payload_type)
{
  static const guint pts[] = { 111, 96, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  gint i;

  description_init (&desc, 3, pts, MID_EXT_ID);
  desc.codecs[1][0].rtx_payload_type = 97;
  desc.codecs[2][0].rtx_payload_type = 98;
  gst_rtc_ssrc_router_set_media (router, desc.array);

  /* 111 is m-line 0's only. */
  fail_unless_equals_int (route_plain (router, 111, 0x1), 0);
  fail_unless_equals_int (route_plain (router, 111 | 0x80, 0x1), 0);
  /* An RTX payload type belongs to its m-line too. */
  fail_unless_equals_int (route_plain (router, 98, 0x2), 2);
  /* 96 is on two m-lines: held, never guessed, however often it comes. */
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (route_plain (router, 96, 0x3), -1);
  /* ... until a packet of that SSRC carries the MID. */
  fail_unless_equals_int (route_one_byte (router, 96, 0x3, MID_EXT_ID, "2"),
      2);
  fail_unless_equals_int (route_plain (router, 96, 0x3), 2);
  /* A payload type nobody uses is not m-line 0. */
  fail_unless_equals_int (route_plain (router, 100, 0x4), -1);

  /* An m-line the peer does not send on does not own its payload types. */
  desc.media[0].direction = GST_RTC_DIRECTION_RECVONLY;
  gst_rtc_ssrc_router_set_media (router, desc.array);
  fail_unless_equals_int (route_plain (router, 111, 0x5), -1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_no_media)
{
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();

  /* Before any description, nothing is placed, not even on m-line 0. */
  fail_unless_equals_int (route_plain (router, 96, 0x1), -1);
  fail_unless_equals_int (route_one_byte (router, 96, 0x1, MID_EXT_ID, "0"),
      -1);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_rejected_and_reconfigured)
{
  static const guint pts[] = { 111, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);
  fail_unless_equals_int (route_one_byte (router, 96, 0xa, MID_EXT_ID, "1"),
      1);
  fail_unless_equals_int (route_one_byte (router, 111, 0xb, MID_EXT_ID, "0"),
      0);
  fail_unless_equals_int (gst_rtc_ssrc_router_get_n_ssrcs (router), 2);

  /* m-line 1 stopped: its SSRCs are forgotten, m-line 0's are kept. */
  desc.media[1].rejected = TRUE;
  gst_rtc_ssrc_router_set_media (router, desc.array);
  fail_unless_equals_int (gst_rtc_ssrc_router_get_n_ssrcs (router), 1);
  fail_unless_equals_int (route_plain (router, 111, 0xb), 0);
  fail_unless_equals_int (route_one_byte (router, 96, 0xa, MID_EXT_ID, "1"),
      -1);
  fail_unless_equals_int (route_plain (router, 96, 0xa), -1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_bounded_table)
{
  static const guint pts[] = { 96, 96 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  guint8 ext[8], packet[64];
  gsize ext_len, len;
  guint32 ssrc;
  GstStructure *stats;
  guint64 evicted = 0;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);

  /* The default bound holds against a spray of SSRCs. */
  ext_len = one_byte_element (ext, MID_EXT_ID, "1");
  for (ssrc = 1; ssrc <= 3 * GST_RTC_SSRC_ROUTER_DEFAULT_MAX_SSRCS; ssrc++) {
    len = build_packet (packet, 96, ssrc, 0xBEDE, ext, ext_len, 4);
    fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len,
            ssrc), 1);
  }
  fail_unless_equals_int (gst_rtc_ssrc_router_get_n_ssrcs (router),
      GST_RTC_SSRC_ROUTER_DEFAULT_MAX_SSRCS);
  /* The most recent are the ones kept. */
  fail_unless_equals_int (route_plain (router, 96, ssrc - 1), 1);
  fail_unless_equals_int (route_plain (router, 96, 1), -1);

  gst_rtc_ssrc_router_set_max_ssrcs (router, 10);
  fail_unless_equals_int (gst_rtc_ssrc_router_get_n_ssrcs (router), 10);
  stats = gst_rtc_ssrc_router_get_stats (router);
  fail_unless (gst_structure_get_uint64 (stats, "evicted", &evicted));
  fail_unless (evicted > 0);
  gst_structure_free (stats);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

/* Every prefix of a well-formed packet with CSRCs, an extension and
 * padding is malformed; none may crash or be placed. */
GST_START_TEST (test_truncated_every_length)
{
  static const guint pts[] = { 96, 97 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  guint8 packet[64];
  gsize len = 0, cut;
  guint32 ssrc;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);

  packet[len++] = 0x80 | 0x20 | 0x10 | 2;       /* P, X, two CSRCs */
  packet[len++] = 96;
  packet[len++] = 0;
  packet[len++] = 1;
  GST_WRITE_UINT32_BE (packet + len, 1234);
  len += 4;
  GST_WRITE_UINT32_BE (packet + len, 0xcafe);
  len += 4;
  GST_WRITE_UINT32_BE (packet + len, 0x77777777);
  len += 4;
  GST_WRITE_UINT32_BE (packet + len, 0x88888888);
  len += 4;
  GST_WRITE_UINT16_BE (packet + len, 0xBEDE);
  GST_WRITE_UINT16_BE (packet + len + 2, 1);
  len += 4;
  len += one_byte_element (packet + len, MID_EXT_ID, "1");
  packet[len++] = 0;
  packet[len++] = 0;
  memset (packet + len, 0, 4);  /* payload */
  len += 4;
  memset (packet + len, 0, 3);  /* padding, its count last */
  packet[len + 3] = 4;
  len += 4;

  fail_unless (gst_rtc_rtp_parse_ssrc (packet, len, &ssrc));
  fail_unless_equals_int (ssrc, 0xcafe);
  for (cut = 0; cut < len; cut++) {
    guint8 *copy = g_memdup2 (packet, cut);

    /* A copy of exactly @cut bytes, so that valgrind sees any overread. */
    fail_unless (gst_rtc_ssrc_router_route (router, copy, cut, 1) == -1,
        "prefix of %u bytes was placed", (guint) cut);
    g_free (copy);
  }
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      1);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, NULL, 0, 1), -1);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

GST_START_TEST (test_malformed_headers)
{
  static const guint pts[] = { 96, 97 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  guint8 ext[16], packet[64];
  gsize ext_len, len;
  GstStructure *stats;
  guint64 malformed = 0;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);

  /* version 1 */
  len = build_packet (packet, 96, 1, 0, NULL, 0, 8);
  packet[0] = 0x40;
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  /* more CSRCs than bytes */
  len = build_packet (packet, 96, 1, 0, NULL, 0, 8);
  packet[0] = 0x8f;
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  /* padding count 0, and larger than the packet */
  len = build_packet (packet, 96, 1, 0, NULL, 0, 8);
  packet[0] |= 0x20;
  packet[len - 1] = 0;
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  packet[len - 1] = 200;
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  /* extension length beyond the packet */
  ext_len = one_byte_element (ext, MID_EXT_ID, "1");
  len = build_packet (packet, 96, 1, 0xBEDE, ext, ext_len, 0);
  GST_WRITE_UINT16_BE (packet + 14, 100);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  /* one-byte element longer than the block */
  ext[0] = (MID_EXT_ID << 4) | 15;
  len = build_packet (packet, 96, 1, 0xBEDE, ext, 4, 8);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  /* two-byte element longer than the block, and a cut header */
  ext[0] = MID_EXT_ID;
  ext[1] = 9;
  len = build_packet (packet, 96, 1, 0x1000, ext, 4, 8);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);
  memset (ext, 0, sizeof (ext));
  ext[3] = MID_EXT_ID;
  len = build_packet (packet, 96, 1, 0x1000, ext, 4, 8);
  fail_unless_equals_int (gst_rtc_ssrc_router_route (router, packet, len, 1),
      -1);

  stats = gst_rtc_ssrc_router_get_stats (router);
  fail_unless (gst_structure_get_uint64 (stats, "malformed", &malformed));
  fail_unless_equals_int (malformed, 8);
  gst_structure_free (stats);

  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

/* Random bytes and bit flips of a good packet: no crash, no overread. */
GST_START_TEST (test_garbage)
{
  static const guint pts[] = { 96, 97 };
  GstRtcSsrcRouter *router = gst_rtc_ssrc_router_new ();
  Description desc;
  GRand *rand = g_rand_new_with_seed (7983);
  guint8 ext[16], good[64];
  gsize good_len, ext_len;
  guint i, j;

  description_init (&desc, 2, pts, MID_EXT_ID);
  gst_rtc_ssrc_router_set_media (router, desc.array);
  ext_len = one_byte_element (ext, MID_EXT_ID, "1");
  good_len = build_packet (good, 96, 0x42, 0xBEDE, ext, ext_len, 8);

  for (i = 0; i < 20000; i++) {
    gsize len = i % 2 == 0 ? (gsize) g_rand_int_range (rand, 0, 80) : good_len;
    guint8 *packet = g_malloc (MAX (len, 1));
    gint mline;

    if (i % 2 == 0) {
      for (j = 0; j < len; j++)
        packet[j] = g_rand_int (rand);
    } else {
      memcpy (packet, good, len);
      packet[g_rand_int_range (rand, 0, len)] ^= 1 << g_rand_int_range (rand,
          0, 8);
    }
    mline = gst_rtc_ssrc_router_route (router, packet, len, i);
    fail_unless (mline >= -1 && mline <= 1);
    g_free (packet);
  }

  g_rand_free (rand);
  description_clear (&desc);
  g_object_unref (router);
}

GST_END_TEST;

static Suite *
router_suite (void)
{
  Suite *s = suite_create ("rtcrouter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_mid_one_byte);
  tcase_add_test (tc, test_mid_among_other_elements);
  tcase_add_test (tc, test_mid_two_byte);
  tcase_add_test (tc, test_rid);
  tcase_add_test (tc, test_signalled_ssrc);
  tcase_add_test (tc, test_payload_type);
  tcase_add_test (tc, test_no_media);
  tcase_add_test (tc, test_rejected_and_reconfigured);
  tcase_add_test (tc, test_bounded_table);
  tcase_add_test (tc, test_truncated_every_length);
  tcase_add_test (tc, test_malformed_headers);
  tcase_add_test (tc, test_garbage);
  return s;
}

GST_CHECK_MAIN (router);
