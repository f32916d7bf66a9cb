/* Thread lifecycle: pthread_create and thrd_create start every thread
 * through a trampoline that gives it its slot; join and detach settle the
 * slot of a finished thread. */
#include "preload/sampler.h"
#include "preload/stacks.h"
#include "preload/wrap.h"

static void *trampoline(void *p)
{
    struct tl_slot *s = p;
    tl_start_fn start = s->start;
    void *arg = s->arg;
    tl_thread_started(s);
    s->stack_hi = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    return start(arg);
}

static int trampoline_c11(void *p)
{
    struct tl_slot *s = p;
    thrd_start_t start = (thrd_start_t)(void *)s->start;
    void *arg = s->arg;
    tl_thread_started(s);
    s->stack_hi = (uint64_t)(uintptr_t)__builtin_frame_address(0);
    return start(arg);
}

/* A slot for a thread about to be created, with its creation stack. */
static struct tl_slot *prepare(tl_start_fn start, void *arg, int detached)
{
    if (tl_busy || tl_exiting || !tl_enabled)
        return NULL;
    tl_sampler_want();
    struct tl_slot *self = tl_self();
    struct tl_slot *s = tl_slot_claim();
    if (!s)
        return NULL;
    s->start = start;
    s->arg = arg;
    s->creator_tid = self ? self->tid : tl_gettid();
    tl_names_at_create(self, s);
    s->spawn_stack = tl_capture_spawn_stack();
    s->life = detached ? TL_LIFE_DETACHED : 0;
    tl_slot_publish_new(s, detached);
    return s;
}

static void finish(struct tl_slot *s, int rc, pthread_t t, int detached)
{
    if (rc != 0) {
        tl_slot_abandon(s, detached);
        return;
    }
    s->handle = (uint64_t)t;
    if (!detached)
        tl_set_slot_of(t, s);
    __atomic_store_n(&s->creator_done, 1, __ATOMIC_RELEASE);
}

TL_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, tl_start_fn start, void *arg)
{
    tl_real_ensure();
    int saved = errno, detached = 0;
    if (attr && pthread_attr_getdetachstate(attr, &detached) == 0)
        detached = detached == PTHREAD_CREATE_DETACHED;
    struct tl_slot *s = prepare(start, arg, detached);
    if (!s)
        return tl_real.pthread_create(t, attr, start, arg);
    int rc = tl_real.pthread_create(t, attr, trampoline, s);
    finish(s, rc, rc == 0 ? *t : 0, detached);
    errno = saved;
    return rc;
}

TL_EXPORT int thrd_create(thrd_t *t, thrd_start_t start, void *arg)
{
    tl_real_ensure();
    int saved = errno;
    struct tl_slot *s = prepare((tl_start_fn)(void *)start, arg, 0);
    if (!s)
        return tl_real.thrd_create(t, start, arg);
    int rc = tl_real.thrd_create(t, trampoline_c11, s);
    finish(s, rc == thrd_success ? 0 : 1, rc == thrd_success ? *t : 0, 0);
    errno = saved;
    return rc;
}

/* A join reads the joined thread's slot before the join can reap it, and
 * tries first without waiting: a thread that has already exited is no
 * wait. join_begin is 1 when the join has to wait (j->rc is EBUSY); the
 * wait itself is the wrapper's (TL_WAIT). */
struct join {
    struct tl_slot *s;
    uint32_t gen;
    int rc;
};

static inline int join_begin(pthread_t t, void **ret, struct join *j)
{
    j->s = tl_slot_of(t);
    j->gen = j->s ? j->s->gen : 0;
    j->rc = tl_real.pthread_tryjoin_np(t, ret);
    return j->rc == EBUSY;
}

static inline int join_end(pthread_t t, const struct join *j)
{
    if (j->rc == 0)
        tl_note_joined(j->s, j->gen, t);
    return j->rc;
}

TL_EXPORT int pthread_join(pthread_t t, void **ret)
{
    tl_real_ensure();
    struct join j;
    if (join_begin(t, ret, &j))
        j.rc = TL_WAIT(TL_WAIT_JOIN, "pthread_join", t, tl_real.pthread_join(t, ret));
    return join_end(t, &j);
}

TL_EXPORT int pthread_tryjoin_np(pthread_t t, void **ret)
{
    tl_real_ensure();
    struct join j;
    join_begin(t, ret, &j);
    return join_end(t, &j);
}

TL_EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *ts)
{
    tl_real_ensure();
    struct join j;
    if (join_begin(t, ret, &j))
        j.rc = TL_WAIT(TL_WAIT_JOIN, "pthread_timedjoin_np", t,
                       tl_real.pthread_timedjoin_np(t, ret, ts));
    return join_end(t, &j);
}

/* glibc checks the clock before it looks at the thread. */
TL_EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
                                   const struct timespec *ts)
{
    tl_real_ensure();
    if (!tl_clock_ok(clk))
        return EINVAL;
    struct join j;
    if (join_begin(t, ret, &j))
        j.rc = TL_WAIT(TL_WAIT_JOIN, "pthread_clockjoin_np", t,
                       tl_real.pthread_clockjoin_np(t, ret, clk, ts));
    return join_end(t, &j);
}

TL_EXPORT int thrd_join(thrd_t t, int *res)
{
    tl_real_ensure();
    struct tl_slot *s = tl_slot_of(t);
    uint32_t gen = s ? s->gen : 0;
    int rc = TL_WAIT(TL_WAIT_JOIN, "thrd_join", t, tl_real.thrd_join(t, res));
    if (rc == thrd_success)
        tl_note_joined(s, gen, t);
    return rc;
}

TL_EXPORT int pthread_detach(pthread_t t)
{
    tl_real_ensure();
    struct tl_slot *s = tl_slot_of(t);
    int rc = tl_real.pthread_detach(t);
    if (rc == 0)
        tl_note_detached(s, t);
    return rc;
}

TL_EXPORT int thrd_detach(thrd_t t)
{
    tl_real_ensure();
    struct tl_slot *s = tl_slot_of(t);
    int rc = tl_real.thrd_detach(t);
    if (rc == thrd_success)
        tl_note_detached(s, t);
    return rc;
}

/* Exit and cancel need nothing here: the thread's exit hook (a TSD
 * destructor) runs for return, pthread_exit, thrd_exit and cancellation
 * alike. They are wrapped so that a future need has one place to go. */
TL_EXPORT void pthread_exit(void *ret)
{
    tl_real_ensure();
    if (tl_gettid() == getpid())
        tl_sampler_leader_exiting();
    tl_real.pthread_exit(ret);
    __builtin_unreachable();
}

TL_EXPORT void thrd_exit(int res)
{
    tl_real_ensure();
    if (tl_gettid() == getpid())
        tl_sampler_leader_exiting();
    tl_real.thrd_exit(res);
    __builtin_unreachable();
}

TL_EXPORT int pthread_cancel(pthread_t t)
{
    tl_real_ensure();
    return tl_real.pthread_cancel(t);
}
