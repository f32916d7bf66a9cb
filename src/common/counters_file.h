/* The per-process counters file, in the manner of the JVM's hsperfdata: the
 * sampler of each preloaded process keeps /tmp/threadleak-<euid>/<pid>.counters
 * (one page, memory-mapped) up to date every period; `threadleak serve`
 * reads it without touching the process. Fixed layout, native byte order
 * (reader and writer are on the same machine); a new field goes at the end
 * and `size` tells a reader how much of it the writer knew. */
#ifndef THREADLEAK_COUNTERS_FILE_H
#define THREADLEAK_COUNTERS_FILE_H

#include <stdint.h>

#define TL_CFILE_MAGIC "TLCOUNT1"
#define TL_CFILE_SIZE 4096
#define TL_CFILE_WAITS 16 /* room for more wait kinds than model.h has */

struct tl_cfile {
    char magic[8];
    uint32_t version; /* 1 */
    uint32_t size;    /* sizeof (struct tl_cfile) as the writer knows it */
    /* Even when the fields are whole; odd while the sampler writes them. A
     * reader copies the fields and retries when seq changed or was odd. */
    uint64_t seq;
    int32_t pid;
    uint32_t interval_ms;
    uint64_t start_ticks;     /* /proc/<pid>/stat starttime: a reused pid has another */
    uint64_t updated_unix_ns; /* the last update */
    int64_t live, running, blocked, exited_unjoined;
    int64_t created, joined, detached;
    int64_t peak;       /* most live threads a sample saw */
    int64_t deadlocked; /* -1: not known */
    int64_t by_wait[TL_CFILE_WAITS];
    char program[256]; /* the executable's path, NUL-terminated */
};

#endif
