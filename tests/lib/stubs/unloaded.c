/* See unloaded.h: the unload epoch without the dlclose wrapper that keeps it. */
#include "lib/stubs/unloaded.h"

#include "preload/unloaded.h"

uint32_t tlt_stub_unload_epoch;

uint32_t tl_unload_epoch(void)
{
    return tlt_stub_unload_epoch;
}
