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

/**
 * GstRtcSdpType:
 * @GST_RTC_SDP_TYPE_OFFER: an offer
 * @GST_RTC_SDP_TYPE_PRANSWER: a provisional answer
 * @GST_RTC_SDP_TYPE_ANSWER: an answer
 * @GST_RTC_SDP_TYPE_ROLLBACK: a rollback
 *
 * The W3C RTCSdpType values.
 */
typedef enum
{
  GST_RTC_SDP_TYPE_OFFER,
  GST_RTC_SDP_TYPE_PRANSWER,
  GST_RTC_SDP_TYPE_ANSWER,
  GST_RTC_SDP_TYPE_ROLLBACK,
} GstRtcSdpType;

/**
 * GstRtcMediaKind:
 * @GST_RTC_MEDIA_KIND_AUDIO: audio
 * @GST_RTC_MEDIA_KIND_VIDEO: video
 *
 * The kind of an m-line.
 */
typedef enum
{
  GST_RTC_MEDIA_KIND_AUDIO,
  GST_RTC_MEDIA_KIND_VIDEO,
} GstRtcMediaKind;

/**
 * GstRtcDirection:
 * @GST_RTC_DIRECTION_NONE: not negotiated yet
 * @GST_RTC_DIRECTION_INACTIVE: neither sends nor receives
 * @GST_RTC_DIRECTION_SENDONLY: sends only
 * @GST_RTC_DIRECTION_RECVONLY: receives only
 * @GST_RTC_DIRECTION_SENDRECV: sends and receives
 *
 * The W3C RTCRtpTransceiverDirection values, seen from the side that
 * wrote the description (in the same order as webrtcbin's).
 */
typedef enum
{
  GST_RTC_DIRECTION_NONE,
  GST_RTC_DIRECTION_INACTIVE,
  GST_RTC_DIRECTION_SENDONLY,
  GST_RTC_DIRECTION_RECVONLY,
  GST_RTC_DIRECTION_SENDRECV,
} GstRtcDirection;

/**
 * GstRtcBundlePolicy:
 * @GST_RTC_BUNDLE_POLICY_BALANCED: one transport per media kind
 * @GST_RTC_BUNDLE_POLICY_MAX_COMPAT: one transport per m-line
 * @GST_RTC_BUNDLE_POLICY_MAX_BUNDLE: one transport for everything
 *
 * The W3C RTCBundlePolicy values.
 */
typedef enum
{
  GST_RTC_BUNDLE_POLICY_BALANCED,
  GST_RTC_BUNDLE_POLICY_MAX_COMPAT,
  GST_RTC_BUNDLE_POLICY_MAX_BUNDLE,
} GstRtcBundlePolicy;

/**
 * GstRtcDtlsSetup:
 * @GST_RTC_DTLS_SETUP_NONE: no a=setup attribute
 * @GST_RTC_DTLS_SETUP_ACTPASS: either role (offers)
 * @GST_RTC_DTLS_SETUP_ACTIVE: DTLS client
 * @GST_RTC_DTLS_SETUP_PASSIVE: DTLS server
 *
 * The a=setup values of RFC 4145 as used by DTLS-SRTP (RFC 5763).
 */
typedef enum
{
  GST_RTC_DTLS_SETUP_NONE,
  GST_RTC_DTLS_SETUP_ACTPASS,
  GST_RTC_DTLS_SETUP_ACTIVE,
  GST_RTC_DTLS_SETUP_PASSIVE,
} GstRtcDtlsSetup;

/**
 * GstRtcRtcpFeedback:
 * @GST_RTC_RTCP_FB_NONE: none
 * @GST_RTC_RTCP_FB_NACK: a=rtcp-fb:PT nack
 * @GST_RTC_RTCP_FB_NACK_PLI: a=rtcp-fb:PT nack pli
 * @GST_RTC_RTCP_FB_CCM_FIR: a=rtcp-fb:PT ccm fir
 * @GST_RTC_RTCP_FB_TRANSPORT_CC: a=rtcp-fb:PT transport-cc
 * @GST_RTC_RTCP_FB_GOOG_REMB: a=rtcp-fb:PT goog-remb
 *
 * RTCP feedback a codec supports.
 */
typedef enum /*< flags >*/
{
  GST_RTC_RTCP_FB_NONE = 0,
  GST_RTC_RTCP_FB_NACK = 1 << 0,
  GST_RTC_RTCP_FB_NACK_PLI = 1 << 1,
  GST_RTC_RTCP_FB_CCM_FIR = 1 << 2,
  GST_RTC_RTCP_FB_TRANSPORT_CC = 1 << 3,
  GST_RTC_RTCP_FB_GOOG_REMB = 1 << 4,
} GstRtcRtcpFeedback;

/**
 * GstRtcSignalingState:
 * @GST_RTC_SIGNALING_STATE_STABLE: stable
 * @GST_RTC_SIGNALING_STATE_CLOSED: closed
 * @GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER: have-local-offer
 * @GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER: have-remote-offer
 * @GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER: have-local-pranswer
 * @GST_RTC_SIGNALING_STATE_HAVE_REMOTE_PRANSWER: have-remote-pranswer
 *
 * The W3C RTCSignalingState values (in webrtcbin's order).
 */
typedef enum
{
  GST_RTC_SIGNALING_STATE_STABLE,
  GST_RTC_SIGNALING_STATE_CLOSED,
  GST_RTC_SIGNALING_STATE_HAVE_LOCAL_OFFER,
  GST_RTC_SIGNALING_STATE_HAVE_REMOTE_OFFER,
  GST_RTC_SIGNALING_STATE_HAVE_LOCAL_PRANSWER,
  GST_RTC_SIGNALING_STATE_HAVE_REMOTE_PRANSWER,
} GstRtcSignalingState;

/**
 * GstRtcPeerConnectionState:
 * @GST_RTC_PEER_CONNECTION_STATE_NEW: new
 * @GST_RTC_PEER_CONNECTION_STATE_CONNECTING: connecting
 * @GST_RTC_PEER_CONNECTION_STATE_CONNECTED: connected
 * @GST_RTC_PEER_CONNECTION_STATE_DISCONNECTED: disconnected
 * @GST_RTC_PEER_CONNECTION_STATE_FAILED: failed
 * @GST_RTC_PEER_CONNECTION_STATE_CLOSED: closed
 *
 * The W3C RTCPeerConnectionState values.
 */
typedef enum
{
  GST_RTC_PEER_CONNECTION_STATE_NEW,
  GST_RTC_PEER_CONNECTION_STATE_CONNECTING,
  GST_RTC_PEER_CONNECTION_STATE_CONNECTED,
  GST_RTC_PEER_CONNECTION_STATE_DISCONNECTED,
  GST_RTC_PEER_CONNECTION_STATE_FAILED,
  GST_RTC_PEER_CONNECTION_STATE_CLOSED,
} GstRtcPeerConnectionState;

G_END_DECLS
