/* The shape every blocking wrapper shares: classify, fast path, note the
 * wait, call, clear. Included only by the wrap_*.c files. */
#ifndef THREADLEAK_WRAP_H
#define THREADLEAK_WRAP_H

#include <errno.h>

#include "common/clock.h"
#include "preload/real.h"
#include "preload/registry.h"
#include "preload/sampler.h"

/* Whether the running thread's note (it has one) belongs to a wait still
 * in progress below the caller, whose stack pointer is sp (wrap_note.c). */
TL_HIDDEN int tl_note_live(const struct tl_slot *s, uint64_t sp);

/* The slot this wrapper notes its wait in, NULL when it may not: not when
 * a signal handler runs it inside another note being written (seq odd),
 * nor inside a wait still in progress (a handler on the thread's stack or
 * an alternate one). A note whose wrapper has gone (the program
 * siglongjmp'ed out of its wait) is stale and gets replaced. */
static inline struct tl_slot *tl_slot_to_note(void)
{
    struct tl_slot *s = tl_self();
    if (!s || (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) & 1))
        return NULL;
    if (tl_likely(s->wait == TL_WAIT_NONE))
        return s;
    uint64_t sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    return tl_note_live(s, sp) ? NULL : s;
}

/* The sampler is started lazily (in a fork child, at the first wait), but
 * only from wrappers of calls that are not async-signal-safe: a signal
 * handler's write() must never create a thread. */
static inline void tl_sampler_if_missing(void)
{
    if (tl_unlikely(tl_sampler_missing))
        tl_sampler_ensure();
}

/* Calls `call` with the running thread marked as blocked in `kind` on
 * `obj`. Must stay a macro: the registers are captured in the wrapper's
 * own frame, which is live for as long as the call blocks, and so is the
 * mark that tells a nested wrapper the note is not stale. */
#define TL_WAIT(kind, callname, obj, call) TL_WAIT_WITH(kind, callname, obj, (void)0, call)
/* The same, also noting a cond wait's mutex for the dump. */
#define TL_WAIT_AUX(kind, callname, obj, mutex, call)                                              \
    TL_WAIT_WITH(kind, callname, obj, TL_STORE(s_->aux, (uint64_t)(uintptr_t)(mutex)), call)
#define TL_WAIT_WITH(kind, callname, obj, extra, call)                                             \
    ({                                                                                             \
        struct tl_slot *s_ = tl_slot_to_note();                                                    \
        __typeof__(call) r_;                                                                       \
        if (s_) {                                                                                  \
            volatile uint64_t mark_ = tl_mark_of(s_, s_->seq + 2);                                 \
            TL_STORE(s_->mark, (uint64_t)(uintptr_t)&mark_);                                       \
            TL_BLOCK_BEGIN_WITH(s_, kind, callname, obj, extra);                                   \
            r_ = (call);                                                                           \
            tl_block_end(s_);                                                                      \
        } else {                                                                                   \
            r_ = (call);                                                                           \
        }                                                                                          \
        r_;                                                                                        \
    })

/* The dump signal lands on whichever program thread the kernel picks, and
 * some waits (sleeps, poll, sigsuspend, ...) return EINTR even under
 * SA_RESTART. The handler counts its visits per thread; a wrapped wait that
 * only our signal interrupted is made again, so the program never sees it.
 * Wrappers read the count through tl_retry, below. */
TL_HIDDEN extern __thread unsigned tl_signal_hits;

/* The tries of one wait: the errno the program had before the first, and
 * the handler's visits counted just before the latest. */
struct tl_retry {
    int saved_errno;
    unsigned hits;
};

static inline struct tl_retry tl_retry_start(void)
{
    return (struct tl_retry){.saved_errno = errno};
}

/* Called just before each try: visits from here on interrupted it. */
static inline void tl_retry_try(struct tl_retry *rt)
{
    rt->hits = tl_signal_hits;
}

/* Whether our signal came during the latest try. */
static inline int tl_retry_hit(const struct tl_retry *rt)
{
    return tl_signal_hits != rt->hits;
}

/* Whether the try that returned r failed only because our signal
 * interrupted it; errno is then the program's again, for the next try. */
static inline int tl_retry_again(const struct tl_retry *rt, long r)
{
    if (r != -1 || errno != EINTR || !tl_retry_hit(rt))
        return 0;
    errno = rt->saved_errno;
    return 1;
}

#define TL_RESUMED(call)                                                                           \
    ({                                                                                             \
        struct tl_retry rt_ = tl_retry_start();                                                    \
        __typeof__(call) r_;                                                                       \
        do {                                                                                       \
            tl_retry_try(&rt_);                                                                    \
            r_ = (call);                                                                           \
        } while (tl_retry_again(&rt_, r_));                                                        \
        r_;                                                                                        \
    })

/* The clocks glibc's timed waits accept (futex_abstimed_supported_clockid)
 * and its timespec check: a call that fails them fails before any try. */
static inline int tl_clock_ok(clockid_t c)
{
    return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC;
}

static inline int tl_nsec_ok(const struct timespec *ts)
{
    return ts->tv_nsec >= 0 && ts->tv_nsec < (long)TL_NS_PER_S;
}

/* What is left of a relative timeout that started at `start`. */
static inline uint64_t tl_left_ns(uint64_t start, uint64_t total)
{
    uint64_t spent = tl_mono_ns() - start;
    return spent >= total ? 0 : total - spent;
}

/* The same for a timespec the kernel has accepted (so it is readable and
 * its tv_nsec is in range), without overflow for any tv_sec. */
static inline struct timespec tl_left_ts(const struct timespec *ts, uint64_t start)
{
    uint64_t spent = tl_mono_ns() - start;
    struct timespec left = *ts;
    left.tv_sec -= (time_t)(spent / TL_NS_PER_S);
    left.tv_nsec -= (long)(spent % TL_NS_PER_S);
    if (left.tv_nsec < 0) {
        left.tv_nsec += (long)TL_NS_PER_S;
        left.tv_sec--;
    }
    if (left.tv_sec < 0)
        left.tv_sec = 0, left.tv_nsec = 0;
    return left;
}

/* A relative timeout counting down over the tries of one wait: the
 * program's own for the first try, what is left of it for the next. */
struct tl_countdown {
    struct tl_retry retry;
    uint64_t start;
    int tried;
    struct timespec left;
};

/* timed: whether there is a timeout to count down; an infinite wait (the
 * event loop's epoll_wait(-1)) does not read the clock. */
static inline struct tl_countdown tl_countdown_start(int timed)
{
    return (struct tl_countdown){.retry = tl_retry_start(), .start = timed ? tl_mono_ns() : 0};
}

/* The timeout (NULL: none) for the next try. The first gets the program's
 * pointer as it is (a bad one fails with EFAULT as bare); *ts is read only
 * once the kernel has accepted it. */
static inline const struct timespec *tl_countdown_ts(struct tl_countdown *c,
                                                     const struct timespec *ts)
{
    const struct timespec *p = ts;
    if (c->tried && ts) {
        c->left = tl_left_ts(ts, c->start);
        p = &c->left;
    }
    c->tried = 1;
    tl_retry_try(&c->retry);
    return p;
}

static inline int tl_countdown_again(const struct tl_countdown *c, long r)
{
    return tl_retry_again(&c->retry, r);
}

/* TL_RESUMED for a wait with a relative timeout: `call` takes each try's
 * timeout from the countdown named c (tl_countdown_ts, or a wrapper's own
 * for milliseconds); timed: whether there is one (see tl_countdown_start). */
#define TL_COUNTED_DOWN(c, timed, call)                                                            \
    ({                                                                                             \
        struct tl_countdown c = tl_countdown_start(timed);                                         \
        __typeof__(call) r_;                                                                       \
        do                                                                                         \
            r_ = (call);                                                                           \
        while (tl_countdown_again(&c, r_));                                                        \
        r_;                                                                                        \
    })

#endif
