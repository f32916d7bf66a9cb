/* Sorted tables of address ranges that do not overlap (the process's
 * mappings, the loaded objects' segments), searched by address. Pure: no
 * locks, no allocation, safe in a signal handler. */
#ifndef THREADLEAK_RANGE_H
#define THREADLEAK_RANGE_H

#include <stddef.h>
#include <stdint.h>

struct tl_range {
    uint64_t lo, hi; /* [lo, hi) */
};

/* The index of the element that holds addr, or -1. base holds n elements
 * of stride bytes, sorted by lo, each starting with a struct tl_range. */
int tl_range_find(const void *base, int n, size_t stride, uint64_t addr);

#endif
