/* The counters file (common/counters_file.h), written by the sampler thread
 * only, once a period: wrappers never see it. Secured as the JVM's
 * hsperfdata learned to be: the per-user directory must not be a symlink,
 * must be ours and nobody else's to enter; the file is opened O_NOFOLLOW,
 * mode 0600, refused with more than one link, truncated only after those
 * checks, filled before it is mapped (a full disk fails here, not with
 * SIGBUS later), removed at exit. The directory is the request channel's
 * (common/channel.h), whose announcement removes every <pid>.<kind> file of
 * a dead process, ours included. Anything wrong: no file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/counters_file.h"
#include "preload/channel.h"
#include "preload/config.h"
#include "preload/counters_file.h"
#include "preload/log.h"
#include "preload/program.h"
#include "preload/snapshot.h"

_Static_assert(sizeof(struct tl_cfile) <= TL_CFILE_SIZE, "the counters file is one page");

static struct tl_cfile *map;
static int failed;
static char path[96];

/* Something planted or unsafe is worth a line on stderr; a /tmp that is
 * full or read-only only at THREADLEAK_LOG=debug (nobody asked for serve). */
static int fail(const char *what, int unsafe)
{
    if (unsafe)
        tl_log_once(TL_ONCE_COUNTERS, "no counters file for threadleak serve: %s", what);
    else
        tl_log(TL_LOG_DEBUG, "no counters file for threadleak serve: %s", what);
    failed = 1;
    return -1;
}

static int create(void)
{
    char dir[64], name[32];
    uid_t uid = geteuid(); /* the owner of what we create */
    tl_channel_dir(dir, sizeof dir, (unsigned)uid);
    tl_channel_file(name, sizeof name, (int)getpid(), "counters");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fail(strerror(errno), 0);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dfd < 0)
        return errno == ELOOP || errno == ENOTDIR
                   ? fail("/tmp/threadleak-<euid> is a symlink or not a directory", 1)
                   : fail(strerror(errno), 0);
    if (fstat(dfd, &st) != 0 || st.st_uid != uid || (st.st_mode & 077)) {
        close(dfd);
        return fail("/tmp/threadleak-<euid> is not ours alone", 1);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    close(dfd);
    if (fd < 0)
        return fail(errno == ELOOP ? "a symlink is where the counters file goes" : strerror(errno),
                    errno == ELOOP);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid || st.st_nlink != 1 ||
        (st.st_mode & 077)) {
        close(fd);
        return fail("the counters file is not a private file of ours with one link", 1);
    }
    static const char page[TL_CFILE_SIZE];
    if (ftruncate(fd, 0) != 0 || tl_real.write(fd, page, sizeof page) != sizeof page) {
        close(fd);
        unlink(path);
        return fail(strerror(errno), 0);
    }
    void *m = mmap(NULL, TL_CFILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        unlink(path);
        return fail(strerror(errno), 0);
    }
    map = m;
    map->version = 1;
    map->size = sizeof *map;
    map->pid = (int32_t)getpid();
    map->interval_ms = (uint32_t)tl_config.interval_ms;
    map->start_ticks = tl_own_start_ticks();
    map->deadlocked = -1;
    snprintf(map->program, sizeof map->program, "%s", tl_program_name());
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(map->magic, TL_CFILE_MAGIC, sizeof map->magic); /* whole from here on */
    return 0;
}

TL_HIDDEN void tl_cfile_open(void)
{
    if (tl_config.counters && !tl_config.secure && !failed && !map)
        create();
}

TL_HIDDEN void tl_cfile_update(void)
{
    if (!tl_config.counters || tl_config.secure || failed || (!map && create() != 0))
        return;
    tl_counts c;
    tl_count(&c);
    uint64_t now = tl_clock_ns(CLOCK_REALTIME);
    uint64_t seq = map->seq;
    __atomic_store_n(&map->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    map->updated_unix_ns = now;
    map->live = c.live;
    map->running = c.running;
    map->blocked = c.blocked;
    map->exited_unjoined = c.exited_unjoined;
    map->created = c.created;
    map->joined = c.joined;
    map->detached = c.detached;
    if (c.live > map->peak)
        map->peak = c.live;
    for (int i = 0; i < TL_WAIT_COUNT && i < TL_CFILE_WAITS; i++)
        map->by_wait[i] = c.by_wait[i];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&map->seq, seq + 2, __ATOMIC_RELAXED);
}

TL_HIDDEN void tl_cfile_remove(void)
{
    if (map && path[0])
        unlink(path);
}

TL_HIDDEN void tl_cfile_after_fork_child(void)
{
    /* The parent's file, still mapped here: the child neither writes nor
     * removes it, and makes its own when its sampler starts. */
    if (map)
        munmap(map, TL_CFILE_SIZE);
    map = NULL;
    failed = 0;
    path[0] = 0;
}
