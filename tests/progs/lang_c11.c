/* C11 <threads.h>: threads made by thrd_create, 6 blocked in cnd_wait,
 * 4 in mtx_lock on a mutex main holds, 2 in thrd_join on cnd waiters. */
#include <threads.h>

#include "waits_common.h"

#define CND_WAITERS 6
#define MTX_WAITERS 4
#define JOINERS 2

static mtx_t held;     /* main holds it forever */
static mtx_t cnd_lock; /* guards go */
static cnd_t cnd;
static int go;
static thrd_t cnd_threads[CND_WAITERS];

static int c11_cnd_waiter(void *arg)
{
    (void)arg;
    mtx_lock(&cnd_lock);
    while (!go)
        cnd_wait(&cnd, &cnd_lock);
    mtx_unlock(&cnd_lock);
    return 0;
}

static int c11_mtx_waiter(void *arg)
{
    (void)arg;
    mtx_lock(&held);
    mtx_unlock(&held);
    return 0;
}

static int c11_joiner(void *arg)
{
    thrd_join(*(thrd_t *)arg, NULL);
    return 0;
}

static thrd_t c11_start(thrd_start_t fn, void *arg)
{
    thrd_t t;
    if (thrd_create(&t, fn, arg) != thrd_success) die("thrd_create", EAGAIN);
    return t;
}

static void spawn_c11_threads(void)
{
    for (int i = 0; i < TIMES(CND_WAITERS); i++)
        cnd_threads[i] = c11_start(c11_cnd_waiter, NULL);
    for (int i = 0; i < TIMES(MTX_WAITERS); i++)
        c11_start(c11_mtx_waiter, NULL);
    for (int i = 0; i < TIMES(JOINERS); i++)
        c11_start(c11_joiner, &cnd_threads[i]);
}

int main(void)
{
    if (mtx_init(&held, mtx_plain) != thrd_success ||
        mtx_init(&cnd_lock, mtx_plain) != thrd_success || cnd_init(&cnd) != thrd_success)
        die("mtx_init/cnd_init", EINVAL);
    mtx_lock(&held);
    spawn_c11_threads();
    settle();
    print_object("cnd", &cnd);
    print_object("mtx", &held);
    ready();
    wait_forever();
}
