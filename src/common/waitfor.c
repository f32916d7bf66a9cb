/* Cycles of the wait-for graph, and cycles compared between dumps. */
#include <stdlib.h>
#include <string.h>

#include "common/waitfor.h"

int tl_waitfor_cycles(const int *next, int n, int *cycle)
{
    /* visit[i]: 0 unseen, k+1 seen by the walk that started at k */
    int *visit = calloc((size_t)n + 1, sizeof *visit);
    int cycles = 0;
    if (!visit) {
        for (int i = 0; i < n; i++)
            cycle[i] = -1;
        return 0;
    }
    for (int i = 0; i < n; i++)
        cycle[i] = -1;
    for (int start = 0; start < n; start++) {
        int i = start;
        while (i >= 0 && i < n && !visit[i]) {
            visit[i] = start + 1;
            i = next[i];
        }
        /* Back at a node of this walk: the walk closed a loop there. */
        if (i >= 0 && i < n && visit[i] == start + 1 && cycle[i] < 0) {
            int k = i;
            do {
                cycle[k] = cycles;
                k = next[k];
            } while (k != i);
            cycles++;
        }
    }
    free(visit);
    return cycles;
}

int tl_waitfor_edge(pid_t tid, int wait, const char *call, const tl_owner *o)
{
    if (wait != TL_WAIT_MUTEX && wait != TL_WAIT_RWLOCK && wait != TL_WAIT_JOIN)
        return 0;
    /* A timed wait (pthread_mutex_timedlock, pthread_clockjoin_np, ...)
     * ends by itself: it is not stuck, whoever holds what it waits for. */
    if (call && (strstr(call, "timed") || strstr(call, "clock")))
        return 0;
    if (!o->known || o->tid <= 0 || o->state != TL_BLOCKED)
        return 0;
    return !(o->tid == tid && (o->flags & TL_OWNER_NO_SELF_WAIT));
}

int tl_waitfor_members(const int *next, const int *cycle, int n, int k, const pid_t *tids,
                       int *members)
{
    int first = -1;
    for (int i = 0; i < n; i++)
        if (cycle[i] == k && (first < 0 || tids[i] < tids[first]))
            first = i;
    int m = 0, i = first;
    do {
        members[m++] = i;
        i = next[i];
    } while (i != first && m < n);
    return m;
}

void tl_group_add_owner(tl_group *g, const tl_owner *o)
{
    for (int i = 0; i < g->n_owners; i++)
        if (g->owners[i].tid == o->tid && g->owners[i].mutex == o->mutex &&
            g->owners[i].flags == o->flags)
            return;
    if (g->n_owners == TL_GROUP_OWNERS) {
        g->more_owners++;
        return;
    }
    if (!g->owners && !(g->owners = calloc(TL_GROUP_OWNERS, sizeof *g->owners)))
        return;
    g->owners[g->n_owners++] = *o;
}

static int has(const tl_deadlock *d, pid_t tid, uint64_t object)
{
    for (int i = 0; i < d->n; i++)
        if (d->threads[i].tid == tid && d->threads[i].object == object)
            return 1;
    return 0;
}

int tl_deadlock_same(const tl_deadlock *a, const tl_deadlock *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (!has(b, a->threads[i].tid, a->threads[i].object))
            return 0;
    return 1;
}

int tl_deadlock_find(const tl_dump *d, const tl_deadlock *c)
{
    for (int i = 0; d && i < d->n_deadlocks; i++)
        if (tl_deadlock_same(&d->deadlocks[i], c))
            return i;
    return -1;
}
