/* The text dump, for people: grouped like Go's goroutine?debug=1. */
#include <string.h>
#include <time.h>

#include "common/model.h"

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

static void write_seconds(FILE *out, uint64_t ns)
{
    double s = ns / 1e9;
    if (s < 10)
        fprintf(out, "%.1fs", s);
    else
        fprintf(out, "%.0fs", s);
}

void tl_write_frames_text(FILE *out, const tl_stack *s)
{
    for (int i = 0; i < s->depth; i++) {
        const tl_frame *f = &s->frames[i];
        char fn[64], where[256];
        if (f->function)
            snprintf(fn, sizeof fn, "%s%s", f->function, f->inlined ? " (inlined)" : "");
        else
            snprintf(fn, sizeof fn, "0x%llx", (unsigned long long)f->ip);
        if (f->file && f->line > 0)
            snprintf(where, sizeof where, "%s:%d", base_name(f->file), f->line);
        else if (f->file)
            snprintf(where, sizeof where, "%s", base_name(f->file));
        else
            where[0] = 0;
        fprintf(out, "    #%-2d %-20s %-16s %s\n", i, fn, where,
                f->module ? base_name(f->module) : "?");
    }
}

static void write_wait(FILE *out, const tl_group *g)
{
    fprintf(out, "blocked in %s", tl_wait_name(g->wait) ? tl_wait_name(g->wait) : "?");
    if (g->wait_call && g->objects <= 1 && g->object)
        fprintf(out, " (%s 0x%llx)", g->wait_call, (unsigned long long)g->object);
    else if (g->wait_call && g->objects > 1)
        fprintf(out, " (%s, %d objects)", g->wait_call, g->objects);
    else if (g->wait_call)
        fprintf(out, " (%s)", g->wait_call);
    fputs(" for ", out);
    write_seconds(out, g->blocked_min_ns);
    if (g->blocked_max_ns - g->blocked_min_ns >= 50000000) {
        fputs("\u2013", out);
        write_seconds(out, g->blocked_max_ns);
    }
}

int tl_write_group_text(FILE *out, const tl_group *g)
{
    fprintf(out, "%d thread%s", g->count, g->count == 1 ? "" : "s");
    if (g->growth >= 0)
        fprintf(out, " (+%ld)", g->growth);
    fputs(" \u00b7 ", out);
    if (g->state == TL_BLOCKED)
        write_wait(out, g);
    else if (g->state == TL_EXITED)
        fputs("exited, never joined or detached", out);
    else if (g->stack.depth == 1)
        fputs("running, started in", out);
    else
        fputs("running", out);
    fputc('\n', out);
    tl_write_frames_text(out, &g->stack);
    tl_write_owners_text(out, g);
    if (g->spawn_stack.depth == 0 && g->creator_tid == 0) {
        fputs(g->has_main ? "  main thread\n" : "  created where threadleak could not see\n", out);
    } else {
        fprintf(out, "  created by thread %d", (int)g->creator_tid);
        if (g->creator_name && g->creator_name[0])
            fprintf(out, " (%s)", g->creator_name);
        if (g->n_creators > 1)
            fprintf(out, " and %d other%s", g->n_creators - 1, g->n_creators == 2 ? "" : "s");
        fputs(" at\n", out);
        tl_write_frames_text(out, &g->spawn_stack);
    }
    return ferror(out) ? -1 : 0;
}

int tl_write_text(FILE *out, const tl_dump *d)
{
    char when[32] = "?";
    time_t secs = (time_t)(d->time_unix_ns / 1000000000ull);
    struct tm tm;
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const tl_counts *c = &d->counts;
    fprintf(out, "threadleak dump %d \u00b7 pid %d \u00b7 %s \u00b7 %s\n", d->number, d->pid,
            d->program ? d->program : "?", when);
    fprintf(out,
            "threads: %ld live (%ld blocked, %ld running), %ld exited unjoined \u00b7 "
            "%ld created, %ld joined\n",
            c->live, c->blocked, c->running, c->exited_unjoined, c->created, c->joined);
    if (d->stacks_unknown)
        fprintf(out, "stacks: %s\n", d->stacks_unknown);
    tl_write_deadlocks_text(out, d);
    for (int i = 0; i < d->n_groups; i++) {
        fputc('\n', out);
        tl_write_group_text(out, &d->groups[i]);
    }
    return ferror(out) ? -1 : 0;
}
