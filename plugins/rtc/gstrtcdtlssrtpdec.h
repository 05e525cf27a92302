/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gstrtcdtlssrtpbase.h"

G_BEGIN_DECLS

#define GST_TYPE_RTC_DTLS_SRTP_DEC (gst_rtc_dtls_srtp_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstRtcDtlsSrtpDec, gst_rtc_dtls_srtp_dec, GST,
    RTC_DTLS_SRTP_DEC, GstRtcDtlsSrtpBase)

GST_ELEMENT_REGISTER_DECLARE (rtcdtlssrtpdec);

G_END_DECLS
