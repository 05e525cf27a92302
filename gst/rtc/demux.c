/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcdemux
 * @title: First-byte demultiplexing
 * @short_description: tell STUN, DTLS, TURN, RTP and RTCP apart (RFC 7983)
 *
 * All of WebRTC shares one 5-tuple. RFC 7983 tells the protocols apart by the
 * first byte of each datagram; RFC 5761 tells RTCP from RTP by the second.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "demux.h"

/* Smallest well-formed datagram of each kind: a STUN header, a DTLS record
 * header, a ChannelData header, an RTP fixed header, an RTCP header. */
#define STUN_HEADER_LEN 20
#define DTLS_RECORD_HEADER_LEN 13
#define CHANNEL_DATA_HEADER_LEN 4
#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 4

/**
 * gst_rtc_demux_classify:
 * @data: (array length=len) (nullable): a datagram
 * @len: its length
 *
 * Classifies a datagram by its first bytes. A datagram shorter than the
 * smallest message of its kind is %GST_RTC_PACKET_KIND_UNKNOWN.
 *
 * Returns: what the datagram carries
 */
GstRtcPacketKind
gst_rtc_demux_classify (const guint8 * data, gsize len)
{
  guint8 first;

  if (data == NULL || len == 0)
    return GST_RTC_PACKET_KIND_UNKNOWN;

  first = data[0];
  if (first <= 3)
    return len >= STUN_HEADER_LEN ? GST_RTC_PACKET_KIND_STUN :
        GST_RTC_PACKET_KIND_UNKNOWN;
  if (first >= 20 && first <= 63)
    return len >= DTLS_RECORD_HEADER_LEN ? GST_RTC_PACKET_KIND_DTLS :
        GST_RTC_PACKET_KIND_UNKNOWN;
  if (first >= 64 && first <= 79)
    return len >= CHANNEL_DATA_HEADER_LEN ? GST_RTC_PACKET_KIND_TURN_CHANNEL :
        GST_RTC_PACKET_KIND_UNKNOWN;
  if (first >= 128 && first <= 191) {
    guint8 packet_type;

    if (len < 2)
      return GST_RTC_PACKET_KIND_UNKNOWN;
    /* RFC 5761 section 4: RTCP packet types 192..223 are not used as RTP
     * payload types (with the marker bit, they would be 64..95). */
    packet_type = data[1];
    if (packet_type >= 192 && packet_type <= 223)
      return len >= RTCP_HEADER_LEN ? GST_RTC_PACKET_KIND_RTCP :
          GST_RTC_PACKET_KIND_UNKNOWN;
    return len >= RTP_HEADER_LEN ? GST_RTC_PACKET_KIND_RTP :
        GST_RTC_PACKET_KIND_UNKNOWN;
  }
  return GST_RTC_PACKET_KIND_UNKNOWN;
}

/**
 * gst_rtc_packet_kind_to_string:
 * @kind: a packet kind
 *
 * Names a packet kind.
 *
 * Returns: a short name for @kind, for logs
 */
const gchar *
gst_rtc_packet_kind_to_string (GstRtcPacketKind kind)
{
  switch (kind) {
    case GST_RTC_PACKET_KIND_STUN:
      return "stun";
    case GST_RTC_PACKET_KIND_DTLS:
      return "dtls";
    case GST_RTC_PACKET_KIND_TURN_CHANNEL:
      return "turn-channel";
    case GST_RTC_PACKET_KIND_RTP:
      return "rtp";
    case GST_RTC_PACKET_KIND_RTCP:
      return "rtcp";
    case GST_RTC_PACKET_KIND_UNKNOWN:
    default:
      return "unknown";
  }
}
