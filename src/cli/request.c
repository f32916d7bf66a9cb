/* Asking a live preloaded process for a dump, through the request channel
 * of src/common/channel.h: find the process's announcement in the private
 * directory of its effective uid (in its own /tmp, through /proc/PID/root),
 * check it is this process's, write the request as that uid, and wake its
 * sampler with a futex wake on the announced page. No signal is sent. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/channel.h"
#include "common/env_syntax.h"

typedef struct target {
    int pid;              /* as we see it */
    int nspid;            /* as it sees itself: its files are named so */
    unsigned euid, egid;  /* as we see them: the owner of its directory */
    unsigned ns_euid;     /* as it sees it: its directory's name */
    int threads;          /* the kernel's count, -1 unknown */
    uint64_t start_ticks; /* tells it from an earlier process with its pid */
} target;

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

/* An id as the process's user namespace sees it (uid_map as read by us). */
static unsigned ns_id(int pid, unsigned id)
{
    size_t len;
    char *map = read_proc(pid, "uid_map", &len);
    unsigned r = id;
    for (char *p = map; p && *p;) {
        unsigned long inside, outside, count;
        char *next = strchr(p, '\n');
        if (sscanf(p, "%lu %lu %lu", &inside, &outside, &count) == 3 && id >= outside &&
            id - outside < count) {
            r = (unsigned)(inside + (id - outside));
            break;
        }
        p = next ? next + 1 : NULL;
    }
    free(map);
    return r;
}

static int probe(int pid, target *t)
{
    memset(t, 0, sizeof *t);
    t->pid = t->nspid = pid;
    t->threads = -1;
    size_t len;
    char *st = read_proc(pid, "status", &len);
    if (!st)
        return -1;
    const char *v;
    unsigned uid[4], gid[4]; /* real, effective, saved, filesystem */
    int bad = !(v = tl_status_field(st, "Uid")) ||
              sscanf(v, "%u %u %u %u", &uid[0], &uid[1], &uid[2], &uid[3]) != 4 ||
              !(v = tl_status_field(st, "Gid")) ||
              sscanf(v, "%u %u %u %u", &gid[0], &gid[1], &gid[2], &gid[3]) != 4;
    if (!bad) {
        t->euid = uid[1];
        t->egid = gid[1];
    }
    if ((v = tl_status_field(st, "Threads")))
        t->threads = atoi(v);
    if ((v = tl_status_field(st, "NSpid"))) {
        const char *eol = strchr(v, '\n');
        for (const char *p = v; *p && (!eol || p < eol); p++) /* the innermost is last */
            if (p[0] != ' ' && p[0] != '\t' && (p == v || p[-1] == ' ' || p[-1] == '\t'))
                t->nspid = atoi(p);
    }
    free(st);
    char *stat = read_proc(pid, "stat", &len);
    if (stat)
        t->start_ticks = tl_proc_start_ticks(stat);
    free(stat);
    t->ns_euid = ns_id(pid, t->euid);
    return bad ? -1 : 0;
}

/* dir opened as the process sees it: inside its root, where a symlink of
 * its (say, a container's /tmp) resolves within that root, not in ours. */
static int open_in_root(int pid, const char *dir)
{
    char root[64];
    snprintf(root, sizeof root, "/proc/%d/root", pid);
    int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        return -1;
    struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int dfd = (int)syscall(SYS_openat2, rfd, dir + 1, &how, sizeof how);
    if (dfd < 0 && errno == ENOSYS) /* before Linux 5.6 */
        dfd = openat(rfd, dir + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    close(rfd);
    errno = e;
    return dfd;
}

/* The process's channel directory, checked: ours to trust only when it is
 * a real directory owned by the process's euid that nobody else may enter. */
static int open_dir(const target *t, char *path, size_t pathlen, char *err, size_t errlen)
{
    char dir[64];
    tl_channel_dir(dir, sizeof dir, t->ns_euid);
    snprintf(path, pathlen, "/proc/%d/root%s", t->pid, dir);
    int dfd = open_in_root(t->pid, dir);
    if (dfd < 0 && errno == EACCES) { /* no access to its root: our /tmp is the best guess */
        snprintf(path, pathlen, "%s", dir);
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (dfd < 0) {
        if (errno == EACCES)
            snprintf(err, errlen,
                     "pid %d runs as uid %u and %s is not open to us: run threadleak as that "
                     "user or as root",
                     t->pid, t->euid, dir);
        else
            snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(dfd, &st) != 0 || st.st_uid != t->euid || (st.st_mode & 077)) {
        snprintf(err, errlen,
                 "%s is not a private directory of uid %u (mode 0700): not trusted; remove it", dir,
                 t->euid);
        close(dfd);
        errno = EPERM; /* refused, not missing */
        return -1;
    }
    return dfd;
}

/* The process's announced page, mapped; NULL when there is none for this
 * very process (none yet, or one left by an earlier process of that pid). */
static struct tl_channel_page *open_page(int dfd, const target *t)
{
    char name[32];
    tl_channel_file(name, sizeof name, t->nspid, "ctl");
    int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == t->euid &&
        st.st_size >= TL_CHANNEL_SIZE)
        p = mmap(NULL, TL_CHANNEL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return NULL;
    struct tl_channel_page *pg = p;
    if (pg->magic != TL_CHANNEL_MAGIC || pg->version != TL_CHANNEL_VERSION || pg->pid != t->nspid ||
        (t->start_ticks && pg->start_ticks != t->start_ticks)) {
        munmap(p, TL_CHANNEL_SIZE);
        return NULL;
    }
    return pg;
}

static void close_page(struct tl_channel_page *pg)
{
    if (pg)
        munmap(pg, TL_CHANNEL_SIZE);
}

typedef struct channel {
    target t;
    int dfd;
    struct tl_channel_page *page;
    char dir[PATH_MAX];
} channel;

/* 0 with the channel open, 1 when the process has none (why in err), -1. */
static int channel_open(int pid, channel *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->dfd = -1;
    if (probe(pid, &c->t)) {
        snprintf(err, errlen, "cannot read /proc/%d/status: %s", pid, strerror(errno));
        return -1;
    }
    c->dfd = open_dir(&c->t, c->dir, sizeof c->dir, err, errlen);
    if (c->dfd < 0 && errno != ENOENT)
        return -1;
    if (c->dfd >= 0)
        c->page = open_page(c->dfd, &c->t);
    if (c->page)
        return 0;
    if (c->t.threads == 1)
        snprintf(err, errlen,
                 "it has a single thread, and threadleak's sampler starts with a program's "
                 "first thread (a lone main thread cannot leak one)");
    else
        snprintf(err, errlen,
                 "no sampler of threadleak's announced itself in /tmp/threadleak-%u/ (is it "
                 "running under libthreadleak.so, with a writable /tmp?)",
                 c->t.ns_euid);
    return 1;
}

static void channel_close(channel *c)
{
    close_page(c->page);
    if (c->dfd >= 0)
        close(c->dfd);
}

static void wake(struct tl_channel_page *pg)
{
    __atomic_store_n(&pg->wake, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &pg->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Writes the request as the process's uid (aside, then linked into place:
 * never over a pending one). 0, 1 when one is pending, -1. */
static int place_request(channel *c, const char *body, size_t n, char *err, size_t errlen)
{
    char req[32], tmp[64];
    tl_channel_file(req, sizeof req, c->t.nspid, "req");
    snprintf(tmp, sizeof tmp, ".%s-%d", req, (int)getpid());
    unlinkat(c->dfd, tmp, 0);
    int fd = openat(c->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write in %s: %s", c->dir, strerror(errno));
        return -1;
    }
    int bad = write(fd, body, n) != (ssize_t)n;
    if (!bad && geteuid() != c->t.euid)
        bad = fchown(fd, c->t.euid, c->t.egid) != 0;
    bad |= close(fd) != 0;
    int rc = 0;
    if (bad) {
        snprintf(err, errlen, "cannot write %s/%s: %s", c->dir, tmp, strerror(errno));
        rc = -1;
    } else if (linkat(c->dfd, tmp, c->dfd, req, 0) != 0) {
        rc = errno == EEXIST ? 1 : -1;
        if (rc < 0)
            snprintf(err, errlen, "cannot write %s/%s: %s", c->dir, req, strerror(errno));
    }
    unlinkat(c->dfd, tmp, 0);
    return rc;
}

/* How long the process has run, in ms; a large number when unknown. */
static long age_ms(int pid)
{
    size_t len;
    char *stat = read_proc(pid, "stat", &len);
    uint64_t start = stat ? tl_proc_start_ticks(stat) : 0;
    free(stat);
    double up = 0;
    FILE *f = fopen("/proc/uptime", "r");
    int ok = f && fscanf(f, "%lf", &up) == 1;
    if (f)
        fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (!ok || !start || hz <= 0)
        return 1L << 30;
    return (long)(up * 1000.0) - (long)(start * 1000 / (uint64_t)hz);
}

int tl_request_dump(int pid, const char *stem, const char *format, int threads, int running,
                    char *err, size_t errlen)
{
    struct tl_request r = {
        .formats = tl_parse_formats(format), .detail_threads = threads, .running = running};
    char body[TL_REQUEST_MAX];
    snprintf(r.stem, sizeof r.stem, "%s", stem);
    int n = strlen(stem) < sizeof r.stem ? tl_request_format(body, sizeof body, &r) : -1;
    if (n < 0) {
        snprintf(err, errlen, "not a dump path a process can be asked for: %s", stem);
        return -1;
    }
    channel c;
    /* A process with threads but no announcement yet may be starting its
     * sampler (it announces itself as it starts): give a young one a moment. */
    int rc;
    for (long until = tl_now_ms() + (age_ms(pid) < 5000 ? 2000 : 0);; tl_sleep_ms(20)) {
        rc = channel_open(pid, &c, err, errlen);
        if (rc != 1 || c.t.threads == 1 || tl_now_ms() > until || kill(pid, 0) != 0)
            break;
        channel_close(&c);
    }
    if (rc) {
        channel_close(&c);
        return rc;
    }
    /* a pending request (another dump or run asking): its turn first */
    long deadline = tl_now_ms() + 1000 + 2 * c.page->interval_ms;
    while ((rc = place_request(&c, body, (size_t)n, err, errlen)) == 1 && tl_now_ms() < deadline) {
        wake(c.page);
        tl_sleep_ms(10);
    }
    if (rc == 1)
        snprintf(err, errlen, "another request for pid %d is still waiting in %s", pid, c.dir);
    else if (rc == 0)
        wake(c.page);
    channel_close(&c);
    return rc ? -1 : 0;
}

static int req_exists(int pid, int unlink_it)
{
    channel c;
    char err[256];
    int found = 0;
    if (channel_open(pid, &c, err, sizeof err) >= 0 && c.dfd >= 0) {
        char req[32];
        tl_channel_file(req, sizeof req, c.t.nspid, "req");
        found = faccessat(c.dfd, req, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
        if (found && unlink_it)
            unlinkat(c.dfd, req, 0);
    }
    channel_close(&c);
    return found;
}

int tl_request_pending(int pid)
{
    return req_exists(pid, 0);
}

void tl_request_cancel(int pid)
{
    req_exists(pid, 1);
}

long tl_proc_interval_ms(int pid)
{
    channel c;
    char err[256];
    long ms = TL_INTERVAL_MS_DEFAULT;
    if (channel_open(pid, &c, err, sizeof err) == 0 && c.page->interval_ms >= TL_INTERVAL_MS_MIN &&
        c.page->interval_ms <= TL_INTERVAL_MS_MAX)
        ms = c.page->interval_ms;
    channel_close(&c);
    return ms;
}

int tl_proc_has_lib(int pid)
{
    size_t len;
    char *maps = read_proc(pid, "maps", &len);
    if (!maps)
        return -1;
    int r = len == 0 ? -1 : strstr(maps, "libthreadleak") != NULL;
    free(maps);
    return r;
}

int tl_request_tmpdir(int pid, char *dir, size_t dirlen, char *local_stem, size_t local_len,
                      char *remote_stem, size_t remote_len, char *err, size_t errlen)
{
    /* The process writes the dump in its own /tmp: when its mount namespace
     * has another one (a container, systemd's PrivateTmp), we reach it
     * through its root. */
    char root_tmp[64];
    struct stat ours, theirs;
    snprintf(root_tmp, sizeof root_tmp, "/proc/%d/root/tmp", pid);
    int elsewhere = stat("/tmp", &ours) == 0 && stat(root_tmp, &theirs) == 0 &&
                    (ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino);
    const char *tmp = getenv("TMPDIR");
    if (elsewhere)
        snprintf(dir, dirlen, "%s/threadleak-dump.XXXXXX", root_tmp);
    else
        snprintf(dir, dirlen, "%s/threadleak-dump.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    unsigned char rnd[8];
    if (!mkdtemp(dir) || getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        snprintf(err, errlen,
                 "cannot create a temporary directory %s: %s; set TMPDIR to a writable one", dir,
                 strerror(errno));
        return -1;
    }
    /* Whatever uid the process writes as (one that dropped its privileges,
     * or switches between root and a user, even between writing its file
     * and renaming it into place: no sticky bit), it can create its dump
     * here; nobody else can list the directory or guess the random name. */
    if (chmod(dir, 0733) != 0) {
        snprintf(err, errlen, "cannot open %s to the process: %s", dir, strerror(errno));
        rmdir(dir);
        return -1;
    }
    char name[32];
    snprintf(name, sizeof name, "dump-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
             rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    snprintf(local_stem, local_len, "%s/%s", dir, name);
    if (elsewhere)
        snprintf(remote_stem, remote_len, "/tmp/%s/%s", strrchr(dir, '/') + 1, name);
    else
        snprintf(remote_stem, remote_len, "%s", local_stem);
    return 0;
}
