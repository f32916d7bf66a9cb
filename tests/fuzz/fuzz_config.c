/* libFuzzer target: tl_config_parse (src/preload/config.c) over arbitrary
 * THREADLEAK_* values. The input is split at NUL bytes into one value per
 * variable (a piece that is the single byte 0x01 means "unset"); the first
 * byte also picks the AT_SECURE flag. Checks: every warning is one line in
 * the documented form, at most one per variable, and the result is always
 * within range. Also feeds the whole input to the small parsers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preload/config.h"
#include "preload/log.h"

static const char *vars[] = {
    "THREADLEAK_LOG",      "THREADLEAK_SIGNAL",        "THREADLEAK_OUTPUT",
    "THREADLEAK_FORMAT",   "THREADLEAK_DETAIL",        "THREADLEAK_INTERVAL_MS",
    "THREADLEAK_SERIES",   "THREADLEAK_EXIT_DUMP",     "THREADLEAK_FRAMES",
    "THREADLEAK_COUNTERS", "THREADLEAK_RUNNING_STACKS"};
enum { NVARS = sizeof vars / sizeof vars[0] };
static const char *values[NVARS];
static int warned[NVARS];

static const char *get(const char *name)
{
    for (int i = 0; i < NVARS; i++)
        if (!strcmp(name, vars[i]))
            return values[i];
    abort(); /* a variable nobody documented */
}

static void warn(const char *line)
{
    if (strchr(line, '\n') || strlen(line) > 400 || !strstr(line, "; using "))
        abort();
    for (int i = 0; i < NVARS; i++) {
        size_t l = strlen(vars[i]);
        if (!strncmp(line, vars[i], l) && line[l] == '=') {
            if (warned[i]++)
                abort(); /* two lines for one variable */
            return;
        }
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    memset(values, 0, sizeof values);
    memset(warned, 0, sizeof warned);
    char *p = buf, *end = buf + size;
    for (int i = 0; i < NVARS && p <= end; i++) {
        values[i] = (p[0] == 1 && p[1] == 0) ? NULL : p;
        p += strlen(p) + 1;
    }
    struct tl_config c;
    tl_config_parse(&c, get, warn, size > 0 && (data[0] & 0x80));
    if (c.frames < 1 || c.frames > 128 || c.interval_ms < 10 || c.interval_ms > 3600000 ||
        c.formats < 1 || c.formats > 3 || c.exit_dump < 0 || c.exit_dump > 1 || c.counters < 0 ||
        c.counters > 1 || c.running_stacks < 0 || c.running_stacks > 1 || c.signal < 0 ||
        c.signal > 64 || !c.output[0] || tl_check_stem(c.output) != 0 ||
        c.log_level < TL_LOG_QUIET || c.log_level > TL_LOG_DEBUG)
        abort();
    if (c.secure && (strcmp(c.output, "threadleak.%p.%n") || c.series[0]))
        abort();
    int s = tl_parse_signal(buf);
    if (s > 64 || s == 9 || s == 19 || s == 11)
        abort();
    (void)tl_parse_formats(buf);
    (void)tl_check_stem(buf);
    free(buf);
    return 0;
}
