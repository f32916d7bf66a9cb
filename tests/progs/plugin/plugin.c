/* A plugin for names_plugins.c, built twice: -DPLUGIN=a_ gives lib_a.so
 * (a_blocks_here, a_spawn), -DPLUGIN=b_ lib_b.so. Same code, names of the
 * same length: both have the same layout, so B loaded where A was puts
 * b_blocks_here at a_blocks_here's old address. */
#include <pthread.h>
#include <unistd.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define F(x) CAT(PLUGIN, x)

int F(blocks_here)(int fd)
{
    char c;
    return (int)read(fd, &c, 1);
}

int F(spawn)(void *(*fn)(void *), void *arg, pthread_t *t)
{
    return pthread_create(t, NULL, fn, arg);
}
