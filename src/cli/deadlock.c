/* `threadleak run`'s deadlock reason: a cycle of the wait-for graph that
 * the library reported in two dumps taken at least one sampling interval
 * apart. Each dump only reports a cycle whose threads stayed in their
 * waits while it was read; seeing the same threads on the same objects
 * again later rules out a passing moment. */
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "common/waitfor.h"

/* Dumps of r->taken that show a deadlock (index: taken index; NULL: not
 * loaded yet, unreadable, or without one). Kept until tl_run_deadlock_free:
 * a found cycle points into one of them. */
static tl_dump_file **files;
static char *tried;
static int n_files;

static const tl_dump *dump_at(const tl_run_result *r, int i)
{
    if (i >= n_files) {
        files = tl_xrealloc(files, (size_t)r->n_taken, sizeof *files);
        tried = tl_xrealloc(tried, (size_t)r->n_taken, sizeof *tried);
        memset(files + n_files, 0, (size_t)(r->n_taken - n_files) * sizeof *files);
        memset(tried + n_files, 0, (size_t)(r->n_taken - n_files));
        n_files = r->n_taken;
    }
    if (!tried[i] && r->taken[i].done) {
        char path[PATH_MAX + 80], err[256];
        snprintf(path, sizeof path, "%s.json", r->taken[i].stem);
        tried[i] = 1;
        files[i] = tl_dump_load(path, err, sizeof err);
        const tl_dump *d = tl_dump_of(files[i]);
        if (d && d->n_deadlocks == 0) { /* a long run must not hold every dump */
            tl_dump_file_free(files[i]);
            files[i] = NULL;
        }
    }
    return tl_dump_of(files[i]);
}

int tl_run_deadlock_check(const tl_run_opts *o, const tl_run_result *r, tl_deadlock_found *out)
{
    for (int j = r->n_taken - 1; j > 0; j--) {
        const tl_dump *later = dump_at(r, j);
        for (int i = 0; later && later->n_deadlocks && i < j; i++) {
            if (r->taken[j].at_ms - r->taken[i].at_ms < o->interval_ms)
                continue;
            const tl_dump *earlier = dump_at(r, i);
            for (int k = 0; earlier && k < earlier->n_deadlocks; k++) {
                int m = tl_deadlock_find(later, &earlier->deadlocks[k]);
                if (m < 0)
                    continue;
                if (out) {
                    out->found = 1;
                    out->cycle = later->deadlocks[m];
                    out->first_ms = r->taken[i].at_ms;
                    out->last_ms = r->taken[j].at_ms;
                }
                return 1;
            }
        }
    }
    return 0;
}

void tl_run_deadlock_print(FILE *out, const tl_deadlock_found *f, int pid, int failing)
{
    if (!f->found)
        return;
    tl_msg("%s: %d thread%s of pid %d wait for each other, seen in dumps %.1fs and %.1fs "
           "after the start:",
           failing ? "deadlock" : "note (not failing, see --fail-on): deadlock", f->cycle.n,
           f->cycle.n == 1 ? " (waiting for itself)" : "s", pid, f->first_ms / 1000.0,
           f->last_ms / 1000.0);
    tl_dump d = {0};
    d.n_deadlocks = 1;
    d.deadlocks = (tl_deadlock *)&f->cycle;
    tl_write_deadlocks_text(out, &d);
    fputc('\n', out);
}

void tl_run_deadlock_json(FILE *f, const tl_deadlock_found *found)
{
    fputs(",\n\"deadlock\":", f);
    if (!found->found) {
        fputs("null", f);
        return;
    }
    tl_dump d = {0};
    d.n_deadlocks = 1;
    d.deadlocks = (tl_deadlock *)&found->cycle;
    /* {"first_ms":..,"last_ms":..,"deadlocks":[{threads}]}, the dump's own form */
    fprintf(f, "{\"first_ms\":%ld,\"last_ms\":%ld", found->first_ms, found->last_ms);
    tl_write_deadlocks_json(f, &d);
    fputc('}', f);
}

void tl_run_deadlock_free(void)
{
    for (int i = 0; i < n_files; i++)
        tl_dump_file_free(files[i]);
    free(files);
    free(tried);
    files = NULL;
    tried = NULL;
    n_files = 0;
}
