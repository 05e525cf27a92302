/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <gst/check/gstcheck.h>
#include <gst/rtc/rtc.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <nice/agent.h>
#include <string.h>

/* Conditions are polled with a deadline, never assumed after a sleep. */
#define WAIT_SECONDS 20
#define POLL_USEC 10000

/* ------------------------------------------------------------------------ */
/* Candidate strings                                                        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const gchar *candidate;
  const gchar *foundation;
  guint component;
  GstRtcIceProtocol protocol;
  guint32 priority;
  const gchar *address;
  guint16 port;
  GstRtcIceCandidateType type;
  const gchar *related_address;
  guint16 related_port;
  GstRtcIceTcpType tcp_type;
} ValidCandidate;

#define UDP GST_RTC_ICE_PROTOCOL_UDP
#define TCP GST_RTC_ICE_PROTOCOL_TCP
#define HOST GST_RTC_ICE_CANDIDATE_TYPE_HOST
#define SRFLX GST_RTC_ICE_CANDIDATE_TYPE_SRFLX
#define PRFLX GST_RTC_ICE_CANDIDATE_TYPE_PRFLX
#define RELAY GST_RTC_ICE_CANDIDATE_TYPE_RELAY
#define NO_TCP GST_RTC_ICE_TCP_TYPE_NONE

static const ValidCandidate valid_candidates[] = {
  /* Chromium */
  {"candidate:1467250027 1 udp 2122260223 192.168.1.5 46243 typ host "
        "generation 0 ufrag Xk3e network-id 1 network-cost 10",
      "1467250027", 1, UDP, 2122260223u, "192.168.1.5", 46243, HOST, "", 0,
      NO_TCP},
  {"candidate:842163049 1 udp 1677729535 203.0.113.7 58107 typ srflx "
        "raddr 192.168.1.5 rport 46243 generation 0 ufrag Xk3e "
        "network-cost 999",
      "842163049", 1, UDP, 1677729535u, "203.0.113.7", 58107, SRFLX,
      "192.168.1.5", 46243, NO_TCP},
  {"candidate:3745137412 1 udp 41885695 198.51.100.9 61722 typ relay "
        "raddr 203.0.113.7 rport 58107 generation 0 ufrag Xk3e "
        "network-cost 999",
      "3745137412", 1, UDP, 41885695u, "198.51.100.9", 61722, RELAY,
      "203.0.113.7", 58107, NO_TCP},
  {"candidate:1853887674 1 tcp 1518280447 192.168.1.5 9 typ host "
        "tcptype active generation 0 ufrag Xk3e network-id 1",
      "1853887674", 1, TCP, 1518280447u, "192.168.1.5", 9, HOST, "", 0,
      GST_RTC_ICE_TCP_TYPE_ACTIVE},
  {"candidate:2999745851 1 udp 2122262783 2001:db8::1 51000 typ host "
        "generation 0 ufrag Xk3e network-id 2",
      "2999745851", 1, UDP, 2122262783u, "2001:db8::1", 51000, HOST, "", 0,
      NO_TCP},
  {"candidate:1 1 udp 2122260223 4d8a5c1e-2bd7-4bd7-9f23-1c5a7a0e8a11.local "
        "54400 typ host generation 0 network-id 1",
      "1", 1, UDP, 2122260223u, "4d8a5c1e-2bd7-4bd7-9f23-1c5a7a0e8a11.local",
      54400, HOST, "", 0, NO_TCP},
  /* Firefox: upper-case transport */
  {"candidate:0 1 UDP 2122252543 192.168.1.5 49825 typ host",
      "0", 1, UDP, 2122252543u, "192.168.1.5", 49825, HOST, "", 0, NO_TCP},
  {"candidate:2 1 TCP 2105524479 192.168.1.5 9 typ host tcptype active",
      "2", 1, TCP, 2105524479u, "192.168.1.5", 9, HOST, "", 0,
      GST_RTC_ICE_TCP_TYPE_ACTIVE},
  {"candidate:1 1 UDP 1686052863 203.0.113.7 49825 typ srflx "
        "raddr 192.168.1.5 rport 49825",
      "1", 1, UDP, 1686052863u, "203.0.113.7", 49825, SRFLX, "192.168.1.5",
      49825, NO_TCP},
  {"candidate:3 1 UDP 92216831 198.51.100.9 52000 typ relay "
        "raddr 198.51.100.9 rport 52000",
      "3", 1, UDP, 92216831u, "198.51.100.9", 52000, RELAY, "198.51.100.9",
      52000, NO_TCP},
  /* aiortc: 32-character foundation, RTCP component, TCP passive */
  {"candidate:7c9a57ab2c2b94ac4be2a3a3e2f3e9f4 1 udp 2130706431 "
        "192.168.1.5 39051 typ host",
      "7c9a57ab2c2b94ac4be2a3a3e2f3e9f4", 1, UDP, 2130706431u,
      "192.168.1.5", 39051, HOST, "", 0, NO_TCP},
  {"candidate:7c9a57ab2c2b94ac4be2a3a3e2f3e9f4 2 udp 2130706430 "
        "192.168.1.5 39052 typ host",
      "7c9a57ab2c2b94ac4be2a3a3e2f3e9f4", 2, UDP, 2130706430u,
      "192.168.1.5", 39052, HOST, "", 0, NO_TCP},
  {"candidate:4 1 tcp 1518280447 192.168.1.5 443 typ host tcptype passive",
      "4", 1, TCP, 1518280447u, "192.168.1.5", 443, HOST, "", 0,
      GST_RTC_ICE_TCP_TYPE_PASSIVE},
  /* other shapes */
  {"a=candidate:5 1 udp 1845501695 203.0.113.8 4000 typ prflx "
        "raddr 0.0.0.0 rport 0",
      "5", 1, UDP, 1845501695u, "203.0.113.8", 4000, PRFLX, "0.0.0.0", 0,
      NO_TCP},
  {"candidate:a+/Z 256 tcp 4294967295 192.0.2.1 0 typ host tcptype active",
      "a+/Z", 256, TCP, 4294967295u, "192.0.2.1", 0, HOST, "", 0,
      GST_RTC_ICE_TCP_TYPE_ACTIVE},
  {"candidate:6 1 tcp 1 192.0.2.1 65535 typ host tcptype so",
      "6", 1, TCP, 1, "192.0.2.1", 65535, HOST, "", 0,
      GST_RTC_ICE_TCP_TYPE_SO},
  {"1 1 udp 2122260223 192.0.2.1 54400 typ host",
      "1", 1, UDP, 2122260223u, "192.0.2.1", 54400, HOST, "", 0, NO_TCP},
  {"a=candidate:1 1 UdP 7 192.0.2.1 1 TYP HOST\r\n",
      "1", 1, UDP, 7, "192.0.2.1", 1, HOST, "", 0, NO_TCP},
  {"candidate:1 1 udp 7 fe80::1%eth0 1 typ host",
      "1", 1, UDP, 7, "fe80::1%eth0", 1, HOST, "", 0, NO_TCP},
};

static void
assert_info_equal (const GstRtcIceCandidateInfo * a,
    const GstRtcIceCandidateInfo * b)
{
  fail_unless_equals_string (a->foundation, b->foundation);
  fail_unless_equals_int (a->component, b->component);
  fail_unless_equals_int (a->protocol, b->protocol);
  fail_unless_equals_uint64 (a->priority, b->priority);
  fail_unless_equals_string (a->address, b->address);
  fail_unless_equals_int (a->port, b->port);
  fail_unless_equals_int (a->type, b->type);
  fail_unless_equals_string (a->related_address, b->related_address);
  fail_unless_equals_int (a->related_port, b->related_port);
  fail_unless_equals_int (a->tcp_type, b->tcp_type);
}

GST_START_TEST (test_candidate_parse_valid)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (valid_candidates); i++) {
    const ValidCandidate *v = &valid_candidates[i];
    GstRtcIceCandidateInfo info, again;
    GError *error = NULL;
    gchar *printed;

    GST_INFO ("parsing %s", v->candidate);
    fail_unless (gst_rtc_ice_candidate_parse (v->candidate, &info, &error),
        "'%s' did not parse: %s", v->candidate,
        error ? error->message : "?");
    fail_unless (error == NULL);
    fail_unless_equals_string (info.foundation, v->foundation);
    fail_unless_equals_int (info.component, v->component);
    fail_unless_equals_int (info.protocol, v->protocol);
    fail_unless_equals_uint64 (info.priority, v->priority);
    fail_unless_equals_string (info.address, v->address);
    fail_unless_equals_int (info.port, v->port);
    fail_unless_equals_int (info.type, v->type);
    fail_unless_equals_string (info.related_address, v->related_address);
    fail_unless_equals_int (info.related_port, v->related_port);
    fail_unless_equals_int (info.tcp_type, v->tcp_type);

    printed = gst_rtc_ice_candidate_to_string (&info);
    fail_unless (g_str_has_prefix (printed, "candidate:"), "%s", printed);
    fail_unless (gst_rtc_ice_candidate_parse (printed, &again, &error),
        "'%s' printed from '%s' did not parse: %s", printed, v->candidate,
        error ? error->message : "?");
    assert_info_equal (&info, &again);
    g_free (printed);
  }
}

GST_END_TEST;

GST_START_TEST (test_candidate_to_string)
{
  GstRtcIceCandidateInfo info;
  gchar *printed;

  fail_unless (gst_rtc_ice_candidate_parse ("a=candidate:842163049 1 UDP "
          "1677729535 203.0.113.7 58107 typ SRFLX raddr 192.168.1.5 "
          "rport 46243 generation 0", &info, NULL));
  printed = gst_rtc_ice_candidate_to_string (&info);
  fail_unless_equals_string (printed, "candidate:842163049 1 udp 1677729535 "
      "203.0.113.7 58107 typ srflx raddr 192.168.1.5 rport 46243");
  g_free (printed);

  fail_unless (gst_rtc_ice_candidate_parse ("candidate:2 1 TCP 2105524479 "
          "192.168.1.5 9 typ host tcptype active", &info, NULL));
  printed = gst_rtc_ice_candidate_to_string (&info);
  fail_unless_equals_string (printed,
      "candidate:2 1 tcp 2105524479 192.168.1.5 9 typ host tcptype active");
  g_free (printed);

  fail_unless_equals_string (gst_rtc_ice_candidate_type_to_string (HOST),
      "host");
  fail_unless_equals_string (gst_rtc_ice_candidate_type_to_string (SRFLX),
      "srflx");
  fail_unless_equals_string (gst_rtc_ice_candidate_type_to_string (PRFLX),
      "prflx");
  fail_unless_equals_string (gst_rtc_ice_candidate_type_to_string (RELAY),
      "relay");
  fail_unless (gst_rtc_ice_candidate_type_to_string (42) == NULL);
}

GST_END_TEST;

typedef struct
{
  const gchar *candidate;
  const gchar *says;            /* a word the error message must hold */
} InvalidCandidate;

static const InvalidCandidate invalid_candidates[] = {
  {"", "empty"},
  {"   ", "empty"},
  {"a=candidate:", "empty"},
  {"candidate:1", "component"},
  {"candidate:1 1", "transport"},
  {"candidate:1 1 udp", "priority"},
  {"candidate:1 1 udp 2122260223", "address"},
  {"candidate:1 1 udp 2122260223 192.0.2.1", "port"},
  {"candidate:1 1 udp 2122260223 192.0.2.1 5000", "typ"},
  {"candidate:1 1 udp 2122260223 192.0.2.1 5000 typ", "type"},
  {"candidate:1 0 udp 1 192.0.2.1 5000 typ host", "component"},
  {"candidate:1 257 udp 1 192.0.2.1 5000 typ host", "component"},
  {"candidate:1 x udp 1 192.0.2.1 5000 typ host", "component"},
  {"candidate:1 1 udp 1 192.0.2.1 70000 typ host", "port"},
  {"candidate:1 1 udp 1 192.0.2.1 +5 typ host", "port"},
  {"candidate:1 1 udp 1 192.0.2.1 0 typ host", "port 0"},
  {"candidate:1 1 udp 1 192.0.2.1 5000 typ bogus", "candidate type"},
  {"candidate:1 1 udp 1 192.0.2.1 5000 tip host", "typ"},
  {"candidate:1 1 sctp 1 192.0.2.1 5000 typ host", "transport"},
  {"candidate:1 1 udp 0 192.0.2.1 5000 typ host", "priority"},
  {"candidate:1 1 udp 4294967296 192.0.2.1 5000 typ host", "priority"},
  {"candidate:1 1 udp -1 192.0.2.1 5000 typ host", "priority"},
  {"candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 5000 "
        "typ host", "foundation"},
  {"candidate:f@o 1 udp 1 192.0.2.1 5000 typ host", "foundation"},
  {"candidate:1 1 udp 1 [::1] 5000 typ host", "address"},
  {"candidate:1 1 tcp 1 192.0.2.1 5000 typ host", "tcptype"},
  {"candidate:1 1 tcp 1 192.0.2.1 5000 typ host tcptype sideways",
      "tcptype"},
  {"candidate:1 1 udp 1 192.0.2.1 5000 typ host tcptype passive",
      "tcptype"},
  {"candidate:1 1 udp 1 192.0.2.1 5000 typ host generation", "no value"},
  {"candidate:1 1 udp 1 192.0.2.1 5000 typ srflx raddr 1.2.3.4 rport 99999",
      "related port"},
  {"candidate:1 1 udp 1 192.0.2.1 5000 typ srflx raddr {} rport 1",
      "related address"},
};

GST_START_TEST (test_candidate_parse_invalid)
{
  GstRtcIceCandidateInfo info;
  gchar *long_address;
  GString *long_candidate;
  GError *error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (invalid_candidates); i++) {
    const InvalidCandidate *v = &invalid_candidates[i];

    fail_if (gst_rtc_ice_candidate_parse (v->candidate, &info, &error),
        "'%s' parsed", v->candidate);
    fail_unless (error != NULL);
    fail_unless (g_error_matches (error, GST_RTC_ERROR,
            GST_RTC_ERROR_TYPE_ERROR), "%s", error->message);
    fail_unless (strstr (error->message, v->says) != NULL,
        "error for '%s' does not say '%s': %s", v->candidate, v->says,
        error->message);
    GST_INFO ("'%s': %s", v->candidate, error->message);
    g_clear_error (&error);
  }

  /* 255 characters is the most an address may have */
  long_address = g_strnfill (255, 'a');
  long_candidate = g_string_new (NULL);
  g_string_printf (long_candidate, "candidate:1 1 udp 1 %s 5000 typ host",
      long_address);
  fail_unless (gst_rtc_ice_candidate_parse (long_candidate->str, &info,
          NULL));
  g_string_printf (long_candidate, "candidate:1 1 udp 1 %sa 5000 typ host",
      long_address);
  fail_if (gst_rtc_ice_candidate_parse (long_candidate->str, &info, &error));
  fail_unless (strstr (error->message, "address") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  g_string_free (long_candidate, TRUE);
  g_free (long_address);
}

GST_END_TEST;

/* Every prefix of every valid candidate either parses or fails cleanly, and
 * a failure leaves @info as it was. */
GST_START_TEST (test_candidate_parse_truncated)
{
  guint i;
  gsize len;

  for (i = 0; i < G_N_ELEMENTS (valid_candidates); i++) {
    const gchar *full = valid_candidates[i].candidate;

    for (len = 0; len <= strlen (full); len++) {
      gchar *prefix = g_strndup (full, len);
      GstRtcIceCandidateInfo info, untouched;
      GError *error = NULL;
      gboolean ok;

      memset (&info, 0xa5, sizeof (info));
      memset (&untouched, 0xa5, sizeof (untouched));
      ok = gst_rtc_ice_candidate_parse (prefix, &info, &error);
      if (ok) {
        fail_unless (error == NULL);
        fail_unless (info.address[0] != '\0');
      } else {
        fail_unless (error != NULL, "no error for '%s'", prefix);
        fail_unless (error->domain == GST_RTC_ERROR);
        fail_unless (memcmp (&info, &untouched, sizeof (info)) == 0,
            "info changed by failed parse of '%s'", prefix);
        g_clear_error (&error);
      }
      g_free (prefix);
    }
  }
}

GST_END_TEST;

/* Random byte changes in valid candidates: no crash, always an answer. */
GST_START_TEST (test_candidate_parse_mutated)
{
  GRand *rand = g_rand_new_with_seed (20240611);
  guint n;

  for (n = 0; n < 20000; n++) {
    const gchar *full = valid_candidates[g_rand_int_range (rand, 0,
            G_N_ELEMENTS (valid_candidates))].candidate;
    gchar *mutated = g_strdup (full);
    gsize len = strlen (mutated);
    guint changes = g_rand_int_range (rand, 1, 4);
    GstRtcIceCandidateInfo info;
    GError *error = NULL;

    while (changes-- > 0)
      mutated[g_rand_int_range (rand, 0, len)] = g_rand_int_range (rand, 1,
          256);
    if (!gst_rtc_ice_candidate_parse (mutated, &info, &error)) {
      fail_unless (error != NULL);
      g_clear_error (&error);
    } else {
      gchar *printed = gst_rtc_ice_candidate_to_string (&info);

      fail_unless (gst_rtc_ice_candidate_parse (printed, &info, NULL),
          "reprint '%s' did not parse", printed);
      g_free (printed);
    }
    g_free (mutated);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Server URIs                                                              */
/* ------------------------------------------------------------------------ */

typedef struct
{
  const gchar *uri;
  gboolean is_turn;
  gboolean is_tls;
  GstRtcIceProtocol protocol;
  const gchar *host;
  guint16 port;
  const gchar *username;
  const gchar *password;
} ValidServer;

static const ValidServer valid_servers[] = {
  {"stun:stun.example.org", FALSE, FALSE, UDP, "stun.example.org", 3478},
  {"stun://192.0.2.1:19302", FALSE, FALSE, UDP, "192.0.2.1", 19302},
  {"stun:[2001:db8::1]:3479", FALSE, FALSE, UDP, "2001:db8::1", 3479},
  {"stun:[::1]", FALSE, FALSE, UDP, "::1", 3478},
  {"stun:stun.example.org:3478?transport=udp", FALSE, FALSE, UDP,
      "stun.example.org", 3478},
  {"STUN:Stun.Example.org", FALSE, FALSE, UDP, "Stun.Example.org", 3478},
  {"turn://user:pass@192.0.2.1:3478?transport=udp", TRUE, FALSE, UDP,
      "192.0.2.1", 3478, "user", "pass"},
  {"turn://u%40x:p%3As%25s@turn.example.org?transport=TCP", TRUE, FALSE, TCP,
      "turn.example.org", 3478, "u@x", "p:s%s"},
  {"turn:turn.example.org:443?transport=tcp", TRUE, FALSE, TCP,
      "turn.example.org", 443},
  {"turn:[2001:db8::2]:3479", TRUE, FALSE, UDP, "2001:db8::2", 3479},
  {"turn://user@turn.example.org", TRUE, FALSE, UDP, "turn.example.org",
      3478, "user", NULL},
  {"turns://user:pass@turn.example.org", TRUE, TRUE, TCP,
      "turn.example.org", 5349, "user", "pass"},
  {"turns:turn.example.org:443?transport=tcp", TRUE, TRUE, TCP,
      "turn.example.org", 443},
};

GST_START_TEST (test_server_parse_valid)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (valid_servers); i++) {
    const ValidServer *v = &valid_servers[i];
    GError *error = NULL;
    GstRtcIceServer *server = gst_rtc_ice_server_parse (v->uri, &error);

    fail_unless (server != NULL, "'%s' did not parse: %s", v->uri,
        error ? error->message : "?");
    fail_unless_equals_int (server->is_turn, v->is_turn);
    fail_unless_equals_int (server->is_tls, v->is_tls);
    fail_unless_equals_int (server->protocol, v->protocol);
    fail_unless_equals_string (server->host, v->host);
    fail_unless_equals_int (server->port, v->port);
    fail_unless_equals_string (server->username, v->username);
    fail_unless_equals_string (server->password, v->password);
    gst_rtc_ice_server_free (server);
  }
}

GST_END_TEST;

typedef struct
{
  const gchar *uri;
  const gchar *says;
  GstRtcError code;
} InvalidServer;

static const InvalidServer invalid_servers[] = {
  {"http://example.org", "unknown scheme", GST_RTC_ERROR_TYPE_ERROR},
  {"example.org", "no scheme", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:", "no host", GST_RTC_ERROR_TYPE_ERROR},
  {"stun://", "no host", GST_RTC_ERROR_TYPE_ERROR},
  {"stun::3478", "no host", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:host:0", "bad port", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:host:70000", "bad port", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:host:3478x", "bad port", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:host:", "no port", GST_RTC_ERROR_TYPE_ERROR},
  {"turn:host?transport=sctp", "bad transport", GST_RTC_ERROR_TYPE_ERROR},
  {"turn:host?transport", "unknown parameter", GST_RTC_ERROR_TYPE_ERROR},
  {"turn:host?foo=bar", "unknown parameter", GST_RTC_ERROR_TYPE_ERROR},
  {"stun://user:pass@host", "user name", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:2001:db8::1", "brackets", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:[2001:db8::1", "']'", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:[nothost]:3478", "IPv6", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:[::1]x", "after the IPv6", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:ho st", "bad host", GST_RTC_ERROR_TYPE_ERROR},
  {"stun:host/path", "bad host", GST_RTC_ERROR_TYPE_ERROR},
  {"turn://:pass@host", "empty user name", GST_RTC_ERROR_TYPE_ERROR},
  {"turn://us%zzer:pass@host", "user name", GST_RTC_ERROR_TYPE_ERROR},
  {"stuns:host", "TLS", GST_RTC_ERROR_NOT_SUPPORTED},
};

GST_START_TEST (test_server_parse_invalid)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (invalid_servers); i++) {
    const InvalidServer *v = &invalid_servers[i];
    GError *error = NULL;

    fail_if (gst_rtc_ice_server_parse (v->uri, &error) != NULL,
        "'%s' parsed", v->uri);
    fail_unless (g_error_matches (error, GST_RTC_ERROR, v->code),
        "'%s': %s", v->uri, error->message);
    fail_unless (strstr (error->message, v->says) != NULL,
        "error for '%s' does not say '%s': %s", v->uri, v->says,
        error->message);
    GST_INFO ("'%s': %s", v->uri, error->message);
    g_clear_error (&error);
  }
}

GST_END_TEST;

#define SECRET "S3cretPassw0rd"

static const gchar *secret_uris[] = {
  "turn://user:" SECRET "@host:99999",
  "turn://user:" SECRET "@host?transport=sctp",
  "turn://user:" SECRET "@host?x=y",
  "turn://user:" SECRET "@",
  "turn://user:" SECRET "@[::1",
  "turn://user:" SECRET "%zz@host",
  "turn://user:" SECRET "@ho st",
  "turn://user:S3cret@Passw0rd@host:0",
  "stun://user:" SECRET "@host",
  "foo://user:" SECRET "@host",
  "user:" SECRET "@host",
  "turn://:" SECRET "@host",
};

static void
assert_no_secret (const GError * error, const gchar * uri)
{
  fail_unless (error != NULL, "no error for %s", uri);
  fail_unless (strstr (error->message, SECRET) == NULL,
      "password in error: %s", error->message);
  fail_unless (strstr (error->message, "S3cret") == NULL,
      "part of the password in error: %s", error->message);
  fail_unless (strstr (error->message, "***") != NULL,
      "error does not show the redacted URI: %s", error->message);
}

GST_START_TEST (test_server_password_hidden)
{
  GstRtcIceAgent *agent;
  GError *error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (secret_uris); i++) {
    fail_if (gst_rtc_ice_server_parse (secret_uris[i], &error) != NULL);
    assert_no_secret (error, secret_uris[i]);
    GST_INFO ("%s", error->message);
    g_clear_error (&error);
  }

  agent = gst_rtc_ice_agent_new (NULL);
  fail_if (gst_rtc_ice_agent_add_turn_server (agent,
          "turns://user:" SECRET "@192.0.2.1", &error));
  assert_no_secret (error, "turns");
  g_clear_error (&error);
  fail_if (gst_rtc_ice_agent_set_stun_server (agent,
          "turn://user:" SECRET "@192.0.2.1", &error));
  assert_no_secret (error, "turn as stun");
  g_clear_error (&error);
  gst_object_unref (agent);
}

GST_END_TEST;

static void
catch_warning (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  gchar **warning = user_data;

  g_free (*warning);
  *warning = g_strdup (message);
}

GST_START_TEST (test_agent_servers)
{
  GstRtcIceAgent *agent = gst_rtc_ice_agent_new (NULL);
  gchar *warning = NULL;
  guint handler;
  NiceAgent *nice;
  GError *error = NULL;
  gchar *stun_ip = NULL, *uri = NULL;
  guint stun_port = 0;

  g_object_get (agent, "nice-agent", &nice, NULL);
  fail_unless (NICE_IS_AGENT (nice));

  /* no server by default, ever */
  g_object_get (nice, "stun-server", &stun_ip, NULL);
  fail_unless (stun_ip == NULL);
  g_object_get (agent, "stun-server", &uri, NULL);
  fail_unless (uri == NULL);

  fail_unless (gst_rtc_ice_agent_set_stun_server (agent,
          "stun:192.0.2.1:19302", &error));
  g_object_get (nice, "stun-server", &stun_ip, "stun-server-port",
      &stun_port, NULL);
  fail_unless_equals_string (stun_ip, "192.0.2.1");
  fail_unless_equals_int (stun_port, 19302);
  g_free (stun_ip);

  /* a bad URI through the property: a warning naming it, and ignored */
  handler = g_log_set_handler ("GstRtc", G_LOG_LEVEL_WARNING, catch_warning,
      &warning);
  g_object_set (agent, "stun-server", "stun:host:99999", NULL);
  g_log_remove_handler ("GstRtc", handler);
  fail_unless (warning != NULL, "no warning");
  fail_unless (strstr (warning, "stun:host:99999") != NULL, "%s", warning);
  g_free (warning);
  g_object_get (agent, "stun-server", &uri, NULL);
  fail_unless_equals_string (uri, "stun:192.0.2.1:19302");
  g_free (uri);

  fail_if (gst_rtc_ice_agent_set_stun_server (agent, "stun:bad host",
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  fail_unless (strstr (error->message, "stun:bad host") != NULL, "%s",
      error->message);
  g_clear_error (&error);

  fail_unless (gst_rtc_ice_agent_set_stun_server (agent, NULL, &error));
  g_object_get (nice, "stun-server", &stun_ip, NULL);
  fail_unless (stun_ip == NULL);

  /* TURN: several, UDP and TCP; turns: refused with a way out */
  fail_unless (gst_rtc_ice_agent_add_turn_server (agent,
          "turn://u:p@192.0.2.1:3478?transport=udp", &error));
  fail_unless (gst_rtc_ice_agent_add_turn_server (agent,
          "turn://u:p@[2001:db8::1]:3478?transport=tcp", &error));
  fail_if (gst_rtc_ice_agent_add_turn_server (agent,
          "turns://u:p@192.0.2.1:5349", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_NOT_SUPPORTED));
  fail_unless (strstr (error->message, "transport=tcp") != NULL, "%s",
      error->message);
  fail_unless (strstr (error->message, "TLS") != NULL, "%s", error->message);
  g_clear_error (&error);
  fail_if (gst_rtc_ice_agent_add_turn_server (agent, "stun:192.0.2.1",
          &error));
  g_clear_error (&error);
  gst_rtc_ice_agent_clear_turn_servers (agent);

  g_object_unref (nice);
  gst_object_unref (agent);
}

GST_END_TEST;

GST_START_TEST (test_agent_properties)
{
  GstRtcIceAgent *agent = gst_rtc_ice_agent_new (NULL);
  NiceAgent *nice;
  gboolean controlling, ice_tcp, ice_udp, consent, force_relay, nice_tcp;
  guint ice_timeout, liveness_timeout, port_min, port_max;
  GstRtcIceTransportPolicy policy;

  g_object_get (agent, "controlling", &controlling, "ice-tcp", &ice_tcp,
      "ice-udp", &ice_udp, "consent-freshness", &consent, "ice-timeout",
      &ice_timeout, "liveness-timeout", &liveness_timeout, "port-min",
      &port_min, "port-max", &port_max, "ice-transport-policy", &policy,
      "nice-agent", &nice, NULL);
  fail_unless (controlling);
  fail_if (ice_tcp);
  fail_unless (ice_udp);
  fail_if (consent);
  fail_unless_equals_int (ice_timeout, 20);
  fail_unless_equals_int (liveness_timeout, 30);
  fail_unless_equals_int (port_min, 0);
  fail_unless_equals_int (port_max, 0);
  fail_unless_equals_int (policy, GST_RTC_ICE_TRANSPORT_POLICY_ALL);
  fail_unless (gst_rtc_ice_agent_get_context (agent) != NULL);

  g_object_get (nice, "controlling-mode", &controlling, "ice-tcp", &nice_tcp,
      "force-relay", &force_relay, NULL);
  fail_unless (controlling);
  fail_if (nice_tcp);
  fail_if (force_relay);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (nice), "upnp")) {
    gboolean upnp;

    g_object_get (nice, "upnp", &upnp, NULL);
    fail_if (upnp);
  }

  g_object_set (agent, "controlling", FALSE, "ice-transport-policy",
      GST_RTC_ICE_TRANSPORT_POLICY_RELAY, "ice-tcp", TRUE, NULL);
  g_object_get (nice, "controlling-mode", &controlling, "force-relay",
      &force_relay, "ice-tcp", &nice_tcp, NULL);
  fail_if (controlling);
  fail_unless (force_relay);
  fail_unless (nice_tcp);

  g_object_unref (nice);
  gst_object_unref (agent);

  /* consent freshness is a construction option of libnice */
  agent = g_object_new (GST_RTC_TYPE_ICE_AGENT, "consent-freshness", TRUE,
      NULL);
  gst_object_ref_sink (agent);
  g_object_get (agent, "nice-agent", &nice, NULL);
  g_object_get (nice, "consent-freshness", &consent, NULL);
  fail_unless (consent);
  g_object_unref (nice);
  gst_object_unref (agent);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* Two agents on loopback                                                   */
/* ------------------------------------------------------------------------ */

/* Guards every Peer field below the comment; signals come from workers. */
static GMutex test_lock;

typedef struct _Peer Peer;

struct _Peer
{
  const gchar *name;
  GstRtcIceAgent *agent;
  GstRtcIceStream *stream;
  Peer *remote;
  /* Serializes deliveries to the remote, so that end-of-candidates comes
   * after every candidate. Taken before test_lock. */
  GMutex deliver_lock;

  gboolean forward;
  GPtrArray *candidates;
  guint n_forwarded;
  gboolean gathering_done;
  gboolean end_sent;
  guint n_forward_errors;
  guint n_received;
  gchar *last_received;
  gboolean mark_alive_on_receive;
  GArray *states;
};

static GstRtcIceAgent *
loopback_agent_new (gboolean controlling)
{
  GstRtcIceAgent *agent = gst_rtc_ice_agent_new (NULL);
  NiceAgent *nice;
  NiceAddress address;

  g_object_set (agent, "controlling", controlling, NULL);
  /* host candidates on 127.0.0.1 only: fast and independent of the
   * machine's interfaces */
  g_object_get (agent, "nice-agent", &nice, NULL);
  nice_address_init (&address);
  fail_unless (nice_address_set_from_string (&address, "127.0.0.1"));
  fail_unless (nice_agent_add_local_address (nice, &address));
  g_object_unref (nice);
  return agent;
}

static void
peer_deliver (Peer * peer)
{
  GPtrArray *batch;
  gboolean send_end;
  GstRtcIceStream *remote_stream;
  guint i, errors = 0;

  g_mutex_lock (&peer->deliver_lock);
  g_mutex_lock (&test_lock);
  if (!peer->forward || peer->remote == NULL) {
    g_mutex_unlock (&test_lock);
    g_mutex_unlock (&peer->deliver_lock);
    return;
  }
  batch = g_ptr_array_new_with_free_func (g_free);
  for (; peer->n_forwarded < peer->candidates->len; peer->n_forwarded++)
    g_ptr_array_add (batch, g_strdup (g_ptr_array_index (peer->candidates,
                peer->n_forwarded)));
  send_end = peer->gathering_done && !peer->end_sent;
  peer->end_sent |= send_end;
  remote_stream = gst_object_ref (peer->remote->stream);
  g_mutex_unlock (&test_lock);

  for (i = 0; i < batch->len; i++) {
    GError *error = NULL;

    if (!gst_rtc_ice_stream_add_remote_candidate (remote_stream,
            g_ptr_array_index (batch, i), &error)) {
      GST_ERROR ("%s: %s", peer->name, error->message);
      g_clear_error (&error);
      errors++;
    }
  }
  if (send_end && !gst_rtc_ice_stream_add_remote_candidate (remote_stream,
          NULL, NULL))
    errors++;
  gst_object_unref (remote_stream);
  g_ptr_array_unref (batch);

  g_mutex_lock (&test_lock);
  peer->n_forward_errors += errors;
  g_mutex_unlock (&test_lock);
  g_mutex_unlock (&peer->deliver_lock);
}

static void
on_new_candidate (GstRtcIceStream * stream, const gchar * candidate,
    Peer * peer)
{
  GstRtcIceCandidateInfo info;

  /* what we signal, our own parser takes */
  fail_unless (gst_rtc_ice_candidate_parse (candidate, &info, NULL),
      "cannot parse local candidate %s", candidate);
  fail_unless (g_str_has_prefix (candidate, "candidate:"));
  fail_unless (g_main_context_is_owner (gst_rtc_ice_agent_get_context
          (peer->agent)), "new-candidate not on the worker thread");
  GST_INFO ("%s: local %s", peer->name, candidate);

  g_mutex_lock (&test_lock);
  g_ptr_array_add (peer->candidates, g_strdup (candidate));
  g_mutex_unlock (&test_lock);
  peer_deliver (peer);
}

static void
on_gathering_done (GstRtcIceStream * stream, Peer * peer)
{
  g_mutex_lock (&test_lock);
  fail_if (peer->gathering_done, "gathering-done emitted twice");
  peer->gathering_done = TRUE;
  g_mutex_unlock (&test_lock);
  peer_deliver (peer);
}

static void
on_state_notify (GstRtcIceStream * stream, GParamSpec * pspec, Peer * peer)
{
  GstRtcIceState state = gst_rtc_ice_stream_get_state (stream);

  fail_unless (g_main_context_is_owner (gst_rtc_ice_agent_get_context
          (peer->agent)), "state notified off the worker thread");
  GST_INFO ("%s: state %d", peer->name, state);
  g_mutex_lock (&test_lock);
  g_array_append_val (peer->states, state);
  g_mutex_unlock (&test_lock);
}

static void
on_receive (GstRtcIceStream * stream, const guint8 * data, gsize len,
    gpointer user_data)
{
  Peer *peer = user_data;
  gboolean mark;

  g_mutex_lock (&test_lock);
  peer->n_received++;
  g_free (peer->last_received);
  peer->last_received = g_strndup ((const gchar *) data, len);
  mark = peer->mark_alive_on_receive;
  g_mutex_unlock (&test_lock);
  /* as a transport would for a packet that passed authentication */
  if (mark)
    gst_rtc_ice_stream_mark_alive (stream);
}

static Peer *
peer_new (const gchar * name, GstRtcIceAgent * agent)
{
  Peer *peer = g_new0 (Peer, 1);
  GError *error = NULL;

  peer->name = name;
  peer->agent = gst_object_ref (agent);
  peer->stream = gst_rtc_ice_agent_create_stream (agent, &error);
  fail_unless (peer->stream != NULL, "%s", error ? error->message : "?");
  fail_unless (gst_rtc_ice_stream_get_agent (peer->stream) == agent);
  fail_unless (gst_rtc_ice_stream_get_id (peer->stream) > 0);
  g_mutex_init (&peer->deliver_lock);
  peer->candidates = g_ptr_array_new_with_free_func (g_free);
  peer->states = g_array_new (FALSE, FALSE, sizeof (GstRtcIceState));
  g_signal_connect (peer->stream, "new-candidate",
      G_CALLBACK (on_new_candidate), peer);
  g_signal_connect (peer->stream, "gathering-done",
      G_CALLBACK (on_gathering_done), peer);
  g_signal_connect (peer->stream, "notify::state",
      G_CALLBACK (on_state_notify), peer);
  gst_rtc_ice_stream_set_receive_func (peer->stream, on_receive, peer, NULL);
  return peer;
}

static gboolean
nothing (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
peer_free (Peer * peer)
{
  /* A handler may be running on the worker thread right now: once the
   * handlers are gone, a round trip through the worker waits for it to
   * return, so that none sees a freed Peer. */
  g_mutex_lock (&test_lock);
  if (peer->remote != NULL)
    peer->remote->remote = NULL;
  peer->remote = NULL;
  g_mutex_unlock (&test_lock);
  g_signal_handlers_disconnect_by_data (peer->stream, peer);
  gst_rtc_ice_stream_set_receive_func (peer->stream, NULL, NULL, NULL);
  gst_rtc_worker_pool_invoke_sync (gst_rtc_ice_agent_get_context
      (peer->agent), nothing, NULL);
  gst_rtc_ice_stream_close (peer->stream);
  gst_object_unref (peer->stream);
  gst_object_unref (peer->agent);
  g_ptr_array_unref (peer->candidates);
  g_array_unref (peer->states);
  g_free (peer->last_received);
  g_mutex_clear (&peer->deliver_lock);
  g_free (peer);
}

static void
peers_link (Peer * a, Peer * b)
{
  g_mutex_lock (&test_lock);
  a->remote = b;
  b->remote = a;
  g_mutex_unlock (&test_lock);
}

static void
peer_set_forward (Peer * peer, gboolean forward)
{
  g_mutex_lock (&test_lock);
  peer->forward = forward;
  g_mutex_unlock (&test_lock);
  peer_deliver (peer);
}

static void
peer_send_credentials (Peer * from, Peer * to)
{
  gchar *ufrag = NULL, *pwd = NULL;
  GError *error = NULL;

  gst_rtc_ice_stream_get_local_credentials (from->stream, &ufrag, &pwd);
  fail_unless (ufrag != NULL && pwd != NULL);
  fail_unless (strlen (ufrag) >= 4 && strlen (pwd) >= 22);
  fail_unless (gst_rtc_ice_stream_set_remote_credentials (to->stream, ufrag,
          pwd, &error), "%s", error ? error->message : "?");
  /* the same again is harmless */
  fail_unless (gst_rtc_ice_stream_set_remote_credentials (to->stream, ufrag,
          pwd, NULL));
  g_free (ufrag);
  g_free (pwd);
}

static void
peer_gather (Peer * peer)
{
  GError *error = NULL;

  fail_unless (gst_rtc_ice_stream_gather (peer->stream, &error), "%s",
      error ? error->message : "?");
  fail_if (gst_rtc_ice_stream_gather (peer->stream, &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_STATE));
  g_clear_error (&error);
}

typedef gboolean (*Condition) (gpointer data);

static gboolean
wait_for (Condition condition, gpointer data, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!condition (data)) {
    if (g_get_monotonic_time () > deadline)
      return condition (data);
    g_usleep (POLL_USEC);
  }
  return TRUE;
}

static gboolean
is_connected (gpointer data)
{
  Peer *peer = data;
  GstRtcIceState state = gst_rtc_ice_stream_get_state (peer->stream);

  return state == GST_RTC_ICE_STATE_CONNECTED
      || state == GST_RTC_ICE_STATE_COMPLETED;
}

static gboolean
is_failed (gpointer data)
{
  Peer *peer = data;

  return gst_rtc_ice_stream_get_state (peer->stream) ==
      GST_RTC_ICE_STATE_FAILED;
}

static gboolean
is_checking_or_beyond (gpointer data)
{
  Peer *peer = data;

  return gst_rtc_ice_stream_get_state (peer->stream) !=
      GST_RTC_ICE_STATE_NEW;
}

static gboolean
has_gathered (gpointer data)
{
  Peer *peer = data;
  gboolean done;

  g_mutex_lock (&test_lock);
  done = peer->gathering_done;
  g_mutex_unlock (&test_lock);
  return done;
}

static gboolean
has_host_pair (gpointer data)
{
  Peer *peer = data;
  GstRtcIceCandidateType local, remote;

  return gst_rtc_ice_stream_get_selected_pair (peer->stream, &local, &remote,
      NULL, NULL) && local == HOST && remote == HOST;
}

static guint
peer_n_received (Peer * peer)
{
  guint n;

  g_mutex_lock (&test_lock);
  n = peer->n_received;
  g_mutex_unlock (&test_lock);
  return n;
}

/* Sends until the peer got something: the first datagrams may cross the
 * last connectivity checks. */
static void
assert_datagram_arrives (Peer * from, Peer * to, const gchar * text)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  guint before = peer_n_received (to);
  gboolean arrived = FALSE;

  while (!arrived && g_get_monotonic_time () < deadline) {
    gssize sent = gst_rtc_ice_stream_send (from->stream,
        (const guint8 *) text, strlen (text));

    fail_unless (sent == -1 || sent == (gssize) strlen (text));
    g_usleep (20 * 1000);
    arrived = peer_n_received (to) > before;
  }
  fail_unless (arrived, "nothing from %s arrived at %s", from->name,
      to->name);
  g_mutex_lock (&test_lock);
  fail_unless_equals_string (to->last_received, text);
  g_mutex_unlock (&test_lock);
}

static void
assert_connected_and_carrying (Peer * a, Peer * b)
{
  fail_unless (wait_for (is_connected, a, WAIT_SECONDS), "%s not connected",
      a->name);
  fail_unless (wait_for (is_connected, b, WAIT_SECONDS), "%s not connected",
      b->name);
  assert_datagram_arrives (a, b, "hello from a");
  assert_datagram_arrives (b, a, "hello from b");
  g_mutex_lock (&test_lock);
  fail_unless_equals_int (a->n_forward_errors, 0);
  fail_unless_equals_int (b->n_forward_errors, 0);
  g_mutex_unlock (&test_lock);
}

GST_START_TEST (test_connect_loopback)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);
  gchar *local = NULL, *remote = NULL;
  GstRtcIceCandidateInfo info;
  gboolean controlling;

  peers_link (a, b);
  fail_unless_equals_int (gst_rtc_ice_stream_get_state (a->stream),
      GST_RTC_ICE_STATE_NEW);
  fail_unless_equals_int (gst_rtc_ice_stream_get_gathering_state (a->stream),
      GST_RTC_ICE_GATHERING_STATE_NEW);
  fail_if (gst_rtc_ice_stream_get_selected_pair (a->stream, NULL, NULL,
          NULL, NULL));

  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);

  assert_connected_and_carrying (a, b);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));
  fail_unless (wait_for (has_gathered, b, WAIT_SECONDS));
  fail_unless_equals_int (gst_rtc_ice_stream_get_gathering_state (a->stream),
      GST_RTC_ICE_GATHERING_STATE_COMPLETE);

  /* a remote first seen in a check is prflx until its candidate arrives,
   * which it has by now */
  fail_unless (wait_for (has_host_pair, a, WAIT_SECONDS));
  fail_unless (wait_for (has_host_pair, b, WAIT_SECONDS));
  fail_unless (gst_rtc_ice_stream_get_selected_pair (a->stream, NULL, NULL,
          &local, &remote));
  fail_unless (gst_rtc_ice_candidate_parse (local, &info, NULL), "%s", local);
  fail_unless_equals_string (info.address, "127.0.0.1");
  fail_unless (gst_rtc_ice_candidate_parse (remote, &info, NULL), "%s",
      remote);
  fail_unless_equals_string (info.address, "127.0.0.1");
  g_free (local);
  g_free (remote);

  g_object_get (agent_a, "controlling", &controlling, NULL);
  fail_unless (controlling);
  g_object_get (agent_b, "controlling", &controlling, NULL);
  fail_if (controlling);

  /* the states went through checking, and never failed */
  g_mutex_lock (&test_lock);
  fail_unless (a->states->len >= 2);
  fail_unless_equals_int (g_array_index (a->states, GstRtcIceState, 0),
      GST_RTC_ICE_STATE_CHECKING);
  g_mutex_unlock (&test_lock);

  gst_rtc_ice_stream_close (a->stream);
  fail_unless_equals_int (gst_rtc_ice_stream_get_state (a->stream),
      GST_RTC_ICE_STATE_CLOSED);
  fail_unless_equals_int (gst_rtc_ice_stream_send (a->stream,
          (const guint8 *) "x", 1), -1);
  gst_rtc_ice_stream_close (a->stream);

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

/* A 1:1 NAT's public address: each UDP host candidate gets a srflx twin
 * with that address, its port and the host as related address; the call
 * still connects (here through the host pair: 192.0.2.0/24 is TEST-NET). */
GST_START_TEST (test_announced_address)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a, *b;
  gchar *value = NULL;
  guint i, n_host = 0, n_announced = 0;

  g_object_set (agent_a, "announced-address", "example.org", NULL);
  g_object_get (agent_a, "announced-address", &value, NULL);
  fail_unless (value == NULL, "a host name was taken: %s", value);
  g_object_set (agent_a, "announced-address", "192.0.2.10", NULL);
  g_object_get (agent_a, "announced-address", &value, NULL);
  fail_unless_equals_string (value, "192.0.2.10");
  g_free (value);

  a = peer_new ("a", agent_a);
  b = peer_new ("b", agent_b);
  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  assert_connected_and_carrying (a, b);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));

  g_mutex_lock (&test_lock);
  for (i = 0; i < a->candidates->len; i++) {
    GstRtcIceCandidateInfo info;

    fail_unless (gst_rtc_ice_candidate_parse (g_ptr_array_index
            (a->candidates, i), &info, NULL));
    if (info.type == GST_RTC_ICE_CANDIDATE_TYPE_HOST
        && info.protocol == GST_RTC_ICE_PROTOCOL_UDP) {
      n_host++;
    } else if (info.type == GST_RTC_ICE_CANDIDATE_TYPE_SRFLX) {
      fail_unless_equals_string (info.address, "192.0.2.10");
      fail_unless_equals_string (info.related_address, "127.0.0.1");
      fail_unless_equals_int (info.port, info.related_port);
      fail_unless_equals_int (info.priority >> 24, 100);
      n_announced++;
    }
  }
  /* b announces nothing */
  for (i = 0; i < b->candidates->len; i++)
    fail_if (strstr (g_ptr_array_index (b->candidates, i), "srflx") != NULL);
  g_mutex_unlock (&test_lock);
  fail_unless (n_host > 0);
  fail_unless_equals_int (n_announced, n_host);

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

/* All candidates queued before the credentials arrive. */
GST_START_TEST (test_trickle_candidates_before_credentials)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);

  peers_link (a, b);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));
  fail_unless (wait_for (has_gathered, b, WAIT_SECONDS));

  /* nothing can start without credentials */
  fail_unless_equals_int (gst_rtc_ice_stream_get_state (a->stream),
      GST_RTC_ICE_STATE_NEW);
  fail_unless_equals_int (gst_rtc_ice_stream_get_state (b->stream),
      GST_RTC_ICE_STATE_NEW);

  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  assert_connected_and_carrying (a, b);

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

/* Credentials first, then candidates one by one as they are gathered. */
GST_START_TEST (test_trickle_credentials_before_candidates)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (FALSE);
  GstRtcIceAgent *agent_b = loopback_agent_new (TRUE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);

  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_gather (a);
  peer_gather (b);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  assert_connected_and_carrying (a, b);

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

/* b's candidates reach a only once b is already checking. */
GST_START_TEST (test_trickle_after_checks_started)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);

  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_gather (a);
  peer_gather (b);

  fail_unless (wait_for (is_checking_or_beyond, b, WAIT_SECONDS),
      "b did not start checking");
  peer_set_forward (b, TRUE);
  assert_connected_and_carrying (a, b);
  fail_unless (wait_for (has_host_pair, a, WAIT_SECONDS));

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

GST_START_TEST (test_role_conflict)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (TRUE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);

  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  /* libnice's tie-breaker makes one of them controlled (it does not tell
   * which); a pair must be nominated, which needs exactly one controller */
  assert_connected_and_carrying (a, b);
  fail_unless (wait_for (has_host_pair, a, WAIT_SECONDS));
  fail_unless (wait_for (has_host_pair, b, WAIT_SECONDS));

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

GST_START_TEST (test_restart_new_stream)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);
  Peer *a2, *b2;
  gchar *ufrag1, *pwd1, *ufrag2, *pwd2;

  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  assert_connected_and_carrying (a, b);

  /* the restart: new streams on the same agents, fresh credentials */
  a2 = peer_new ("a2", agent_a);
  b2 = peer_new ("b2", agent_b);
  peers_link (a2, b2);
  fail_if (gst_rtc_ice_stream_get_id (a2->stream) ==
      gst_rtc_ice_stream_get_id (a->stream));
  gst_rtc_ice_stream_get_local_credentials (a->stream, &ufrag1, &pwd1);
  gst_rtc_ice_stream_get_local_credentials (a2->stream, &ufrag2, &pwd2);
  fail_if (g_str_equal (ufrag1, ufrag2));
  fail_if (g_str_equal (pwd1, pwd2));
  g_free (ufrag1);
  g_free (pwd1);
  g_free (ufrag2);
  g_free (pwd2);

  peer_send_credentials (a2, b2);
  peer_send_credentials (b2, a2);
  peer_set_forward (a2, TRUE);
  peer_set_forward (b2, TRUE);
  peer_gather (a2);
  peer_gather (b2);
  assert_connected_and_carrying (a2, b2);

  /* the old streams go; the new ones carry on */
  gst_rtc_ice_stream_close (a->stream);
  gst_rtc_ice_stream_close (b->stream);
  assert_datagram_arrives (a2, b2, "after the restart");
  assert_datagram_arrives (b2, a2, "after the restart, back");
  fail_unless (is_connected (a2));
  fail_unless (is_connected (b2));

  peer_free (a);
  peer_free (b);
  peer_free (a2);
  peer_free (b2);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

GST_START_TEST (test_ice_timeout)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);
  gint64 start;

  g_object_set (agent_a, "ice-timeout", 2, NULL);
  peers_link (a, b);
  peer_gather (a);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));

  /* credentials, but never a candidate: libnice alone would wait forever */
  start = g_get_monotonic_time ();
  peer_send_credentials (b, a);
  fail_unless (wait_for (is_failed, a, 10), "no failure after the timeout");
  fail_unless (g_get_monotonic_time () - start >= 1900 * 1000,
      "failed before the timeout");

  /* and it stays failed, even with candidates now */
  peer_gather (b);
  peer_send_credentials (a, b);
  peer_set_forward (b, TRUE);
  fail_unless (wait_for (has_gathered, b, WAIT_SECONDS));
  fail_unless (is_failed (a));

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

GST_START_TEST (test_liveness)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);
  gint64 until;
  guint sent_rounds = 0;

  g_object_set (agent_a, "liveness-timeout", 0, NULL);
  g_object_set (agent_b, "liveness-timeout", 2, NULL);
  g_object_set (b->stream, "authenticated-liveness", TRUE, NULL);
  g_mutex_lock (&test_lock);
  b->mark_alive_on_receive = TRUE;
  g_mutex_unlock (&test_lock);

  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  assert_connected_and_carrying (a, b);

  /* a keeps talking, b marks each datagram alive: b stays connected well
   * past its liveness timeout */
  until = g_get_monotonic_time () + 3500 * 1000;
  while (g_get_monotonic_time () < until) {
    gst_rtc_ice_stream_send (a->stream, (const guint8 *) "ping", 4);
    fail_unless (is_connected (b), "b failed while marked alive");
    g_usleep (100 * 1000);
    sent_rounds++;
  }
  fail_unless (peer_n_received (b) > sent_rounds / 2);

  /* a goes quiet: b fails within a few seconds */
  fail_unless (wait_for (is_failed, b, 6), "b did not notice the silence");
  fail_unless (is_connected (a));

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

/* Without authenticated liveness, any datagram proves the peer alive, and
 * nothing does not. */
GST_START_TEST (test_liveness_unauthenticated)
{
  GstRtcIceAgent *agent_a = loopback_agent_new (TRUE);
  GstRtcIceAgent *agent_b = loopback_agent_new (FALSE);
  Peer *a = peer_new ("a", agent_a);
  Peer *b = peer_new ("b", agent_b);
  gint64 until;

  g_object_set (agent_a, "liveness-timeout", 0, NULL);
  g_object_set (agent_b, "liveness-timeout", 1, NULL);

  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  assert_connected_and_carrying (a, b);

  until = g_get_monotonic_time () + 2500 * 1000;
  while (g_get_monotonic_time () < until) {
    gst_rtc_ice_stream_send (a->stream, (const guint8 *) "ping", 4);
    fail_unless (is_connected (b), "b failed while receiving");
    g_usleep (100 * 1000);
  }
  fail_unless (wait_for (is_failed, b, 5), "b did not notice the silence");

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
}

GST_END_TEST;

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

#define N_AGENTS 50

GST_START_TEST (test_many_agents_few_threads)
{
  GstRtcIceAgent *agents[N_AGENTS];
  Peer *peers[N_AGENTS];
  guint threads_before, threads_during, i;

  threads_before = count_threads ();
  for (i = 0; i < N_AGENTS; i++) {
    agents[i] = loopback_agent_new (i % 2 == 0);
    peers[i] = peer_new ("many", agents[i]);
    peer_gather (peers[i]);
  }
  for (i = 0; i < N_AGENTS; i++)
    fail_unless (wait_for (has_gathered, peers[i], WAIT_SECONDS),
        "agent %u did not finish gathering", i);

  threads_during = count_threads ();
  GST_INFO ("%u threads before, %u with %d agents, %u workers",
      threads_before, threads_during, N_AGENTS,
      gst_rtc_worker_pool_get_n_threads ());
  fail_unless (gst_rtc_worker_pool_get_n_threads () <= 4);
  fail_unless (threads_during <= threads_before + 10,
      "%u threads before, %u with %d agents", threads_before,
      threads_during, N_AGENTS);

  for (i = 0; i < N_AGENTS; i++) {
    g_mutex_lock (&test_lock);
    fail_unless (peers[i]->candidates->len >= 1);
    g_mutex_unlock (&test_lock);
    peer_free (peers[i]);
    gst_object_unref (agents[i]);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_remote_candidates)
{
  GstRtcIceAgent *agent = loopback_agent_new (TRUE);
  Peer *a = peer_new ("a", agent);
  GError *error = NULL;
  guint i;

  peer_gather (a);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));

  fail_if (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "candidate:garbage", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR), "%s", error->message);
  g_clear_error (&error);
  fail_if (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "\x01\xff\xfe", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  g_clear_error (&error);
  fail_if (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "candidate:1 1 udp 2122260223 "
          "4d8a5c1e-2bd7-4bd7-9f23-1c5a7a0e8a11.local 54400 typ host",
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_NOT_SUPPORTED), "%s", error->message);
  fail_unless (strstr (error->message, "mDNS") != NULL, "%s",
      error->message);
  g_clear_error (&error);
  fail_if (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "candidate:1 1 udp 2122260223 peer.example.org 54400 typ host",
          &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_NOT_SUPPORTED), "%s", error->message);
  g_clear_error (&error);
  fail_if (gst_rtc_ice_stream_set_remote_credentials (a->stream, "ab",
          "0123456789012345678901", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_TYPE_ERROR));
  g_clear_error (&error);
  fail_if (gst_rtc_ice_stream_set_remote_credentials (a->stream, "abcd",
          "short", &error));
  fail_unless (strstr (error->message, "short") == NULL,
      "password in the error: %s", error->message);
  g_clear_error (&error);

  /* nothing of that changed the state */
  fail_unless_equals_int (gst_rtc_ice_stream_get_state (a->stream),
      GST_RTC_ICE_STATE_NEW);

  /* RTCP candidates are ignored, not counted */
  fail_unless (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "candidate:1 2 udp 2122260222 192.0.2.1 40001 typ host", &error));

  /* 64 candidates, queued before credentials, are taken; the 65th is not */
  for (i = 0; i < 64; i++) {
    gchar *candidate = g_strdup_printf ("a=candidate:%u 1 udp %u 192.0.2.%u "
        "%u typ host", i, 2122260223u - i, 1 + i % 200, 40000 + i);

    fail_unless (gst_rtc_ice_stream_add_remote_candidate (a->stream,
            candidate, &error), "candidate %u: %s", i,
        error ? error->message : "?");
    g_free (candidate);
  }
  fail_if (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "candidate:99 1 udp 1 192.0.2.250 50000 typ host", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_ACCESS), "%s", error->message);
  g_clear_error (&error);
  fail_unless_equals_int (gst_rtc_ice_stream_get_state (a->stream),
      GST_RTC_ICE_STATE_NEW);

  /* other credentials once some are set: that would be a restart */
  fail_unless (gst_rtc_ice_stream_set_remote_credentials (a->stream, "abcd",
          "0123456789012345678901", &error));
  fail_if (gst_rtc_ice_stream_set_remote_credentials (a->stream, "efgh",
          "0123456789012345678901", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_MODIFICATION));
  g_clear_error (&error);

  gst_rtc_ice_stream_close (a->stream);
  fail_if (gst_rtc_ice_stream_add_remote_candidate (a->stream,
          "candidate:1 1 udp 1 192.0.2.1 1 typ host", &error));
  fail_unless (g_error_matches (error, GST_RTC_ERROR,
          GST_RTC_ERROR_INVALID_STATE));
  g_clear_error (&error);

  peer_free (a);
  gst_object_unref (agent);
}

GST_END_TEST;

/* With the relay policy and no TURN server, nothing may be signalled. */
GST_START_TEST (test_relay_policy)
{
  GstRtcIceAgent *agent = loopback_agent_new (TRUE);
  Peer *a;

  g_object_set (agent, "ice-transport-policy",
      GST_RTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  a = peer_new ("a", agent);
  peer_gather (a);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));
  g_mutex_lock (&test_lock);
  fail_unless_equals_int (a->candidates->len, 0);
  g_mutex_unlock (&test_lock);

  peer_free (a);
  gst_object_unref (agent);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* TURN, against a real coturn when the machine has one                     */
/* ------------------------------------------------------------------------ */

static guint16
free_loopback_port (void)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any_port = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound;
  guint16 port;

  fail_unless (g_socket_bind (socket, any_port, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (any_port);
  g_object_unref (loopback);
  g_object_unref (socket);
  return port;
}

/* Sends STUN Binding requests until the server answers one. */
static gboolean
wait_for_stun_server (guint16 port)
{
  static const guint8 binding_request[20] = { 0x00, 0x01, 0x00, 0x00, 0x21,
    0x12, 0xa4, 0x42, 't', 'e', 's', 't', '-', 'i', 'c', 'e', '-', 'u', 'n',
    'i'
  };
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *server = g_inet_socket_address_new (loopback, port);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean answered = FALSE;
  guint8 reply[1500];

  g_socket_set_timeout (socket, 0);
  while (!answered && g_get_monotonic_time () < deadline) {
    g_socket_send_to (socket, server, (const gchar *) binding_request,
        sizeof (binding_request), NULL, NULL);
    if (g_socket_condition_timed_wait (socket, G_IO_IN, 100 * 1000, NULL,
            NULL))
      answered = g_socket_receive (socket, (gchar *) reply, sizeof (reply),
          NULL, NULL) >= 20 && reply[0] == 0x01 && reply[1] == 0x01;
  }
  g_object_unref (server);
  g_object_unref (loopback);
  g_object_unref (socket);
  return answered;
}

static GSubprocess *
start_turnserver (guint16 port)
{
  gchar *listening_port = g_strdup_printf ("--listening-port=%u", port);
  gchar *pidfile = g_strdup_printf ("--pidfile=%s/test-ice-turn-%u.pid",
      g_get_tmp_dir (), port);
  GError *error = NULL;
  GSubprocess *process;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "turnserver", "-n",
      "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", listening_port,
      "--min-port=50000", "--max-port=50999", "--lt-cred-mech",
      "--user=user:pass", "--realm=test", "--no-cli", "--no-tls", "--no-dtls",
      "--allow-loopback-peers", "--no-stdout-log", pidfile, NULL);
  fail_unless (process != NULL, "%s", error ? error->message : "?");
  g_free (listening_port);
  g_free (pidfile);
  return process;
}

static void
stop_turnserver (GSubprocess * process, guint16 port)
{
  gchar *pidfile = g_strdup_printf ("%s/test-ice-turn-%u.pid",
      g_get_tmp_dir (), port);

  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
  g_object_unref (process);
  g_unlink (pidfile);
  g_free (pidfile);
}

static void
assert_only_relay_candidates (Peer * peer)
{
  guint i;

  g_mutex_lock (&test_lock);
  fail_unless (peer->candidates->len > 0, "%s gathered nothing",
      peer->name);
  for (i = 0; i < peer->candidates->len; i++) {
    GstRtcIceCandidateInfo info;

    fail_unless (gst_rtc_ice_candidate_parse (g_ptr_array_index
            (peer->candidates, i), &info, NULL));
    fail_unless_equals_int (info.type, RELAY);
  }
  g_mutex_unlock (&test_lock);
}

static gboolean
has_relay_pair (gpointer data)
{
  Peer *peer = data;
  GstRtcIceCandidateType local, remote;

  return gst_rtc_ice_stream_get_selected_pair (peer->stream, &local, &remote,
      NULL, NULL) && local == RELAY && remote == RELAY;
}

static void
check_relay_only (const gchar * transport)
{
  gchar *turnserver = g_find_program_in_path ("turnserver");
  GstRtcIceAgent *agent_a, *agent_b;
  GSubprocess *process;
  GError *error = NULL;
  Peer *a, *b;
  guint16 port;
  gchar *uri;

  if (turnserver == NULL) {
    GST_WARNING ("no turnserver (coturn) here: TURN not tested");
    return;
  }
  g_free (turnserver);

  port = free_loopback_port ();
  process = start_turnserver (port);
  fail_unless (wait_for_stun_server (port), "turnserver did not start");

  uri = g_strdup_printf ("turn://user:pass@127.0.0.1:%u?transport=%s", port,
      transport);
  agent_a = loopback_agent_new (TRUE);
  agent_b = loopback_agent_new (FALSE);
  g_object_set (agent_a, "ice-transport-policy",
      GST_RTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  g_object_set (agent_b, "ice-transport-policy",
      GST_RTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  fail_unless (gst_rtc_ice_agent_add_turn_server (agent_a, uri, &error), "%s",
      error ? error->message : "?");
  fail_unless (gst_rtc_ice_agent_add_turn_server (agent_b, uri, &error), "%s",
      error ? error->message : "?");
  g_free (uri);

  a = peer_new ("a", agent_a);
  b = peer_new ("b", agent_b);
  peers_link (a, b);
  peer_send_credentials (a, b);
  peer_send_credentials (b, a);
  peer_set_forward (a, TRUE);
  peer_set_forward (b, TRUE);
  peer_gather (a);
  peer_gather (b);
  assert_connected_and_carrying (a, b);
  fail_unless (wait_for (has_gathered, a, WAIT_SECONDS));
  fail_unless (wait_for (has_gathered, b, WAIT_SECONDS));
  assert_only_relay_candidates (a);
  assert_only_relay_candidates (b);
  fail_unless (wait_for (has_relay_pair, a, WAIT_SECONDS));
  fail_unless (wait_for (has_relay_pair, b, WAIT_SECONDS));

  peer_free (a);
  peer_free (b);
  gst_object_unref (agent_a);
  gst_object_unref (agent_b);
  stop_turnserver (process, port);
}

GST_START_TEST (test_turn_udp_relay_only)
{
  check_relay_only ("udp");
}

GST_END_TEST;

GST_START_TEST (test_turn_tcp_relay_only)
{
  check_relay_only ("tcp");
}

GST_END_TEST;

static Suite *
ice_suite (void)
{
  Suite *s = suite_create ("ice");
  TCase *parse = tcase_create ("parse");
  TCase *agent = tcase_create ("agent");

  suite_add_tcase (s, parse);
  tcase_add_test (parse, test_candidate_parse_valid);
  tcase_add_test (parse, test_candidate_to_string);
  tcase_add_test (parse, test_candidate_parse_invalid);
  tcase_add_test (parse, test_candidate_parse_truncated);
  tcase_add_test (parse, test_candidate_parse_mutated);
  tcase_add_test (parse, test_server_parse_valid);
  tcase_add_test (parse, test_server_parse_invalid);
  tcase_add_test (parse, test_server_password_hidden);

  suite_add_tcase (s, agent);
  tcase_set_timeout (agent, 60);
  tcase_add_test (agent, test_agent_servers);
  tcase_add_test (agent, test_agent_properties);
  tcase_add_test (agent, test_connect_loopback);
  tcase_add_test (agent, test_announced_address);
  tcase_add_test (agent, test_trickle_candidates_before_credentials);
  tcase_add_test (agent, test_trickle_credentials_before_candidates);
  tcase_add_test (agent, test_trickle_after_checks_started);
  tcase_add_test (agent, test_role_conflict);
  tcase_add_test (agent, test_restart_new_stream);
  tcase_add_test (agent, test_ice_timeout);
  tcase_add_test (agent, test_liveness);
  tcase_add_test (agent, test_liveness_unauthenticated);
  tcase_add_test (agent, test_many_agents_few_threads);
  tcase_add_test (agent, test_bad_remote_candidates);
  tcase_add_test (agent, test_relay_policy);
  tcase_add_test (agent, test_turn_udp_relay_only);
  tcase_add_test (agent, test_turn_tcp_relay_only);

  return s;
}

GST_CHECK_MAIN (ice);
