/* Copied and made setuid by tests/test_faults.c (setuid_process_ignores_paths):
 * linked with -lthreadleak, run as nobody, so the library runs AT_SECURE. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <threadleak.h>
#include <unistd.h>

static void *secure_thread(void *arg)
{
    return arg;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, secure_thread, NULL);
    printf("active %d\nsecure %d\n", threadleak_active(), getauxval(AT_SECURE) != 0);
    fflush(stdout);
    raise(SIGUSR1);
    usleep(300 * 1000);
    pthread_join(t, NULL);
    return 0;
}
