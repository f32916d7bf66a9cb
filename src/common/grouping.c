/* Counting, objects and order of a dump's groups, for library and command. */
#include <stdlib.h>

#include "common/grouping.h"

void tl_counts_add(tl_counts *c, int state, int wait)
{
    c->live++;
    if (state == TL_BLOCKED) {
        c->blocked++;
        c->by_wait[wait]++;
    } else {
        c->running++;
    }
}

int tl_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int tl_cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return x < y ? -1 : x > y;
}

int tl_sort_unique_pid(pid_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, tl_cmp_pid);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    return m;
}

void tl_group_set_objects(tl_group *g, uint64_t *objects)
{
    g->objects = 0;
    g->object = 0;
    if (g->state != TL_BLOCKED || g->count < 1)
        return;
    uint64_t first = objects[0];
    qsort(objects, (size_t)g->count, sizeof *objects, tl_cmp_u64);
    for (int i = 0; i < g->count; i++)
        if (i == 0 || objects[i] != objects[i - 1])
            g->objects++;
    g->object = g->objects == 1 ? first : 0;
}

int tl_group_order(const void *a, const void *b)
{
    const tl_group *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    if (x->state != y->state)
        return y->state == TL_BLOCKED ? 1 : -1;
    return x->n_tids && y->n_tids ? x->tids[0] - y->tids[0] : 0;
}
