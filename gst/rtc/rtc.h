/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>
#include <gst/rtc/rtc-enums.h>
#include <gst/rtc/rtc-enumtypes.h>
#include <gst/rtc/demux.h>
#include <gst/rtc/worker.h>
#include <gst/rtc/srtp.h>
#include <gst/rtc/dtls.h>
#include <gst/rtc/ice.h>
#include <gst/rtc/transport.h>
#include <gst/rtc/sdp.h>
#include <gst/rtc/router.h>
#include <gst/rtc/bin.h>
#include <gst/rtc/fanout.h>
#include <gst/rtc/signalling/httpserver.h>
#include <gst/rtc/signalling/signaller.h>
#include <gst/rtc/signalling/wsproto.h>
#include <gst/rtc/signalling/wssignaller.h>

G_BEGIN_DECLS

GST_RTC_API
void gst_rtc_init (void);

G_END_DECLS
