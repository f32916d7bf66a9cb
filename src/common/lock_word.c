/* Lock owners from glibc 2.36's lock words (nptl/pthread_mutex_lock.c,
 * pthread_rwlock_common.c). */
#include <limits.h>
#include <string.h>

#include "common/lock_word.h"
#include "common/model.h"

enum {
    KIND_ROBUST = 16,
    KIND_PI = 32,
    KIND_PSHARED = 128,
    KIND_TYPE_BITS = 3,
    FUTEX_OWNER_DIED_BIT = 0x40000000,
    FUTEX_TID_BITS = 0x3fffffff,
    RWLOCK_READERS_SHIFT = 3,
};

static void mutex_owner(const pthread_mutex_t *m, struct tl_lock_owner *o)
{
    int kind = m->__data.__kind, lock = m->__data.__lock, owner = m->__data.__owner;
    o->pshared = (kind & KIND_PSHARED) != 0;
    if (kind & KIND_TYPE_BITS) /* recursive, error-checking, adaptive */
        o->flags |= TL_OWNER_NO_SELF_WAIT;
    if (kind & (KIND_ROBUST | KIND_PI)) {
        /* The kernel keeps these owners in the futex word itself. */
        o->tid = lock & FUTEX_TID_BITS;
        if (owner == INT_MAX || (lock & FUTEX_OWNER_DIED_BIT))
            o->flags |= TL_OWNER_DIED;
        else if (owner == INT_MAX - 1)
            o->flags |= TL_OWNER_UNUSABLE;
        return;
    }
    o->tid = owner > 0 && owner < INT_MAX - 1 ? owner : 0;
}

static void rwlock_owner(const pthread_rwlock_t *l, struct tl_lock_owner *o)
{
    o->flags = TL_OWNER_NO_SELF_WAIT; /* glibc answers EDEADLK */
    o->tid = l->__data.__cur_writer;
    o->pshared = l->__data.__shared != 0;
    unsigned readers = l->__data.__readers;
    if (o->tid <= 0 && (readers >> RWLOCK_READERS_SHIFT) > 0) {
        o->tid = 0;
        o->flags |= TL_OWNER_READERS;
        o->readers = (int)(readers >> RWLOCK_READERS_SHIFT);
    }
}

void tl_lock_word_owner(const void *bytes, int rw, struct tl_lock_owner *o)
{
    memset(o, 0, sizeof *o);
    if (!bytes) {
        o->flags = TL_OWNER_UNKNOWN;
        return;
    }
    /* a copy: the bytes need not be aligned */
    union {
        pthread_mutex_t m;
        pthread_rwlock_t l;
    } w;
    memcpy(&w, bytes, rw ? sizeof w.l : sizeof w.m);
    if (rw)
        rwlock_owner(&w.l, o);
    else
        mutex_owner(&w.m, o);
}
