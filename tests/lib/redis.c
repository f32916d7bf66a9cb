/* See redis.h. */
#include "lib/redis.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/run.h"
#include "lib/tlt.h"

const char *tlt_redis_server_path(void)
{
    static char path[4200];
    const char *p = tlt_which("redis-server");
    if (!p)
        p = tlt_which("redis-check-rdb");
    if (!p)
        return NULL;
    snprintf(path, sizeof path, "%s", p);
    return tlt_which("redis-benchmark") && tlt_which("redis-cli") ? path : NULL;
}

int tlt_redis_ping(int port)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d ping 2>/dev/null | grep -q PONG", port);
    return system(cmd) == 0;
}

pid_t tlt_redis_start(const char *server_path, int port, const char *dir, const char *const *extra,
                      int preload)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    char preload_var[4200];
    snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", tlt_lib_path());
    const char *defaults[] = {preload ? preload_var : NULL, NULL};
    char **envp = tlt_env(defaults, extra);
    fflush(NULL);
    pid_t srv = fork();
    if (srv == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir(dir) != 0)
            _exit(125);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execle(server_path, "redis-server", "--port", portstr, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--io-threads", "4", "--io-threads-do-reads", "yes",
               "--daemonize", "no", (char *)NULL, envp);
        _exit(127);
    }
    free(envp);
    for (long end = tlt_now_ms() + 10000; !tlt_redis_ping(port) && tlt_now_ms() < end;)
        tlt_sleep_ms(50);
    cr_assert(tlt_redis_ping(port), "redis-server did not answer on port %d", port);
    return srv;
}

int tlt_redis_stop(pid_t srv, int port, const char *dir)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *shutdown[] = {"redis-cli", "-p", portstr, "shutdown", "nosave", NULL};
    tlt_result s = tlt_run_in(shutdown, NULL, 0, dir, 20000);
    tlt_result_free(&s);
    int st = -1;
    for (long end = tlt_now_ms() + 10000; tlt_now_ms() < end; tlt_sleep_ms(20))
        if (waitpid(srv, &st, WNOHANG) == srv)
            return st;
    kill(srv, SIGKILL);
    waitpid(srv, NULL, 0);
    return -1;
}

void tlt_redis_rates(const char *benchmark_out, char *summary, size_t size)
{
    size_t n = 0;
    summary[0] = 0;
    for (const char *l = benchmark_out; l && *l; l += strcspn(l, "\r\n"), l += strspn(l, "\r\n")) {
        int len = (int)strcspn(l, "\r\n");
        if (memmem(l, (size_t)len, "requests per second", 19) && n < size)
            n += (size_t)snprintf(summary + n, size - n, "%.*s; ", len, l);
    }
}
