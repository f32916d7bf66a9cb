/* JIT-compiled code named from the runtime's perf map, /tmp/perf-PID.map
 * ("START SIZE name" per line, hex without 0x), as `perf` does: java
 * -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit, node
 * --perf-basic-prof. Sampler (dump lock holder) only. */
#ifndef THREADLEAK_PERF_MAP_H
#define THREADLEAK_PERF_MAP_H

#include <stdint.h>

#include "preload/visibility.h"

/* Before a dump: reads the map again if the file changed. */
TL_HIDDEN void tl_perf_map_refresh(void);
/* The name of the code at addr (the last line covering it wins, as code
 * caches reuse memory), its start in *start; NULL when none. */
TL_HIDDEN const char *tl_perf_map_lookup(uint64_t addr, uint64_t *start);
/* The map's path, for frames named from it. */
TL_HIDDEN const char *tl_perf_map_path(void);

#endif
