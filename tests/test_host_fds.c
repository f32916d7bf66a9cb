/* threadleak inside a daemon that closes every descriptor it did not open
 * itself and reuses the numbers: nothing of threadleak's may land in the
 * daemon's files, and dumps and the series keep working. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/tlt.h"

TestSuite(host_fds, .fini = tlt_cleanup, .timeout = 30);

static long lines_in(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

Test(host_fds, close_all_then_reuse_the_numbers)
{
    char own[512], series[512], env_series[600];
    snprintf(own, sizeof own, "/tmp/tl-daemon-own.%d", (int)getpid());
    snprintf(series, sizeof series, "/tmp/tl-daemon-series.%d", (int)getpid());
    unlink(own);
    unlink(series);
    snprintf(env_series, sizeof env_series, "THREADLEAK_SERIES=%s", series);
    const char *env[] = {env_series, "THREADLEAK_INTERVAL_MS=50", NULL};
    const char *argv[] = {tlt_prog_path("daemon_close_all"), own, NULL};
    tlt_proc *p = tlt_start_argv(argv, env);
    long before = lines_in(series);
    tlt_dump(p); /* the signal still wakes the sampler: it holds no descriptor */
    tlt_expect_by_wait(p, "sleep", 2);
    usleep(600 * 1000);
    long after = lines_in(series);
    struct stat st;
    tlt_expect(p, stat(own, &st) == 0 && st.st_size == 0,
               "the daemon's own file got %lld bytes from threadleak",
               (long long)(stat(own, &st) == 0 ? st.st_size : -1));
    tlt_expect(p, before > 0 && after >= before + 5,
               "the series should keep growing after the daemon closed it: %ld then %ld lines",
               before, after);
    tlt_stop(p);
    unlink(own);
    unlink(series);
}
