/* The process's address map, read from /proc through a live thread's task
 * directory: once main has called pthread_exit, /proc/PID/maps reads
 * empty, /proc/PID/task/TID/maps of a live thread does not. Sampler (or
 * dump lock holder) only. */
#ifndef THREADLEAK_MAPS_H
#define THREADLEAK_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "preload/visibility.h"

struct tl_mapping {
    uint64_t lo, hi; /* first, as tl_range_find (common/range.h) reads them */
    int exec;
    const char *path; /* NULL: anonymous; "[stack]", "[vdso]"... as the kernel names them */
};

/* Reads the map again; its text (for libdw) stays valid until the next
 * call. 0, or -1 when it could not be read (the previous one is kept). */
TL_HIDDEN int tl_maps_refresh(void);
TL_HIDDEN const char *tl_maps_text(size_t *len);
/* The mapping holding addr, or NULL. */
TL_HIDDEN const struct tl_mapping *tl_maps_find(uint64_t addr);

#endif
