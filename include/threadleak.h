/* threadleak — goleak for C: assert that code left no threads behind.
 * Link with -lthreadleak (pkg-config threadleak), or preload libthreadleak.so. */
#ifndef THREADLEAK_H
#define THREADLEAK_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct threadleak_snapshot threadleak_snapshot;

typedef struct {
    const char *const *ignore;           /* NULL-terminated globs on function names */
    unsigned timeout_ms;                 /* 0: 2000; retry with backoff until then */
    const threadleak_snapshot *baseline; /* threads alive in it are not leaks */
    FILE *report;                        /* NULL: stderr */
} threadleak_options;

/* 1 when interposition is live (the library is loaded and working). */
int threadleak_active(void);

/* The threads alive now, to pass as a baseline. */
threadleak_snapshot *threadleak_snapshot_take(void);
void threadleak_snapshot_free(threadleak_snapshot *snapshot);

/* 0 when no thread other than the caller (and those in the baseline or
 * matching an ignore glob) is live or exited-unjoined within the timeout;
 * otherwise the number of leaked threads, after writing a report of them
 * in the text dump format (a deadlock cycle among them first). */
int threadleak_verify_none(const threadleak_options *opts);

/* Write a dump now to path_stem + ".txt" / ".json"; formats is "text",
 * "json" or "text,json" (NULL: text). 0, or -errno. */
int threadleak_dump(const char *path_stem, const char *formats);

#ifdef __cplusplus
}
#endif
#endif
