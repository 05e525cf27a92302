/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtc
 * @title: gst-rtc
 * @short_description: WebRTC transport building blocks for GStreamer
 *
 * libgstrtc-1.0 holds the protocol core of gst-rtc: ICE over libnice
 * (#GstRtcIceAgent), DTLS over OpenSSL (#GstRtcDtlsConnection), SRTP over
 * libsrtp2 (#GstRtcSrtpSession), the RFC 7983 demultiplexer, and
 * #GstRtcTransport, which puts them together.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtc.h"

#include <srtp2/srtp.h>
#include <openssl/ssl.h>

/**
 * gst_rtc_error_quark:
 *
 * The quark of %GST_RTC_ERROR, the error domain of gst-rtc.
 *
 * Returns: the error domain of gst-rtc's #GError values
 */
G_DEFINE_QUARK (gst-rtc-error-quark, gst_rtc_error);

/**
 * gst_rtc_init:
 *
 * Initialises libsrtp2 and OpenSSL once for the process. Every constructor
 * of the library calls it; applications need not, but may.
 */
void
gst_rtc_init (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised)) {
    srtp_err_status_t status;

    if (!gst_is_initialized ())
      gst_init (NULL, NULL);
    /* "ws://host:port/room" can be set where a GstRtcSignaller goes. */
    gst_rtc_signaller_register_value_table ();
    OPENSSL_init_ssl (0, NULL);
    /* Another user of libsrtp2 in the process (aiortc's pylibsrtp, say)
     * may have initialised it already; that is not an error for us. */
    status = srtp_init ();
    if (status != srtp_err_status_ok)
      g_message ("srtp_init() returned libsrtp2 status %d; going on", status);
    g_once_init_leave (&initialised, 1);
  }
}
