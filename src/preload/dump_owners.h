/* Why blocked threads cannot move: lock owners, cond mutexes, join
 * targets and deadlock cycles, added to a dump already grouped. */
#ifndef THREADLEAK_DUMP_OWNERS_H
#define THREADLEAK_DUMP_OWNERS_H

#include "common/model.h"
#include "preload/snapshot.h"

typedef tl_stack (*tl_stack_of_fn)(void *ctx, uint32_t id);

/* Fills owner in d's groups and threads, and d's deadlocks. The snapshot
 * is the one d was built from; stack_of symbolizes an interned stack into
 * memory d owns. Free with tl_owners_free (common/owners.h). */
TL_HIDDEN void tl_dump_owners(tl_dump *d, const struct tl_snap *snaps, int n,
                              tl_stack_of_fn stack_of, void *ctx);

#endif
