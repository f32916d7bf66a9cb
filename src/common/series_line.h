/* The series line, both sides of it: the library writes one per sampler
 * period to THREADLEAK_SERIES, `threadleak run` reads them back.
 *
 *   {"pid":4242,"t_ms":1200,"mono_ms":98123456,"live":57,"running":5,"blocked":52,
 *    "exited_unjoined":0,"created":1204,"joined":1085,"detached":62}
 *
 * t_ms counts from the library's start in that process (a fork restarts
 * it); mono_ms is CLOCK_MONOTONIC, so lines of different processes share one
 * time line. pid, t_ms and live are required; unknown keys are skipped, so
 * newer writers can add fields. */
#ifndef THREADLEAK_SERIES_LINE_H
#define THREADLEAK_SERIES_LINE_H

#include <stddef.h>

enum { TL_SERIES_LINE_MAX = 4096 };

struct tl_series_line {
    long pid, t_ms, mono_ms; /* mono_ms: -1 when the line has none (older writers) */
    long live, running, blocked, exited_unjoined, created, joined, detached;
};

/* The line with its '\n' into buf; its length, or -1 when it does not fit. */
int tl_series_line_format(char *buf, size_t size, const struct tl_series_line *x);
/* One line without its '\n'; 0, or -1 when it is not a valid series line
 * (not one flat JSON object, a known key twice, a known value that is not a
 * whole number from 0 to 2^53, pid outside 1..4194304, a required key missing). */
int tl_series_line_parse(const char *line, size_t len, struct tl_series_line *x);

#endif
