/* Other people's programs and test suites, unchanged, under the preload
 * (issue 6): CPython's own thread tests give the same results preloaded as
 * bare, and redis-server answers redis-benchmark on loopback while being
 * dumped, then shuts down cleanly. Quick sets here; the whole CPython set
 * and longer benchmarks with THREADLEAK_STRESS=1. Skipped (with the reason)
 * when python3's test package or redis is missing. */
#include <criterion/criterion.h>
#include <string.h>

#include "robust/rb.h"

TestSuite(hosts, .fini = tlt_cleanup, .timeout = 900);

/* "test_x ... ok" style result lines, sorted, one string. */
static char *results(const char *out)
{
    size_t n = 0, cap = 1;
    char **lines = NULL;
    char *copy = strdup(out), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *tail = strstr(l, " ... ");
        if (!tail)
            continue;
        lines = realloc(lines, (n + 1) * sizeof *lines);
        lines[n++] = l;
        cap += strlen(l) + 1;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
            char *t = lines[j];
            lines[j] = lines[j - 1];
            lines[j - 1] = t;
        }
    char *s = calloc(cap, 1);
    for (size_t i = 0; i < n; i++)
        strcat(strcat(s, lines[i]), "\n");
    free(lines);
    free(copy);
    return s;
}

Test(hosts, cpython_thread_tests)
{
    const char *py = tlt_which("python3");
    if (!py)
        cr_skip_test("python3 is not installed");
    char python[4200];
    snprintf(python, sizeof python, "%s", py);
    const char *probe[] = {python, "-c", "import test.test_thread, test.test_queue", NULL};
    rb_result r = rb_run_in(probe, NULL, 0, NULL, 60000);
    if (!rb_exited_0(&r)) {
        rb_free(&r);
        cr_skip_test("this python3 has no test package (Debian: libpython3-testsuite)");
    }
    rb_free(&r);
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
    const char *const *argv = rb_stress() ? all : quick;
    char dir[256], out[400];
    rb_tempdir(dir, sizeof dir);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    const char *env[] = {out, NULL};
    rb_result bare = rb_run_in(argv, NULL, 0, dir, 800000);
    rb_result pre = rb_run_in(argv, env, 1, dir, 800000);
    char *b = results(bare.out), *p = results(pre.out);
    int n = rb_count_lines(b, "");
    cr_expect(n > 50, "too few test results from the bare run (%d):\n%.3000s", n, bare.out);
    cr_expect(!pre.timed_out, "the preloaded run did not finish");
    cr_expect_eq(WIFEXITED(pre.status) ? WEXITSTATUS(pre.status) : -1,
                 WIFEXITED(bare.status) ? WEXITSTATUS(bare.status) : -1,
                 "exit status: bare %s, preloaded %s", rb_status(bare.status),
                 rb_status(pre.status));
    if (strcmp(b, p) != 0) {
        cr_log_error("--- bare ---\n%s--- preloaded ---\n%s", b, p);
        cr_expect_fail("CPython's results differ preloaded (see the log)\n%.4000s", pre.out);
    }
    rb_figure("CPython %s: %d tests, same results preloaded (%ld ms) as bare (%ld ms)",
              rb_stress() ? "test_threading test_thread test_queue test_threading_local"
                          : "test_thread test_queue test_threading_local",
              n, pre.ms, bare.ms);
    free(b);
    free(p);
    rb_free(&bare);
    rb_free(&pre);
    rb_rmtree(dir);
}

static int port_open(int port)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d ping 2>/dev/null | grep -q PONG", port);
    return system(cmd) == 0;
}

Test(hosts, redis_server_under_benchmark_and_dumps)
{
    if (!tlt_which("redis-server") || !tlt_which("redis-benchmark") || !tlt_which("redis-cli"))
        cr_skip_test("redis-server, redis-benchmark or redis-cli is not installed");
    char dir[256], portstr[16], out[400];
    rb_tempdir(dir, sizeof dir);
    int port = 20000 + getpid() % 20000;
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(out, sizeof out, "THREADLEAK_OUTPUT=%s/dump.%%p.%%n", dir);
    const char *env[] = {out, "THREADLEAK_FORMAT=text,json", NULL};
    char **envp = rb_env(env, 1);
    fflush(NULL);
    pid_t srv = fork();
    if (srv == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir(dir) != 0)
            _exit(125);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execle("/usr/bin/redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--io-threads", "4", "--io-threads-do-reads",
               "yes", "--daemonize", "no", (char *)NULL, envp);
        _exit(127);
    }
    free(envp);
    for (long end = rb_now_ms() + 10000; !port_open(port) && rb_now_ms() < end;)
        rb_sleep_ms(50);
    cr_assert(port_open(port), "redis-server did not answer on port %d", port);
    const char *requests = rb_stress() ? "400000" : "100000";
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
    rb_result r = rb_run_in(bench, NULL, 0, dir, 600000);
    kill(dumper, SIGKILL);
    waitpid(dumper, NULL, 0);
    cr_expect(rb_exited_0(&r), "redis-benchmark: %s\n%s%s", rb_status(r.status), r.out, r.err);
    cr_expect(strstr(r.out, "SET: ") && strstr(r.out, "GET: ") && strstr(r.out, "LPOP: "),
              "redis-benchmark did not report every test:\n%s", r.out);
    int dumps = rb_count_files(dir, ".json");
    cr_expect(dumps >= 1, "no dump of redis-server was written");
    /* every dump parses and agrees with itself */
    for (int i = 1; i <= dumps; i++) {
        char path[600], why[256];
        snprintf(path, sizeof path, "%s/dump.%d.%d.json", dir, (int)srv, i);
        json_t *d = json_load_file(path, 0, NULL);
        cr_expect(d != NULL, "%s does not parse", path);
        if (d)
            cr_expect(rb_check_dump(d, why, sizeof why) == 0, "%s: %s", path, why);
        json_decref(d);
    }
    const char *shutdown[] = {"redis-cli", "-p", portstr, "shutdown", "nosave", NULL};
    rb_result s = rb_run_in(shutdown, NULL, 0, dir, 20000);
    int st = -1;
    for (long end = rb_now_ms() + 10000; rb_now_ms() < end; rb_sleep_ms(20))
        if (waitpid(srv, &st, WNOHANG) == srv)
            break;
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "redis-server did not shut down cleanly: %s",
              rb_status(st));
    if (!WIFEXITED(st) && !WIFSIGNALED(st)) {
        kill(srv, SIGKILL);
        waitpid(srv, NULL, 0);
    }
    char summary[600] = "";
    for (char *l = strtok(r.out, "\r\n"); l; l = strtok(NULL, "\r\n"))
        if (strstr(l, "requests per second")) {
            strncat(summary, l, sizeof summary - strlen(summary) - 3);
            strcat(summary, "; ");
        }
    rb_figure("redis-server (4 io-threads) preloaded: redis-benchmark %s requests x 4 tests, %d "
              "dumps while it ran, clean shutdown: %s",
              requests, dumps, summary);
    rb_free(&r);
    rb_free(&s);
    rb_rmtree(dir);
}
