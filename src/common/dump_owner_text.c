/* Lock owners and deadlock cycles in the text dump: one line under a
 * group saying who holds what it waits on, and a jstack-style block per
 * cycle at the top. */
#include "common/model.h"

/* "flush_log file.c:88", "flush_log", or "0x7f.. (libfoo.so)". */
static void write_where(FILE *out, const tl_frame *f)
{
    if (f->function)
        fputs(f->function, out);
    else
        fprintf(out, "0x%llx", (unsigned long long)f->ip);
    if (f->file && f->line > 0)
        fprintf(out, " %s:%d", tl_base_name(f->file), f->line);
    else if (!f->function && f->module)
        fprintf(out, " (%s)", tl_base_name(f->module));
}

static void write_thread(FILE *out, pid_t tid, const char *name)
{
    fprintf(out, "thread %d", (int)tid);
    if (name && name[0])
        fprintf(out, " (%s)", name);
}

/* ", blocked in mutex at f file.c:88", ", running", ", which exited". */
static void write_state(FILE *out, const tl_owner *o)
{
    if (o->flags & TL_OWNER_FOREIGN) {
        fputs(", outside this process (process-shared)", out);
        return;
    }
    if (o->flags & TL_OWNER_UNTRACKED) {
        fputs(", a thread threadleak does not track", out);
        return;
    }
    if (o->state == TL_EXITED) {
        fputs(", which exited", out);
        if (!(o->flags & TL_OWNER_GONE))
            fputs(" (never joined)", out);
        if (o->at.ip) {
            fputs("; started in ", out);
            write_where(out, &o->at);
        }
        if (o->created.ip) {
            fputs(", created at ", out);
            write_where(out, &o->created);
        }
        return;
    }
    if (o->state == TL_BLOCKED) {
        const char *w = tl_wait_name(o->wait);
        fprintf(out, ", blocked in %s", w ? w : "?");
    } else {
        fputs(o->at.ip ? ", running, started in" : ", running", out);
    }
    if (o->at.ip) {
        fputs(o->state == TL_BLOCKED ? " at " : " ", out);
        write_where(out, &o->at);
    }
}

static void write_robust(FILE *out, const tl_owner *o)
{
    if (o->flags & TL_OWNER_DIED)
        fputs(o->tid ? "; a previous owner died holding it and it was not made consistent"
                     : "; its owner died holding it (robust mutex: the next lock gets EOWNERDEAD)",
              out);
    if (o->flags & TL_OWNER_UNUSABLE)
        fputs("; not recoverable (robust mutex unlocked while inconsistent)", out);
}

void tl_write_owner_text(FILE *out, const char *indent, int wait, const tl_owner *o)
{
    if (!o->known)
        return;
    fputs(indent, out);
    if (wait == TL_WAIT_JOIN) {
        if (o->flags & TL_OWNER_UNTRACKED) {
            fputs("joins a thread threadleak does not track\n", out);
            return;
        }
        fputs("joins ", out);
        write_thread(out, o->tid, o->name);
        write_state(out, o);
        fputc('\n', out);
        return;
    }
    if (wait == TL_WAIT_COND)
        fprintf(out, "mutex 0x%llx ", (unsigned long long)o->mutex);
    if (o->flags & TL_OWNER_UNKNOWN) {
        fputs(wait == TL_WAIT_COND
                  ? "not readable (freed or unmapped?)\n"
                  : "owner unknown: the lock is not readable (freed or unmapped?)\n",
              out);
        return;
    }
    if (o->flags & TL_OWNER_READERS) {
        fputs("held by readers (threadleak cannot tell which: glibc does not record them)\n", out);
        return;
    }
    if (o->tid <= 0) {
        fputs(wait == TL_WAIT_COND ? "not held" : "held by no thread glibc recorded", out);
        write_robust(out, o);
        fputc('\n', out);
        return;
    }
    fputs("held by ", out);
    if (o->flags & TL_OWNER_FOREIGN)
        fprintf(out, "tid %d", (int)o->tid);
    else
        write_thread(out, o->tid, o->name);
    write_state(out, o);
    write_robust(out, o);
    fputc('\n', out);
}

void tl_write_owners_text(FILE *out, const tl_group *g)
{
    if (g->owner.known && g->owner.tid > 0 && g->n_tids == 1 && g->tids[0] == g->owner.tid &&
        g->wait != TL_WAIT_COND && g->wait != TL_WAIT_JOIN)
        fputs("  held by this thread itself\n", out);
    else
        tl_write_owner_text(out, "  ", g->wait, &g->owner);
    for (int i = 0; i < g->n_owners; i++)
        tl_write_owner_text(out, "  ", g->wait, &g->owners[i]);
    if (g->more_owners > 0)
        fprintf(out, "  and %d other%s\n", g->more_owners, g->more_owners == 1 ? "" : "s");
}

static void write_cycle_thread(FILE *out, const tl_cycle_thread *t, const tl_cycle_thread *next)
{
    fputs("  ", out);
    write_thread(out, t->tid, t->name);
    const char *w = tl_wait_name(t->wait);
    fprintf(out, " \u00b7 blocked in %s", w ? w : "?");
    if (t->wait_call)
        fprintf(out, " (%s 0x%llx)", t->wait_call, (unsigned long long)t->object);
    fprintf(out, t->wait == TL_WAIT_JOIN ? ", joining thread %d" : ", held by thread %d",
            (int)t->owner_tid);
    if (next->tid == t->owner_tid && next->name[0])
        fprintf(out, " (%s)", next->name);
    fputc('\n', out);
    tl_write_frames_text(out, &t->stack);
}

void tl_write_deadlocks_text(FILE *out, const tl_dump *d)
{
    for (int i = 0; i < d->n_deadlocks; i++) {
        const tl_deadlock *c = &d->deadlocks[i];
        fprintf(out, "\ndeadlock: %d thread%s\n", c->n, c->n == 1 ? " waiting for itself" : "s");
        for (int k = 0; k < c->n; k++)
            write_cycle_thread(out, &c->threads[k], &c->threads[(k + 1) % c->n]);
    }
}
