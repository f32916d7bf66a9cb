/* select() on an fd set of one word, as programs that allocate
 * howmany(n, NFDBITS) words pass it, ending right before an unmapped page:
 * the wrapper must touch no byte past the words n covers. A dump signal
 * arrives during the wait. Prints "select <rc>" and "ready", or dies. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <unistd.h>

static void *idle_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, idle_worker, NULL);
    int p[2];
    if (pipe(p) != 0)
        return 1;
    long page = sysconf(_SC_PAGESIZE);
    char *mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(mem + page, page, PROT_NONE);
    fd_mask *set = (fd_mask *)(mem + page - sizeof(fd_mask)); /* one word: fds 0..63 */
    memset(set, 0, sizeof *set);
    set[0] |= (fd_mask)1 << p[0];
    printf("pid %d\n", (int)getpid());
    printf("ready\n");
    fflush(stdout);
    struct timeval tv = {1, 500000}; /* the test signals us meanwhile */
    int rc = select(p[0] + 1, (fd_set *)set, NULL, NULL, &tv);
    printf("select %d\n", rc);
    fflush(stdout);
    for (;;)
        pause();
}
