/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* When rtcbin sends ULPFEC, and how much: from the loss fraction the
 * bandwidth estimator measures. Private to rtcbin (bin-media.c) and its
 * unit test; no GObject, no lock (the caller has one). */
#pragma once

#include <glib.h>
#include <math.h>

G_BEGIN_DECLS

/* FEC goes on when the smoothed loss is above this... */
#define RTC_FEC_ON_LOSS 0.02
/* ...and off again once it stayed below this for RTC_FEC_OFF_HOLD_US. */
#define RTC_FEC_OFF_LOSS 0.01
#define RTC_FEC_OFF_HOLD_US (5 * G_USEC_PER_SEC)
/* FEC packets per 100 media packets: 3 per percent of loss, within
 * these bounds. One ULPFEC packet repairs one loss in the packets of a
 * frame it covers, so at p loss a frame of n packets needs about n p
 * FEC packets and a margin for bursts. */
#define RTC_FEC_MIN_PERCENTAGE 10
#define RTC_FEC_MAX_PERCENTAGE 50
#define RTC_FEC_PERCENTAGE_PER_LOSS 300.0
/* weight of a new loss sample in the moving average */
#define RTC_FEC_SMOOTHING 0.3

typedef struct
{
  gboolean have_loss;
  gdouble smoothed_loss;
  gint64 below_since_us;        /* -1: not below RTC_FEC_OFF_LOSS */
  guint percentage;             /* what rtpulpfecenc is given */
} RtcFecPolicy;

static inline void
rtc_fec_policy_init (RtcFecPolicy * policy)
{
  policy->have_loss = FALSE;
  policy->smoothed_loss = 0.0;
  policy->below_since_us = -1;
  policy->percentage = 0;
}

static inline guint
rtc_fec_policy_scale (gdouble loss)
{
  gdouble percentage = ceil (loss * RTC_FEC_PERCENTAGE_PER_LOSS);

  return (guint) CLAMP (percentage, RTC_FEC_MIN_PERCENTAGE,
      RTC_FEC_MAX_PERCENTAGE);
}

/* A new loss fraction (0..1) measured at @now_us. Returns the FEC
 * percentage to use from now on (0: no FEC packets). */
static inline guint
rtc_fec_policy_update (RtcFecPolicy * policy, gdouble loss, gint64 now_us)
{
  if (!(loss >= 0.0))           /* NaN too */
    loss = 0.0;
  loss = MIN (loss, 1.0);
  if (!policy->have_loss) {
    policy->smoothed_loss = loss;
    policy->have_loss = TRUE;
  } else {
    policy->smoothed_loss += RTC_FEC_SMOOTHING * (loss -
        policy->smoothed_loss);
  }

  if (policy->percentage == 0) {
    if (policy->smoothed_loss > RTC_FEC_ON_LOSS)
      policy->percentage = rtc_fec_policy_scale (policy->smoothed_loss);
    policy->below_since_us = -1;
    return policy->percentage;
  }

  if (policy->smoothed_loss < RTC_FEC_OFF_LOSS) {
    if (policy->below_since_us < 0)
      policy->below_since_us = now_us;
    else if (now_us - policy->below_since_us >= RTC_FEC_OFF_HOLD_US) {
      policy->percentage = 0;
      policy->below_since_us = -1;
    }
    /* meanwhile the protection stays where it was */
    return policy->percentage;
  }
  policy->below_since_us = -1;
  policy->percentage = rtc_fec_policy_scale (policy->smoothed_loss);
  return policy->percentage;
}

G_END_DECLS
