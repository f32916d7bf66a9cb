/* `threadleak run`: options, what running the program produced, and the
 * verdict built from it. Shared by run_opts.c, run.c, judge.c and
 * verdict_out.c. */
#ifndef THREADLEAK_RUN_H
#define THREADLEAK_RUN_H

#include <limits.h>

#include "cli/cli.h"

typedef struct tl_ignore_rule {
    char *glob;
    char *why;
} tl_ignore_rule;

/* What is not counted as a leak (forgive.c). */
typedef struct tl_forgive {
    tl_ignore_rule *rules; /* --ignore, --ignore-file, THREADLEAK_IGNORE, then the defaults */
    char **globs;          /* the same globs, NULL-terminated */
    int n_rules;
    int n_user;  /* rules[0..n_user) are the user's */
    int service; /* the service-thread rule is on */
} tl_forgive;

typedef struct tl_run_opts {
    long interval_ms; /* --interval, default 200 */
    long duration_ms; /* --duration, 0: none */
    int fail_growth;  /* --fail-on */
    int fail_exit;
    int fail_deadlock;
    char **ignore; /* --ignore, repeatable */
    int n_ignore;
    char **ignore_files; /* --ignore-file, repeatable */
    int n_ignore_files;
    int strict;               /* --strict: forgive only what the user listed */
    long wait_descendants_ms; /* --wait-descendants, default 10s */
    long dump_every_ms;       /* --dump-every, 0: geometric */
    tl_forgive forgive;
    const char *json_path; /* --json */
    const char *html_path; /* --html */
    const char *out_dir;   /* --out */
    int exit_code;         /* --exit-code, default 3 */
    const char *lib;       /* --lib */
    tl_growth_opts growth; /* --confidence, --min-growth, --window */
    int argc;              /* the program and its arguments */
    char **argv;
} tl_run_opts;

/* Returns -1 after printing a usage error; 1 for --help. */
int tl_run_parse(int argc, char **argv, tl_run_opts *o);
void tl_run_usage(FILE *out);

typedef struct tl_taken {
    int pid;
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
    struct tl_proc_seen *seen; /* every descendant seen in /proc */
    int n_seen;
    int lingered;       /* descendants outlived the program */
    int n_left_stopped; /* descendants still running at the bound, stopped */
    int dir_kept;       /* a descendant may still write there: not removed */
    char dir[PATH_MAX];
    char top_dir[PATH_MAX]; /* what to remove: dir, or its private parent */
    char lib[PATH_MAX];
    char program[PATH_MAX];
} tl_run_result;

/* A descendant of the run seen in /proc while it ran. */
typedef struct tl_proc_seen {
    int pid;
    unsigned uid;
    char comm[32];
    int has_lib;     /* libthreadleak.so mapped */
    int max_threads; /* most threads seen */
    long first_ms, last_ms;
    int outlived; /* still running when the program exited */
    int stopped;  /* stopped by the run after --wait-descendants */
    int reaped;   /* the run reaped it (it became the run's child) */
    int status;   /* its wait status then */
} tl_proc_seen;

/* Look over /proc for the run's descendants and update r->seen. */
void tl_tree_scan(tl_run_result *r, long now_ms);
tl_proc_seen *tl_tree_find(tl_run_result *r, int pid);
/* pid's entry, added (first and last seen now) when it has none. */
tl_proc_seen *tl_tree_note(tl_run_result *r, int pid, long now_ms);

/* Spawn, sample, stop. 0, or the exit status for "cannot start" (2). */
int tl_run_program(const tl_run_opts *o, tl_run_result *r);
/* Remove the run's temporary directory (and its private parent). */
void tl_run_remove_dir(tl_run_result *r);

typedef struct tl_other {
    int pid;
    int growth; /* its series grew */
    tl_growth g;
    long last_ms;       /* t_ms of its last sample */
    int outlived;       /* still running when the program exited */
    long exit_leaked;   /* threads left at its normal exit */
    tl_group *suspects; /* the groups left then, growth = count */
    int n_suspects;
} tl_other;

/* A group not counted, and why. */
typedef struct tl_forgiven {
    int pid;
    tl_group g;
    const char *rule; /* "service", "runtime" (default list), "ignore" (the user's) */
    char why[512];
} tl_forgiven;

/* A process of the tree that could not be judged. */
typedef struct tl_unjudged {
    int pid;
    char why[512];
} tl_unjudged;

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
    int unjudged; /* no leak found, but something was not seen */
    int single;   /* the program never had a second thread: nothing to judge */
    tl_forgiven *forgiven;
    int n_forgiven;
    tl_unjudged *unseen;
    int n_unseen;
    int trimmed; /* growth judged on the life before a shutdown drop */
    long trimmed_peak, trimmed_end, trimmed_at_ms;
    int growth;   /* growth counted as a leak reason */
    int exit;     /* exit counted as a leak reason */
    int deadlock; /* deadlock counted as a leak reason */
    tl_deadlock_found dl;
    int growth_detected;   /* what the statistic said, before --fail-on */
    int growth_in_ignored; /* growth there was, but in ignored groups */
    int exit_detected;
    tl_growth g; /* the direct child's series */
    tl_proc_series *primary;
    int have_exit; /* an exit dump of the direct child */
    tl_counts at_exit;
    long exit_leaked; /* non-main, non-ignored threads left at exit */
    tl_other *others; /* other processes that leaked */
    int n_others;
    tl_dump_file *early, *final;
    const char *final_kind; /* "exit", "pre-stop" or "latest" */
    long early_at_ms;
    tl_group *suspects; /* copies pointing into `final`, growth set */
    int n_suspects;
    int program_exit_code; /* what run exits with when clean */
} tl_verdict;

void tl_judge(const tl_run_opts *o, tl_run_result *r, tl_verdict *v);
void tl_verdict_print(FILE *out, const tl_run_opts *o, const tl_run_result *r, const tl_verdict *v);
int tl_forgive_load(tl_run_opts *o); /* -1 after a message */
void tl_forgive_free(tl_forgive *f);
void tl_forgive_default_path(char *out, size_t n);
/* NULL, or why g is not a leak (in buf); *rule says which rule. */
const char *tl_forgive_why(const tl_forgive *f, const tl_group *g, char *buf, size_t n,
                           const char **rule);
/* 1 when an ignore glob (user's or default) matches g. */
int tl_forgive_ignores(const tl_forgive *f, const tl_group *g);

/* Growth over the life of a process: the series as sampled, or, when its
 * end is a shutdown that joined threads which had been growing, the life
 * before that drop. trimmed: 1 when the second judgement decided. */
void tl_judge_life(const long *t, const long *y, int n, const tl_growth_opts *o, tl_growth *g,
                   int *trimmed, int *peak_idx);

int tl_verdict_write_json(const char *path, const tl_run_opts *o, const tl_run_result *r,
                          const tl_verdict *v);
void tl_verdict_free(tl_verdict *v);

#endif
