/* The rules of grouping threads into a dump's groups that do not depend on
 * how the threads were read: the library groups its registry's snapshot by
 * interned stacks (src/preload/dump.c), the command a ptrace snapshot by
 * the stacks' source (src/cli/attach_dump.c); both count, tell the objects
 * apart and order the groups here, so their dumps agree. */
#ifndef THREADLEAK_GROUPING_H
#define THREADLEAK_GROUPING_H

#include "common/model.h"

/* A thread of the dump, in state (blocked in wait), counted in c. */
void tl_counts_add(tl_counts *c, int state, int wait);

/* The objects a blocked group's threads wait on (objects[i] is its i-th
 * thread's, g->count of them; sorted here): how many distinct ones, and
 * the object when there is one. */
void tl_group_set_objects(tl_group *g, uint64_t *objects);

/* qsort order of a dump's groups: largest first, blocked before running,
 * then by lowest tid. */
int tl_group_order(const void *a, const void *b);

/* qsort orders, and sorting with duplicates dropped (returns how many are
 * left). */
int tl_cmp_u64(const void *a, const void *b);
int tl_cmp_pid(const void *a, const void *b);
int tl_sort_unique_pid(pid_t *v, int n);

#endif
