/* `make bench` keeps working: scripts/bench.sh --smoke runs every benchmark
 * workload once at tiny sizes (bare, preloaded, under the valgrind tools and
 * ThreadSanitizer where installed) and must exit 0 with one table row per
 * workload. Timing is not judged here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/tlt.h"

TestSuite(bench, .timeout = 180);

static const char *const rows[] = {
    "(`mutex_uncontended`)",
    "(`mutex_contended`)",
    "(`cond_pingpong`)",
    "(`thread_churn`)",
    "(`thread_per_request`)",
    "(`pipe_rw`)",
    "(`futex_wake`)",
    "(`redis`)",
    "(`dump`)",
    "(`attach`)",
    "(`memory`)",
};

Test(bench, smoke_prints_every_row)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "BUILD='%s' bash '%s' --smoke 2>&1", tlt_build_dir(),
             tlt_source_path("scripts/bench.sh"));
    FILE *f = popen(cmd, "r");
    cr_assert(f, "cannot run %s", cmd);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    cr_assert(out);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap)
            cr_assert((out = realloc(out, cap *= 2)));
    }
    out[len] = 0;
    int status = pclose(f);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s exited with status %d:\n%s", cmd,
              status, out);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect(strstr(out, rows[i]) != NULL, "no row %s in the output of %s:\n%s", rows[i], cmd,
                  out);
    free(out);
}
