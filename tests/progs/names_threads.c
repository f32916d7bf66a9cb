/* Thread names as a dump shows them: four pool workers named
 * pool-3-thread-1..4 (pthread_setname_np) blocked on a condvar; two
 * threads named by prctl(PR_SET_NAME) blocked reading a pipe (printed as
 * "pipe_fd"); a thread named "spawner" that starts three sleepers and
 * exits; two joinable threads named gone-1 and gone-2 that exit unjoined;
 * one thread, named "reaper" by main through pthread_setname_np, blocked
 * in waitpid() on a child (printed as "child") that ends when this program
 * does; one thread blocked in accept() on a TCP
 * socket listening on 127.0.0.1 (its port printed as "port"), and one
 * in recv() on the connection it accepted from this program's client. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "waits_common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pipe_fds[2], child_fds[2];
static pid_t child;
static int listener;

static void *pool_worker(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "pool-3-thread-%d", (int)(long)arg);
    pthread_setname_np(pthread_self(), name);
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
    return NULL;
}

static void *prctl_reader(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "io-reader", 0, 0, 0);
    char c;
    while (read(pipe_fds[0], &c, 1) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(1000);
    return NULL;
}

static void *spawner(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "spawner");
    for (int i = 0; i < TIMES(3); i++)
        start_thread(sleeper, NULL);
    return NULL;
}

static void *gone(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "gone-%d", (int)(long)arg);
    pthread_setname_np(pthread_self(), name);
    return NULL;
}

static void *child_waiter(void *arg)
{
    (void)arg;
    int status;
    while (waitpid(child, &status, 0) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void *conn_reader(void *arg)
{
    char c;
    while (recv((int)(long)arg, &c, 1, 0) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void *acceptor(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(listener, NULL, NULL);
        if (c >= 0)
            start_thread(conn_reader, (void *)(long)c);
        else if (errno != EINTR)
            return NULL;
    }
}

static int listen_loopback(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) || listen(listener, 4) ||
        getsockname(listener, (struct sockaddr *)&a, &len))
        die("listen", errno);
    return ntohs(a.sin_port);
}

int main(void)
{
    if (pipe(pipe_fds) || pipe(child_fds))
        die("pipe", errno);
    child = fork();
    if (child < 0)
        die("fork", errno);
    if (child == 0) { /* ends when the parent is gone: the pipe's last writer closes */
        char c;
        close(child_fds[1]);
        while (read(child_fds[0], &c, 1) == -1 && errno == EINTR) {
        }
        _exit(0);
    }
    close(child_fds[0]);
    for (long i = 1; i <= TIMES(4); i++)
        start_thread(pool_worker, (void *)i);
    for (int i = 0; i < TIMES(2); i++)
        start_thread(prctl_reader, NULL);
    pthread_join(start_thread(spawner, NULL), NULL);
    for (long i = 1; i <= TIMES(2); i++)
        start_thread(gone, (void *)i);
    pthread_setname_np(start_thread(child_waiter, NULL), "reaper"); /* named from outside */
    int port = listen_loopback();
    start_thread(acceptor, NULL);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || connect(client, (struct sockaddr *)&to, sizeof to))
        die("connect", errno);
    settle();
    printf("pipe_fd %d\nchild %d\nport %d\n", pipe_fds[0], (int)child, port);
    ready();
    wait_forever();
}
