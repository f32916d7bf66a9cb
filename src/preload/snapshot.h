/* One thread as a dump sees it, read from its slot without stopping it. */
#ifndef THREADLEAK_SNAPSHOT_H
#define THREADLEAK_SNAPSHOT_H

#include "preload/proc_file.h"
#include "preload/registry.h"

struct tl_snap {
    pid_t tid, creator;
    int state, wait;
    const char *call;
    uint64_t object, blocked_ns;
    uint32_t stack, spawn; /* interned stack ids */
    char name[16];
    char creator_name[16];
    char *target; /* what the descriptor of an io/poll wait is (dump.c), malloc'd */
    /* For lock owners and cycles (dump_owners.c): */
    uint32_t idx, seq; /* its slot, and the slot's seq while it was read */
    uint64_t handle;   /* pthread_t, what a joiner waits on */
    uint64_t aux;      /* cond waits: the mutex passed */
    /* Running threads, when the dump captures them (running.c): */
    int capture;      /* TL_CAPTURE_* */
    int sysno;        /* TL_CAPTURE_IN_SYSCALL: the call */
    uint32_t current; /* interned stack where it runs, 0: none */
};

/* Before reading slots [0, n): makes room for the per-slot stack cache. */
TL_HIDDEN void tl_snapshot_prepare(uint32_t n);
/* 1 when slot idx holds a thread to show; its blocked stack is unwound
 * (or taken from the cache) when want_stacks. */
TL_HIDDEN int tl_read_slot(uint32_t idx, struct tl_snap *out, uint64_t now, int want_stacks);

/* 1 when slot idx still shows the wait read into s: same thread, same
 * wait, never left in between. */
TL_HIDDEN int tl_snap_still(const struct tl_snap *s);

/* 1 when tid is no longer a thread of this process. */
TL_HIDDEN int tl_tid_gone(pid_t tid);
/* The kernel's name of thread tid (/proc/self/task/TID/comm) into name;
 * left as it is when it cannot be read. */
TL_HIDDEN void tl_thread_comm(pid_t tid, char *name, size_t size);

/* Counts only, for the series: cheap, no stacks. */
TL_HIDDEN void tl_count(tl_counts *c);

#endif
