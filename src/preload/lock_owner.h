/* Who holds a lock of this process, read from glibc's lock word at dump
 * time. */
#ifndef THREADLEAK_LOCK_OWNER_H
#define THREADLEAK_LOCK_OWNER_H

#include <stdint.h>

#include "common/lock_word.h"
#include "preload/visibility.h"

/* The owner of the rwlock (rw) or mutex (also a C11 mtx_t) at addr. The
 * lock is read through the kernel, so memory freed or unmapped since the
 * thread blocked gives TL_OWNER_UNKNOWN instead of a fault. */
TL_HIDDEN void tl_lock_owner(uint64_t addr, int rw, struct tl_lock_owner *o);

#endif
