/* Robustness of the preload library inside programs it did not write: fork with threads and dumps
 * in the child, fork from many threads, pthread_exit and pthread_cancel from deep frames, C++
 * exceptions across preloaded threads, thousands of blocked threads, thread
 * churn under a stream of dump signals. Long variants run with
 * THREADLEAK_STRESS=1 (make stress). Figures go to build/robust-figures.txt. */
#include <criterion/criterion.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "lib/dump_check.h"
#include "lib/figures.h"
#include "lib/files.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(robust, .fini = tlt_cleanup, .timeout = 120);

/* The dump file <dir>/dump.<pid>.<n>.json, loaded once it appears. */
static json_t *wait_json(const char *dir, pid_t pid, int n, long timeout_ms)
{
    char path[600];
    snprintf(path, sizeof path, "%s/dump.%d.%d.json", dir, (int)pid, n);
    for (long end = tlt_now_ms() + timeout_ms; tlt_now_ms() < end; tlt_sleep_ms(5))
        if (access(path, F_OK) == 0)
            return json_load_file(path, 0, NULL);
    return NULL;
}

static int group_has_fn(json_t *g, const char *fn)
{
    return tlt_stack_has(json_object_get(g, "stack"), fn) ||
           tlt_stack_has(json_object_get(g, "spawn_stack"), fn);
}

static json_t *group_with(json_t *dump, const char *fn)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(dump, "groups"), i, g) if (group_has_fn(g, fn)) return g;
    return NULL;
}

static json_t *stack_group_with(json_t *dump, const char *fn)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(dump, "groups"), i,
                       g) if (tlt_stack_has(json_object_get(g, "stack"), fn)) return g;
    return NULL;
}

static long count_of(json_t *dump, const char *key)
{
    return tlt_jint(json_object_get(dump, "counts"), key);
}

/* Waits for p to exit by itself (after we asked it to); its wait status. */
static int wait_exit(tlt_proc *p, long timeout_ms)
{
    for (long end = tlt_now_ms() + timeout_ms; tlt_now_ms() < end; tlt_sleep_ms(5)) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            p->status = st;
            return st;
        }
    }
    tlt_fail(p, "%s did not exit within %ld ms after it was asked to", p->name, timeout_ms);
    return -1;
}

Test(robust, fork_with_threads_then_dump_in_child)
{
    tlt_proc *p = tlt_start("robust_fork", NULL);
    pid_t children[3];
    int n = 0;
    for (const char *s = p->out; s && *s && n < 3; s = strchr(s, '\n'), s = s ? s + 1 : s)
        if (!strncmp(s, "child ", 6))
            children[n++] = (pid_t)atoi(s + 6);
    tlt_expect(p, n == 3, "expected 3 \"child <pid>\" lines, got %d", n);
    for (int i = 0; i < n; i++) {
        kill(children[i], SIGUSR1);
        json_t *d = wait_json(p->dir, children[i], 1, 5000);
        tlt_expect(p, d != NULL, "fork child %d wrote no dump 1 within 5 s", (int)children[i]);
        char why[256];
        tlt_expect(p, tlt_check_dump(d, why, sizeof why) == 0, "child %d dump: %s",
                   (int)children[i], why);
        tlt_expect(p, tlt_jint(d, "pid") == children[i], "child dump has pid %ld",
                   tlt_jint(d, "pid"));
        /* The child's threads: the forking thread (now its main) and 2. */
        tlt_expect(p, count_of(d, "live") == 3, "child %d: live %ld, expected 3", (int)children[i],
                   count_of(d, "live"));
        tlt_expect(p, count_of(d, "created") == 2 && count_of(d, "joined") == 0,
                   "child %d: created %ld joined %ld, expected 2 and 0", (int)children[i],
                   count_of(d, "created"), count_of(d, "joined"));
        json_t *g = group_with(d, "child_blocker");
        tlt_expect(p, g && tlt_jint(g, "count") == 2, "child %d: no group of 2 child_blocker",
                   (int)children[i]);
        tlt_expect(p, !group_with(d, "parent_blocker"),
                   "child %d: the parent's threads appear in the child's dump", (int)children[i]);
        json_t *m = stack_group_with(d, "child_main");
        tlt_expect(p,
                   m && tlt_jint(m, "count") == 1 &&
                       json_array_size(json_object_get(m, "spawn_stack")) == 0,
                   "child %d: the forking thread is not the child's main thread", (int)children[i]);
        json_decref(d);
    }
    tlt_dump(p);
    tlt_expect(p, tlt_group_total(p, "blocked", "cond") == 4, "parent: expected 4 cond waiters");
    tlt_expect_count(p, "created", 7);
    tlt_stop(p);
}

Test(robust, fork_from_many_threads_and_dump_in_children)
{
    int threads = tlt_stress() ? 8 : 4, forks = tlt_stress() ? 50 : 10;
    char dir[256], out[400], nt[16], nf[16];
    tlt_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    snprintf(nt, sizeof nt, "%d", threads);
    snprintf(nf, sizeof nf, "%d", forks);
    const char *argv[] = {tlt_prog_path("robust_fork"), "many", nt, nf, NULL};
    const char *env[] = {out, "THREADLEAK_FORMAT=json", NULL};
    tlt_result r = tlt_run(argv, env, 100000);
    int dumps = tlt_count_files(dir, ".json");
    tlt_figure("fork: %d threads forked %d children, each dumped itself: %d child dumps, %ld ms",
               threads, threads * forks, dumps, r.ms);
    cr_expect(tlt_exited_0(&r), "robust_fork many: %s%s\nstdout:\n%s\nstderr:\n%s",
              tlt_status(r.status), r.timed_out ? " (timed out)" : "", r.out, r.err);
    cr_expect_eq(dumps, threads * forks, "expected %d child dumps, found %d", threads * forks,
                 dumps);
    cr_expect_eq(tlt_count_files_with(dir, ".tmp"), 0, "temporary dump files were left behind");
    tlt_result_free(&r);
    tlt_rmtree(dir);
}

Test(robust, cancel_and_exit_from_deep_frames)
{
    tlt_proc *p = tlt_start("robust_cancel", NULL);
    int joined = 0, canceled = 0;
    sscanf(tlt_printed(p, "joined"), "%d canceled %d", &joined, &canceled);
    tlt_expect(p, joined == 20 && canceled == 14, "program joined %d, %d canceled", joined,
               canceled);
    tlt_dump(p);
    char why[256];
    tlt_expect(p, tlt_check_dump(p->json, why, sizeof why) == 0, "%s", why);
    /* Left: main, 3 survivors, the join target. */
    tlt_expect_count(p, "live", 5);
    tlt_expect_count(p, "exited_unjoined", 0);
    tlt_expect_count(p, "created", 3 + 1 + 22);
    tlt_expect_count(p, "joined", 20);
    tlt_expect_count(p, "detached", 2);
    tlt_expect(p, !group_with(p->json, "deep") && !group_with(p->json, "cancel_point"),
               "a thread that exited or was cancelled is still in the dump");
    json_t *g = tlt_find_group_fn(p, "blocked", "cond", "survivor");
    tlt_expect_group(p, g, "blocked", "cond", 3);
    tlt_stop(p);
}

Test(robust, cxx_exceptions_across_preloaded_threads)
{
    const char *n = tlt_stress() ? "16" : "8", *rounds = tlt_stress() ? "20000" : "2000";
    char dir[256], out[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    const char *argv[] = {tlt_prog_path("robust_exc"), n, rounds, NULL};
    const char *env[] = {out, NULL};
    tlt_result r = tlt_run(argv, env, 60000);
    cr_expect(tlt_exited_0(&r), "robust_exc: %s\nstdout:\n%s\nstderr:\n%s", tlt_status(r.status),
              r.out, r.err);
    cr_expect(strstr(r.out, "caught ") != NULL, "no \"caught\" line:\n%s", r.out);
    cr_expect(tlt_count_files(dir, ".txt") >= 1, "the dump signal raised meanwhile wrote no dump");
    tlt_figure("C++ exceptions: %s threads x %s throws caught under the preload, %ld ms", n, rounds,
               r.ms);
    tlt_result_free(&r);

    /* Who C++ unwinding binds to: libgcc_s, never Debian's libunwind. */
    const char *argv2[] = {tlt_prog_path("robust_exc"), "2", "10", NULL};
    const char *env2[] = {out, "LD_DEBUG=bindings", NULL};
    r = tlt_run(argv2, env2, 60000);
    cr_expect(tlt_exited_0(&r), "robust_exc under LD_DEBUG: %s", tlt_status(r.status));
    int bound = 0, wrong = 0;
    for (char *line = strtok(r.err, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "symbol `_Unwind_RaiseException'") &&
            !strstr(line, "symbol `_Unwind_Resume'"))
            continue;
        bound++;
        if (!strstr(line, "to /lib/x86_64-linux-gnu/libgcc_s.so.1") &&
            !strstr(line, "libgcc_s.so.1 [0]"))
            wrong++, cr_log_error("%s", line);
    }
    cr_expect(bound > 0, "LD_DEBUG=bindings showed no _Unwind_* binding");
    cr_expect_eq(wrong, 0, "%d _Unwind_* bindings do not go to libgcc_s", wrong);
    tlt_result_free(&r);
    tlt_rmtree(dir);
}

/* The dump signal, then the exit at once: the dump is written before the
 * process ends, every time (the sampler had not always come round to it). */
Test(robust, dump_signal_just_before_exit_is_written)
{
    char dir[256], out[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    const char *argv[] = {tlt_prog_path("robust_signal_then_exit"), NULL};
    const char *env[] = {out, NULL};
    int runs = 10, written = 0;
    for (int i = 0; i < runs; i++) {
        tlt_result r = tlt_run(argv, env, 30000);
        cr_expect(tlt_exited_0(&r), "robust_signal_then_exit: %s\nstderr:\n%s",
                  tlt_status(r.status), r.err);
        tlt_result_free(&r);
    }
    written = tlt_count_files(dir, ".txt");
    cr_expect_eq(written, runs, "%d runs raised the dump signal and exited, %d dumps written", runs,
                 written);
    tlt_rmtree(dir);
}

static void many_blocked(int n, int groups)
{
    char ns[16], gs[16];
    snprintf(ns, sizeof ns, "%d", n);
    snprintf(gs, sizeof gs, "%d", groups);
    const char *argv[] = {tlt_prog_path("robust_many"), ns, gs, NULL};
    long t0 = tlt_now_ms();
    tlt_proc *p = tlt_start_argv(argv, NULL);
    long started = tlt_now_ms() - t0;
    long t1 = tlt_now_ms();
    tlt_dump(p);
    long dump_ms = tlt_now_ms() - t1;
    t1 = tlt_now_ms();
    tlt_dump(p);
    long dump2_ms = tlt_now_ms() - t1;
    char why[256];
    tlt_expect(p, tlt_check_dump(p->json, why, sizeof why) == 0, "%s", why);
    tlt_expect_count(p, "live", n + 1);
    tlt_expect_count(p, "blocked", n + 1);
    tlt_expect_count(p, "created", n);
    tlt_expect_by_wait(p, "cond", n);
    /* groups of n/groups in many_blocked, one per nesting depth, and main */
    size_t i;
    json_t *g;
    int found = 0;
    json_array_foreach(json_object_get(p->json, "groups"), i, g)
    {
        if (!tlt_stack_has(json_object_get(g, "stack"), "many_blocked"))
            continue;
        found++;
        tlt_expect_group(p, g, "blocked", "cond", n / groups);
        tlt_expect_frame0(p, g, "stack", "many_blocked");
        tlt_expect_on_stack(p, g, "spawn_stack", "spawn_many");
    }
    tlt_expect(p, found == groups, "%d groups in many_blocked, expected %d", found, groups);
    tlt_expect(p, json_array_size(json_object_get(p->json, "groups")) == (size_t)groups + 1,
               "%zu groups, expected %d and main's",
               json_array_size(json_object_get(p->json, "groups")), groups);
    kill(p->pid, SIGUSR2);
    long t2 = tlt_now_ms();
    int st = wait_exit(p, 60000);
    long exit_ms = tlt_now_ms() - t2;
    tlt_expect(p, WIFEXITED(st) && WEXITSTATUS(st) == 0, "robust_many did not exit 0: %s",
               tlt_status(st));
    tlt_read_stdout(p, 100);
    tlt_expect(p, strstr(p->out, "joined ") != NULL, "robust_many did not join its threads");
    tlt_figure("scale: %d blocked threads in %d groups: first dump %ld ms, second %ld ms "
               "(signal to both files on disk); started in %ld ms, woke and joined all in %ld ms",
               n, groups, dump_ms, dump2_ms, started, exit_ms);
    tlt_stop(p);
}

Test(robust, blocked_5000_threads_in_20_groups)
{
    many_blocked(5000, 20);
}

Test(robust, blocked_10000_threads, .timeout = 180)
{
    /* at most ~28 groups: deeper nesting is cut at THREADLEAK_FRAMES (32) */
    many_blocked(tlt_stress() ? 20000 : 10000, tlt_stress() ? 25 : 20); /* pid_max here: 32768 */
}

/* Churn with a dump asked for every 50 ms: every dump parses and agrees
 * with itself, the counters never go back, and once the program is quiet
 * created = joined + detached (all finished) with only main live. */
static void churn(long total, int spawners, long max_ms)
{
    char tot[24], sp[16];
    snprintf(tot, sizeof tot, "%ld", total);
    snprintf(sp, sizeof sp, "%d", spawners);
    const char *argv[] = {tlt_prog_path("robust_churn"), tot, sp, NULL};
    const char *env[] = {"THREADLEAK_FORMAT=json", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    long t0 = tlt_now_ms();
    int signals = 0;
    while (!strstr(p->out, "done ")) {
        tlt_expect_alive(p);
        tlt_expect(p, tlt_now_ms() - t0 < max_ms, "churn of %ld threads not done in %ld ms", total,
                   max_ms);
        kill(p->pid, SIGUSR1);
        signals++;
        tlt_read_stdout(p, 50);
    }
    long churn_ms = tlt_now_ms() - t0;
    long created = 0, joined = 0, detached = 0;
    sscanf(strstr(p->out, "done "), "done created %ld joined %ld detached %ld", &created, &joined,
           &detached);
    /* Let the last asked-for dumps land, then take one more. */
    p->dumps = tlt_settled_dumps(p);
    tlt_dump(p);
    long prev_created = -1, prev_joined = -1;
    for (int i = 1; i <= p->dumps; i++) {
        char path[600], why[256];
        snprintf(path, sizeof path, "%s/dump.%d.%d.json", p->dir, (int)p->pid, i);
        json_error_t err;
        json_t *d = json_load_file(path, 0, &err);
        tlt_expect(p, d != NULL, "%s does not parse: %s", path, err.text);
        tlt_expect(p, tlt_check_dump(d, why, sizeof why) == 0, "dump %d: %s", i, why);
        long c = count_of(d, "created"), j = count_of(d, "joined");
        tlt_expect(p, c >= prev_created && j >= prev_joined,
                   "dump %d: created %ld joined %ld went back from %ld, %ld", i, c, j, prev_created,
                   prev_joined);
        tlt_expect(p, c <= created && j <= joined, "dump %d: created %ld joined %ld exceed %ld %ld",
                   i, c, j, created, joined);
        prev_created = c, prev_joined = j;
        json_decref(d);
    }
    tlt_expect_count(p, "created", created);
    tlt_expect_count(p, "joined", joined);
    tlt_expect_count(p, "detached", detached);
    tlt_expect_count(p, "live", 1);
    tlt_expect_count(p, "exited_unjoined", 0);
    tlt_expect(p, created == joined + detached, "program: created %ld != joined %ld + detached %ld",
               created, joined, detached);
    tlt_expect(p, p->dumps >= 3, "only %d dumps during the churn", p->dumps);
    tlt_figure("churn: %ld threads created and ended (%d spawners) in %ld ms while %d dump signals "
               "were sent: %d dumps, all parsed and consistent",
               created, spawners, churn_ms, signals, p->dumps);
    tlt_stop(p);
}

Test(robust, churn_with_concurrent_dumps, .timeout = 240)
{
    if (tlt_stress())
        churn(1000000, 4, 200000);
    else
        churn(100000, 4, 60000);
}

/* A process ends when its last thread ends: main's pthread_exit, and the
 * only thread of a fork child returning or calling pthread_exit. The
 * library's own thread must not keep the process alive. */
Test(robust, last_thread_ends_the_process)
{
    const char *modes[] = {"main", "fork", "forkexit"};
    for (int i = 0; i < 3; i++) {
        const char *argv[] = {tlt_prog_path("robust_pexit"), modes[i], NULL};
        tlt_result r = tlt_run(argv, NULL, 8000);
        cr_expect(tlt_exited_0(&r), "robust_pexit %s: %s%s\n%s%s", modes[i], tlt_status(r.status),
                  r.timed_out ? " (still running after 8 s: killed)" : "", r.out, r.err);
        cr_expect(r.ms < 3000, "robust_pexit %s took %ld ms", modes[i], r.ms);
        tlt_result_free(&r);
    }
}
