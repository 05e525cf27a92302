/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays a seed corpus through a libFuzzer target without libFuzzer, so
 * that the normal test run exercises every committed seed (and every
 * crash reproducer added to the corpus). Usage: replay-NAME DIR|FILE... */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static int
replay_file (const gchar * path)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *error = NULL;

  if (!g_file_get_contents (path, &contents, &len, &error)) {
    g_printerr ("%s: %s\n", path, error->message);
    g_error_free (error);
    return 1;
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  /* Every prefix too: truncated input is the commonest malformation. */
  for (gsize cut = 0; cut < len; cut += 1 + len / 64)
    LLVMFuzzerTestOneInput ((const uint8_t *) contents, cut);
  g_free (contents);
  return 0;
}

int
main (int argc, char **argv)
{
  guint replayed = 0, failed = 0;

  for (int i = 1; i < argc; i++) {
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      GDir *dir = g_dir_open (argv[i], 0, NULL);
      const gchar *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
        gchar *path = g_build_filename (argv[i], name, NULL);

        failed += replay_file (path);
        replayed++;
        g_free (path);
      }
      if (dir != NULL)
        g_dir_close (dir);
    } else {
      failed += replay_file (argv[i]);
      replayed++;
    }
  }
  printf ("replayed %u inputs, %u unreadable\n", replayed, failed);
  return (replayed == 0 || failed > 0) ? 1 : 0;
}
