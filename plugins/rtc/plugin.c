/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/rtc/rtc.h>

#include "gstrtcicesrc.h"
#include "gstrtcicesink.h"
#include "gstrtcdtlssrtpenc.h"
#include "gstrtcdtlssrtpdec.h"
#include "gstrtcsink.h"
#include "gstrtcsrc.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  gst_rtc_init ();
  ret |= GST_ELEMENT_REGISTER (rtcicesrc, plugin);
  ret |= GST_ELEMENT_REGISTER (rtcicesink, plugin);
  ret |= GST_ELEMENT_REGISTER (rtcdtlssrtpenc, plugin);
  ret |= GST_ELEMENT_REGISTER (rtcdtlssrtpdec, plugin);
  ret |= GST_ELEMENT_REGISTER (rtcsink, plugin);
  ret |= GST_ELEMENT_REGISTER (rtcsrc, plugin);
  ret |= gst_element_register (plugin, "rtcbin", GST_RANK_NONE,
      GST_RTC_TYPE_BIN);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtc,
    "WebRTC transport: ICE, DTLS-SRTP and peer connections",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
