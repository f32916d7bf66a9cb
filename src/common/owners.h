/* Adding lock owners and deadlock cycles to a grouped dump: the steps that
 * are the same whether the threads were read by the library (its registry's
 * snapshot, src/preload/dump_owners.c) or by the command (ptrace,
 * src/cli/attach_owners.c). How an owner is read and described is each
 * side's own. */
#ifndef THREADLEAK_OWNERS_H
#define THREADLEAK_OWNERS_H

#include "common/lock_word.h"
#include "common/model.h"

/* The index (0..n-1) of thread tid in the caller's own table, -1 when it
 * has none. */
typedef int (*tl_index_of_fn)(const void *ctx, pid_t tid);

/* o is the owner lo read from a lock word: known, with its flags and
 * readers. The holder (lo->tid > 0) is the caller's to describe. */
void tl_owner_of_lock(tl_owner *o, const struct tl_lock_owner *lo);

/* For each of the caller's n threads, the index of its group in d, or -1;
 * NULL when out of memory. Free with free(). */
int *tl_groups_of(const tl_dump *d, int n, tl_index_of_fn index_of, const void *ctx);

/* The owners of d's blocked groups from own[] (indexed like index_of): a
 * group on one object has its first thread's owner; a group on several,
 * the distinct owners of its threads (tl_group_add_owner). */
void tl_groups_set_owners(tl_dump *d, const tl_owner *own, tl_index_of_fn index_of,
                          const void *ctx);

/* Appends a deadlock of m threads to d and returns its threads, zeroed for
 * the caller to fill; NULL (nothing appended) when out of memory. */
tl_cycle_thread *tl_dump_add_deadlock(tl_dump *d, int m);

/* Frees what the steps above added to d: the groups' owner lists and the
 * deadlocks (their stacks are the dump's). Before the groups are freed. */
void tl_owners_free(tl_dump *d);

#endif
