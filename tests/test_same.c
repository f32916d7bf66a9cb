/* A program must see the same with the library as without: each
 * tests/progs/same_* program is run bare and preloaded, and what it prints
 * (every answer of every wrapped call: return values, errno, what the call
 * took or wrote) must be the same, byte for byte, and so must its exit
 * status. Only the first line ("preloaded no" / "preloaded yes") differs,
 * which also proves each run was what it claims. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/tlt.h"

TestSuite(same, .timeout = 120);

struct run_env {
    int preload;
    char output[300];
};

static void set_env(void *arg)
{
    struct run_env *e = arg;
    unsetenv("LD_PRELOAD");
    if (e->preload) {
        setenv("LD_PRELOAD", tlt_lib_path(), 1);
        /* Dumps (the signals program asks for them) go out of the way. */
        setenv("THREADLEAK_OUTPUT", e->output, 1);
        setenv("THREADLEAK_FORMAT", "json", 1);
    }
}

static char *run(const char *prog, const char *arg, const char *arg2, int preload, int *status)
{
    struct run_env e = {.preload = preload};
    snprintf(e.output, sizeof e.output, "/tmp/tl-same.%d.%%p.%%n", (int)getpid());
    const char *argv[] = {tlt_prog_path(prog), arg, arg2, NULL};
    char *out = NULL;
    *status = tlt_run_captured(argv, set_env, &e, 60, &out);
    return out;
}

/* Everything after the first line. */
static const char *body(const char *out)
{
    const char *nl = strchr(out, '\n');
    return nl ? nl + 1 : "";
}

/* The first line that differs, for the failure message. */
static void first_difference(const char *a, const char *b, char *msg, size_t size)
{
    int line = 1;
    while (*a && *a == *b) {
        line += *a == '\n';
        a++, b++;
    }
    while (line > 1 && a[-1] != '\n')
        a--, b--;
    snprintf(msg, size, "line %d:\n  bare:      %.*s\n  preloaded: %.*s", line + 1,
             (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
}

static void expect_same2(const char *prog, const char *arg, const char *arg2)
{
    int bare_status, pre_status;
    char *bare = run(prog, arg, arg2, 0, &bare_status);
    char *pre = run(prog, arg, arg2, 1, &pre_status);
    cr_assert(!strncmp(bare, "preloaded no\n", 13), "%s bare did not run as expected:\n%s", prog,
              bare);
    cr_assert(!strncmp(pre, "preloaded yes\n", 14), "%s preloaded did not have the library:\n%s",
              prog, pre);
    cr_assert(bare_status == 0, "%s %s %s bare exited with status %#x:\n%s", prog, arg ? arg : "",
              arg2 ? arg2 : "", bare_status, bare);
    char diff[1024] = "";
    if (strcmp(body(bare), body(pre)))
        first_difference(body(bare), body(pre), diff, sizeof diff);
    cr_expect(!diff[0], "%s %s %s sees something else preloaded, first at %s", prog, arg ? arg : "",
              arg2 ? arg2 : "", diff);
    cr_expect(pre_status == bare_status, "%s %s: exit status %#x preloaded, %#x bare", prog,
              arg ? arg : "", pre_status, bare_status);
    free(bare);
    free(pre);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -f /tmp/tl-same.%d.*", (int)getpid());
    if (system(cmd) != 0)
        cr_log_warn("could not remove the dumps: %s", cmd);
}

static void expect_same(const char *prog, const char *arg)
{
    expect_same2(prog, arg, NULL);
}

/* Bad clocks and timespecs, on free and busy locks, semaphores, joins,
 * condvars, sleeps, polls and futexes: EINVAL where glibc says so, and
 * nothing taken. */
Test(same, bad_clocks_and_timespecs)
{
    expect_same("same_args", "timeouts");
}

/* Pointers the kernel refuses: EFAULT, never a crash. */
Test(same, bad_pointers)
{
    expect_same("same_args", "pointers");
}

/* A pending cancellation at every wrapped call: acted on exactly where
 * glibc acts, before any token or byte is taken. */
Test(same, cancellation_at_each_call)
{
    expect_same("same_cancel", NULL);
}

/* The dump signal twice during every wrapped wait: no EINTR, no errno,
 * no wait cut short (sleep(1) takes its second), no remainder written. */
Test(same, dump_signal_during_each_wait)
{
    expect_same("same_signals", NULL);
}

/* Arguments drawn at random for the timed, polling and futex calls (see
 * tests/progs/same_fuzz.c): fixed seeds, THREADLEAK_FUZZ_SEED for another,
 * more and longer under THREADLEAK_STRESS=1. */
Test(same, fuzzed_arguments)
{
    int stress = getenv("THREADLEAK_STRESS") && atoi(getenv("THREADLEAK_STRESS"));
    const char *given = getenv("THREADLEAK_FUZZ_SEED");
    int seeds = given ? 1 : stress ? 20 : 3;
    for (int i = 0; i < seeds; i++) {
        char seed[32];
        snprintf(seed, sizeof seed, "%s", given ? given : "");
        if (!given)
            snprintf(seed, sizeof seed, "%d", 1000 + i);
        expect_same2("same_fuzz", seed, stress ? "20000" : "1500");
    }
}

/* Wait notes while a signal handler runs during the wait, or after it
 * siglongjmp'ed out of it: the dump shows the thread where it
 * really waits. */
struct note_case {
    char mode[24];
    char wait[8];
    char call[24];
    char frame0[16];
};

static struct note_case note_cases[] = {
    {"altstack_above", "io", "read", "reader"},
    {"altstack_below", "io", "read", "reader"},
    {"same_stack", "io", "read", "reader"},
    {"longjmp_deeper", "cond", "pthread_cond_wait", "cond_waiter"},
    {"longjmp_shallower", "cond", "pthread_cond_wait", "cond_waiter"},
    {"longjmp_then_run", "", "", ""},
};

ParameterizedTestParameters(notes, where_the_thread_waits)
{
    return cr_make_param_array(struct note_case, note_cases,
                               sizeof note_cases / sizeof note_cases[0]);
}

ParameterizedTest(struct note_case *c, notes, where_the_thread_waits, .fini = tlt_cleanup,
                  .timeout = 30)
{
    const char *argv[] = {tlt_prog_path("same_notes"), c->mode, NULL};
    tlt_proc *p = tlt_start_argv(argv, NULL);
    tlt_dump(p);
    if (!c->wait[0]) { /* running, in nothing threadleak wraps */
        tlt_expect_by_wait(p, "io", 0);
        tlt_expect_count(p, "running", 1);
        tlt_stop(p);
        return;
    }
    json_t *g = tlt_find_group(p, "blocked", c->wait);
    tlt_expect(p, g != NULL, "%s: no thread blocked in %s", c->mode, c->wait);
    tlt_expect_group(p, g, "blocked", c->wait, 1);
    tlt_expect_wait_call(p, g, c->call);
    tlt_expect_frame0(p, g, "stack", c->frame0);
    tlt_expect_count(p, "blocked", 2); /* and main, in pause() */
    tlt_stop(p);
}

/* Cancelled by another thread while blocked in each cancellation point. */
Test(same, cancelled_while_blocked)
{
    expect_same("same_cancel", "blocked");
}
