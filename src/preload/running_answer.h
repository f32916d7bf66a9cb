/* The answering half of running-stack captures (running.c asks): what a
 * thread's dump signal handler does when the sampler asks it where it
 * runs. Async-signal-safe throughout. */
#ifndef THREADLEAK_RUNNING_ANSWER_H
#define THREADLEAK_RUNNING_ANSWER_H

#include <signal.h>
#include <stdint.h>

#include "preload/registry.h"

#define TL_CAPTURE_BYTES (32 * 1024)
#define TL_CAPTURE_PAGES (TL_CAPTURE_BYTES / 4096 + 1)

/* A capture's state: the low bits, above them the request's generation,
 * so that a late handler never answers a request made for another. */
enum { CAP_IDLE, CAP_ARMED, CAP_WRITING, CAP_DONE };
#define CAP_STEP(st) ((st)&3u)
#define CAP_GEN(st) ((st) & ~3u)

struct tl_capture_buf {
    uint32_t state;
    pid_t tid;
    struct tl_regs regs;
    uint64_t lo, n;
    unsigned char stack[TL_CAPTURE_BYTES];
};

/* Counts answers; the sampler waits on it with a futex. */
TL_HIDDEN extern uint32_t tl_capture_answers;

/* In the dump signal's handler: 1 when this visit was a capture request of
 * ours (answered here), 0 when it is a dump trigger. */
TL_HIDDEN int tl_running_answer(const siginfo_t *si, void *ucontext);

#endif
