/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gstrtcsink.h"

#include <gst/rtc/rtc.h>

G_BEGIN_DECLS

/*
 * rtcsink's signalling other than WHEP: a GstRtcSignaller (the `signaller`
 * property), the `/ws` WebSocket endpoint and the WHIP client
 * (`whip-url`). gstrtcsink.c keeps the viewers; this side keeps the
 * sessions that carry their offers, answers and candidates.
 */

typedef struct _GstRtcSinkSignalling GstRtcSinkSignalling;

/**
 * GstRtcSinkSession:
 *
 * One signalling session: the channel through which one viewer's offer
 * came and its answer and candidates go. Refcounted.
 */
typedef struct _GstRtcSinkSession GstRtcSinkSession;

/* ---- called by gstrtcsink.c ---- */

G_GNUC_INTERNAL
GstRtcSinkSignalling * gst_rtc_sink_signalling_new (GstRtcSink * sink);

G_GNUC_INTERNAL
void gst_rtc_sink_signalling_free (GstRtcSinkSignalling * signalling);

G_GNUC_INTERNAL
void gst_rtc_sink_signalling_install_properties (GObjectClass * klass,
    guint first_prop_id);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_signalling_set_property (GstRtcSinkSignalling * signalling,
    guint prop_id, const GValue * value);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_signalling_get_property (GstRtcSinkSignalling * signalling,
    guint prop_id, GValue * value);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_signalling_start (GstRtcSinkSignalling * signalling,
    GstRtcHttpServer * server, GMainContext * control, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_sink_signalling_stop (GstRtcSinkSignalling * signalling);

G_GNUC_INTERNAL
GstRtcSinkSession * gst_rtc_sink_session_ref (GstRtcSinkSession * session);

G_GNUC_INTERNAL
void gst_rtc_sink_session_unref (GstRtcSinkSession * session);

G_GNUC_INTERNAL
const gchar * gst_rtc_sink_session_get_remote (GstRtcSinkSession * session);

G_GNUC_INTERNAL
void gst_rtc_sink_session_bind (GstRtcSinkSession * session,
    const gchar * viewer_id);

G_GNUC_INTERNAL
void gst_rtc_sink_session_send_description (GstRtcSinkSession * session,
    const gchar * type, const gchar * sdp, guint mline, const gchar * mid);

G_GNUC_INTERNAL
void gst_rtc_sink_session_local_candidate (GstRtcSinkSession * session,
    const gchar * candidate);

G_GNUC_INTERNAL
void gst_rtc_sink_session_refuse (GstRtcSinkSession * session, guint status,
    const gchar * why);

G_GNUC_INTERNAL
void gst_rtc_sink_session_removed (GstRtcSinkSession * session,
    const gchar * why);

/* ---- provided by gstrtcsink.c, called on the control thread ---- */

G_GNUC_INTERNAL
void gst_rtc_sink_session_offer (GstRtcSink * sink,
    GstRtcSinkSession * session, GstRtcSessionDescription * offer);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_session_reoffer (GstRtcSink * sink,
    GstRtcSinkSession * session, const gchar * viewer_id,
    GstRtcSessionDescription * offer, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_sink_viewer_add_candidate (GstRtcSink * sink,
    const gchar * viewer_id, const gchar * candidate);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_publish_offer (GstRtcSink * sink,
    GstRtcSinkSession * session, GstRtcIceAgent * agent, GError ** error);

G_GNUC_INTERNAL
gboolean gst_rtc_sink_publish_answer (GstRtcSink * sink,
    const gchar * viewer_id, const gchar * sdp, GError ** error);

G_GNUC_INTERNAL
void gst_rtc_sink_viewer_remove (GstRtcSink * sink, const gchar * viewer_id,
    const gchar * why);

G_END_DECLS
