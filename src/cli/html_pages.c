/* The two ways to an HTML report: `report --format html DUMP.json [--series
 * FILE]` (growth judged from the series as run judges it, every group of the
 * dump shown) and `run --html FILE` (run's own verdict and suspects). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/html.h"
#include "cli/run.h"

typedef struct why {
    char *line[16];
    int n;
} why;

static void say(why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(why *w, const char *fmt, ...)
{
    if (w->n == (int)(sizeof w->line / sizeof *w->line))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&w->line[w->n], fmt, ap) >= 0)
        w->n++;
    va_end(ap);
}

static void why_free(why *w)
{
    for (int i = 0; i < w->n; i++)
        free(w->line[i]);
}

static void say_growth(why *w, const tl_growth *g, const tl_growth_opts *o, const char *who)
{
    if (!g->judged)
        say(w, "growth%s not judged: %d samples, %d in the judged window (at least %d needed)", who,
            g->n, g->n_window, o->min_samples);
    else if (g->detected)
        say(w,
            "threads keep growing%s: %ld -> %ld live + exited unjoined, %+.3g/s over the judged "
            "window (Mann-Kendall p=%.2g < %.2g, Theil-Sen rise %.1f >= %.1f)",
            who, g->first, g->last, g->per_s, g->p_value, 1 - o->confidence, g->window_growth,
            o->min_growth);
    else
        say(w,
            "no growth%s: %s (%ld -> %ld live + exited unjoined, %+.3g/s over the judged "
            "window, Mann-Kendall p=%.2g)",
            who, g->why ? g->why : "not detected", g->first, g->last, g->per_s, g->p_value);
}

int tl_html_report(FILE *out, const tl_dump *d, const char *series_path)
{
    tl_html_page p = {.title = d->program,
                      .dump = d,
                      .groups = d->groups,
                      .n_groups = d->n_groups,
                      .groups_title = "Groups"};
    tl_series s = {0};
    tl_growth g;
    tl_growth_opts o;
    tl_growth_defaults(&o);
    why w = {0};
    if (series_path) {
        errno = 0;
        if (access(series_path, R_OK) || tl_series_poll(&s, series_path) || s.n == 0) {
            tl_msg("%s: %s", series_path,
                   errno ? strerror(errno)
                         : "no series lines in it (one JSON object per line, as "
                           "THREADLEAK_SERIES writes)");
            tl_series_free(&s);
            return -2;
        }
        const tl_proc_series *ps = tl_series_find(&s, d->pid);
        if (!ps) {
            ps = &s.procs[0];
            say(&w, "the series has no pid %d: showing pid %d's", d->pid, ps->pid);
        }
        long *t = tl_xcalloc((size_t)ps->n + 1, sizeof *t),
             *y = tl_xcalloc((size_t)ps->n + 1, sizeof *y);
        for (int i = 0; i < ps->n; i++) {
            t[i] = ps->s[i].t_ms;
            y[i] = ps->s[i].live + ps->s[i].exited_unjoined;
        }
        tl_judge_growth(t, y, ps->n, &o, &g);
        free(t);
        free(y);
        p.samples = ps->s;
        p.n_samples = ps->n;
        p.growth = &g;
        p.verdict = !g.judged ? NULL : g.detected ? "leak" : "clean";
        say_growth(&w, &g, &o, "");
        if (d->counts.exited_unjoined)
            say(&w, "%ld exited unjoined in the dump: their stacks stay reserved until joined",
                d->counts.exited_unjoined);
    } else {
        say(&w, "no series given: growth not judged (report --series series.jsonl)");
    }
    p.why = (const char *const *)w.line;
    p.n_why = w.n;
    int rc = tl_html_write(out, &p);
    why_free(&w);
    tl_series_free(&s);
    return rc;
}

int tl_html_run_write(const char *path, const tl_run_opts *o, const tl_run_result *r,
                      const tl_verdict *v)
{
    why w = {0};
    char title[512] = "";
    for (int i = 0; i < o->argc; i++)
        snprintf(title + strlen(title), sizeof title - strlen(title), "%s%s", i ? " " : "",
                 o->argv[i]);
    if (v->primary)
        say_growth(&w, &v->g, &o->growth, "");
    if (v->growth_detected && v->growth_in_ignored)
        say(&w, "the growth was in ignored groups only (--ignore): not a leak");
    else if (v->growth_detected && !v->growth)
        say(&w, "growth is not failing the run (--fail-on)");
    if (v->exit_detected)
        say(&w, "%ld thread%s besides main left at exit (%ld live, %ld exited unjoined)%s",
            v->exit_leaked, v->exit_leaked == 1 ? "" : "s", v->at_exit.live,
            v->at_exit.exited_unjoined, v->exit ? "" : ": not failing the run (--fail-on)");
    else if (v->have_exit)
        say(&w, "no thread besides main left at exit");
    if (r->stopped)
        say(&w, "stopped after --duration: threads the stop interrupted are not exit leaks");
    for (int i = 0; i < v->n_others; i++) {
        char who[64];
        snprintf(who, sizeof who, " in pid %d (started by the program)", v->others[i].pid);
        if (v->others[i].growth)
            say_growth(&w, &v->others[i].g, &o->growth, who);
        if (v->others[i].exit_leaked)
            say(&w, "%ld threads left at exit%s", v->others[i].exit_leaked, who);
    }
    tl_html_page p = {
        .title = title,
        .dump = v->final ? tl_dump_of(v->final) : NULL,
        .samples = v->primary ? v->primary->s : NULL,
        .n_samples = v->primary ? v->primary->n : 0,
        .growth = v->primary ? &v->g : NULL,
        .verdict = v->leak ? "leak" : "clean",
        .why = (const char *const *)w.line,
        .n_why = w.n,
        .groups = v->suspects,
        .n_groups = v->n_suspects,
        .groups_title = "Suspects",
    };
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f) {
        rc = tl_html_write(f, &p);
        if (fclose(f))
            rc = -1;
    }
    if (rc)
        tl_msg("cannot write the HTML report %s: %s", path, strerror(errno));
    why_free(&w);
    return rc;
}
