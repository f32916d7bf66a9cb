/* Dumps: a consistent snapshot of the registry, grouped by identical
 * stacks, symbolized, and written as text and/or JSON. Called by the
 * sampler thread, by the exit hook and by the API; never from a signal
 * handler. */
#ifndef THREADLEAK_DUMP_H
#define THREADLEAK_DUMP_H

#include "common/model.h"
#include "preload/visibility.h"

struct tl_dump_request {
    const char *stem; /* before % expansion */
    int formats;      /* TL_FORMAT_* */
    int detail_threads;
    const char *reason; /* "signal", "exit", "request", "api" */
};

/* Writes one dump; 0 or -errno. Serialized: one dump at a time. */
TL_HIDDEN int tl_dump_write(const struct tl_dump_request *req);

/* Builds the model of a dump (for the API); free with tl_dump_free. */
TL_HIDDEN tl_dump *tl_dump_build(const char *reason, int detail_threads);
TL_HIDDEN void tl_dump_free(tl_dump *d);

TL_HIDDEN void tl_dump_lock(void);
TL_HIDDEN void tl_dump_unlock(void);
TL_HIDDEN void tl_dump_after_fork_child(void);
TL_HIDDEN void tl_dump_file_after_fork_child(void);

#endif
