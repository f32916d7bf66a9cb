/* What a host program can see of threadleak: its threads and its file
 * descriptors. */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/tlt.h"

TestSuite(invisible, .fini = tlt_cleanup, .timeout = 30);

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

/* A daemon that closes every descriptor it did not open itself and reuses
 * the numbers: nothing of threadleak's may land in its files, and dumps and
 * the series keep working. */
Test(invisible, close_all_then_reuse_the_numbers)
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

/* The sampler thread starts with the program's first thread of its own: a
 * single-threaded program stays single-threaded. */
Test(invisible, single_threaded_stays_single_threaded)
{
    tlt_proc *p = tlt_start("host_thread_count", NULL);
    tlt_expect(p, strcmp(tlt_printed(p, "before"), "1") == 0,
               "a program that has started no thread has %s threads under the preload, not 1",
               tlt_printed(p, "before"));
    tlt_expect(p, strcmp(tlt_printed(p, "after"), "3") == 0,
               "after its first thread it should have 3 (main, its thread, the sampler): %s",
               tlt_printed(p, "after"));
    tlt_dump(p); /* the sampler answers once it exists */
    tlt_expect_count(p, "live", 2);
    tlt_stop(p);
}

/* Under 'threadleak run' (a series is asked for) too: no thread of ours
 * before the program's first; one series line says the process is there
 * with its one thread. */
Test(invisible, series_without_a_thread_of_ours)
{
    char series[128], env_series[160];
    snprintf(series, sizeof series, "/tmp/tl-series-start.%d", (int)getpid());
    unlink(series);
    snprintf(env_series, sizeof env_series, "THREADLEAK_SERIES=%s", series);
    const char *env[] = {env_series, NULL};
    tlt_proc *p = tlt_start("host_thread_count", env);
    tlt_expect(p, strcmp(tlt_printed(p, "before"), "1") == 0,
               "with THREADLEAK_SERIES the program is still single-threaded: 1 thread, not %s",
               tlt_printed(p, "before"));
    char line[512] = "";
    FILE *f = fopen(series, "r");
    if (f && !fgets(line, sizeof line, f))
        line[0] = 0;
    if (f)
        fclose(f);
    tlt_expect(p, strstr(line, "\"t_ms\":0,") && strstr(line, "\"live\":1,"),
               "the first series line should say 1 live thread at t_ms 0: %s", line);
    tlt_stop(p);
    unlink(series);
}

/* select() with a one-word fd set at the end of a mapping, interrupted by
 * the dump signal: the wrapper copies and restores only the words the call
 * may touch, so the program neither faults nor sees EINTR. */
Test(invisible, select_with_a_one_word_fd_set)
{
    tlt_proc *p = tlt_start("host_select_small", NULL);
    tlt_dump(p);
    tlt_expect_by_wait(p, "poll", 1);
    for (int i = 0; i < 300 && !strstr(p->out, "select "); i++) {
        struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
        if (poll(&pfd, 1, 10) > 0) {
            ssize_t n = read(p->out_fd, p->out + p->out_len, sizeof p->out - 1 - p->out_len);
            if (n > 0)
                p->out[p->out_len += (size_t)n] = 0;
        }
    }
    tlt_expect_alive(p);
    tlt_expect(p, strstr(p->out, "select 0\n") != NULL,
               "select should time out (0) after the dump, not fail or crash:\n%s", p->out);
    tlt_stop(p);
}

/* A thread cancelled inside threadleak_verify_none, then fork(): the API
 * holds its dump lock with cancellation disabled, so no fork hangs. */
Test(invisible, cancelled_inside_the_api_then_fork)
{
    tlt_proc *p = tlt_start("api_cancel_fork", NULL);
    for (int i = 0; i < 1000 && !strstr(p->out, "done\n") && p->pid; i++) {
        struct pollfd pfd = {.fd = p->out_fd, .events = POLLIN};
        if (poll(&pfd, 1, 20) > 0) {
            ssize_t n = read(p->out_fd, p->out + p->out_len, sizeof p->out - 1 - p->out_len);
            if (n > 0)
                p->out[p->out_len += (size_t)n] = 0;
            else
                break;
        }
    }
    tlt_expect(p, strstr(p->out, "done\n") != NULL,
               "every round should fork; the program stopped at:\n%s", p->out);
    tlt_stop(p);
}

/* A dump signal the program was started with ignored stays ignored: the
 * preload does not put a handler there, which the program's own children
 * would inherit as SIG_DFL. */
Test(invisible, an_inherited_sig_ign_is_kept)
{
    tlt_proc *p = tlt_start("host_sig_ign", NULL);
    tlt_expect(p, strcmp(tlt_printed(p, "usr1"), "ignored") == 0,
               "SIGUSR1 was ignored at exec; under the preload it is %s", tlt_printed(p, "usr1"));
    tlt_stop(p);
}
