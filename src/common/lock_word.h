/* Who holds a glibc lock, decoded from the bytes of its pthread_mutex_t or
 * pthread_rwlock_t. Pure: the library reads its own memory, the command
 * reads a traced process's, and both decode here. */
#ifndef THREADLEAK_LOCK_WORD_H
#define THREADLEAK_LOCK_WORD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

struct tl_lock_owner {
    pid_t tid;   /* 0: not held, or held by readers only */
    int flags;   /* TL_OWNER_DIED, _UNUSABLE, _READERS, _UNKNOWN (model.h) */
    int readers; /* rwlock: readers holding it */
    int pshared; /* process-shared: the tid may be another process's */
};

/* bytes: sizeof(pthread_rwlock_t) bytes of an rwlock (rw), or
 * sizeof(pthread_mutex_t) of a mutex (also a C11 mtx_t); NULL when they
 * could not be read (TL_OWNER_UNKNOWN). */
void tl_lock_word_owner(const void *bytes, int rw, struct tl_lock_owner *o);

#endif
