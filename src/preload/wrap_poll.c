/* poll, select and epoll. A zero timeout never blocks and passes straight
 * through. The object is the first descriptor (the epoll descriptor). */
#include "preload/wrap.h"

static inline int zero_ts(const struct timespec *ts)
{
    return ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
}

TL_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.poll(fds, n, timeout);
    return TL_WAIT(TL_WAIT_POLL, "poll", n ? (uint64_t)fds[0].fd : 0,
                   tl_real.poll(fds, n, timeout));
}

TL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.ppoll(fds, n, ts, mask);
    return TL_WAIT(TL_WAIT_POLL, "ppoll", n ? (uint64_t)fds[0].fd : 0,
                   tl_real.ppoll(fds, n, ts, mask));
}

TL_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    tl_real_ensure();
    if (tv && tv->tv_sec == 0 && tv->tv_usec == 0)
        return tl_real.select(n, r, w, e, tv);
    return TL_WAIT(TL_WAIT_POLL, "select", 0, tl_real.select(n, r, w, e, tv));
}

TL_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                      const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.pselect(n, r, w, e, ts, mask);
    return TL_WAIT(TL_WAIT_POLL, "pselect", 0, tl_real.pselect(n, r, w, e, ts, mask));
}

TL_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.epoll_wait(ep, ev, max, timeout);
    return TL_WAIT(TL_WAIT_POLL, "epoll_wait", (uint64_t)ep,
                   tl_real.epoll_wait(ep, ev, max, timeout));
}

TL_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout,
                          const sigset_t *mask)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.epoll_pwait(ep, ev, max, timeout, mask);
    return TL_WAIT(TL_WAIT_POLL, "epoll_pwait", (uint64_t)ep,
                   tl_real.epoll_pwait(ep, ev, max, timeout, mask));
}

TL_EXPORT int epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *ts,
                           const sigset_t *mask)
{
    tl_real_ensure();
    if (!tl_real.epoll_pwait2) {
        errno = ENOSYS;
        return -1;
    }
    if (zero_ts(ts))
        return tl_real.epoll_pwait2(ep, ev, max, ts, mask);
    return TL_WAIT(TL_WAIT_POLL, "epoll_pwait2", (uint64_t)ep,
                   tl_real.epoll_pwait2(ep, ev, max, ts, mask));
}
