/* Asking a live preloaded process for a dump: the request file
 * /tmp/threadleak-<uid>/request.<pid> (written aside, then renamed), then
 * the process's dump signal so its sampler serves it at once. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static void request_dir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/threadleak-%u", (unsigned)getuid());
}

static void request_path(char *out, size_t n, int pid, const char *suffix)
{
    char dir[64];
    request_dir(dir, sizeof dir);
    snprintf(out, n, "%s/request.%d%s", dir, pid, suffix);
}

/* A whole small /proc file; NUL-terminated, length in *len. */
static char *read_proc(int pid, const char *what, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = tl_xcalloc(cap + 1, 1);
    for (;;) {
        if (n == cap) {
            if (cap >= (4u << 20))
                break;
            cap *= 2;
            buf = tl_xrealloc(buf, cap + 1, 1);
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The value of NAME in the process's initial environment, copied to out. */
static int proc_env(int pid, const char *name, char *out, size_t outlen)
{
    size_t len, nl = strlen(name);
    char *env = read_proc(pid, "environ", &len);
    if (!env)
        return -1;
    int found = -1;
    for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
        if (strncmp(env + i, name, nl) == 0 && env[i + nl] == '=') {
            snprintf(out, outlen, "%s", env + i + nl + 1);
            found = 0;
        }
    }
    free(env);
    return found;
}

/* THREADLEAK_SIGNAL's syntax: a name with or without SIG, a number, none. */
static int parse_signal(const char *s)
{
    if (!s || !*s)
        return SIGUSR1;
    if (strcasecmp(s, "none") == 0)
        return 0;
    long n;
    if (tl_parse_long(s, 1, 64, &n) == 0)
        return (int)n;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (int i = 1; i < NSIG; i++) {
        const char *abbrev = sigabbrev_np(i);
        if (abbrev && strcasecmp(abbrev, s) == 0)
            return i;
    }
    return SIGUSR1; /* the library falls back to its default too */
}

/* 1 when pid has a handler installed for sig (SigCgt), 0 not, -1 unknown. */
static int catches(int pid, int sig)
{
    size_t len;
    char *st = read_proc(pid, "status", &len);
    if (!st)
        return -1;
    int r = -1;
    char *p = strstr(st, "\nSigCgt:");
    if (p) {
        unsigned long long mask = strtoull(p + 8, NULL, 16);
        r = (int)((mask >> (sig - 1)) & 1);
    }
    free(st);
    return r;
}

long threadleak_proc_interval_ms(int pid)
{
    char v[64];
    long ms;
    if (proc_env(pid, "THREADLEAK_INTERVAL_MS", v, sizeof v) == 0 &&
        tl_parse_long(v, 1, 3600000, &ms) == 0)
        return ms;
    return 1000;
}

int threadleak_proc_has_lib(int pid)
{
    size_t len;
    char *maps = read_proc(pid, "maps", &len);
    if (!maps)
        return -1;
    int r = len == 0 ? -1 : strstr(maps, "libthreadleak") != NULL;
    free(maps);
    return r;
}

int threadleak_request_pending(int pid)
{
    char path[128];
    request_path(path, sizeof path, pid, "");
    return access(path, F_OK) == 0;
}

void threadleak_request_cancel(int pid)
{
    char path[128];
    request_path(path, sizeof path, pid, "");
    unlink(path);
}

static int ensure_dir(char *err, size_t errlen)
{
    char dir[64];
    request_dir(dir, sizeof dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 0077)) {
        snprintf(err, errlen,
                 "%s is not a private directory of yours (mode 0700): remove it and retry", dir);
        return -1;
    }
    return 0;
}

int threadleak_request_dump(int pid, const char *stem, const char *format, int threads, char *err,
                            size_t errlen)
{
    char tmp[128], path[128], body[4096 + 64];
    if (ensure_dir(err, errlen))
        return -1;
    request_path(tmp, sizeof tmp, pid, ".tmp");
    request_path(path, sizeof path, pid, "");
    int n = snprintf(body, sizeof body, "stem=%s\nformat=%s\ndetail=%s\n", stem, format,
                     threads ? "threads" : "groups");
    if (n < 0 || (size_t)n >= sizeof body || strchr(stem, '\n')) {
        snprintf(err, errlen, "dump path too long or has a newline: %s", stem);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = write(fd, body, (size_t)n) != n;
    bad |= close(fd) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    char sv[64] = "";
    proc_env(pid, "THREADLEAK_SIGNAL", sv, sizeof sv);
    int sig = parse_signal(sv);
    /* Only a process that catches the signal gets it: an unhandled SIGUSR1
     * would kill a program the library is not (yet) loaded into. */
    if (sig > 0 && catches(pid, sig) == 1)
        kill(pid, sig);
    return 0;
}
