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

/* Runs `call` (which uses the variable `t`, a timeout in ms) again while
 * only our signal interrupts it, with what is left of the timeout. */
#define TL_POLL_MS(timeout, call)                                                                  \
    ({                                                                                             \
        int e_ = errno, t = (timeout), r_;                                                         \
        uint64_t start_ = tl_mono_ns();                                                            \
        for (;;) {                                                                                 \
            unsigned h_ = tl_signal_hits;                                                          \
            r_ = (call);                                                                           \
            if (r_ != -1 || errno != EINTR || tl_signal_hits == h_)                                \
                break;                                                                             \
            errno = e_;                                                                            \
            t = left_ms(start_, (timeout));                                                        \
        }                                                                                          \
        r_;                                                                                        \
    })

/* The same with a relative timespec (NULL: infinite) in the variable `p`.
 * The first call gets the program's pointer as it is (a bad one fails with
 * EFAULT); *ts is read only once the kernel has accepted it. */
#define TL_POLL_TS(ts, call)                                                                       \
    ({                                                                                             \
        int e_ = errno, r_;                                                                        \
        uint64_t start_ = tl_mono_ns();                                                            \
        struct timespec left_;                                                                     \
        const struct timespec *p = (ts);                                                           \
        for (;;) {                                                                                 \
            unsigned h_ = tl_signal_hits;                                                          \
            r_ = (call);                                                                           \
            if (r_ != -1 || errno != EINTR || tl_signal_hits == h_)                                \
                break;                                                                             \
            errno = e_;                                                                            \
            if (ts) {                                                                              \
                left_ = tl_left_ts((ts), start_);                                                  \
                p = &left_;                                                                        \
            }                                                                                      \
        }                                                                                          \
        r_;                                                                                        \
    })

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
    return TL_WAIT(TL_WAIT_POLL, "poll", first_fd(fds, n),
                   TL_POLL_MS(timeout, tl_real.poll(fds, n, t)));
}

TL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.ppoll(fds, n, ts, mask);
    return TL_WAIT(TL_WAIT_POLL, "ppoll", first_fd(fds, n),
                   TL_POLL_TS(ts, tl_real.ppoll(fds, n, p, mask)));
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
    return TL_WAIT(TL_WAIT_POLL, "pselect", 0,
                   TL_POLL_TS(ts, tl_real.pselect(n, r, w, e, p, mask)));
}

TL_EXPORT int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.epoll_wait(ep, ev, max, timeout);
    tl_sampler_if_missing(); /* not async-signal-safe: may start it */
    return TL_WAIT(TL_WAIT_POLL, "epoll_wait", (uint64_t)ep,
                   TL_POLL_MS(timeout, tl_real.epoll_wait(ep, ev, max, t)));
}

TL_EXPORT int epoll_pwait(int ep, struct epoll_event *ev, int max, int timeout,
                          const sigset_t *mask)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.epoll_pwait(ep, ev, max, timeout, mask);
    tl_sampler_if_missing(); /* not async-signal-safe: may start it */
    return TL_WAIT(TL_WAIT_POLL, "epoll_pwait", (uint64_t)ep,
                   TL_POLL_MS(timeout, tl_real.epoll_pwait(ep, ev, max, t, mask)));
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
    return TL_WAIT(TL_WAIT_POLL, "epoll_pwait2", (uint64_t)ep,
                   TL_POLL_TS(ts, tl_real.epoll_pwait2(ep, ev, max, p, mask)));
}
