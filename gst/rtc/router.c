/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcrouter
 * @title: GstRtcSsrcRouter
 * @short_description: which m-line an incoming RTP packet belongs to
 *
 * With BUNDLE, every m-line of a peer connection shares one transport, and
 * rtpbin 1.22 cannot tell the m-lines apart: it only knows RTP sessions. A
 * #GstRtcSsrcRouter sits in front of it and decides, for each packet, which
 * m-line of the remote description it belongs to (RFC 8843 section 9.2),
 * trying in this order:
 *
 * 1. the MID header extension (`urn:ietf:params:rtp-hdrext:sdes:mid`), in
 *    the one-byte or the two-byte form of RFC 8285;
 * 2. the SSRC, once it has been learnt;
 * 3. the RID header extension (`urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id`)
 *    against the m-lines' `a=rid`;
 * 4. the m-lines' `a=ssrc` (media or RTX SSRC), for peers that send no MID;
 * 5. a payload type that only one m-line uses.
 *
 * What one of the first rules except the second found is remembered for
 * the SSRC, in a table of bounded size: a peer spraying SSRCs only pushes
 * out the least recently seen. A MID always wins over what was learnt.
 *
 * A packet that no rule places returns -1: the caller holds it for a short
 * while, hoping for a packet of the same SSRC that carries the MID, and
 * drops it then. The router never guesses: there is no default m-line.
 *
 * The router works on packet bytes only, with no pads and no GStreamer
 * buffers, and takes its own lock: gst_rtc_ssrc_router_route() may run on a
 * network thread while gst_rtc_ssrc_router_set_media() runs on another.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "router.h"
#include "rtc.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_ssrc_router_debug);
#define GST_CAT_DEFAULT gst_rtc_ssrc_router_debug

#define RTP_VERSION 2
#define RTP_HEADER_LEN 12
#define RTP_EXTENSION_HEADER_LEN 4
/* RFC 8285: the "defined by profile" values of the two header forms. */
#define ONE_BYTE_PROFILE 0xBEDE
#define TWO_BYTE_PROFILE_MASK 0xFFF0
#define TWO_BYTE_PROFILE 0x1000
#define ONE_BYTE_STOP_ID 15
#define N_PAYLOAD_TYPES 128
/* pt_owner values that are not an m-line */
#define PT_UNUSED -1
#define PT_AMBIGUOUS -2

typedef enum
{
  EXT_NONE,
  EXT_MID,
  EXT_RID,
} ExtensionKind;

typedef struct
{
  guint mline;
  gchar *mid;
  gchar **rids;
  guint32 ssrc;
  guint32 rtx_ssrc;
} RouteMedia;

typedef struct
{
  gint mline;
  guint64 last_seen_us;
} SsrcEntry;

/* What the parser found in one packet: pointers into the packet. */
typedef struct
{
  guint32 ssrc;
  guint8 payload_type;
  const guint8 *mid;
  gsize mid_len;
  const guint8 *rid;
  gsize rid_len;
} PacketInfo;

struct _GstRtcSsrcRouter
{
  GObject parent;

  GMutex lock;
  /* all below guarded by lock */
  GPtrArray *media;             /* RouteMedia */
  /* header extension id (1..255) -> ExtensionKind */
  guint8 extension_kind[256];
  gint pt_owner[N_PAYLOAD_TYPES];
  GHashTable *ssrcs;            /* guint32 -> SsrcEntry */
  guint max_ssrcs;

  guint64 routed, unknown, malformed, evicted;
  guint64 learnt_mid, learnt_rid, learnt_ssrc, learnt_pt;
};

/**
 * GstRtcSsrcRouter:
 *
 * Tells which m-line a received RTP packet of a BUNDLE transport belongs
 * to: by MID header extension, then RID, then `a=ssrc`, then a payload
 * type unique to one m-line; it learns each SSRC once placed.
 */
G_DEFINE_TYPE_WITH_CODE (GstRtcSsrcRouter, gst_rtc_ssrc_router,
    G_TYPE_OBJECT, GST_DEBUG_CATEGORY_INIT (gst_rtc_ssrc_router_debug,
        "rtcrouter", 0, "gst-rtc BUNDLE SSRC router"));

static void
route_media_free (RouteMedia * media)
{
  g_free (media->mid);
  g_strfreev (media->rids);
  g_free (media);
}

static void
gst_rtc_ssrc_router_finalize (GObject * object)
{
  GstRtcSsrcRouter *router = GST_RTC_SSRC_ROUTER (object);

  g_ptr_array_unref (router->media);
  g_hash_table_unref (router->ssrcs);
  g_mutex_clear (&router->lock);

  G_OBJECT_CLASS (gst_rtc_ssrc_router_parent_class)->finalize (object);
}

static void
gst_rtc_ssrc_router_class_init (GstRtcSsrcRouterClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_rtc_ssrc_router_finalize;
}

static void
gst_rtc_ssrc_router_init (GstRtcSsrcRouter * router)
{
  guint i;

  g_mutex_init (&router->lock);
  router->media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      route_media_free);
  router->ssrcs = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  router->max_ssrcs = GST_RTC_SSRC_ROUTER_DEFAULT_MAX_SSRCS;
  for (i = 0; i < N_PAYLOAD_TYPES; i++)
    router->pt_owner[i] = PT_UNUSED;
}

/**
 * gst_rtc_ssrc_router_new:
 *
 * Creates an SSRC router.
 *
 * Returns: (transfer full): a router that knows no m-line yet
 */
GstRtcSsrcRouter *
gst_rtc_ssrc_router_new (void)
{
  return g_object_new (GST_RTC_TYPE_SSRC_ROUTER, NULL);
}

static gboolean
direction_may_send (GstRtcDirection direction)
{
  /* NONE: the description did not say; assume the peer may send. */
  return direction == GST_RTC_DIRECTION_SENDRECV
      || direction == GST_RTC_DIRECTION_SENDONLY
      || direction == GST_RTC_DIRECTION_NONE;
}

static void
claim_payload_type (GstRtcSsrcRouter * router, guint pt, guint mline)
{
  if (pt >= N_PAYLOAD_TYPES)
    return;
  if (router->pt_owner[pt] == PT_UNUSED)
    router->pt_owner[pt] = mline;
  else if (router->pt_owner[pt] != (gint) mline)
    router->pt_owner[pt] = PT_AMBIGUOUS;
}

static void
claim_extension (GstRtcSsrcRouter * router, guint id, ExtensionKind kind)
{
  if (id == 0 || id > 255)
    return;
  /* An id that names two things in two m-lines is unusable for routing
   * (RFC 8843 forbids it within one BUNDLE group). */
  if (router->extension_kind[id] != EXT_NONE
      && router->extension_kind[id] != kind) {
    GST_WARNING ("header extension id %u means both MID and RID: ignored", id);
    router->extension_kind[id] = EXT_NONE;
    return;
  }
  router->extension_kind[id] = kind;
}

static gboolean
media_has_mline (GPtrArray * media, gint mline)
{
  guint i;

  for (i = 0; i < media->len; i++) {
    RouteMedia *m = g_ptr_array_index (media, i);

    if ((gint) m->mline == mline)
      return TRUE;
  }
  return FALSE;
}

static gboolean
forget_unless_known (gpointer key, gpointer value, gpointer user_data)
{
  SsrcEntry *entry = value;

  return !media_has_mline (user_data, entry->mline);
}

/**
 * gst_rtc_ssrc_router_set_media:
 * @router: a router
 * @media: (element-type GstRtcMediaDescription) (transfer none): the
 *   remote description's m-lines that share the transport
 *
 * (Re)configures the router from the remote description: the mids, the
 * ids of the MID and RID header extensions, the `a=rid` and `a=ssrc`
 * values and the payload types of each m-line. Rejected m-lines are left
 * out. SSRCs learnt for an m-line that is still there stay learnt.
 */
void
gst_rtc_ssrc_router_set_media (GstRtcSsrcRouter * router, GPtrArray * media)
{
  GPtrArray *routes;
  guint i, j;

  g_return_if_fail (GST_RTC_IS_SSRC_ROUTER (router));
  g_return_if_fail (media != NULL);

  routes = g_ptr_array_new_with_free_func ((GDestroyNotify) route_media_free);

  g_mutex_lock (&router->lock);
  memset (router->extension_kind, 0, sizeof (router->extension_kind));
  for (i = 0; i < N_PAYLOAD_TYPES; i++)
    router->pt_owner[i] = PT_UNUSED;

  for (i = 0; i < media->len; i++) {
    const GstRtcMediaDescription *desc = g_ptr_array_index (media, i);
    RouteMedia *route;

    if (desc == NULL || desc->rejected)
      continue;
    route = g_new0 (RouteMedia, 1);
    route->mline = desc->mline;
    route->mid = g_strdup (desc->mid);
    route->rids = g_strdupv (desc->rids);
    route->ssrc = desc->ssrc;
    route->rtx_ssrc = desc->rtx_ssrc;
    g_ptr_array_add (routes, route);

    claim_extension (router, desc->ext_mid, EXT_MID);
    claim_extension (router, desc->ext_rid, EXT_RID);
    if (desc->codecs != NULL && direction_may_send (desc->direction)) {
      for (j = 0; j < desc->codecs->len; j++) {
        const GstRtcCodec *codec = g_ptr_array_index (desc->codecs, j);

        claim_payload_type (router, codec->payload_type, desc->mline);
        if (codec->rtx_payload_type != 0)
          claim_payload_type (router, codec->rtx_payload_type, desc->mline);
      }
    }
  }

  g_ptr_array_unref (router->media);
  router->media = routes;
  g_hash_table_foreach_remove (router->ssrcs, forget_unless_known, routes);
  GST_DEBUG_OBJECT (router, "routing %u m-lines, %u SSRCs still known",
      routes->len, g_hash_table_size (router->ssrcs));
  g_mutex_unlock (&router->lock);
}

/**
 * gst_rtc_rtp_parse_ssrc:
 * @rtp: (array length=len): an RTP packet
 * @len: its length
 * @ssrc: (out): its SSRC
 *
 * Reads the SSRC of a packet whose fixed header is complete.
 *
 * Returns: %TRUE if @rtp has a version 2 fixed header
 */
gboolean
gst_rtc_rtp_parse_ssrc (const guint8 * rtp, gsize len, guint32 * ssrc)
{
  g_return_val_if_fail (ssrc != NULL, FALSE);

  if (rtp == NULL || len < RTP_HEADER_LEN || (rtp[0] >> 6) != RTP_VERSION)
    return FALSE;
  *ssrc = GST_READ_UINT32_BE (rtp + 8);
  return TRUE;
}

/* Takes one extension element: only the ones we route on. */
static void
take_element (GstRtcSsrcRouter * router, PacketInfo * info, guint id,
    const guint8 * data, gsize len)
{
  /* Some senders pad the string with NULs: they are not part of it. */
  while (len > 0 && data[len - 1] == '\0')
    len--;
  if (len == 0)
    return;
  switch (router->extension_kind[id]) {
    case EXT_MID:
      info->mid = data;
      info->mid_len = len;
      break;
    case EXT_RID:
      info->rid = data;
      info->rid_len = len;
      break;
    default:
      break;
  }
}

/* RFC 8285 section 4.2. */
static gboolean
parse_one_byte_elements (GstRtcSsrcRouter * router, PacketInfo * info,
    const guint8 * ext, gsize len)
{
  gsize i = 0;

  while (i < len) {
    guint id = ext[i] >> 4;
    gsize element_len = (ext[i] & 0x0f) + 1;

    if (ext[i] == 0) {
      i++;
      continue;
    }
    if (id == ONE_BYTE_STOP_ID)
      return TRUE;
    if (i + 1 + element_len > len)
      return FALSE;
    take_element (router, info, id, ext + i + 1, element_len);
    i += 1 + element_len;
  }
  return TRUE;
}

/* RFC 8285 section 4.3. */
static gboolean
parse_two_byte_elements (GstRtcSsrcRouter * router, PacketInfo * info,
    const guint8 * ext, gsize len)
{
  gsize i = 0;

  while (i < len) {
    guint id = ext[i];
    gsize element_len;

    if (id == 0) {
      i++;
      continue;
    }
    if (i + 2 > len)
      return FALSE;
    element_len = ext[i + 1];
    if (i + 2 + element_len > len)
      return FALSE;
    take_element (router, info, id, ext + i + 2, element_len);
    i += 2 + element_len;
  }
  return TRUE;
}

/* RFC 3550 section 5.1, with the checks a receiver must make before it
 * trusts any length field of the packet. */
static gboolean
parse_packet (GstRtcSsrcRouter * router, const guint8 * data, gsize len,
    PacketInfo * info)
{
  gsize header_len, payload_end = len;

  memset (info, 0, sizeof (*info));
  if (data == NULL || len < RTP_HEADER_LEN || (data[0] >> 6) != RTP_VERSION)
    return FALSE;

  info->payload_type = data[1] & 0x7f;
  info->ssrc = GST_READ_UINT32_BE (data + 8);
  header_len = RTP_HEADER_LEN + 4 * (data[0] & 0x0f);
  if (header_len > len)
    return FALSE;

  if (data[0] & 0x20) {
    guint8 padding;

    padding = data[len - 1];
    if (padding == 0 || padding > len - header_len)
      return FALSE;
    payload_end = len - padding;
  }

  if (data[0] & 0x10) {
    guint profile;
    gsize ext_len;
    const guint8 *ext;

    if (header_len + RTP_EXTENSION_HEADER_LEN > payload_end)
      return FALSE;
    profile = GST_READ_UINT16_BE (data + header_len);
    ext_len = 4 * (gsize) GST_READ_UINT16_BE (data + header_len + 2);
    ext = data + header_len + RTP_EXTENSION_HEADER_LEN;
    if (header_len + RTP_EXTENSION_HEADER_LEN + ext_len > payload_end)
      return FALSE;
    if (profile == ONE_BYTE_PROFILE)
      return parse_one_byte_elements (router, info, ext, ext_len);
    if ((profile & TWO_BYTE_PROFILE_MASK) == TWO_BYTE_PROFILE)
      return parse_two_byte_elements (router, info, ext, ext_len);
  }
  return TRUE;
}

static gboolean
bytes_equal_string (const guint8 * bytes, gsize len, const gchar * string)
{
  return string != NULL && strlen (string) == len
      && memcmp (bytes, string, len) == 0;
}

static gint
find_mid (GstRtcSsrcRouter * router, const guint8 * mid, gsize len)
{
  guint i;

  for (i = 0; i < router->media->len; i++) {
    RouteMedia *media = g_ptr_array_index (router->media, i);

    if (bytes_equal_string (mid, len, media->mid))
      return media->mline;
  }
  return -1;
}

static gint
find_rid (GstRtcSsrcRouter * router, const guint8 * rid, gsize len)
{
  guint i, j;

  for (i = 0; i < router->media->len; i++) {
    RouteMedia *media = g_ptr_array_index (router->media, i);

    for (j = 0; media->rids != NULL && media->rids[j] != NULL; j++) {
      if (bytes_equal_string (rid, len, media->rids[j]))
        return media->mline;
    }
  }
  return -1;
}

static gint
find_signalled_ssrc (GstRtcSsrcRouter * router, guint32 ssrc)
{
  guint i;

  if (ssrc == 0)
    return -1;
  for (i = 0; i < router->media->len; i++) {
    RouteMedia *media = g_ptr_array_index (router->media, i);

    if (media->ssrc == ssrc || media->rtx_ssrc == ssrc)
      return media->mline;
  }
  return -1;
}

static void
evict_least_recent (GstRtcSsrcRouter * router)
{
  GHashTableIter iter;
  gpointer key, value, oldest_key = NULL;
  guint64 oldest = G_MAXUINT64;

  g_hash_table_iter_init (&iter, router->ssrcs);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    SsrcEntry *entry = value;

    if (entry->last_seen_us <= oldest) {
      oldest = entry->last_seen_us;
      oldest_key = key;
    }
  }
  GST_LOG_OBJECT (router, "SSRC table full: forgetting %08x",
      GPOINTER_TO_UINT (oldest_key));
  g_hash_table_remove (router->ssrcs, oldest_key);
  router->evicted++;
}

static void
learn (GstRtcSsrcRouter * router, guint32 ssrc, gint mline, guint64 now_us,
    const gchar * how)
{
  SsrcEntry *entry = g_hash_table_lookup (router->ssrcs,
      GUINT_TO_POINTER (ssrc));

  if (entry == NULL) {
    if (router->max_ssrcs == 0)
      return;
    while (g_hash_table_size (router->ssrcs) >= router->max_ssrcs)
      evict_least_recent (router);
    entry = g_new0 (SsrcEntry, 1);
    entry->mline = -1;
    g_hash_table_insert (router->ssrcs, GUINT_TO_POINTER (ssrc), entry);
  }
  if (entry->mline != mline)
    GST_DEBUG_OBJECT (router, "SSRC %08x is m-line %d (%s)", ssrc, mline, how);
  entry->mline = mline;
  entry->last_seen_us = now_us;
}

/**
 * gst_rtc_ssrc_router_route:
 * @router: a router
 * @rtp: (array length=len): one RTP packet, decrypted
 * @len: its length
 * @now_us: the time now, in microseconds (any monotonic clock): it ages
 *   the learnt SSRCs
 *
 * Finds the m-line a packet belongs to, learning its SSRC on the way (see
 * the rules above).
 *
 * Returns: the m-line index (as in the remote description), or -1 if the
 *   packet is malformed (drop it) or cannot be placed yet (hold it briefly
 *   and drop it unless its SSRC gets learnt)
 */
gint
gst_rtc_ssrc_router_route (GstRtcSsrcRouter * router, const guint8 * rtp,
    gsize len, guint64 now_us)
{
  PacketInfo info;
  SsrcEntry *entry;
  gint mline = -1;

  g_return_val_if_fail (GST_RTC_IS_SSRC_ROUTER (router), -1);

  g_mutex_lock (&router->lock);
  if (!parse_packet (router, rtp, len, &info)) {
    router->malformed++;
    g_mutex_unlock (&router->lock);
    GST_LOG_OBJECT (router, "malformed %" G_GSIZE_FORMAT "-byte packet", len);
    return -1;
  }

  if (info.mid != NULL) {
    mline = find_mid (router, info.mid, info.mid_len);
    if (mline >= 0) {
      learn (router, info.ssrc, mline, now_us, "MID");
      router->learnt_mid++;
      goto done;
    }
    /* A MID we do not know (yet): the remote description that names it
     * may be on its way. What was learnt for the SSRC is not better. */
    GST_LOG_OBJECT (router, "SSRC %08x carries unknown MID %.*s", info.ssrc,
        (int) info.mid_len, info.mid);
    goto done;
  }

  entry = g_hash_table_lookup (router->ssrcs, GUINT_TO_POINTER (info.ssrc));
  if (entry != NULL) {
    entry->last_seen_us = now_us;
    mline = entry->mline;
    goto done;
  }

  if (info.rid != NULL && (mline = find_rid (router, info.rid,
              info.rid_len)) >= 0) {
    learn (router, info.ssrc, mline, now_us, "RID");
    router->learnt_rid++;
    goto done;
  }

  if ((mline = find_signalled_ssrc (router, info.ssrc)) >= 0) {
    learn (router, info.ssrc, mline, now_us, "a=ssrc");
    router->learnt_ssrc++;
    goto done;
  }

  if (router->pt_owner[info.payload_type] >= 0) {
    mline = router->pt_owner[info.payload_type];
    learn (router, info.ssrc, mline, now_us, "payload type");
    router->learnt_pt++;
    goto done;
  }

done:
  if (mline >= 0)
    router->routed++;
  else
    router->unknown++;
  g_mutex_unlock (&router->lock);
  return mline;
}

/**
 * gst_rtc_ssrc_router_lookup:
 * @router: a router
 * @ssrc: an SSRC of the peer
 *
 * Finds the m-line of a remote SSRC without a packet, as for RTCP: from
 * what was learnt, else from the signalled `a=ssrc`.
 *
 * Returns: the m-line index, or -1 if the SSRC is unknown
 */
gint
gst_rtc_ssrc_router_lookup (GstRtcSsrcRouter * router, guint32 ssrc)
{
  SsrcEntry *entry;
  gint mline;

  g_return_val_if_fail (GST_RTC_IS_SSRC_ROUTER (router), -1);

  g_mutex_lock (&router->lock);
  entry = g_hash_table_lookup (router->ssrcs, GUINT_TO_POINTER (ssrc));
  mline = entry != NULL ? entry->mline : find_signalled_ssrc (router, ssrc);
  g_mutex_unlock (&router->lock);
  return mline;
}

/**
 * gst_rtc_ssrc_router_forget:
 * @router: a router
 * @ssrc: an SSRC of the peer
 *
 * Forgets what was learnt about @ssrc, as when the peer sent an RTCP BYE
 * for it.
 */
void
gst_rtc_ssrc_router_forget (GstRtcSsrcRouter * router, guint32 ssrc)
{
  g_return_if_fail (GST_RTC_IS_SSRC_ROUTER (router));

  g_mutex_lock (&router->lock);
  g_hash_table_remove (router->ssrcs, GUINT_TO_POINTER (ssrc));
  g_mutex_unlock (&router->lock);
}

/**
 * gst_rtc_ssrc_router_set_max_ssrcs:
 * @router: a router
 * @max_ssrcs: how many SSRCs to remember at most
 *
 * Bounds the table of learnt SSRCs (%GST_RTC_SSRC_ROUTER_DEFAULT_MAX_SSRCS
 * by default). The least recently seen SSRCs are forgotten first.
 */
void
gst_rtc_ssrc_router_set_max_ssrcs (GstRtcSsrcRouter * router,
    guint max_ssrcs)
{
  g_return_if_fail (GST_RTC_IS_SSRC_ROUTER (router));

  g_mutex_lock (&router->lock);
  router->max_ssrcs = max_ssrcs;
  while (g_hash_table_size (router->ssrcs) > max_ssrcs)
    evict_least_recent (router);
  g_mutex_unlock (&router->lock);
}

/**
 * gst_rtc_ssrc_router_get_n_ssrcs:
 * @router: a router
 *
 * Counts the SSRCs @router has placed and remembers.
 *
 * Returns: how many SSRCs the router remembers now
 */
guint
gst_rtc_ssrc_router_get_n_ssrcs (GstRtcSsrcRouter * router)
{
  guint n;

  g_return_val_if_fail (GST_RTC_IS_SSRC_ROUTER (router), 0);

  g_mutex_lock (&router->lock);
  n = g_hash_table_size (router->ssrcs);
  g_mutex_unlock (&router->lock);
  return n;
}

/**
 * gst_rtc_ssrc_router_get_stats:
 * @router: a router
 *
 * Gets the counters of @router.
 *
 * Returns: (transfer full): the router's counters: `routed`, `unknown`
 *   (held or dropped), `malformed`, `evicted`, and how many packets were
 *   placed by each rule (`by-mid`, `by-rid`, `by-ssrc`, `by-payload-type`;
 *   packets of an SSRC learnt before count in `routed` only)
 */
GstStructure *
gst_rtc_ssrc_router_get_stats (GstRtcSsrcRouter * router)
{
  GstStructure *stats;

  g_return_val_if_fail (GST_RTC_IS_SSRC_ROUTER (router), NULL);

  g_mutex_lock (&router->lock);
  stats = gst_structure_new ("application/x-rtc-router-stats",
      "routed", G_TYPE_UINT64, router->routed,
      "unknown", G_TYPE_UINT64, router->unknown,
      "malformed", G_TYPE_UINT64, router->malformed,
      "evicted", G_TYPE_UINT64, router->evicted,
      "by-mid", G_TYPE_UINT64, router->learnt_mid,
      "by-rid", G_TYPE_UINT64, router->learnt_rid,
      "by-ssrc", G_TYPE_UINT64, router->learnt_ssrc,
      "by-payload-type", G_TYPE_UINT64, router->learnt_pt,
      "ssrcs", G_TYPE_UINT, g_hash_table_size (router->ssrcs), NULL);
  g_mutex_unlock (&router->lock);
  return stats;
}
