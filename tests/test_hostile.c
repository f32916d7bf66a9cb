/* Hostile input (issue 2, issue 6): every THREADLEAK_* variable with
 * empty, huge, negative, non-numeric and non-UTF-8 values (the program
 * runs normally, exits 0, and stderr has exactly one line
 * "threadleak: <VAR>=<value>: <why>; using <default>" for a bad value and
 * none for a value that is fine), and the libFuzzer targets over the
 * configuration parser and the JSON dump reader (scripts/fuzz.sh: a few
 * seconds here, minutes under make stress). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "robust/rb.h"

TestSuite(hostile, .timeout = 240);

static char huge_digits[5001], huge_path[5001];

static void init_huge(void)
{
    memset(huge_digits, '9', sizeof huge_digits - 1);
    memset(huge_path, 'a', sizeof huge_path - 1);
}

/* The value as the library shows it: printable bytes as they are, others
 * as \xNN, cut after 60 characters with "...". */
static void shown(const char *v, char *out, size_t size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p && n + 5 < size; p++) {
        if (n >= 60) {
            n += (size_t)snprintf(out + n, size - n, "...");
            break;
        }
        if (isprint(*p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
    }
    out[n] = 0;
}

/* Runs faults_idle (2 threads, exits at once) with VAR=value; expects exit
 * 0 and either no threadleak line (bad == 0) or exactly one of the form
 * "threadleak: VAR=<shown>: <why>; using <dflt>". */
static void one(const char *var, const char *value, int bad, const char *dflt)
{
    char dir[256], envvar[6000];
    rb_tempdir(dir, sizeof dir);
    snprintf(envvar, sizeof envvar, "%s=%s", var, value);
    const char *argv[] = {tlt_prog_path("faults_idle"), "2", "--exit", NULL};
    const char *env[] = {envvar, NULL};
    rb_result r = rb_run_in(argv, env, 1, dir, 20000);
    char show[128], what[200];
    shown(value, show, sizeof show);
    snprintf(what, sizeof what, "%s=\"%.40s\"%s", var, show, strlen(show) > 40 ? "..." : "");
    cr_expect(rb_exited_0(&r), "%s: the program %s\nstderr:\n%s", what, rb_status(r.status), r.err);
    cr_expect(strstr(r.out, "eintr 0\nbye\n") != NULL, "%s: the program's output changed:\n%s",
              what, r.out);
    int lines = rb_count_lines(r.err, "");
    int ours = rb_count_lines(r.err, "threadleak: ");
    if (!bad) {
        cr_expect(lines == 0, "%s is fine, yet stderr says:\n%s", what, r.err);
    } else {
        cr_expect(lines == 1 && ours == 1, "%s: expected exactly one stderr line, got:\n%s", what,
                  r.err);
        char prefix[300], suffix[100];
        snprintf(prefix, sizeof prefix, "threadleak: %s=%s: ", var, show);
        snprintf(suffix, sizeof suffix, "; using %s\n", dflt);
        size_t el = strlen(r.err), sl = strlen(suffix);
        cr_expect(!strncmp(r.err, prefix, strlen(prefix)),
                  "%s: the line does not start \"%s\":\n%s", what, prefix, r.err);
        cr_expect(el >= sl && !strcmp(r.err + el - sl, suffix),
                  "%s: the line does not end \"%s\":\n%s", what, suffix, r.err);
        cr_expect(el > strlen(prefix) + sl, "%s: the line gives no reason:\n%s", what, r.err);
    }
    rb_free(&r);
    rb_rmtree(dir);
}

struct var_case {
    const char *var, *dflt;
    int path; /* any non-empty, short value is a fine path */
    const char *more_bad[3];
};

static const struct var_case vars[] = {
    {"THREADLEAK_SIGNAL", "USR1", 0, {"KILL", "0x10", "SIGRTMIN+99"}},
    {"THREADLEAK_OUTPUT", "threadleak.%p.%n", 1, {"dump.%x", "dump%", NULL}},
    {"THREADLEAK_FORMAT", "text", 0, {"xml", "text,", "TEXT"}},
    {"THREADLEAK_DETAIL", "groups", 0, {"thread", "all", NULL}},
    {"THREADLEAK_INTERVAL_MS", "1000", 0, {"5", "3600001", "1e3"}},
    {"THREADLEAK_SERIES", "none", 1, {NULL}},
    {"THREADLEAK_EXIT_DUMP", "0", 0, {"2", "yes", " 1"}},
    {"THREADLEAK_FRAMES", "32", 0, {"0", "129", "+5"}},
    {"THREADLEAK_LOG", "warn", 0, {"verbose", "QUIET", NULL}},
};

Test(hostile, every_bad_environment_value)
{
    init_huge();
    int runs = 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const struct var_case *v = &vars[i];
        one(v->var, "", 1, v->dflt);
        one(v->var, v->path ? huge_path : huge_digits, 1, v->dflt);
        one(v->var, "-1", !v->path, v->dflt);
        one(v->var, "not-a-number", !v->path, v->dflt);
        one(v->var, "\xff\xfe\xc3(", !v->path, v->dflt);
        runs += 5;
        for (int k = 0; k < 3 && v->more_bad[k]; k++, runs++)
            one(v->var, v->more_bad[k], 1, v->dflt);
    }
    rb_figure("environment: %d runs with bad or odd THREADLEAK_* values, each exited 0 with the "
              "expected stderr line",
              runs);
}

/* Signals the C library reserves for itself (32, 33 on glibc) cannot be
 * the dump signal: said once, and USR1 is used. */
Test(hostile, reserved_signal_numbers)
{
    one("THREADLEAK_SIGNAL", "32", 1, "USR1");
    one("THREADLEAK_SIGNAL", "33", 1, "USR1");
    one("THREADLEAK_SIGNAL", "RTMIN", 0, "USR1");
}

/* THREADLEAK_LOG=quiet silences the library, bad values of the other
 * variables included. */
Test(hostile, quiet_means_quiet)
{
    const char *argv[] = {tlt_prog_path("faults_idle"), "2", "--exit", NULL};
    const char *env[] = {"THREADLEAK_LOG=quiet", "THREADLEAK_FRAMES=abc",
                         "THREADLEAK_FORMAT=", NULL};
    rb_result r = rb_run(argv, env, 20000);
    cr_expect(rb_exited_0(&r), "%s", rb_status(r.status));
    cr_expect_str_empty(r.err, "THREADLEAK_LOG=quiet, yet stderr says:\n%s", r.err);
    rb_free(&r);
}

Test(hostile, fuzz_config_parser_and_dump_reader, .timeout = 1500)
{
    const char *secs = rb_stress() ? "120" : "4";
    char script[4200];
    snprintf(script, sizeof script, "%s", tlt_source_path("scripts/fuzz.sh"));
    const char *argv[] = {"bash", script, secs, NULL};
    /* This suite's build directory, not the source tree's build/: two
     * builds' runs must not share one corpus and one log. */
    char build[4200];
    snprintf(build, sizeof build, "BUILD=%s", tlt_build_dir());
    const char *env[] = {build, NULL};
    rb_result r = rb_run_in(argv, env, 0, tlt_source_path(""), 1400000);
    if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 77)
        cr_skip_test("clang is not installed: no fuzzing");
    cr_expect(rb_exited_0(&r), "scripts/fuzz.sh %s: %s\n%s%s", secs, rb_status(r.status), r.out,
              r.err);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "fuzz ", 5))
            rb_figure("%s", line);
    rb_free(&r);
}
