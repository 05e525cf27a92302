/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The connectivity doctor's parts: why ICE ended as it did, in terms of
 * what one side knows (pure classification, unit-tested without a
 * network), and two blocking probes built on libnice's STUN usage library:
 * a TURN allocation (libnice 0.1.21 reports no TURN errors, so we ask the
 * server ourselves: 401, timeout, unreachable) and an RFC 5780 NAT
 * behaviour test (mapping and filtering, through CHANGE-REQUEST and
 * OTHER-ADDRESS).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "diagnosis.h"
#include "rtc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stun/stunagent.h>
#include <stun/stunmessage.h>
#include <stun/usages/bind.h>
#include <stun/usages/turn.h>

GST_DEBUG_CATEGORY_STATIC (gst_rtc_diagnosis_debug);
#define GST_CAT_DEFAULT gst_rtc_diagnosis_debug

static void
ensure_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_rtc_diagnosis_debug, "rtcdiagnosis", 0,
        "connectivity doctor");
    g_once_init_leave (&done, 1);
  }
}

/* RFC 5780 attributes libnice has no names for */
#define ATTR_RESPONSE_ORIGIN 0x802B
#define ATTR_OTHER_ADDRESS 0x802C
#define CHANGE_IP 0x4
#define CHANGE_PORT 0x2

/* ======================================================================== */
/* Classification                                                           */
/* ======================================================================== */

const gchar *
gst_rtc_turn_probe_result_name (GstRtcTurnProbeResult result)
{
  switch (result) {
    case GST_RTC_TURN_PROBE_NOT_RUN:
      return "not-run";
    case GST_RTC_TURN_PROBE_OK:
      return "allocated";
    case GST_RTC_TURN_PROBE_UNAUTHORIZED:
      return "401-unauthorized";
    case GST_RTC_TURN_PROBE_TIMEOUT:
      return "timeout";
    case GST_RTC_TURN_PROBE_UNREACHABLE:
      return "unreachable";
    case GST_RTC_TURN_PROBE_UNSUPPORTED:
      return "unsupported";
    case GST_RTC_TURN_PROBE_ERROR:
      return "error";
  }
  return "unknown";
}

static gchar *
types_string (guint types)
{
  GString *s = g_string_new (NULL);
  GstRtcIceCandidateType t;

  for (t = GST_RTC_ICE_CANDIDATE_TYPE_HOST;
      t <= GST_RTC_ICE_CANDIDATE_TYPE_RELAY; t++) {
    if (types & GST_RTC_ICE_TYPE_BIT (t)) {
      if (s->len)
        g_string_append_c (s, ',');
      g_string_append (s, gst_rtc_ice_candidate_type_to_string (t));
    }
  }
  return g_string_free (s, FALSE);
}

/**
 * gst_rtc_ice_diagnosis_add_candidate:
 * @in: the diagnosis input to update
 * @local: whether the candidate is ours
 * @candidate: a candidate line
 * @local_hosts: (element-type utf8) (nullable): host addresses seen so far,
 *   used to tell a srflx that differs from every host (we are behind a NAT)
 *
 * Counts one candidate. Local candidates must be added host ones first
 * (gathering order) for the NAT test to work.
 */
void
gst_rtc_ice_diagnosis_add_candidate (GstRtcIceDiagnosisInput * in,
    gboolean local, const gchar * candidate, GPtrArray * local_hosts)
{
  GstRtcIceCandidateInfo info;
  guint i;

  if (candidate == NULL || *candidate == '\0')
    return;
  if (!gst_rtc_ice_candidate_parse (candidate, &info, NULL))
    return;
  if (local) {
    in->n_local++;
    in->local_types |= GST_RTC_ICE_TYPE_BIT (info.type);
    if (info.type == GST_RTC_ICE_CANDIDATE_TYPE_HOST && local_hosts)
      g_ptr_array_add (local_hosts, g_strdup (info.address));
    if (info.type == GST_RTC_ICE_CANDIDATE_TYPE_SRFLX) {
      gboolean same = FALSE;

      for (i = 0; local_hosts && i < local_hosts->len; i++)
        if (g_strcmp0 (g_ptr_array_index (local_hosts, i), info.address) == 0)
          same = TRUE;
      if (!same)
        in->local_behind_nat = TRUE;
    }
  } else {
    in->n_remote++;
    in->remote_types |= GST_RTC_ICE_TYPE_BIT (info.type);
    if (info.type == GST_RTC_ICE_CANDIDATE_TYPE_SRFLX)
      in->remote_behind_nat = TRUE;
  }
}

static const gchar *
turn_failure_words (GstRtcTurnProbeResult r)
{
  switch (r) {
    case GST_RTC_TURN_PROBE_UNAUTHORIZED:
      return "the TURN server refused our credentials (401 Unauthorized)";
    case GST_RTC_TURN_PROBE_TIMEOUT:
      return "the TURN server did not answer (timeout)";
    case GST_RTC_TURN_PROBE_UNREACHABLE:
      return "the TURN server is unreachable (connection refused or no route)";
    case GST_RTC_TURN_PROBE_UNSUPPORTED:
      return "the TURN server's transport is not supported (turns: needs "
          "TURN over TLS, which libnice 0.1.21 does not speak)";
    case GST_RTC_TURN_PROBE_ERROR:
      return "the TURN server answered the allocation with an error";
    case GST_RTC_TURN_PROBE_OK:
      return "the TURN server allocates for us when asked directly, but "
          "the ICE agent gathered no relay candidate";
    case GST_RTC_TURN_PROBE_NOT_RUN:
      break;
  }
  return "TURN allocation failed (not probed)";
}

/**
 * gst_rtc_ice_diagnosis_likely_cause:
 * @in: what this side knows
 *
 * Returns: (transfer full): one sentence naming the likely cause of a
 *   failure, or saying what path was found when connected
 */
gchar *
gst_rtc_ice_diagnosis_likely_cause (const GstRtcIceDiagnosisInput * in)
{
  gboolean local_relay = in->local_types &
      GST_RTC_ICE_TYPE_BIT (GST_RTC_ICE_CANDIDATE_TYPE_RELAY);
  gboolean remote_relay = in->remote_types &
      GST_RTC_ICE_TYPE_BIT (GST_RTC_ICE_CANDIDATE_TYPE_RELAY);
  gboolean local_srflx = in->local_types &
      GST_RTC_ICE_TYPE_BIT (GST_RTC_ICE_CANDIDATE_TYPE_SRFLX);

  if (in->connected) {
    if (!in->have_pair)
      return g_strdup ("connected");
    return g_strdup_printf ("connected over a %s/%s pair%s",
        gst_rtc_ice_candidate_type_to_string (in->pair_local),
        gst_rtc_ice_candidate_type_to_string (in->pair_remote),
        in->pair_local == GST_RTC_ICE_CANDIDATE_TYPE_RELAY
        || in->pair_remote == GST_RTC_ICE_CANDIDATE_TYPE_RELAY ?
        " (relayed through TURN)" : "");
  }

  if (in->was_connected) {
    gboolean turn_gone = in->n_turn_configured > 0
        && (in->turn_probe == GST_RTC_TURN_PROBE_TIMEOUT
        || in->turn_probe == GST_RTC_TURN_PROBE_UNREACHABLE);

    return g_strdup_printf ("the connection was lost after it worked: "
        "nothing came from the peer within the liveness timeout (consent "
        "freshness); the peer vanished or the path broke%s%s",
        turn_gone ? "; the TURN server no longer answers: " : "",
        turn_gone ? turn_failure_words (in->turn_probe) : "");
  }
  if (in->relay_only && !local_relay) {
    if (in->n_turn_configured == 0)
      return g_strdup ("ice-transport-policy is relay but no TURN server is "
          "configured");
    return g_strdup_printf ("ice-transport-policy is relay and no relay "
        "candidate was gathered: %s", turn_failure_words (in->turn_probe));
  }
  if (in->n_local == 0)
    return g_strdup ("no local candidate was gathered (no usable network "
        "interface, or every one was filtered out)");
  if (in->n_remote == 0)
    return g_strdup ("no remote candidate was received: the peer's "
        "candidates did not arrive through signalling, or it gathered none");
  if (in->n_turn_configured > 0 && !local_relay && !remote_relay)
    return g_strdup_printf ("no relay on either side: %s",
        turn_failure_words (in->turn_probe));
  if (local_relay || remote_relay)
    return g_strdup_printf ("a relay candidate was %s but no pair worked: "
        "a firewall between the TURN server and the %s, or TURN permissions",
        local_relay && remote_relay ? "gathered on both sides" :
        local_relay ? "gathered here" : "sent by the peer",
        local_relay ? "peer" : "TURN server");
  if (!in->stun_configured && in->n_turn_configured == 0)
    return g_strdup ("no STUN or TURN server is configured: only host "
        "candidates, which do not cross a NAT; no relay configured");
  if (in->stun_configured && !local_srflx && in->stun_answered == 0)
    return g_strdup ("the STUN server did not answer (no server-reflexive "
        "candidate), and no relay configured");
  if (in->local_nat && g_str_equal (in->local_nat, "symmetric")
      && in->remote_behind_nat)
    return g_strdup ("both sides symmetric or behind NATs that filter: this "
        "side's NAT maps each destination to a new port (symmetric) and "
        "the peer is behind a NAT too; no relay configured: a TURN server "
        "is needed");
  if (in->local_nat && g_str_equal (in->local_nat, "cone")
      && in->remote_behind_nat)
    return g_strdup_printf ("this side's NAT is cone (endpoint-independent "
        "mapping, %s filtering) and the peer is behind a NAT too: the "
        "peer's NAT likely maps each destination to a new port "
        "(symmetric)%s; no relay configured: a TURN server is needed",
        in->local_filtering ? in->local_filtering : "unknown",
        in->local_filtering && !g_str_equal (in->local_filtering,
            "endpoint-independent") ? ", which a filtering cone NAT "
        "cannot let in" : "");
  if (in->local_behind_nat && in->remote_behind_nat)
    return g_strdup_printf ("both sides behind NATs (%s here) whose mappings "
        "the other side cannot reach, likely both sides symmetric; no relay "
        "configured: a TURN server is needed",
        in->local_nat ? in->local_nat : "kind unknown");
  if (in->local_nat && g_str_equal (in->local_nat, "symmetric"))
    return g_strdup ("this side is behind a symmetric NAT and the peer's "
        "candidates were not reachable; no relay configured");
  return g_strdup ("no candidate pair worked: a firewall drops the checks "
      "in at least one direction; no relay configured");
}

/**
 * gst_rtc_ice_diagnosis_to_structure:
 * @in: what this side knows
 * @turn_detail: (nullable): what the TURN probe said
 *
 * Returns: (transfer full): an `rtc-ice-diagnosis` structure
 */
GstStructure *
gst_rtc_ice_diagnosis_to_structure (const GstRtcIceDiagnosisInput * in,
    const gchar * turn_detail)
{
  gchar *local = types_string (in->local_types);
  gchar *remote = types_string (in->remote_types);
  gchar *cause = gst_rtc_ice_diagnosis_likely_cause (in);
  const gchar *turn;
  GstStructure *s;

  if (in->n_turn_configured == 0)
    turn = "not-configured";
  else if (in->local_types &
      GST_RTC_ICE_TYPE_BIT (GST_RTC_ICE_CANDIDATE_TYPE_RELAY))
    turn = "succeeded";
  else
    turn = "failed";

  s = gst_structure_new ("rtc-ice-diagnosis",
      "outcome", G_TYPE_STRING, in->connected ? "connected" : "failed",
      "local-candidate-types", G_TYPE_STRING, local,
      "remote-candidate-types", G_TYPE_STRING, remote,
      "local-candidates", G_TYPE_UINT, in->n_local,
      "remote-candidates", G_TYPE_UINT, in->n_remote,
      "stun-configured", G_TYPE_BOOLEAN, in->stun_configured,
      "stun-answered", G_TYPE_STRING,
      (in->local_types &
          GST_RTC_ICE_TYPE_BIT (GST_RTC_ICE_CANDIDATE_TYPE_SRFLX))
      || in->stun_answered > 0 ? "yes" :
      in->stun_answered == 0 ? "no" : "unknown",
      "local-behind-nat", G_TYPE_BOOLEAN, in->local_behind_nat,
      "local-nat", G_TYPE_STRING, in->local_nat ? in->local_nat : "unknown",
      "remote-behind-nat", G_TYPE_BOOLEAN, in->remote_behind_nat,
      "turn-servers", G_TYPE_UINT, in->n_turn_configured,
      "turn-allocation", G_TYPE_STRING, turn,
      "turn-probe", G_TYPE_STRING,
      gst_rtc_turn_probe_result_name (in->turn_probe),
      "relay-only", G_TYPE_BOOLEAN, in->relay_only,
      "was-connected", G_TYPE_BOOLEAN, in->was_connected,
      "likely-cause", G_TYPE_STRING, cause, NULL);
  if (turn_detail)
    gst_structure_set (s, "turn-probe-detail", G_TYPE_STRING, turn_detail,
        NULL);
  if (in->have_pair)
    gst_structure_set (s,
        "selected-local-type", G_TYPE_STRING,
        gst_rtc_ice_candidate_type_to_string (in->pair_local),
        "selected-remote-type", G_TYPE_STRING,
        gst_rtc_ice_candidate_type_to_string (in->pair_remote), NULL);
  g_free (local);
  g_free (remote);
  g_free (cause);
  return s;
}

/* ======================================================================== */
/* Sockets                                                                  */
/* ======================================================================== */

static gboolean
resolve (const gchar * host, guint16 port, struct sockaddr_storage *out,
    socklen_t * len)
{
  struct addrinfo hints = { 0 }, *res = NULL;
  gchar portstr[8];

  hints.ai_family = AF_INET;
  hints.ai_flags = AI_NUMERICSERV;
  g_snprintf (portstr, sizeof portstr, "%u", port);
  if (getaddrinfo (host, portstr, &hints, &res) != 0 || res == NULL)
    return FALSE;
  memcpy (out, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo (res);
  return TRUE;
}

static gchar *
addr_string (const struct sockaddr *sa)
{
  const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
  gchar buf[INET_ADDRSTRLEN] = "";

  if (sa->sa_family != AF_INET)
    return g_strdup ("?");
  inet_ntop (AF_INET, &in->sin_addr, buf, sizeof buf);
  return g_strdup_printf ("%s:%u", buf, ntohs (in->sin_port));
}

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* Waits for a datagram (or stream bytes) until the deadline: its length,
 * 0 at the deadline, -1 on an error (errno set). */
static gssize
recv_until (int fd, guint8 * buf, gsize len, gint64 deadline,
    struct sockaddr_storage *from, socklen_t * from_len)
{
  for (;;) {
    struct pollfd p = { fd, POLLIN, 0 };
    gint64 left = deadline - now_ms ();
    int r;

    if (left <= 0)
      return 0;
    r = poll (&p, 1, (int) left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (r == 0)
      return 0;
    if (from) {
      *from_len = sizeof *from;
      r = recvfrom (fd, buf, len, 0, (struct sockaddr *) from, from_len);
    } else {
      r = recv (fd, buf, len, 0);
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    return r;
  }
}

/* ======================================================================== */
/* TURN probe                                                               */
/* ======================================================================== */

static const uint16_t known_attributes[] = {
  STUN_ATTRIBUTE_MAPPED_ADDRESS, STUN_ATTRIBUTE_USERNAME,
  STUN_ATTRIBUTE_MESSAGE_INTEGRITY, STUN_ATTRIBUTE_ERROR_CODE,
  STUN_ATTRIBUTE_UNKNOWN_ATTRIBUTES, STUN_ATTRIBUTE_REALM,
  STUN_ATTRIBUTE_NONCE, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
  STUN_ATTRIBUTE_LIFETIME, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
  STUN_ATTRIBUTE_RESERVATION_TOKEN, STUN_ATTRIBUTE_CHANGE_REQUEST,
  STUN_ATTRIBUTE_REQUESTED_TRANSPORT, 0
};

/* One request/response exchange on a UDP or TCP socket, retransmitted on
 * UDP. The response lands in resp (buffer resp_buf). */
static GstRtcTurnProbeResult
exchange (int fd, gboolean tcp, StunAgent * agent, const guint8 * req,
    gsize req_len, guint8 * resp_buf, gsize resp_size, StunMessage * resp,
    guint timeout_ms)
{
  gint64 deadline = now_ms () + timeout_ms;
  guint attempt;
  gsize have = 0;

  for (attempt = 0; attempt < (tcp ? 1 : 4); attempt++) {
    gint64 until = tcp ? deadline : MIN (deadline, now_ms () +
        (gint64) (timeout_ms / 4 + 1));

    if (!tcp || attempt == 0) {
      if (send (fd, req, req_len, MSG_NOSIGNAL) < 0)
        return errno == ECONNREFUSED || errno == ENETUNREACH
            || errno == EHOSTUNREACH ? GST_RTC_TURN_PROBE_UNREACHABLE :
            GST_RTC_TURN_PROBE_ERROR;
    }
    for (;;) {
      gssize n = recv_until (fd, resp_buf + have, resp_size - have, until,
          NULL, NULL);
      int len;

      if (n < 0)
        return errno == ECONNREFUSED || errno == ENETUNREACH
            || errno == EHOSTUNREACH || errno == ECONNRESET ?
            GST_RTC_TURN_PROBE_UNREACHABLE : GST_RTC_TURN_PROBE_ERROR;
      if (n == 0 && tcp && now_ms () < until)
        return GST_RTC_TURN_PROBE_UNREACHABLE;  /* closed */
      if (n == 0)
        break;
      if (tcp)
        have += n;
      else
        have = n;
      len = stun_message_validate_buffer_length (resp_buf, have, TRUE);
      if (len == STUN_MESSAGE_BUFFER_INCOMPLETE && tcp)
        continue;
      if (len <= 0) {
        have = 0;
        continue;
      }
      if (stun_agent_validate (agent, resp, resp_buf, len, NULL, NULL) ==
          STUN_VALIDATION_UNMATCHED_RESPONSE) {
        if (tcp) {
          memmove (resp_buf, resp_buf + len, have - len);
          have -= len;
        }
        continue;
      }
      resp->buffer = resp_buf;
      resp->buffer_len = len;
      return GST_RTC_TURN_PROBE_OK;
    }
  }
  return GST_RTC_TURN_PROBE_TIMEOUT;
}

/**
 * gst_rtc_probe_turn:
 * @uri: a `turn:` or `turns:` URI with user name and password
 * @timeout_ms: how long to wait for each answer
 * @detail: (out) (optional) (transfer full): a sentence for people
 *
 * Asks the TURN server for an allocation, as libnice would, and releases
 * it: tells 401 (wrong credentials), timeout and unreachable apart.
 *
 * Returns: the outcome
 */
GstRtcTurnProbeResult
gst_rtc_probe_turn (const gchar * uri, guint timeout_ms, gchar ** detail)
{
  GstRtcIceServer *server;
  GError *error = NULL;
  GstRtcTurnProbeResult result;
  struct sockaddr_storage sa;
  socklen_t sa_len;
  gboolean tcp;
  int fd = -1, code = 0;
  StunAgent agent;
  StunMessage req, resp, resp2;
  guint8 req_buf[STUN_MAX_MESSAGE_SIZE], resp_buf[STUN_MAX_MESSAGE_SIZE];
  guint8 resp_buf2[STUN_MAX_MESSAGE_SIZE];
  gsize len;

  ensure_debug ();
  if (detail)
    *detail = NULL;
  server = gst_rtc_ice_server_parse (uri, &error);
  if (server == NULL) {
    if (detail)
      *detail = g_strdup (error->message);
    result = g_error_matches (error, GST_RTC_ERROR,
        GST_RTC_ERROR_NOT_SUPPORTED) ? GST_RTC_TURN_PROBE_UNSUPPORTED :
        GST_RTC_TURN_PROBE_ERROR;
    g_error_free (error);
    return result;
  }
  if (server->is_tls) {
    if (detail)
      *detail = g_strdup ("turns: (TURN over TLS) is not supported: libnice "
          "0.1.21 speaks plain TCP to a turns: server in RFC 5245 mode");
    gst_rtc_ice_server_free (server);
    return GST_RTC_TURN_PROBE_UNSUPPORTED;
  }
  tcp = server->protocol == GST_RTC_ICE_PROTOCOL_TCP;
  if (!resolve (server->host, server->port, &sa, &sa_len)) {
    if (detail)
      *detail = g_strdup_printf ("cannot resolve %s", server->host);
    gst_rtc_ice_server_free (server);
    return GST_RTC_TURN_PROBE_UNREACHABLE;
  }

  fd = socket (AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) {
    result = GST_RTC_TURN_PROBE_ERROR;
    goto out;
  }
  if (tcp) {
    struct pollfd p = { fd, POLLOUT, 0 };
    int flags = fcntl (fd, F_GETFL), err = 0;
    socklen_t err_len = sizeof err;

    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
    if (connect (fd, (struct sockaddr *) &sa, sa_len) < 0
        && errno != EINPROGRESS) {
      result = GST_RTC_TURN_PROBE_UNREACHABLE;
      goto out;
    }
    if (poll (&p, 1, timeout_ms) <= 0) {
      result = GST_RTC_TURN_PROBE_TIMEOUT;
      goto out;
    }
    getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) {
      result = err == ETIMEDOUT ? GST_RTC_TURN_PROBE_TIMEOUT :
          GST_RTC_TURN_PROBE_UNREACHABLE;
      goto out;
    }
  } else if (connect (fd, (struct sockaddr *) &sa, sa_len) < 0) {
    result = GST_RTC_TURN_PROBE_UNREACHABLE;
    goto out;
  }

  stun_agent_init (&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
      STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS |
      STUN_AGENT_USAGE_NO_INDICATION_AUTH);
  len = stun_usage_turn_create (&agent, &req, req_buf, sizeof req_buf, NULL,
      STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1,
      (uint8_t *) server->username, server->username ?
      strlen (server->username) : 0, (uint8_t *) server->password,
      server->password ? strlen (server->password) : 0,
      STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
  result = exchange (fd, tcp, &agent, req_buf, len, resp_buf, sizeof resp_buf,
      &resp, timeout_ms);
  if (result != GST_RTC_TURN_PROBE_OK)
    goto out;
  if (stun_message_get_class (&resp) == STUN_ERROR
      && stun_message_find_error (&resp, &code) == STUN_MESSAGE_RETURN_SUCCESS
      && (code == 401 || code == 438)) {
    /* the usual challenge: again with REALM and NONCE */
    len = stun_usage_turn_create (&agent, &req, req_buf, sizeof req_buf,
        &resp, STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1,
        (uint8_t *) server->username, server->username ?
        strlen (server->username) : 0, (uint8_t *) server->password,
        server->password ? strlen (server->password) : 0,
        STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
    result = exchange (fd, tcp, &agent, req_buf, len, resp_buf2,
        sizeof resp_buf2, &resp2, timeout_ms);
    if (result != GST_RTC_TURN_PROBE_OK)
      goto out;
    resp = resp2;
  }
  code = 0;
  if (stun_message_get_class (&resp) == STUN_RESPONSE) {
    struct sockaddr_storage relayed;
    socklen_t relayed_len = sizeof relayed;

    if (stun_message_find_xor_addr (&resp, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
            &relayed, &relayed_len) == STUN_MESSAGE_RETURN_SUCCESS && detail) {
      gchar *a = addr_string ((struct sockaddr *) &relayed);
      *detail = g_strdup_printf ("allocated relay address %s", a);
      g_free (a);
    }
    /* release it: a Refresh with lifetime 0 */
    len = stun_usage_turn_create_refresh (&agent, &req, req_buf,
        sizeof req_buf, &resp, 0, (uint8_t *) server->username,
        server->username ? strlen (server->username) : 0,
        (uint8_t *) server->password,
        server->password ? strlen (server->password) : 0,
        STUN_USAGE_TURN_COMPATIBILITY_RFC5766);
    if (len > 0)
      (void) send (fd, req_buf, len, MSG_NOSIGNAL);
    result = GST_RTC_TURN_PROBE_OK;
  } else {
    stun_message_find_error (&resp, &code);
    result = code == 401 || code == 438 ? GST_RTC_TURN_PROBE_UNAUTHORIZED :
        GST_RTC_TURN_PROBE_ERROR;
  }

out:
  if (detail && *detail == NULL) {
    gchar *shown = g_strdup_printf ("%s:%u (%s)", server->host, server->port,
        tcp ? "tcp" : "udp");
    switch (result) {
      case GST_RTC_TURN_PROBE_UNAUTHORIZED:
        *detail = g_strdup_printf ("TURN server %s: %d Unauthorized with our "
            "user name and password", shown, code);
        break;
      case GST_RTC_TURN_PROBE_TIMEOUT:
        *detail = g_strdup_printf ("TURN server %s: no answer within %u ms",
            shown, timeout_ms);
        break;
      case GST_RTC_TURN_PROBE_UNREACHABLE:
        *detail = g_strdup_printf ("TURN server %s: unreachable (%s)", shown,
            g_strerror (errno));
        break;
      case GST_RTC_TURN_PROBE_ERROR:
        *detail = g_strdup_printf ("TURN server %s: allocation error %d",
            shown, code);
        break;
      default:
        *detail = g_strdup_printf ("TURN server %s: %s", shown,
            gst_rtc_turn_probe_result_name (result));
        break;
    }
    g_free (shown);
  }
  GST_INFO ("TURN probe of %s:%u: %s", server->host, server->port,
      gst_rtc_turn_probe_result_name (result));
  if (fd >= 0)
    close (fd);
  gst_rtc_ice_server_free (server);
  return result;
}

/* ======================================================================== */
/* RFC 5780 NAT behaviour                                                   */
/* ======================================================================== */

typedef struct
{
  gboolean answered;
  struct sockaddr_storage mapped, other, from;
  gboolean has_other;
} BindingResult;

static gboolean
binding (int fd, const struct sockaddr_storage *to, socklen_t to_len,
    guint32 change, guint timeout_ms, BindingResult * out)
{
  StunAgent agent;
  StunMessage req, resp;
  guint8 req_buf[STUN_MAX_MESSAGE_SIZE], buf[STUN_MAX_MESSAGE_SIZE];
  gint64 deadline = now_ms () + timeout_ms;
  gsize len;
  guint attempt;

  memset (out, 0, sizeof *out);
  stun_agent_init (&agent, known_attributes, STUN_COMPATIBILITY_RFC5389,
      STUN_AGENT_USAGE_IGNORE_CREDENTIALS);
  stun_agent_init_request (&agent, &req, req_buf, sizeof req_buf,
      STUN_BINDING);
  if (change)
    stun_message_append32 (&req, STUN_ATTRIBUTE_CHANGE_REQUEST, change);
  len = stun_agent_finish_message (&agent, &req, NULL, 0);
  if (len == 0)
    return FALSE;

  for (attempt = 0; attempt < 4; attempt++) {
    gint64 until = MIN (deadline, now_ms () + timeout_ms / 4 + 1);

    if (sendto (fd, req_buf, len, 0, (const struct sockaddr *) to,
            to_len) < 0)
      return FALSE;
    for (;;) {
      socklen_t from_len;
      gssize n = recv_until (fd, buf, sizeof buf, until, &out->from,
          &from_len);
      socklen_t alen = sizeof out->mapped;
      int mlen;

      if (n <= 0)
        break;
      mlen = stun_message_validate_buffer_length (buf, n, TRUE);
      if (mlen <= 0)
        continue;
      if (stun_agent_validate (&agent, &resp, buf, mlen, NULL, NULL) !=
          STUN_VALIDATION_SUCCESS)
        continue;
      if (stun_message_get_class (&resp) != STUN_RESPONSE)
        return FALSE;
      if (stun_message_find_xor_addr (&resp,
              STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, &out->mapped,
              &alen) != STUN_MESSAGE_RETURN_SUCCESS) {
        alen = sizeof out->mapped;
        if (stun_message_find_addr (&resp, STUN_ATTRIBUTE_MAPPED_ADDRESS,
                &out->mapped, &alen) != STUN_MESSAGE_RETURN_SUCCESS)
          continue;
      }
      alen = sizeof out->other;
      out->has_other = stun_message_find_addr (&resp, ATTR_OTHER_ADDRESS,
          &out->other, &alen) == STUN_MESSAGE_RETURN_SUCCESS;
      out->answered = TRUE;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
same_addr (const struct sockaddr_storage *a, const struct sockaddr_storage *b,
    gboolean with_port)
{
  const struct sockaddr_in *x = (const struct sockaddr_in *) a;
  const struct sockaddr_in *y = (const struct sockaddr_in *) b;

  return x->sin_family == y->sin_family
      && x->sin_addr.s_addr == y->sin_addr.s_addr
      && (!with_port || x->sin_port == y->sin_port);
}

static void
set_port (struct sockaddr_storage *a, guint16 port_network_order)
{
  ((struct sockaddr_in *) a)->sin_port = port_network_order;
}

static guint16
get_port (const struct sockaddr_storage *a)
{
  return ((const struct sockaddr_in *) a)->sin_port;
}

/**
 * gst_rtc_probe_nat:
 * @stun_uri: a `stun:` URI (an RFC 5780 server answers CHANGE-REQUEST and
 *   sends OTHER-ADDRESS; coturn does when it listens on two addresses)
 * @timeout_ms: how long to wait for each answer
 * @error: where to say why nothing could be learnt
 *
 * Classifies this host's NAT, RFC 5780 style: the mapping behaviour (tests
 * I, II and III: the mapped address seen by the primary address, by the
 * alternate address with the primary port, and by the alternate address
 * and port) and the filtering behaviour (answers sent from the alternate
 * address and port, and from the primary address with the alternate port).
 *
 * Returns: (transfer full) (nullable): an `rtc-nat-behaviour` structure
 *   with `local-address`, `mapped-address`, `other-address` (when the
 *   server has one), `mapping` and `filtering` (endpoint-independent,
 *   address-dependent, address-and-port-dependent, unknown), `nat` (none,
 *   cone, symmetric, unknown) and `summary`
 */
GstStructure *
gst_rtc_probe_nat (const gchar * stun_uri, guint timeout_ms, GError ** error)
{
  GstRtcIceServer *server;
  struct sockaddr_storage primary, alt, local;
  socklen_t primary_len, local_len = sizeof local;
  BindingResult r1, r2, r3, f2, f3;
  const gchar *mapping = "unknown", *filtering = "unknown", *nat = "unknown";
  gchar *local_s, *mapped_s, *summary;
  GstStructure *s;
  int fd;

  ensure_debug ();
  server = gst_rtc_ice_server_parse (stun_uri, error);
  if (server == NULL)
    return NULL;
  if (!resolve (server->host, server->port, &primary, &primary_len)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
        "cannot resolve %s", server->host);
    gst_rtc_ice_server_free (server);
    return NULL;
  }
  gst_rtc_ice_server_free (server);

  fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
        "socket: %s", g_strerror (errno));
    return NULL;
  }
  /* the local address towards the server, as the kernel picks it; then
   * bound to it, so that the port stays */
  {
    int probe = socket (AF_INET, SOCK_DGRAM, 0);

    memset (&local, 0, sizeof local);
    local.ss_family = AF_INET;
    if (probe >= 0) {
      connect (probe, (struct sockaddr *) &primary, primary_len);
      getsockname (probe, (struct sockaddr *) &local, &local_len);
      close (probe);
    }
    set_port (&local, 0);
    bind (fd, (struct sockaddr *) &local, sizeof (struct sockaddr_in));
    local_len = sizeof local;
    getsockname (fd, (struct sockaddr *) &local, &local_len);
  }

  if (!binding (fd, &primary, primary_len, 0, timeout_ms, &r1)) {
    g_set_error (error, GST_RTC_ERROR, GST_RTC_ERROR_OPERATION_ERROR,
        "the STUN server %s did not answer a Binding request within %u ms",
        stun_uri, timeout_ms);
    close (fd);
    return NULL;
  }

  if (same_addr (&r1.mapped, &local, TRUE)) {
    mapping = "endpoint-independent";
    nat = "none";
  }
  if (r1.has_other) {
    /* test II of the mapping: the alternate address, primary port */
    alt = r1.other;
    set_port (&alt, get_port (&primary));
    if (g_str_equal (nat, "unknown")) {
      if (binding (fd, &alt, primary_len, 0, timeout_ms, &r2)) {
        if (same_addr (&r1.mapped, &r2.mapped, TRUE)) {
          mapping = "endpoint-independent";
        } else {
          /* test III: the alternate address and port */
          alt = r1.other;
          if (binding (fd, &alt, primary_len, 0, timeout_ms, &r3))
            mapping = same_addr (&r2.mapped, &r3.mapped, TRUE) ?
                "address-dependent" : "address-and-port-dependent";
        }
      }
    }
    /* filtering, from a fresh socket whose only mapping is towards the
     * primary address */
    {
      int fd2 = socket (AF_INET, SOCK_DGRAM, 0);
      BindingResult r0;

      if (fd2 >= 0 && binding (fd2, &primary, primary_len, 0, timeout_ms,
              &r0)) {
        if (binding (fd2, &primary, primary_len, CHANGE_IP | CHANGE_PORT,
                timeout_ms, &f2))
          filtering = "endpoint-independent";
        else if (binding (fd2, &primary, primary_len, CHANGE_PORT,
                timeout_ms, &f3))
          filtering = "address-dependent";
        else
          filtering = "address-and-port-dependent";
      }
      if (fd2 >= 0)
        close (fd2);
    }
  }
  close (fd);

  if (g_str_equal (nat, "unknown")) {
    if (g_str_equal (mapping, "endpoint-independent"))
      nat = "cone";
    else if (!g_str_equal (mapping, "unknown"))
      nat = "symmetric";
  }

  local_s = addr_string ((struct sockaddr *) &local);
  mapped_s = addr_string ((struct sockaddr *) &r1.mapped);
  if (g_str_equal (nat, "none"))
    summary = g_strdup ("no NAT: the server sees our own address");
  else if (!r1.has_other)
    summary = g_strdup_printf ("behind a NAT (%s seen as %s); the server does "
        "not support RFC 5780 (no OTHER-ADDRESS), so its kind is unknown",
        local_s, mapped_s);
  else
    summary = g_strdup_printf ("%s NAT: %s mapping, %s filtering",
        g_str_equal (nat, "cone") ? "cone (endpoint-independent mapping)" :
        g_str_equal (nat, "symmetric") ? "symmetric" : "unknown", mapping,
        filtering);

  s = gst_structure_new ("rtc-nat-behaviour",
      "local-address", G_TYPE_STRING, local_s,
      "mapped-address", G_TYPE_STRING, mapped_s,
      "rfc5780", G_TYPE_BOOLEAN, r1.has_other,
      "mapping", G_TYPE_STRING, mapping,
      "filtering", G_TYPE_STRING, filtering,
      "nat", G_TYPE_STRING, nat, "summary", G_TYPE_STRING, summary, NULL);
  if (r1.has_other) {
    gchar *o = addr_string ((struct sockaddr *) &r1.other);
    gst_structure_set (s, "other-address", G_TYPE_STRING, o, NULL);
    g_free (o);
  }
  g_free (local_s);
  g_free (mapped_s);
  g_free (summary);
  return s;
}
