/* Who holds a lock of this process, read from glibc's lock word at dump
 * time. */
#ifndef THREADLEAK_LOCK_OWNER_H
#define THREADLEAK_LOCK_OWNER_H

#include <stdint.h>

#include "common/lock_word.h"
#include "preload/visibility.h"

/* Both read the lock through the kernel, so memory freed or unmapped since
 * the thread blocked gives TL_OWNER_UNKNOWN instead of a fault. Also for
 * C11 mtx_t, which is a pthread_mutex_t. */
TL_HIDDEN void tl_mutex_owner(uint64_t addr, struct tl_lock_owner *o);
TL_HIDDEN void tl_rwlock_owner(uint64_t addr, struct tl_lock_owner *o);

#endif
