/* The counters file for `threadleak serve` (common/counters_file.h). */
#ifndef THREADLEAK_PRELOAD_COUNTERS_FILE_H
#define THREADLEAK_PRELOAD_COUNTERS_FILE_H

#include "preload/visibility.h"

/* The sampler, as it starts: maps the page before the program can unmap
 * memory of its own whose address a later mapping of ours would take. */
TL_HIDDEN void tl_cfile_open(void);
TL_HIDDEN void tl_cfile_update(void); /* the sampler, each period, under the dump lock */
TL_HIDDEN void tl_cfile_remove(void); /* at exit */
TL_HIDDEN void tl_cfile_after_fork_child(void);

#endif
