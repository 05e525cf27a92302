/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcicesrc
 * @title: rtcicesrc
 * @see_also: rtcicesink, rtcdtlssrtpdec
 *
 * Outputs each datagram received on a #GstRtcIceStream as one buffer.
 * Datagrams arrive on the agent's worker thread and reach the pad through
 * a bounded queue, so a blocked pipeline never stalls STUN; when the queue
 * is full the oldest datagram is dropped and counted. STUN is consumed by
 * the agent and never appears here.
 *
 * |[
 * rtcicesrc stream=… ! rtcdtlssrtpdec ! … (built in code, see
 * examples/transport-demo)
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcicesrc.h"
#include "gstrtcelementutils.h"
#include <gst/rtc/rtc.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_ice_src_debug);
#define GST_CAT_DEFAULT gst_rtc_ice_src_debug

#define DEFAULT_MAX_QUEUED 2048

struct _GstRtcIceSrc
{
  GstPushSrc parent;

  GstRtcIceStream *stream;
  GstRtcIceStream *attached;
  GstRtcPacketQueue *queue;
  guint max_queued;
};

enum
{
  PROP_0,
  PROP_STREAM,
  PROP_MAX_QUEUED,
  PROP_DROPPED,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

static GstStaticPadTemplate src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstRtcIceSrc, gst_rtc_ice_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcicesrc, "rtcicesrc",
    GST_RANK_NONE, GST_TYPE_RTC_ICE_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_ice_src_debug, "rtcicesrc", 0,
        "gst-rtc ICE source"));

/* On the agent's worker thread: never blocks. */
static void
on_receive (GstRtcIceStream * stream, const guint8 * data, gsize len,
    gpointer user_data)
{
  GstRtcPacketQueue *queue = user_data;

  gst_rtc_packet_queue_push (queue, gst_buffer_new_memdup (data, len));
}

static gboolean
gst_rtc_ice_src_start (GstBaseSrc * src)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (src);
  GstRtcIceStream *stream;

  GST_OBJECT_LOCK (self);
  stream = self->stream ? gst_object_ref (self->stream) : NULL;
  GST_OBJECT_UNLOCK (self);
  if (stream == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No ICE stream: set the 'stream' property"), (NULL));
    return FALSE;
  }
  gst_rtc_packet_queue_free (self->queue);
  self->queue = gst_rtc_packet_queue_new (self->max_queued);
  gst_rtc_ice_stream_set_receive_func (stream, on_receive, self->queue, NULL);
  self->attached = stream;
  return TRUE;
}

static gboolean
gst_rtc_ice_src_stop (GstBaseSrc * src)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (src);

  if (self->attached != NULL) {
    /* After this returns the worker no longer touches our queue. */
    gst_rtc_ice_stream_set_receive_func (self->attached, NULL, NULL, NULL);
    gst_rtc_worker_pool_sync (gst_rtc_ice_agent_get_context
        (gst_rtc_ice_stream_get_agent (self->attached)));
    gst_clear_object (&self->attached);
  }
  return TRUE;
}

static gboolean
gst_rtc_ice_src_unlock (GstBaseSrc * src)
{
  gst_rtc_packet_queue_set_flushing (GST_RTC_ICE_SRC (src)->queue, TRUE);
  return TRUE;
}

static gboolean
gst_rtc_ice_src_unlock_stop (GstBaseSrc * src)
{
  gst_rtc_packet_queue_set_flushing (GST_RTC_ICE_SRC (src)->queue, FALSE);
  return TRUE;
}

static GstFlowReturn
gst_rtc_ice_src_create (GstPushSrc * src, GstBuffer ** buffer)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (src);

  *buffer = gst_rtc_packet_queue_pop (self->queue);
  return *buffer != NULL ? GST_FLOW_OK : GST_FLOW_FLUSHING;
}

static void
gst_rtc_ice_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_STREAM:
      gst_clear_object (&self->stream);
      self->stream = g_value_dup_object (value);
      break;
    case PROP_MAX_QUEUED:
      self->max_queued = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtc_ice_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (object);

  switch (prop_id) {
    case PROP_STREAM:
      GST_OBJECT_LOCK (self);
      g_value_set_object (value, self->stream);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MAX_QUEUED:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->max_queued);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value,
          gst_rtc_packet_queue_get_dropped (self->queue));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_ice_src_dispose (GObject * object)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (object);

  gst_clear_object (&self->stream);
  G_OBJECT_CLASS (gst_rtc_ice_src_parent_class)->dispose (object);
}

static void
gst_rtc_ice_src_finalize (GObject * object)
{
  GstRtcIceSrc *self = GST_RTC_ICE_SRC (object);

  gst_rtc_packet_queue_free (self->queue);
  G_OBJECT_CLASS (gst_rtc_ice_src_parent_class)->finalize (object);
}

static void
gst_rtc_ice_src_init (GstRtcIceSrc * self)
{
  self->max_queued = DEFAULT_MAX_QUEUED;
  self->queue = gst_rtc_packet_queue_new (self->max_queued);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp (GST_BASE_SRC (self), TRUE);
}

static void
gst_rtc_ice_src_class_init (GstRtcIceSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_src_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_src_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->set_property = gst_rtc_ice_src_set_property;
  gobject_class->get_property = gst_rtc_ice_src_get_property;
  gobject_class->dispose = gst_rtc_ice_src_dispose;
  gobject_class->finalize = gst_rtc_ice_src_finalize;
  base_src_class->start = gst_rtc_ice_src_start;
  base_src_class->stop = gst_rtc_ice_src_stop;
  base_src_class->unlock = gst_rtc_ice_src_unlock;
  base_src_class->unlock_stop = gst_rtc_ice_src_unlock_stop;
  push_src_class->create = gst_rtc_ice_src_create;

  /**
   * GstRtcIceSrc:stream:
   *
   * The ICE stream to receive from, one of a #GstRtcIceAgent's. The
   * element takes the stream's receive function while it runs.
   */
  properties[PROP_STREAM] = g_param_spec_object ("stream", "Stream",
      "The GstRtcIceStream to receive from", GST_RTC_TYPE_ICE_STREAM,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcIceSrc:max-queued:
   *
   * The most datagrams held between the network thread and the pad; past
   * it, the oldest is dropped.
   */
  properties[PROP_MAX_QUEUED] = g_param_spec_uint ("max-queued",
      "Max queued", "Most datagrams held between the network thread and "
      "the pad before the oldest is dropped", 1, G_MAXINT, DEFAULT_MAX_QUEUED,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcIceSrc:dropped:
   *
   * Datagrams dropped because the queue was full.
   */
  properties[PROP_DROPPED] = g_param_spec_uint64 ("dropped", "Dropped",
      "Datagrams dropped because the queue was full", 0, G_MAXUINT64, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (gobject_class, PROP_LAST, properties);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "ICE source", "Source/Network",
      "Receives datagrams from an ICE stream of a GstRtcIceAgent (gst-rtc)",
      "gst-rtc developers");
}
