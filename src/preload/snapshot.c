/* Reading the registry while it is written: each slot is read under its
 * sequence counter, and a blocked thread's stack is unwound from the
 * registers its wrapper saved, then checked against the counter again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/config.h"
#include "preload/log.h"
#include "preload/snapshot.h"
#include "preload/stacks.h"

/* Blocked stacks already unwound, per slot, valid while its seq holds. */
static uint32_t *cached_seq, *cached_stack;
static uint32_t cached_cap;
TL_HIDDEN void tl_snapshot_prepare(uint32_t n)
{
    if (n <= cached_cap)
        return;
    uint32_t cap = n + n / 2 + 64;
    uint32_t *a = realloc(cached_seq, cap * sizeof *a);
    if (!a)
        return;
    cached_seq = a;
    uint32_t *b = realloc(cached_stack, cap * sizeof *b);
    if (!b)
        return;
    cached_stack = b;
    memset(cached_seq + cached_cap, 0xff, (cap - cached_cap) * sizeof *a);
    cached_cap = cap;
}

static uint32_t blocked_stack(uint32_t idx, uint32_t seq, const struct tl_regs *r)
{
    if (idx < cached_cap && cached_seq[idx] == seq)
        return cached_stack[idx];
    uint64_t ips[TL_MAX_FRAMES];
    int depth = tl_unwind_blocked(r, ips, tl_config.frames);
    return tl_intern(ips, depth);
}

/* A thread threadleak adopted but did not start may end without running
 * its exit hook (raw clone): it is gone when the kernel no longer knows it. */
TL_HIDDEN int tl_tid_gone(pid_t tid)
{
    int saved = errno;
    int gone = tid != getpid() && tl_real.syscall(SYS_tgkill, getpid(), tid, 0, 0, 0, 0) == -1 &&
               errno == ESRCH;
    errno = saved;
    return gone;
}

static int adopted_and_gone(const struct tl_slot *s, uint32_t life)
{
    if (!(life & TL_LIFE_ADOPTED))
        return 0;
    return tl_tid_gone(*(volatile pid_t *)&s->tid);
}

TL_HIDDEN void tl_thread_comm(pid_t tid, char *name, size_t size)
{
    if (tl_task_file(tid, "comm", name, size) != 0)
        return;
    char *nl = strchr(name, '\n');
    if (nl)
        *nl = 0;
}

/* An object the waiting thread left for us to read (TL_OBJ_AT_*): read it
 * without trusting the program's pointer; 0 when it cannot be read. */
static uint64_t resolve_object(int wait, uint64_t object)
{
    if (wait == TL_WAIT_CHILD) /* -pgid as waitpid takes it: its high bits are no flags */
        return object == TL_OBJ_OWN_GROUP ? (uint64_t) - (int64_t)getpgrp() : object;
    if (!(object & (TL_OBJ_AT_INT | TL_OBJ_AT_U64)))
        return object;
    if (tl_unwind_unknown()) /* a sandbox forbids the read: unknown */
        return 0;
    int is_int = (object & TL_OBJ_AT_INT) != 0, saved = errno;
    uint64_t v = 0;
    int32_t i = 0;
    struct iovec local = {is_int ? (void *)&i : (void *)&v, is_int ? sizeof i : sizeof v};
    struct iovec remote = {(void *)(uintptr_t)TL_OBJ_ADDR(object), local.iov_len};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)local.iov_len)
        v = 0, i = 0;
    errno = saved;
    return is_int ? (uint64_t)(int64_t)i : v;
}

/* A note left behind when the program siglongjmp'ed out of a wait: its
 * wrapper's frame no longer holds the mark (wrap.h) once the thread has
 * run over it. Checked when a note's stack is first unwound (a system call
 * next to the unwind's dozens): a note seen live once is not checked again,
 * which would cost every dump one call per blocked thread. A mark that
 * cannot be read leaves the note as it is. */
static int left_behind(const struct tl_slot *s, uint32_t seq, uint64_t mark)
{
    if (!mark || tl_unwind_unknown())
        return 0;
    int saved = errno;
    uint64_t v = 0;
    struct iovec local = {&v, sizeof v}, remote = {(void *)(uintptr_t)mark, sizeof v};
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    errno = saved;
    return n == (ssize_t)sizeof v && v != tl_mark_of(s, seq);
}

/* A running thread is never interrupted to see where it is: its stack in a
 * dump is the one frame known for sure, its start routine (ip + 1, as the
 * symbolizer takes every ip for a return address). */
static uint32_t start_stack(const struct tl_slot *s)
{
    uint64_t ip = (uint64_t)(uintptr_t) * (tl_start_fn volatile *)&s->start;
    if (!ip || (s->life & TL_LIFE_ADOPTED))
        return 0;
    ip += 1;
    return tl_intern(&ip, 1);
}

/* One slot, read without stopping its thread. 0 when the slot holds no
 * thread worth showing. */
static int read_thread(uint32_t idx, struct tl_snap *out, uint64_t now, int want_stacks)
{
    struct tl_slot *s = tl_slot_at(idx);
    uint32_t life = __atomic_load_n(&s->life, __ATOMIC_ACQUIRE);
    if (adopted_and_gone(s, life))
        return 0;
    memset(out, 0, sizeof *out);
    out->idx = idx;
    out->handle = __atomic_load_n(&s->handle, __ATOMIC_RELAXED);
    out->tid = *(volatile pid_t *)&s->tid;
    out->creator = s->creator_tid;
    out->spawn = s->spawn_stack;
    memcpy(out->name, (const void *)s->name, sizeof out->name);
    out->name[sizeof out->name - 1] = 0;
    memcpy(out->creator_name, (const void *)s->creator_name, sizeof out->creator_name);
    out->creator_name[sizeof out->creator_name - 1] = 0;
    if (life & TL_LIFE_EXITED) {
        if (life & TL_LIFE_DETACHED)
            return 0;
        out->state = TL_EXITED;
        out->stack = start_stack(s); /* which threads they were: what they ran */
        return 1;
    }
    out->state = TL_RUNNING;
    for (int tries = 0; tries < 8; tries++) {
        uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
        if (q & 1)
            continue;
        int wait = (int)__atomic_load_n(&s->wait, __ATOMIC_RELAXED);
        const char *call = __atomic_load_n(&s->call, __ATOMIC_RELAXED);
        uint64_t object = __atomic_load_n(&s->object, __ATOMIC_RELAXED);
        uint64_t since = __atomic_load_n(&s->since_ns, __ATOMIC_RELAXED);
        uint64_t mark = __atomic_load_n(&s->mark, __ATOMIC_RELAXED);
        uint64_t aux = __atomic_load_n(&s->aux, __ATOMIC_RELAXED);
        struct tl_regs regs;
        memcpy(&regs, (const void *)&s->regs, sizeof regs);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != q)
            continue;
        int cached = idx < cached_cap && cached_seq[idx] == q;
        if (wait == TL_WAIT_NONE || (want_stacks && !cached && left_behind(s, q, mark))) {
            out->stack = start_stack(s);
            return 1;
        }
        uint32_t stack = want_stacks ? blocked_stack(idx, q, &regs) : 0;
        /* The stack is only right if the thread never left this wait. */
        if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != q)
            continue;
        if (want_stacks && idx < cached_cap) {
            cached_seq[idx] = q;
            cached_stack[idx] = stack;
        }
        out->state = TL_BLOCKED;
        out->wait = wait;
        out->call = call;
        out->object = resolve_object(wait, object);
        out->blocked_ns = now > since ? now - since : 0;
        out->aux = wait == TL_WAIT_COND ? aux : 0;
        out->seq = q;
        out->stack = stack;
        return 1;
    }
    out->stack = start_stack(s); /* too busy to pin down: it is running */
    return 1;
}

TL_HIDDEN int tl_read_slot(uint32_t idx, struct tl_snap *out, uint64_t now, int want_stacks)
{
    struct tl_slot *s = tl_slot_at(idx);
    if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != TL_SLOT_LIVE)
        return 0;
    /* A slot freed and claimed again while we read it mixes two threads. */
    uint32_t gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
    int shown = read_thread(idx, out, now, want_stacks);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return shown && __atomic_load_n(&s->gen, __ATOMIC_RELAXED) == gen &&
           __atomic_load_n(&s->state, __ATOMIC_RELAXED) == TL_SLOT_LIVE;
}

TL_HIDDEN int tl_snap_still(const struct tl_snap *s)
{
    struct tl_slot *slot = tl_slot_at(s->idx);
    return s->state == TL_BLOCKED && __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE) == s->seq &&
           __atomic_load_n(&slot->state, __ATOMIC_RELAXED) == TL_SLOT_LIVE &&
           *(volatile pid_t *)&slot->tid == s->tid;
}

TL_HIDDEN void tl_count(tl_counts *c)
{
    memset(c, 0, sizeof *c);
    uint32_t n = tl_slot_count();
    for (uint32_t i = 0; i < n; i++) {
        struct tl_slot *s = tl_slot_at(i);
        if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != TL_SLOT_LIVE)
            continue;
        uint32_t life = __atomic_load_n(&s->life, __ATOMIC_ACQUIRE);
        if (adopted_and_gone(s, life))
            continue;
        if (life & TL_LIFE_EXITED) {
            if (!(life & TL_LIFE_DETACHED))
                c->exited_unjoined++;
            continue;
        }
        c->live++;
        uint32_t w = __atomic_load_n(&s->wait, __ATOMIC_RELAXED);
        if (w != TL_WAIT_NONE && w < TL_WAIT_COUNT) {
            c->blocked++;
            c->by_wait[w]++;
        } else {
            c->running++;
        }
    }
    struct tl_counters k;
    tl_counters_read(&k);
    c->created = k.created;
    c->joined = k.joined;
    c->detached = k.detached;
}
