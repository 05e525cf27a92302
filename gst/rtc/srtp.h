/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>

G_BEGIN_DECLS

/**
 * GST_RTC_SRTP_MAX_TRAILER_LEN:
 *
 * The most bytes that protecting one RTP or RTCP packet adds, for every
 * supported profile (a GCM tag plus the SRTCP index, with room to spare).
 */
#define GST_RTC_SRTP_MAX_TRAILER_LEN 32

/**
 * GST_RTC_SRTP_DEFAULT_REPLAY_WINDOW:
 *
 * The default replay window, in packets. libsrtp's own default of 128 drops
 * legitimate retransmissions that arrive late at video packet rates.
 */
#define GST_RTC_SRTP_DEFAULT_REPLAY_WINDOW 4096

#define GST_RTC_TYPE_SRTP_SESSION (gst_rtc_srtp_session_get_type ())
GST_RTC_API
G_DECLARE_FINAL_TYPE (GstRtcSrtpSession, gst_rtc_srtp_session, GST_RTC,
    SRTP_SESSION, GObject)

GST_RTC_API
gsize gst_rtc_srtp_profile_get_key_length (GstRtcSrtpProfile profile);

GST_RTC_API
gsize gst_rtc_srtp_profile_get_salt_length (GstRtcSrtpProfile profile);

GST_RTC_API
const gchar * gst_rtc_srtp_profile_to_string (GstRtcSrtpProfile profile);

GST_RTC_API
GstRtcSrtpSession * gst_rtc_srtp_session_new (void);

GST_RTC_API
gboolean gst_rtc_srtp_session_set_keys (GstRtcSrtpSession * session,
    GstRtcSrtpProfile profile,
    const guint8 * tx_key_salt, gsize tx_len,
    const guint8 * rx_key_salt, gsize rx_len,
    GError ** error);

GST_RTC_API
gboolean gst_rtc_srtp_session_has_keys (GstRtcSrtpSession * session);

GST_RTC_API
GstRtcSrtpProfile gst_rtc_srtp_session_get_profile (GstRtcSrtpSession * session);

GST_RTC_API
GstRtcSrtpStatus gst_rtc_srtp_session_protect (GstRtcSrtpSession * session,
    gboolean rtcp, guint8 * data, gsize * len, gsize capacity);

GST_RTC_API
GstRtcSrtpStatus gst_rtc_srtp_session_unprotect (GstRtcSrtpSession * session,
    gboolean rtcp, guint8 * data, gsize * len);

GST_RTC_API
GstBuffer * gst_rtc_srtp_session_protect_buffer (GstRtcSrtpSession * session,
    gboolean rtcp, GstBuffer * buffer, GstRtcSrtpStatus * status);

GST_RTC_API
GstStructure * gst_rtc_srtp_session_get_stats (GstRtcSrtpSession * session);

G_END_DECLS
