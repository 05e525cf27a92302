/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-rtcdtlssrtpdec
 * @title: rtcdtlssrtpdec
 * @see_also: rtcdtlssrtpenc, rtcicesrc
 *
 * Takes the datagrams of one WebRTC 5-tuple, feeds DTLS records to the
 * handshake of the rtcdtlssrtpenc with the same
 * #GstRtcDtlsSrtpBase:connection-id, and hands out the RTP and RTCP that
 * authenticate with SRTP on its `rtp_src` and `rtcp_src` pads. What does
 * not authenticate, and anything before the peer's certificate matched its
 * fingerprint, is dropped and counted (see the transport's statistics).
 *
 * The src pads take their caps from downstream where it says more than
 * `application/x-rtp`, so a capsfilter after `rtp_src` can give a
 * depayloader what it needs.
 *
 * ## Example launch line (receiver half)
 * |[
 * gst-launch-1.0 udpsrc port=5004 ! rtcdtlssrtpdec name=dec connection-id=c2 \
 *   peer-fingerprint="sha-256 AB:…" \
 *   dec.rtp_src ! application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000 ! \
 *   rtpvp8depay ! vp8dec ! autovideosink \
 *   rtcdtlssrtpenc connection-id=c2 ! udpsink host=127.0.0.1 port=5005
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcdtlssrtpdec.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_dtls_srtp_dec_debug);
#define GST_CAT_DEFAULT gst_rtc_dtls_srtp_dec_debug

struct _GstRtcDtlsSrtpDec
{
  GstRtcDtlsSrtpBase parent;

  GstPad *sink, *rtp_src, *rtcp_src;
  GstRtcTransport *transport;
  /* Streaming thread only. */
  gboolean rtp_configured, rtcp_configured;
  GstClockTime timestamp;
};

static GstStaticPadTemplate sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate rtp_src_template =
GST_STATIC_PAD_TEMPLATE ("rtp_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate rtcp_src_template =
GST_STATIC_PAD_TEMPLATE ("rtcp_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtcp"));

G_DEFINE_TYPE (GstRtcDtlsSrtpDec, gst_rtc_dtls_srtp_dec,
    GST_TYPE_RTC_DTLS_SRTP_BASE);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (rtcdtlssrtpdec, "rtcdtlssrtpdec",
    GST_RANK_NONE, GST_TYPE_RTC_DTLS_SRTP_DEC,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_dtls_srtp_dec_debug, "rtcdtlssrtpdec", 0,
        "gst-rtc DTLS-SRTP decoder"));

/* Sends stream-start, caps and segment on a src pad before its first
 * buffer. The caps are what downstream accepts, fixated, so that a
 * capsfilter can complete bare application/x-rtp. */
static void
configure_src (GstRtcDtlsSrtpDec * self, GstPad * pad)
{
  GstCaps *template_caps = gst_pad_get_pad_template_caps (pad);
  GstCaps *caps = gst_pad_peer_query_caps (pad, template_caps);
  GstSegment segment;
  gchar *stream_id;

  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps)) {
    gst_caps_unref (caps);
    caps = gst_caps_ref (template_caps);
  }
  caps = gst_caps_fixate (caps);
  gst_caps_unref (template_caps);

  stream_id = gst_pad_create_stream_id (pad, GST_ELEMENT (self),
      pad == self->rtp_src ? "rtp" : "rtcp");
  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}

/* Called synchronously from gst_rtc_transport_receive(), on our sink
 * pad's streaming thread. */
static void
dec_receive (GstRtcTransport * transport, GstRtcPacketKind kind,
    GstBuffer * buffer, gpointer user_data)
{
  GstRtcDtlsSrtpDec *self = user_data;
  GstPad *pad;
  gboolean *configured;
  GstFlowReturn ret;

  if (kind == GST_RTC_PACKET_KIND_RTCP) {
    pad = self->rtcp_src;
    configured = &self->rtcp_configured;
  } else {
    pad = self->rtp_src;
    configured = &self->rtp_configured;
  }
  if (!*configured) {
    configure_src (self, pad);
    *configured = TRUE;
  }
  GST_BUFFER_PTS (buffer) = self->timestamp;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  ret = gst_pad_push (pad, buffer);
  if (ret != GST_FLOW_OK)
    GST_LOG_OBJECT (self, "push on %s: %s", GST_PAD_NAME (pad),
        gst_flow_get_name (ret));
}

static GstFlowReturn
sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRtcDtlsSrtpDec *self = GST_RTC_DTLS_SRTP_DEC (parent);
  GstMapInfo map;

  if (self->transport == NULL) {
    gst_buffer_unref (buffer);
    return GST_FLOW_FLUSHING;
  }
  if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    self->timestamp = GST_BUFFER_PTS (buffer);
    gst_rtc_transport_receive (self->transport, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
  }
  gst_buffer_unref (buffer);
  /* A bad datagram is the network's fault, not the pipeline's: go on. */
  return GST_FLOW_OK;
}

static gboolean
sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRtcDtlsSrtpDec *self = GST_RTC_DTLS_SRTP_DEC (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      /* Each src pad announces its own stream. */
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_FLUSH_STOP:
      self->rtp_configured = FALSE;
      self->rtcp_configured = FALSE;
      return gst_pad_event_default (pad, parent, event);
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static void
dec_attach (GstRtcDtlsSrtpBase * base, GstRtcSharedConnection * connection)
{
  GstRtcDtlsSrtpDec *self = GST_RTC_DTLS_SRTP_DEC (base);

  self->transport =
      gst_object_ref (gst_rtc_shared_connection_get_transport (connection));
  self->rtp_configured = FALSE;
  self->rtcp_configured = FALSE;
  gst_rtc_shared_connection_set_receiver (connection, dec_receive, self);
}

static void
dec_detach (GstRtcDtlsSrtpBase * base, GstRtcSharedConnection * connection)
{
  GstRtcDtlsSrtpDec *self = GST_RTC_DTLS_SRTP_DEC (base);

  gst_rtc_shared_connection_set_receiver (connection, NULL, NULL);
  gst_clear_object (&self->transport);
}

static void
gst_rtc_dtls_srtp_dec_init (GstRtcDtlsSrtpDec * self)
{
  self->sink = gst_pad_new_from_static_template (&sink_template, "sink");
  self->rtp_src = gst_pad_new_from_static_template (&rtp_src_template,
      "rtp_src");
  self->rtcp_src = gst_pad_new_from_static_template (&rtcp_src_template,
      "rtcp_src");
  gst_pad_set_chain_function (self->sink, sink_chain);
  gst_pad_set_event_function (self->sink, sink_event);
  gst_pad_use_fixed_caps (self->rtp_src);
  gst_pad_use_fixed_caps (self->rtcp_src);
  gst_element_add_pad (GST_ELEMENT (self), self->sink);
  gst_element_add_pad (GST_ELEMENT (self), self->rtp_src);
  gst_element_add_pad (GST_ELEMENT (self), self->rtcp_src);
}

static void
gst_rtc_dtls_srtp_dec_class_init (GstRtcDtlsSrtpDecClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRtcDtlsSrtpBaseClass *base_class = GST_RTC_DTLS_SRTP_BASE_CLASS (klass);

  base_class->attach = dec_attach;
  base_class->detach = dec_detach;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &rtp_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &rtcp_src_template);
  gst_element_class_set_static_metadata (element_class,
      "DTLS-SRTP decoder", "Decoder/Network/RTP",
      "Runs the DTLS handshake and unprotects SRTP and SRTCP (gst-rtc)",
      "gst-rtc developers");
}
