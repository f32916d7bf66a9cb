/* Which groups of two dumps are "the same": equal state, wait kind,
 * blocked stack and creation stack. Frames compare as the library groups
 * them: by function, file and line where the line is known (an unrolled
 * loop's call sites are one), else by function and offset (stable across
 * runs of one binary despite ASLR), else by raw address. */
#include <fnmatch.h>
#include <string.h>

#include "cli/cli.h"

static int frame_same(const tl_frame *a, const tl_frame *b)
{
    if (a->function && b->function) {
        if (strcmp(a->function, b->function) != 0)
            return 0;
        if (a->file && b->file && a->line > 0 && b->line > 0)
            return a->line == b->line && strcmp(a->file, b->file) == 0;
        return a->offset == b->offset;
    }
    if (a->function || b->function)
        return 0;
    return a->ip == b->ip;
}

static int stack_same(const tl_stack *a, const tl_stack *b)
{
    if (a->depth != b->depth)
        return 0;
    for (int i = 0; i < a->depth; i++)
        if (!frame_same(&a->frames[i], &b->frames[i]))
            return 0;
    return 1;
}

int tl_group_same(const tl_group *a, const tl_group *b)
{
    return a->state == b->state && a->wait == b->wait && stack_same(&a->stack, &b->stack) &&
           stack_same(&a->spawn_stack, &b->spawn_stack);
}

int tl_group_find(const tl_dump *d, const tl_group *g)
{
    for (int i = 0; d && i < d->n_groups; i++)
        if (tl_group_same(&d->groups[i], g))
            return i;
    return -1;
}

/* The first glob matching a function of s, or -1. */
static int stack_matches(const tl_stack *s, char *const *globs, int n_globs)
{
    for (int j = 0; j < n_globs; j++)
        for (int i = 0; i < s->depth; i++)
            if (s->frames[i].function && fnmatch(globs[j], s->frames[i].function, 0) == 0)
                return j;
    return -1;
}

int tl_group_match(const tl_group *g, char *const *globs, int n_globs)
{
    if (n_globs <= 0)
        return -1;
    int a = stack_matches(&g->stack, globs, n_globs),
        b = stack_matches(&g->spawn_stack, globs, n_globs);
    return a < 0 ? b : b < 0 || a < b ? a : b;
}

int tl_group_ignored(const tl_group *g, char *const *globs, int n_globs)
{
    return tl_group_match(g, globs, n_globs) >= 0;
}
