/* rb: helpers shared by the robustness tests (the tests/test_robust family,
 * tests/test_faults.c, tests/test_hostile.c, tests/test_hosts.c): run a
 * program to completion under the preload library with its output
 * captured, list and check dump files, and record figures.
 *
 * Header only (static functions): the test binaries are built from one
 * one test source plus the harness in tests/lib. */
#ifndef RB_H
#define RB_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/tlt.h"

extern char **environ;

typedef struct {
    int status;    /* wait status */
    int timed_out; /* killed after the timeout */
    long ms;       /* wall time */
    char *out;     /* stdout */
    char *err;     /* stderr */
} rb_result;

__attribute__((unused)) static long rb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

__attribute__((unused)) static void rb_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

__attribute__((unused)) static char *rb_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* A private directory under $TMPDIR (or /tmp), mode 0700. */
__attribute__((unused)) static void rb_tempdir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/rb.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(out))
        cr_assert_fail("mkdtemp: %s", strerror(errno));
}

__attribute__((unused)) static void rb_rmtree(const char *dir)
{
    if (!dir[0] || getenv("TLT_KEEP"))
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
    }
}

/* The environment of a preloaded run: ours without LD_PRELOAD and
 * THREADLEAK_*, then LD_PRELOAD=<lib> unless `extra` sets it, then extra. */
static char **rb_env(const char *const *extra, int preload)
{
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    for (const char *const *e = extra; e && *e; e++)
        n++;
    char **env = calloc(n + 4, sizeof *env);
    size_t k = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "THREADLEAK_", 11))
            env[k++] = *e;
    int has_preload = 0;
    for (const char *const *e = extra; e && *e; e++)
        has_preload |= !strncmp(*e, "LD_PRELOAD=", 11);
    static char preload_var[4200];
    if (preload && !has_preload) {
        snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", tlt_lib_path());
        env[k++] = preload_var;
    }
    for (const char *const *e = extra; e && *e; e++)
        env[k++] = (char *)*e;
    env[k] = NULL;
    return env;
}

/* Runs argv to completion (stdin /dev/null, cwd `cwd` or ours), preloaded
 * when `preload`, killed (whole process group) after timeout_ms. */
__attribute__((unused)) static rb_result rb_run_in(const char *const *argv,
                                                   const char *const *extra, int preload,
                                                   const char *cwd, long timeout_ms)
{
    rb_result r = {0};
    char dir[256], outp[300], errp[300];
    rb_tempdir(dir, sizeof dir);
    snprintf(outp, sizeof outp, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    char **env = rb_env(extra, preload);
    long start = rb_now_ms();
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open("/dev/null", O_RDONLY);
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        if (cwd && chdir(cwd) != 0)
            _exit(125);
        execvpe(argv[0], (char *const *)argv, env);
        dprintf(2, "rb: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    free(env);
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            r.status = st;
            break;
        }
        if (rb_now_ms() - start > timeout_ms) {
            r.timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &r.status, 0);
            break;
        }
        rb_sleep_ms(5);
    }
    kill(-pid, SIGKILL); /* leftovers of the group */
    r.ms = rb_now_ms() - start;
    r.out = rb_read_file(outp, NULL);
    r.err = rb_read_file(errp, NULL);
    if (!r.out)
        r.out = strdup("");
    if (!r.err)
        r.err = strdup("");
    rb_rmtree(dir);
    return r;
}

__attribute__((unused)) static rb_result rb_run(const char *const *argv, const char *const *extra,
                                                long timeout_ms)
{
    return rb_run_in(argv, extra, 1, NULL, timeout_ms);
}

__attribute__((unused)) static void rb_free(rb_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

__attribute__((unused)) static const char *rb_status(int status)
{
    static char buf[96];
    if (WIFEXITED(status))
        snprintf(buf, sizeof buf, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, sizeof buf, "wait status 0x%x", status);
    return buf;
}

__attribute__((unused)) static int rb_exited_0(const rb_result *r)
{
    return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

/* Lines of s starting with prefix. */
__attribute__((unused)) static int rb_count_lines(const char *s, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = s; p && *p;) {
        if (!strncmp(p, prefix, pl))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

/* Names in dir ending with suffix (any when NULL); count only. */
__attribute__((unused)) static int rb_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    size_t sl = suffix ? strlen(suffix) : 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t l = strlen(e->d_name);
        if (!suffix || (l >= sl && !strcmp(e->d_name + l - sl, suffix)))
            n++;
    }
    closedir(d);
    return n;
}

/* Names in dir containing needle. */
__attribute__((unused)) static int rb_count_files_with(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, needle))
            n++;
    closedir(d);
    return n;
}

/* How many dumps p has written once the ones already asked for have
 * landed: numbers are taken until none new appears for 1.5 s. */
__attribute__((unused)) static int rb_settled_dumps(tlt_proc *p)
{
    int last = 0;
    for (int stable = 0; stable < 30; rb_sleep_ms(50)) {
        char path[600];
        snprintf(path, sizeof path, "%s/dump.%d.%d.json", p->dir, (int)p->pid, last + 1);
        if (access(path, F_OK) == 0)
            last++, stable = 0;
        else
            stable++;
    }
    return last;
}

static long rb_jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/* A dump's own consistency: counts agree with each other and with the
 * groups (both come from one snapshot). 0, or -1 with the reason in why. */
__attribute__((unused)) static int rb_check_dump(json_t *d, char *why, size_t size)
{
    json_t *c = json_object_get(d, "counts");
    json_t *groups = json_object_get(d, "groups");
    if (!json_is_object(c) || !json_is_array(groups)) {
        snprintf(why, size, "no counts or groups");
        return -1;
    }
    long live = rb_jint(c, "live"), running = rb_jint(c, "running"),
         blocked = rb_jint(c, "blocked"), exited = rb_jint(c, "exited_unjoined"),
         created = rb_jint(c, "created"), joined = rb_jint(c, "joined"),
         detached = rb_jint(c, "detached");
    if (live < 1 || running < 0 || blocked < 0 || exited < 0 || created < 0 || joined < 0 ||
        detached < 0) {
        snprintf(why, size, "a count is missing or negative (live %ld, created %ld)", live,
                 created);
        return -1;
    }
    if (live != running + blocked) {
        snprintf(why, size, "live %ld != running %ld + blocked %ld", live, running, blocked);
        return -1;
    }
    long by_wait = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(c, "by_wait"), k, v) by_wait += json_integer_value(v);
    if (by_wait != blocked) {
        snprintf(why, size, "by_wait sums to %ld, blocked is %ld", by_wait, blocked);
        return -1;
    }
    long sum[3] = {0, 0, 0};
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        const char *state = json_string_value(json_object_get(g, "state"));
        long n = rb_jint(g, "count");
        json_t *tids = json_object_get(g, "tids");
        if (n < 1 || !state) {
            snprintf(why, size, "group %zu has count %ld, state %s", i, n, state ? state : "-");
            return -1;
        }
        if (json_is_array(tids) && (long)json_array_size(tids) != n) {
            snprintf(why, size, "group %zu: count %ld but %zu tids", i, n, json_array_size(tids));
            return -1;
        }
        sum[!strcmp(state, "running") ? 0 : !strcmp(state, "blocked") ? 1 : 2] += n;
    }
    if (sum[0] != running || sum[1] != blocked || sum[2] != exited) {
        snprintf(why, size,
                 "groups hold %ld running, %ld blocked, %ld exited; counts say %ld, %ld, %ld",
                 sum[0], sum[1], sum[2], running, blocked, exited);
        return -1;
    }
    return 0;
}

/* Appends a line to build/robust-figures.txt: the figures of the last run
 * of each test, for docs/guarantees.md. Also on stderr. */
__attribute__((unused)) static void rb_figure(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "figure: %s\n", line);
    char path[4200];
    snprintf(path, sizeof path, "%s/robust-figures.txt", tlt_build_dir());
    FILE *f = fopen(path, "a");
    if (f) {
        time_t t = time(NULL);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", localtime(&t));
        fprintf(f, "%s %s\n", ts, line);
        fclose(f);
    }
}

/* Long variants run under `make stress` (THREADLEAK_STRESS=1, as tests/test_cli_stress.c). */
__attribute__((unused)) static int rb_stress(void)
{
    const char *s = getenv("THREADLEAK_STRESS");
    return s && *s && strcmp(s, "0") != 0;
}

/* ---- redis-server, for the tests that serve load while being dumped ---- */

/* Debian's redis-tools ships the server as redis-check-rdb, which serves when
 * argv[0] says redis-server; the package redis-server only adds a system
 * service, which make check has no business starting. NULL when missing
 * (or redis-benchmark or redis-cli is). Static storage. */
__attribute__((unused)) static const char *rb_redis_server_path(void)
{
    static char path[4200];
    const char *p = tlt_which("redis-server");
    if (!p)
        p = tlt_which("redis-check-rdb");
    if (!p)
        return NULL;
    snprintf(path, sizeof path, "%s", p);
    return tlt_which("redis-benchmark") && tlt_which("redis-cli") ? path : NULL;
}

__attribute__((unused)) static int rb_redis_ping(int port)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d ping 2>/dev/null | grep -q PONG", port);
    return system(cmd) == 0;
}

/* Starts redis-server (4 io-threads) on 127.0.0.1:port in dir, preloaded or
 * not, with `extra` environment; returns once it answers (fails otherwise). */
__attribute__((unused)) static pid_t rb_redis_start(const char *server_path, int port,
                                                    const char *dir, const char *const *extra,
                                                    int preload)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    char **envp = rb_env(extra, preload);
    fflush(NULL);
    pid_t srv = fork();
    if (srv == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir(dir) != 0)
            _exit(125);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execle(server_path, "redis-server", "--port", portstr, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--io-threads", "4", "--io-threads-do-reads", "yes",
               "--daemonize", "no", (char *)NULL, envp);
        _exit(127);
    }
    free(envp);
    for (long end = rb_now_ms() + 10000; !rb_redis_ping(port) && rb_now_ms() < end;)
        rb_sleep_ms(50);
    cr_assert(rb_redis_ping(port), "redis-server did not answer on port %d", port);
    return srv;
}

/* redis-cli shutdown nosave; the server's wait status (-1: it did not end
 * within 10 s, and was killed). */
__attribute__((unused)) static int rb_redis_stop(pid_t srv, int port, const char *dir)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *shutdown[] = {"redis-cli", "-p", portstr, "shutdown", "nosave", NULL};
    rb_result s = rb_run_in(shutdown, NULL, 0, dir, 20000);
    rb_free(&s);
    int st = -1;
    for (long end = rb_now_ms() + 10000; rb_now_ms() < end; rb_sleep_ms(20))
        if (waitpid(srv, &st, WNOHANG) == srv)
            return st;
    kill(srv, SIGKILL);
    waitpid(srv, NULL, 0);
    return -1;
}

#endif
