/* threadleak dump, report and diff: on a live preloaded process, on the
 * hand-written dumps of tests/data/, and every error message. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"

static const char *data(const char *name)
{
    static char path[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s", tlt_source_path(name));
    return path[k];
}

static void expect_error(cli_result *r, int status, const char *msg)
{
    cr_expect_eq(r->status, status, "status %d, want %d: %s", r->status, status, r->err);
    cr_expect(strstr(r->err, msg), "stderr lacks \"%s\":\n%s", msg, r->err);
    cr_expect(strncmp(r->err, "threadleak: ", 12) == 0 && r->err_len &&
                  strchr(r->err, '\n') == r->err + r->err_len - 1,
              "not one prefixed line: %s", r->err);
}

TestSuite(dump, .timeout = 30);

Test(dump, live_process_in_each_form)
{
    const char *argv[] = {tlt_prog_path("cli_server"), "pool", NULL};
    pid_t pid = cli_spawn_preloaded(argv, NULL);
    cr_assert_eq(cli_wait_preloaded(pid), 0,
                 "pid %d never installed its dump signal handler (is the library loaded?)",
                 (int)pid);
    char pids[16];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    cli_result *r = cli_new();

    /* The library answers as soon as it is loaded, maybe before all six
     * workers have reached their wait: ask until they have. */
    const char *a1[] = {cli_threadleak(), "dump", pids, NULL};
    for (int i = 0; i < 100; i++) {
        cli_exec(r, NULL, 0, a1, NULL);
        if (r->status != 0 || strstr(r->out, "6 threads"))
            break;
        usleep(50000);
    }
    cr_expect_eq(r->status, 0, "%s", r->err);
    cr_expect(strncmp(r->out, "threadleak dump ", 16) == 0, "%s", r->out);
    cr_expect(strstr(r->out, "6 threads"), "the pool of 6:\n%s", r->out);
    cr_expect(strstr(r->out, "pool_worker"), "%s", r->out);

    const char *a2[] = {cli_threadleak(), "dump", "--json", pids, NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    json_t *d = json_loads(r->out, 0, NULL);
    cr_assert(d, "not JSON:\n%s", r->out);
    cr_expect_str_eq(json_string_value(json_object_get(d, "format")), "threadleak-dump");
    cr_expect_str_eq(json_string_value(json_object_get(d, "reason")), "request");
    cr_expect_eq(json_integer_value(json_object_get(d, "pid")), pid);
    cr_expect(!json_object_get(d, "threads"));
    json_decref(d);

    const char *a3[] = {cli_threadleak(), "dump", "--threads", "--json", pids, NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    d = json_loads(r->out, 0, NULL);
    cr_assert(d, "not JSON:\n%s", r->out);
    cr_expect_geq(json_array_size(json_object_get(d, "threads")), 7, "main + 6 workers");
    json_decref(d);

    /* the process is unharmed */
    cr_expect_eq(kill(pid, 0), 0);
    cli_stop(pid);
    cli_free(r);
}

Test(dump, errors)
{
    const char *tl = cli_threadleak();
    cli_result *r = cli_new();
    const char *a1[] = {tl, "dump", NULL};
    cli_exec(r, NULL, 0, a1, NULL);
    expect_error(r, 2, "dump needs the PID of a running process");
    const char *a2[] = {tl, "dump", "abc", NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    expect_error(r, 2, "dump abc: not a process id");
    const char *a3[] = {tl, "dump", "--yaml", "1", NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    expect_error(r, 2, "unknown option --yaml for dump");
    const char *a4[] = {tl, "dump", "4194000", NULL};
    cli_exec(r, NULL, 0, a4, NULL);
    expect_error(r, 1, "no process with pid 4194000");

    /* a process without the library is dumped through ptrace, and left running */
    const char *sl[] = {"/bin/sleep", "30", NULL};
    pid_t plain = fork();
    if (plain == 0) {
        execv(sl[0], (char *const *)sl);
        _exit(127);
    }
    char pids[16], comm_path[64], comm[32] = "";
    snprintf(pids, sizeof pids, "%d", (int)plain);
    /* Until it is sleep(1), sleeping: on a loaded machine the exec can take a while. */
    snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", (int)plain);
    for (int i = 0; i < 500 && strcmp(comm, "sleep\n") != 0; i++) {
        usleep(10000);
        FILE *f = fopen(comm_path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = 0;
            fclose(f);
        }
    }
    usleep(100000);
    const char *a5[] = {tl, "dump", pids, NULL};
    cli_exec(r, NULL, 0, a5, NULL);
    cr_expect_eq(r->status, 0, "dump of a plain process: status %d, stderr: %s", r->status, r->err);
    cr_expect(strstr(r->out, "attached with ptrace") && strstr(r->out, "blocked in sleep"),
              "dump of a plain sleep(1):\n%s", r->out);
    cr_expect_eq(kill(plain, 0), 0, "the plain process was not killed");
    cli_stop(plain);
    cli_free(r);
}

Test(dump, a_process_that_does_not_answer)
{
    /* a library named like ours that is not ours: nothing serves the request */
    cli_result *r = cli_new();
    char fake[600], cmd[1400];
    snprintf(fake, sizeof fake, "%s/libthreadleak-fake.so", r->dir);
    snprintf(cmd, sizeof cmd, "cp \"$(ldd /bin/sleep | awk '/libc.so/{print $3}')\" %s", fake);
    cr_assert_eq(system(cmd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LD_PRELOAD", fake, 1);
        setenv("THREADLEAK_INTERVAL_MS", "100", 1);
        execl("/bin/sleep", "sleep", "30", (char *)NULL);
        _exit(127);
    }
    usleep(200000);
    char pids[16];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    const char *a[] = {cli_threadleak(), "dump", pids, NULL};
    cli_exec(r, NULL, 0, a, NULL);
    char want[128];
    snprintf(want, sizeof want, "pid %d did not answer: it has a single thread", (int)pid);
    expect_error(r, 1, want);
    cr_expect_eq(kill(pid, 0), 0, "not killed by a stray signal");
    char req[128];
    snprintf(req, sizeof req, "/tmp/threadleak-%u/%d.req", (unsigned)geteuid(), (int)pid);
    cr_expect(access(req, F_OK) != 0, "the unanswered request was not withdrawn");
    cli_stop(pid);
    cli_free(r);
}

/* ---- report ---- */

Test(report, text_json_folded)
{
    cli_result *r = cli_new();
    const char *a1[] = {cli_threadleak(), "report", data("tests/data/cli_new.json"), NULL};
    cli_exec(r, NULL, 0, a1, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    cr_expect(strstr(r->out, "threadleak dump 3 \u00b7 pid 4242 \u00b7 /srv/orders"), "%s", r->out);
    cr_expect(strstr(r->out, "117 threads \u00b7 blocked in cond (pthread_cond_wait 0x5581a2c0)"),
              "%s", r->out);
    /* Columns fit the group's longest file:line (pthread_create.c:442). */
    cr_expect(strstr(r->out, "    #0  chan_send            common.h:38          orders\n"), "%s",
              r->out);
    cr_expect(strstr(r->out, "  main thread\n"), "%s", r->out);

    const char *a2[] = {
        cli_threadleak(), "report", "--format", "json", data("tests/data/cli_new.json"), NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    json_t *d = json_loads(r->out, 0, NULL);
    json_t *orig = cli_json(data("tests/data/cli_new.json"));
    cr_assert(d && orig, "%s", r->out);
    cr_expect(json_equal(json_object_get(d, "groups"), json_object_get(orig, "groups")),
              "groups change in a JSON round trip");
    cr_expect(json_equal(json_object_get(d, "counts"), json_object_get(orig, "counts")));
    json_decref(d);
    json_decref(orig);

    const char *a3[] = {cli_threadleak(), "report", "--format=folded",
                        data("tests/data/cli_new.json"), NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    cr_expect(strstr(r->out, "__libc_start_main;main;handle_request;[new thread];__clone3;"
                             "start_thread;fetch_metadata;chan_send;[cond] 117\n"),
              "%s", r->out);
    int lines = 0;
    for (char *p = r->out; *p; p++)
        lines += *p == '\n';
    cr_expect_eq(lines, 5, "one line per group");

    const char *a4[] = {cli_threadleak(),
                        "report",
                        "--format",
                        "folded",
                        "--no-spawn",
                        data("tests/data/cli_new.json"),
                        NULL};
    cli_exec(r, NULL, 0, a4, NULL);
    cr_expect(strncmp(r->out, "__clone3;start_thread;fetch_metadata;chan_send;[cond] 117\n", 58) ==
                  0,
              "%s", r->out);

    /* stdin */
    FILE *f = fopen(data("tests/data/cli_old.json"), "rb");
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    const char *a5[] = {cli_threadleak(), "report", "-", NULL};
    cli_exec(r, buf, n, a5, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    cr_expect(strstr(r->out, "threadleak dump 1 \u00b7 pid 4242"), "%s", r->out);
    cli_free(r);
}

Test(report, errors)
{
    const char *tl = cli_threadleak();
    cli_result *r = cli_new();
    const char *a1[] = {tl, "report", NULL};
    cli_exec(r, NULL, 0, a1, NULL);
    expect_error(r, 2, "report needs a JSON dump");
    const char *a2[] = {tl, "report", "--format", "svg", "x.json", NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    expect_error(r, 2, "--format svg: expected text, json, folded, pprof or html");
    const char *a3[] = {tl, "report", "/no/such.json", NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    expect_error(r, 1, "/no/such.json: cannot open: No such file or directory");
    FILE *f = fopen(cli_path(r, "bad.json"), "w");
    fputs("{\"format\":\"threadleak-dump\",\"version\":1,\"pid\":\"x\"}", f);
    fclose(f);
    const char *a4[] = {tl, "report", cli_path(r, "bad.json"), NULL};
    cli_exec(r, NULL, 0, a4, NULL);
    expect_error(r, 1, "bad.json: pid: expected an integer from 1 to 4194304");
    f = fopen(cli_path(r, "notjson.json"), "w");
    fputs("threadleak dump 1 · pid 4242\n", f);
    fclose(f);
    const char *a5[] = {tl, "report", cli_path(r, "notjson.json"), NULL};
    cli_exec(r, NULL, 0, a5, NULL);
    expect_error(r, 1, "notjson.json: not valid JSON at line 1");
    const char *a6[] = {tl, "report", "--verbose", "x.json", NULL};
    cli_exec(r, NULL, 0, a6, NULL);
    expect_error(r, 2, "unknown option --verbose for report");
    const char *a7[] = {tl, "report", "/tmp", NULL};
    cli_exec(r, NULL, 0, a7, NULL);
    expect_error(r, 1, "/tmp: not a regular file");
    cli_free(r);
}

/* ---- diff ---- */

Test(diff, grew_new_shrank_gone)
{
    cli_result *r = cli_new();
    const char *a1[] = {cli_threadleak(), "diff", data("tests/data/cli_old.json"),
                        data("tests/data/cli_new.json"), NULL};
    cli_exec(r, NULL, 0, a1, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    const char *o = r->out;
    const char *grew = strstr(o, "\ngrew +107 (10 \u2192 117)\n117 threads (+107) \u00b7 blocked");
    const char *neu = strstr(o, "\nnew +5 (0 \u2192 5)\n5 threads (+5) \u00b7 running");
    const char *shrank = strstr(o, "\nshrank -2 (3 \u2192 1)\n1 thread \u00b7 exited");
    const char *gone = strstr(o, "\ngone -2 (2 \u2192 0)\n2 threads \u00b7 blocked in sleep");
    cr_expect(grew && neu && shrank && gone, "%s", o);
    cr_expect(grew < neu && neu < shrank && shrank < gone, "order grew, new, shrank, gone:\n%s", o);
    cr_expect(strstr(o, "threads: 17 \u2192 127 live (+110)"), "%s", o);
    cr_expect(strstr(o, "unchanged: 2 groups, 5 threads"), "%s", o);

    const char *a2[] = {cli_threadleak(),
                        "diff",
                        "--json",
                        data("tests/data/cli_old.json"),
                        data("tests/data/cli_new.json"),
                        NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    cr_expect_eq(r->status, 0, "%s", r->err);
    json_t *d = json_loads(r->out, 0, NULL);
    cr_assert(d, "%s", r->out);
    json_t *c0 = json_array_get(json_object_get(d, "changes"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(c0, "change")), "grew");
    cr_expect_eq(json_integer_value(json_object_get(c0, "delta")), 107);
    cr_expect_eq(json_array_size(json_object_get(d, "changes")), 4);
    json_decref(d);

    const char *a3[] = {cli_threadleak(), "diff", data("tests/data/cli_new.json"),
                        data("tests/data/cli_new.json"), NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    cr_expect_eq(r->status, 0);
    cr_expect(strstr(r->out, "no group changed"), "%s", r->out);
    cli_free(r);
}

Test(diff, errors)
{
    const char *tl = cli_threadleak();
    cli_result *r = cli_new();
    const char *a1[] = {tl, "diff", data("tests/data/cli_old.json"), NULL};
    cli_exec(r, NULL, 0, a1, NULL);
    expect_error(r, 2, "diff needs two JSON dumps");
    const char *a2[] = {tl, "diff", "a", "b", "c", NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    expect_error(r, 2, "diff takes two dumps, OLD.json NEW.json; got a third: c");
    const char *a3[] = {tl, "diff", data("tests/data/cli_old.json"), "/no/new.json", NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    expect_error(r, 1, "/no/new.json: cannot open");
    const char *a4[] = {tl, "diff", "--stat", "a", "b", NULL};
    cli_exec(r, NULL, 0, a4, NULL);
    expect_error(r, 2, "unknown option --stat for diff");
    cli_free(r);
}

/* A dump written by the library, read back by the command: the contract
 * between the two. */
Test(report, reads_the_librarys_own_dumps)
{
    cli_result *r = cli_new();
    char out[600];
    snprintf(out, sizeof out, "%s", cli_path(r, "kept"));
    const char *a[] = {cli_threadleak(), "run", "--out", out, "--", tlt_prog_path("cli_exit_leak"),
                       "exit",           "700", NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_expect_eq(r->status, 3, "%s", r->err);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "ls %s/dump.*.json %s/request.*.json 2>/dev/null | head -1", out,
             out);
    FILE *p = popen(cmd, "r");
    char path[700] = "";
    if (!fgets(path, sizeof path, p))
        path[0] = 0;
    pclose(p);
    path[strcspn(path, "\n")] = 0;
    cr_assert(path[0], "no dump kept in %s", out);
    const char *formats[] = {"text", "json", "folded"};
    for (int i = 0; i < 3; i++) {
        const char *b[] = {cli_threadleak(), "report", "--format", formats[i], path, NULL};
        cli_exec(r, NULL, 0, b, NULL);
        cr_expect_eq(r->status, 0, "report --format %s %s: %s", formats[i], path, r->err);
        cr_expect(strstr(r->out, "forgotten_listener"), "%s", r->out);
    }
    cli_free(r);
}
