/* The request channel, the library's side (the contract and its reasons are
 * in src/common/channel.h). Only the sampler thread opens files here, and
 * it keeps no descriptor: the page stays mapped, the descriptor is closed
 * at once. The directory is checked like the JVM's hsperfdata directory:
 * not a symlink, owned by our euid, nobody else may enter. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/channel.h"
#include "preload/config.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/proc_file.h"

/* MAX_CREATED bounds the pages a process maps when something keeps
 * removing its announcement (a page a handler may use is never unmapped). */
enum { MAX_PAGES = 16, MAX_CREATED = 64, RETRY_PERIODS = 30 };

static int private_word;
/* What the sampler sleeps on; the signal handler reads it. A page once
 * published is never unmapped while a handler could still be using it. */
static int *wake_addr = &private_word;
/* One announcement per effective uid the process has had: a process that
 * switches back and forth (seteuid around privileged work) reuses them. */
struct announced {
    struct tl_channel_page *page;
    unsigned uid;
    dev_t dev;
    ino_t ino;
    char ctl[128], req[128];
};
static struct announced all[MAX_PAGES];
static int n_all;
static struct announced *cur;        /* the current euid's */
static struct tl_channel_page *page; /* cur->page */
static uint32_t flags;
static int retry_in; /* periods before another try after a failure */
static int created;

static long futex(int *w, int op, const struct timespec *ts)
{
    if (w == &private_word)
        op |= FUTEX_PRIVATE_FLAG; /* a private word is keyed by address space, a page by file */
    return tl_real.syscall(SYS_futex, (long)w, op, op & FUTEX_WAKE ? 1 : 0, (long)ts, 0, 0);
}

TL_HIDDEN void tl_channel_wake(void)
{
    int *w = __atomic_load_n(&wake_addr, __ATOMIC_ACQUIRE);
    __atomic_store_n(w, 1, __ATOMIC_RELEASE);
    futex(w, FUTEX_WAKE, NULL);
}

TL_HIDDEN int tl_channel_sleep(int ms)
{
    int *w = __atomic_load_n(&wake_addr, __ATOMIC_ACQUIRE);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    futex(w, FUTEX_WAIT, &ts);
    return __atomic_exchange_n(w, 0, __ATOMIC_ACQ_REL) != 0;
}

TL_HIDDEN uint64_t tl_own_start_ticks(void)
{
    char buf[1024];
    return tl_proc_file("/proc/self/stat", buf, sizeof buf) ? 0 : tl_proc_start_ticks(buf);
}

/* Announcements and requests of processes that ended without removing them
 * (killed, or exec'ed into a program without the library). */
static void remove_stale(int dfd)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid = 0, end = 0;
        const char *name = e->d_name[0] == '.' ? e->d_name + 1 : e->d_name;
        if (sscanf(name, "%d.%*[a-z]%n", &pid, &end) != 1 || name[end] || pid <= 0 ||
            pid == getpid())
            continue;
        if (kill(pid, 0) != 0 && errno == ESRCH)
            unlinkat(dfd, e->d_name, 0);
    }
    closedir(d);
}

static void switch_to(struct announced *a)
{
    cur = a;
    page = a->page;
    /* A wake-up sent to the old word just before the switch would be
     * lost: the sampler goes round once more before it sleeps here, and
     * sees whatever that wake-up was for (its flag was set first). */
    __atomic_store_n(&a->page->wake, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&wake_addr, &a->page->wake, __ATOMIC_RELEASE);
}

/* 1 when a's file is still in place (not removed or replaced). */
static int in_place(const struct announced *a)
{
    struct stat st;
    return stat(a->ctl, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino;
}

/* dir, created if need be, open: only when it is ours alone (0700, our
 * uid), for never writing where another user could. A descriptor or -errno. */
static int open_private_dir(const char *dir, unsigned uid)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    struct stat st;
    if (fstat(dfd, &st) != 0 || st.st_uid != uid || (st.st_mode & 077)) {
        close(dfd);
        return -EPERM; /* not our private directory: never write there */
    }
    return dfd;
}

/* The page, mapped from a new file tmp in dfd, with its header filled in;
 * the file's identity in *st. NULL with errno set. */
static struct tl_channel_page *new_page(int dfd, const char *tmp, struct stat *st)
{
    unlinkat(dfd, tmp, 0);
    int fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    void *p = MAP_FAILED;
    if (ftruncate(fd, TL_CHANNEL_SIZE) == 0 && fstat(fd, st) == 0)
        p = mmap(NULL, TL_CHANNEL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        unlinkat(dfd, tmp, 0);
        errno = e;
        return NULL;
    }
    struct tl_channel_page *np = p;
    np->magic = TL_CHANNEL_MAGIC;
    np->version = TL_CHANNEL_VERSION;
    np->pid = (int32_t)getpid();
    np->start_ticks = tl_own_start_ticks();
    np->interval_ms = tl_config.interval_ms;
    np->signal = tl_config.signal;
    np->flags = flags;
    return np;
}

/* Remembers the page published for uid as dir/name, and makes it current. */
static void remember(unsigned uid, struct tl_channel_page *np, const struct stat *st,
                     const char *dir, const char *name)
{
    struct announced *a = NULL;
    for (int i = 0; i < n_all && !a; i++)
        if (all[i].uid == uid)
            a = &all[i]; /* its file was removed: its old page stays mapped, unused */
    if (!a)
        a = &all[n_all++];
    a->page = np;
    a->uid = uid;
    a->dev = st->st_dev;
    a->ino = st->st_ino;
    snprintf(a->ctl, sizeof a->ctl, "%s/%s", dir, name);
    char req[32];
    tl_channel_file(req, sizeof req, (int)getpid(), "req");
    snprintf(a->req, sizeof a->req, "%s/%s", dir, req);
    switch_to(a);
}

/* A new page, published as <pid>.ctl in our uid's directory; 0 or -errno. */
static int create(unsigned uid)
{
    char dir[64], name[32], tmp[40];
    if (n_all == MAX_PAGES || created == MAX_CREATED)
        return -EMFILE;
    tl_channel_dir(dir, sizeof dir, uid);
    tl_channel_file(name, sizeof name, (int)getpid(), "ctl");
    snprintf(tmp, sizeof tmp, ".%s", name);
    int dfd = open_private_dir(dir, uid);
    if (dfd < 0)
        return dfd;
    remove_stale(dfd);
    struct stat st;
    struct tl_channel_page *np = new_page(dfd, tmp, &st);
    if (!np) {
        int e = errno;
        close(dfd);
        return -e;
    }
    if (renameat(dfd, tmp, dfd, name) != 0) {
        int e = errno;
        unlinkat(dfd, tmp, 0);
        close(dfd);
        munmap(np, TL_CHANNEL_SIZE);
        return -e;
    }
    close(dfd);
    created++;
    remember(uid, np, &st, dir, name);
    return 0;
}

TL_HIDDEN void tl_channel_announce(int check_file)
{
    if (tl_config.secure)
        return;
    unsigned uid = (unsigned)geteuid();
    if (cur && cur->uid == uid && (!check_file || in_place(cur)))
        return;
    for (int i = 0; i < n_all; i++)
        if (all[i].uid == uid && &all[i] != cur && in_place(&all[i])) {
            switch_to(&all[i]);
            return;
        }
    if (retry_in > 0) {
        retry_in--;
        return;
    }
    int rc = create(uid);
    if (rc) {
        retry_in = RETRY_PERIODS;
        tl_log(TL_LOG_DEBUG,
               "cannot announce the request channel in /tmp/threadleak-%u: %s; "
               "threadleak dump cannot reach pid %d",
               uid, strerror(-rc), (int)getpid());
    }
}

TL_HIDDEN int tl_channel_take(struct tl_request *r)
{
    if (!page)
        return 0;
    int fd = open(cur->req, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    char buf[TL_REQUEST_MAX];
    ssize_t n = -1;
    /* only our uid (or root writing as us) can create it in our directory */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == cur->uid)
        n = tl_real.read(fd, buf, sizeof buf);
    close(fd);
    unlink(cur->req);
    if (n <= 0 || n >= (ssize_t)sizeof buf || tl_request_parse(buf, (size_t)n, r) != 0)
        return -1;
    return 1;
}

TL_HIDDEN void tl_channel_served(void)
{
    if (page)
        __atomic_add_fetch(&page->served, 1, __ATOMIC_RELEASE);
}

TL_HIDDEN void tl_channel_set_flag(uint32_t flag)
{
    flags |= flag;
    if (page)
        __atomic_or_fetch(&page->flags, flag, __ATOMIC_RELEASE);
}

TL_HIDDEN void tl_channel_remove(void)
{
    if (!page || page->pid != (int32_t)getpid())
        return;                       /* a forked child's copy of its parent's state */
    for (int i = 0; i < n_all; i++) { /* those of uids we no longer are may stay */
        unlink(all[i].ctl);
        unlink(all[i].req);
    }
}

TL_HIDDEN void tl_channel_after_fork_child(void)
{
    /* The pages are the parent's: a request for the parent must not wake
     * this child. Only this thread exists, so no handler can be between
     * reading wake_addr and using it when the pages go. */
    __atomic_store_n(&wake_addr, &private_word, __ATOMIC_RELEASE);
    for (int i = 0; i < n_all; i++)
        munmap(all[i].page, TL_CHANNEL_SIZE);
    n_all = 0;
    created = 0;
    cur = NULL;
    page = NULL;
    private_word = 0;
    retry_in = 0;
}
