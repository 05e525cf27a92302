/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gst-rtc-doctor: what kind of NAT is this host behind, and does the TURN
 * server let us in?
 *
 *   gst-rtc-doctor --stun stun://host:port [--turn turn://user:pass@host:port?transport=udp]...
 *
 * The NAT test follows RFC 5780 (mapping: tests I-III; filtering:
 * CHANGE-REQUEST) where the server supports it (it sends OTHER-ADDRESS;
 * coturn does when it listens on two addresses).  Prints "key: value"
 * lines, the last being "verdict: none|cone|symmetric|unknown"; --json
 * prints one JSON object instead.  Exit status: 0 when the STUN server
 * answered (and every TURN server allocated), 1 otherwise, 2 on bad usage.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/rtc/rtc.h>
#include <gst/rtc/diagnosis.h>

static void
print_field (GString * out, gboolean json, const gchar * key,
    const gchar * value)
{
  if (json) {
    gchar *escaped = g_strescape (value, NULL);
    g_string_append_printf (out, "%s\"%s\": \"%s\"", out->len > 1 ? ", " : "",
        key, escaped);
    g_free (escaped);
  } else {
    g_string_append_printf (out, "%s: %s\n", key, value);
  }
}

int
main (int argc, char **argv)
{
  gchar *stun = NULL;
  gchar **turns = NULL;
  gint timeout_ms = 1500;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"stun", 's', 0, G_OPTION_ARG_STRING, &stun,
        "STUN server to classify the NAT against (stun://host:port)", "URI"},
    {"turn", 't', 0, G_OPTION_ARG_STRING_ARRAY, &turns,
          "TURN server to try an allocation on (repeatable)",
        "turn://user:pass@host:port?transport=udp|tcp"},
    {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout_ms,
        "Milliseconds to wait for each answer (default 1500)", "MS"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  GString *out;
  int status = 0;

  ctx = g_option_context_new ("- classify this host's NAT and test TURN");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (stun == NULL && turns == NULL) {
    g_printerr ("usage: gst-rtc-doctor --stun stun://host:port "
        "[--turn turn://user:pass@host:port?transport=udp]\n");
    return 2;
  }

  out = g_string_new (json ? "{" : "");
  if (stun) {
    GstStructure *s = gst_rtc_probe_nat (stun, timeout_ms, &error);

    if (s == NULL) {
      print_field (out, json, "stun", error->message);
      print_field (out, json, "verdict", "unknown");
      g_clear_error (&error);
      status = 1;
    } else {
      static const gchar *keys[] = { "local-address", "mapped-address",
        "other-address", "mapping", "filtering", "summary", NULL
      };
      guint i;

      print_field (out, json, "stun", "answered");
      print_field (out, json, "rfc5780",
          gst_structure_has_field (s, "other-address") ? "yes" : "no");
      for (i = 0; keys[i]; i++)
        if (gst_structure_has_field (s, keys[i]))
          print_field (out, json, keys[i], gst_structure_get_string (s,
                  keys[i]));
      print_field (out, json, "verdict", gst_structure_get_string (s, "nat"));
      gst_structure_free (s);
    }
  }
  for (guint i = 0; turns && turns[i]; i++) {
    gchar *detail = NULL, *key = g_strdup_printf ("turn-%u", i);
    gchar *dkey = g_strdup_printf ("turn-%u-detail", i);
    GstRtcTurnProbeResult r = gst_rtc_probe_turn (turns[i], timeout_ms,
        &detail);

    print_field (out, json, key, gst_rtc_turn_probe_result_name (r));
    print_field (out, json, dkey, detail ? detail : "");
    if (r != GST_RTC_TURN_PROBE_OK)
      status = 1;
    g_free (detail);
    g_free (key);
    g_free (dkey);
  }
  if (json)
    g_string_append (out, "}\n");
  g_print ("%s", out->str);
  g_string_free (out, TRUE);
  g_free (stun);
  g_strfreev (turns);
  return status;
}
