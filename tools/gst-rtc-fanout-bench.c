/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-rtc-fanout-bench: what one packet costs per viewer when GstRtcFanout
 * serves N viewers, each on a real GstRtcTransport keyed by a DTLS
 * handshake (AEAD-AES-128-GCM). Packets of 1200 bytes are pushed at a
 * fixed rate for a few seconds; the process's CPU time (getrusage) is
 * divided by packets and viewers. Printed next to the cost of one SRTP
 * protect (GCM) plus one UDP send() of 1200 bytes on loopback, measured in
 * the same run: the least a viewer can cost without a fan-out.
 *
 *   gst-rtc-fanout-bench [--viewers 1,10,50,100] [--rate 1000]
 *       [--seconds 3] [--udp] [--quick]
 *
 * By default the viewers' transports hand their datagrams to a function
 * that drops them, so the figure is the fan-out, the rewrite and SRTP;
 * with --udp each viewer sends them with send() on its own UDP socket
 * to a loopback port nobody reads, as a NiceAgent would.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtc/rtc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define PACKET_LEN 1200
#define REFERENCE_PACKETS 50000

typedef struct
{
  GstRtcTransport *a, *b;
  GAsyncQueue *to_a, *to_b;
  gint fd;                      /* --udp: this viewer's socket, or -1 */
  gboolean wired;               /* still in the handshake */
} Viewer;

static gboolean use_udp = FALSE;
static struct sockaddr_in sink_address;

static void
a_send (GstRtcTransport * t, const guint8 * data, gsize len, gpointer user_data)
{
  Viewer *viewer = user_data;

  if (viewer->wired) {
    g_async_queue_push (viewer->to_b, g_bytes_new (data, len));
  } else if (viewer->fd >= 0) {
    /* A full receive buffer drops silently: the cost is in send(). */
    if (send (viewer->fd, data, len, MSG_DONTWAIT) < 0) {
      /* Counted by nobody: the bench measures CPU, not delivery. */
    }
  }
}

static void
b_send (GstRtcTransport * t, const guint8 * data, gsize len, gpointer user_data)
{
  Viewer *viewer = user_data;

  if (viewer->wired)
    g_async_queue_push (viewer->to_a, g_bytes_new (data, len));
}

static void
drain (Viewer * viewers, guint n)
{
  gboolean busy = TRUE;

  while (busy) {
    busy = FALSE;
    for (guint i = 0; i < n; i++) {
      GBytes *bytes;

      while ((bytes = g_async_queue_try_pop (viewers[i].to_a)) != NULL) {
        gst_rtc_transport_receive (viewers[i].a, g_bytes_get_data (bytes,
                NULL), g_bytes_get_size (bytes));
        g_bytes_unref (bytes);
        busy = TRUE;
      }
      while ((bytes = g_async_queue_try_pop (viewers[i].to_b)) != NULL) {
        gst_rtc_transport_receive (viewers[i].b, g_bytes_get_data (bytes,
                NULL), g_bytes_get_size (bytes));
        g_bytes_unref (bytes);
        busy = TRUE;
      }
    }
  }
}

static gint
open_udp_to_sink (void)
{
  gint fd = socket (AF_INET, SOCK_DGRAM, 0);

  if (fd < 0 || connect (fd, (struct sockaddr *) &sink_address,
          sizeof (sink_address)) < 0) {
    perror ("udp socket");
    exit (1);
  }
  return fd;
}

/* A bound socket that is never read; small buffer, so the kernel drops. */
static gint
open_sink (void)
{
  gint fd = socket (AF_INET, SOCK_DGRAM, 0);
  gint size = 4096;
  socklen_t len = sizeof (sink_address);

  memset (&sink_address, 0, sizeof (sink_address));
  sink_address.sin_family = AF_INET;
  sink_address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
  if (bind (fd, (struct sockaddr *) &sink_address, sizeof (sink_address)) < 0
      || getsockname (fd, (struct sockaddr *) &sink_address, &len) < 0) {
    perror ("sink socket");
    exit (1);
  }
  return fd;
}

static Viewer *
viewers_new (guint n, GstRtcCertificate * ca, GstRtcCertificate * cb)
{
  Viewer *viewers = g_new0 (Viewer, n);
  gchar *fa = gst_rtc_certificate_get_fingerprint (ca);
  gchar *fb = gst_rtc_certificate_get_fingerprint (cb);
  guint connected = 0;
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  for (guint i = 0; i < n; i++) {
    Viewer *viewer = &viewers[i];

    viewer->wired = TRUE;
    viewer->fd = use_udp ? open_udp_to_sink () : -1;
    viewer->to_a = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
    viewer->to_b = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
    viewer->a = gst_rtc_transport_new (ca, NULL);
    viewer->b = gst_rtc_transport_new (cb, NULL);
    gst_rtc_transport_set_send_func (viewer->a, a_send, viewer, NULL);
    gst_rtc_transport_set_send_func (viewer->b, b_send, viewer, NULL);
    gst_rtc_transport_set_remote_fingerprint (viewer->a, fb, NULL);
    gst_rtc_transport_set_remote_fingerprint (viewer->b, fa, NULL);
    gst_rtc_transport_start (viewer->a, GST_RTC_DTLS_ROLE_SERVER, NULL);
    gst_rtc_transport_start (viewer->b, GST_RTC_DTLS_ROLE_CLIENT, NULL);
  }
  g_free (fa);
  g_free (fb);

  while (connected < n && g_get_monotonic_time () < deadline) {
    drain (viewers, n);
    connected = 0;
    for (guint i = 0; i < n; i++)
      connected += gst_rtc_transport_get_state (viewers[i].a) ==
          GST_RTC_TRANSPORT_STATE_CONNECTED;
    g_usleep (1000);
  }
  if (connected < n) {
    g_printerr ("only %u of %u transports connected\n", connected, n);
    exit (1);
  }
  for (guint i = 0; i < n; i++)
    viewers[i].wired = FALSE;
  drain (viewers, n);
  return viewers;
}

static void
viewers_free (Viewer * viewers, guint n)
{
  for (guint i = 0; i < n; i++) {
    gst_object_unref (viewers[i].a);
    gst_object_unref (viewers[i].b);
    g_async_queue_unref (viewers[i].to_a);
    g_async_queue_unref (viewers[i].to_b);
    if (viewers[i].fd >= 0)
      close (viewers[i].fd);
  }
  g_free (viewers);
}

static gdouble
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
      usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static gdouble
thread_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  if (dir != NULL)
    g_dir_close (dir);
  return n;
}

static gsize
rss_bytes (void)
{
  gchar *status = NULL;
  gsize kb = 0;
  const gchar *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  if (line != NULL)
    kb = g_ascii_strtoull (line + 6, NULL, 10);
  g_free (status);
  return kb * 1024;
}

static GstBuffer *
make_packet (guint16 seq, guint32 ts, gboolean key)
{
  guint8 *data = g_malloc (PACKET_LEN);

  data[0] = 0x80;
  data[1] = 0x80 | 96;
  GST_WRITE_UINT16_BE (data + 2, seq);
  GST_WRITE_UINT32_BE (data + 4, ts);
  GST_WRITE_UINT32_BE (data + 8, 0x11111111);
  /* VP8: start of partition 0, key frame or not. */
  data[12] = 0x10;
  data[13] = key ? 0x00 : 0x01;
  memset (data + 14, 0x5a, PACKET_LEN - 14);
  return gst_buffer_new_wrapped (data, PACKET_LEN);
}

static void
sleep_until (gint64 deadline_us)
{
  gint64 now = g_get_monotonic_time ();

  if (deadline_us > now)
    g_usleep (deadline_us - now);
}

typedef struct
{
  guint viewers;
  guint64 packets;
  gdouble cpu_us_per_packet;
  gdouble push_thread_us_per_packet;
  gdouble push_wall_us;
  guint threads;
  gdouble fanout_kib_per_viewer;
  gdouble transport_pair_kib_per_viewer;
} Result;

/* Pushes @count packets at @rate from @seq on, a frame of 30 packets
 * every 3000 ticks (about 33 ms at 1000 packets/s); the first is a key
 * frame if @key. Returns the time the pushes blocked the caller, in us. */
static gint64
push_packets (GstRtcFanout * fanout, guint stream, guint64 count, guint rate,
    guint16 * seq, guint32 * ts, gboolean key)
{
  gint64 start = g_get_monotonic_time (), blocked = 0;

  for (guint64 i = 0; i < count; i++, (*seq)++) {
    GstBuffer *buffer;
    gint64 before;

    if (*seq % 30 == 0)
      *ts += 3000;
    buffer = make_packet (*seq, *ts, key && i == 0);
    sleep_until (start + (gint64) (i * G_USEC_PER_SEC / rate));
    before = g_get_monotonic_time ();
    gst_rtc_fanout_push (fanout, stream, buffer);
    blocked += g_get_monotonic_time () - before;
  }
  return blocked;
}

static void
run (guint n, guint rate, gdouble seconds, GstRtcCertificate * ca,
    GstRtcCertificate * cb, Result * result)
{
  gsize rss_start, rss_transports, rss_history, rss_viewers;
  GstRtcFanout *fanout;
  Viewer *viewers;
  guint stream, *ids = g_new0 (guint, MAX (n, 1));
  guint64 packets = (guint64) (rate * seconds);
  gdouble cpu_start, thread_start;
  gint64 blocked;
  guint16 seq = 0;
  guint32 ts = 0;

  rss_start = rss_bytes ();
  viewers = viewers_new (n, ca, cb);
  rss_transports = rss_bytes ();

  /* A second without viewers fills the history, which is per stream. */
  fanout = gst_rtc_fanout_new ();
  stream = gst_rtc_fanout_add_stream (fanout, GST_RTC_MEDIA_KIND_VIDEO,
      0x11111111, 90000);
  gst_rtc_fanout_set_stream_codec (fanout, stream, "VP8");
  push_packets (fanout, stream, rate, rate, &seq, &ts, TRUE);
  rss_history = rss_bytes ();

  for (guint i = 0; i < n; i++) {
    GstRtcFanoutViewerConfig config = { 0, };

    gst_rtc_fanout_viewer_config_add_stream (&config, stream, 96, 97,
        0x20000000 + i, 0x30000000 + i, "0", 1, 3);
    ids[i] = gst_rtc_fanout_add_viewer (fanout, viewers[i].a, &config);
  }
  /* Viewers start on a key frame; half a second of steady state. */
  push_packets (fanout, stream, rate / 2, rate, &seq, &ts, TRUE);
  rss_viewers = rss_bytes ();

  cpu_start = cpu_seconds ();
  thread_start = thread_cpu_seconds ();
  blocked = push_packets (fanout, stream, packets, rate, &seq, &ts, FALSE);
  result->viewers = n;
  result->packets = packets;
  result->cpu_us_per_packet = (cpu_seconds () - cpu_start) * 1e6 / packets;
  result->push_thread_us_per_packet =
      (thread_cpu_seconds () - thread_start) * 1e6 / packets;
  result->push_wall_us = (gdouble) blocked / packets;
  result->threads = count_threads ();
  result->fanout_kib_per_viewer = n == 0 ? 0 :
      ((gdouble) rss_viewers - rss_history) / 1024 / n;
  result->transport_pair_kib_per_viewer = n == 0 ? 0 :
      ((gdouble) rss_transports - rss_start) / 1024 / n;

  for (guint i = 0; i < n; i++)
    gst_rtc_fanout_remove_viewer (fanout, ids[i]);
  gst_object_unref (fanout);
  viewers_free (viewers, n);
  g_free (ids);
}

/* The least a viewer costs without a fan-out: protect one packet with
 * GCM, send it on loopback. */
static void
measure_reference (gdouble * protect_us, gdouble * send_us)
{
  const GstRtcSrtpProfile gcm = GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM;
  GstRtcSrtpSession *session = gst_rtc_srtp_session_new ();
  gsize key_len = gst_rtc_srtp_profile_get_key_length (gcm) +
      gst_rtc_srtp_profile_get_salt_length (gcm);
  guint8 key[64];
  guint64 storage[(PACKET_LEN + GST_RTC_SRTP_MAX_TRAILER_LEN) / 8 + 1];
  guint8 *packet = (guint8 *) storage;
  gsize len = 0;
  gint fd = open_udp_to_sink ();
  GError *error = NULL;
  gdouble start;

  for (guint i = 0; i < sizeof (key); i++)
    key[i] = i * 7;
  if (!gst_rtc_srtp_session_set_keys (session, gcm, key, key_len, key,
          key_len, &error)) {
    g_printerr ("cannot key SRTP: %s\n", error->message);
    exit (1);
  }

  start = thread_cpu_seconds ();
  for (guint i = 0; i < REFERENCE_PACKETS; i++) {
    memset (packet, 0x5a, PACKET_LEN);
    packet[0] = 0x80;
    packet[1] = 96;
    GST_WRITE_UINT16_BE (packet + 2, i);
    GST_WRITE_UINT32_BE (packet + 8, 0x11111111);
    len = PACKET_LEN;
    gst_rtc_srtp_session_protect (session, FALSE, packet, &len,
        PACKET_LEN + GST_RTC_SRTP_MAX_TRAILER_LEN);
  }
  *protect_us = (thread_cpu_seconds () - start) * 1e6 / REFERENCE_PACKETS;

  start = thread_cpu_seconds ();
  for (guint i = 0; i < REFERENCE_PACKETS; i++) {
    if (send (fd, packet, len, MSG_DONTWAIT) < 0) {
      /* A full sink buffer: dropped, as for the viewers. */
    }
  }
  *send_us = (thread_cpu_seconds () - start) * 1e6 / REFERENCE_PACKETS;
  close (fd);
  g_object_unref (session);
}

static void
print_result (const Result * r, const Result * baseline)
{
  gdouble per_viewer = 0, thread_per_viewer = 0;

  if (r->viewers > 0) {
    per_viewer = (r->cpu_us_per_packet - baseline->cpu_us_per_packet) /
        r->viewers;
    thread_per_viewer = (r->push_thread_us_per_packet -
        baseline->push_thread_us_per_packet) / r->viewers;
  }
  g_print ("%7u %8" G_GUINT64_FORMAT " %10.2f %10.2f %11.2f %11.1f %7u "
      "%11.1f %11.1f\n", r->viewers, r->packets, r->cpu_us_per_packet,
      per_viewer, thread_per_viewer, r->push_wall_us, r->threads,
      r->fanout_kib_per_viewer, r->transport_pair_kib_per_viewer);
}

int
main (int argc, char **argv)
{
  gchar *viewer_list = NULL;
  gint rate = 1000;
  gdouble seconds = 3;
  gboolean quick = FALSE;
  GOptionEntry entries[] = {
    {"viewers", 0, 0, G_OPTION_ARG_STRING, &viewer_list,
        "Comma-separated viewer counts (default 1,10,50,100)", "LIST"},
    {"rate", 0, 0, G_OPTION_ARG_INT, &rate, "Packets per second (1000)", "N"},
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Seconds per run (3)",
        "S"},
    {"udp", 0, 0, G_OPTION_ARG_NONE, &use_udp,
        "Send each viewer's datagrams with send() on loopback", NULL},
    {"quick", 0, 0, G_OPTION_ARG_NONE, &quick, "0.3 s runs, a smoke test",
        NULL},
    {NULL}
  };
  GOptionContext *context = g_option_context_new ("- GstRtcFanout cost");
  GError *error = NULL;
  gchar **counts;
  GstRtcCertificate *ca, *cb;
  gdouble protect_us, send_us;
  Result baseline;
  gint sink;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 1;
  }
  g_option_context_free (context);
  gst_rtc_init ();
  if (quick)
    seconds = 0.3;
  if (rate <= 0 || seconds <= 0) {
    g_printerr ("--rate and --seconds must be positive\n");
    return 1;
  }

  sink = open_sink ();
  ca = gst_rtc_certificate_generate (NULL);
  cb = gst_rtc_certificate_generate (NULL);
  measure_reference (&protect_us, &send_us);

  g_print ("GstRtcFanout: %d packets/s of %d bytes for %.1f s, "
      "AEAD-AES-128-GCM, datagrams %s\n", rate, PACKET_LEN, seconds,
      use_udp ? "sent with send() on loopback" :
      "dropped by the send function");
  g_print ("reference, same run: SRTP protect (GCM) %.2f us + UDP send() %.2f "
      "us = %.2f us per packet\n\n", protect_us, send_us, protect_us + send_us);
  g_print ("%7s %8s %10s %10s %11s %11s %7s %11s %11s\n", "viewers",
      "packets", "cpu us/pkt", "+us/viewer", "thread +us", "push wall",
      "threads", "fanout KiB", "transp KiB");
  g_print ("%7s %8s %10s %10s %11s %11s %7s %11s %11s\n", "", "",
      "(process)", "(process)", "/viewer", "us/pkt", "", "/viewer",
      "pair/viewer");

  /* No viewer: what a packet costs anyway (allocation, pacing, history). */
  run (0, rate, seconds, ca, cb, &baseline);
  counts = g_strsplit (viewer_list ? viewer_list : "1,10,50,100", ",", -1);
  for (guint i = 0; counts[i] != NULL; i++) {
    guint n = g_ascii_strtoull (counts[i], NULL, 10);
    Result result;

    if (i == 0)
      print_result (&baseline, &baseline);
    if (n == 0)
      continue;
    run (n, rate, seconds, ca, cb, &result);
    print_result (&result, &baseline);
  }
  g_print ("\n+us/viewer: process CPU (getrusage) per packet, less the "
      "no-viewer run, per viewer;\nthread +us/viewer: the same for the "
      "pushing thread alone; push wall: how long one push\nblocks the "
      "streaming thread; fanout KiB/viewer: RSS of the viewer state; "
      "transp KiB:\nboth ends of a keyed GstRtcTransport pair.\n");

  g_strfreev (counts);
  g_free (viewer_list);
  g_object_unref (ca);
  g_object_unref (cb);
  close (sink);
  return 0;
}
