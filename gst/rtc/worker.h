/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/rtc/rtc-prelude.h>

G_BEGIN_DECLS

GST_RTC_API
GMainContext * gst_rtc_worker_pool_acquire_context (void);

GST_RTC_API
void gst_rtc_worker_pool_release_context (GMainContext * context);

GST_RTC_API
guint gst_rtc_worker_pool_get_n_threads (void);

GST_RTC_API
guint gst_rtc_worker_pool_invoke_sync (GMainContext * context,
    GSourceFunc func, gpointer user_data);

GST_RTC_API
void gst_rtc_worker_pool_sync (GMainContext * context);

G_END_DECLS
