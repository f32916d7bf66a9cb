#define _GNU_SOURCE
/* Locks whose owner is gone, one scenario per argument:
 *   orphan  a thread ("grabber") locks a mutex and returns without
 *           unlocking; three threads then wait for it forever
 *   robust  a thread dies holding a robust mutex; main gets EOWNERDEAD,
 *           keeps it without pthread_mutex_consistent; a thread waits for it
 *   unmapped  a thread waits for a mutex whose page main then unmaps (the
 *           dump must read it as unknown, not fault)
 * The main thread prints "ready" and waits in pause(). */
#include <semaphore.h>
#include <sys/mman.h>

#include "waits_common.h"

#define WAITERS 3
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t held;

static void *grab_and_quit(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "grabber");
    pthread_mutex_lock(&lock);
    sem_post(&held);
    return NULL; /* still holding the lock */
}

static void *wait_for_lock(void *arg)
{
    (void)arg;
    sem_wait(&held);
    sem_post(&held);
    pthread_mutex_lock(&lock);
    return NULL;
}

static void orphan(void)
{
    sem_init(&held, 0, 0);
    /* Waiters first: the grabber's slot stays unclaimed after it is joined. */
    for (int i = 0; i < TIMES(WAITERS); i++)
        start_thread(wait_for_lock, NULL);
    pthread_t g = start_thread(grab_and_quit, NULL);
    pthread_join(g, NULL);
}

static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    return NULL;
}

static void robust(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&lock, &a);
    pthread_join(start_thread(die_holding, NULL), NULL);
    int rc = pthread_mutex_lock(&lock);
    printf("relock %d\n", rc);
    sem_init(&held, 0, 1);
    start_thread(wait_for_lock, NULL);
}

static pthread_mutex_t *mapped;

static void *wait_for_mapped(void *arg)
{
    (void)arg;
    pthread_mutex_lock(mapped);
    return NULL;
}

static void unmapped(void)
{
    mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
        die("mmap", errno);
    pthread_mutex_init(mapped, NULL);
    pthread_mutex_lock(mapped);
    start_thread(wait_for_mapped, NULL);
    settle();
    print_object("mapped", mapped);
    munmap(mapped, 4096); /* the waiter sleeps in the kernel, never to wake */
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "orphan";
    if (strcmp(mode, "orphan") == 0)
        orphan();
    else if (strcmp(mode, "robust") == 0)
        robust();
    else if (strcmp(mode, "unmapped") == 0)
        unmapped();
    else
        die(mode, EINVAL);
    settle();
    print_object("object", &lock);
    ready();
    wait_forever();
}
