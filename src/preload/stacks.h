/* Stacks. Creation stacks are captured in the creating thread with
 * libgcc's unwinder; blocked-at stacks are unwound later, by the sampler, from the
 * registers a wrapper saved when it blocked. Both are interned: identical
 * stacks are stored once, in memory that is never freed. */
#ifndef THREADLEAK_STACKS_H
#define THREADLEAK_STACKS_H

#include <stdint.h>

#include "preload/registry.h"

#define TL_MAX_FRAMES 128

TL_HIDDEN int tl_stacks_init(void);
TL_HIDDEN void tl_stacks_fork_prepare(void);
TL_HIDDEN void tl_stacks_fork_parent(void);
TL_HIDDEN void tl_stacks_after_fork_child(void);

/* In the creating thread: the interned creation stack, 0 when unknown. */
TL_HIDDEN uint32_t tl_capture_spawn_stack(void);

/* Interning. An id is never 0 for a stored stack. */
TL_HIDDEN uint32_t tl_intern(const uint64_t *ips, int depth);
/* The addresses of a stack and the unload epoch it was captured in. */
TL_HIDDEN int tl_stack_get(uint32_t id, const uint64_t **ips, uint32_t *epoch);

/* Sampler only: unwinds a blocked thread from its saved registers without
 * trusting its stack memory; returns the depth, frames of threadleak itself
 * left out. */
TL_HIDDEN int tl_unwind_blocked(const struct tl_regs *r, uint64_t *ips, int max);

/* Whether ip belongs to threadleak itself (its frames are never shown);
 * own_code.c, below both the capture and the unwinder. */
TL_HIDDEN void tl_own_code_init(void);
TL_HIDDEN int tl_ip_is_ours(uint64_t ip);

/* Module-private start-up and refresh hooks. */
TL_HIDDEN int tl_intern_init(void);
TL_HIDDEN int tl_unwind_init(void);
/* Why blocked-at stacks cannot be read (NULL: they can). */
TL_HIDDEN const char *tl_unwind_unknown(void);
TL_HIDDEN void tl_unwind_refresh(void); /* before a batch of unwinds */
/* fork's handlers, through tl_stacks_fork_*: no fork while libunwind loads. */
TL_HIDDEN void tl_unwind_fork_prepare(void);
TL_HIDDEN void tl_unwind_fork_parent(void);
TL_HIDDEN void tl_unwind_after_fork_child(void);

#endif
