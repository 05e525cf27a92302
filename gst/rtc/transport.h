/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>
#include <gst/rtc/dtls.h>
#include <gst/rtc/ice.h>
#include <gst/rtc/srtp.h>

G_BEGIN_DECLS

#define GST_RTC_TYPE_TRANSPORT (gst_rtc_transport_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcTransport, gst_rtc_transport, GST_RTC, TRANSPORT,
    GstObject)

/**
 * GstRtcTransportReceiveFunc:
 * @transport: the transport
 * @kind: %GST_RTC_PACKET_KIND_RTP or %GST_RTC_PACKET_KIND_RTCP
 * @buffer: (transfer full): one decrypted RTP or RTCP packet
 * @user_data: user data
 *
 * Called on the transport's worker thread for each authenticated packet.
 * It must not block: hand the buffer to a queue.
 */
typedef void (*GstRtcTransportReceiveFunc) (GstRtcTransport * transport,
    GstRtcPacketKind kind, GstBuffer * buffer, gpointer user_data);

/**
 * GstRtcTransportSendFunc:
 * @transport: the transport
 * @data: (array length=len): one datagram to put on the wire
 * @len: its length
 * @user_data: user data
 *
 * Where the transport sends datagrams when it has no ICE stream: the
 * rtcdtlssrtpenc element pushes them out of its src pad.
 */
typedef void (*GstRtcTransportSendFunc) (GstRtcTransport * transport,
    const guint8 * data, gsize len, gpointer user_data);

GST_RTC_API
GstRtcTransport * gst_rtc_transport_new (GstRtcCertificate * certificate,
    GMainContext * context);

GST_RTC_API
GstRtcCertificate * gst_rtc_transport_get_certificate (GstRtcTransport * transport);

GST_RTC_API
void gst_rtc_transport_set_ice_stream (GstRtcTransport * transport,
    GstRtcIceStream * stream);

GST_RTC_API
GstRtcIceStream * gst_rtc_transport_get_ice_stream (GstRtcTransport * transport);

GST_RTC_API
GstRtcIceStream * gst_rtc_transport_restart_ice (GstRtcTransport * transport,
    GError ** error);

GST_RTC_API
void gst_rtc_transport_set_send_func (GstRtcTransport * transport,
    GstRtcTransportSendFunc func, gpointer user_data, GDestroyNotify notify);

GST_RTC_API
void gst_rtc_transport_set_receive_func (GstRtcTransport * transport,
    GstRtcTransportReceiveFunc func, gpointer user_data, GDestroyNotify notify);

GST_RTC_API
gboolean gst_rtc_transport_start (GstRtcTransport * transport,
    GstRtcDtlsRole role, GError ** error);

GST_RTC_API
gboolean gst_rtc_transport_set_remote_fingerprint (GstRtcTransport * transport,
    const gchar * fingerprint, GError ** error);

GST_RTC_API
gchar * gst_rtc_transport_get_local_fingerprint (GstRtcTransport * transport);

GST_RTC_API
void gst_rtc_transport_receive (GstRtcTransport * transport,
    const guint8 * data, gsize len);

GST_RTC_API
GstRtcSrtpStatus gst_rtc_transport_send (GstRtcTransport * transport,
    GstRtcPacketKind kind, const guint8 * data, gsize len);

GST_RTC_API
GstRtcSrtpStatus gst_rtc_transport_send_buffer (GstRtcTransport * transport,
    GstRtcPacketKind kind, GstBuffer * buffer);

GST_RTC_API
GstRtcTransportState gst_rtc_transport_get_state (GstRtcTransport * transport);

GST_RTC_API
GstRtcDtlsConnection * gst_rtc_transport_get_dtls_connection (GstRtcTransport * transport);

GST_RTC_API
GstStructure * gst_rtc_transport_get_stats (GstRtcTransport * transport);

GST_RTC_API
void gst_rtc_transport_close (GstRtcTransport * transport);

G_END_DECLS
