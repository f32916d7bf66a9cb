/* The THREADLEAK_* environment, read once at start. */
#ifndef THREADLEAK_CONFIG_H
#define THREADLEAK_CONFIG_H

#include <limits.h>

#include "common/env_syntax.h"
#include "preload/visibility.h"

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

#endif
