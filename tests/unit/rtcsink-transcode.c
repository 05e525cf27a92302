/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What rtcsink reads of the H.264 it passes through, to decide whether a
 * viewer needs a transcoded stream: the SPS (profile, level, VUI
 * max_num_reorder_frames) and slice types. The SPSs are real: x264's, as
 * the test camera (tests/interop/rtsp_camera.py) sends them in the RTSP
 * SDP's sprop-parameter-sets. The parser lives in the plugin, so the file
 * is compiled in here. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>

#include "../../plugins/rtc/gstrtcsink-answer.c"
/* gstcheck has a default category of its own. */
#undef GST_CAT_DEFAULT
#include "../../plugins/rtc/gstrtcsink-transcode.c"

/* x264 constrained baseline 640x360 (level 3.0), bframes=0: it has an
 * emulation prevention byte (00 00 03) in its VUI. */
static const guint8 sps_baseline[] = {
  0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x5a, 0x83,
  0x03, 0x03, 0x52, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x1e,
  0x47, 0x8b, 0x17, 0x50
};

/* x264 High 640x360 (level 3.0), bframes=2 with a B pyramid. */
static const guint8 sps_high[] = {
  0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x16,
  0xa0, 0xc0, 0xc0, 0xd4, 0xa0, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00,
  0x07, 0x91, 0xe2, 0xc5, 0xb2, 0xc0
};

/* Slice headers: NAL header, then first_mb_in_slice = 0 (ue "1") and
 * slice_type: 1 (B, "010"), 6 (B, all slices, "00111"), 0 (P, "1"). */
static const guint8 slice_b[] = { 0x01, 0xa0, 0x00 };
static const guint8 slice_b_all[] = { 0x01, 0x9c, 0x00 };
static const guint8 slice_p[] = { 0x41, 0xc0, 0x00 };
static const guint8 slice_idr[] = { 0x65, 0x88, 0x80 };

GST_START_TEST (test_sps_baseline)
{
  GstRtcSinkH264Info info = { 0, };

  fail_unless (gst_rtc_sink_h264_parse_sps (sps_baseline,
          sizeof (sps_baseline), &info));
  fail_unless (info.have_sps);
  fail_unless_equals_int (info.profile_idc, 66);
  fail_unless_equals_int (info.constraint_flags, 0xc0);
  fail_unless_equals_int (info.level_idc, 30);
  fail_unless (info.reorder_known);
  fail_unless_equals_int (info.max_num_reorder_frames, 0);
  fail_if (gst_rtc_sink_h264_info_reorders (&info));
}

GST_END_TEST;

GST_START_TEST (test_sps_high_with_b_frames)
{
  GstRtcSinkH264Info info = { 0, };

  fail_unless (gst_rtc_sink_h264_parse_sps (sps_high, sizeof (sps_high),
          &info));
  fail_unless_equals_int (info.profile_idc, 100);
  fail_unless_equals_int (info.level_idc, 30);
  fail_unless (info.reorder_known);
  fail_unless_equals_int (info.max_num_reorder_frames, 2);
  fail_unless (gst_rtc_sink_h264_info_reorders (&info));
}

GST_END_TEST;

/* Every prefix of a real SPS, and of one with its bytes flipped, is read
 * without reading past its end; what is returned stays plausible. */
GST_START_TEST (test_sps_truncated_and_corrupt)
{
  const guint8 *spss[] = { sps_baseline, sps_high };
  const gsize sizes[] = { sizeof (sps_baseline), sizeof (sps_high) };

  for (guint k = 0; k < G_N_ELEMENTS (spss); k++) {
    for (gsize len = 0; len < sizes[k]; len++) {
      guint8 *copy = g_memdup2 (spss[k], len);
      GstRtcSinkH264Info info = { 0, };

      /* g_memdup2 of 0 bytes is NULL: the parser must not read it. */
      gst_rtc_sink_h264_parse_sps (copy, len, &info);
      if (k == 0)
        fail_if (gst_rtc_sink_h264_info_reorders (&info), "length %"
            G_GSIZE_FORMAT, len);
      g_free (copy);
    }
    for (gsize pos = 4; pos < sizes[k]; pos++) {
      guint8 *copy = g_memdup2 (spss[k], sizes[k]);
      GstRtcSinkH264Info info = { 0, };

      copy[pos] ^= 0xff;
      gst_rtc_sink_h264_parse_sps (copy, sizes[k], &info);
      g_free (copy);
    }
  }
  /* Not an SPS, all zeros, all ones. */
  {
    guint8 zeros[64] = { 0x67, }, ones[64];
    GstRtcSinkH264Info info = { 0, };

    memset (ones, 0xff, sizeof (ones));
    ones[0] = 0x67;
    fail_if (gst_rtc_sink_h264_parse_sps (slice_p, sizeof (slice_p), &info));
    fail_if (info.have_sps);
    gst_rtc_sink_h264_parse_sps (zeros, sizeof (zeros), &info);
    gst_rtc_sink_h264_parse_sps (ones, sizeof (ones), &info);
  }
}

GST_END_TEST;

GST_START_TEST (test_slice_types)
{
  fail_unless (gst_rtc_sink_h264_slice_is_b (slice_b, sizeof (slice_b)));
  fail_unless (gst_rtc_sink_h264_slice_is_b (slice_b_all,
          sizeof (slice_b_all)));
  fail_if (gst_rtc_sink_h264_slice_is_b (slice_p, sizeof (slice_p)));
  fail_if (gst_rtc_sink_h264_slice_is_b (slice_idr, sizeof (slice_idr)));
  /* Not a slice, or too short to tell. */
  fail_if (gst_rtc_sink_h264_slice_is_b (sps_high, sizeof (sps_high)));
  fail_if (gst_rtc_sink_h264_slice_is_b (slice_b, 1));
  fail_if (gst_rtc_sink_h264_slice_is_b (slice_b, 0));
}

GST_END_TEST;

static GByteArray *
byte_stream (const guint8 * const *nals, const gsize * sizes, guint n)
{
  static const guint8 start_code[] = { 0, 0, 0, 1 };
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < n; i++) {
    g_byte_array_append (out, start_code, sizeof (start_code));
    g_byte_array_append (out, nals[i], sizes[i]);
  }
  return out;
}

static GByteArray *
length_prefixed (const guint8 * const *nals, const gsize * sizes, guint n)
{
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < n; i++) {
    guint8 len[4];

    GST_WRITE_UINT32_BE (len, sizes[i]);
    g_byte_array_append (out, len, 4);
    g_byte_array_append (out, nals[i], sizes[i]);
  }
  return out;
}

GST_START_TEST (test_scan_access_units)
{
  const guint8 *const idr_au[] = { sps_baseline, slice_idr };
  const gsize idr_sizes[] = { sizeof (sps_baseline), sizeof (slice_idr) };
  const guint8 *const b_au[] = { slice_p, slice_b };
  const gsize b_sizes[] = { sizeof (slice_p), sizeof (slice_b) };

  for (guint form = 0; form < 2; form++) {
    GByteArray *(*make) (const guint8 * const *, const gsize *, guint) =
        form == 0 ? byte_stream : length_prefixed;
    guint nal_length_size = form == 0 ? 0 : 4;
    GByteArray *idr = make (idr_au, idr_sizes, 2);
    GByteArray *b = make (b_au, b_sizes, 2);
    GstRtcSinkH264Info info = { 0, };

    gst_rtc_sink_h264_scan (idr->data, idr->len, nal_length_size, &info);
    fail_unless (info.have_sps);
    fail_unless_equals_int (info.profile_idc, 66);
    fail_if (gst_rtc_sink_h264_info_reorders (&info));
    gst_rtc_sink_h264_scan (b->data, b->len, nal_length_size, &info);
    fail_unless (info.b_slice_seen);
    fail_unless (gst_rtc_sink_h264_info_reorders (&info));

    /* Every truncation reads nothing past the end. */
    for (guint len = 0; len < b->len; len++) {
      GstRtcSinkH264Info partial = { 0, };
      guint8 *copy = g_memdup2 (b->data, len);

      gst_rtc_sink_h264_scan (copy, len, nal_length_size, &partial);
      g_free (copy);
    }
    g_byte_array_unref (idr);
    g_byte_array_unref (b);
  }

  /* A length prefix past the end stops the scan. */
  {
    const guint8 lying[] = { 0, 0, 1, 0, 0x01, 0xa0 };
    GstRtcSinkH264Info info = { 0, };

    gst_rtc_sink_h264_scan (lying, sizeof (lying), 4, &info);
    fail_if (info.b_slice_seen);
  }
}

GST_END_TEST;

/* An SPS that says nothing about reordering (no VUI) in High profile is
 * not B-frames yet; with picture order count type 2, never. */
GST_START_TEST (test_reordering_unknown)
{
  GstRtcSinkH264Info info = { 0, };

  info.have_sps = TRUE;
  info.profile_idc = 100;
  fail_if (gst_rtc_sink_h264_info_reorders (&info));
  info.b_slice_seen = TRUE;
  fail_unless (gst_rtc_sink_h264_info_reorders (&info));
}

GST_END_TEST;

static Suite *
rtcsink_transcode_suite (void)
{
  Suite *s = suite_create ("rtcsink-transcode");
  TCase *tc = tcase_create ("h264");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sps_baseline);
  tcase_add_test (tc, test_sps_high_with_b_frames);
  tcase_add_test (tc, test_sps_truncated_and_corrupt);
  tcase_add_test (tc, test_slice_types);
  tcase_add_test (tc, test_scan_access_units);
  tcase_add_test (tc, test_reordering_unknown);
  return s;
}

GST_CHECK_MAIN (rtcsink_transcode);
