/* The options of `threadleak run`. Each bad value gets one line naming the
 * option, the value, and what it accepts. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "common/env_syntax.h"

static int bad(const char *opt, const char *val, const char *want)
{
    tl_msg("%s %s: %s (see threadleak --help)", opt, val, want);
    return -1;
}

static int parse_fail_on(const char *v, tl_run_opts *o)
{
    o->fail_growth = o->fail_exit = o->fail_deadlock = 0;
    if (strcmp(v, "none") == 0)
        return 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    if (strlen(v) >= sizeof buf)
        return -1;
    for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "growth") == 0)
            o->fail_growth = 1;
        else if (strcmp(tok, "exit") == 0)
            o->fail_exit = 1;
        else if (strcmp(tok, "deadlock") == 0)
            o->fail_deadlock = 1;
        else
            return -1;
    }
    return o->fail_growth || o->fail_exit || o->fail_deadlock ? 0 : -1;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void set_defaults(tl_run_opts *o, int argc)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 200;
    o->fail_growth = o->fail_exit = o->fail_deadlock = 1;
    o->exit_code = 3;
    tl_growth_defaults(&o->growth);
    o->ignore = tl_xcalloc((size_t)argc + 1, sizeof *o->ignore);
    o->ignore_files = tl_xcalloc((size_t)argc + 1, sizeof *o->ignore_files);
    o->wait_descendants_ms = 10000;
}

/* The option's name in `name`, from "--name=value" or "--name"; returns
 * the value, or NULL when it is the next argument. */
static const char *split_option(const char *a, char *name, size_t size)
{
    const char *eq = strchr(a, '=');
    if (eq && a[1] == '-' && (size_t)(eq - a) < size) {
        snprintf(name, size, "%.*s", (int)(eq - a), a);
        return eq + 1;
    }
    snprintf(name, size, "%s", strlen(a) < size ? a : "?");
    return NULL;
}

/* A duration into *ms, from lo to hi milliseconds. */
static int duration_in(const char *v, long lo, long hi, long *ms)
{
    return tl_parse_duration(v, ms) || *ms < lo || *ms > hi ? -1 : 0;
}

static int set_interval(tl_run_opts *o, const char *v)
{
    /* the library's THREADLEAK_INTERVAL_MS range, which run passes it on as */
    return duration_in(v, TL_INTERVAL_MS_MIN, TL_INTERVAL_MS_MAX, &o->interval_ms);
}

static int set_duration(tl_run_opts *o, const char *v)
{
    return duration_in(v, 1, LONG_MAX, &o->duration_ms);
}

static int set_wait_descendants(tl_run_opts *o, const char *v)
{
    return tl_parse_duration(v, &o->wait_descendants_ms);
}

static int set_dump_every(tl_run_opts *o, const char *v)
{
    return duration_in(v, 50, LONG_MAX, &o->dump_every_ms);
}

static int set_fail_on(tl_run_opts *o, const char *v)
{
    return parse_fail_on(v, o);
}

/* The value itself, which must not be empty, into *at. */
static int nonempty(const char *v, const char **at)
{
    if (!*v)
        return -1;
    *at = v;
    return 0;
}

static int add_ignore(tl_run_opts *o, const char *v)
{
    if (!*v)
        return -1;
    o->ignore[o->n_ignore++] = (char *)v;
    return 0;
}

static int add_ignore_file(tl_run_opts *o, const char *v)
{
    if (!*v)
        return -1;
    o->ignore_files[o->n_ignore_files++] = (char *)v;
    return 0;
}

static int set_json(tl_run_opts *o, const char *v)
{
    return nonempty(v, &o->json_path);
}

static int set_html(tl_run_opts *o, const char *v)
{
    return nonempty(v, &o->html_path);
}

static int set_out(tl_run_opts *o, const char *v)
{
    return nonempty(v, &o->out_dir);
}

static int set_lib(tl_run_opts *o, const char *v)
{
    o->lib = v;
    return 0;
}

static int set_exit_code(tl_run_opts *o, const char *v)
{
    long n;
    if (tl_parse_long(v, 1, 255, &n))
        return -1;
    o->exit_code = (int)n;
    return 0;
}

static int set_confidence(tl_run_opts *o, const char *v)
{
    return parse_double(v, 0.5, 0.999999, &o->growth.confidence);
}

static int set_min_growth(tl_run_opts *o, const char *v)
{
    return parse_double(v, 0, 1e9, &o->growth.min_growth);
}

static int set_window(tl_run_opts *o, const char *v)
{
    return parse_double(v, 0.1, 1, &o->growth.window);
}

/* The options that take a value: what sets it, and what a bad one is told. */
static const struct option {
    const char *name;
    int (*set)(tl_run_opts *o, const char *val); /* 0, or -1: val is bad */
    const char *want;
} options[] = {
    {"--interval", set_interval,
     "bad duration: give 10ms to 60m with a unit ms, s or m, like 200ms"},
    {"--duration", set_duration,
     "bad duration: give a number with a unit ms, s or m, like 30s or 5m"},
    {"--fail-on", set_fail_on,
     "expected a comma-separated list of growth, exit, deadlock, or none"},
    {"--ignore", add_ignore, "expected a glob on function names, like 'worker_*'"},
    {"--ignore-file", add_ignore_file, "expected a file of globs, one a line"},
    {"--wait-descendants", set_wait_descendants,
     "bad duration: give a number with a unit ms, s or m, like 10s"},
    {"--dump-every", set_dump_every, "bad duration: give 50ms or more with a unit, like 500ms"},
    {"--json", set_json, "expected a file name for the verdict"},
    {"--html", set_html, "expected a file name for the HTML report"},
    {"--out", set_out, "expected a directory to keep dumps and series in"},
    {"--exit-code", set_exit_code, "expected a status from 1 to 255"},
    {"--lib", set_lib, NULL},
    {"--confidence", set_confidence, "expected a probability from 0.5 to 0.999999, like 0.99"},
    {"--min-growth", set_min_growth, "expected a number of threads, 0 or more, like 5"},
    {"--window", set_window, "expected a fraction of the run from 0.1 to 1, like 0.5"},
};

static const struct option *find_option(const char *name)
{
    for (size_t k = 0; k < sizeof options / sizeof *options; k++)
        if (strcmp(name, options[k].name) == 0)
            return &options[k];
    return NULL;
}

int tl_run_parse(int argc, char **argv, tl_run_opts *o)
{
    set_defaults(o, argc);
    int i = 0;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == 0)
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return 1;
        if (strcmp(a, "--strict") == 0) {
            o->strict = 1;
            continue;
        }
        char name[32];
        const char *val = split_option(a, name, sizeof name);
        const struct option *opt = find_option(name);
        if (!opt) {
            tl_msg("unknown option %s for run: see threadleak --help (put the program after --)",
                   a);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                tl_msg("%s needs a value (see threadleak --help)", name);
                return -1;
            }
            val = argv[++i];
        }
        if (opt->set(o, val))
            return bad(name, *val ? val : "\"\"", opt->want);
    }
    if (i >= argc) {
        tl_msg("no program to run: put it after --, as in threadleak run -- ./server --port 8080");
        return -1;
    }
    o->argc = argc - i;
    o->argv = argv + i;
    return tl_forgive_load(o);
}
