/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-rtc-dtls-bench: how long a DTLS-SRTP handshake between two
 * GstRtcDtlsConnections takes on one thread, in memory, with no network
 * and no loss: the CPU cost of a peer connection's key exchange (ECDHE
 * and two ECDSA P-256 signatures and verifications per side), plus
 * certificate generation, which each peer connection also pays once.
 *
 *   gst-rtc-dtls-bench [--handshakes N]
 *
 * Prints the mean, median and slowest handshake; 50 handshakes by default.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtc/rtc.h>

#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_HANDSHAKES 50
#define WARMUP_HANDSHAKES 3

typedef struct
{
  GstRtcDtlsConnection *connection;
  GQueue inbox;
} Endpoint;

typedef struct
{
  Endpoint client;
  Endpoint server;
  guint datagrams;
} Link;

static void
deliver_to_peer (GstRtcDtlsConnection * connection, const guint8 * data,
    gsize len, gpointer user_data)
{
  Link *link = user_data;
  Endpoint *to = connection == link->client.connection ? &link->server :
      &link->client;

  g_queue_push_tail (&to->inbox, g_bytes_new (data, len));
  link->datagrams++;
}

static gboolean
deliver_one (Endpoint * endpoint)
{
  GBytes *datagram = g_queue_pop_head (&endpoint->inbox);
  const guint8 *data;
  gsize len;
  GError *error = NULL;

  if (datagram == NULL)
    return FALSE;
  data = g_bytes_get_data (datagram, &len);
  if (!gst_rtc_dtls_connection_receive (endpoint->connection, data, len,
          &error)) {
    g_printerr ("handshake failed: %s\n", error->message);
    exit (1);
  }
  g_bytes_unref (datagram);
  return TRUE;
}

/* One full handshake, from creating both connections to both having
 * their SRTP keys. Returns its duration in microseconds. */
static gint64
run_handshake (GstRtcCertificate * client_cert,
    GstRtcCertificate * server_cert, const gchar * client_fingerprint,
    const gchar * server_fingerprint, guint * datagrams)
{
  Link link = { {NULL}, {NULL}, 0 };
  GBytes *local = NULL, *remote = NULL;
  GError *error = NULL;
  gint64 start, end;

  g_queue_init (&link.client.inbox);
  g_queue_init (&link.server.inbox);

  start = g_get_monotonic_time ();
  link.client.connection = gst_rtc_dtls_connection_new (client_cert,
      GST_RTC_DTLS_ROLE_CLIENT, NULL);
  link.server.connection = gst_rtc_dtls_connection_new (server_cert,
      GST_RTC_DTLS_ROLE_SERVER, NULL);
  gst_rtc_dtls_connection_set_send_func (link.client.connection,
      deliver_to_peer, &link, NULL);
  gst_rtc_dtls_connection_set_send_func (link.server.connection,
      deliver_to_peer, &link, NULL);
  if (!gst_rtc_dtls_connection_set_remote_fingerprint (link.client.connection,
          server_fingerprint, &error)
      || !gst_rtc_dtls_connection_set_remote_fingerprint
      (link.server.connection, client_fingerprint, &error)
      || !gst_rtc_dtls_connection_start (link.server.connection, &error)
      || !gst_rtc_dtls_connection_start (link.client.connection, &error)) {
    g_printerr ("could not start: %s\n", error->message);
    exit (1);
  }
  while (deliver_one (&link.server) || deliver_one (&link.client));
  if (!gst_rtc_dtls_connection_get_srtp_keys (link.client.connection, NULL,
          &local, &remote, &error)) {
    g_printerr ("no keys: %s\n", error->message);
    exit (1);
  }
  end = g_get_monotonic_time ();

  g_bytes_unref (local);
  g_bytes_unref (remote);
  g_object_unref (link.client.connection);
  g_object_unref (link.server.connection);
  *datagrams = link.datagrams;
  return end - start;
}

static gint
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  gint handshakes = DEFAULT_HANDSHAKES;
  GOptionEntry entries[] = {
    {"handshakes", 'n', 0, G_OPTION_ARG_INT, &handshakes,
        "How many handshakes to time", "N"},
    {NULL}
  };
  GOptionContext *options;
  GstRtcCertificate *client_cert, *server_cert;
  gchar *client_fingerprint, *server_fingerprint;
  GError *error = NULL;
  gint64 *durations, total = 0, start, generate_us;
  guint datagrams = 0;
  gint i;

  options = g_option_context_new ("- time DTLS-SRTP handshakes in memory");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (options);
  if (handshakes < 1) {
    g_printerr ("--handshakes must be at least 1\n");
    return 2;
  }

  gst_rtc_init ();

  start = g_get_monotonic_time ();
  client_cert = gst_rtc_certificate_generate (&error);
  generate_us = g_get_monotonic_time () - start;
  server_cert = client_cert ? gst_rtc_certificate_generate (&error) : NULL;
  if (server_cert == NULL) {
    g_printerr ("could not generate a certificate: %s\n", error->message);
    return 1;
  }
  client_fingerprint = gst_rtc_certificate_get_fingerprint (client_cert);
  server_fingerprint = gst_rtc_certificate_get_fingerprint (server_cert);

  /* The first handshakes also build each certificate's SSL_CTX and warm
   * OpenSSL's caches; a long-running process pays that once. */
  for (i = 0; i < WARMUP_HANDSHAKES; i++)
    run_handshake (client_cert, server_cert, client_fingerprint,
        server_fingerprint, &datagrams);

  durations = g_new (gint64, handshakes);
  for (i = 0; i < handshakes; i++) {
    durations[i] = run_handshake (client_cert, server_cert,
        client_fingerprint, server_fingerprint, &datagrams);
    total += durations[i];
  }
  qsort (durations, handshakes, sizeof (gint64), compare_gint64);

  printf ("certificate generation: %.2f ms\n", generate_us / 1000.0);
  printf ("%d handshakes, %u datagrams each: mean %.2f ms, median %.2f ms, "
      "max %.2f ms\n", handshakes, datagrams,
      total / 1000.0 / handshakes, durations[handshakes / 2] / 1000.0,
      durations[handshakes - 1] / 1000.0);

  g_free (durations);
  g_free (client_fingerprint);
  g_free (server_fingerprint);
  g_object_unref (client_cert);
  g_object_unref (server_cert);
  return 0;
}
