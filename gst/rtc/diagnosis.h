/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>
#include <gst/rtc/ice.h>

G_BEGIN_DECLS

/* ---- what this side knows when ICE ends (pure: no network) ---- */

/* Candidate types as bits: 1 << GstRtcIceCandidateType. */
#define GST_RTC_ICE_TYPE_BIT(type) (1u << (type))

typedef enum
{
  GST_RTC_TURN_PROBE_NOT_RUN = 0,
  GST_RTC_TURN_PROBE_OK,
  GST_RTC_TURN_PROBE_UNAUTHORIZED,      /* 401 with our credentials */
  GST_RTC_TURN_PROBE_TIMEOUT,   /* no answer */
  GST_RTC_TURN_PROBE_UNREACHABLE,       /* refused / no route */
  GST_RTC_TURN_PROBE_UNSUPPORTED,       /* e.g. turns: with libnice 0.1.21 */
  GST_RTC_TURN_PROBE_ERROR,     /* another STUN error code */
} GstRtcTurnProbeResult;

typedef struct
{
  gboolean connected;           /* else failed */
  guint local_types;            /* GST_RTC_ICE_TYPE_BIT of what we gathered */
  guint remote_types;           /* of what the peer sent */
  guint n_local, n_remote;
  gboolean stun_configured;
  guint n_turn_configured;
  gboolean relay_only;          /* ice-transport-policy=relay */
  GstRtcTurnProbeResult turn_probe;
  gboolean have_pair;
  GstRtcIceCandidateType pair_local, pair_remote;
  gboolean local_behind_nat;    /* a srflx differs from every host address */
  gboolean remote_behind_nat;   /* the peer sent a srflx */
  gint stun_answered;           /* -1 unknown, 0 no, 1 yes (probed) */
  const gchar *local_nat;       /* "none", "cone", "symmetric" or NULL */
  const gchar *local_filtering; /* RFC 5780 filtering, or NULL */
  gboolean was_connected;       /* failed after having connected */
} GstRtcIceDiagnosisInput;

GST_RTC_API
const gchar * gst_rtc_turn_probe_result_name (GstRtcTurnProbeResult result);

GST_RTC_API
gchar * gst_rtc_ice_diagnosis_likely_cause (const GstRtcIceDiagnosisInput * in);

GST_RTC_API
void gst_rtc_ice_diagnosis_add_candidate (GstRtcIceDiagnosisInput * in,
    gboolean local, const gchar * candidate, GPtrArray * local_hosts);

GST_RTC_API
GstStructure * gst_rtc_ice_diagnosis_to_structure (
    const GstRtcIceDiagnosisInput * in, const gchar * turn_detail);

/* ---- probes (blocking; run them off the streaming threads) ---- */

GST_RTC_API
GstRtcTurnProbeResult gst_rtc_probe_turn (const gchar * uri, guint timeout_ms,
    gchar ** detail);

GST_RTC_API
GstStructure * gst_rtc_probe_nat (const gchar * stun_uri, guint timeout_ms,
    GError ** error);

G_END_DECLS
