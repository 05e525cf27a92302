/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of GstRtcSrtpSession.
 *
 * libsrtp2 only takes master keys, while the RFC 3711 appendix B and RFC
 * 7714 section 16/17 vectors are for the individual steps (keystream, key
 * derivation, session-key encryption). So this file carries a small
 * reference of both transforms written against OpenSSL EVP from the RFC
 * text alone; the reference is checked against every published vector, and
 * the session's output is then checked against the reference byte for
 * byte. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>

#include <string.h>
#include <openssl/evp.h>

#define AES_BLOCK 16
#define CM_KEY_SALT_LEN 30
#define GCM_KEY_SALT_LEN 28
#define CM_TAG_LEN 10
#define GCM_TAG_LEN 16
#define SRTCP_INDEX_LEN 4
#define SRTCP_E_BIT 0x80000000u
#define PACKET_CAPACITY 2048

/* libsrtp2 reads packets by 32-bit words, so test packets live in word
 * storage rather than in byte arrays of arbitrary alignment. */
typedef union
{
  guint8 data[PACKET_CAPACITY];
  guint64 align;
} Packet;

/* ---------------------------------------------------------------- hex */

static gsize
hex_decode (const gchar * hex, guint8 * out, gsize out_size)
{
  gsize n = 0;
  gint high = -1;

  for (; *hex != '\0'; hex++) {
    gint nibble = g_ascii_xdigit_value (*hex);

    if (nibble < 0)
      continue;
    if (high < 0) {
      high = nibble;
    } else {
      g_assert (n < out_size);
      out[n++] = (high << 4) | nibble;
      high = -1;
    }
  }
  g_assert (high < 0);
  return n;
}

static gchar *
hex_encode (const guint8 * data, gsize len)
{
  GString *s = g_string_sized_new (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

static void
assert_bytes (const guint8 * got, gsize got_len, const guint8 * expected,
    gsize expected_len, const gchar * what)
{
  if (got_len != expected_len || memcmp (got, expected, got_len) != 0) {
    gchar *got_hex = hex_encode (got, got_len);
    gchar *expected_hex = hex_encode (expected, expected_len);

    fail ("%s differs:\n got      %s (%" G_GSIZE_FORMAT " bytes)\n"
        " expected %s (%" G_GSIZE_FORMAT " bytes)", what, got_hex, got_len,
        expected_hex, expected_len);
    g_free (got_hex);
    g_free (expected_hex);
  }
}

static void
assert_hex (const guint8 * got, gsize got_len, const gchar * expected_hex,
    const gchar * what)
{
  guint8 expected[PACKET_CAPACITY];
  gsize expected_len = hex_decode (expected_hex, expected, sizeof (expected));

  assert_bytes (got, got_len, expected, expected_len, what);
}

/* ---------------------------------------------------------- reference */

/* Session keys of one direction of one profile (RFC 3711 section 4.3,
 * RFC 7714 section 11). */
typedef struct
{
  guint8 rtp_key[16];
  guint8 rtp_salt[14];
  guint8 rtp_auth[20];
  guint8 rtcp_key[16];
  guint8 rtcp_salt[14];
  guint8 rtcp_auth[20];
} RefKeys;

enum
{
  LABEL_RTP_KEY = 0,
  LABEL_RTP_AUTH = 1,
  LABEL_RTP_SALT = 2,
  LABEL_RTCP_KEY = 3,
  LABEL_RTCP_AUTH = 4,
  LABEL_RTCP_SALT = 5,
};

/* AES-128 in counter mode from a 16-byte IV, as RFC 3711 section 4.1.1
 * uses it; within one packet the counter never carries out of its low 16
 * bits, so OpenSSL's 128-bit CTR is the same thing. */
static void
ref_aes_ctr (const guint8 * key, const guint8 * iv, const guint8 * in,
    guint8 * out, gsize len)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int out_len = 0, final_len = 0;

  fail_unless (EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), NULL, key, iv));
  fail_unless (EVP_EncryptUpdate (ctx, out, &out_len, in, (int) len));
  fail_unless (EVP_EncryptFinal_ex (ctx, out + out_len, &final_len));
  fail_unless_equals_int (out_len + final_len, (int) len);
  EVP_CIPHER_CTX_free (ctx);
}

/* RFC 3711 section 4.3.1 with key_derivation_rate 0: x = key_id XOR salt,
 * where key_id is the label followed by 48 zero bits, then AES-CM keystream
 * from x * 2^16. RFC 7714 section 11 pads the 96-bit GCM salt with zeros. */
static void
ref_kdf (const guint8 * master_key, const guint8 * master_salt,
    gsize salt_len, guint8 label, guint8 * out, gsize out_len)
{
  guint8 iv[AES_BLOCK] = { 0 };
  guint8 zeros[128] = { 0 };

  g_assert (out_len <= sizeof (zeros));
  memcpy (iv, master_salt, salt_len);
  iv[7] ^= label;
  ref_aes_ctr (master_key, iv, zeros, out, out_len);
}

static void
ref_derive (GstRtcSrtpProfile profile, const guint8 * key_salt, RefKeys * keys)
{
  gsize salt_len = gst_rtc_srtp_profile_get_salt_length (profile);
  const guint8 *salt = key_salt + 16;

  memset (keys, 0, sizeof (*keys));
  ref_kdf (key_salt, salt, salt_len, LABEL_RTP_KEY, keys->rtp_key, 16);
  ref_kdf (key_salt, salt, salt_len, LABEL_RTP_AUTH, keys->rtp_auth, 20);
  ref_kdf (key_salt, salt, salt_len, LABEL_RTP_SALT, keys->rtp_salt, salt_len);
  ref_kdf (key_salt, salt, salt_len, LABEL_RTCP_KEY, keys->rtcp_key, 16);
  ref_kdf (key_salt, salt, salt_len, LABEL_RTCP_AUTH, keys->rtcp_auth, 20);
  ref_kdf (key_salt, salt, salt_len, LABEL_RTCP_SALT, keys->rtcp_salt,
      salt_len);
}

static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

static void
write_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static gsize
ref_rtp_header_len (const guint8 * rtp)
{
  gsize len = 12 + 4 * (rtp[0] & 0x0f);

  if (rtp[0] & 0x10)
    len += 4 + 4 * ((rtp[len + 2] << 8) | rtp[len + 3]);
  return len;
}

/* RFC 3711 section 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR
 * (i * 2^16), with i the 48-bit packet index or the 31-bit SRTCP index. */
static void
ref_cm_iv (const guint8 * salt, guint32 ssrc, guint64 index, guint8 * iv)
{
  memset (iv, 0, AES_BLOCK);
  memcpy (iv, salt, 14);
  for (gint i = 0; i < 4; i++)
    iv[4 + i] ^= ssrc >> (24 - 8 * i);
  for (gint i = 0; i < 6; i++)
    iv[8 + i] ^= index >> (40 - 8 * i);
}

static void
ref_hmac_sha1_80 (const guint8 * auth_key, const guint8 * data, gsize len,
    guint8 * tag)
{
  guint8 full[20];
  size_t full_len = 0;

  fail_unless (EVP_Q_mac (NULL, "HMAC", NULL, "SHA1", NULL, auth_key, 20,
          data, len, full, sizeof (full), &full_len) != NULL);
  fail_unless_equals_int ((int) full_len, 20);
  memcpy (tag, full, CM_TAG_LEN);
}

static gsize
ref_cm_protect_rtp (const RefKeys * keys, guint32 roc, const guint8 * in,
    gsize len, guint8 * out)
{
  gsize header_len = ref_rtp_header_len (in);
  guint64 index = ((guint64) roc << 16) | ((in[2] << 8) | in[3]);
  guint8 iv[AES_BLOCK];
  guint8 *authenticated = g_malloc (len + 4);

  memcpy (out, in, header_len);
  ref_cm_iv (keys->rtp_salt, read_be32 (in + 8), index, iv);
  ref_aes_ctr (keys->rtp_key, iv, in + header_len, out + header_len,
      len - header_len);
  /* RFC 3711 section 4.2: the tag covers the packet and then the ROC. */
  memcpy (authenticated, out, len);
  write_be32 (authenticated + len, roc);
  ref_hmac_sha1_80 (keys->rtp_auth, authenticated, len + 4, out + len);
  g_free (authenticated);
  return len + CM_TAG_LEN;
}

static gsize
ref_cm_protect_rtcp (const RefKeys * keys, guint32 index, const guint8 * in,
    gsize len, guint8 * out)
{
  guint8 iv[AES_BLOCK];

  memcpy (out, in, 8);
  ref_cm_iv (keys->rtcp_salt, read_be32 (in + 4), index, iv);
  ref_aes_ctr (keys->rtcp_key, iv, in + 8, out + 8, len - 8);
  write_be32 (out + len, SRTCP_E_BIT | index);
  ref_hmac_sha1_80 (keys->rtcp_auth, out, len + 4, out + len + 4);
  return len + 4 + CM_TAG_LEN;
}

static void
ref_gcm_encrypt (const guint8 * key, const guint8 * iv, const guint8 * aad,
    gsize aad_len, const guint8 * in, gsize len, guint8 * out, guint8 * tag)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0;

  fail_unless (EVP_EncryptInit_ex (ctx, EVP_aes_128_gcm (), NULL, NULL,
          NULL));
  fail_unless (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL));
  fail_unless (EVP_EncryptInit_ex (ctx, NULL, NULL, key, iv));
  fail_unless (EVP_EncryptUpdate (ctx, NULL, &n, aad, (int) aad_len));
  if (len > 0)
    fail_unless (EVP_EncryptUpdate (ctx, out, &n, in, (int) len));
  fail_unless (EVP_EncryptFinal_ex (ctx, out + len, &n));
  fail_unless (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
          tag));
  EVP_CIPHER_CTX_free (ctx);
}

/* RFC 7714 section 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt. */
static gsize
ref_gcm_protect_rtp (const RefKeys * keys, guint32 roc, const guint8 * in,
    gsize len, guint8 * out)
{
  gsize header_len = ref_rtp_header_len (in);
  guint8 iv[12] = { 0 };

  memcpy (iv + 2, in + 8, 4);
  write_be32 (iv + 6, roc);
  iv[10] = in[2];
  iv[11] = in[3];
  for (gint i = 0; i < 12; i++)
    iv[i] ^= keys->rtp_salt[i];
  memcpy (out, in, header_len);
  ref_gcm_encrypt (keys->rtp_key, iv, in, header_len, in + header_len,
      len - header_len, out + header_len, out + len);
  return len + GCM_TAG_LEN;
}

/* RFC 7714 section 9: IV = (0x0000 || SSRC || 0x0000 || index) XOR salt,
 * AAD = header || E || index, and the tag comes before E || index. */
static gsize
ref_gcm_protect_rtcp (const RefKeys * keys, guint32 index, const guint8 * in,
    gsize len, guint8 * out)
{
  guint8 iv[12] = { 0 };
  guint8 aad[12];

  memcpy (iv + 2, in + 4, 4);
  write_be32 (iv + 8, index);
  for (gint i = 0; i < 12; i++)
    iv[i] ^= keys->rtcp_salt[i];
  memcpy (aad, in, 8);
  write_be32 (aad + 8, SRTCP_E_BIT | index);
  memcpy (out, in, 8);
  ref_gcm_encrypt (keys->rtcp_key, iv, aad, sizeof (aad), in + 8, len - 8,
      out + 8, out + len);
  write_be32 (out + len + GCM_TAG_LEN, SRTCP_E_BIT | index);
  return len + GCM_TAG_LEN + 4;
}

static gsize
ref_protect (GstRtcSrtpProfile profile, const RefKeys * keys, gboolean rtcp,
    guint32 roc_or_index, const guint8 * in, gsize len, guint8 * out)
{
  if (profile == GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80)
    return rtcp ? ref_cm_protect_rtcp (keys, roc_or_index, in, len, out) :
        ref_cm_protect_rtp (keys, roc_or_index, in, len, out);
  return rtcp ? ref_gcm_protect_rtcp (keys, roc_or_index, in, len, out) :
      ref_gcm_protect_rtp (keys, roc_or_index, in, len, out);
}

/* ------------------------------------------------------------ helpers */

static const GstRtcSrtpProfile profiles[] = {
  GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80,
  GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM,
};

static gsize
key_salt_len (GstRtcSrtpProfile profile)
{
  return gst_rtc_srtp_profile_get_key_length (profile) +
      gst_rtc_srtp_profile_get_salt_length (profile);
}

static void
fill_key (guint8 * key, gsize len, guint8 seed)
{
  for (gsize i = 0; i < len; i++)
    key[i] = seed + 7 * i;
}

/* Two sessions keyed against each other: what @a sends, @b receives. */
static void
make_pair (GstRtcSrtpProfile profile, GstRtcSrtpSession ** a,
    GstRtcSrtpSession ** b)
{
  guint8 key_ab[CM_KEY_SALT_LEN], key_ba[CM_KEY_SALT_LEN];
  gsize len = key_salt_len (profile);
  GError *error = NULL;

  fill_key (key_ab, len, 0x11);
  fill_key (key_ba, len, 0x5a);
  *a = gst_rtc_srtp_session_new ();
  *b = gst_rtc_srtp_session_new ();
  fail_unless (gst_rtc_srtp_session_set_keys (*a, profile, key_ab, len,
          key_ba, len, &error));
  g_assert_no_error (error);
  fail_unless (gst_rtc_srtp_session_set_keys (*b, profile, key_ba, len,
          key_ab, len, &error));
  g_assert_no_error (error);
}

static gsize
make_rtp (guint8 * out, guint16 seq, guint32 ssrc, gsize payload_len)
{
  out[0] = 0x80;
  out[1] = 96;
  out[2] = seq >> 8;
  out[3] = seq;
  write_be32 (out + 4, seq * 3000u);
  write_be32 (out + 8, ssrc);
  for (gsize i = 0; i < payload_len; i++)
    out[12 + i] = (seq + i) & 0xff;
  return 12 + payload_len;
}

/* A receiver report with one report block, and its SDES after it, as a
 * compound packet. */
static gsize
make_rtcp (guint8 * out, guint32 ssrc, guint8 fill)
{
  static const guint8 tail[] = {
    0x81, 0xca, 0x00, 0x03, 0, 0, 0, 0, 0x01, 0x02, 'g', 's', 0, 0, 0, 0,
  };

  out[0] = 0x81;
  out[1] = 201;
  out[2] = 0;
  out[3] = 7;
  write_be32 (out + 4, ssrc);
  memset (out + 8, fill, 24);
  memcpy (out + 32, tail, sizeof (tail));
  write_be32 (out + 36, ssrc);
  return 32 + sizeof (tail);
}

static guint64
get_stat (GstRtcSrtpSession * session, const gchar * field)
{
  GstStructure *stats = gst_rtc_srtp_session_get_stats (session);
  guint64 value = G_MAXUINT64;

  fail_unless (gst_structure_get_uint64 (stats, field, &value),
      "no %s in stats", field);
  gst_structure_free (stats);
  return value;
}

/* Protects a copy of @plain on @tx into @wire. */
static gsize
protect_copy (GstRtcSrtpSession * tx, gboolean rtcp, const guint8 * plain,
    gsize len, Packet * wire)
{
  gsize wire_len = len;

  memcpy (wire->data, plain, len);
  fail_unless_equals_int (gst_rtc_srtp_session_protect (tx, rtcp, wire->data,
          &wire_len, sizeof (wire->data)), GST_RTC_SRTP_STATUS_OK);
  return wire_len;
}

/* Unprotects a copy of @wire on @rx, leaving @wire as it was. */
static GstRtcSrtpStatus
unprotect_copy (GstRtcSrtpSession * rx, gboolean rtcp, const Packet * wire,
    gsize len, Packet * plain, gsize * plain_len)
{
  *plain_len = len;
  memcpy (plain->data, wire->data, len);
  return gst_rtc_srtp_session_unprotect (rx, rtcp, plain->data, plain_len);
}

/* ------------------------------------------------------------- tests */

GST_START_TEST (test_profile_helpers)
{
  fail_unless_equals_int (gst_rtc_srtp_profile_get_key_length
      (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80), 16);
  fail_unless_equals_int (gst_rtc_srtp_profile_get_salt_length
      (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80), 14);
  fail_unless_equals_int (gst_rtc_srtp_profile_get_key_length
      (GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM), 16);
  fail_unless_equals_int (gst_rtc_srtp_profile_get_salt_length
      (GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM), 12);
  fail_unless_equals_int (gst_rtc_srtp_profile_get_key_length
      (GST_RTC_SRTP_PROFILE_NONE), 0);
  fail_unless_equals_int (gst_rtc_srtp_profile_get_salt_length
      (GST_RTC_SRTP_PROFILE_NONE), 0);
  fail_unless_equals_string (gst_rtc_srtp_profile_to_string
      (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80), "SRTP_AES128_CM_SHA1_80");
  fail_unless_equals_string (gst_rtc_srtp_profile_to_string
      (GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM), "SRTP_AEAD_AES_128_GCM");
  fail_unless_equals_string (gst_rtc_srtp_profile_to_string
      (GST_RTC_SRTP_PROFILE_NONE), "none");
}

GST_END_TEST;

/* RFC 3711 appendix B.2: the whole 65282-block keystream segment of the
 * session key and salt, with SSRC, ROC and SEQ zero. */
GST_START_TEST (test_rfc3711_b2_keystream)
{
  guint8 key[16], salt[14], iv[AES_BLOCK];
  gsize segment_len = 1044512;
  guint8 *zeros = g_malloc0 (segment_len);
  guint8 *keystream = g_malloc (segment_len);

  hex_decode ("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof (key));
  hex_decode ("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof (salt));
  ref_cm_iv (salt, 0, 0, iv);
  assert_hex (iv, sizeof (iv), "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", "B.2 IV");

  ref_aes_ctr (key, iv, zeros, keystream, segment_len);
  assert_hex (keystream, 48, "E03EAD0935C95E80E166B16DD92B4EB4"
      "D23513162B02D0F72A43A2FE4A5F97AB" "41E95B3BB0A2E8DD477901E4FCA894C0",
      "B.2 keystream, blocks 0000..0002");
  assert_hex (keystream + 0xfeff * AES_BLOCK, 48,
      "EC8CDF7398607CB0F2D21675EA9EA1E4" "362B7C3C6773516318A077D7FC5073AE"
      "6A2CC3787889374FBEB4C81B17BA6C44", "B.2 keystream, blocks FEFF..FF01");
  fail_unless_equals_int (0xff02 * AES_BLOCK, (int) segment_len);

  g_free (zeros);
  g_free (keystream);
}

GST_END_TEST;

/* RFC 3711 appendix B.3. */
GST_START_TEST (test_rfc3711_b3_key_derivation)
{
  guint8 master[CM_KEY_SALT_LEN], out[94];

  hex_decode ("E1F97A0D3E018BE0D64FA32C06DE4139"
      "0EC675AD498AFEEBB6960B3AABE6", master, sizeof (master));

  ref_kdf (master, master + 16, 14, LABEL_RTP_KEY, out, 16);
  assert_hex (out, 16, "C61E7A93744F39EE10734AFE3FF7A087", "B.3 cipher key");
  ref_kdf (master, master + 16, 14, LABEL_RTP_SALT, out, 14);
  assert_hex (out, 14, "30CBBC08863D8C85D49DB34A9AE1", "B.3 cipher salt");
  ref_kdf (master, master + 16, 14, LABEL_RTP_AUTH, out, 94);
  assert_hex (out, 94,
      "CEBE321F6FF7716B6FD4AB49AF256A15" "6D38BAA48F0A0ACF3C34E2359E6CDBCE"
      "E049646C43D9327AD175578EF7227098" "6371C10C9A369AC2F94A8C5FBCDDDC25"
      "6D6E919A48B610EF17C2041E47403576" "6B68642C59BBFC2F34DB60DBDFB2",
      "B.3 auth key");
}

GST_END_TEST;

/* The known-answer packet of libsrtp's test driver (the B.3 master key,
 * SSRC 0xcafebabe, SEQ 0x1234), computed by the reference and then by the
 * session. */
GST_START_TEST (test_libsrtp_known_answer)
{
  static const gchar *expected_hex =
      "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402"
      "b78d6acc99ea179b8dbb";
  guint8 key[CM_KEY_SALT_LEN], plain[28], expected[38];
  Packet wire, back;
  RefKeys keys;
  GstRtcSrtpSession *session;
  GError *error = NULL;
  gsize len;

  hex_decode ("e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6",
      key, sizeof (key));
  hex_decode ("800f1234decafbadcafebabe", plain, sizeof (plain));
  memset (plain + 12, 0xab, 16);
  hex_decode (expected_hex, expected, sizeof (expected));

  ref_derive (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, key, &keys);
  len = ref_cm_protect_rtp (&keys, 0, plain, sizeof (plain), wire.data);
  assert_bytes (wire.data, len, expected, sizeof (expected),
      "reference on the libsrtp known-answer packet");

  /* Our session sends with @key, and receives with it too, so that it can
   * unprotect its own packet. */
  session = gst_rtc_srtp_session_new ();
  fail_unless (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, key, sizeof (key), key,
          sizeof (key), &error));
  g_assert_no_error (error);
  len = protect_copy (session, FALSE, plain, sizeof (plain), &wire);
  assert_bytes (wire.data, len, expected, sizeof (expected),
      "session on the libsrtp known-answer packet");
  fail_unless_equals_int (unprotect_copy (session, FALSE, &wire, len, &back,
          &len), GST_RTC_SRTP_STATUS_OK);
  assert_bytes (back.data, len, plain, sizeof (plain), "unprotected");
  g_object_unref (session);
}

GST_END_TEST;

/* RFC 7714 section 16.1.1 (SRTP) and 17.1 (SRTCP), AEAD_AES_128_GCM. The
 * RFC gives session keys, which libsrtp2 cannot take, so they check the
 * reference; the session is then checked against the reference keyed from
 * the same bytes used as master key and salt. */
static const gchar rfc7714_key[] = "000102030405060708090a0b0c0d0e0f";
static const gchar rfc7714_salt[] = "517569642070726f2071756f";
static const gchar rfc7714_rtp[] =
    "8040f17b8041f8d35501a0b2" "47616c6c696120657374206f6d6e6973"
    "20646976697361" "20696e207061727465732074726573";
static const gchar rfc7714_srtp[] =
    "8040f17b8041f8d35501a0b2" "f24de3a3fb34de6cacba861c9d7e4bca"
    "be633bd50d294e6f42a5f47a51c7d19b36de3adf8833" "899d7f27beb16a9152cf765ee4390cce";
static const gchar rfc7714_rtcp[] =
    "81c8000d4d617273" "4e5450314e545032525450200000042a0000e930"
    "4c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
static const gchar rfc7714_srtcp[] =
    "81c8000d4d617273" "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676"
    "a5f1730d6fda4ce09b4686303ded0bb9275b" "c84aa45896cf4d2fc5abf87245d9eade"
    "800005d4";

GST_START_TEST (test_rfc7714_vectors)
{
  guint8 plain[128], master[GCM_KEY_SALT_LEN];
  Packet wire, expected, back;
  gsize plain_len, len, expected_len;
  RefKeys keys = { {0} };
  GstRtcSrtpSession *session;
  GError *error = NULL;

  /* The reference, from the RFC's session key and salt. */
  hex_decode (rfc7714_key, keys.rtp_key, 16);
  hex_decode (rfc7714_salt, keys.rtp_salt, 12);
  memcpy (keys.rtcp_key, keys.rtp_key, 16);
  memcpy (keys.rtcp_salt, keys.rtp_salt, 12);

  plain_len = hex_decode (rfc7714_rtp, plain, sizeof (plain));
  len = ref_gcm_protect_rtp (&keys, 0, plain, plain_len, wire.data);
  assert_hex (wire.data, len, rfc7714_srtp, "RFC 7714 16.1.1 SRTP");

  plain_len = hex_decode (rfc7714_rtcp, plain, sizeof (plain));
  len = ref_gcm_protect_rtcp (&keys, 0x5d4, plain, plain_len, wire.data);
  assert_hex (wire.data, len, rfc7714_srtcp, "RFC 7714 17.1 SRTCP");

  /* The session, against the reference keyed through the KDF. */
  hex_decode (rfc7714_key, master, 16);
  hex_decode (rfc7714_salt, master + 16, 12);
  ref_derive (GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, master, &keys);
  session = gst_rtc_srtp_session_new ();
  fail_unless (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, master, sizeof (master),
          master, sizeof (master), &error));
  g_assert_no_error (error);

  plain_len = hex_decode (rfc7714_rtp, plain, sizeof (plain));
  expected_len = ref_gcm_protect_rtp (&keys, 0, plain, plain_len,
      expected.data);
  len = protect_copy (session, FALSE, plain, plain_len, &wire);
  assert_bytes (wire.data, len, expected.data, expected_len,
      "session SRTP of the RFC 7714 packet");
  fail_unless_equals_int (unprotect_copy (session, FALSE, &wire, len, &back,
          &len), GST_RTC_SRTP_STATUS_OK);
  assert_bytes (back.data, len, plain, plain_len, "unprotected RTP");

  /* libsrtp2 numbers SRTCP from 1. */
  plain_len = hex_decode (rfc7714_rtcp, plain, sizeof (plain));
  expected_len = ref_gcm_protect_rtcp (&keys, 1, plain, plain_len,
      expected.data);
  len = protect_copy (session, TRUE, plain, plain_len, &wire);
  assert_bytes (wire.data, len, expected.data, expected_len,
      "session SRTCP of the RFC 7714 packet");
  fail_unless_equals_int (unprotect_copy (session, TRUE, &wire, len, &back,
          &len), GST_RTC_SRTP_STATUS_OK);
  assert_bytes (back.data, len, plain, plain_len, "unprotected RTCP");

  g_object_unref (session);
}

GST_END_TEST;

/* Both profiles, RTP with CSRCs and a header extension, across a sequence
 * number wrap (so the ROC enters the IV and the tag), and compound RTCP:
 * the session's bytes equal the reference's. */
GST_START_TEST (test_session_matches_reference)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    GstRtcSrtpProfile profile = profiles[p];
    guint8 key[CM_KEY_SALT_LEN];
    gsize key_len = key_salt_len (profile);
    GstRtcSrtpSession *session = gst_rtc_srtp_session_new ();
    GError *error = NULL;
    RefKeys keys;

    fill_key (key, key_len, 0x33 + p);
    ref_derive (profile, key, &keys);
    fail_unless (gst_rtc_srtp_session_set_keys (session, profile, key,
            key_len, key, key_len, &error));
    g_assert_no_error (error);

    for (guint i = 0; i < 12; i++) {
      guint64 index = 65530 + i;
      guint8 plain[128];
      Packet wire, expected, back;
      gsize plain_len, len, expected_len;

      /* V=2, X=1, CC=1, then one CSRC and a one-word extension. */
      plain_len = make_rtp (plain, index & 0xffff, 0x01020304, 0);
      plain[0] = 0x91;
      write_be32 (plain + 12, 0x0a0b0c0d);
      write_be32 (plain + 16, 0xbede0001);
      write_be32 (plain + 20, 0x10ff0000);
      plain_len = 24;
      for (guint j = 0; j < 40 + i; j++)
        plain[plain_len++] = j * 13 + i;

      expected_len = ref_protect (profile, &keys, FALSE, index >> 16, plain,
          plain_len, expected.data);
      len = protect_copy (session, FALSE, plain, plain_len, &wire);
      assert_bytes (wire.data, len, expected.data, expected_len,
          gst_rtc_srtp_profile_to_string (profile));
      fail_unless_equals_int (unprotect_copy (session, FALSE, &wire, len,
              &back, &len), GST_RTC_SRTP_STATUS_OK);
      assert_bytes (back.data, len, plain, plain_len, "unprotected RTP");

      plain_len = make_rtcp (plain, 0x01020304, i);
      expected_len = ref_protect (profile, &keys, TRUE, i + 1, plain,
          plain_len, expected.data);
      len = protect_copy (session, TRUE, plain, plain_len, &wire);
      assert_bytes (wire.data, len, expected.data, expected_len,
          gst_rtc_srtp_profile_to_string (profile));
      fail_unless_equals_int (unprotect_copy (session, TRUE, &wire, len,
              &back, &len), GST_RTC_SRTP_STATUS_OK);
      assert_bytes (back.data, len, plain, plain_len, "unprotected RTCP");
    }
    g_object_unref (session);
  }
}

GST_END_TEST;

GST_START_TEST (test_round_trip)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    GstRtcSrtpSession *a, *b;
    guint n = 3000;

    make_pair (profiles[p], &a, &b);
    fail_unless_equals_int (gst_rtc_srtp_session_get_profile (a),
        profiles[p]);
    fail_unless (gst_rtc_srtp_session_has_keys (a));

    for (guint i = 0; i < n; i++) {
      /* Both ways at once: a -> b and b -> a, RTP and RTCP. */
      GstRtcSrtpSession *tx = (i & 1) ? a : b;
      GstRtcSrtpSession *rx = (i & 1) ? b : a;
      gboolean rtcp = (i % 3) == 0;
      guint8 plain[1300];
      Packet wire, back;
      gsize plain_len, len;

      if (rtcp)
        plain_len = make_rtcp (plain, 0xabc00000 + (i & 1), i);
      else
        plain_len = make_rtp (plain, i / 2, 0xabc00000 + (i & 1), i % 1200);
      len = protect_copy (tx, rtcp, plain, plain_len, &wire);
      fail_unless (len > plain_len);
      fail_unless (len - plain_len <= GST_RTC_SRTP_MAX_TRAILER_LEN);
      fail_unless_equals_int (unprotect_copy (rx, rtcp, &wire, len, &back,
              &len), GST_RTC_SRTP_STATUS_OK);
      assert_bytes (back.data, len, plain, plain_len, "round trip");
    }
    fail_unless_equals_uint64 (get_stat (a, "rtp-protected") + get_stat (b,
            "rtp-protected"), n - (n + 2) / 3);
    fail_unless_equals_uint64 (get_stat (a, "rtcp-protected") + get_stat (b,
            "rtcp-protected"), (n + 2) / 3);
    fail_unless_equals_uint64 (get_stat (a, "rtp-unprotected") + get_stat (b,
            "rtp-unprotected"), n - (n + 2) / 3);
    fail_unless_equals_uint64 (get_stat (a, "rtcp-unprotected") + get_stat (b,
            "rtcp-unprotected"), (n + 2) / 3);
    fail_unless_equals_uint64 (get_stat (b, "auth-failures"), 0);
    fail_unless_equals_uint64 (get_stat (b, "errors"), 0);
    g_object_unref (a);
    g_object_unref (b);
  }
}

GST_END_TEST;

/* A retransmission of the very same packet is protected again. */
GST_START_TEST (test_repeat_tx)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    GstRtcSrtpSession *a, *b;
    guint8 plain[200];
    Packet first, again;
    gsize plain_len, first_len, again_len;

    make_pair (profiles[p], &a, &b);
    plain_len = make_rtp (plain, 100, 0x1234, 150);
    first_len = protect_copy (a, FALSE, plain, plain_len, &first);
    again_len = protect_copy (a, FALSE, plain, plain_len, &again);
    assert_bytes (again.data, again_len, first.data, first_len,
        "retransmission");
    g_object_unref (a);
    g_object_unref (b);
  }
}

GST_END_TEST;

GST_START_TEST (test_replay_and_tamper)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    GstRtcSrtpSession *a, *b;
    guint8 plain[200];
    Packet wire, rtcp_wire, back;
    gsize plain_len, len, rtcp_len, back_len;

    make_pair (profiles[p], &a, &b);
    plain_len = make_rtp (plain, 7, 0x1234, 100);
    len = protect_copy (a, FALSE, plain, plain_len, &wire);
    plain_len = make_rtcp (plain, 0x1234, 9);
    rtcp_len = protect_copy (a, TRUE, plain, plain_len, &rtcp_wire);

    /* Tampering first: a forgery must not poison the replay window. */
    wire.data[20] ^= 0x01;
    fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
            &back_len), GST_RTC_SRTP_STATUS_AUTH_FAIL);
    wire.data[20] ^= 0x01;
    wire.data[len - 1] ^= 0x80;
    fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
            &back_len), GST_RTC_SRTP_STATUS_AUTH_FAIL);
    wire.data[len - 1] ^= 0x80;
    rtcp_wire.data[10] ^= 0x04;
    fail_unless_equals_int (unprotect_copy (b, TRUE, &rtcp_wire, rtcp_len,
            &back, &back_len), GST_RTC_SRTP_STATUS_AUTH_FAIL);
    rtcp_wire.data[10] ^= 0x04;
    fail_unless_equals_uint64 (get_stat (b, "auth-failures"), 3);

    fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
            &back_len), GST_RTC_SRTP_STATUS_OK);
    fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
            &back_len), GST_RTC_SRTP_STATUS_REPLAY);
    fail_unless_equals_uint64 (get_stat (b, "replays"), 1);

    fail_unless_equals_int (unprotect_copy (b, TRUE, &rtcp_wire, rtcp_len,
            &back, &back_len), GST_RTC_SRTP_STATUS_OK);
    fail_unless_equals_int (unprotect_copy (b, TRUE, &rtcp_wire, rtcp_len,
            &back, &back_len), GST_RTC_SRTP_STATUS_REPLAY);
    fail_unless_equals_uint64 (get_stat (b, "replays"), 2);
    fail_unless_equals_uint64 (get_stat (b, "rtp-unprotected"), 1);
    fail_unless_equals_uint64 (get_stat (b, "rtcp-unprotected"), 1);
    fail_unless_equals_uint64 (get_stat (b, "auth-failures"), 3);
    g_object_unref (a);
    g_object_unref (b);
  }
}

GST_END_TEST;

/* Sends 5001 packets, delivers the newest first, then one 1000 packets late
 * (accepted: the 4096 window) and one 5000 late (refused: too old). With
 * replay-window 128, libsrtp's own default, the late one is refused too. */
static void
check_late_packets (GstRtcSrtpProfile profile, guint replay_window,
    gboolean late_accepted)
{
  GstRtcSrtpSession *a, *b;
  Packet *wire = g_new (Packet, 3);
  gsize wire_len[3];
  static const guint16 kept[3] = { 5000, 4000, 0 };
  guint8 plain[200];
  Packet back;
  gsize len;
  guint k = 0;

  a = gst_rtc_srtp_session_new ();
  b = gst_rtc_srtp_session_new ();
  g_object_set (b, "replay-window", replay_window, NULL);
  {
    guint8 key_ab[CM_KEY_SALT_LEN], key_ba[CM_KEY_SALT_LEN];
    gsize key_len = key_salt_len (profile);

    fill_key (key_ab, key_len, 1);
    fill_key (key_ba, key_len, 2);
    fail_unless (gst_rtc_srtp_session_set_keys (a, profile, key_ab, key_len,
            key_ba, key_len, NULL));
    fail_unless (gst_rtc_srtp_session_set_keys (b, profile, key_ba, key_len,
            key_ab, key_len, NULL));
  }

  for (guint seq = 0; seq <= 5000; seq++) {
    Packet scratch;
    gsize plain_len = make_rtp (plain, seq, 0x77, 100);

    len = protect_copy (a, FALSE, plain, plain_len, &scratch);
    /* 5000 first, then 4000, then 0, in that order below. */
    for (guint i = 0; i < 3; i++) {
      if (kept[i] == seq) {
        wire[i] = scratch;
        wire_len[i] = len;
        k++;
      }
    }
  }
  fail_unless_equals_int (k, 3);

  fail_unless_equals_int (unprotect_copy (b, FALSE, &wire[0], wire_len[0],
          &back, &len), GST_RTC_SRTP_STATUS_OK);
  fail_unless_equals_int (unprotect_copy (b, FALSE, &wire[1], wire_len[1],
          &back, &len), late_accepted ? GST_RTC_SRTP_STATUS_OK :
      GST_RTC_SRTP_STATUS_REPLAY);
  fail_unless_equals_int (unprotect_copy (b, FALSE, &wire[2], wire_len[2],
          &back, &len), GST_RTC_SRTP_STATUS_REPLAY);
  fail_unless_equals_uint64 (get_stat (b, "replays"), late_accepted ? 1 : 2);

  g_free (wire);
  g_object_unref (a);
  g_object_unref (b);
}

GST_START_TEST (test_replay_window)
{
  GstRtcSrtpSession *session = gst_rtc_srtp_session_new ();
  guint window = 0;

  g_object_get (session, "replay-window", &window, NULL);
  fail_unless_equals_int (window, GST_RTC_SRTP_DEFAULT_REPLAY_WINDOW);
  g_object_unref (session);

  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    check_late_packets (profiles[p], GST_RTC_SRTP_DEFAULT_REPLAY_WINDOW, TRUE);
    check_late_packets (profiles[p], 128, FALSE);
  }
}

GST_END_TEST;

GST_START_TEST (test_truncated)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    for (gint rtcp = 0; rtcp <= 1; rtcp++) {
      gsize tag_len = profiles[p] == GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM ?
          GCM_TAG_LEN : CM_TAG_LEN;
      /* Shorter than header and tag: refused before libsrtp2 sees it. */
      gsize min_len = rtcp ? 8 + SRTCP_INDEX_LEN + tag_len : 12 + tag_len;
      GstRtcSrtpSession *a, *b;
      guint8 plain[200];
      Packet wire, back;
      gsize plain_len, len, back_len;

      make_pair (profiles[p], &a, &b);
      plain_len = rtcp ? make_rtcp (plain, 0x99, 1) :
          make_rtp (plain, 1, 0x99, 60);

      len = protect_copy (a, rtcp, plain, plain_len, &wire);
      for (gsize cut = 0; cut < len; cut++) {
        GstRtcSrtpStatus status = unprotect_copy (b, rtcp, &wire, cut, &back,
            &back_len);

        fail_if (status == GST_RTC_SRTP_STATUS_OK, "%s %s cut at %"
            G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " was accepted",
            gst_rtc_srtp_profile_to_string (profiles[p]),
            rtcp ? "SRTCP" : "SRTP", cut, len);
        if (cut < min_len)
          fail_unless_equals_int (status, GST_RTC_SRTP_STATUS_MALFORMED);
        fail_unless_equals_int (back_len, cut);
      }
      fail_unless_equals_uint64 (get_stat (b, "malformed"), min_len);
      /* The whole packet still goes through: no prefix was taken for it. */
      fail_unless_equals_int (unprotect_copy (b, rtcp, &wire, len, &back,
              &back_len), GST_RTC_SRTP_STATUS_OK);
      assert_bytes (back.data, back_len, plain, plain_len, "after cuts");
      g_object_unref (a);
      g_object_unref (b);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_malformed)
{
  GstRtcSrtpSession *a, *b;
  guint8 plain[200];
  Packet wire;
  gsize plain_len, len;
  guint64 expected = 0;

  make_pair (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, &a, &b);

  /* Too short to be RTP or RTCP: refused before libsrtp2 sees it. */
  plain_len = make_rtp (plain, 1, 0x42, 20);
  for (gsize cut = 0; cut < 12; cut++) {
    memcpy (wire.data, plain, plain_len);
    len = cut;
    fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE, wire.data,
            &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_MALFORMED);
    fail_unless_equals_int (len, cut);
    expected++;
  }
  for (gsize cut = 0; cut < 8; cut++) {
    len = cut;
    make_rtcp (wire.data, 0x42, 0);
    fail_unless_equals_int (gst_rtc_srtp_session_protect (a, TRUE, wire.data,
            &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_MALFORMED);
    expected++;
  }

  /* Version 1. */
  memcpy (wire.data, plain, plain_len);
  wire.data[0] = 0x40;
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE, wire.data,
          &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_MALFORMED);
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_unprotect (b, FALSE, wire.data,
          &len), GST_RTC_SRTP_STATUS_MALFORMED);
  expected += 2;

  /* Fifteen CSRCs announced in a 32-byte packet. */
  memcpy (wire.data, plain, plain_len);
  wire.data[0] = 0x8f;
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE, wire.data,
          &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_MALFORMED);
  expected++;

  /* A header extension longer than the packet. */
  memcpy (wire.data, plain, plain_len);
  wire.data[0] = 0x90;
  write_be32 (wire.data + 12, 0xbede00ff);
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE, wire.data,
          &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_MALFORMED);
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_unprotect (b, FALSE, wire.data,
          &len), GST_RTC_SRTP_STATUS_MALFORMED);
  expected += 2;

  fail_unless_equals_uint64 (get_stat (a, "malformed") + get_stat (b, "malformed"),
      expected);
  fail_unless_equals_uint64 (get_stat (a, "rtp-protected"), 0);
  g_object_unref (a);
  g_object_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_wrong_key_length)
{
  GstRtcSrtpSession *session = gst_rtc_srtp_session_new ();
  guint8 key[64] = { 0 };
  GError *error = NULL;

  fail_if (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, key, 29, key, 30, &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  fail_unless (strstr (error->message, "30") != NULL, "%s", error->message);
  fail_unless (strstr (error->message, "29") != NULL, "%s", error->message);
  g_clear_error (&error);

  fail_if (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, key, 30, key, 31, &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  fail_unless (strstr (error->message, "31") != NULL, "%s", error->message);
  g_clear_error (&error);

  /* The CM length is wrong for GCM. */
  fail_if (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, key, 30, key, 30, &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  fail_unless (strstr (error->message, "28") != NULL, "%s", error->message);
  g_clear_error (&error);

  fail_if (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_NONE, key, 0, key, 0, &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_NOT_SUPPORTED));
  g_clear_error (&error);

  fail_if (gst_rtc_srtp_session_has_keys (session));
  fail_unless_equals_int (gst_rtc_srtp_session_get_profile (session),
      GST_RTC_SRTP_PROFILE_NONE);
  g_object_unref (session);
}

GST_END_TEST;

GST_START_TEST (test_no_key)
{
  GstRtcSrtpSession *session = gst_rtc_srtp_session_new ();
  guint8 plain[200];
  Packet wire;
  gsize plain_len, len;

  fail_if (gst_rtc_srtp_session_has_keys (session));
  plain_len = make_rtp (plain, 1, 0x42, 20);
  memcpy (wire.data, plain, plain_len);
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_protect (session, FALSE,
          wire.data, &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_NO_KEY);
  fail_unless_equals_int (len, plain_len);
  assert_bytes (wire.data, len, plain, plain_len, "untouched");
  fail_unless_equals_int (gst_rtc_srtp_session_unprotect (session, FALSE,
          wire.data, &len), GST_RTC_SRTP_STATUS_NO_KEY);
  plain_len = make_rtcp (wire.data, 0x42, 1);
  len = plain_len;
  fail_unless_equals_int (gst_rtc_srtp_session_protect (session, TRUE,
          wire.data, &len, sizeof (wire.data)), GST_RTC_SRTP_STATUS_NO_KEY);
  fail_unless_equals_int (gst_rtc_srtp_session_unprotect (session, TRUE,
          wire.data, &len), GST_RTC_SRTP_STATUS_NO_KEY);
  g_object_unref (session);
}

GST_END_TEST;

GST_START_TEST (test_no_space)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    GstRtcSrtpSession *a, *b;
    guint8 plain[200];
    Packet wire;
    gsize plain_len, len;

    make_pair (profiles[p], &a, &b);
    plain_len = make_rtp (plain, 1, 0x42, 100);
    memcpy (wire.data, plain, plain_len);
    len = plain_len;
    fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE,
            wire.data, &len, plain_len + GST_RTC_SRTP_MAX_TRAILER_LEN - 1),
        GST_RTC_SRTP_STATUS_NO_SPACE);
    fail_unless_equals_int (len, plain_len);
    assert_bytes (wire.data, len, plain, plain_len, "untouched");
    fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE,
            wire.data, &len, plain_len - 1), GST_RTC_SRTP_STATUS_NO_SPACE);
    fail_unless_equals_int (gst_rtc_srtp_session_protect (a, FALSE,
            wire.data, &len, plain_len + GST_RTC_SRTP_MAX_TRAILER_LEN),
        GST_RTC_SRTP_STATUS_OK);
    fail_unless_equals_uint64 (get_stat (a, "errors"), 2);
    fail_unless_equals_uint64 (get_stat (a, "rtp-protected"), 1);
    g_object_unref (a);
    g_object_unref (b);
  }
}

GST_END_TEST;

GST_START_TEST (test_rekey)
{
  GstRtcSrtpSession *a, *b;
  guint8 plain[200], key1[CM_KEY_SALT_LEN], key2[CM_KEY_SALT_LEN];
  Packet old_wire, wire, back;
  gsize plain_len, old_len, len, back_len;

  make_pair (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, &a, &b);
  plain_len = make_rtp (plain, 10, 0x42, 100);
  len = protect_copy (a, FALSE, plain, plain_len, &wire);
  fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
          &back_len), GST_RTC_SRTP_STATUS_OK);
  plain_len = make_rtp (plain, 11, 0x42, 100);
  old_len = protect_copy (a, FALSE, plain, plain_len, &old_wire);

  /* Rekey to the other profile with new keys. */
  fill_key (key1, GCM_KEY_SALT_LEN, 0xc0);
  fill_key (key2, GCM_KEY_SALT_LEN, 0xd0);
  fail_unless (gst_rtc_srtp_session_set_keys (a,
          GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, key1, GCM_KEY_SALT_LEN,
          key2, GCM_KEY_SALT_LEN, NULL));
  fail_unless (gst_rtc_srtp_session_set_keys (b,
          GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, key2, GCM_KEY_SALT_LEN,
          key1, GCM_KEY_SALT_LEN, NULL));
  fail_unless_equals_int (gst_rtc_srtp_session_get_profile (a),
      GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM);

  /* A packet of the old keys no longer authenticates. */
  fail_unless_equals_int (unprotect_copy (b, FALSE, &old_wire, old_len, &back,
          &back_len), GST_RTC_SRTP_STATUS_AUTH_FAIL);

  for (guint i = 0; i < 50; i++) {
    plain_len = make_rtp (plain, 12 + i, 0x42, 100);
    len = protect_copy (a, FALSE, plain, plain_len, &wire);
    fail_unless_equals_int (len, plain_len + GCM_TAG_LEN);
    fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
            &back_len), GST_RTC_SRTP_STATUS_OK);
    assert_bytes (back.data, back_len, plain, plain_len, "after rekey");
  }

  /* Same profile, same keys again: state starts afresh, so even the
   * sequence numbers already seen are accepted. */
  fail_unless (gst_rtc_srtp_session_set_keys (b,
          GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, key2, GCM_KEY_SALT_LEN,
          key1, GCM_KEY_SALT_LEN, NULL));
  fail_unless_equals_int (unprotect_copy (b, FALSE, &wire, len, &back,
          &back_len), GST_RTC_SRTP_STATUS_OK);

  fail_unless_equals_uint64 (get_stat (b, "rtp-unprotected"), 52);
  g_object_unref (a);
  g_object_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_protect_buffer)
{
  for (guint p = 0; p < G_N_ELEMENTS (profiles); p++) {
    GstRtcSrtpSession *a, *b;
    GstRtcSrtpStatus status = GST_RTC_SRTP_STATUS_ERROR;
    guint8 plain[300];
    gsize plain_len, len;
    GstBuffer *in, *out;
    GstMapInfo map;
    Packet back;
    gpointer tail;

    make_pair (profiles[p], &a, &b);
    plain_len = make_rtp (plain, 5, 0x42, 200);
    /* Two memories, so that the copy has to gather them. */
    tail = g_memdup2 (plain + 100, plain_len - 100);
    in = gst_buffer_new_memdup (plain, 100);
    gst_buffer_append_memory (in, gst_memory_new_wrapped (0, tail,
            plain_len - 100, 0, plain_len - 100, tail, g_free));
    GST_BUFFER_PTS (in) = 42 * GST_MSECOND;
    GST_BUFFER_DTS (in) = 41 * GST_MSECOND;
    GST_BUFFER_DURATION (in) = 20 * GST_MSECOND;
    GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);

    out = gst_rtc_srtp_session_protect_buffer (a, FALSE, in, &status);
    fail_unless_equals_int (status, GST_RTC_SRTP_STATUS_OK);
    fail_unless (out != NULL);
    fail_unless (out != in);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 42 * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DTS (out), 41 * GST_MSECOND);
    fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), 20 * GST_MSECOND);
    fail_unless (GST_BUFFER_FLAG_IS_SET (out, GST_BUFFER_FLAG_DISCONT));
    fail_unless_equals_int (gst_buffer_get_size (out), plain_len +
        (profiles[p] == GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM ?
            GCM_TAG_LEN : CM_TAG_LEN));
    /* The input is left alone. */
    fail_unless_equals_int (gst_buffer_get_size (in), plain_len);
    fail_unless_equals_int (gst_buffer_memcmp (in, 0, plain, plain_len), 0);

    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    memcpy (back.data, map.data, map.size);
    len = map.size;
    gst_buffer_unmap (out, &map);
    fail_unless_equals_int (gst_rtc_srtp_session_unprotect (b, FALSE,
            back.data, &len), GST_RTC_SRTP_STATUS_OK);
    assert_bytes (back.data, len, plain, plain_len, "buffer round trip");
    gst_buffer_unref (out);
    gst_buffer_unref (in);

    /* A failure gives NULL and says why. */
    in = gst_buffer_new_memdup (plain, 5);
    out = gst_rtc_srtp_session_protect_buffer (a, FALSE, in, &status);
    fail_unless (out == NULL);
    fail_unless_equals_int (status, GST_RTC_SRTP_STATUS_MALFORMED);
    out = gst_rtc_srtp_session_protect_buffer (a, FALSE, in, NULL);
    fail_unless (out == NULL);
    gst_buffer_unref (in);

    g_object_unref (a);
    g_object_unref (b);
  }
}

GST_END_TEST;

GST_START_TEST (test_stats)
{
  GstRtcSrtpSession *session = gst_rtc_srtp_session_new ();
  static const gchar *fields[] = { "rtp-protected", "rtcp-protected",
    "rtp-unprotected", "rtcp-unprotected", "auth-failures", "replays",
    "malformed", "errors"
  };
  GstStructure *stats;
  guint8 key[CM_KEY_SALT_LEN] = { 0 };

  stats = gst_rtc_srtp_session_get_stats (session);
  fail_unless (gst_structure_has_name (stats, "application/x-rtc-srtp-stats"));
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
    guint64 value = 1;

    fail_unless (gst_structure_get_uint64 (stats, fields[i], &value),
        "%s missing", fields[i]);
    fail_unless_equals_uint64 (value, 0);
  }
  fail_unless_equals_string (gst_structure_get_string (stats, "profile"),
      "none");
  gst_structure_free (stats);

  fail_unless (gst_rtc_srtp_session_set_keys (session,
          GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, key, sizeof (key), key,
          sizeof (key), NULL));
  g_object_get (session, "stats", &stats, NULL);
  fail_unless_equals_string (gst_structure_get_string (stats, "profile"),
      "SRTP_AES128_CM_SHA1_80");
  gst_structure_free (stats);
  g_object_unref (session);
}

GST_END_TEST;

/* RTP and RTCP protected from two threads while a third unprotects what
 * the other session sends: the locks keep libsrtp2 consistent. */
typedef struct
{
  GstRtcSrtpSession *session;
  gboolean rtcp;
  guint32 ssrc;
  guint count;
  guint failures;
} ThreadJob;

static gpointer
protect_thread (gpointer user_data)
{
  ThreadJob *job = user_data;

  for (guint i = 0; i < job->count; i++) {
    guint8 plain[600];
    Packet wire;
    gsize len;

    len = job->rtcp ? make_rtcp (plain, job->ssrc, i) :
        make_rtp (plain, i, job->ssrc, 500);
    memcpy (wire.data, plain, len);
    if (gst_rtc_srtp_session_protect (job->session, job->rtcp, wire.data,
            &len, sizeof (wire.data)) != GST_RTC_SRTP_STATUS_OK)
      job->failures++;
  }
  return NULL;
}

static gpointer
unprotect_thread (gpointer user_data)
{
  ThreadJob *job = user_data;
  GstRtcSrtpSession *peer = gst_rtc_srtp_session_new ();
  guint8 key[CM_KEY_SALT_LEN];
  Packet wire;

  /* @peer sends with the key @job->session receives with. */
  fill_key (key, CM_KEY_SALT_LEN, 0x5a);
  gst_rtc_srtp_session_set_keys (peer, GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80,
      key, CM_KEY_SALT_LEN, key, CM_KEY_SALT_LEN, NULL);
  for (guint i = 0; i < job->count; i++) {
    guint8 plain[600];
    gsize plain_len = make_rtp (plain, i, job->ssrc, 500), len;

    len = protect_copy (peer, FALSE, plain, plain_len, &wire);
    if (gst_rtc_srtp_session_unprotect (job->session, FALSE, wire.data,
            &len) != GST_RTC_SRTP_STATUS_OK || len != plain_len)
      job->failures++;
  }
  g_object_unref (peer);
  return NULL;
}

GST_START_TEST (test_threads)
{
  ThreadJob jobs[] = {
    {NULL, FALSE, 1, 4000, 0},
    {NULL, TRUE, 1, 4000, 0},
    {NULL, FALSE, 2, 4000, 0},
  };
  GThreadFunc funcs[] = { protect_thread, protect_thread, unprotect_thread };
  GThread *threads[G_N_ELEMENTS (jobs)];
  GstRtcSrtpSession *a, *b;

  make_pair (GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, &a, &b);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++) {
    jobs[i].session = a;
    threads[i] = g_thread_new ("srtp-test", funcs[i], &jobs[i]);
  }
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++) {
    g_thread_join (threads[i]);
    fail_unless_equals_int (jobs[i].failures, 0);
  }
  fail_unless_equals_uint64 (get_stat (a, "rtp-protected"), 4000);
  fail_unless_equals_uint64 (get_stat (a, "rtcp-protected"), 4000);
  fail_unless_equals_uint64 (get_stat (a, "rtp-unprotected"), 4000);
  g_object_unref (a);
  g_object_unref (b);
}

GST_END_TEST;

static Suite *
rtcsrtp_suite (void)
{
  Suite *s = suite_create ("rtcsrtp");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_profile_helpers);
  tcase_add_test (tc, test_rfc3711_b2_keystream);
  tcase_add_test (tc, test_rfc3711_b3_key_derivation);
  tcase_add_test (tc, test_libsrtp_known_answer);
  tcase_add_test (tc, test_rfc7714_vectors);
  tcase_add_test (tc, test_session_matches_reference);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_repeat_tx);
  tcase_add_test (tc, test_replay_and_tamper);
  tcase_add_test (tc, test_replay_window);
  tcase_add_test (tc, test_truncated);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_wrong_key_length);
  tcase_add_test (tc, test_no_key);
  tcase_add_test (tc, test_no_space);
  tcase_add_test (tc, test_rekey);
  tcase_add_test (tc, test_protect_buffer);
  tcase_add_test (tc, test_stats);
  tcase_add_test (tc, test_threads);
  return s;
}

GST_CHECK_MAIN (rtcsrtp);
