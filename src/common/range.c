/* Binary search over address ranges. */
#include <string.h>

#include "common/range.h"

int tl_range_find(const void *base, int n, size_t stride, uint64_t addr)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        struct tl_range r; /* a copy: the element's own type is the caller's */
        memcpy(&r, (const char *)base + (size_t)mid * stride, sizeof r);
        if (addr < r.lo)
            hi = mid - 1;
        else if (addr >= r.hi)
            lo = mid + 1;
        else
            return mid;
    }
    return -1;
}
