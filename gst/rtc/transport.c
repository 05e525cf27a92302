/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtctransport
 * @title: GstRtcTransport
 * @short_description: one ICE stream, DTLS over it, SRTP keyed from it
 *
 * A #GstRtcTransport is what one WebRTC 5-tuple carries: the RFC 7983
 * first-byte demultiplexer sends DTLS records to the handshake and SRTP or
 * SRTCP packets to libsrtp2; what authenticates reaches the receive
 * function as plain RTP or RTCP. Outgoing RTP and RTCP are protected and
 * sent over the selected ICE pair.
 *
 * The lower side is either a #GstRtcIceStream (rtcbin, the fan-out) or a
 * send function plus gst_rtc_transport_receive() (the rtcdtlssrtpenc and
 * rtcdtlssrtpdec elements, which sit on pads).
 *
 * Until the DTLS peer certificate has matched the remote fingerprint, no
 * SRTP key exists: media is dropped both ways. An ICE restart replaces the
 * ICE stream under the live DTLS session, so the keys, and SRTP sequence
 * state, survive it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rtc.h"
#include "demux.h"
#include "worker.h"
#include "rtc-enumtypes.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_transport_debug);
#define GST_CAT_DEFAULT gst_rtc_transport_debug

/* Room for the largest datagram we protect without a heap allocation. */
#define STACK_PACKET_SIZE 2048

struct _GstRtcTransport
{
  GstObject parent;

  GMainContext *context;
  gboolean context_from_pool;
  GstRtcCertificate *certificate;
  GstRtcSrtpSession *srtp;

  /* Protected by the object lock. */
  GstRtcDtlsConnection *dtls;
  GstRtcDtlsRole role;
  gboolean started;
  gboolean dtls_running;
  gchar *remote_fingerprint;
  GstRtcIceStream *stream;
  GstRtcIceStream *pending_stream;
  GstRtcTransportState state;
  gboolean closed;

  GstRtcTransportSendFunc send_func;
  gpointer send_data;
  GDestroyNotify send_notify;
  GstRtcTransportReceiveFunc receive_func;
  gpointer receive_data;
  GDestroyNotify receive_notify;

  /* Counters, updated atomically. */
  gsize rtp_sent, rtcp_sent, bytes_sent;
  gsize rtp_received, rtcp_received, bytes_received;
  gsize dtls_received, dropped_no_keys, dropped_unknown, dropped_auth;
};

enum
{
  PROP_0,
  PROP_STATE,
  PROP_DTLS_STATE,
  PROP_ICE_STREAM,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

G_DEFINE_TYPE_WITH_CODE (GstRtcTransport, gst_rtc_transport, GST_TYPE_OBJECT,
    GST_DEBUG_CATEGORY_INIT (gst_rtc_transport_debug, "rtctransport", 0,
        "gst-rtc secure transport"));

static void update_state (GstRtcTransport * self);

static inline gsize
counter (gsize * value)
{
  return (gsize) g_atomic_pointer_get (value);
}
static void on_stream_state (GstRtcIceStream * stream, GParamSpec * pspec,
    GstRtcTransport * self);
static void on_stream_receive (GstRtcIceStream * stream, const guint8 * data,
    gsize len, gpointer user_data);

static void
gst_rtc_transport_init (GstRtcTransport * self)
{
  self->state = GST_RTC_TRANSPORT_STATE_NEW;
  self->srtp = gst_rtc_srtp_session_new ();
}

/* Detaches us from a stream, and waits until a receive callback that may
 * be running on the stream's worker has returned, so that it cannot see a
 * finalized transport. */
static void
detach_stream (GstRtcTransport * self, GstRtcIceStream * stream)
{
  GstRtcIceAgent *agent;

  if (stream == NULL)
    return;
  g_signal_handlers_disconnect_by_data (stream, self);
  gst_rtc_ice_stream_set_receive_func (stream, NULL, NULL, NULL);
  agent = gst_rtc_ice_stream_get_agent (stream);
  gst_rtc_worker_pool_sync (gst_rtc_ice_agent_get_context (agent));
}

static void
gst_rtc_transport_dispose (GObject * object)
{
  GstRtcTransport *self = GST_RTC_TRANSPORT (object);

  detach_stream (self, self->stream);
  detach_stream (self, self->pending_stream);
  gst_clear_object (&self->stream);
  gst_clear_object (&self->pending_stream);
  if (self->dtls != NULL) {
    g_signal_handlers_disconnect_by_data (self->dtls, self);
    gst_rtc_dtls_connection_set_send_func (self->dtls, NULL, NULL, NULL);
    g_clear_object (&self->dtls);
  }
  if (self->send_notify != NULL)
    self->send_notify (self->send_data);
  self->send_notify = NULL;
  self->send_func = NULL;
  if (self->receive_notify != NULL)
    self->receive_notify (self->receive_data);
  self->receive_notify = NULL;
  self->receive_func = NULL;

  G_OBJECT_CLASS (gst_rtc_transport_parent_class)->dispose (object);
}

static void
gst_rtc_transport_finalize (GObject * object)
{
  GstRtcTransport *self = GST_RTC_TRANSPORT (object);

  g_clear_object (&self->srtp);
  g_clear_object (&self->certificate);
  g_free (self->remote_fingerprint);
  if (self->context_from_pool)
    gst_rtc_worker_pool_release_context (self->context);
  else if (self->context != NULL)
    g_main_context_unref (self->context);

  G_OBJECT_CLASS (gst_rtc_transport_parent_class)->finalize (object);
}

static void
gst_rtc_transport_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcTransport *self = GST_RTC_TRANSPORT (object);

  switch (prop_id) {
    case PROP_STATE:
      g_value_set_enum (value, gst_rtc_transport_get_state (self));
      break;
    case PROP_DTLS_STATE:{
      GstRtcDtlsConnection *dtls = gst_rtc_transport_get_dtls_connection (self);

      g_value_set_enum (value, dtls ? gst_rtc_dtls_connection_get_state (dtls)
          : GST_RTC_DTLS_STATE_NEW);
      g_clear_object (&dtls);
      break;
    }
    case PROP_ICE_STREAM:
      g_value_take_object (value, gst_rtc_transport_get_ice_stream (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_rtc_transport_class_init (GstRtcTransportClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = gst_rtc_transport_dispose;
  gobject_class->finalize = gst_rtc_transport_finalize;
  gobject_class->get_property = gst_rtc_transport_get_property;

  /**
   * GstRtcTransport:state:
   *
   * The combined ICE and DTLS state. `connected` means SRTP is keyed from a
   * peer whose certificate matched its signalled fingerprint.
   */
  properties[PROP_STATE] = g_param_spec_enum ("state", "State",
      "The combined ICE and DTLS state", GST_RTC_TYPE_TRANSPORT_STATE,
      GST_RTC_TRANSPORT_STATE_NEW, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransport:dtls-state:
   *
   * The state of the DTLS connection.
   */
  properties[PROP_DTLS_STATE] = g_param_spec_enum ("dtls-state", "DTLS state",
      "The state of the DTLS connection", GST_RTC_TYPE_DTLS_STATE,
      GST_RTC_DTLS_STATE_NEW, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcTransport:ice-stream:
   *
   * The ICE stream that carries the transport now, if any.
   */
  properties[PROP_ICE_STREAM] = g_param_spec_object ("ice-stream",
      "ICE stream", "The ICE stream that carries the transport now",
      GST_RTC_TYPE_ICE_STREAM, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, PROP_LAST, properties);
}

/**
 * gst_rtc_transport_new:
 * @certificate: our DTLS certificate
 * @context: (nullable): the context that runs DTLS timers; %NULL picks a
 *   worker of the pool
 *
 * Creates a transport: DTLS-SRTP with @certificate, over an ICE stream given
 * later.
 *
 * Returns: (transfer full): a new transport, with no lower side yet
 */
GstRtcTransport *
gst_rtc_transport_new (GstRtcCertificate * certificate, GMainContext * context)
{
  GstRtcTransport *self;

  g_return_val_if_fail (GST_RTC_IS_CERTIFICATE (certificate), NULL);

  gst_rtc_init ();
  self = g_object_new (GST_RTC_TYPE_TRANSPORT, NULL);
  gst_object_ref_sink (self);
  self->certificate = g_object_ref (certificate);
  if (context != NULL) {
    self->context = g_main_context_ref (context);
  } else {
    self->context = gst_rtc_worker_pool_acquire_context ();
    self->context_from_pool = TRUE;
  }
  return self;
}

/**
 * gst_rtc_transport_get_certificate:
 * @transport: a transport
 *
 * Gets our DTLS certificate.
 *
 * Returns: (transfer none): our DTLS certificate
 */
GstRtcCertificate *
gst_rtc_transport_get_certificate (GstRtcTransport * transport)
{
  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), NULL);
  return transport->certificate;
}

/**
 * gst_rtc_transport_get_local_fingerprint:
 * @transport: a transport
 *
 * Gets the fingerprint of our DTLS certificate.
 *
 * Returns: (transfer full): our certificate's fingerprint, in SDP form
 */
gchar *
gst_rtc_transport_get_local_fingerprint (GstRtcTransport * transport)
{
  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), NULL);
  return gst_rtc_certificate_get_fingerprint (transport->certificate);
}

static gboolean
ice_state_is_up (GstRtcIceState state)
{
  return state == GST_RTC_ICE_STATE_CONNECTED ||
      state == GST_RTC_ICE_STATE_COMPLETED;
}

static void
attach_stream (GstRtcTransport * self, GstRtcIceStream * stream)
{
  /* Only packets that authenticate (SRTP, DTLS) prove the peer alive. */
  g_object_set (stream, "authenticated-liveness", TRUE, NULL);
  gst_rtc_ice_stream_set_receive_func (stream, on_stream_receive, self, NULL);
  g_signal_connect (stream, "notify::state", G_CALLBACK (on_stream_state),
      self);
}

/**
 * gst_rtc_transport_set_ice_stream:
 * @transport: a transport
 * @stream: (transfer none): the ICE stream to carry the transport
 *
 * Puts the transport on @stream. A stream set before replaces the old one
 * at once; to replace it once the new one works, use
 * gst_rtc_transport_restart_ice().
 */
void
gst_rtc_transport_set_ice_stream (GstRtcTransport * transport,
    GstRtcIceStream * stream)
{
  GstRtcIceStream *old;

  g_return_if_fail (GST_RTC_IS_TRANSPORT (transport));
  g_return_if_fail (GST_RTC_IS_ICE_STREAM (stream));

  attach_stream (transport, stream);
  GST_OBJECT_LOCK (transport);
  old = transport->stream;
  transport->stream = gst_object_ref (stream);
  GST_OBJECT_UNLOCK (transport);

  if (old != NULL) {
    detach_stream (transport, old);
    gst_object_unref (old);
  }
  g_object_notify_by_pspec (G_OBJECT (transport), properties[PROP_ICE_STREAM]);
  /* The new stream may already be connected. */
  on_stream_state (stream, NULL, transport);
}

/**
 * gst_rtc_transport_get_ice_stream:
 * @transport: a transport
 *
 * Gets the ICE stream that carries @transport.
 *
 * Returns: (transfer full) (nullable): the ICE stream that carries the
 *   transport now
 */
GstRtcIceStream *
gst_rtc_transport_get_ice_stream (GstRtcTransport * transport)
{
  GstRtcIceStream *stream = NULL;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), NULL);

  GST_OBJECT_LOCK (transport);
  if (transport->stream != NULL)
    stream = gst_object_ref (transport->stream);
  GST_OBJECT_UNLOCK (transport);
  return stream;
}

/**
 * gst_rtc_transport_restart_ice:
 * @transport: a transport on an ICE stream
 * @error: return location for a #GError
 *
 * Starts an ICE restart: a fresh stream is made on the same agent, with new
 * credentials; it gathers anew, so a dead relay is not carried over (as it
 * would be by libnice's own restart). Media keeps flowing on the old
 * stream until the new one connects; then the new one carries the
 * transport and the old one is closed. The DTLS session and the SRTP keys
 * are kept. The caller signals the new credentials and candidates and
 * calls gst_rtc_ice_stream_gather() on the returned stream.
 *
 * Returns: (transfer full) (nullable): the new stream, or %NULL with
 *   @error set
 */
GstRtcIceStream *
gst_rtc_transport_restart_ice (GstRtcTransport * transport, GError ** error)
{
  GstRtcIceStream *current, *fresh, *old_pending;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), NULL);

  current = gst_rtc_transport_get_ice_stream (transport);
  if (current == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "ICE restart needs a transport that runs on an ICE stream");
    return NULL;
  }
  fresh = gst_rtc_ice_agent_create_stream (gst_rtc_ice_stream_get_agent
      (current), error);
  gst_object_unref (current);
  if (fresh == NULL)
    return NULL;

  attach_stream (transport, fresh);
  GST_OBJECT_LOCK (transport);
  old_pending = transport->pending_stream;
  transport->pending_stream = gst_object_ref (fresh);
  GST_OBJECT_UNLOCK (transport);
  if (old_pending != NULL) {
    detach_stream (transport, old_pending);
    gst_rtc_ice_stream_close (old_pending);
    gst_object_unref (old_pending);
  }
  GST_INFO_OBJECT (transport, "ICE restart on fresh stream %u",
      gst_rtc_ice_stream_get_id (fresh));
  return fresh;
}

/**
 * gst_rtc_transport_set_send_func:
 * @transport: a transport
 * @func: (scope notified) (nullable): where datagrams go when the transport
 *   has no ICE stream
 * @user_data: (closure): data for @func
 * @notify: (nullable): frees @user_data
 *
 * Sets the lower side for use without ICE, as the rtcdtlssrtpenc element
 * does.
 */
void
gst_rtc_transport_set_send_func (GstRtcTransport * transport,
    GstRtcTransportSendFunc func, gpointer user_data, GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (GST_RTC_IS_TRANSPORT (transport));

  GST_OBJECT_LOCK (transport);
  old_notify = transport->send_notify;
  old_data = transport->send_data;
  transport->send_func = func;
  transport->send_data = user_data;
  transport->send_notify = notify;
  GST_OBJECT_UNLOCK (transport);
  if (old_notify != NULL)
    old_notify (old_data);
}

/**
 * gst_rtc_transport_set_receive_func:
 * @transport: a transport
 * @func: (scope notified) (nullable): called for each authenticated RTP or
 *   RTCP packet
 * @user_data: (closure): data for @func
 * @notify: (nullable): frees @user_data
 *
 * Sets where received media goes. @func runs on a worker thread.
 */
void
gst_rtc_transport_set_receive_func (GstRtcTransport * transport,
    GstRtcTransportReceiveFunc func, gpointer user_data, GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (GST_RTC_IS_TRANSPORT (transport));

  GST_OBJECT_LOCK (transport);
  old_notify = transport->receive_notify;
  old_data = transport->receive_data;
  transport->receive_func = func;
  transport->receive_data = user_data;
  transport->receive_notify = notify;
  GST_OBJECT_UNLOCK (transport);
  if (old_notify != NULL)
    old_notify (old_data);
}

/* Puts one datagram on the wire: on the ICE stream if there is one, else
 * through the send function. */
static gboolean
send_datagram (GstRtcTransport * self, const guint8 * data, gsize len)
{
  GstRtcIceStream *stream = NULL;
  GstRtcTransportSendFunc func;
  gpointer func_data;
  gboolean sent = FALSE;

  GST_OBJECT_LOCK (self);
  if (self->stream != NULL)
    stream = gst_object_ref (self->stream);
  func = self->send_func;
  func_data = self->send_data;
  GST_OBJECT_UNLOCK (self);

  if (stream != NULL) {
    sent = gst_rtc_ice_stream_send (stream, data, len) == (gssize) len;
    gst_object_unref (stream);
  } else if (func != NULL) {
    func (self, data, len, func_data);
    sent = TRUE;
  }
  if (sent)
    g_atomic_pointer_add (&self->bytes_sent, len);
  return sent;
}

static void
on_dtls_send (GstRtcDtlsConnection * connection, const guint8 * data,
    gsize len, gpointer user_data)
{
  GstRtcTransport *self = user_data;

  GST_LOG_OBJECT (self, "sending %" G_GSIZE_FORMAT " bytes of DTLS", len);
  send_datagram (self, data, len);
}

static void
on_dtls_keys_ready (GstRtcDtlsConnection * connection, GstRtcTransport * self)
{
  GstRtcSrtpProfile profile;
  GBytes *local = NULL, *remote = NULL;
  GError *error = NULL;

  if (!gst_rtc_dtls_connection_get_srtp_keys (connection, &profile, &local,
          &remote, &error)
      || !gst_rtc_srtp_session_set_keys (self->srtp, profile,
          g_bytes_get_data (local, NULL), g_bytes_get_size (local),
          g_bytes_get_data (remote, NULL), g_bytes_get_size (remote),
          &error)) {
    GST_WARNING_OBJECT (self, "cannot key SRTP: %s", error->message);
    g_clear_error (&error);
  } else {
    GST_INFO_OBJECT (self, "SRTP keyed with %s",
        gst_rtc_srtp_profile_to_string (profile));
  }
  g_clear_pointer (&local, g_bytes_unref);
  g_clear_pointer (&remote, g_bytes_unref);
  update_state (self);
}

static void
on_dtls_state (GstRtcDtlsConnection * connection, GParamSpec * pspec,
    GstRtcTransport * self)
{
  GstRtcDtlsState state = gst_rtc_dtls_connection_get_state (connection);

  GST_DEBUG_OBJECT (self, "DTLS state %d", state);
  if (state == GST_RTC_DTLS_STATE_FAILED) {
    GError *error = gst_rtc_dtls_connection_get_error (connection);

    GST_WARNING_OBJECT (self, "DTLS failed: %s",
        error ? error->message : "unknown reason");
    g_clear_error (&error);
  }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DTLS_STATE]);
  update_state (self);
}

/* Starts the handshake once there is a path: a ClientHello sent before ICE
 * connects would only be lost and retransmitted. */
static void
maybe_start_dtls (GstRtcTransport * self)
{
  GstRtcDtlsConnection *dtls = NULL;
  GError *error = NULL;
  gboolean path_up;

  GST_OBJECT_LOCK (self);
  path_up = self->stream == NULL ? self->send_func != NULL :
      ice_state_is_up (gst_rtc_ice_stream_get_state (self->stream));
  if (self->started && !self->dtls_running && !self->closed &&
      (path_up || self->role == GST_RTC_DTLS_ROLE_SERVER)) {
    self->dtls_running = TRUE;
    dtls = g_object_ref (self->dtls);
  }
  GST_OBJECT_UNLOCK (self);

  if (dtls == NULL)
    return;
  if (!gst_rtc_dtls_connection_start (dtls, &error)) {
    GST_WARNING_OBJECT (self, "cannot start DTLS: %s", error->message);
    g_clear_error (&error);
  }
  g_object_unref (dtls);
}

/**
 * gst_rtc_transport_start:
 * @transport: a transport
 * @role: our DTLS role (client for `a=setup:active`)
 * @error: return location for a #GError
 *
 * Starts the secure transport. A client sends its ClientHello as soon as
 * the ICE stream connects (at once without ICE); a server waits for it.
 *
 * Returns: %TRUE on success
 */
gboolean
gst_rtc_transport_start (GstRtcTransport * transport, GstRtcDtlsRole role,
    GError ** error)
{
  GstRtcDtlsConnection *dtls;
  gchar *fingerprint;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), FALSE);

  GST_OBJECT_LOCK (transport);
  if (transport->started || transport->closed) {
    GST_OBJECT_UNLOCK (transport);
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the transport was already started");
    return FALSE;
  }
  GST_OBJECT_UNLOCK (transport);

  dtls = gst_rtc_dtls_connection_new (transport->certificate, role,
      transport->context);
  gst_rtc_dtls_connection_set_send_func (dtls, on_dtls_send, transport, NULL);
  g_signal_connect (dtls, "keys-ready", G_CALLBACK (on_dtls_keys_ready),
      transport);
  g_signal_connect (dtls, "notify::state", G_CALLBACK (on_dtls_state),
      transport);

  GST_OBJECT_LOCK (transport);
  transport->dtls = dtls;
  transport->role = role;
  transport->started = TRUE;
  fingerprint = g_steal_pointer (&transport->remote_fingerprint);
  GST_OBJECT_UNLOCK (transport);

  if (fingerprint != NULL) {
    gboolean ok = gst_rtc_dtls_connection_set_remote_fingerprint (dtls,
        fingerprint, error);

    g_free (fingerprint);
    if (!ok)
      return FALSE;
  }
  maybe_start_dtls (transport);
  update_state (transport);
  return TRUE;
}

/**
 * gst_rtc_transport_set_remote_fingerprint:
 * @transport: a transport
 * @fingerprint: the peer's `a=fingerprint` value, e.g. `sha-256 AB:CD:…`
 * @error: return location for a #GError
 *
 * Sets the fingerprint the peer's certificate must match. It may come
 * before or after the handshake; keys are withheld until it matches.
 *
 * Returns: %TRUE if @fingerprint is well formed (and, after the
 *   handshake, matches)
 */
gboolean
gst_rtc_transport_set_remote_fingerprint (GstRtcTransport * transport,
    const gchar * fingerprint, GError ** error)
{
  GstRtcDtlsConnection *dtls = NULL;
  guint8 digest[32];
  gboolean ok;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  if (!gst_rtc_fingerprint_parse (fingerprint, digest, error))
    return FALSE;

  GST_OBJECT_LOCK (transport);
  if (transport->dtls != NULL) {
    dtls = g_object_ref (transport->dtls);
  } else {
    g_free (transport->remote_fingerprint);
    transport->remote_fingerprint = g_strdup (fingerprint);
  }
  GST_OBJECT_UNLOCK (transport);

  if (dtls == NULL)
    return TRUE;
  ok = gst_rtc_dtls_connection_set_remote_fingerprint (dtls, fingerprint,
      error);
  g_object_unref (dtls);
  return ok;
}

static void
mark_alive (GstRtcTransport * self, GstRtcIceStream * stream)
{
  if (stream != NULL)
    gst_rtc_ice_stream_mark_alive (stream);
}

static void
handle_datagram (GstRtcTransport * self, GstRtcIceStream * stream,
    const guint8 * data, gsize len)
{
  GstRtcPacketKind kind = gst_rtc_demux_classify (data, len);

  g_atomic_pointer_add (&self->bytes_received, len);

  switch (kind) {
    case GST_RTC_PACKET_KIND_DTLS:{
      GstRtcDtlsConnection *dtls = NULL;
      GError *error = NULL;

      GST_OBJECT_LOCK (self);
      if (self->dtls != NULL)
        dtls = g_object_ref (self->dtls);
      GST_OBJECT_UNLOCK (self);
      g_atomic_pointer_add (&self->dtls_received, 1);
      if (dtls == NULL) {
        GST_DEBUG_OBJECT (self, "DTLS record before start, dropped");
        return;
      }
      if (gst_rtc_dtls_connection_receive (dtls, data, len, &error)) {
        if (gst_rtc_dtls_connection_get_state (dtls) ==
            GST_RTC_DTLS_STATE_CONNECTED)
          mark_alive (self, stream);
      } else {
        GST_WARNING_OBJECT (self, "DTLS record refused: %s", error->message);
        g_clear_error (&error);
      }
      g_object_unref (dtls);
      return;
    }
    case GST_RTC_PACKET_KIND_RTP:
    case GST_RTC_PACKET_KIND_RTCP:{
      GstRtcTransportReceiveFunc func;
      gpointer func_data;
      GstRtcSrtpStatus status;
      GstBuffer *buffer;
      GstMapInfo map;
      gsize size = len;

      if (!gst_rtc_srtp_session_has_keys (self->srtp)) {
        g_atomic_pointer_add (&self->dropped_no_keys, 1);
        GST_LOG_OBJECT (self, "%s before SRTP keys, dropped",
            gst_rtc_packet_kind_to_string (kind));
        return;
      }
      buffer = gst_buffer_new_allocate (NULL, len, NULL);
      gst_buffer_map (buffer, &map, GST_MAP_WRITE);
      memcpy (map.data, data, len);
      status = gst_rtc_srtp_session_unprotect (self->srtp,
          kind == GST_RTC_PACKET_KIND_RTCP, map.data, &size);
      gst_buffer_unmap (buffer, &map);
      if (status != GST_RTC_SRTP_STATUS_OK) {
        /* libsrtp's session counts and logs the reason. */
        g_atomic_pointer_add (&self->dropped_auth, 1);
        gst_buffer_unref (buffer);
        return;
      }
      gst_buffer_set_size (buffer, size);
      mark_alive (self, stream);
      if (kind == GST_RTC_PACKET_KIND_RTP)
        g_atomic_pointer_add (&self->rtp_received, 1);
      else
        g_atomic_pointer_add (&self->rtcp_received, 1);

      GST_OBJECT_LOCK (self);
      func = self->receive_func;
      func_data = self->receive_data;
      GST_OBJECT_UNLOCK (self);
      if (func != NULL)
        func (self, kind, buffer, func_data);
      else
        gst_buffer_unref (buffer);
      return;
    }
    case GST_RTC_PACKET_KIND_STUN:
    case GST_RTC_PACKET_KIND_TURN_CHANNEL:
    case GST_RTC_PACKET_KIND_UNKNOWN:
    default:
      g_atomic_pointer_add (&self->dropped_unknown, 1);
      GST_WARNING_OBJECT (self, "dropped a %" G_GSIZE_FORMAT "-byte %s "
          "datagram (first byte %u)", len, gst_rtc_packet_kind_to_string (kind),
          len > 0 ? data[0] : 0);
      return;
  }
}

static void
on_stream_receive (GstRtcIceStream * stream, const guint8 * data, gsize len,
    gpointer user_data)
{
  handle_datagram (GST_RTC_TRANSPORT (user_data), stream, data, len);
}

/**
 * gst_rtc_transport_receive:
 * @transport: a transport without ICE stream
 * @data: (array length=len): one datagram from the peer
 * @len: its length
 *
 * Hands the transport one datagram from its lower side, for use without
 * ICE. Malformed or unauthenticated input is dropped and counted.
 */
void
gst_rtc_transport_receive (GstRtcTransport * transport, const guint8 * data,
    gsize len)
{
  g_return_if_fail (GST_RTC_IS_TRANSPORT (transport));
  g_return_if_fail (data != NULL || len == 0);

  handle_datagram (transport, NULL, data, len);
}

/* Swaps in a restarted stream once it works, and closes the old one from
 * the worker's main loop rather than from inside libnice's callback. */
static gboolean
close_stream_idle (gpointer user_data)
{
  gst_rtc_ice_stream_close (GST_RTC_ICE_STREAM (user_data));
  return G_SOURCE_REMOVE;
}

static void
on_stream_state (GstRtcIceStream * stream, GParamSpec * pspec,
    GstRtcTransport * self)
{
  GstRtcIceState state = gst_rtc_ice_stream_get_state (stream);
  GstRtcIceStream *retired = NULL;

  GST_DEBUG_OBJECT (self, "ICE stream %u state %d",
      gst_rtc_ice_stream_get_id (stream), state);

  GST_OBJECT_LOCK (self);
  if (stream == self->pending_stream && ice_state_is_up (state)) {
    retired = self->stream;
    self->stream = self->pending_stream;
    self->pending_stream = NULL;
  } else if (stream != self->stream) {
    /* A pending stream that is not up yet changes nothing. */
    GST_OBJECT_UNLOCK (self);
    return;
  }
  GST_OBJECT_UNLOCK (self);

  if (retired != NULL) {
    GstRtcIceAgent *agent = gst_rtc_ice_stream_get_agent (retired);
    GSource *source = g_idle_source_new ();

    GST_INFO_OBJECT (self, "ICE restart done: stream %u replaces %u",
        gst_rtc_ice_stream_get_id (stream), gst_rtc_ice_stream_get_id (retired));
    g_signal_handlers_disconnect_by_data (retired, self);
    gst_rtc_ice_stream_set_receive_func (retired, NULL, NULL, NULL);
    g_source_set_callback (source, close_stream_idle, retired,
        gst_object_unref);
    g_source_attach (source, gst_rtc_ice_agent_get_context (agent));
    g_source_unref (source);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICE_STREAM]);
  }
  maybe_start_dtls (self);
  update_state (self);
}

static GstRtcTransportState
compute_state (GstRtcTransport * self)
{
  GstRtcDtlsState dtls_state = GST_RTC_DTLS_STATE_NEW;
  GstRtcIceState ice_state = GST_RTC_ICE_STATE_CONNECTED;

  if (self->closed)
    return GST_RTC_TRANSPORT_STATE_CLOSED;
  if (self->dtls != NULL)
    dtls_state = gst_rtc_dtls_connection_get_state (self->dtls);
  if (self->stream != NULL)
    ice_state = gst_rtc_ice_stream_get_state (self->stream);

  if (dtls_state == GST_RTC_DTLS_STATE_FAILED ||
      ice_state == GST_RTC_ICE_STATE_FAILED)
    return GST_RTC_TRANSPORT_STATE_FAILED;
  if (dtls_state == GST_RTC_DTLS_STATE_CLOSED ||
      ice_state == GST_RTC_ICE_STATE_CLOSED)
    return GST_RTC_TRANSPORT_STATE_CLOSED;
  if (ice_state == GST_RTC_ICE_STATE_DISCONNECTED)
    return GST_RTC_TRANSPORT_STATE_DISCONNECTED;
  if (dtls_state == GST_RTC_DTLS_STATE_CONNECTED && ice_state_is_up (ice_state)
      && gst_rtc_srtp_session_has_keys (self->srtp))
    return GST_RTC_TRANSPORT_STATE_CONNECTED;
  if (self->started || (self->stream != NULL &&
          ice_state != GST_RTC_ICE_STATE_NEW))
    return GST_RTC_TRANSPORT_STATE_CONNECTING;
  return GST_RTC_TRANSPORT_STATE_NEW;
}

static void
update_state (GstRtcTransport * self)
{
  GstRtcTransportState state;
  gboolean changed;

  GST_OBJECT_LOCK (self);
  state = compute_state (self);
  changed = state != self->state;
  self->state = state;
  GST_OBJECT_UNLOCK (self);

  if (changed) {
    GST_INFO_OBJECT (self, "state %d", state);
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  }
}

/**
 * gst_rtc_transport_send:
 * @transport: a transport
 * @kind: %GST_RTC_PACKET_KIND_RTP or %GST_RTC_PACKET_KIND_RTCP
 * @data: (array length=len): one plain RTP or RTCP packet
 * @len: its length
 *
 * Protects one packet and sends it. Without SRTP keys, nothing is sent:
 * media never leaves in the clear.
 *
 * Returns: %GST_RTC_SRTP_STATUS_OK when the packet was sent
 */
GstRtcSrtpStatus
gst_rtc_transport_send (GstRtcTransport * transport, GstRtcPacketKind kind,
    const guint8 * data, gsize len)
{
  guint8 stack[STACK_PACKET_SIZE];
  guint8 *packet = stack;
  gsize size = len, capacity = len + GST_RTC_SRTP_MAX_TRAILER_LEN;
  GstRtcSrtpStatus status;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport),
      GST_RTC_SRTP_STATUS_ERROR);
  g_return_val_if_fail (kind == GST_RTC_PACKET_KIND_RTP
      || kind == GST_RTC_PACKET_KIND_RTCP, GST_RTC_SRTP_STATUS_ERROR);
  g_return_val_if_fail (data != NULL || len == 0, GST_RTC_SRTP_STATUS_ERROR);

  if (capacity > sizeof (stack))
    packet = g_malloc (capacity);
  memcpy (packet, data, len);
  status = gst_rtc_srtp_session_protect (transport->srtp,
      kind == GST_RTC_PACKET_KIND_RTCP, packet, &size, capacity);
  if (status == GST_RTC_SRTP_STATUS_OK) {
    if (send_datagram (transport, packet, size)) {
      if (kind == GST_RTC_PACKET_KIND_RTP)
        g_atomic_pointer_add (&transport->rtp_sent, 1);
      else
        g_atomic_pointer_add (&transport->rtcp_sent, 1);
    }
  } else {
    GST_LOG_OBJECT (transport, "%s not sent: SRTP status %d",
        gst_rtc_packet_kind_to_string (kind), status);
  }
  if (packet != stack)
    g_free (packet);
  return status;
}

/**
 * gst_rtc_transport_send_buffer:
 * @transport: a transport
 * @kind: %GST_RTC_PACKET_KIND_RTP or %GST_RTC_PACKET_KIND_RTCP
 * @buffer: (transfer none): one plain RTP or RTCP packet
 *
 * Like gst_rtc_transport_send(), for a #GstBuffer.
 *
 * Returns: %GST_RTC_SRTP_STATUS_OK when the packet was sent
 */
GstRtcSrtpStatus
gst_rtc_transport_send_buffer (GstRtcTransport * transport,
    GstRtcPacketKind kind, GstBuffer * buffer)
{
  GstMapInfo map;
  GstRtcSrtpStatus status;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), GST_RTC_SRTP_STATUS_ERROR);

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_RTC_SRTP_STATUS_ERROR;
  status = gst_rtc_transport_send (transport, kind, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return status;
}

/**
 * gst_rtc_transport_get_state:
 * @transport: a transport
 *
 * Gets the combined state of @transport.
 *
 * Returns: the combined ICE and DTLS state
 */
GstRtcTransportState
gst_rtc_transport_get_state (GstRtcTransport * transport)
{
  GstRtcTransportState state;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport),
      GST_RTC_TRANSPORT_STATE_CLOSED);

  GST_OBJECT_LOCK (transport);
  state = transport->state;
  GST_OBJECT_UNLOCK (transport);
  return state;
}

/**
 * gst_rtc_transport_get_dtls_connection:
 * @transport: a transport
 *
 * Gets the DTLS connection of @transport.
 *
 * Returns: (transfer full) (nullable): the DTLS connection, once started
 */
GstRtcDtlsConnection *
gst_rtc_transport_get_dtls_connection (GstRtcTransport * transport)
{
  GstRtcDtlsConnection *dtls = NULL;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), NULL);

  GST_OBJECT_LOCK (transport);
  if (transport->dtls != NULL)
    dtls = g_object_ref (transport->dtls);
  GST_OBJECT_UNLOCK (transport);
  return dtls;
}

/**
 * gst_rtc_transport_get_stats:
 * @transport: a transport
 *
 * Gets the counters of @transport.
 *
 * Returns: (transfer full): counters of the transport, with the SRTP
 *   session's in an `srtp` field and the selected pair's candidate types
 *   when there is one
 */
GstStructure *
gst_rtc_transport_get_stats (GstRtcTransport * transport)
{
  GstStructure *stats, *srtp;
  GstRtcIceStream *stream;

  g_return_val_if_fail (GST_RTC_IS_TRANSPORT (transport), NULL);

  srtp = gst_rtc_srtp_session_get_stats (transport->srtp);
  stats = gst_structure_new ("application/x-rtc-transport-stats",
      "state", GST_RTC_TYPE_TRANSPORT_STATE,
      gst_rtc_transport_get_state (transport),
      "rtp-sent", G_TYPE_UINT64,
      (guint64) counter (&transport->rtp_sent),
      "rtcp-sent", G_TYPE_UINT64,
      (guint64) counter (&transport->rtcp_sent),
      "bytes-sent", G_TYPE_UINT64,
      (guint64) counter (&transport->bytes_sent),
      "rtp-received", G_TYPE_UINT64,
      (guint64) counter (&transport->rtp_received),
      "rtcp-received", G_TYPE_UINT64,
      (guint64) counter (&transport->rtcp_received),
      "bytes-received", G_TYPE_UINT64,
      (guint64) counter (&transport->bytes_received),
      "dtls-received", G_TYPE_UINT64,
      (guint64) counter (&transport->dtls_received),
      "dropped-no-keys", G_TYPE_UINT64,
      (guint64) counter (&transport->dropped_no_keys),
      "dropped-unauthenticated", G_TYPE_UINT64,
      (guint64) counter (&transport->dropped_auth),
      "dropped-unknown", G_TYPE_UINT64,
      (guint64) counter (&transport->dropped_unknown),
      "srtp", GST_TYPE_STRUCTURE, srtp, NULL);
  gst_structure_free (srtp);

  stream = gst_rtc_transport_get_ice_stream (transport);
  if (stream != NULL) {
    GstRtcIceCandidateType local, remote;

    if (gst_rtc_ice_stream_get_selected_pair (stream, &local, &remote, NULL,
            NULL)) {
      gst_structure_set (stats,
          "local-candidate-type", G_TYPE_STRING,
          gst_rtc_ice_candidate_type_to_string (local),
          "remote-candidate-type", G_TYPE_STRING,
          gst_rtc_ice_candidate_type_to_string (remote), NULL);
    }
    gst_object_unref (stream);
  }
  return stats;
}

/**
 * gst_rtc_transport_close:
 * @transport: a transport
 *
 * Sends close_notify, closes the ICE streams and drops all keys' use. The
 * transport cannot be started again.
 */
void
gst_rtc_transport_close (GstRtcTransport * transport)
{
  GstRtcDtlsConnection *dtls;
  GstRtcIceStream *stream, *pending;

  g_return_if_fail (GST_RTC_IS_TRANSPORT (transport));

  GST_OBJECT_LOCK (transport);
  if (transport->closed) {
    GST_OBJECT_UNLOCK (transport);
    return;
  }
  transport->closed = TRUE;
  dtls = transport->dtls ? g_object_ref (transport->dtls) : NULL;
  stream = transport->stream ? gst_object_ref (transport->stream) : NULL;
  pending = g_steal_pointer (&transport->pending_stream);
  GST_OBJECT_UNLOCK (transport);

  if (dtls != NULL) {
    gst_rtc_dtls_connection_close (dtls);
    g_object_unref (dtls);
  }
  if (pending != NULL) {
    detach_stream (transport, pending);
    gst_rtc_ice_stream_close (pending);
    gst_object_unref (pending);
  }
  if (stream != NULL) {
    detach_stream (transport, stream);
    gst_rtc_ice_stream_close (stream);
    gst_object_unref (stream);
  }
  update_state (transport);
}
