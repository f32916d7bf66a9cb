/* The parts of a dump that say where running threads run (running-stack
 * captures), in text and JSON. Present only in dumps that asked for them. */
#include "common/model.h"

static const char *why_text(int capture)
{
    switch (capture) {
    case TL_CAPTURE_SIGNAL_BLOCKED:
        return "signal blocked";
    case TL_CAPTURE_NO_ANSWER:
        return "no answer within 100 ms";
    case TL_CAPTURE_UNAVAILABLE:
        return "unavailable in this process";
    case TL_CAPTURE_SKIPPED:
        return "not taken: over 256 running threads";
    default:
        return NULL;
    }
}

const tl_stack *tl_group_where(const tl_group *g)
{
    return g->current_stack.depth > 0 ? &g->current_stack : &g->stack;
}

void tl_write_running_text(FILE *out, const tl_dump *d)
{
    if (!d->running_asked)
        return;
    if (d->running_unavailable)
        fprintf(out, "running stacks: unavailable: %s\n", d->running_unavailable);
    if (d->n_unanswered > 0) {
        fprintf(out, "running stacks: %d thread%s did not answer:", d->n_unanswered,
                d->n_unanswered == 1 ? "" : "s");
        for (int i = 0; i < d->n_unanswered; i++)
            fprintf(out, "%s %d (%s)", i ? "," : "", (int)d->unanswered_tids[i],
                    why_text(d->unanswered_why[i]));
        fputc('\n', out);
    }
    if (d->running_skipped > 0)
        fprintf(out, "running stacks: %ld thread%s over the limit of 256 not captured\n",
                d->running_skipped, d->running_skipped == 1 ? "" : "s");
}

int tl_write_running_header(FILE *out, const tl_group *g)
{
    if (g->state != TL_RUNNING)
        return 0;
    const tl_frame *top = g->current_stack.depth > 0 ? &g->current_stack.frames[0] : NULL;
    if (g->capture == TL_CAPTURE_IN_SYSCALL) {
        if (g->capture_syscall)
            fprintf(out, "running, in system call %s", g->capture_syscall);
        else
            fputs("running, in a system call", out);
        return 1;
    }
    if (g->capture != TL_CAPTURE_OK || !top)
        return 0;
    fputs("running in ", out);
    if (top->function)
        fputs(top->function, out);
    else
        fprintf(out, "0x%llx", (unsigned long long)top->ip);
    const char *file = tl_base_name(top->file);
    if (file && top->line > 0)
        fprintf(out, " %s:%d", file, top->line);
    return 1;
}

void tl_write_capture_note(FILE *out, const tl_group *g)
{
    const char *why = g->state == TL_RUNNING ? why_text(g->capture) : NULL;
    if (why)
        fprintf(out, "  current stack: %s\n", why);
}

void tl_write_capture_json(FILE *out, int capture, const char *syscall, const tl_stack *current)
{
    if (capture == TL_CAPTURE_NONE)
        return;
    fprintf(out, ",\"running_capture\":\"%s\"", tl_capture_name(capture));
    if (capture == TL_CAPTURE_IN_SYSCALL) {
        fputs(",\"running_syscall\":", out);
        tl_write_json_string(out, syscall);
    }
    if (current->depth > 0) {
        fputs(",\"current_stack\":", out);
        tl_write_stack_json(out, current);
    }
}

void tl_write_running_json(FILE *out, const tl_dump *d)
{
    if (!d->running_asked)
        return;
    fputs("\"running_stacks\":{\"unavailable\":", out);
    tl_write_json_string(out, d->running_unavailable);
    fputs(",\"not_answered\":[", out);
    for (int i = 0; i < d->n_unanswered; i++)
        fprintf(out, "%s{\"tid\":%d,\"why\":\"%s\"}", i ? "," : "", (int)d->unanswered_tids[i],
                tl_capture_name(d->unanswered_why[i]));
    fprintf(out, "],\"skipped\":%ld},", d->running_skipped);
}
