/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcsignaller
 * @title: GstRtcSignaller
 * @short_description: the interface rtcsink and rtcsrc use to exchange
 *   session descriptions and candidates with the other side
 *
 * WebRTC leaves signalling to the application. A #GstRtcSignaller is the
 * application's side of that bargain: rtcsink and rtcsrc call its methods
 * to send their SDP and ICE candidates to "the friend" (a browser, a room
 * server, a WHIP endpoint, a Python program...) and listen to its signals
 * for what comes back. One signaller may carry several sessions at once,
 * each named by a session id the signaller chooses; a producer such as
 * rtcsink serves each viewer in a session of its own.
 *
 * The element connects to the signals before calling
 * gst_rtc_signaller_start(). An implementation emits:
 *
 * - #GstRtcSignaller::session-requested when a friend asks for a session
 *   (a viewer arrived); the element then creates an offer for it, or waits
 *   for the friend's offer that follows;
 * - #GstRtcSignaller::session-description for the friend's offer or answer;
 * - #GstRtcSignaller::handle-ice for each of the friend's candidates;
 * - #GstRtcSignaller::session-ended when the friend hung up;
 * - #GstRtcSignaller::error when signalling as a whole failed.
 *
 * Signals may be emitted from any thread; handlers in the elements do not
 * block. Implement the interface in C with G_IMPLEMENT_INTERFACE(), or in
 * Python:
 *
 * |[<!-- language="Python" -->
 * class Loopback (GObject.Object, GstRtc.Signaller):
 *     def do_start (self):
 *         self.session_requested ("viewer-1", "a test")
 *     def do_send_sdp (self, session_id, sdp_type, sdp):
 *         ...
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "signaller.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_signaller_debug);
#define GST_CAT_DEFAULT gst_rtc_signaller_debug

enum
{
  SIGNAL_SESSION_REQUESTED,
  SIGNAL_SESSION_DESCRIPTION,
  SIGNAL_HANDLE_ICE,
  SIGNAL_SESSION_ENDED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_INTERFACE (GstRtcSignaller, gst_rtc_signaller, G_TYPE_OBJECT);

static void
gst_rtc_signaller_default_init (GstRtcSignallerInterface * iface)
{
  GST_DEBUG_CATEGORY_INIT (gst_rtc_signaller_debug, "rtcsignaller", 0,
      "gst-rtc signaller interface");

  /**
   * GstRtcSignaller::session-requested:
   * @signaller: the signaller
   * @session_id: the id of the new session
   * @peer: (nullable): a description of the friend, for logs and
   *   applications (a peer id, a remote address...)
   *
   * A friend asks for a session.
   */
  signals[SIGNAL_SESSION_REQUESTED] =
      g_signal_new ("session-requested", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
      G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstRtcSignaller::session-description:
   * @signaller: the signaller
   * @session_id: the session
   * @type: "offer" or "answer"
   * @sdp: the friend's session description
   *
   * The friend sent its offer or answer for a session.
   */
  signals[SIGNAL_SESSION_DESCRIPTION] =
      g_signal_new ("session-description", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstRtcSignaller::handle-ice:
   * @signaller: the signaller
   * @session_id: the session
   * @mline: the index of the m-line the candidate belongs to
   * @mid: (nullable): the MID of that m-line, when the friend sent it
   * @candidate: (nullable): the `candidate:` attribute value, or %NULL when
   *   the friend has no more candidates
   *
   * The friend sent one of its ICE candidates.
   */
  signals[SIGNAL_HANDLE_ICE] =
      g_signal_new ("handle-ice", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4,
      G_TYPE_STRING, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstRtcSignaller::session-ended:
   * @signaller: the signaller
   * @session_id: the session
   *
   * The friend hung up, or went away.
   */
  signals[SIGNAL_SESSION_ENDED] =
      g_signal_new ("session-ended", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstRtcSignaller::error:
   * @signaller: the signaller
   * @error: what went wrong
   *
   * Signalling as a whole failed (the server is unreachable, the
   * connection dropped...). A failure of one session is a
   * #GstRtcSignaller::session-ended instead.
   */
  signals[SIGNAL_ERROR] =
      g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

/**
 * gst_rtc_signaller_start:
 * @signaller: a signaller
 *
 * Starts signalling. Connect to the signals first.
 */
void
gst_rtc_signaller_start (GstRtcSignaller * signaller)
{
  GstRtcSignallerInterface *iface;

  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));

  iface = GST_RTC_SIGNALLER_GET_IFACE (signaller);
  GST_DEBUG_OBJECT (signaller, "start");
  if (iface->start)
    iface->start (signaller);
}

/**
 * gst_rtc_signaller_stop:
 * @signaller: a signaller
 *
 * Stops signalling and ends every session.
 */
void
gst_rtc_signaller_stop (GstRtcSignaller * signaller)
{
  GstRtcSignallerInterface *iface;

  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));

  iface = GST_RTC_SIGNALLER_GET_IFACE (signaller);
  GST_DEBUG_OBJECT (signaller, "stop");
  if (iface->stop)
    iface->stop (signaller);
}

/**
 * gst_rtc_signaller_send_sdp:
 * @signaller: a signaller
 * @session_id: the session
 * @type: "offer" or "answer"
 * @sdp: the local session description
 *
 * Sends a local offer or answer to the friend of @session_id.
 */
void
gst_rtc_signaller_send_sdp (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * type, const gchar * sdp)
{
  GstRtcSignallerInterface *iface;

  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);
  g_return_if_fail (type != NULL);
  g_return_if_fail (sdp != NULL);

  iface = GST_RTC_SIGNALLER_GET_IFACE (signaller);
  GST_DEBUG_OBJECT (signaller, "session %s: sending %s", session_id, type);
  if (iface->send_sdp)
    iface->send_sdp (signaller, session_id, type, sdp);
  else
    GST_WARNING_OBJECT (signaller, "%s does not implement send_sdp",
        G_OBJECT_TYPE_NAME (signaller));
}

/**
 * gst_rtc_signaller_send_candidate:
 * @signaller: a signaller
 * @session_id: the session
 * @mline: the index of the m-line
 * @mid: (nullable): the MID of the m-line
 * @candidate: (nullable): the `candidate:` attribute value, or %NULL at the
 *   end of gathering
 *
 * Sends one local ICE candidate to the friend of @session_id.
 */
void
gst_rtc_signaller_send_candidate (GstRtcSignaller * signaller,
    const gchar * session_id, guint mline, const gchar * mid,
    const gchar * candidate)
{
  GstRtcSignallerInterface *iface;

  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);

  iface = GST_RTC_SIGNALLER_GET_IFACE (signaller);
  GST_LOG_OBJECT (signaller, "session %s: candidate for m-line %u",
      session_id, mline);
  /* Trickle ICE is optional for a friend: one that only reads candidates
   * from the SDP needs no send_candidate. */
  if (iface->send_candidate)
    iface->send_candidate (signaller, session_id, mline, mid, candidate);
}

/**
 * gst_rtc_signaller_end_session:
 * @signaller: a signaller
 * @session_id: the session
 *
 * Tells the friend of @session_id that the session is over.
 */
void
gst_rtc_signaller_end_session (GstRtcSignaller * signaller,
    const gchar * session_id)
{
  GstRtcSignallerInterface *iface;

  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);

  iface = GST_RTC_SIGNALLER_GET_IFACE (signaller);
  GST_DEBUG_OBJECT (signaller, "session %s: end", session_id);
  if (iface->end_session)
    iface->end_session (signaller, session_id);
}

/**
 * gst_rtc_signaller_session_requested:
 * @signaller: a signaller
 * @session_id: the id of the new session
 * @peer: (nullable): a description of the friend
 *
 * Emits #GstRtcSignaller::session-requested; for implementations.
 */
void
gst_rtc_signaller_session_requested (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * peer)
{
  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);

  g_signal_emit (signaller, signals[SIGNAL_SESSION_REQUESTED], 0, session_id,
      peer);
}

/**
 * gst_rtc_signaller_session_description:
 * @signaller: a signaller
 * @session_id: the session
 * @type: "offer" or "answer"
 * @sdp: the friend's session description
 *
 * Emits #GstRtcSignaller::session-description; for implementations.
 */
void
gst_rtc_signaller_session_description (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * type, const gchar * sdp)
{
  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);
  g_return_if_fail (type != NULL);
  g_return_if_fail (sdp != NULL);

  g_signal_emit (signaller, signals[SIGNAL_SESSION_DESCRIPTION], 0,
      session_id, type, sdp);
}

/**
 * gst_rtc_signaller_handle_ice:
 * @signaller: a signaller
 * @session_id: the session
 * @mline: the index of the m-line
 * @mid: (nullable): the MID of the m-line
 * @candidate: (nullable): the friend's candidate, %NULL when it has no more
 *
 * Emits #GstRtcSignaller::handle-ice; for implementations.
 */
void
gst_rtc_signaller_handle_ice (GstRtcSignaller * signaller,
    const gchar * session_id, guint mline, const gchar * mid,
    const gchar * candidate)
{
  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);

  g_signal_emit (signaller, signals[SIGNAL_HANDLE_ICE], 0, session_id, mline,
      mid, candidate);
}

/**
 * gst_rtc_signaller_session_ended:
 * @signaller: a signaller
 * @session_id: the session
 *
 * Emits #GstRtcSignaller::session-ended; for implementations.
 */
void
gst_rtc_signaller_session_ended (GstRtcSignaller * signaller,
    const gchar * session_id)
{
  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (session_id != NULL);

  g_signal_emit (signaller, signals[SIGNAL_SESSION_ENDED], 0, session_id);
}

/**
 * gst_rtc_signaller_error:
 * @signaller: a signaller
 * @error: what went wrong
 *
 * Emits #GstRtcSignaller::error; for implementations.
 */
void
gst_rtc_signaller_error (GstRtcSignaller * signaller, const GError * error)
{
  g_return_if_fail (GST_RTC_IS_SIGNALLER (signaller));
  g_return_if_fail (error != NULL);

  GST_WARNING_OBJECT (signaller, "signalling failed: %s", error->message);
  g_signal_emit (signaller, signals[SIGNAL_ERROR], 0, error);
}
