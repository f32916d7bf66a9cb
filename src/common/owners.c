/* Owners and deadlocks added to a dump, the same for library and command. */
#include <stdlib.h>
#include <string.h>

#include "common/owners.h"
#include "common/waitfor.h"

void tl_owner_of_lock(tl_owner *o, const struct tl_lock_owner *lo)
{
    memset(o, 0, sizeof *o);
    o->group = -1;
    o->known = 1;
    o->flags = lo->flags;
    o->readers = lo->readers;
}

int *tl_groups_of(const tl_dump *d, int n, tl_index_of_fn index_of, const void *ctx)
{
    int *g = malloc(((size_t)n + 1) * sizeof *g);
    if (!g)
        return NULL;
    for (int i = 0; i < n; i++)
        g[i] = -1;
    for (int i = 0; i < d->n_groups; i++)
        for (int k = 0; k < d->groups[i].n_tids; k++) {
            int s = index_of(ctx, d->groups[i].tids[k]);
            if (s >= 0)
                g[s] = i;
        }
    return g;
}

void tl_groups_set_owners(tl_dump *d, const tl_owner *own, tl_index_of_fn index_of, const void *ctx)
{
    for (int i = 0; i < d->n_groups; i++) {
        tl_group *g = &d->groups[i];
        if (g->state != TL_BLOCKED || g->n_tids < 1)
            continue;
        if (g->objects == 1) {
            int s = index_of(ctx, g->tids[0]);
            if (s >= 0)
                g->owner = own[s];
            continue;
        }
        for (int k = 0; k < g->n_tids; k++) {
            int s = index_of(ctx, g->tids[k]);
            if (s >= 0 && own[s].known)
                tl_group_add_owner(g, &own[s]);
        }
    }
}

tl_cycle_thread *tl_dump_add_deadlock(tl_dump *d, int m)
{
    tl_cycle_thread *t = calloc((size_t)m + 1, sizeof *t);
    tl_deadlock *all = t ? realloc(d->deadlocks, ((size_t)d->n_deadlocks + 1) * sizeof *all) : NULL;
    if (!all) {
        free(t);
        return NULL;
    }
    d->deadlocks = all;
    all[d->n_deadlocks].n = m;
    all[d->n_deadlocks].threads = t;
    d->n_deadlocks++;
    return t;
}

void tl_owners_free(tl_dump *d)
{
    for (int i = 0; i < d->n_groups; i++)
        free(d->groups[i].owners);
    for (int i = 0; i < d->n_deadlocks; i++)
        free(d->deadlocks[i].threads);
    free(d->deadlocks);
    d->deadlocks = NULL;
    d->n_deadlocks = 0;
}
