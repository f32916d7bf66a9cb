/* Hostile input: every THREADLEAK_* variable with
 * empty, huge, negative, non-numeric and non-UTF-8 values (the program
 * runs normally, exits 0, and stderr has exactly one line
 * "threadleak: <VAR>=<value>: <why>; using <default>" for a bad value and
 * none for a value that is fine: tests/lib/env_cases.c), and the libFuzzer targets over the
 * configuration parser and the JSON dump reader (scripts/fuzz.sh: a few
 * seconds here, minutes under make stress). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/env_cases.h"
#include "lib/figures.h"
#include "lib/files.h"
#include "lib/run.h"
#include "lib/tlt.h"

TestSuite(hostile, .timeout = 240);

/* Runs faults_idle (2 threads, exits at once) with VAR=value; expects exit
 * 0, its own output unchanged, and on stderr exactly "threadleak: <said>"
 * or, when said is NULL, nothing. */
static void one(const char *var, const char *value, const char *said)
{
    char dir[256], envvar[6000];
    tlt_tempdir(dir, sizeof dir);
    snprintf(envvar, sizeof envvar, "%s=%s", var, value);
    const char *argv[] = {tlt_prog_path("faults_idle"), "2", "--exit", NULL};
    const char *env[] = {envvar, NULL};
    tlt_result r = tlt_run_in(argv, env, 1, dir, 20000);
    char what[120], expected[600];
    snprintf(what, sizeof what, "%s=\"%.40s\"%s", var, value, strlen(value) > 40 ? "..." : "");
    snprintf(expected, sizeof expected, said ? "threadleak: %s\n" : "%s", said ? said : "");
    cr_expect(tlt_exited_0(&r), "%s: the program %s\nstderr:\n%s", what, tlt_status(r.status),
              r.err);
    cr_expect(strstr(r.out, "eintr 0\nbye\n") != NULL, "%s: the program's output changed:\n%s",
              what, r.out);
    cr_expect_str_eq(r.err, expected, "%s: stderr should be\n%s\nbut is\n%s", what,
                     said ? expected : "(nothing)", r.err);
    tlt_result_free(&r);
    tlt_rmtree(dir);
}

/* Every case of tests/lib/env_cases.c (also checked in-process by
 * test_preload_unit), end to end. */
Test(hostile, every_bad_environment_value)
{
    int bad = 0;
    for (size_t i = 0; i < tlt_env_case_count; i++) {
        one(tlt_env_cases[i].var, tlt_env_cases[i].value, tlt_env_cases[i].said);
        bad += tlt_env_cases[i].said != NULL;
    }
    tlt_figure("environment: %zu runs with bad (%d) or odd THREADLEAK_* values, each exited 0 "
               "with the expected stderr line or none",
               tlt_env_case_count, bad);
}

/* THREADLEAK_LOG=quiet silences the library, bad values of the other
 * variables included. */
Test(hostile, quiet_means_quiet)
{
    const char *argv[] = {tlt_prog_path("faults_idle"), "2", "--exit", NULL};
    const char *env[] = {"THREADLEAK_LOG=quiet", "THREADLEAK_FRAMES=abc",
                         "THREADLEAK_FORMAT=", NULL};
    tlt_result r = tlt_run(argv, env, 20000);
    cr_expect(tlt_exited_0(&r), "%s", tlt_status(r.status));
    cr_expect_str_empty(r.err, "THREADLEAK_LOG=quiet, yet stderr says:\n%s", r.err);
    tlt_result_free(&r);
}

Test(hostile, fuzz_config_parser_and_dump_reader, .timeout = 1500)
{
    const char *secs = tlt_stress() ? "120" : "4";
    char script[4200];
    snprintf(script, sizeof script, "%s", tlt_source_path("scripts/fuzz.sh"));
    const char *argv[] = {"bash", script, secs, NULL};
    /* This suite's build directory, not the source tree's build/: two
     * builds' runs must not share one corpus and one log. */
    char build[4200];
    snprintf(build, sizeof build, "BUILD=%s", tlt_build_dir());
    const char *env[] = {build, NULL};
    tlt_result r = tlt_run_in(argv, env, 0, tlt_source_path(""), 1400000);
    if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 77)
        cr_skip_test("clang is not installed: no fuzzing");
    cr_expect(tlt_exited_0(&r), "scripts/fuzz.sh %s: %s\n%s%s", secs, tlt_status(r.status), r.out,
              r.err);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "fuzz ", 5))
            tlt_figure("%s", line);
    tlt_result_free(&r);
}
