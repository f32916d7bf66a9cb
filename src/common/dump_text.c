/* The text dump, for people: grouped like Go's goroutine?debug=1. */
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/model.h"

/* Threads listed by tid in a group's text; the JSON lists them all. */
#define LIST_MAX 32

static void write_seconds(FILE *out, uint64_t ns)
{
    double s = ns / 1e9;
    if (s < 10)
        fprintf(out, "%.1fs", s);
    else
        fprintf(out, "%.0fs", s);
}

/* The object of a wait, as people name it: a descriptor (and what it is),
 * a child process, or an address. */
static void write_object(FILE *out, int wait, const char *call, uint64_t object, const char *target)
{
    if (tl_wait_object_is_fd(wait, call)) {
        fprintf(out, " fd %d", (int)object);
        if (target)
            fprintf(out, " (%s)", target);
    } else if (wait == TL_WAIT_CHILD) {
        int64_t pid = (int64_t)object;
        if (pid > 0)
            fprintf(out, " pid %lld", (long long)pid);
        else if (pid < 0)
            fprintf(out, " group %lld", (long long)-pid);
        else
            fputs(" any child", out);
    } else if (object) {
        fprintf(out, " 0x%llx", (unsigned long long)object);
    }
}

/* 1000 as "1,000": the pause line is read by people. */
static void write_thousands(FILE *out, long n)
{
    if (n >= 1000) {
        write_thousands(out, n / 1000);
        fprintf(out, ",%03ld", n % 1000);
    } else {
        fprintf(out, "%ld", n);
    }
}

static void write_wait(FILE *out, const tl_group *g)
{
    if (!tl_wait_name(g->wait) && g->wait_call) {
        /* A system call no wait kind describes (seen through ptrace). */
        fprintf(out, "blocked in syscall (%s)", g->wait_call);
        return;
    }
    fprintf(out, "blocked in %s", tl_wait_name(g->wait) ? tl_wait_name(g->wait) : "?");
    /* an fd or child object can be 0: known when the group has exactly one */
    int known = g->object || (g->objects == 1 && (tl_wait_object_is_fd(g->wait, g->wait_call) ||
                                                  g->wait == TL_WAIT_CHILD));
    if (g->wait_call && g->objects > 1) {
        const char *what = tl_wait_object_is_fd(g->wait, g->wait_call) ? "fds"
                           : g->wait == TL_WAIT_CHILD                  ? "children"
                                                                       : "objects";
        fprintf(out, " (%s, %d %s)", g->wait_call, g->objects, what);
    } else if (g->wait_call && known) {
        fprintf(out, " (%s", g->wait_call);
        write_object(out, g->wait, g->wait_call, g->object, g->target);
        fputc(')', out);
    } else if (g->wait_call) {
        fprintf(out, " (%s)", g->wait_call);
    }
    if (g->unknown & TL_UNKNOWN_BLOCKED_NS)
        return;
    fputs(" for ", out);
    write_seconds(out, g->blocked_min_ns);
    if (g->blocked_max_ns - g->blocked_min_ns >= 50000000) {
        fputs("\u2013", out);
        write_seconds(out, g->blocked_max_ns);
    }
}

/* A thread name as text: any byte can be in one; control characters would
 * break the dump's lines. */
static const char *printable(const char *name, char out[16])
{
    size_t i = 0;
    for (; i < 15 && name[i]; i++)
        out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    out[i] = 0;
    return out;
}

/* "  threads 4300 (pool-1-thread-1), 4301 (pool-1-thread-2), … 12 more",
 * wrapped under its first entry before LINE_WIDTH columns. */
#define LINE_WIDTH 100
static void write_tids(FILE *out, const tl_group *g)
{
    if (g->n_tids <= 0)
        return;
    fputs("  threads", out);
    size_t col = 9;
    int shown = g->n_tids <= LIST_MAX + 1 ? g->n_tids : LIST_MAX;
    for (int i = 0; i < shown; i++) {
        char item[48], clean[16];
        int n = snprintf(item, sizeof item, "%d", (int)g->tids[i]);
        if (g->names && g->names[i][0] && !(g->name && strcmp(g->name, g->names[i]) == 0))
            snprintf(item + n, sizeof item - (size_t)n, " (%s)", printable(g->names[i], clean));
        if (i && col + 2 + strlen(item) > LINE_WIDTH) {
            fputs(",\n         ", out);
            col = 9;
        } else if (i) {
            fputc(',', out);
            col++;
        }
        fprintf(out, " %s", item);
        col += 1 + strlen(item);
    }
    if (shown < g->n_tids)
        fprintf(out, ", \u2026 %d more", g->n_tids - shown);
    fputc('\n', out);
}

static int write_group(FILE *out, const tl_group *g, int list_threads)
{
    fprintf(out, "%d thread%s", g->count, g->count == 1 ? "" : "s");
    if (g->growth >= 0)
        fprintf(out, " (+%ld)", g->growth);
    fputs(" \u00b7 ", out);
    if (g->state == TL_BLOCKED)
        write_wait(out, g);
    else if (g->state == TL_EXITED)
        fputs("exited, never joined or detached", out);
    else if (tl_write_running_header(out, g))
        ;
    else if (g->stack.depth == 1)
        fputs("running, started in", out);
    else
        fputs("running", out);
    fputc('\n', out);
    char clean[16];
    if (g->name)
        fprintf(out, "  name %s\n", printable(g->name, clean));
    if (list_threads || g->state == TL_EXITED)
        write_tids(out, g);
    tl_write_capture_note(out, g);
    /* One set of columns for both stacks of a group. A captured running
     * thread shows where it runs, not just its start routine. */
    const tl_stack *now = tl_group_where(g);
    tl_columns cols = TL_COLUMNS_START;
    tl_columns_fit(&cols, now);
    tl_columns_fit(&cols, &g->spawn_stack);
    tl_write_frames_in(out, now, &cols);
    tl_write_owners_text(out, g);
    if ((g->unknown & TL_UNKNOWN_SPAWN) && !g->has_main) {
        fputs("  created by: not known (attached with ptrace)\n", out);
    } else if (g->spawn_stack.depth == 0 && g->creator_tid == 0) {
        fputs(g->has_main ? "  main thread\n" : "  created where threadleak could not see\n", out);
    } else {
        fprintf(out, "  created by thread %d", (int)g->creator_tid);
        if (g->creator_name && g->creator_name[0])
            fprintf(out, " (%s)", printable(g->creator_name, clean));
        if (g->n_creators > 1)
            fprintf(out, " and %d other%s", g->n_creators - 1, g->n_creators == 2 ? "" : "s");
        fputs(" at\n", out);
        tl_write_frames_in(out, &g->spawn_stack, &cols);
    }
    return ferror(out) ? -1 : 0;
}

int tl_write_group_text(FILE *out, const tl_group *g)
{
    return write_group(out, g, 0);
}

int tl_write_text(FILE *out, const tl_dump *d)
{
    char when[32] = "?";
    time_t secs = (time_t)(d->time_unix_ns / TL_NS_PER_S);
    struct tm tm;
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const tl_counts *c = &d->counts;
    /* "ptrace": all of it; "preload+ptrace": the library's dump, plus the
     * threads it does not track, seen through ptrace. */
    int ptrace = d->source && strcmp(d->source, "ptrace") == 0;
    int mixed = d->source && strcmp(d->source, "preload+ptrace") == 0;
    fprintf(out, "threadleak dump %d \u00b7 pid %d \u00b7 %s \u00b7 %s%s\n", d->number, d->pid,
            d->program ? d->program : "?", when,
            ptrace  ? " \u00b7 attached with ptrace"
            : mixed ? " \u00b7 and ptrace for the threads the library does not track"
                    : "");
    fprintf(out, "threads: %ld live (%ld blocked, %ld running)", c->live, c->blocked, c->running);
    if (c->unknown & TL_UNKNOWN_LIFECYCLE)
        fputc('\n', out);
    else
        fprintf(out, ", %ld exited unjoined \u00b7 %ld created, %ld joined\n", c->exited_unjoined,
                c->created, c->joined);
    if (ptrace || mixed) {
        fputs("paused ", out);
        write_thousands(out, d->paused_threads);
        fprintf(out, d->pause_ns < 10000000 ? " thread%s for %.1f ms" : " thread%s for %.0f ms",
                d->paused_threads == 1 ? "" : "s", d->pause_ns / 1e6);
        if (d->pause_free > 0)
            fprintf(out, " (%ld more read without stopping them)", d->pause_free);
        if (d->pause_late > 0)
            fprintf(out, " (%ld did not stop within the limit: shown as /proc sees them)",
                    d->pause_late);
        fputs(ptrace ? "; not known without libthreadleak.so: where threads were created, how "
                       "long they have waited, exited-unjoined threads\n"
                     : "; groups \"created by: not known\" are threads the library does not "
                       "track\n",
              out);
    }
    if (d->stacks_unknown)
        fprintf(out, "stacks: %s\n", d->stacks_unknown);
    tl_write_running_text(out, d);
    tl_write_deadlocks_text(out, d);
    for (int i = 0; i < d->n_groups; i++) {
        fputc('\n', out);
        write_group(out, &d->groups[i], d->n_threads >= 0);
    }
    return ferror(out) ? -1 : 0;
}
