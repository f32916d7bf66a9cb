/* `threadleak dump PID` on a process without the library: stop its threads
 * with ptrace, copy what unwinding needs, let them go, then unwind, classify
 * and group at leisure (attach.c, attach_unwind.c, attach_wait.c,
 * attach_dump.c). */
#ifndef THREADLEAK_ATTACH_H
#define THREADLEAK_ATTACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "common/model.h"
#include "common/syscalls.h"

#define TL_ATTACH_FRAMES 64
/* Bytes of each stack copied from its stack pointer up while the thread is
 * stopped; deeper frames are read from the live process (a blocked thread's
 * outer frames do not change). Less per thread when there are so many that
 * the copies would pass TL_ATTACH_COPY_TOTAL. */
#define TL_ATTACH_STACK_COPY 32768
#define TL_ATTACH_STACK_COPY_MIN 4096
#define TL_ATTACH_COPY_TOTAL (256L << 20)

/* Bytes copied around a futex word: from 8 below its 8-aligned address,
 * enough for a pthread_mutex_t at the word or a pthread_rwlock_t whose
 * __wrphase_futex or __writers_futex it is. */
#define TL_ATTACH_LOCK_COPY 64

typedef struct tl_attach_thread {
    pid_t tid;
    char name[16];
    int seized; /* ours until detached */
    int interrupted;
    int waited;      /* its stop (or exit) was collected */
    int stopped;     /* was in a ptrace stop: regs and the stack copy are valid */
    int pass_signal; /* a signal that arrived meanwhile, handed back at detach */
    struct user_regs_struct regs;
    uint64_t stack_lo;
    unsigned char *stack;
    size_t stack_len;
    /* Not stopped: a wait that a stop would end with EINTR (epoll_wait...),
     * or a thread that did not stop in time. What /proc/PID/task/TID/syscall
     * said; unwound from its sp and pc alone. */
    int proc_only;
    long sys_nr; /* -1 running or not in a system call, -2 not known */
    uint64_t sys_args[6], sys_sp, sys_pc;
    /* A futex wait: the bytes around its word (the lock the word is in),
     * read while every thread was stopped, so the lock words of all of
     * them are one moment's (lock_snap). lock_len 0: not readable. */
    int lock_snap;
    uint64_t lock_lo;
    size_t lock_len;
    unsigned char lock[TL_ATTACH_LOCK_COPY];
    /* Filled by attach_unwind.c: pcs[0] is where the thread is, the others
     * return addresses. */
    int depth;
    uint64_t pcs[TL_ATTACH_FRAMES];
} tl_attach_thread;

/* Which threads to take (tl_attach.want, set before the snapshot). */
typedef int (*tl_attach_want)(pid_t tid, void *arg);

typedef struct tl_attach {
    pid_t pid;
    int n, cap;
    tl_attach_thread *t; /* sorted by tid */
    uint64_t pause_ns;   /* from the first interrupt to the last detach */
    long paused;         /* threads that were stopped */
    long late;           /* threads that did not stop within the limit */
    long free;           /* threads read from /proc, never stopped */
    size_t copy;         /* bytes of stack copied per thread */
    tl_attach_want want; /* NULL: every thread */
    void *want_arg;
} tl_attach;

/* Stops every thread of pid (PTRACE_SEIZE + PTRACE_INTERRUPT), reads its
 * registers and the top of its stack, and detaches them all, within
 * limit_ms. 0, or -1 after writing what went wrong and what to do to err.
 * Every thread is detached on return, and when a SIGINT, SIGTERM, SIGHUP
 * or SIGQUIT ends the command meanwhile. */
int tl_attach_snapshot(tl_attach *a, pid_t pid, long limit_ms, char *err, size_t errlen);

/* attach_lock.c: copies the lock words of the stopped threads' futex
 * waits (call while every thread is still stopped). */
void tl_attach_copy_locks(tl_attach *a);
/* The bytes [addr, addr + size) of the futex wait t is in: from the copy
 * taken during the stop when it has them, else read from the live
 * process into buf (*snap 0). NULL when they cannot be read. */
const void *tl_attach_lock_bytes(tl_attach *a, const tl_attach_thread *t, uint64_t addr,
                                 size_t size, void *buf, int *snap);
/* The futex word t waits on, 0 when it is in no futex wait. */
uint64_t tl_attach_futex(const tl_attach_thread *t);

/* Detaches any thread that stopped after the limit (call between slow steps). */
void tl_attach_reap_late(tl_attach *a);
void tl_attach_free(tl_attach *a);

/* attach_proc.c: the name (comm) of thread tid of pid into name; 0, or
 * -1 with name unchanged when it cannot be read (the thread is gone). */
int tl_attach_comm(pid_t pid, pid_t tid, char *name, size_t size);
/* The number after "key:" in /proc/pid/status, -1 when absent. */
long tl_attach_status(pid_t pid, const char *key);

/* attach_explain.c: why PTRACE_SEIZE of pid failed with err (EPERM...),
 * and what to do. */
void tl_attach_explain(pid_t pid, int err, char *out, size_t outlen);

/* attach_unwind.c: unwinds every thread from its registers and stack copy,
 * then names the frames. 0, or -1 with err set. */
typedef struct tl_unwinder tl_unwinder;
tl_unwinder *tl_unwind_open(tl_attach *a, char *err, size_t errlen);
void tl_unwind_all(tl_unwinder *u);
/* The frame of pc; activation: pc is where the thread is, not a return
 * address. Strings live as long as the unwinder. */
tl_frame tl_unwind_frame(tl_unwinder *u, uint64_t pc, int activation);
void tl_unwind_close(tl_unwinder *u);

/* attach_wait.c: what a thread waits on, from the system call it is in and
 * the names of its top frames (function, module), glibc's entry points. */
typedef struct tl_wait_guess {
    int state;             /* TL_BLOCKED or TL_RUNNING */
    int wait;              /* TL_WAIT_*, TL_WAIT_NONE for a syscall no kind describes */
    const char *wait_call; /* "pthread_cond_wait", "read", ... */
    uint64_t object;
    uint64_t futex; /* the futex word waited on, 0 if none */
    int skip;       /* top frames that are the C library's own: not shown */
} tl_wait_guess;
/* nr: the system call (-1 none); args its arguments; frames top first. */
void tl_wait_classify(long nr, const uint64_t args[6], const tl_frame *frames, int depth,
                      tl_wait_guess *out);

/* attach_owners.c: who holds what each blocked thread of d waits on, and
 * the wait-for cycles among the threads a stopped at once. Free with
 * tl_owners_free (common/owners.h). */
void tl_attach_owners(tl_attach *a, tl_dump *d);

/* attach_dump.c: the dump of pid through ptrace, printed on out in a
 * TL_OUT_* format. An exit status of the command. */
enum { TL_OUT_TEXT, TL_OUT_JSON, TL_OUT_PPROF };
int tl_attach_dump(pid_t pid, int format, int threads, FILE *out);
/* `dump --attach` of a preloaded process: its own dump (the JSON file at
 * lib_json) plus, through ptrace, the threads the library does not track
 * (started with a raw clone and never in a wrapped call). */
int tl_attach_merge(pid_t pid, const char *lib_json, int format, int threads, FILE *out);

#endif
