/* One slot per thread. Each slot is written only by its own thread (the
 * blocked-wait fields, under a sequence counter) or by atomics (lifecycle),
 * and read by the sampler without stopping anyone. Slots live in one
 * mapping that is never unmapped, so a reader can always touch them. */
#ifndef THREADLEAK_REGISTRY_H
#define THREADLEAK_REGISTRY_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/clock.h"
#include "common/model.h"
#include "preload/guard.h"
#include "preload/real.h"

enum { TL_SLOT_FREE = 0, TL_SLOT_LIVE = 1 };
enum { TL_LIFE_EXITED = 1, TL_LIFE_DETACHED = 2, TL_LIFE_ADOPTED = 4 };

/* An object the waiting thread could not read without risking a fault (the
 * program's pointer may be bad: the call then fails with EFAULT): the
 * sampler reads it, safely, from the address in the low bits. */
#define TL_OBJ_AT_INT (1ull << 63) /* an int there: poll's first descriptor */
#define TL_OBJ_AT_U64 (1ull << 62) /* a u64 there: futex_waitv's first word */
#define TL_OBJ_ADDR(o) ((o) & ~(TL_OBJ_AT_INT | TL_OBJ_AT_U64))
/* A child wait's object for waitpid(0): the caller's process group, read by
 * the dump (the wrapper makes no system call of its own to learn it). */
#define TL_OBJ_OWN_GROUP (1ull << 63)

/* Register state at the point a wrapper blocks, enough to unwind from it. */
struct tl_regs {
    uint64_t ip, sp, bp, bx, r12, r13, r14, r15;
};

struct tl_slot {
    /* Blocked-wait fields: written by the owner between two increments of
     * seq (odd while writing), read by the sampler with a retry loop. */
    uint32_t seq;
    uint32_t wait;
    const char *call;
    uint64_t object;
    uint64_t aux; /* cond waits: the mutex passed; stale for other waits */
    uint64_t since_ns;
    struct tl_regs regs;
    /* Owner only: where the noting wrapper's frame keeps a mark that says
     * the note is still live (see wrap.h), and the top of the thread's own
     * stack (0: unknown). */
    uint64_t mark;
    uint64_t stack_hi;
    /* Running-stack captures (running.c): the sampler counts the capture
     * signals it sends to this thread (never a second while one is
     * pending), the thread's handler the ones it has seen, so the handler
     * knows a signal of ours from the program's raise(); the request it
     * answers, if still wanted. */
    uint32_t cap_sent, cap_seen;
    struct tl_capture_buf *capture;

    /* Lifecycle. */
    uint32_t state; /* TL_SLOT_FREE / TL_SLOT_LIVE */
    uint32_t life;  /* TL_LIFE_* bits */
    uint32_t gen;   /* bumped at every claim */
    uint32_t creator_done;
    pid_t tid;
    pid_t creator_tid;
    uint32_t spawn_stack; /* interned stack id, 0: none */
    uint32_t next_free;
    uint64_t handle; /* pthread_t */
    tl_start_fn start;
    void *arg;
    int c11;
    char name[16];         /* kept current by the naming wrappers (wrap_name.c) */
    char creator_name[16]; /* the creator's name when it created this thread */
} __attribute__((aligned(64)));

struct tl_counters {
    long created, adopted, joined, detached, finished_detached;
};

TL_HIDDEN extern __thread struct tl_slot *tl_self_slot;

/* on_leader_exit: run when the process's first thread ends through its
 * exit hook (pthread_exit, cancellation) while others run. The layer
 * above that cares (the sampler) passes it in: the registry, at the
 * bottom, calls nothing above it. */
TL_HIDDEN int tl_registry_init(void (*on_leader_exit)(void));
TL_HIDDEN struct tl_slot *tl_slot_claim(void);
TL_HIDDEN void tl_slot_release(struct tl_slot *s);
TL_HIDDEN struct tl_slot *tl_adopt_self(void);
TL_HIDDEN void tl_thread_started(struct tl_slot *s);
TL_HIDDEN void tl_slot_publish_new(struct tl_slot *s, int detached);
TL_HIDDEN void tl_slot_abandon(struct tl_slot *s, int detached);
TL_HIDDEN void tl_thread_exiting(struct tl_slot *s);
TL_HIDDEN struct tl_slot *tl_slot_of(pthread_t t);
TL_HIDDEN void tl_set_slot_of(pthread_t t, struct tl_slot *s);
TL_HIDDEN void tl_note_joined(struct tl_slot *s, uint32_t gen, pthread_t t);
TL_HIDDEN void tl_note_detached(struct tl_slot *s, pthread_t t);
TL_HIDDEN void tl_registry_after_fork_child(void);
TL_HIDDEN pid_t tl_gettid(void);
/* Names (slot_name.c): the calling thread's own name into its slot (once),
 * and a new thread's inherited name and its creator's name; a name cut
 * to the kernel's 15 characters. */
TL_HIDDEN void tl_name_self(struct tl_slot *s);
TL_HIDDEN void tl_copy_name(char *dst, const char *src);
TL_HIDDEN void tl_names_at_create(struct tl_slot *creator, struct tl_slot *s);

/* For the sampler: slots [0, tl_slot_count()) may be read at any time. */
TL_HIDDEN struct tl_slot *tl_slot_at(uint32_t i);
TL_HIDDEN uint32_t tl_slot_count(void);
TL_HIDDEN void tl_counters_read(struct tl_counters *c);

/* The running thread's slot, adopting a thread threadleak did not create;
 * NULL when threadleak must stay out of the way. */
static inline struct tl_slot *tl_self(void)
{
    struct tl_slot *s = tl_self_slot;
    if (tl_exiting)
        return NULL;
    if (tl_likely(s != NULL))
        return s;
    if (tl_busy || !tl_enabled)
        return NULL;
    return tl_adopt_self();
}

/* What a noting wrapper's frame holds while its wait lasts (wrap.h): a
 * value no other episode of any slot writes (the slot's seq once the note
 * is made). */
static inline uint64_t tl_mark_of(const struct tl_slot *s, uint32_t seq)
{
    return ((uint64_t)seq * 0x9e3779b97f4a7c15ull) ^ (uint64_t)(uintptr_t)s;
}

/* Must be inlined into the wrapper whose frame stays live while it blocks:
 * the sampler unwinds from these registers later. */
#define TL_CAPTURE_REGS(r)                                                                         \
    __asm__ volatile("lea 0(%%rip), %%rax\n\t"                                                     \
                     "mov %%rax, 0(%0)\n\t"                                                        \
                     "mov %%rsp, 8(%0)\n\t"                                                        \
                     "mov %%rbp, 16(%0)\n\t"                                                       \
                     "mov %%rbx, 24(%0)\n\t"                                                       \
                     "mov %%r12, 32(%0)\n\t"                                                       \
                     "mov %%r13, 40(%0)\n\t"                                                       \
                     "mov %%r14, 48(%0)\n\t"                                                       \
                     "mov %%r15, 56(%0)\n\t"                                                       \
                     :                                                                             \
                     : "r"(r)                                                                      \
                     : "rax", "memory")

/* Fields are stored with relaxed atomics: plain moves on x86-64, and a
 * race detector can see this is a sequence lock, not a data race. */
#define TL_STORE(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

/* `extra` stores what only some waits record (aux), so that the others
 * pay nothing for it. */
#define TL_BLOCK_BEGIN(s, kind, callname, obj) TL_BLOCK_BEGIN_WITH(s, kind, callname, obj, (void)0)
#define TL_BLOCK_BEGIN_WITH(s, kind, callname, obj, extra)                                         \
    do {                                                                                           \
        uint32_t q_ = (s)->seq;                                                                    \
        __atomic_store_n(&(s)->seq, q_ + 1, __ATOMIC_RELAXED);                                     \
        __atomic_thread_fence(__ATOMIC_RELEASE);                                                   \
        TL_STORE((s)->wait, (uint32_t)(kind));                                                     \
        TL_STORE((s)->call, (callname));                                                           \
        TL_STORE((s)->object, (uint64_t)(uintptr_t)(obj));                                         \
        extra;                                                                                     \
        TL_STORE((s)->since_ns, tl_clock_ns(CLOCK_MONOTONIC_COARSE));                              \
        TL_CAPTURE_REGS(&(s)->regs);                                                               \
        __atomic_store_n(&(s)->seq, q_ + 2, __ATOMIC_RELEASE);                                     \
    } while (0)

static inline void tl_block_end(struct tl_slot *s)
{
    uint32_t q = s->seq;
    __atomic_store_n(&s->seq, q + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    TL_STORE(s->wait, (uint32_t)TL_WAIT_NONE);
    __atomic_store_n(&s->seq, q + 2, __ATOMIC_RELEASE);
}

#endif
