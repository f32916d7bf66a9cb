/* Blocking I/O. Whether a read will block is not known before it is made,
 * so every call is noted; the note is a few stores on the thread's own
 * slot. The object is the file descriptor. Calls interrupted only by the
 * dump signal (with a socket timeout, SA_RESTART does not restart them) are
 * made again; connect is not, as a second connect would change its answer. */
#include "preload/wrap.h"

/* A blocking transfer that a signal interrupts after some bytes went
 * through returns short. Bare, one interrupted only by our dump signal
 * would have gone on: writes, and reads with MSG_WAITALL, go on with the
 * rest (an error or another signal then answers with what went through). */
enum transfer { T_WRITE, T_SEND, T_RECV, T_WRITEV, T_SENDMSG, T_RECVMSG };

static ssize_t transfer_once(enum transfer k, int fd, char *buf, size_t n, const struct iovec *iov,
                             int cnt, int flags)
{
    struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
    switch (k) {
    case T_WRITE:
        return tl_real.write(fd, buf, n);
    case T_SEND:
        return tl_real.send(fd, buf, n, flags);
    case T_RECV:
        return tl_real.recv(fd, buf, n, flags);
    case T_WRITEV:
        return tl_real.writev(fd, iov, cnt);
    case T_SENDMSG:
        return tl_real.sendmsg(fd, &m, flags);
    default:
        return tl_real.recvmsg(fd, &m, flags);
    }
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
    size_t n = 0;
    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    return n;
}

/* The rest of a transfer of `total` bytes after `done` went through, from
 * a buffer or an iovec array (the kernel has read it already): a part
 * short for any reason but our signal ends it. */
static __attribute__((noinline)) ssize_t go_on(enum transfer k, int fd, char *buf, size_t total,
                                               const struct iovec *iov, int cnt, int flags,
                                               ssize_t done)
{
    struct tl_retry rt = tl_retry_start();
    while ((size_t)done < total) {
        const struct iovec *v = iov;
        struct iovec part;
        int c = cnt;
        size_t asked = total - (size_t)done;
        if (iov) {
            size_t skip = (size_t)done;
            while (c > 0 && skip >= v->iov_len)
                skip -= v->iov_len, v++, c--;
            if (c == 0)
                break;
            if (skip) { /* the rest of a part-done entry first, alone */
                part.iov_base = (char *)v->iov_base + skip;
                part.iov_len = asked = v->iov_len - skip;
                v = &part, c = 1;
            }
        }
        tl_retry_try(&rt);
        ssize_t r = transfer_once(k, fd, buf ? buf + done : NULL, asked, v, c, flags);
        if (tl_retry_again(&rt, r))
            continue;
        if (r <= 0)
            break;
        done += r;
        if ((size_t)r < asked && !tl_retry_hit(&rt))
            break;
    }
    errno = rt.saved_errno; /* what went through is the answer */
    return done;
}

/* The calls whose first part has more than the rest: sendto's address
 * (it matters for datagrams only, which go whole or not at all),
 * recvfrom's (the first part's is the answer), and the program's msghdr of
 * sendmsg and recvmsg (name, control data, flags). The rest of the
 * transfer goes on with send, recv, or the msghdr's iovec array alone. */
struct head {
    struct msghdr *msg;
    const struct sockaddr *to;
    socklen_t to_len;
    struct sockaddr *from;
    socklen_t *from_len;
};

static ssize_t first(enum transfer k, int fd, char *buf, size_t n, const struct iovec *iov, int cnt,
                     int flags, const struct head *hd)
{
    if (!hd)
        return transfer_once(k, fd, buf, n, iov, cnt, flags);
    switch (k) {
    case T_SENDMSG:
        return tl_real.sendmsg(fd, hd->msg, flags);
    case T_RECVMSG:
        return tl_real.recvmsg(fd, hd->msg, flags);
    case T_SEND:
        return tl_real.sendto(fd, buf, n, flags, hd->to, hd->to_len);
    default:
        return tl_real.recvfrom(fd, buf, n, flags, hd->from, hd->from_len);
    }
}

/* The call, made again while only our signal interrupts it before any
 * byte went through, and gone on with when it did after some. hd: the
 * first part's own arguments, NULL when it has none. */
static ssize_t transfer(enum transfer k, int fd, char *buf, size_t n, const struct iovec *iov,
                        int cnt, int flags, const struct head *hd)
{
    struct tl_retry rt = tl_retry_start();
    for (;;) {
        tl_retry_try(&rt);
        ssize_t r = first(k, fd, buf, n, iov, cnt, flags, hd);
        if (tl_retry_again(&rt, r))
            continue;
        if (r <= 0 || tl_likely(!tl_retry_hit(&rt)))
            return r;
        if (k == T_RECV || k == T_RECVMSG) {
            if (!(flags & MSG_WAITALL))
                return r;
        }
        if (hd && hd->msg) { /* read once the call has shown it is valid */
            iov = hd->msg->msg_iov;
            cnt = (int)hd->msg->msg_iovlen;
        }
        size_t total = iov ? iov_total(iov, cnt) : n;
        return (size_t)r < total ? go_on(k, fd, buf, total, iov, cnt, flags, r) : r;
    }
}

#define TL_IO(name, fd, call)                                                                      \
    ({                                                                                             \
        tl_real_ensure();                                                                          \
        TL_WAIT(TL_WAIT_IO, name, (uint64_t)(fd), TL_RESUMED(call));                               \
    })

TL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    return TL_IO("read", fd, tl_real.read(fd, buf, n));
}

TL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    return TL_IO("readv", fd, tl_real.readv(fd, iov, n));
}

TL_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    return TL_IO("pread", fd, tl_real.pread(fd, buf, n, off));
}

TL_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    return TL_IO("pread", fd, tl_real.pread64(fd, buf, n, off));
}

/* Inlined into each exported name, whose frame TL_WAIT notes. */
static inline __attribute__((always_inline)) ssize_t
transfer_noted(const char *name, enum transfer k, int fd, const void *buf, size_t n,
               const struct iovec *iov, int cnt, int flags, const struct head *hd)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_IO, name, (uint64_t)fd,
                   transfer(k, fd, (char *)buf, n, iov, cnt, flags, hd));
}

TL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    return transfer_noted("write", T_WRITE, fd, buf, n, NULL, 0, 0, NULL);
}

TL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    return transfer_noted("writev", T_WRITEV, fd, NULL, 0, iov, n, 0, NULL);
}

TL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    return transfer_noted("recv", T_RECV, fd, buf, n, NULL, 0, flags, NULL);
}

TL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
                           socklen_t *alen)
{
    struct head hd = {.from = a, .from_len = alen};
    return transfer_noted("recvfrom", T_RECV, fd, buf, n, NULL, 0, flags, &hd);
}

TL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct head hd = {.msg = msg};
    return transfer_noted("recvmsg", T_RECVMSG, fd, NULL, 0, NULL, 0, flags, &hd);
}

TL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    return transfer_noted("send", T_SEND, fd, buf, n, NULL, 0, flags, NULL);
}

TL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
                         socklen_t alen)
{
    struct head hd = {.to = a, .to_len = alen};
    return transfer_noted("sendto", T_SEND, fd, buf, n, NULL, 0, flags, &hd);
}

TL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct head hd = {.msg = (struct msghdr *)msg};
    return transfer_noted("sendmsg", T_SENDMSG, fd, NULL, 0, NULL, 0, flags, &hd);
}

TL_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *alen)
{
    return TL_IO("accept", fd, tl_real.accept(fd, a, alen));
}

TL_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *alen, int flags)
{
    return TL_IO("accept4", fd, tl_real.accept4(fd, a, alen, flags));
}

TL_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t alen)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_IO, "connect", (uint64_t)fd, tl_real.connect(fd, a, alen));
}
