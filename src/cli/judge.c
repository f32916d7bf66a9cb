/* `threadleak run`, the judging part: the growth statistic on each
 * process's series (over its life, see tl_judge_life), the threads left at
 * normal exit less what is forgiven (forgive.c), the suspects — the groups
 * that grew between an early dump and the final one, for every process of
 * the tree — and what could not be judged. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/run.h"

/* Dumps of this run kept loaded for the verdict (suspects point into them). */
static tl_dump_file **loaded;
static int n_loaded;

/* Files in the run's directory may have been written by processes of the
 * tree running as other users: never follow a link they planted (the run
 * may be root), read only a regular file, through the descriptor opened. */
static tl_dump_file *load(const char *path)
{
    char err[512], self[64];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        tl_msg("ignoring %s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    tl_dump_file *f = tl_dump_load(self, err, sizeof err);
    close(fd);
    if (!f) {
        tl_msg("ignoring %s: %s", path, err);
        return NULL;
    }
    tl_dump_fold_running(f);
    loaded = tl_xrealloc(loaded, (size_t)n_loaded + 1, sizeof *loaded);
    loaded[n_loaded++] = f;
    return f;
}

static tl_dump_file *load_stem(const char *stem)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s.json", stem);
    return load(path);
}

static void add_forgiven(tl_verdict *v, int pid, const tl_group *g, const char *rule,
                         const char *why)
{
    v->forgiven = tl_xrealloc(v->forgiven, (size_t)v->n_forgiven + 1, sizeof *v->forgiven);
    tl_forgiven *x = &v->forgiven[v->n_forgiven++];
    x->pid = pid;
    x->g = *g;
    x->rule = rule;
    snprintf(x->why, sizeof x->why, "%s", why);
}

/* Whether g (in a dump of pid) is a leak; when not, and note is set, it is
 * listed as forgiven. */
static int counts(const tl_run_opts *o, tl_verdict *v, int pid, const tl_group *g, int note)
{
    if (g->has_main && g->count <= 1)
        return 0;
    char why[512];
    const char *rule;
    if (!tl_forgive_why(&o->forgive, g, why, sizeof why, &rule))
        return 1;
    if (note)
        add_forgiven(v, pid, g, rule, why);
    return 0;
}

/* Threads other than main left in an exit dump, not forgiven. */
static long leaked_in(const tl_run_opts *o, tl_verdict *v, int pid, const tl_dump *d)
{
    long n = 0;
    for (int i = 0; i < d->n_groups; i++) {
        const tl_group *g = &d->groups[i];
        if (counts(o, v, pid, g, 1))
            n += g->count - (g->has_main && g->count > 0 ? 1 : 0);
    }
    return n;
}

/* The last dump of each pid written by the library itself (dump.PID.N.json)
 * when it is an exit dump of this run. */
typedef struct exit_dump {
    int pid, number;
    tl_dump_file *file; /* loaded, when it is an exit dump of this run */
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

static tl_other *other_of(tl_verdict *v, int pid)
{
    for (int i = 0; i < v->n_others; i++)
        if (v->others[i].pid == pid)
            return &v->others[i];
    v->others = tl_xrealloc(v->others, (size_t)v->n_others + 1, sizeof *v->others);
    tl_other *x = &v->others[v->n_others++];
    memset(x, 0, sizeof *x);
    x->pid = pid;
    return x;
}

static void add_unseen(tl_verdict *v, int pid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_unseen(tl_verdict *v, int pid, const char *fmt, ...)
{
    for (int i = 0; i < v->n_unseen; i++)
        if (v->unseen[i].pid == pid)
            return;
    v->unseen = tl_xrealloc(v->unseen, (size_t)v->n_unseen + 1, sizeof *v->unseen);
    tl_unjudged *u = &v->unseen[v->n_unseen++];
    u->pid = pid;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->why, sizeof u->why, fmt, ap);
    va_end(ap);
}

/* Per process: growth judged on its series. */
typedef struct life {
    tl_growth g;
    int trimmed;
    long peak, end, peak_ms;
} life;

static void judge_one(const tl_run_opts *o, const tl_proc_series *p, life *out)
{
    long *t = tl_xcalloc((size_t)p->n, sizeof *t), *y = tl_xcalloc((size_t)p->n, sizeof *y);
    for (int k = 0; k < p->n; k++) {
        t[k] = p->s[k].t_ms;
        y[k] = p->s[k].live + p->s[k].exited_unjoined;
    }
    int peak = -1;
    memset(out, 0, sizeof *out);
    tl_judge_life(t, y, p->n, &o->growth, &out->g, &out->trimmed, &peak);
    if (out->trimmed) {
        out->peak = y[peak];
        out->end = y[p->n - 1];
        out->peak_ms = t[peak];
    }
    free(t);
    free(y);
}

static void judge_series(const tl_run_opts *o, tl_run_result *r, tl_verdict *v)
{
    v->primary = tl_series_find(&r->series, r->pid);
    for (int i = 0; i < r->series.n; i++) {
        tl_proc_series *p = &r->series.procs[i];
        life l;
        judge_one(o, p, &l);
        if (p == v->primary) {
            v->g = l.g;
            v->trimmed = l.trimmed;
            v->trimmed_peak = l.peak;
            v->trimmed_end = l.end;
            v->trimmed_at_ms = l.peak_ms;
        } else if (l.g.detected) {
            tl_other *x = other_of(v, p->pid);
            x->growth = 1;
            x->g = l.g;
            x->last_ms = p->n ? p->s[p->n - 1].t_ms : 0;
        }
    }
    if (!v->primary) {
        memset(&v->g, 0, sizeof v->g);
        v->g.p_value = 1;
        v->g.why = "no samples";
    }
}

/* The final and early dumps of pid. final: the pre-stop dump when it was
 * stopped, else its exit dump (unless growth was judged before a shutdown
 * that joined the threads: then the latest dump before it), else the latest.
 * early: the last dump asked for by the start of the judged window, or
 * failing that the first one. at_ms counts from the spawn, t_ms from the
 * library's start a little later; a dump asked for within one interval of
 * the window's start belongs to it. */
static void pick_dumps(const tl_run_opts *o, const tl_run_result *r, int pid, int stopped,
                       tl_dump_file *exit_file, int before_shutdown, const tl_growth *g,
                       tl_dump_file **early, tl_dump_file **final, const char **kind,
                       long *early_at)
{
    int final_idx = -1;
    *early = *final = NULL;
    *kind = NULL;
    for (int i = r->n_taken - 1; i >= 0 && final_idx < 0 && stopped; i--)
        if (r->taken[i].pid == pid && r->taken[i].done && r->taken[i].prestop)
            final_idx = i;
    if (final_idx < 0 && exit_file && !before_shutdown) {
        *final = exit_file;
        *kind = "exit";
    } else if (final_idx < 0) {
        for (int i = r->n_taken - 1; i >= 0 && final_idx < 0; i--)
            if (r->taken[i].pid == pid && r->taken[i].done && r->taken[i].prestop)
                final_idx = i;
        for (int i = r->n_taken - 1; i >= 0 && final_idx < 0; i--)
            if (r->taken[i].pid == pid && r->taken[i].done)
                final_idx = i;
        if (final_idx < 0 && exit_file) {
            *final = exit_file;
            *kind = "exit";
        }
    }
    if (final_idx >= 0) {
        *final = load_stem(r->taken[final_idx].stem);
        *kind = r->taken[final_idx].prestop ? "pre-stop" : "latest";
    }
    long window_start = g->judged ? g->window_start_ms + o->interval_ms : 0;
    int early_idx = -1;
    for (int i = 0; i < r->n_taken; i++) {
        if (r->taken[i].pid != pid || !r->taken[i].done || r->taken[i].prestop || i == final_idx)
            continue;
        if (early_idx < 0 || r->taken[i].at_ms <= window_start)
            early_idx = i;
        if (r->taken[i].at_ms > window_start)
            break;
    }
    if (early_idx >= 0) {
        *early = load_stem(r->taken[early_idx].stem);
        *early_at = r->taken[early_idx].at_ms;
    }
}

static int by_growth(const void *a, const void *b)
{
    const tl_group *x = a, *y = b;
    if (x->growth != y->growth)
        return x->growth < y->growth ? 1 : -1;
    return (x->count < y->count) - (x->count > y->count);
}

static void add_group(tl_group **list, int *n, const tl_group *g, long growth)
{
    *list = tl_xrealloc(*list, (size_t)*n + 1, sizeof **list);
    (*list)[*n] = *g;
    (*list)[*n].growth = growth < 0 ? 0 : growth;
    (*n)++;
}

/* Net growth between early and final of the groups an ignore glob matches
 * (ignored = 1) or of the others. */
static long net_growth(const tl_run_opts *o, const tl_dump *e, const tl_dump *f, int ignored)
{
    long net = 0;
    for (int i = 0; i < f->n_groups; i++) {
        const tl_group *g = &f->groups[i];
        if (g->has_main || tl_forgive_ignores(&o->forgive, g) != ignored)
            continue;
        int k = tl_group_find(e, g);
        net += g->count - (k >= 0 ? e->groups[k].count : 0);
    }
    for (int i = 0; i < e->n_groups; i++) {
        const tl_group *g = &e->groups[i];
        if (g->has_main || tl_forgive_ignores(&o->forgive, g) != ignored)
            continue;
        if (tl_group_find(f, g) < 0)
            net -= g->count;
    }
    return net;
}

/* The groups that grew from e to f (all those left, for an exit leak). */
static void find_suspects(const tl_run_opts *o, tl_verdict *v, int pid, const tl_dump *e,
                          const tl_dump *f, int exit_leak, tl_group **list, int *n)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_groups; i++) {
        const tl_group *g = &f->groups[i];
        if (g->has_main || !counts(o, v, pid, g, 0))
            continue;
        int k = e ? tl_group_find(e, g) : -1;
        long growth = g->count - (k >= 0 ? e->groups[k].count : 0);
        if (growth > 0 || (exit_leak && g->count > 0))
            add_group(list, n, g, exit_leak && growth <= 0 ? g->count : growth);
    }
    qsort(*list, (size_t)*n, sizeof **list, by_growth);
}

static const char *sig_name(int sig)
{
    const char *s = sigabbrev_np(sig);
    return s ? s : "?";
}

/* 1 when pid was ever seen with more than one thread (in /proc, or in its
 * series): a single-threaded process has nothing to judge. */
static int several_threads(tl_run_result *r, int pid)
{
    tl_proc_seen *s = tl_tree_find(r, pid);
    if (s && s->max_threads > 1)
        return 1;
    tl_proc_series *p = tl_series_find(&r->series, pid);
    for (int i = 0; p && i < p->n; i++)
        if (p->s[i].live + p->s[i].exited_unjoined > 1)
            return 1;
    return 0;
}

/* What was not seen: the program when nothing of it could be judged, and
 * preloaded processes of the tree that never reported. */
static void find_unseen(const tl_run_opts *o, tl_run_result *r, tl_verdict *v)
{
    if (!v->g.judged && !(v->have_exit && r->exited && !r->stopped)) {
        if (!r->exited && !r->stopped)
            add_unseen(v, r->pid,
                       "killed by signal %d (SIG%s) after %d sample%s: too few to judge growth, "
                       "and no exit to judge",
                       r->signal, sig_name(r->signal), v->g.n, v->g.n == 1 ? "" : "s");
        else if (r->exited && !r->stopped && !several_threads(r, r->pid))
            v->single = 1; /* single-threaded as far as anyone saw (a shell): nothing to judge */
        else if (r->exited && !r->stopped && v->g.n == 0)
            add_unseen(v, r->pid,
                       "exited (status %d) without a sample or an exit dump: it ended by _exit "
                       "at once, or libthreadleak.so was not loaded into it (a set-id or static "
                       "program, or one that clears LD_PRELOAD)",
                       r->exit_status);
        else if (r->exited && !r->stopped)
            add_unseen(v, r->pid,
                       "exited (status %d) after %d sample%s without an exit dump (_exit): too "
                       "few to judge growth",
                       r->exit_status, v->g.n, v->g.n == 1 ? "" : "s");
        else if (r->stopped && v->g.n > 0)
            add_unseen(v, r->pid,
                       "stopped by --duration after %d sample%s: too few to judge growth "
                       "(lengthen --duration or shorten --interval)",
                       v->g.n, v->g.n == 1 ? "" : "s");
    }
    long settle = 2 * o->interval_ms + 300;
    for (int i = 0; i < r->n_seen; i++) {
        tl_proc_seen *s = &r->seen[i];
        if (s->pid == r->pid || !s->has_lib || s->max_threads < 2 ||
            tl_series_find(&r->series, s->pid) || s->last_ms - s->first_ms < settle)
            continue;
        add_unseen(v, s->pid,
                   "%s (uid %u) had libthreadleak.so loaded and %d threads, but never reported "
                   "to the run: it could not write to %s, or its sampler could not start",
                   s->comm, s->uid, s->max_threads, r->dir);
    }
    /* a process of the tree that a fatal signal ended before it could be judged */
    for (int i = 0; i < r->n_seen; i++) {
        tl_proc_seen *s = &r->seen[i];
        tl_proc_series *p = tl_series_find(&r->series, s->pid);
        if (!s->reaped || s->stopped || !p || !WIFSIGNALED(s->status) ||
            p->n >= o->growth.min_samples)
            continue;
        int sig = WTERMSIG(s->status);
        if (sig == SIGTERM || sig == SIGKILL || sig == SIGINT || sig == SIGHUP)
            continue; /* stopped on purpose */
        add_unseen(v, s->pid, "%s was killed by signal %d (SIG%s) after %d sample%s", s->comm, sig,
                   sig_name(sig), p->n, p->n == 1 ? "" : "s");
    }
}

/* The exit dumps of the run's processes: the program's threads left at
 * exit, and those of each other process with their suspects. Returns the
 * program's exit dump, NULL when there is none. */
static tl_dump_file *judge_exit_dumps(const tl_run_opts *o, tl_run_result *r, tl_verdict *v,
                                      exit_dump *ex, int n_ex)
{
    tl_dump_file *exit_file = NULL;
    for (int i = 0; i < n_ex; i++) {
        tl_dump_file *f = load(ex[i].path);
        const tl_dump *d = tl_dump_of(f);
        if (!d || !is_exit_dump_of_run(d, r))
            continue;
        ex[i].file = f;
        tl_proc_seen *s = tl_tree_find(r, ex[i].pid);
        if (ex[i].pid == r->pid) {
            exit_file = f;
            v->have_exit = 1;
            v->at_exit = d->counts;
            v->exit_leaked = r->stopped ? 0 : leaked_in(o, v, ex[i].pid, d);
        } else if (!r->stopped && !(s && s->stopped)) {
            long n = leaked_in(o, v, ex[i].pid, d);
            if (n > 0) {
                tl_other *x = other_of(v, ex[i].pid);
                x->exit_leaked = n;
                find_suspects(o, v, ex[i].pid, NULL, d, 1, &x->suspects, &x->n_suspects);
            }
        }
    }
    return exit_file;
}

/* Suspects of the other processes that grew: from their own dumps. */
static void suspects_of_others(const tl_run_opts *o, tl_run_result *r, tl_verdict *v,
                               const exit_dump *ex, int n_ex)
{
    for (int i = 0; i < v->n_others; i++) {
        tl_other *x = &v->others[i];
        tl_proc_seen *s = tl_tree_find(r, x->pid);
        x->outlived = s && s->outlived;
        if (!x->growth)
            continue;
        tl_dump_file *e, *f, *xf = NULL;
        const char *kind;
        long at;
        for (int k = 0; k < n_ex; k++)
            if (ex[k].pid == x->pid)
                xf = ex[k].file;
        pick_dumps(o, r, x->pid, s && s->stopped, xf, 1, &x->g, &e, &f, &kind, &at);
        tl_group *list = NULL;
        int n = 0;
        find_suspects(o, v, x->pid, tl_dump_of(e), tl_dump_of(f), 0, &list, &n);
        if (n) {
            free(x->suspects);
            x->suspects = list;
            x->n_suspects = n;
        } else {
            free(list);
        }
    }
}

/* What fails the run, by --fail-on, and the exit status the program had. */
static void decide(const tl_run_opts *o, tl_run_result *r, tl_verdict *v)
{
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
        find_suspects(o, v, r->pid, tl_dump_of(v->early), tl_dump_of(v->final),
                      v->exit && v->final_kind && strcmp(v->final_kind, "exit") == 0, &v->suspects,
                      &v->n_suspects);
    find_unseen(o, r, v);
    v->unjudged = !v->leak && v->n_unseen > 0;
    if (r->stopped)
        v->program_exit_code = 0;
    else if (r->exited)
        v->program_exit_code = r->exit_status;
    else
        v->program_exit_code = 128 + r->signal;
}

void tl_judge(const tl_run_opts *o, tl_run_result *r, tl_verdict *v)
{
    memset(v, 0, sizeof *v);
    judge_series(o, r, v);
    v->growth_detected = v->g.detected;

    static exit_dump ex[256];
    memset(ex, 0, sizeof ex);
    int n_ex = find_exit_dumps(r, ex, 256);
    tl_dump_file *exit_file = judge_exit_dumps(o, r, v, ex, n_ex);
    v->exit_detected = v->have_exit && !r->stopped && v->exit_leaked > 0;
    pick_dumps(o, r, r->pid, r->stopped, exit_file, v->trimmed, &v->g, &v->early, &v->final,
               &v->final_kind, &v->early_at_ms);

    if (v->growth_detected && v->early && v->final) {
        const tl_dump *e = tl_dump_of(v->early), *f = tl_dump_of(v->final);
        /* the growth was in groups an ignore glob names, not in the others */
        if (net_growth(o, e, f, 1) >= o->growth.min_growth &&
            net_growth(o, e, f, 0) < o->growth.min_growth)
            v->growth_in_ignored = 1;
    }
    suspects_of_others(o, r, v, ex, n_ex);
    decide(o, r, v);
}

void tl_verdict_free(tl_verdict *v)
{
    free(v->suspects);
    for (int i = 0; i < v->n_others; i++)
        free(v->others[i].suspects);
    free(v->others);
    free(v->forgiven);
    free(v->unseen);
    tl_run_deadlock_free();
    for (int i = 0; i < n_loaded; i++)
        tl_dump_file_free(loaded[i]);
    free(loaded);
    loaded = NULL;
    n_loaded = 0;
    memset(v, 0, sizeof *v);
}
