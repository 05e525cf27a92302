/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcdtlssrtpenc
 * @title: rtcdtlssrtpenc
 * @see_also: rtcdtlssrtpdec, rtcicesink
 *
 * Protects RTP and RTCP with SRTP keyed by DTLS, and sends the DTLS
 * handshake. It pairs with the rtcdtlssrtpdec of the same
 * #GstRtcDtlsSrtpBase:connection-id, which receives the peer's records;
 * together they are one #GstRtcTransport without ICE. Until the peer's
 * certificate matches #GstRtcDtlsSrtpBase:peer-fingerprint, media is
 * dropped: nothing leaves in the clear. When the keys arrive it asks
 * upstream for a key frame.
 *
 * ## Example launch line (sender half; the receiver half and the exchange
 * of fingerprints are in examples/transport-demo)
 * |[
 * gst-launch-1.0 videotestsrc ! vp8enc deadline=1 ! rtpvp8pay ! \
 *   enc.rtp_sink rtcdtlssrtpenc name=enc connection-id=c1 is-client=true \
 *   peer-fingerprint="sha-256 AB:…" ! udpsink host=127.0.0.1 port=5004 \
 *   udpsrc port=5005 ! rtcdtlssrtpdec connection-id=c1 ! fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcdtlssrtpenc.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_dtls_srtp_enc_debug);
#define GST_CAT_DEFAULT gst_rtc_dtls_srtp_enc_debug

#define DEFAULT_IS_CLIENT FALSE
#define MAX_QUEUED_DATAGRAMS 1024

struct _GstRtcDtlsSrtpEnc
{
  GstRtcDtlsSrtpBase parent;

  GstPad *rtp_sink, *rtcp_sink, *src;
  GstRtcPacketQueue *queue;
  gboolean is_client;
  gboolean sent_stream_start;
  gulong state_handler;
  GstRtcTransport *transport;
};

enum
{
  PROP_0,
  PROP_IS_CLIENT,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

static GstStaticPadTemplate rtp_sink_template =
GST_STATIC_PAD_TEMPLATE ("rtp_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_sink_template =
GST_STATIC_PAD_TEMPLATE ("rtcp_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtcp"));
static GstStaticPadTemplate src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

G_DEFINE_TYPE (GstRtcDtlsSrtpEnc, gst_rtc_dtls_srtp_enc,
    GST_TYPE_RTC_DTLS_SRTP_BASE);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcdtlssrtpenc, "rtcdtlssrtpenc",
    GST_RANK_NONE, GST_TYPE_RTC_DTLS_SRTP_ENC,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_dtls_srtp_enc_debug, "rtcdtlssrtpenc", 0,
        "gst-rtc DTLS-SRTP encoder"));

/* Runs on whatever thread produced the datagram (a streaming thread, or a
 * worker for the handshake): it only queues. */
static void
enc_output (const guint8 * data, gsize len, gpointer user_data)
{
  GstRtcDtlsSrtpEnc *self = user_data;

  gst_rtc_packet_queue_push (self->queue, gst_buffer_new_memdup (data, len));
}

static void
push_sticky_events (GstRtcDtlsSrtpEnc * self)
{
  GstSegment segment;
  gchar *stream_id;

  /* What leaves is one new stream of datagrams, not upstream's stream. */
  stream_id = g_strdup_printf ("%s/%08x", GST_OBJECT_NAME (self),
      g_random_int ());
  gst_pad_push_event (self->src, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (self->src, gst_event_new_segment (&segment));
  self->sent_stream_start = TRUE;
}

static void
src_loop (GstRtcDtlsSrtpEnc * self)
{
  GstBuffer *buffer = gst_rtc_packet_queue_pop (self->queue);
  GstFlowReturn ret;

  if (buffer == NULL) {
    gst_pad_pause_task (self->src);
    return;
  }
  if (!self->sent_stream_start)
    push_sticky_events (self);
  ret = gst_pad_push (self->src, buffer);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED) {
    GST_DEBUG_OBJECT (self, "pausing: %s", gst_flow_get_name (ret));
    gst_pad_pause_task (self->src);
  }
}

static gboolean
src_activate_mode (GstPad * pad, GstObject * parent, GstPadMode mode,
    gboolean active)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (parent);

  if (active) {
    gst_rtc_packet_queue_set_flushing (self->queue, FALSE);
    self->sent_stream_start = FALSE;
    return gst_pad_start_task (pad, (GstTaskFunction) src_loop, self, NULL);
  }
  gst_rtc_packet_queue_set_flushing (self->queue, TRUE);
  return gst_pad_stop_task (pad);
}

static GstFlowReturn
send_one (GstRtcDtlsSrtpEnc * self, GstRtcPacketKind kind, GstBuffer * buffer)
{
  GstRtcSrtpStatus status;

  status = gst_rtc_transport_send_buffer (self->transport, kind, buffer);
  if (status == GST_RTC_SRTP_STATUS_NO_KEY)
    GST_LOG_OBJECT (self, "no SRTP key yet: packet dropped");
  else if (status != GST_RTC_SRTP_STATUS_OK)
    GST_WARNING_OBJECT (self, "cannot protect a %" G_GSIZE_FORMAT
        "-byte packet (status %d): dropped", gst_buffer_get_size (buffer),
        status);
  return GST_FLOW_OK;
}

static gboolean
send_list_item (GstBuffer ** buffer, guint idx, gpointer user_data)
{
  gpointer *args = user_data;

  send_one (args[0], GPOINTER_TO_INT (args[1]), *buffer);
  return TRUE;
}

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (parent);
  GstFlowReturn ret;

  ret = send_one (self, pad == self->rtcp_sink ? GST_RTC_PACKET_KIND_RTCP :
      GST_RTC_PACKET_KIND_RTP, buffer);
  gst_buffer_unref (buffer);
  return ret;
}

static GstFlowReturn
sink_chain_list (GstPad * pad, GstObject * parent, GstBufferList * list)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (parent);
  gpointer args[2] = { self, GINT_TO_POINTER (pad == self->rtcp_sink ?
        GST_RTC_PACKET_KIND_RTCP : GST_RTC_PACKET_KIND_RTP)
  };

  gst_buffer_list_foreach (list, send_list_item, args);
  gst_buffer_list_unref (list);
  return GST_FLOW_OK;
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (parent);

  /* Upstream's caps and segments mean nothing past SRTP; the src pad
   * makes its own. The media stream ends the output, RTCP does not. */
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (pad == self->rtp_sink)
        return gst_pad_push_event (self->src, event);
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      gst_event_unref (event);
      return TRUE;
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static void
request_key_frame (GstRtcDtlsSrtpEnc * self)
{
  GstStructure *s = gst_structure_new ("GstForceKeyUnit",
      "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
      "all-headers", G_TYPE_BOOLEAN, TRUE,
      "count", G_TYPE_UINT, 0, NULL);

  gst_pad_push_event (self->rtp_sink,
      gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

static void
on_transport_state (GstRtcTransport * transport, GParamSpec * pspec,
    GstRtcDtlsSrtpEnc * self)
{
  /* What was sent before the keys was dropped; a decoder joining now
   * needs a key frame. */
  if (gst_rtc_transport_get_state (transport) ==
      GST_RTC_TRANSPORT_STATE_CONNECTED) {
    GST_INFO_OBJECT (self, "SRTP keyed: requesting a key frame");
    request_key_frame (self);
  }
}

static void
enc_attach (GstRtcDtlsSrtpBase * base, GstRtcSharedConnection * connection)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (base);

  self->transport =
      gst_object_ref (gst_rtc_shared_connection_get_transport (connection));
  self->state_handler = g_signal_connect (self->transport, "notify::state",
      G_CALLBACK (on_transport_state), self);
  gst_rtc_shared_connection_set_output (connection, enc_output, self);
}

static void
enc_detach (GstRtcDtlsSrtpBase * base, GstRtcSharedConnection * connection)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (base);

  gst_rtc_shared_connection_set_output (connection, NULL, NULL);
  g_signal_handler_disconnect (self->transport, self->state_handler);
  gst_clear_object (&self->transport);
}

static GstStateChangeReturn
gst_rtc_dtls_srtp_enc_change_state (GstElement * element,
    GstStateChange transition)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_rtc_dtls_srtp_enc_parent_class)->change_state
      (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
      gst_rtc_transport_get_state (self->transport) ==
      GST_RTC_TRANSPORT_STATE_NEW) {
    GError *error = NULL;
    gboolean is_client;

    GST_OBJECT_LOCK (self);
    is_client = self->is_client;
    GST_OBJECT_UNLOCK (self);
    if (!gst_rtc_transport_start (self->transport, is_client ?
            GST_RTC_DTLS_ROLE_CLIENT : GST_RTC_DTLS_ROLE_SERVER, &error)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
          ("Cannot start DTLS: %s", error->message), (NULL));
      g_clear_error (&error);
      return GST_STATE_CHANGE_FAILURE;
    }
  }
  return ret;
}

static void
gst_rtc_dtls_srtp_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (object);

  switch (prop_id) {
    case PROP_IS_CLIENT:
      GST_OBJECT_LOCK (self);
      self->is_client = g_value_get_boolean (value);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_dtls_srtp_enc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (object);

  switch (prop_id) {
    case PROP_IS_CLIENT:
      GST_OBJECT_LOCK (self);
      g_value_set_boolean (value, self->is_client);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_dtls_srtp_enc_finalize (GObject * object)
{
  GstRtcDtlsSrtpEnc *self = GST_RTC_DTLS_SRTP_ENC (object);

  gst_rtc_packet_queue_free (self->queue);
  G_OBJECT_CLASS (gst_rtc_dtls_srtp_enc_parent_class)->finalize (object);
}

static void
gst_rtc_dtls_srtp_enc_init (GstRtcDtlsSrtpEnc * self)
{
  self->is_client = DEFAULT_IS_CLIENT;
  self->queue = gst_rtc_packet_queue_new (MAX_QUEUED_DATAGRAMS);

  self->rtp_sink = gst_pad_new_from_static_template (&rtp_sink_template,
      "rtp_sink");
  self->rtcp_sink = gst_pad_new_from_static_template (&rtcp_sink_template,
      "rtcp_sink");
  self->src = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_chain_function (self->rtp_sink, sink_chain);
  gst_pad_set_chain_function (self->rtcp_sink, sink_chain);
  gst_pad_set_chain_list_function (self->rtp_sink, sink_chain_list);
  gst_pad_set_chain_list_function (self->rtcp_sink, sink_chain_list);
  gst_pad_set_event_function (self->rtp_sink, sink_event);
  gst_pad_set_event_function (self->rtcp_sink, sink_event);
  gst_pad_set_activatemode_function (self->src, src_activate_mode);
  gst_element_add_pad (GST_ELEMENT (self), self->rtp_sink);
  gst_element_add_pad (GST_ELEMENT (self), self->rtcp_sink);
  gst_element_add_pad (GST_ELEMENT (self), self->src);
}

static void
gst_rtc_dtls_srtp_enc_class_init (GstRtcDtlsSrtpEncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRtcDtlsSrtpBaseClass *base_class = GST_RTC_DTLS_SRTP_BASE_CLASS (klass);

  gobject_class->set_property = gst_rtc_dtls_srtp_enc_set_property;
  gobject_class->get_property = gst_rtc_dtls_srtp_enc_get_property;
  gobject_class->finalize = gst_rtc_dtls_srtp_enc_finalize;
  element_class->change_state = gst_rtc_dtls_srtp_enc_change_state;
  base_class->attach = enc_attach;
  base_class->detach = enc_detach;

  /**
   * GstRtcDtlsSrtpEnc:is-client:
   *
   * Whether we are the DTLS client (`a=setup:active`), which sends the
   * ClientHello, or the server (`a=setup:passive`).
   */
  properties[PROP_IS_CLIENT] = g_param_spec_boolean ("is-client", "Is client",
      "Act as the DTLS client (a=setup:active) rather than the server",
      DEFAULT_IS_CLIENT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_properties (gobject_class, PROP_LAST, properties);

  gst_element_class_add_static_pad_template (element_class,
      &rtp_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &rtcp_sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "DTLS-SRTP encoder", "Encoder/Network/RTP",
      "Protects RTP and RTCP with SRTP keyed by DTLS (gst-rtc)",
      "gst-rtc developers");
}
