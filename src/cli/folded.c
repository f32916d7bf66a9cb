/* A dump as Brendan Gregg's folded stacks, for flamegraph.pl and
 * speedscope: `report --format folded` writes it, the HTML page draws its
 * flame graph from it. */
#include "cli/cli.h"

static void folded_frame(FILE *out, const tl_frame *f, int *first)
{
    if (!*first)
        fputc(';', out);
    *first = 0;
    if (!f->function) {
        fprintf(out, "0x%llx", (unsigned long long)f->ip);
        return;
    }
    for (const char *p = f->function; *p; p++)
        fputc(*p == ';' ? ':' : (*p == '\n' || *p == '\r') ? ' ' : *p, out);
}

static void folded_stack(FILE *out, const tl_stack *s, int *first)
{
    for (int i = s->depth - 1; i >= 0; i--) /* outermost frame first */
        folded_frame(out, &s->frames[i], first);
}

static void folded_leaf(FILE *out, const tl_group *g, int *first)
{
    fputs(*first ? "" : ";", out);
    *first = 0;
    if (g->state == TL_BLOCKED)
        fprintf(out, "[%s]", tl_wait_name(g->wait) ? tl_wait_name(g->wait) : "blocked");
    else if (g->state == TL_EXITED)
        fputs("[exited unjoined]", out);
    else
        fputs("[running]", out);
}

int tl_write_folded(FILE *out, const tl_dump *d, int with_spawn)
{
    for (int i = 0; i < d->n_groups; i++) {
        const tl_group *g = &d->groups[i];
        if (g->count <= 0)
            continue;
        int first = 1;
        if (with_spawn && g->spawn_stack.depth > 0) {
            folded_stack(out, &g->spawn_stack, &first);
            fputs(";[new thread]", out);
        }
        folded_stack(out, tl_group_where(g), &first);
        folded_leaf(out, g, &first);
        fprintf(out, " %d\n", g->count);
    }
    return ferror(out) ? -1 : 0;
}
