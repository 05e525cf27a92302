/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of GstRtcBin shared by bin.c (the element, negotiation) and
 * bin-media.c (rtpbin, the send and receive paths, statistics). Not
 * installed. */
#pragma once

#include "rtc.h"
#include "congestion.h"
#include "pacer.h"
#include "fec-policy.h"

G_BEGIN_DECLS

/* RFC 8285 extension ids we use in our own offers. */
#define RTC_BIN_EXT_ID_MID 1
#define RTC_BIN_EXT_ID_TWCC 3

/* How long and how much we hold of an SSRC we cannot place yet. */
#define RTC_BIN_HOLD_US (500 * G_TIME_SPAN_MILLISECOND)
#define RTC_BIN_HOLD_MAX_PACKETS 50
#define RTC_BIN_HOLD_MAX_SSRCS 16
/* Bound on packets waiting for the feeder thread (a stalled pipeline must
 * not make us grow without end). */
#define RTC_BIN_FEED_MAX_PACKETS 4000
/* Remote candidates that arrive before the remote description. */
#define RTC_BIN_MAX_EARLY_CANDIDATES 100

typedef struct _RtcTransportEntry RtcTransportEntry;

/* One GstRtcTransport with its ICE stream and its SSRC router: the whole
 * BUNDLE group, or one m-line that is not bundled. */
struct _RtcTransportEntry
{
  gint refcount;
  GstRtcBin *bin;               /* not a reference: the bin owns us */
  guint id;

  /* Set at creation. */
  GstRtcTransport *transport;
  GstRtcIceStream *stream;
  GstRtcSsrcRouter *router;

  /* Guarded by the bin's lock. */
  guint tag_mline;              /* where our candidates are signalled */
  guint remote_tag_mline;       /* where the peer's are */
  gchar *tag_mid;
  GPtrArray *local_candidates;  /* gchar*, in gathering order */
  gboolean gathering_started;
  gboolean gathering_done;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  gchar *remote_fingerprint;
  GHashTable *remote_candidates;        /* what we gave the ICE stream */
  gboolean dtls_started;
  GstRtcDtlsRole dtls_role;
  gboolean closed;
  gboolean keyframe_requested;

  /* Guarded by hold_lock: touched per packet on the worker thread. */
  GMutex hold_lock;
  GHashTable *held;             /* ssrc -> HeldSsrc */
  GHashTable *local_ssrcs;      /* our sending ssrc -> session id + 1 */
  guint64 held_dropped;
  guint64 twcc_feedback_received;

  /* transport-wide sequence number of the TWCC header extension */
  guint twcc_seqnum;

  /* send-side bandwidth estimation (NULL when congestion control is off);
   * the estimator has its own lock */
  GstRtcBandwidthEstimator *bwe;
  /* paces what leaves at a multiple of the estimate (NULL with bwe) */
  GstRtcPacer *pacer;
  /* what was last given to the encoders, and when (hold_lock) */
  guint bwe_applied;
  gint64 bwe_applied_us;
  /* FEC from measured loss (hold_lock): the percentage the video
   * senders of this transport protect with, and when loss was last read */
  RtcFecPolicy fec_policy;
  gint64 fec_polled_us;
};

/* What a transceiver is to the bin. Guarded by the bin's lock, except
 * where said. */
typedef struct
{
  guint session_id;
  GstPad *sink_pad;             /* our request pad, owned by the element */
  GstCaps *sink_caps;           /* the last caps seen on it */
  GPtrArray *negotiated_codecs; /* GstRtcCodec: what the answer agreed */
  GstRtcMediaKind negotiated_kind;
  guint ext_mid;
  guint ext_twcc;
  gboolean do_nack;
  guint32 rtx_ssrc;
  gchar *track_id;
  RtcTransportEntry *entry;

  /* rtpbin links, made once */
  gboolean send_linked;
  gboolean recv_linked;
  GstPad *send_rtp_sink;        /* ours, fed by rtpbin's send_rtp_src */
  GstPad *send_rtcp_sink;       /* ours, fed by rtpbin's send_rtcp_src */
  GstPad *recv_rtp_src;         /* ours, feeding rtpbin's recv_rtp_sink */
  GstPad *recv_rtcp_src;        /* ours, feeding rtpbin's recv_rtcp_sink */
  gboolean recv_rtp_need_events;
  gboolean recv_rtcp_need_events;
  GstElement *rtxsend;
  GstElement *rtxreceive;
  /* RED and ULPFEC (NULL without the fec property): rtpbin's FEC encoder
   * of this session, the RED decoder of its aux receiver, and the last
   * ULPFEC decoder it asked for */
  GstElement *fecenc;
  GstElement *redenc;
  GstElement *reddec;
  GstElement *fecdec;

  /* The payload type our payloader writes and the one to put on the wire
   * (they differ when we answer an offer with other numbers); -1: none. */
  gint local_pt;
  gint wire_pt;
  gint wire_rtx_pt;
  /* what we send in RED, when the peer negotiated red+ulpfec: the RED and
   * ULPFEC payload types and the RTX one of RED; -1: none */
  gint wire_red_pt;
  gint wire_ulpfec_pt;
  gint wire_red_rtx_pt;
  /* the ULPFEC percentage given to fecenc, ULPFEC packets and bytes it
   * made (atomic) */
  guint fec_percentage;
  guint64 fec_packets_sent;
  guint64 fec_bytes_sent;
  gboolean warned_codec;
  /* the SSRC rtprtxsend chose for our retransmissions (atomic) */
  guint32 sent_rtx_ssrc;

  /* create-offer remembers which transceiver it put on a new m-line */
  gint offered_mline;

  guint64 frames_received;      /* atomic */
} RtcTransceiverPrivate;

struct _GstRtcTransceiver
{
  GstObject parent;

  /* Guarded by the object lock. */
  GstRtcDirection direction;
  GstRtcDirection current_direction;
  gchar *mid;
  guint mline;
  GstRtcMediaKind kind;
  gboolean kind_known;
  GstCaps *codec_preferences;
  gboolean stopped;
  GWeakRef bin;

  RtcTransceiverPrivate priv;
};

typedef struct
{
  GstRtcTransceiver *transceiver;
  gboolean rtcp;
  GstBuffer *buffer;
} RtcFeedItem;

struct _GstRtcBin
{
  GstBin parent;

  GstElement *rtpbin;
  GstRtcIceAgent *agent;

  /* The "PC lock": negotiation state, transceivers, transports. Held for
   * short sections only, never across a call into GStreamer pads or
   * elements or into the ICE and transport objects. */
  GMutex lock;
  GstRtcCertificate *certificate;
  GPtrArray *transceivers;      /* GstRtcTransceiver, creation order */
  GPtrArray *entries;           /* RtcTransportEntry */
  GPtrArray *mlines;            /* GstRtcTransceiver or NULL, by m-line */
  guint next_session_id;
  guint next_entry_id;
  guint next_src_pad;
  guint next_sink_pad;
  gchar *cname;
  gchar *stream_id;
  gchar *session_id;
  guint64 session_version;
  gboolean ice_role_set;
  gboolean closed;

  GstRtcSignalingState signaling_state;
  GstRtcPeerConnectionState connection_state;
  GstRtcIceState ice_connection_state;
  GstRtcIceGatheringState ice_gathering_state;
  GstRtcSessionDescription *current_local;
  GstRtcSessionDescription *pending_local;
  GstRtcSessionDescription *current_remote;
  GstRtcSessionDescription *pending_remote;
  gchar *last_offer;
  gchar *last_answer;
  GPtrArray *early_candidates;  /* EarlyCandidate */
  gboolean negotiation_needed;
  gboolean negotiation_check_scheduled;

  /* properties */
  gchar *stun_server;
  gchar *turn_server;
  GstRtcIceTransportPolicy ice_transport_policy;
  GstRtcBundlePolicy bundle_policy;
  guint latency;
  gboolean mid_extension;
  gboolean congestion_control;
  guint start_bitrate;
  guint min_bitrate;
  guint max_bitrate;
  gboolean fec;

  /* The operations chain. */
  GMutex ops_lock;
  GQueue ops;
  GThread *ops_runner;
  guint64 ops_done;

  /* The feeder: one thread that pushes received packets into rtpbin. */
  GMutex feed_lock;
  GCond feed_cond;
  GQueue feed;
  gboolean feed_flushing;
  guint64 feed_dropped;
  GstTask *feed_task;
  GRecMutex feed_task_lock;
};

/* bin-media.c */
G_GNUC_INTERNAL void rtc_bin_media_setup_rtpbin (GstRtcBin * bin);
G_GNUC_INTERNAL void rtc_bin_media_apply_bandwidth (GstRtcBin * bin, RtcTransportEntry * entry);
G_GNUC_INTERNAL GstRtcPacer *rtc_bin_media_make_pacer (RtcTransportEntry * entry);
G_GNUC_INTERNAL void rtc_bin_media_link_send (GstRtcBin * bin,
    GstRtcTransceiver * transceiver);
G_GNUC_INTERNAL void rtc_bin_media_link_receive (GstRtcBin * bin,
    GstRtcTransceiver * transceiver);
G_GNUC_INTERNAL void rtc_bin_media_configure (GstRtcBin * bin,
    GstRtcTransceiver * transceiver);
G_GNUC_INTERNAL void rtc_bin_media_unlink (GstRtcBin * bin,
    GstRtcTransceiver * transceiver, gboolean everything);
G_GNUC_INTERNAL void rtc_bin_media_update_send_pt (GstRtcBin * bin,
    GstRtcTransceiver * transceiver);
G_GNUC_INTERNAL void rtc_bin_media_on_receive (GstRtcTransport * transport,
    GstRtcPacketKind kind, GstBuffer * buffer, gpointer user_data);
G_GNUC_INTERNAL void rtc_bin_media_retry_held (GstRtcBin * bin,
    RtcTransportEntry * entry);
G_GNUC_INTERNAL void rtc_bin_media_start_feeder (GstRtcBin * bin);
G_GNUC_INTERNAL void rtc_bin_media_stop_feeder (GstRtcBin * bin);
G_GNUC_INTERNAL void rtc_bin_media_request_keyframes (GstRtcBin * bin,
    RtcTransportEntry * entry);
G_GNUC_INTERNAL GstStructure *rtc_bin_media_collect_stats (GstRtcBin * bin);
G_GNUC_INTERNAL GstCaps *rtc_bin_media_codec_caps (const GstRtcCodec * codec,
    GstRtcMediaKind kind);

/* bin.c */
G_GNUC_INTERNAL RtcTransportEntry *rtc_transport_entry_ref (RtcTransportEntry * entry);
G_GNUC_INTERNAL GstRtcIceStream *rtc_transport_entry_get_stream (RtcTransportEntry * entry);
G_GNUC_INTERNAL void rtc_transport_entry_unref (RtcTransportEntry * entry);
G_GNUC_INTERNAL GstRtcTransceiver *rtc_bin_find_transceiver_by_session (GstRtcBin * bin,
    guint session_id);
G_GNUC_INTERNAL GstRtcTransceiver *rtc_bin_find_transceiver_by_mline (GstRtcBin * bin,
    guint mline);
G_GNUC_INTERNAL GstPad *rtc_bin_add_src_pad (GstRtcBin * bin,
    GstRtcTransceiver * transceiver, GstPad * target);

G_END_DECLS
