/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcdtlssrtpbase.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_dtls_srtp_base_debug);
#define GST_CAT_DEFAULT gst_rtc_dtls_srtp_base_debug

typedef struct
{
  gchar *connection_id;
  gchar *pem;
  gchar *peer_fingerprint;
  GstRtcSharedConnection *connection;
  gulong state_handler;
} GstRtcDtlsSrtpBasePrivate;

enum
{
  PROP_0,
  PROP_CONNECTION_ID,
  PROP_PEM,
  PROP_PEER_FINGERPRINT,
  PROP_FINGERPRINT,
  PROP_PEER_PEM,
  PROP_TRANSPORT,
  PROP_LAST
};

static GParamSpec *properties[PROP_LAST];

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (GstRtcDtlsSrtpBase, gst_rtc_dtls_srtp_base,
    GST_TYPE_ELEMENT, G_ADD_PRIVATE (GstRtcDtlsSrtpBase)
    GST_DEBUG_CATEGORY_INIT (gst_rtc_dtls_srtp_base_debug, "rtcdtlssrtp", 0,
        "gst-rtc DTLS-SRTP elements"));

#define GET_PRIV(self) \
  ((GstRtcDtlsSrtpBasePrivate *) gst_rtc_dtls_srtp_base_get_instance_private (self))

static void
gst_rtc_dtls_srtp_base_init (GstRtcDtlsSrtpBase * self)
{
}

static void
gst_rtc_dtls_srtp_base_finalize (GObject * object)
{
  GstRtcDtlsSrtpBasePrivate *priv = GET_PRIV (GST_RTC_DTLS_SRTP_BASE (object));

  g_free (priv->connection_id);
  g_free (priv->pem);
  g_free (priv->peer_fingerprint);
  G_OBJECT_CLASS (gst_rtc_dtls_srtp_base_parent_class)->finalize (object);
}

static void
apply_peer_fingerprint (GstRtcDtlsSrtpBase * self, const gchar * fingerprint)
{
  GstRtcDtlsSrtpBasePrivate *priv = GET_PRIV (self);
  GError *error = NULL;

  if (priv->connection == NULL || fingerprint == NULL)
    return;
  if (!gst_rtc_shared_connection_set_peer_fingerprint (priv->connection,
          fingerprint, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Bad peer fingerprint: %s", error->message), (NULL));
    g_clear_error (&error);
  }
}

static void
gst_rtc_dtls_srtp_base_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtcDtlsSrtpBase *self = GST_RTC_DTLS_SRTP_BASE (object);
  GstRtcDtlsSrtpBasePrivate *priv = GET_PRIV (self);
  gchar *fingerprint = NULL;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CONNECTION_ID:
      g_free (priv->connection_id);
      priv->connection_id = g_value_dup_string (value);
      break;
    case PROP_PEM:
      g_free (priv->pem);
      priv->pem = g_value_dup_string (value);
      break;
    case PROP_PEER_FINGERPRINT:
      g_free (priv->peer_fingerprint);
      priv->peer_fingerprint = g_value_dup_string (value);
      fingerprint = g_strdup (priv->peer_fingerprint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  /* The fingerprint may come after the handshake: apply it now. */
  apply_peer_fingerprint (self, fingerprint);
  g_free (fingerprint);
}

static void
gst_rtc_dtls_srtp_base_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcDtlsSrtpBase *self = GST_RTC_DTLS_SRTP_BASE (object);
  GstRtcDtlsSrtpBasePrivate *priv = GET_PRIV (self);
  GstRtcTransport *transport = gst_rtc_dtls_srtp_base_get_transport (self);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CONNECTION_ID:
      g_value_set_string (value, priv->connection_id);
      break;
    case PROP_PEM:
      if (transport != NULL)
        g_value_take_string (value, gst_rtc_certificate_get_pem
            (gst_rtc_transport_get_certificate (transport), FALSE));
      else
        g_value_set_string (value, NULL);
      break;
    case PROP_PEER_FINGERPRINT:
      g_value_set_string (value, priv->peer_fingerprint);
      break;
    case PROP_FINGERPRINT:
      g_value_take_string (value, transport ?
          gst_rtc_transport_get_local_fingerprint (transport) : NULL);
      break;
    case PROP_PEER_PEM:{
      GstRtcDtlsConnection *dtls = transport ?
          gst_rtc_transport_get_dtls_connection (transport) : NULL;

      g_value_take_string (value, dtls ?
          gst_rtc_dtls_connection_get_peer_certificate_pem (dtls) : NULL);
      g_clear_object (&dtls);
      break;
    }
    case PROP_TRANSPORT:
      g_value_set_object (value, transport);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  gst_clear_object (&transport);
}

static void
on_transport_state (GstRtcTransport * transport, GParamSpec * pspec,
    GstRtcDtlsSrtpBase * self)
{
  GstRtcTransportState state = gst_rtc_transport_get_state (transport);
  GstRtcDtlsConnection *dtls;
  GError *error = NULL;

  if (state != GST_RTC_TRANSPORT_STATE_FAILED)
    return;
  dtls = gst_rtc_transport_get_dtls_connection (transport);
  if (dtls != NULL)
    error = gst_rtc_dtls_connection_get_error (dtls);
  /* Without a secure transport this pipeline cannot go on. */
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
      ("DTLS-SRTP failed: %s", error ? error->message : "unknown reason"),
      ("connection-id %s", GET_PRIV (self)->connection_id));
  g_clear_error (&error);
  g_clear_object (&dtls);
}

static GstStateChangeReturn
gst_rtc_dtls_srtp_base_change_state (GstElement * element,
    GstStateChange transition)
{
  GstRtcDtlsSrtpBase *self = GST_RTC_DTLS_SRTP_BASE (element);
  GstRtcDtlsSrtpBaseClass *klass = GST_RTC_DTLS_SRTP_BASE_GET_CLASS (self);
  GstRtcDtlsSrtpBasePrivate *priv = GET_PRIV (self);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    GstRtcSharedConnection *connection;
    gchar *id, *pem, *fingerprint;
    GError *error = NULL;

    GST_OBJECT_LOCK (self);
    id = g_strdup (priv->connection_id);
    pem = g_strdup (priv->pem);
    fingerprint = g_strdup (priv->peer_fingerprint);
    GST_OBJECT_UNLOCK (self);

    connection = gst_rtc_shared_connection_acquire (id, pem, &error);
    g_free (id);
    g_free (pem);
    if (connection == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
          (NULL));
      g_clear_error (&error);
      g_free (fingerprint);
      return GST_STATE_CHANGE_FAILURE;
    }
    GST_OBJECT_LOCK (self);
    priv->connection = connection;
    GST_OBJECT_UNLOCK (self);
    priv->state_handler =
        g_signal_connect (gst_rtc_shared_connection_get_transport (connection),
        "notify::state", G_CALLBACK (on_transport_state), self);
    apply_peer_fingerprint (self, fingerprint);
    g_free (fingerprint);
    if (klass->attach != NULL)
      klass->attach (self, connection);
  }

  ret = GST_ELEMENT_CLASS (gst_rtc_dtls_srtp_base_parent_class)->change_state
      (element, transition);

  if (transition == GST_STATE_CHANGE_READY_TO_NULL && priv->connection) {
    GstRtcSharedConnection *connection = priv->connection;

    if (klass->detach != NULL)
      klass->detach (self, connection);
    g_signal_handler_disconnect (gst_rtc_shared_connection_get_transport
        (connection), priv->state_handler);
    GST_OBJECT_LOCK (self);
    priv->connection = NULL;
    GST_OBJECT_UNLOCK (self);
    gst_rtc_shared_connection_release (connection);
  }
  return ret;
}

static void
gst_rtc_dtls_srtp_base_class_init (GstRtcDtlsSrtpBaseClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_rtc_dtls_srtp_base_finalize;
  gobject_class->set_property = gst_rtc_dtls_srtp_base_set_property;
  gobject_class->get_property = gst_rtc_dtls_srtp_base_get_property;
  element_class->change_state = gst_rtc_dtls_srtp_base_change_state;

  /**
   * GstRtcDtlsSrtpBase:connection-id:
   *
   * The encoder and decoder of one connection share it: one DTLS session,
   * one pair of SRTP keys. Required.
   */
  properties[PROP_CONNECTION_ID] = g_param_spec_string ("connection-id",
      "Connection id", "The same unique id on the encoder and decoder of "
      "one connection", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcDtlsSrtpBase:pem:
   *
   * Our certificate and private key in PEM form. When unset, an ECDSA
   * P-256 certificate is generated. Reading gives the certificate only.
   */
  properties[PROP_PEM] = g_param_spec_string ("pem", "PEM",
      "Our certificate and private key in PEM form (generated when unset); "
      "reads back the certificate only", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  /**
   * GstRtcDtlsSrtpBase:peer-fingerprint:
   *
   * The fingerprint the peer's certificate must match, as in SDP
   * (`sha-256 AB:CD:…`). Until it is set and matches, no key is exported
   * and no media passes.
   */
  properties[PROP_PEER_FINGERPRINT] = g_param_spec_string ("peer-fingerprint",
      "Peer fingerprint", "The SHA-256 fingerprint the peer certificate must "
      "match, as in SDP (sha-256 AB:CD:...)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstRtcDtlsSrtpBase:fingerprint:
   *
   * Our certificate's fingerprint, to signal to the peer. Known from the
   * READY state on.
   */
  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint",
      "Fingerprint", "Our certificate's SHA-256 fingerprint (from READY on)",
      NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcDtlsSrtpBase:peer-pem:
   *
   * The certificate the peer presented in the handshake.
   */
  properties[PROP_PEER_PEM] = g_param_spec_string ("peer-pem", "Peer PEM",
      "The certificate the peer presented, in PEM form", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcDtlsSrtpBase:transport:
   *
   * The #GstRtcTransport behind the pair, for its state and statistics.
   */
  properties[PROP_TRANSPORT] = g_param_spec_object ("transport", "Transport",
      "The GstRtcTransport behind the pair (from READY on)",
      GST_RTC_TYPE_TRANSPORT, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, PROP_LAST, properties);
}

/* Returns: (transfer full) (nullable) */
GstRtcTransport *
gst_rtc_dtls_srtp_base_get_transport (GstRtcDtlsSrtpBase * self)
{
  GstRtcDtlsSrtpBasePrivate *priv = GET_PRIV (self);
  GstRtcTransport *transport = NULL;

  g_mutex_lock (GST_OBJECT_GET_LOCK (self));
  if (priv->connection != NULL)
    transport =
        gst_object_ref (gst_rtc_shared_connection_get_transport
        (priv->connection));
  g_mutex_unlock (GST_OBJECT_GET_LOCK (self));
  return transport;
}
