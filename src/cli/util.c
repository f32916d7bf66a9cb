/* Small helpers shared by the command's files: messages, numbers,
 * durations, clocks, memory. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/clock.h"

void tl_msg(const char *fmt, ...)
{
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "threadleak: %s\n", line);
}

int tl_parse_duration(const char *s, long *ms)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0)
        return -1;
    double scale;
    if (strcmp(end, "ms") == 0)
        scale = 1;
    else if (strcmp(end, "s") == 0)
        scale = 1000;
    else if (strcmp(end, "m") == 0)
        scale = 60000;
    else
        return -1;
    double r = v * scale;
    if (r > 1e12 || (r > 0 && r < 1))
        return -1;
    *ms = (long)llround(r);
    return 0;
}

int tl_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

long tl_now_ms(void)
{
    return (long)(tl_mono_ns() / 1000000);
}

void tl_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

int tl_read_small(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t k = read(fd, buf, n - 1);
    close(fd);
    if (k < 0)
        return -1;
    buf[k] = 0;
    return 0;
}

char tl_stat_state(const char *stat_text)
{
    const char *rp = strrchr(stat_text, ')');
    return rp && rp[1] == ' ' && rp[2] ? rp[2] : '?';
}

const char *tl_status_field(const char *status, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1;
    return NULL;
}

void tl_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[PATH_MAX];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

void tl_die_oom(void)
{
    tl_msg("out of memory");
    exit(TL_EXIT_FAIL);
}

void *tl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        tl_die_oom();
    return p;
}

void *tl_xrealloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        tl_die_oom();
    void *q = realloc(p, (n * size) != 0 ? n * size : 1);
    if (!q)
        tl_die_oom();
    return q;
}

char *tl_xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        tl_die_oom();
    return p;
}
