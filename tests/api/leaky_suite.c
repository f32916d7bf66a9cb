/* A Criterion suite with one test that leaks a thread, built and run by
 * tests/test_api.c (against build/) and tests/test_install.c (against an
 * installed prefix, through pkg-config): it must fail that test, pass the
 * other, and name leaky_worker and start_leaky_worker in its output. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <threadleak/criterion.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *leaky_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    return NULL;
}

__attribute__((noinline)) static void start_leaky_worker(void)
{
    pthread_t t;
    pthread_create(&t, NULL, leaky_worker, NULL);
}

static void *quick(void *arg)
{
    return arg;
}

Test(leaky, forgets_its_worker)
{
    start_leaky_worker();
    cr_assert_no_thread_leaks();
}

Test(leaky, joins_its_worker)
{
    pthread_t t;
    pthread_create(&t, NULL, quick, NULL);
    pthread_join(t, NULL);
    cr_assert_no_thread_leaks();
}
