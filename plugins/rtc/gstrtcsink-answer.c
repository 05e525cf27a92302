/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The answer rtcsink gives a viewer's offer, and the trickle fragments a
 * viewer PATCHes: pure functions over the library's SDP model, so that
 * they can be tested without a pipeline or a network.
 *
 * One viewer is one transport: the m-lines we accept are the ones in the
 * offer's BUNDLE group (or, without a group, the first acceptable one),
 * each fed by one of our streams of its kind, in order.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtcsink-answer.h"

#include <string.h>

/* RFC 8285 one-byte header extension ids; the fan-out writes no others. */
#define MAX_ONE_BYTE_EXT_ID 14
/* The fan-out writes MIDs of 1 to 16 bytes in a one-byte extension. */
#define MAX_MID_EXT_LEN 16

/* Without RTX in our local codec, gst_rtc_sdp_answer_media() drops the
 * offered RTX: any non-zero value keeps it (the offerer's number is used). */
#define LOCAL_RTX_PAYLOAD_TYPE 97

static gboolean
offer_wants_to_receive (const GstRtcMediaDescription * offered)
{
  if (offered->rejected || offered->application != NULL)
    return FALSE;
  switch (offered->direction) {
    case GST_RTC_DIRECTION_RECVONLY:
    case GST_RTC_DIRECTION_SENDRECV:
    case GST_RTC_DIRECTION_NONE:
      return TRUE;
    default:
      return FALSE;
  }
}

static gboolean
strv_contains (gchar ** strv, const gchar * value)
{
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++) {
    if (g_strcmp0 (strv[i], value) == 0)
      return TRUE;
  }
  return FALSE;
}

static GstRtcMediaDescription *
rejected_media (const GstRtcMediaDescription * offered)
{
  GPtrArray *none = g_ptr_array_new ();
  GstRtcMediaDescription *media;

  media = gst_rtc_sdp_answer_media (offered, none,
      GST_RTC_DIRECTION_INACTIVE, NULL);
  g_ptr_array_unref (none);
  if (media == NULL) {
    /* An m-line the SDP helper cannot even reject (unknown kind): write
     * the bare minimum, port 0 and its mid. */
    media = gst_rtc_media_description_new (offered->mline,
        GST_RTC_MEDIA_KIND_AUDIO);
    media->mid = g_strdup (offered->mid);
    media->application = g_strdup (offered->application);
    media->direction = GST_RTC_DIRECTION_INACTIVE;
  }
  media->rejected = TRUE;
  /* Harmless on a rejected m-line, and aiortc refuses answers without. */
  media->rtcp_mux = offered->rtcp_mux;
  return media;
}

/* Answers @offered with @source alone; NULL if they have no codec in
 * common or the offerer does not want to receive. */
static GstRtcMediaDescription *
answer_with_source (const GstRtcMediaDescription * offered,
    const GstRtcSinkSource * source)
{
  GPtrArray *local = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_rtc_codec_free);
  GstRtcCodec *codec = gst_rtc_codec_copy (source->codec);
  GstRtcMediaDescription *media;

  if (source->kind == GST_RTC_MEDIA_KIND_VIDEO && codec->rtx_payload_type == 0)
    codec->rtx_payload_type = LOCAL_RTX_PAYLOAD_TYPE;
  g_ptr_array_add (local, codec);
  media = gst_rtc_sdp_answer_media (offered, local, GST_RTC_DIRECTION_SENDONLY,
      NULL);
  g_ptr_array_unref (local);
  if (media == NULL)
    return NULL;
  if (media->rejected || media->direction != GST_RTC_DIRECTION_SENDONLY) {
    gst_rtc_media_description_free (media);
    return NULL;
  }
  /* We send one format: the offerer's first choice among those that are
   * ours (the helper keeps the offerer's order). */
  if (media->codecs->len > 1)
    g_ptr_array_set_size (media->codecs, 1);
  return media;
}

static guint32
random_ssrc (const guint32 * taken, guint n_taken)
{
  for (;;) {
    guint32 ssrc = g_random_int ();
    gboolean clash = ssrc == 0;

    for (guint i = 0; i < n_taken && !clash; i++)
      clash = taken[i] == ssrc;
    if (!clash)
      return ssrc;
  }
}

/**
 * gst_rtc_sink_answer_build:
 * @offer: a viewer's parsed offer
 * @sources: (array length=n_sources): what we can send
 * @n_sources: how many (at most %GST_RTC_FANOUT_MAX_STREAMS)
 * @cname: the CNAME of our SSRCs
 * @stream_id: the stream part of a=msid
 * @out: (out caller-allocates): the answer and the viewer's fan-out config
 * @error: why no m-line could be accepted
 *
 * Returns: %TRUE if at least one m-line is accepted
 */
gboolean
gst_rtc_sink_answer_build (const GstRtcSessionDescription * offer,
    const GstRtcSinkSource * sources, guint n_sources, const gchar * cname,
    const gchar * stream_id, GstRtcSinkAnswer * out, GError ** error)
{
  GstRtcMediaDescription **accepted;
  gboolean used[GST_RTC_FANOUT_MAX_STREAMS] = { FALSE, };
  gint *source_of;
  guint32 ssrcs[2 * GST_RTC_FANOUT_MAX_STREAMS];
  guint n_ssrcs = 0, n_media, i, s;
  gint tag = -1;
  GPtrArray *bundle;
  GString *offered_kinds;

  g_return_val_if_fail (offer != NULL && offer->media != NULL, FALSE);
  g_return_val_if_fail (n_sources <= GST_RTC_FANOUT_MAX_STREAMS, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof (*out));
  n_media = offer->media->len;
  accepted = g_new0 (GstRtcMediaDescription *, n_media);
  source_of = g_new (gint, n_media);

  /* Our streams to the m-lines that want them, in order. */
  for (i = 0; i < n_media; i++) {
    const GstRtcMediaDescription *offered = g_ptr_array_index (offer->media,
        i);

    source_of[i] = -1;
    if (!offer_wants_to_receive (offered))
      continue;
    if (offer->bundle_mids != NULL
        && !strv_contains (offer->bundle_mids, offered->mid))
      continue;
    for (s = 0; s < n_sources; s++) {
      if (used[s] || sources[s].kind != offered->kind
          || sources[s].codec == NULL)
        continue;
      accepted[i] = answer_with_source (offered, &sources[s]);
      if (accepted[i] != NULL) {
        used[s] = TRUE;
        for (guint a = 0; a < n_sources && sources[s].group != 0; a++) {
          if (sources[a].group == sources[s].group)
            used[a] = TRUE;
        }
        source_of[i] = s;
        break;
      }
    }
  }

  /* The transport is the tagged m-line's: the first mid of the offer's
   * BUNDLE group we accepted, or without a group the first accepted
   * m-line, which is then the only one (one transport per viewer). */
  if (offer->bundle_mids != NULL) {
    for (guint b = 0; offer->bundle_mids[b] != NULL && tag < 0; b++) {
      for (i = 0; i < n_media && tag < 0; i++) {
        const GstRtcMediaDescription *offered =
            g_ptr_array_index (offer->media, i);

        if (accepted[i] != NULL
            && g_strcmp0 (offered->mid, offer->bundle_mids[b]) == 0)
          tag = i;
      }
    }
  } else {
    for (i = 0; i < n_media; i++) {
      if (accepted[i] == NULL)
        continue;
      if (tag < 0) {
        tag = i;
      } else {
        g_clear_pointer (&accepted[i], gst_rtc_media_description_free);
        source_of[i] = -1;
      }
    }
  }

  if (tag < 0) {
    offered_kinds = g_string_new (NULL);
    for (s = 0; s < n_sources; s++) {
      if (sources[s].codec == NULL)
        continue;
      g_string_append_printf (offered_kinds, "%s%s %s",
          offered_kinds->len ? ", " : "",
          sources[s].kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio",
          sources[s].codec->encoding_name);
    }
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "no m-line of the offer receives what this sink sends (%s): "
        "it needs a recvonly or sendrecv m-line%s with one of those codecs",
        offered_kinds->len ? offered_kinds->str : "nothing yet",
        offer->bundle_mids != NULL ? " in the BUNDLE group" : "");
    g_string_free (offered_kinds, TRUE);
    g_free (accepted);
    g_free (source_of);
    return FALSE;
  }

  out->answer = gst_rtc_session_description_new (GST_RTC_SDP_TYPE_ANSWER);
  out->answer->ice_trickle = TRUE;
  out->offer_tag = tag;
  bundle = g_ptr_array_new ();

  for (i = 0; i < n_media; i++) {
    const GstRtcMediaDescription *offered = g_ptr_array_index (offer->media,
        i);
    GstRtcMediaDescription *media = accepted[i];
    const GstRtcSinkSource *source;
    const GstRtcCodec *codec;

    if (media == NULL) {
      g_ptr_array_add (out->answer->media, rejected_media (offered));
      continue;
    }
    source = &sources[source_of[i]];
    codec = g_ptr_array_index (media->codecs, 0);

    if (media->ext_mid > MAX_ONE_BYTE_EXT_ID || media->mid == NULL
        || strlen (media->mid) > MAX_MID_EXT_LEN || media->mid[0] == '\0')
      media->ext_mid = 0;
    if (media->ext_twcc > MAX_ONE_BYTE_EXT_ID
        || media->ext_twcc == media->ext_mid)
      media->ext_twcc = 0;
    media->ext_rid = 0;

    media->ssrc = random_ssrc (ssrcs, n_ssrcs);
    ssrcs[n_ssrcs++] = media->ssrc;
    if (codec->rtx_payload_type != 0) {
      media->rtx_ssrc = random_ssrc (ssrcs, n_ssrcs);
      ssrcs[n_ssrcs++] = media->rtx_ssrc;
    }
    g_free (media->cname);
    media->cname = g_strdup (cname);
    g_free (media->msid);
    media->msid = g_strdup_printf ("%s %s", stream_id, source->track_id);

    gst_rtc_fanout_viewer_config_add_stream (&out->config,
        source->fanout_stream, codec->payload_type, codec->rtx_payload_type,
        media->ssrc, media->rtx_ssrc, media->mid, media->ext_mid,
        media->ext_twcc);
    g_ptr_array_add (out->answer->media, media);
    out->n_accepted++;
  }

  if (offer->bundle_mids != NULL) {
    const GstRtcMediaDescription *tagged = g_ptr_array_index (offer->media,
        tag);

    g_ptr_array_add (bundle, g_strdup (tagged->mid));
    for (guint b = 0; offer->bundle_mids[b] != NULL; b++) {
      for (i = 0; i < n_media; i++) {
        const GstRtcMediaDescription *offered =
            g_ptr_array_index (offer->media, i);

        if (accepted[i] != NULL && (gint) i != tag
            && g_strcmp0 (offered->mid, offer->bundle_mids[b]) == 0)
          g_ptr_array_add (bundle, g_strdup (offered->mid));
      }
    }
    g_ptr_array_add (bundle, NULL);
    out->answer->bundle_mids = (gchar **) g_ptr_array_free (bundle, FALSE);
  } else {
    g_ptr_array_unref (bundle);
  }

  g_free (accepted);
  g_free (source_of);
  return TRUE;
}

/**
 * gst_rtc_sink_answer_setup:
 * @offered: the offer's a=setup
 *
 * Returns: ours: active (DTLS client) unless the offerer wants to be the
 *   client
 */
GstRtcDtlsSetup
gst_rtc_sink_answer_setup (GstRtcDtlsSetup offered)
{
  return offered == GST_RTC_DTLS_SETUP_ACTIVE ? GST_RTC_DTLS_SETUP_PASSIVE :
      GST_RTC_DTLS_SETUP_ACTIVE;
}

/**
 * gst_rtc_sink_answer_set_transport:
 * @answer: a built answer
 * @ufrag: our ICE ufrag
 * @pwd: our ICE password
 * @fingerprint: our certificate's fingerprint
 * @setup: our DTLS role
 * @candidates: (element-type utf8) (nullable): our candidates
 * @end_of_candidates: whether gathering is complete
 *
 * Writes the transport attributes into every m-line (candidates into the
 * accepted ones only): they all share one transport.
 */
void
gst_rtc_sink_answer_set_transport (GstRtcSinkAnswer * answer,
    const gchar * ufrag, const gchar * pwd, const gchar * fingerprint,
    GstRtcDtlsSetup setup, const GPtrArray * candidates,
    gboolean end_of_candidates)
{
  g_return_if_fail (answer != NULL && answer->answer != NULL);

  for (guint i = 0; i < answer->answer->media->len; i++) {
    GstRtcMediaDescription *media = g_ptr_array_index (answer->answer->media,
        i);

    /* Rejected m-lines get the credentials too, without candidates: some
     * stacks (aiortc) refuse an answer with an m-line that has none. */
    g_free (media->ice_ufrag);
    media->ice_ufrag = g_strdup (ufrag);
    g_free (media->ice_pwd);
    media->ice_pwd = g_strdup (pwd);
    g_free (media->fingerprint);
    media->fingerprint = g_strdup (fingerprint);
    media->setup = setup;
    g_ptr_array_set_size (media->candidates, 0);
    if (media->rejected)
      continue;
    for (guint c = 0; candidates != NULL && c < candidates->len; c++)
      g_ptr_array_add (media->candidates,
          g_strdup (g_ptr_array_index (candidates, c)));
    media->end_of_candidates = end_of_candidates;
  }
}

void
gst_rtc_sink_answer_clear (GstRtcSinkAnswer * answer)
{
  g_clear_pointer (&answer->answer, gst_rtc_session_description_free);
  memset (&answer->config, 0, sizeof (answer->config));
  answer->n_accepted = 0;
}

/* ---- trickle fragments ---- */

static gboolean
line_is_printable (const gchar * line, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    guchar c = line[i];

    if (c < 0x20 && c != '\t')
      return FALSE;
  }
  return TRUE;
}

/**
 * gst_rtc_sink_sdpfrag_parse:
 * @text: (array length=len): the body
 * @len: its length
 * @max_candidates: refuse a fragment with more candidates than this
 * @frag: (out caller-allocates): what it says
 * @error: why it was refused
 *
 * Reads the lines of a fragment that matter to an ICE agent: ice-ufrag,
 * ice-pwd, candidate and end-of-candidates, whichever m-line they are
 * under (one viewer has one transport). Other lines are skipped.
 *
 * Returns: %TRUE if the fragment is well formed
 */
gboolean
gst_rtc_sink_sdpfrag_parse (const gchar * text, gsize len,
    guint max_candidates, GstRtcSinkSdpFrag * frag, GError ** error)
{
  const gchar *p = text, *end = text + len;
  guint line_no = 0;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (frag != NULL, FALSE);

  memset (frag, 0, sizeof (*frag));
  frag->candidates = g_ptr_array_new_with_free_func (g_free);

  while (p < end) {
    const gchar *eol = memchr (p, '\n', end - p);
    gsize line_len = (eol != NULL ? eol : end) - p;
    const gchar *next = eol != NULL ? eol + 1 : end;
    gchar *line;

    line_no++;
    if (line_len > 0 && p[line_len - 1] == '\r')
      line_len--;
    if (line_len == 0) {
      p = next;
      continue;
    }
    if (!line_is_printable (p, line_len)) {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
          "line %u of the fragment has control characters", line_no);
      goto fail;
    }
    if (line_len < 2 || p[1] != '=') {
      g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
          "line %u of the fragment is not an SDP line", line_no);
      goto fail;
    }
    line = g_strndup (p, line_len);
    if (g_str_has_prefix (line, "a=ice-ufrag:")) {
      g_free (frag->ufrag);
      frag->ufrag = g_strdup (line + strlen ("a=ice-ufrag:"));
    } else if (g_str_has_prefix (line, "a=ice-pwd:")) {
      g_free (frag->pwd);
      frag->pwd = g_strdup (line + strlen ("a=ice-pwd:"));
    } else if (g_str_has_prefix (line, "a=candidate:")) {
      if (frag->candidates->len >= max_candidates) {
        g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_ACCESS,
            "the fragment has more than %u candidates", max_candidates);
        g_free (line);
        goto fail;
      }
      g_ptr_array_add (frag->candidates, g_strdup (line + 2));
    } else if (g_str_equal (line, "a=end-of-candidates")) {
      frag->end_of_candidates = TRUE;
    }
    g_free (line);
    p = next;
  }
  if ((frag->ufrag == NULL) != (frag->pwd == NULL)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_SDP_SYNTAX_ERROR,
        "the fragment has an a=ice-%s without an a=ice-%s",
        frag->ufrag ? "ufrag" : "pwd", frag->ufrag ? "pwd" : "ufrag");
    goto fail;
  }
  return TRUE;

fail:
  gst_rtc_sink_sdpfrag_clear (frag);
  return FALSE;
}

void
gst_rtc_sink_sdpfrag_clear (GstRtcSinkSdpFrag * frag)
{
  g_clear_pointer (&frag->ufrag, g_free);
  g_clear_pointer (&frag->pwd, g_free);
  g_clear_pointer (&frag->candidates, g_ptr_array_unref);
  frag->end_of_candidates = FALSE;
}

/**
 * gst_rtc_sink_media_type_is:
 * @content_type: (nullable): a Content-Type header value
 * @media_type: the media type to compare with, lower case
 *
 * Returns: %TRUE if @content_type names @media_type, whatever its case
 *   and parameters (`application/SDP; charset=utf-8` is application/sdp)
 */
gboolean
gst_rtc_sink_media_type_is (const gchar * content_type,
    const gchar * media_type)
{
  gsize len;

  if (content_type == NULL)
    return FALSE;
  while (*content_type == ' ' || *content_type == '\t')
    content_type++;
  len = strlen (media_type);
  if (g_ascii_strncasecmp (content_type, media_type, len) != 0)
    return FALSE;
  content_type += len;
  while (*content_type == ' ' || *content_type == '\t')
    content_type++;
  return *content_type == '\0' || *content_type == ';';
}

/* ---- offers (WHIP: we publish) ---- */

/* One-byte extension ids we offer. */
#define OFFER_EXT_MID 1
#define OFFER_EXT_TWCC 2
#define OFFER_FIRST_PAYLOAD_TYPE 96
#define OFFER_OPUS_PAYLOAD_TYPE 111

static guint
next_free_payload_type (gboolean * taken)
{
  for (guint pt = OFFER_FIRST_PAYLOAD_TYPE; pt < 128; pt++) {
    if (!taken[pt] && pt != OFFER_OPUS_PAYLOAD_TYPE) {
      taken[pt] = TRUE;
      return pt;
    }
  }
  return 0;
}

/**
 * gst_rtc_sink_offer_build:
 * @sources: (array length=n_sources): what we send; alternatives of a
 *   group other than its first are left out (an offer has no viewer to
 *   transcode for)
 * @n_sources: how many
 * @cname: the CNAME of our SSRCs
 * @stream_id: the stream part of a=msid
 * @out: (out caller-allocates): the offer in @out->answer, and in
 *   @out->config the fan-out configuration as offered (one entry per
 *   m-line, in order)
 * @error: why there is nothing to offer
 *
 * A sendonly offer, one m-line per source (our codec, RTX for video, the
 * MID and transport-wide-cc extensions), all in one BUNDLE group: what
 * rtcsink POSTs to a WHIP endpoint. The transport attributes come later
 * from gst_rtc_sink_answer_set_transport() with %GST_RTC_DTLS_SETUP_ACTPASS.
 *
 * Returns: %TRUE if there is at least one m-line
 */
gboolean
gst_rtc_sink_offer_build (const GstRtcSinkSource * sources, guint n_sources,
    const gchar * cname, const gchar * stream_id, GstRtcSinkAnswer * out,
    GError ** error)
{
  gboolean taken[128] = { FALSE, };
  guint32 ssrcs[2 * GST_RTC_FANOUT_MAX_STREAMS];
  guint n_ssrcs = 0, s;
  GPtrArray *mids;

  g_return_val_if_fail (n_sources <= GST_RTC_FANOUT_MAX_STREAMS, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof (*out));
  taken[OFFER_OPUS_PAYLOAD_TYPE] = TRUE;
  out->answer = gst_rtc_session_description_new (GST_RTC_SDP_TYPE_OFFER);
  out->answer->ice_trickle = TRUE;
  mids = g_ptr_array_new ();

  for (s = 0; s < n_sources; s++) {
    const GstRtcSinkSource *source = &sources[s];
    GstRtcMediaDescription *media;
    GstRtcCodec *codec;
    guint index = out->answer->media->len;

    if (source->codec == NULL)
      continue;
    if (source->group != 0) {
      /* one m-line per group: its first usable source (passthrough),
       * not the transcode alternatives after it */
      gboolean seen = FALSE;

      for (guint a = 0; a < s && !seen; a++)
        seen = sources[a].codec != NULL && sources[a].group == source->group;
      if (seen)
        continue;
    }
    media = gst_rtc_media_description_new (index, source->kind);
    media->mid = g_strdup_printf ("%u", index);
    media->direction = GST_RTC_DIRECTION_SENDONLY;
    codec = gst_rtc_codec_copy (source->codec);
    if (source->kind == GST_RTC_MEDIA_KIND_AUDIO
        && g_ascii_strcasecmp (codec->encoding_name, "opus") == 0
        && !taken[OFFER_OPUS_PAYLOAD_TYPE + 1]) {
      /* Opus at 111, as browsers have it; once only. */
      codec->payload_type = OFFER_OPUS_PAYLOAD_TYPE;
      taken[OFFER_OPUS_PAYLOAD_TYPE + 1] = TRUE;
    } else {
      codec->payload_type = next_free_payload_type (taken);
    }
    codec->rtx_payload_type = source->kind == GST_RTC_MEDIA_KIND_VIDEO ?
        next_free_payload_type (taken) : 0;
    if (codec->payload_type == 0) {
      gst_rtc_codec_free (codec);
      gst_rtc_media_description_free (media);
      continue;
    }
    g_ptr_array_add (media->codecs, codec);
    media->ext_mid = OFFER_EXT_MID;
    media->ext_twcc = OFFER_EXT_TWCC;
    media->ssrc = random_ssrc (ssrcs, n_ssrcs);
    ssrcs[n_ssrcs++] = media->ssrc;
    if (codec->rtx_payload_type != 0) {
      media->rtx_ssrc = random_ssrc (ssrcs, n_ssrcs);
      ssrcs[n_ssrcs++] = media->rtx_ssrc;
    }
    media->cname = g_strdup (cname);
    media->msid = g_strdup_printf ("%s %s", stream_id, source->track_id);
    media->rtcp_mux = TRUE;
    media->rtcp_rsize = TRUE;
    gst_rtc_fanout_viewer_config_add_stream (&out->config,
        source->fanout_stream, codec->payload_type, codec->rtx_payload_type,
        media->ssrc, media->rtx_ssrc, media->mid, media->ext_mid,
        media->ext_twcc);
    g_ptr_array_add (mids, media->mid);
    g_ptr_array_add (out->answer->media, media);
  }

  if (out->answer->media->len == 0) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_INVALID_STATE,
        "nothing to offer yet: no input stream has caps");
    g_ptr_array_unref (mids);
    gst_rtc_sink_answer_clear (out);
    return FALSE;
  }
  g_ptr_array_add (mids, NULL);
  out->answer->bundle_mids = g_strdupv ((gchar **) mids->pdata);
  g_ptr_array_unref (mids);
  out->n_accepted = out->answer->media->len;
  return TRUE;
}

static const GstRtcCodec *
find_codec_by_name (const GstRtcMediaDescription * media, const gchar * name)
{
  for (guint i = 0; i < media->codecs->len; i++) {
    const GstRtcCodec *codec = g_ptr_array_index (media->codecs, i);

    if (g_ascii_strcasecmp (codec->encoding_name, name) == 0)
      return codec;
  }
  return NULL;
}

/**
 * gst_rtc_sink_offer_apply_answer:
 * @offer: what gst_rtc_sink_offer_build() made
 * @answer: the answer to it
 * @error: why the answer cannot be used
 *
 * Rebuilds @offer->config for what @answer accepted: the m-lines it
 * receives, with the payload types and extension ids it answered, and sets
 * @offer->offer_tag to the accepted m-line whose transport carries the
 * BUNDLE group (the answer's first mid).
 *
 * Returns: %TRUE if at least one m-line is accepted
 */
gboolean
gst_rtc_sink_offer_apply_answer (GstRtcSinkAnswer * offer,
    const GstRtcSessionDescription * answer, GError ** error)
{
  GstRtcFanoutViewerConfig config;
  const GstRtcSessionDescription *ours;
  gint tag = -1;
  guint i;

  g_return_val_if_fail (offer != NULL && offer->answer != NULL, FALSE);
  g_return_val_if_fail (answer != NULL, FALSE);

  ours = offer->answer;
  if (!gst_rtc_sdp_validate_answer (ours, answer, error))
    return FALSE;
  memset (&config, 0, sizeof (config));

  for (i = 0; i < ours->media->len && i < answer->media->len; i++) {
    const GstRtcMediaDescription *offered = g_ptr_array_index (ours->media, i);
    const GstRtcMediaDescription *answered =
        g_ptr_array_index (answer->media, i);
    const GstRtcCodec *our_codec = g_ptr_array_index (offered->codecs, 0);
    const GstRtcCodec *codec;
    const GstRtcFanoutStreamConfig *as_offered = &offer->config.streams[i];

    if (answered->rejected || (answered->direction !=
            GST_RTC_DIRECTION_RECVONLY
            && answered->direction != GST_RTC_DIRECTION_SENDRECV))
      continue;
    if (answer->bundle_mids != NULL
        && !strv_contains (answer->bundle_mids, offered->mid))
      continue;
    codec = find_codec_by_name (answered, our_codec->encoding_name);
    if (codec == NULL)
      continue;
    gst_rtc_fanout_viewer_config_add_stream (&config, as_offered->stream_id,
        codec->payload_type, our_codec->rtx_payload_type != 0 ?
        codec->rtx_payload_type : 0, offered->ssrc,
        codec->rtx_payload_type != 0 ? offered->rtx_ssrc : 0, offered->mid,
        answered->ext_mid == offered->ext_mid ? offered->ext_mid : 0,
        answered->ext_twcc == offered->ext_twcc ? offered->ext_twcc : 0);
    if (tag < 0 || (answer->bundle_mids != NULL
            && g_strcmp0 (answer->bundle_mids[0], offered->mid) == 0))
      tag = i;
  }
  if (tag < 0) {
    g_set_error_literal (error, GST_RTC_ERROR, GST_RTC_ERROR_NOT_SUPPORTED,
        "the answer receives none of the offered streams");
    return FALSE;
  }
  offer->config = config;
  offer->n_accepted = config.n_streams;
  offer->offer_tag = tag;
  return TRUE;
}

/**
 * gst_rtc_sink_sdpfrag_build: (skip)
 * @ufrag: our new a=ice-ufrag
 * @pwd: our new a=ice-pwd
 * @kind: the kind of the BUNDLE's first m-line
 * @mid: (nullable): its MID
 * @candidates: (element-type utf8): `candidate:…` lines, without `a=`
 * @end_of_candidates: whether gathering is complete
 *
 * The body of a 200 answer to an ICE restart PATCH (RFC 8840 fragment, as
 * WHIP and WHEP have it): session-level credentials, then the BUNDLE's
 * first m-line (port 9, no formats that matter) with its MID and our
 * candidates.
 *
 * Returns: (transfer full): the fragment, CRLF-terminated lines
 */
gchar *
gst_rtc_sink_sdpfrag_build (const gchar * ufrag, const gchar * pwd,
    GstRtcMediaKind kind, const gchar * mid, const GPtrArray * candidates,
    gboolean end_of_candidates)
{
  GString *frag = g_string_new (NULL);
  guint i;

  g_return_val_if_fail (ufrag != NULL && pwd != NULL, NULL);

  g_string_append_printf (frag, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag,
      pwd);
  g_string_append_printf (frag, "m=%s 9 UDP/TLS/RTP/SAVPF 0\r\n",
      kind == GST_RTC_MEDIA_KIND_VIDEO ? "video" : "audio");
  if (mid != NULL)
    g_string_append_printf (frag, "a=mid:%s\r\n", mid);
  for (i = 0; candidates != NULL && i < candidates->len; i++) {
    const gchar *candidate = g_ptr_array_index (candidates, i);

    g_string_append_printf (frag, "a=%s%s\r\n",
        g_str_has_prefix (candidate, "candidate:") ? "" : "candidate:",
        candidate);
  }
  if (end_of_candidates)
    g_string_append (frag, "a=end-of-candidates\r\n");
  return g_string_free (frag, FALSE);
}
