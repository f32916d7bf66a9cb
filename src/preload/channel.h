/* The library's side of the request channel (src/common/channel.h): the
 * sampler announces itself in /tmp/threadleak-<euid>/<pid>.ctl, sleeps on
 * the futex word of that page, and takes requests from <pid>.req. */
#ifndef THREADLEAK_PRELOAD_CHANNEL_H
#define THREADLEAK_PRELOAD_CHANNEL_H

#include <stdint.h>

#include "common/channel.h"
#include "preload/visibility.h"

/* Sampler thread: (re)creates the announcement when the process changed
 * its effective uid, or with check_file, when it is missing or was
 * replaced. Without check_file no file is touched (a sandboxed process may
 * trap every system call on files). */
TL_HIDDEN void tl_channel_announce(int check_file);
/* Sampler thread: sleeps up to ms, or until woken; 1 when woken. */
TL_HIDDEN int tl_channel_sleep(int ms);
/* Async-signal-safe: wakes the sampler. */
TL_HIDDEN void tl_channel_wake(void);
/* This process's start time in clock ticks (/proc/self/stat), which tells
 * its files from those of an earlier process with the same pid; 0 unknown. */
TL_HIDDEN uint64_t tl_own_start_ticks(void);
/* Sampler thread: 1 with a request in r, 0 when there is none, -1 when the
 * one there was not a valid request (it is removed either way). */
TL_HIDDEN int tl_channel_take(struct tl_request *r);
TL_HIDDEN void tl_channel_served(void);
TL_HIDDEN void tl_channel_set_flag(uint32_t flag);
/* At exit: the announcement goes away with the process. */
TL_HIDDEN void tl_channel_remove(void);
TL_HIDDEN void tl_channel_after_fork_child(void);

#endif
