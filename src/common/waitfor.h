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

/* 1 when thread tid, blocked in wait (call) for its owner o, is an edge
 * of the graph: a lock or join wait that does not end by itself, for a
 * thread that is blocked too (only those can be on a cycle), and not a
 * relock that glibc answers at once with EDEADLK. */
int tl_waitfor_edge(pid_t tid, int wait, const char *call, const tl_owner *o);
/* The nodes of cycle k into members, from its lowest tid in wait-for
 * order (stable between dumps); returns how many. tids[i] is node i's. */
int tl_waitfor_members(const int *next, const int *cycle, int n, int k, const pid_t *tids,
                       int *members);
/* Adds o to the distinct owners of g (a group waiting on several
 * objects), the first TL_GROUP_OWNERS of them, counting the rest. */
#define TL_GROUP_OWNERS 5
void tl_group_add_owner(tl_group *g, const tl_owner *o);

/* 1 when both are the same threads waiting on the same objects. */
int tl_deadlock_same(const tl_deadlock *a, const tl_deadlock *b);
/* Index of the deadlock of d that is the same as c, or -1. */
int tl_deadlock_find(const tl_dump *d, const tl_deadlock *c);

#endif
