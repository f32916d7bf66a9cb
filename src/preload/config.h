/* The THREADLEAK_* environment, read once at start. */
#ifndef THREADLEAK_CONFIG_H
#define THREADLEAK_CONFIG_H

#include <limits.h>

#include "preload/real.h"

enum { TL_FORMAT_TEXT = 1, TL_FORMAT_JSON = 2 };

struct tl_config {
    int signal; /* 0: none */
    char output[PATH_MAX];
    int formats;
    int detail_threads;
    int interval_ms;
    char series[PATH_MAX]; /* "": none */
    int exit_dump;
    int counters; /* THREADLEAK_COUNTERS: keep the counters file for threadleak serve */
    int frames;
    int log_level;
    int secure; /* AT_SECURE: no paths from the environment */
};

TL_HIDDEN extern struct tl_config tl_config;

/* Fills c from getenv-like get; every bad value is reported through warn
 * as one line and replaced by its default. Pure: fuzzed on its own. */
TL_HIDDEN void tl_config_parse(struct tl_config *c, const char *(*get)(const char *name),
                               void (*warn)(const char *line), int secure);
TL_HIDDEN int tl_parse_formats(const char *s); /* TL_FORMAT_* bits, 0 if bad */
TL_HIDDEN int tl_parse_signal(const char *s);  /* number, 0 for none, -1 if bad */
TL_HIDDEN int tl_check_stem(const char *s);    /* 0, or -1 when a % escape is bad */

#endif
