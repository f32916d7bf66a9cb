/* The options of `threadleak run`. Each bad value gets one line naming the
 * option, the value, and what it accepts. */
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

static const char *const with_value[] = {
    "--interval", "--duration",  "--fail-on",     "--ignore",           "--json",
    "--out",      "--exit-code", "--lib",         "--confidence",       "--min-growth",
    "--window",   "--html",      "--ignore-file", "--wait-descendants", "--dump-every",
    NULL,
};

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

static int takes_value(const char *name)
{
    for (int k = 0; with_value[k]; k++)
        if (strcmp(name, with_value[k]) == 0)
            return 1;
    return 0;
}

static int set_option(tl_run_opts *o, const char *name, const char *val)
{
    if (strcmp(name, "--interval") == 0) {
        /* the library's THREADLEAK_INTERVAL_MS range, which run passes it on as */
        if (tl_parse_duration(val, &o->interval_ms) || o->interval_ms < TL_INTERVAL_MS_MIN ||
            o->interval_ms > TL_INTERVAL_MS_MAX)
            return bad(name, val,
                       "bad duration: give 10ms to 60m with a unit ms, s or m, like 200ms");
    } else if (strcmp(name, "--duration") == 0) {
        if (tl_parse_duration(val, &o->duration_ms) || o->duration_ms < 1)
            return bad(name, val,
                       "bad duration: give a number with a unit ms, s or m, like 30s or 5m");
    } else if (strcmp(name, "--fail-on") == 0) {
        if (parse_fail_on(val, o))
            return bad(name, val,
                       "expected a comma-separated list of growth, exit, deadlock, or none");
    } else if (strcmp(name, "--ignore") == 0) {
        if (!*val)
            return bad(name, "\"\"", "expected a glob on function names, like 'worker_*'");
        o->ignore[o->n_ignore++] = (char *)val;
    } else if (strcmp(name, "--ignore-file") == 0) {
        if (!*val)
            return bad(name, "\"\"", "expected a file of globs, one a line");
        o->ignore_files[o->n_ignore_files++] = (char *)val;
    } else if (strcmp(name, "--wait-descendants") == 0) {
        if (tl_parse_duration(val, &o->wait_descendants_ms))
            return bad(name, val, "bad duration: give a number with a unit ms, s or m, like 10s");
    } else if (strcmp(name, "--dump-every") == 0) {
        if (tl_parse_duration(val, &o->dump_every_ms) || o->dump_every_ms < 50)
            return bad(name, val, "bad duration: give 50ms or more with a unit, like 500ms");
    } else if (strcmp(name, "--json") == 0) {
        if (!*val)
            return bad(name, "\"\"", "expected a file name for the verdict");
        o->json_path = val;
    } else if (strcmp(name, "--html") == 0) {
        if (!*val)
            return bad(name, "\"\"", "expected a file name for the HTML report");
        o->html_path = val;
    } else if (strcmp(name, "--out") == 0) {
        if (!*val)
            return bad(name, "\"\"", "expected a directory to keep dumps and series in");
        o->out_dir = val;
    } else if (strcmp(name, "--exit-code") == 0) {
        long n;
        if (tl_parse_long(val, 1, 255, &n))
            return bad(name, val, "expected a status from 1 to 255");
        o->exit_code = (int)n;
    } else if (strcmp(name, "--lib") == 0) {
        o->lib = val;
    } else if (strcmp(name, "--confidence") == 0) {
        if (parse_double(val, 0.5, 0.999999, &o->growth.confidence))
            return bad(name, val, "expected a probability from 0.5 to 0.999999, like 0.99");
    } else if (strcmp(name, "--min-growth") == 0) {
        if (parse_double(val, 0, 1e9, &o->growth.min_growth))
            return bad(name, val, "expected a number of threads, 0 or more, like 5");
    } else if (strcmp(name, "--window") == 0) {
        if (parse_double(val, 0.1, 1, &o->growth.window))
            return bad(name, val, "expected a fraction of the run from 0.1 to 1, like 0.5");
    }
    return 0;
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
        if (!takes_value(name)) {
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
        if (set_option(o, name, val))
            return -1;
    }
    if (i >= argc) {
        tl_msg("no program to run: put it after --, as in threadleak run -- ./server --port 8080");
        return -1;
    }
    o->argc = argc - i;
    o->argv = argv + i;
    return tl_forgive_load(o);
}
