/* Reading the counters files of the user's preloaded processes
 * (common/counters_file.h) without touching the processes: the same checks
 * the library made when it created them, then a consistent copy of each. */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/counters.h"
#include "common/channel.h"
#include "common/clock.h"

/* Field 22 of /proc/PID/stat, 0 when the process is gone. */
static uint64_t proc_start_ticks(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    return tl_read_small(path, buf, sizeof buf) ? 0 : tl_proc_start_ticks(buf);
}

/* A consistent copy: the sampler may be writing while we read. */
static int read_one(int dfd, const char *name, int pid, struct tl_cfile *out)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
             st.st_nlink == 1 && st.st_size >= (off_t)sizeof *out;
    for (int tries = 0; ok && tries < 100; tries++) {
        uint64_t before;
        if (pread(fd, &before, sizeof before, offsetof(struct tl_cfile, seq)) != sizeof before) {
            ok = 0;
            break;
        }
        if (pread(fd, out, sizeof *out, 0) != (ssize_t)sizeof *out) {
            ok = 0;
            break;
        }
        if (!(before & 1) && out->seq == before) {
            close(fd);
            return memcmp(out->magic, TL_CFILE_MAGIC, sizeof out->magic) == 0 && out->pid == pid
                       ? 0
                       : -1;
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    close(fd);
    return -1;
}

int tl_counters_list(struct tl_cfile **out, int *n)
{
    char dir[64];
    tl_channel_dir(dir, sizeof dir, (unsigned)geteuid());
    *out = NULL;
    *n = 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -1;
    struct stat st;
    if (fstat(dfd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        close(dfd);
        errno = EPERM; /* not ours, or others could have planted files */
        return -1;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    int cap = 0;
    uint64_t now_ns = tl_clock_ns(CLOCK_REALTIME);
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (end == e->d_name || strcmp(end, ".counters") != 0 || pid <= 0 || pid > 4194304)
            continue;
        struct tl_cfile c;
        if (read_one(dirfd(d), e->d_name, (int)pid, &c) != 0)
            continue;
        /* A file left by a process that is gone, or whose pid was reused. */
        if (!c.updated_unix_ns || proc_start_ticks((int)pid) != c.start_ticks)
            continue;
        /* Not updated for five periods (at least 10 s): its sampler stopped,
         * or the program exec'd into one without the library. */
        uint64_t stale_ns = 5ull * c.interval_ms * 1000000ull;
        if (stale_ns < 10000000000ull)
            stale_ns = 10000000000ull;
        if (now_ns > c.updated_unix_ns && now_ns - c.updated_unix_ns > stale_ns)
            continue;
        c.program[sizeof c.program - 1] = 0;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = tl_xrealloc(*out, (size_t)cap, sizeof **out);
        }
        (*out)[(*n)++] = c;
    }
    closedir(d);
    return 0;
}
