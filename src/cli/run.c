/* `threadleak run`, the running part: start the program with the library
 * preloaded, read its series while it runs, ask it for dumps now and then
 * (for the suspects), stop it after --duration, and collect how it ended.
 * The program keeps our stdin, stdout and stderr. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/run.h"

#define STOP_GRACE_MS 5000
#define DUMP_SPACING_MAX_MS 15000
#define LOOP_MS 25

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static int set_env(const tl_run_opts *o, const tl_run_result *r)
{
    char buf[PATH_MAX * 2 + 64];
    const char *old = getenv("LD_PRELOAD");
    if (old && *old)
        snprintf(buf, sizeof buf, "%s:%s", r->lib, old);
    else
        snprintf(buf, sizeof buf, "%s", r->lib);
    if (setenv("LD_PRELOAD", buf, 1))
        return -1;
    snprintf(buf, sizeof buf, "%ld", o->interval_ms);
    if (setenv("THREADLEAK_INTERVAL_MS", buf, 1))
        return -1;
    snprintf(buf, sizeof buf, "%s/series.jsonl", r->dir);
    if (setenv("THREADLEAK_SERIES", buf, 1))
        return -1;
    snprintf(buf, sizeof buf, "%s/dump.%%p.%%n", r->dir);
    if (setenv("THREADLEAK_OUTPUT", buf, 1))
        return -1;
    return setenv("THREADLEAK_FORMAT", "text,json", 1) || setenv("THREADLEAK_EXIT_DUMP", "1", 1);
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
    return 0;
}

static int json_exists(const char *stem)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s.json", stem);
    return access(path, F_OK) == 0;
}

/* Ask the child for a dump; remembers it in r->taken. */
static tl_taken *ask(tl_run_result *r, long at, int prestop)
{
    char stem[PATH_MAX + 64], err[512];
    snprintf(stem, sizeof stem, "%s/%s.%d.%d", r->dir, prestop ? "prestop" : "request", r->pid,
             r->n_taken + 1);
    int rc = threadleak_request_dump(r->pid, stem, "text,json", 0, err, sizeof err);
    if (rc) { /* > 0: no sampler yet (one thread): nothing to ask */
        if (rc < 0)
            tl_msg("cannot ask pid %d for a dump: %s", r->pid, err);
        return NULL;
    }
    r->taken = tl_xrealloc(r->taken, (size_t)r->n_taken + 1, sizeof *r->taken);
    tl_taken *t = &r->taken[r->n_taken++];
    memset(t, 0, sizeof *t);
    snprintf(t->stem, sizeof t->stem, "%s", stem);
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

static int reaped(tl_run_result *r, int *status)
{
    pid_t w = waitpid(r->pid, status, WNOHANG);
    return w == r->pid || (w < 0 && errno == ECHILD);
}

/* Start the program; -1 (after a message) when it cannot be started. */
static int spawn(const tl_run_opts *o, tl_run_result *r, struct sigaction *old_int,
                 struct sigaction *old_quit)
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
        sigaction(SIGINT, old_int, NULL);
        sigaction(SIGQUIT, old_quit, NULL);
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

int tl_run_program(const tl_run_opts *o, tl_run_result *r)
{
    memset(r, 0, sizeof *r);
    if (threadleak_resolve_program(o->argv[0], r->program, sizeof r->program))
        return TL_EXIT_USAGE;
    if (threadleak_find_lib(o->lib, r->lib, sizeof r->lib))
        return TL_EXIT_USAGE;
    if (make_dir(o, r))
        return TL_EXIT_USAGE;
    char series[PATH_MAX + 16];
    snprintf(series, sizeof series, "%s/series.jsonl", r->dir);

    struct sigaction ign = {0}, fwd = {0}, old_int, old_quit, old_term, old_hup;
    ign.sa_handler = SIG_IGN;
    fwd.sa_handler = forward;
    sigemptyset(&ign.sa_mask);
    sigemptyset(&fwd.sa_mask);
    sigaction(SIGINT, &ign, &old_int); /* the terminal sends them to the program too */
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, &old_term);
    sigaction(SIGHUP, &fwd, &old_hup);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    r->started_unix_ms = (long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    long t0 = tl_now_ms();
    if (spawn(o, r, &old_int, &old_quit)) {
        if (!o->out_dir)
            tl_remove_dir(r->dir);
        r->dir[0] = 0;
        return TL_EXIT_USAGE;
    }
    int pidfd = open_pidfd(r->pid);
    long first_dump = o->interval_ms * 2 > 500 ? o->interval_ms * 2 : 500;
    long next_dump = first_dump;
    long stop_at = o->duration_ms ? o->duration_ms : -1, kill_at = -1;
    int status = 0, done = 0, warned_series = 0;
    while (!done) {
        if (reaped(r, &status)) {
            done = 1;
            break;
        }
        if (threadleak_series_poll(&r->series, series) && !warned_series) {
            tl_msg("cannot read %s: %s", series, strerror(errno));
            warned_series = 1;
        }
        threadleak_series_fill_quiet(&r->series, o->interval_ms);
        check_taken(r);
        long now = tl_now_ms() - t0;
        if (kill_at < 0 && o->fail_deadlock && tl_run_deadlock_check(o, r, NULL)) {
            r->deadlock_stop = 1; /* the verdict is decided: stop as --duration would */
            stop_at = now;
        }
        if (stop_at >= 0 && now >= stop_at && kill_at < 0) {
            /* the pre-stop dump: the final picture for the suspects */
            if (threadleak_series_find(&r->series, r->pid) && !threadleak_request_pending(r->pid)) {
                tl_taken *t = ask(r, now, 1);
                long wait_until = tl_now_ms() + 3000 + 2 * o->interval_ms;
                while (t && !json_exists(t->stem) && tl_now_ms() < wait_until &&
                       !(done = reaped(r, &status)))
                    wait_a_little(pidfd, LOOP_MS);
                check_taken(r);
                if (done)
                    break;
            }
            r->stopped = 1;
            kill(r->pid, SIGTERM);
            kill_at = tl_now_ms() - t0 + STOP_GRACE_MS;
        }
        if (kill_at >= 0 && now >= kill_at) {
            kill(r->pid, SIGKILL);
            kill_at = now + 3600000;
        }
        if (kill_at < 0 && now >= next_dump && threadleak_series_find(&r->series, r->pid)) {
            if (!threadleak_request_pending(r->pid))
                ask(r, now, 0);
            /* at geometric times (0.5s, 1s, 2s, ...), at most DUMP_SPACING_MAX_MS
             * apart: one is near the start of the judged window, whatever the
             * run's length, and the latest is never too old */
            next_dump = now + (now < DUMP_SPACING_MAX_MS ? now : DUMP_SPACING_MAX_MS);
        }
        wait_a_little(pidfd, LOOP_MS);
    }
    if (pidfd >= 0)
        close(pidfd);
    child_pid = 0;
    r->elapsed_ms = tl_now_ms() - t0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (WIFEXITED(status)) {
        r->exited = 1;
        r->exit_status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r->signal = WTERMSIG(status);
    }
    threadleak_request_cancel(r->pid);
    threadleak_series_poll(&r->series, series);
    check_taken(r);
    return 0;
}
