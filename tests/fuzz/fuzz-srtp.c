/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary datagrams to GstRtcSrtpSession: SRTP and SRTCP unprotect
 * under both profiles, and protect of the input taken as RTP and as RTCP.
 * The keys are fixed so that the seed corpus (made with the same keys)
 * carries packets that authenticate and reach the deeper paths. */
#include <gst/rtc/rtc.h>

#include <stdint.h>
#include <string.h>

/* Keys of the seed corpus: key || salt, the same both ways. */
static const guint8 cm_key[30] = {
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
  0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
};

static const guint8 gcm_key[28] = {
  0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
  0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34,
  0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
};

/* Every new SSRC that is protected adds a stream to libsrtp2's list, so the
 * sessions are rekeyed now and then to keep a long run flat. */
#define REKEY_EVERY 512
#define MAX_DATAGRAM 65536

static GstRtcSrtpSession *sessions[2];
static guint64 runs;

static void
key_sessions (void)
{
  gst_rtc_srtp_session_set_keys (sessions[0],
      GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80, cm_key, sizeof (cm_key), cm_key,
      sizeof (cm_key), NULL);
  gst_rtc_srtp_session_set_keys (sessions[1],
      GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM, gcm_key, sizeof (gcm_key),
      gcm_key, sizeof (gcm_key), NULL);
}

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  /* Word storage: libsrtp2 reads packets by 32-bit words. */
  static guint64 storage[(MAX_DATAGRAM + GST_RTC_SRTP_MAX_TRAILER_LEN) / 8 + 1];
  guint8 *packet = (guint8 *) storage;

  if (sessions[0] == NULL) {
    /* Quiet: dropped packets are logged at WARNING, which is every input. */
    g_setenv ("GST_DEBUG", "*:1", FALSE);
    sessions[0] = gst_rtc_srtp_session_new ();
    sessions[1] = gst_rtc_srtp_session_new ();
    key_sessions ();
  }
  if (++runs % REKEY_EVERY == 0)
    key_sessions ();
  if (size > MAX_DATAGRAM)
    return 0;

  for (guint s = 0; s < G_N_ELEMENTS (sessions); s++) {
    for (gint rtcp = 0; rtcp <= 1; rtcp++) {
      gsize len = size;

      if (size > 0)
        memcpy (packet, data, size);
      gst_rtc_srtp_session_unprotect (sessions[s], rtcp, packet, &len);
      g_assert (len <= size);

      len = size;
      if (size > 0)
        memcpy (packet, data, size);
      if (gst_rtc_srtp_session_protect (sessions[s], rtcp, packet, &len,
              size + GST_RTC_SRTP_MAX_TRAILER_LEN) == GST_RTC_SRTP_STATUS_OK)
        g_assert (len > size && len <= size + GST_RTC_SRTP_MAX_TRAILER_LEN);
      else
        g_assert (len == size);
    }
  }
  return 0;
}
