/* Code that is gone keeps its names. With plugin A (lib_a.so) loaded: a
 * thread created by a_spawn() (its start routine is here) waits in read;
 * a second thread blocks in a_blocks_here(); a dump is written through
 * the API (dump 1), so every address is symbolized while A is loaded.
 * Then the second thread is released and joined, A is dlclose'd, plugin B
 * is dlopen'd (at A's old address: printed as "same_address 1") and a
 * third thread blocks in b_blocks_here(). */
#include <dlfcn.h>
#include <libgen.h>

#include "waits_common.h"

typedef int (*blocks_fn)(int);
typedef int (*spawn_fn)(void *(*)(void *), void *, pthread_t *);

static int pipe_worker[2], pipe_a[2], pipe_b[2];
static blocks_fn blocker;
static int blocker_fd;

static void *host_worker(void *arg)
{
    (void)arg;
    char c;
    while (read(pipe_worker[0], &c, 1) == -1 && errno == EINTR) {
    }
    return NULL;
}

static void *call_blocker(void *arg)
{
    (void)arg;
    blocker(blocker_fd);
    return NULL;
}

static void *open_plugin(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(1);
    }
    return h;
}

int main(int argc, char **argv)
{
    (void)argc;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("readlink", errno);
    self[n] = 0;
    const char *dir = dirname(self);
    if (pipe(pipe_worker) || pipe(pipe_a) || pipe(pipe_b))
        die("pipe", errno);
    int (*api_dump)(const char *, const char *) = dlsym(RTLD_DEFAULT, "threadleak_dump");
    const char *stem = getenv("THREADLEAK_OUTPUT");
    if (!api_dump || !stem) {
        fprintf(stderr, "%s: run me preloaded with THREADLEAK_OUTPUT set\n", argv[0]);
        return 1;
    }

    void *a = open_plugin(dir, "lib_a.so");
    pthread_t worker, t;
    if (((spawn_fn)dlsym(a, "a_spawn"))(host_worker, NULL, &worker) != 0)
        die("a_spawn", errno);
    blocker = (blocks_fn)dlsym(a, "a_blocks_here");
    void *a_addr = (void *)blocker;
    blocker_fd = pipe_a[0];
    t = start_thread(call_blocker, NULL);
    settle();
    api_dump(stem, "text,json");

    if (write(pipe_a[1], "x", 1) != 1)
        die("write", errno);
    pthread_join(t, NULL);
    dlclose(a);

    void *b = open_plugin(dir, "lib_b.so");
    blocker = (blocks_fn)dlsym(b, "b_blocks_here");
    blocker_fd = pipe_b[0];
    start_thread(call_blocker, NULL);
    settle();
    printf("same_address %d\n", (void *)blocker == a_addr);
    ready();
    wait_forever();
}
