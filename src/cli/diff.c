/* `threadleak diff [--json] OLD.json NEW.json`: the groups that grew,
 * appeared, shrank or went away between two dumps, matched by their stacks
 * (state, wait kind, blocked stack, creation stack). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/clock.h"

enum change { GREW, NEW, SHRANK, GONE, SAME };
static const char *const change_names[] = {"grew", "new", "shrank", "gone", "unchanged"};

typedef struct entry {
    enum change change;
    long old_count, new_count;
    const tl_group *group; /* from NEW, or from OLD when gone */
} entry;

static int by_delta(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->change != y->change)
        return x->change < y->change ? -1 : 1;
    long dx = labs(x->new_count - x->old_count), dy = labs(y->new_count - y->old_count);
    return (dx < dy) - (dx > dy);
}

static entry *compare(const tl_dump *o, const tl_dump *n, int *count)
{
    entry *e = tl_xcalloc((size_t)(o->n_groups + n->n_groups), sizeof *e);
    char *used = tl_xcalloc((size_t)o->n_groups, 1);
    int m = 0;
    for (int i = 0; i < n->n_groups; i++) {
        const tl_group *g = &n->groups[i];
        int k = -1;
        for (int j = 0; j < o->n_groups && k < 0; j++)
            if (!used[j] && tl_group_same(&o->groups[j], g))
                k = j;
        entry *x = &e[m++];
        x->group = g;
        x->new_count = g->count;
        if (k >= 0) {
            used[k] = 1;
            x->old_count = o->groups[k].count;
            x->change = x->new_count > x->old_count   ? GREW
                        : x->new_count < x->old_count ? SHRANK
                                                      : SAME;
        } else {
            x->change = NEW;
        }
    }
    for (int j = 0; j < o->n_groups; j++) {
        if (used[j])
            continue;
        entry *x = &e[m++];
        x->group = &o->groups[j];
        x->old_count = o->groups[j].count;
        x->change = GONE;
    }
    free(used);
    qsort(e, (size_t)m, sizeof *e, by_delta);
    *count = m;
    return e;
}

static void utc_text(char *out, size_t n, uint64_t ns)
{
    time_t secs = (time_t)(ns / TL_NS_PER_S);
    struct tm tm;
    if (!gmtime_r(&secs, &tm) || !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, n, "?");
}

static void write_text(FILE *out, const tl_dump *o, const tl_dump *n, const entry *e, int m)
{
    char t1[32], t2[32];
    utc_text(t1, sizeof t1, o->time_unix_ns);
    utc_text(t2, sizeof t2, n->time_unix_ns);
    fprintf(out, "threadleak diff \u00b7 pid %d dump %d (%s) \u2192 pid %d dump %d (%s)\n", o->pid,
            o->number, t1, n->pid, n->number, t2);
    fprintf(out,
            "threads: %ld \u2192 %ld live (%+ld), %ld \u2192 %ld exited unjoined (%+ld) \u00b7 "
            "%ld \u2192 %ld created\n",
            o->counts.live, n->counts.live, n->counts.live - o->counts.live,
            o->counts.exited_unjoined, n->counts.exited_unjoined,
            n->counts.exited_unjoined - o->counts.exited_unjoined, o->counts.created,
            n->counts.created);
    int same = 0;
    long same_threads = 0;
    for (int i = 0; i < m; i++) {
        if (e[i].change == SAME) {
            same++;
            same_threads += e[i].new_count;
            continue;
        }
        tl_group g = *e[i].group;
        long d = e[i].new_count - e[i].old_count;
        g.growth = d > 0 ? d : -1;
        fprintf(out, "\n%s %+ld (%ld \u2192 %ld)\n", change_names[e[i].change], d, e[i].old_count,
                e[i].new_count);
        tl_write_group_text(out, &g);
    }
    if (m == same)
        fputs("\nno group changed\n", out);
    if (same)
        fprintf(out, "\nunchanged: %d group%s, %ld thread%s\n", same, same == 1 ? "" : "s",
                same_threads, same_threads == 1 ? "" : "s");
}

static void side_json(FILE *out, const tl_dump *d)
{
    fprintf(out, "{\"pid\":%d,\"dump\":%d,\"time_unix_ns\":%llu,\"program\":", d->pid, d->number,
            (unsigned long long)d->time_unix_ns);
    tl_write_json_string(out, d->program);
    fputc('}', out);
}

static void write_json(FILE *out, const tl_dump *o, const tl_dump *n, const entry *e, int m)
{
    fputs("{\"format\":\"threadleak-diff\",\"version\":1,\"old\":", out);
    side_json(out, o);
    fputs(",\"new\":", out);
    side_json(out, n);
    fprintf(out,
            ",\"counts\":{\"live\":[%ld,%ld],\"exited_unjoined\":[%ld,%ld],\"created\":[%ld,%ld],"
            "\"joined\":[%ld,%ld]},\n\"changes\":[",
            o->counts.live, n->counts.live, o->counts.exited_unjoined, n->counts.exited_unjoined,
            o->counts.created, n->counts.created, o->counts.joined, n->counts.joined);
    int first = 1;
    for (int i = 0; i < m; i++) {
        if (e[i].change == SAME)
            continue;
        tl_group g = *e[i].group;
        g.growth = -1;
        fprintf(out,
                "%s{\"change\":\"%s\",\"old_count\":%ld,\"new_count\":%ld,\"delta\":%ld,"
                "\"group\":",
                first ? "\n" : ",\n", change_names[e[i].change], e[i].old_count, e[i].new_count,
                e[i].new_count - e[i].old_count);
        tl_write_group_json(out, &g);
        fputc('}', out);
        first = 0;
    }
    fputs("]}\n", out);
}

int tl_cmd_diff(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    int np = 0, json = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            json = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            tl_usage(stdout);
            return TL_EXIT_OK;
        } else if (a[0] == '-' && a[1]) {
            tl_msg("unknown option %s for diff: it takes --json", a);
            return TL_EXIT_USAGE;
        } else if (np == 2) {
            tl_msg("diff takes two dumps, OLD.json NEW.json; got a third: %s", a);
            return TL_EXIT_USAGE;
        } else
            paths[np++] = a;
    }
    if (np != 2) {
        tl_msg("diff needs two JSON dumps, as in threadleak diff old.json new.json");
        return TL_EXIT_USAGE;
    }
    tl_dump_file *f[2] = {NULL, NULL};
    char err[1024];
    for (int i = 0; i < 2; i++) {
        f[i] = tl_dump_load(paths[i], err, sizeof err);
        if (!f[i]) {
            tl_msg("%s: %s", paths[i], err);
            tl_dump_file_free(f[0]);
            return TL_EXIT_FAIL;
        }
        tl_dump_fold_running(f[i]);
    }
    const tl_dump *o = tl_dump_of(f[0]), *n = tl_dump_of(f[1]);
    int m;
    entry *e = compare(o, n, &m);
    if (json)
        write_json(stdout, o, n, e, m);
    else
        write_text(stdout, o, n, e, m);
    free(e);
    tl_dump_file_free(f[0]);
    tl_dump_file_free(f[1]);
    if (fflush(stdout) || ferror(stdout)) {
        tl_msg("cannot write to stdout");
        return TL_EXIT_FAIL;
    }
    return TL_EXIT_OK;
}
