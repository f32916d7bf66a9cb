/* 5 readers blocked in pthread_rwlock_rdlock and 2 writers in
 * pthread_rwlock_wrlock on a rwlock main holds for writing forever. */
#include "waits_common.h"

#define READERS 5
#define WRITERS 2
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *rwlock_reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&rw);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void *rwlock_writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void spawn_rwlock_waiters(void)
{
    for (int i = 0; i < TIMES(READERS); i++)
        start_thread(rwlock_reader, NULL);
    for (int i = 0; i < TIMES(WRITERS); i++)
        start_thread(rwlock_writer, NULL);
}

int main(void)
{
    pthread_rwlock_wrlock(&rw);
    spawn_rwlock_waiters();
    settle();
    print_object("object", &rw);
    ready();
    wait_forever();
}
