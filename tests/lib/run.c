/* See run.h. */
#include "lib/run.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/files.h"
#include "lib/tlt.h"

extern char **environ;

long tlt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void tlt_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

void tlt_child_signals_default(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

const char *tlt_status(int status)
{
    static char bufs[4][128];
    static int k;
    char *buf = bufs[k++ % 4];
    if (WIFEXITED(status))
        snprintf(buf, sizeof bufs[0], "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof bufs[0], "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
    else
        snprintf(buf, sizeof bufs[0], "wait status 0x%x", status);
    return buf;
}

static int sets(const char *const *env, const char *entry)
{
    size_t klen = strcspn(entry, "=");
    for (; env && *env; env++)
        if (!strncmp(*env, entry, klen) && (*env)[klen] == '=')
            return 1;
    return 0;
}

char **tlt_env(const char *const *defaults, const char *const *extra)
{
    size_t n = 0;
    for (char **e = environ; *e; e++)
        n++;
    for (const char *const *e = defaults; e && *e; e++)
        n++;
    for (const char *const *e = extra; e && *e; e++)
        n++;
    char **env = calloc(n + 1, sizeof *env);
    size_t k = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) && strncmp(*e, "THREADLEAK_", 11))
            env[k++] = *e;
    for (const char *const *e = defaults; e && *e; e++)
        if (!sets(extra, *e))
            env[k++] = (char *)*e;
    for (const char *const *e = extra; e && *e; e++)
        env[k++] = (char *)*e;
    env[k] = NULL;
    return env;
}

tlt_result tlt_run_in(const char *const *argv, const char *const *extra, int preload,
                      const char *cwd, long timeout_ms)
{
    tlt_result r = {0};
    char dir[256], outp[300], errp[300], preload_var[4200];
    tlt_tempdir(dir, sizeof dir);
    snprintf(outp, sizeof outp, "%s/out", dir);
    snprintf(errp, sizeof errp, "%s/err", dir);
    snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", tlt_lib_path());
    const char *defaults[] = {preload ? preload_var : NULL, NULL};
    char **env = tlt_env(defaults, extra);
    long start = tlt_now_ms();
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open("/dev/null", O_RDONLY);
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        tlt_child_signals_default();
        if (cwd && chdir(cwd) != 0)
            _exit(125);
        execvpe(argv[0], (char *const *)argv, env);
        dprintf(2, "tlt: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    free(env);
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) {
            r.status = st;
            break;
        }
        if (tlt_now_ms() - start > timeout_ms) {
            r.timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &r.status, 0);
            break;
        }
        tlt_sleep_ms(5);
    }
    kill(-pid, SIGKILL); /* leftovers of the group */
    r.ms = tlt_now_ms() - start;
    r.out = tlt_read_file(outp, NULL);
    r.err = tlt_read_file(errp, NULL);
    if (!r.out)
        r.out = strdup("");
    if (!r.err)
        r.err = strdup("");
    tlt_rmtree(dir);
    return r;
}

tlt_result tlt_run(const char *const *argv, const char *const *extra, long timeout_ms)
{
    return tlt_run_in(argv, extra, 1, NULL, timeout_ms);
}

void tlt_result_free(tlt_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int tlt_exited_0(const tlt_result *r)
{
    return !r->timed_out && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}
