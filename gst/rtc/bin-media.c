/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The media side of rtcbin: the rtpbin inside it, the path from a sink pad
 * to the transport and the path from the transport to a src pad.
 *
 * Send: sink_%u (ghost) -> rtpbin send_rtp_sink_N -> [rtpulpfecenc !
 *   rtpredenc, passing through unless red+ulpfec were negotiated and the
 *   loss calls for FEC] -> [rtprtxsend] ->
 *   send_rtp_src_N -> our unparented sink pad, whose chain function writes
 *   the MID header extension, maps the payload type and calls
 *   gst_rtc_transport_send(). RTCP from send_rtcp_src_N likewise.
 *
 * Receive: the transport's receive function (an ICE worker thread, which
 *   must not block) -> the SSRC router -> a bounded queue -> one feeder
 *   thread per rtcbin -> our unparented src pads -> rtpbin
 *   recv_rtp_sink_N / recv_rtcp_sink_N -> [rtprtxreceive ! rtpreddec] ->
 *   jitterbuffer -> [rtpulpfecdec, with red+ulpfec] ->
 *   recv_rtp_src_N_SSRC_PT -> ghosted as src_%u.
 *
 * N, the rtpbin session, is the transceiver's own number, fixed when it is
 * made; the m-line index is only known after negotiation. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bin-private.h"

#include <gst/rtp/rtp.h>
#include <stdio.h>
#include <string.h>

GST_DEBUG_CATEGORY_EXTERN (gst_rtc_bin_media_debug);
#define GST_CAT_DEFAULT gst_rtc_bin_media_debug
GST_DEBUG_CATEGORY (gst_rtc_bin_media_debug);

#define RTC_BIN_LOCK(bin) g_mutex_lock (&(bin)->lock)
#define RTC_BIN_UNLOCK(bin) g_mutex_unlock (&(bin)->lock)

#define RTP_HEADER_LEN 12
#define ONE_BYTE_PROFILE 0xBEDE
#define TWO_BYTE_PROFILE 0x1000
/* room we may add to a packet: the extension header and our elements */
#define MAX_ADDED_BYTES 320
#define STACK_PACKET_SIZE 1600
#define TWCC_URI \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
/* RFC 4585 transport layer feedback, draft-holmer-rmcat FMT */
#define RTPFB_FMT_TWCC 15
#define PSFB_FMT_AFB 15
/* 16 bytes of SRTP tag, 8 of UDP, 20 of IPv4 */
#define SRTP_AND_IP_OVERHEAD 44
/* The encoders are told a new bitrate at most this often, or when it
 * moved by more than 5 %. */
#define BANDWIDTH_APPLY_MIN_US (200 * 1000)
#define BANDWIDTH_REFRESH_US (2 * G_USEC_PER_SEC)
/* What an audio sender is taken to use when its encoder does not say. */
#define AUDIO_BITRATE_GUESS 64000
#define MIN_VIDEO_BITRATE 30000
/* how often the FEC policy reads the estimator's loss fraction */
#define FEC_POLL_US (500 * 1000)
/* the RTX payload type of the media codec or of RED */
#define IS_RTX_PT(pt, rtx_pt, red_rtx_pt) \
  (((rtx_pt) > 0 && (gint) (pt) == (rtx_pt)) \
      || ((red_rtx_pt) > 0 && (gint) (pt) == (red_rtx_pt)))

static const gchar *transceiver_quark_name = "rtcbin-transceiver";
static const gchar *ghost_quark_name = "rtcbin-ghost";

static gint negotiated_ulpfec_pt_locked (GstRtcTransceiver * transceiver);

/* an RFC 8285 header extension element */
typedef struct
{
  guint id;
  const guint8 *data;
  gsize len;
} ExtElement;


/* ------------------------------------------------------------------------ */
/* Codec caps                                                               */
/* ------------------------------------------------------------------------ */

GstCaps *
rtc_bin_media_codec_caps (const GstRtcCodec * codec, GstRtcMediaKind kind)
{
  GstCaps *caps = gst_rtc_codec_to_caps (codec, kind);
  GstStructure *s;

  if (caps == NULL || gst_caps_is_empty (caps)) {
    gst_clear_caps (&caps);
    caps = gst_caps_new_simple ("application/x-rtp",
        "encoding-name", G_TYPE_STRING, codec->encoding_name, NULL);
  }
  caps = gst_caps_make_writable (caps);
  s = gst_caps_get_structure (caps, 0);
  gst_structure_set (s,
      "media", G_TYPE_STRING, kind == GST_RTC_MEDIA_KIND_AUDIO ? "audio" :
      "video", "payload", G_TYPE_INT, (gint) codec->payload_type,
      "clock-rate", G_TYPE_INT, (gint) codec->clock_rate, NULL);
  if (kind == GST_RTC_MEDIA_KIND_AUDIO && codec->channels > 1
      && !gst_structure_has_field (s, "encoding-params")) {
    gchar *channels = g_strdup_printf ("%u", codec->channels);

    gst_structure_set (s, "encoding-params", G_TYPE_STRING, channels, NULL);
    g_free (channels);
  }
  /* rtpsession sends PLI and FIR only where the caps say the peer takes
   * them */
  if (codec->feedback & GST_RTC_RTCP_FB_NACK)
    gst_structure_set (s, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, NULL);
  if (codec->feedback & GST_RTC_RTCP_FB_NACK_PLI)
    gst_structure_set (s, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, NULL);
  if (codec->feedback & GST_RTC_RTCP_FB_CCM_FIR)
    gst_structure_set (s, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
  return caps;
}

static GstCaps *
rtx_caps (const GstRtcCodec * codec, GstRtcMediaKind kind)
{
  return gst_caps_new_simple ("application/x-rtp",
      "media", G_TYPE_STRING, kind == GST_RTC_MEDIA_KIND_AUDIO ? "audio" :
      "video", "encoding-name", G_TYPE_STRING, "RTX",
      "payload", G_TYPE_INT, (gint) codec->rtx_payload_type,
      "clock-rate", G_TYPE_INT, (gint) codec->clock_rate,
      "apt", G_TYPE_UINT, codec->payload_type, NULL);
}

/* ------------------------------------------------------------------------ */
/* rtpbin signals                                                           */
/* ------------------------------------------------------------------------ */

static GstCaps *
on_request_pt_map (GstElement * rtpbin, guint session, guint pt,
    GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  GstCaps *caps = NULL;
  guint i;

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL && transceiver->priv.negotiated_codecs != NULL) {
    GPtrArray *codecs = transceiver->priv.negotiated_codecs;
    GstRtcMediaKind kind = transceiver->priv.negotiated_kind;

    for (i = 0; caps == NULL && i < codecs->len; i++) {
      const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

      if (codec->payload_type == pt)
        caps = rtc_bin_media_codec_caps (codec, kind);
      else if (codec->rtx_payload_type != 0 && codec->rtx_payload_type == pt)
        caps = rtx_caps (codec, kind);
    }
    /* rtpsession sends transport-wide congestion control feedback for
     * the extension these caps name */
    if (caps != NULL && transceiver->priv.ext_twcc != 0) {
      gchar *field = g_strdup_printf ("extmap-%u",
          transceiver->priv.ext_twcc);

      gst_caps_set_simple (caps, field, G_TYPE_STRING, TWCC_URI, NULL);
      g_free (field);
    }
  }
  RTC_BIN_UNLOCK (bin);

  GST_DEBUG_OBJECT (bin, "session %u payload type %u: %" GST_PTR_FORMAT,
      session, pt, caps);
  return caps;
}

static GstElement *
make_aux (GstRtcBin * bin, guint session, const gchar * factory,
    GstElement ** element_out)
{
  GstElement *aux_bin, *element;
  GstPad *pad;
  gchar *name;

  element = gst_element_factory_make (factory, NULL);
  if (element == NULL) {
    GST_WARNING_OBJECT (bin, "no %s: no retransmission", factory);
    return NULL;
  }
  aux_bin = gst_bin_new (NULL);
  gst_bin_add (GST_BIN (aux_bin), element);

  name = g_strdup_printf ("sink_%u", session);
  pad = gst_element_get_static_pad (element, "sink");
  gst_element_add_pad (aux_bin, gst_ghost_pad_new (name, pad));
  gst_object_unref (pad);
  g_free (name);

  name = g_strdup_printf ("src_%u", session);
  pad = gst_element_get_static_pad (element, "src");
  gst_element_add_pad (aux_bin, gst_ghost_pad_new (name, pad));
  gst_object_unref (pad);
  g_free (name);

  *element_out = gst_object_ref (element);
  return aux_bin;
}

static GstElement *
on_request_aux_sender (GstElement * rtpbin, guint session, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  GstElement *aux, *element = NULL;

  aux = make_aux (bin, session, "rtprtxsend", &element);
  if (aux == NULL)
    return NULL;
  /* rtprtxsend keeps what it sent for retransmission */
  g_object_set (element, "max-size-packets", 500, NULL);

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL) {
    gst_object_replace ((GstObject **) & transceiver->priv.rtxsend,
        GST_OBJECT (element));
    gst_object_ref (transceiver);
  }
  RTC_BIN_UNLOCK (bin);
  gst_object_unref (element);
  if (transceiver != NULL) {
    rtc_bin_media_configure (bin, transceiver);
    gst_object_unref (transceiver);
  }
  return aux;
}

static GstElement *
on_request_aux_receiver (GstElement * rtpbin, guint session, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  GstElement *aux, *element = NULL, *reddec = NULL;
  gboolean fec;

  aux = make_aux (bin, session, "rtprtxreceive", &element);
  if (aux == NULL)
    return NULL;

  RTC_BIN_LOCK (bin);
  fec = bin->fec;
  RTC_BIN_UNLOCK (bin);
  /* RED comes off before rtpsession: the jitterbuffer, the ULPFEC decoder
   * and the depayloader see the media packets (and ULPFEC ones). It passes
   * everything through until a RED payload type is set. */
  if (fec)
    reddec = gst_element_factory_make ("rtpreddec", NULL);
  if (reddec != NULL) {
    GstPad *ghost, *src, *sink;
    gchar *name = g_strdup_printf ("src_%u", session);

    gst_bin_add (GST_BIN (aux), reddec);
    ghost = gst_element_get_static_pad (aux, name);
    src = gst_element_get_static_pad (element, "src");
    sink = gst_element_get_static_pad (reddec, "sink");
    gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), NULL);
    if (gst_pad_link (src, sink) != GST_PAD_LINK_OK)
      GST_WARNING_OBJECT (bin, "cannot link rtpreddec");
    gst_object_unref (src);
    gst_object_unref (sink);
    src = gst_element_get_static_pad (reddec, "src");
    gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), src);
    gst_object_unref (src);
    gst_object_unref (ghost);
    g_free (name);
  }

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL) {
    gst_object_replace ((GstObject **) & transceiver->priv.rtxreceive,
        GST_OBJECT (element));
    gst_object_replace ((GstObject **) & transceiver->priv.reddec,
        GST_OBJECT (reddec));
    gst_object_ref (transceiver);
  }
  RTC_BIN_UNLOCK (bin);
  gst_object_unref (element);
  if (transceiver != NULL) {
    rtc_bin_media_configure (bin, transceiver);
    gst_object_unref (transceiver);
  }
  return aux;
}

static void
weak_ref_free (GWeakRef * ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

static GWeakRef *
weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

static gsize rewrite_packet (const guint8 * in, gsize len, guint8 * out,
    gsize capacity, const ExtElement * added, guint n_added, gint pt_from,
    gint pt_to);

/* Before rtpulpfecenc, when we send RED: the media packet gets the
 * payload type and the header extension elements (MID, a transport-wide
 * sequence number to be filled in) it will have on the wire. ULPFEC
 * protects the extension block too (RFC 5109 section 7.3), so the peer
 * repairs with what it receives only if the block was there already. */
static GstPadProbeReturn
fec_input_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstRtcTransceiver *transceiver = g_weak_ref_get (user_data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info), *rewritten = NULL;
  RtcTransceiverPrivate *priv;
  GstRtcBin *bin = NULL;
  gchar mid[256];
  guint8 twcc[2] = { 0, 0 };
  ExtElement added[2];
  guint n_added = 0;
  gint pt_from, pt_to;
  gboolean active;
  GstMapInfo map;

  if (transceiver == NULL)
    return GST_PAD_PROBE_OK;
  bin = g_weak_ref_get (&transceiver->bin);
  if (bin == NULL) {
    gst_object_unref (transceiver);
    return GST_PAD_PROBE_OK;
  }
  priv = &transceiver->priv;
  mid[0] = '\0';
  RTC_BIN_LOCK (bin);
  active = priv->wire_red_pt >= 0;
  pt_from = priv->local_pt;
  pt_to = priv->wire_pt;
  if (bin->mid_extension && priv->ext_mid != 0) {
    GST_OBJECT_LOCK (transceiver);
    if (transceiver->mid != NULL)
      g_strlcpy (mid, transceiver->mid, sizeof (mid));
    GST_OBJECT_UNLOCK (transceiver);
  }
  if (mid[0] != '\0') {
    added[n_added].id = priv->ext_mid;
    added[n_added].data = (const guint8 *) mid;
    added[n_added].len = strlen (mid);
    n_added++;
  }
  if (priv->ext_twcc != 0) {
    added[n_added].id = priv->ext_twcc;
    added[n_added].data = twcc;
    added[n_added].len = 2;
    n_added++;
  }
  RTC_BIN_UNLOCK (bin);

  if (active && pt_to >= 0 && gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    guint8 *out = g_malloc (map.size + MAX_ADDED_BYTES);
    gsize len = rewrite_packet (map.data, map.size, out,
        map.size + MAX_ADDED_BYTES, added, n_added, pt_from, pt_to);

    gst_buffer_unmap (buffer, &map);
    if (len > 0) {
      rewritten = gst_buffer_new_wrapped (out, len);
      gst_buffer_copy_into (rewritten, buffer, GST_BUFFER_COPY_METADATA, 0,
          -1);
    } else {
      g_free (out);
    }
  }
  if (rewritten != NULL) {
    gst_buffer_unref (buffer);
    GST_PAD_PROBE_INFO_DATA (info) = rewritten;
  }
  gst_object_unref (bin);
  gst_object_unref (transceiver);
  return GST_PAD_PROBE_OK;
}

/* After rtpulpfecenc: counts the ULPFEC packets it made. */
static GstPadProbeReturn
fec_output_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstRtcTransceiver *transceiver = g_weak_ref_get (user_data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  guint8 header[2];
  gint fec_pt;

  if (transceiver == NULL)
    return GST_PAD_PROBE_OK;
  fec_pt = g_atomic_int_get (&transceiver->priv.wire_ulpfec_pt);
  if (fec_pt >= 0 && gst_buffer_extract (buffer, 0, header, 2) == 2
      && (header[1] & 0x7f) == fec_pt) {
    g_atomic_pointer_add (&transceiver->priv.fec_packets_sent, 1);
    g_atomic_pointer_add (&transceiver->priv.fec_bytes_sent,
        gst_buffer_get_size (buffer));
  }
  gst_object_unref (transceiver);
  return GST_PAD_PROBE_OK;
}

/* rtpbin reads the template of every pad of a FEC encoder (other src pads
 * than "src" would be FEC streams of their own): an always pad. */
static GstPad *
ghost_with_template (const gchar * name, GstPad * target)
{
  GstPadTemplate *templ = gst_pad_template_new (name,
      gst_pad_get_direction (target), GST_PAD_ALWAYS, GST_CAPS_ANY);
  GstPad *ghost = gst_ghost_pad_new_from_template (name, target, templ);

  gst_object_unref (templ);
  return ghost;
}

/* rtpbin puts this between send_rtp_sink and rtprtxsend: rtpulpfecenc !
 * rtpredenc, both passing packets through unchanged until
 * rtc_bin_media_configure() finds red+ulpfec negotiated. */
static GstElement *
on_request_fec_encoder (GstElement * rtpbin, guint session, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  GstElement *encoder, *fecenc, *redenc;
  GstPad *pad;
  gboolean fec;

  RTC_BIN_LOCK (bin);
  fec = bin->fec;
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL)
    gst_object_ref (transceiver);
  RTC_BIN_UNLOCK (bin);
  if (!fec || transceiver == NULL) {
    gst_clear_object (&transceiver);
    return NULL;
  }
  fecenc = gst_element_factory_make ("rtpulpfecenc", NULL);
  redenc = gst_element_factory_make ("rtpredenc", NULL);
  if (fecenc == NULL || redenc == NULL) {
    GST_WARNING_OBJECT (bin, "no rtpulpfecenc or rtpredenc: no FEC");
    gst_clear_object (&fecenc);
    gst_clear_object (&redenc);
    gst_object_unref (transceiver);
    return NULL;
  }
  /* pt 255: rtpulpfecenc passes through; no RED block and no
   * allow-no-red-blocks: rtpredenc passes through */
  g_object_set (fecenc, "pt", 255, "percentage", 0, "multipacket", TRUE,
      NULL);
  g_object_set (redenc, "allow-no-red-blocks", FALSE, "distance", 0, NULL);

  encoder = gst_bin_new (NULL);
  gst_bin_add_many (GST_BIN (encoder), fecenc, redenc, NULL);
  gst_element_link (fecenc, redenc);
  pad = gst_element_get_static_pad (fecenc, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, fec_input_probe,
      weak_ref_new (transceiver), (GDestroyNotify) weak_ref_free);
  gst_element_add_pad (encoder, ghost_with_template ("sink", pad));
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (fecenc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, fec_output_probe,
      weak_ref_new (transceiver), (GDestroyNotify) weak_ref_free);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (redenc, "src");
  gst_element_add_pad (encoder, ghost_with_template ("src", pad));
  gst_object_unref (pad);

  RTC_BIN_LOCK (bin);
  gst_object_replace ((GstObject **) & transceiver->priv.fecenc,
      GST_OBJECT (fecenc));
  gst_object_replace ((GstObject **) & transceiver->priv.redenc,
      GST_OBJECT (redenc));
  RTC_BIN_UNLOCK (bin);
  rtc_bin_media_configure (bin, transceiver);
  gst_object_unref (transceiver);
  return encoder;
}

/* The ULPFEC payload type negotiated on @session, or -1. Lock held. */
static gint
negotiated_ulpfec_pt_locked (GstRtcTransceiver * transceiver)
{
  GPtrArray *codecs = transceiver->priv.negotiated_codecs;
  gint red = -1, ulpfec = -1;
  guint i;

  if (codecs == NULL
      || transceiver->priv.negotiated_kind != GST_RTC_MEDIA_KIND_VIDEO)
    return -1;
  for (i = 0; i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (g_ascii_strcasecmp (codec->encoding_name, "RED") == 0 && red < 0)
      red = codec->payload_type;
    else if (g_ascii_strcasecmp (codec->encoding_name, "ULPFEC") == 0
        && ulpfec < 0)
      ulpfec = codec->payload_type;
  }
  return red >= 0 ? ulpfec : -1;
}

static GstPadProbeReturn
drop_fec_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint8 header[2];

  if (gst_buffer_extract (GST_PAD_PROBE_INFO_BUFFER (info), 0, header, 2) == 2
      && (header[1] & 0x7f) == GPOINTER_TO_INT (user_data))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* Per received stream, between the jitterbuffer and the payload type
 * demuxer: rtpulpfecdec repairs lost packets from ULPFEC and what
 * rtpstorage kept, and drops the ULPFEC packets. */
static GstElement *
on_request_fec_decoder (GstElement * rtpbin, guint session, guint ssrc,
    guint pt, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  GstElement *decoder;
  GObject *storage = NULL;
  gint ulpfec_pt = -1;

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL && bin->fec)
    ulpfec_pt = negotiated_ulpfec_pt_locked (transceiver);
  if (ulpfec_pt >= 0)
    gst_object_ref (transceiver);
  RTC_BIN_UNLOCK (bin);
  if (ulpfec_pt < 0)
    return NULL;

  decoder = gst_element_factory_make ("rtpulpfecdec", NULL);
  if (decoder == NULL) {
    gst_object_unref (transceiver);
    return NULL;
  }
  g_signal_emit_by_name (rtpbin, "get-internal-storage", session, &storage);
  g_object_set (decoder, "pt", (guint) ulpfec_pt, NULL);
  {
    /* rtpulpfecdec passes the ULPFEC packets on: they are not media */
    GstPad *src = gst_element_get_static_pad (decoder, "src");

    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, drop_fec_probe,
        GINT_TO_POINTER (ulpfec_pt), NULL);
    gst_object_unref (src);
  }
  if (storage != NULL) {
    g_object_set (decoder, "storage", storage, NULL);
    g_object_unref (storage);
  }
  GST_DEBUG_OBJECT (bin, "ULPFEC decoder (pt %d) for SSRC %08x of session "
      "%u", ulpfec_pt, ssrc, session);
  /* rtpbin asks for one per payload type: the media's one repairs */
  if ((gint) pt != ulpfec_pt) {
    RTC_BIN_LOCK (bin);
    gst_object_replace ((GstObject **) & transceiver->priv.fecdec,
        GST_OBJECT (decoder));
    RTC_BIN_UNLOCK (bin);
  }
  gst_object_unref (transceiver);
  return decoder;
}

/* rtpstorage keeps received packets for rtpulpfecdec: for as long as the
 * jitterbuffer may wait, and some. */
static void
on_new_storage (GstElement * rtpbin, GstElement * storage, guint session,
    GstRtcBin * bin)
{
  guint latency;
  gboolean fec;

  RTC_BIN_LOCK (bin);
  latency = bin->latency;
  fec = bin->fec;
  RTC_BIN_UNLOCK (bin);
  if (fec)
    g_object_set (storage, "size-time",
        (guint64) (latency + 200) * GST_MSECOND, NULL);
}

static void
on_new_jitterbuffer (GstElement * rtpbin, GstElement * jitterbuffer,
    guint session, guint ssrc, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  gboolean do_nack = FALSE;

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL)
    do_nack = transceiver->priv.do_nack;
  RTC_BIN_UNLOCK (bin);

  GST_DEBUG_OBJECT (bin, "jitterbuffer for session %u SSRC %08x, "
      "retransmission %s", session, ssrc, do_nack ? "on" : "off");
  g_object_set (jitterbuffer, "do-retransmission", do_nack, NULL);
}

/* Counts received video frames: one per marker bit. */
static GstPadProbeReturn
count_frames_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstRtcTransceiver *transceiver = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  if (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp)) {
    if (gst_rtp_buffer_get_marker (&rtp))
      g_atomic_pointer_add (&transceiver->priv.frames_received, 1);
    gst_rtp_buffer_unmap (&rtp);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_rtpbin_pad_added (GstElement * rtpbin, GstPad * pad, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver = NULL;
  guint session, ssrc, pt;
  GstPad *ghost;

  if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &session, &ssrc,
          &pt) != 3)
    return;

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL && (gint) pt ==
      negotiated_ulpfec_pt_locked (transceiver)) {
    /* the ULPFEC stream's decoder (drop_fec_probe) lets nothing out: it is
     * no media to give the application */
    RTC_BIN_UNLOCK (bin);
    GST_DEBUG_OBJECT (bin, "%s carries ULPFEC: not exposed",
        GST_PAD_NAME (pad));
    return;
  }
  if (transceiver != NULL)
    gst_object_ref (transceiver);
  RTC_BIN_UNLOCK (bin);
  if (transceiver == NULL) {
    GST_WARNING_OBJECT (bin, "%s has no transceiver", GST_PAD_NAME (pad));
    return;
  }

  ghost = rtc_bin_add_src_pad (bin, transceiver, pad);
  if (ghost != NULL) {
    g_object_set_data (G_OBJECT (pad), ghost_quark_name, ghost);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frames_probe,
        gst_object_ref (transceiver), gst_object_unref);
  }
  gst_object_unref (transceiver);
}

static void
on_rtpbin_pad_removed (GstElement * rtpbin, GstPad * pad, GstRtcBin * bin)
{
  GstPad *ghost = g_object_get_data (G_OBJECT (pad), ghost_quark_name);

  if (ghost == NULL)
    return;
  g_object_set_data (G_OBJECT (pad), ghost_quark_name, NULL);
  GST_INFO_OBJECT (bin, "%s went away", GST_PAD_NAME (ghost));
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), NULL);
  gst_element_remove_pad (GST_ELEMENT (bin), ghost);
}

static void
on_bye (GstElement * rtpbin, guint session, guint ssrc, GstRtcBin * bin)
{
  GstRtcTransceiver *transceiver;
  GstRtcSsrcRouter *router = NULL;

  RTC_BIN_LOCK (bin);
  transceiver = rtc_bin_find_transceiver_by_session (bin, session);
  if (transceiver != NULL && transceiver->priv.entry != NULL)
    router = g_object_ref (transceiver->priv.entry->router);
  RTC_BIN_UNLOCK (bin);
  if (router != NULL) {
    GST_DEBUG_OBJECT (bin, "SSRC %08x of session %u is gone", ssrc, session);
    gst_rtc_ssrc_router_forget (router, ssrc);
    g_object_unref (router);
  }
}

void
rtc_bin_media_setup_rtpbin (GstRtcBin * bin)
{
  GstElement *rtpbin = gst_element_factory_make ("rtpbin", "rtpbin");
  GstStructure *sdes;

  if (gst_rtc_bin_media_debug == NULL)
    GST_DEBUG_CATEGORY_INIT (gst_rtc_bin_media_debug, "rtcbinmedia", 0,
        "gst-rtc rtcbin media paths");
  if (rtpbin == NULL) {
    g_critical ("rtcbin needs rtpbin from gst-plugins-good");
    return;
  }
  bin->rtpbin = rtpbin;
  /* WebRTC is SAVPF: immediate feedback (NACK, PLI) */
  gst_util_set_object_arg (G_OBJECT (rtpbin), "rtp-profile", "savpf");
  /* Our send path ends in a pad, not a sink, so no LATENCY event ever
   * tells rtpsession when packets leave: date SRs by capture time. */
  g_object_set (rtpbin, "do-lost", TRUE, "latency", bin->latency,
      "rtcp-sync-send-time", FALSE, NULL);
  sdes = gst_structure_new ("application/x-rtp-source-sdes",
      "cname", G_TYPE_STRING, bin->cname, NULL);
  g_object_set (rtpbin, "sdes", sdes, NULL);
  gst_structure_free (sdes);

  g_signal_connect (rtpbin, "request-pt-map",
      G_CALLBACK (on_request_pt_map), bin);
  g_signal_connect (rtpbin, "request-aux-sender",
      G_CALLBACK (on_request_aux_sender), bin);
  g_signal_connect (rtpbin, "request-aux-receiver",
      G_CALLBACK (on_request_aux_receiver), bin);
  g_signal_connect (rtpbin, "new-jitterbuffer",
      G_CALLBACK (on_new_jitterbuffer), bin);
  g_signal_connect (rtpbin, "request-fec-encoder",
      G_CALLBACK (on_request_fec_encoder), bin);
  g_signal_connect (rtpbin, "request-fec-decoder-full",
      G_CALLBACK (on_request_fec_decoder), bin);
  g_signal_connect (rtpbin, "new-storage", G_CALLBACK (on_new_storage), bin);
  g_signal_connect (rtpbin, "pad-added", G_CALLBACK (on_rtpbin_pad_added),
      bin);
  g_signal_connect (rtpbin, "pad-removed",
      G_CALLBACK (on_rtpbin_pad_removed), bin);
  g_signal_connect (rtpbin, "on-bye-ssrc", G_CALLBACK (on_bye), bin);
  g_signal_connect (rtpbin, "on-timeout", G_CALLBACK (on_bye), bin);
  gst_bin_add (GST_BIN (bin), rtpbin);
}

/* ------------------------------------------------------------------------ */
/* Send                                                                     */
/* ------------------------------------------------------------------------ */

/* Walks the elements of an RFC 8285 block, calling @func for each. */
static gboolean
foreach_element (guint16 profile, const guint8 * ext, gsize len,
    gboolean (*func) (const ExtElement * element, gpointer user_data),
    gpointer user_data)
{
  gsize i = 0;

  while (i < len) {
    ExtElement element;

    if (ext[i] == 0) {
      i++;
      continue;
    }
    if (profile == ONE_BYTE_PROFILE) {
      element.id = ext[i] >> 4;
      element.len = (ext[i] & 0x0f) + 1;
      if (element.id == 15)
        return TRUE;
      if (i + 1 + element.len > len)
        return FALSE;
      element.data = ext + i + 1;
      i += 1 + element.len;
    } else {
      if (i + 2 > len)
        return FALSE;
      element.id = ext[i];
      element.len = ext[i + 1];
      if (i + 2 + element.len > len)
        return FALSE;
      element.data = ext + i + 2;
      i += 2 + element.len;
    }
    if (!func (&element, user_data))
      return FALSE;
  }
  return TRUE;
}

typedef struct
{
  ExtElement elements[32];
  guint n;
  const ExtElement *replaced;
  guint n_replaced;
  gboolean needs_two_byte;
} ElementList;

static gboolean
collect_element (const ExtElement * element, gpointer user_data)
{
  ElementList *list = user_data;
  guint i;

  for (i = 0; i < list->n_replaced; i++) {
    if (list->replaced[i].id == element->id)
      return TRUE;
  }
  if (list->n == G_N_ELEMENTS (list->elements))
    return FALSE;
  if (element->id > 14 || element->len > 16 || element->len == 0)
    list->needs_two_byte = TRUE;
  list->elements[list->n++] = *element;
  return TRUE;
}

/* Writes @in to @out with the payload type mapped and @added header
 * extension elements put in (replacing elements of the same id), in the
 * one-byte form when everything fits it. Returns the length written, or 0
 * if @in is not a packet we can extend (it is then sent as it is). */
static gsize
rewrite_packet (const guint8 * in, gsize len, guint8 * out, gsize capacity,
    const ExtElement * added, guint n_added, gint pt_from, gint pt_to)
{
  ElementList list = { 0, };
  gsize header_len, payload_start, o, ext_start, i;
  guint16 profile = 0;
  gboolean two_byte;

  if (len < RTP_HEADER_LEN || (in[0] >> 6) != 2)
    return 0;
  header_len = RTP_HEADER_LEN + 4 * (in[0] & 0x0f);
  if (header_len > len)
    return 0;
  payload_start = header_len;
  list.replaced = added;
  list.n_replaced = n_added;

  if (in[0] & 0x10) {
    gsize ext_len;

    if (header_len + 4 > len)
      return 0;
    profile = GST_READ_UINT16_BE (in + header_len);
    ext_len = 4 * (gsize) GST_READ_UINT16_BE (in + header_len + 2);
    if (header_len + 4 + ext_len > len)
      return 0;
    payload_start = header_len + 4 + ext_len;
    if (profile != ONE_BYTE_PROFILE && (profile & 0xfff0) != TWO_BYTE_PROFILE)
      return 0;
    if ((profile & 0xfff0) == TWO_BYTE_PROFILE)
      list.needs_two_byte = TRUE;
    if (!foreach_element (profile, in + header_len + 4, ext_len,
            collect_element, &list))
      return 0;
  }
  for (i = 0; i < n_added; i++) {
    if (added[i].id > 14 || added[i].len > 16 || added[i].len == 0)
      list.needs_two_byte = TRUE;
  }
  two_byte = list.needs_two_byte;

  if (len + MAX_ADDED_BYTES > capacity)
    return 0;

  memcpy (out, in, header_len);
  if (pt_from >= 0 && pt_to >= 0 && (in[1] & 0x7f) == pt_from)
    out[1] = (in[1] & 0x80) | (pt_to & 0x7f);
  o = header_len;
  if (list.n + n_added > 0) {
    gsize written = 0;

    out[0] |= 0x10;
    GST_WRITE_UINT16_BE (out + o, two_byte ? TWO_BYTE_PROFILE :
        ONE_BYTE_PROFILE);
    o += 4;
    ext_start = o;
    for (i = 0; i < list.n + n_added; i++) {
      const ExtElement *element = i < list.n ? &list.elements[i] :
          &added[i - list.n];

      if (written + 2 + element->len > MAX_ADDED_BYTES - 8
          + (payload_start - header_len))
        return 0;
      if (two_byte) {
        out[o++] = element->id;
        out[o++] = element->len;
      } else {
        out[o++] = (element->id << 4) | (element->len - 1);
      }
      memcpy (out + o, element->data, element->len);
      o += element->len;
      written = o - ext_start;
    }
    while ((o - ext_start) % 4 != 0)
      out[o++] = 0;
    GST_WRITE_UINT16_BE (out + ext_start - 2, (o - ext_start) / 4);
  } else {
    out[0] &= ~0x10;
  }
  memcpy (out + o, in + payload_start, len - payload_start);
  o += len - payload_start;
  return o;
}

typedef struct
{
  GstRtcBin *bin;
  GstRtcTransceiver *transceiver;
  guint32 last_ssrc;
} SendContext;

static void
send_context_free (SendContext * context)
{
  gst_object_unref (context->transceiver);
  g_free (context);
}

/* Remembers the SSRCs we send with, so that RTCP about them (receiver
 * reports, NACK, PLI) reaches their session. */
static void
note_local_ssrc (RtcTransportEntry * entry, SendContext * context,
    guint32 ssrc)
{
  if (context->last_ssrc == ssrc)
    return;
  context->last_ssrc = ssrc;
  g_mutex_lock (&entry->hold_lock);
  g_hash_table_insert (entry->local_ssrcs, GUINT_TO_POINTER (ssrc),
      GUINT_TO_POINTER (context->transceiver->priv.session_id + 1));
  g_mutex_unlock (&entry->hold_lock);
}

typedef struct
{
  guint id;
  gssize offset;
  const guint8 *base;
} FindElement;

static gboolean
find_element (const ExtElement * element, gpointer user_data)
{
  FindElement *find = user_data;

  if (element->id == find->id && element->len == 2) {
    find->offset = element->data - find->base;
    return FALSE;
  }
  return TRUE;
}

/* Where the 2 bytes of header extension element @id are in @packet, or -1. */
static gssize
find_element_offset (const guint8 * packet, gsize len, guint id)
{
  FindElement find = { id, -1, packet };
  gsize header_len, ext_len;
  guint16 profile;

  if (len < RTP_HEADER_LEN || !(packet[0] & 0x10))
    return -1;
  header_len = RTP_HEADER_LEN + 4 * (packet[0] & 0x0f);
  if (header_len + 4 > len)
    return -1;
  profile = GST_READ_UINT16_BE (packet + header_len);
  ext_len = 4 * (gsize) GST_READ_UINT16_BE (packet + header_len + 2);
  if (header_len + 4 + ext_len > len || (profile != ONE_BYTE_PROFILE
          && (profile & 0xfff0) != TWO_BYTE_PROFILE))
    return -1;
  foreach_element (profile, packet + header_len + 4, ext_len, find_element,
      &find);
  return find.offset;
}

/* The pacer puts a packet on the wire: the transport-wide sequence number
 * is given here, in the order packets leave, and the estimator learns the
 * time it left. @tag is 1 + the offset of the TWCC element, or 0. */
static void
pacer_send (GstRtcPacer * pacer, guint8 * data, gsize len,
    GstRtcPacerKind kind, guint tag, gint64 now_us, gpointer user_data)
{
  RtcTransportEntry *entry = user_data;

  if (tag > 0 && tag + 1 <= len) {
    guint seqnum = g_atomic_int_add (&entry->twcc_seqnum, 1) & 0xffff;

    GST_WRITE_UINT16_BE (data + tag - 1, seqnum);
    if (entry->bwe != NULL)
      /* what goes on the wire: SRTP adds its tag, UDP/IP their headers */
      gst_rtc_bandwidth_estimator_on_sent (entry->bwe, seqnum,
          len + SRTP_AND_IP_OVERHEAD, g_get_monotonic_time ());
  }
  if (gst_rtc_transport_get_state (entry->transport) ==
      GST_RTC_TRANSPORT_STATE_CONNECTED)
    gst_rtc_transport_send (entry->transport, GST_RTC_PACKET_KIND_RTP, data,
        len);
}

/* The pacer of a transport with congestion control: its thread sends on
 * the entry's transport and stops before the entry goes. */
GstRtcPacer *
rtc_bin_media_make_pacer (RtcTransportEntry * entry)
{
  GstRtcPacer *pacer = gst_rtc_pacer_new ();
  GError *error = NULL;

  gst_rtc_pacer_set_send_func (pacer, pacer_send, entry, NULL);
  if (entry->bwe != NULL)
    gst_rtc_pacer_set_target_bitrate (pacer,
        gst_rtc_bandwidth_estimator_get_target (entry->bwe));
  if (!gst_rtc_pacer_start (pacer, &error)) {
    GST_WARNING ("no pacing: %s", error->message);
    g_clear_error (&error);
    g_clear_object (&pacer);
  }
  return pacer;
}

static GstFlowReturn
send_rtp_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  SendContext *context = gst_pad_get_element_private (pad);
  GstRtcBin *bin = context->bin;
  GstRtcTransceiver *transceiver = context->transceiver;
  RtcTransportEntry *entry = NULL;
  guint8 stack[STACK_PACKET_SIZE + MAX_ADDED_BYTES];
  guint8 *out = stack;
  gchar mid[256];
  guint8 twcc[2];
  ExtElement added[2];
  guint n_added = 0;
  guint twcc_id;
  gint pt_from, pt_to, rtx_pt, red_rtx_pt, map_from, map_to;
  GstMapInfo map;
  gsize out_len;
  gint twcc_seq = -1;
  gboolean audio;
  guint32 rtx_ssrc;

  RTC_BIN_LOCK (bin);
  if (transceiver->priv.entry != NULL && !transceiver->priv.entry->closed)
    entry = rtc_transport_entry_ref (transceiver->priv.entry);
  pt_from = transceiver->priv.local_pt;
  pt_to = transceiver->priv.wire_pt;
  /* in RED, fec_input_probe() mapped the media payload type already */
  map_from = transceiver->priv.wire_red_pt >= 0 ? -1 : pt_from;
  map_to = transceiver->priv.wire_red_pt >= 0 ? -1 : pt_to;
  rtx_pt = transceiver->priv.wire_rtx_pt;
  red_rtx_pt = transceiver->priv.wire_red_rtx_pt;
  rtx_ssrc = transceiver->priv.rtx_ssrc;
  mid[0] = '\0';
  if (bin->mid_extension && transceiver->priv.ext_mid != 0) {
    GST_OBJECT_LOCK (transceiver);
    if (transceiver->mid != NULL)
      g_strlcpy (mid, transceiver->mid, sizeof (mid));
    GST_OBJECT_UNLOCK (transceiver);
  }
  if (mid[0] != '\0') {
    added[n_added].id = transceiver->priv.ext_mid;
    added[n_added].data = (const guint8 *) mid;
    added[n_added].len = strlen (mid);
    n_added++;
  }
  twcc_id = transceiver->priv.ext_twcc;
  audio = transceiver->kind_known
      && transceiver->kind == GST_RTC_MEDIA_KIND_AUDIO;
  RTC_BIN_UNLOCK (bin);

  if (entry == NULL || pt_to == -2) {
    /* not negotiated yet, or our payloader's codec was not agreed on */
    g_clear_pointer (&entry, rtc_transport_entry_unref);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  if (gst_rtc_transport_get_state (entry->transport) !=
      GST_RTC_TRANSPORT_STATE_CONNECTED) {
    rtc_transport_entry_unref (entry);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    rtc_transport_entry_unref (entry);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  if (twcc_id != 0 && entry->pacer != NULL) {
    /* numbered by the pacer, when the packet leaves */
    twcc[0] = twcc[1] = 0;
    added[n_added].id = twcc_id;
    added[n_added].data = twcc;
    added[n_added].len = 2;
    n_added++;
  } else if (twcc_id != 0) {
    /* the transport-wide sequence number, RTX included */
    guint seqnum = g_atomic_int_add (&entry->twcc_seqnum, 1);

    twcc_seq = seqnum & 0xffff;
    GST_WRITE_UINT16_BE (twcc, seqnum & 0xffff);
    added[n_added].id = twcc_id;
    added[n_added].data = twcc;
    added[n_added].len = 2;
    n_added++;
  }
  if (map.size + MAX_ADDED_BYTES > sizeof (stack))
    out = g_malloc (map.size + MAX_ADDED_BYTES);
  out_len = rewrite_packet (map.data, map.size, out,
      map.size + MAX_ADDED_BYTES, added, n_added, map_from, map_to);
  /* rtprtxsend picks its RTX SSRC when it sees the first media packet,
   * which can be before negotiation gave the one the description announces
   * (a=ssrc-group:FID), and does not change it after: a browser drops RTX
   * from an SSRC it was not told about, so RTX leaves with the announced
   * one */
  if (out_len > 0 && rtx_ssrc != 0 && IS_RTX_PT (out[1] & 0x7f, rtx_pt,
          red_rtx_pt))
    GST_WRITE_UINT32_BE (out + 8, rtx_ssrc);
  if (map.size >= RTP_HEADER_LEN) {
    guint32 ssrc = GST_READ_UINT32_BE (map.data + 8);

    note_local_ssrc (entry, context, ssrc);
    /* rtpsession counts it as a sender of its own: stats leave it out */
    if (IS_RTX_PT (map.data[1] & 0x7f, rtx_pt, red_rtx_pt))
      g_atomic_int_set ((gint *) & transceiver->priv.sent_rtx_ssrc, ssrc);
  }
  if (entry->pacer != NULL) {
    const guint8 *packet = out_len > 0 ? out : map.data;
    gsize packet_len = out_len > 0 ? out_len : map.size;
    gssize offset = twcc_id != 0 ?
        find_element_offset (packet, packet_len, twcc_id) : -1;
    GstRtcPacerKind kind = GST_RTC_PACER_KIND_VIDEO;

    if (audio)
      kind = GST_RTC_PACER_KIND_AUDIO;
    else if (packet_len >= RTP_HEADER_LEN
        && IS_RTX_PT (packet[1] & 0x7f, rtx_pt, red_rtx_pt))
      kind = GST_RTC_PACER_KIND_RETRANSMISSION;
    gst_rtc_pacer_push (entry->pacer, kind, packet, packet_len,
        offset >= 0 ? (guint) offset + 1 : 0, g_get_monotonic_time ());
    gst_buffer_unmap (buffer, &map);
    if (out != stack)
      g_free (out);
    rtc_transport_entry_unref (entry);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  if (twcc_seq >= 0 && entry->bwe != NULL)
    /* what goes on the wire: SRTP adds its tag, UDP/IP their headers */
    gst_rtc_bandwidth_estimator_on_sent (entry->bwe, twcc_seq,
        (out_len > 0 ? out_len : map.size) + SRTP_AND_IP_OVERHEAD,
        g_get_monotonic_time ());
  if (out_len > 0)
    gst_rtc_transport_send (entry->transport, GST_RTC_PACKET_KIND_RTP, out,
        out_len);
  else
    gst_rtc_transport_send (entry->transport, GST_RTC_PACKET_KIND_RTP,
        map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  if (out != stack)
    g_free (out);
  rtc_transport_entry_unref (entry);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

static GstFlowReturn
send_rtcp_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  SendContext *context = gst_pad_get_element_private (pad);
  GstRtcBin *bin = context->bin;
  RtcTransportEntry *entry = NULL;

  RTC_BIN_LOCK (bin);
  if (context->transceiver->priv.entry != NULL
      && !context->transceiver->priv.entry->closed)
    entry = rtc_transport_entry_ref (context->transceiver->priv.entry);
  RTC_BIN_UNLOCK (bin);

  if (entry != NULL) {
    if (gst_rtc_transport_get_state (entry->transport) ==
        GST_RTC_TRANSPORT_STATE_CONNECTED)
      gst_rtc_transport_send_buffer (entry->transport,
          GST_RTC_PACKET_KIND_RTCP, buffer);
    rtc_transport_entry_unref (entry);
  }
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

/* Our send pads take any RTP: the caps change when RED starts. */
static gboolean
internal_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ACCEPT_CAPS:
      gst_query_set_accept_caps_result (query, TRUE);
      return TRUE;
    case GST_QUERY_CAPS:{
      GstCaps *filter = NULL;

      gst_query_parse_caps (query, &filter);
      gst_query_set_caps_result (query, filter != NULL ? filter :
          GST_CAPS_ANY);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static GstPad *
new_internal_pad (GstRtcBin * bin, GstRtcTransceiver * transceiver,
    const gchar * what, GstPadDirection direction, GstPadChainFunction chain)
{
  gchar *name = g_strdup_printf ("%s_%s_%u", GST_OBJECT_NAME (bin), what,
      transceiver->priv.session_id);
  GstPad *pad = gst_pad_new (name, direction);

  g_free (name);
  gst_object_ref_sink (pad);
  if (chain != NULL) {
    SendContext *context = g_new0 (SendContext, 1);

    context->bin = bin;
    context->transceiver = gst_object_ref (transceiver);
    gst_pad_set_element_private (pad, context);
    g_object_set_data_full (G_OBJECT (pad), transceiver_quark_name, context,
        (GDestroyNotify) send_context_free);
    gst_pad_set_chain_function (pad, chain);
    gst_pad_set_query_function (pad, internal_sink_query);
  }
  gst_pad_set_active (pad, TRUE);
  return pad;
}

/* rtpbin's send_rtcp_src of the session into our RTCP sink pad: every
 * session sends RTCP, receivers included. */
static void
ensure_send_rtcp (GstRtcBin * bin, GstRtcTransceiver * transceiver)
{
  GstPad *rtcp_src, *rtcp_sink;
  gchar *name;

  RTC_BIN_LOCK (bin);
  if (transceiver->priv.send_rtcp_sink != NULL) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  rtcp_sink = new_internal_pad (bin, transceiver, "send_rtcp",
      GST_PAD_SINK, send_rtcp_chain);
  transceiver->priv.send_rtcp_sink = rtcp_sink;
  RTC_BIN_UNLOCK (bin);

  name = g_strdup_printf ("send_rtcp_src_%u", transceiver->priv.session_id);
  rtcp_src = gst_element_request_pad_simple (bin->rtpbin, name);
  g_free (name);
  if (rtcp_src == NULL) {
    GST_ERROR_OBJECT (bin, "rtpbin gave no RTCP pad");
    return;
  }
  if (gst_pad_link (rtcp_src, rtcp_sink) != GST_PAD_LINK_OK)
    GST_ERROR_OBJECT (bin, "cannot link %" GST_PTR_FORMAT, rtcp_src);
  gst_object_unref (rtcp_src);
}

void
rtc_bin_media_link_send (GstRtcBin * bin, GstRtcTransceiver * transceiver)
{
  GstPad *sink_pad, *rtp_sink, *rtp_src, *ours;
  guint session;
  gchar *name;

  RTC_BIN_LOCK (bin);
  if (transceiver->priv.send_linked || transceiver->priv.sink_pad == NULL) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  transceiver->priv.send_linked = TRUE;
  session = transceiver->priv.session_id;
  sink_pad = gst_object_ref (transceiver->priv.sink_pad);
  RTC_BIN_UNLOCK (bin);

  name = g_strdup_printf ("send_rtp_sink_%u", session);
  rtp_sink = gst_element_request_pad_simple (bin->rtpbin, name);
  g_free (name);
  if (rtp_sink == NULL) {
    GST_ERROR_OBJECT (bin, "rtpbin gave no send pad for session %u", session);
    gst_object_unref (sink_pad);
    return;
  }
  gst_ghost_pad_set_target (GST_GHOST_PAD (sink_pad), rtp_sink);
  gst_object_unref (rtp_sink);
  gst_object_unref (sink_pad);

  name = g_strdup_printf ("send_rtp_src_%u", session);
  rtp_src = gst_element_get_static_pad (bin->rtpbin, name);
  g_free (name);
  ours = new_internal_pad (bin, transceiver, "send_rtp", GST_PAD_SINK,
      send_rtp_chain);
  if (rtp_src == NULL || gst_pad_link (rtp_src, ours) != GST_PAD_LINK_OK)
    GST_ERROR_OBJECT (bin, "cannot link the send path of session %u",
        session);
  gst_clear_object (&rtp_src);
  RTC_BIN_LOCK (bin);
  gst_object_replace ((GstObject **) & transceiver->priv.send_rtp_sink,
      GST_OBJECT (ours));
  RTC_BIN_UNLOCK (bin);
  gst_object_unref (ours);

  ensure_send_rtcp (bin, transceiver);
  rtc_bin_media_update_send_pt (bin, transceiver);
}

void
rtc_bin_media_link_receive (GstRtcBin * bin, GstRtcTransceiver * transceiver)
{
  GstPad *rtp_src, *rtcp_src, *rtp_sink, *rtcp_sink;
  guint session;
  gchar *name;

  RTC_BIN_LOCK (bin);
  if (transceiver->priv.recv_linked) {
    RTC_BIN_UNLOCK (bin);
    return;
  }
  transceiver->priv.recv_linked = TRUE;
  session = transceiver->priv.session_id;
  RTC_BIN_UNLOCK (bin);

  rtp_src = new_internal_pad (bin, transceiver, "recv_rtp", GST_PAD_SRC,
      NULL);
  rtcp_src = new_internal_pad (bin, transceiver, "recv_rtcp", GST_PAD_SRC,
      NULL);
  name = g_strdup_printf ("recv_rtp_sink_%u", session);
  rtp_sink = gst_element_request_pad_simple (bin->rtpbin, name);
  g_free (name);
  name = g_strdup_printf ("recv_rtcp_sink_%u", session);
  rtcp_sink = gst_element_request_pad_simple (bin->rtpbin, name);
  g_free (name);
  if (rtp_sink == NULL || rtcp_sink == NULL
      || gst_pad_link (rtp_src, rtp_sink) != GST_PAD_LINK_OK
      || gst_pad_link (rtcp_src, rtcp_sink) != GST_PAD_LINK_OK)
    GST_ERROR_OBJECT (bin, "cannot link the receive path of session %u",
        session);
  gst_clear_object (&rtp_sink);
  gst_clear_object (&rtcp_sink);

  RTC_BIN_LOCK (bin);
  transceiver->priv.recv_rtp_src = rtp_src;
  transceiver->priv.recv_rtcp_src = rtcp_src;
  transceiver->priv.recv_rtp_need_events = TRUE;
  transceiver->priv.recv_rtcp_need_events = TRUE;
  RTC_BIN_UNLOCK (bin);

  ensure_send_rtcp (bin, transceiver);
  GST_DEBUG_OBJECT (bin, "session %u receives", session);
}

static void
release_rtpbin_pad (GstRtcBin * bin, GstPad * ours)
{
  GstPad *peer;

  if (ours == NULL)
    return;
  peer = gst_pad_get_peer (ours);
  gst_pad_set_active (ours, FALSE);
  if (peer != NULL) {
    if (GST_PAD_IS_SRC (ours))
      gst_pad_unlink (ours, peer);
    else
      gst_pad_unlink (peer, ours);
    if (GST_PAD_PAD_TEMPLATE (peer) != NULL
        && GST_PAD_TEMPLATE_PRESENCE (GST_PAD_PAD_TEMPLATE (peer)) ==
        GST_PAD_REQUEST)
      gst_element_release_request_pad (bin->rtpbin, peer);
    gst_object_unref (peer);
  }
}

void
rtc_bin_media_unlink (GstRtcBin * bin, GstRtcTransceiver * transceiver,
    gboolean everything)
{
  GstPad *send_rtp = NULL, *send_rtcp = NULL, *recv_rtp = NULL;
  GstPad *recv_rtcp = NULL, *rtp_sink = NULL;
  gboolean send_linked;
  gchar *name;

  RTC_BIN_LOCK (bin);
  send_linked = transceiver->priv.send_linked;
  transceiver->priv.send_linked = FALSE;
  send_rtp = g_steal_pointer (&transceiver->priv.send_rtp_sink);
  if (everything) {
    send_rtcp = g_steal_pointer (&transceiver->priv.send_rtcp_sink);
    recv_rtp = g_steal_pointer (&transceiver->priv.recv_rtp_src);
    recv_rtcp = g_steal_pointer (&transceiver->priv.recv_rtcp_src);
    transceiver->priv.recv_linked = FALSE;
  }
  RTC_BIN_UNLOCK (bin);

  if (send_linked && bin->rtpbin != NULL) {
    name = g_strdup_printf ("send_rtp_sink_%u", transceiver->priv.session_id);
    rtp_sink = gst_element_get_static_pad (bin->rtpbin, name);
    g_free (name);
    if (send_rtp != NULL)
      gst_pad_set_active (send_rtp, FALSE);
    if (rtp_sink != NULL) {
      gst_element_release_request_pad (bin->rtpbin, rtp_sink);
      gst_object_unref (rtp_sink);
    }
  }
  gst_clear_object (&send_rtp);
  release_rtpbin_pad (bin, send_rtcp);
  release_rtpbin_pad (bin, recv_rtp);
  release_rtpbin_pad (bin, recv_rtcp);
  gst_clear_object (&send_rtcp);
  gst_clear_object (&recv_rtp);
  gst_clear_object (&recv_rtcp);
}

static const GstRtcCodec *
find_codec_for_caps (const GPtrArray * codecs, const GstStructure * s)
{
  const gchar *name = gst_structure_get_string (s, "encoding-name");
  gint clock_rate = 0;
  guint i;

  if (name == NULL)
    return NULL;
  gst_structure_get_int (s, "clock-rate", &clock_rate);
  for (i = 0; codecs != NULL && i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (g_ascii_strcasecmp (codec->encoding_name, name) == 0
        && (clock_rate == 0 || (guint) clock_rate == codec->clock_rate))
      return codec;
  }
  return NULL;
}

static const GstRtcCodec *
find_codec_by_name (const GPtrArray * codecs, const gchar * name)
{
  guint i;

  for (i = 0; codecs != NULL && i < codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (codecs, i);

    if (g_ascii_strcasecmp (codec->encoding_name, name) == 0)
      return codec;
  }
  return NULL;
}

/* The payload type on the wire is the negotiated one: when we answer, the
 * offerer chose the numbers, and our payloader may use others. */
void
rtc_bin_media_update_send_pt (GstRtcBin * bin, GstRtcTransceiver * transceiver)
{
  RtcTransceiverPrivate *priv = &transceiver->priv;
  const GstStructure *s;
  const GstRtcCodec *codec;
  gint pt = -1;
  gboolean warn = FALSE;

  RTC_BIN_LOCK (bin);
  priv->local_pt = -1;
  priv->wire_pt = -1;
  priv->wire_rtx_pt = -1;
  priv->wire_red_pt = -1;
  g_atomic_int_set (&priv->wire_ulpfec_pt, -1);
  priv->wire_red_rtx_pt = -1;
  if (priv->sink_caps != NULL && gst_caps_get_size (priv->sink_caps) > 0
      && priv->negotiated_codecs != NULL) {
    s = gst_caps_get_structure (priv->sink_caps, 0);
    gst_structure_get_int (s, "payload", &pt);
    codec = find_codec_for_caps (priv->negotiated_codecs, s);
    priv->local_pt = pt;
    if (codec != NULL) {
      gint ulpfec_pt = negotiated_ulpfec_pt_locked (transceiver);

      priv->wire_pt = codec->payload_type;
      if (codec->rtx_payload_type != 0 && priv->do_nack)
        priv->wire_rtx_pt = codec->rtx_payload_type;
      /* RED and ULPFEC are sent only by the FEC encoder rtpbin asked us
       * for, when the peer took both */
      if (ulpfec_pt >= 0 && priv->fecenc != NULL && bin->fec) {
        const GstRtcCodec *red = find_codec_by_name (priv->negotiated_codecs,
            "RED");

        priv->wire_red_pt = red->payload_type;
        g_atomic_int_set (&priv->wire_ulpfec_pt, ulpfec_pt);
        if (red->rtx_payload_type != 0 && priv->do_nack)
          priv->wire_red_rtx_pt = red->rtx_payload_type;
      }
    } else {
      priv->wire_pt = -2;
      warn = !priv->warned_codec;
      priv->warned_codec = TRUE;
    }
  }
  RTC_BIN_UNLOCK (bin);
  if (warn)
    GST_ELEMENT_WARNING (bin, STREAM, FORMAT, (NULL),
        ("%s sends %" GST_PTR_FORMAT ", a codec the peer did not accept: "
            "nothing is sent", GST_OBJECT_NAME (transceiver), s));
}

static void
set_uint_field (GstStructure * s, guint key, guint value)
{
  gchar name[16];

  g_snprintf (name, sizeof (name), "%u", key);
  gst_structure_set (s, name, G_TYPE_UINT, value, NULL);
}

/* RED and ULPFEC elements from what was negotiated: what we send is
 * wrapped in RED with ULPFEC at the current percentage; what we receive
 * in RED is unwrapped. */
static void
configure_fec (GstRtcBin * bin, GstRtcTransceiver * transceiver)
{
  RtcTransceiverPrivate *priv = &transceiver->priv;
  GstElement *fecenc = NULL, *redenc = NULL, *reddec = NULL;
  RtcTransportEntry *entry = NULL;
  gint red_pt, ulpfec_pt, receive_red_pt = -1;
  guint percentage = 0;

  RTC_BIN_LOCK (bin);
  if (priv->fecenc != NULL)
    fecenc = gst_object_ref (priv->fecenc);
  if (priv->redenc != NULL)
    redenc = gst_object_ref (priv->redenc);
  if (priv->reddec != NULL)
    reddec = gst_object_ref (priv->reddec);
  red_pt = priv->wire_red_pt;
  ulpfec_pt = g_atomic_int_get (&priv->wire_ulpfec_pt);
  if (priv->entry != NULL)
    entry = rtc_transport_entry_ref (priv->entry);
  if (negotiated_ulpfec_pt_locked (transceiver) >= 0)
    receive_red_pt = find_codec_by_name (priv->negotiated_codecs,
        "RED")->payload_type;
  RTC_BIN_UNLOCK (bin);
  /* a stream negotiated later protects as much as the others */
  if (entry != NULL) {
    g_mutex_lock (&entry->hold_lock);
    percentage = entry->fec_policy.percentage;
    g_mutex_unlock (&entry->hold_lock);
    rtc_transport_entry_unref (entry);
  }
  RTC_BIN_LOCK (bin);
  priv->fec_percentage = percentage;
  RTC_BIN_UNLOCK (bin);

  if (fecenc != NULL && redenc != NULL) {
    if (red_pt >= 0) {
      /* RED only while there is FEC to carry: without loss the packets
       * leave as they would without FEC negotiated */
      g_object_set (redenc, "pt", red_pt, "allow-no-red-blocks",
          percentage > 0, NULL);
      g_object_set (fecenc, "pt", (guint) ulpfec_pt, "percentage",
          percentage, NULL);
    } else {
      g_object_set (fecenc, "pt", 255, "percentage", 0, NULL);
      g_object_set (redenc, "allow-no-red-blocks", FALSE, NULL);
    }
  }
  if (reddec != NULL)
    g_object_set (reddec, "pt", receive_red_pt, NULL);
  GST_DEBUG_OBJECT (bin, "%s: sends RED %d ULPFEC %d (%u %%), receives RED "
      "%d", GST_OBJECT_NAME (transceiver), red_pt, ulpfec_pt, percentage,
      receive_red_pt);
  gst_clear_object (&fecenc);
  gst_clear_object (&redenc);
  gst_clear_object (&reddec);
}

/* The retransmission maps of the session from the negotiated codecs. */
void
rtc_bin_media_configure (GstRtcBin * bin, GstRtcTransceiver * transceiver)
{
  RtcTransceiverPrivate *priv = &transceiver->priv;
  GstElement *rtxsend = NULL, *rtxreceive = NULL;
  GstStructure *send_map, *receive_map, *ssrc_map = NULL;
  guint32 ssrc = 0;
  guint i;

  send_map = gst_structure_new_empty ("application/x-rtp-pt-map");
  receive_map = gst_structure_new_empty ("application/x-rtp-pt-map");
  RTC_BIN_LOCK (bin);
  if (priv->rtxsend != NULL)
    rtxsend = gst_object_ref (priv->rtxsend);
  if (priv->rtxreceive != NULL)
    rtxreceive = gst_object_ref (priv->rtxreceive);
  for (i = 0; priv->negotiated_codecs != NULL
      && i < priv->negotiated_codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (priv->negotiated_codecs, i);

    if (codec->rtx_payload_type == 0 || !priv->do_nack)
      continue;
    set_uint_field (send_map, codec->payload_type, codec->rtx_payload_type);
    if (priv->local_pt >= 0 && priv->wire_pt == (gint) codec->payload_type
        && priv->local_pt != priv->wire_pt)
      set_uint_field (send_map, priv->local_pt, codec->rtx_payload_type);
    /* rtprtxreceive's map goes the same way as rtprtxsend's */
    set_uint_field (receive_map, codec->payload_type,
        codec->rtx_payload_type);
  }
  if (priv->sink_caps != NULL && gst_caps_get_size (priv->sink_caps) > 0)
    gst_structure_get_uint (gst_caps_get_structure (priv->sink_caps, 0),
        "ssrc", &ssrc);
  if (ssrc != 0 && priv->rtx_ssrc != 0) {
    ssrc_map = gst_structure_new_empty ("application/x-rtp-ssrc-map");
    set_uint_field (ssrc_map, ssrc, priv->rtx_ssrc);
  }
  RTC_BIN_UNLOCK (bin);

  if (rtxsend != NULL) {
    g_object_set (rtxsend, "payload-type-map", send_map, NULL);
    if (ssrc_map != NULL)
      g_object_set (rtxsend, "ssrc-map", ssrc_map, NULL);
    gst_object_unref (rtxsend);
  }
  if (rtxreceive != NULL) {
    g_object_set (rtxreceive, "payload-type-map", receive_map, NULL);
    gst_object_unref (rtxreceive);
  }
  gst_structure_free (send_map);
  gst_structure_free (receive_map);
  if (ssrc_map != NULL)
    gst_structure_free (ssrc_map);
  rtc_bin_media_update_send_pt (bin, transceiver);
  configure_fec (bin, transceiver);
}

void
rtc_bin_media_request_keyframes (GstRtcBin * bin, RtcTransportEntry * entry)
{
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i;

  RTC_BIN_LOCK (bin);
  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);

    if (transceiver->priv.entry == entry && transceiver->priv.sink_pad != NULL)
      g_ptr_array_add (pads, gst_object_ref (transceiver->priv.sink_pad));
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < pads->len; i++) {
    GstPad *pad = g_ptr_array_index (pads, i);
    /* gst_video_event_new_upstream_force_key_unit(), without libgstvideo */
    GstStructure *s = gst_structure_new ("GstForceKeyUnit",
        "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
        "all-headers", G_TYPE_BOOLEAN, TRUE,
        "count", G_TYPE_UINT, 0, NULL);

    GST_DEBUG_OBJECT (bin, "asking %s for a keyframe", GST_PAD_NAME (pad));
    gst_pad_push_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
            s));
  }
  g_ptr_array_unref (pads);
}

/* ------------------------------------------------------------------------ */
/* Congestion control: the estimate drives the encoders                      */
/* ------------------------------------------------------------------------ */

/* The pad inside ghost pads, and the element that has it. */
static GstElement *
pad_real_parent (GstPad * pad)
{
  GstPad *real = gst_object_ref (pad);

  while (GST_IS_GHOST_PAD (real)) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (real));

    gst_object_unref (real);
    if (target == NULL)
      return NULL;
    real = target;
  }
  {
    GstElement *parent = gst_pad_get_parent_element (real);

    gst_object_unref (real);
    return parent;
  }
}

/* The encoder upstream of our sink pad: through the payloader, capsfilters,
 * queues and parsers (one sink pad each), at most 8 elements away. */
static GstElement *
find_upstream_encoder (GstPad * sink_pad)
{
  GstPad *peer = gst_pad_get_peer (sink_pad);
  guint hops;

  for (hops = 0; peer != NULL && hops < 8; hops++) {
    GstElement *element = pad_real_parent (peer);
    const gchar *klass;
    GstPad *sink = NULL;

    gst_clear_object (&peer);
    if (element == NULL)
      break;
    klass = gst_element_get_metadata (element, GST_ELEMENT_METADATA_KLASS);
    if (klass != NULL && strstr (klass, "Encoder") != NULL)
      return element;
    GST_OBJECT_LOCK (element);
    if (element->numsinkpads == 1)
      sink = gst_object_ref (element->sinkpads->data);
    GST_OBJECT_UNLOCK (element);
    gst_object_unref (element);
    if (sink == NULL)
      break;
    peer = gst_pad_get_peer (sink);
    gst_object_unref (sink);
  }
  gst_clear_object (&peer);
  return NULL;
}

/* x264enc and x265enc count in kbit/s; the others we know in bit/s. */
static gboolean
encoder_counts_kbit (GstElement * encoder)
{
  GstElementFactory *factory = gst_element_get_factory (encoder);
  const gchar *name = factory ? GST_OBJECT_NAME (factory) : "";

  return g_str_equal (name, "x264enc") || g_str_equal (name, "x265enc");
}

static GParamSpec *
encoder_bitrate_pspec (GstElement * encoder)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (encoder);
  GParamSpec *pspec = g_object_class_find_property (klass, "target-bitrate");

  if (pspec == NULL)
    pspec = g_object_class_find_property (klass, "bitrate");
  if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE)
      || (pspec->flags & G_PARAM_CONSTRUCT_ONLY))
    return NULL;
  return pspec;
}

/* bit/s, or 0 when it does not say */
static guint64
encoder_get_bitrate (GstElement * encoder)
{
  GParamSpec *pspec = encoder_bitrate_pspec (encoder);
  GValue value = G_VALUE_INIT;
  guint64 bitrate = 0;

  if (pspec == NULL)
    return 0;
  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (encoder), pspec->name, &value);
  if (G_VALUE_HOLDS_INT (&value))
    bitrate = MAX (g_value_get_int (&value), 0);
  else if (G_VALUE_HOLDS_UINT (&value))
    bitrate = g_value_get_uint (&value);
  else if (G_VALUE_HOLDS_INT64 (&value))
    bitrate = MAX (g_value_get_int64 (&value), 0);
  else if (G_VALUE_HOLDS_UINT64 (&value))
    bitrate = g_value_get_uint64 (&value);
  g_value_unset (&value);
  if (encoder_counts_kbit (encoder))
    bitrate *= 1000;
  return bitrate;
}

static gboolean
encoder_set_bitrate (GstElement * encoder, guint64 bitrate)
{
  GParamSpec *pspec = encoder_bitrate_pspec (encoder);
  GValue value = G_VALUE_INIT;

  if (pspec == NULL)
    return FALSE;
  if (encoder_counts_kbit (encoder))
    bitrate /= 1000;
  g_value_init (&value, pspec->value_type);
  if (G_IS_PARAM_SPEC_INT (pspec))
    g_value_set_int (&value, CLAMP ((gint64) bitrate,
            G_PARAM_SPEC_INT (pspec)->minimum,
            G_PARAM_SPEC_INT (pspec)->maximum));
  else if (G_IS_PARAM_SPEC_UINT (pspec))
    g_value_set_uint (&value, CLAMP (bitrate,
            G_PARAM_SPEC_UINT (pspec)->minimum,
            G_PARAM_SPEC_UINT (pspec)->maximum));
  else if (G_IS_PARAM_SPEC_INT64 (pspec))
    g_value_set_int64 (&value, CLAMP ((gint64) bitrate,
            G_PARAM_SPEC_INT64 (pspec)->minimum,
            G_PARAM_SPEC_INT64 (pspec)->maximum));
  else if (G_IS_PARAM_SPEC_UINT64 (pspec))
    g_value_set_uint64 (&value, CLAMP (bitrate,
            G_PARAM_SPEC_UINT64 (pspec)->minimum,
            G_PARAM_SPEC_UINT64 (pspec)->maximum));
  else {
    g_value_unset (&value);
    return FALSE;
  }
  g_object_set_property (G_OBJECT (encoder), pspec->name, &value);
  g_value_unset (&value);
  return TRUE;
}

/* Gives the video senders of @entry that send RED this ULPFEC
 * percentage. Returns how many send RED. */
static guint
set_fec_percentage (GstRtcBin * bin, RtcTransportEntry * entry,
    guint percentage)
{
  GPtrArray *senders = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i, active = 0;

  RTC_BIN_LOCK (bin);
  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);

    if (transceiver->priv.entry != entry)
      continue;
    transceiver->priv.fec_percentage = percentage;
    if (transceiver->priv.wire_red_pt >= 0
        && transceiver->priv.fecenc != NULL) {
      g_ptr_array_add (senders, gst_object_ref (transceiver));
      active++;
    }
  }
  RTC_BIN_UNLOCK (bin);
  /* configure_fec() reads the percentage from the entry's policy */
  for (i = 0; i < senders->len; i++)
    configure_fec (bin, g_ptr_array_index (senders, i));
  g_ptr_array_unref (senders);
  return active;
}

/* After feedback: when the estimate moved by more than 5 % (or every 2 s),
 * give the video encoders of this transport what the audio leaves, and
 * post `rtcbin-bandwidth`. */
void
rtc_bin_media_apply_bandwidth (GstRtcBin * bin, RtcTransportEntry * entry)
{
  GPtrArray *pads;
  GArray *kinds;
  GPtrArray *video;
  guint64 audio_total = 0, share = 0;
  gint64 now = g_get_monotonic_time ();
  guint target, i, n_set = 0, fec_percentage = 0, fec_active = 0;
  gboolean apply, poll_fec, fec_changed = FALSE;
  GstStructure *s, *stats;

  if (entry->bwe == NULL)
    return;
  target = gst_rtc_bandwidth_estimator_get_target (entry->bwe);

  /* FEC follows the measured loss */
  g_mutex_lock (&entry->hold_lock);
  poll_fec = now - entry->fec_polled_us >= FEC_POLL_US;
  if (poll_fec)
    entry->fec_polled_us = now;
  g_mutex_unlock (&entry->hold_lock);
  if (poll_fec) {
    gdouble loss = 0.0;
    guint before;

    stats = gst_rtc_bandwidth_estimator_get_stats (entry->bwe);
    gst_structure_get_double (stats, "loss-fraction", &loss);
    gst_structure_free (stats);
    g_mutex_lock (&entry->hold_lock);
    before = entry->fec_policy.percentage;
    fec_percentage = rtc_fec_policy_update (&entry->fec_policy, loss, now);
    g_mutex_unlock (&entry->hold_lock);
    fec_changed = fec_percentage != before;
    if (fec_changed)
      GST_INFO_OBJECT (bin, "transport %u: loss %.3f, FEC %u %% -> %u %%",
          entry->id, loss, before, fec_percentage);
  }
  g_mutex_lock (&entry->hold_lock);
  fec_percentage = entry->fec_policy.percentage;
  g_mutex_unlock (&entry->hold_lock);
  if (fec_changed)
    fec_active = set_fec_percentage (bin, entry, fec_percentage);

  g_mutex_lock (&entry->hold_lock);
  apply = fec_changed || (now - entry->bwe_applied_us >= BANDWIDTH_APPLY_MIN_US
      && (entry->bwe_applied == 0
      || ABS ((gint64) target - (gint64) entry->bwe_applied) * 20 >
      entry->bwe_applied
      || now - entry->bwe_applied_us >= BANDWIDTH_REFRESH_US));
  if (apply) {
    entry->bwe_applied = target;
    entry->bwe_applied_us = now;
  }
  g_mutex_unlock (&entry->hold_lock);
  if (!apply)
    return;

  pads = g_ptr_array_new_with_free_func (gst_object_unref);
  video = g_ptr_array_new_with_free_func (gst_object_unref);
  kinds = g_array_new (FALSE, FALSE, sizeof (GstRtcMediaKind));
  RTC_BIN_LOCK (bin);
  fec_active = 0;
  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);

    if (transceiver->priv.entry == entry && transceiver->priv.sink_pad != NULL
        && transceiver->kind_known) {
      g_ptr_array_add (pads, gst_object_ref (transceiver->priv.sink_pad));
      g_array_append_val (kinds, transceiver->kind);
      if (transceiver->priv.wire_red_pt >= 0)
        fec_active++;
    }
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < pads->len; i++) {
    GstElement *encoder = find_upstream_encoder (g_ptr_array_index (pads, i));

    if (g_array_index (kinds, GstRtcMediaKind, i) == GST_RTC_MEDIA_KIND_AUDIO) {
      guint64 bitrate = encoder ? encoder_get_bitrate (encoder) : 0;

      audio_total += bitrate > 0 ? bitrate : AUDIO_BITRATE_GUESS;
      gst_clear_object (&encoder);
    } else if (encoder != NULL) {
      g_ptr_array_add (video, encoder);
    }
  }
  if (video->len > 0) {
    share = target > audio_total ? (target - audio_total) / video->len : 0;
    /* media and its ULPFEC packets (each about as large as the packets it
     * protects) fit in the estimate together */
    if (fec_active > 0 && fec_percentage > 0)
      share = share * 100 / (100 + fec_percentage);
    share = MAX (share, MIN_VIDEO_BITRATE);
    for (i = 0; i < video->len; i++) {
      GstElement *encoder = g_ptr_array_index (video, i);

      if (encoder_set_bitrate (encoder, share))
        n_set++;
      GST_DEBUG_OBJECT (bin, "%s: %" G_GUINT64_FORMAT " bit/s",
          GST_OBJECT_NAME (encoder), share);
    }
  }

  stats = gst_rtc_bandwidth_estimator_get_stats (entry->bwe);
  s = gst_structure_new ("rtcbin-bandwidth",
      "transport", G_TYPE_UINT, entry->id,
      "target-bitrate", G_TYPE_UINT, target,
      "video-bitrate", G_TYPE_UINT64, share,
      "audio-bitrate", G_TYPE_UINT64, audio_total,
      "encoders", G_TYPE_UINT, n_set,
      "fec-percentage", G_TYPE_UINT, fec_active > 0 ? fec_percentage : 0,
      NULL);
  for (i = 0; i < (guint) gst_structure_n_fields (stats); i++) {
    const gchar *name = gst_structure_nth_field_name (stats, i);

    if (!gst_structure_has_field (s, name))
      gst_structure_set_value (s, name, gst_structure_get_value (stats, name));
  }
  gst_structure_free (stats);
  gst_element_post_message (GST_ELEMENT (bin),
      gst_message_new_element (GST_OBJECT (bin), s));

  g_ptr_array_unref (video);
  g_ptr_array_unref (pads);
  g_array_unref (kinds);
}

/* ------------------------------------------------------------------------ */
/* Receive                                                                  */
/* ------------------------------------------------------------------------ */

static void
feed_item_free (RtcFeedItem * item)
{
  gst_object_unref (item->transceiver);
  gst_buffer_unref (item->buffer);
  g_free (item);
}

/* Worker thread: hands a packet to the feeder, never waiting for it. */
static void
feed (GstRtcBin * bin, GstRtcTransceiver * transceiver, gboolean rtcp,
    GstBuffer * buffer)
{
  RtcFeedItem *item;

  g_mutex_lock (&bin->feed_lock);
  if (bin->feed_flushing || g_queue_get_length (&bin->feed) >=
      RTC_BIN_FEED_MAX_PACKETS) {
    if (!bin->feed_flushing)
      bin->feed_dropped++;
    g_mutex_unlock (&bin->feed_lock);
    GST_LOG_OBJECT (bin, "dropped a received packet: %s",
        bin->feed_flushing ? "not running" : "queue full");
    gst_buffer_unref (buffer);
    return;
  }
  item = g_new0 (RtcFeedItem, 1);
  item->transceiver = gst_object_ref (transceiver);
  item->rtcp = rtcp;
  item->buffer = buffer;
  g_queue_push_tail (&bin->feed, item);
  g_cond_signal (&bin->feed_cond);
  g_mutex_unlock (&bin->feed_lock);
}

static void
push_sticky_events (GstRtcBin * bin, GstPad * pad, gboolean rtcp,
    guint session)
{
  GstSegment segment;
  GstCaps *caps;
  gchar *stream_id;

  stream_id = g_strdup_printf ("%s/%s/%u", GST_OBJECT_NAME (bin),
      rtcp ? "rtcp" : "rtp", session);
  gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
  g_free (stream_id);
  caps = gst_caps_new_empty_simple (rtcp ? "application/x-rtcp" :
      "application/x-rtp");
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_caps_unref (caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}

static void
feeder_loop (gpointer user_data)
{
  GstRtcBin *bin = user_data;
  RtcFeedItem *item;
  RtcTransceiverPrivate *priv;
  GstPad *pad = NULL;
  gboolean need_events = FALSE;

  g_mutex_lock (&bin->feed_lock);
  while (!bin->feed_flushing && g_queue_is_empty (&bin->feed))
    g_cond_wait (&bin->feed_cond, &bin->feed_lock);
  if (bin->feed_flushing) {
    /* rtc_bin_media_stop_feeder() stops the task right after flushing;
     * pausing it here could undo that stop */
    g_mutex_unlock (&bin->feed_lock);
    return;
  }
  item = g_queue_pop_head (&bin->feed);
  g_mutex_unlock (&bin->feed_lock);

  priv = &item->transceiver->priv;
  RTC_BIN_LOCK (bin);
  if (item->rtcp && priv->recv_rtcp_src != NULL) {
    pad = gst_object_ref (priv->recv_rtcp_src);
    need_events = priv->recv_rtcp_need_events;
    priv->recv_rtcp_need_events = FALSE;
  } else if (!item->rtcp && priv->recv_rtp_src != NULL) {
    pad = gst_object_ref (priv->recv_rtp_src);
    need_events = priv->recv_rtp_need_events;
    priv->recv_rtp_need_events = FALSE;
  }
  RTC_BIN_UNLOCK (bin);

  if (pad != NULL) {
    GstFlowReturn ret;

    if (need_events)
      push_sticky_events (bin, pad, item->rtcp, priv->session_id);
    ret = gst_pad_push (pad, g_steal_pointer (&item->buffer));
    if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
      GST_LOG_OBJECT (bin, "pushing into session %u: %s", priv->session_id,
          gst_flow_get_name (ret));
    gst_object_unref (pad);
  }
  if (item->buffer == NULL)
    item->buffer = gst_buffer_new ();
  feed_item_free (item);
}

void
rtc_bin_media_start_feeder (GstRtcBin * bin)
{
  g_mutex_lock (&bin->feed_lock);
  bin->feed_flushing = FALSE;
  g_mutex_unlock (&bin->feed_lock);

  if (bin->feed_task == NULL) {
    gchar *name = g_strdup_printf ("%s:feed", GST_OBJECT_NAME (bin));

    bin->feed_task = gst_task_new (feeder_loop, bin, NULL);
    gst_task_set_lock (bin->feed_task, &bin->feed_task_lock);
    gst_object_set_name (GST_OBJECT (bin->feed_task), name);
    g_free (name);
  }
  gst_task_start (bin->feed_task);
}

void
rtc_bin_media_stop_feeder (GstRtcBin * bin)
{
  GQueue dropped = G_QUEUE_INIT;
  guint i;

  g_mutex_lock (&bin->feed_lock);
  bin->feed_flushing = TRUE;
  dropped = bin->feed;
  g_queue_init (&bin->feed);
  g_cond_broadcast (&bin->feed_cond);
  g_mutex_unlock (&bin->feed_lock);
  g_queue_clear_full (&dropped, (GDestroyNotify) feed_item_free);

  if (bin->feed_task != NULL) {
    gst_task_stop (bin->feed_task);
    gst_task_join (bin->feed_task);
  }

  /* rtpbin's pads lost their sticky events when they were deactivated */
  RTC_BIN_LOCK (bin);
  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);

    transceiver->priv.recv_rtp_need_events = TRUE;
    transceiver->priv.recv_rtcp_need_events = TRUE;
  }
  RTC_BIN_UNLOCK (bin);
}

/* The arrival time, in running time, as udpsrc would stamp it: the
 * jitterbuffer and RTCP need it. */
static void
timestamp_buffer (GstRtcBin * bin, GstBuffer * buffer)
{
  GstClock *clock = NULL;
  GstClockTime base_time = 0, now;

  GST_OBJECT_LOCK (bin);
  if (GST_ELEMENT_CLOCK (bin) != NULL) {
    clock = gst_object_ref (GST_ELEMENT_CLOCK (bin));
    base_time = GST_ELEMENT_CAST (bin)->base_time;
  }
  GST_OBJECT_UNLOCK (bin);
  if (clock == NULL)
    return;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  if (now >= base_time) {
    GST_BUFFER_DTS (buffer) = now - base_time;
    GST_BUFFER_PTS (buffer) = now - base_time;
  }
}

/* Worker thread, lock held: the transceiver that takes media of @mline. */
static GstRtcTransceiver *
receiving_transceiver_locked (GstRtcBin * bin, RtcTransportEntry * entry,
    gint mline)
{
  GstRtcTransceiver *transceiver;

  if (mline < 0)
    return NULL;
  transceiver = rtc_bin_find_transceiver_by_mline (bin, mline);
  if (transceiver == NULL || transceiver->priv.entry != entry
      || !transceiver->priv.recv_linked)
    return NULL;
  return gst_object_ref (transceiver);
}

static void
deliver_rtp (GstRtcBin * bin, RtcTransportEntry * entry, gint mline,
    GstBuffer * buffer)
{
  GstRtcTransceiver *transceiver;

  RTC_BIN_LOCK (bin);
  transceiver = receiving_transceiver_locked (bin, entry, mline);
  RTC_BIN_UNLOCK (bin);
  if (transceiver == NULL) {
    GST_LOG_OBJECT (bin, "m-line %d does not receive: packet dropped", mline);
    gst_buffer_unref (buffer);
    return;
  }
  feed (bin, transceiver, FALSE, buffer);
  gst_object_unref (transceiver);
}

/* Holds a packet we cannot place yet, for a while: its SSRC may be
 * learnt from a later packet that carries the MID. */
static void
hold_packet (GstRtcBin * bin, RtcTransportEntry * entry, guint32 ssrc,
    GstBuffer * buffer, guint64 now_us)
{
  GQueue *queue;
  GHashTableIter iter;
  gpointer key, value;

  g_mutex_lock (&entry->hold_lock);
  /* forget what waited too long */
  g_hash_table_iter_init (&iter, entry->held);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    GQueue *held = value;
    GstBuffer *first = g_queue_peek_head (held);

    if (first != NULL && now_us - GST_BUFFER_OFFSET (first) >
        RTC_BIN_HOLD_US) {
      entry->held_dropped += g_queue_get_length (held);
      GST_WARNING_OBJECT (bin, "dropped %u packets of SSRC %08x: no m-line "
          "after %u ms", g_queue_get_length (held),
          GPOINTER_TO_UINT (key), (guint) (RTC_BIN_HOLD_US / 1000));
      g_hash_table_iter_remove (&iter);
    }
  }

  queue = g_hash_table_lookup (entry->held, GUINT_TO_POINTER (ssrc));
  if (queue == NULL) {
    if (g_hash_table_size (entry->held) >= RTC_BIN_HOLD_MAX_SSRCS) {
      entry->held_dropped++;
      g_mutex_unlock (&entry->hold_lock);
      GST_LOG_OBJECT (bin, "too many unknown SSRCs: %08x dropped", ssrc);
      gst_buffer_unref (buffer);
      return;
    }
    queue = g_queue_new ();
    g_hash_table_insert (entry->held, GUINT_TO_POINTER (ssrc), queue);
  }
  /* the arrival time, to age the queue */
  GST_BUFFER_OFFSET (buffer) = now_us;
  g_queue_push_tail (queue, buffer);
  while (g_queue_get_length (queue) > RTC_BIN_HOLD_MAX_PACKETS) {
    gst_buffer_unref (g_queue_pop_head (queue));
    entry->held_dropped++;
  }
  g_mutex_unlock (&entry->hold_lock);
}

static GQueue *
take_held (RtcTransportEntry * entry, guint32 ssrc)
{
  GQueue *queue = NULL;

  g_mutex_lock (&entry->hold_lock);
  if (g_hash_table_size (entry->held) > 0)
    g_hash_table_steal_extended (entry->held, GUINT_TO_POINTER (ssrc), NULL,
        (gpointer *) & queue);
  g_mutex_unlock (&entry->hold_lock);
  return queue;
}

static void
release_held (GstRtcBin * bin, RtcTransportEntry * entry, guint32 ssrc,
    gint mline)
{
  GQueue *queue = take_held (entry, ssrc);
  GstBuffer *buffer;

  if (queue == NULL)
    return;
  GST_DEBUG_OBJECT (bin, "SSRC %08x placed on m-line %d: releasing %u held "
      "packets", ssrc, mline, g_queue_get_length (queue));
  while ((buffer = g_queue_pop_head (queue)) != NULL) {
    GST_BUFFER_OFFSET (buffer) = GST_BUFFER_OFFSET_NONE;
    deliver_rtp (bin, entry, mline, buffer);
  }
  g_queue_free (queue);
}

void
rtc_bin_media_retry_held (GstRtcBin * bin, RtcTransportEntry * entry)
{
  GList *ssrcs, *l;

  g_mutex_lock (&entry->hold_lock);
  ssrcs = g_hash_table_get_keys (entry->held);
  g_mutex_unlock (&entry->hold_lock);

  for (l = ssrcs; l != NULL; l = l->next) {
    guint32 ssrc = GPOINTER_TO_UINT (l->data);
    GQueue *queue = take_held (entry, ssrc);
    GstBuffer *first;
    GstMapInfo map;
    gint mline = -1;

    if (queue == NULL)
      continue;
    first = g_queue_peek_head (queue);
    if (gst_buffer_map (first, &map, GST_MAP_READ)) {
      mline = gst_rtc_ssrc_router_route (entry->router, map.data, map.size,
          g_get_monotonic_time ());
      gst_buffer_unmap (first, &map);
    }
    g_mutex_lock (&entry->hold_lock);
    g_hash_table_insert (entry->held, GUINT_TO_POINTER (ssrc), queue);
    g_mutex_unlock (&entry->hold_lock);
    if (mline >= 0)
      release_held (bin, entry, ssrc, mline);
  }
  g_list_free (ssrcs);
}

typedef struct
{
  guint32 remote[64];
  guint n_remote;
  guint32 local[64];
  guint n_local;
  guint twcc_feedback;
  gboolean bandwidth_feedback;
} RtcpSsrcs;

static void
add_ssrc (guint32 * array, guint * n, guint32 ssrc)
{
  guint i;

  for (i = 0; i < *n; i++) {
    if (array[i] == ssrc)
      return;
  }
  if (*n < 64)
    array[(*n)++] = ssrc;
}

static void
add_report_blocks (GstRTCPPacket * packet, RtcpSsrcs * ssrcs)
{
  guint i, n = gst_rtcp_packet_get_rb_count (packet);

  for (i = 0; i < n; i++) {
    guint32 ssrc = 0;

    gst_rtcp_packet_get_rb (packet, i, &ssrc, NULL, NULL, NULL, NULL, NULL,
        NULL);
    add_ssrc (ssrcs->local, &ssrcs->n_local, ssrc);
  }
}

/* Which SSRCs an RTCP compound packet is from (the peer's) and about
 * (ours). */
/* Transport-cc feedback or REMB for the send-side estimator. */
static void
feed_estimator (RtcTransportEntry * entry, GstRTCPBuffer * rtcp,
    GstRTCPPacket * packet, gboolean twcc, RtcpSsrcs * ssrcs)
{
  const guint8 *data = rtcp->map.data + packet->offset;
  gsize len = ((gsize) gst_rtcp_packet_get_length (packet) + 1) * 4;
  gint64 now = g_get_monotonic_time ();

  if (entry->bwe == NULL || packet->offset + len > rtcp->map.size)
    return;
  ssrcs->bandwidth_feedback = TRUE;
  if (twcc) {
    GstRtcTwccFeedback feedback;
    GError *error = NULL;

    if (gst_rtc_twcc_feedback_parse (data, len, &feedback, &error)) {
      gst_rtc_bandwidth_estimator_on_feedback (entry->bwe, &feedback, now);
      gst_rtc_twcc_feedback_clear (&feedback);
    } else {
      GST_WARNING ("transport-cc feedback ignored: %s", error->message);
      g_clear_error (&error);
    }
  } else {
    guint64 bitrate;

    /* other application feedback is not an error */
    if (len >= 16 && memcmp (data + 12, "REMB", 4) == 0
        && gst_rtc_remb_parse (data, len, &bitrate, NULL))
      gst_rtc_bandwidth_estimator_on_remb (entry->bwe, bitrate, now);
  }
  if (entry->pacer != NULL)
    gst_rtc_pacer_set_target_bitrate (entry->pacer,
        gst_rtc_bandwidth_estimator_get_target (entry->bwe));
}

static gboolean
rtcp_ssrcs (RtcTransportEntry * entry, GstBuffer * buffer, RtcpSsrcs * ssrcs)
{
  GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;
  guint i;

  if (!gst_rtcp_buffer_validate_reduced (buffer))
    return FALSE;
  if (!gst_rtcp_buffer_map (buffer, GST_MAP_READ, &rtcp))
    return FALSE;
  for (more = gst_rtcp_buffer_get_first_packet (&rtcp, &packet); more;
      more = gst_rtcp_packet_move_to_next (&packet)) {
    guint32 ssrc = 0;

    switch (gst_rtcp_packet_get_type (&packet)) {
      case GST_RTCP_TYPE_SR:
        gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, NULL, NULL, NULL,
            NULL);
        add_ssrc (ssrcs->remote, &ssrcs->n_remote, ssrc);
        add_report_blocks (&packet, ssrcs);
        break;
      case GST_RTCP_TYPE_RR:
        add_ssrc (ssrcs->remote, &ssrcs->n_remote,
            gst_rtcp_packet_rr_get_ssrc (&packet));
        add_report_blocks (&packet, ssrcs);
        break;
      case GST_RTCP_TYPE_SDES:
        if (gst_rtcp_packet_sdes_first_item (&packet)) {
          do {
            add_ssrc (ssrcs->remote, &ssrcs->n_remote,
                gst_rtcp_packet_sdes_get_ssrc (&packet));
          } while (gst_rtcp_packet_sdes_next_item (&packet));
        }
        break;
      case GST_RTCP_TYPE_BYE:
        for (i = 0; i < gst_rtcp_packet_bye_get_ssrc_count (&packet); i++)
          add_ssrc (ssrcs->remote, &ssrcs->n_remote,
              gst_rtcp_packet_bye_get_nth_ssrc (&packet, i));
        break;
      case GST_RTCP_TYPE_RTPFB:
        if (gst_rtcp_packet_fb_get_type (&packet) == RTPFB_FMT_TWCC) {
          ssrcs->twcc_feedback++;
          feed_estimator (entry, &rtcp, &packet, TRUE, ssrcs);
        }
        /* fall through */
      case GST_RTCP_TYPE_PSFB:
        if (gst_rtcp_packet_get_type (&packet) == GST_RTCP_TYPE_PSFB
            && gst_rtcp_packet_fb_get_type (&packet) == PSFB_FMT_AFB)
          feed_estimator (entry, &rtcp, &packet, FALSE, ssrcs);
        add_ssrc (ssrcs->remote, &ssrcs->n_remote,
            gst_rtcp_packet_fb_get_sender_ssrc (&packet));
        ssrc = gst_rtcp_packet_fb_get_media_ssrc (&packet);
        if (ssrc != 0)
          add_ssrc (ssrcs->local, &ssrcs->n_local, ssrc);
        break;
      case GST_RTCP_TYPE_APP:
        add_ssrc (ssrcs->remote, &ssrcs->n_remote,
            gst_rtcp_packet_app_get_ssrc (&packet));
        break;
      default:
        break;
    }
  }
  gst_rtcp_buffer_unmap (&rtcp);
  return TRUE;
}

/* RTCP goes to the sessions it concerns: those of the peer's SSRCs it is
 * from and of ours it is about; if none is known, to every session of the
 * transport. rtpsession ignores what is not its own. */
static void
route_rtcp (GstRtcBin * bin, RtcTransportEntry * entry, GstBuffer * buffer)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func (gst_object_unref);
  RtcpSsrcs ssrcs = { {0,}, 0, {0,}, 0, 0, FALSE };
  gint mlines[64];
  guint sessions[64];
  guint n_sessions = 0;
  guint i, j;

  if (!rtcp_ssrcs (entry, buffer, &ssrcs)) {
    GST_WARNING_OBJECT (bin, "malformed RTCP dropped");
    gst_buffer_unref (buffer);
    g_ptr_array_unref (targets);
    return;
  }
  for (i = 0; i < ssrcs.n_remote; i++)
    mlines[i] = gst_rtc_ssrc_router_lookup (entry->router, ssrcs.remote[i]);
  g_mutex_lock (&entry->hold_lock);
  entry->twcc_feedback_received += ssrcs.twcc_feedback;
  for (i = 0; i < ssrcs.n_local; i++) {
    guint session = GPOINTER_TO_UINT (g_hash_table_lookup (entry->local_ssrcs,
            GUINT_TO_POINTER (ssrcs.local[i])));

    if (session > 0)
      sessions[n_sessions++] = session - 1;
  }
  g_mutex_unlock (&entry->hold_lock);

  RTC_BIN_LOCK (bin);
  for (i = 0; i < ssrcs.n_remote; i++) {
    GstRtcTransceiver *transceiver = receiving_transceiver_locked (bin, entry,
        mlines[i]);

    if (transceiver != NULL && !g_ptr_array_find (targets, transceiver, NULL))
      g_ptr_array_add (targets, transceiver);
    else if (transceiver != NULL)
      gst_object_unref (transceiver);
  }
  for (i = 0; i < n_sessions; i++) {
    GstRtcTransceiver *transceiver = rtc_bin_find_transceiver_by_session (bin,
        sessions[i]);

    if (transceiver != NULL && transceiver->priv.recv_linked
        && !g_ptr_array_find (targets, transceiver, NULL))
      g_ptr_array_add (targets, gst_object_ref (transceiver));
  }
  if (targets->len == 0) {
    for (j = 0; j < bin->transceivers->len; j++) {
      GstRtcTransceiver *transceiver =
          g_ptr_array_index (bin->transceivers, j);

      if (transceiver->priv.entry == entry && transceiver->priv.recv_linked)
        g_ptr_array_add (targets, gst_object_ref (transceiver));
    }
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < targets->len; i++)
    feed (bin, g_ptr_array_index (targets, i), TRUE, gst_buffer_ref (buffer));
  gst_buffer_unref (buffer);
  g_ptr_array_unref (targets);
  if (ssrcs.bandwidth_feedback)
    rtc_bin_media_apply_bandwidth (bin, entry);
}

/* The transport's receive function, on an ICE worker thread. */
void
rtc_bin_media_on_receive (GstRtcTransport * transport, GstRtcPacketKind kind,
    GstBuffer * buffer, gpointer user_data)
{
  RtcTransportEntry *entry = user_data;
  GstRtcBin *bin = entry->bin;
  guint64 now_us = g_get_monotonic_time ();
  GstMapInfo map;
  guint32 ssrc = 0;
  gint mline;

  timestamp_buffer (bin, buffer);
  if (kind == GST_RTC_PACKET_KIND_RTCP) {
    route_rtcp (bin, entry, buffer);
    return;
  }

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    return;
  }
  mline = gst_rtc_ssrc_router_route (entry->router, map.data, map.size,
      now_us);
  if (!gst_rtc_rtp_parse_ssrc (map.data, map.size, &ssrc)) {
    gst_buffer_unmap (buffer, &map);
    GST_WARNING_OBJECT (bin, "malformed RTP dropped");
    gst_buffer_unref (buffer);
    return;
  }
  gst_buffer_unmap (buffer, &map);

  if (mline < 0) {
    hold_packet (bin, entry, ssrc, buffer, now_us);
    return;
  }
  release_held (bin, entry, ssrc, mline);
  deliver_rtp (bin, entry, mline, buffer);
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

/* A W3C stats object: type, id, timestamp, then its members. */
static GstStructure *
stats_object (const gchar * type, const gchar * id, gdouble timestamp)
{
  return gst_structure_new (type, "type", G_TYPE_STRING, type,
      "id", G_TYPE_STRING, id, "timestamp", G_TYPE_DOUBLE, timestamp, NULL);
}

static void
stats_add (GstStructure * report, GstStructure * object)
{
  const gchar *id = gst_structure_get_string (object, "id");

  gst_structure_set (report, id, GST_TYPE_STRUCTURE, object, NULL);
  gst_structure_free (object);
}

static guint64
stats_uint64 (const GstStructure * s, const gchar * field)
{
  guint64 value = 0;

  gst_structure_get_uint64 (s, field, &value);
  return value;
}

static guint
stats_uint (const GstStructure * s, const gchar * field)
{
  guint value = 0;

  gst_structure_get_uint (s, field, &value);
  return value;
}

static gboolean
stats_boolean (const GstStructure * s, const gchar * field)
{
  gboolean value = FALSE;

  gst_structure_get_boolean (s, field, &value);
  return value;
}

static void
add_candidate_stats (GstStructure * report, const gchar * type,
    const gchar * id, const gchar * transport_id, const gchar * candidate,
    gdouble timestamp)
{
  GstRtcIceCandidateInfo info;
  GstStructure *object;

  if (candidate == NULL || !gst_rtc_ice_candidate_parse (candidate, &info,
          NULL))
    return;
  object = stats_object (type, id, timestamp);
  gst_structure_set (object,
      "transportId", G_TYPE_STRING, transport_id,
      "address", G_TYPE_STRING, info.address,
      "port", G_TYPE_UINT, (guint) info.port,
      "protocol", G_TYPE_STRING,
      info.protocol == GST_RTC_ICE_PROTOCOL_TCP ? "tcp" : "udp",
      "candidateType", G_TYPE_STRING,
      gst_rtc_ice_candidate_type_to_string (info.type),
      "priority", G_TYPE_UINT, info.priority,
      "foundation", G_TYPE_STRING, info.foundation, NULL);
  stats_add (report, object);
}

static const gchar *
dtls_state_name (GstRtcTransport * transport)
{
  GstRtcDtlsConnection *dtls = gst_rtc_transport_get_dtls_connection
      (transport);
  GstRtcDtlsState state = GST_RTC_DTLS_STATE_NEW;

  if (dtls != NULL) {
    state = gst_rtc_dtls_connection_get_state (dtls);
    g_object_unref (dtls);
  }
  switch (state) {
    case GST_RTC_DTLS_STATE_NEW:
      return "new";
    case GST_RTC_DTLS_STATE_CONNECTING:
    case GST_RTC_DTLS_STATE_PENDING_FINGERPRINT:
      return "connecting";
    case GST_RTC_DTLS_STATE_CONNECTED:
      return "connected";
    case GST_RTC_DTLS_STATE_FAILED:
      return "failed";
    case GST_RTC_DTLS_STATE_CLOSED:
      return "closed";
  }
  return "new";
}

static void
add_transport_stats (GstRtcBin * bin, GstStructure * report,
    RtcTransportEntry * entry, gdouble timestamp)
{
  GstStructure *object, *transport_stats, *router_stats;
  gchar *id = g_strdup_printf ("transport_%u", entry->id);
  gchar *local = NULL, *remote = NULL;
  /* the stream that carries the media: during an ICE restart, the old one
   * until the fresh one connects */
  GstRtcIceStream *stream = gst_rtc_transport_get_ice_stream
      (entry->transport);

  if (stream == NULL)
    stream = rtc_transport_entry_get_stream (entry);
  transport_stats = gst_rtc_transport_get_stats (entry->transport);
  router_stats = gst_rtc_ssrc_router_get_stats (entry->router);
  object = stats_object ("transport", id, timestamp);
  gst_structure_set (object,
      "dtlsState", G_TYPE_STRING, dtls_state_name (entry->transport),
      "iceState", G_TYPE_STRING, gst_rtc_ice_stream_get_state (stream)
      == GST_RTC_ICE_STATE_COMPLETED ? "completed" :
      gst_rtc_ice_stream_get_state (stream) ==
      GST_RTC_ICE_STATE_CONNECTED ? "connected" : "other",
      "bytesSent", G_TYPE_UINT64, stats_uint64 (transport_stats, "bytes-sent"),
      "bytesReceived", G_TYPE_UINT64, stats_uint64 (transport_stats,
          "bytes-received"),
      "packetsSent", G_TYPE_UINT64, stats_uint64 (transport_stats, "rtp-sent")
      + stats_uint64 (transport_stats, "rtcp-sent"),
      "packetsReceived", G_TYPE_UINT64, stats_uint64 (transport_stats,
          "rtp-received") + stats_uint64 (transport_stats, "rtcp-received"),
      /* not W3C: how the BUNDLE router placed packets (see router.c) */
      "packetsRouted", G_TYPE_UINT64, stats_uint64 (router_stats, "routed"),
      "packetsRoutedByMid", G_TYPE_UINT64, stats_uint64 (router_stats,
          "by-mid"),
      "ssrcsLearntByRid", G_TYPE_UINT64, stats_uint64 (router_stats,
          "by-rid"),
      "ssrcsLearntBySsrc", G_TYPE_UINT64, stats_uint64 (router_stats,
          "by-ssrc"),
      "ssrcsLearntByPayloadType", G_TYPE_UINT64, stats_uint64 (router_stats,
          "by-payload-type"),
      "packetsUnrouted", G_TYPE_UINT64, stats_uint64 (router_stats,
          "unknown"),
      "packetsHeldDropped", G_TYPE_UINT64, entry->held_dropped,
      "twccFeedbackReceived", G_TYPE_UINT64, entry->twcc_feedback_received,
      NULL);
  if (entry->pacer != NULL) {
    GstStructure *pacer = gst_rtc_pacer_get_stats (entry->pacer);

    /* not W3C: the pacer (pacer.c) */
    gst_structure_set (object,
        "pacingRate", G_TYPE_UINT64, stats_uint64 (pacer, "pacing-rate"),
        "pacerPacketsPaced", G_TYPE_UINT64, stats_uint64 (pacer,
            "packets-paced"),
        "pacerPacketsDropped", G_TYPE_UINT64, stats_uint64 (pacer,
            "packets-dropped"),
        "pacerQueuedBytes", G_TYPE_UINT64, stats_uint64 (pacer,
            "queued-bytes"),
        "pacerMaxQueuedBytes", G_TYPE_UINT64, stats_uint64 (pacer,
            "max-queued-bytes"), NULL);
    gst_structure_set_value (object, "pacerMeanQueueDelayMs",
        gst_structure_get_value (pacer, "mean-queue-delay-ms"));
    gst_structure_set_value (object, "pacerMaxQueueDelayMs",
        gst_structure_get_value (pacer, "max-queue-delay-ms"));
    gst_structure_free (pacer);
  }

  if (gst_rtc_ice_stream_get_selected_pair (stream, NULL, NULL, &local,
          &remote)) {
    gchar *pair_id = g_strdup_printf ("candidate-pair_%u", entry->id);
    gchar *local_id = g_strdup_printf ("local-candidate_%u", entry->id);
    gchar *remote_id = g_strdup_printf ("remote-candidate_%u", entry->id);
    GstStructure *pair = stats_object ("candidate-pair", pair_id, timestamp);

    gst_structure_set (object, "selectedCandidatePairId", G_TYPE_STRING,
        pair_id, NULL);
    gst_structure_set (pair,
        "transportId", G_TYPE_STRING, id,
        "localCandidateId", G_TYPE_STRING, local_id,
        "remoteCandidateId", G_TYPE_STRING, remote_id,
        "state", G_TYPE_STRING, "succeeded",
        "nominated", G_TYPE_BOOLEAN, TRUE,
        "bytesSent", G_TYPE_UINT64, stats_uint64 (transport_stats,
            "bytes-sent"),
        "bytesReceived", G_TYPE_UINT64, stats_uint64 (transport_stats,
            "bytes-received"), NULL);
    if (entry->bwe != NULL)
      gst_structure_set (pair, "availableOutgoingBitrate", G_TYPE_DOUBLE,
          (gdouble) gst_rtc_bandwidth_estimator_get_target (entry->bwe),
          NULL);
    stats_add (report, pair);
    add_candidate_stats (report, "local-candidate", local_id, id, local,
        timestamp);
    add_candidate_stats (report, "remote-candidate", remote_id, id, remote,
        timestamp);
    g_free (pair_id);
    g_free (local_id);
    g_free (remote_id);
  }
  stats_add (report, object);
  gst_structure_free (transport_stats);
  gst_structure_free (router_stats);
  gst_object_unref (stream);
  g_free (local);
  g_free (remote);
  g_free (id);
}

/* The payload type rtpbin receives an SSRC with, from its pad name. */
static gint
received_payload_type (GstRtcBin * bin, guint session, guint32 ssrc)
{
  GstIterator *it = gst_element_iterate_src_pads (bin->rtpbin);
  GValue item = G_VALUE_INIT;
  gint pt = -1;

  while (pt < 0 && gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstPad *pad = g_value_get_object (&item);
    guint pad_session, pad_ssrc, pad_pt;

    if (sscanf (GST_PAD_NAME (pad), "recv_rtp_src_%u_%u_%u", &pad_session,
            &pad_ssrc, &pad_pt) == 3 && pad_session == session
        && pad_ssrc == ssrc)
      pt = pad_pt;
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return pt;
}

typedef struct
{
  GstRtcTransceiver *transceiver;
  guint session;
  guint32 rtx_ssrc;
  gchar *mid;
  GstRtcMediaKind kind;
  GPtrArray *codecs;
  guint entry_id;
  gboolean has_entry;
  guint64 frames;
  GstElement *rtxsend;
  GstElement *rtxreceive;
  guint64 rtx_sent;
  guint64 rtx_received;
  gboolean sends_red;
  guint fec_percentage;
  guint64 fec_packets_sent;
  guint64 fec_bytes_sent;
  GstElement *fecdec;
  guint fec_recovered;
  guint fec_unrecovered;
} TransceiverStats;

static void
add_rtp_stats (GstRtcBin * bin, GstStructure * report,
    TransceiverStats * info, gdouble timestamp)
{
  const gchar *kind = info->kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" :
      "audio";
  gchar *transport_id = g_strdup_printf ("transport_%u", info->entry_id);
  GstElement *session = NULL;
  GstStructure *session_stats = NULL;
  const GValue *sources;
  const GstStructure *remote_rb = NULL;
  guint i;

  for (i = 0; info->codecs != NULL && i < info->codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (info->codecs, i);
    gchar *id = g_strdup_printf ("codec_%u_%u", info->session,
        codec->payload_type);
    gchar *mime = g_strdup_printf ("%s/%s", kind, codec->encoding_name);
    GstStructure *object = stats_object ("codec", id, timestamp);

    gst_structure_set (object,
        "payloadType", G_TYPE_UINT, codec->payload_type,
        "mimeType", G_TYPE_STRING, mime,
        "clockRate", G_TYPE_UINT, codec->clock_rate,
        "transportId", G_TYPE_STRING, transport_id, NULL);
    if (codec->channels > 0)
      gst_structure_set (object, "channels", G_TYPE_UINT, codec->channels,
          NULL);
    if (codec->fmtp != NULL)
      gst_structure_set (object, "sdpFmtpLine", G_TYPE_STRING, codec->fmtp,
          NULL);
    stats_add (report, object);
    g_free (mime);
    g_free (id);
  }

  g_signal_emit_by_name (bin->rtpbin, "get-session", info->session, &session);
  if (session != NULL) {
    g_object_get (session, "stats", &session_stats, NULL);
    gst_object_unref (session);
  }
  if (session_stats == NULL) {
    g_free (transport_id);
    return;
  }
  sources = gst_structure_get_value (session_stats, "source-stats");

  /* rtpsession gives a GValueArray, deprecated but not replaced in 1.22 */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
  if (sources != NULL && G_VALUE_HOLDS (sources,
          g_type_from_name ("GValueArray"))) {
    GValueArray *array = g_value_get_boxed (sources);

    /* The peer's receiver report about what we send: the source of the
     * session that reports. */
    for (i = 0; array != NULL && i < array->n_values; i++) {
      const GstStructure *source =
          gst_value_get_structure (g_value_array_get_nth (array, i));

      if (!stats_boolean (source, "internal")
          && stats_boolean (source, "have-rb"))
        remote_rb = source;
    }

    for (i = 0; array != NULL && i < array->n_values; i++) {
      const GstStructure *source =
          gst_value_get_structure (g_value_array_get_nth (array, i));
      guint ssrc = stats_uint (source, "ssrc");
      gint clock_rate = 0;
      GstStructure *object;
      gchar *id;

      gst_structure_get_int (source, "clock-rate", &clock_rate);
      if (stats_boolean (source, "internal")) {
        if (!stats_boolean (source, "is-sender")
            || (info->rtx_ssrc != 0 && ssrc == info->rtx_ssrc))
          continue;
        id = g_strdup_printf ("outbound-rtp_%u", ssrc);
        object = stats_object ("outbound-rtp", id, timestamp);
        gst_structure_set (object,
            "ssrc", G_TYPE_UINT, ssrc,
            "kind", G_TYPE_STRING, kind,
            "transportId", G_TYPE_STRING, transport_id,
            "packetsSent", G_TYPE_UINT64, stats_uint64 (source,
                "packets-sent"),
            "bytesSent", G_TYPE_UINT64, stats_uint64 (source, "octets-sent"),
            "nackCount", G_TYPE_UINT, stats_uint (session_stats,
                "recv-nack-count"),
            "retransmittedPacketsSent", G_TYPE_UINT64, info->rtx_sent, NULL);
        if (info->kind == GST_RTC_MEDIA_KIND_VIDEO)
          /* ULPFEC: the protection in use and what it cost */
          gst_structure_set (object,
              "fecPercentage", G_TYPE_UINT, info->sends_red ?
              info->fec_percentage : 0,
              "fecPacketsSent", G_TYPE_UINT64, info->fec_packets_sent,
              "fecBytesSent", G_TYPE_UINT64, info->fec_bytes_sent, NULL);
        if (info->mid != NULL)
          gst_structure_set (object, "mid", G_TYPE_STRING, info->mid, NULL);
        if (info->codecs != NULL && info->codecs->len > 0) {
          const GstRtcCodec *codec = g_ptr_array_index (info->codecs, 0);
          gchar *codec_id = g_strdup_printf ("codec_%u_%u", info->session,
              codec->payload_type);

          gst_structure_set (object, "codecId", G_TYPE_STRING, codec_id, NULL);
          g_free (codec_id);
        }
        if (remote_rb != NULL) {
          gchar *remote_id = g_strdup_printf ("remote-inbound-rtp_%u", ssrc);
          GstStructure *remote = stats_object ("remote-inbound-rtp",
              remote_id, timestamp);
          gint lost = 0;

          gst_structure_get_int (remote_rb, "rb-packetslost", &lost);
          gst_structure_set (remote,
              "ssrc", G_TYPE_UINT, ssrc,
              "kind", G_TYPE_STRING, kind,
              "transportId", G_TYPE_STRING, transport_id,
              "localId", G_TYPE_STRING, id,
              "packetsLost", G_TYPE_INT, lost,
              "fractionLost", G_TYPE_DOUBLE,
              stats_uint (remote_rb, "rb-fractionlost") / 256.0,
              "jitter", G_TYPE_DOUBLE, clock_rate > 0 ?
              stats_uint (remote_rb, "rb-jitter") / (gdouble) clock_rate : 0.0,
              "roundTripTime", G_TYPE_DOUBLE,
              stats_uint (remote_rb, "rb-round-trip") / 65536.0, NULL);
          gst_structure_set (object, "remoteId", G_TYPE_STRING, remote_id,
              NULL);
          stats_add (report, remote);
          g_free (remote_id);
        }
      } else {
        gint lost = 0, pt;

        /* a stream is what got a pad: RTX SSRCs are folded into theirs */
        pt = received_payload_type (bin, info->session, ssrc);
        if (!stats_boolean (source, "is-sender")
            || stats_uint64 (source, "packets-received") == 0 || pt < 0)
          continue;
        gst_structure_get_int (source, "packets-lost", &lost);
        id = g_strdup_printf ("inbound-rtp_%u", ssrc);
        object = stats_object ("inbound-rtp", id, timestamp);
        gst_structure_set (object,
            "ssrc", G_TYPE_UINT, ssrc,
            "kind", G_TYPE_STRING, kind,
            "transportId", G_TYPE_STRING, transport_id,
            "packetsReceived", G_TYPE_UINT64, stats_uint64 (source,
                "packets-received"),
            "bytesReceived", G_TYPE_UINT64, stats_uint64 (source,
                "octets-received"),
            "packetsLost", G_TYPE_INT, lost,
            "jitter", G_TYPE_DOUBLE, clock_rate > 0 ?
            stats_uint (source, "jitter") / (gdouble) clock_rate : 0.0,
            "nackCount", G_TYPE_UINT, stats_uint (session_stats,
                "sent-nack-count"),
            "retransmittedPacketsReceived", G_TYPE_UINT64, info->rtx_received,
            NULL);
        if (info->mid != NULL)
          gst_structure_set (object, "mid", G_TYPE_STRING, info->mid, NULL);
        if (info->kind == GST_RTC_MEDIA_KIND_VIDEO)
          gst_structure_set (object, "framesReceived", G_TYPE_UINT64,
              info->frames, NULL);
        if (info->fecdec != NULL)
          gst_structure_set (object,
              "fecPacketsRecovered", G_TYPE_UINT, info->fec_recovered,
              "fecPacketsUnrecovered", G_TYPE_UINT, info->fec_unrecovered,
              NULL);
        {
          gchar *codec_id = g_strdup_printf ("codec_%u_%d", info->session,
              pt);

          gst_structure_set (object, "codecId", G_TYPE_STRING, codec_id, NULL);
          g_free (codec_id);
        }
      }
      stats_add (report, object);
      g_free (id);
    }
  }
  G_GNUC_END_IGNORE_DEPRECATIONS;
  gst_structure_free (session_stats);
  g_free (transport_id);
}

static void
transceiver_stats_clear (TransceiverStats * info)
{
  gst_object_unref (info->transceiver);
  gst_clear_object (&info->rtxsend);
  gst_clear_object (&info->rtxreceive);
  gst_clear_object (&info->fecdec);
  g_free (info->mid);
  g_clear_pointer (&info->codecs, g_ptr_array_unref);
}

GstStructure *
rtc_bin_media_collect_stats (GstRtcBin * bin)
{
  gdouble timestamp = g_get_real_time () / 1000.0;
  GstStructure *report;
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtc_transport_entry_unref);
  GArray *infos = g_array_new (FALSE, TRUE, sizeof (TransceiverStats));
  guint i;

  g_array_set_clear_func (infos, (GDestroyNotify) transceiver_stats_clear);
  report = gst_structure_new_empty ("application/x-rtc-stats");

  RTC_BIN_LOCK (bin);
  for (i = 0; i < bin->entries->len; i++) {
    RtcTransportEntry *entry = g_ptr_array_index (bin->entries, i);

    if (!entry->closed)
      g_ptr_array_add (entries, rtc_transport_entry_ref (entry));
  }
  for (i = 0; i < bin->transceivers->len; i++) {
    GstRtcTransceiver *transceiver = g_ptr_array_index (bin->transceivers, i);
    TransceiverStats info = { 0, };

    if (transceiver->priv.negotiated_codecs == NULL
        || transceiver->priv.entry == NULL)
      continue;
    info.transceiver = gst_object_ref (transceiver);
    info.session = transceiver->priv.session_id;
    info.rtx_ssrc = (guint32) g_atomic_int_get ((gint *)
        & transceiver->priv.sent_rtx_ssrc);
    info.mid = g_strdup (transceiver->mid);
    info.kind = transceiver->priv.negotiated_kind;
    info.codecs = g_ptr_array_ref (transceiver->priv.negotiated_codecs);
    info.entry_id = transceiver->priv.entry->id;
    info.frames = (guint64) g_atomic_pointer_get
        (&transceiver->priv.frames_received);
    if (transceiver->priv.rtxsend != NULL)
      info.rtxsend = gst_object_ref (transceiver->priv.rtxsend);
    if (transceiver->priv.rtxreceive != NULL)
      info.rtxreceive = gst_object_ref (transceiver->priv.rtxreceive);
    info.sends_red = transceiver->priv.wire_red_pt >= 0;
    info.fec_percentage = transceiver->priv.fec_percentage;
    info.fec_packets_sent = (guint64) g_atomic_pointer_get
        (&transceiver->priv.fec_packets_sent);
    info.fec_bytes_sent = (guint64) g_atomic_pointer_get
        (&transceiver->priv.fec_bytes_sent);
    if (transceiver->priv.fecdec != NULL)
      info.fecdec = gst_object_ref (transceiver->priv.fecdec);
    g_array_append_val (infos, info);
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < entries->len; i++)
    add_transport_stats (bin, report, g_ptr_array_index (entries, i),
        timestamp);
  for (i = 0; i < infos->len; i++) {
    TransceiverStats *info = &g_array_index (infos, TransceiverStats, i);
    guint count = 0;

    if (info->rtxsend != NULL) {
      g_object_get (info->rtxsend, "num-rtx-packets", &count, NULL);
      info->rtx_sent = count;
    }
    if (info->rtxreceive != NULL) {
      g_object_get (info->rtxreceive, "num-rtx-assoc-packets", &count, NULL);
      info->rtx_received = count;
    }
    if (info->fecdec != NULL)
      g_object_get (info->fecdec, "recovered", &info->fec_recovered,
          "unrecovered", &info->fec_unrecovered, NULL);
    add_rtp_stats (bin, report, info, timestamp);
  }

  g_ptr_array_unref (entries);
  g_array_unref (infos);
  return report;
}
