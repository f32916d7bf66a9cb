/* The command's internal interfaces: one header for the pieces of
 * src/cli/, each of which lives in its own file. */
#ifndef THREADLEAK_CLI_H
#define THREADLEAK_CLI_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/model.h"

#define THREADLEAK_VERSION "0.1.0"

/* Exit statuses of the command itself. */
enum {
    TL_EXIT_OK = 0,
    TL_EXIT_FAIL = 1,
    TL_EXIT_USAGE = 2,
    TL_EXIT_LEAK = 3,
    TL_EXIT_UNJUDGED = 4
};

/* ---- util.c ---- */
/* One line on stderr, "threadleak: " + message + "\n". */
void tl_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A duration: digits with an optional fraction and a unit ms, s or m (a bare
 * number is rejected). 0 and the value in *ms on success, -1 otherwise. */
int tl_parse_duration(const char *s, long *ms);
/* A whole number in [lo, hi]; 0 on success. */
int tl_parse_long(const char *s, long lo, long hi, long *out);
/* Monotonic milliseconds. */
long tl_now_ms(void);
void tl_sleep_ms(long ms);
/* A small file (a /proc one) whole into buf, NUL-terminated: 0, or -1
 * when it cannot be opened or read. */
int tl_read_small(const char *path, char *buf, size_t n);
/* The state letter of /proc/PID/stat text (after the comm's ')'), '?'
 * when the text is not one. */
char tl_stat_state(const char *stat_text);
/* The value of field name in /proc/PID/status text (just past "name:"),
 * NULL when it has none. */
const char *tl_status_field(const char *status, const char *name);
/* Recursively remove a directory tree we created (files one level deep). */
void tl_remove_dir(const char *dir);
/* malloc that exits with a message on failure. */
__attribute__((noreturn)) void tl_die_oom(void); /* says so, exits TL_EXIT_FAIL */
void *tl_xcalloc(size_t n, size_t size);
void *tl_xrealloc(void *p, size_t n, size_t size);
char *tl_xstrdup(const char *s);

/* ---- dump_read.c ---- */
/* A dump read back from JSON. The strings of `d` live as long as the
 * handle. Returns NULL after writing a one-line reason to err. */
typedef struct tl_dump_file tl_dump_file;
tl_dump_file *tl_dump_load(const char *path, char *err, size_t errlen);
tl_dump_file *tl_dump_parse(const char *text, size_t len, char *err, size_t errlen);
tl_dump *tl_dump_of(tl_dump_file *f);
/* Running groups that differ only in where their threads run now (a dump
 * with running stacks groups by it) become one, as they are for judging a
 * run and for diffs: the same threads, whichever line they were on. */
void tl_dump_fold_running(tl_dump_file *f);
void tl_dump_file_free(tl_dump_file *f);

/* ---- match.c: groups matched between dumps ---- */
/* 1 when the two groups have the same state, wait kind, blocked stack and
 * creation stack (functions and offsets; raw addresses where unnamed). */
int tl_group_same(const tl_group *a, const tl_group *b);
/* Index of the group of d matching g, or -1. */
int tl_group_find(const tl_dump *d, const tl_group *g);
/* 1 when a frame of the blocked or the creation stack has a function name
 * matched by one of the globs (fnmatch(3), no flags). */
int tl_group_ignored(const tl_group *g, char *const *globs, int n_globs);
/* The index of the first glob (in list order) that matches, or -1. */
int tl_group_match(const tl_group *g, char *const *globs, int n_globs);

/* ---- verdict.c: the growth statistic ---- */
typedef struct tl_growth_opts {
    double confidence; /* Mann-Kendall one-sided confidence, default 0.99 */
    double min_growth; /* threads the Theil-Sen fit must rise over the window, default 5 */
    double window;     /* the judged later part of the run, fraction, default 0.5 */
    int min_samples;   /* fewer samples in the window: not judged, default 6 */
} tl_growth_opts;

typedef struct tl_growth {
    int judged;           /* 0: too few samples */
    int detected;         /* all three conditions hold */
    int n;                /* samples */
    int n_window;         /* samples in the judged window */
    long first, last;     /* live + exited_unjoined at the first and last sample */
    long window_start_ms; /* t_ms of the first sample of the window */
    double mk_s;          /* Mann-Kendall S */
    double mk_z;          /* its normal score (tie-corrected, continuity-corrected) */
    double p_value;       /* one-sided: P(S this large | no trend) */
    double per_s;         /* Theil-Sen slope, threads per second, over the window */
    double window_growth; /* per_s times the window's span */
    double tail_rise;     /* median of the window's last quarter minus its third quarter */
    const char *why;      /* one phrase: the condition that decided */
} tl_growth;

void tl_growth_defaults(tl_growth_opts *o);
/* Judge y (live + exited_unjoined) sampled at t_ms (increasing). */
void tl_judge_growth(const long *t_ms, const long *y, int n, const tl_growth_opts *o, tl_growth *r);
/* Building blocks, exposed for tests. */
double tl_mann_kendall_s(const double *y, int n);
double tl_mann_kendall_var(const double *y, int n);
double tl_theil_sen(const double *t, const double *y, int n);
/* The median of v[0..n), 0 when empty; sorts v. */
double tl_median(double *v, int n);

/* ---- series.c: the sampler's per-process series ---- */
typedef struct tl_sample {
    long t_ms, live, running, blocked, exited_unjoined, created, joined, detached;
    long mono_ms; /* CLOCK_MONOTONIC of the sample, -1 unknown */
} tl_sample;

typedef struct tl_proc_series {
    int pid;
    int incarnation; /* 0, 1, ... when t_ms went back (an exec in the same pid) */
    int n, cap;
    tl_sample *s;
} tl_proc_series;

typedef struct tl_series {
    int n, cap;
    tl_proc_series *procs;
    long offset;    /* bytes consumed so far */
    long bad_lines; /* lines that were not a valid series object */
} tl_series;

/* Read complete lines appended since the last call (a torn last line is
 * left for the next call). 0, or -1 when the file cannot be read (a file
 * that does not exist yet is not an error). */
int tl_series_poll(tl_series *s, const char *path);
/* Parse one line into a sample; 0 on success. */
int tl_series_parse_line(const char *line, size_t len, int *pid, tl_sample *out);
void tl_series_add(tl_series *s, int pid, const tl_sample *x);
/* The last incarnation of pid, or NULL. */
tl_proc_series *tl_series_find(tl_series *s, int pid);
/* A preloaded process with one thread has no sampler (it starts with the
 * program's first thread) and writes no lines: its count is 1 all along.
 * Adds that sample, once per interval, to each process whose last line
 * says 1 live thread and which still has one thread. */
void tl_series_fill_quiet(tl_series *s, long interval_ms);
void tl_series_free(tl_series *s);

/* ---- request.c: ask a live process for a dump ---- */
/* Write the request and wake the process's sampler (no signal is sent).
 * 0; 1 when the process has no sampler to ask (a single-threaded program,
 * or one not under the library), why in err; -1 with a message in err. */
int tl_request_dump(int pid, const char *stem, const char *format, int threads, int running,
                    char *err, size_t errlen);
/* 1 when the request for pid is still waiting to be served. */
int tl_request_pending(int pid);
void tl_request_cancel(int pid);
/* A new temporary directory `dir` the process can write its dump into,
 * whatever uid it writes as, and a stem there with a random name:
 * `local_stem` for us, `remote_stem` for the process (they differ when it
 * has its own /tmp). */
int tl_request_tmpdir(int pid, char *dir, size_t dirlen, char *local_stem, size_t local_len,
                      char *remote_stem, size_t remote_len, char *err, size_t errlen);
/* The sampler period the process announced (ms), default 1000. */
long tl_proc_interval_ms(int pid);
/* 1 when libthreadleak is mapped into pid, 0 when not, -1 unknown. */
int tl_proc_has_lib(int pid);

/* ---- request_fetch.c: one dump through the request channel ---- */
typedef struct tl_fetch {
    char dir[PATH_MAX];      /* private to this dump; removed by tl_fetch_done */
    char path[PATH_MAX + 8]; /* the dump, once written */
    long wait_ms;            /* how long it was waited for */
    char err[512];           /* why, after NO_DIR, NOT_ASKED and NO_SAMPLER */
} tl_fetch;
enum {
    TL_FETCH_OK,
    TL_FETCH_NO_DIR,      /* no temporary directory for it */
    TL_FETCH_NOT_ASKED,   /* the request could not be placed */
    TL_FETCH_NO_SAMPLER,  /* nobody to ask (tl_request_dump's 1) */
    TL_FETCH_EXITED,      /* the process exited before it wrote the dump */
    TL_FETCH_NOT_TAKEN,   /* time out: its sampler has not taken the request */
    TL_FETCH_NOT_WRITTEN, /* time out: its sampler took it and wrote no dump */
};
/* Asks pid for a dump in format ("text" or "json"; with each thread when
 * threads) and waits for it: 3 s and two sampler periods, at most
 * max_wait_ms (0: no cap). TL_FETCH_OK with the dump at f->path, then
 * tl_fetch_done; any other result has withdrawn the request and removed
 * the directory itself. */
int tl_fetch_dump(int pid, const char *format, int threads, int running, long max_wait_ms,
                  tl_fetch *f);
void tl_fetch_done(tl_fetch *f);

/* ---- program.c: finding the program and the library ---- */
/* Resolve PROGRAM as execvp would; checks it is a regular executable file
 * and not a static binary. Writes the path to out; 0, or -1 after printing
 * the error. */
int tl_resolve_program(const char *prog, char *out, size_t outlen);
/* 1 static (no PT_INTERP), 0 dynamic or not ELF, -1 cannot read. */
int tl_elf_is_static(const char *path);
/* The library: opt, else $THREADLEAK_LIB, else next to the command or in
 * ../lib. 0 with an absolute path in out, or -1 after printing the error. */
int tl_find_lib(const char *opt, char *out, size_t outlen);

/* ---- commands ---- */
int tl_cmd_run(int argc, char **argv);
int tl_cmd_dump(int argc, char **argv);
int tl_cmd_report(int argc, char **argv);
int tl_cmd_diff(int argc, char **argv);
int tl_cmd_serve(int argc, char **argv);
void tl_usage(FILE *out);

/* ---- folded.c ---- */
/* Brendan Gregg's folded stacks, one line per group:
 * [creation stack outermost first;"[new thread]";] blocked stack outermost
 * first;"[state]" count */
int tl_write_folded(FILE *out, const tl_dump *d, int with_spawn);

/* ---- pprof.c ---- */
/* The dump as a gzipped pprof profile (Go's goroutine profile shape,
 * threads/count): 0 with a malloc'd buffer in *out, or -1. */
int tl_pprof_encode(const tl_dump *d, int with_spawn, unsigned char **out, size_t *len);
int tl_write_pprof(FILE *out, const tl_dump *d, int with_spawn);
/* A JSON dump file as a profile on out; -1 after saying why it failed. */
int tl_pprof_from_json(const char *json_path, FILE *out, int with_spawn);

/* ---- html.c ---- */
/* `report --format html`: the dump, and the counts over time from a series
 * file (NULL: none) judged as run would. 0, -1 when out failed, -2 after
 * saying the series could not be read. */
int tl_html_report(FILE *out, const tl_dump *d, const char *series_path);

#endif
