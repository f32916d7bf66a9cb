/* poll, select and epoll. A zero timeout never blocks and passes straight
 * through. The object is the first descriptor (the epoll descriptor). A
 * wait that only threadleak's dump signal interrupted resumes with what is
 * left of its timeout. */
#include <string.h>

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

/* The same with a relative timespec (NULL: infinite) in the variable `p`. */
#define TL_POLL_TS(ts, call)                                                                       \
    ({                                                                                             \
        int e_ = errno, r_;                                                                        \
        uint64_t start_ = tl_mono_ns(), total_ = (ts) ? tl_ts_ns(ts) : 0;                          \
        struct timespec left_;                                                                     \
        const struct timespec *p = (ts);                                                           \
        for (;;) {                                                                                 \
            unsigned h_ = tl_signal_hits;                                                          \
            r_ = (call);                                                                           \
            if (r_ != -1 || errno != EINTR || tl_signal_hits == h_)                                \
                break;                                                                             \
            errno = e_;                                                                            \
            if (p) {                                                                               \
                left_ = tl_ns_ts(tl_left_ns(start_, total_));                                      \
                p = &left_;                                                                        \
            }                                                                                      \
        }                                                                                          \
        r_;                                                                                        \
    })

TL_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    tl_real_ensure();
    if (timeout == 0)
        return tl_real.poll(fds, n, timeout);
    return TL_WAIT(TL_WAIT_POLL, "poll", n ? (uint64_t)fds[0].fd : 0,
                   TL_POLL_MS(timeout, tl_real.poll(fds, n, t)));
}

TL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.ppoll(fds, n, ts, mask);
    return TL_WAIT(TL_WAIT_POLL, "ppoll", n ? (uint64_t)fds[0].fd : 0,
                   TL_POLL_TS(ts, tl_real.ppoll(fds, n, p, mask)));
}

/* select's fd sets are cleared by an interrupted call, so a call made again
 * needs copies, of exactly the bytes the call may touch (a program may
 * allocate just howmany(n, NFDBITS) words). Sets above FD_SETSIZE are not
 * copied: such a call gets its EINTR. */
struct fd_copies {
    fd_set *sets[3];
    size_t bytes;
    unsigned char copy[3][sizeof(fd_set)];
};

static int fds_save(struct fd_copies *f, int n, fd_set *r, fd_set *w, fd_set *e)
{
    if (n < 0 || n > FD_SETSIZE)
        return 0;
    f->sets[0] = r, f->sets[1] = w, f->sets[2] = e;
    f->bytes = (size_t)((n + NFDBITS - 1) / NFDBITS) * sizeof(fd_mask);
    for (int i = 0; i < 3; i++)
        if (f->sets[i])
            memcpy(f->copy[i], f->sets[i], f->bytes);
    return 1;
}

static void fds_restore(const struct fd_copies *f)
{
    for (int i = 0; i < 3; i++)
        if (f->sets[i])
            memcpy(f->sets[i], f->copy[i], f->bytes);
}

/* Linux's select leaves what is left of the timeout in *tv: made again
 * with the same tv, it waits only for the rest. */
static int select_resumed(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    struct fd_copies f;
    int again = fds_save(&f, n, r, w, e), saved = errno;
    for (;;) {
        unsigned h = tl_signal_hits;
        int rc = tl_real.select(n, r, w, e, tv);
        if (rc != -1 || errno != EINTR || tl_signal_hits == h || !again)
            return rc;
        errno = saved;
        fds_restore(&f);
    }
}

TL_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    tl_real_ensure();
    if (tv && tv->tv_sec == 0 && tv->tv_usec == 0)
        return tl_real.select(n, r, w, e, tv);
    return TL_WAIT(TL_WAIT_POLL, "select", 0, select_resumed(n, r, w, e, tv));
}

static int pselect_resumed(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                           const sigset_t *mask)
{
    struct fd_copies f;
    int again = fds_save(&f, n, r, w, e), saved = errno;
    uint64_t start = tl_mono_ns(), total = ts ? tl_ts_ns(ts) : 0;
    struct timespec left;
    for (;;) {
        unsigned h = tl_signal_hits;
        int rc = tl_real.pselect(n, r, w, e, ts, mask);
        if (rc != -1 || errno != EINTR || tl_signal_hits == h || !again)
            return rc;
        errno = saved;
        fds_restore(&f);
        if (ts) {
            left = tl_ns_ts(tl_left_ns(start, total));
            ts = &left;
        }
    }
}

TL_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                      const sigset_t *mask)
{
    tl_real_ensure();
    if (zero_ts(ts))
        return tl_real.pselect(n, r, w, e, ts, mask);
    return TL_WAIT(TL_WAIT_POLL, "pselect", 0, pselect_resumed(n, r, w, e, ts, mask));
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
    if (zero_ts(ts))
        return tl_real.epoll_pwait2(ep, ev, max, ts, mask);
    tl_sampler_if_missing(); /* not async-signal-safe: may start it */
    return TL_WAIT(TL_WAIT_POLL, "epoll_pwait2", (uint64_t)ep,
                   TL_POLL_TS(ts, tl_real.epoll_pwait2(ep, ev, max, p, mask)));
}
