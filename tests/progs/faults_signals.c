/* Programs that do unusual things with the dump signal.
 *
 *   faults_signals block    blocks every signal in every thread (before
 *                           starting its 4 threads); main waits in sigwait
 *                           for SIGUSR2, then joins and exits 0.
 *   faults_signals handler  installs its own SIGUSR1 handler, which
 *                           writes "usr1" on stdout; 4 threads; main waits
 *                           for SIGUSR2, then prints "hits <n>" and exits 0.
 * Both print "ready" once set up. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stop;
static volatile sig_atomic_t hits;

static void *sig_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stop)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void own_handler(int sig)
{
    (void)sig;
    hits++;
    if (write(1, "usr1\n", 5) != 5) {
    }
}

int main(int argc, char **argv)
{
    int handler = argc > 1 && strcmp(argv[1], "handler") == 0;
    sigset_t set;
    if (handler) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = own_handler;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
    } else {
        sigfillset(&set);
    }
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, sig_waiter, NULL);
    usleep(100 * 1000);
    printf("ready\n");
    fflush(stdout);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    int sig;
    sigwait(&usr2, &sig);
    pthread_mutex_lock(&lock);
    stop = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    if (handler)
        printf("hits %d\n", (int)hits);
    printf("bye\n");
    return 0;
}
