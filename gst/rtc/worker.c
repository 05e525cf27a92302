/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:gstrtcworker
 * @title: Worker pool
 * @short_description: the few threads that run every ICE agent and timer
 *
 * gst-rtc runs no thread per peer. A small, process-wide pool of worker
 * threads, each running its own #GMainContext, carries every NiceAgent and
 * every DTLS timer. A peer lives on the least loaded worker. The pool has
 * as many threads as the machine has cores, between 2 and 4, unless
 * `GST_RTC_WORKER_THREADS` says otherwise; threads start when first needed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "worker.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtc_worker_debug);
#define GST_CAT_DEFAULT gst_rtc_worker_debug

#define MAX_WORKERS 64

typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint users;
} Worker;

static GMutex pool_lock;
static Worker workers[MAX_WORKERS];
static guint n_workers;

static guint
pool_size (void)
{
  static gsize size = 0;

  if (g_once_init_enter (&size)) {
    const gchar *env = g_getenv ("GST_RTC_WORKER_THREADS");
    guint64 n = 0;

    GST_DEBUG_CATEGORY_INIT (gst_rtc_worker_debug, "rtcworker", 0,
        "gst-rtc worker pool");
    if (env != NULL)
      n = g_ascii_strtoull (env, NULL, 10);
    if (n == 0)
      n = CLAMP (g_get_num_processors (), 2, 4);
    g_once_init_leave (&size, MIN (n, MAX_WORKERS));
  }
  return size;
}

static gpointer
worker_main (gpointer user_data)
{
  Worker *worker = user_data;

  g_main_context_push_thread_default (worker->context);
  g_main_loop_run (worker->loop);
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

/**
 * gst_rtc_worker_pool_acquire_context:
 *
 * Picks the least loaded worker, starting a new one while the pool is not
 * full, and counts one more user of it.
 *
 * Returns: (transfer full): the worker's main context; give it back with
 *   gst_rtc_worker_pool_release_context()
 */
GMainContext *
gst_rtc_worker_pool_acquire_context (void)
{
  guint size = pool_size ();
  Worker *best = NULL;
  guint i;

  g_mutex_lock (&pool_lock);
  for (i = 0; i < n_workers; i++) {
    if (best == NULL || workers[i].users < best->users)
      best = &workers[i];
  }
  if ((best == NULL || best->users > 0) && n_workers < size) {
    gchar *name = g_strdup_printf ("rtc-worker-%u", n_workers);

    best = &workers[n_workers++];
    best->context = g_main_context_new ();
    best->loop = g_main_loop_new (best->context, FALSE);
    best->thread = g_thread_new (name, worker_main, best);
    GST_DEBUG ("started %s", name);
    g_free (name);
  }
  best->users++;
  g_mutex_unlock (&pool_lock);

  return g_main_context_ref (best->context);
}

/**
 * gst_rtc_worker_pool_release_context:
 * @context: (transfer full): a context from gst_rtc_worker_pool_acquire_context()
 *
 * Counts one user less of the worker. The thread keeps running, for the
 * next peer.
 */
void
gst_rtc_worker_pool_release_context (GMainContext * context)
{
  guint i;

  g_return_if_fail (context != NULL);

  g_mutex_lock (&pool_lock);
  for (i = 0; i < n_workers; i++) {
    if (workers[i].context == context && workers[i].users > 0) {
      workers[i].users--;
      break;
    }
  }
  g_mutex_unlock (&pool_lock);
  g_main_context_unref (context);
}

/**
 * gst_rtc_worker_pool_get_n_threads:
 *
 * Counts the threads of the worker pool.
 *
 * Returns: how many worker threads are running now
 */
guint
gst_rtc_worker_pool_get_n_threads (void)
{
  guint n;

  g_mutex_lock (&pool_lock);
  n = n_workers;
  g_mutex_unlock (&pool_lock);
  return n;
}

typedef struct
{
  GSourceFunc func;
  gpointer user_data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
run_sync_call (gpointer user_data)
{
  SyncCall *call = user_data;

  call->func (call->user_data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/**
 * gst_rtc_worker_pool_invoke_sync:
 * @context: a worker context
 * @func: (scope call): the function to run; its return value is ignored
 * @user_data: (closure): data for @func
 *
 * Runs @func on the thread that owns @context and waits for it to return.
 * When the calling thread already owns @context, @func runs at once.
 *
 * Returns: 1 once @func has run
 */
guint
gst_rtc_worker_pool_invoke_sync (GMainContext * context, GSourceFunc func,
    gpointer user_data)
{
  SyncCall call = { func, user_data };
  GSource *source;

  g_return_val_if_fail (context != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);

  if (g_main_context_is_owner (context)) {
    func (user_data);
    return 1;
  }

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, run_sync_call, &call, NULL);
  g_source_attach (source, context);
  g_source_unref (source);

  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
  return 1;
}

static gboolean
sync_point (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/**
 * gst_rtc_worker_pool_sync:
 * @context: a worker context
 *
 * Waits until the worker that owns @context is between two dispatches: a
 * callback that was running on it when this was called has returned. Use
 * it after detaching a callback, before freeing what the callback uses.
 */
void
gst_rtc_worker_pool_sync (GMainContext * context)
{
  gst_rtc_worker_pool_invoke_sync (context, sync_point, NULL);
}
