/* `threadleak run` end to end, with real programs under the real library:
 * each verdict rule with its own leaking and clean program, every exit
 * status, the verdict JSON, the suspects, and passthrough of the
 * program's bytes and status. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"

/* threadleak run --json <dir>/v.json ARGS... (NULL-terminated) */
static cli_result *run(const char *const *env, ...)
{
    cli_result *r = cli_new();
    const char *argv[64];
    int n = 0;
    static char json[512];
    snprintf(json, sizeof json, "%s", cli_path(r, "v.json"));
    argv[n++] = cli_threadleak();
    argv[n++] = "run";
    argv[n++] = "--json";
    argv[n++] = json;
    va_list ap;
    va_start(ap, env);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 62)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    cli_exec(r, NULL, 0, argv, env);
    return r;
}

static json_t *verdict(cli_result *r)
{
    json_t *v = cli_verdict(r);
    cr_assert_eq(json_integer_value(json_object_get(v, "version")), 1);
    return v;
}

static const char *frame0(json_t *group)
{
    json_t *f = json_array_get(json_object_get(group, "stack"), 0);
    return f ? json_string_value(json_object_get(f, "function")) : NULL;
}

#define EXPECT_STATUS(r, want)                                                                     \
    cr_expect_eq((r)->status, want, "status %d, want %d; stderr:\n%s", (r)->status, want, (r)->err)

/* The first suspect: frame #0 of its blocked stack and a creation frame. */
static void expect_top_suspect(cli_result *r, json_t *v, const char *fn0, const char *spawner,
                               const char *state)
{
    json_t *s = json_array_get(json_object_get(v, "suspects"), 0);
    cr_assert(s, "no suspects; stderr:\n%s", r->err);
    if (fn0)
        cr_expect(frame0(s) && strcmp(frame0(s), fn0) == 0, "top suspect's frame #0 is %s, not %s",
                  frame0(s) ? frame0(s) : "(none)", fn0);
    cr_expect(tlt_stack_has(json_object_get(s, "spawn_stack"), spawner),
              "%s not on the top suspect's creation stack", spawner);
    cr_expect_str_eq(json_string_value(json_object_get(s, "state")), state);
    cr_expect_gt(json_integer_value(json_object_get(s, "growth")), 0);
    /* and on stderr in the text dump format, with file:line */
    char want[128];
    if (fn0) {
        snprintf(want, sizeof want, "#0  %s", fn0);
        cr_expect(strstr(r->err, want), "stderr lacks \"%s\":\n%s", want, r->err);
    }
    cr_expect(strstr(r->err, "created by thread"), "stderr:\n%s", r->err);
}

TestSuite(run, .timeout = 40);

/* ---- leaks ---- */

Test(run, leak_fast_growth_and_exit)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_leak_fast"), "exit", "3000", NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "leak");
    cr_expect(cli_has_reason(v, "growth") && cli_has_reason(v, "exit"));
    json_t *g = json_object_get(v, "growth");
    cr_expect(json_is_true(json_object_get(g, "detected")));
    cr_expect_gt(json_number_value(json_object_get(g, "per_s")), 5);
    cr_expect_gt(json_integer_value(json_object_get(g, "last")),
                 json_integer_value(json_object_get(g, "first")) + 30);
    cr_expect_gt(json_array_size(json_object_get(v, "samples")), 10);
    json_t *at = json_object_get(v, "at_exit");
    cr_expect_gt(json_integer_value(json_object_get(at, "live")), 30);
    expect_top_suspect(r, v, "leaky_worker", "handle_request", "blocked");
    cr_expect(strstr(r->err, "cli_leak_fast.c:"), "no file:line on stderr:\n%s", r->err);
    cr_expect(strstr(r->err, "threadleak: verdict: leak (growth, exit): exit status 3"), "%s",
              r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, leak_fast_ended_by_exit_underscore_is_judged_by_growth)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_leak_fast"), "_exit", "2500", NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "growth") && !cli_has_reason(v, "exit"));
    cr_expect(json_is_null(json_object_get(v, "at_exit")));
    expect_top_suspect(r, v, "leaky_worker", "handle_request", "blocked");
    json_decref(v);
    cli_free(r);
}

Test(run, leak_killed_by_signal_and_fail_on_exit_passes_its_status)
{
    cli_result *r =
        run(NULL, "--fail-on", "exit", "--", tlt_prog_path("cli_leak_fast"), "kill", "2500", NULL);
    EXPECT_STATUS(r, 128 + 9);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "clean", "--fail-on exit: growth does not fail");
    cr_expect(json_is_true(json_object_get(json_object_get(v, "growth"), "detected")));
    json_t *p = json_object_get(v, "program");
    cr_expect_eq(json_integer_value(json_object_get(p, "signal")), 9);
    cr_expect(json_is_null(json_object_get(p, "exit_code")));
    cr_expect(strstr(r->err, "killed by signal 9"), "%s", r->err);
    cr_expect(strstr(r->err, "not failing"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, leak_joinable_never_joined)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_leak_unjoined"), "_exit", "3000", NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "growth"));
    json_t *samples = json_object_get(v, "samples");
    json_t *last = json_array_get(samples, json_array_size(samples) - 1);
    cr_expect_gt(json_integer_value(json_object_get(last, "exited_unjoined")), 30);
    cr_expect_lt(json_integer_value(json_object_get(last, "live")), 10, "live stays flat");
    expect_top_suspect(r, v, NULL, "fire_and_forget", "exited");
    cr_expect(strstr(r->err, "exited, never joined or detached"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, leak_at_exit_only)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_exit_leak"), "exit", "1200", NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "exit") && !cli_has_reason(v, "growth"));
    json_t *at = json_object_get(v, "at_exit");
    cr_expect_eq(json_integer_value(json_object_get(at, "live")), 4, "main + 3");
    cr_expect_eq(json_integer_value(json_object_get(at, "leaked")), 3);
    json_t *s = json_array_get(json_object_get(v, "suspects"), 0);
    cr_assert(s, "%s", r->err);
    cr_expect(tlt_stack_has(json_object_get(s, "stack"), "forgotten_listener"));
    cr_expect(tlt_stack_has(json_object_get(s, "spawn_stack"), "start_listeners"));
    cr_expect_eq(json_integer_value(json_object_get(s, "count")), 3);
    json_decref(v);
    cli_free(r);
}

Test(run, ignore_blocked_and_creation_frames)
{
    cli_result *r = run(NULL, "--ignore", "forgotten_*", "--", tlt_prog_path("cli_exit_leak"),
                        "exit", "800", NULL);
    EXPECT_STATUS(r, 0);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "clean");
    json_decref(v);
    cli_free(r);
    r = run(NULL, "--ignore", "nothing", "--ignore", "start_listen?rs", "--",
            tlt_prog_path("cli_exit_leak"), "exit", "800", NULL);
    EXPECT_STATUS(r, 0);
    cli_free(r);
    r = run(NULL, "--ignore", "start_list", "--", tlt_prog_path("cli_exit_leak"), "exit", "800",
            NULL);
    EXPECT_STATUS(r, 3); /* globs match whole names */
    cli_free(r);
}

Test(run, fail_on_and_exit_code)
{
    cli_result *r =
        run(NULL, "--fail-on", "growth", "--", tlt_prog_path("cli_exit_leak"), "exit", "800", NULL);
    EXPECT_STATUS(r, 0);
    cr_expect(strstr(r->err, "not failing"), "%s", r->err);
    cli_free(r);
    r = run(NULL, "--exit-code", "42", "--", tlt_prog_path("cli_exit_leak"), "exit", "800", NULL);
    EXPECT_STATUS(r, 42);
    cli_free(r);
    r = run(NULL, "--fail-on", "none", "--", tlt_prog_path("cli_exit_leak"), "exit", "800", NULL);
    EXPECT_STATUS(r, 0);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "clean");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "at_exit"), "leaked")), 3);
    json_decref(v);
    cli_free(r);
}

Test(run, leak_in_a_child_process_names_its_pid)
{
    /* --duration bounds the run should the child hang */
    cli_result *r = run(NULL, "--duration", "10s", "--", tlt_prog_path("cli_forker"), NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "growth"));
    long pid = json_integer_value(json_object_get(json_object_get(v, "program"), "pid"));
    json_t *o = json_array_get(json_object_get(v, "others"), 0);
    cr_assert(o, "no other process named; stderr:\n%s", r->err);
    long child = json_integer_value(json_object_get(o, "pid"));
    cr_expect_neq(child, pid);
    char want[64];
    snprintf(want, sizeof want, "in pid %ld (started by the program)", child);
    cr_expect(strstr(r->err, want), "stderr lacks \"%s\":\n%s", want, r->err);
    json_decref(v);
    cli_free(r);
}

/* ---- clean programs ---- */

static void expect_clean(const char *mode)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_clean"), mode, "3000", NULL);
    EXPECT_STATUS(r, 0);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "clean", "%s: stderr:\n%s", mode, r->err);
    cr_expect_eq(json_array_size(json_object_get(v, "suspects")), 0);
    cr_expect(strstr(r->err, "threadleak: clean:"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, clean_idle_pool)
{
    expect_clean("idle");
}

Test(run, clean_warmup_ramp_then_flat)
{
    expect_clean("ramp");
}

Test(run, clean_bursts_back_to_baseline)
{
    expect_clean("bursts");
}

Test(run, clean_flat_noisy)
{
    expect_clean("noisy");
}

/* ---- --duration ---- */

Test(run, duration_leaking_server)
{
    /* --interval 100ms: 2.5 s at the default 200 ms judges a window of about 6
     * samples, growth's minimum, and a loaded machine's late start left fewer. */
    cli_result *r = run(NULL, "--duration", "2500ms", "--interval", "100ms", "--",
                        tlt_prog_path("cli_server"), "leak", NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "growth") && !cli_has_reason(v, "exit"));
    cr_expect(json_is_true(json_object_get(json_object_get(v, "program"), "stopped")));
    cr_expect(json_is_null(json_object_get(v, "at_exit")));
    expect_top_suspect(r, v, NULL, "accept_connection", "blocked");
    cr_expect(
        tlt_stack_has(json_object_get(json_array_get(json_object_get(v, "suspects"), 0), "stack"),
                      "session_reader"));
    cr_expect(strstr(r->err, "to the pre-stop dump"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, duration_clean_server_exits_0_and_interrupted_threads_are_no_leak)
{
    cli_result *r = run(NULL, "--duration", "2s", "--", tlt_prog_path("cli_server"), "pool", NULL);
    EXPECT_STATUS(r, 0); /* the server itself exits 143 */
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "clean", "%s", r->err);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "program"), "exit_code")),
                 143);
    json_decref(v);
    cli_free(r);
}

Test(run, duration_sigkill_when_sigterm_is_ignored)
{
    cli_result *r =
        run(NULL, "--duration", "1s", "--", tlt_prog_path("cli_server"), "stubborn", NULL);
    EXPECT_STATUS(r, 0);
    json_t *v = verdict(r);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(v, "program"), "signal")), 9);
    long ms = json_integer_value(json_object_get(json_object_get(v, "program"), "elapsed_ms"));
    cr_expect(ms >= 5500 && ms < 12000, "SIGKILL 5 s after SIGTERM, took %ld ms", ms);
    cr_expect(strstr(r->err, "then SIGKILL"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

/* ---- passthrough ---- */

Test(run, passthrough_bytes_and_status)
{
    char in[70000];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (char)(i * 7 + (i >> 8));
    cli_result *r = cli_new();
    const char *argv[] = {
        cli_threadleak(), "run", "--", tlt_prog_path("cli_passthrough"), "7", NULL};
    cli_exec(r, in, sizeof in, argv, NULL);
    EXPECT_STATUS(r, 7);
    cr_expect_eq(r->out_len, sizeof in);
    cr_expect(r->out_len == sizeof in && memcmp(r->out, in, sizeof in) == 0,
              "stdout differs from stdin");
    static const char err_line[] = "to stderr \xff\x01 bytes\n";
    cr_expect(r->err_len >= sizeof err_line - 1 &&
                  memcmp(r->err, err_line, sizeof err_line - 1) == 0,
              "the program's stderr comes first, untouched:\n%s", r->err);
    /* every other line on stderr is ours, prefixed */
    for (char *line = r->err + sizeof err_line - 1; *line;) {
        cr_expect(strncmp(line, "threadleak: ", 12) == 0, "unprefixed line: %.60s", line);
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : line + strlen(line);
    }
    const char *argv2[] = {
        cli_threadleak(), "run", "--", tlt_prog_path("cli_passthrough"), "0", "15", NULL};
    cli_exec(r, "", 0, argv2, NULL);
    EXPECT_STATUS(r, 128 + 15);
    cli_free(r);
}

Test(run, out_dir_keeps_series_and_dumps)
{
    cli_result *r = cli_new();
    char out[512];
    snprintf(out, sizeof out, "%s", cli_path(r, "kept"));
    const char *argv[] = {cli_threadleak(), "run",   "--out", out,
                          "--interval",     "100ms", "--",    tlt_prog_path("cli_exit_leak"),
                          "exit",           "700",   NULL};
    cli_exec(r, NULL, 0, argv, NULL);
    EXPECT_STATUS(r, 3);
    char path[600];
    snprintf(path, sizeof path, "%s/series.jsonl", out);
    FILE *f = fopen(path, "r");
    cr_expect(f, "no %s", path);
    int lines = 0;
    for (int c; f && (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    if (f)
        fclose(f);
    cr_expect_geq(lines, 4, "100ms samples over 0.7 s");
    cr_expect(strstr(r->err, "dumps and series kept in"), "%s", r->err);
    cli_free(r);
}

/* ---- cannot start ---- */

static void expect_usage_error(const char *const *argv, const char *const *env, const char *msg)
{
    cli_result *r = cli_new();
    cli_exec(r, NULL, 0, argv, env);
    cr_expect_eq(r->status, 2, "%s: status %d", msg, r->status);
    cr_expect(strstr(r->err, msg), "stderr lacks \"%s\":\n%s", msg, r->err);
    cr_expect(strncmp(r->err, "threadleak: ", 12) == 0, "%s", r->err);
    cr_expect(strchr(r->err, '\n') == r->err + r->err_len - 1, "one line: %s", r->err);
    cli_free(r);
}

Test(run, program_cannot_be_started)
{
    const char *tl = cli_threadleak();
    const char *a1[] = {tl, "run", "--", tlt_prog_path("cli_static"), NULL};
    expect_usage_error(a1, NULL, "static binary (no ELF interpreter): LD_PRELOAD cannot work");
    const char *a2[] = {tl, "run", "--", "no-such-program-xyz", NULL};
    expect_usage_error(a2, NULL, "no-such-program-xyz: program not found in PATH");
    const char *a3[] = {tl, "run", "--", "./no/such/file", NULL};
    expect_usage_error(a3, NULL, "./no/such/file: No such file or directory: check the path");
    const char *a4[] = {tl, "run", "--", tlt_source_path("tests/progs/cli_static.c"), NULL};
    expect_usage_error(a4, NULL, "is not executable: make it so with chmod +x");
    const char *a5[] = {tl, "run", "--", "/tmp", NULL};
    expect_usage_error(a5, NULL, "/tmp is a directory, not a program");
    const char *a6[] = {tl, "run", "--lib", "/no/libthreadleak.so", "--", "true", NULL};
    expect_usage_error(a6, NULL, "library not found: --lib /no/libthreadleak.so");
    const char *a7[] = {tl, "run", "--", "true", NULL};
    const char *e7[] = {"THREADLEAK_LIB=/nope.so", NULL};
    expect_usage_error(a7, e7, "library not found: THREADLEAK_LIB=/nope.so");
}

Test(run, usage_errors)
{
    const char *tl = cli_threadleak();
    const char *a1[] = {tl, "run", "--frobnicate", "--", "true", NULL};
    expect_usage_error(a1, NULL, "unknown option --frobnicate for run");
    const char *a2[] = {tl, "run", "--interval", "5x", "--", "true", NULL};
    expect_usage_error(a2, NULL, "--interval 5x: bad duration");
    const char *a3[] = {tl, "run", "--duration", "10", "--", "true", NULL};
    expect_usage_error(a3, NULL, "--duration 10: bad duration");
    const char *a4[] = {tl, "run", "--fail-on", "leaks", "--", "true", NULL};
    expect_usage_error(
        a4, NULL,
        "--fail-on leaks: expected a comma-separated list of growth, exit, deadlock, or none");
    const char *a5[] = {tl, "run", "--exit-code", "0", "--", "true", NULL};
    expect_usage_error(a5, NULL, "--exit-code 0: expected a status from 1 to 255");
    const char *a6[] = {tl, "run", NULL};
    expect_usage_error(a6, NULL, "no program to run: put it after --");
    const char *a7[] = {tl, "run", "--json", NULL};
    expect_usage_error(a7, NULL, "--json needs a value");
    const char *a8[] = {tl, "frob", NULL};
    expect_usage_error(a8, NULL, "unknown command frob");
    const char *a9[] = {tl, "--frob", NULL};
    expect_usage_error(a9, NULL, "unknown option --frob");
    const char *a10[] = {tl, "run", "--confidence", "2", "--", "true", NULL};
    expect_usage_error(a10, NULL, "--confidence 2: expected a probability");
    const char *a11[] = {tl, "run", "--min-growth", "x", "--", "true", NULL};
    expect_usage_error(a11, NULL, "--min-growth x: expected a number of threads");
}

Test(run, help_and_version)
{
    cli_result *r = cli_new();
    const char *a1[] = {cli_threadleak(), "--help", NULL};
    cli_exec(r, NULL, 0, a1, NULL);
    EXPECT_STATUS(r, 0);
    cr_expect(strstr(r->out, "Mann-Kendall") && strstr(r->out, "--min-growth") &&
              strstr(r->out, "--ignore GLOB") && strstr(r->out, "exit status of run"));
    const char *a2[] = {cli_threadleak(), "--version", NULL};
    cli_exec(r, NULL, 0, a2, NULL);
    EXPECT_STATUS(r, 0);
    cr_expect(strncmp(r->out, "threadleak ", 11) == 0);
    const char *a3[] = {cli_threadleak(), NULL};
    cli_exec(r, NULL, 0, a3, NULL);
    EXPECT_STATUS(r, 2);
    cr_expect(strstr(r->err, "usage:"));
    cli_free(r);
}

Test(run, exit_leak_in_a_program_started_by_a_shell)
{
    char script[700];
    snprintf(script, sizeof script, "%s exit 700; exit 4", tlt_prog_path("cli_exit_leak"));
    cli_result *r = run(NULL, "--", "/bin/sh", "-c", script, NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "exit"));
    json_t *o = json_array_get(json_object_get(v, "others"), 0);
    cr_assert(o, "%s", r->err);
    cr_expect_eq(json_integer_value(json_object_get(o, "exit_leaked")), 3);
    json_t *s = json_array_get(json_object_get(o, "suspects"), 0);
    cr_expect(s && tlt_stack_has(json_object_get(s, "stack"), "forgotten_listener"), "%s", r->err);
    char want[96];
    snprintf(want, sizeof want, "left at exit in pid %lld (started by the program)",
             (long long)json_integer_value(json_object_get(o, "pid")));
    cr_expect(strstr(r->err, want), "%s", r->err);
    json_decref(v);
    cli_free(r);
    /* and a clean one passes the shell's status through */
    r = run(NULL, "--", "/bin/sh", "-c", "exit 4", NULL);
    EXPECT_STATUS(r, 4);
    cli_free(r);
}

Test(run, ignore_forgives_growth_made_of_ignored_threads)
{
    cli_result *r = run(NULL, "--ignore", "leaky_worker", "--", tlt_prog_path("cli_leak_fast"),
                        "_exit", "2500", NULL);
    EXPECT_STATUS(r, 0);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "clean", "%s", r->err);
    cr_expect(strstr(r->err, "in ignored groups only (--ignore): not a leak"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

/* ---- forgiven, process trees, unjudged ---- */

Test(run, ignore_file_and_environment_forgive_and_say_why)
{
    cli_result *r = cli_new();
    FILE *f = fopen(cli_path(r, "my.ignore"), "w");
    fputs("# our listeners live until exit\nforgotten_*   # the listener pool\n", f);
    fclose(f);
    char file[512];
    snprintf(file, sizeof file, "%s", cli_path(r, "my.ignore"));
    cli_result *a =
        cli_run(NULL, (const char *[]){"--ignore-file", file, "--", tlt_prog_path("cli_exit_leak"),
                                       "exit", "800", NULL});
    EXPECT_STATUS(a, 0);
    json_t *v = cli_verdict(a);
    json_t *x = json_array_get(json_object_get(v, "forgiven"), 0);
    cr_assert(x, "nothing forgiven:\n%s", a->err);
    cr_expect_eq(json_integer_value(json_object_get(x, "count")), 3);
    cr_expect_str_eq(json_string_value(json_object_get(x, "rule")), "ignore");
    cr_expect(strstr(json_string_value(json_object_get(x, "why")), "the listener pool"));
    cr_expect(strstr(a->err, "forgiven at exit: 3 threads your ignore rules match"), "%s", a->err);
    json_decref(v);
    cli_free(a);
    /* THREADLEAK_IGNORE: colon-separated; "::" stays inside a glob */
    const char *env[] = {"THREADLEAK_IGNORE=ns::nothing:start_listen*", NULL};
    a = cli_run(env, (const char *[]){"--", tlt_prog_path("cli_exit_leak"), "exit", "800", NULL});
    EXPECT_STATUS(a, 0);
    cli_free(a);
    a = cli_run(NULL, (const char *[]){"--ignore-file", "/nonexistent/x", "--",
                                       tlt_prog_path("cli_exit_leak"), NULL});
    EXPECT_STATUS(a, 2);
    cr_expect(strstr(a->err, "--ignore-file /nonexistent/x"), "%s", a->err);
    cli_free(a);
    cli_free(r);
}

Test(run, clean_batch_pool_ramping_and_joining)
{
    expect_clean("batch");
}

static json_t *other(json_t *v, long *pid)
{
    json_t *o = json_array_get(json_object_get(v, "others"), 0);
    cr_assert(o, "no other process judged");
    *pid = json_integer_value(json_object_get(o, "pid"));
    return o;
}

Test(run, killed_child_growth_names_its_suspects)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_tree"), "killed", NULL);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    long pid;
    json_t *o = other(v, &pid);
    cr_expect(json_is_true(json_object_get(o, "growth")), "%s", r->err);
    json_t *s = json_array_get(json_object_get(o, "suspects"), 0);
    cr_assert(s, "no suspects for the killed child:\n%s", r->err);
    cr_expect(tlt_stack_has(json_object_get(s, "stack"), "tree_leaked_worker"), "%s", r->err);
    cr_expect(tlt_stack_has(json_object_get(s, "spawn_stack"), "leak_for"), "%s", r->err);
    cr_expect(!strstr(r->err, "over the last 0.0s"), "rates over the real window:\n%s", r->err);
    json_decref(v);
    cli_free(r);
}

static void expect_orphan_judged(cli_result *r)
{
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    long pid;
    json_t *o = other(v, &pid);
    cr_expect(json_is_true(json_object_get(o, "growth")), "%s", r->err);
    cr_expect(json_is_true(json_object_get(o, "outlived")), "%s", r->err);
    json_t *s = json_array_get(json_object_get(o, "suspects"), 0);
    cr_assert(s, "no suspects for the orphan:\n%s", r->err);
    cr_expect(tlt_stack_has(json_object_get(s, "stack"), "tree_leaked_worker"), "%s", r->err);
    char want[64];
    snprintf(want, sizeof want, "pid %ld (cli_tree) outlived", pid);
    cr_expect(strstr(r->err, want), "stderr lacks \"%s\":\n%s", want, r->err);
    json_decref(v);
}

Test(run, descendant_outliving_the_program_is_waited_for_and_judged)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_tree"), "orphan", NULL);
    expect_orphan_judged(r);
    cli_free(r);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s orphan & exit 0", tlt_prog_path("cli_tree"));
    r = run(NULL, "--", "/bin/sh", "-c", cmd, NULL);
    expect_orphan_judged(r);
    cli_free(r);
}

Test(run, descendant_past_the_bound_is_stopped_and_named)
{
    /* the orphan leaks for 3 s; the run waits 1 s after its parent exits */
    cli_result *r =
        run(NULL, "--wait-descendants", "1s", "--", tlt_prog_path("cli_tree"), "orphan", NULL);
    cr_expect(strstr(r->err, "stopped it"), "%s", r->err);
    json_t *v = verdict(r);
    json_t *d, *a = json_object_get(v, "descendants");
    size_t i;
    int stopped = 0;
    json_array_foreach(a, i, d) stopped |= json_is_true(json_object_get(d, "stopped"));
    cr_expect(stopped, "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, program_aborting_early_is_unjudged_never_clean)
{
    cli_result *r = run(NULL, "--", tlt_prog_path("cli_tree"), "abort", NULL);
    EXPECT_STATUS(r, 128 + 6);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "unjudged", "%s", r->err);
    json_t *u = json_array_get(json_object_get(v, "unjudged"), 0);
    cr_assert(u, "%s", r->err);
    cr_expect(strstr(json_string_value(json_object_get(u, "why")), "SIGABRT"));
    cr_expect(strstr(r->err, "verdict: unjudged"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, preloaded_descendant_that_cannot_report_is_unjudged)
{
    /* a child whose series file cannot be written: loaded, threads, no report */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "THREADLEAK_SERIES=/nonexistent/series %s idle 2000; exit 0",
             tlt_prog_path("cli_clean"));
    cli_result *r = run(NULL, "--", "/bin/sh", "-c", cmd, NULL);
    EXPECT_STATUS(r, 4);
    json_t *v = verdict(r);
    cr_expect_str_eq(cli_verdict_word(v), "unjudged", "%s", r->err);
    json_t *u = json_array_get(json_object_get(v, "unjudged"), 0);
    cr_assert(u, "%s", r->err);
    cr_expect(strstr(json_string_value(json_object_get(u, "why")), "never reported"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}

Test(run, process_that_drops_privileges_still_reports)
{
    if (geteuid() != 0)
        cr_skip_test("dropping privileges needs root");
    /* from a directory nobody cannot enter, as a program built under /root */
    char dir[] = "/tmp/tl-private.XXXXXX", prog[64], cmd[256];
    cr_assert(mkdtemp(dir));
    snprintf(prog, sizeof prog, "%s/cli_tree", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tlt_prog_path("cli_tree"), prog);
    cr_assert(system(cmd) == 0 && chmod(dir, 0700) == 0);
    cli_result *r = run(NULL, "--", prog, "dropper", NULL);
    unlink(prog);
    rmdir(dir);
    EXPECT_STATUS(r, 3);
    json_t *v = verdict(r);
    cr_expect(cli_has_reason(v, "growth") && cli_has_reason(v, "exit"), "%s", r->err);
    cr_expect_gt(json_array_size(json_object_get(v, "samples")), 6, "%s", r->err);
    json_t *s = json_array_get(json_object_get(v, "suspects"), 0);
    cr_assert(s, "no suspects from the dumps of a process running as nobody:\n%s", r->err);
    cr_expect_geq(json_integer_value(json_object_get(s, "count")), 20, "%s", r->err);
    /* its path is out of reach after the uid change; its file is not */
    cr_expect(tlt_stack_has(json_object_get(s, "stack"), "tree_leaked_worker"), "%s", r->err);
    cr_expect(tlt_stack_has(json_object_get(s, "spawn_stack"), "leak_for"), "%s", r->err);
    json_decref(v);
    cli_free(r);
}
