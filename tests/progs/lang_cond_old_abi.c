/* A program bound to the old condvar ABI (pthread_cond_*@GLIBC_2.2.5, whose
 * first word points to a separately allocated condvar), as binaries built
 * against glibc < 2.3.2 are. First a round trip that must work (a thread
 * waits, main signals, broadcasts, joins, destroys), then 15 threads left
 * blocked in the old pthread_cond_wait. */
#include "waits_common.h"

__asm__(".symver old_cond_init, pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver old_cond_destroy, pthread_cond_destroy@GLIBC_2.2.5");
__asm__(".symver old_cond_wait, pthread_cond_wait@GLIBC_2.2.5");
__asm__(".symver old_cond_timedwait, pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver old_cond_signal, pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver old_cond_broadcast, pthread_cond_broadcast@GLIBC_2.2.5");
extern int old_cond_init(pthread_cond_t *, const pthread_condattr_t *);
extern int old_cond_destroy(pthread_cond_t *);
extern int old_cond_wait(pthread_cond_t *, pthread_mutex_t *);
extern int old_cond_timedwait(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
extern int old_cond_signal(pthread_cond_t *);
extern int old_cond_broadcast(pthread_cond_t *);

#define N 15
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;       /* the leak */
static pthread_cond_t round_trip; /* must work */
static int go, woken;

static void *old_round_trip_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!go)
        old_cond_wait(&round_trip, &lock);
    woken = 1;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void check_round_trip(void)
{
    int err = old_cond_init(&round_trip, NULL);
    if (err) die("pthread_cond_init@GLIBC_2.2.5", err);
    pthread_t t = start_thread(old_round_trip_waiter, NULL);
    settle();
    pthread_mutex_lock(&lock);
    go = 1;
    old_cond_signal(&round_trip);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    if (!woken) die("old condvar round trip", EINVAL);
    /* A timed wait that times out. */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&lock);
    err = old_cond_timedwait(&round_trip, &lock, &deadline);
    pthread_mutex_unlock(&lock);
    if (err != ETIMEDOUT) die("pthread_cond_timedwait@GLIBC_2.2.5 did not time out", err);
    old_cond_broadcast(&round_trip);
    err = old_cond_destroy(&round_trip);
    if (err) die("pthread_cond_destroy@GLIBC_2.2.5", err);
}

static void *old_cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (go < 2)
        old_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void spawn_old_cond_waiters(void)
{
    for (int i = 0; i < TIMES(N); i++)
        start_thread(old_cond_waiter, NULL);
}

int main(void)
{
    check_round_trip();
    int err = old_cond_init(&cond, NULL);
    if (err) die("pthread_cond_init@GLIBC_2.2.5", err);
    spawn_old_cond_waiters();
    settle();
    print_object("object", &cond);
    ready();
    wait_forever();
}
