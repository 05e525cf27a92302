/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>

G_BEGIN_DECLS

#define GST_RTC_TYPE_SIGNALLER (gst_rtc_signaller_get_type ())
GST_RTC_API
G_DECLARE_INTERFACE (GstRtcSignaller, gst_rtc_signaller, GST_RTC, SIGNALLER,
    GObject)

/**
 * GstRtcSignallerInterface:
 * @parent_iface: the parent interface
 * @start: start talking to the friend: connect, register, listen. Failures
 *   are reported with the #GstRtcSignaller::error signal.
 * @stop: stop talking to the friend and end every session. After it
 *   returns, no signal is emitted any more.
 * @send_sdp: send a session description (`offer` or `answer`) of one
 *   session
 * @send_candidate: send one local ICE candidate of one session; a %NULL
 *   @candidate means no more candidates will follow
 * @end_session: tell the friend a session is over, and forget it
 *
 * The virtual methods a signaller implements. Every method may be called
 * from any thread; an implementation that needs a main context of its own
 * marshals to it.
 */
struct _GstRtcSignallerInterface
{
  GTypeInterface parent_iface;

  void (*start) (GstRtcSignaller * signaller);
  void (*stop) (GstRtcSignaller * signaller);
  void (*send_sdp) (GstRtcSignaller * signaller, const gchar * session_id,
      const gchar * type, const gchar * sdp);
  void (*send_candidate) (GstRtcSignaller * signaller,
      const gchar * session_id, guint mline, const gchar * mid,
      const gchar * candidate);
  void (*end_session) (GstRtcSignaller * signaller, const gchar * session_id);

  /*< private >*/
  gpointer _gst_reserved[GST_PADDING_LARGE];
};

GST_RTC_API
void gst_rtc_signaller_start (GstRtcSignaller * signaller);

GST_RTC_API
void gst_rtc_signaller_stop (GstRtcSignaller * signaller);

GST_RTC_API
void gst_rtc_signaller_send_sdp (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * type, const gchar * sdp);

GST_RTC_API
void gst_rtc_signaller_send_candidate (GstRtcSignaller * signaller,
    const gchar * session_id, guint mline, const gchar * mid,
    const gchar * candidate);

GST_RTC_API
void gst_rtc_signaller_end_session (GstRtcSignaller * signaller,
    const gchar * session_id);

/* For implementations: emit the interface's signals. */

GST_RTC_API
void gst_rtc_signaller_session_requested (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * peer);

GST_RTC_API
void gst_rtc_signaller_session_description (GstRtcSignaller * signaller,
    const gchar * session_id, const gchar * type, const gchar * sdp);

GST_RTC_API
void gst_rtc_signaller_handle_ice (GstRtcSignaller * signaller,
    const gchar * session_id, guint mline, const gchar * mid,
    const gchar * candidate);

GST_RTC_API
void gst_rtc_signaller_session_ended (GstRtcSignaller * signaller,
    const gchar * session_id);

GST_RTC_API
void gst_rtc_signaller_error (GstRtcSignaller * signaller,
    const GError * error);

G_END_DECLS
