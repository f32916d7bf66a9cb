/* Stand-ins for the parts of the preload library that a unit test does
 * not link (they interpose libc, or need the whole library running). Only
 * test_preload_unit links them (Makefile). */
#ifndef TLT_STUBS_UNLOADED_H
#define TLT_STUBS_UNLOADED_H

#include <stdint.h>

/* What tl_unload_epoch() returns (src/preload/unloaded.c counts the
 * modules dlclose has unloaded; the test sets the count). */
extern uint32_t tlt_stub_unload_epoch;

#endif
