/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>

/* A STUN Binding request header, a DTLS ClientHello record header, a TURN
 * ChannelData header, an RTP packet and an RTCP receiver report. */
static const guint8 stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4,
  0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
};
static const guint8 dtls[13] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0x40
};
static const guint8 channel[4] = { 0x40, 0x00, 0x00, 0x00 };
static const guint8 rtp[12] = { 0x80, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xde,
  0xad, 0xbe, 0xef
};
static const guint8 rtp_marker_pt96[12] = { 0x80, 0xe0, 0, 1, 0, 0, 0, 1, 1,
  2, 3, 4
};
static const guint8 rtcp[8] = { 0x80, 201, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef };

GST_START_TEST (test_classify_kinds)
{
  fail_unless_equals_int (gst_rtc_demux_classify (stun, sizeof (stun)),
      GST_RTC_PACKET_KIND_STUN);
  fail_unless_equals_int (gst_rtc_demux_classify (dtls, sizeof (dtls)),
      GST_RTC_PACKET_KIND_DTLS);
  fail_unless_equals_int (gst_rtc_demux_classify (channel, sizeof (channel)),
      GST_RTC_PACKET_KIND_TURN_CHANNEL);
  fail_unless_equals_int (gst_rtc_demux_classify (rtp, sizeof (rtp)),
      GST_RTC_PACKET_KIND_RTP);
  fail_unless_equals_int (gst_rtc_demux_classify (rtp_marker_pt96,
          sizeof (rtp_marker_pt96)), GST_RTC_PACKET_KIND_RTP);
  fail_unless_equals_int (gst_rtc_demux_classify (rtcp, sizeof (rtcp)),
      GST_RTC_PACKET_KIND_RTCP);
}

GST_END_TEST;

GST_START_TEST (test_classify_every_first_byte)
{
  guint8 packet[64] = { 0, };
  guint first;

  /* RFC 7983 section 7: the ranges, and nothing outside them. */
  for (first = 0; first < 256; first++) {
    GstRtcPacketKind expected = GST_RTC_PACKET_KIND_UNKNOWN;

    packet[0] = first;
    packet[1] = 96;
    if (first <= 3)
      expected = GST_RTC_PACKET_KIND_STUN;
    else if (first >= 20 && first <= 63)
      expected = GST_RTC_PACKET_KIND_DTLS;
    else if (first >= 64 && first <= 79)
      expected = GST_RTC_PACKET_KIND_TURN_CHANNEL;
    else if (first >= 128 && first <= 191)
      expected = GST_RTC_PACKET_KIND_RTP;
    fail_unless_equals_int (gst_rtc_demux_classify (packet, sizeof (packet)),
        expected);
  }
}

GST_END_TEST;

GST_START_TEST (test_classify_rtcp_types)
{
  guint8 packet[12] = { 0x80, 0, };
  guint type;

  for (type = 0; type < 256; type++) {
    packet[1] = type;
    fail_unless_equals_int (gst_rtc_demux_classify (packet, sizeof (packet)),
        (type >= 192 && type <= 223) ? GST_RTC_PACKET_KIND_RTCP :
        GST_RTC_PACKET_KIND_RTP);
  }
}

GST_END_TEST;

static void
check_truncations (const guint8 * data, gsize len, GstRtcPacketKind kind)
{
  gsize cut;

  /* Every length shorter than the smallest message is unknown, and the
   * classifier must not read past @len (valgrind/ASan would tell). */
  for (cut = 0; cut < len; cut++) {
    guint8 *copy = g_memdup2 (data, cut);

    fail_unless_equals_int (gst_rtc_demux_classify (copy, cut),
        GST_RTC_PACKET_KIND_UNKNOWN);
    g_free (copy);
  }
  fail_unless_equals_int (gst_rtc_demux_classify (data, len), kind);
}

GST_START_TEST (test_classify_truncated)
{
  check_truncations (stun, sizeof (stun), GST_RTC_PACKET_KIND_STUN);
  check_truncations (dtls, sizeof (dtls), GST_RTC_PACKET_KIND_DTLS);
  check_truncations (channel, sizeof (channel),
      GST_RTC_PACKET_KIND_TURN_CHANNEL);
  check_truncations (rtp, sizeof (rtp), GST_RTC_PACKET_KIND_RTP);
  check_truncations (rtcp, 4, GST_RTC_PACKET_KIND_RTCP);
  fail_unless_equals_int (gst_rtc_demux_classify (NULL, 0),
      GST_RTC_PACKET_KIND_UNKNOWN);
}

GST_END_TEST;

GST_START_TEST (test_kind_names)
{
  fail_unless_equals_string (gst_rtc_packet_kind_to_string
      (GST_RTC_PACKET_KIND_RTCP), "rtcp");
  fail_unless_equals_string (gst_rtc_packet_kind_to_string (42), "unknown");
}

GST_END_TEST;

static Suite *
demux_suite (void)
{
  Suite *s = suite_create ("rtcdemux");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_classify_kinds);
  tcase_add_test (tc, test_classify_every_first_byte);
  tcase_add_test (tc, test_classify_rtcp_types);
  tcase_add_test (tc, test_classify_truncated);
  tcase_add_test (tc, test_kind_names);
  return s;
}

GST_CHECK_MAIN (demux);
