/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include "gstrtcelementutils.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_DTLS_SRTP_BASE (gst_rtc_dtls_srtp_base_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstRtcDtlsSrtpBase, gst_rtc_dtls_srtp_base, GST,
    RTC_DTLS_SRTP_BASE, GstElement)

/* What rtcdtlssrtpenc and rtcdtlssrtpdec share: the connection-id that
 * pairs them, our certificate, the peer's expected fingerprint, and the
 * GstRtcTransport behind them. */
struct _GstRtcDtlsSrtpBaseClass
{
  GstElementClass parent_class;

  /* Called once the shared connection exists (NULL to READY) and just
   * before it is released (READY to NULL). */
  void (*attach) (GstRtcDtlsSrtpBase * self, GstRtcSharedConnection * connection);
  void (*detach) (GstRtcDtlsSrtpBase * self, GstRtcSharedConnection * connection);
};

G_GNUC_INTERNAL
GstRtcTransport * gst_rtc_dtls_srtp_base_get_transport (GstRtcDtlsSrtpBase * self);

G_END_DECLS
