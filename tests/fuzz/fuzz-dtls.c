/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds one input as a received DTLS datagram to a server that has
 * started and to a client that has sent its ClientHello. Neither may
 * crash, leak or hang, whatever the bytes; failing the handshake is fine. */
#include <gst/rtc/rtc.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static GstRtcCertificate *certificate;
static GMainContext *context;

static void
discard_datagram (GstRtcDtlsConnection * connection, const guint8 * datagram,
    gsize len, gpointer user_data)
{
}

static void
feed (GstRtcDtlsRole role, const uint8_t * data, size_t size)
{
  GstRtcDtlsConnection *connection =
      gst_rtc_dtls_connection_new (certificate, role, context);
  GError *error = NULL;

  gst_rtc_dtls_connection_set_send_func (connection, discard_datagram, NULL,
      NULL);
  if (!gst_rtc_dtls_connection_start (connection, &error))
    g_error ("could not start: %s", error->message);

  if (gst_rtc_dtls_connection_receive (connection, data, size, &error)) {
    /* The same datagram twice, as after a retransmission. */
    gst_rtc_dtls_connection_receive (connection, data, size, NULL);
  } else {
    g_assert (error != NULL);
    g_assert (gst_rtc_dtls_connection_get_state (connection) ==
        GST_RTC_DTLS_STATE_FAILED);
    g_clear_error (&error);
  }
  gst_rtc_dtls_connection_close (connection);
  g_object_unref (connection);
  while (g_main_context_iteration (context, FALSE));
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  if (certificate == NULL) {
    GError *error = NULL;

    /* Quiet by default: every input fails somewhere. */
    if (g_getenv ("GST_DEBUG") == NULL)
      g_setenv ("GST_DEBUG", "*:0", TRUE);
    gst_rtc_init ();
    certificate = gst_rtc_certificate_generate (&error);
    if (certificate == NULL)
      g_error ("could not generate a certificate: %s", error->message);
    context = g_main_context_new ();
  }

  feed (GST_RTC_DTLS_ROLE_SERVER, data, size);
  feed (GST_RTC_DTLS_ROLE_CLIENT, data, size);
  return 0;
}
