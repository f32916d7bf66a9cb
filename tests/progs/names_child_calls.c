/* Each of wait, waitpid, wait3, wait4 and waitid blocks in a thread of its
 * own on a child that exits with a status of its own once released. After
 * "ready" the waits stay blocked for 2 s (for a dump), while this program
 * sends itself the dump signal 20 times when the library is loaded (the
 * waits must neither fail with EINTR nor return early); then the children
 * are released, and each thread prints on stderr what its call returned
 * ("waitpid ok" when the right pid and status came back), then "done". */
#include <dlfcn.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "waits_common.h"

enum { WAIT, WAITPID, WAIT3, WAIT4, WAITID, N_CALLS };
static const char *const names[N_CALLS] = {"wait", "waitpid", "wait3", "wait4", "waitid"};
static pid_t children[N_CALLS];
static int release_any[2], release_own[2];

static int waits_for_any(int k)
{
    return k == WAIT || k == WAIT3;
}

static void *waiter(void *arg)
{
    int k = (int)(long)arg, status = 0;
    pid_t got = -1;
    siginfo_t info = {0};
    struct rusage ru;
    switch (k) {
    case WAIT: /* any child: one of the two released first */
        got = wait(&status);
        break;
    case WAITPID:
        got = waitpid(children[k], &status, 0);
        break;
    case WAIT3:
        got = wait3(&status, 0, &ru);
        break;
    case WAIT4:
        got = wait4(children[k], &status, 0, &ru);
        break;
    case WAITID:
        if (waitid(P_PID, (id_t)children[k], &info, WEXITED) == 0) {
            got = info.si_pid;
            status = info.si_status << 8;
        }
        break;
    }
    int ok = got > 0 && WIFEXITED(status) && WEXITSTATUS(status) >= 10 &&
             WEXITSTATUS(status) < 10 + N_CALLS && children[WEXITSTATUS(status) - 10] == got;
    fprintf(stderr, "%s %s (%d, status %d, %s)\n", names[k], ok ? "ok" : "FAILED", (int)got, status,
            got < 0 ? strerror(errno) : "-");
    return NULL;
}

int main(void)
{
    if (pipe(release_any) || pipe(release_own))
        die("pipe", errno);
    for (int k = 0; k < N_CALLS; k++) {
        children[k] = fork();
        if (children[k] == 0) {
            int *r = waits_for_any(k) ? release_any : release_own;
            char c;
            close(release_any[1]);
            close(release_own[1]);
            while (read(r[0], &c, 1) == -1 && errno == EINTR) {
            }
            _exit(10 + k);
        }
    }
    close(release_any[0]);
    close(release_own[0]);
    /* wait and wait3 take any child: theirs end first, and the others only
     * once both have returned, so that no call takes another's child */
    pthread_t t[N_CALLS];
    for (int k = 0; k < N_CALLS; k++)
        t[k] = start_thread(waiter, (void *)(long)k);
    settle();
    printf("ready\n");
    fflush(stdout);
    int preloaded = dlsym(RTLD_DEFAULT, "threadleak_active") != NULL;
    for (int i = 0; i < 20; i++) {
        if (preloaded)
            kill(getpid(), SIGUSR1);
        usleep(100000);
    }
    close(release_any[1]);
    pthread_join(t[WAIT], NULL);
    pthread_join(t[WAIT3], NULL);
    close(release_own[1]);
    for (int k = 0; k < N_CALLS; k++)
        if (!waits_for_any(k))
            pthread_join(t[k], NULL);
    fprintf(stderr, "done\n");
    return 0;
}
