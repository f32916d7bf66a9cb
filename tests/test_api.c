/* The API (goleak for C), used the way users use it.
 *
 * This binary is linked with -lthreadleak (no LD_PRELOAD): Criterion runs
 * each test in its own process, where the API sees that test's threads.
 *   linked::scenario     each case of tests/progs/api_scenarios.h in-process
 *   preloaded::scenario  the same cases in tests/progs/api_preloaded, a
 *                        program not linked with the library, run with it
 *                        preloaded (the API found through dlsym)
 *   helper::*            cr_assert_no_thread_leaks() and _with() in tests
 *   dump::*              threadleak_dump
 *   leaky_binary::*      builds tests/api/leaky_suite.c, a Criterion suite
 *                        with a leaking test, runs it, and checks that it
 *                        fails and names the leaking function. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <threadleak/criterion.h>
#include <unistd.h>

#include "lib/files.h"
#include "lib/tlt.h"
#include "progs/api_scenarios.h"

static const struct api linked_api = {threadleak_active, threadleak_snapshot_take,
                                      threadleak_snapshot_free, threadleak_verify_none,
                                      threadleak_dump};

/* ---- helpers ---- */

static char *slurp(FILE *f)
{
    fflush(f);
    long size = ftell(f);
    char *s = calloc(1, size > 0 ? (size_t)size + 1 : 1);
    if (size > 0 && fseek(f, 0, SEEK_SET) == 0)
        s[fread(s, 1, (size_t)size, f)] = 0;
    return s;
}

/* Runs argv (stdout and stderr together into *out, malloc'd) with
 * LD_PRELOAD set to `preload` or unset; kills it after timeout_s. The
 * result is the wait status, or -1 when it could not be run. */
static void preload_only(void *preload)
{
    if (preload)
        setenv("LD_PRELOAD", preload, 1);
    else
        unsetenv("LD_PRELOAD");
    unsetenv("BXFI_MAP"); /* else a Criterion binary takes itself for our test's worker */
}

static int run(const char *const *argv, const char *preload, int timeout_s, char **out)
{
    return tlt_run_captured(argv, preload_only, (void *)preload, timeout_s, out);
}

static void check_scenario(const char *how, const struct api_scenario *s, int leaks,
                           const char *report)
{
    cr_expect_eq(leaks, s->leaks, "%s %s: threadleak_verify_none returned %d, want %d; report:\n%s",
                 how, s->name, leaks, s->leaks, report);
    for (int i = 0; s->report[i]; i++)
        cr_expect(strstr(report, s->report[i]) != NULL,
                  "%s %s: the report lacks \"%s\"; report:\n%s", how, s->name, s->report[i],
                  report);
    for (int i = 0; s->absent[i]; i++)
        cr_expect(strstr(report, s->absent[i]) == NULL, "%s %s: the report has \"%s\"; report:\n%s",
                  how, s->name, s->absent[i], report);
}

static int scenario_index[API_N_SCENARIOS];

#define SCENARIO_PARAMS()                                                                          \
    do {                                                                                           \
        for (int k_ = 0; k_ < API_N_SCENARIOS; k_++)                                               \
            scenario_index[k_] = k_;                                                               \
        return cr_make_param_array(int, scenario_index, API_N_SCENARIOS);                          \
    } while (0)

/* ---- linked: each scenario in this process ---- */

ParameterizedTestParameters(linked, scenario)
{
    SCENARIO_PARAMS();
}

ParameterizedTest(int *i, linked, scenario)
{
    const struct api_scenario *s = &api_scenarios[*i];
    FILE *r = tmpfile();
    cr_assert(r);
    int leaks = api_run_scenario(&linked_api, s->name, r);
    char *report = slurp(r);
    check_scenario("linked", s, leaks, report);
    free(report);
    fclose(r);
}

Test(linked, active)
{
    cr_assert_eq(threadleak_active(), 1);
}

Test(linked, null_options_and_criterion_threads_excluded)
{
    /* Criterion's runner has threads of its own in this process (nng); they
     * never count, nor does the caller: NULL options, nothing to report. */
    cr_assert_eq(threadleak_verify_none(NULL), 0);
}

static void *verify_from_thread(void *arg)
{
    threadleak_options *o = arg;
    return (void *)(intptr_t)threadleak_verify_none(o);
}

Test(linked, caller_and_main_thread_are_not_leaks)
{
    /* Called from a thread other than main: main, blocked in pthread_join,
     * is no leak, and neither is the calling thread. */
    threadleak_options o = {.timeout_ms = 50};
    pthread_t t;
    void *res;
    pthread_create(&t, NULL, verify_from_thread, &o);
    pthread_join(t, &res);
    cr_assert_eq((intptr_t)res, 0);
}

static int with_stderr_to(const char *path, threadleak_options *o)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    int n = threadleak_verify_none(o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return n;
}

Test(linked, report_goes_to_stderr_by_default)
{
    char path[] = "/tmp/threadleak-api-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    spawn_blocked();
    threadleak_options o = {.timeout_ms = 50};
    int n = with_stderr_to(path, &o);
    char *err = tlt_read_file(path, NULL);
    unlink(path);
    cr_expect_eq(n, 1);
    cr_expect(err && strstr(err, "threadleak: found 1 unexpected thread") &&
                  strstr(err, "blocked_forever") && strstr(err, "spawn_blocked"),
              "stderr:\n%s", err ? err : "(none)");
    free(err);
}

Test(linked, report_goes_to_opts_report_only)
{
    char path[] = "/tmp/threadleak-api-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    spawn_blocked();
    FILE *r = tmpfile();
    threadleak_options o = {.timeout_ms = 50, .report = r};
    int n = with_stderr_to(path, &o);
    char *err = tlt_read_file(path, NULL);
    char *report = slurp(r);
    unlink(path);
    cr_expect_eq(n, 1);
    cr_expect(strstr(report, "threadleak: found 1 unexpected thread") &&
                  strstr(report, "blocked_forever"),
              "report:\n%s", report);
    cr_expect(err && !strstr(err, "threadleak"), "stderr has the report:\n%s", err ? err : "");
    free(err);
    free(report);
    fclose(r);
}

Test(linked, report_is_the_text_dump_format)
{
    /* Group header line, frames "#N function file:line module", then the
     * creation stack under "created by thread <tid> (<name>) at". */
    spawn_blocked();
    FILE *r = tmpfile();
    threadleak_options o = {.timeout_ms = 50, .report = r};
    cr_assert_eq(threadleak_verify_none(&o), 1);
    char *report = slurp(r);
    char created[64];
    snprintf(created, sizeof created, "created by thread %d", (int)getpid());
    cr_expect(strstr(report, "1 thread \u00b7 blocked in cond (pthread_cond_wait 0x"),
              "report:\n%s", report);
    cr_expect(strstr(report, "#0  blocked_forever"), "report:\n%s", report);
    cr_expect(strstr(report, "api_scenarios.h:"), "no file:line; report:\n%s", report);
    cr_expect(strstr(report, created), "report:\n%s", report);
    cr_expect(strstr(report, "#0  spawn_blocked"), "report:\n%s", report);
    free(report);
    fclose(r);
}

/* ---- preloaded: the same scenarios, the library preloaded ---- */

ParameterizedTestParameters(preloaded, scenario)
{
    SCENARIO_PARAMS();
}

ParameterizedTest(int *i, preloaded, scenario)
{
    const struct api_scenario *s = &api_scenarios[*i];
    const char *argv[] = {tlt_prog_path("api_preloaded"), s->name, NULL};
    char *out;
    int st = run(argv, tlt_lib_path(), 20, &out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "api_preloaded %s: status %d; output:\n%s",
              s->name, st, out);
    int leaks = -1;
    char *nl = strchr(out, '\n');
    cr_assert(sscanf(out, "leaks %d", &leaks) == 1 && nl, "api_preloaded %s: output:\n%s", s->name,
              out);
    check_scenario("preloaded", s, leaks, nl + 1);
    free(out);
}

Test(preloaded, active)
{
    const char *argv[] = {tlt_prog_path("api_preloaded"), "active", NULL};
    char *out;
    int st = run(argv, tlt_lib_path(), 10, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strstr(out, "active 1\n"), "output:\n%s",
              out);
    free(out);
    /* Without the library the program runs and finds no API. */
    st = run(argv, NULL, 10, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 3 && strstr(out, "api absent"), "output:\n%s",
              out);
    free(out);
}

Test(preloaded, dump)
{
    char dir[] = "/tmp/threadleak-api-XXXXXX";
    cr_assert(mkdtemp(dir));
    char stem[64], path[80];
    snprintf(stem, sizeof stem, "%s/pre", dir);
    const char *argv[] = {tlt_prog_path("api_preloaded"), "dump", stem, "json", NULL};
    char *out;
    int st = run(argv, tlt_lib_path(), 10, &out);
    cr_expect(WIFEXITED(st) && strstr(out, "dump 0\n"), "output:\n%s", out);
    snprintf(path, sizeof path, "%s.json", stem);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    cr_expect(j != NULL, "%s: %s", path, err.text);
    json_decref(j);
    unlink(path);
    rmdir(dir);
    free(out);
}

/* ---- the Criterion helper, as users write it ---- */

Test(helper, passes_after_join)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn_sleeper(5, 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    cr_assert_no_thread_leaks();
}

Test(helper, passes_when_detached_threads_finish)
{
    spawn_sleeper(100, 1);
    cr_assert_no_thread_leaks();
}

Test(helper, with_ignore)
{
    spawn_blocked();
    static const char *const ignore[] = {"blocked_forever", NULL};
    threadleak_options o = {.ignore = ignore};
    cr_assert_no_thread_leaks_with(&o);
}

Test(helper, with_baseline)
{
    spawn_blocked();
    threadleak_snapshot *before = threadleak_snapshot_take();
    pthread_t t = spawn_sleeper(5, 0);
    pthread_join(t, NULL);
    threadleak_options o = {.baseline = before};
    cr_assert_no_thread_leaks_with(&o);
    threadleak_snapshot_free(before);
}

/* ---- threadleak_dump ---- */

Test(dump, writes_whole_files)
{
    char dir[] = "/tmp/threadleak-api-XXXXXX";
    cr_assert(mkdtemp(dir));
    char stem[64], txt[80], js[80];
    snprintf(stem, sizeof stem, "%s/d", dir);
    snprintf(txt, sizeof txt, "%s.txt", stem);
    snprintf(js, sizeof js, "%s.json", stem);
    spawn_blocked();
    usleep(20000);
    cr_assert_eq(threadleak_dump(stem, "text,json"), 0);

    char *text = tlt_read_file(txt, NULL);
    cr_assert(text, "no %s", txt);
    char head[64];
    snprintf(head, sizeof head, " \u00b7 pid %d \u00b7 ", (int)getpid());
    cr_expect(strncmp(text, "threadleak dump ", 16) == 0 && strstr(text, head) &&
                  strstr(text, "\nthreads: "),
              "%s:\n%s", txt, text);
    cr_expect(strstr(text, "blocked_forever"), "%s:\n%s", txt, text);

    json_error_t err;
    json_t *j = json_load_file(js, 0, &err);
    cr_assert(j, "%s does not parse: %s", js, err.text);
    cr_expect_str_eq(json_string_value(json_object_get(j, "format")), "threadleak-dump");
    cr_expect_str_eq(json_string_value(json_object_get(j, "reason")), "api");
    cr_expect_eq(json_integer_value(json_object_get(j, "pid")), getpid());
    cr_expect(json_array_size(json_object_get(j, "groups")) >= 2); /* main, the blocked one */
    json_decref(j);

    /* Nothing else was left in the directory (written aside, renamed). */
    DIR *d = opendir(dir);
    struct dirent *e;
    int others = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "d.txt") &&
            strcmp(e->d_name, "d.json"))
            others++;
    closedir(d);
    cr_expect_eq(others, 0, "files other than d.txt and d.json in %s", dir);
    unlink(txt);
    unlink(js);
    rmdir(dir);
    free(text);
}

Test(dump, expands_pid_and_defaults_to_text)
{
    char dir[] = "/tmp/threadleak-api-XXXXXX";
    cr_assert(mkdtemp(dir));
    char stem[64], txt[96], js[96];
    snprintf(stem, sizeof stem, "%s/d.%%p", dir);
    snprintf(txt, sizeof txt, "%s/d.%d.txt", dir, (int)getpid());
    snprintf(js, sizeof js, "%s/d.%d.json", dir, (int)getpid());
    cr_assert_eq(threadleak_dump(stem, NULL), 0);
    cr_expect_eq(access(txt, R_OK), 0, "no %s", txt);
    cr_expect_neq(access(js, F_OK), 0, "%s written without json asked for", js);
    unlink(txt);
    rmdir(dir);
}

Test(dump, rejects_bad_stems_and_formats)
{
    cr_expect_eq(threadleak_dump(NULL, "text"), -EINVAL);
    cr_expect_eq(threadleak_dump("", "text"), -EINVAL);
    cr_expect_eq(threadleak_dump("/tmp/threadleak-api-x%q", "text"), -EINVAL);
    cr_expect_eq(threadleak_dump("/tmp/threadleak-api-x%", "text"), -EINVAL);
    cr_expect_eq(threadleak_dump("/tmp/threadleak-api-x", "xml"), -EINVAL);
    cr_expect_eq(threadleak_dump("/tmp/threadleak-api-x", ""), -EINVAL);
    cr_expect_eq(threadleak_dump("/tmp/threadleak-api-x", "text,xml"), -EINVAL);
    cr_expect_neq(access("/tmp/threadleak-api-x.txt", F_OK), 0);
    int rc = threadleak_dump("/nonexistent-threadleak-dir/x", "text");
    cr_expect(rc < 0 && rc != -EINVAL, "unwritable stem: %d", rc);
}

/* ---- a leaking Criterion binary, built and run as users would ---- */

Test(leaky_binary, fails_and_names_the_leaking_function, .timeout = 30)
{
    char dir[] = "/tmp/threadleak-api-XXXXXX";
    cr_assert(mkdtemp(dir));
    char bin[64], inc[4200], libdir[4200], rpath[4300];
    snprintf(bin, sizeof bin, "%s/leaky_suite", dir);
    snprintf(inc, sizeof inc, "-I%s", tlt_source_path("include"));
    snprintf(libdir, sizeof libdir, "-L%s", tlt_build_dir());
    snprintf(rpath, sizeof rpath, "-Wl,-rpath,%s", tlt_build_dir());
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
    const char *ccargv[] = {cc,
                            "-std=c11",
                            "-Wall",
                            "-Wextra",
                            "-Werror",
                            "-g",
                            "-o",
                            bin,
                            tlt_source_path("tests/api/leaky_suite.c"),
                            inc,
                            libdir,
                            rpath,
                            "-lthreadleak",
                            "-lcriterion",
                            "-pthread",
                            NULL};
    char *out;
    int st = run(ccargv, NULL, 60, &out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "compiling leaky_suite.c failed:\n%s", out);
    free(out);

    const char *argv[] = {bin, "--jobs", "2", NULL};
    st = run(argv, NULL, 25, &out);
    unlink(bin);
    rmdir(dir);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "the leaking suite exited 0:\n%s", out);
    cr_expect(strstr(out, "Failing: 1 "), "want Failing: 1:\n%s", out);
    cr_expect(strstr(out, "Passing: 1 "), "want Passing: 1 (the joining test):\n%s", out);
    cr_expect(strstr(out, "[FAIL] leaky::forgets_its_worker"), "output:\n%s", out);
    cr_expect(strstr(out, "#0  leaky_worker"), "the leaking function is not named:\n%s", out);
    cr_expect(strstr(out, "#0  start_leaky_worker"), "its creator is not named:\n%s", out);
    cr_expect(!strstr(out, "[FAIL] leaky::joins_its_worker"), "output:\n%s", out);
    free(out);
}
