/* Shared by the cli_* test programs: how a program ends, chosen by argv. */
#ifndef CLI_COMMON_H
#define CLI_COMMON_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void cli_sleep_ms(long ms)
{
    if (ms <= 0)
        return; /* nanosleep refuses a negative time, and would be retried forever */
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts))
        ;
}

static inline long cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "exit" (default): return normally; "_exit": _exit(0); "kill": SIGKILL self. */
static inline int cli_end(const char *how)
{
    fflush(NULL);
    if (how && strcmp(how, "_exit") == 0)
        _exit(0);
    if (how && strcmp(how, "kill") == 0)
        raise(SIGKILL);
    return 0;
}

#endif
