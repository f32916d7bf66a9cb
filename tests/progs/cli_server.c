/* A server for --duration: runs until SIGTERM. argv[1]:
 *   leak      every 50 ms a request leaks a thread blocked in session_reader
 *   pool      a fixed pool of 6 workers, nothing leaks
 *   stubborn  a fixed pool, and it ignores SIGTERM (needs the SIGKILL)
 * On SIGTERM it exits with status 143 without joining anything. */
#include <pthread.h>
#include <signal.h>

#include "cli_common.h"

static volatile sig_atomic_t stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void *session_reader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static void *pool_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static void accept_connection(void)
{
    pthread_t t;
    pthread_create(&t, NULL, session_reader, NULL);
    pthread_detach(t);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "pool";
    if (strcmp(mode, "stubborn") == 0)
        signal(SIGTERM, SIG_IGN);
    else
        signal(SIGTERM, on_term);
    for (int i = 0; i < 6; i++) {
        pthread_t t;
        pthread_create(&t, NULL, pool_worker, NULL);
    }
    while (!stop) {
        if (strcmp(mode, "leak") == 0)
            accept_connection();
        cli_sleep_ms(50);
    }
    exit(143);
}
