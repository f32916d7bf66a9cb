#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/log.h"
#include "preload/real.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

TL_HIDDEN int tl_log_level = TL_LOG_WARN;
static int said[TL_ONCE_COUNT];

/* The sampler keeps no copy of the program's stderr (a copy would hold a
 * pipe open after the program closed it, and its reader would never see the
 * end): for a message it borrows what the program's descriptor 2 is now. */
static __thread int borrow_stderr, lent;

TL_HIDDEN void tl_log_borrow_stderr(void)
{
    borrow_stderr = 1;
}

/* A descriptor for what the program's descriptor 2 is now, or -1. */
static int program_stderr_now(void)
{
    int fd = -1;
    int pidfd = (int)tl_real.syscall(SYS_pidfd_open, (long)getpid(), 0, 0, 0, 0, 0);
    if (pidfd >= 0) {
        fd = (int)tl_real.syscall(SYS_pidfd_getfd, (long)pidfd, STDERR_FILENO, 0, 0, 0, 0);
        close(pidfd);
    }
    /* Kernels before 5.6: a new open of the same file, appended to */
    if (fd < 0)
        fd = open("/proc/self/fd/2", O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
    return fd;
}

/* While the sampler works (a dump, a request), its descriptor 2 is the
 * program's, so that what goes wrong there is said where the program's
 * own messages go: a sanitizer's report, glibc's heap-corruption abort.
 * Between, it is /dev/null and holds nothing of the program's open. */
TL_HIDDEN void tl_log_lend_stderr(int on)
{
    if (!borrow_stderr || on == lent)
        return;
    int fd = on ? program_stderr_now() : open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fd != STDERR_FILENO) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    lent = on;
}

static int program_stderr(void)
{
    if (!borrow_stderr || lent)
        return STDERR_FILENO;
    return program_stderr_now();
}

static void vlog(const char *fmt, va_list ap)
{
    char line[512];
    int saved = errno;
    int n = snprintf(line, sizeof line, "threadleak: ");
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    tl_real_ensure();
    int fd = program_stderr();
    if (fd >= 0) {
        ssize_t w = tl_real.write(fd, line, (size_t)n);
        (void)w;
    }
    if (fd != STDERR_FILENO && fd >= 0)
        close(fd);
    errno = saved;
}

TL_HIDDEN void tl_log(int level, const char *fmt, ...)
{
    if (level > tl_log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

TL_HIDDEN void tl_log_once(enum tl_once what, const char *fmt, ...)
{
    if (tl_log_level < TL_LOG_WARN || __atomic_exchange_n(&said[what], 1, __ATOMIC_RELAXED))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}
