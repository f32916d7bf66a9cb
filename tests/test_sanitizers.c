/* Our own code under sanitizers: the test programs run, dump and
 * exit with the library built with -fsanitize=address,undefined
 * (build/asan/, ASan first in LD_PRELOAD), and a churn program with dumps
 * runs with the library built with -fsanitize=thread (build/tsan/) without
 * a ThreadSanitizer report beyond the documented design patterns of
 * tests/data/tsan.supp. Both builds are made here with `make BUILD=...`. */
#include <criterion/criterion.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>

#include "lib/dump_check.h"
#include "lib/figures.h"
#include "lib/files.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(sanitizers, .fini = tlt_cleanup, .timeout = 600);

static char lib_env[8400];

/* make BUILD=build/<name> CC="gcc <flags>" build/<name>/libthreadleak.so */
static void build_variant(const char *name, const char *flags)
{
    char cmd[9000];
    /* Tests run in parallel and share the build: one make at a time, or a
     * second one relinks the library while the first test's program loads
     * it ("file too short", or a crash in the loader). */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p '%s/%s' && flock '%s/%s.lock' make -s BUILD='%s/%s' "
             "CC='gcc %s' '%s/%s/libthreadleak.so' >/dev/null",
             tlt_source_path(""), tlt_build_dir(), name, tlt_build_dir(), name, tlt_build_dir(),
             name, flags, tlt_build_dir(), name);
    int rc = system(cmd);
    cr_assert(rc == 0, "building the %s library failed: %s", name, cmd);
}

static const char *runtime(const char *lib)
{
    static char path[4200];
    char cmd[200];
    snprintf(cmd, sizeof cmd, "gcc -print-file-name=%s", lib);
    FILE *p = popen(cmd, "r");
    cr_assert(p && fgets(path, sizeof path, p), "gcc -print-file-name=%s", lib);
    pclose(p);
    path[strcspn(path, "\n")] = 0;
    return path;
}

static int sanitizer_said(const char *err)
{
    return strstr(err, "ERROR: AddressSanitizer") || strstr(err, "runtime error:") ||
           strstr(err, "ERROR: LeakSanitizer") || strstr(err, "WARNING: ThreadSanitizer");
}

static void asan_env(void)
{
    build_variant("asan", "-fsanitize=address,undefined -fno-sanitize-recover=undefined "
                          "-fno-omit-frame-pointer");
    char asan[4200];
    snprintf(asan, sizeof asan, "%s", runtime("libasan.so"));
    snprintf(lib_env, sizeof lib_env, "LD_PRELOAD=%s %s/asan/libthreadleak.so", asan,
             tlt_build_dir());
}

/* Starts prog (args), takes `dumps` dumps, checks stderr is clean. */
static void asan_prog(const char *const *argv, int dumps)
{
    const char *env[] = {lib_env, "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    for (int i = 0; i < dumps; i++) {
        tlt_dump(p);
        char why[256];
        tlt_expect(p, tlt_check_dump(p->json, why, sizeof why) == 0, "%s", why);
    }
    tlt_expect_alive(p);
    tlt_expect(p, !sanitizer_said(tlt_stderr(p)), "the sanitizers reported:\n%s", tlt_stderr(p));
    tlt_stop(p);
}

Test(sanitizers, asan_ubsan_programs)
{
    asan_env();
    /* make check: a few; make stress: every wait-kind program too. */
    const char *quick[] = {"wait_mutex",    "wait_cond",   "wait_exited", "lang_cpp",
                           "robust_cancel", "faults_exec", "robust_fork", NULL};
    const char *all[] = {
        "wait_mutex",  "wait_rwlock",   "wait_cond",     "wait_sem",    "wait_barrier", "wait_join",
        "wait_exited", "wait_detached", "wait_futex",    "wait_sleep",  "wait_io",      "wait_poll",
        "lang_cpp",    "lang_c11",      "robust_cancel", "faults_exec", "robust_fork",  NULL};
    const char **progs = tlt_stress() ? all : quick;
    int n = 0;
    for (size_t i = 0; progs[i]; i++) {
        if (access(tlt_prog_path(progs[i]), X_OK) != 0)
            continue;
        const char *argv[] = {tlt_prog_path(progs[i]), NULL};
        asan_prog(argv, 2);
        n++;
    }
    const char *many[] = {tlt_prog_path("robust_many"), "2000", "20", NULL};
    asan_prog(many, 2);
    const char *spawn[] = {tlt_prog_path("faults_spawn"), "5", NULL};
    asan_prog(spawn, 1);
    n += 2;

    /* Programs that run to completion, leak checking on. (Not fork from
     * many threads: a child can inherit ASan's allocator lock held by
     * another thread, and hangs in malloc; GCC 12's ASan has no atfork.) */
    const char *done[][4] = {
        {tlt_prog_path("faults_idle"), "4", "--exit", NULL},
        {tlt_prog_path("robust_exc"), "4", "300", NULL},
    };
    char dir[256], out[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    for (size_t i = 0; i < sizeof done / sizeof done[0]; i++) {
        const char *env[] = {lib_env, out, "THREADLEAK_EXIT_DUMP=1", "THREADLEAK_FORMAT=text,json",
                             NULL};
        tlt_result r = tlt_run(done[i], env, 120000);
        cr_expect(tlt_exited_0(&r) && !sanitizer_said(r.err), "%s under ASan: %s\n%s", done[i][0],
                  tlt_status(r.status), r.err);
        tlt_result_free(&r);
        n++;
    }
    tlt_rmtree(dir);
    tlt_figure("ASan+UBSan library: %d programs dumped or ran to completion without a report", n);
}

Test(sanitizers, asan_churn_with_dumps)
{
    asan_env();
    const char *argv[] = {tlt_prog_path("robust_churn"), tlt_stress() ? "100000" : "20000", "4",
                          NULL};
    const char *env[] = {lib_env, "ASAN_OPTIONS=detect_leaks=0", "THREADLEAK_FORMAT=json", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    int signals = 0;
    for (long end = tlt_now_ms() + 120000; !strstr(p->out, "done ") && tlt_now_ms() < end;) {
        tlt_expect_alive(p);
        kill(p->pid, SIGUSR1);
        signals++;
        tlt_read_stdout(p, 50);
    }
    tlt_expect(p, strstr(p->out, "done ") != NULL, "the churn did not finish");
    tlt_expect_alive(p);
    tlt_expect(p, !sanitizer_said(tlt_stderr(p)), "the sanitizers reported:\n%s", tlt_stderr(p));
    tlt_figure("ASan+UBSan library: churn of %s threads under %d dump signals, no report", argv[1],
               signals);
    tlt_stop(p);
}

Test(sanitizers, tsan_registry_and_sampler_under_churn)
{
    build_variant("tsan", "-fsanitize=thread -Wno-tsan");
    /* TSan must see the threads the library creates (its sampler), so the
     * library comes first and its own DT_NEEDED libtsan right after. */
    char env1[8400], supp[4300];
    snprintf(env1, sizeof env1, "LD_PRELOAD=%s/tsan/libthreadleak.so %s", tlt_build_dir(),
             runtime("libtsan.so"));
    /* The largest history: with 30,000 threads the older side of a report
     * is otherwise lost ("failed to restore the stack") and no suppression
     * can match it. */
    snprintf(supp, sizeof supp, "TSAN_OPTIONS=history_size=7:suppressions=%s",
             tlt_source_path("tests/data/tsan.supp"));
    const char *total = tlt_stress() ? "30000" : "3000";
    /* --keep: spawners stay alive; a thread's exit after libunwind's TSD
     * destructor (the spawners unwound creation stacks) crashes inside TSan
     * itself, whoever interposes pthread_mutex_lock. */
    const char *argv[] = {tlt_prog_path("robust_churn"), total, "4", "--keep", NULL};
    const char *env[] = {env1, supp, "THREADLEAK_FORMAT=json", NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    int signals = 0;
    for (long end = tlt_now_ms() + 300000; !strstr(p->out, "done ") && tlt_now_ms() < end;) {
        tlt_expect_alive(p);
        kill(p->pid, SIGUSR1);
        signals++;
        tlt_read_stdout(p, 50);
    }
    tlt_expect(p, strstr(p->out, "done ") != NULL, "the churn did not finish under TSan");
    long created = 0, joined = 0, detached = 0;
    sscanf(strstr(p->out, "done "), "done created %ld joined %ld detached %ld", &created, &joined,
           &detached);
    p->dumps = tlt_settled_dumps(p);
    tlt_dump(p);
    tlt_expect_count(p, "created", created);
    tlt_expect_count(p, "joined", joined);
    tlt_expect_count(p, "detached", detached);
    tlt_expect_count(p, "live", 5); /* main and the 4 spawners */
    tlt_expect(p, !sanitizer_said(tlt_stderr(p)), "ThreadSanitizer reported:\n%.6000s",
               tlt_stderr(p));
    tlt_figure("TSan library: churn of %ld threads under %d dump signals (%d dumps), no report "
               "outside tests/data/tsan.supp",
               created, signals, p->dumps);
    tlt_stop(p);
}
