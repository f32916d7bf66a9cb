/* Thread slots: claimed from a lock-free free list, never unmapped. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/log.h"
#include "preload/registry.h"

/* glibc (ld.so) exports where the main thread's stack ends. */
extern void *__libc_stack_end;

#define TL_MAX_SLOTS (1u << 18)

TL_HIDDEN __thread struct tl_slot *tl_self_slot;

static struct tl_slot *slots;
static uint32_t high_water; /* slots ever handed out */
static uint64_t free_head;  /* (tag << 32) | (index + 1); 0 index: empty */
static struct tl_counters counters;
static long tls_offset; /* &tl_self_slot - pthread_self(), equal in every thread */
static pthread_key_t exit_key;
static void (*leader_exiting)(void);

/* glibc's gettid(), not syscall(): that would reach our own syscall()
 * wrapper through the PLT. */
TL_HIDDEN pid_t tl_gettid(void)
{
    return gettid();
}

static void on_thread_exit(void *p)
{
    tl_thread_exiting(p);
}

TL_HIDDEN int tl_registry_init(void (*on_leader_exit)(void))
{
    leader_exiting = on_leader_exit; /* before any thread can reach its exit hook */
    slots = mmap(NULL, (size_t)TL_MAX_SLOTS * sizeof *slots, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slots == MAP_FAILED) {
        slots = NULL;
        return -1;
    }
    if (pthread_key_create(&exit_key, on_thread_exit) != 0)
        return -1;
    tls_offset = (char *)&tl_self_slot - (char *)pthread_self();
    return 0;
}

TL_HIDDEN struct tl_slot *tl_slot_at(uint32_t i)
{
    return &slots[i];
}

TL_HIDDEN uint32_t tl_slot_count(void)
{
    uint32_t n = __atomic_load_n(&high_water, __ATOMIC_ACQUIRE);
    return n < TL_MAX_SLOTS ? n : TL_MAX_SLOTS;
}

TL_HIDDEN void tl_counters_read(struct tl_counters *c)
{
    c->created = __atomic_load_n(&counters.created, __ATOMIC_RELAXED);
    c->adopted = __atomic_load_n(&counters.adopted, __ATOMIC_RELAXED);
    c->joined = __atomic_load_n(&counters.joined, __ATOMIC_RELAXED);
    c->detached = __atomic_load_n(&counters.detached, __ATOMIC_RELAXED);
    c->finished_detached = __atomic_load_n(&counters.finished_detached, __ATOMIC_RELAXED);
}

static struct tl_slot *pop_free(void)
{
    uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t idx = (uint32_t)head;
        if (idx == 0)
            return NULL;
        struct tl_slot *s = &slots[idx - 1];
        uint64_t next = ((head >> 32) + 1) << 32 | __atomic_load_n(&s->next_free, __ATOMIC_RELAXED);
        if (__atomic_compare_exchange_n(&free_head, &head, next, 1, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return s;
    }
}

static void push_free(struct tl_slot *s)
{
    uint32_t idx = (uint32_t)(s - slots) + 1;
    uint64_t head = __atomic_load_n(&free_head, __ATOMIC_RELAXED);
    for (;;) {
        __atomic_store_n(&s->next_free, (uint32_t)head, __ATOMIC_RELAXED);
        uint64_t next = ((head >> 32) + 1) << 32 | idx;
        if (__atomic_compare_exchange_n(&free_head, &head, next, 1, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return;
    }
}

TL_HIDDEN struct tl_slot *tl_slot_claim(void)
{
    if (!slots)
        return NULL;
    struct tl_slot *s = pop_free();
    if (!s) {
        uint32_t i = __atomic_fetch_add(&high_water, 1, __ATOMIC_ACQ_REL);
        if (i >= TL_MAX_SLOTS) {
            tl_log_once(TL_ONCE_SLOTS, "more than %u threads; the rest are not tracked",
                        TL_MAX_SLOTS);
            return NULL;
        }
        s = &slots[i];
    }
    /* A reader that saw the slot LIVE before it was freed may still be
     * reading it: the generation changes before any field does, so that
     * reader notices (snapshot.c reads gen before and after). */
    __atomic_fetch_add(&s->gen, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    s->wait = TL_WAIT_NONE;
    s->stack_hi = 0;
    s->capture = NULL;
    s->cap_seen = __atomic_load_n(&s->cap_sent, __ATOMIC_ACQUIRE); /* none for the new thread */
    s->life = 0;
    s->tid = 0;
    s->creator_tid = 0;
    s->spawn_stack = 0;
    s->handle = 0;
    s->creator_done = 0;
    s->name[0] = 0;
    s->creator_name[0] = 0;
    return s;
}

static void publish(struct tl_slot *s)
{
    __atomic_store_n(&s->state, TL_SLOT_LIVE, __ATOMIC_RELEASE);
}

TL_HIDDEN void tl_slot_release(struct tl_slot *s)
{
    __atomic_store_n(&s->state, TL_SLOT_FREE, __ATOMIC_RELEASE);
    push_free(s);
}

TL_HIDDEN void tl_thread_started(struct tl_slot *s)
{
    s->tid = tl_gettid();
    s->handle = (uint64_t)pthread_self();
    tl_self_slot = s;
    pthread_setspecific(exit_key, s);
}

/* Published by the creator before the thread runs, so that a thread that
 * has not been scheduled yet is already counted. */
TL_HIDDEN void tl_slot_publish_new(struct tl_slot *s, int detached)
{
    __atomic_fetch_add(&counters.created, 1, __ATOMIC_RELAXED);
    if (detached)
        __atomic_fetch_add(&counters.detached, 1, __ATOMIC_RELAXED);
    publish(s);
}

/* pthread_create failed: the thread never existed. */
TL_HIDDEN void tl_slot_abandon(struct tl_slot *s, int detached)
{
    __atomic_fetch_sub(&counters.created, 1, __ATOMIC_RELAXED);
    if (detached)
        __atomic_fetch_sub(&counters.detached, 1, __ATOMIC_RELAXED);
    tl_slot_release(s);
}

/* A thread threadleak did not start (the main thread, raw clone, a thread
 * from before the library loaded): tracked from now on, without a creation
 * stack, and treated as detached because nobody will be seen joining it. */
TL_HIDDEN struct tl_slot *tl_adopt_self(void)
{
    int saved = errno;
    int was_busy = tl_busy_enter();
    struct tl_slot *s = tl_slot_claim();
    if (s) {
        s->tid = tl_gettid();
        s->handle = (uint64_t)pthread_self();
        s->life = TL_LIFE_ADOPTED | (s->tid == getpid() ? 0 : TL_LIFE_DETACHED);
        s->creator_done = 1;
        tl_name_self(s);
        /* The main thread's stack ends where the kernel put argv and the
         * environment; other adopted threads' stacks are unknown. */
        if (s->tid == getpid())
            s->stack_hi = (uint64_t)(uintptr_t)__libc_stack_end;
        tl_self_slot = s;
        /* The main thread too: its exit hook runs when it ends by
         * pthread_exit or cancellation (never at exit()). */
        pthread_setspecific(exit_key, s);
        __atomic_fetch_add(&counters.adopted, 1, __ATOMIC_RELAXED);
        publish(s);
    }
    tl_busy_leave(was_busy);
    errno = saved;
    return s;
}

TL_HIDDEN void tl_thread_exiting(struct tl_slot *s)
{
    if (!s || tl_self_slot != s)
        return;
    /* The creator may still be writing this thread's TLS; let it finish
     * before the descriptor can be freed. */
    while (!__atomic_load_n(&s->creator_done, __ATOMIC_ACQUIRE))
        sched_yield();
    tl_block_end(s);
    /* The process's first thread (main, or a fork child's only thread)
     * ending while others run: nobody can join it, it is gone. */
    if (s->tid == getpid()) {
        leader_exiting();
        __atomic_fetch_or(&s->life, TL_LIFE_DETACHED, __ATOMIC_ACQ_REL);
    }
    /* tl_self_slot stays: a joiner finds the slot through it. */
    tl_exiting = 1;
    uint32_t old = __atomic_fetch_or(&s->life, TL_LIFE_EXITED, __ATOMIC_ACQ_REL);
    if (old & TL_LIFE_DETACHED) {
        __atomic_fetch_add(&counters.finished_detached, 1, __ATOMIC_RELAXED);
        tl_slot_release(s);
    }
}

TL_HIDDEN struct tl_slot *tl_slot_of(pthread_t t)
{
    if (!t || !slots)
        return NULL;
    return *(struct tl_slot *volatile *)((char *)t + tls_offset);
}

TL_HIDDEN void tl_set_slot_of(pthread_t t, struct tl_slot *s)
{
    *(struct tl_slot *volatile *)((char *)t + tls_offset) = s;
}

TL_HIDDEN void tl_note_joined(struct tl_slot *s, uint32_t gen, pthread_t t)
{
    if (!s || __atomic_load_n(&s->gen, __ATOMIC_RELAXED) != gen || s->handle != (uint64_t)t)
        return;
    if (s->state != TL_SLOT_LIVE || (s->life & TL_LIFE_DETACHED))
        return;
    __atomic_fetch_add(&counters.joined, 1, __ATOMIC_RELAXED);
    tl_slot_release(s);
}

TL_HIDDEN void tl_note_detached(struct tl_slot *s, pthread_t t)
{
    if (!s || s->handle != (uint64_t)t || s->state != TL_SLOT_LIVE)
        return;
    __atomic_fetch_add(&counters.detached, 1, __ATOMIC_RELAXED);
    uint32_t old = __atomic_fetch_or(&s->life, TL_LIFE_DETACHED, __ATOMIC_ACQ_REL);
    if ((old & TL_LIFE_EXITED) && !(old & TL_LIFE_DETACHED)) {
        __atomic_fetch_add(&counters.finished_detached, 1, __ATOMIC_RELAXED);
        tl_slot_release(s);
    }
}

/* In a fork child only the forking thread exists: every other slot is
 * gone, and the free list is rebuilt since another thread may have been
 * halfway through a push or pop. */
TL_HIDDEN void tl_registry_after_fork_child(void)
{
    if (!slots)
        return;
    struct tl_slot *me = tl_self_slot;
    free_head = 0;
    uint32_t n = tl_slot_count();
    for (uint32_t i = 0; i < n; i++) {
        struct tl_slot *s = &slots[i];
        /* A thread forked away halfway through a note left its sequence
         * odd: even again, or the slot's next owners would write it
         * inverted (found in review). */
        s->seq = (s->seq + 1) & ~1u;
        if (s == me)
            continue;
        s->state = TL_SLOT_FREE;
        push_free(s);
    }
    memset(&counters, 0, sizeof counters);
    if (me) {
        me->tid = tl_gettid();
        me->handle = (uint64_t)pthread_self();
        /* A fork child has no pending signal: none of ours is on its way. */
        me->cap_seen = me->cap_sent;
        me->capture = NULL;
        me->wait = TL_WAIT_NONE;
        me->creator_done = 1;
        /* The child's only thread is its main thread now. */
        me->life = TL_LIFE_ADOPTED;
        me->spawn_stack = 0;
        me->creator_tid = 0;
        counters.adopted = 1;
    }
}
