/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtcbin's connectivity doctor: when ICE connects or fails, an element
 * message `rtc-ice-diagnosis` on the bus says what this side knows (see
 * gst_rtc_ice_diagnosis_to_structure()): the candidate types each side
 * gathered, whether STUN answered, whether TURN allocated (probing the
 * server ourselves on failure: libnice 0.1.21 reports no TURN errors),
 * this side's NAT as an RFC 5780 test against the STUN server sees it, the
 * selected pair's types, and a `likely-cause` sentence.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bin-diagnosis.h"
#include "diagnosis.h"

GST_DEBUG_CATEGORY_STATIC (rtc_bin_diagnosis_debug);
#define GST_CAT_DEFAULT rtc_bin_diagnosis_debug

#define PROBE_TIMEOUT_MS 1000

#define RTC_BIN_LOCK(bin) g_mutex_lock (&(bin)->lock)
#define RTC_BIN_UNLOCK(bin) g_mutex_unlock (&(bin)->lock)

typedef struct
{
  GstRtcBin *bin;
  GstBus *top_bus;              /* the pipeline's, if we are in one */
  GstRtcIceDiagnosisInput in;
  gchar *stun;
  gchar **turns;
} DiagnosisJob;

static gpointer
diagnosis_thread (gpointer data)
{
  DiagnosisJob *job = data;
  GstStructure *s, *nat = NULL;
  gchar *detail = NULL;

  if (!job->in.connected) {
    if (job->turns && job->turns[0] && (job->in.was_connected
            || !(job->in.local_types &
                GST_RTC_ICE_TYPE_BIT (GST_RTC_ICE_CANDIDATE_TYPE_RELAY))))
      job->in.turn_probe = gst_rtc_probe_turn (job->turns[0],
          PROBE_TIMEOUT_MS, &detail);
    if (job->stun) {
      GError *error = NULL;

      nat = gst_rtc_probe_nat (job->stun, PROBE_TIMEOUT_MS, &error);
      job->in.stun_answered = nat != NULL;
      if (nat) {
        job->in.local_nat = gst_structure_get_string (nat, "nat");
        job->in.local_filtering = gst_structure_get_string (nat, "filtering");
      }
      else
        GST_INFO_OBJECT (job->bin, "NAT probe: %s", error->message);
      g_clear_error (&error);
    }
  }

  s = gst_rtc_ice_diagnosis_to_structure (&job->in, detail);
  if (nat) {
    gst_structure_set (s,
        "local-nat-mapping", G_TYPE_STRING,
        gst_structure_get_string (nat, "mapping"),
        "local-nat-filtering", G_TYPE_STRING,
        gst_structure_get_string (nat, "filtering"),
        "local-mapped-address", G_TYPE_STRING,
        gst_structure_get_string (nat, "mapped-address"), NULL);
    gst_structure_free (nat);
  }
  if (job->in.connected)
    GST_INFO_OBJECT (job->bin, "ICE diagnosis: %" GST_PTR_FORMAT, s);
  else
    GST_WARNING_OBJECT (job->bin, "ICE failed: %s (%" GST_PTR_FORMAT ")",
        gst_structure_get_string (s, "likely-cause"), s);
  {
    GstMessage *message = gst_message_new_element (GST_OBJECT (job->bin), s);
    GstObject *parent = gst_object_get_parent (GST_OBJECT (job->bin));

    /* A parent that gives up on a failed connection (rtcsrc ends the
     * session) may have removed us while we probed: then straight to the
     * pipeline's bus, which still wants to know why. */
    if (parent != NULL || job->top_bus == NULL)
      gst_element_post_message (GST_ELEMENT (job->bin), message);
    else
      gst_bus_post (job->top_bus, message);
    if (parent)
      gst_object_unref (parent);
  }

  g_free (detail);
  g_free (job->stun);
  g_strfreev (job->turns);
  if (job->top_bus)
    gst_object_unref (job->top_bus);
  gst_object_unref (job->bin);
  g_free (job);
  return NULL;
}

void
rtc_bin_post_ice_diagnosis (GstRtcBin * bin, gboolean connected,
    gboolean was_connected)
{
  static gsize debug_done = 0;
  DiagnosisJob *job;
  GPtrArray *entries, *hosts;
  guint i, j;

  if (g_once_init_enter (&debug_done)) {
    GST_DEBUG_CATEGORY_INIT (rtc_bin_diagnosis_debug, "rtcbindiagnosis", 0,
        "rtcbin connectivity doctor");
    g_once_init_leave (&debug_done, 1);
  }

  job = g_new0 (DiagnosisJob, 1);
  job->bin = gst_object_ref (bin);
  {
    GstObject *top = gst_object_ref (GST_OBJECT (bin)), *parent;

    while ((parent = gst_object_get_parent (top)) != NULL) {
      gst_object_unref (top);
      top = parent;
    }
    if (top != GST_OBJECT (bin))
      job->top_bus = gst_element_get_bus (GST_ELEMENT (top));
    gst_object_unref (top);
  }
  job->in.connected = connected;
  job->in.was_connected = was_connected;
  job->in.stun_answered = -1;
  hosts = g_ptr_array_new_with_free_func (g_free);
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtc_transport_entry_unref);

  RTC_BIN_LOCK (bin);
  job->stun = g_strdup (bin->stun_server);
  job->in.stun_configured = bin->stun_server != NULL
      && *bin->stun_server != '\0';
  job->in.relay_only =
      bin->ice_transport_policy == GST_RTC_ICE_TRANSPORT_POLICY_RELAY;
  for (i = 0; i < bin->entries->len; i++) {
    RtcTransportEntry *entry = g_ptr_array_index (bin->entries, i);
    GHashTableIter iter;
    gpointer key;

    if (entry == NULL || entry->closed)
      continue;
    g_ptr_array_add (entries, rtc_transport_entry_ref (entry));
    for (j = 0; j < entry->local_candidates->len; j++)
      gst_rtc_ice_diagnosis_add_candidate (&job->in, TRUE,
          g_ptr_array_index (entry->local_candidates, j), hosts);
    g_hash_table_iter_init (&iter, entry->remote_candidates);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      gst_rtc_ice_diagnosis_add_candidate (&job->in, FALSE, key, NULL);
  }
  RTC_BIN_UNLOCK (bin);

  for (i = 0; i < entries->len && !job->in.have_pair; i++) {
    RtcTransportEntry *entry = g_ptr_array_index (entries, i);

    job->in.have_pair = gst_rtc_ice_stream_get_selected_pair (entry->stream,
        &job->in.pair_local, &job->in.pair_remote, NULL, NULL);
  }
  g_ptr_array_unref (entries);
  g_ptr_array_unref (hosts);

  job->turns = gst_rtc_ice_agent_dup_turn_uris (bin->agent);
  job->in.n_turn_configured = job->turns ? g_strv_length (job->turns) : 0;

  g_thread_unref (g_thread_new ("rtc-ice-diagnosis", diagnosis_thread, job));
}
