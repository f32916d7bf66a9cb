/* A GLib service under threadleak run, by argv[1]:
 *   clean  a shared GThreadPool freed at the end, and GTask work in GLib's own pool
 *   leak   an exclusive GThreadPool per request, never freed
 * argv[2]: requests (default 40), argv[3]: ms between them (default 50). */
#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pool_task(gpointer data, gpointer user)
{
    (void)user;
    g_atomic_int_inc((gint *)data);
}

static void task_body(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
    (void)src, (void)data, (void)c;
    g_task_return_int(task, 42);
}

static void handle_request_leaky(gint *done)
{
    GThreadPool *p = g_thread_pool_new(pool_task, NULL, 2, TRUE, NULL);
    g_thread_pool_push(p, done, NULL); /* the pool is never freed */
}

int main(int argc, char **argv)
{
    int leak = argc > 1 && strcmp(argv[1], "leak") == 0;
    int n = argc > 2 ? atoi(argv[2]) : 40, gap = argc > 3 ? atoi(argv[3]) : 50;
    gint done = 0;
    GThreadPool *shared = leak ? NULL : g_thread_pool_new(pool_task, NULL, 4, FALSE, NULL);
    for (int i = 0; i < n; i++) {
        if (leak) {
            handle_request_leaky(&done);
        } else {
            g_thread_pool_push(shared, &done, NULL);
            GTask *t = g_task_new(NULL, NULL, NULL, NULL);
            g_task_run_in_thread_sync(t, task_body);
            g_task_propagate_int(t, NULL);
            g_object_unref(t);
        }
        g_usleep((gulong)gap * 1000);
    }
    if (shared)
        g_thread_pool_free(shared, FALSE, TRUE);
    printf("served %d\n", n);
    return 0;
}
