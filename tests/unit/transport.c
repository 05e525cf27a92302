/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstRtcTransport end to end: two transports on two ICE agents on
 * loopback, keyed by a real DTLS handshake; and two transports wired
 * back to back without ICE, as the DTLS-SRTP elements use them. */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <nice/agent.h>

#define WAIT_SECONDS 15

typedef struct
{
  GMutex lock;
  GstRtcTransport *transport;
  GstRtcIceAgent *agent;
  GstRtcIceStream *stream;
  gint rtp_received, rtcp_received;
} Peer;

static gboolean
wait_until (gboolean (*predicate) (gpointer), gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_TIME_SPAN_SECOND;

  while (g_get_monotonic_time () < deadline) {
    if (predicate (data))
      return TRUE;
    g_usleep (10 * 1000);
  }
  return predicate (data);
}

static void
on_receive (GstRtcTransport * transport, GstRtcPacketKind kind,
    GstBuffer * buffer, gpointer user_data)
{
  Peer *peer = user_data;

  if (kind == GST_RTC_PACKET_KIND_RTP)
    g_atomic_int_inc (&peer->rtp_received);
  else
    g_atomic_int_inc (&peer->rtcp_received);
  gst_buffer_unref (buffer);
}

/* Trickle: each candidate goes to the other side as soon as it appears. */
static void
on_candidate (GstRtcIceStream * stream, const gchar * candidate, Peer * to)
{
  GError *error = NULL;
  GstRtcIceStream *target = NULL;

  g_mutex_lock (&to->lock);
  if (to->stream != NULL)
    target = gst_object_ref (to->stream);
  g_mutex_unlock (&to->lock);
  if (target == NULL)
    return;
  if (!gst_rtc_ice_stream_add_remote_candidate (target, candidate, &error)) {
    GST_WARNING ("candidate refused: %s", error->message);
    g_clear_error (&error);
  }
  gst_object_unref (target);
}

static void
restrict_to_loopback (GstRtcIceAgent * agent)
{
  NiceAgent *nice = NULL;
  NiceAddress address;

  g_object_get (agent, "nice-agent", &nice, NULL);
  nice_address_init (&address);
  nice_address_set_from_string (&address, "127.0.0.1");
  nice_agent_add_local_address (nice, &address);
  g_object_unref (nice);
}

static void
peer_init (Peer * peer, gboolean controlling)
{
  GstRtcCertificate *certificate;
  GError *error = NULL;

  g_mutex_init (&peer->lock);
  certificate = gst_rtc_certificate_generate (&error);
  fail_unless (certificate != NULL);
  peer->agent = gst_rtc_ice_agent_new (NULL);
  g_object_set (peer->agent, "controlling", controlling, NULL);
  restrict_to_loopback (peer->agent);
  peer->stream = gst_rtc_ice_agent_create_stream (peer->agent, &error);
  fail_unless (peer->stream != NULL);
  peer->transport = gst_rtc_transport_new (certificate, NULL);
  g_object_unref (certificate);
  gst_rtc_transport_set_ice_stream (peer->transport, peer->stream);
  gst_rtc_transport_set_receive_func (peer->transport, on_receive, peer,
      NULL);
}

static void
peer_clear (Peer * peer)
{
  gst_rtc_transport_close (peer->transport);
  gst_object_unref (peer->transport);
  g_mutex_lock (&peer->lock);
  gst_clear_object (&peer->stream);
  g_mutex_unlock (&peer->lock);
  gst_object_unref (peer->agent);
  g_mutex_clear (&peer->lock);
}

static void
exchange_credentials (GstRtcIceStream * from, GstRtcIceStream * to)
{
  gchar *ufrag, *pwd;
  GError *error = NULL;

  gst_rtc_ice_stream_get_local_credentials (from, &ufrag, &pwd);
  fail_unless (gst_rtc_ice_stream_set_remote_credentials (to, ufrag, pwd,
          &error));
  g_free (ufrag);
  g_free (pwd);
}

static void
connect_ice (Peer * a, Peer * b)
{
  GError *error = NULL;

  g_signal_connect (a->stream, "new-candidate", G_CALLBACK (on_candidate), b);
  g_signal_connect (b->stream, "new-candidate", G_CALLBACK (on_candidate), a);
  exchange_credentials (a->stream, b->stream);
  exchange_credentials (b->stream, a->stream);
  fail_unless (gst_rtc_ice_stream_gather (a->stream, &error));
  fail_unless (gst_rtc_ice_stream_gather (b->stream, &error));
}

static gboolean
both_connected (gpointer data)
{
  Peer **peers = data;

  return gst_rtc_transport_get_state (peers[0]->transport) ==
      GST_RTC_TRANSPORT_STATE_CONNECTED &&
      gst_rtc_transport_get_state (peers[1]->transport) ==
      GST_RTC_TRANSPORT_STATE_CONNECTED;
}

static const guint8 rtp_packet[] = {
  0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x11, 0x22, 0x33, 0x44,
  'h', 'e', 'l', 'l', 'o', ' ', 'r', 't', 'p'
};

static const guint8 rtcp_packet[] = {
  0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44
};

static void
send_rtp (GstRtcTransport * transport, guint16 seq)
{
  guint8 packet[sizeof (rtp_packet)];

  memcpy (packet, rtp_packet, sizeof (packet));
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
  fail_unless_equals_int (gst_rtc_transport_send (transport,
          GST_RTC_PACKET_KIND_RTP, packet, sizeof (packet)),
      GST_RTC_SRTP_STATUS_OK);
}

static gboolean
received_ten (gpointer data)
{
  Peer **peers = data;

  return g_atomic_int_get (&peers[0]->rtp_received) >= 10 &&
      g_atomic_int_get (&peers[1]->rtp_received) >= 10;
}

static void
set_fingerprints (Peer * a, Peer * b)
{
  gchar *fa = gst_rtc_transport_get_local_fingerprint (a->transport);
  gchar *fb = gst_rtc_transport_get_local_fingerprint (b->transport);
  GError *error = NULL;

  fail_unless (gst_rtc_transport_set_remote_fingerprint (a->transport, fb,
          &error));
  fail_unless (gst_rtc_transport_set_remote_fingerprint (b->transport, fa,
          &error));
  g_free (fa);
  g_free (fb);
}

GST_START_TEST (test_ice_dtls_srtp_loopback)
{
  Peer a = { 0, }, b = { 0, };
  Peer *peers[2] = { &a, &b };
  GError *error = NULL;
  GstStructure *stats;
  guint16 seq;
  guint64 dropped;
  const GstStructure *srtp;

  peer_init (&a, TRUE);
  peer_init (&b, FALSE);

  /* Nothing leaves before the keys exist. */
  fail_unless_equals_int (gst_rtc_transport_send (a.transport,
          GST_RTC_PACKET_KIND_RTP, rtp_packet, sizeof (rtp_packet)),
      GST_RTC_SRTP_STATUS_NO_KEY);

  set_fingerprints (&a, &b);
  fail_unless (gst_rtc_transport_start (a.transport, GST_RTC_DTLS_ROLE_CLIENT,
          &error));
  fail_unless (gst_rtc_transport_start (b.transport, GST_RTC_DTLS_ROLE_SERVER,
          &error));
  connect_ice (&a, &b);
  fail_unless (wait_until (both_connected, peers),
      "transports did not connect: %d %d",
      gst_rtc_transport_get_state (a.transport),
      gst_rtc_transport_get_state (b.transport));

  for (seq = 1; seq <= 10; seq++) {
    send_rtp (a.transport, seq);
    send_rtp (b.transport, seq);
  }
  fail_unless_equals_int (gst_rtc_transport_send (a.transport,
          GST_RTC_PACKET_KIND_RTCP, rtcp_packet, sizeof (rtcp_packet)),
      GST_RTC_SRTP_STATUS_OK);
  fail_unless (wait_until (received_ten, peers), "received %d and %d",
      a.rtp_received, b.rtp_received);

  stats = gst_rtc_transport_get_stats (b.transport);
  srtp = gst_value_get_structure (gst_structure_get_value (stats, "srtp"));
  fail_unless_equals_string (gst_structure_get_string (srtp, "profile"),
      "SRTP_AEAD_AES_128_GCM");
  fail_unless_equals_string (gst_structure_get_string (stats,
          "local-candidate-type"), "host");
  fail_unless (gst_structure_get_uint64 (stats, "dropped-unauthenticated",
          &dropped));
  fail_unless_equals_uint64 (dropped, 0);
  gst_structure_free (stats);

  peer_clear (&a);
  peer_clear (&b);
}

GST_END_TEST;

static gboolean
stream_replaced (gpointer data)
{
  Peer **peers = data;
  gboolean replaced = TRUE;
  gint i;

  for (i = 0; i < 2; i++) {
    GstRtcIceStream *current =
        gst_rtc_transport_get_ice_stream (peers[i]->transport);

    g_mutex_lock (&peers[i]->lock);
    replaced &= current == peers[i]->stream;
    g_mutex_unlock (&peers[i]->lock);
    gst_object_unref (current);
  }
  return replaced;
}

GST_START_TEST (test_ice_restart_keeps_dtls)
{
  Peer a = { 0, }, b = { 0, };
  Peer *peers[2] = { &a, &b };
  GstRtcDtlsConnection *dtls_before, *dtls_after;
  GstRtcIceStream *fresh_a, *fresh_b, *old_a, *old_b;
  GError *error = NULL;
  guint16 seq;

  peer_init (&a, TRUE);
  peer_init (&b, FALSE);
  set_fingerprints (&a, &b);
  fail_unless (gst_rtc_transport_start (a.transport, GST_RTC_DTLS_ROLE_CLIENT,
          &error));
  fail_unless (gst_rtc_transport_start (b.transport, GST_RTC_DTLS_ROLE_SERVER,
          &error));
  connect_ice (&a, &b);
  fail_unless (wait_until (both_connected, peers));
  dtls_before = gst_rtc_transport_get_dtls_connection (a.transport);

  /* Restart: fresh streams with new credentials gather again. */
  fresh_a = gst_rtc_transport_restart_ice (a.transport, &error);
  fresh_b = gst_rtc_transport_restart_ice (b.transport, &error);
  fail_unless (fresh_a != NULL && fresh_b != NULL);
  g_mutex_lock (&a.lock);
  old_a = a.stream;
  a.stream = fresh_a;
  g_mutex_unlock (&a.lock);
  g_mutex_lock (&b.lock);
  old_b = b.stream;
  b.stream = fresh_b;
  g_mutex_unlock (&b.lock);
  g_signal_handlers_disconnect_by_func (old_a, on_candidate, &b);
  g_signal_handlers_disconnect_by_func (old_b, on_candidate, &a);

  /* Media keeps flowing on the old pair meanwhile. */
  send_rtp (a.transport, 1);
  connect_ice (&a, &b);
  fail_unless (wait_until (stream_replaced, peers),
      "the restarted streams did not take over");
  gst_object_unref (old_a);
  gst_object_unref (old_b);

  fail_unless (wait_until (both_connected, peers));
  g_atomic_int_set (&a.rtp_received, 0);
  g_atomic_int_set (&b.rtp_received, 0);
  for (seq = 100; seq < 110; seq++) {
    send_rtp (a.transport, seq);
    send_rtp (b.transport, seq);
  }
  fail_unless (wait_until (received_ten, peers),
      "after the restart, received %d and %d", a.rtp_received,
      b.rtp_received);

  /* The same DTLS session, not a new handshake. */
  dtls_after = gst_rtc_transport_get_dtls_connection (a.transport);
  fail_unless (dtls_before == dtls_after);
  g_object_unref (dtls_before);
  g_object_unref (dtls_after);

  peer_clear (&a);
  peer_clear (&b);
}

GST_END_TEST;

/* Without ICE: the lower sides are wired to each other through a queue
 * that the test pumps, as rtcdtlssrtpenc/dec do through pads. */
typedef struct
{
  GAsyncQueue *to_a, *to_b;
  GstRtcTransport *a, *b;
  gint a_received, b_received;
} Wire;

static void
wire_send_from_a (GstRtcTransport * t, const guint8 * data, gsize len,
    gpointer user_data)
{
  g_async_queue_push (((Wire *) user_data)->to_b, g_bytes_new (data, len));
}

static void
wire_send_from_b (GstRtcTransport * t, const guint8 * data, gsize len,
    gpointer user_data)
{
  g_async_queue_push (((Wire *) user_data)->to_a, g_bytes_new (data, len));
}

static void
wire_receive (GstRtcTransport * t, GstRtcPacketKind kind, GstBuffer * buffer,
    gpointer counter)
{
  g_atomic_int_inc ((gint *) counter);
  gst_buffer_unref (buffer);
}

static void
wire_pump (Wire * wire, guint milliseconds)
{
  gint64 end = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < end) {
    GBytes *bytes;

    while ((bytes = g_async_queue_try_pop (wire->to_a)) != NULL) {
      gst_rtc_transport_receive (wire->a, g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes));
      g_bytes_unref (bytes);
    }
    while ((bytes = g_async_queue_try_pop (wire->to_b)) != NULL) {
      gst_rtc_transport_receive (wire->b, g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes));
      g_bytes_unref (bytes);
    }
    g_usleep (2000);
  }
}

static void
wire_init (Wire * wire)
{
  GstRtcCertificate *ca = gst_rtc_certificate_generate (NULL);
  GstRtcCertificate *cb = gst_rtc_certificate_generate (NULL);

  wire->to_a = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  wire->to_b = g_async_queue_new_full ((GDestroyNotify) g_bytes_unref);
  wire->a = gst_rtc_transport_new (ca, NULL);
  wire->b = gst_rtc_transport_new (cb, NULL);
  g_object_unref (ca);
  g_object_unref (cb);
  gst_rtc_transport_set_send_func (wire->a, wire_send_from_a, wire, NULL);
  gst_rtc_transport_set_send_func (wire->b, wire_send_from_b, wire, NULL);
  gst_rtc_transport_set_receive_func (wire->a, wire_receive,
      &wire->a_received, NULL);
  gst_rtc_transport_set_receive_func (wire->b, wire_receive,
      &wire->b_received, NULL);
}

static void
wire_clear (Wire * wire)
{
  gst_rtc_transport_close (wire->a);
  gst_rtc_transport_close (wire->b);
  gst_object_unref (wire->a);
  gst_object_unref (wire->b);
  g_async_queue_unref (wire->to_a);
  g_async_queue_unref (wire->to_b);
}

static guint64
stat (GstRtcTransport * transport, const gchar * field)
{
  GstStructure *stats = gst_rtc_transport_get_stats (transport);
  guint64 value = 0;

  fail_unless (gst_structure_get_uint64 (stats, field, &value), "%s", field);
  gst_structure_free (stats);
  return value;
}

GST_START_TEST (test_keys_withheld_until_fingerprint)
{
  Wire wire = { 0, };
  gchar *fa, *fb;
  GError *error = NULL;
  GstRtcDtlsConnection *dtls;

  wire_init (&wire);
  fail_unless (gst_rtc_transport_start (wire.a, GST_RTC_DTLS_ROLE_CLIENT,
          &error));
  fail_unless (gst_rtc_transport_start (wire.b, GST_RTC_DTLS_ROLE_SERVER,
          &error));
  wire_pump (&wire, 500);

  /* The handshake is done, but no fingerprint is known: no keys. */
  dtls = gst_rtc_transport_get_dtls_connection (wire.b);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (dtls),
      GST_RTC_DTLS_STATE_PENDING_FINGERPRINT);
  g_object_unref (dtls);
  fail_unless_equals_int (gst_rtc_transport_send (wire.a,
          GST_RTC_PACKET_KIND_RTP, rtp_packet, sizeof (rtp_packet)),
      GST_RTC_SRTP_STATUS_NO_KEY);
  fail_if (gst_rtc_transport_get_state (wire.a) ==
      GST_RTC_TRANSPORT_STATE_CONNECTED);

  fa = gst_rtc_transport_get_local_fingerprint (wire.a);
  fb = gst_rtc_transport_get_local_fingerprint (wire.b);
  fail_unless (gst_rtc_transport_set_remote_fingerprint (wire.a, fb, &error));
  fail_unless (gst_rtc_transport_set_remote_fingerprint (wire.b, fa, &error));
  g_free (fa);
  g_free (fb);
  fail_unless_equals_int (gst_rtc_transport_get_state (wire.a),
      GST_RTC_TRANSPORT_STATE_CONNECTED);
  fail_unless_equals_int (gst_rtc_transport_get_state (wire.b),
      GST_RTC_TRANSPORT_STATE_CONNECTED);

  send_rtp (wire.a, 7);
  wire_pump (&wire, 100);
  fail_unless_equals_int (g_atomic_int_get (&wire.b_received), 1);

  wire_clear (&wire);
}

GST_END_TEST;

GST_START_TEST (test_wrong_fingerprint_fails)
{
  Wire wire = { 0, };
  GError *error = NULL;
  gchar *fa;

  wire_init (&wire);
  fa = gst_rtc_transport_get_local_fingerprint (wire.a);
  /* b expects a's certificate; a expects its own, which b does not have. */
  fail_unless (gst_rtc_transport_set_remote_fingerprint (wire.b, fa, &error));
  fail_unless (gst_rtc_transport_set_remote_fingerprint (wire.a, fa, &error));
  g_free (fa);
  fail_unless (gst_rtc_transport_start (wire.a, GST_RTC_DTLS_ROLE_CLIENT,
          &error));
  fail_unless (gst_rtc_transport_start (wire.b, GST_RTC_DTLS_ROLE_SERVER,
          &error));
  wire_pump (&wire, 500);
  fail_unless_equals_int (gst_rtc_transport_get_state (wire.a),
      GST_RTC_TRANSPORT_STATE_FAILED);
  fail_unless_equals_int (gst_rtc_transport_send (wire.a,
          GST_RTC_PACKET_KIND_RTP, rtp_packet, sizeof (rtp_packet)),
      GST_RTC_SRTP_STATUS_NO_KEY);
  wire_clear (&wire);
}

GST_END_TEST;

GST_START_TEST (test_bad_input_dropped_and_counted)
{
  Wire wire = { 0, };
  GError *error = NULL;
  gchar *fa, *fb;
  guint8 packet[64];
  gsize i;
  static const guint8 garbage[] = { 0xff, 0x00, 0x13, 0x37 };

  wire_init (&wire);
  fa = gst_rtc_transport_get_local_fingerprint (wire.a);
  fb = gst_rtc_transport_get_local_fingerprint (wire.b);
  fail_unless (gst_rtc_transport_set_remote_fingerprint (wire.a, fb, &error));
  fail_unless (gst_rtc_transport_set_remote_fingerprint (wire.b, fa, &error));
  g_free (fa);
  g_free (fb);
  /* A malformed fingerprint is refused with a clear error. */
  fail_if (gst_rtc_transport_set_remote_fingerprint (wire.a, "sha-256 zz",
          &error));
  fail_unless (error != NULL);
  g_clear_error (&error);

  fail_unless (gst_rtc_transport_start (wire.a, GST_RTC_DTLS_ROLE_CLIENT,
          &error));
  fail_unless (gst_rtc_transport_start (wire.b, GST_RTC_DTLS_ROLE_SERVER,
          &error));
  wire_pump (&wire, 500);
  fail_unless_equals_int (gst_rtc_transport_get_state (wire.b),
      GST_RTC_TRANSPORT_STATE_CONNECTED);

  /* Unknown first byte, every truncation of an RTP header, a forged SRTP
   * packet, a forged DTLS record: all dropped, none delivered. */
  gst_rtc_transport_receive (wire.b, garbage, sizeof (garbage));
  for (i = 0; i < sizeof (rtp_packet); i++)
    gst_rtc_transport_receive (wire.b, rtp_packet, i);
  memset (packet, 0xab, sizeof (packet));
  memcpy (packet, rtp_packet, 12);
  gst_rtc_transport_receive (wire.b, packet, sizeof (packet));
  packet[0] = 23;               /* DTLS application data */
  packet[1] = 0xfe;
  packet[2] = 0xfd;
  gst_rtc_transport_receive (wire.b, packet, sizeof (packet));

  fail_unless_equals_int (g_atomic_int_get (&wire.b_received), 0);
  fail_unless (stat (wire.b, "dropped-unknown") >= 1);
  fail_unless (stat (wire.b, "dropped-unauthenticated") >= 1);
  fail_unless_equals_int (gst_rtc_transport_get_state (wire.b),
      GST_RTC_TRANSPORT_STATE_CONNECTED);

  /* And the real peer still gets through. */
  send_rtp (wire.a, 9);
  wire_pump (&wire, 100);
  fail_unless_equals_int (g_atomic_int_get (&wire.b_received), 1);
  wire_clear (&wire);
}

GST_END_TEST;

static Suite *
transport_suite (void)
{
  Suite *s = suite_create ("rtctransport");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_keys_withheld_until_fingerprint);
  tcase_add_test (tc, test_wrong_fingerprint_fails);
  tcase_add_test (tc, test_bad_input_dropped_and_counted);
  tcase_add_test (tc, test_ice_dtls_srtp_loopback);
  tcase_add_test (tc, test_ice_restart_keeps_dtls);
  return s;
}

GST_CHECK_MAIN (transport);
