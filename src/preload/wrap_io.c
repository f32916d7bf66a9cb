/* Blocking I/O. Whether a read will block is not known before it is made,
 * so every call is noted; the note is a few stores on the thread's own
 * slot. The object is the file descriptor. Calls interrupted only by the
 * dump signal (with a socket timeout, SA_RESTART does not restart them) are
 * made again; connect is not, as a second connect would change its answer. */
#include "preload/wrap.h"

#define TL_IO(name, call)                                                                          \
    do {                                                                                           \
        tl_real_ensure();                                                                          \
        return TL_WAIT(TL_WAIT_IO, name, (uint64_t)fd, TL_RESUMED(call));                          \
    } while (0)

TL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    TL_IO("read", tl_real.read(fd, buf, n));
}

TL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    TL_IO("readv", tl_real.readv(fd, iov, n));
}

TL_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    TL_IO("pread", tl_real.pread(fd, buf, n, off));
}

TL_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
    TL_IO("pread", tl_real.pread64(fd, buf, n, off));
}

TL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    TL_IO("write", tl_real.write(fd, buf, n));
}

TL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    TL_IO("writev", tl_real.writev(fd, iov, n));
}

TL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    TL_IO("recv", tl_real.recv(fd, buf, n, flags));
}

TL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a,
                           socklen_t *alen)
{
    TL_IO("recvfrom", tl_real.recvfrom(fd, buf, n, flags, a, alen));
}

TL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    TL_IO("recvmsg", tl_real.recvmsg(fd, msg, flags));
}

TL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    TL_IO("send", tl_real.send(fd, buf, n, flags));
}

TL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
                         socklen_t alen)
{
    TL_IO("sendto", tl_real.sendto(fd, buf, n, flags, a, alen));
}

TL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    TL_IO("sendmsg", tl_real.sendmsg(fd, msg, flags));
}

TL_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *alen)
{
    TL_IO("accept", tl_real.accept(fd, a, alen));
}

TL_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *alen, int flags)
{
    TL_IO("accept4", tl_real.accept4(fd, a, alen, flags));
}

TL_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t alen)
{
    tl_real_ensure();
    return TL_WAIT(TL_WAIT_IO, "connect", (uint64_t)fd, tl_real.connect(fd, a, alen));
}
