/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>

G_BEGIN_DECLS

/* ---- GstRtcCertificate ---- */

#define GST_RTC_TYPE_CERTIFICATE (gst_rtc_certificate_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcCertificate, gst_rtc_certificate, GST_RTC,
    CERTIFICATE, GObject)

GST_RTC_API
GstRtcCertificate * gst_rtc_certificate_generate (GError ** error);

GST_RTC_API
GstRtcCertificate * gst_rtc_certificate_new_from_pem (const gchar * pem,
    GError ** error);

GST_RTC_API
gchar * gst_rtc_certificate_get_fingerprint (GstRtcCertificate * certificate);

GST_RTC_API
gchar * gst_rtc_certificate_get_pem (GstRtcCertificate * certificate,
    gboolean with_private_key);

GST_RTC_API
gchar * gst_rtc_fingerprint_from_pem (const gchar * pem, GError ** error);

GST_RTC_API
gboolean gst_rtc_fingerprint_parse (const gchar * fingerprint,
    guint8 digest[32], GError ** error);

/* ---- GstRtcDtlsConnection ---- */

#define GST_RTC_TYPE_DTLS_CONNECTION (gst_rtc_dtls_connection_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcDtlsConnection, gst_rtc_dtls_connection, GST_RTC,
    DTLS_CONNECTION, GObject)

/**
 * GstRtcDtlsSendFunc:
 * @connection: the connection
 * @data: (array length=len): one DTLS datagram
 * @len: its length
 * @user_data: user data
 *
 * Called, without any lock of the connection held, for each datagram the
 * connection wants to put on the wire.
 */
typedef void (*GstRtcDtlsSendFunc) (GstRtcDtlsConnection * connection, const guint8 * data,
    gsize len, gpointer user_data);

GST_RTC_API
GstRtcDtlsConnection * gst_rtc_dtls_connection_new (GstRtcCertificate * certificate,
    GstRtcDtlsRole role, GMainContext * context);

GST_RTC_API
void gst_rtc_dtls_connection_set_send_func (GstRtcDtlsConnection * connection,
    GstRtcDtlsSendFunc func, gpointer user_data, GDestroyNotify notify);

GST_RTC_API
GstRtcDtlsRole gst_rtc_dtls_connection_get_role (GstRtcDtlsConnection * connection);

GST_RTC_API
gboolean gst_rtc_dtls_connection_set_remote_fingerprint (GstRtcDtlsConnection * connection,
    const gchar * fingerprint, GError ** error);

GST_RTC_API
gboolean gst_rtc_dtls_connection_start (GstRtcDtlsConnection * connection,
    GError ** error);

GST_RTC_API
gboolean gst_rtc_dtls_connection_receive (GstRtcDtlsConnection * connection,
    const guint8 * data, gsize len, GError ** error);

GST_RTC_API
GstRtcDtlsState gst_rtc_dtls_connection_get_state (GstRtcDtlsConnection * connection);

GST_RTC_API
GError * gst_rtc_dtls_connection_get_error (GstRtcDtlsConnection * connection);

GST_RTC_API
gboolean gst_rtc_dtls_connection_get_srtp_keys (GstRtcDtlsConnection * connection,
    GstRtcSrtpProfile * profile, GBytes ** local_key_salt,
    GBytes ** remote_key_salt, GError ** error);

GST_RTC_API
gchar * gst_rtc_dtls_connection_get_peer_certificate_pem (GstRtcDtlsConnection * connection);

GST_RTC_API
void gst_rtc_dtls_connection_close (GstRtcDtlsConnection * connection);

G_END_DECLS
