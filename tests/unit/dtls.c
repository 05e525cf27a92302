/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GstRtcCertificate and GstRtcDtlsConnection: certificates, fingerprints,
 * and back-to-back handshakes in memory. Datagrams are queued and pumped
 * on the test thread, with a private GMainContext for the timers, so that
 * every run takes the same path. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>

#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define FINGERPRINT_REGEX "^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$"
#define GCM_KEY_SALT_LEN (16 + 12)

/* Certificates are slow enough to generate that the tests share three. */
static GstRtcCertificate *cert_a, *cert_b, *cert_other;

static void
certificates_setup (void)
{
  GError *error = NULL;

  cert_a = gst_rtc_certificate_generate (&error);
  g_assert_no_error (error);
  cert_b = gst_rtc_certificate_generate (&error);
  g_assert_no_error (error);
  cert_other = gst_rtc_certificate_generate (&error);
  g_assert_no_error (error);
}

static void
certificates_teardown (void)
{
  g_clear_object (&cert_a);
  g_clear_object (&cert_b);
  g_clear_object (&cert_other);
}

/* ---- Certificates ---- */

GST_START_TEST (test_certificate_generate)
{
  gchar *fingerprint = gst_rtc_certificate_get_fingerprint (cert_a);
  gchar *other = gst_rtc_certificate_get_fingerprint (cert_b);
  gchar *pem = gst_rtc_certificate_get_pem (cert_a, FALSE);
  BIO *bio;
  X509 *x509;
  EVP_PKEY *key;
  char group[64];
  size_t group_len = 0;
  X509_NAME *name;
  char common_name[64];

  fail_unless (g_regex_match_simple (FINGERPRINT_REGEX, fingerprint, 0, 0),
      "bad fingerprint format: %s", fingerprint);
  fail_if (g_str_equal (fingerprint, other),
      "two generated certificates have the same fingerprint");

  /* Look at what was generated with OpenSSL directly. */
  bio = BIO_new_mem_buf (pem, -1);
  x509 = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  fail_unless (x509 != NULL);
  fail_unless_equals_int (X509_get_signature_nid (x509),
      NID_ecdsa_with_SHA256);
  fail_unless (X509_cmp_current_time (X509_get0_notBefore (x509)) < 0);
  fail_unless (X509_cmp_current_time (X509_get0_notAfter (x509)) > 0);
  key = X509_get0_pubkey (x509);
  fail_unless (EVP_PKEY_is_a (key, "EC"));
  fail_unless (EVP_PKEY_get_group_name (key, group, sizeof (group),
          &group_len));
  fail_unless_equals_string (group, "prime256v1");
  name = X509_get_subject_name (x509);
  fail_unless (X509_NAME_get_text_by_NID (name, NID_commonName, common_name,
          sizeof (common_name)) > 0);
  fail_unless_equals_string (common_name, "gst-rtc");
  fail_unless (X509_check_issued (x509, x509) == X509_V_OK,
      "not self-signed");
  X509_free (x509);

  g_free (pem);
  g_free (fingerprint);
  g_free (other);
}

GST_END_TEST;

GST_START_TEST (test_certificate_pem_round_trip)
{
  GError *error = NULL;
  gchar *fingerprint = gst_rtc_certificate_get_fingerprint (cert_a);
  gchar *full_pem = gst_rtc_certificate_get_pem (cert_a, TRUE);
  gchar *cert_pem = gst_rtc_certificate_get_pem (cert_a, FALSE);
  gchar *key_pem, *key_first, *from_pem;
  GstRtcCertificate *loaded;
  gchar *loaded_fingerprint;

  fail_unless (strstr (full_pem, "-----BEGIN CERTIFICATE-----") != NULL);
  fail_unless (strstr (full_pem, "PRIVATE KEY-----") != NULL);
  fail_unless (strstr (cert_pem, "PRIVATE KEY") == NULL,
      "the key leaked into a certificate-only PEM");

  loaded = gst_rtc_certificate_new_from_pem (full_pem, &error);
  g_assert_no_error (error);
  loaded_fingerprint = gst_rtc_certificate_get_fingerprint (loaded);
  fail_unless_equals_string (loaded_fingerprint, fingerprint);
  g_free (loaded_fingerprint);
  g_object_unref (loaded);

  /* Key first, certificate second, with other blocks around. */
  key_pem = full_pem + strlen (cert_pem);
  key_first = g_strconcat ("some text\n", key_pem, cert_pem,
      "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", NULL);
  loaded = gst_rtc_certificate_new_from_pem (key_first, &error);
  g_assert_no_error (error);
  loaded_fingerprint = gst_rtc_certificate_get_fingerprint (loaded);
  fail_unless_equals_string (loaded_fingerprint, fingerprint);
  g_free (loaded_fingerprint);
  g_object_unref (loaded);

  from_pem = gst_rtc_fingerprint_from_pem (cert_pem, &error);
  g_assert_no_error (error);
  fail_unless_equals_string (from_pem, fingerprint);
  g_free (from_pem);

  g_free (key_first);
  g_free (full_pem);
  g_free (cert_pem);
  g_free (fingerprint);
}

GST_END_TEST;

GST_START_TEST (test_certificate_bad_pem)
{
  gchar *full_a = gst_rtc_certificate_get_pem (cert_a, TRUE);
  gchar *cert_pem_a = gst_rtc_certificate_get_pem (cert_a, FALSE);
  gchar *full_b = gst_rtc_certificate_get_pem (cert_b, TRUE);
  gchar *cert_pem_b = gst_rtc_certificate_get_pem (cert_b, FALSE);
  gchar *mismatched = g_strconcat (cert_pem_a, full_b + strlen (cert_pem_b),
      NULL);
  gchar *key_only = g_strdup (full_a + strlen (cert_pem_a));
  gchar *corrupt = g_strdup (full_a);
  GError *error = NULL;
  gchar *fingerprint;
  gsize len, cut;
  struct
  {
    const gchar *pem;
    gint code;
  } cases[] = {
    {"", GST_RTC_ERROR_TYPE_ERROR},
    {"garbage", GST_RTC_ERROR_TYPE_ERROR},
    {"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        GST_RTC_ERROR_TYPE_ERROR},
    {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        GST_RTC_ERROR_TYPE_ERROR},
    {"-----BEGIN CERTIFICATE-----\nMIIB\n", GST_RTC_ERROR_TYPE_ERROR},
    {cert_pem_a, GST_RTC_ERROR_INVALID_ACCESS},
    {key_only, GST_RTC_ERROR_INVALID_ACCESS},
    {mismatched, GST_RTC_ERROR_INVALID_ACCESS},
    {"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
          "-----END ENCRYPTED PRIVATE KEY-----\n",
        GST_RTC_ERROR_INVALID_ACCESS},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstRtcCertificate *certificate =
        gst_rtc_certificate_new_from_pem (cases[i].pem, &error);

    fail_unless (certificate == NULL, "case %u accepted", i);
    fail_unless (error != NULL, "case %u: no error", i);
    fail_unless (error->domain == GST_RTC_ERROR, "case %u", i);
    fail_unless_equals_int (error->code, cases[i].code);
    GST_INFO ("case %u: %s", i, error->message);
    g_clear_error (&error);
  }

  /* The right message for the mismatch. */
  fail_if (gst_rtc_certificate_new_from_pem (mismatched, &error));
  fail_unless (strstr (error->message, "does not match") != NULL,
      "%s", error->message);
  g_clear_error (&error);

  fingerprint = gst_rtc_fingerprint_from_pem (key_only, &error);
  fail_unless (fingerprint == NULL);
  g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS);
  g_clear_error (&error);

  /* Every truncation, and every byte flipped in the base64 of the key:
   * an error or a certificate, never a crash. */
  len = strlen (full_a);
  for (cut = 0; cut < len; cut++) {
    gchar *prefix = g_strndup (full_a, cut);
    GstRtcCertificate *certificate =
        gst_rtc_certificate_new_from_pem (prefix, &error);

    fail_unless ((certificate == NULL) == (error != NULL));
    g_clear_error (&error);
    g_clear_object (&certificate);
    fingerprint = gst_rtc_fingerprint_from_pem (prefix, &error);
    fail_unless ((fingerprint == NULL) == (error != NULL));
    g_clear_error (&error);
    g_free (fingerprint);
    g_free (prefix);
  }
  for (cut = strlen (cert_pem_a) + 30; cut < len - 30; cut += 7) {
    GstRtcCertificate *certificate;

    corrupt[cut] = corrupt[cut] == 'A' ? 'B' : 'A';
    certificate = gst_rtc_certificate_new_from_pem (corrupt, &error);
    fail_unless ((certificate == NULL) == (error != NULL));
    g_clear_error (&error);
    g_clear_object (&certificate);
    corrupt[cut] = full_a[cut];
  }

  g_free (corrupt);
  g_free (key_only);
  g_free (mismatched);
  g_free (full_a);
  g_free (cert_pem_a);
  g_free (full_b);
  g_free (cert_pem_b);
}

GST_END_TEST;

/* An RSA identity as other tools make them: PKCS#1 key ("RSA PRIVATE
 * KEY") before the certificate. */
static gchar *
make_rsa_pem (void)
{
  EVP_PKEY *key = EVP_RSA_gen (2048);
  X509 *x509 = X509_new ();
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data;
  long len;
  gchar *pem;

  fail_unless (key != NULL && x509 != NULL && bio != NULL);
  ASN1_INTEGER_set (X509_get_serialNumber (x509), 1);
  X509_gmtime_adj (X509_getm_notBefore (x509), 0);
  X509_gmtime_adj (X509_getm_notAfter (x509), 3600);
  X509_NAME_add_entry_by_txt (X509_get_subject_name (x509), "CN",
      MBSTRING_UTF8, (const unsigned char *) "rsa-peer", -1, -1, 0);
  X509_set_issuer_name (x509, X509_get_subject_name (x509));
  X509_set_pubkey (x509, key);
  fail_unless (X509_sign (x509, key, EVP_sha256 ()) > 0);
  fail_unless (PEM_write_bio_PrivateKey_traditional (bio, key, NULL, NULL, 0,
          NULL, NULL));
  fail_unless (PEM_write_bio_X509 (bio, x509));
  len = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, len);
  BIO_free (bio);
  X509_free (x509);
  EVP_PKEY_free (key);
  return pem;
}

static void handshake_with (GstRtcCertificate * client_cert,
    GstRtcCertificate * server_cert);

GST_START_TEST (test_certificate_rsa)
{
  gchar *pem = make_rsa_pem ();
  GError *error = NULL;
  GstRtcCertificate *rsa;
  gchar *fingerprint, *from_pem;

  fail_unless (strstr (pem, "-----BEGIN RSA PRIVATE KEY-----") != NULL);
  rsa = gst_rtc_certificate_new_from_pem (pem, &error);
  g_assert_no_error (error);
  fingerprint = gst_rtc_certificate_get_fingerprint (rsa);
  from_pem = gst_rtc_fingerprint_from_pem (pem, &error);
  g_assert_no_error (error);
  fail_unless_equals_string (fingerprint, from_pem);
  fail_unless (g_regex_match_simple (FINGERPRINT_REGEX, fingerprint, 0, 0));

  /* RSA on either side of the handshake. */
  handshake_with (rsa, cert_b);
  handshake_with (cert_a, rsa);

  g_free (fingerprint);
  g_free (from_pem);
  g_object_unref (rsa);
  g_free (pem);
}

GST_END_TEST;

GST_START_TEST (test_fingerprint_parse)
{
  const gchar *valid =
      "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  const gchar *lower_case =
      "SHA-256 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
      "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\r\n";
  struct
  {
    const gchar *fingerprint;
    gint code;
  } bad[] = {
    {NULL, GST_RTC_ERROR_TYPE_ERROR},
    {"", GST_RTC_ERROR_TYPE_ERROR},
    {"   ", GST_RTC_ERROR_TYPE_ERROR},
    {"sha-256", GST_RTC_ERROR_TYPE_ERROR},
    {"sha-256 ", GST_RTC_ERROR_TYPE_ERROR},
    /* no hash function name */
    {"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        GST_RTC_ERROR_TYPE_ERROR},
    {"sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33",
        GST_RTC_ERROR_NOT_SUPPORTED},
    {"sha-384 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        GST_RTC_ERROR_NOT_SUPPORTED},
    {"md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        GST_RTC_ERROR_NOT_SUPPORTED},
    {"sha/256 00:11", GST_RTC_ERROR_TYPE_ERROR},
    /* 31 bytes */
    {"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE",
        GST_RTC_ERROR_TYPE_ERROR},
    /* 33 bytes */
    {"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00",
        GST_RTC_ERROR_TYPE_ERROR},
    /* bad hex */
    {"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FG:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        GST_RTC_ERROR_TYPE_ERROR},
    /* a missing colon */
    {"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EEFF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        GST_RTC_ERROR_TYPE_ERROR},
    /* a single hex digit */
    {"sha-256 0:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        GST_RTC_ERROR_TYPE_ERROR},
    /* a trailing colon */
    {"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:",
        GST_RTC_ERROR_TYPE_ERROR},
    /* dashes instead of colons */
    {"sha-256 00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF-"
          "00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF",
        GST_RTC_ERROR_TYPE_ERROR},
    /* trailing garbage */
    {"sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF x",
        GST_RTC_ERROR_TYPE_ERROR},
  };
  guint8 digest[32], expected[32];
  GError *error = NULL;
  guint i;

  for (i = 0; i < 32; i++)
    expected[i] = (i % 16) * 0x11;
  fail_unless (gst_rtc_fingerprint_parse (valid, digest, &error));
  g_assert_no_error (error);
  fail_unless (memcmp (digest, expected, 32) == 0);
  memset (digest, 0, sizeof (digest));
  fail_unless (gst_rtc_fingerprint_parse (lower_case, digest, &error));
  g_assert_no_error (error);
  fail_unless (memcmp (digest, expected, 32) == 0);
  fail_unless (gst_rtc_fingerprint_parse (valid, NULL, NULL));

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    memset (digest, 0xa5, sizeof (digest));
    fail_if (gst_rtc_fingerprint_parse (bad[i].fingerprint, digest, &error),
        "case %u accepted", i);
    fail_unless (error != NULL, "case %u: no error", i);
    fail_unless (error->domain == GST_RTC_ERROR, "case %u", i);
    fail_unless (error->code == bad[i].code, "case %u: code %d, not %d: %s",
        i, error->code, bad[i].code, error->message);
    GST_INFO ("case %u: %s", i, error->message);
    g_clear_error (&error);
    fail_unless (digest[0] == 0xa5 && digest[31] == 0xa5,
        "case %u wrote the digest", i);
  }

  /* Every truncation of a valid fingerprint but the full one fails. */
  for (i = 0; i < strlen (valid); i++) {
    gchar *prefix = g_strndup (valid, i);

    fail_if (gst_rtc_fingerprint_parse (prefix, NULL, NULL), "%s", prefix);
    g_free (prefix);
  }
}

GST_END_TEST;

/* ---- Back-to-back connections ---- */

typedef struct _Pair Pair;

typedef struct
{
  Pair *pair;
  const gchar *name;
  GstRtcDtlsConnection *conn;
  /* datagrams on their way to this peer */
  GQueue inbox;
  guint keys_ready;
  guint state_notifies;
  guint client_hellos_sent;
  /* datagrams this peer sends that get lost */
  guint drop_next_sent;
  /* feed garbage to this peer before its next delivery */
  gboolean garbage_before_next;
  /* deliver synchronously from the send function */
  gboolean deliver_now;
} Peer;

struct _Pair
{
  GMainContext *context;
  Peer a, b;
};

static Peer *
other_peer (Peer * peer)
{
  return peer == &peer->pair->a ? &peer->pair->b : &peer->pair->a;
}

static gboolean
is_client_hello (const guint8 * data, gsize len)
{
  return len >= 13 + 12 && data[0] == 22 && data[13] == 1;
}

static void
on_send (GstRtcDtlsConnection * conn, const guint8 * data, gsize len,
    gpointer user_data)
{
  Peer *peer = user_data;
  Peer *to = other_peer (peer);

  if (is_client_hello (data, len))
    peer->client_hellos_sent++;
  if (peer->drop_next_sent > 0) {
    peer->drop_next_sent--;
    GST_INFO ("%s: losing a datagram of %" G_GSIZE_FORMAT " bytes",
        peer->name, len);
    return;
  }
  if (peer->deliver_now)
    /* The connection must not hold its lock while sending: this re-enters
     * the peer, which answers into us. */
    gst_rtc_dtls_connection_receive (to->conn, data, len, NULL);
  else
    g_queue_push_tail (&to->inbox, g_bytes_new (data, len));
}

static void
on_keys_ready (GstRtcDtlsConnection * conn, Peer * peer)
{
  peer->keys_ready++;
}

static void
on_state_notify (GstRtcDtlsConnection * conn, GParamSpec * pspec, Peer * peer)
{
  peer->state_notifies++;
}

static void
peer_init (Pair * pair, Peer * peer, const gchar * name,
    GstRtcCertificate * certificate, GstRtcDtlsRole role)
{
  peer->pair = pair;
  peer->name = name;
  g_queue_init (&peer->inbox);
  peer->conn = gst_rtc_dtls_connection_new (certificate, role, pair->context);
  gst_rtc_dtls_connection_set_send_func (peer->conn, on_send, peer, NULL);
  g_signal_connect (peer->conn, "keys-ready", G_CALLBACK (on_keys_ready),
      peer);
  g_signal_connect (peer->conn, "notify::state", G_CALLBACK (on_state_notify),
      peer);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_role (peer->conn), role);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (peer->conn),
      GST_RTC_DTLS_STATE_NEW);
}

static void
set_fingerprint (Peer * peer, GstRtcCertificate * of)
{
  gchar *fingerprint = gst_rtc_certificate_get_fingerprint (of);
  GError *error = NULL;

  fail_unless (gst_rtc_dtls_connection_set_remote_fingerprint (peer->conn,
          fingerprint, &error));
  g_assert_no_error (error);
  g_free (fingerprint);
}

/* A is the client when @a_is_client; each knows the other's fingerprint
 * when told to. */
static Pair *
pair_new (gboolean a_is_client, gboolean a_knows_b, gboolean b_knows_a)
{
  Pair *pair = g_new0 (Pair, 1);

  pair->context = g_main_context_new ();
  peer_init (pair, &pair->a, "A", cert_a,
      a_is_client ? GST_RTC_DTLS_ROLE_CLIENT : GST_RTC_DTLS_ROLE_SERVER);
  peer_init (pair, &pair->b, "B", cert_b,
      a_is_client ? GST_RTC_DTLS_ROLE_SERVER : GST_RTC_DTLS_ROLE_CLIENT);
  if (a_knows_b)
    set_fingerprint (&pair->a, cert_b);
  if (b_knows_a)
    set_fingerprint (&pair->b, cert_a);
  return pair;
}

/* How long until the next source of @context is due: -1 if it has none.
 * Reads what the connection scheduled, without waiting for it. */
static gint
next_timeout_ms (GMainContext * context)
{
  GPollFD fds[16];
  gint priority, timeout = -1, n_fds;

  fail_unless (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n_fds = g_main_context_query (context, priority, &timeout, fds,
      G_N_ELEMENTS (fds));
  g_main_context_check (context, priority, fds, MIN (n_fds,
          (gint) G_N_ELEMENTS (fds)));
  g_main_context_release (context);
  return timeout;
}

static void
pair_free (Pair * pair)
{
  g_object_unref (pair->a.conn);
  g_object_unref (pair->b.conn);
  g_queue_clear_full (&pair->a.inbox, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&pair->b.inbox, (GDestroyNotify) g_bytes_unref);
  /* No timer may outlive its connection on the context. */
  fail_unless_equals_int (next_timeout_ms (pair->context), -1);
  g_main_context_unref (pair->context);
  g_free (pair);
}

static void
pair_start (Pair * pair)
{
  GError *error = NULL;

  /* Server first, as a transport would start both once ICE connects. */
  Peer *server = gst_rtc_dtls_connection_get_role (pair->a.conn) ==
      GST_RTC_DTLS_ROLE_SERVER ? &pair->a : &pair->b;

  fail_unless (gst_rtc_dtls_connection_start (server->conn, &error));
  g_assert_no_error (error);
  fail_unless (gst_rtc_dtls_connection_start (other_peer (server)->conn,
          &error));
  g_assert_no_error (error);
  fail_if (gst_rtc_dtls_connection_start (pair->a.conn, &error));
  g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE);
  g_clear_error (&error);
}

static void
inject_garbage (Peer * peer, const guint8 * real, gsize real_len)
{
  GRand *rand = g_rand_new_with_seed (1234);
  guint8 datagram[200];
  GError *error = NULL;
  guint i;

  /* random bytes */
  for (i = 0; i < sizeof (datagram); i++)
    datagram[i] = g_rand_int_range (rand, 0, 256);
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, datagram,
          sizeof (datagram), &error));
  g_assert_no_error (error);

  /* a handshake record header with a random body */
  datagram[0] = 22;
  datagram[1] = 0xfe;
  datagram[2] = 0xfd;
  datagram[3] = datagram[4] = 0;
  GST_WRITE_UINT16_BE (datagram + 11, sizeof (datagram) - 13);
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, datagram,
          sizeof (datagram), &error));
  g_assert_no_error (error);

  /* an epoch 1 record with a random body: OpenSSL buffers it, then fails
   * to decrypt it and drops it */
  datagram[4] = 1;
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, datagram,
          sizeof (datagram), &error));
  g_assert_no_error (error);

  /* unencrypted application data */
  datagram[0] = 23;
  datagram[4] = 0;
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, datagram,
          sizeof (datagram), &error));
  g_assert_no_error (error);

  /* the real next datagram, truncated */
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, real,
          real_len - 1, &error));
  g_assert_no_error (error);
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, real,
          real_len / 2, &error));
  g_assert_no_error (error);
  fail_unless (gst_rtc_dtls_connection_receive (peer->conn, real, 5, &error));
  g_assert_no_error (error);

  g_rand_free (rand);
}

/* Delivers one queued datagram, A's inbox first. */
static gboolean
deliver_one (Pair * pair)
{
  Peer *peers[] = { &pair->a, &pair->b };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (peers); i++) {
    Peer *peer = peers[i];
    GBytes *datagram = g_queue_pop_head (&peer->inbox);
    gsize len;
    const guint8 *data;

    if (datagram == NULL)
      continue;
    data = g_bytes_get_data (datagram, &len);
    if (peer->garbage_before_next) {
      peer->garbage_before_next = FALSE;
      inject_garbage (peer, data, len);
    }
    /* A failure shows in the state, which the tests check. */
    gst_rtc_dtls_connection_receive (peer->conn, data, len, NULL);
    g_bytes_unref (datagram);
    return TRUE;
  }
  return FALSE;
}

static gboolean
is_final (GstRtcDtlsState state)
{
  return state == GST_RTC_DTLS_STATE_CONNECTED
      || state == GST_RTC_DTLS_STATE_PENDING_FINGERPRINT
      || state == GST_RTC_DTLS_STATE_FAILED
      || state == GST_RTC_DTLS_STATE_CLOSED;
}

/* Pumps until both ends settled and nothing is in flight, or until
 * @timeout_ms of real time; timers run on the pair's context. */
static gboolean
pump (Pair * pair, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  for (;;) {
    if (deliver_one (pair))
      continue;
    if (is_final (gst_rtc_dtls_connection_get_state (pair->a.conn))
        && is_final (gst_rtc_dtls_connection_get_state (pair->b.conn)))
      return TRUE;
    if (g_get_monotonic_time () > end)
      return FALSE;
    if (!g_main_context_iteration (pair->context, FALSE))
      g_usleep (1000);
  }
}

static guint
get_stat (GstRtcDtlsConnection * conn, const gchar * field)
{
  GstStructure *stats = NULL;
  guint value = 0;

  g_object_get (conn, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get_uint (stats, field, &value), "%s", field);
  gst_structure_free (stats);
  return value;
}

static void
assert_connected_crosswise (Pair * pair)
{
  GstRtcSrtpProfile profile_a = GST_RTC_SRTP_PROFILE_NONE,
      profile_b = GST_RTC_SRTP_PROFILE_NONE;
  GBytes *local_a = NULL, *remote_a = NULL, *local_b = NULL, *remote_b = NULL;
  GError *error = NULL;

  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->a.conn),
      GST_RTC_DTLS_STATE_CONNECTED);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->b.conn),
      GST_RTC_DTLS_STATE_CONNECTED);
  fail_unless_equals_int (pair->a.keys_ready, 1);
  fail_unless_equals_int (pair->b.keys_ready, 1);

  fail_unless (gst_rtc_dtls_connection_get_srtp_keys (pair->a.conn,
          &profile_a, &local_a, &remote_a, &error));
  g_assert_no_error (error);
  fail_unless (gst_rtc_dtls_connection_get_srtp_keys (pair->b.conn,
          &profile_b, &local_b, &remote_b, &error));
  g_assert_no_error (error);

  fail_unless_equals_int (profile_a, GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM);
  fail_unless_equals_int (profile_b, GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM);
  fail_unless_equals_int (g_bytes_get_size (local_a), GCM_KEY_SALT_LEN);
  fail_unless_equals_int (g_bytes_get_size (remote_a), GCM_KEY_SALT_LEN);
  fail_unless (g_bytes_equal (local_a, remote_b), "A's local key is not B's "
      "remote key");
  fail_unless (g_bytes_equal (remote_a, local_b), "A's remote key is not B's "
      "local key");
  fail_if (g_bytes_equal (local_a, remote_a), "both directions share a key");

  /* Optional outputs. */
  fail_unless (gst_rtc_dtls_connection_get_srtp_keys (pair->a.conn, NULL,
          NULL, NULL, NULL));

  g_bytes_unref (local_a);
  g_bytes_unref (remote_a);
  g_bytes_unref (local_b);
  g_bytes_unref (remote_b);
}

static void
assert_no_keys (Peer * peer, GstRtcDtlsState state)
{
  GBytes *local = NULL, *remote = NULL;
  GError *error = NULL;

  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (peer->conn),
      state);
  fail_if (gst_rtc_dtls_connection_get_srtp_keys (peer->conn, NULL, &local,
          &remote, &error));
  g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE);
  g_clear_error (&error);
  fail_unless (local == NULL && remote == NULL);
}

static void
assert_failed_with (Peer * peer, gint code)
{
  GError *error = gst_rtc_dtls_connection_get_error (peer->conn);

  fail_unless (error != NULL, "%s has no error", peer->name);
  GST_INFO ("%s failed: %s", peer->name, error->message);
  fail_unless (error->domain == GST_RTC_ERROR);
  fail_unless (error->code == code, "%s: code %d, not %d: %s", peer->name,
      error->code, code, error->message);
  g_error_free (error);
  assert_no_keys (peer, GST_RTC_DTLS_STATE_FAILED);
  fail_unless_equals_int (peer->keys_ready, 0);
}

static void
handshake_with (GstRtcCertificate * client_cert,
    GstRtcCertificate * server_cert)
{
  Pair *pair = g_new0 (Pair, 1);

  pair->context = g_main_context_new ();
  peer_init (pair, &pair->a, "A", client_cert, GST_RTC_DTLS_ROLE_CLIENT);
  peer_init (pair, &pair->b, "B", server_cert, GST_RTC_DTLS_ROLE_SERVER);
  set_fingerprint (&pair->a, server_cert);
  set_fingerprint (&pair->b, client_cert);
  pair_start (pair);
  fail_unless (pump (pair, 5000));
  assert_connected_crosswise (pair);
  pair_free (pair);
}

GST_START_TEST (test_handshake)
{
  /* loop: A is the client, then the server */
  Pair *pair = pair_new (__i__ == 0, TRUE, TRUE);
  gchar *peer_pem, *expected_pem;
  GError *error = NULL;

  fail_unless (gst_rtc_dtls_connection_get_error (pair->a.conn) == NULL);
  fail_unless (gst_rtc_dtls_connection_get_peer_certificate_pem (pair->a.conn)
      == NULL);
  assert_no_keys (&pair->a, GST_RTC_DTLS_STATE_NEW);

  pair_start (pair);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->a.conn),
      GST_RTC_DTLS_STATE_CONNECTING);
  fail_unless (pump (pair, 5000));
  assert_connected_crosswise (pair);
  fail_unless (gst_rtc_dtls_connection_get_error (pair->a.conn) == NULL);
  /* No timer left running once connected. */
  fail_unless_equals_int (next_timeout_ms (pair->context), -1);
  /* new -> connecting -> connected */
  fail_unless_equals_int (pair->a.state_notifies, 2);
  fail_unless_equals_int (pair->b.state_notifies, 2);
  fail_unless_equals_int (get_stat (pair->a.conn, "dropped-datagrams"), 0);
  fail_unless_equals_int (get_stat (pair->a.conn, "retransmissions"), 0);

  peer_pem = gst_rtc_dtls_connection_get_peer_certificate_pem (pair->a.conn);
  expected_pem = gst_rtc_certificate_get_pem (cert_b, FALSE);
  fail_unless_equals_string (peer_pem, expected_pem);
  g_free (peer_pem);
  g_free (expected_pem);

  /* Setting the same fingerprint again changes nothing. */
  set_fingerprint (&pair->a, cert_b);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->a.conn),
      GST_RTC_DTLS_STATE_CONNECTED);
  /* A malformed one is refused and changes nothing either. */
  fail_if (gst_rtc_dtls_connection_set_remote_fingerprint (pair->a.conn,
          "sha-256 00:11", &error));
  g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR);
  g_clear_error (&error);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->a.conn),
      GST_RTC_DTLS_STATE_CONNECTED);

  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_handshake_reentrant_send)
{
  Pair *pair = pair_new (TRUE, TRUE, TRUE);

  pair->a.deliver_now = TRUE;
  pair->b.deliver_now = TRUE;
  pair_start (pair);
  fail_unless (pump (pair, 5000));
  assert_connected_crosswise (pair);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_wrong_fingerprint)
{
  /* loop: the client, then the server, sees the wrong certificate */
  gboolean client_checks = __i__ == 0;
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  Peer *checker = client_checks ? &pair->a : &pair->b;
  Peer *checked = other_peer (checker);
  gchar *wrong = gst_rtc_certificate_get_fingerprint (cert_other);
  GError *error = NULL;
  GError *failure;

  fail_unless (gst_rtc_dtls_connection_set_remote_fingerprint (checker->conn,
          wrong, &error));
  g_assert_no_error (error);
  pair_start (pair);
  fail_unless (pump (pair, 5000));

  assert_failed_with (checker, GST_RTC_ERROR_FINGERPRINT_FAILURE);
  failure = gst_rtc_dtls_connection_get_error (checker->conn);
  fail_unless (strstr (failure->message, wrong) != NULL,
      "the error does not name the expected fingerprint: %s",
      failure->message);
  g_error_free (failure);
  /* The bad_certificate alert fails the other end too; it never got keys
   * either, whoever of the two checked. */
  assert_failed_with (checked, GST_RTC_ERROR_DTLS_FAILURE);

  /* Further datagrams are refused with the failure. */
  fail_if (gst_rtc_dtls_connection_receive (checker->conn,
          (const guint8 *) "\x16\xfe\xfd", 3, &error));
  g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_FINGERPRINT_FAILURE);
  g_clear_error (&error);

  g_free (wrong);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_pending_fingerprint)
{
  /* loop: 0, 1 the client waits for the fingerprint; 2, 3 the server.
   * Even: the right one comes; odd: a wrong one. */
  gboolean client_waits = __i__ < 2;
  gboolean right = __i__ % 2 == 0;
  Pair *pair = pair_new (TRUE, !client_waits, client_waits);
  Peer *waiter = client_waits ? &pair->a : &pair->b;
  GstRtcCertificate *waited_for = client_waits ? cert_b : cert_a;
  gchar *fingerprint = gst_rtc_certificate_get_fingerprint (right ?
      waited_for : cert_other);
  GError *error = NULL;
  gchar *peer_pem;

  pair_start (pair);
  fail_unless (pump (pair, 5000));
  assert_no_keys (waiter, GST_RTC_DTLS_STATE_PENDING_FINGERPRINT);
  fail_unless_equals_int (waiter->keys_ready, 0);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state
      (other_peer (waiter)->conn), GST_RTC_DTLS_STATE_CONNECTED);
  /* The certificate can be looked at while waiting. */
  peer_pem = gst_rtc_dtls_connection_get_peer_certificate_pem (waiter->conn);
  fail_unless (peer_pem != NULL);
  g_free (peer_pem);

  if (right) {
    fail_unless (gst_rtc_dtls_connection_set_remote_fingerprint
        (waiter->conn, fingerprint, &error));
    g_assert_no_error (error);
    assert_connected_crosswise (pair);
  } else {
    fail_if (gst_rtc_dtls_connection_set_remote_fingerprint (waiter->conn,
            fingerprint, &error));
    g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_FINGERPRINT_FAILURE);
    g_clear_error (&error);
    assert_failed_with (waiter, GST_RTC_ERROR_FINGERPRINT_FAILURE);
    /* The other end, already connected, is told with close_notify. */
    fail_unless (pump (pair, 5000));
    fail_unless_equals_int (gst_rtc_dtls_connection_get_state
        (other_peer (waiter)->conn), GST_RTC_DTLS_STATE_CLOSED);
  }

  g_free (fingerprint);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_fingerprint_set_during_handshake)
{
  /* The certificate arrives first and is checked when the fingerprint
   * follows: a wrong one fails at once. */
  Pair *pair = pair_new (TRUE, FALSE, TRUE);
  gchar *wrong = gst_rtc_certificate_get_fingerprint (cert_other);
  GError *error = NULL;
  gint steps = 0;

  pair_start (pair);
  /* ClientHello to B, B's flight to A: A has B's certificate now. */
  while (steps < 10 && deliver_one (pair)) {
    gchar *peer_pem =
        gst_rtc_dtls_connection_get_peer_certificate_pem (pair->a.conn);

    steps++;
    if (peer_pem != NULL) {
      g_free (peer_pem);
      break;
    }
  }
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->a.conn),
      GST_RTC_DTLS_STATE_CONNECTING);
  fail_if (gst_rtc_dtls_connection_set_remote_fingerprint (pair->a.conn,
          wrong, &error));
  g_assert_error (error, GST_RTC_ERROR, GST_RTC_ERROR_FINGERPRINT_FAILURE);
  g_clear_error (&error);
  assert_failed_with (&pair->a, GST_RTC_ERROR_FINGERPRINT_FAILURE);

  g_free (wrong);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_garbage_dropped)
{
  Pair *pair = pair_new (TRUE, TRUE, TRUE);

  /* Before the ClientHello reaches the server, before the server's flight
   * reaches the client. */
  pair->a.garbage_before_next = TRUE;
  pair->b.garbage_before_next = TRUE;
  pair_start (pair);
  fail_unless (pump (pair, 5000));
  assert_connected_crosswise (pair);
  /* The random-bodied epoch 1 record gets past the framing check, to be
   * dropped by OpenSSL; the other six do not. */
  fail_unless_equals_int (get_stat (pair->a.conn, "dropped-datagrams"), 6);
  fail_unless_equals_int (get_stat (pair->b.conn, "dropped-datagrams"), 6);

  pair_free (pair);
}

GST_END_TEST;

/* Whether @data ends exactly after a record. */
static gboolean
is_record_boundary (const guint8 * data, gsize cut)
{
  gsize offset = 0;

  while (offset + 13 <= cut)
    offset += 13 + GST_READ_UINT16_BE (data + offset + 11);
  return offset == cut;
}

GST_START_TEST (test_garbage_every_length)
{
  /* Every truncation of every datagram of a real handshake, fed to a
   * fresh server or client, never fails it. */
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  GPtrArray *captured = g_ptr_array_new_with_free_func (
      (GDestroyNotify) g_bytes_unref);
  guint i;

  pair_start (pair);
  while (pair->a.inbox.length + pair->b.inbox.length > 0) {
    GQueue *inbox = pair->b.inbox.length > 0 ? &pair->b.inbox :
        &pair->a.inbox;
    GBytes *datagram = g_queue_peek_head (inbox);

    g_ptr_array_add (captured, g_bytes_ref (datagram));
    deliver_one (pair);
  }
  assert_connected_crosswise (pair);
  fail_unless (captured->len >= 4);

  for (i = 0; i < captured->len; i++) {
    gsize len, cut;
    const guint8 *data = g_bytes_get_data (captured->pdata[i], &len);
    GstRtcDtlsConnection *server =
        gst_rtc_dtls_connection_new (cert_a, GST_RTC_DTLS_ROLE_SERVER,
        pair->context);
    GstRtcDtlsConnection *client =
        gst_rtc_dtls_connection_new (cert_a, GST_RTC_DTLS_ROLE_CLIENT,
        pair->context);

    guint expected_drops = 0;

    fail_unless (gst_rtc_dtls_connection_start (server, NULL));
    fail_unless (gst_rtc_dtls_connection_start (client, NULL));
    for (cut = 0; cut < len; cut++) {
      GError *error = NULL;

      /* Cut between two records, the datagram is well formed: whether
       * OpenSSL accepts what it says is another matter. */
      if (cut > 0 && is_record_boundary (data, cut))
        continue;
      expected_drops++;
      fail_unless (gst_rtc_dtls_connection_receive (server, data, cut,
              &error), "server: datagram %u cut at %u: %s", i, (guint) cut,
          error->message);
      fail_unless (gst_rtc_dtls_connection_receive (client, data, cut,
              &error), "client: datagram %u cut at %u: %s", i, (guint) cut,
          error->message);
    }
    fail_unless_equals_int (get_stat (server, "dropped-datagrams"),
        expected_drops);
    fail_unless_equals_int (get_stat (client, "dropped-datagrams"),
        expected_drops);
    g_object_unref (server);
    g_object_unref (client);
  }

  g_ptr_array_unref (captured);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_lost_client_hello)
{
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  gint64 start, elapsed;
  gint64 spin_end;

  pair->a.drop_next_sent = 1;
  start = g_get_monotonic_time ();
  pair_start (pair);
  fail_unless_equals_int (pair->a.client_hellos_sent, 1);

  /* The timer runs on the context given to the connection, not on the
   * default one. */
  spin_end = g_get_monotonic_time () + 250 * 1000;
  while (g_get_monotonic_time () < spin_end) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  fail_unless_equals_int (pair->a.client_hellos_sent, 1);
  fail_unless_equals_int (get_stat (pair->a.conn, "retransmissions"), 0);

  fail_unless (pump (pair, 3000));
  elapsed = g_get_monotonic_time () - start;
  GST_INFO ("handshake with a lost ClientHello took %" G_GINT64_FORMAT " ms",
      elapsed / 1000);
  assert_connected_crosswise (pair);
  fail_unless (pair->a.client_hellos_sent >= 2);
  fail_unless (get_stat (pair->a.conn, "retransmissions") >= 1);
  /* About 100 ms of timer after the 250 ms above, nowhere near the one
   * second OpenSSL would wait by default. */
  fail_unless (elapsed < 3 * G_USEC_PER_SEC);

  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_retransmit_backoff)
{
  /* Everything the client sends is lost: its timer starts at 100 ms, not
   * OpenSSL's one second, and doubles. */
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  const gint expected_ms[] = { 100, 200, 400 };
  guint i;

  pair->a.drop_next_sent = G_MAXUINT;
  pair_start (pair);
  for (i = 0; i < G_N_ELEMENTS (expected_ms); i++) {
    gint timeout = next_timeout_ms (pair->context);

    GST_INFO ("retransmission %u due in %d ms", i + 1, timeout);
    fail_unless (timeout > expected_ms[i] / 2
        && timeout <= expected_ms[i] + 1,
        "retransmission %u due in %d ms, not about %d", i + 1, timeout,
        expected_ms[i]);
    g_usleep ((timeout + 2) * 1000);
    while (g_main_context_iteration (pair->context, FALSE));
    fail_unless_equals_int (get_stat (pair->a.conn, "retransmissions"), i + 1);
  }
  fail_unless_equals_int (pair->a.client_hellos_sent, 4);

  /* Closing stops the timer. */
  gst_rtc_dtls_connection_close (pair->a.conn);
  fail_unless_equals_int (next_timeout_ms (pair->context), -1);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_handshake_gives_up)
{
  /* A peer that never answers: retransmissions stop and the connection
   * fails within about 30 s. Slow, so only with GST_RTC_SLOW_TESTS set. */
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  gint64 start = g_get_monotonic_time (), elapsed;
  GError *error;

  pair->a.drop_next_sent = G_MAXUINT;
  pair_start (pair);
  while (gst_rtc_dtls_connection_get_state (pair->a.conn) ==
      GST_RTC_DTLS_STATE_CONNECTING
      && g_get_monotonic_time () - start < 40 * G_USEC_PER_SEC) {
    if (!g_main_context_iteration (pair->context, FALSE))
      g_usleep (10 * 1000);
  }
  elapsed = g_get_monotonic_time () - start;
  error = gst_rtc_dtls_connection_get_error (pair->a.conn);
  GST_INFO ("gave up after %" G_GINT64_FORMAT " ms and %u retransmissions: "
      "%s", elapsed / 1000, get_stat (pair->a.conn, "retransmissions"),
      error ? error->message : "(no error)");
  assert_failed_with (&pair->a, GST_RTC_ERROR_DTLS_FAILURE);
  fail_unless (elapsed > 20 * G_USEC_PER_SEC && elapsed < 32 * G_USEC_PER_SEC);
  fail_unless_equals_int (next_timeout_ms (pair->context), -1);
  g_clear_error (&error);
  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_lost_server_flight)
{
  /* Loses the server's whole first flight: the client's timer brings
   * the ClientHello again, the server answers it again. */
  Pair *pair = pair_new (TRUE, TRUE, TRUE);

  pair->b.drop_next_sent = 100;
  pair_start (pair);
  while (deliver_one (pair));
  fail_unless (pair->a.inbox.length == 0);
  pair->b.drop_next_sent = 0;

  fail_unless (pump (pair, 3000));
  assert_connected_crosswise (pair);
  fail_unless (get_stat (pair->a.conn, "retransmissions")
      + get_stat (pair->b.conn, "retransmissions") >= 1);

  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_close_notify)
{
  /* loop: the client closes, then the server */
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  Peer *closer = __i__ == 0 ? &pair->a : &pair->b;
  Peer *closed = other_peer (closer);

  pair_start (pair);
  fail_unless (pump (pair, 5000));
  assert_connected_crosswise (pair);

  gst_rtc_dtls_connection_close (closer->conn);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (closer->conn),
      GST_RTC_DTLS_STATE_CLOSED);
  fail_unless_equals_int (closed->inbox.length, 1);
  fail_unless (pump (pair, 5000));
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (closed->conn),
      GST_RTC_DTLS_STATE_CLOSED);
  fail_unless (gst_rtc_dtls_connection_get_error (closed->conn) == NULL);
  assert_no_keys (closed, GST_RTC_DTLS_STATE_CLOSED);

  /* Closing twice, and late datagrams, are harmless. */
  gst_rtc_dtls_connection_close (closer->conn);
  fail_unless (gst_rtc_dtls_connection_receive (closer->conn,
          (const guint8 *) "\x15\xfe\xfd", 3, NULL));

  pair_free (pair);
}

GST_END_TEST;

GST_START_TEST (test_close_before_handshake)
{
  Pair *pair = pair_new (TRUE, TRUE, TRUE);

  gst_rtc_dtls_connection_close (pair->b.conn);
  fail_unless (gst_rtc_dtls_connection_start (pair->a.conn, NULL));
  gst_rtc_dtls_connection_close (pair->a.conn);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->a.conn),
      GST_RTC_DTLS_STATE_CLOSED);
  fail_unless (pump (pair, 1000));
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (pair->b.conn),
      GST_RTC_DTLS_STATE_CLOSED);
  pair_free (pair);
}

GST_END_TEST;

/* ---- Against OpenSSL used directly ---- */

typedef struct
{
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *in;
  BIO *out;
  GQueue inbox;
} RawPeer;

static int
accept_any_certificate (int preverify_ok, X509_STORE_CTX * store)
{
  return 1;
}

static void
raw_on_send (GstRtcDtlsConnection * conn, const guint8 * data, gsize len,
    gpointer user_data)
{
  RawPeer *raw = user_data;

  g_queue_push_tail (&raw->inbox, g_bytes_new (data, len));
}

/* A plain OpenSSL DTLS endpoint with cert_b, offering one SRTP profile. */
static void
raw_peer_init (RawPeer * raw, gboolean is_client, const gchar * profiles)
{
  gchar *pem = gst_rtc_certificate_get_pem (cert_b, TRUE);
  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *x509 = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  EVP_PKEY *key = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);

  fail_unless (x509 != NULL && key != NULL);
  raw->ctx = SSL_CTX_new (DTLS_method ());
  fail_unless (SSL_CTX_use_certificate (raw->ctx, x509) == 1);
  fail_unless (SSL_CTX_use_PrivateKey (raw->ctx, key) == 1);
  fail_unless (SSL_CTX_set_tlsext_use_srtp (raw->ctx, profiles) == 0);
  SSL_CTX_set_verify (raw->ctx, SSL_VERIFY_PEER
      | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
  raw->ssl = SSL_new (raw->ctx);
  raw->in = BIO_new (BIO_s_mem ());
  raw->out = BIO_new (BIO_s_mem ());
  BIO_set_mem_eof_return (raw->in, -1);
  BIO_set_mem_eof_return (raw->out, -1);
  SSL_set_bio (raw->ssl, raw->in, raw->out);
  SSL_set_options (raw->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu (raw->ssl, 1200);
  if (is_client)
    SSL_set_connect_state (raw->ssl);
  else
    SSL_set_accept_state (raw->ssl);
  g_queue_init (&raw->inbox);

  X509_free (x509);
  EVP_PKEY_free (key);
  BIO_free (bio);
  g_free (pem);
}

static void
raw_peer_clear (RawPeer * raw)
{
  SSL_free (raw->ssl);
  SSL_CTX_free (raw->ctx);
  g_queue_clear_full (&raw->inbox, (GDestroyNotify) g_bytes_unref);
}

/* Runs the raw handshake one step and hands what it wrote, as one
 * datagram, to @conn. Returns whether the raw handshake is done. */
static gboolean
raw_peer_step (RawPeer * raw, GstRtcDtlsConnection * conn)
{
  int ret;
  char *written;
  long len;

  ERR_clear_error ();
  ret = SSL_do_handshake (raw->ssl);
  fail_unless (ret == 1
      || SSL_get_error (raw->ssl, ret) == SSL_ERROR_WANT_READ,
      "raw OpenSSL handshake failed");
  len = BIO_get_mem_data (raw->out, &written);
  if (len > 0) {
    fail_unless (gst_rtc_dtls_connection_receive (conn, (guint8 *) written,
            len, NULL));
    (void) BIO_reset (raw->out);
  }
  return ret == 1;
}

GST_START_TEST (test_keys_match_openssl)
{
  /* loop 0: we are the client of a server that only does AES-CM;
   * loop 1: we are the server of a client that only does GCM. Checks the
   * RFC 5764 layout and which half is ours, which two gst-rtc ends keyed
   * the same wrong way would not show. */
  gboolean we_are_client = __i__ == 0;
  GstRtcSrtpProfile expected_profile = we_are_client ?
      GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80 :
      GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM;
  gsize salt_len = we_are_client ? 14 : 12;
  GMainContext *context = g_main_context_new ();
  GstRtcDtlsConnection *conn = gst_rtc_dtls_connection_new (cert_a,
      we_are_client ? GST_RTC_DTLS_ROLE_CLIENT : GST_RTC_DTLS_ROLE_SERVER,
      context);
  gchar *fingerprint = gst_rtc_certificate_get_fingerprint (cert_b);
  RawPeer raw;
  guint8 material[60], expected_local[30], expected_remote[30];
  const guint8 *client_key, *server_key, *client_salt, *server_salt;
  GstRtcSrtpProfile profile = GST_RTC_SRTP_PROFILE_NONE;
  GBytes *local = NULL, *remote = NULL;
  gboolean raw_done = FALSE;
  guint steps;

  raw_peer_init (&raw, !we_are_client, we_are_client ?
      "SRTP_AES128_CM_SHA1_80" : "SRTP_AEAD_AES_128_GCM");
  gst_rtc_dtls_connection_set_send_func (conn, raw_on_send, &raw, NULL);
  fail_unless (gst_rtc_dtls_connection_set_remote_fingerprint (conn,
          fingerprint, NULL));
  fail_unless (gst_rtc_dtls_connection_start (conn, NULL));

  for (steps = 0; steps < 20; steps++) {
    GBytes *datagram = g_queue_pop_head (&raw.inbox);

    if (datagram != NULL) {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagram, &len);

      fail_unless (BIO_write (raw.in, data, len) == (int) len);
      g_bytes_unref (datagram);
    }
    raw_done = raw_peer_step (&raw, conn);
    if (raw_done && raw.inbox.length == 0
        && gst_rtc_dtls_connection_get_state (conn) ==
        GST_RTC_DTLS_STATE_CONNECTED)
      break;
  }
  fail_unless (raw_done);
  fail_unless_equals_int (gst_rtc_dtls_connection_get_state (conn),
      GST_RTC_DTLS_STATE_CONNECTED);

  fail_unless (gst_rtc_dtls_connection_get_srtp_keys (conn, &profile, &local,
          &remote, NULL));
  fail_unless_equals_int (profile, expected_profile);
  fail_unless (SSL_export_keying_material (raw.ssl, material,
          2 * (16 + salt_len), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) == 1);
  client_key = material;
  server_key = material + 16;
  client_salt = material + 32;
  server_salt = material + 32 + salt_len;
  memcpy (expected_local, we_are_client ? client_key : server_key, 16);
  memcpy (expected_local + 16, we_are_client ? client_salt : server_salt,
      salt_len);
  memcpy (expected_remote, we_are_client ? server_key : client_key, 16);
  memcpy (expected_remote + 16, we_are_client ? server_salt : client_salt,
      salt_len);
  fail_unless_equals_int (g_bytes_get_size (local), 16 + salt_len);
  fail_unless_equals_int (g_bytes_get_size (remote), 16 + salt_len);
  fail_unless (memcmp (g_bytes_get_data (local, NULL), expected_local,
          16 + salt_len) == 0, "local key and salt differ from OpenSSL's");
  fail_unless (memcmp (g_bytes_get_data (remote, NULL), expected_remote,
          16 + salt_len) == 0, "remote key and salt differ from OpenSSL's");

  g_bytes_unref (local);
  g_bytes_unref (remote);
  g_object_unref (conn);
  raw_peer_clear (&raw);
  g_free (fingerprint);
  while (g_main_context_iteration (context, FALSE));
  g_main_context_unref (context);
}

GST_END_TEST;

static gpointer
run_context (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_context_push_thread_default (g_main_loop_get_context (loop));
  g_main_loop_run (loop);
  g_main_context_pop_thread_default (g_main_loop_get_context (loop));
  return NULL;
}

GST_START_TEST (test_timer_thread)
{
  /* Timers on a context another thread runs, datagrams from this one:
   * the lost ClientHello comes back from the context's thread. */
  Pair *pair = pair_new (TRUE, TRUE, TRUE);
  GMainLoop *loop = g_main_loop_new (pair->context, FALSE);
  GThread *thread = g_thread_new ("dtls-timers", run_context, loop);
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  pair->a.deliver_now = TRUE;
  pair->b.deliver_now = TRUE;
  pair->a.drop_next_sent = 1;
  pair_start (pair);
  while (g_get_monotonic_time () < end
      && (gst_rtc_dtls_connection_get_state (pair->a.conn) !=
          GST_RTC_DTLS_STATE_CONNECTED
          || gst_rtc_dtls_connection_get_state (pair->b.conn) !=
          GST_RTC_DTLS_STATE_CONNECTED))
    g_usleep (5000);
  g_main_loop_quit (loop);
  g_thread_join (thread);
  g_main_loop_unref (loop);

  assert_connected_crosswise (pair);
  fail_unless (get_stat (pair->a.conn, "retransmissions") >= 1);
  pair_free (pair);
}

GST_END_TEST;

static Suite *
dtls_suite (void)
{
  Suite *s = suite_create ("dtls");
  TCase *tc_cert = tcase_create ("certificate");
  TCase *tc_dtls = tcase_create ("connection");

  tcase_add_unchecked_fixture (tc_cert, certificates_setup,
      certificates_teardown);
  tcase_add_test (tc_cert, test_certificate_generate);
  tcase_add_test (tc_cert, test_certificate_pem_round_trip);
  tcase_add_test (tc_cert, test_certificate_bad_pem);
  tcase_add_test (tc_cert, test_fingerprint_parse);
  tcase_add_test (tc_cert, test_certificate_rsa);
  suite_add_tcase (s, tc_cert);

  tcase_add_unchecked_fixture (tc_dtls, certificates_setup,
      certificates_teardown);
  tcase_set_timeout (tc_dtls, 60);
  tcase_add_loop_test (tc_dtls, test_handshake, 0, 2);
  tcase_add_test (tc_dtls, test_handshake_reentrant_send);
  tcase_add_loop_test (tc_dtls, test_keys_match_openssl, 0, 2);
  tcase_add_loop_test (tc_dtls, test_wrong_fingerprint, 0, 2);
  tcase_add_loop_test (tc_dtls, test_pending_fingerprint, 0, 4);
  tcase_add_test (tc_dtls, test_fingerprint_set_during_handshake);
  tcase_add_test (tc_dtls, test_garbage_dropped);
  tcase_add_test (tc_dtls, test_garbage_every_length);
  tcase_add_test (tc_dtls, test_lost_client_hello);
  tcase_add_test (tc_dtls, test_retransmit_backoff);
  tcase_add_test (tc_dtls, test_lost_server_flight);
  tcase_add_loop_test (tc_dtls, test_close_notify, 0, 2);
  tcase_add_test (tc_dtls, test_close_before_handshake);
  tcase_add_test (tc_dtls, test_timer_thread);
  suite_add_tcase (s, tc_dtls);

  if (g_getenv ("GST_RTC_SLOW_TESTS") != NULL) {
    TCase *tc_slow = tcase_create ("slow");

    tcase_add_unchecked_fixture (tc_slow, certificates_setup,
        certificates_teardown);
    tcase_set_timeout (tc_slow, 60);
    tcase_add_test (tc_slow, test_handshake_gives_up);
    suite_add_tcase (s, tc_slow);
  }

  return s;
}

GST_CHECK_MAIN (dtls);
