/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/rtc/rtc.h>

G_BEGIN_DECLS

/* The state that an rtcdtlssrtpenc and an rtcdtlssrtpdec with the same
 * connection-id share: one GstRtcTransport (one DTLS connection, one SRTP
 * session) and the encoder's output, where DTLS records and protected
 * packets leave. */
typedef struct _GstRtcSharedConnection GstRtcSharedConnection;

typedef void (*GstRtcSharedOutputFunc) (const guint8 * data, gsize len,
    gpointer user_data);

G_GNUC_INTERNAL
GstRtcSharedConnection * gst_rtc_shared_connection_acquire (const gchar * id,
    const gchar * pem, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_shared_connection_release (GstRtcSharedConnection * connection);

G_GNUC_INTERNAL
GstRtcTransport * gst_rtc_shared_connection_get_transport (GstRtcSharedConnection * connection);

/* The user_data of the output and receiver functions is the element, a
 * GstObject: the connection holds a reference to it during each call. */
G_GNUC_INTERNAL
void gst_rtc_shared_connection_set_output (GstRtcSharedConnection * connection,
    GstRtcSharedOutputFunc func, gpointer user_data);

G_GNUC_INTERNAL
void gst_rtc_shared_connection_set_receiver (GstRtcSharedConnection * connection,
    GstRtcTransportReceiveFunc func, gpointer user_data);

G_GNUC_INTERNAL
gboolean gst_rtc_shared_connection_set_peer_fingerprint (GstRtcSharedConnection * connection,
    const gchar * fingerprint, GError ** error);

/* A bounded queue of buffers between a network worker thread and a
 * streaming thread: the worker never blocks; when the queue is full the
 * oldest buffer is dropped and counted. */
typedef struct _GstRtcPacketQueue GstRtcPacketQueue;

G_GNUC_INTERNAL
GstRtcPacketQueue * gst_rtc_packet_queue_new (guint max_buffers);

G_GNUC_INTERNAL
void gst_rtc_packet_queue_free (GstRtcPacketQueue * queue);

G_GNUC_INTERNAL
void gst_rtc_packet_queue_push (GstRtcPacketQueue * queue, GstBuffer * buffer);

G_GNUC_INTERNAL
GstBuffer * gst_rtc_packet_queue_pop (GstRtcPacketQueue * queue);

G_GNUC_INTERNAL
void gst_rtc_packet_queue_set_flushing (GstRtcPacketQueue * queue, gboolean flushing);

G_GNUC_INTERNAL
guint64 gst_rtc_packet_queue_get_dropped (GstRtcPacketQueue * queue);

/* Settings shared by rtcsink and rtcsrc. */

/* Loads the certificate chain of @certificate_file (PEM) and its private
 * key: from @key_file, or when that is NULL or empty, from
 * @certificate_file itself. */
G_GNUC_INTERNAL
GTlsCertificate * gst_rtc_element_load_tls_certificate (const gchar * certificate_file,
    const gchar * key_file, GError ** error);

/* Checks a UDP port range (0 = no bound) and an announced address (NULL
 * or an IP literal), and fills in the bounds of a half-open range. */
G_GNUC_INTERNAL
gboolean gst_rtc_element_check_ice_settings (guint * port_min, guint * port_max,
    const gchar * announced_address, GError ** error);

/* Applies them to an ICE agent. */
G_GNUC_INTERNAL
void gst_rtc_element_configure_ice_agent (GstRtcIceAgent * agent, guint port_min,
    guint port_max, const gchar * announced_address);

/* The mount of @leaf ("/whep", "/", ...) under the element's `path`
 * property @base ("" or NULL: the server's root; else "/room/alice"). */
G_GNUC_INTERNAL
gchar * gst_rtc_element_mount_path (const gchar * base, const gchar * leaf);

/* Checks a `path` property: "" or an absolute path of plain segments. */
G_GNUC_INTERNAL
gboolean gst_rtc_element_check_mount_base (const gchar * base, GError ** error);

G_END_DECLS
