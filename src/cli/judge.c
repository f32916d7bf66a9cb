/* `threadleak run`, the judging part: the growth statistic on each
 * process's series, the threads left at normal exit, and the suspects —
 * the groups that grew between an early dump and the final one. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"

/* Dumps of this run kept loaded for the verdict (suspects point into them). */
static threadleak_dump_file **loaded;
static int n_loaded;

static threadleak_dump_file *load(const char *path)
{
    char err[512];
    threadleak_dump_file *f = threadleak_dump_load(path, err, sizeof err);
    if (!f) {
        tl_msg("ignoring %s: %s", path, err);
        return NULL;
    }
    loaded = tl_xrealloc(loaded, (size_t)n_loaded + 1, sizeof *loaded);
    loaded[n_loaded++] = f;
    return f;
}

static threadleak_dump_file *load_stem(const char *stem)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s.json", stem);
    return load(path);
}

/* Threads other than main, not ignored, in a dump. */
static long leaked_in(const tl_dump *d, const tl_run_opts *o)
{
    long n = 0;
    for (int i = 0; i < d->n_groups; i++) {
        const tl_group *g = &d->groups[i];
        if (threadleak_group_ignored(g, o->ignore, o->n_ignore))
            continue;
        n += g->count - (g->has_main && g->count > 0 ? 1 : 0);
    }
    return n;
}

/* The last dump of each pid written by the library itself (dump.PID.N.json)
 * when it is an exit dump of this run. */
typedef struct exit_dump {
    int pid, number;
    char path[PATH_MAX + 300];
} exit_dump;

static int find_exit_dumps(const tl_run_result *r, exit_dump *out, int max)
{
    DIR *dir = opendir(r->dir);
    int n = 0;
    if (!dir)
        return 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        int pid, num, end = 0;
        if (sscanf(e->d_name, "dump.%d.%d.json%n", &pid, &num, &end) != 2 || e->d_name[end] != 0)
            continue;
        int k;
        for (k = 0; k < n && out[k].pid != pid; k++)
            ;
        if (k == n) {
            if (n == max)
                continue;
            n++;
        } else if (out[k].number >= num) {
            continue;
        }
        out[k].pid = pid;
        out[k].number = num;
        snprintf(out[k].path, sizeof out[k].path, "%s/%s", r->dir, e->d_name);
    }
    closedir(dir);
    return n;
}

static int is_exit_dump_of_run(const tl_dump *d, const tl_run_result *r)
{
    return d->reason && strcmp(d->reason, "exit") == 0 &&
           d->time_unix_ns / 1000000 + 2000 >= (uint64_t)r->started_unix_ms;
}

static tl_other *add_other(tl_verdict *v, int pid, const threadleak_growth *g, long exit_leaked)
{
    for (int i = 0; i < v->n_others; i++) {
        if (v->others[i].pid == pid) {
            if (g) {
                v->others[i].growth = 1;
                v->others[i].g = *g;
            }
            v->others[i].exit_leaked += exit_leaked;
            return &v->others[i];
        }
    }
    v->others = tl_xrealloc(v->others, (size_t)v->n_others + 1, sizeof *v->others);
    tl_other *x = &v->others[v->n_others++];
    memset(x, 0, sizeof *x);
    x->pid = pid;
    if (g) {
        x->growth = 1;
        x->g = *g;
    }
    x->exit_leaked = exit_leaked;
    return x;
}

static void judge_series(const tl_run_opts *o, tl_run_result *r, tl_verdict *v)
{
    v->primary = threadleak_series_find(&r->series, r->pid);
    for (int i = 0; i < r->series.n; i++) {
        tl_proc_series *p = &r->series.procs[i];
        long *t = tl_xcalloc((size_t)p->n, sizeof *t), *y = tl_xcalloc((size_t)p->n, sizeof *y);
        for (int k = 0; k < p->n; k++) {
            t[k] = p->s[k].t_ms;
            y[k] = p->s[k].live + p->s[k].exited_unjoined;
        }
        threadleak_growth g;
        threadleak_judge_growth(t, y, p->n, &o->growth, &g);
        free(t);
        free(y);
        if (p == v->primary)
            v->g = g;
        else if (g.detected)
            add_other(v, p->pid, &g, 0);
    }
    if (!v->primary) {
        memset(&v->g, 0, sizeof v->g);
        v->g.p_value = 1;
        v->g.why = "no samples";
    }
}

static void pick_dumps(const tl_run_opts *o, tl_run_result *r, tl_verdict *v,
                       threadleak_dump_file *exit_file)
{
    int final_idx = -1;
    for (int i = r->n_taken - 1; i >= 0 && final_idx < 0 && r->stopped; i--)
        if (r->taken[i].done && r->taken[i].prestop)
            final_idx = i;
    if (final_idx >= 0) {
        v->final = load_stem(r->taken[final_idx].stem);
        v->final_kind = "pre-stop";
    } else if (exit_file) {
        v->final = exit_file;
        v->final_kind = "exit";
    } else {
        for (int i = r->n_taken - 1; i >= 0 && final_idx < 0; i--)
            if (r->taken[i].done && r->taken[i].prestop)
                final_idx = i;
        for (int i = r->n_taken - 1; i >= 0 && final_idx < 0; i--)
            if (r->taken[i].done)
                final_idx = i;
        if (final_idx >= 0) {
            v->final = load_stem(r->taken[final_idx].stem);
            v->final_kind = r->taken[final_idx].prestop ? "pre-stop" : "latest";
        }
    }
    /* early: the last dump asked for by the start of the judged window, or
     * failing that the first one */
    /* at_ms counts from the spawn, t_ms from the library's start a little
     * later; a dump asked for within one interval of the window's start
     * (its sample may be the one the dump request woke) belongs to it */
    long window_start = v->g.judged ? v->g.window_start_ms + o->interval_ms : 0;
    int early_idx = -1;
    for (int i = 0; i < r->n_taken; i++) {
        if (!r->taken[i].done || r->taken[i].prestop || i == final_idx)
            continue;
        if (early_idx < 0 || r->taken[i].at_ms <= window_start)
            early_idx = i;
        if (r->taken[i].at_ms > window_start)
            break;
    }
    if (early_idx >= 0) {
        v->early = load_stem(r->taken[early_idx].stem);
        v->early_at_ms = r->taken[early_idx].at_ms;
    }
}

static int by_growth(const void *a, const void *b)
{
    const tl_group *x = a, *y = b;
    if (x->growth != y->growth)
        return x->growth < y->growth ? 1 : -1;
    return (x->count < y->count) - (x->count > y->count);
}

static void add_suspect(tl_verdict *v, const tl_group *g, long growth)
{
    v->suspects = tl_xrealloc(v->suspects, (size_t)v->n_suspects + 1, sizeof *v->suspects);
    v->suspects[v->n_suspects] = *g;
    v->suspects[v->n_suspects].growth = growth < 0 ? 0 : growth;
    v->n_suspects++;
}

/* Net growth of the non-ignored groups between early and final. */
static long unignored_growth(const tl_run_opts *o, const tl_dump *e, const tl_dump *f)
{
    long net = 0;
    for (int i = 0; i < f->n_groups; i++) {
        const tl_group *g = &f->groups[i];
        if (g->has_main || threadleak_group_ignored(g, o->ignore, o->n_ignore))
            continue;
        int k = threadleak_group_find(e, g);
        net += g->count - (k >= 0 ? e->groups[k].count : 0);
    }
    for (int i = 0; i < e->n_groups; i++) {
        const tl_group *g = &e->groups[i];
        if (g->has_main || threadleak_group_ignored(g, o->ignore, o->n_ignore))
            continue;
        if (threadleak_group_find(f, g) < 0)
            net -= g->count;
    }
    return net;
}

static void find_suspects(const tl_run_opts *o, tl_verdict *v)
{
    const tl_dump *f = threadleak_dump_of(v->final), *e = threadleak_dump_of(v->early);
    if (!f)
        return;
    int exit_leak = v->exit && strcmp(v->final_kind, "exit") == 0;
    for (int i = 0; i < f->n_groups; i++) {
        const tl_group *g = &f->groups[i];
        if (g->has_main || threadleak_group_ignored(g, o->ignore, o->n_ignore))
            continue;
        int k = e ? threadleak_group_find(e, g) : -1;
        long growth = g->count - (k >= 0 ? e->groups[k].count : 0);
        if (growth > 0 || (exit_leak && g->count > 0))
            add_suspect(v, g, growth);
    }
    qsort(v->suspects, (size_t)v->n_suspects, sizeof *v->suspects, by_growth);
}

/* The groups another process left at its exit: its suspects. */
static void left_at_exit(const tl_run_opts *o, tl_other *x, const tl_dump *d)
{
    for (int i = 0; i < d->n_groups; i++) {
        const tl_group *g = &d->groups[i];
        if (g->has_main || g->count <= 0 || threadleak_group_ignored(g, o->ignore, o->n_ignore))
            continue;
        x->suspects = tl_xrealloc(x->suspects, (size_t)x->n_suspects + 1, sizeof *x->suspects);
        x->suspects[x->n_suspects] = *g;
        x->suspects[x->n_suspects++].growth = g->count;
    }
    qsort(x->suspects, (size_t)x->n_suspects, sizeof *x->suspects, by_growth);
}

void tl_judge(const tl_run_opts *o, tl_run_result *r, tl_verdict *v)
{
    memset(v, 0, sizeof *v);
    judge_series(o, r, v);
    v->growth_detected = v->g.detected;

    exit_dump ex[256];
    int n_ex = find_exit_dumps(r, ex, 256);
    threadleak_dump_file *exit_file = NULL;
    for (int i = 0; i < n_ex; i++) {
        threadleak_dump_file *f = load(ex[i].path);
        const tl_dump *d = threadleak_dump_of(f);
        if (!d || !is_exit_dump_of_run(d, r))
            continue;
        if (ex[i].pid == r->pid) {
            exit_file = f;
            v->have_exit = 1;
            v->at_exit = d->counts;
            v->exit_leaked = leaked_in(d, o);
        } else if (!r->stopped) {
            long n = leaked_in(d, o);
            if (n > 0)
                left_at_exit(o, add_other(v, ex[i].pid, NULL, n), d);
        }
    }
    v->exit_detected = v->have_exit && !r->stopped && v->exit_leaked > 0;
    pick_dumps(o, r, v, exit_file);

    if (v->growth_detected && o->n_ignore > 0 && v->early && v->final &&
        unignored_growth(o, threadleak_dump_of(v->early), threadleak_dump_of(v->final)) <
            o->growth.min_growth)
        v->growth_in_ignored = 1;

    int other_growth = 0, other_exit = 0;
    for (int i = 0; i < v->n_others; i++) {
        other_growth |= v->others[i].growth;
        other_exit |= v->others[i].exit_leaked > 0;
    }
    v->growth = o->fail_growth && ((v->growth_detected && !v->growth_in_ignored) || other_growth);
    v->exit = o->fail_exit && (v->exit_detected || other_exit);
    v->deadlock = tl_run_deadlock_check(o, r, &v->dl) && o->fail_deadlock;
    v->leak = v->growth || v->exit || v->deadlock;
    if (v->leak)
        find_suspects(o, v);
    if (r->stopped)
        v->program_exit_code = 0;
    else if (r->exited)
        v->program_exit_code = r->exit_status;
    else
        v->program_exit_code = 128 + r->signal;
}

void tl_verdict_free(tl_verdict *v)
{
    free(v->suspects);
    for (int i = 0; i < v->n_others; i++)
        free(v->others[i].suspects);
    free(v->others);
    tl_run_deadlock_free();
    for (int i = 0; i < n_loaded; i++)
        threadleak_dump_free(loaded[i]);
    free(loaded);
    loaded = NULL;
    n_loaded = 0;
    memset(v, 0, sizeof *v);
}
