/* Passthrough: copies stdin to stdout byte for byte (NULs included), writes
 * a fixed line to stderr, and exits with status argv[1] (or dies of signal
 * argv[2] when given). Starts and joins one thread so the library is busy. */
#include <pthread.h>

#include "cli_common.h"

static void *helper(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, helper, NULL);
    pthread_join(t, NULL);
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0)
        if (write(1, buf, (size_t)n) != n)
            return 99;
    static const char err[] = "to stderr \xff\x01 bytes\n";
    if (write(2, err, sizeof err - 1) < 0)
        return 98;
    if (argc > 2 && atoi(argv[2]) > 0) {
        signal(atoi(argv[2]), SIG_DFL);
        raise(atoi(argv[2]));
    }
    return argc > 1 ? atoi(argv[1]) : 0;
}
