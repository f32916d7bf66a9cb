/* `threadleak run` on programs of real runtimes, with default options:
 * the threads a runtime keeps until exit by design (the JVM's, Node's
 * inspector and platform pools, rustc's helpers, GLib's workers) are
 * forgiven and said so; the leaking twin of each program is still a leak,
 * with the right suspects — including when the runtime joins the leaked
 * threads at its shutdown (CPython, Node). Each test skips, saying why,
 * when its runtime is not installed (scripts/install-deps.sh installs
 * them). Programs: tests/runtimes/. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"

TestSuite(runtimes, .timeout = 90);

#define EXPECT_STATUS(r, want)                                                                     \
    cr_expect_eq((r)->status, want, "status %d, want %d; stderr:\n%s", (r)->status, want, (r)->err)

static const char *runtime_file(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/runtimes/%s", tlt_build_dir(), name);
    return path;
}

static void expect_clean(cli_result *r, json_t *v)
{
    EXPECT_STATUS(r, 0);
    cr_expect_str_eq(cli_verdict_word(v), "clean", "stderr:\n%s", r->err);
    cr_expect_eq(json_array_size(json_object_get(v, "suspects")), 0);
}

/* A leak whose top suspect was created through a frame matching spawn_glob,
 * holding at least min_count threads. */
static void expect_leak(cli_result *r, json_t *v, const char *reason, const char *spawn_glob,
                        long min_count)
{
    EXPECT_STATUS(r, 3);
    cr_expect_str_eq(cli_verdict_word(v), "leak", "stderr:\n%s", r->err);
    cr_expect(cli_has_reason(v, reason), "no %s reason; stderr:\n%s", reason, r->err);
    json_t *s = json_array_get(json_object_get(v, "suspects"), 0);
    cr_assert(s, "no suspects; stderr:\n%s", r->err);
    cr_expect(cli_stack_has(json_object_get(s, "spawn_stack"), spawn_glob),
              "top suspect not created through %s; stderr:\n%s", spawn_glob, r->err);
    cr_expect_geq(json_integer_value(json_object_get(s, "count")), min_count, "stderr:\n%s",
                  r->err);
}

static size_t forgiven(json_t *v, const char *rule)
{
    json_t *a = json_object_get(v, "forgiven"), *x;
    size_t i, n = 0;
    json_array_foreach(a, i, x) n +=
        !rule || !strcmp(json_string_value(json_object_get(x, "rule")), rule);
    return n;
}

/* ---- Java ---- */

static const char *java_class_dir(void)
{
    tlt_need("java", "Debian package default-jdk-headless; make check installs it");
    static char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/runtimes", tlt_build_dir());
    if (access(runtime_file("RtJava.class"), R_OK))
        cr_skip_test("RtJava.class was not built (javac missing when make ran)");
    return dir;
}

Test(runtimes, java_version_is_clean_and_says_what_it_forgave)
{
    tlt_need("java", "Debian package default-jdk-headless; make check installs it");
    cli_result *r = cli_run(NULL, (const char *[]){"--", "java", "-version", NULL});
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    cr_expect_geq(forgiven(v, "service"), 3, "JVM threads forgiven as service threads:\n%s",
                  r->err);
    cr_expect(strstr(r->err, "threadleak: forgiven at exit:"), "%s", r->err);
    cr_expect(strstr(r->err, "libjvm.so"), "%s", r->err);
    json_decref(v);
    cli_free(r);
    /* --strict forgives nothing: the same threads are a leak at exit */
    r = cli_run(NULL, (const char *[]){"--strict", "--", "java", "-version", NULL});
    v = cli_verdict(r);
    EXPECT_STATUS(r, 3);
    cr_expect(cli_has_reason(v, "exit"));
    cr_expect_eq(forgiven(v, NULL), 0);
    json_decref(v);
    cli_free(r);
}

Test(runtimes, java_shared_executor_shut_down_is_clean)
{
    const char *cp = java_class_dir();
    cli_result *r = cli_run(
        NULL, (const char *[]){"--", "java", "-cp", cp, "RtJava", "clean", "30", "50", NULL});
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    cr_expect(strstr(r->out, "served 30"), "stdout: %s", r->out);
    json_decref(v);
    cli_free(r);
}

Test(runtimes, java_executor_per_request_is_a_leak)
{
    const char *cp = java_class_dir();
    cli_result *r = cli_run(
        NULL, (const char *[]){"--", "java", "-cp", cp, "RtJava", "leak", "50", "50", NULL});
    json_t *v = cli_verdict(r);
    expect_leak(r, v, "growth", "JVM_StartThread", 20);
    cr_expect(cli_has_reason(v, "exit"));
    json_decref(v);
    cli_free(r);
}

/* ---- Node.js ---- */

Test(runtimes, node_e_is_clean)
{
    tlt_need("node", "Debian package nodejs; make check installs it");
    cli_result *r = cli_run(NULL, (const char *[]){"--", "node", "-e", "console.log(1)", NULL});
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    cr_expect_str_eq(r->out, "1\n");
    json_decref(v);
    cli_free(r);
}

Test(runtimes, node_workers_fs_crypto_are_clean)
{
    tlt_need("node", "Debian package nodejs; make check installs it");
    cli_result *r =
        cli_run(NULL, (const char *[]){"--", "node", tlt_source_path("tests/runtimes/rt_node.js"),
                                       "clean", "1500", NULL});
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    cr_expect(strstr(r->out, "served"), "stdout: %s", r->out);
    json_decref(v);
    cli_free(r);
}

Test(runtimes, node_workers_never_terminated_grow)
{
    tlt_need("node", "Debian package nodejs; make check installs it");
    cli_result *r =
        cli_run(NULL, (const char *[]){"--", "node", tlt_source_path("tests/runtimes/rt_node.js"),
                                       "leak", "3500", NULL});
    json_t *v = cli_verdict(r);
    /* process.exit ends the workers: the last samples fall back */
    expect_leak(r, v, "growth", "node::worker::Worker::StartThread", 5);
    json_decref(v);
    cli_free(r);
}

/* ---- CPython ---- */

static const char *python(void)
{
    tlt_need("python3", "Debian package python3; make check installs it");
    static char exe[1024];
    FILE *p = popen("python3 -c 'import sys; print(sys.executable)'", "r");
    if (!p || !fgets(exe, sizeof exe, p))
        cr_skip_test("python3 does not say where it is");
    pclose(p);
    exe[strcspn(exe, "\n")] = 0;
    return exe;
}

Test(runtimes, python_with_executor_is_clean)
{
    const char *py = python();
    cli_result *r =
        cli_run(NULL, (const char *[]){"--", py, tlt_source_path("tests/runtimes/rt_python.py"),
                                       "clean", "40", "50", NULL});
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    json_decref(v);
    cli_free(r);
}

Test(runtimes, python_executor_per_request_grows_though_shutdown_joins_it)
{
    const char *py = python();
    cli_result *r =
        cli_run(NULL, (const char *[]){"--", py, tlt_source_path("tests/runtimes/rt_python.py"),
                                       "leak", "60", "50", NULL});
    json_t *v = cli_verdict(r);
    expect_leak(r, v, "growth", "*PyThread_start_new_thread*", 10);
    json_t *g = json_object_get(v, "growth");
    cr_expect(json_object_get(g, "shutdown"), "growth judged before the shutdown:\n%s", r->err);
    cr_expect(strstr(r->err, "joined its threads at the end"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

/* ---- GLib ---- */

Test(runtimes, glib_pool_and_tasks_are_clean)
{
    if (access(runtime_file("rt_glib"), X_OK))
        cr_skip_test("rt_glib was not built: libglib2.0-dev is not installed");
    cli_result *r =
        cli_run(NULL, (const char *[]){"--", runtime_file("rt_glib"), "clean", "30", "50", NULL});
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    json_decref(v);
    cli_free(r);
}

Test(runtimes, glib_pool_per_request_never_freed_is_a_leak)
{
    if (access(runtime_file("rt_glib"), X_OK))
        cr_skip_test("rt_glib was not built: libglib2.0-dev is not installed");
    cli_result *r =
        cli_run(NULL, (const char *[]){"--", runtime_file("rt_glib"), "leak", "60", "50", NULL});
    json_t *v = cli_verdict(r);
    expect_leak(r, v, "growth", "g_thread_pool_new*", 20);
    json_decref(v);
    cli_free(r);
}

/* ---- cargo ---- */

Test(runtimes, cargo_build_of_a_crate_without_dependencies_is_clean)
{
    tlt_need("cargo", "Debian package cargo; make check installs it");
    cli_result *r = cli_new();
    char cmd[2048], target[600];
    snprintf(cmd, sizeof cmd, "cp -r %s %s/crate", tlt_source_path("tests/runtimes/crate"), r->dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/crate/Cargo.toml", r->dir);
    snprintf(target, sizeof target, "CARGO_TARGET_DIR=%s/target", r->dir);
    const char *env[] = {target, NULL};
    const char *argv[] = {cli_threadleak(),
                          "run",
                          "--json",
                          cli_path(r, "v.json"),
                          "--",
                          "cargo",
                          "build",
                          "--offline",
                          "--manifest-path",
                          cmd,
                          NULL};
    char json[600];
    snprintf(json, sizeof json, "%s", argv[3]);
    argv[3] = json;
    cli_exec(r, NULL, 0, argv, env);
    json_t *v = cli_verdict(r);
    expect_clean(r, v);
    /* rustc's helper threads, when a toolchain leaves some at exit (Debian
     * 12's cargo 0.66 leaves none), are forgiven. */
    if (!strstr(r->err, "no threads left at exit"))
        cr_expect_gt(forgiven(v, NULL), 0, "rustc's helper threads are forgiven:\n%s", r->err);
    json_decref(v);
    cli_free(r);
}

/* ---- nginx: workers that drop privileges to nobody ---- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* GET / on 127.0.0.1:port until the deadline; the number of 200 answers. */
static int http_gets(int port, long ms)
{
    int ok = 0;
    for (long waited = 0; waited < ms; waited += 100) {
        usleep(100000);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
            const char req[] = "GET /big.bin HTTP/1.0\r\nHost: x\r\n\r\n";
            char buf[65536];
            if (write(fd, req, sizeof req - 1) == (ssize_t)sizeof req - 1) {
                ssize_t n = read(fd, buf, sizeof buf - 1), k;
                if (n > 12 && !strncmp(buf + 9, "200", 3))
                    ok++;
                while (n > 0 && (k = read(fd, buf, sizeof buf)) > 0)
                    ;
            }
        }
        close(fd);
    }
    return ok;
}

Test(runtimes, nginx_workers_running_as_nobody_are_judged)
{
    const char *nginx = tlt_which("nginx");
    if (!nginx && access("/usr/sbin/nginx", X_OK) == 0)
        nginx = "/usr/sbin/nginx";
    if (!nginx)
        cr_skip_test("nginx is not installed (Debian package nginx-light)");
    if (geteuid() != 0)
        cr_skip_test("workers drop privileges only when nginx starts as root");
    cli_result *r = cli_new();
    int port = 20000 + (int)(getpid() % 20000);
    char conf[4096], path[600], cmd[1200];
    chmod(r->dir, 0755);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/html %s/tmp && head -c 200000 /dev/zero > %s/html/big.bin"
             " && chmod -R a+rX %s",
             r->dir, r->dir, r->dir, r->dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(conf, sizeof conf,
             "daemon off; master_process on; worker_processes 2; user nobody nogroup;\n"
             "error_log %s/error.log warn; pid %s/nginx.pid;\n"
             "thread_pool default threads=4 max_queue=1024;\n"
             "events { worker_connections 64; }\n"
             "http { access_log off; client_body_temp_path %s/tmp; proxy_temp_path %s/tmp;\n"
             "  fastcgi_temp_path %s/tmp; uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;\n"
             "  server { listen 127.0.0.1:%d; root %s/html; aio threads; } }\n",
             r->dir, r->dir, r->dir, r->dir, r->dir, r->dir, r->dir, port, r->dir);
    snprintf(path, sizeof path, "%s", cli_path(r, "nginx.conf"));
    FILE *f = fopen(path, "w");
    fputs(conf, f);
    fclose(f);
    pid_t client = fork();
    if (client == 0)
        _exit(http_gets(port, 3500) > 5 ? 0 : 1);
    char json[600];
    snprintf(json, sizeof json, "%s", cli_path(r, "v.json"));
    const char *argv[] = {
        cli_threadleak(), "run", "--json", json, "--duration", "4s", "--", nginx, "-c", path, "-p",
        r->dir,           NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    int st;
    waitpid(client, &st, 0);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nginx served too few requests");
    json_t *v = cli_verdict(r);
    EXPECT_STATUS(r, 0);
    cr_expect_str_eq(cli_verdict_word(v), "clean", "%s", r->err);
    json_t *d, *a = json_object_get(v, "descendants");
    size_t i;
    int workers = 0;
    json_array_foreach(a, i, d)
    {
        if (json_integer_value(json_object_get(d, "uid")) != 65534)
            continue;
        workers++;
        cr_expect_geq(json_integer_value(json_object_get(d, "samples")), 6,
                      "worker %lld reported too few samples:\n%s",
                      (long long)json_integer_value(json_object_get(d, "pid")), r->err);
    }
    cr_expect_eq(workers, 2, "two workers running as nobody:\n%s", r->err);
    json_decref(v);
    cli_free(r);
}

/* ---- JVM stress: dumps every 0.5 s (50 runs of each with THREADLEAK_STRESS=1) ---- */

Test(runtimes, jvm_under_frequent_dumps_keeps_its_verdicts, .timeout = 1800)
{
    const char *cp = java_class_dir();
    int runs = getenv("THREADLEAK_STRESS") ? 50 : 1, wrong = 0, crashed = 0;
    for (int i = 0; i < runs; i++) {
        for (int leak = 0; leak < 2; leak++) {
            cli_result *r = cli_run(
                NULL, (const char *[]){"--dump-every", "500ms", "--", "java", "-cp", cp, "RtJava",
                                       leak ? "leak" : "clean", "40", "50", NULL});
            json_t *v = cli_json(cli_path(r, "v.json"));
            const char *word = v ? cli_verdict_word(v) : NULL;
            json_t *p = v ? json_object_get(v, "program") : NULL;
            if (!p || !json_is_null(json_object_get(p, "signal")) ||
                json_integer_value(json_object_get(p, "exit_code")) != 0) {
                crashed++;
                fprintf(stderr, "run %d (%s): the JVM did not exit 0:\n%s\n", i,
                        leak ? "leak" : "clean", r->err);
            } else if (!word || strcmp(word, leak ? "leak" : "clean") != 0 ||
                       r->status != (leak ? 3 : 0)) {
                wrong++;
                fprintf(stderr, "run %d (%s): verdict %s, status %d:\n%s\n", i,
                        leak ? "leak" : "clean", word ? word : "(none)", r->status, r->err);
            }
            json_decref(v);
            cli_free(r);
        }
    }
    printf("figure: JVM under dumps every 0.5 s: %d runs of each, %d wrong verdicts, %d crashes\n",
           runs, wrong, crashed);
    cr_expect_eq(crashed, 0);
    cr_expect_eq(wrong, 0);
}
