/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>

G_BEGIN_DECLS

/**
 * GST_RTC_ERROR:
 *
 * The error domain of gst-rtc. Codes are named after the W3C RTCError
 * detail types and the DOMExceptions the W3C API throws.
 */
#define GST_RTC_ERROR gst_rtc_error_quark ()

GST_RTC_API
GQuark gst_rtc_error_quark (void);

/**
 * GstRtcError:
 * @GST_RTC_ERROR_SDP_SYNTAX_ERROR: a session description could not be parsed
 * @GST_RTC_ERROR_DTLS_FAILURE: the DTLS handshake or a DTLS record failed
 * @GST_RTC_ERROR_FINGERPRINT_FAILURE: the peer certificate does not match the
 *   fingerprint signalled for it
 * @GST_RTC_ERROR_SRTP_FAILURE: SRTP keying or a libsrtp2 call failed
 * @GST_RTC_ERROR_ICE_FAILURE: ICE could not set up or keep a path
 * @GST_RTC_ERROR_INVALID_STATE: the operation is not allowed in the current state
 * @GST_RTC_ERROR_INVALID_MODIFICATION: a description changes what may not change
 * @GST_RTC_ERROR_INVALID_ACCESS: an argument is well formed but not acceptable
 * @GST_RTC_ERROR_TYPE_ERROR: an argument is malformed (a URI, a candidate, ...)
 * @GST_RTC_ERROR_NOT_SUPPORTED: the request is understood but not supported
 * @GST_RTC_ERROR_OPERATION_ERROR: the operation failed for another reason
 * @GST_RTC_ERROR_INTERNAL_FAILURE: a library below us failed unexpectedly
 *
 * Errors reported in the %GST_RTC_ERROR domain.
 */
typedef enum
{
  GST_RTC_ERROR_SDP_SYNTAX_ERROR,
  GST_RTC_ERROR_DTLS_FAILURE,
  GST_RTC_ERROR_FINGERPRINT_FAILURE,
  GST_RTC_ERROR_SRTP_FAILURE,
  GST_RTC_ERROR_ICE_FAILURE,
  GST_RTC_ERROR_INVALID_STATE,
  GST_RTC_ERROR_INVALID_MODIFICATION,
  GST_RTC_ERROR_INVALID_ACCESS,
  GST_RTC_ERROR_TYPE_ERROR,
  GST_RTC_ERROR_NOT_SUPPORTED,
  GST_RTC_ERROR_OPERATION_ERROR,
  GST_RTC_ERROR_INTERNAL_FAILURE,
} GstRtcError;

/**
 * GstRtcPacketKind:
 * @GST_RTC_PACKET_KIND_UNKNOWN: none of the below, or too short to tell
 * @GST_RTC_PACKET_KIND_STUN: a STUN message (first byte 0..3)
 * @GST_RTC_PACKET_KIND_DTLS: a DTLS record (first byte 20..63)
 * @GST_RTC_PACKET_KIND_TURN_CHANNEL: TURN ChannelData (first byte 64..79)
 * @GST_RTC_PACKET_KIND_RTP: an RTP packet (first byte 128..191)
 * @GST_RTC_PACKET_KIND_RTCP: an RTCP packet (first byte 128..191, packet
 *   type 192..223)
 *
 * What a datagram on a WebRTC 5-tuple carries, per RFC 7983 and RFC 5761.
 */
typedef enum
{
  GST_RTC_PACKET_KIND_UNKNOWN,
  GST_RTC_PACKET_KIND_STUN,
  GST_RTC_PACKET_KIND_DTLS,
  GST_RTC_PACKET_KIND_TURN_CHANNEL,
  GST_RTC_PACKET_KIND_RTP,
  GST_RTC_PACKET_KIND_RTCP,
} GstRtcPacketKind;

/**
 * GstRtcIceState:
 * @GST_RTC_ICE_STATE_NEW: nothing started
 * @GST_RTC_ICE_STATE_CHECKING: connectivity checks are running
 * @GST_RTC_ICE_STATE_CONNECTED: a working pair was found
 * @GST_RTC_ICE_STATE_COMPLETED: checks finished with a nominated pair
 * @GST_RTC_ICE_STATE_FAILED: no pair works, or the peer went silent
 * @GST_RTC_ICE_STATE_DISCONNECTED: the selected pair stopped working
 * @GST_RTC_ICE_STATE_CLOSED: the stream was closed
 *
 * The W3C RTCIceTransportState values.
 */
typedef enum
{
  GST_RTC_ICE_STATE_NEW,
  GST_RTC_ICE_STATE_CHECKING,
  GST_RTC_ICE_STATE_CONNECTED,
  GST_RTC_ICE_STATE_COMPLETED,
  GST_RTC_ICE_STATE_FAILED,
  GST_RTC_ICE_STATE_DISCONNECTED,
  GST_RTC_ICE_STATE_CLOSED,
} GstRtcIceState;

/**
 * GstRtcIceGatheringState:
 * @GST_RTC_ICE_GATHERING_STATE_NEW: gathering has not started
 * @GST_RTC_ICE_GATHERING_STATE_GATHERING: candidates are being gathered
 * @GST_RTC_ICE_GATHERING_STATE_COMPLETE: gathering is done
 *
 * The W3C RTCIceGathererState values.
 */
typedef enum
{
  GST_RTC_ICE_GATHERING_STATE_NEW,
  GST_RTC_ICE_GATHERING_STATE_GATHERING,
  GST_RTC_ICE_GATHERING_STATE_COMPLETE,
} GstRtcIceGatheringState;

/**
 * GstRtcIceCandidateType:
 * @GST_RTC_ICE_CANDIDATE_TYPE_HOST: an address of a local interface
 * @GST_RTC_ICE_CANDIDATE_TYPE_SRFLX: a NAT mapping learnt through STUN
 * @GST_RTC_ICE_CANDIDATE_TYPE_PRFLX: an address learnt from a connectivity check
 * @GST_RTC_ICE_CANDIDATE_TYPE_RELAY: an address allocated on a TURN server
 *
 * ICE candidate types (RFC 8445).
 */
typedef enum
{
  GST_RTC_ICE_CANDIDATE_TYPE_HOST,
  GST_RTC_ICE_CANDIDATE_TYPE_SRFLX,
  GST_RTC_ICE_CANDIDATE_TYPE_PRFLX,
  GST_RTC_ICE_CANDIDATE_TYPE_RELAY,
} GstRtcIceCandidateType;

/**
 * GstRtcIceProtocol:
 * @GST_RTC_ICE_PROTOCOL_UDP: UDP
 * @GST_RTC_ICE_PROTOCOL_TCP: TCP (RFC 6544)
 *
 * The transport protocol of a candidate.
 */
typedef enum
{
  GST_RTC_ICE_PROTOCOL_UDP,
  GST_RTC_ICE_PROTOCOL_TCP,
} GstRtcIceProtocol;

/**
 * GstRtcIceTcpType:
 * @GST_RTC_ICE_TCP_TYPE_NONE: not a TCP candidate
 * @GST_RTC_ICE_TCP_TYPE_ACTIVE: opens connections
 * @GST_RTC_ICE_TCP_TYPE_PASSIVE: accepts connections
 * @GST_RTC_ICE_TCP_TYPE_SO: simultaneous open
 *
 * The tcptype of a TCP candidate (RFC 6544).
 */
typedef enum
{
  GST_RTC_ICE_TCP_TYPE_NONE,
  GST_RTC_ICE_TCP_TYPE_ACTIVE,
  GST_RTC_ICE_TCP_TYPE_PASSIVE,
  GST_RTC_ICE_TCP_TYPE_SO,
} GstRtcIceTcpType;

/**
 * GstRtcIceTransportPolicy:
 * @GST_RTC_ICE_TRANSPORT_POLICY_ALL: use every candidate type
 * @GST_RTC_ICE_TRANSPORT_POLICY_RELAY: use TURN-relayed candidates only
 *
 * The W3C RTCIceTransportPolicy values.
 */
typedef enum
{
  GST_RTC_ICE_TRANSPORT_POLICY_ALL,
  GST_RTC_ICE_TRANSPORT_POLICY_RELAY,
} GstRtcIceTransportPolicy;

/**
 * GstRtcDtlsRole:
 * @GST_RTC_DTLS_ROLE_CLIENT: sends the ClientHello (`a=setup:active`)
 * @GST_RTC_DTLS_ROLE_SERVER: waits for the ClientHello (`a=setup:passive`)
 *
 * The DTLS role of one end of a connection.
 */
typedef enum
{
  GST_RTC_DTLS_ROLE_CLIENT,
  GST_RTC_DTLS_ROLE_SERVER,
} GstRtcDtlsRole;

/**
 * GstRtcDtlsState:
 * @GST_RTC_DTLS_STATE_NEW: not started
 * @GST_RTC_DTLS_STATE_CONNECTING: the handshake is running
 * @GST_RTC_DTLS_STATE_PENDING_FINGERPRINT: the handshake finished but the
 *   remote fingerprint is not known yet: keys are withheld
 * @GST_RTC_DTLS_STATE_CONNECTED: the handshake finished and the peer
 *   certificate matched the expected fingerprint: keys may be exported
 * @GST_RTC_DTLS_STATE_FAILED: the handshake or the fingerprint check failed
 * @GST_RTC_DTLS_STATE_CLOSED: close_notify was sent or received
 *
 * The W3C RTCDtlsTransportState values, plus the state in which the
 * handshake is done but the peer is not yet authenticated.
 */
typedef enum
{
  GST_RTC_DTLS_STATE_NEW,
  GST_RTC_DTLS_STATE_CONNECTING,
  GST_RTC_DTLS_STATE_PENDING_FINGERPRINT,
  GST_RTC_DTLS_STATE_CONNECTED,
  GST_RTC_DTLS_STATE_FAILED,
  GST_RTC_DTLS_STATE_CLOSED,
} GstRtcDtlsState;

/**
 * GstRtcSrtpProfile:
 * @GST_RTC_SRTP_PROFILE_NONE: no profile
 * @GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80: SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764)
 * @GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM: SRTP_AEAD_AES_128_GCM (RFC 7714)
 *
 * The DTLS-SRTP protection profiles; the values are the IANA code points.
 */
typedef enum
{
  GST_RTC_SRTP_PROFILE_NONE = 0,
  GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80 = 1,
  GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM = 7,
} GstRtcSrtpProfile;

/**
 * GstRtcSrtpStatus:
 * @GST_RTC_SRTP_STATUS_OK: the packet was protected or unprotected
 * @GST_RTC_SRTP_STATUS_NO_KEY: no keys are set yet
 * @GST_RTC_SRTP_STATUS_MALFORMED: too short or not RTP/RTCP
 * @GST_RTC_SRTP_STATUS_AUTH_FAIL: the authentication tag did not verify
 * @GST_RTC_SRTP_STATUS_REPLAY: the packet was seen before, or is older than
 *   the replay window
 * @GST_RTC_SRTP_STATUS_NO_SPACE: the buffer has no room for the trailer
 * @GST_RTC_SRTP_STATUS_ERROR: another libsrtp2 error
 *
 * The outcome of protecting or unprotecting one packet.
 */
typedef enum
{
  GST_RTC_SRTP_STATUS_OK,
  GST_RTC_SRTP_STATUS_NO_KEY,
  GST_RTC_SRTP_STATUS_MALFORMED,
  GST_RTC_SRTP_STATUS_AUTH_FAIL,
  GST_RTC_SRTP_STATUS_REPLAY,
  GST_RTC_SRTP_STATUS_NO_SPACE,
  GST_RTC_SRTP_STATUS_ERROR,
} GstRtcSrtpStatus;

/**
 * GstRtcTransportState:
 * @GST_RTC_TRANSPORT_STATE_NEW: nothing started
 * @GST_RTC_TRANSPORT_STATE_CONNECTING: ICE or DTLS is in progress
 * @GST_RTC_TRANSPORT_STATE_CONNECTED: SRTP is keyed and media flows
 * @GST_RTC_TRANSPORT_STATE_DISCONNECTED: the path stopped working for now
 * @GST_RTC_TRANSPORT_STATE_FAILED: ICE, DTLS or the fingerprint check failed,
 *   or the peer went silent
 * @GST_RTC_TRANSPORT_STATE_CLOSED: the transport was closed
 *
 * The combined state of one secure transport, shaped like the W3C
 * RTCPeerConnectionState.
 */
typedef enum
{
  GST_RTC_TRANSPORT_STATE_NEW,
  GST_RTC_TRANSPORT_STATE_CONNECTING,
  GST_RTC_TRANSPORT_STATE_CONNECTED,
  GST_RTC_TRANSPORT_STATE_DISCONNECTED,
  GST_RTC_TRANSPORT_STATE_FAILED,
  GST_RTC_TRANSPORT_STATE_CLOSED,
} GstRtcTransportState;

G_END_DECLS
