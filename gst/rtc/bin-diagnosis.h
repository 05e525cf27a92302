/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "bin-private.h"

G_BEGIN_DECLS

/* Posts an `rtc-ice-diagnosis` element message (see diagnosis.h) from a
 * thread of its own, after probing the STUN and TURN servers when ICE
 * failed. Takes no lock; call it without the bin's. */
G_GNUC_INTERNAL
void rtc_bin_post_ice_diagnosis (GstRtcBin * bin, gboolean connected,
    gboolean was_connected);

G_END_DECLS
