/* Running-thread stacks (THREADLEAK_RUNNING_STACKS=1, `threadleak dump
 * --running`): a spinning thread's dump says where it spins; the program
 * never sees an EINTR, a lost wake-up, a stray signal or a handler call it
 * would not see without them; and with them off nothing changes. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/files.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(running, .fini = tlt_cleanup, .timeout = 120);

/* `threadleak dump [--running] [--json] PID`, retried for up to 5 s while
 * the process has not announced itself to the command yet. */
static cli_result *dump_of(tlt_proc *p, int running, int json)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)p->pid);
    const char *argv[5] = {cli_threadleak(), "dump"};
    int n = 2;
    if (running)
        argv[n++] = "--running";
    if (json)
        argv[n++] = "--json";
    argv[n++] = pid;
    argv[n] = NULL;
    cli_result *r = cli_new();
    for (long end = tlt_now_ms() + 5000;;) {
        cli_exec(r, NULL, 0, argv, NULL);
        if (r->status == 0 || tlt_now_ms() > end)
            break;
        usleep(100 * 1000);
    }
    tlt_expect(p, r->status == 0, "threadleak dump%s: %d\n%s%s", running ? " --running" : "",
               r->status, r->out, r->err);
    return r;
}

static json_t *dump_json(tlt_proc *p, int running)
{
    cli_result *r = dump_of(p, running, 1);
    json_error_t e;
    json_t *d = json_loads(r->out, 0, &e);
    tlt_expect(p, d != NULL, "not JSON (%s):\n%s", e.text, r->out);
    cli_free(r);
    return d;
}

/* The running group captured in spin_here, or NULL. */
static json_t *spinning_group(json_t *d)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(d, "groups"), i, g)
    {
        const char *cap = json_string_value(json_object_get(g, "running_capture"));
        if (cap && strcmp(cap, "ok") == 0 &&
            tlt_stack_has(json_object_get(g, "current_stack"), "spin_here"))
            return g;
    }
    return NULL;
}

/* `threadleak dump --running --json`, asked up to 5 times until it has
 * the running group in spin_here: a thread descheduled for the whole
 * capture on a loaded machine answers one dump of a few. The last dump. */
static json_t *dump_spinning(tlt_proc *p)
{
    json_t *d = dump_json(p, 1);
    for (int i = 0; i < 4 && !spinning_group(d); i++) {
        json_decref(d);
        d = dump_json(p, 1);
    }
    return d;
}

/* Ends the program with SIGTERM and returns its stdout once it has printed
 * `last` (up to 10 s). */
static const char *finish(tlt_proc *p, const char *last)
{
    kill(p->pid, SIGTERM);
    tlt_expect(p, tlt_wait_stdout(p, last, 10000), "the program did not print \"%s\":\n%s", last,
               p->out);
    return p->out;
}

Test(running, env_var_shows_where_a_running_thread_spins)
{
    const char *env[] = {"THREADLEAK_RUNNING_STACKS=1", NULL};
    tlt_proc *p = tlt_start("running_spin", env);
    json_t *g = NULL;
    /* A thread descheduled for the whole wait on a loaded machine does not
     * answer one dump; it answers one of a few. */
    for (int i = 0; i < 5 && !g; i++)
        g = spinning_group(tlt_dump(p));
    tlt_expect(p, g != NULL, "no running group captured in spin_here");
    tlt_expect_on_stack(p, g, "current_stack", "spinner");
    tlt_expect_frame0(p, g, "stack", "spinner"); /* the start routine, as before */
    tlt_expect_on_stack(p, g, "spawn_stack", "main");
    tlt_expect_text(p, "running in spin_here");
    tlt_expect(p, json_is_object(json_object_get(p->json, "running_stacks")),
               "no running_stacks in the dump");
    tlt_stop(p);
}

/* running_spin started with RLIMIT_SIGPENDING at 0 (the limit is
 * inherited; ours is restored once it has started). */
static tlt_proc *start_without_sigpending(const char *const *env)
{
    struct rlimit was, none;
    cr_assert(getrlimit(RLIMIT_SIGPENDING, &was) == 0);
    none = (struct rlimit){0, was.rlim_max};
    cr_assert(setrlimit(RLIMIT_SIGPENDING, &none) == 0);
    tlt_proc *p = tlt_start("running_spin", env);
    setrlimit(RLIMIT_SIGPENDING, &was);
    return p;
}

/* A capture signal the kernel could not queue with its siginfo (the
 * user's pending-signal limit, RLIMIT_SIGPENDING, reached) arrives as a
 * plain SI_USER from pid 0: it is still an answer, never a dump the program
 * did not ask for. */
Test(running, a_capture_signal_that_lost_its_siginfo_still_answers)
{
    const char *env[] = {"THREADLEAK_RUNNING_STACKS=1", NULL};
    tlt_proc *p = start_without_sigpending(env);
    json_t *g = NULL;
    for (int i = 0; i < 5 && !g; i++)
        g = spinning_group(tlt_dump(p));
    tlt_expect(p, g != NULL, "no running group captured in spin_here");
    usleep(300 * 1000);
    char extra[512];
    snprintf(extra, sizeof extra, "%s/dump.%d.%d.json", p->dir, (int)p->pid, p->dumps + 1);
    tlt_expect(p, access(extra, F_OK) != 0, "a dump nobody asked for: %s", extra);
    tlt_stop(p);
}

/* A capture signal the kernel refuses (a real-time THREADLEAK_SIGNAL past
 * the user's RLIMIT_SIGPENDING) is no signal pending: once the limit is
 * raised, the next dump asks again and is answered. */
Test(running, a_refused_capture_signal_is_asked_again)
{
    const char *env[] = {"THREADLEAK_SIGNAL=RTMIN+3", NULL};
    tlt_proc *p = start_without_sigpending(env);
    struct rlimit was;
    cr_assert(getrlimit(RLIMIT_SIGPENDING, &was) == 0);
    json_t *d = dump_json(p, 1);
    tlt_expect(p, spinning_group(d) == NULL, "captured past the limit");
    json_decref(d);
    cr_assert(prlimit(p->pid, RLIMIT_SIGPENDING, &was, NULL) == 0);
    d = dump_spinning(p);
    tlt_expect(p, spinning_group(d) != NULL, "no capture once the limit was raised");
    json_decref(d);
    tlt_stop(p);
}

Test(running, dump_running_flag_asks_for_them)
{
    tlt_proc *p = tlt_start("running_spin", NULL);
    json_t *d = dump_spinning(p);
    tlt_expect(p, spinning_group(d) != NULL, "no threadleak dump --running captured spin_here");
    /* The command renders it: text, and flame graphs of where they run. */
    cli_result *rep = cli_new();
    const char *path = cli_path(rep, "running.json");
    json_dump_file(d, path, 0);
    json_decref(d);
    const char *text[] = {cli_threadleak(), "report", path, NULL};
    cli_exec(rep, NULL, 0, text, NULL);
    tlt_expect(p, rep->status == 0 && strstr(rep->out, "running in spin_here"),
               "threadleak report of a --running dump: %d\n%s%s", rep->status, rep->out, rep->err);
    const char *folded[] = {cli_threadleak(), "report", "--format", "folded", path, NULL};
    cli_exec(rep, NULL, 0, folded, NULL);
    tlt_expect(p, rep->status == 0 && strstr(rep->out, "spin_here;[running]"),
               "threadleak report --format folded: %d\n%s%s", rep->status, rep->out, rep->err);
    cli_free(rep);
    /* Only those dumps: the next one without --running is as before. */
    cli_result *r = dump_of(p, 0, 0);
    tlt_expect(p, strstr(r->out, "running, started in") && !strstr(r->out, "spin_here"),
               "threadleak dump without --running:\n%s", r->out);
    cli_free(r);
    tlt_stop(p);
}

Test(running, off_by_default)
{
    tlt_proc *p = tlt_start("running_spin", NULL);
    json_t *d = tlt_dump(p);
    tlt_expect(p, json_object_get(d, "running_stacks") == NULL, "running_stacks without asking");
    json_t *g = tlt_find_group(p, "running", NULL);
    tlt_expect_group(p, g, "running", NULL, 2);
    tlt_expect_frame0(p, g, "stack", "spinner");
    tlt_expect(p, !json_object_get(g, "current_stack") && !json_object_get(g, "running_capture"),
               "a capture without asking");
    tlt_expect_text(p, "2 threads \u00b7 running, started in");
    tlt_expect(p, !strstr(p->text, "spin_here"), "spin_here in a dump without captures");
    tlt_stop(p);
}

/* The calls that return EINTR even under SA_RESTART, wrapped, raw and the
 * C library's own, while 50 dumps capture the threads making them. */
static void eintr_run(int running, int dumps)
{
    char *bare = NULL;
    const char *bare_argv[] = {tlt_prog_path("running_eintr"), "1000", NULL};
    int st = tlt_run_captured(bare_argv, NULL, NULL, 30, &bare);
    cr_assert(st == 0 && strstr(bare, "eintr 0\nlost 0\nsiginfo 0\n"), "bare run: %d\n%s", st,
              bare);
    const char *env[] = {running ? "THREADLEAK_RUNNING_STACKS=1" : "THREADLEAK_LOG=warn", NULL};
    const char *argv[] = {tlt_prog_path("running_eintr"), "60000", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    int ok = 0;
    for (int i = 0; i < dumps; i++) {
        json_t *d = dump_json(p, running);
        size_t k;
        json_t *g;
        json_array_foreach(json_object_get(d, "groups"), k, g)
        {
            const char *cap = json_string_value(json_object_get(g, "running_capture"));
            ok += cap && strcmp(cap, "ok") == 0;
        }
        json_decref(d);
    }
    const char *out = finish(p, "siginfo ");
    tlt_expect(p, !running || ok > 0, "no running thread captured in %d dumps", dumps);
    /* With captures off, the program sees exactly what it sees bare. */
    char want[64];
    snprintf(want, sizeof want, "eintr 0\nlost 0\nsiginfo %d\n", running);
    tlt_expect(p, strstr(out, want) != NULL, "the program saw (bare: %s):\n%s\n%s", bare, out,
               tlt_stderr(p));
    free(bare);
    tlt_stop(p);
}

Test(running, no_eintr_and_no_lost_wakeup_under_50_captures)
{
    eintr_run(1, 50);
}

Test(running, off_leaves_signals_and_calls_alone)
{
    eintr_run(0, 20);
}

Test(running, a_thread_blocking_the_signal_is_named_and_never_signalled)
{
    tlt_proc *p = tlt_start("running_blocked", NULL);
    int tid = atoi(tlt_printed(p, "blocked_tid"));
    for (int i = 0; i < 3; i++) {
        json_t *d = dump_json(p, 1);
        json_t *na = json_object_get(json_object_get(d, "running_stacks"), "not_answered");
        int named = 0;
        size_t k;
        json_t *t;
        json_array_foreach(na, k, t)
        {
            named |= json_integer_value(json_object_get(t, "tid")) == tid &&
                     strcmp(json_string_value(json_object_get(t, "why")), "blocked_signal") == 0;
        }
        tlt_expect(p, named, "thread %d is not named as blocking the signal", tid);
        json_decref(d);
    }
    cli_result *r = dump_of(p, 1, 0);
    char line[128];
    snprintf(line, sizeof line, "did not answer: %d (signal blocked)", tid);
    tlt_expect(p, strstr(r->out, line) != NULL, "no \"%s\" in:\n%s", line, r->out);
    cli_free(r);
    const char *out = finish(p, "stray ");
    tlt_expect(p, strstr(out, "stray 0\n") != NULL, "a capture signal was left pending:\n%s", out);
    tlt_stop(p);
}

/* A thread in seccomp's strict mode is killed by any system call but
 * read, write, exit and sigreturn: the handler's would end it. It is
 * named and never signalled, and the program keeps its three threads. */
/* How many threads p has now (threadleak's sampler included). */
static int task_count(tlt_proc *p)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)p->pid);
    return tlt_count_files(path, NULL);
}

Test(running, a_thread_under_its_own_seccomp_filter_is_named_and_never_signalled)
{
    tlt_proc *p = tlt_start("running_seccomp", NULL);
    int before = task_count(p);
    for (int i = 0; i < 3; i++) {
        json_t *d = dump_json(p, 1);
        json_t *na = json_object_get(json_object_get(d, "running_stacks"), "not_answered");
        int named = 0;
        size_t k;
        json_t *t;
        json_array_foreach(na, k, t)
        {
            named |= strcmp(json_string_value(json_object_get(t, "why")), "seccomp") == 0;
        }
        tlt_expect(p, named, "no thread named as under seccomp");
        json_decref(d);
    }
    int after = task_count(p);
    tlt_expect(p, after == before, "a thread of the program ended: %d of %d left", after, before);
    finish(p, "alive 1");
    tlt_stop(p);
}

/* A program that takes the signal itself with sigwaitinfo() and sends it
 * with tgkill(), while dumps capture its spinning thread: every signal it
 * sends is taken once, and none it did not send. */
Test(running, a_program_sending_the_signal_itself_gets_each_one)
{
    tlt_proc *p = tlt_start("running_own_tgkill", NULL);
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        json_t *d = dump_json(p, 1);
        ok += spinning_group(d) != NULL;
        json_decref(d);
    }
    const char *out = finish(p, "lost ");
    long sent = -1, taken = -2, foreign = -1, lost = -1;
    const char *at = strstr(out, "sent ");
    if (at)
        sscanf(at, "sent %ld\ntaken %ld\nforeign %ld\nlost %ld", &sent, &taken, &foreign, &lost);
    tlt_expect(p, ok > 0, "no capture of the spinning thread in 20 dumps");
    tlt_expect(p, sent > 0 && taken == sent && foreign == 0 && lost == 0,
               "the program's signals:\n%s", out);
    tlt_stop(p);
}

/* The copy of a thread's stack ends at the top of that stack: the next
 * mapping up (here registered with userfaultfd, whose every fault the
 * program sees, and which a program may never serve) is not read. */
Test(running, the_copy_never_reads_past_the_stack_top)
{
    tlt_proc *p = tlt_start("running_uffd", NULL);
    if (atoi(tlt_printed(p, "uffd")) != 1) {
        tlt_stop(p);
        cr_skip_test("userfaultfd refused here (vm.unprivileged_userfaultfd=0, not root)");
    }
    json_t *d = dump_spinning(p);
    tlt_expect(p, spinning_group(d) != NULL, "no capture of the spinning thread");
    json_decref(d);
    const char *out = finish(p, "faults ");
    tlt_expect(p, strstr(out, "faults 0\n") != NULL, "read above the stack:\n%s", out);
    tlt_stop(p);
}

Test(running, a_program_owning_the_signal_keeps_it)
{
    tlt_proc *p = tlt_start("running_own_handler", NULL);
    cli_result *r = dump_of(p, 1, 0);
    tlt_expect(
        p,
        strstr(r->out, "running stacks: unavailable: the program handles signal 10 itself") != NULL,
        "threadleak dump --running:\n%s", r->out);
    cli_free(r);
    json_t *d = dump_json(p, 1);
    json_t *g = NULL, *x;
    size_t k;
    json_array_foreach(json_object_get(d, "groups"), k,
                       x) if (strcmp(json_string_value(json_object_get(x, "state")), "running") ==
                              0) g = x;
    const char *cap = g ? json_string_value(json_object_get(g, "running_capture")) : NULL;
    tlt_expect(p, cap && strcmp(cap, "unavailable") == 0, "running group's capture: %s",
               cap ? cap : "none");
    json_decref(d);
    const char *out = finish(p, "usr1 ");
    tlt_expect(p, strstr(out, "usr1 0\n") != NULL, "the program's handler ran:\n%s", out);
    tlt_stop(p);
}
