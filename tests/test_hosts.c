/* Other people's programs and test suites, unchanged, under the preload: CPython's own thread tests
 * give the same results preloaded as bare, and redis-server answers redis-benchmark on loopback
 * while being dumped, then shuts down cleanly. Quick sets here; the whole CPython set and longer
 * benchmarks with THREADLEAK_STRESS=1. Skipped (with the reason) when python3's test package or
 * redis is missing. */
#include <criterion/criterion.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "lib/dump_check.h"
#include "lib/figures.h"
#include "lib/files.h"
#include "lib/redis.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(hosts, .fini = tlt_cleanup, .timeout = 900);

/* The ids "test_x (test.module.Class.test_x)" of the tests that failed
 * (result line ending in FAIL or ERROR), one per line. */
static char *failures(const char *out)
{
    size_t cap = 1;
    for (const char *p = out; *p; p++)
        cap++;
    char *s = calloc(cap, 1), *copy = strdup(out), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(l);
        if (!strstr(l, " ... ") ||
            !((n > 5 && !strcmp(l + n - 5, " FAIL")) || (n > 6 && !strcmp(l + n - 6, " ERROR"))))
            continue;
        strncat(s, l, strcspn(l, ")") + 1);
        strcat(s, "\n");
    }
    free(copy);
    return s;
}

/* Runs one test alone ("name (test.module.Class.name)"), preloaded. */
static int rerun_passes(const char *python, const char *id, const char *const *env, const char *dir)
{
    char name[256], module[256];
    if (sscanf(id, "%255s (test.%255[^.]", name, module) != 2)
        return 0;
    const char *argv[] = {python, "-m", "test", module, "-m", name, NULL};
    tlt_result r = tlt_run_in(argv, env, 1, dir, 300000);
    int ok = tlt_exited_0(&r);
    tlt_result_free(&r);
    return ok;
}

Test(hosts, cpython_thread_tests)
{
    const char *python = tlt_need("python3", "Debian package python3");
    const char *probe[] = {python, "-c", "import test.test_thread, test.test_queue", NULL};
    tlt_result r = tlt_run_in(probe, NULL, 0, NULL, 60000);
    if (!tlt_exited_0(&r)) {
        tlt_result_free(&r);
        cr_skip_test("this python3 has no test package (Debian: libpython3.11-testsuite)");
    }
    tlt_result_free(&r);
    const char *quick[] = {
        python, "-m", "test", "-v", "test_thread", "test_queue", "test_threading_local", NULL};
    const char *all[] = {python,
                         "-m",
                         "test",
                         "-v",
                         "test_threading",
                         "test_thread",
                         "test_queue",
                         "test_threading_local",
                         NULL};
    const char *const *argv = tlt_stress() ? all : quick;
    char dir[256], out[400];
    tlt_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    const char *env[] = {out, NULL};
    tlt_result bare = tlt_run_in(argv, NULL, 0, dir, 800000);
    tlt_result pre = tlt_run_in(argv, env, 1, dir, 800000);
    int ok_bare = tlt_count_in(bare.out, " ... ok\n");
    int ok_pre = tlt_count_in(pre.out, " ... ok\n");
    cr_expect(ok_bare > 50, "too few tests passed bare (%d):\n%.3000s", ok_bare, bare.out);
    cr_expect(!pre.timed_out, "the preloaded run did not finish");
    /* A test that failed preloaded but not bare must pass when run alone
     * preloaded (twice at most): these suites have timing-sensitive tests. */
    char *fb = failures(bare.out), *fp = failures(pre.out);
    int regressions = 0, flaky = 0;
    char *save = NULL;
    for (char *id = strtok_r(fp, "\n", &save); id; id = strtok_r(NULL, "\n", &save)) {
        if (strstr(fb, id))
            continue;
        if (rerun_passes(python, id, env, dir) || rerun_passes(python, id, env, dir)) {
            flaky++;
            continue;
        }
        regressions++;
        cr_log_error("fails preloaded, passes bare: %s", id);
    }
    cr_expect_eq(regressions, 0, "%d of CPython's tests fail only preloaded (see the log)",
                 regressions);
    cr_expect(ok_pre + flaky >= ok_bare, "%d tests passed preloaded (+%d on a rerun), %d bare",
              ok_pre, flaky, ok_bare);
    free(fb);
    tlt_figure("CPython %s: %d tests pass bare, as many preloaded (%ld ms vs %ld ms bare)",
               tlt_stress() ? "test_threading test_thread test_queue test_threading_local"
                            : "test_thread test_queue test_threading_local",
               ok_bare, pre.ms, bare.ms);
    free(fp);
    tlt_result_free(&bare);
    tlt_result_free(&pre);
    tlt_rmtree(dir);
}

Test(hosts, redis_server_under_benchmark_and_dumps)
{
    const char *server_path = tlt_redis_server_path();
    if (!server_path)
        cr_skip_test("redis-server, redis-benchmark or redis-cli is not installed (Debian: "
                     "redis-tools)");
    char dir[256], portstr[16], out[400];
    tlt_tempdir(dir, sizeof dir);
    int port = 20000 + getpid() % 20000;
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    const char *env[] = {out, "THREADLEAK_FORMAT=text,json", NULL};
    pid_t srv = tlt_redis_start(server_path, port, dir, env, 1);
    const char *requests = tlt_stress() ? "400000" : "20000";
    const char *bench[] = {
        "redis-benchmark",    "-p", portstr, "-q", "-n", requests, "-c", "50", "-t",
        "set,get,lpush,lpop", "-P", "4",     NULL};
    /* dumps while it works */
    pid_t dumper = fork();
    if (dumper == 0) {
        for (int i = 0; i < 400; i++) {
            kill(srv, SIGUSR1);
            usleep(50 * 1000);
        }
        _exit(0);
    }
    tlt_result r = tlt_run_in(bench, NULL, 0, dir, 600000);
    kill(dumper, SIGKILL);
    waitpid(dumper, NULL, 0);
    cr_expect(tlt_exited_0(&r), "redis-benchmark: %s\n%s%s", tlt_status(r.status), r.out, r.err);
    cr_expect(strstr(r.out, "SET: ") && strstr(r.out, "GET: ") && strstr(r.out, "LPOP: "),
              "redis-benchmark did not report every test:\n%s", r.out);
    int dumps = tlt_count_files(dir, ".json");
    cr_expect(dumps >= 1, "no dump of redis-server was written");
    /* every dump parses and agrees with itself */
    for (int i = 1; i <= dumps; i++) {
        char path[600], why[256];
        snprintf(path, sizeof path, "%s/dump.%d.%d.json", dir, (int)srv, i);
        json_t *d = json_load_file(path, 0, NULL);
        cr_expect(d != NULL, "%s does not parse", path);
        if (d)
            cr_expect(tlt_check_dump(d, why, sizeof why) == 0, "%s: %s", path, why);
        json_decref(d);
    }
    int st = tlt_redis_stop(srv, port, dir);
    cr_expect(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "redis-server did not shut down cleanly: %s", st < 0 ? "hung" : tlt_status(st));
    char summary[600];
    tlt_redis_rates(r.out, summary, sizeof summary);
    tlt_figure("redis-server (4 io-threads) preloaded: redis-benchmark %s requests x 4 tests, %d "
               "dumps while it ran, clean shutdown: %s",
               requests, dumps, summary);
    tlt_result_free(&r);
    tlt_rmtree(dir);
}
