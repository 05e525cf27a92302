/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the RFC 7983 first-byte demux, and the invariant that a
 * classification never changes when bytes after the header change. */
#include <gst/rtc/rtc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GstRtcPacketKind kind;
  uint8_t *copy;

  /* An exact-size heap copy, so that ASan catches any read past the end. */
  copy = malloc (size ? size : 1);
  memcpy (copy, data, size);
  kind = gst_rtc_demux_classify (copy, size);
  if (size > 2) {
    memset (copy + 2, 0xff, size - 2);
    if (gst_rtc_demux_classify (copy, size) != kind)
      abort ();
  }
  (void) gst_rtc_packet_kind_to_string (kind);
  free (copy);
  return 0;
}
