/* Running-thread stacks (THREADLEAK_RUNNING_STACKS=1, `threadleak dump
 * --running`): where a running thread runs at the time of a dump. */
#ifndef THREADLEAK_RUNNING_H
#define THREADLEAK_RUNNING_H

#include <signal.h>

#include "preload/snapshot.h"

struct tl_running_report {
    const char *unavailable; /* why no thread could be captured; NULL */
    int n_unanswered;
    pid_t *unanswered_tids; /* malloc'd, with why (TL_CAPTURE_*) beside */
    int *unanswered_why;
    long skipped;
};

/* For the dump being built: sets capture (and current, sysno) of every
 * running thread among snaps but the calling one and requester (a thread
 * waiting for the dump in threadleak's own code). Waits a bounded time for
 * their answers. */
TL_HIDDEN void tl_running_capture(struct tl_snap *snaps, int n, pid_t requester,
                                  struct tl_running_report *rep);

#endif
