/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcelementutils.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_element_utils_debug);
#define GST_CAT_DEFAULT gst_rtc_element_utils_debug

struct _GstRtcSharedConnection
{
  gchar *id;
  guint refcount;
  GstRtcTransport *transport;

  GMutex lock;
  GstRtcSharedOutputFunc output;
  gpointer output_data;
  GstRtcTransportReceiveFunc receiver;
  gpointer receiver_data;
};

static GMutex registry_lock;
static GHashTable *registry;

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtc_element_utils_debug, "rtcelementutils",
        0, "gst-rtc element helpers");
    g_once_init_leave (&done, 1);
  }
}

static void
on_transport_send (GstRtcTransport * transport, const guint8 * data,
    gsize len, gpointer user_data)
{
  GstRtcSharedConnection *connection = user_data;

  GstRtcSharedOutputFunc output;
  gpointer output_data = NULL;

  /* Call out with a reference and without the lock: the element may be
   * detaching itself at the same moment. */
  g_mutex_lock (&connection->lock);
  output = connection->output;
  if (output != NULL)
    output_data = gst_object_ref (connection->output_data);
  g_mutex_unlock (&connection->lock);

  if (output != NULL) {
    output (data, len, output_data);
    gst_object_unref (output_data);
  } else {
    GST_DEBUG ("connection %s has no encoder: %" G_GSIZE_FORMAT
        " bytes not sent", connection->id, len);
  }
}

static void
on_transport_receive (GstRtcTransport * transport, GstRtcPacketKind kind,
    GstBuffer * buffer, gpointer user_data)
{
  GstRtcSharedConnection *connection = user_data;

  GstRtcTransportReceiveFunc receiver;
  gpointer receiver_data = NULL;

  g_mutex_lock (&connection->lock);
  receiver = connection->receiver;
  if (receiver != NULL)
    receiver_data = gst_object_ref (connection->receiver_data);
  g_mutex_unlock (&connection->lock);

  if (receiver != NULL) {
    receiver (transport, kind, buffer, receiver_data);
    gst_object_unref (receiver_data);
  } else {
    gst_buffer_unref (buffer);
  }
}

/* Finds or makes the connection named @id. The first element of a pair to
 * get here decides the certificate: @pem if given, else a new one. */
GstRtcSharedConnection *
gst_rtc_shared_connection_acquire (const gchar * id, const gchar * pem,
    GError ** error)
{
  GstRtcSharedConnection *connection;
  GstRtcCertificate *certificate;

  ensure_debug ();
  if (id == NULL || *id == '\0') {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "the connection-id property must be set, to the same value on the "
        "encoder and decoder of one connection");
    return NULL;
  }

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  connection = g_hash_table_lookup (registry, id);
  if (connection != NULL) {
    connection->refcount++;
    g_mutex_unlock (&registry_lock);
    return connection;
  }

  certificate = pem != NULL ? gst_rtc_certificate_new_from_pem (pem, error) :
      gst_rtc_certificate_generate (error);
  if (certificate == NULL) {
    g_mutex_unlock (&registry_lock);
    return NULL;
  }
  connection = g_new0 (GstRtcSharedConnection, 1);
  connection->id = g_strdup (id);
  connection->refcount = 1;
  g_mutex_init (&connection->lock);
  connection->transport = gst_rtc_transport_new (certificate, NULL);
  g_object_unref (certificate);
  gst_rtc_transport_set_send_func (connection->transport, on_transport_send,
      connection, NULL);
  gst_rtc_transport_set_receive_func (connection->transport,
      on_transport_receive, connection, NULL);
  g_hash_table_insert (registry, connection->id, connection);
  g_mutex_unlock (&registry_lock);
  GST_DEBUG ("new connection %s", id);
  return connection;
}

void
gst_rtc_shared_connection_release (GstRtcSharedConnection * connection)
{
  g_mutex_lock (&registry_lock);
  if (--connection->refcount > 0) {
    g_mutex_unlock (&registry_lock);
    return;
  }
  g_hash_table_remove (registry, connection->id);
  g_mutex_unlock (&registry_lock);

  GST_DEBUG ("closing connection %s", connection->id);
  gst_rtc_transport_close (connection->transport);
  gst_rtc_transport_set_send_func (connection->transport, NULL, NULL, NULL);
  gst_rtc_transport_set_receive_func (connection->transport, NULL, NULL, NULL);
  gst_object_unref (connection->transport);
  g_mutex_clear (&connection->lock);
  g_free (connection->id);
  g_free (connection);
}

GstRtcTransport *
gst_rtc_shared_connection_get_transport (GstRtcSharedConnection * connection)
{
  return connection->transport;
}

void
gst_rtc_shared_connection_set_output (GstRtcSharedConnection * connection,
    GstRtcSharedOutputFunc func, gpointer user_data)
{
  g_mutex_lock (&connection->lock);
  connection->output = func;
  connection->output_data = user_data;
  g_mutex_unlock (&connection->lock);
}

void
gst_rtc_shared_connection_set_receiver (GstRtcSharedConnection * connection,
    GstRtcTransportReceiveFunc func, gpointer user_data)
{
  g_mutex_lock (&connection->lock);
  connection->receiver = func;
  connection->receiver_data = user_data;
  g_mutex_unlock (&connection->lock);
}

gboolean
gst_rtc_shared_connection_set_peer_fingerprint (GstRtcSharedConnection *
    connection, const gchar * fingerprint, GError ** error)
{
  return gst_rtc_transport_set_remote_fingerprint (connection->transport,
      fingerprint, error);
}

struct _GstRtcPacketQueue
{
  GMutex lock;
  GCond cond;
  GQueue buffers;
  guint max_buffers;
  gboolean flushing;
  guint64 dropped;
};

GstRtcPacketQueue *
gst_rtc_packet_queue_new (guint max_buffers)
{
  GstRtcPacketQueue *queue = g_new0 (GstRtcPacketQueue, 1);

  g_mutex_init (&queue->lock);
  g_cond_init (&queue->cond);
  g_queue_init (&queue->buffers);
  queue->max_buffers = MAX (max_buffers, 1);
  return queue;
}

void
gst_rtc_packet_queue_free (GstRtcPacketQueue * queue)
{
  g_queue_clear_full (&queue->buffers, (GDestroyNotify) gst_buffer_unref);
  g_mutex_clear (&queue->lock);
  g_cond_clear (&queue->cond);
  g_free (queue);
}

void
gst_rtc_packet_queue_push (GstRtcPacketQueue * queue, GstBuffer * buffer)
{
  GstBuffer *oldest = NULL;

  g_mutex_lock (&queue->lock);
  if (queue->flushing) {
    g_mutex_unlock (&queue->lock);
    gst_buffer_unref (buffer);
    return;
  }
  if (queue->buffers.length >= queue->max_buffers) {
    oldest = g_queue_pop_head (&queue->buffers);
    queue->dropped++;
  }
  g_queue_push_tail (&queue->buffers, buffer);
  g_cond_signal (&queue->cond);
  g_mutex_unlock (&queue->lock);

  if (oldest != NULL) {
    GST_WARNING ("queue full: dropped the oldest packet");
    gst_buffer_unref (oldest);
  }
}

/* Blocks until a buffer arrives; NULL when flushing. */
GstBuffer *
gst_rtc_packet_queue_pop (GstRtcPacketQueue * queue)
{
  GstBuffer *buffer = NULL;

  g_mutex_lock (&queue->lock);
  while (!queue->flushing && queue->buffers.length == 0)
    g_cond_wait (&queue->cond, &queue->lock);
  if (!queue->flushing)
    buffer = g_queue_pop_head (&queue->buffers);
  g_mutex_unlock (&queue->lock);
  return buffer;
}

void
gst_rtc_packet_queue_set_flushing (GstRtcPacketQueue * queue,
    gboolean flushing)
{
  g_mutex_lock (&queue->lock);
  queue->flushing = flushing;
  if (flushing)
    g_queue_clear_full (&queue->buffers, (GDestroyNotify) gst_buffer_unref);
  g_cond_broadcast (&queue->cond);
  g_mutex_unlock (&queue->lock);
}

guint64
gst_rtc_packet_queue_get_dropped (GstRtcPacketQueue * queue)
{
  guint64 dropped;

  g_mutex_lock (&queue->lock);
  dropped = queue->dropped;
  g_mutex_unlock (&queue->lock);
  return dropped;
}

/* ---- settings shared by rtcsink and rtcsrc ---- */

GTlsCertificate *
gst_rtc_element_load_tls_certificate (const gchar * certificate_file,
    const gchar * key_file, GError ** error)
{
  GTlsCertificate *certificate;
  GError *local_error = NULL;
  gchar *key_pem = NULL;

  g_return_val_if_fail (certificate_file != NULL, NULL);

  if (key_file != NULL && *key_file != '\0')
    certificate = g_tls_certificate_new_from_files (certificate_file,
        key_file, &local_error);
  else
    certificate = g_tls_certificate_new_from_file (certificate_file,
        &local_error);
  if (certificate == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "Could not load the TLS certificate %s%s%s: %s", certificate_file,
        key_file != NULL && *key_file != '\0' ? " with the key " : "",
        key_file != NULL && *key_file != '\0' ? key_file : "",
        local_error->message);
    g_clear_error (&local_error);
    return NULL;
  }
  /* GLib accepts a certificate without its key; a TLS server cannot. */
  g_object_get (certificate, "private-key-pem", &key_pem, NULL);
  if (key_pem == NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "Could not load the TLS certificate %s: %s has no private key (put "
        "it in the same file or name its file in tls-key)", certificate_file,
        key_file != NULL && *key_file != '\0' ? key_file : certificate_file);
    g_object_unref (certificate);
    return NULL;
  }
  memset (key_pem, 0, strlen (key_pem));
  g_free (key_pem);
  return certificate;
}

gboolean
gst_rtc_element_check_ice_settings (guint * port_min, guint * port_max,
    const gchar * announced_address, GError ** error)
{
  g_return_val_if_fail (port_min != NULL && port_max != NULL, FALSE);

  if (*port_min != 0 && *port_max != 0 && *port_min > *port_max) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "Invalid UDP port range: port-min %u is above port-max %u",
        *port_min, *port_max);
    return FALSE;
  }
  if (*port_min != 0 && *port_max == 0)
    *port_max = G_MAXUINT16;
  else if (*port_max != 0 && *port_min == 0)
    *port_min = 1;
  if (announced_address != NULL && *announced_address != '\0'
      && !g_hostname_is_ip_address (announced_address)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "Invalid announced-address \"%s\": an IP address is needed (such "
        "as 203.0.113.7), not a host name", announced_address);
    return FALSE;
  }
  return TRUE;
}

void
gst_rtc_element_configure_ice_agent (GstRtcIceAgent * agent, guint port_min,
    guint port_max, const gchar * announced_address)
{
  g_return_if_fail (GST_RTC_IS_ICE_AGENT (agent));

  g_object_set (agent, "port-min", port_min, "port-max", port_max, NULL);
  if (announced_address != NULL && *announced_address != '\0')
    g_object_set (agent, "announced-address", announced_address, NULL);
}

gchar *
gst_rtc_element_mount_path (const gchar * base, const gchar * leaf)
{
  gsize len = base != NULL ? strlen (base) : 0;

  while (len > 0 && base[len - 1] == '/')
    len--;
  if (len == 0)
    return g_strdup (leaf);
  if (g_str_equal (leaf, "/"))
    return g_strndup (base, len);
  return g_strdup_printf ("%.*s%s", (gint) len, base, leaf);
}

gboolean
gst_rtc_element_check_mount_base (const gchar * base, GError ** error)
{
  gchar **segments;
  gboolean ok = TRUE;
  guint i;

  if (base == NULL || base[0] == '\0')
    return TRUE;
  if (base[0] != '/' || strpbrk (base, "?#%\\ \t\r\n") != NULL) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "path '%s' is not an absolute URL path without query, fragment, "
        "escapes or spaces", base);
    return FALSE;
  }
  segments = g_strsplit (base + 1, "/", -1);
  for (i = 0; ok && segments[i] != NULL; i++)
    ok = !g_str_equal (segments[i], ".") && !g_str_equal (segments[i], "..");
  g_strfreev (segments);
  if (!ok)
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "path '%s' has a '.' or '..' segment", base);
  return ok;
}
