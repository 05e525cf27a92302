/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gst-rtc-srtp-bench: how many 1200-byte RTP packets GstRtcSrtpSession
 * protects and unprotects per second on one thread, for both profiles,
 * printed next to what `openssl speed` gets from the bare primitives on
 * the same machine in the same run. The gap between the two is the price
 * of libsrtp2 (and of its crypto backend, which on Debian is NSS, not
 * OpenSSL) plus our locking.
 *
 *   gst-rtc-srtp-bench [--quick] [--no-openssl]
 *
 * A full run takes about 16 s; --quick about 1.5 s, with the openssl runs
 * side by side and so only indicative.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/rtc/rtc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

#define PACKET_LEN 1200
/* A batch is protected, then unprotected, so that every unprotect sees a
 * fresh index (the replay check refuses a packet seen before) while the
 * copies that refill the batch stay out of the timed loops. */
#define BATCH 512
#define SLOT_LEN (PACKET_LEN + GST_RTC_SRTP_MAX_TRAILER_LEN)

#define FULL_SECONDS_PER_PROFILE 3.0
#define QUICK_SECONDS_PER_PROFILE 0.1
#define FULL_OPENSSL_SECONDS 3
#define QUICK_OPENSSL_SECONDS 1

typedef struct
{
  GstRtcSrtpProfile profile;
  guint64 packets;
  gdouble protect_seconds;
  gdouble unprotect_seconds;
} ProfileResult;

typedef struct
{
  const gchar *algorithm;
  const gchar *option;
  gint seconds;
  gdouble bytes_per_second;
  gchar *error;
} OpensslRun;

static gdouble
now_seconds (void)
{
  return g_get_monotonic_time () / 1e6;
}

static void
fill_key (guint8 * key, gsize len, guint8 seed)
{
  for (gsize i = 0; i < len; i++)
    key[i] = seed ^ (i * 29);
}

static void
measure_profile (ProfileResult * result, gdouble budget)
{
  guint8 key_ab[30], key_ba[30], template[PACKET_LEN];
  gsize key_len = gst_rtc_srtp_profile_get_key_length (result->profile) +
      gst_rtc_srtp_profile_get_salt_length (result->profile);
  GstRtcSrtpSession *sender = gst_rtc_srtp_session_new ();
  GstRtcSrtpSession *receiver = gst_rtc_srtp_session_new ();
  /* Word storage: libsrtp2 reads packets by 32-bit words. */
  guint64 *storage = g_malloc (BATCH * SLOT_LEN);
  guint8 *slots = (guint8 *) storage;
  gsize lens[BATCH];
  guint16 seq = 0;
  gboolean warm = FALSE;
  GError *error = NULL;

  fill_key (key_ab, key_len, 0x3c);
  fill_key (key_ba, key_len, 0xa5);
  if (!gst_rtc_srtp_session_set_keys (sender, result->profile, key_ab,
          key_len, key_ba, key_len, &error) ||
      !gst_rtc_srtp_session_set_keys (receiver, result->profile, key_ba,
          key_len, key_ab, key_len, &error)) {
    g_printerr ("cannot key %s: %s\n",
        gst_rtc_srtp_profile_to_string (result->profile), error->message);
    exit (1);
  }

  memset (template, 0x5a, sizeof (template));
  template[0] = 0x80;
  template[1] = 96;
  memcpy (template + 8, "\x12\x34\x56\x78", 4);

  while (result->protect_seconds + result->unprotect_seconds < budget) {
    gdouble start, protected, unprotected;
    guint i;

    for (i = 0; i < BATCH; i++) {
      guint8 *packet = slots + i * SLOT_LEN;

      memcpy (packet, template, PACKET_LEN);
      packet[2] = seq >> 8;
      packet[3] = seq & 0xff;
      seq++;
      lens[i] = PACKET_LEN;
    }

    start = now_seconds ();
    for (i = 0; i < BATCH; i++) {
      if (gst_rtc_srtp_session_protect (sender, FALSE, slots + i * SLOT_LEN,
              &lens[i], SLOT_LEN) != GST_RTC_SRTP_STATUS_OK) {
        g_printerr ("protect failed\n");
        exit (1);
      }
    }
    protected = now_seconds ();
    for (i = 0; i < BATCH; i++) {
      if (gst_rtc_srtp_session_unprotect (receiver, FALSE,
              slots + i * SLOT_LEN, &lens[i]) != GST_RTC_SRTP_STATUS_OK ||
          lens[i] != PACKET_LEN) {
        g_printerr ("unprotect failed\n");
        exit (1);
      }
    }
    unprotected = now_seconds ();

    /* The first batch warms the caches and creates libsrtp2's streams. */
    if (!warm) {
      warm = TRUE;
      continue;
    }
    result->protect_seconds += protected - start;
    result->unprotect_seconds += unprotected - protected;
    result->packets += BATCH;
  }

  g_free (storage);
  g_object_unref (sender);
  g_object_unref (receiver);
}

/* Runs `openssl speed -mr` on 1200-byte blocks and keeps the bytes per
 * second of its "+F:<n>:<name>:<bytes/s>" line. */
static gpointer
run_openssl (gpointer user_data)
{
  OpensslRun *run = user_data;
  gchar *seconds = g_strdup_printf ("%d", run->seconds);
  gchar *bytes = g_strdup_printf ("%d", PACKET_LEN);
  const gchar *argv[] = { "openssl", "speed", "-mr", "-seconds", seconds,
    "-bytes", bytes, run->option, run->algorithm, NULL
  };
  gchar *out = NULL;
  gint wait_status = 0;
  GError *error = NULL;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, &wait_status, &error) ||
      !g_spawn_check_wait_status (wait_status, &error)) {
    run->error = g_strdup (error->message);
    g_error_free (error);
  } else {
    gchar **lines = g_strsplit (out, "\n", -1);

    for (gchar ** line = lines; *line != NULL; line++) {
      if (g_str_has_prefix (*line, "+F:")) {
        const gchar *value = strrchr (*line, ':');

        run->bytes_per_second = g_ascii_strtod (value + 1, NULL);
      }
    }
    g_strfreev (lines);
    if (run->bytes_per_second <= 0)
      run->error = g_strdup ("no +F: line in its output");
  }
  g_free (out);
  g_free (seconds);
  g_free (bytes);
  return NULL;
}

static gchar *
openssl_version (void)
{
  const gchar *argv[] = { "openssl", "version", NULL };
  gchar *out = NULL;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, NULL, NULL))
    return g_strdup ("openssl (version unknown)");
  return g_strstrip (out);
}

static void
print_row (const gchar * name, const gchar * what, gdouble seconds_per_packet)
{
  printf ("  %-24s %-16s %9.3f %12.0f %9.0f\n", name, what,
      seconds_per_packet * 1e6, 1.0 / seconds_per_packet,
      PACKET_LEN * 8 / seconds_per_packet / 1e6);
}

static void
print_header (void)
{
  printf ("  %-24s %-16s %9s %12s %9s\n", "", "", "us/packet", "packets/s",
      "Mbit/s");
}

int
main (int argc, char **argv)
{
  gboolean quick = FALSE, no_openssl = FALSE;
  GOptionEntry entries[] = {
    {"quick", 'q', 0, G_OPTION_ARG_NONE, &quick,
        "Run for about a second, as a smoke test", NULL},
    {"no-openssl", 0, 0, G_OPTION_ARG_NONE, &no_openssl,
        "Do not run `openssl speed` for comparison", NULL},
    {NULL}
  };
  ProfileResult results[] = {
    {GST_RTC_SRTP_PROFILE_AES128_CM_SHA1_80},
    {GST_RTC_SRTP_PROFILE_AEAD_AES_128_GCM},
  };
  OpensslRun runs[] = {
    {"aes-128-gcm", "-evp"},
    {"aes-128-ctr", "-evp"},
    {"sha1", "-hmac"},
  };
  GOptionContext *context;
  GError *error = NULL;
  gdouble started = now_seconds ();
  guint i;

  context = g_option_context_new ("- SRTP protect/unprotect throughput");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (context);

  gst_rtc_init ();
  printf ("gst-rtc SRTP benchmark: %d-byte RTP packets, one thread, %s\n",
      PACKET_LEN, srtp_get_version_string ());
  printf ("(timing covers gst_rtc_srtp_session_protect/unprotect only)\n");
  print_header ();
  for (i = 0; i < G_N_ELEMENTS (results); i++) {
    ProfileResult *r = &results[i];
    const gchar *name = gst_rtc_srtp_profile_to_string (r->profile);

    measure_profile (r, quick ? QUICK_SECONDS_PER_PROFILE :
        FULL_SECONDS_PER_PROFILE);
    print_row (name, "protect", r->protect_seconds / r->packets);
    print_row (name, "unprotect", r->unprotect_seconds / r->packets);
  }

  if (!no_openssl) {
    gchar *version = openssl_version ();
    gdouble per_packet[G_N_ELEMENTS (runs)];
    gboolean ok = TRUE;

    for (i = 0; i < G_N_ELEMENTS (runs); i++)
      runs[i].seconds = quick ? QUICK_OPENSSL_SECONDS : FULL_OPENSSL_SECONDS;
    if (quick) {
      /* Side by side, to fit the budget: indicative only on few cores. */
      GThread *threads[G_N_ELEMENTS (runs)];

      for (i = 0; i < G_N_ELEMENTS (runs); i++)
        threads[i] = g_thread_new ("openssl", run_openssl, &runs[i]);
      for (i = 0; i < G_N_ELEMENTS (runs); i++)
        g_thread_join (threads[i]);
    } else {
      for (i = 0; i < G_N_ELEMENTS (runs); i++)
        run_openssl (&runs[i]);
    }

    printf ("\n%s, `openssl speed -mr -seconds %d -bytes %d`%s:\n", version,
        runs[0].seconds, PACKET_LEN, quick ? " (runs side by side: "
        "indicative only)" : "");
    print_header ();
    for (i = 0; i < G_N_ELEMENTS (runs); i++) {
      gchar *name = g_strdup_printf ("%s %s", runs[i].option,
          runs[i].algorithm);

      if (runs[i].error != NULL) {
        printf ("  %-24s failed: %s\n", name, runs[i].error);
        g_free (runs[i].error);
        ok = FALSE;
      } else {
        per_packet[i] = PACKET_LEN / runs[i].bytes_per_second;
        print_row (name, "1200 bytes", per_packet[i]);
      }
      g_free (name);
    }

    if (ok) {
      /* The least one packet can cost: GCM is one pass; AES-CM is a CTR
       * pass plus an HMAC-SHA1 over the same bytes. */
      gdouble gcm = per_packet[0], cm = per_packet[1] + per_packet[2];

      printf ("\nlibsrtp2 over the bare OpenSSL primitives (1.0 = as fast):\n");
      printf ("  %-24s protect %.1fx, unprotect %.1fx\n",
          gst_rtc_srtp_profile_to_string (results[0].profile),
          results[0].protect_seconds / results[0].packets / cm,
          results[0].unprotect_seconds / results[0].packets / cm);
      printf ("  %-24s protect %.1fx, unprotect %.1fx\n",
          gst_rtc_srtp_profile_to_string (results[1].profile),
          results[1].protect_seconds / results[1].packets / gcm,
          results[1].unprotect_seconds / results[1].packets / gcm);
    }
    g_free (version);
  }

  printf ("\ntotal run time %.1f s\n", now_seconds () - started);
  return 0;
}
