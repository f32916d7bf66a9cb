#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "preload/log.h"
#include "preload/real.h"

TL_HIDDEN int tl_log_level = TL_LOG_WARN;
static int said[TL_ONCE_COUNT];

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
    ssize_t w = tl_real.write(STDERR_FILENO, line, (size_t)n);
    (void)w;
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
