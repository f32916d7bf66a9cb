/* The wait-for graph: each blocked thread waits for at most one other
 * (its lock's holder, the thread it joins), so cycles are found in one
 * walk. Shared by the library (to report cycles) and the command (to
 * compare cycles between dumps). */
#ifndef THREADLEAK_WAITFOR_H
#define THREADLEAK_WAITFOR_H

#include "common/model.h"

/* next[i]: the node i waits for, -1 for none. Sets cycle[i] to the number
 * of i's cycle (0, 1, ...) or -1, and returns how many cycles there are.
 * Nodes that only lead into a cycle are not on it. */
int tl_waitfor_cycles(const int *next, int n, int *cycle);

/* 1 when both are the same threads waiting on the same objects. */
int tl_deadlock_same(const tl_deadlock *a, const tl_deadlock *b);
/* Index of the deadlock of d that is the same as c, or -1. */
int tl_deadlock_find(const tl_dump *d, const tl_deadlock *c);

#endif
