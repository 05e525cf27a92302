/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connectivity doctor's classification (gst/rtc/diagnosis.c), without
 * a network: what `likely-cause` says for each situation the NAT lab
 * (tests/net) produces for real, and the probes against nothing at all. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <gst/rtc/diagnosis.h>

#define HOST_A "candidate:1 1 UDP 2130706431 10.0.1.2 40000 typ host"
#define SRFLX_A "candidate:2 1 UDP 1694498815 198.51.100.2 20001 typ srflx raddr 10.0.1.2 rport 40000"
#define RELAY_A "candidate:3 1 UDP 16777215 203.0.113.1 40100 typ relay raddr 198.51.100.2 rport 20002"
#define HOST_B "candidate:1 1 UDP 2130706431 10.0.2.2 41000 typ host"
#define SRFLX_B "candidate:2 1 UDP 1694498815 198.51.100.6 20010 typ srflx raddr 10.0.2.2 rport 41000"
#define RELAY_B "candidate:3 1 UDP 16777215 203.0.113.1 40200 typ relay raddr 198.51.100.6 rport 20011"
#define HOST_PUBLIC "candidate:1 1 UDP 2130706431 198.51.100.66 40000 typ host"
#define SRFLX_PUBLIC "candidate:2 1 UDP 1694498815 198.51.100.66 40000 typ srflx raddr 198.51.100.66 rport 40000"

static GstRtcIceDiagnosisInput
input (const gchar * const *local, const gchar * const *remote)
{
  GstRtcIceDiagnosisInput in = { 0 };
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);

  in.stun_answered = -1;
  for (; local && *local; local++)
    gst_rtc_ice_diagnosis_add_candidate (&in, TRUE, *local, hosts);
  for (; remote && *remote; remote++)
    gst_rtc_ice_diagnosis_add_candidate (&in, FALSE, *remote, NULL);
  g_ptr_array_unref (hosts);
  return in;
}

#define assert_cause_has(in, needle) G_STMT_START { \
  gchar *cause = gst_rtc_ice_diagnosis_likely_cause (&(in)); \
  fail_unless (strstr (cause, needle) != NULL, "'%s' not in '%s'", needle, \
      cause); \
  g_free (cause); \
} G_STMT_END

GST_START_TEST (test_candidate_counting)
{
  const gchar *local[] = { HOST_A, SRFLX_A, RELAY_A, "garbage", "", NULL };
  const gchar *remote[] = { HOST_B, SRFLX_B, NULL };
  GstRtcIceDiagnosisInput in = input (local, remote);
  GstStructure *s;

  fail_unless_equals_int (in.n_local, 3);
  fail_unless_equals_int (in.n_remote, 2);
  fail_unless (in.local_behind_nat);
  fail_unless (in.remote_behind_nat);
  in.n_turn_configured = 1;
  s = gst_rtc_ice_diagnosis_to_structure (&in, NULL);
  fail_unless (gst_structure_has_name (s, "rtc-ice-diagnosis"));
  fail_unless_equals_string (gst_structure_get_string (s,
          "local-candidate-types"), "host,srflx,relay");
  fail_unless_equals_string (gst_structure_get_string (s,
          "remote-candidate-types"), "host,srflx");
  fail_unless_equals_string (gst_structure_get_string (s, "turn-allocation"),
      "succeeded");
  fail_unless_equals_string (gst_structure_get_string (s, "stun-answered"),
      "yes");
  fail_unless_equals_string (gst_structure_get_string (s, "outcome"),
      "failed");
  gst_structure_free (s);
}

GST_END_TEST;

/* A srflx equal to a host address: no NAT (1:1 public address). */
GST_START_TEST (test_public_address_is_not_nat)
{
  const gchar *local[] = { HOST_PUBLIC, SRFLX_PUBLIC, NULL };
  GstRtcIceDiagnosisInput in = input (local, NULL);

  fail_if (in.local_behind_nat);
}

GST_END_TEST;

GST_START_TEST (test_connected)
{
  const gchar *local[] = { HOST_A, RELAY_A, NULL };
  const gchar *remote[] = { RELAY_B, NULL };
  GstRtcIceDiagnosisInput in = input (local, remote);
  GstStructure *s;

  in.connected = TRUE;
  in.have_pair = TRUE;
  in.pair_local = GST_RTC_ICE_CANDIDATE_TYPE_RELAY;
  in.pair_remote = GST_RTC_ICE_CANDIDATE_TYPE_RELAY;
  assert_cause_has (in, "relay/relay pair (relayed through TURN)");
  s = gst_rtc_ice_diagnosis_to_structure (&in, NULL);
  fail_unless_equals_string (gst_structure_get_string (s,
          "selected-local-type"), "relay");
  fail_unless_equals_string (gst_structure_get_string (s, "turn-allocation"),
      "not-configured");
  gst_structure_free (s);
}

GST_END_TEST;

/* The lab's symmetric/symmetric case without TURN. */
GST_START_TEST (test_both_symmetric_no_relay)
{
  const gchar *local[] = { HOST_A, SRFLX_A, NULL };
  const gchar *remote[] = { HOST_B, SRFLX_B, NULL };
  GstRtcIceDiagnosisInput in = input (local, remote);

  in.stun_configured = TRUE;
  in.stun_answered = 1;
  in.local_nat = "symmetric";
  assert_cause_has (in, "both sides symmetric");
  assert_cause_has (in, "no relay configured");
  /* NAT kind not measured: still both behind NATs, likely symmetric */
  in.local_nat = NULL;
  assert_cause_has (in, "likely both sides symmetric");
  assert_cause_has (in, "no relay configured");
}

GST_END_TEST;

GST_START_TEST (test_turn_failures)
{
  const gchar *local[] = { HOST_A, SRFLX_A, NULL };
  const gchar *remote[] = { HOST_B, SRFLX_B, NULL };
  GstRtcIceDiagnosisInput in = input (local, remote);

  in.n_turn_configured = 1;
  in.turn_probe = GST_RTC_TURN_PROBE_UNAUTHORIZED;
  assert_cause_has (in, "401");
  in.turn_probe = GST_RTC_TURN_PROBE_TIMEOUT;
  assert_cause_has (in, "timeout");
  in.turn_probe = GST_RTC_TURN_PROBE_UNREACHABLE;
  assert_cause_has (in, "unreachable");
  in.relay_only = TRUE;
  assert_cause_has (in, "ice-transport-policy is relay");
  assert_cause_has (in, "unreachable");
  in.n_turn_configured = 0;
  assert_cause_has (in, "no TURN server is configured");
  {
    /* relay only: nothing else is gathered at all */
    GstRtcIceDiagnosisInput nothing = input (NULL, remote);

    nothing.relay_only = TRUE;
    nothing.n_turn_configured = 1;
    nothing.turn_probe = GST_RTC_TURN_PROBE_UNAUTHORIZED;
    assert_cause_has (nothing, "ice-transport-policy is relay");
    assert_cause_has (nothing, "401 Unauthorized");
  }
}

GST_END_TEST;

/* The lab's port-restricted cone against symmetric, seen from the cone. */
GST_START_TEST (test_cone_against_symmetric)
{
  const gchar *local[] = { HOST_A, SRFLX_A, NULL };
  const gchar *remote[] = { HOST_B, SRFLX_B, NULL };
  GstRtcIceDiagnosisInput in = input (local, remote);

  in.stun_configured = TRUE;
  in.local_nat = "cone";
  in.local_filtering = "address-and-port-dependent";
  assert_cause_has (in, "this side's NAT is cone");
  assert_cause_has (in, "(symmetric), which a filtering cone NAT");
  assert_cause_has (in, "no relay configured");
}

GST_END_TEST;

/* Connected once, then silence: the peer vanished, or TURN died. */
GST_START_TEST (test_lost_after_connected)
{
  const gchar *local[] = { HOST_A, RELAY_A, NULL };
  const gchar *remote[] = { RELAY_B, NULL };
  GstRtcIceDiagnosisInput in = input (local, remote);

  in.was_connected = TRUE;
  assert_cause_has (in, "lost after it worked");
  {
    gchar *cause = gst_rtc_ice_diagnosis_likely_cause (&in);
    fail_if (strstr (cause, "TURN") != NULL, "%s", cause);
    g_free (cause);
  }
  in.n_turn_configured = 1;
  in.turn_probe = GST_RTC_TURN_PROBE_TIMEOUT;
  assert_cause_has (in, "the TURN server no longer answers");
}

GST_END_TEST;

GST_START_TEST (test_other_causes)
{
  const gchar *local[] = { HOST_A, NULL };
  const gchar *remote[] = { HOST_B, NULL };
  GstRtcIceDiagnosisInput none = input (NULL, NULL);
  GstRtcIceDiagnosisInput no_remote = input (local, NULL);
  GstRtcIceDiagnosisInput hosts = input (local, remote);

  assert_cause_has (none, "no local candidate");
  assert_cause_has (no_remote, "no remote candidate");
  assert_cause_has (hosts, "no STUN or TURN server");
  hosts.stun_configured = TRUE;
  hosts.stun_answered = 0;
  assert_cause_has (hosts, "STUN server did not answer");
}

GST_END_TEST;

/* The probes against a port where nothing listens: answers, not hangs. */
GST_START_TEST (test_probes_without_server)
{
  gchar *detail = NULL;
  GError *error = NULL;
  GstStructure *s;

  fail_unless_equals_int (gst_rtc_probe_turn ("turns:u:p@127.0.0.1:5349",
          200, &detail), GST_RTC_TURN_PROBE_UNSUPPORTED);
  fail_unless (strstr (detail, "turns:") != NULL, "%s", detail);
  g_free (detail);
  fail_unless_equals_int (gst_rtc_probe_turn
      ("turn:u:p@127.0.0.1:9?transport=tcp", 500, &detail),
      GST_RTC_TURN_PROBE_UNREACHABLE);
  g_free (detail);
  /* UDP to a closed port: ICMP port unreachable, or silence */
  {
    GstRtcTurnProbeResult r = gst_rtc_probe_turn ("turn:u:p@127.0.0.1:9",
        400, &detail);
    fail_unless (r == GST_RTC_TURN_PROBE_UNREACHABLE
        || r == GST_RTC_TURN_PROBE_TIMEOUT, "%d: %s", r, detail);
    g_free (detail);
  }
  fail_unless_equals_int (gst_rtc_probe_turn ("http://x", 100, &detail),
      GST_RTC_TURN_PROBE_ERROR);
  g_free (detail);

  s = gst_rtc_probe_nat ("stun:127.0.0.1:9", 300, &error);
  fail_unless (s == NULL);
  fail_unless (error != NULL && strstr (error->message, "did not answer"));
  g_clear_error (&error);
}

GST_END_TEST;

static Suite *
diagnosis_suite (void)
{
  Suite *s = suite_create ("diagnosis");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_candidate_counting);
  tcase_add_test (tc, test_public_address_is_not_nat);
  tcase_add_test (tc, test_connected);
  tcase_add_test (tc, test_both_symmetric_no_relay);
  tcase_add_test (tc, test_turn_failures);
  tcase_add_test (tc, test_other_causes);
  tcase_add_test (tc, test_cone_against_symmetric);
  tcase_add_test (tc, test_lost_after_connected);
  tcase_add_test (tc, test_probes_without_server);
  return s;
}

GST_CHECK_MAIN (diagnosis);
