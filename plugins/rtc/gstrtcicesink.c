/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcicesink
 * @title: rtcicesink
 * @see_also: rtcicesrc, rtcdtlssrtpenc
 *
 * Sends each buffer as one datagram over the selected pair of a
 * #GstRtcIceStream. The stream belongs to a #GstRtcIceAgent that the
 * application drives (credentials and candidates are signalling, which
 * is the application's); several rtcicesink and rtcicesrc elements may
 * share one agent, each bound to one of its streams. Buffers that arrive
 * before the stream is connected are dropped, as on a real network.
 *
 * The pipeline below is built in code, since #GstRtcIceSink:stream is an
 * object: see examples/transport-demo.
 * |[
 * videotestsrc ! vp8enc ! rtpvp8pay ! rtcdtlssrtpenc ! rtcicesink stream=…
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcicesink.h"
#include <gst/rtc/rtc.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_ice_sink_debug);
#define GST_CAT_DEFAULT gst_rtc_ice_sink_debug

struct _GstRtcIceSink
{
  GstBaseSink parent;

  GstRtcIceStream *stream;
  guint64 dropped;
};

enum
{
  PROP_0,
  PROP_STREAM,
  PROP_DROPPED,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

static GstStaticPadTemplate sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstRtcIceSink, gst_rtc_ice_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcicesink, "rtcicesink",
    GST_RANK_NONE, GST_TYPE_RTC_ICE_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_ice_sink_debug, "rtcicesink", 0,
        "gst-rtc ICE sink"));

static GstRtcIceStream *
get_stream (GstRtcIceSink * self)
{
  GstRtcIceStream *stream = NULL;

  GST_OBJECT_LOCK (self);
  if (self->stream != NULL)
    stream = gst_object_ref (self->stream);
  GST_OBJECT_UNLOCK (self);
  return stream;
}

static void
send_buffer (GstRtcIceSink * self, GstRtcIceStream * stream,
    GstBuffer * buffer)
{
  GstMapInfo map;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  if (gst_rtc_ice_stream_send (stream, map.data, map.size) < 0) {
    GST_OBJECT_LOCK (self);
    self->dropped++;
    GST_OBJECT_UNLOCK (self);
    GST_LOG_OBJECT (self, "no path yet: %" G_GSIZE_FORMAT " bytes dropped",
        map.size);
  }
  gst_buffer_unmap (buffer, &map);
}

static GstFlowReturn
gst_rtc_ice_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstRtcIceSink *self = GST_RTC_ICE_SINK (sink);
  GstRtcIceStream *stream = get_stream (self);

  if (stream == NULL)
    return GST_FLOW_OK;
  send_buffer (self, stream, buffer);
  gst_object_unref (stream);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_rtc_ice_sink_render_list (GstBaseSink * sink, GstBufferList * list)
{
  GstRtcIceSink *self = GST_RTC_ICE_SINK (sink);
  GstRtcIceStream *stream = get_stream (self);
  guint i, n = gst_buffer_list_length (list);

  if (stream == NULL)
    return GST_FLOW_OK;
  for (i = 0; i < n; i++)
    send_buffer (self, stream, gst_buffer_list_get (list, i));
  gst_object_unref (stream);
  return GST_FLOW_OK;
}

static gboolean
gst_rtc_ice_sink_start (GstBaseSink * sink)
{
  GstRtcIceSink *self = GST_RTC_ICE_SINK (sink);
  GstRtcIceStream *stream = get_stream (self);

  if (stream == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No ICE stream: set the 'stream' property"), (NULL));
    return FALSE;
  }
  gst_object_unref (stream);
  return TRUE;
}

static void
gst_rtc_ice_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcIceSink *self = GST_RTC_ICE_SINK (object);

  switch (prop_id) {
    case PROP_STREAM:
      GST_OBJECT_LOCK (self);
      gst_clear_object (&self->stream);
      self->stream = g_value_dup_object (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_ice_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcIceSink *self = GST_RTC_ICE_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STREAM:
      g_value_set_object (value, self->stream);
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value, self->dropped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtc_ice_sink_dispose (GObject * object)
{
  GstRtcIceSink *self = GST_RTC_ICE_SINK (object);

  gst_clear_object (&self->stream);
  G_OBJECT_CLASS (gst_rtc_ice_sink_parent_class)->dispose (object);
}

static void
gst_rtc_ice_sink_init (GstRtcIceSink * self)
{
  /* Real-time media: send at once, never wait for the clock or preroll. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
  gst_base_sink_set_async_enabled (GST_BASE_SINK (self), FALSE);
}

static void
gst_rtc_ice_sink_class_init (GstRtcIceSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *base_sink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = gst_rtc_ice_sink_set_property;
  gobject_class->get_property = gst_rtc_ice_sink_get_property;
  gobject_class->dispose = gst_rtc_ice_sink_dispose;
  base_sink_class->render = gst_rtc_ice_sink_render;
  base_sink_class->render_list = gst_rtc_ice_sink_render_list;
  base_sink_class->start = gst_rtc_ice_sink_start;

  /**
   * GstRtcIceSink:stream:
   *
   * The ICE stream to send on, one of a #GstRtcIceAgent's.
   */
  properties[PROP_STREAM] = g_param_spec_object ("stream", "Stream",
      "The GstRtcIceStream to send on", GST_RTC_TYPE_ICE_STREAM,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcIceSink:dropped:
   *
   * Buffers dropped because the stream had no working pair.
   */
  properties[PROP_DROPPED] = g_param_spec_uint64 ("dropped", "Dropped",
      "Buffers dropped because the stream had no working pair", 0,
      G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, PROP_LAST, properties);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "ICE sink", "Sink/Network",
      "Sends datagrams over an ICE stream of a GstRtcIceAgent (gst-rtc)",
      "gst-rtc developers");
}
