/* Parsing THREADLEAK_*: a bad value is said once and replaced by its
 * default; the host program is never stopped by its configuration. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/env_syntax.h"
#include "preload/config.h"
#include "preload/log.h"

TL_HIDDEN struct tl_config tl_config;

/* A value as it can be shown on one line: printable, bounded. */
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

static void bad(void (*warn)(const char *), const char *var, const char *value, const char *why,
                const char *dflt)
{
    char v[96], line[320];
    shown(value, v, sizeof v);
    snprintf(line, sizeof line, "%s=%s: %s; using %s", var, v, why, dflt);
    warn(line);
}

static void parse_path(struct tl_config *c, char *dst, const char *var, const char *v,
                       void (*warn)(const char *), const char *dflt, int is_stem)
{
    snprintf(dst, PATH_MAX, "%s", dflt);
    if (!v)
        return;
    if (c->secure) {
        bad(warn, var, v, "ignored in a setuid or AT_SECURE process", dflt[0] ? dflt : "none");
    } else if (!*v) {
        bad(warn, var, v, "empty", dflt[0] ? dflt : "none");
    } else if (strlen(v) >= PATH_MAX - 32) {
        bad(warn, var, v, "path too long", dflt[0] ? dflt : "none");
    } else if (is_stem && tl_check_stem(v) != 0) {
        bad(warn, var, v, "only %p, %n and %% may follow %", dflt);
    } else {
        snprintf(dst, PATH_MAX, "%s", v);
    }
}

static long parse_range(const char *var, const char *v, long lo, long hi, long dflt,
                        void (*warn)(const char *))
{
    if (!v)
        return dflt;
    long n = tl_env_number(v, lo, hi);
    if (n >= 0)
        return n;
    char why[64], d[32];
    snprintf(why, sizeof why, "not a whole number from %ld to %ld", lo, hi);
    snprintf(d, sizeof d, "%ld", dflt);
    bad(warn, var, v, why, d);
    return dflt;
}

static void say_nothing(const char *line)
{
    (void)line;
}

TL_HIDDEN void tl_config_parse(struct tl_config *c, const char *(*get)(const char *),
                               void (*warn)(const char *), int secure)
{
    const char *v;
    memset(c, 0, sizeof *c);
    c->secure = secure;

    c->log_level = TL_LOG_WARN;
    if ((v = get("THREADLEAK_LOG"))) {
        if (strcmp(v, "quiet") == 0)
            c->log_level = TL_LOG_QUIET;
        else if (strcmp(v, "debug") == 0)
            c->log_level = TL_LOG_DEBUG;
        else if (strcmp(v, "warn") != 0)
            bad(warn, "THREADLEAK_LOG", v, "not quiet, warn or debug", "warn");
    }
    if (c->log_level == TL_LOG_QUIET)
        warn = say_nothing; /* quiet covers what the other variables would say */

    c->signal = SIGUSR1;
    if ((v = get("THREADLEAK_SIGNAL"))) {
        int s = tl_parse_signal(v);
        if (s < 0)
            bad(warn, "THREADLEAK_SIGNAL", v, "not a catchable signal name or number, or none",
                "USR1");
        else
            c->signal = s;
    }

    parse_path(c, c->output, "THREADLEAK_OUTPUT", get("THREADLEAK_OUTPUT"), warn,
               "threadleak.%p.%n", 1);

    c->formats = TL_FORMAT_TEXT;
    if ((v = get("THREADLEAK_FORMAT"))) {
        int f = tl_parse_formats(v);
        if (!f)
            bad(warn, "THREADLEAK_FORMAT", v, "not text, json or text,json", "text");
        else
            c->formats = f;
    }

    if ((v = get("THREADLEAK_DETAIL"))) {
        if (strcmp(v, "threads") == 0)
            c->detail_threads = 1;
        else if (strcmp(v, "groups") != 0)
            bad(warn, "THREADLEAK_DETAIL", v, "not groups or threads", "groups");
    }

    c->interval_ms =
        (int)parse_range("THREADLEAK_INTERVAL_MS", get("THREADLEAK_INTERVAL_MS"),
                         TL_INTERVAL_MS_MIN, TL_INTERVAL_MS_MAX, TL_INTERVAL_MS_DEFAULT, warn);
    parse_path(c, c->series, "THREADLEAK_SERIES", get("THREADLEAK_SERIES"), warn, "", 0);
    c->exit_dump =
        (int)parse_range("THREADLEAK_EXIT_DUMP", get("THREADLEAK_EXIT_DUMP"), 0, 1, 0, warn);
    c->counters =
        (int)parse_range("THREADLEAK_COUNTERS", get("THREADLEAK_COUNTERS"), 0, 1, 1, warn);
    c->frames = (int)parse_range("THREADLEAK_FRAMES", get("THREADLEAK_FRAMES"), 1, 128, 32, warn);
}
