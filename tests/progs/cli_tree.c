/* Process trees under threadleak run, by argv[1]:
 *   killed   a child leaks a thread every 30 ms; the parent kills it after 2.5 s
 *   orphan   a child leaks a thread every 30 ms for 3 s; the parent exits at once
 *   abort    the program aborts after 300 ms
 *   dropper  the program becomes nobody (as nginx's workers do), then leaks a
 *            thread every 30 ms for 2.5 s and exits (needs root)
 * Children never outlive the test by more than a few seconds. */
#include <pthread.h>
#include <sys/wait.h>

#include "cli_common.h"

static void *tree_leaked_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void leak_for(long ms)
{
    long end = cli_now_ms() + ms;
    while (cli_now_ms() < end) {
        pthread_t t;
        pthread_create(&t, NULL, tree_leaked_worker, NULL);
        pthread_detach(t);
        cli_sleep_ms(30);
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "killed";
    if (strcmp(mode, "dropper") == 0) {
        if (setgid(65534) || setuid(65534))
            return 77;
        leak_for(2500);
        return 0;
    }
    if (strcmp(mode, "abort") == 0) {
        cli_sleep_ms(300);
        abort();
    }
    pid_t pid = fork();
    if (pid == 0) {
        alarm(15); /* never outlive the test */
        leak_for(strcmp(mode, "orphan") == 0 ? 3000 : 60000);
        _exit(0);
    }
    if (strcmp(mode, "orphan") == 0)
        return 0;
    cli_sleep_ms(2500);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}
