/* Work that opens files runs on the sampler thread, whose file table is
 * its own (sampler_isolate.c): a program thread that wants a dump (the
 * API, the exit hook) hands it over and waits. Opened on a program thread,
 * a descriptor could be closed by the program's close-everything loop and
 * its number reused for the program's own file between our open and our
 * write; no check can close that gap, a table of our own can. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "preload/channel.h"
#include "preload/real.h"
#include "preload/sampler_call.h"

struct tl_call {
    int (*fn)(void *);
    void *arg;
    int rc;
    int done; /* futex word the caller sleeps on */
    struct tl_call *next;
};

static struct tl_call *pending; /* a stack of calls; the sampler takes them all */

TL_HIDDEN int tl_sampler_started;
TL_HIDDEN __thread int tl_on_sampler;
TL_HIDDEN int tl_sampler_own_files;

TL_HIDDEN void tl_sampler_serve_calls(void)
{
    struct tl_call *c = __atomic_exchange_n(&pending, NULL, __ATOMIC_ACQ_REL);
    while (c) {
        struct tl_call *next = c->next; /* c is gone once done is set */
        c->rc = c->fn(c->arg);
        __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
        tl_real.syscall(SYS_futex, (long)&c->done, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
        c = next;
    }
}

TL_HIDDEN void tl_sampler_calls_after_fork_child(void)
{
    pending = NULL; /* their callers are threads of the parent */
}

/* Without a sampler the process has no thread of ours, and one of the
 * program's only (it starts with the program's first): nothing can close a
 * descriptor under us, so the work runs here. */
TL_HIDDEN int tl_sampler_call(int (*fn)(void *), void *arg)
{
    if (tl_on_sampler || !tl_sampler_running())
        return fn(arg);
    struct tl_call c = {.fn = fn, .arg = arg};
    /* The call lives on this stack: the thread must not be cancelled
     * before the sampler is done with it. */
    int old_cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old_cancel);
    int saved = errno;
    struct tl_call *head = __atomic_load_n(&pending, __ATOMIC_ACQUIRE);
    do
        c.next = head;
    while (
        !__atomic_compare_exchange_n(&pending, &head, &c, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
    tl_channel_wake();
    while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {1, 0};
        tl_real.syscall(SYS_futex, (long)&c.done, FUTEX_WAIT_PRIVATE, 0, (long)&ts, 0, 0);
    }
    errno = saved;
    pthread_setcancelstate(old_cancel, NULL);
    return c.rc;
}
