/* `threadleak run`, the running part: start the program with the library
 * preloaded, read its series while it runs, ask it for dumps now and then
 * (for the suspects), stop it after --duration, and collect how it ended.
 * The program keeps our stdin, stdout and stderr. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/run.h"
#include "common/clock.h"

#define STOP_GRACE_MS 5000
#define DUMP_SPACING_MAX_MS 15000
#define LOOP_MS 25

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static int setenvf(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int setenvf(const char *name, const char *fmt, ...)
{
    char buf[PATH_MAX * 2 + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return setenv(name, buf, 1);
}

static int set_env(const tl_run_opts *o, const tl_run_result *r)
{
    const char *old = getenv("LD_PRELOAD");
    if (old && *old ? setenvf("LD_PRELOAD", "%s:%s", r->lib, old)
                    : setenvf("LD_PRELOAD", "%s", r->lib))
        return -1;
    return setenvf("THREADLEAK_INTERVAL_MS", "%ld", o->interval_ms) ||
           setenvf("THREADLEAK_SERIES", "%s/series.jsonl", r->dir) ||
           setenvf("THREADLEAK_OUTPUT", "%s/dump.%%p.%%n", r->dir) ||
           setenv("THREADLEAK_FORMAT", "text,json", 1) || setenv("THREADLEAK_EXIT_DUMP", "1", 1);
}

/* As root, the tree's processes may run as other users after dropping
 * privileges (nginx workers as nobody): they report into a directory only
 * the tree knows of — a random name (128 bits) under a private parent that
 * others can traverse but not list — writable by all, sticky, so that no one
 * replaces another's file. The series file is made for them, appendable by
 * all. Anyone who could write there already controls a process of the tree. */
static int open_for_the_tree(tl_run_result *r)
{
    unsigned char rnd[16];
    char hex[40], sub[PATH_MAX + 64], series[PATH_MAX + 96];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    snprintf(sub, sizeof sub, "%s/tree.%s", r->dir, hex);
    if (mkdir(sub, 0700) != 0 || chmod(sub, 01733) != 0 || chmod(r->dir, 0711) != 0)
        return -1;
    snprintf(series, sizeof series, "%s/series.jsonl", sub);
    int fd = open(series, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0622) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    if (strlen(sub) >= sizeof r->dir)
        return -1;
    snprintf(r->top_dir, sizeof r->top_dir, "%s", r->dir);
    memcpy(r->dir, sub, strlen(sub) + 1);
    return 0;
}

static int make_dir(const tl_run_opts *o, tl_run_result *r)
{
    if (o->out_dir) {
        if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
            tl_msg("--out %s: cannot create the directory: %s", o->out_dir, strerror(errno));
            return -1;
        }
        if (!realpath(o->out_dir, r->dir)) {
            tl_msg("--out %s: %s", o->out_dir, strerror(errno));
            return -1;
        }
        struct stat st;
        if (stat(r->dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(r->dir, W_OK) != 0) {
            tl_msg("--out %s: not a writable directory: give another one", o->out_dir);
            return -1;
        }
        char series[PATH_MAX + 16];
        snprintf(series, sizeof series, "%s/series.jsonl", r->dir);
        unlink(series); /* a previous run's lines would mix with ours */
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(r->dir, sizeof r->dir, "%s/threadleak.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(r->dir)) {
        snprintf(r->dir, sizeof r->dir, "/tmp/threadleak.XXXXXX");
        if (!mkdtemp(r->dir)) {
            tl_msg("cannot create a temporary directory in /tmp: %s; pass --out DIR",
                   strerror(errno));
            return -1;
        }
    }
    snprintf(r->top_dir, sizeof r->top_dir, "%s", r->dir);
    if (geteuid() == 0 && open_for_the_tree(r))
        tl_msg("cannot open %s to processes that drop privileges: %s; those cannot report", r->dir,
               strerror(errno));
    return 0;
}

void tl_run_remove_dir(tl_run_result *r)
{
    if (!r->top_dir[0])
        return;
    if (strcmp(r->top_dir, r->dir) != 0)
        tl_remove_dir(r->dir);
    tl_remove_dir(r->top_dir);
    r->top_dir[0] = 0;
}

static int json_exists(const char *stem)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s.json", stem);
    return access(path, F_OK) == 0;
}

/* Ask the child for a dump; remembers it in r->taken. */
static tl_taken *ask_dump(tl_run_result *r, int pid, long at, int prestop)
{
    char stem[PATH_MAX + 64], err[512];
    snprintf(stem, sizeof stem, "%s/%s.%d.%d", r->dir, prestop ? "prestop" : "request", pid,
             r->n_taken + 1);
    int rc = tl_request_dump(pid, stem, "text,json", 0, 0, err, sizeof err);
    if (rc) { /* > 0: no sampler to ask (a single thread): nothing to dump */
        if (rc < 0)
            tl_msg("cannot ask pid %d for a dump: %s", pid, err);
        return NULL;
    }
    r->taken = tl_xrealloc(r->taken, (size_t)r->n_taken + 1, sizeof *r->taken);
    tl_taken *t = &r->taken[r->n_taken++];
    memset(t, 0, sizeof *t);
    snprintf(t->stem, sizeof t->stem, "%s", stem);
    t->pid = pid;
    t->at_ms = at;
    t->prestop = prestop;
    return t;
}

static void check_taken(tl_run_result *r)
{
    for (int i = 0; i < r->n_taken; i++)
        if (!r->taken[i].done && json_exists(r->taken[i].stem))
            r->taken[i].done = 1;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

static void wait_a_little(int pidfd, long ms)
{
    if (pidfd >= 0) {
        struct pollfd p = {pidfd, POLLIN, 0};
        poll(&p, 1, (int)ms);
    } else {
        tl_sleep_ms(ms);
    }
}

/* Reaps every child that ended: the program, and the orphans of the tree
 * the run adopted as subreaper. 1 when the program was among them. */
static int reap(tl_run_result *r, int *status, long now)
{
    int got_primary = 0, st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == r->pid) {
            *status = st;
            got_primary = 1;
            continue;
        }
        tl_proc_seen *s = tl_tree_note(r, w, now);
        s->reaped = 1;
        s->status = st;
    }
    return got_primary;
}

static int has_children(void)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

static int alive(tl_run_result *r, int pid)
{
    tl_proc_seen *s = tl_tree_find(r, pid);
    if (s && s->reaped)
        return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (tl_read_small(path, buf, sizeof buf))
        return 0;
    char state = tl_stat_state(buf);
    return state != '?' && state != 'Z' && state != 'X';
}

/* When each process of the tree is next asked for a dump. */
typedef struct sched {
    int pid;
    long first, next;
} sched;

static sched *sched_of(sched **all, int *n, int pid, long now, long first_dump)
{
    for (int i = 0; i < *n; i++)
        if ((*all)[i].pid == pid)
            return &(*all)[i];
    *all = tl_xrealloc(*all, (size_t)*n + 1, sizeof **all);
    sched *s = &(*all)[(*n)++];
    s->pid = pid;
    s->first = now;
    s->next = now + first_dump;
    return s;
}

/* Asks every live process of the tree that reports for a dump now and then:
 * at geometric times after it was first seen (0.5s, 1s, 2s, ...), at most
 * DUMP_SPACING_MAX_MS apart, so one is near the start of the judged window
 * whatever the run's length, and the latest is never too old. */
static void ask_tree(const tl_run_opts *o, tl_run_result *r, sched **all, int *n, long now,
                     long first_dump)
{
    for (int i = 0; i < r->series.n; i++) {
        int pid = r->series.procs[i].pid;
        sched *s = sched_of(all, n, pid, pid == r->pid ? 0 : now, first_dump);
        if (now < s->next || !alive(r, pid))
            continue;
        if (!tl_request_pending(pid))
            ask_dump(r, pid, now, 0);
        long age = now - s->first;
        s->next = now + (o->dump_every_ms            ? o->dump_every_ms
                         : age < DUMP_SPACING_MAX_MS ? age
                                                     : DUMP_SPACING_MAX_MS);
    }
}

/* A dump of each live reporting process of the tree, waited for a little:
 * the final picture before they are stopped. */
static void ask_final(const tl_run_opts *o, tl_run_result *r, long t0, int only_pid)
{
    int first = r->n_taken;
    for (int i = 0; i < r->series.n; i++) {
        int pid = r->series.procs[i].pid;
        if ((only_pid && pid != only_pid) || !alive(r, pid) || tl_request_pending(pid))
            continue;
        ask_dump(r, pid, tl_now_ms() - t0, 1);
    }
    long until = tl_now_ms() + 3000 + 2 * o->interval_ms;
    for (int i = first; i < r->n_taken && tl_now_ms() < until; i++)
        while (!json_exists(r->taken[i].stem) && alive(r, r->taken[i].pid) && tl_now_ms() < until)
            tl_sleep_ms(LOOP_MS);
    check_taken(r);
}

/* While the program runs, the terminal's SIGINT and SIGQUIT go to it alone
 * (the terminal sends them to the program too), and SIGTERM and SIGHUP are
 * passed on to it. */
struct handlers {
    struct sigaction old_int, old_quit, old_term, old_hup;
};

static void handlers_install(struct handlers *h)
{
    struct sigaction ign = {0}, fwd = {0};
    ign.sa_handler = SIG_IGN;
    fwd.sa_handler = forward;
    sigemptyset(&ign.sa_mask);
    sigemptyset(&fwd.sa_mask);
    sigaction(SIGINT, &ign, &h->old_int);
    sigaction(SIGQUIT, &ign, &h->old_quit);
    sigaction(SIGTERM, &fwd, &h->old_term);
    sigaction(SIGHUP, &fwd, &h->old_hup);
}

static void handlers_restore(const struct handlers *h)
{
    sigaction(SIGINT, &h->old_int, NULL);
    sigaction(SIGQUIT, &h->old_quit, NULL);
    sigaction(SIGTERM, &h->old_term, NULL);
    sigaction(SIGHUP, &h->old_hup, NULL);
}

/* Start the program; -1 (after a message) when it cannot be started. */
static int spawn(const tl_run_opts *o, tl_run_result *r, const struct handlers *h)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC)) {
        tl_msg("cannot start %s: pipe: %s", o->argv[0], strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        tl_msg("cannot start %s: fork: %s", o->argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        sigaction(SIGINT, &h->old_int, NULL);
        sigaction(SIGQUIT, &h->old_quit, NULL);
        close(pfd[0]);
        int e = set_env(o, r) ? errno : 0;
        if (!e) {
            execv(r->program, o->argv);
            e = errno;
        }
        if (write(pfd[1], &e, sizeof e) < 0)
            _exit(127);
        _exit(127);
    }
    close(pfd[1]);
    int e = 0;
    ssize_t got;
    while ((got = read(pfd[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(pfd[0]);
    if (got == (ssize_t)sizeof e) {
        waitpid(pid, NULL, 0);
        tl_msg("cannot start %s: %s: check the program and its permissions", o->argv[0],
               strerror(e));
        return -1;
    }
    r->pid = pid;
    child_pid = pid;
    return 0;
}

/* One run's watch over the program and its tree. Times are in ms since
 * t0, -1 when not set. */
struct watch {
    const tl_run_opts *o;
    tl_run_result *r;
    char series[PATH_MAX + 16];
    long t0, first_dump, next_scan;
    long stop_at, kill_at;                       /* the program: SIGTERM, then SIGKILL */
    long linger_until, desc_kill_at, give_up_at; /* its descendants, once it exited */
    int pidfd, status, done, warned_series;
    sched *plan;
    int n_plan;
};

static void follow_exit(struct watch *w, long now)
{
    if (!w->done && reap(w->r, &w->status, now)) {
        w->done = 1;
        w->r->elapsed_ms = now;
        w->linger_until = now + w->o->wait_descendants_ms;
        if (w->pidfd >= 0)
            close(w->pidfd);
        w->pidfd = -1;
        child_pid = 0;
    } else if (w->done) {
        reap(w->r, &w->status, now);
    }
}

/* The series, the dumps taken, and the processes of the tree. */
static void read_reports(struct watch *w, long now)
{
    tl_run_result *r = w->r;
    if (tl_series_poll(&r->series, w->series) && !w->warned_series) {
        tl_msg("cannot read %s: %s", w->series, strerror(errno));
        w->warned_series = 1;
    }
    tl_series_fill_quiet(&r->series, w->o->interval_ms);
    check_taken(r);
    if (now >= w->next_scan) {
        tl_tree_scan(r, now);
        w->next_scan = now + 500; /* a look over /proc costs us, not the program */
    }
}

/* Once the program exited, its descendants get --wait-descendants; then a
 * final dump of each, and they are stopped as --duration would. 1 when
 * the run is over. */
static int linger(struct watch *w, long now)
{
    tl_run_result *r = w->r;
    if (!has_children())
        return 1;
    r->lingered = 1;
    for (int i = 0; i < r->n_seen; i++)
        if (!r->seen[i].outlived && !r->seen[i].reaped && alive(r, r->seen[i].pid))
            r->seen[i].outlived = 1;
    if (now >= w->linger_until && w->desc_kill_at < 0) {
        ask_final(w->o, r, w->t0, 0);
        for (int i = 0; i < r->n_seen; i++)
            if (!r->seen[i].reaped && alive(r, r->seen[i].pid)) {
                r->seen[i].stopped = 1;
                r->n_left_stopped++;
                kill(r->seen[i].pid, SIGTERM);
            }
        w->desc_kill_at = tl_now_ms() - w->t0 + STOP_GRACE_MS;
        w->give_up_at = w->desc_kill_at + 3000;
    }
    if (w->desc_kill_at >= 0 && now >= w->desc_kill_at) {
        for (int i = 0; i < r->n_seen; i++)
            if (!r->seen[i].reaped && alive(r, r->seen[i].pid))
                kill(r->seen[i].pid, SIGKILL);
        w->desc_kill_at = w->give_up_at;
    }
    return w->give_up_at >= 0 && now >= w->give_up_at;
}

/* While the program runs: SIGTERM at --duration (or once --fail-deadlock
 * found a deadlock: the verdict is decided), SIGKILL after the grace. 1
 * when it has just been asked to stop. */
static int stop_when_due(struct watch *w, long now)
{
    const tl_run_opts *o = w->o;
    tl_run_result *r = w->r;
    if (w->kill_at < 0 && o->fail_deadlock && tl_run_deadlock_check(o, r, NULL)) {
        r->deadlock_stop = 1;
        w->stop_at = now;
    }
    if (w->stop_at >= 0 && now >= w->stop_at && w->kill_at < 0) {
        /* the pre-stop dump: the final picture for the suspects */
        if (tl_series_find(&r->series, r->pid))
            ask_final(o, r, w->t0, 0);
        r->stopped = 1;
        kill(r->pid, SIGTERM);
        w->kill_at = tl_now_ms() - w->t0 + STOP_GRACE_MS;
        return 1;
    }
    if (w->kill_at >= 0 && now >= w->kill_at) {
        kill(r->pid, SIGKILL);
        w->kill_at = now + 3600000;
    }
    return 0;
}

/* How the program ended, and the last of what the tree reported. */
static void collect(struct watch *w)
{
    tl_run_result *r = w->r;
    if (WIFEXITED(w->status)) {
        r->exited = 1;
        r->exit_status = WEXITSTATUS(w->status);
    } else if (WIFSIGNALED(w->status)) {
        r->signal = WTERMSIG(w->status);
    }
    for (int i = 0; i < r->n_taken; i++)
        tl_request_cancel(r->taken[i].pid);
    for (int i = 0; i < r->n_seen; i++)
        if (r->seen[i].has_lib && !r->seen[i].reaped && alive(r, r->seen[i].pid))
            r->dir_kept = 1; /* it may still write there */
    tl_request_cancel(r->pid);
    tl_series_poll(&r->series, w->series);
    tl_tree_scan(r, tl_now_ms() - w->t0);
    check_taken(r);
}

int tl_run_program(const tl_run_opts *o, tl_run_result *r)
{
    memset(r, 0, sizeof *r);
    if (tl_resolve_program(o->argv[0], r->program, sizeof r->program))
        return TL_EXIT_USAGE;
    if (tl_find_lib(o->lib, r->lib, sizeof r->lib))
        return TL_EXIT_USAGE;
    if (make_dir(o, r))
        return TL_EXIT_USAGE;
    struct watch w = {
        .o = o,
        .r = r,
        .first_dump = o->interval_ms * 2 > 500 ? o->interval_ms * 2 : 500,
        .stop_at = o->duration_ms ? o->duration_ms : -1,
        .kill_at = -1,
        .linger_until = -1,
        .desc_kill_at = -1,
        .give_up_at = -1,
    };
    snprintf(w.series, sizeof w.series, "%s/series.jsonl", r->dir);
    struct handlers h;
    handlers_install(&h);
    r->started_unix_ms = (long)(tl_clock_ns(CLOCK_REALTIME) / 1000000);
    w.t0 = tl_now_ms();
    /* orphans of the tree become our children: waited for, judged, reaped */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (spawn(o, r, &h)) {
        handlers_restore(&h);
        if (!o->out_dir)
            tl_run_remove_dir(r);
        r->dir[0] = 0;
        return TL_EXIT_USAGE;
    }
    w.pidfd = open_pidfd(r->pid);
    for (;;) {
        long now = tl_now_ms() - w.t0;
        follow_exit(&w, now);
        read_reports(&w, now);
        if (w.done && linger(&w, now))
            break;
        if (!w.done && stop_when_due(&w, now))
            continue;
        if (w.kill_at < 0 && w.desc_kill_at < 0)
            ask_tree(o, r, &w.plan, &w.n_plan, now, w.first_dump);
        wait_a_little(w.pidfd, LOOP_MS);
    }
    free(w.plan);
    if (w.pidfd >= 0)
        close(w.pidfd);
    child_pid = 0;
    handlers_restore(&h);
    collect(&w);
    return 0;
}
