/* Running a program to completion, preloaded or bare, with its stdout and
 * stderr captured whole: for the tests that judge a whole run (its exit
 * status, output, files) rather than dumps taken while it waits (tlt.h). */
#ifndef TLT_RUN_H
#define TLT_RUN_H

#include <sys/types.h>

typedef struct {
    int status;    /* wait status */
    int timed_out; /* killed after the timeout */
    long ms;       /* wall time */
    char *out;     /* stdout */
    char *err;     /* stderr */
} tlt_result;

long tlt_now_ms(void); /* CLOCK_MONOTONIC */
void tlt_sleep_ms(long ms);

/* In a child before exec: no signal blocked, every disposition the
 * default, so that a program starts as it would from a shell whatever the
 * test binary (Criterion) has set. */
void tlt_child_signals_default(void);

/* A wait status in words ("exited with status 1", "killed by signal 9
 * (Killed)"); static storage, the last four calls stay valid. */
const char *tlt_status(int status);

/* The environment of a program a test starts (NULL-terminated, malloc'd;
 * free the array only): ours without LD_PRELOAD and THREADLEAK_*, then each
 * of `defaults` that `extra` does not set, then `extra` ("VAR=value"). */
char **tlt_env(const char *const *defaults, const char *const *extra);

/* Runs argv (argv[0] looked up on PATH) to completion, stdin /dev/null, in
 * cwd (NULL: ours), with tlt_env(LD_PRELOAD=<the library> when preload,
 * extra); the whole process group is killed after timeout_ms. */
tlt_result tlt_run_in(const char *const *argv, const char *const *extra, int preload,
                      const char *cwd, long timeout_ms);
/* The same, preloaded, in our directory. */
tlt_result tlt_run(const char *const *argv, const char *const *extra, long timeout_ms);
void tlt_result_free(tlt_result *r);
/* Exited 0 in time. */
int tlt_exited_0(const tlt_result *r);

#endif
