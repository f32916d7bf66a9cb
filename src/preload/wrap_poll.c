/* poll, select and epoll. A zero timeout never blocks and passes straight
 * through (epoll_pwait2's timespec is not read: glibc hands the pointer to
 * the kernel, which answers EFAULT for a bad one; ppoll and pselect read
 * theirs in glibc first). The object is the first descriptor (the epoll descriptor). A
 * wait that only threadleak's dump signal interrupted resumes with what is
 * left of its timeout. */
#include "preload/wrap.h"

static inline int zero_ts(const struct timespec *ts)
{
    return ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

/* Milliseconds left of a timeout in ms; negative stays infinite. */
static inline int left_ms(uint64_t start, int timeout)
{
    if (timeout < 0)
        return timeout;
    uint64_t left = tl_left_ns(start, (uint64_t)timeout * 1000000);
    return (int)((left + 999999) / 1000000);
}

/* tl_countdown_ts for a timeout in ms (negative: infinite). */
static inline int countdown_ms(struct tl_countdown *c, int timeout)
{
    int t = c->tried ? left_ms(c->start, timeout) : timeout;
    c->tried = 1;
    tl_retry_try(&c->retry);
    return t;
}

/* The program's array may be a bad pointer (poll then fails with EFAULT):
 * the sampler reads the descriptor, not this thread. */
static inline uint64_t first_fd(const struct pollfd *fds, nfds_t n)
{
    return n ? TL_OBJ_AT_INT | (uint64_t)(uintptr_t)&fds->fd : 0;
}

TL_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.poll(fds, n, timeout);
    return TL_WAIT(
        TL_WAIT_POLL, "poll", first_fd(fds, n),
        TL_COUNTED_DOWN(c, timeout >= 0, tl_real.poll(fds, n, countdown_ms(&c, timeout))));
}

TL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.ppoll(fds, n, ts, mask);
    return TL_WAIT(
        TL_WAIT_POLL, "ppoll", first_fd(fds, n),
        TL_COUNTED_DOWN(c, ts != NULL, tl_real.ppoll(fds, n, tl_countdown_ts(&c, ts), mask)));
}

/* Linux leaves select's fd sets as they were when the call fails (EINTR
 * included), and writes what is left of the timeout into *tv: made again
 * with the same arguments, it waits only for the rest. */
TL_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    tl_real_ensure();
    if (tv && tv->tv_sec == 0 && tv->tv_usec == 0)
        return tl_real.select(n, r, w, e, tv);
    return TL_WAIT(TL_WAIT_POLL, "select", 0, TL_RESUMED(tl_real.select(n, r, w, e, tv)));
}

TL_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                      const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.pselect(n, r, w, e, ts, mask);
    return TL_WAIT(
        TL_WAIT_POLL, "pselect", 0,
        TL_COUNTED_DOWN(c, ts != NULL, tl_real.pselect(n, r, w, e, tl_countdown_ts(&c, ts), mask)));
}

TL_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.epoll_wait(ep, ev, max, timeout);
    tl_sampler_if_missing(); /* not async-signal-safe: may start it */
    return TL_WAIT(TL_WAIT_POLL, "epoll_wait", (uint64_t)ep,
                   TL_COUNTED_DOWN(c, timeout >= 0,
                                   tl_real.epoll_wait(ep, ev, max, countdown_ms(&c, timeout))));
}

TL_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout,
                          const sigset_t *mask)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.epoll_pwait(ep, ev, max, timeout, mask);
    tl_sampler_if_missing(); /* not async-signal-safe: may start it */
    return TL_WAIT(
        TL_WAIT_POLL, "epoll_pwait", (uint64_t)ep,
        TL_COUNTED_DOWN(c, timeout >= 0,
                        tl_real.epoll_pwait(ep, ev, max, countdown_ms(&c, timeout), mask)));
}

TL_EXPORT int epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *ts,
                           const sigset_t *mask)
{
    tl_real_ensure();
    if (!tl_real.epoll_pwait2) {
        errno = ENOSYS;
        return -1;
    }
    tl_sampler_if_missing(); /* not async-signal-safe: may start it */
    return TL_WAIT(
        TL_WAIT_POLL, "epoll_pwait2", (uint64_t)ep,
        TL_COUNTED_DOWN(c, ts != NULL,
                        tl_real.epoll_pwait2(ep, ev, max, tl_countdown_ts(&c, ts), mask)));
}
