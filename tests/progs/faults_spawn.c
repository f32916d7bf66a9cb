/* vfork, posix_spawn and system() from several threads at once while other
 * threads block: every child (/bin/true, itself preloaded) must exit 0.
 * Prints "spawned <n> failed <m>" and "ready", then waits in pause().
 *   faults_spawn [ROUNDS] */
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int rounds;
static long spawned, failed;

static void *spawn_blocker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

static void check(pid_t pid)
{
    int st;
    if (pid < 0) {
        __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
        return;
    }
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&spawned, 1, __ATOMIC_RELAXED);
}

static void *spawner(void *arg)
{
    long kind = (long)arg;
    char *argv[] = {"/bin/true", NULL};
    for (int i = 0; i < rounds; i++) {
        pid_t pid = -1;
        if (kind == 0) {
            if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0)
                pid = -1;
        } else if (kind == 1) {
            pid = vfork();
            if (pid == 0) {
                execve("/bin/true", argv, environ);
                _exit(127);
            }
        } else {
            int rc = system("/bin/true");
            __atomic_fetch_add(&spawned, 1, __ATOMIC_RELAXED);
            if (rc != 0)
                __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
            continue;
        }
        check(pid);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atoi(argv[1]) : 20;
    pthread_t t;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, spawn_blocker, NULL);
    pthread_t s[6];
    for (long i = 0; i < 6; i++)
        pthread_create(&s[i], NULL, spawner, (void *)(i % 3));
    for (int i = 0; i < 6; i++)
        pthread_join(s[i], NULL);
    printf("spawned %ld failed %ld\n", spawned, failed);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
