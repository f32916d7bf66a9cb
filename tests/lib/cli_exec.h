/* For the command's tests: run build/threadleak (or anything) with a given
 * stdin, capture its stdout and stderr whole, and read JSON files back. */
#ifndef CLI_EXEC_H
#define CLI_EXEC_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct cli_result {
    int status;      /* exit status, or 128+N when killed by signal N */
    char *out, *err; /* NUL-terminated (binary output: see out_len) */
    size_t out_len, err_len;
    char dir[256]; /* a private directory for the test's files, removed by cli_free */
} cli_result;

/* <build>/threadleak */
const char *cli_threadleak(void);
/* A fresh private directory's path for files a test writes (verdicts, --out). */
cli_result *cli_new(void);
/* Runs argv (NULL-terminated; argv[0] a path) with stdin from the given bytes
 * (NULL: /dev/null) and extra "VAR=value" environment entries (NULL-terminated,
 * may be NULL; "VAR=" with nothing after it unsets VAR). Fills r. */
void cli_exec(cli_result *r, const char *in, size_t in_len, const char *const *argv,
              const char *const *env);
/* "<dir>/<name>" in static storage. */
const char *cli_path(cli_result *r, const char *name);
/* Loads a JSON file; NULL when missing or invalid. */
json_t *cli_json(const char *path);
void cli_free(cli_result *r);

/* threadleak run --json <dir>/v.json ARGS (NULL-terminated), with extra env. */
cli_result *cli_run(const char *const *env, const char *const *args);
/* The verdict JSON of a cli_run (fails the test when missing). */
json_t *cli_verdict(cli_result *r);
/* The verdict word, and whether reasons has one. */
const char *cli_verdict_word(json_t *v);
int cli_has_reason(json_t *v, const char *reason);
/* 1 when a frame of the stack has this function name (fnmatch glob). */
int cli_stack_has(json_t *stack, const char *glob);

/* Starts argv in the background with the library preloaded and extra env;
 * returns its pid (the test must kill and reap it with cli_stop). */
pid_t cli_spawn_preloaded(const char *const *argv, const char *const *env);
void cli_stop(pid_t pid);
/* Waits up to 10 s until the library's sampler runs in pid (its dump signal
 * handler is in); 0, or -1 when it never does. */
int cli_wait_preloaded(pid_t pid);

#endif
