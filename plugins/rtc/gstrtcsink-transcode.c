/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtcsink's transcode branches: what a viewer gets when it cannot play
 * the H.264 that an input pad passes through (its offer lacks the codec
 * or the profile, or the stream has B-frames, which browsers play badly
 * over WebRTC), and the decoders in front of Opus for AAC, PCMU and PCMA
 * audio.
 *
 * An H.264 input pad is `queue ! h264parse ! tee ! rtph264pay`. The
 * transcoder watches what enters the tee (the SPS's profile, level and
 * VUI max_num_reorder_frames; B slices) and, when a viewer's answer needs
 * it, hangs a branch off the tee:
 *
 *   tee ! queue ! <decoder> ! queue ! videoconvert ! <encoder> ! <pay> ! appsink
 *
 * whose packets go to a #GstRtcFanout stream of their own. There is one
 * branch per target (VP8; H.264 constrained baseline), shared by every
 * viewer that needs it: it is made for the first one and kept while the
 * pad lives, since the fan-out never forgets a stream. Decoders are found
 * by factory lookup (gst-libav's avdec_h264 on Debian), with a warning
 * naming the package when there is none.
 *
 * The H.264 parsing here is what rtcsink needs and no more, so that it
 * does not depend on gst-plugins-bad's codecparsers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcsink-transcode.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtc_sink_transcode_debug);
#define GST_CAT_DEFAULT rtc_sink_transcode_debug

#define VIDEO_CLOCK_RATE 90000
#define VIDEO_PAYLOAD_TYPE 96
#define RTP_MTU 1200
#define KEYFRAME_INTERVAL 60
#define VP8_DEADLINE_REALTIME 1
#define VP8_CPU_USED 8
#define VP8_THREADS 2
/* Encoded input waits this long in front of a decoder that falls behind
 * before the oldest is dropped: the passthrough viewers never wait. */
#define DECODER_QUEUE_TIME (3 * GST_SECOND)
#define H264_CB_PROFILE_LEVEL_ID "42e01f"

/* Placeholder fan-out stream ids in answers: the branch is only made once
 * an answer needs it. Real stream ids are small. */
#define PLACEHOLDER_BASE 0x7f000000u
#define PLACEHOLDER_MASK 0xff000000u

typedef enum
{
  TARGET_H264_CB,
  TARGET_VP8,
  N_TARGETS
} Target;

static const gchar *target_names[N_TARGETS] = {
  "H264 constrained-baseline", "VP8"
};

/* ---- H.264 bitstream ---- */

/* An RBSP bit reader over a NAL unit that skips emulation prevention
 * bytes (00 00 03) as it goes. */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize byte;
  guint bit;
  guint zeros;
  gboolean overrun;
} BitReader;

static void
bit_reader_init (BitReader * r, const guint8 * data, gsize size)
{
  memset (r, 0, sizeof (*r));
  r->data = data;
  r->size = size;
}

static guint
read_bit (BitReader * r)
{
  guint value;

  if (r->bit == 0) {
    /* Entering a new byte: 00 00 03 drops the 03. */
    if (r->byte < r->size && r->zeros >= 2 && r->data[r->byte] == 0x03) {
      r->byte++;
      r->zeros = 0;
    }
    if (r->byte >= r->size) {
      r->overrun = TRUE;
      return 0;
    }
  }
  value = (r->data[r->byte] >> (7 - r->bit)) & 1;
  if (++r->bit == 8) {
    r->zeros = r->data[r->byte] == 0 ? r->zeros + 1 : 0;
    r->bit = 0;
    r->byte++;
  }
  return value;
}

static guint32
read_bits (BitReader * r, guint n)
{
  guint32 value = 0;

  while (n-- > 0)
    value = (value << 1) | read_bit (r);
  return value;
}

static guint32
read_ue (BitReader * r)
{
  guint leading = 0;

  while (read_bit (r) == 0) {
    if (r->overrun || ++leading > 31) {
      r->overrun = TRUE;
      return 0;
    }
  }
  return ((1u << leading) - 1) + read_bits (r, leading);
}

static gint32
read_se (BitReader * r)
{
  guint32 k = read_ue (r);

  return (k & 1) ? (gint32) ((k + 1) / 2) : -(gint32) (k / 2);
}

static void
skip_scaling_list (BitReader * r, guint size)
{
  gint last = 8, next = 8;

  for (guint j = 0; j < size && !r->overrun; j++) {
    if (next != 0)
      next = (last + read_se (r) + 256) % 256;
    last = next == 0 ? last : next;
  }
}

static void
skip_hrd (BitReader * r)
{
  guint count = read_ue (r) + 1;

  if (count > 32) {
    r->overrun = TRUE;
    return;
  }
  read_bits (r, 8);             /* bit_rate_scale, cpb_size_scale */
  for (guint i = 0; i < count && !r->overrun; i++) {
    read_ue (r);
    read_ue (r);
    read_bit (r);
  }
  read_bits (r, 20);            /* four 5-bit lengths */
}

static gboolean
profile_has_chroma_info (guint8 profile_idc)
{
  switch (profile_idc) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
      return TRUE;
    default:
      return FALSE;
  }
}

/**
 * gst_rtc_sink_h264_parse_sps:
 * @nal: (array length=size): an SPS NAL unit, header byte included
 * @size: its size
 * @info: where to write the profile, level and reordering
 *
 * Reads profile_idc, the constraint flags, level_idc and whether the
 * stream reorders frames: VUI bitstream_restriction's
 * max_num_reorder_frames when present; none with pic_order_cnt_type 2 or
 * in the Baseline profiles (no B slices); unknown otherwise.
 *
 * Returns: %FALSE if @nal is not a whole SPS (@info keeps what was read)
 */
gboolean
gst_rtc_sink_h264_parse_sps (const guint8 * nal, gsize size,
    GstRtcSinkH264Info * info)
{
  BitReader r;
  guint poc_type, chroma_format_idc = 1;
  gboolean baseline_family;

  if (size < 4 || (nal[0] & 0x1f) != 7)
    return FALSE;
  info->have_sps = TRUE;
  info->profile_idc = nal[1];
  info->constraint_flags = nal[2];
  info->level_idc = nal[3];
  info->reorder_known = FALSE;
  info->max_num_reorder_frames = 0;

  /* Baseline, and Main or Extended constrained to Baseline: no B slices. */
  baseline_family = info->profile_idc == 66
      || (info->profile_idc == 77 && (info->constraint_flags & 0x80))
      || (info->profile_idc == 88 && (info->constraint_flags & 0x80));
  if (baseline_family)
    info->reorder_known = TRUE;

  bit_reader_init (&r, nal + 4, size - 4);
  read_ue (&r);                 /* seq_parameter_set_id */
  if (profile_has_chroma_info (info->profile_idc)) {
    chroma_format_idc = read_ue (&r);
    if (chroma_format_idc == 3)
      read_bit (&r);
    read_ue (&r);
    read_ue (&r);
    read_bit (&r);
    if (read_bit (&r)) {        /* seq_scaling_matrix_present_flag */
      guint lists = chroma_format_idc == 3 ? 12 : 8;

      for (guint i = 0; i < lists && !r.overrun; i++) {
        if (read_bit (&r))
          skip_scaling_list (&r, i < 6 ? 16 : 64);
      }
    }
  }
  read_ue (&r);                 /* log2_max_frame_num_minus4 */
  poc_type = read_ue (&r);
  if (poc_type == 0) {
    read_ue (&r);
  } else if (poc_type == 1) {
    guint cycle;

    read_bit (&r);
    read_se (&r);
    read_se (&r);
    cycle = read_ue (&r);
    if (cycle > 255)
      return FALSE;
    for (guint i = 0; i < cycle && !r.overrun; i++)
      read_se (&r);
  } else if (poc_type == 2) {
    /* Output order is decoding order. */
    info->reorder_known = TRUE;
  }
  read_ue (&r);                 /* max_num_ref_frames */
  read_bit (&r);
  read_ue (&r);
  read_ue (&r);
  if (!read_bit (&r))           /* frame_mbs_only_flag */
    read_bit (&r);
  read_bit (&r);
  if (read_bit (&r)) {          /* frame_cropping_flag */
    for (guint i = 0; i < 4; i++)
      read_ue (&r);
  }
  if (r.overrun)
    return FALSE;
  if (!read_bit (&r))           /* vui_parameters_present_flag */
    return !r.overrun;

  if (read_bit (&r)) {          /* aspect_ratio_info_present_flag */
    if (read_bits (&r, 8) == 255)
      read_bits (&r, 32);
  }
  if (read_bit (&r))            /* overscan_info_present_flag */
    read_bit (&r);
  if (read_bit (&r)) {          /* video_signal_type_present_flag */
    read_bits (&r, 4);
    if (read_bit (&r))
      read_bits (&r, 24);
  }
  if (read_bit (&r)) {          /* chroma_loc_info_present_flag */
    read_ue (&r);
    read_ue (&r);
  }
  if (read_bit (&r)) {          /* timing_info_present_flag */
    read_bits (&r, 32);
    read_bits (&r, 32);
    read_bit (&r);
  }
  {
    gboolean nal_hrd = read_bit (&r), vcl_hrd;

    if (nal_hrd)
      skip_hrd (&r);
    vcl_hrd = read_bit (&r);
    if (vcl_hrd)
      skip_hrd (&r);
    if (nal_hrd || vcl_hrd)
      read_bit (&r);
  }
  read_bit (&r);                /* pic_struct_present_flag */
  if (read_bit (&r)) {          /* bitstream_restriction_flag */
    guint reorder;

    read_bit (&r);
    read_ue (&r);
    read_ue (&r);
    read_ue (&r);
    read_ue (&r);
    reorder = read_ue (&r);
    read_ue (&r);
    if (r.overrun)
      return FALSE;
    info->reorder_known = TRUE;
    info->max_num_reorder_frames = reorder;
  }
  return !r.overrun;
}

/**
 * gst_rtc_sink_h264_slice_is_b:
 * @nal: (array length=size): a coded slice NAL unit (type 1 or 5)
 * @size: its size
 *
 * Returns: %TRUE if its slice_type is B
 */
gboolean
gst_rtc_sink_h264_slice_is_b (const guint8 * nal, gsize size)
{
  BitReader r;
  guint type;

  if (size < 2)
    return FALSE;
  type = nal[0] & 0x1f;
  if (type != 1 && type != 5)
    return FALSE;
  bit_reader_init (&r, nal + 1, size - 1);
  read_ue (&r);                 /* first_mb_in_slice */
  type = read_ue (&r);
  return !r.overrun && type % 5 == 1;
}

static void
scan_nal (const guint8 * nal, gsize size, GstRtcSinkH264Info * info)
{
  guint type;

  if (size < 1)
    return;
  type = nal[0] & 0x1f;
  if (type == 7) {
    GstRtcSinkH264Info sps = *info;

    if (gst_rtc_sink_h264_parse_sps (nal, size, &sps))
      *info = sps;
  } else if ((type == 1 || type == 5) && !info->b_slice_seen) {
    info->b_slice_seen = gst_rtc_sink_h264_slice_is_b (nal, size);
  }
}

/**
 * gst_rtc_sink_h264_scan:
 * @data: (array length=size): an H.264 access unit or part of one
 * @size: its size
 * @nal_length_size: 1, 2 or 4 for avc (length-prefixed NAL units), 0 for
 *   byte-stream (start codes)
 * @info: updated with each SPS and B slice found
 */
void
gst_rtc_sink_h264_scan (const guint8 * data, gsize size,
    guint nal_length_size, GstRtcSinkH264Info * info)
{
  gsize offset = 0;

  if (nal_length_size > 0) {
    while (offset + nal_length_size <= size) {
      gsize len = 0;

      for (guint i = 0; i < nal_length_size; i++)
        len = (len << 8) | data[offset + i];
      offset += nal_length_size;
      if (len == 0 || len > size - offset)
        return;
      scan_nal (data + offset, len, info);
      offset += len;
    }
    return;
  }

  /* Byte-stream: a NAL unit runs from after its start code to the next
   * one (trailing zero bytes do not matter to what we read). */
  while (offset + 3 <= size) {
    gsize start, next;

    if (!(data[offset] == 0 && data[offset + 1] == 0 && data[offset + 2] == 1)) {
      offset++;
      continue;
    }
    start = offset + 3;
    for (next = start; next + 3 <= size; next++) {
      if (data[next] == 0 && data[next + 1] == 0 && data[next + 2] == 1)
        break;
    }
    if (next + 3 > size)
      next = size;
    scan_nal (data + start, next - start, info);
    offset = next;
  }
}

/**
 * gst_rtc_sink_h264_info_reorders:
 * @info: what was learned of a stream
 *
 * Returns: %TRUE if the stream reorders frames (B-frames): its SPS says
 *   so or a B slice was seen. An SPS that says nothing is not enough:
 *   many cameras send Main or High profile without B-frames.
 */
gboolean
gst_rtc_sink_h264_info_reorders (const GstRtcSinkH264Info * info)
{
  return info->b_slice_seen || (info->reorder_known
      && info->max_num_reorder_frames > 0);
}

static void
ensure_debug_category (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (rtc_sink_transcode_debug, "rtcsinktranscode", 0,
        "rtcsink transcode branches");
    g_once_init_leave (&once, 1);
  }
}

/* ---- factories ---- */

static GstElementFactory *
find_factory (GstElementFactoryListType type, const gchar * caps_string)
{
  GList *all, *matching;
  GstCaps *caps = gst_caps_from_string (caps_string);
  GstElementFactory *factory = NULL;

  all = gst_element_factory_list_get_elements (type, GST_RANK_MARGINAL);
  all = g_list_sort (all, gst_plugin_feature_rank_compare_func);
  matching = gst_element_factory_list_filter (all, caps,
      type & GST_ELEMENT_FACTORY_TYPE_DECODER ? GST_PAD_SINK : GST_PAD_SRC,
      FALSE);
  if (matching != NULL)
    factory = gst_object_ref (matching->data);
  gst_plugin_feature_list_free (matching);
  gst_plugin_feature_list_free (all);
  gst_caps_unref (caps);
  return factory;
}

static void
set_if_exists (GstElement * element, const gchar * name, const gchar * value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), name))
    gst_util_set_object_arg (G_OBJECT (element), name, value);
}

/* ---- the transcoder ---- */

typedef struct
{
  GstRtcSinkTranscoder *owner;
  Target target;
  guint fanout_stream;
  GPtrArray *elements;
  GstElement *appsink;
  GstElement *entry;
  GstPad *tee_pad;
  guint keyframe_requests;
  gint waiting_keyframe;
  /* Under the transcoder's lock: viewers answered with the branch and not
   * removed. Without any, the branch idles: it drops its input. */
  guint n_viewers;
  gint idle;
} Branch;

struct _GstRtcSinkTranscoder
{
  gint refcount;
  /* The sink owns us (through its pad's stream): not a reference. */
  GstElement *sink;
  GstRtcFanout *fanout;
  GstElement *tee;
  gchar *pad_name;
  guint bitrate;
  guint serial;
  gulong probe_id;
  gulong keyframe_handler;
  GstElementFactory *decoder;
  GstElementFactory *h264_encoder;
  GstRtcCodec *codecs[N_TARGETS];

  GMutex lock;
  /* Under lock. */
  GstRtcSinkH264Info info;
  guint nal_length_size;
  gboolean removed;
  Branch *branches[N_TARGETS];
};

static GMutex registry_lock;
static GList *registry;
static guint next_serial = 1;

static GstRtcCodec *
default_codec (const gchar * name, const gchar * profile_level_id)
{
  GPtrArray *defaults = gst_rtc_codecs_default (GST_RTC_MEDIA_KIND_VIDEO);
  GstRtcCodec *codec = NULL;

  for (guint i = 0; i < defaults->len && codec == NULL; i++) {
    GstRtcCodec *candidate = g_ptr_array_index (defaults, i);
    gchar *plid;

    if (g_ascii_strcasecmp (candidate->encoding_name, name) != 0)
      continue;
    if (profile_level_id == NULL) {
      codec = gst_rtc_codec_copy (candidate);
      break;
    }
    plid = gst_rtc_codec_get_fmtp_value (candidate, "profile-level-id");
    if (g_strcmp0 (plid, profile_level_id) == 0)
      codec = gst_rtc_codec_copy (candidate);
    g_free (plid);
  }
  g_ptr_array_unref (defaults);
  if (codec != NULL && profile_level_id != NULL) {
    /* What our encoder makes, whatever the viewer's level. */
    g_free (codec->fmtp);
    codec->fmtp = g_strdup_printf ("level-asymmetry-allowed=1;"
        "packetization-mode=1;profile-level-id=%s", profile_level_id);
  }
  return codec;
}

/* On the streaming thread, before the tee: learn the stream. */
static GstPadProbeReturn
on_tee_input (GstPad * pad, GstPadProbeInfo * probe_info, gpointer user_data)
{
  GstRtcSinkTranscoder *self = user_data;

  if (probe_info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (probe_info);
    const GstStructure *s;
    const GValue *value;
    const gchar *format;
    GstCaps *caps;
    GstMapInfo map;

    if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
      return GST_PAD_PROBE_OK;
    gst_event_parse_caps (event, &caps);
    s = gst_caps_get_structure (caps, 0);
    format = gst_structure_get_string (s, "stream-format");
    value = gst_structure_get_value (s, "codec_data");
    g_mutex_lock (&self->lock);
    self->nal_length_size = 0;
    if (g_strcmp0 (format, "avc") == 0 || g_strcmp0 (format, "avc3") == 0)
      self->nal_length_size = 4;
    if (value != NULL && G_VALUE_HOLDS (value, GST_TYPE_BUFFER)
        && gst_buffer_map (gst_value_get_buffer (value), &map,
            GST_MAP_READ)) {
      /* avcC: version, profile, compat, level, length size, SPS count,
       * then (16-bit size, SPS)... */
      if (map.size >= 8 && map.data[0] == 1) {
        gsize sps_size = GST_READ_UINT16_BE (map.data + 6);

        self->nal_length_size = (map.data[4] & 0x03) + 1;
        if ((map.data[5] & 0x1f) > 0 && 8 + sps_size <= map.size) {
          GstRtcSinkH264Info sps = self->info;

          if (gst_rtc_sink_h264_parse_sps (map.data + 8, sps_size, &sps))
            self->info = sps;
        }
      }
      gst_buffer_unmap (gst_value_get_buffer (value), &map);
    }
    GST_DEBUG ("%s: %" GST_PTR_FORMAT ": profile_idc %u, reorder %s %u",
        self->pad_name, caps, self->info.profile_idc,
        self->info.reorder_known ? "known" : "unknown",
        self->info.max_num_reorder_frames);
    g_mutex_unlock (&self->lock);
  } else if (probe_info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (probe_info);
    GstRtcSinkH264Info before;
    GstMapInfo map;

    g_mutex_lock (&self->lock);
    /* Every SPS, but slices only until the first B slice. */
    before = self->info;
    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      gst_rtc_sink_h264_scan (map.data, map.size, self->nal_length_size,
          &self->info);
      gst_buffer_unmap (buffer, &map);
    }
    if (self->info.b_slice_seen && !before.b_slice_seen)
      GST_INFO ("%s: B slices in the stream: viewers will be transcoded",
          self->pad_name);
    if (self->info.max_num_reorder_frames != before.max_num_reorder_frames)
      GST_INFO ("%s: SPS max_num_reorder_frames %u", self->pad_name,
          self->info.max_num_reorder_frames);
    g_mutex_unlock (&self->lock);
  }
  return GST_PAD_PROBE_OK;
}

static void
send_force_key_unit (GstPad * pad, guint count)
{
  GstStructure *s = gst_structure_new ("GstForceKeyUnit",
      "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
      "all-headers", G_TYPE_BOOLEAN, TRUE, "count", G_TYPE_UINT, count, NULL);

  gst_pad_push_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

/* The fan-out's merged key frame requests for a branch's stream go to its
 * encoder. */
static void
on_request_keyframe (GstRtcFanout * fanout, guint stream_id,
    GstRtcSinkTranscoder * self)
{
  GstElement *appsink = NULL;
  guint count = 0;
  GstPad *pad;

  g_mutex_lock (&self->lock);
  for (guint t = 0; t < N_TARGETS; t++) {
    Branch *branch = self->branches[t];

    if (branch != NULL && branch->fanout_stream == stream_id) {
      appsink = gst_object_ref (branch->appsink);
      count = ++branch->keyframe_requests;
    }
  }
  g_mutex_unlock (&self->lock);
  if (appsink == NULL)
    return;
  GST_DEBUG ("%s: key frame request %u for transcode stream %u",
      self->pad_name, count, stream_id);
  pad = gst_element_get_static_pad (appsink, "sink");
  send_force_key_unit (pad, count);
  gst_object_unref (pad);
  gst_object_unref (appsink);
}

static void
push_packet (Branch * branch, GstBuffer * buffer)
{
  gst_rtc_fanout_push (branch->owner->fanout, branch->fanout_stream,
      gst_buffer_ref (buffer));
}

static GstFlowReturn
on_branch_sample (GstElement * appsink, gpointer user_data)
{
  Branch *branch = user_data;
  GstSample *sample = NULL;
  GstBufferList *list;
  GstBuffer *buffer;

  g_signal_emit_by_name (appsink, "pull-sample", &sample);
  if (sample == NULL)
    return GST_FLOW_FLUSHING;
  list = gst_sample_get_buffer_list (sample);
  if (list != NULL) {
    guint n = gst_buffer_list_length (list);

    for (guint i = 0; i < n; i++)
      push_packet (branch, gst_buffer_list_get (list, i));
  } else if ((buffer = gst_sample_get_buffer (sample)) != NULL) {
    push_packet (branch, buffer);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* A branch nobody watches decodes and encodes nothing: its input is
 * dropped. A decoder that starts mid-GOP makes garbage until the next
 * IDR: the branch takes its input from a key frame on, when it is made and
 * when it wakes up. */
static GstPadProbeReturn
on_branch_input (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Branch *branch = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  if (g_atomic_int_get (&branch->idle)) {
    g_atomic_int_set (&branch->waiting_keyframe, TRUE);
    return GST_PAD_PROBE_DROP;
  }
  if (!g_atomic_int_get (&branch->waiting_keyframe))
    return GST_PAD_PROBE_OK;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    return GST_PAD_PROBE_DROP;
  g_atomic_int_set (&branch->waiting_keyframe, FALSE);
  GST_DEBUG ("%s: %s branch starts at a key frame", branch->owner->pad_name,
      target_names[branch->target]);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make (const gchar * factory, GError ** error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "the '%s' element is missing", factory);
  return element;
}

static GstElement *
make_encoder (GstRtcSinkTranscoder * self, Target target, GError ** error)
{
  GstElement *encoder;

  if (target == TARGET_VP8) {
    encoder = make ("vp8enc", error);
    if (encoder == NULL)
      return NULL;
    /* The same real-time settings as rtcsink's own VP8 encoder. */
    g_object_set (encoder, "deadline", (gint64) VP8_DEADLINE_REALTIME,
        "cpu-used", VP8_CPU_USED, "target-bitrate", (gint) self->bitrate,
        "keyframe-max-dist", KEYFRAME_INTERVAL, "lag-in-frames", 0,
        "threads", VP8_THREADS, NULL);
    gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
    gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient",
        "default");
    return encoder;
  }

  if (self->h264_encoder == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "no H.264 encoder is installed (x264enc from gst-plugins-ugly, or "
        "openh264enc)");
    return NULL;
  }
  encoder = gst_element_factory_create (self->h264_encoder, NULL);
  if (encoder == NULL) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "could not create %s", GST_OBJECT_NAME (self->h264_encoder));
    return NULL;
  }
  if (g_str_equal (GST_OBJECT_NAME (self->h264_encoder), "x264enc")) {
    /* Zero latency means no B-frames and no lookahead. */
    gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
    gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset",
        "ultrafast");
    g_object_set (encoder, "bframes", 0, "key-int-max", KEYFRAME_INTERVAL,
        "bitrate", MAX (self->bitrate / 1000, 1), NULL);
  } else {
    set_if_exists (encoder, "usage-type", "camera");
    set_if_exists (encoder, "rate-control", "bitrate");
    set_if_exists (encoder, "complexity", "low");
    g_object_set (encoder, "bitrate", self->bitrate, NULL);
    set_if_exists (encoder, "gop-size", G_STRINGIFY (KEYFRAME_INTERVAL));
  }
  return encoder;
}

static void
branch_free (Branch * branch)
{
  if (branch->elements != NULL)
    g_ptr_array_unref (branch->elements);
  gst_clear_object (&branch->appsink);
  gst_clear_object (&branch->entry);
  gst_clear_object (&branch->tee_pad);
  g_free (branch);
}

/* On the control thread: makes the branch for @target and links it to the
 * tee. Called with the lock. */
static Branch *
make_branch_locked (GstRtcSinkTranscoder * self, Target target,
    GError ** error)
{
  Branch *branch = g_new0 (Branch, 1);
  GPtrArray *chain = g_ptr_array_new_with_free_func (gst_object_unref);
  GstElement *element, *queue, *payloader, *appsink;
  guint32 ssrc = g_random_int ();
  GstPad *pad;
  guint i;

#define ADD(e) G_STMT_START { element = (e); if (element == NULL) goto fail; \
    g_ptr_array_add (chain, gst_object_ref_sink (element)); } G_STMT_END

  branch->owner = self;
  branch->target = target;
  branch->elements = chain;

  ADD (queue = make ("queue", error));
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", (guint64) DECODER_QUEUE_TIME, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  ADD (gst_element_factory_create (self->decoder, NULL));
  /* A slow encoder drops decoded frames, never encoded ones. */
  ADD (queue = make ("queue", error));
  g_object_set (queue, "max-size-buffers", 3, "max-size-bytes", 0,
      "max-size-time", (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  ADD (make ("videoconvert", error));
  ADD (make_encoder (self, target, error));
  if (target == TARGET_H264_CB) {
    GstCaps *caps = gst_caps_from_string ("video/x-h264, "
        "profile=(string)constrained-baseline");

    ADD (make ("capsfilter", error));
    g_object_set (element, "caps", caps, NULL);
    gst_caps_unref (caps);
    ADD (payloader = make ("rtph264pay", error));
    g_object_set (payloader, "config-interval", -1, NULL);
    set_if_exists (payloader, "aggregate-mode", "zero-latency");
  } else {
    ADD (payloader = make ("rtpvp8pay", error));
    set_if_exists (payloader, "picture-id-mode", "15-bit");
  }
  g_object_set (payloader, "ssrc", ssrc, "pt", VIDEO_PAYLOAD_TYPE, "mtu",
      RTP_MTU, NULL);
  ADD (appsink = make ("appsink", error));
  g_object_set (appsink, "sync", FALSE, "async", FALSE, "emit-signals", TRUE,
      "enable-last-sample", FALSE, "buffer-list", TRUE, "wait-on-eos", FALSE,
      NULL);
  g_signal_connect (appsink, "new-sample", G_CALLBACK (on_branch_sample),
      branch);
#undef ADD

  branch->fanout_stream = gst_rtc_fanout_add_stream (self->fanout,
      GST_RTC_MEDIA_KIND_VIDEO, ssrc, VIDEO_CLOCK_RATE);
  if (branch->fanout_stream == 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "the fan-out has no room for a transcoded stream");
    goto fail;
  }
  gst_rtc_fanout_set_stream_codec (self->fanout, branch->fanout_stream,
      self->codecs[target]->encoding_name);

  for (i = 0; i < chain->len; i++) {
    if (!gst_bin_add (GST_BIN (self->sink), g_ptr_array_index (chain, i))) {
      g_ptr_array_set_size (chain, i);
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
          "could not add the transcode branch to the sink");
      goto fail;
    }
  }
  for (i = 0; i + 1 < chain->len; i++) {
    if (!gst_element_link (g_ptr_array_index (chain, i),
            g_ptr_array_index (chain, i + 1))) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "could not link %s to %s",
          GST_ELEMENT_NAME (g_ptr_array_index (chain, i)),
          GST_ELEMENT_NAME (g_ptr_array_index (chain, i + 1)));
      goto fail;
    }
  }
  for (i = chain->len; i > 0; i--)
    gst_element_sync_state_with_parent (g_ptr_array_index (chain, i - 1));

  branch->appsink = gst_object_ref (appsink);
  branch->entry = gst_object_ref (g_ptr_array_index (chain, 0));
  branch->waiting_keyframe = TRUE;
  pad = gst_element_get_static_pad (branch->entry, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_branch_input, branch,
      NULL);
  branch->tee_pad = gst_element_request_pad_simple (self->tee, "src_%u");
  if (branch->tee_pad == NULL
      || gst_pad_link (branch->tee_pad, pad) != GST_PAD_LINK_OK) {
    gst_object_unref (pad);
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link the transcode branch to the tee");
    goto fail;
  }
  /* The camera may ignore it; the branch then starts at its next IDR. */
  send_force_key_unit (pad, 0);
  gst_object_unref (pad);
  GST_INFO ("%s: %s transcode branch, fan-out stream %u (%s ! %s)",
      self->pad_name, target_names[target], branch->fanout_stream,
      GST_OBJECT_NAME (self->decoder),
      target == TARGET_VP8 ? "vp8enc" : GST_OBJECT_NAME (self->h264_encoder));
  return branch;

fail:
  for (i = 0; i < chain->len; i++) {
    GstElement *e = g_ptr_array_index (chain, i);

    if (GST_OBJECT_PARENT (e) == GST_OBJECT (self->sink)) {
      gst_element_set_state (e, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self->sink), e);
    }
  }
  if (branch->tee_pad != NULL)
    gst_element_release_request_pad (self->tee, branch->tee_pad);
  branch_free (branch);
  return NULL;
}

/**
 * gst_rtc_sink_transcoder_new:
 * @sink: the rtcsink
 * @fanout: its fan-out
 * @tee: the tee in front of the pad's payloader
 * @pad_name: the pad, for messages
 * @bitrate: the target bitrate of transcode encoders (bit/s)
 *
 * Watches what enters @tee. Posts a warning when no H.264 decoder is
 * installed: the pad then only passes its stream through.
 *
 * Returns: (transfer full): the pad's transcoder
 */
GstRtcSinkTranscoder *
gst_rtc_sink_transcoder_new (GstElement * sink, GstRtcFanout * fanout,
    GstElement * tee, const gchar * pad_name, guint bitrate)
{
  GstRtcSinkTranscoder *self = g_new0 (GstRtcSinkTranscoder, 1);
  GstPad *pad;

  ensure_debug_category ();
  self->refcount = 1;
  self->sink = sink;
  self->fanout = gst_object_ref (fanout);
  self->tee = gst_object_ref (tee);
  self->pad_name = g_strdup (pad_name);
  self->bitrate = bitrate;
  g_mutex_init (&self->lock);
  self->codecs[TARGET_VP8] = default_codec ("VP8", NULL);
  self->codecs[TARGET_H264_CB] = default_codec ("H264",
      H264_CB_PROFILE_LEVEL_ID);
  self->decoder = find_factory (GST_ELEMENT_FACTORY_TYPE_DECODER |
      GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO, "video/x-h264");
  self->h264_encoder = gst_element_factory_find ("x264enc");
  if (self->h264_encoder == NULL)
    self->h264_encoder = gst_element_factory_find ("openh264enc");

  g_mutex_lock (&registry_lock);
  self->serial = next_serial++;
  if (next_serial > 0xffff)
    next_serial = 1;
  registry = g_list_prepend (registry, self);
  g_mutex_unlock (&registry_lock);

  pad = gst_element_get_static_pad (tee, "sink");
  self->probe_id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_tee_input, self, NULL);
  gst_object_unref (pad);
  self->keyframe_handler = g_signal_connect (fanout, "request-keyframe",
      G_CALLBACK (on_request_keyframe), self);

  if (self->decoder == NULL) {
    GST_ELEMENT_WARNING (sink, CORE, MISSING_PLUGIN,
        ("No H.264 decoder is installed: %s cannot be transcoded for "
            "viewers that cannot play it. Install gstreamer1.0-libav "
            "(avdec_h264).", pad_name),
        ("without a decoder, a viewer whose offer lacks the stream's H.264 "
            "profile is refused, and B-frames are passed through as they "
            "are"));
  } else {
    GST_INFO_OBJECT (sink, "%s: transcoding with %s to VP8%s%s", pad_name,
        GST_OBJECT_NAME (self->decoder), self->h264_encoder ?
        " and H.264 with " : "", self->h264_encoder ?
        GST_OBJECT_NAME (self->h264_encoder) : "");
  }
  return self;
}

GstRtcSinkTranscoder *
gst_rtc_sink_transcoder_ref (GstRtcSinkTranscoder * self)
{
  g_atomic_int_inc (&self->refcount);
  return self;
}

/**
 * gst_rtc_sink_transcoder_remove:
 * @self: a transcoder
 *
 * Takes the branches out of the sink, for a pad that is released. Call
 * before the tee leaves the sink.
 */
void
gst_rtc_sink_transcoder_remove (GstRtcSinkTranscoder * self)
{
  Branch *branches[N_TARGETS];
  GstPad *pad;

  g_mutex_lock (&self->lock);
  if (self->removed) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->removed = TRUE;
  for (guint t = 0; t < N_TARGETS; t++)
    branches[t] = g_steal_pointer (&self->branches[t]);
  g_mutex_unlock (&self->lock);

  g_signal_handler_disconnect (self->fanout, self->keyframe_handler);
  pad = gst_element_get_static_pad (self->tee, "sink");
  gst_pad_remove_probe (pad, self->probe_id);
  gst_object_unref (pad);

  for (guint t = 0; t < N_TARGETS; t++) {
    Branch *branch = branches[t];

    if (branch == NULL)
      continue;
    gst_element_release_request_pad (self->tee, branch->tee_pad);
    for (guint i = 0; i < branch->elements->len; i++) {
      GstElement *e = g_ptr_array_index (branch->elements, i);

      gst_element_set_locked_state (e, TRUE);
      gst_element_set_state (e, GST_STATE_NULL);
      if (GST_OBJECT_PARENT (e) == GST_OBJECT (self->sink))
        gst_bin_remove (GST_BIN (self->sink), e);
    }
    branch_free (branch);
  }
}

void
gst_rtc_sink_transcoder_unref (GstRtcSinkTranscoder * self)
{
  if (!g_atomic_int_dec_and_test (&self->refcount))
    return;
  g_mutex_lock (&registry_lock);
  registry = g_list_remove (registry, self);
  g_mutex_unlock (&registry_lock);
  g_mutex_lock (&self->lock);
  if (!self->removed) {
    /* The sink is going away with its children: the branches go with it,
     * only the handler and our structures are left to drop. */
    self->removed = TRUE;
    g_signal_handler_disconnect (self->fanout, self->keyframe_handler);
    for (guint t = 0; t < N_TARGETS; t++)
      g_clear_pointer (&self->branches[t], branch_free);
  }
  g_mutex_unlock (&self->lock);
  for (guint t = 0; t < N_TARGETS; t++)
    g_clear_pointer (&self->codecs[t], gst_rtc_codec_free);
  gst_clear_object (&self->decoder);
  gst_clear_object (&self->h264_encoder);
  gst_object_unref (self->tee);
  gst_object_unref (self->fanout);
  g_mutex_clear (&self->lock);
  g_free (self->pad_name);
  g_free (self);
}

/**
 * gst_rtc_sink_transcoder_add_sources:
 * @self: the transcoder of the stream just added to @sources
 * @sources: the sources of an answer; the last one is the passthrough
 *   stream of @self's pad
 * @codecs: their codecs, owned by the caller
 * @tracks: their track ids, owned by the caller
 * @n_sources: how many are filled
 * @max_sources: room in the arrays
 *
 * Makes the pad's passthrough stream and its transcode targets
 * alternatives for one m-line: the passthrough first (unless the stream
 * has B-frames and can be transcoded), then H.264 constrained baseline
 * (when an H.264 encoder is installed), then VP8. Targets get placeholder
 * fan-out streams, which gst_rtc_sink_transcode_resolve() turns into real
 * ones.
 *
 * Returns: the new number of sources
 */
guint
gst_rtc_sink_transcoder_add_sources (GstRtcSinkTranscoder * self,
    GstRtcSinkSource * sources, GstRtcCodec ** codecs, gchar ** tracks,
    guint n_sources, guint max_sources)
{
  static const Target order[] = { TARGET_H264_CB, TARGET_VP8 };
  gboolean reorders, can_transcode;
  gchar *track;
  guint group = self->serial;

  g_return_val_if_fail (n_sources > 0, n_sources);

  g_mutex_lock (&self->lock);
  reorders = gst_rtc_sink_h264_info_reorders (&self->info);
  can_transcode = self->decoder != NULL && !self->removed;
  g_mutex_unlock (&self->lock);

  sources[n_sources - 1].group = group;
  if (!can_transcode)
    return n_sources;
  track = g_strdup (tracks[n_sources - 1]);
  if (reorders) {
    n_sources--;
    gst_rtc_codec_free (codecs[n_sources]);
    g_free (tracks[n_sources]);
  }
  for (guint i = 0; i < G_N_ELEMENTS (order) && n_sources < max_sources; i++) {
    Target target = order[i];

    if (self->codecs[target] == NULL
        || (target == TARGET_H264_CB && self->h264_encoder == NULL))
      continue;
    codecs[n_sources] = gst_rtc_codec_copy (self->codecs[target]);
    tracks[n_sources] = g_strdup (track);
    sources[n_sources].kind = GST_RTC_MEDIA_KIND_VIDEO;
    sources[n_sources].fanout_stream = PLACEHOLDER_BASE |
        (self->serial << 8) | target;
    sources[n_sources].codec = codecs[n_sources];
    sources[n_sources].track_id = tracks[n_sources];
    sources[n_sources].group = group;
    n_sources++;
  }
  g_free (track);
  return n_sources;
}

static gchar *
describe_reason_locked (GstRtcSinkTranscoder * self)
{
  const GstRtcSinkH264Info *info = &self->info;

  if (info->b_slice_seen)
    return g_strdup ("the stream has B-frames (B slices seen), which "
        "browsers play badly over WebRTC");
  if (gst_rtc_sink_h264_info_reorders (info))
    return g_strdup_printf ("the stream has B-frames (SPS VUI "
        "max_num_reorder_frames=%u), which browsers play badly over WebRTC",
        info->max_num_reorder_frames);
  if (info->have_sps)
    return g_strdup_printf ("the viewer's offer has no H.264 format for "
        "the stream's profile-level-id %02x%02x%02x",
        info->profile_idc, info->constraint_flags, info->level_idc);
  return g_strdup ("the viewer's offer has no H.264 format for the stream");
}

/**
 * gst_rtc_sink_transcode_resolve:
 * @transcoders: (array length=n_transcoders): the transcoders of the
 *   sources the answer was built from
 * @n_transcoders: how many
 * @config: the viewer's fan-out configuration, with placeholder streams
 * @info: (out) (optional) (transfer full) (nullable): what was transcoded,
 *   as an `rtcsink-transcode` structure (`pad`, `target`, `reason`,
 *   `created`), %NULL when nothing was
 * @error: why a branch could not be made
 *
 * On the control thread: makes the branches the answer needs (or finds
 * them made) and puts their fan-out streams into @config.
 *
 * Returns: %FALSE if a branch could not be made
 */
gboolean
gst_rtc_sink_transcode_resolve (GstRtcSinkTranscoder ** transcoders,
    guint n_transcoders, GstRtcFanoutViewerConfig * config,
    GstStructure ** info, GError ** error)
{
  if (info != NULL)
    *info = NULL;
  for (guint k = 0; k < config->n_streams; k++) {
    guint id = config->streams[k].stream_id;
    GstRtcSinkTranscoder *self = NULL;
    Target target;
    Branch *branch;
    gboolean created = FALSE;
    gchar *reason;

    if ((id & PLACEHOLDER_MASK) != PLACEHOLDER_BASE)
      continue;
    target = id & 0xff;
    for (guint i = 0; i < n_transcoders; i++) {
      if (transcoders[i]->serial == ((id >> 8) & 0xffff))
        self = transcoders[i];
    }
    g_return_val_if_fail (self != NULL && target < N_TARGETS, FALSE);

    g_mutex_lock (&self->lock);
    if (self->removed) {
      g_mutex_unlock (&self->lock);
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
          "%s was released", self->pad_name);
      return FALSE;
    }
    branch = self->branches[target];
    if (branch == NULL) {
      branch = make_branch_locked (self, target, error);
      if (branch == NULL) {
        g_mutex_unlock (&self->lock);
        return FALSE;
      }
      self->branches[target] = branch;
      created = TRUE;
    }
    config->streams[k].stream_id = branch->fanout_stream;
    if (branch->n_viewers++ == 0 && g_atomic_int_get (&branch->idle)) {
      GstPad *pad = gst_element_get_static_pad (branch->entry, "sink");

      GST_INFO ("%s: %s branch wakes up", self->pad_name,
          target_names[target]);
      g_atomic_int_set (&branch->idle, FALSE);
      send_force_key_unit (pad, 0);
      gst_object_unref (pad);
    }
    reason = describe_reason_locked (self);
    g_mutex_unlock (&self->lock);

    if (info != NULL && *info == NULL) {
      *info = gst_structure_new ("rtcsink-transcode",
          "pad", G_TYPE_STRING, self->pad_name,
          "target", G_TYPE_STRING, target_names[target],
          "reason", G_TYPE_STRING, reason,
          "created", G_TYPE_BOOLEAN, created, NULL);
    }
    g_free (reason);
  }
  return TRUE;
}

/**
 * gst_rtc_sink_transcode_viewer_removed:
 * @fanout: the sink's fan-out
 * @config: the configuration of a viewer that was answered (resolved by
 *   gst_rtc_sink_transcode_resolve()) and is gone
 *
 * A branch whose last viewer left idles: it drops its input, so that
 * nothing is decoded or encoded for nobody, until a viewer needs it again.
 */
void
gst_rtc_sink_transcode_viewer_removed (GstRtcFanout * fanout,
    const GstRtcFanoutViewerConfig * config)
{
  g_mutex_lock (&registry_lock);
  for (GList * l = registry; l != NULL; l = l->next) {
    GstRtcSinkTranscoder *self = l->data;

    if (self->fanout != fanout)
      continue;
    g_mutex_lock (&self->lock);
    for (guint t = 0; t < N_TARGETS; t++) {
      Branch *branch = self->branches[t];

      for (guint k = 0; branch != NULL && k < config->n_streams; k++) {
        if (config->streams[k].stream_id != branch->fanout_stream
            || branch->n_viewers == 0)
          continue;
        if (--branch->n_viewers == 0) {
          GST_INFO ("%s: %s branch has no viewer left, idling",
              self->pad_name, target_names[t]);
          g_atomic_int_set (&branch->idle, TRUE);
        }
      }
    }
    g_mutex_unlock (&self->lock);
  }
  g_mutex_unlock (&registry_lock);
}

/**
 * gst_rtc_sink_transcode_post_viewer:
 * @sink: the rtcsink
 * @viewer_id: the viewer that gets a transcoded stream
 * @info: (transfer full): what gst_rtc_sink_transcode_resolve() told
 *
 * Posts the `rtcsink-transcode` element message.
 */
void
gst_rtc_sink_transcode_post_viewer (GstElement * sink,
    const gchar * viewer_id, GstStructure * info)
{
  gst_structure_set (info, "id", G_TYPE_STRING, viewer_id, NULL);
  GST_INFO_OBJECT (sink, "viewer %s transcoded: %" GST_PTR_FORMAT, viewer_id,
      info);
  gst_element_post_message (sink, gst_message_new_element (GST_OBJECT (sink),
          info));
}

/* ---- audio ---- */

/**
 * gst_rtc_sink_transcode_audio_needs_decoding:
 * @s: an audio pad's input caps
 *
 * Returns: %TRUE for audio that browsers get as Opus after decoding: AAC,
 *   PCMU, PCMA
 */
gboolean
gst_rtc_sink_transcode_audio_needs_decoding (const GstStructure * s)
{
  return gst_structure_has_name (s, "audio/mpeg")
      || gst_structure_has_name (s, "audio/x-mulaw")
      || gst_structure_has_name (s, "audio/x-alaw");
}

/**
 * gst_rtc_sink_transcode_make_audio_decoder:
 * @sink: the rtcsink, which gets an error message when no decoder is
 *   installed
 * @caps: the input caps
 *
 * Returns: (transfer full) (nullable): the elements, floating, to put in
 *   front of the Opus encoder: a parser when one is needed, then the
 *   decoder found by factory lookup
 */
GPtrArray *
gst_rtc_sink_transcode_make_audio_decoder (GstElement * sink,
    const GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  GPtrArray *elements = g_ptr_array_new ();
  GstElementFactory *decoder;
  gchar *caps_string;
  const gchar *what, *install;

  ensure_debug_category ();
  if (gst_structure_has_name (s, "audio/mpeg")) {
    gint version = 4;

    gst_structure_get_int (s, "mpegversion", &version);
    what = version == 1 ? "MPEG audio" : "AAC";
    install = version == 1 ? "gstreamer1.0-libav (avdec_mp3) or "
        "gstreamer1.0-plugins-good (mpg123audiodec)" :
        "gstreamer1.0-libav (avdec_aac) or gstreamer1.0-plugins-bad (faad)";
    caps_string = g_strdup_printf ("audio/mpeg, mpegversion=(int)%d",
        version);
    if (version != 1) {
      GstElement *parse = gst_element_factory_make ("aacparse", NULL);

      if (parse != NULL)
        g_ptr_array_add (elements, parse);
    }
  } else {
    what = gst_structure_has_name (s, "audio/x-mulaw") ? "PCMU (mu-law)" :
        "PCMA (A-law)";
    install = "gstreamer1.0-plugins-good (mulawdec, alawdec)";
    caps_string = g_strdup (gst_structure_get_name (s));
  }
  decoder = find_factory (GST_ELEMENT_FACTORY_TYPE_DECODER |
      GST_ELEMENT_FACTORY_TYPE_MEDIA_AUDIO, caps_string);
  g_free (caps_string);
  if (decoder == NULL) {
    GST_ELEMENT_ERROR (sink, CORE, MISSING_PLUGIN,
        ("No %s decoder is installed: install %s", what, install),
        ("rtcsink decodes %s to send it as Opus", what));
    for (guint i = 0; i < elements->len; i++)
      gst_object_unref (gst_object_ref_sink (g_ptr_array_index (elements,
                  i)));
    g_ptr_array_unref (elements);
    return NULL;
  }
  g_ptr_array_add (elements, gst_element_factory_create (decoder, NULL));
  gst_object_unref (decoder);
  return elements;
}
