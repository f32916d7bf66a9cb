/* The demo: an order service that starts a worker per request to fetch
 * metadata, and forgets to signal it when the request is cancelled. One in
 * three requests leaks a thread blocked forever on a condition variable,
 * like the Go example of a goroutine blocked on a channel nobody reads. A
 * healthy fixed pool serves the rest. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct request {
    pthread_mutex_t lock;
    pthread_cond_t done;
    int ready;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work = PTHREAD_COND_INITIALIZER;

static void *pool_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool_lock);
    for (;;)
        pthread_cond_wait(&pool_work, &pool_lock);
    return NULL;
}

static void chan_send(struct request *r)
{
    pthread_mutex_lock(&r->lock);
    while (!r->ready) /* waits for a reader that never comes */
        pthread_cond_wait(&r->done, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

static void *fetch_metadata(void *arg)
{
    chan_send(arg);
    return NULL;
}

static void handle_request(int id)
{
    struct request *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->done, NULL);
    pthread_t t;
    pthread_create(&t, NULL, fetch_metadata, r);
    pthread_detach(t);
    if (id % 3 != 0) { /* the happy path: the answer is read */
        pthread_mutex_lock(&r->lock);
        r->ready = 1;
        pthread_cond_signal(&r->done);
        pthread_mutex_unlock(&r->lock);
    } /* a cancelled request returns without signalling: the worker leaks */
}

int main(int argc, char **argv)
{
    int requests = argc > 1 ? atoi(argv[1]) : 60;
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        pthread_create(&t, NULL, pool_worker, NULL);
        pthread_detach(t);
    }
    for (int i = 0; i < requests; i++) {
        handle_request(i);
        usleep(50000);
    }
    printf("served %d requests\n", requests);
    return 0;
}
