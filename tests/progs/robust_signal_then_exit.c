/* Starts and joins a thread (the sampler starts with the first), raises
 * the dump signal and returns from main at once: the dump asked for must
 * still be written. */
#include <pthread.h>
#include <signal.h>

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
        return 1;
    raise(SIGUSR1);
    return 0;
}
