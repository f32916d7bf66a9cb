/* `threadleak dump PID` on processes started WITHOUT the library (ptrace):
 * every wait program of tests/progs dumped by pid, with the right wait kind,
 * call, object and the blocking function as frame #0; the JSON says
 * source "ptrace" and leaves what only the library knows null; a process
 * of 1,000 threads is dumped with its pause reported and a 1 ms ticker in
 * it never stops longer than that pause nor sees EINTR; killing the
 * command mid-attach leaves no thread stopped; report, folded and diff
 * read attach dumps; ptrace refusals say what to do; lock owners and
 * deadlock cycles read from the stopped process's lock words. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "lib/cli_exec.h"
#include "lib/deadlock.h"
#include "lib/tlt.h"
#include "lib/figures.h"
#include "lib/files.h"
#include "lib/redis.h"
#include "lib/run.h"

TestSuite(attach, .fini = tlt_cleanup, .timeout = 60);

/* The programs run bare: the attach path is taken only without the library. */
static const char *const bare[] = {"LD_PRELOAD=", NULL};

/* `threadleak dump --json PID` into p->json, saved as <r dir>/name; the
 * text through `threadleak report` (so the reader takes attach dumps) into
 * p->text. Checks what every attach dump must say. */
static json_t *attach_dump_as(tlt_proc *p, cli_result *r, const char *name)
{
    char pid[16], path[512];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    snprintf(path, sizeof path, "%s", cli_path(r, name));
    const char *argv[] = {cli_threadleak(), "dump", "--json", pid, NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    tlt_expect(p, r->status == 0, "threadleak dump --json %s: status %d, stderr:\n%s", pid,
               r->status, r->err);
    FILE *f = fopen(path, "w");
    fwrite(r->out, 1, r->out_len, f);
    fclose(f);
    json_decref(p->json);
    json_error_t e;
    p->json = json_loads(r->out, 0, &e);
    tlt_expect(p, p->json != NULL, "attach dump is not JSON: %s\n%.2000s", e.text, r->out);
    const char *rargv[] = {cli_threadleak(), "report", path, NULL};
    cli_exec(r, NULL, 0, rargv, NULL);
    tlt_expect(p, r->status == 0, "threadleak report of an attach dump: status %d: %s", r->status,
               r->err);
    free(p->text);
    p->text = strdup(r->out);
    json_t *d = p->json;
    tlt_expect(p, json_integer_value(json_object_get(d, "pid")) == p->pid, "wrong pid");
    tlt_expect(p, !strcmp(json_string_value(json_object_get(d, "source")), "ptrace"),
               "source is not \"ptrace\"");
    json_t *counts = json_object_get(d, "counts");
    tlt_expect(p,
               json_is_null(json_object_get(counts, "created")) &&
                   json_is_null(json_object_get(counts, "exited_unjoined")),
               "lifecycle counts should be null (not known without the library)");
    json_t *pause = json_object_get(d, "pause");
    tlt_expect(p, json_integer_value(json_object_get(pause, "threads")) >= 1,
               "pause.threads missing");
    tlt_expect(p, json_is_integer(json_object_get(pause, "ns")), "pause.ns missing");
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(d, "groups"), i, g)
    {
        if (!strcmp(json_string_value(json_object_get(g, "state")), "blocked"))
            tlt_expect(p, json_is_null(json_object_get(g, "blocked_ns")),
                       "group %zu: blocked_ns invented", i);
        if (!tlt_stack_has(json_object_get(g, "stack"), "main"))
            tlt_expect(p, json_is_null(json_object_get(g, "spawn_stack")),
                       "group %zu: spawn_stack invented", i);
    }
    tlt_expect_text(p, "attached with ptrace");
    tlt_expect_text(p, "\npaused ");
    tlt_expect_text(p, "not known without libthreadleak.so");
    return p->json;
}

static json_t *attach_dump(tlt_proc *p)
{
    cli_result *r = cli_new();
    json_t *d = attach_dump_as(p, r, "dump.json");
    cli_free(r);
    return d;
}

/* The largest group: state, wait kind, count, frame #0 (the caller of the
 * primitive), the call, and the object the program printed. */
static void expect_leak(const char *prog, const char *wait, long count, const char *frame0,
                        const char *call, const char *object_key)
{
    tlt_proc *p = tlt_start(prog, bare);
    attach_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", wait, count, frame0, NULL);
    if (call)
        tlt_expect_wait_call(p, g, call);
    if (object_key)
        tlt_expect_object(p, g, tlt_printed(p, object_key));
    json_t *m = tlt_find_main_group(p);
    tlt_expect(p, m != NULL, "no main thread group");
    tlt_expect_wait_call(p, m, "pause");
    tlt_stop(p);
}

Test(attach, mutex)
{
    expect_leak("wait_mutex", "mutex", 7, "mutex_waiter", "pthread_mutex_lock", "object");
}

Test(attach, rwlock)
{
    expect_leak("wait_rwlock", "rwlock", 5, "rwlock_reader", "pthread_rwlock_rdlock", "object");
}

Test(attach, cond)
{
    expect_leak("wait_cond", "cond", 9, "cond_waiter", "pthread_cond_wait", "object");
}

Test(attach, sem)
{
    expect_leak("wait_sem", "sem", 6, "sem_waiter", "sem_wait", "object");
}

Test(attach, barrier)
{
    expect_leak("wait_barrier", "barrier", 4, "barrier_waiter", "pthread_barrier_wait", "object");
}

Test(attach, join)
{
    expect_leak("wait_join", "join", 3, "joiner", "pthread_join", NULL);
}

Test(attach, futex)
{
    expect_leak("wait_futex", "futex", 8, "futex_waiter", "futex", "object");
}

Test(attach, futex_bitset)
{
    expect_leak("wait_futex_bitset", "futex", 10, "bitset_waiter", "futex", "object");
}

Test(attach, sleep)
{
    expect_leak("wait_sleep", "sleep", 11, "sleeper", "sleep", NULL);
}

/* The descriptor, and what it is as /proc/PID/fd says. */
Test(attach, io)
{
    tlt_proc *p = tlt_start("wait_io", bare);
    attach_dump(p);
    json_t *g = tlt_expect_leak(p, "blocked", "io", 12, "io_reader", NULL);
    tlt_expect_wait_call(p, g, "read");
    const char *what = json_string_value(json_object_get(g, "fd_target"));
    tlt_expect(p, what && !strncmp(what, "pipe:[", 6), "fd_target is %s, expected the pipe",
               what ? what : "missing");
    tlt_expect_text(p, "12 threads \u00b7 blocked in io (read fd 3 (pipe:[");
    tlt_stop(p);
}

Test(attach, poll)
{
    expect_leak("wait_poll", "poll", 13, "poll_waiter", "poll", NULL);
}

Test(attach, detached)
{
    expect_leak("wait_detached", "sem", 5, "detached_sem_waiter", "sem_wait", NULL);
}

Test(attach, same_line)
{
    expect_leak("wait_same_line", "sem", 3, "same_line_waiter", "sem_wait", NULL);
}

Test(attach, joined_late)
{
    expect_leak("wait_joined_late", "cond", 2, "late_cond_waiter", "pthread_cond_wait", NULL);
}

/* Exited-unjoined threads are invisible to ptrace: the dump shows the live
 * ones and says the rest is not known, rather than reporting 0. */
Test(attach, exited_threads_are_not_known)
{
    tlt_proc *p = tlt_start("wait_exited", bare);
    attach_dump(p);
    tlt_expect(p, tlt_count(p, "live") == 1, "live should be 1 (the main thread)");
    tlt_expect(p,
               json_is_null(json_object_get(json_object_get(p->json, "counts"), "exited_unjoined")),
               "exited_unjoined must be null");
    tlt_expect_text(p, "exited-unjoined threads");
    tlt_stop(p);
}

/* Every blocking entry point of calls_blocked, as in test_calls.c: the wait
 * kind from the system call and glibc's frames, frame #0 blocker(). */
struct call_case {
    char call[32];
    char wait[12];
    char wait_call[32]; /* "": the call's own name */
};

static struct call_case cases[] = {
    {"pthread_mutex_lock", "mutex", ""},
    {"pthread_mutex_timedlock", "mutex", ""},
    {"mtx_lock", "mutex", ""},
    {"pthread_rwlock_wrlock", "rwlock", ""},
    {"pthread_rwlock_timedrdlock", "rwlock", ""},
    {"pthread_cond_timedwait", "cond", ""},
    {"pthread_cond_clockwait", "cond", ""},
    {"cnd_wait", "cond", ""},
    {"sem_timedwait", "sem", "sem_wait"}, /* glibc tail-calls one function for all three */
    {"pthread_timedjoin_np", "join", "pthread_join"},
    {"thrd_join", "join", ""},
    {"futex_wait_private", "futex", "futex"},
    {"futex_waitv", "futex", ""},
    {"usleep", "sleep", ""},
    {"nanosleep", "sleep", ""},
    {"clock_nanosleep", "sleep", ""},
    {"sigsuspend", "sleep", ""},
    {"sigwait", "sleep", ""},
    {"sigtimedwait", "sleep", ""},
    {"readv", "io", ""},
    {"recv", "io", ""},
    {"write", "io", ""},
    {"sendmsg", "io", ""},
    {"accept", "io", ""},
    {"connect", "io", ""},
    {"ppoll", "poll", ""},
    {"select", "poll", ""},
    {"pselect", "poll", ""},
    {"epoll_wait", "poll", ""},
    {"epoll_pwait2", "poll", ""},
};

ParameterizedTestParameters(attach, calls)
{
    return cr_make_param_array(struct call_case, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(struct call_case *c, attach, calls)
{
    const char *argv[] = {tlt_prog_path("calls_blocked"), c->call, NULL};
    tlt_proc *p = tlt_start_argv(argv, bare);
    attach_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", c->wait, "blocker");
    tlt_expect_group(p, g, "blocked", c->wait, 3);
    tlt_expect_frame0(p, g, "stack", "blocker");
    tlt_expect_wait_call(p, g, c->wait_call[0] ? c->wait_call : c->call);
    /* The dump stopped them; none may have returned (EINTR included). */
    usleep(100 * 1000);
    tlt_expect(p, strstr(tlt_stderr(p), "returned") == NULL, "%s returned after the dump:\n%s",
               c->call, tlt_stderr(p));
    tlt_stop(p);
}

/* ---- the ticker: a thousand threads, and a program that must not notice ---- */

static tlt_proc *start_ticker(const char *file, int n)
{
    char count[16];
    snprintf(count, sizeof count, "%d", n);
    const char *argv[] = {tlt_prog_path("attach_ticker"), file, count, NULL};
    return tlt_start_argv(argv, bare);
}

struct ticks {
    long n, eintr, after; /* after: ticks later than since_ns */
    long max_gap_ns;      /* the longest gap between ticks in [from_ns, to_ns] */
};

static struct ticks read_ticks(const char *file, long long since_ns, long long from_ns,
                               long long to_ns)
{
    struct ticks t = {0};
    FILE *f = fopen(file, "r");
    char line[128];
    long long prev = 0;
    while (f && fgets(line, sizeof line, f)) {
        long n;
        long long ns;
        if (!strncmp(line, "EINTR", 5) || strstr(line, "returned")) {
            t.eintr++;
            continue;
        }
        if (sscanf(line, "%ld %lld", &n, &ns) != 2)
            continue;
        if (prev && ns >= from_ns && prev <= to_ns && ns - prev > t.max_gap_ns)
            t.max_gap_ns = (long)(ns - prev);
        prev = ns;
        t.n++;
        if (ns > since_ns)
            t.after++;
    }
    if (f)
        fclose(f);
    return t;
}

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

Test(attach, thousand_threads_keep_running, .timeout = 90)
{
    cli_result *r = cli_new();
    char file[512];
    snprintf(file, sizeof file, "%s", cli_path(r, "ticks"));
    tlt_proc *p = start_ticker(file, 1000);
    usleep(500 * 1000);
    long wall = 0, paused = 0, pause_ms = 0, slack = 0;
    long long done = 0;
    struct ticks t = {0}, base = {0};
    /* A tick gap longer than the pause plus what scheduling alone gives is
     * tried once more: a loaded machine's hiccup does not come back, a stop
     * longer than the reported pause does. */
    for (int attempt = 0; attempt < 2; attempt++) {
        long long before = mono_ns();
        long t0 = tlt_now_ms();
        attach_dump_as(p, r, attempt ? "big2.json" : "big.json");
        wall = tlt_now_ms() - t0;
        done = mono_ns();
        json_t *pause = json_object_get(p->json, "pause");
        paused = (long)json_integer_value(json_object_get(pause, "threads"));
        pause_ms = (long)(json_integer_value(json_object_get(pause, "ns")) / 1000000);
        /* The ticker goes on after the dump... */
        usleep(300 * 1000);
        t = read_ticks(file, done, before, done + 300000000LL);
        /* What this machine's scheduling alone gives, in the 300 ms before. */
        base = read_ticks(file, 0, before - 300000000LL, before);
        slack = base.max_gap_ns / 1000000 * 2;
        if (slack < 100)
            slack = 100;
        if (t.max_gap_ns / 1000000 <= pause_ms + 1 + slack)
            break;
    }
    json_t *g = tlt_expect_leak(p, "blocked", "cond", 1000, "parked", NULL);
    tlt_expect_wait_call(p, g, "pthread_cond_wait");
    tlt_expect(p, tlt_count(p, "live") >= 1004, "live %ld, expected >= 1004", tlt_count(p, "live"));
    tlt_expect(p, paused >= 1004, "paused %ld threads, expected all of them", paused);
    tlt_expect_text(p, "\npaused 1,00");
    /* The pause is bounded by the command's limit (1 s) plus the copy. */
    tlt_expect(p, pause_ms < 5000, "pause of %ld ms", pause_ms);
    tlt_expect(p, t.eintr == 0, "the program saw %ld EINTR / early returns", t.eintr);
    /* 20 ticks of 1 ms: a loaded machine gets up to 5 s for them. */
    long waited = 300;
    for (; waited < 5000 && t.after < 20; waited += 100) {
        usleep(100 * 1000);
        t.after = read_ticks(file, done, 0, 0).after;
    }
    tlt_expect(p, t.after >= 20, "only %ld ticks in the %ld ms after the dump", t.after, waited);
    /* ...and was stopped no longer than the reported pause, plus the 1 ms
     * sleep and what scheduling alone gives on this machine now. */
    tlt_expect(p, t.max_gap_ns / 1000000 <= pause_ms + 1 + slack,
               "the ticker stopped for %ld ms, the dump reported a pause of %ld ms (gaps up to "
               "%ld ms without a dump)",
               t.max_gap_ns / 1000000, pause_ms, base.max_gap_ns / 1000000);
    cr_log_info("attach dump of %ld threads: %ld ms wall, paused %ld ms, longest tick gap %ld ms",
                paused, wall, pause_ms, t.max_gap_ns / 1000000);
    tlt_stop(p);
    cli_free(r);
}

/* A thread in "t (tracing stop)", or traced at all, in pid; -1: none. */
static pid_t stopped_thread(pid_t pid)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    pid_t found = -1;
    struct dirent *e;
    while (d && found < 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/status", (int)pid, e->d_name);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f))
            if ((!strncmp(line, "State:", 6) && strstr(line, "tracing stop")) ||
                (!strncmp(line, "TracerPid:", 10) && atoi(line + 10) != 0))
                found = atoi(e->d_name);
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

static int traced_by(pid_t pid, pid_t tracer)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    int yes = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "TracerPid:", 10))
            yes = atoi(line + 10) == tracer;
    if (f)
        fclose(f);
    return yes;
}

static void kill_mid_attach(int sig)
{
    cli_result *r = cli_new();
    char file[512], pid[16];
    snprintf(file, sizeof file, "%s", cli_path(r, "ticks"));
    tlt_proc *p = start_ticker(file, 1000);
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    int caught = 0;
    for (int round = 0; round < 20 && caught < 3; round++) {
        pid_t dumper = fork();
        if (dumper == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            execl(cli_threadleak(), "threadleak", "dump", pid, (char *)NULL);
            _exit(127);
        }
        /* Wait until it holds the main thread (it seizes the lowest tid first). */
        long until = tlt_now_ms() + 2000;
        int held = 0;
        while (tlt_now_ms() < until && !(held = traced_by(p->pid, dumper))) {
            int st;
            if (waitpid(dumper, &st, WNOHANG) == dumper) {
                dumper = 0;
                break;
            }
        }
        if (dumper && held) {
            kill(dumper, sig);
            caught++;
        }
        if (dumper)
            waitpid(dumper, NULL, 0);
        /* Nothing may stay stopped or traced once the command is gone. */
        pid_t t = -1;
        for (int i = 0; i < 50 && (t = stopped_thread(p->pid)) > 0; i++)
            usleep(20 * 1000);
        tlt_expect(p, t < 0, "thread %d of the target is still stopped or traced after %s", (int)t,
                   strsignal(sig));
    }
    tlt_expect(p, caught > 0, "never caught threadleak in the middle of an attach");
    long long after = mono_ns();
    /* 20 ticks of 1 ms: within 200 ms on a quiet machine; a loaded one gets
     * up to 5 s, a ticker left stopped never gets them. */
    struct ticks t = {0};
    long waited = 0;
    for (; waited < 5000 && t.after < 20; waited += 100) {
        usleep(100 * 1000);
        t = read_ticks(file, after, after, after);
    }
    tlt_expect(p, t.after >= 20, "the ticker stopped ticking: %ld ticks in %ld ms", t.after,
               waited);
    tlt_expect(p, t.eintr == 0, "the program saw %ld EINTR", t.eintr);
    cr_log_info("%s: caught threadleak mid-attach %d times, nothing left stopped", strsignal(sig),
                caught);
    tlt_stop(p);
    cli_free(r);
}

Test(attach, sigterm_mid_attach_leaves_nothing_stopped, .timeout = 90)
{
    kill_mid_attach(SIGTERM);
}

Test(attach, sigkill_mid_attach_leaves_nothing_stopped, .timeout = 90)
{
    kill_mid_attach(SIGKILL);
}

static long threads_of(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long n = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8))
            n = atol(line + 8);
    if (f)
        fclose(f);
    return n;
}

/* Two attach dumps of one process, 5 threads more in the second: diff names
 * the group that appeared; report --format folded renders one. */
Test(attach, diff_and_folded_read_attach_dumps)
{
    cli_result *r = cli_new();
    char file[512];
    snprintf(file, sizeof file, "%s", cli_path(r, "ticks"));
    tlt_proc *p = start_ticker(file, 20);
    attach_dump_as(p, r, "old.json");
    long before = threads_of(p->pid);
    kill(p->pid, SIGUSR2);
    for (int i = 0; i < 200 && threads_of(p->pid) < before + 5; i++)
        usleep(10 * 1000);
    usleep(100 * 1000);
    attach_dump_as(p, r, "new.json");
    char old[512], new[512];
    snprintf(old, sizeof old, "%s", cli_path(r, "old.json"));
    snprintf(new, sizeof new, "%s", cli_path(r, "new.json"));
    const char *dargv[] = {cli_threadleak(), "diff", old, new, NULL};
    cli_exec(r, NULL, 0, dargv, NULL);
    tlt_expect(p, r->status == 0, "diff: status %d: %s", r->status, r->err);
    tlt_expect(p, strstr(r->out, "grown") != NULL, "diff does not show grown():\n%s", r->out);
    tlt_expect(p, strstr(r->out, "parked") == NULL || strstr(r->out, "20 threads") == NULL,
               "diff shows the unchanged group:\n%s", r->out);
    const char *jargv[] = {cli_threadleak(), "diff", "--json", old, new, NULL};
    cli_exec(r, NULL, 0, jargv, NULL);
    tlt_expect(p, r->status == 0 && strstr(r->out, "grown"), "diff --json: %d %s", r->status,
               r->out);
    const char *fargv[] = {cli_threadleak(), "report", "--format", "folded", new, NULL};
    cli_exec(r, NULL, 0, fargv, NULL);
    tlt_expect(p, r->status == 0 && strstr(r->out, "start_thread;parked;[cond] 20\n"),
               "folded report of an attach dump:\n%s", r->out);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    const char *pargv[] = {cli_threadleak(), "dump", "--pprof", pid, NULL};
    cli_exec(r, NULL, 0, pargv, NULL);
    tlt_expect(p,
               r->status == 0 && r->out_len > 2 && (unsigned char)r->out[0] == 0x1f &&
                   (unsigned char)r->out[1] == 0x8b,
               "dump --pprof of a process without the library: status %d, %zu bytes: %s", r->status,
               r->out_len, r->err);
    const char *rargv[] = {cli_threadleak(), "report", "--format", "json", new, NULL};
    cli_exec(r, NULL, 0, rargv, NULL);
    tlt_expect(p,
               r->status == 0 && strstr(r->out, "\"source\":\"ptrace\"") &&
                   strstr(r->out, "\"spawn_stack\":null"),
               "report --format json loses what the attach dump said:\n%.2000s", r->out);
    tlt_stop(p);
    cli_free(r);
}

/* redis-server (4 io-threads), started without the library, answers
 * redis-benchmark while `threadleak dump` attaches to it 20 times, and shuts
 * down cleanly afterwards. */
Test(attach, redis_server_keeps_serving, .timeout = 180)
{
    const char *server_path = tlt_redis_server_path();
    if (!server_path)
        cr_skip_test("redis-server, redis-benchmark or redis-cli is not installed (Debian: "
                     "redis-tools)");
    char dir[256], portstr[16];
    tlt_tempdir(dir, sizeof dir);
    int port = 20000 + (getpid() + 7) % 20000;
    snprintf(portstr, sizeof portstr, "%d", port);
    pid_t srv = tlt_redis_start(server_path, port, dir, NULL, 0);
    const char *bench[] = {"redis-benchmark", "-p", portstr, "-q", "-n", "10000", "-c", "50", "-t",
                           "set,get",         "-P", "4",     NULL};
    fflush(NULL);
    pid_t dumper = fork();
    if (dumper == 0) {
        int failed = 0;
        for (int i = 1; i <= 20; i++) {
            char cmd[1200];
            snprintf(cmd, sizeof cmd, "'%s' dump --json %d > '%s/attach.%d.json'", cli_threadleak(),
                     (int)srv, dir, i);
            failed += system(cmd) != 0;
            usleep(50 * 1000);
        }
        _exit(failed);
    }
    tlt_result r = tlt_run_in(bench, NULL, 0, dir, 120000);
    int st;
    waitpid(dumper, &st, 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%d of 20 attach dumps failed",
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    cr_expect(tlt_exited_0(&r), "redis-benchmark: %s\n%s%s", tlt_status(r.status), r.out, r.err);
    cr_expect(strstr(r.out, "SET: ") && strstr(r.out, "GET: "),
              "redis-benchmark did not report every test:\n%s", r.out);
    long paused_max = 0;
    for (int i = 1; i <= 20; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/attach.%d.json", dir, i);
        json_t *d = json_load_file(path, 0, NULL);
        cr_expect(d != NULL, "%s does not parse", path);
        json_t *c = json_object_get(d, "counts");
        cr_expect(json_integer_value(json_object_get(c, "live")) >= 4,
                  "%s: fewer threads than redis-server has", path);
        long ns = (long)json_integer_value(json_object_get(json_object_get(d, "pause"), "ns"));
        if (ns > paused_max)
            paused_max = ns;
        json_decref(d);
    }
    cr_expect(tlt_redis_ping(port), "redis-server stopped answering after the dumps");
    st = tlt_redis_stop(srv, port, dir);
    cr_expect(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "redis-server did not shut down cleanly: %s", st < 0 ? "hung" : tlt_status(st));
    char summary[400];
    tlt_redis_rates(r.out, summary, sizeof summary);
    tlt_figure("redis-server (4 io-threads) without the library: 20 attach dumps under "
               "redis-benchmark (longest pause %.1f ms), clean shutdown: %s",
               paused_max / 1e6, summary);
    tlt_result_free(&r);
    tlt_rmtree(dir);
}

/* --attach on a preloaded process: the library's groups (with creation
 * stacks and wait times), plus through ptrace the threads it does not track
 * (raw clone, inline system calls); only those are stopped. */
Test(attach, preloaded_process_with_untracked_threads)
{
    tlt_proc *p = tlt_start("attach_raw_clone", NULL);
    cli_result *r = cli_new();
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    const char *plain[] = {cli_threadleak(), "dump", "--json", pid, NULL};
    cli_exec(r, NULL, 0, plain, NULL);
    json_t *lib = json_loads(r->out, 0, NULL);
    tlt_expect(p, r->status == 0 && lib, "dump of the preloaded process: %d %s", r->status, r->err);
    long lib_live =
        (long)json_integer_value(json_object_get(json_object_get(lib, "counts"), "live"));
    tlt_expect(p, lib_live == 4, "the library alone sees %ld threads, expected 4", lib_live);
    json_decref(lib);
    const char *both[] = {cli_threadleak(), "dump", "--attach", "--json", pid, NULL};
    cli_exec(r, NULL, 0, both, NULL);
    tlt_expect(p, r->status == 0, "dump --attach: status %d: %s", r->status, r->err);
    json_decref(p->json);
    p->json = json_loads(r->out, 0, NULL);
    tlt_expect(p, p->json != NULL, "dump --attach is not JSON:\n%.2000s", r->out);
    tlt_expect(p, !strcmp(json_string_value(json_object_get(p->json, "source")), "preload+ptrace"),
               "source is not preload+ptrace");
    tlt_expect(p, tlt_count(p, "live") == 6, "live %ld, expected 6", tlt_count(p, "live"));
    tlt_expect(p, tlt_count(p, "created") == 3, "the library's counts were lost");
    json_t *pause = json_object_get(p->json, "pause");
    tlt_expect(p, json_integer_value(json_object_get(pause, "threads")) == 2,
               "stopped %lld threads, expected only the 2 the library does not track",
               (long long)json_integer_value(json_object_get(pause, "threads")));
    json_t *lib_group = tlt_find_group_fn(p, "blocked", "cond", "cond_waiter");
    tlt_expect_group(p, lib_group, "blocked", "cond", 3);
    tlt_expect_on_stack(p, lib_group, "spawn_stack", "main");
    tlt_expect(p, json_is_object(json_object_get(lib_group, "blocked_ns")),
               "the library's wait times were lost");
    json_t *raw = tlt_find_group_fn(p, "blocked", "futex", "raw_waiter");
    tlt_expect_group(p, raw, "blocked", "futex", 2);
    tlt_expect_frame0(p, raw, "stack", "raw_waiter");
    tlt_expect(p, json_is_null(json_object_get(raw, "spawn_stack")),
               "a creation stack was made up for a thread the library never saw");
    tlt_stop(p);
    cli_free(r);
}

/* ---- refusals ---- */

Test(attach, no_such_process)
{
    cli_result *r = cli_new();
    const char *argv[] = {cli_threadleak(), "dump", "4194000", NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    cr_expect_eq(r->status, 1);
    cr_expect(strstr(r->err, "no process with pid 4194000"), "%s", r->err);
    cli_free(r);
}

/* As another user (nobody) on our process: refused with what to do. The
 * command is copied where nobody can run it. */
Test(attach, another_users_process)
{
    if (geteuid() != 0 || !tlt_which("setpriv")) {
        cr_log_warn("skipped: needs root and setpriv (util-linux) to run as another user");
        return;
    }
    cli_result *r = cli_new();
    char dir[512], cmd[1200], me[16];
    snprintf(dir, sizeof dir, "%s", cli_path(r, "bin"));
    mkdir(dir, 0755);
    chmod(r->dir, 0755);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/threadleak' && chmod 0755 '%s/threadleak'",
             cli_threadleak(), dir, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/threadleak", dir);
    snprintf(me, sizeof me, "%d", (int)getpid());
    const char *argv[] = {"/usr/bin/setpriv",
                          "--reuid=65534",
                          "--regid=65534",
                          "--clear-groups",
                          cmd,
                          "dump",
                          me,
                          NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    cr_expect_eq(r->status, 1, "status %d, stderr: %s", r->status, r->err);
    cr_expect(strstr(r->err, "belongs to uid 0") && strstr(r->err, "sudo threadleak dump"),
              "the refusal does not say whose process it is and what to do:\n%s", r->err);
    cli_free(r);
}

/* ---- lock owners and deadlock cycles, from the lock words ---- */

static tlt_proc *start_bare_mode(const char *prog, const char *mode)
{
    const char *argv[] = {tlt_prog_path(prog), mode, NULL};
    return tlt_start_argv(argv, bare);
}

/* `threadleak dump PID` as text, straight from the command (not through
 * report), into p->text. */
static void attach_text(tlt_proc *p)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    cli_result *r = cli_new();
    const char *argv[] = {cli_threadleak(), "dump", pid, NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    tlt_expect(p, r->status == 0, "threadleak dump %s: status %d: %s", pid, r->status, r->err);
    free(p->text);
    p->text = strdup(r->out ? r->out : "");
    cli_free(r);
}

/* Attach dumps until one shows a deadlock (on a slow machine the last
 * thread may reach its last wait after "ready"), at most 10. */
static void attach_deadlocked(tlt_proc *p)
{
    for (int i = 0; i < 10; i++) {
        attach_dump(p);
        if (json_array_size(json_object_get(p->json, "deadlocks")) > 0)
            return;
        usleep(200 * 1000);
    }
}

/* The cycle of the mode's threads in both forms, each thread's owner the
 * next one, blocked where the program blocks it. */
static void expect_attach_cycle(const char *mode, size_t n, const char *wait, const char *fn,
                                const char *call)
{
    tlt_proc *p = start_bare_mode("deadlock_cycle", mode);
    attach_deadlocked(p);
    const char *objs[] = {NULL, NULL, NULL, NULL};
    if (!strcmp(wait, "mutex"))
        for (size_t i = 0; i < 3; i++) {
            char key[8];
            snprintf(key, sizeof key, "lock%zu", i);
            objs[i] = strdup(tlt_printed(p, key));
        }
    json_t *c = tlt_only_deadlock(p, n);
    tlt_expect_cycle(p, c, wait, objs[0] ? objs : NULL, fn);
    for (size_t i = 0; i < n; i++)
        tlt_expect(
            p, !strcmp(json_string_value(json_object_get(json_array_get(c, i), "wait_call")), call),
            "cycle thread %zu: wait_call is not %s", i, call);
    /* Their group lists each one's owner: blocked, in the same wait. */
    json_t *g = tlt_find_group_fn(p, "blocked", wait, fn);
    json_t *owners = json_object_get(g, "owners");
    tlt_expect(p, json_array_size(owners) == n, "the group lists %zu owners, not %zu",
               json_array_size(owners), n);
    size_t i;
    json_t *o;
    json_array_foreach(owners, i, o)
    {
        tlt_expect(
            p,
            !strcmp(json_string_value(json_object_get(o, "state")), "blocked") &&
                !strcmp(json_string_value(json_object_get(o, "wait")), wait) &&
                !strcmp(json_string_value(json_object_get(json_object_get(o, "at"), "function")),
                        fn),
            "owner %zu is not a thread blocked in %s at %s", i, wait, fn);
    }
    char head[64], frame[64], line[96];
    snprintf(head, sizeof head, "\ndeadlock: %zu threads\n  thread ", n);
    snprintf(frame, sizeof frame, "    #0  %s ", fn);
    snprintf(line, sizeof line, " \u00b7 blocked in %s (%s 0x", wait, call);
    tlt_expect_text(p, head); /* report's rendering of the JSON */
    attach_text(p);
    tlt_expect_text(p, head);
    tlt_expect_text(p, frame);
    tlt_expect_text(p, line);
    tlt_expect_text(p, !strcmp(wait, "join") ? ", joining thread " : ", held by thread ");
    tlt_expect(p, strstr(p->text, "\ndeadlock: ") < strstr(p->text, " threads \u00b7 blocked in"),
               "the deadlock is not above the groups");
    for (size_t k = 0; objs[k]; k++)
        free((char *)objs[k]);
    tlt_stop(p);
}

Test(attach, deadlock_mutex_two_threads)
{
    expect_attach_cycle("mutex2", 2, "mutex", "take_in_order", "pthread_mutex_lock");
}

Test(attach, deadlock_mutex_three_threads)
{
    expect_attach_cycle("mutex3", 3, "mutex", "take_in_order", "pthread_mutex_lock");
}

Test(attach, deadlock_rwlock_writers)
{
    expect_attach_cycle("rwlock", 2, "rwlock", "write_in_order", "pthread_rwlock_wrlock");
}

Test(attach, deadlock_join_cycle)
{
    expect_attach_cycle("join3", 3, "join", "join_next", "pthread_join");
}

/* A mutex whose owner returned without unlocking it: held by a thread
 * that exited (its name and start routine died with it). */
Test(attach, orphaned_mutex_owner_exited)
{
    tlt_proc *p = start_bare_mode("deadlock_orphan", "orphan");
    attach_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "mutex", "wait_for_lock");
    tlt_expect_group(p, g, "blocked", "mutex", 3);
    tlt_expect_object(p, g, tlt_printed(p, "object"));
    json_t *o = json_object_get(g, "owner");
    tlt_expect(p, o && !strcmp(json_string_value(json_object_get(o, "state")), "exited"),
               "the owner is not shown as exited");
    tlt_expect(p, tlt_owner_has_flag(o, "exited"), "flags lack \"exited\"");
    long tid = (long)json_integer_value(json_object_get(o, "tid"));
    char task[96];
    snprintf(task, sizeof task, "/proc/%d/task/%ld", (int)p->pid, tid);
    tlt_expect(p, tid > 0 && access(task, F_OK) != 0, "the owner tid %ld is not a gone thread",
               tid);
    tlt_expect_no_deadlock(p);
    attach_text(p);
    char line[96];
    snprintf(line, sizeof line, "  held by thread %ld, which exited\n", tid);
    tlt_expect_text(p, line);
    tlt_expect_no_deadlock(p);
    tlt_stop(p);
}

/* A robust mutex whose owner died, relocked by main and kept inconsistent:
 * held by main, and the text says what the next lock gets. */
Test(attach, robust_mutex_owner_died)
{
    tlt_proc *p = start_bare_mode("deadlock_orphan", "robust");
    attach_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "mutex", "wait_for_lock");
    tlt_expect_group(p, g, "blocked", "mutex", 1);
    tlt_expect_wait_call(p, g, "pthread_mutex_lock");
    json_t *o = json_object_get(g, "owner");
    tlt_expect(p, o && json_integer_value(json_object_get(o, "tid")) == p->pid,
               "the owner is not the main thread");
    tlt_expect(p, tlt_owner_has_flag(o, "owner_died"), "flags lack \"owner_died\"");
    attach_text(p);
    tlt_expect_text(p, "(main), blocked in sleep at wait_forever");
    tlt_expect_text(p, "a previous owner died holding it and it was not made consistent");
    tlt_stop(p);
}

/* A waiter whose mutex was unmapped under it: owner unknown, and the
 * program survives the dumps (a stopped futex wait on unmapped memory
 * would restart into EFAULT, which glibc aborts on). */
Test(attach, unmapped_mutex_is_unknown_and_survives)
{
    tlt_proc *p = start_bare_mode("deadlock_orphan", "unmapped");
    for (int i = 0; i < 3; i++)
        attach_dump(p);
    json_t *g = tlt_find_group_fn(p, "blocked", "mutex", "wait_for_mapped");
    tlt_expect_group(p, g, "blocked", "mutex", 1);
    json_t *o = json_object_get(g, "owner");
    tlt_expect(p, o && tlt_owner_has_flag(o, "unreadable"),
               "the owner of an unmapped mutex is not unknown");
    usleep(100 * 1000);
    tlt_expect_alive(p);
    tlt_stop(p);
}

/* Hard but ordered locking: no dump shows a cycle, though they do catch
 * threads waiting for locks that others hold. */
Test(attach, contention_never_a_cycle)
{
    long waits_seen = 0, owners_seen = 0;
    for (int r = 0; r < 2; r++) {
        tlt_proc *p = tlt_start("deadlock_contention", bare);
        for (int k = 0; k < 4; k++) {
            attach_dump(p);
            tlt_expect_no_deadlock(p);
            waits_seen += tlt_by_wait(p, "mutex") + tlt_by_wait(p, "rwlock");
            owners_seen += strstr(p->text, "  held by thread ") != NULL;
        }
        attach_text(p);
        tlt_expect_no_deadlock(p);
        tlt_stop(p);
    }
    cr_expect(waits_seen > 0, "no dump caught a lock wait: the program did not contend");
    cr_log_info("lock waits seen %ld, dumps naming an owner %ld", waits_seen, owners_seen);
}
