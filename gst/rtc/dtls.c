/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcdtls
 * @title: DTLS-SRTP
 * @short_description: certificates and the DTLS handshake that keys SRTP
 *
 * #GstRtcCertificate is the identity of one end of a peer connection: a
 * self-signed ECDSA P-256 certificate whose SHA-256 fingerprint goes into
 * the SDP (`a=fingerprint`).
 *
 * #GstRtcDtlsConnection runs DTLS 1.2 (RFC 6347) with the DTLS-SRTP
 * extension (RFC 5764) over OpenSSL, without a socket: the caller feeds it
 * received datagrams with gst_rtc_dtls_connection_receive() and gets the
 * datagrams to send through a #GstRtcDtlsSendFunc. Peers are authenticated
 * by the fingerprint signalled in the SDP, not by a certificate authority:
 * the SRTP keys are only exported once the peer certificate has matched
 * it. Retransmission timers run on the #GMainContext given at creation.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dtls.h"
#include "rtc.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_certificate_debug);
GST_DEBUG_CATEGORY_STATIC (gst_rtc_dtls_debug);
#define GST_CAT_DEFAULT gst_rtc_dtls_debug

#define FINGERPRINT_HASH "sha-256"
#define FINGERPRINT_LEN 32

/* Browsers accept any validity; a day of slack covers peers whose clocks
 * are behind ours. */
#define CERTIFICATE_NOT_BEFORE_SECONDS (-24 * 60 * 60)
#define CERTIFICATE_NOT_AFTER_SECONDS (30 * 24 * 60 * 60)
#define CERTIFICATE_COMMON_NAME "gst-rtc"
#define CERTIFICATE_SERIAL_BITS 64

/* Leaves room for IPv6, UDP and a TURN ChannelData header under a 1280
 * byte path MTU, as browsers do. */
#define DTLS_MTU 1200

/* OpenSSL's default first timeout is one second, far longer than any
 * round trip a peer connection works over. */
#define INITIAL_RETRANSMIT_US (100 * 1000)
#define MAX_RETRANSMIT_US (3200 * 1000)
#define HANDSHAKE_TIMEOUT_US (30 * G_USEC_PER_SEC)

/* AEAD suites only: every WebRTC stack has them, and without CBC there is
 * no encrypt-then-MAC path on which a short spoofed record is fatal. */
#define DTLS_CIPHERS \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
  "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define DTLS_GROUPS "X25519:P-256:P-384"
/* GCM first: with libsrtp2 over OpenSSL it is several times cheaper per
 * packet than AES-CM with HMAC-SHA1. The server's order wins. */
#define DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

#define DTLS_SRTP_EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define SRTP_MASTER_KEY_LEN 16
#define SRTP_CM_SALT_LEN 14
#define SRTP_GCM_SALT_LEN 12
#define MAX_KEYING_MATERIAL_LEN (2 * (SRTP_MASTER_KEY_LEN + SRTP_CM_SALT_LEN))

/* Record layer limits used to drop malformed datagrams before OpenSSL
 * sees them: OpenSSL fails the whole handshake on some of them. */
#define RECORD_HEADER_LEN 13
#define HANDSHAKE_HEADER_LEN 12
#define MAX_PLAINTEXT_RECORD_LEN 16384
#define MAX_CIPHERTEXT_RECORD_LEN (16384 + 256)
/* OpenSSL's default max_cert_list, its largest acceptable message. */
#define MAX_HANDSHAKE_MESSAGE_LEN (100 * 1024)
#define CONTENT_TYPE_CHANGE_CIPHER_SPEC 20
#define CONTENT_TYPE_ALERT 21
#define CONTENT_TYPE_HANDSHAKE 22
#define CONTENT_TYPE_APPLICATION_DATA 23

static void
debug_init (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtc_certificate_debug, "rtccertificate", 0,
        "gst-rtc DTLS certificates");
    GST_DEBUG_CATEGORY_INIT (gst_rtc_dtls_debug, "rtcdtls", 0,
        "gst-rtc DTLS connection");
    g_once_init_leave (&initialised, 1);
  }
}

typedef struct
{
  GstDebugCategory *category;
  GstDebugLevel level;
  GObject *object;
} OpenSslLogTarget;

static int
log_openssl_error_line (const char *line, size_t len, void *user_data)
{
  OpenSslLogTarget *target = user_data;

  while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  GST_CAT_LEVEL_LOG (target->category, target->level, target->object,
      "OpenSSL: %.*s", (int) len, line);
  return 1;
}

/* Empties this thread's OpenSSL error queue into the debug log, so that a
 * stale error never gets blamed on a later call. Returns the reason of the
 * first error, for a GError message. */
static gchar *
drain_openssl_errors (GstDebugCategory * category, GstDebugLevel level,
    gpointer object)
{
  OpenSslLogTarget target = { category, level, object };
  unsigned long code = ERR_peek_error ();
  gchar *reason = NULL;

  if (code != 0) {
    const char *text = ERR_reason_error_string (code);

    reason = text != NULL ? g_strdup (text) :
        g_strdup_printf ("OpenSSL error 0x%lx", code);
  }
  ERR_print_errors_cb (log_openssl_error_line, &target);
  return reason;
}

/* ---- Fingerprints ---- */

static gchar *
format_fingerprint (const guint8 digest[FINGERPRINT_LEN])
{
  static const gchar hex[] = "0123456789ABCDEF";
  /* "sha-256 " and 32 times "XX:" with the last ':' turned into the NUL */
  gchar *text = g_malloc (sizeof (FINGERPRINT_HASH) + 3 * FINGERPRINT_LEN);
  gchar *out;
  guint i;

  memcpy (text, FINGERPRINT_HASH " ", sizeof (FINGERPRINT_HASH));
  out = text + sizeof (FINGERPRINT_HASH);
  for (i = 0; i < FINGERPRINT_LEN; i++) {
    *out++ = hex[digest[i] >> 4];
    *out++ = hex[digest[i] & 0xf];
    *out++ = ':';
  }
  out[-1] = '\0';
  return text;
}

static gboolean
digest_x509 (X509 * x509, guint8 digest[FINGERPRINT_LEN])
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;

  if (!X509_digest (x509, EVP_sha256 (), md, &md_len)
      || md_len != FINGERPRINT_LEN)
    return FALSE;
  memcpy (digest, md, FINGERPRINT_LEN);
  return TRUE;
}

static gchar *
fingerprint_of_x509 (X509 * x509)
{
  guint8 digest[FINGERPRINT_LEN];

  if (!digest_x509 (x509, digest))
    return NULL;
  return format_fingerprint (digest);
}

static gboolean
is_hash_name_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.';
}

/**
 * gst_rtc_fingerprint_parse:
 * @fingerprint: (nullable): a fingerprint as in an SDP `a=fingerprint`
 *   attribute, `sha-256 AB:CD:...`
 * @digest: (out caller-allocates) (array fixed-size=32) (optional): where
 *   to store the 32 bytes of the SHA-256 digest
 * @error: return location for a #GError, or %NULL
 *
 * Parses a certificate fingerprint (RFC 8122 section 5). The hash function
 * name is matched case-insensitively, as are the hex digits. Only SHA-256
 * is supported: every browser uses it, and a weaker hash would not
 * authenticate the peer.
 *
 * Returns: %TRUE if @fingerprint is a well-formed SHA-256 fingerprint;
 *   otherwise %FALSE with %GST_RTC_ERROR_NOT_SUPPORTED for another hash
 *   function or %GST_RTC_ERROR_TYPE_ERROR naming what is malformed
 */
gboolean
gst_rtc_fingerprint_parse (const gchar * fingerprint, guint8 digest[32],
    GError ** error)
{
  guint8 parsed[FINGERPRINT_LEN];
  const gchar *hash, *value, *p;
  gsize hash_len;
  guint n_bytes = 0;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (fingerprint == NULL) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "No fingerprint given");
    return FALSE;
  }

  p = fingerprint;
  while (g_ascii_isspace (*p))
    p++;
  hash = p;
  while (*p != '\0' && !g_ascii_isspace (*p))
    p++;
  hash_len = p - hash;
  while (g_ascii_isspace (*p))
    p++;
  value = p;

  if (hash_len == 0) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "Empty fingerprint: expected '" FINGERPRINT_HASH " XX:XX:...'");
    return FALSE;
  }
  if (*value == '\0') {
    if (memchr (hash, ':', hash_len) != NULL)
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "Fingerprint '%s' has no hash function name: expected '"
          FINGERPRINT_HASH " XX:XX:...'", fingerprint);
    else
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "Fingerprint '%s' has no value after the hash function name",
          fingerprint);
    return FALSE;
  }
  for (p = hash; p < hash + hash_len; p++) {
    if (!is_hash_name_char (*p)) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "Fingerprint hash function name '%.*s' is malformed",
          (int) hash_len, hash);
      return FALSE;
    }
  }
  if (hash_len != strlen (FINGERPRINT_HASH)
      || g_ascii_strncasecmp (hash, FINGERPRINT_HASH, hash_len) != 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "Fingerprint hash function '%.*s' is not supported, only '"
        FINGERPRINT_HASH "' is", (int) hash_len, hash);
    return FALSE;
  }

  p = value;
  for (;;) {
    /* The second digit is only looked at when the first one is there, so
     * this never reads past the NUL. */
    if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1])) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
          "Fingerprint byte %u is not two hex digits", n_bytes + 1);
      return FALSE;
    }
    if (n_bytes < FINGERPRINT_LEN)
      parsed[n_bytes] = g_ascii_xdigit_value (p[0]) << 4 |
          g_ascii_xdigit_value (p[1]);
    n_bytes++;
    p += 2;
    if (*p != ':')
      break;
    p++;
  }
  if (g_ascii_isxdigit (*p)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "Fingerprint has no ':' after byte %u", n_bytes);
    return FALSE;
  }
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0') {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "Fingerprint has an unexpected character '%c' after byte %u",
        g_ascii_isprint (*p) ? *p : '?', n_bytes);
    return FALSE;
  }
  if (n_bytes != FINGERPRINT_LEN) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "A " FINGERPRINT_HASH " fingerprint has %u bytes, this one has %u",
        FINGERPRINT_LEN, n_bytes);
    return FALSE;
  }

  if (digest != NULL)
    memcpy (digest, parsed, FINGERPRINT_LEN);
  return TRUE;
}

/* ---- PEM ---- */

static int
refuse_passphrase (char *buf, int size, int rwflag, void *user_data)
{
  return -1;
}

static gboolean
is_certificate_pem_name (const gchar * name)
{
  return strcmp (name, PEM_STRING_X509) == 0
      || strcmp (name, PEM_STRING_X509_OLD) == 0;
}

/* Reads one private key block on its own, so that OpenSSL's decoders pick
 * the format (PKCS#8, SEC1, PKCS#1) from the block's name. */
static EVP_PKEY *
decode_private_key_block (const gchar * name, const gchar * header,
    const guint8 * der, long der_len)
{
  BIO *block = BIO_new (BIO_s_secmem ());
  EVP_PKEY *key = NULL;

  if (block == NULL)
    return NULL;
  if (PEM_write_bio (block, name, header, der, der_len) > 0)
    key = PEM_read_bio_PrivateKey (block, NULL, refuse_passphrase, NULL);
  BIO_free (block);
  return key;
}

/* Walks every PEM block of @pem and keeps the first certificate and, when
 * @key_out is given, the first private key. Other blocks are skipped. */
static gboolean
read_pem (const gchar * pem, X509 ** x509_out, EVP_PKEY ** key_out,
    GError ** error)
{
  BIO *bio;
  X509 *x509 = NULL;
  EVP_PKEY *key = NULL;
  guint n_blocks = 0;
  gboolean ok = TRUE;

  bio = BIO_new_mem_buf (pem, -1);
  if (bio == NULL) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "Could not allocate an OpenSSL memory BIO");
    return FALSE;
  }

  while (ok) {
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;

    if (!PEM_read_bio (bio, &name, &header, &der, &der_len)) {
      unsigned long code = ERR_peek_last_error ();

      /* Running out of blocks is how every PEM string ends. */
      if (ERR_GET_LIB (code) == ERR_LIB_PEM
          && ERR_GET_REASON (code) == PEM_R_NO_START_LINE) {
        ERR_clear_error ();
      } else {
        g_free (drain_openssl_errors (gst_rtc_certificate_debug,
                GST_LEVEL_DEBUG, NULL));
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
            "PEM block %u is malformed", n_blocks + 1);
        ok = FALSE;
      }
      break;
    }
    n_blocks++;

    if (is_certificate_pem_name (name)) {
      if (x509 == NULL) {
        const unsigned char *cursor = der;

        x509 = d2i_X509 (NULL, &cursor, der_len);
        if (x509 == NULL || cursor != der + der_len) {
          g_free (drain_openssl_errors (gst_rtc_certificate_debug,
                  GST_LEVEL_DEBUG, NULL));
          g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
              "PEM block %u is not a valid X.509 certificate", n_blocks);
          ok = FALSE;
        }
      }
    } else if (key_out != NULL && g_str_has_suffix (name, "PRIVATE KEY")) {
      if (strcmp (name, PEM_STRING_PKCS8) == 0
          || strstr (header, "ENCRYPTED") != NULL) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "The private key in PEM block %u is encrypted, which is not "
            "supported", n_blocks);
        ok = FALSE;
      } else if (key == NULL) {
        key = decode_private_key_block (name, header, der, der_len);
        if (key == NULL) {
          g_free (drain_openssl_errors (gst_rtc_certificate_debug,
                  GST_LEVEL_DEBUG, NULL));
          g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
              "PEM block %u is not a valid private key", n_blocks);
          ok = FALSE;
        }
      }
    } else {
      GST_CAT_DEBUG (gst_rtc_certificate_debug, "skipping PEM block '%s'",
          name);
    }

    OPENSSL_free (name);
    OPENSSL_free (header);
    OPENSSL_clear_free (der, der_len);
  }
  BIO_free (bio);

  if (ok && n_blocks == 0) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_TYPE_ERROR,
        "Not PEM data: no '-----BEGIN' line found");
    ok = FALSE;
  } else if (ok && x509 == NULL) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "The PEM data holds no certificate");
    ok = FALSE;
  } else if (ok && key_out != NULL && key == NULL) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "The PEM data holds no private key");
    ok = FALSE;
  }

  if (!ok) {
    X509_free (x509);
    EVP_PKEY_free (key);
    return FALSE;
  }
  *x509_out = x509;
  if (key_out != NULL)
    *key_out = key;
  return TRUE;
}

/**
 * gst_rtc_fingerprint_from_pem:
 * @pem: PEM text holding at least one certificate
 * @error: return location for a #GError, or %NULL
 *
 * Computes the SDP fingerprint of the first certificate in @pem, for
 * instance of a certificate another DTLS implementation was given.
 *
 * Returns: (transfer full) (nullable): the fingerprint, `sha-256 AB:CD:...`,
 *   or %NULL with @error set if @pem holds no readable certificate
 */
gchar *
gst_rtc_fingerprint_from_pem (const gchar * pem, GError ** error)
{
  X509 *x509 = NULL;
  gchar *fingerprint;

  g_return_val_if_fail (pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gst_rtc_init ();
  debug_init ();

  if (!read_pem (pem, &x509, NULL, error))
    return NULL;
  fingerprint = fingerprint_of_x509 (x509);
  X509_free (x509);
  if (fingerprint == NULL) {
    g_free (drain_openssl_errors (gst_rtc_certificate_debug, GST_LEVEL_WARNING,
            NULL));
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "Could not compute the certificate's SHA-256 digest");
  }
  return fingerprint;
}

/* ---- GstRtcCertificate ---- */

struct _GstRtcCertificate
{
  GObject parent;

  EVP_PKEY *key;
  X509 *x509;
  gchar *fingerprint;

  /* Built on first use and shared by every connection using this
   * certificate: creating an SSL_CTX costs more than a connection. */
  GMutex ssl_ctx_lock;
  SSL_CTX *ssl_ctx;
};

/**
 * GstRtcCertificate:
 *
 * A DTLS certificate and its private key (ECDSA P-256, self-signed unless
 * loaded from PEM). Its SHA-256 fingerprint is what the SDP announces and
 * what the peer checks.
 */
G_DEFINE_FINAL_TYPE_WITH_CODE (GstRtcCertificate, gst_rtc_certificate,
    G_TYPE_OBJECT, debug_init ());

static void
gst_rtc_certificate_finalize (GObject * object)
{
  GstRtcCertificate *certificate = GST_RTC_CERTIFICATE (object);

  SSL_CTX_free (certificate->ssl_ctx);
  g_mutex_clear (&certificate->ssl_ctx_lock);
  EVP_PKEY_free (certificate->key);
  X509_free (certificate->x509);
  g_free (certificate->fingerprint);

  G_OBJECT_CLASS (gst_rtc_certificate_parent_class)->finalize (object);
}

static void
gst_rtc_certificate_class_init (GstRtcCertificateClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_rtc_certificate_finalize;
}

static void
gst_rtc_certificate_init (GstRtcCertificate * certificate)
{
  g_mutex_init (&certificate->ssl_ctx_lock);
}

/* Takes ownership of @key and @x509. */
static GstRtcCertificate *
certificate_new_take (EVP_PKEY * key, X509 * x509, GError ** error)
{
  GstRtcCertificate *certificate;
  gchar *fingerprint = fingerprint_of_x509 (x509);

  if (fingerprint == NULL) {
    g_free (drain_openssl_errors (gst_rtc_certificate_debug, GST_LEVEL_WARNING,
            NULL));
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "Could not compute the certificate's SHA-256 digest");
    EVP_PKEY_free (key);
    X509_free (x509);
    return NULL;
  }

  certificate = g_object_new (GST_RTC_TYPE_CERTIFICATE, NULL);
  certificate->key = key;
  certificate->x509 = x509;
  certificate->fingerprint = fingerprint;
  GST_CAT_DEBUG_OBJECT (gst_rtc_certificate_debug, certificate,
      "certificate %s", fingerprint);
  return certificate;
}

/**
 * gst_rtc_certificate_generate:
 * @error: return location for a #GError, or %NULL
 *
 * Generates a new identity: an ECDSA P-256 key and a self-signed
 * certificate for it, signed with SHA-256, with a random serial number,
 * the common name `gst-rtc`, and a validity from one day ago to 30 days
 * from now.
 *
 * Returns: (transfer full) (nullable): the certificate, or %NULL with
 *   @error set if OpenSSL failed
 */
GstRtcCertificate *
gst_rtc_certificate_generate (GError ** error)
{
  EVP_PKEY *key = NULL;
  X509 *x509 = NULL;
  BIGNUM *serial = NULL;
  X509_NAME *name;
  gchar *reason;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gst_rtc_init ();
  debug_init ();

  key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  if (key == NULL)
    goto failed;
  x509 = X509_new ();
  serial = BN_new ();
  if (x509 == NULL || serial == NULL)
    goto failed;
  if (!X509_set_version (x509, X509_VERSION_3)
      || !BN_rand (serial, CERTIFICATE_SERIAL_BITS, BN_RAND_TOP_ONE,
          BN_RAND_BOTTOM_ANY)
      || BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (x509)) == NULL
      || X509_gmtime_adj (X509_getm_notBefore (x509),
          CERTIFICATE_NOT_BEFORE_SECONDS) == NULL
      || X509_gmtime_adj (X509_getm_notAfter (x509),
          CERTIFICATE_NOT_AFTER_SECONDS) == NULL)
    goto failed;
  name = X509_get_subject_name (x509);
  if (!X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
          (const unsigned char *) CERTIFICATE_COMMON_NAME, -1, -1, 0)
      || !X509_set_issuer_name (x509, name)
      || !X509_set_pubkey (x509, key)
      || X509_sign (x509, key, EVP_sha256 ()) <= 0)
    goto failed;
  BN_free (serial);

  return certificate_new_take (key, x509, error);

failed:
  reason = drain_openssl_errors (gst_rtc_certificate_debug, GST_LEVEL_WARNING,
      NULL);
  g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
      "Could not generate a certificate: %s",
      reason != NULL ? reason : "unknown OpenSSL error");
  g_free (reason);
  BN_free (serial);
  X509_free (x509);
  EVP_PKEY_free (key);
  return NULL;
}

/**
 * gst_rtc_certificate_new_from_pem:
 * @pem: PEM text holding a certificate and its unencrypted private key, in
 *   either order
 * @error: return location for a #GError, or %NULL
 *
 * Loads an identity saved with gst_rtc_certificate_get_pem() or made by
 * another tool. Blocks other than the first certificate and the first
 * private key are ignored.
 *
 * Returns: (transfer full) (nullable): the certificate, or %NULL with
 *   @error set: %GST_RTC_ERROR_TYPE_ERROR if @pem is not readable PEM,
 *   %GST_RTC_ERROR_INVALID_ACCESS if the certificate or the key is
 *   missing, the key is encrypted, or the key does not match
 */
GstRtcCertificate *
gst_rtc_certificate_new_from_pem (const gchar * pem, GError ** error)
{
  X509 *x509 = NULL;
  EVP_PKEY *key = NULL;

  g_return_val_if_fail (pem != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gst_rtc_init ();
  debug_init ();

  if (!read_pem (pem, &x509, &key, error))
    return NULL;

  if (X509_check_private_key (x509, key) != 1) {
    g_free (drain_openssl_errors (gst_rtc_certificate_debug, GST_LEVEL_DEBUG,
            NULL));
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
        "The private key does not match the certificate");
    X509_free (x509);
    EVP_PKEY_free (key);
    return NULL;
  }

  return certificate_new_take (key, x509, error);
}

/**
 * gst_rtc_certificate_get_fingerprint:
 * @certificate: a #GstRtcCertificate
 *
 * Gets the SHA-256 fingerprint of @certificate.
 *
 * Returns: (transfer full): the certificate's fingerprint as it goes into
 *   an SDP `a=fingerprint` attribute: `sha-256 ` and the 32 bytes of the
 *   digest in uppercase hex, separated by colons
 */
gchar *
gst_rtc_certificate_get_fingerprint (GstRtcCertificate * certificate)
{
  g_return_val_if_fail (GST_RTC_IS_CERTIFICATE (certificate), NULL);

  return g_strdup (certificate->fingerprint);
}

/**
 * gst_rtc_certificate_get_pem:
 * @certificate: a #GstRtcCertificate
 * @with_private_key: whether to append the private key (unencrypted PKCS#8)
 *
 * Exports @certificate in PEM.
 *
 * Returns: (transfer full): the certificate in PEM, followed by its
 *   private key if @with_private_key is %TRUE. Treat the key as a secret.
 */
gchar *
gst_rtc_certificate_get_pem (GstRtcCertificate * certificate,
    gboolean with_private_key)
{
  BIO *bio;
  char *data = NULL;
  long len;
  gchar *pem = NULL;

  g_return_val_if_fail (GST_RTC_IS_CERTIFICATE (certificate), NULL);

  /* The secure memory BIO wipes its buffer when freed. */
  bio = BIO_new (with_private_key ? BIO_s_secmem () : BIO_s_mem ());
  if (bio == NULL)
    return NULL;
  if (PEM_write_bio_X509 (bio, certificate->x509)
      && (!with_private_key
          || PEM_write_bio_PrivateKey (bio, certificate->key, NULL, NULL, 0,
              NULL, NULL))) {
    len = BIO_get_mem_data (bio, &data);
    pem = g_strndup (data, len);
  } else {
    g_free (drain_openssl_errors (gst_rtc_certificate_debug, GST_LEVEL_WARNING,
            certificate));
  }
  BIO_free (bio);
  return pem;
}

static int verify_peer_certificate (X509_STORE_CTX * store, void *user_data);

static SSL_CTX *
certificate_ref_ssl_ctx (GstRtcCertificate * certificate, GError ** error)
{
  SSL_CTX *ctx;

  g_mutex_lock (&certificate->ssl_ctx_lock);
  if (certificate->ssl_ctx == NULL) {
    ctx = SSL_CTX_new (DTLS_method ());
    if (ctx == NULL
        || !SSL_CTX_set_min_proto_version (ctx, DTLS1_2_VERSION)
        || !SSL_CTX_set_max_proto_version (ctx, DTLS1_2_VERSION)
        || !SSL_CTX_set_cipher_list (ctx, DTLS_CIPHERS)
        || !SSL_CTX_set1_groups_list (ctx, DTLS_GROUPS)
        /* this one returns 0 on success */
        || SSL_CTX_set_tlsext_use_srtp (ctx, DTLS_SRTP_PROFILES) != 0
        || !SSL_CTX_use_certificate (ctx, certificate->x509)
        || !SSL_CTX_use_PrivateKey (ctx, certificate->key)
        || !SSL_CTX_check_private_key (ctx)) {
      gchar *reason = drain_openssl_errors (gst_rtc_dtls_debug,
          GST_LEVEL_ERROR, certificate);

      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
          "Could not set up the DTLS context: %s",
          reason != NULL ? reason : "unknown OpenSSL error");
      g_free (reason);
      SSL_CTX_free (ctx);
      g_mutex_unlock (&certificate->ssl_ctx_lock);
      return NULL;
    }
    /* No resumption, no renegotiation: each peer connection does one full
     * handshake, and a renegotiation could swap the peer certificate after
     * the fingerprint check. */
    SSL_CTX_set_options (ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION
        | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);
    /* Both ends must show a certificate; it is authenticated by its
     * fingerprint, so the chain is never checked against a CA. */
    SSL_CTX_set_verify (ctx,
        SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback (ctx, verify_peer_certificate, NULL);
    certificate->ssl_ctx = ctx;
  }
  ctx = certificate->ssl_ctx;
  SSL_CTX_up_ref (ctx);
  g_mutex_unlock (&certificate->ssl_ctx_lock);
  return ctx;
}

/* ---- GstRtcDtlsConnection ---- */

enum
{
  PROP_0,
  PROP_STATE,
  PROP_ROLE,
  PROP_STATS,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

#define DEFAULT_STATE GST_RTC_DTLS_STATE_NEW
#define DEFAULT_ROLE GST_RTC_DTLS_ROLE_CLIENT

enum
{
  SIGNAL_KEYS_READY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _GstRtcDtlsConnection
{
  GObject parent;

  /* Guards everything below; OpenSSL is only called with it held. */
  GMutex lock;

  GstRtcCertificate *certificate;
  GstRtcDtlsRole role;
  GMainContext *context;
  SSL *ssl;

  /* The datagram receive() is feeding OpenSSL; the BIO hands it over in
   * one read, as a socket would. */
  const guint8 *incoming;
  gsize incoming_len;
  /* What OpenSSL wrote during the current call, one datagram per BIO
   * write, sent once the lock is released. */
  GPtrArray *outgoing;

  GstRtcDtlsState state;
  GError *error;
  gboolean handshake_done;

  gboolean have_remote_digest;
  guint8 remote_digest[FINGERPRINT_LEN];
  X509 *peer_x509;

  GstRtcSrtpProfile profile;
  gsize key_len;
  gsize salt_len;
  guint8 keying_material[MAX_KEYING_MATERIAL_LEN];

  GSource *timer;
  gint64 timer_ready_time;
  gint64 handshake_deadline;

  guint64 datagrams_sent;
  guint64 datagrams_received;
  guint dropped_datagrams;
  guint retransmissions;

  GstRtcDtlsSendFunc send_func;
  gpointer send_data;
  GDestroyNotify send_notify;

  /* Work for after the lock is released. */
  gboolean notify_state;
  gboolean emit_keys_ready;
};

/**
 * GstRtcDtlsConnection:
 *
 * One DTLS-SRTP handshake over OpenSSL memory BIOs: records in and out as
 * plain buffers, the peer certificate checked against the fingerprint
 * signalled for it before the SRTP keys are exported.
 */
G_DEFINE_FINAL_TYPE_WITH_CODE (GstRtcDtlsConnection, gst_rtc_dtls_connection,
    G_TYPE_OBJECT, debug_init ());

static const gchar *
state_name (GstRtcDtlsState state)
{
  switch (state) {
    case GST_RTC_DTLS_STATE_NEW:
      return "new";
    case GST_RTC_DTLS_STATE_CONNECTING:
      return "connecting";
    case GST_RTC_DTLS_STATE_PENDING_FINGERPRINT:
      return "pending-fingerprint";
    case GST_RTC_DTLS_STATE_CONNECTED:
      return "connected";
    case GST_RTC_DTLS_STATE_FAILED:
      return "failed";
    case GST_RTC_DTLS_STATE_CLOSED:
      return "closed";
  }
  return "unknown";
}

static void
set_state_locked (GstRtcDtlsConnection * conn, GstRtcDtlsState state)
{
  if (conn->state == state)
    return;
  GST_DEBUG_OBJECT (conn, "state %s -> %s", state_name (conn->state),
      state_name (state));
  conn->state = state;
  conn->notify_state = TRUE;
  if (state == GST_RTC_DTLS_STATE_CONNECTED)
    conn->emit_keys_ready = TRUE;
}

/* Sends what OpenSSL wrote and emits what changed, after releasing the
 * lock: the send function and signal handlers may call back into us. */
static void
unlock_and_dispatch (GstRtcDtlsConnection * conn)
{
  GPtrArray *datagrams = NULL;
  GstRtcDtlsSendFunc send_func = conn->send_func;
  gpointer send_data = conn->send_data;
  gboolean notify_state = conn->notify_state;
  gboolean emit_keys_ready = conn->emit_keys_ready;
  guint i;

  if (conn->outgoing->len > 0) {
    datagrams = conn->outgoing;
    conn->outgoing = g_ptr_array_new_with_free_func (
        (GDestroyNotify) g_bytes_unref);
  }
  conn->notify_state = FALSE;
  conn->emit_keys_ready = FALSE;
  g_mutex_unlock (&conn->lock);

  if (datagrams != NULL) {
    for (i = 0; i < datagrams->len; i++) {
      GBytes *datagram = g_ptr_array_index (datagrams, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (datagram, &len);

      if (send_func != NULL)
        send_func (conn, data, len, send_data);
      else
        GST_WARNING_OBJECT (conn, "no send function: dropping a datagram "
            "of %" G_GSIZE_FORMAT " bytes", len);
    }
    g_ptr_array_unref (datagrams);
  }
  if (notify_state)
    g_object_notify_by_pspec (G_OBJECT (conn), properties[PROP_STATE]);
  if (emit_keys_ready)
    g_signal_emit (conn, signals[SIGNAL_KEYS_READY], 0);
}

static void
stop_timer_locked (GstRtcDtlsConnection * conn)
{
  if (conn->timer != NULL) {
    g_source_destroy (conn->timer);
    g_source_unref (conn->timer);
    conn->timer = NULL;
  }
}

static void
fail_locked (GstRtcDtlsConnection * conn, GError * error)
{
  /* The first error is the cause; later ones are its consequences. */
  if (conn->error == NULL) {
    conn->error = error;
    GST_WARNING_OBJECT (conn, "failed: %s", error->message);
  } else {
    GST_DEBUG_OBJECT (conn, "after the failure: %s", error->message);
    g_error_free (error);
  }
  stop_timer_locked (conn);
  set_state_locked (conn, GST_RTC_DTLS_STATE_FAILED);
}

static void
fail_from_openssl_locked (GstRtcDtlsConnection * conn, const gchar * what)
{
  gchar *reason = drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_WARNING,
      conn);

  fail_locked (conn, g_error_new (GST_RTC_ERROR, GST_RTC_ERROR_DTLS_FAILURE,
          "%s: %s", what, reason != NULL ? reason : "unknown OpenSSL error"));
  g_free (reason);
}

/* ---- The datagram BIO ---- */

static int
dtls_bio_write (BIO * bio, const char *data, int len)
{
  GstRtcDtlsConnection *conn = BIO_get_data (bio);

  BIO_clear_retry_flags (bio);
  if (len <= 0)
    return 0;
  GST_LOG_OBJECT (conn, "sending a datagram of %d bytes", len);
  g_ptr_array_add (conn->outgoing, g_bytes_new (data, len));
  conn->datagrams_sent++;
  return len;
}

static int
dtls_bio_read (BIO * bio, char *out, int size)
{
  GstRtcDtlsConnection *conn = BIO_get_data (bio);
  gsize len;

  BIO_clear_retry_flags (bio);
  if (conn->incoming == NULL) {
    BIO_set_retry_read (bio);
    return -1;
  }
  /* Like recv() on a datagram socket: one datagram per read, the rest of
   * it lost if the buffer is short (OpenSSL's never is). */
  len = MIN ((gsize) MAX (size, 0), conn->incoming_len);
  memcpy (out, conn->incoming, len);
  conn->incoming = NULL;
  conn->incoming_len = 0;
  return len;
}

static long
dtls_bio_ctrl (BIO * bio, int cmd, long num, void *ptr)
{
  GstRtcDtlsConnection *conn = BIO_get_data (bio);

  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return conn != NULL && conn->incoming != NULL ? conn->incoming_len : 0;
    case BIO_CTRL_WPENDING:
      return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
      return DTLS_MTU;
    default:
      /* Peer addresses, socket timeouts and the like mean nothing here. */
      return 0;
  }
}

static BIO_METHOD *
dtls_bio_method (void)
{
  static gsize method = 0;

  if (g_once_init_enter (&method)) {
    BIO_METHOD *created = BIO_meth_new (BIO_get_new_index ()
        | BIO_TYPE_SOURCE_SINK, "gst-rtc datagram");

    if (created != NULL) {
      BIO_meth_set_write (created, dtls_bio_write);
      BIO_meth_set_read (created, dtls_bio_read);
      BIO_meth_set_ctrl (created, dtls_bio_ctrl);
    }
    g_once_init_leave (&method, (gsize) created);
  }
  return (BIO_METHOD *) method;
}

/* ---- Peer authentication and keys ---- */

/* Called with the lock held, with the remote digest known. */
static gboolean
check_peer_fingerprint_locked (GstRtcDtlsConnection * conn)
{
  guint8 digest[FINGERPRINT_LEN];
  gchar *expected, *actual;

  if (!digest_x509 (conn->peer_x509, digest)) {
    fail_from_openssl_locked (conn, "Could not hash the peer certificate");
    return FALSE;
  }
  if (CRYPTO_memcmp (digest, conn->remote_digest, FINGERPRINT_LEN) == 0) {
    GST_DEBUG_OBJECT (conn, "peer certificate matches the fingerprint");
    return TRUE;
  }

  expected = format_fingerprint (conn->remote_digest);
  actual = format_fingerprint (digest);
  fail_locked (conn, g_error_new (GST_RTC_ERROR,
          GST_RTC_ERROR_FINGERPRINT_FAILURE,
          "The peer certificate has fingerprint %s, but %s was signalled",
          actual, expected));
  g_free (expected);
  g_free (actual);
  /* During the handshake OpenSSL sends bad_certificate once we return;
   * after it, close_notify at least stops the peer from waiting. */
  if (conn->handshake_done) {
    ERR_clear_error ();
    if (SSL_shutdown (conn->ssl) < 0)
      g_free (drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_DEBUG,
              conn));
  }
  return FALSE;
}

/* Runs inside the handshake, as soon as the peer certificate has arrived
 * and before any key is derived from the handshake. */
static int
verify_peer_certificate (X509_STORE_CTX * store, void *user_data)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store,
      SSL_get_ex_data_X509_STORE_CTX_idx ());
  GstRtcDtlsConnection *conn = ssl != NULL ? SSL_get_app_data (ssl) : NULL;
  X509 *peer_x509 = X509_STORE_CTX_get0_cert (store);

  if (conn == NULL || peer_x509 == NULL) {
    X509_STORE_CTX_set_error (store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }

  X509_up_ref (peer_x509);
  X509_free (conn->peer_x509);
  conn->peer_x509 = peer_x509;

  if (!conn->have_remote_digest) {
    GST_DEBUG_OBJECT (conn, "got the peer certificate before its "
        "fingerprint: checking it once the fingerprint is set");
    return 1;
  }
  if (!check_peer_fingerprint_locked (conn)) {
    X509_STORE_CTX_set_error (store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return 1;
}

/* Exports the SRTP keys; only ever called once the peer certificate has
 * matched the signalled fingerprint. */
static void
export_keys_locked (GstRtcDtlsConnection * conn)
{
  gsize len = 2 * (conn->key_len + conn->salt_len);

  ERR_clear_error ();
  if (SSL_export_keying_material (conn->ssl, conn->keying_material, len,
          DTLS_SRTP_EXPORTER_LABEL, strlen (DTLS_SRTP_EXPORTER_LABEL),
          NULL, 0, 0) != 1) {
    OPENSSL_cleanse (conn->keying_material, sizeof (conn->keying_material));
    fail_from_openssl_locked (conn, "Could not export the SRTP keys");
    return;
  }
  GST_INFO_OBJECT (conn, "connected, SRTP profile %u", conn->profile);
  set_state_locked (conn, GST_RTC_DTLS_STATE_CONNECTED);
}

static void
handshake_done_locked (GstRtcDtlsConnection * conn)
{
  SRTP_PROTECTION_PROFILE *profile;

  conn->handshake_done = TRUE;
  stop_timer_locked (conn);

  profile = SSL_get_selected_srtp_profile (conn->ssl);
  if (profile == NULL) {
    fail_locked (conn, g_error_new_literal (GST_RTC_ERROR,
            GST_RTC_ERROR_DTLS_FAILURE,
            "The peer did not negotiate an SRTP protection profile"));
    return;
  }
  switch (profile->id) {
    case SRTP_AES128_CM_SHA1_80:
      conn->profile = GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80;
      conn->key_len = SRTP_MASTER_KEY_LEN;
      conn->salt_len = SRTP_CM_SALT_LEN;
      break;
    case SRTP_AEAD_AES_128_GCM:
      conn->profile = GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM;
      conn->key_len = SRTP_MASTER_KEY_LEN;
      conn->salt_len = SRTP_GCM_SALT_LEN;
      break;
    default:
      fail_locked (conn, g_error_new (GST_RTC_ERROR,
              GST_RTC_ERROR_NOT_SUPPORTED,
              "Unexpected SRTP protection profile %s (0x%04lx)",
              profile->name, profile->id));
      return;
  }
  GST_DEBUG_OBJECT (conn, "handshake done: %s, %s",
      SSL_get_cipher_name (conn->ssl), profile->name);

  if (conn->peer_x509 == NULL)
    conn->peer_x509 = SSL_get1_peer_certificate (conn->ssl);
  if (conn->peer_x509 == NULL) {
    fail_locked (conn, g_error_new_literal (GST_RTC_ERROR,
            GST_RTC_ERROR_DTLS_FAILURE, "The peer sent no certificate"));
    return;
  }

  if (!conn->have_remote_digest) {
    GST_INFO_OBJECT (conn, "handshake done, withholding the keys until the "
        "remote fingerprint is known");
    set_state_locked (conn, GST_RTC_DTLS_STATE_PENDING_FINGERPRINT);
    return;
  }
  /* The fingerprint may have been set after the certificate arrived. */
  if (check_peer_fingerprint_locked (conn))
    export_keys_locked (conn);
}

/* ---- Driving OpenSSL ---- */

static void update_timer_locked (GstRtcDtlsConnection * conn);

static void
advance_handshake_locked (GstRtcDtlsConnection * conn)
{
  int ret, ssl_error;

  ERR_clear_error ();
  ret = SSL_do_handshake (conn->ssl);
  if (ret == 1) {
    handshake_done_locked (conn);
    return;
  }
  ssl_error = SSL_get_error (conn->ssl, ret);
  if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
    update_timer_locked (conn);
    return;
  }
  fail_from_openssl_locked (conn, "DTLS handshake failed");
}

/* After the handshake, reading processes alerts, close_notify and the
 * peer's retransmitted last flight (to which OpenSSL answers with ours).
 * WebRTC sends no application data over DTLS-SRTP without SCTP. */
static void
read_records_locked (GstRtcDtlsConnection * conn)
{
  guint8 buffer[2048];

  for (;;) {
    int ret, ssl_error;

    ERR_clear_error ();
    ret = SSL_read (conn->ssl, buffer, sizeof (buffer));
    if (ret > 0) {
      GST_LOG_OBJECT (conn, "discarding %d bytes of application data", ret);
      continue;
    }
    ssl_error = SSL_get_error (conn->ssl, ret);
    switch (ssl_error) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        break;
      case SSL_ERROR_ZERO_RETURN:
        GST_INFO_OBJECT (conn, "peer sent close_notify");
        /* Answer with ours, as RFC 5246 section 7.2.1 asks. */
        ERR_clear_error ();
        if (SSL_shutdown (conn->ssl) < 0)
          g_free (drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_DEBUG,
                  conn));
        set_state_locked (conn, GST_RTC_DTLS_STATE_CLOSED);
        break;
      default:
        fail_from_openssl_locked (conn, "DTLS record processing failed");
        break;
    }
    break;
  }
  OPENSSL_cleanse (buffer, sizeof (buffer));
}

typedef struct
{
  GWeakRef connection;
} TimerData;

static void
timer_data_free (gpointer user_data)
{
  TimerData *data = user_data;

  g_weak_ref_clear (&data->connection);
  g_free (data);
}

static gboolean
on_retransmit_timer (gpointer user_data)
{
  TimerData *data = user_data;
  GstRtcDtlsConnection *conn = g_weak_ref_get (&data->connection);
  int ret;

  if (conn == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&conn->lock);
  /* Stopped or re-armed while this dispatch was on its way. */
  if (conn->timer != g_main_current_source ()) {
    g_mutex_unlock (&conn->lock);
    g_object_unref (conn);
    return G_SOURCE_REMOVE;
  }
  g_source_unref (conn->timer);
  conn->timer = NULL;

  if (conn->state == GST_RTC_DTLS_STATE_CONNECTING && !conn->handshake_done) {
    if (g_get_monotonic_time () >= conn->handshake_deadline) {
      fail_locked (conn, g_error_new (GST_RTC_ERROR,
              GST_RTC_ERROR_DTLS_FAILURE,
              "DTLS handshake timed out after %u retransmissions",
              conn->retransmissions));
    } else {
      ERR_clear_error ();
      ret = DTLSv1_handle_timeout (conn->ssl);
      if (ret > 0) {
        conn->retransmissions++;
        GST_DEBUG_OBJECT (conn, "retransmitted the last flight (%u so far)",
            conn->retransmissions);
      }
      if (ret >= 0) {
        update_timer_locked (conn);
      } else if (ERR_GET_REASON (ERR_peek_error ()) ==
          SSL_R_READ_TIMEOUT_EXPIRED) {
        /* OpenSSL gives up after 12 timeouts of one flight: with our
         * backoff, about 29 s. */
        g_free (drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_DEBUG,
                conn));
        fail_locked (conn, g_error_new (GST_RTC_ERROR,
                GST_RTC_ERROR_DTLS_FAILURE,
                "DTLS handshake timed out: no answer from the peer after %u "
                "retransmissions", conn->retransmissions));
      } else {
        fail_from_openssl_locked (conn, "DTLS retransmission failed");
      }
    }
  }

  unlock_and_dispatch (conn);
  g_object_unref (conn);
  return G_SOURCE_REMOVE;
}

/* Follows OpenSSL's retransmission timer with a GSource on our context. */
static void
update_timer_locked (GstRtcDtlsConnection * conn)
{
  struct timeval remaining;
  gint64 now, delay_us, ready_time;
  TimerData *data;

  if (conn->handshake_done || conn->state != GST_RTC_DTLS_STATE_CONNECTING
      || DTLSv1_get_timeout (conn->ssl, &remaining) != 1) {
    stop_timer_locked (conn);
    return;
  }

  now = g_get_monotonic_time ();
  if (conn->handshake_deadline == 0)
    conn->handshake_deadline = now + HANDSHAKE_TIMEOUT_US;
  delay_us = (gint64) remaining.tv_sec * G_USEC_PER_SEC + remaining.tv_usec;
  ready_time = now + delay_us;
  /* OpenSSL restarts nothing on most received datagrams: keep the source. */
  if (conn->timer != NULL
      && ABS (ready_time - conn->timer_ready_time) < 1000)
    return;

  stop_timer_locked (conn);
  data = g_new0 (TimerData, 1);
  g_weak_ref_init (&data->connection, conn);
  /* Round up: firing early would find OpenSSL's timer not yet expired. */
  conn->timer = g_timeout_source_new ((delay_us + 999) / 1000);
  g_source_set_name (conn->timer, "GstRtcDtlsConnection retransmission");
  g_source_set_priority (conn->timer, G_PRIORITY_HIGH);
  g_source_set_callback (conn->timer, on_retransmit_timer, data,
      timer_data_free);
  g_source_attach (conn->timer, conn->context);
  conn->timer_ready_time = ready_time;
  GST_LOG_OBJECT (conn, "retransmission timer in %" G_GINT64_FORMAT " us",
      delay_us);
}

/* OpenSSL asks with 0 for the first timeout of a flight, then with the
 * previous one. */
static unsigned int
next_retransmit_timeout (SSL * ssl, unsigned int previous_us)
{
  if (previous_us == 0)
    return INITIAL_RETRANSMIT_US;
  return MIN (previous_us * 2, MAX_RETRANSMIT_US);
}

/* Checks the record framing of a datagram. OpenSSL drops most malformed
 * records itself, but fails the handshake on some (a handshake fragment
 * longer than its record, unencrypted application data, an oversized
 * record): those would let anyone who can send us one datagram kill the
 * connection. Returns why the datagram is malformed, or NULL. */
static const gchar *
check_plaintext_record (guint8 content_type, const guint8 * body, gsize len)
{
  gsize offset = 0;

  switch (content_type) {
    case CONTENT_TYPE_CHANGE_CIPHER_SPEC:
      return len == 1 && body[0] == 1 ? NULL : "malformed ChangeCipherSpec";
    case CONTENT_TYPE_ALERT:
      return len == 2 && (body[0] == 1 || body[0] == 2) ? NULL :
          "malformed alert";
    case CONTENT_TYPE_HANDSHAKE:
      while (offset < len) {
        const guint8 *header = body + offset;
        guint32 message_len, fragment_offset, fragment_len;

        if (len - offset < HANDSHAKE_HEADER_LEN)
          return "truncated handshake header";
        message_len = GST_READ_UINT24_BE (header + 1);
        fragment_offset = GST_READ_UINT24_BE (header + 6);
        fragment_len = GST_READ_UINT24_BE (header + 9);
        if (message_len > MAX_HANDSHAKE_MESSAGE_LEN)
          return "handshake message too long";
        if (fragment_offset + fragment_len > message_len)
          return "handshake fragment beyond its message";
        if (len - offset - HANDSHAKE_HEADER_LEN < fragment_len)
          return "truncated handshake fragment";
        offset += HANDSHAKE_HEADER_LEN + fragment_len;
      }
      return NULL;
    default:
      return "unencrypted application data";
  }
}

static const gchar *
check_datagram (const guint8 * data, gsize len)
{
  gsize offset = 0;

  if (len < RECORD_HEADER_LEN)
    return "shorter than a record header";
  while (offset < len) {
    const guint8 *record = data + offset;
    guint16 epoch;
    gsize body_len;
    const gchar *reason;

    if (len - offset < RECORD_HEADER_LEN)
      return "truncated record header";
    if (record[0] < CONTENT_TYPE_CHANGE_CIPHER_SPEC
        || record[0] > CONTENT_TYPE_APPLICATION_DATA)
      return "unknown record content type";
    /* DTLS 1.2, or DTLS 1.0 in the record of a ClientHello */
    if (record[1] != 0xfe || (record[2] != 0xfd && record[2] != 0xff))
      return "not a DTLS 1.0 or 1.2 record";
    epoch = GST_READ_UINT16_BE (record + 3);
    body_len = GST_READ_UINT16_BE (record + 11);
    if (body_len == 0)
      return "empty record";
    if (body_len > (epoch == 0 ? MAX_PLAINTEXT_RECORD_LEN :
            MAX_CIPHERTEXT_RECORD_LEN))
      return "record too long";
    if (len - offset - RECORD_HEADER_LEN < body_len)
      return "truncated record";
    if (epoch == 0) {
      reason = check_plaintext_record (record[0], record + RECORD_HEADER_LEN,
          body_len);
      if (reason != NULL)
        return reason;
    }
    offset += RECORD_HEADER_LEN + body_len;
  }
  return NULL;
}

static void
start_locked (GstRtcDtlsConnection * conn)
{
  GST_DEBUG_OBJECT (conn, "starting as %s",
      conn->role == GST_RTC_DTLS_ROLE_CLIENT ? "client" : "server");
  set_state_locked (conn, GST_RTC_DTLS_STATE_CONNECTING);
  if (conn->role == GST_RTC_DTLS_ROLE_CLIENT)
    advance_handshake_locked (conn);
}

static GError *
copy_failure_locked (GstRtcDtlsConnection * conn)
{
  if (conn->error != NULL)
    return g_error_copy (conn->error);
  return g_error_new_literal (GST_RTC_ERROR, GST_RTC_ERROR_DTLS_FAILURE,
      "The DTLS connection failed");
}

/* ---- GObject ---- */

static void
gst_rtc_dtls_connection_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtcDtlsConnection *conn = GST_RTC_DTLS_CONNECTION (object);

  g_mutex_lock (&conn->lock);
  switch (prop_id) {
    case PROP_STATE:
      g_value_set_enum (value, conn->state);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, conn->role);
      break;
    case PROP_STATS:
      g_value_take_boxed (value,
          gst_structure_new ("application/x-rtc-dtls-stats",
              "datagrams-sent", G_TYPE_UINT64, conn->datagrams_sent,
              "datagrams-received", G_TYPE_UINT64, conn->datagrams_received,
              "dropped-datagrams", G_TYPE_UINT, conn->dropped_datagrams,
              "retransmissions", G_TYPE_UINT, conn->retransmissions, NULL));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&conn->lock);
}

static void
gst_rtc_dtls_connection_dispose (GObject * object)
{
  GstRtcDtlsConnection *conn = GST_RTC_DTLS_CONNECTION (object);
  GDestroyNotify send_notify;
  gpointer send_data;

  g_mutex_lock (&conn->lock);
  stop_timer_locked (conn);
  send_notify = conn->send_notify;
  send_data = conn->send_data;
  conn->send_func = NULL;
  conn->send_data = NULL;
  conn->send_notify = NULL;
  g_mutex_unlock (&conn->lock);

  if (send_notify != NULL)
    send_notify (send_data);

  G_OBJECT_CLASS (gst_rtc_dtls_connection_parent_class)->dispose (object);
}

static void
gst_rtc_dtls_connection_finalize (GObject * object)
{
  GstRtcDtlsConnection *conn = GST_RTC_DTLS_CONNECTION (object);

  SSL_free (conn->ssl);
  X509_free (conn->peer_x509);
  OPENSSL_cleanse (conn->keying_material, sizeof (conn->keying_material));
  g_clear_error (&conn->error);
  g_ptr_array_unref (conn->outgoing);
  g_clear_object (&conn->certificate);
  if (conn->context != NULL)
    g_main_context_unref (conn->context);
  g_mutex_clear (&conn->lock);

  G_OBJECT_CLASS (gst_rtc_dtls_connection_parent_class)->finalize (object);
}

static void
gst_rtc_dtls_connection_class_init (GstRtcDtlsConnectionClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->get_property = gst_rtc_dtls_connection_get_property;
  gobject_class->dispose = gst_rtc_dtls_connection_dispose;
  gobject_class->finalize = gst_rtc_dtls_connection_finalize;

  /**
   * GstRtcDtlsConnection:state:
   *
   * Where the handshake and the peer authentication stand. Notified from
   * whichever thread caused the change.
   */
  properties[PROP_STATE] = g_param_spec_enum ("state", "State",
      "Where the handshake and the peer authentication stand",
      GST_RTC_TYPE_DTLS_STATE, DEFAULT_STATE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcDtlsConnection:role:
   *
   * Whether this end sends the ClientHello or waits for it.
   */
  properties[PROP_ROLE] = g_param_spec_enum ("role", "Role",
      "Whether this end sends the ClientHello or waits for it",
      GST_RTC_TYPE_DTLS_ROLE, DEFAULT_ROLE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstRtcDtlsConnection:stats:
   *
   * Counters, in an `application/x-rtc-dtls-stats` structure:
   * `datagrams-sent` and `datagrams-received` (guint64),
   * `dropped-datagrams` (guint, malformed datagrams dropped before OpenSSL
   * saw them) and `retransmissions` (guint, flights sent again on timeout).
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Datagram and retransmission counters", gst_structure_get_type (),
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, N_PROPERTIES, properties);

  /**
   * GstRtcDtlsConnection::keys-ready:
   * @connection: the connection
   *
   * Emitted once the connection is %GST_RTC_DTLS_STATE_CONNECTED: the
   * handshake is done, the peer certificate matched its fingerprint, and
   * gst_rtc_dtls_connection_get_srtp_keys() can be called. Emitted from
   * whichever thread completed the handshake or set the fingerprint.
   */
  signals[SIGNAL_KEYS_READY] = g_signal_new ("keys-ready",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 0);
}

static void
gst_rtc_dtls_connection_init (GstRtcDtlsConnection * conn)
{
  g_mutex_init (&conn->lock);
  conn->state = DEFAULT_STATE;
  conn->role = DEFAULT_ROLE;
  conn->outgoing =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static gboolean
setup_ssl (GstRtcDtlsConnection * conn, GError ** error)
{
  SSL_CTX *ctx;
  BIO *bio;
  BIO_METHOD *method = dtls_bio_method ();

  ctx = certificate_ref_ssl_ctx (conn->certificate, error);
  if (ctx == NULL)
    return FALSE;
  conn->ssl = SSL_new (ctx);
  SSL_CTX_free (ctx);
  bio = method != NULL ? BIO_new (method) : NULL;
  if (conn->ssl == NULL || bio == NULL) {
    gchar *reason = drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_ERROR,
        conn);

    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INTERNAL_FAILURE,
        "Could not create the DTLS connection: %s",
        reason != NULL ? reason : "unknown OpenSSL error");
    g_free (reason);
    BIO_free (bio);
    return FALSE;
  }
  BIO_set_data (bio, conn);
  BIO_set_init (bio, 1);
  /* The same BIO reads and writes; SSL_set_bio takes our one reference. */
  SSL_set_bio (conn->ssl, bio, bio);
  SSL_set_app_data (conn->ssl, conn);
  /* Our BIO has no path MTU to discover. */
  SSL_set_options (conn->ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu (conn->ssl, DTLS_MTU);
  DTLS_set_timer_cb (conn->ssl, next_retransmit_timeout);
  if (conn->role == GST_RTC_DTLS_ROLE_CLIENT)
    SSL_set_connect_state (conn->ssl);
  else
    SSL_set_accept_state (conn->ssl);
  return TRUE;
}

/**
 * gst_rtc_dtls_connection_new:
 * @certificate: our identity
 * @role: whether we send the ClientHello or wait for it
 * @context: (nullable): the #GMainContext on which retransmission timers
 *   run, or %NULL for the thread-default context of the calling thread
 *
 * Creates a connection. Set a send function and, once known, the remote
 * fingerprint, then call gst_rtc_dtls_connection_start().
 *
 * Returns: (transfer full): a new connection. If OpenSSL could not set it
 *   up, it is already %GST_RTC_DTLS_STATE_FAILED and
 *   gst_rtc_dtls_connection_start() reports why.
 */
GstRtcDtlsConnection *
gst_rtc_dtls_connection_new (GstRtcCertificate * certificate,
    GstRtcDtlsRole role, GMainContext * context)
{
  GstRtcDtlsConnection *conn;
  GError *error = NULL;

  g_return_val_if_fail (GST_RTC_IS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (role == GST_RTC_DTLS_ROLE_CLIENT
      || role == GST_RTC_DTLS_ROLE_SERVER, NULL);

  gst_rtc_init ();

  conn = g_object_new (GST_RTC_TYPE_DTLS_CONNECTION, NULL);
  conn->certificate = g_object_ref (certificate);
  conn->role = role;
  conn->context = context != NULL ? g_main_context_ref (context) :
      g_main_context_ref_thread_default ();

  if (!setup_ssl (conn, &error)) {
    conn->error = error;
    conn->state = GST_RTC_DTLS_STATE_FAILED;
    GST_ERROR_OBJECT (conn, "%s", error->message);
  }
  return conn;
}

/**
 * gst_rtc_dtls_connection_set_send_func:
 * @connection: a #GstRtcDtlsConnection
 * @func: (scope notified) (nullable): called for each datagram to send
 * @user_data: (closure func): data for @func
 * @notify: (destroy user_data) (nullable): frees @user_data when @func is
 *   replaced or the connection is disposed
 *
 * Sets where outgoing datagrams go. @func is called without any lock of
 * the connection held, from whichever thread made the connection send:
 * one calling gst_rtc_dtls_connection_receive(),
 * gst_rtc_dtls_connection_start() or gst_rtc_dtls_connection_close(), or
 * the thread of the connection's #GMainContext for retransmissions.
 * Datagrams already on their way may still reach the previous function
 * after this returns: set it once, before starting.
 */
void
gst_rtc_dtls_connection_set_send_func (GstRtcDtlsConnection * connection,
    GstRtcDtlsSendFunc func, gpointer user_data, GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection));

  g_mutex_lock (&connection->lock);
  old_notify = connection->send_notify;
  old_data = connection->send_data;
  connection->send_func = func;
  connection->send_data = user_data;
  connection->send_notify = notify;
  g_mutex_unlock (&connection->lock);

  if (old_notify != NULL)
    old_notify (old_data);
}

/**
 * gst_rtc_dtls_connection_get_role:
 * @connection: a #GstRtcDtlsConnection
 *
 * Gets the DTLS role of @connection.
 *
 * Returns: the role given at creation
 */
GstRtcDtlsRole
gst_rtc_dtls_connection_get_role (GstRtcDtlsConnection * connection)
{
  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection),
      GST_RTC_DTLS_ROLE_CLIENT);

  /* Never changes after construction. */
  return connection->role;
}

/**
 * gst_rtc_dtls_connection_set_remote_fingerprint:
 * @connection: a #GstRtcDtlsConnection
 * @fingerprint: the peer's `a=fingerprint` value, `sha-256 AB:CD:...`
 * @error: return location for a #GError, or %NULL
 *
 * Sets the fingerprint the peer certificate must have. May be called
 * before or during the handshake, or after it: a connection waiting in
 * %GST_RTC_DTLS_STATE_PENDING_FINGERPRINT then checks the certificate it
 * got, and either becomes %GST_RTC_DTLS_STATE_CONNECTED (emitting
 * #GstRtcDtlsConnection::keys-ready) or fails. A certificate that does not
 * match fails the connection with %GST_RTC_ERROR_FINGERPRINT_FAILURE.
 *
 * Returns: %TRUE if @fingerprint was accepted. %FALSE with the error of
 *   gst_rtc_fingerprint_parse() if it is malformed or not SHA-256 (the
 *   connection is unchanged), or with %GST_RTC_ERROR_FINGERPRINT_FAILURE if
 *   the peer certificate already received does not match it (the
 *   connection has failed).
 */
gboolean
gst_rtc_dtls_connection_set_remote_fingerprint (GstRtcDtlsConnection *
    connection, const gchar * fingerprint, GError ** error)
{
  guint8 digest[FINGERPRINT_LEN];
  gboolean ok = TRUE;

  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!gst_rtc_fingerprint_parse (fingerprint, digest, error))
    return FALSE;

  g_mutex_lock (&connection->lock);
  memcpy (connection->remote_digest, digest, FINGERPRINT_LEN);
  connection->have_remote_digest = TRUE;
  GST_DEBUG_OBJECT (connection, "remote fingerprint set");

  switch (connection->state) {
    case GST_RTC_DTLS_STATE_CONNECTING:
      /* Fail as early as possible if the certificate is already here. */
      if (connection->peer_x509 != NULL)
        ok = check_peer_fingerprint_locked (connection);
      break;
    case GST_RTC_DTLS_STATE_PENDING_FINGERPRINT:
      ok = check_peer_fingerprint_locked (connection);
      if (ok)
        export_keys_locked (connection);
      break;
    case GST_RTC_DTLS_STATE_CONNECTED:
      /* A renegotiated SDP naming another certificate than the one we
       * are talking to: the peer is not who the signalling says. */
      ok = check_peer_fingerprint_locked (connection);
      break;
    default:
      break;
  }
  if (!ok && connection->state == GST_RTC_DTLS_STATE_FAILED)
    g_propagate_error (error, copy_failure_locked (connection));
  unlock_and_dispatch (connection);
  return ok;
}

/**
 * gst_rtc_dtls_connection_start:
 * @connection: a #GstRtcDtlsConnection
 * @error: return location for a #GError, or %NULL
 *
 * Starts the handshake: a client sends its ClientHello, a server waits for
 * one. Call it once the path to the peer works (ICE connected).
 *
 * Returns: %TRUE if the handshake is under way; %FALSE with
 *   %GST_RTC_ERROR_INVALID_STATE if it was started before, or with the
 *   error that failed the connection
 */
gboolean
gst_rtc_dtls_connection_start (GstRtcDtlsConnection * connection,
    GError ** error)
{
  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&connection->lock);
  if (connection->state == GST_RTC_DTLS_STATE_FAILED) {
    g_propagate_error (error, copy_failure_locked (connection));
    g_mutex_unlock (&connection->lock);
    return FALSE;
  }
  if (connection->state != GST_RTC_DTLS_STATE_NEW) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "The DTLS connection cannot start: it is %s",
        state_name (connection->state));
    g_mutex_unlock (&connection->lock);
    return FALSE;
  }

  start_locked (connection);
  if (connection->state == GST_RTC_DTLS_STATE_FAILED) {
    g_propagate_error (error, copy_failure_locked (connection));
    unlock_and_dispatch (connection);
    return FALSE;
  }
  unlock_and_dispatch (connection);
  return TRUE;
}

/**
 * gst_rtc_dtls_connection_receive:
 * @connection: a #GstRtcDtlsConnection
 * @data: (array length=len): one received DTLS datagram
 * @len: its length
 * @error: return location for a #GError, or %NULL
 *
 * Processes one datagram from the peer; may be called from any thread.
 * A malformed datagram is dropped, logged and counted in
 * #GstRtcDtlsConnection:stats, without failing the connection: anyone can
 * send us one. A server that was not started yet starts on its first
 * ClientHello. Datagrams arriving after close are ignored.
 *
 * Returns: %TRUE unless the connection has failed, during this call (a
 *   fatal alert from the peer, a handshake error, the fingerprint check)
 *   or before it; then %FALSE with the error
 */
gboolean
gst_rtc_dtls_connection_receive (GstRtcDtlsConnection * connection,
    const guint8 * data, gsize len, GError ** error)
{
  const gchar *malformed;

  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&connection->lock);
  switch (connection->state) {
    case GST_RTC_DTLS_STATE_NEW:
      if (connection->role == GST_RTC_DTLS_ROLE_CLIENT) {
        GST_DEBUG_OBJECT (connection, "not started: ignoring a datagram");
        g_mutex_unlock (&connection->lock);
        return TRUE;
      }
      break;
    case GST_RTC_DTLS_STATE_FAILED:
      g_propagate_error (error, copy_failure_locked (connection));
      g_mutex_unlock (&connection->lock);
      return FALSE;
    case GST_RTC_DTLS_STATE_CLOSED:
      GST_LOG_OBJECT (connection, "closed: ignoring a datagram");
      g_mutex_unlock (&connection->lock);
      return TRUE;
    default:
      break;
  }

  connection->datagrams_received++;
  malformed = check_datagram (data, len);
  if (malformed != NULL) {
    connection->dropped_datagrams++;
    GST_WARNING_OBJECT (connection, "dropping a malformed datagram of %"
        G_GSIZE_FORMAT " bytes: %s (%u dropped so far)", len, malformed,
        connection->dropped_datagrams);
    g_mutex_unlock (&connection->lock);
    return TRUE;
  }
  GST_LOG_OBJECT (connection, "received a datagram of %" G_GSIZE_FORMAT
      " bytes", len);

  if (connection->state == GST_RTC_DTLS_STATE_NEW)
    start_locked (connection);

  connection->incoming = data;
  connection->incoming_len = len;
  if (!connection->handshake_done)
    advance_handshake_locked (connection);
  /* Records following the last handshake message in the same datagram
   * are still buffered in OpenSSL. */
  if (connection->handshake_done
      && connection->state != GST_RTC_DTLS_STATE_FAILED)
    read_records_locked (connection);
  connection->incoming = NULL;
  connection->incoming_len = 0;

  if (connection->state == GST_RTC_DTLS_STATE_FAILED) {
    g_propagate_error (error, copy_failure_locked (connection));
    unlock_and_dispatch (connection);
    return FALSE;
  }
  unlock_and_dispatch (connection);
  return TRUE;
}

/**
 * gst_rtc_dtls_connection_get_state:
 * @connection: a #GstRtcDtlsConnection
 *
 * Gets the state of @connection.
 *
 * Returns: the current state
 */
GstRtcDtlsState
gst_rtc_dtls_connection_get_state (GstRtcDtlsConnection * connection)
{
  GstRtcDtlsState state;

  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection),
      GST_RTC_DTLS_STATE_FAILED);

  g_mutex_lock (&connection->lock);
  state = connection->state;
  g_mutex_unlock (&connection->lock);
  return state;
}

/**
 * gst_rtc_dtls_connection_get_error:
 * @connection: a #GstRtcDtlsConnection
 *
 * Gets the error that failed @connection.
 *
 * Returns: (transfer full) (nullable): a copy of the error that failed the
 *   connection, or %NULL if it has not failed
 */
GError *
gst_rtc_dtls_connection_get_error (GstRtcDtlsConnection * connection)
{
  GError *error;

  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection), NULL);

  g_mutex_lock (&connection->lock);
  error = connection->error != NULL ? g_error_copy (connection->error) : NULL;
  g_mutex_unlock (&connection->lock);
  return error;
}

static void
free_secret (gpointer secret)
{
  /* The size is not passed to us, so the buffers carry it in front. */
  gsize *block = (gsize *) secret - 1;

  OPENSSL_cleanse (block, sizeof (gsize) + *block);
  g_free (block);
}

static GBytes *
secret_bytes_new (const guint8 * key, gsize key_len, const guint8 * salt,
    gsize salt_len)
{
  gsize len = key_len + salt_len;
  gsize *block = g_malloc (sizeof (gsize) + len);
  guint8 *secret = (guint8 *) (block + 1);

  *block = len;
  memcpy (secret, key, key_len);
  memcpy (secret + key_len, salt, salt_len);
  return g_bytes_new_with_free_func (secret, len, free_secret, secret);
}

/**
 * gst_rtc_dtls_connection_get_srtp_keys:
 * @connection: a #GstRtcDtlsConnection
 * @profile: (out) (optional): the negotiated SRTP protection profile
 * @local_key_salt: (out) (optional) (transfer full): the master key and
 *   master salt we protect our packets with
 * @remote_key_salt: (out) (optional) (transfer full): the master key and
 *   master salt the peer protects its packets with
 * @error: return location for a #GError, or %NULL
 *
 * Gets the SRTP keys exported from the handshake (RFC 5764 section 4.2).
 * Each is the master key followed by the master salt: 16 + 12 bytes for
 * AEAD_AES_128_GCM, 16 + 14 for AES128_CM_SHA1_80. The buffers are wiped
 * when freed.
 *
 * Returns: %TRUE in %GST_RTC_DTLS_STATE_CONNECTED; otherwise %FALSE with
 *   %GST_RTC_ERROR_INVALID_STATE: keys are never handed out before the
 *   peer certificate matched its fingerprint
 */
gboolean
gst_rtc_dtls_connection_get_srtp_keys (GstRtcDtlsConnection * connection,
    GstRtcSrtpProfile * profile, GBytes ** local_key_salt,
    GBytes ** remote_key_salt, GError ** error)
{
  const guint8 *client_key, *server_key, *client_salt, *server_salt;
  gboolean is_client;

  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&connection->lock);
  if (connection->state != GST_RTC_DTLS_STATE_CONNECTED) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "No SRTP keys: the DTLS connection is %s, not connected",
        state_name (connection->state));
    g_mutex_unlock (&connection->lock);
    return FALSE;
  }

  /* client key | server key | client salt | server salt */
  client_key = connection->keying_material;
  server_key = client_key + connection->key_len;
  client_salt = server_key + connection->key_len;
  server_salt = client_salt + connection->salt_len;
  is_client = connection->role == GST_RTC_DTLS_ROLE_CLIENT;

  if (profile != NULL)
    *profile = connection->profile;
  if (local_key_salt != NULL)
    *local_key_salt = secret_bytes_new (is_client ? client_key : server_key,
        connection->key_len, is_client ? client_salt : server_salt,
        connection->salt_len);
  if (remote_key_salt != NULL)
    *remote_key_salt = secret_bytes_new (is_client ? server_key : client_key,
        connection->key_len, is_client ? server_salt : client_salt,
        connection->salt_len);
  g_mutex_unlock (&connection->lock);
  return TRUE;
}

/**
 * gst_rtc_dtls_connection_get_peer_certificate_pem:
 * @connection: a #GstRtcDtlsConnection
 *
 * Gets the certificate the peer presented in the handshake.
 *
 * Returns: (transfer full) (nullable): the certificate the peer presented,
 *   in PEM, or %NULL if none arrived yet
 */
gchar *
gst_rtc_dtls_connection_get_peer_certificate_pem (GstRtcDtlsConnection *
    connection)
{
  BIO *bio;
  char *data = NULL;
  long len;
  gchar *pem = NULL;

  g_return_val_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection), NULL);

  g_mutex_lock (&connection->lock);
  if (connection->peer_x509 != NULL && (bio = BIO_new (BIO_s_mem ())) != NULL) {
    if (PEM_write_bio_X509 (bio, connection->peer_x509)) {
      len = BIO_get_mem_data (bio, &data);
      pem = g_strndup (data, len);
    } else {
      g_free (drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_WARNING,
              connection));
    }
    BIO_free (bio);
  }
  g_mutex_unlock (&connection->lock);
  return pem;
}

/**
 * gst_rtc_dtls_connection_close:
 * @connection: a #GstRtcDtlsConnection
 *
 * Closes the connection: sends close_notify if the handshake is done,
 * stops the timers, and goes %GST_RTC_DTLS_STATE_CLOSED, from any state.
 * The error of a failed connection stays available.
 */
void
gst_rtc_dtls_connection_close (GstRtcDtlsConnection * connection)
{
  g_return_if_fail (GST_RTC_IS_DTLS_CONNECTION (connection));

  g_mutex_lock (&connection->lock);
  if (connection->state == GST_RTC_DTLS_STATE_CLOSED) {
    g_mutex_unlock (&connection->lock);
    return;
  }
  /* OpenSSL forbids a shutdown during the handshake or after a fatal
   * error. */
  if (connection->handshake_done
      && connection->state != GST_RTC_DTLS_STATE_FAILED) {
    ERR_clear_error ();
    if (SSL_shutdown (connection->ssl) < 0)
      g_free (drain_openssl_errors (gst_rtc_dtls_debug, GST_LEVEL_DEBUG,
              connection));
  }
  stop_timer_locked (connection);
  set_state_locked (connection, GST_RTC_DTLS_STATE_CLOSED);
  unlock_and_dispatch (connection);
}
