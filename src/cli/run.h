/* `threadleak run`: options, what running the program produced, and the
 * verdict built from it. Shared by run_opts.c, run.c, judge.c and
 * verdict_out.c. */
#ifndef THREADLEAK_RUN_H
#define THREADLEAK_RUN_H

#include <limits.h>

#include "cli/cli.h"

typedef struct tl_run_opts {
    long interval_ms; /* --interval, default 200 */
    long duration_ms; /* --duration, 0: none */
    int fail_growth;  /* --fail-on */
    int fail_exit;
    int fail_deadlock;
    char **ignore; /* --ignore, repeatable */
    int n_ignore;
    const char *json_path;         /* --json */
    const char *html_path;         /* --html */
    const char *out_dir;           /* --out */
    int exit_code;                 /* --exit-code, default 3 */
    const char *lib;               /* --lib */
    threadleak_growth_opts growth; /* --confidence, --min-growth, --window */
    int argc;                      /* the program and its arguments */
    char **argv;
} tl_run_opts;

/* Returns -1 after printing a usage error; 1 for --help. */
int tl_run_parse(int argc, char **argv, tl_run_opts *o);
void tl_run_usage(FILE *out);

typedef struct tl_taken {
    char stem[PATH_MAX + 64];
    long at_ms;  /* when it was asked for, since the start */
    int prestop; /* the dump taken before --duration stopped the program */
    int done;    /* its .json appeared */
} tl_taken;

typedef struct tl_run_result {
    int pid;           /* the direct child */
    int exited;        /* ended by exit (not a signal) */
    int exit_status;   /* its status when exited */
    int signal;        /* the signal that killed it, when not exited */
    int stopped;       /* --duration stopped it (or a deadlock, see deadlock_stop) */
    int deadlock_stop; /* stopped because a deadlock was confirmed */
    long elapsed_ms;
    long started_unix_ms; /* dumps older than this are not this run's */
    tl_series series;
    tl_taken *taken;
    int n_taken;
    char dir[PATH_MAX];
    char lib[PATH_MAX];
    char program[PATH_MAX];
} tl_run_result;

/* Spawn, sample, stop. 0, or the exit status for "cannot start" (2). */
int tl_run_program(const tl_run_opts *o, tl_run_result *r);

typedef struct tl_other {
    int pid;
    int growth; /* its series grew */
    threadleak_growth g;
    long exit_leaked;   /* threads left at its normal exit */
    tl_group *suspects; /* the groups left then, growth = count */
    int n_suspects;
} tl_other;

/* deadlock.c: a cycle seen in two dumps at least one interval apart. */
typedef struct tl_deadlock_found {
    int found;
    tl_deadlock cycle; /* points into a dump deadlock.c keeps loaded */
    long first_ms, last_ms;
} tl_deadlock_found;

int tl_run_deadlock_check(const tl_run_opts *o, const tl_run_result *r, tl_deadlock_found *out);
void tl_run_deadlock_print(FILE *out, const tl_deadlock_found *f, int pid, int failing);
void tl_run_deadlock_json(FILE *f, const tl_deadlock_found *found);
void tl_run_deadlock_free(void);

typedef struct tl_verdict {
    int leak;
    int growth;   /* growth counted as a leak reason */
    int exit;     /* exit counted as a leak reason */
    int deadlock; /* deadlock counted as a leak reason */
    tl_deadlock_found dl;
    int growth_detected;   /* what the statistic said, before --fail-on */
    int growth_in_ignored; /* growth there was, but in ignored groups */
    int exit_detected;
    threadleak_growth g; /* the direct child's series */
    tl_proc_series *primary;
    int have_exit; /* an exit dump of the direct child */
    tl_counts at_exit;
    long exit_leaked; /* non-main, non-ignored threads left at exit */
    tl_other *others; /* other processes that leaked */
    int n_others;
    threadleak_dump_file *early, *final;
    const char *final_kind; /* "exit", "pre-stop" or "latest" */
    long early_at_ms;
    tl_group *suspects; /* copies pointing into `final`, growth set */
    int n_suspects;
    int program_exit_code; /* what run exits with when clean */
} tl_verdict;

void tl_judge(const tl_run_opts *o, tl_run_result *r, tl_verdict *v);
void tl_verdict_print(FILE *out, const tl_run_opts *o, const tl_run_result *r, const tl_verdict *v);
int tl_verdict_write_json(const char *path, const tl_run_opts *o, const tl_run_result *r,
                          const tl_verdict *v);
void tl_verdict_free(tl_verdict *v);

#endif
