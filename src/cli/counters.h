/* `threadleak serve`'s pieces: the counters files read back
 * (counters_read.c) and written as Prometheus metrics (metrics.c). */
#ifndef THREADLEAK_CLI_COUNTERS_H
#define THREADLEAK_CLI_COUNTERS_H

#include "cli/cli.h"
#include "common/counters_file.h"

/* The live preloaded processes of this user with a fresh counters file, in
 * a malloc'd array. 0 (none is not an error), or -1 with errno set when the
 * directory cannot be trusted or read. */
int tl_counters_list(struct tl_cfile **out, int *n);

/* The Prometheus text exposition format 0.0.4 for those processes. */
int tl_write_metrics(FILE *out, const struct tl_cfile *c, int n, double scrape_s);

#endif
