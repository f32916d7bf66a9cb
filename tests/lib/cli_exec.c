/* See cli_exec.h. */
#include "lib/cli_exec.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/files.h"
#include "lib/tlt.h"

const char *cli_threadleak(void)
{
    static char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/threadleak", tlt_build_dir());
    return path;
}

cli_result *cli_new(void)
{
    cli_result *r = calloc(1, sizeof *r);
    tlt_tempdir(r->dir, sizeof r->dir);
    return r;
}

const char *cli_path(cli_result *r, const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    return path;
}

/* The whole file; "" when there is none. */
static char *whole(const char *path, size_t *len)
{
    char *s = tlt_read_file(path, len);
    return s ? s : calloc(1, 1);
}

static void apply_env(const char *const *env)
{
    for (int i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
        if (eq[1])
            setenv(name, eq + 1, 1);
        else
            unsetenv(name);
    }
}

void cli_exec(cli_result *r, const char *in, size_t in_len, const char *const *argv,
              const char *const *env)
{
    char inp[300], outp[300], errp[300];
    snprintf(inp, sizeof inp, "%s/.stdin", r->dir);
    snprintf(outp, sizeof outp, "%s/.stdout", r->dir);
    snprintf(errp, sizeof errp, "%s/.stderr", r->dir);
    FILE *f = fopen(inp, "wb");
    if (in && in_len)
        fwrite(in, 1, in_len, f);
    fclose(f);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int i = open(in ? inp : "/dev/null", O_RDONLY);
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        apply_env(env);
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a timed-out test takes threadleak with it */
        execv(argv[0], (char *const *)argv);
        dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(126);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    free(r->out);
    free(r->err);
    r->out = whole(outp, &r->out_len);
    r->err = whole(errp, &r->err_len);
}

json_t *cli_json(const char *path)
{
    return json_load_file(path, 0, NULL);
}

void cli_free(cli_result *r)
{
    if (!r)
        return;
    tlt_rmtree(r->dir);
    free(r->out);
    free(r->err);
    free(r);
}

pid_t cli_spawn_preloaded(const char *const *argv, const char *const *env)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int n = open("/dev/null", O_RDWR);
        dup2(n, 0);
        dup2(n, 1);
        setenv("LD_PRELOAD", tlt_lib_path(), 1);
        setenv("THREADLEAK_INTERVAL_MS", "200", 1);
        apply_env(env);
        execv(argv[0], (char *const *)argv);
        _exit(126);
    }
    return pid;
}

void cli_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

cli_result *cli_run(const char *const *env, const char *const *args)
{
    cli_result *r = cli_new();
    const char *argv[64];
    static char json[512];
    int n = 0;
    snprintf(json, sizeof json, "%s", cli_path(r, "v.json"));
    argv[n++] = cli_threadleak();
    argv[n++] = "run";
    argv[n++] = "--json";
    argv[n++] = json;
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    cli_exec(r, NULL, 0, argv, env);
    return r;
}

json_t *cli_verdict(cli_result *r)
{
    json_t *v = cli_json(cli_path(r, "v.json"));
    cr_assert(v, "no verdict JSON; status %d, stderr:\n%s", r->status, r->err);
    cr_assert_str_eq(json_string_value(json_object_get(v, "format")), "threadleak-verdict");
    return v;
}

const char *cli_verdict_word(json_t *v)
{
    return json_string_value(json_object_get(v, "verdict"));
}

int cli_has_reason(json_t *v, const char *reason)
{
    json_t *a = json_object_get(v, "reasons"), *x;
    size_t i;
    json_array_foreach(a, i, x) if (strcmp(json_string_value(x), reason) == 0) return 1;
    return 0;
}

int cli_stack_has(json_t *stack, const char *glob)
{
    json_t *f;
    size_t i;
    json_array_foreach(stack, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "function"));
        if (name && fnmatch(glob, name, 0) == 0)
            return 1;
    }
    return 0;
}

int cli_wait_preloaded(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(path, "r");
        char line[256];
        unsigned long long mask = 0;
        while (f && fgets(line, sizeof line, f))
            if (strncmp(line, "SigCgt:", 7) == 0)
                mask = strtoull(line + 7, NULL, 16);
        if (f)
            fclose(f);
        if (mask & (1ull << (SIGUSR1 - 1)))
            return 0;
        usleep(10000);
    }
    return -1;
}
