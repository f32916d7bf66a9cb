/* tlt: the test harness for programs run under the preload library.
 *
 * A test starts a program with build/libthreadleak.so preloaded and its
 * dumps going to a private temporary directory, waits for the program to
 * print "ready", asks for a dump (SIGUSR1), and checks the dump's groups:
 *
 *     tlt_proc *p = tlt_start("wait_mutex", NULL);
 *     tlt_dump(p);
 *     json_t *g = tlt_largest(p);
 *     tlt_expect_group(p, g, "blocked", "mutex", 7);
 *     tlt_expect_frame0(p, g, "stack", "mutex_waiter");
 *     tlt_stop(p);
 *
 * Every tlt_expect_* fails the current Criterion test with what was
 * expected, where the expectation was written, and the dump (its text form)
 * and the program's stderr. Use TestSuite(x, .fini = tlt_cleanup) so
 * programs and temporary directories go away whatever the outcome.
 *
 * Paths: the build directory is found from the test binary's own location
 * (build/tests/test_x → build/), or from $TLT_BUILD_DIR. */
#ifndef TLT_H
#define TLT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct tlt_proc {
    char name[128];  /* for messages */
    pid_t pid;       /* 0 once reaped */
    int status;      /* wait status once reaped */
    char dir[256];   /* private temporary directory: dumps and stderr */
    int out_fd;      /* read end of the program's stdout */
    char out[16384]; /* its stdout so far */
    size_t out_len;
    int dumps;     /* dumps taken so far */
    json_t *json;  /* the last dump */
    char *text;    /* the last dump's text form, or NULL */
    char *context; /* scratch for messages */
    char *err;     /* stderr, as last read */
} tlt_proc;

/* Paths (static storage, valid until the next call of the same function). */
const char *tlt_build_dir(void);              /* absolute, no trailing slash */
const char *tlt_lib_path(void);               /* <build>/libthreadleak.so */
const char *tlt_prog_path(const char *name);  /* <build>/tests/progs/<name> */
const char *tlt_source_path(const char *rel); /* <repo>/<rel> */
/* An executable named on $PATH, or NULL. */
const char *tlt_which(const char *name);
/* The same, in storage of its own (the test's to keep), or the test
 * skipped: "<name> is not installed (<why>)". */
const char *tlt_need(const char *name, const char *why);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int tlt_free_port(void);

/* Starts build/tests/progs/<prog> (or argv) preloaded with
 * THREADLEAK_OUTPUT=<dir>/dump.%p.%n, THREADLEAK_FORMAT=text,json plus
 * `env` ("VAR=value" strings, NULL-terminated, may override those), and
 * waits up to 10 s for "ready" on its stdout. Fails the test otherwise. */
tlt_proc *tlt_start(const char *prog, const char *const *env);
tlt_proc *tlt_start_argv(const char *const *argv, const char *const *env);

/* The value printed by the program on a line "<key> <value>" before
 * "ready"; fails the test when there is none. */
const char *tlt_printed(tlt_proc *p, const char *key);

/* What the program wrote on stderr so far (owned by p). */
const char *tlt_stderr(tlt_proc *p);

/* Reads what the program has written on stdout since into p->out: waits
 * up to wait_ms for the first bytes, then takes what is there. 0 once it
 * has closed its stdout (ended), 1 otherwise. */
int tlt_read_stdout(tlt_proc *p, int wait_ms);
/* Reads the program's stdout until it holds `text`, the program closes it,
 * or timeout_ms pass; 1 when it holds text. */
int tlt_wait_stdout(tlt_proc *p, const char *text, long timeout_ms);

/* Waits (up to 10 s) until every thread of the program sleeps, seen three
 * times 20 ms apart: its threads have reached their waits, however loaded
 * the machine. Returns in any case; the dump then shows what is there. */
void tlt_settle(tlt_proc *p);

/* Sends SIGUSR1 and waits up to 5 s for dump number p->dumps + 1 (the .json
 * and the .txt), loads both, checks the dump's envelope (format, version,
 * pid, dump number, reason) and returns the JSON (owned by p). */
json_t *tlt_dump(tlt_proc *p);
/* Same without the signal: waits for the dump file of that number. */
json_t *tlt_wait_dump(tlt_proc *p, int number, const char *reason);

/* Queries on the last dump (NULL / 0 when absent; they never fail). */
json_t *tlt_largest(tlt_proc *p);
/* Largest group with this state and wait kind (wait NULL: JSON null). */
json_t *tlt_find_group(tlt_proc *p, const char *state, const char *wait);
/* Largest group with this state, wait and a frame named fn on its stack. */
json_t *tlt_find_group_fn(tlt_proc *p, const char *state, const char *wait, const char *fn);
/* The group whose spawn_stack is empty and whose stack has fn (main). */
json_t *tlt_find_main_group(tlt_proc *p);
long tlt_count(tlt_proc *p, const char *key);    /* counts.<key>, -1 if absent */
long tlt_by_wait(tlt_proc *p, const char *wait); /* counts.by_wait.<wait>, 0 if absent */
/* Sum of "count" over the groups with this state and wait. */
long tlt_group_total(tlt_proc *p, const char *state, const char *wait);
int tlt_stack_has(json_t *stack, const char *fn);
const char *tlt_frame_fn(json_t *stack, int i); /* NULL past the end or unnamed */

/* Expectations: each fails the test with the dump in the message. */
#define tlt_expect_group(p, g, state, wait, count)                                                 \
    tlt_expect_group_at(__FILE__, __LINE__, p, g, state, wait, count)
#define tlt_expect_wait_call(p, g, call) tlt_expect_wait_call_at(__FILE__, __LINE__, p, g, call)
#define tlt_expect_object(p, g, addr) tlt_expect_object_at(__FILE__, __LINE__, p, g, addr)
#define tlt_expect_frame0(p, g, which, fn) tlt_expect_frame0_at(__FILE__, __LINE__, p, g, which, fn)
#define tlt_expect_on_stack(p, g, which, fn)                                                       \
    tlt_expect_on_stack_at(__FILE__, __LINE__, p, g, which, fn)
#define tlt_expect_by_wait(p, wait, n) tlt_expect_by_wait_at(__FILE__, __LINE__, p, wait, n)
#define tlt_expect_count(p, key, n) tlt_expect_count_at(__FILE__, __LINE__, p, key, n)
#define tlt_expect_text(p, s) tlt_expect_text_at(__FILE__, __LINE__, p, s)
#define tlt_expect_no_lib_frames(p) tlt_expect_no_lib_frames_at(__FILE__, __LINE__, p)
#define tlt_expect_sorted(p) tlt_expect_sorted_at(__FILE__, __LINE__, p)
#define tlt_expect_alive(p) tlt_expect_alive_at(__FILE__, __LINE__, p)
#define tlt_expect(p, cond, ...) tlt_expect_at(__FILE__, __LINE__, p, (cond), __VA_ARGS__)

/* Standard checks for a program leaking `count` threads in one group: it is
 * the largest, in `state`/`wait`, frame #0 of its stack is `frame0` (or, if
 * frame0 is NULL, `on_stack` appears on it), `spawner` is on its creation
 * stack, and the text dump has its header line "<count> threads · <what>". */
#define tlt_expect_leak(p, state, wait, count, frame0, spawner)                                    \
    tlt_expect_leak_at(__FILE__, __LINE__, p, state, wait, count, frame0, spawner)

void tlt_expect_group_at(const char *file, int line, tlt_proc *p, json_t *g, const char *state,
                         const char *wait, long count);
void tlt_expect_wait_call_at(const char *file, int line, tlt_proc *p, json_t *g, const char *call);
void tlt_expect_object_at(const char *file, int line, tlt_proc *p, json_t *g, const char *addr);
void tlt_expect_frame0_at(const char *file, int line, tlt_proc *p, json_t *g, const char *which,
                          const char *fn);
void tlt_expect_on_stack_at(const char *file, int line, tlt_proc *p, json_t *g, const char *which,
                            const char *fn);
void tlt_expect_by_wait_at(const char *file, int line, tlt_proc *p, const char *wait, long n);
void tlt_expect_count_at(const char *file, int line, tlt_proc *p, const char *key, long n);
void tlt_expect_text_at(const char *file, int line, tlt_proc *p, const char *s);
void tlt_expect_no_lib_frames_at(const char *file, int line, tlt_proc *p);
void tlt_expect_sorted_at(const char *file, int line, tlt_proc *p);
void tlt_expect_alive_at(const char *file, int line, tlt_proc *p);
void tlt_expect_at(const char *file, int line, tlt_proc *p, int cond, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
json_t *tlt_expect_leak_at(const char *file, int line, tlt_proc *p, const char *state,
                           const char *wait, long count, const char *frame0, const char *spawner);

/* Fails the test with the message and p's context (dump, stderr). */
void tlt_fail(tlt_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs argv (execvp) with stdout and stderr together into *out (malloc'd,
 * NUL-terminated), after setup(arg) in the child when setup is not NULL;
 * kills it after timeout_s. The wait status, or -1 if it could not run. */
int tlt_run_captured(const char *const *argv, void (*setup)(void *), void *arg, int timeout_s,
                     char **out);

/* Kills (SIGKILL) and reaps the program, removes its directory, frees p. */
void tlt_stop(tlt_proc *p);
/* Stops every program still running: for TestSuite(..., .fini = tlt_cleanup). */
void tlt_cleanup(void);

#endif
