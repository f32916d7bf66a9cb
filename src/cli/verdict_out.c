/* `threadleak run`, the telling part: the verdict as lines on stderr (with
 * the suspects in the text dump format) and as the "threadleak-verdict"
 * JSON object of docs/formats.md. */
#include <math.h>
#include <string.h>

#include "cli/run.h"

static double finite_or_zero(double x)
{
    return isfinite(x) ? x : 0;
}

static void seconds(char *out, size_t n, long ms)
{
    if (ms < 10000)
        snprintf(out, n, "%.1fs", ms / 1000.0);
    else
        snprintf(out, n, "%.0fs", ms / 1000.0);
}

static void growth_line(const char *verdict, int pid, const char *who, const tl_growth *g,
                        const tl_growth_opts *o, long last_ms)
{
    char span[32];
    seconds(span, sizeof span, last_ms - g->window_start_ms);
    tl_msg("%s: threads keep growing in pid %d%s: %ld -> %ld live + exited unjoined, %+.3g/s "
           "over the last %s (Mann-Kendall p=%.2g < %.2g, Theil-Sen rise %.1f >= %.1f)",
           verdict, pid, who, g->first, g->last, g->per_s, span, g->p_value, 1 - o->confidence,
           g->window_growth, o->min_growth);
}

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

/* A short name for a forgiven group: its library, or the glob it matched. */
static void forgiven_label(const tl_forgiven *f, char *out, size_t n)
{
    const char *q = strchr(f->why, '\'');
    if (strcmp(f->rule, "service") != 0 && q && strchr(q + 1, '\''))
        snprintf(out, n, "%.*s", (int)(strchr(q + 1, '\'') - q - 1), q + 1);
    else {
        const char *lib = NULL;
        for (int i = 0; i < f->g.spawn_stack.depth && !lib; i++) {
            const char *m = f->g.spawn_stack.frames[i].module;
            if (m && !strstr(m, "libc.so") && !strstr(m, "libstdc++"))
                lib = m;
        }
        snprintf(out, n, "%s", lib ? base_name(lib) : "?");
    }
}

static const char *sig_name(int sig)
{
    const char *s = sigabbrev_np(sig);
    return s ? s : "?";
}

/* One line per rule: what was not counted at exit, and where to see it. */
static void print_forgiven(const tl_verdict *v)
{
    static const char *const rules[] = {"service", "runtime", "ignore"};
    static const char *const what[] = {"service thread%s of libraries",
                                       "runtime thread%s of the default ignore list",
                                       "thread%s your ignore rules match"};
    for (int k = 0; k < 3; k++) {
        long threads = 0;
        int groups = 0;
        char names[400] = "";
        size_t used = 0;
        for (int i = 0; i < v->n_forgiven; i++) {
            const tl_forgiven *f = &v->forgiven[i];
            if (strcmp(f->rule, rules[k]) != 0)
                continue;
            threads += f->g.count;
            groups++;
            char name[128];
            forgiven_label(f, name, sizeof name);
            if (!strstr(names, name) && used + strlen(name) + 8 < sizeof names)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                         used ? ", " : "", name);
        }
        char label[96];
        snprintf(label, sizeof label, what[k], threads == 1 ? "" : "s");
        if (threads)
            tl_msg("forgiven at exit: %ld %s (%s)%s", threads, label, names,
                   k == 2 ? "" : "; --json lists them, --strict counts them");
    }
}

/* The processes of the tree that outlived the program, and those stopped. */
static void print_tree(const tl_run_opts *o, const tl_run_result *r, const tl_verdict *v)
{
    (void)v;
    for (int i = 0; i < r->n_seen; i++) {
        const tl_proc_seen *s = &r->seen[i];
        if (!s->outlived)
            continue;
        if (s->stopped)
            tl_msg("pid %d (%s) was still running %.1fs after pid %d exited "
                   "(--wait-descendants): stopped it, judged its growth only",
                   s->pid, s->comm, o->wait_descendants_ms / 1000.0, r->pid);
        else
            tl_msg("pid %d (%s) outlived pid %d: waited for it to end, then judged it", s->pid,
                   s->comm, r->pid);
    }
    for (int i = 0; i < v->n_unseen; i++)
        tl_msg("unjudged: pid %d %s", v->unseen[i].pid, v->unseen[i].why);
    if (r->dir_kept)
        tl_msg("kept %s: a process of the tree still runs and may write there", r->dir);
}

/* How the program ended, where that limits what could be judged. */
static void print_ending(const tl_run_result *r, const tl_verdict *v)
{
    if (r->deadlock_stop)
        tl_msg("stopped pid %d once its deadlock was seen twice (SIGTERM%s)", r->pid,
               r->signal == 9 ? ", then SIGKILL" : "");
    else if (r->stopped)
        tl_msg("stopped pid %d after --duration (SIGTERM%s): threads the stop interrupted are "
               "not counted as left at exit",
               r->pid, r->signal == 9 ? ", then SIGKILL" : "");
    else if (!r->exited)
        tl_msg("pid %d was killed by signal %d (SIG%s): growth is judged from the samples only",
               r->pid, r->signal, sig_name(r->signal));
    if (!v->primary && !v->have_exit && r->exited)
        ; /* said as unjudged, or single-threaded */
    else if (r->exited && !r->stopped && !v->have_exit)
        tl_msg("pid %d left no exit dump (it ended with _exit, or the library could not write to "
               "%s): threads left at exit are not judged",
               r->pid, r->dir);
    if (r->series.bad_lines)
        tl_msg("skipped %ld malformed series line%s", r->series.bad_lines,
               r->series.bad_lines == 1 ? "" : "s");
}

/* Growth and threads left at exit: the program's, then its processes'. */
static void print_findings(const tl_run_opts *o, const tl_run_result *r, const tl_verdict *v,
                           long last_ms)
{
    if (v->trimmed)
        tl_msg("pid %d joined its threads at the end (%ld -> %ld live + exited unjoined after "
               "%.1fs): growth is judged on its life before that",
               r->pid, v->trimmed_peak, v->trimmed_end, v->trimmed_at_ms / 1000.0);
    if (v->growth_detected && v->growth_in_ignored)
        tl_msg("threads grew in pid %d, but in ignored groups only (--ignore): not a leak", r->pid);
    else if (v->growth_detected)
        growth_line(v->growth ? "leak" : "note (not failing, see --fail-on)", r->pid, "", &v->g,
                    &o->growth, last_ms);
    if (v->exit_detected) {
        tl_msg("%s: %ld thread%s besides main left at exit in pid %d (%ld live, %ld exited "
               "unjoined)",
               v->exit ? "leak" : "note (not failing, see --fail-on)", v->exit_leaked,
               v->exit_leaked == 1 ? "" : "s", r->pid, v->at_exit.live, v->at_exit.exited_unjoined);
    }
    for (int i = 0; i < v->n_others; i++) {
        const tl_other *x = &v->others[i];
        if (x->growth)
            growth_line(o->fail_growth ? "leak" : "note", x->pid,
                        x->outlived ? " (started by the program, outlived it)"
                                    : " (started by the program)",
                        &x->g, &o->growth, x->last_ms);
        if (x->exit_leaked)
            tl_msg("%s: %ld thread%s besides main left at exit in pid %d (started by the program)",
                   o->fail_exit ? "leak" : "note", x->exit_leaked, x->exit_leaked == 1 ? "" : "s",
                   x->pid);
    }
}

static void print_groups(FILE *out, const tl_group *groups, int n)
{
    for (int i = 0; i < n; i++) {
        fputc('\n', out);
        tl_write_group_text(out, &groups[i]);
    }
    fputc('\n', out);
}

/* The groups behind a leak, in the text dump format: the program's, then
 * those of each of its processes that fails the run. */
static void print_suspects(FILE *out, const tl_run_opts *o, const tl_run_result *r,
                           const tl_verdict *v)
{
    if (v->n_suspects) {
        char when[32];
        seconds(when, sizeof when, v->early_at_ms);
        tl_msg("%d suspect group%s in pid %d, ranked by growth from %s%s to the %s dump:",
               v->n_suspects, v->n_suspects == 1 ? "" : "s", r->pid,
               v->early ? "the dump at " : "zero (no early dump)", v->early ? when : "",
               v->final_kind);
        print_groups(out, v->suspects, v->n_suspects);
    } else if (!v->final) {
        tl_msg("no dump of pid %d to name the suspects (it ended before the first one)", r->pid);
    }
    for (int i = 0; i < v->n_others; i++) {
        const tl_other *x = &v->others[i];
        if (!x->n_suspects || !((x->growth && o->fail_growth) || (x->exit_leaked && o->fail_exit)))
            continue;
        tl_msg("%d suspect group%s %s in pid %d (started by the program):", x->n_suspects,
               x->n_suspects == 1 ? "" : "s", x->growth ? "ranked by growth" : "left at exit",
               x->pid);
        print_groups(out, x->suspects, x->n_suspects);
    }
}

static void print_clean(const tl_run_opts *o, const tl_run_result *r, const tl_verdict *v,
                        long last_ms)
{
    const char *at_exit = !v->have_exit || r->stopped ? ""
                          : v->n_forgiven ? "; no threads left at exit but those forgiven"
                                          : "; no threads left at exit";
    char span[32];
    seconds(span, sizeof span, last_ms);
    if (v->single && !v->have_exit)
        tl_msg("clean: pid %d never had a second thread: nothing to judge", r->pid);
    else if (v->g.judged)
        tl_msg("clean: no growth in %d samples over %s (%s; Mann-Kendall p=%.2g, Theil-Sen "
               "%+.3g/s)%s",
               v->g.n, span, v->g.why, v->g.p_value, v->g.per_s, at_exit);
    else
        tl_msg("clean: %s (%d sample%s; need %d)%s", v->g.why, v->g.n, v->g.n == 1 ? "" : "s",
               o->growth.min_samples, at_exit);
}

void tl_verdict_print(FILE *out, const tl_run_opts *o, const tl_run_result *r, const tl_verdict *v)
{
    fflush(out);
    long last_ms = v->primary && v->primary->n ? v->primary->s[v->primary->n - 1].t_ms : 0;
    print_ending(r, v);
    print_tree(o, r, v);
    print_forgiven(v);
    print_findings(o, r, v, last_ms);
    tl_run_deadlock_print(out, &v->dl, r->pid, v->deadlock);
    if (v->leak) {
        print_suspects(out, o, r, v);
        tl_msg("verdict: leak (%s%s%s%s%s): exit status %d", v->growth ? "growth" : "",
               v->growth && v->exit ? ", " : "", v->exit ? "exit" : "",
               (v->growth || v->exit) && v->deadlock ? ", " : "", v->deadlock ? "deadlock" : "",
               o->exit_code);
    } else if (v->unjudged) {
        tl_msg("verdict: unjudged: %d process%s of the tree could not be judged (see above): "
               "exit status %d",
               v->n_unseen, v->n_unseen == 1 ? "" : "es",
               v->program_exit_code ? v->program_exit_code : TL_EXIT_UNJUDGED);
    } else {
        print_clean(o, r, v, last_ms);
    }
    if (o->out_dir)
        tl_msg("dumps and series kept in %s", r->dir);
    fflush(out);
}

static void write_argv(FILE *f, const tl_run_opts *o)
{
    fputc('[', f);
    for (int i = 0; i < o->argc; i++) {
        if (i)
            fputc(',', f);
        tl_write_json_string(f, o->argv[i]);
    }
    fputc(']', f);
}

/* {pid, count, state, wait, function, created_by, module, rule, why} */
static void write_forgiven(FILE *f, const tl_forgiven *x, int i)
{
    const tl_group *g = &x->g;
    const char *fn = NULL, *by = NULL, *mod = NULL;
    for (int k = 0; k < g->stack.depth && !fn; k++)
        fn = g->stack.frames[k].function;
    for (int k = 0; k < g->spawn_stack.depth && !by; k++) {
        by = g->spawn_stack.frames[k].function;
        mod = g->spawn_stack.frames[k].module;
    }
    fprintf(f, "%s{\"pid\":%d,\"count\":%d,\"state\":\"%s\",\"wait\":", i ? ",\n" : "\n", x->pid,
            g->count, tl_state_name(g->state));
    if (tl_wait_name(g->wait))
        fprintf(f, "\"%s\"", tl_wait_name(g->wait));
    else
        fputs("null", f);
    fputs(",\"function\":", f);
    fn ? tl_write_json_string(f, fn) : (void)fputs("null", f);
    fputs(",\"created_by\":", f);
    by ? tl_write_json_string(f, by) : (void)fputs("null", f);
    fputs(",\"module\":", f);
    mod ? tl_write_json_string(f, mod) : (void)fputs("null", f);
    fprintf(f, ",\"rule\":\"%s\",\"why\":", x->rule);
    tl_write_json_string(f, x->why);
    fputc('}', f);
}

static void write_growth(FILE *f, const tl_run_opts *o, const tl_verdict *v)
{
    const tl_growth *g = &v->g;
    fprintf(f,
            "{\"detected\":%s,\"first\":%ld,\"last\":%ld,\"per_s\":%.6g,"
            "\"method\":\"mann-kendall+theil-sen\",\"judged\":%s,\"why\":",
            v->growth_detected && !v->growth_in_ignored ? "true" : "false", g->first, g->last,
            finite_or_zero(g->per_s), g->judged ? "true" : "false");
    tl_write_json_string(f, v->growth_in_ignored ? "growth in ignored groups only" : g->why);
    fprintf(f,
            ",\"samples\":%d,\"window_samples\":%d,\"window_start_ms\":%ld,"
            "\"mann_kendall_s\":%.0f,\"z\":%.6g,\"p_value\":%.6g,\"window_growth\":%.6g,"
            "\"tail_rise\":%.6g,\"confidence\":%.6g,\"min_growth\":%.6g,\"window\":%.6g",
            g->n, g->n_window, g->window_start_ms, finite_or_zero(g->mk_s), finite_or_zero(g->mk_z),
            finite_or_zero(g->p_value), finite_or_zero(g->window_growth),
            finite_or_zero(g->tail_rise), o->growth.confidence, o->growth.min_growth,
            o->growth.window);
    if (v->trimmed)
        fprintf(f, ",\"shutdown\":{\"peak\":%ld,\"peak_ms\":%ld,\"end\":%ld}", v->trimmed_peak,
                v->trimmed_at_ms, v->trimmed_end);
    fputc('}', f);
}

static void write_program(FILE *f, const tl_run_opts *o, const tl_run_result *r)
{
    fputs("{\"argv\":", f);
    write_argv(f, o);
    fprintf(f, ",\"pid\":%d,\"exit_code\":", r->pid);
    if (r->exited)
        fprintf(f, "%d", r->exit_status);
    else
        fputs("null", f);
    fputs(",\"signal\":", f);
    if (!r->exited && r->signal)
        fprintf(f, "%d", r->signal);
    else
        fputs("null", f);
    fprintf(f, ",\"stopped\":%s,\"elapsed_ms\":%ld}", r->stopped ? "true" : "false", r->elapsed_ms);
}

static void write_groups(FILE *f, const tl_group *groups, int n)
{
    for (int i = 0; i < n; i++) {
        fputs(i ? ",\n" : "\n", f);
        tl_write_group_json(f, &groups[i]);
    }
}

static void write_others(FILE *f, const tl_verdict *v)
{
    for (int i = 0; i < v->n_others; i++) {
        const tl_other *x = &v->others[i];
        fprintf(f,
                "%s{\"pid\":%d,\"growth\":%s,\"per_s\":%.6g,\"exit_leaked\":%ld,"
                "\"outlived\":%s,\"suspects\":[",
                i ? ",\n" : "\n", x->pid, x->growth ? "true" : "false", finite_or_zero(x->g.per_s),
                x->exit_leaked, x->outlived ? "true" : "false");
        write_groups(f, x->suspects, x->n_suspects);
        fputs("]}", f);
    }
}

static void write_unjudged(FILE *f, const tl_verdict *v)
{
    for (int i = 0; i < v->n_unseen; i++) {
        fprintf(f, "%s{\"pid\":%d,\"why\":", i ? ",\n" : "\n", v->unseen[i].pid);
        tl_write_json_string(f, v->unseen[i].why);
        fputc('}', f);
    }
}

/* The processes of the tree besides the program that reported or outlived it. */
static void write_descendants(FILE *f, const tl_run_result *r)
{
    for (int i = 0, k = 0; i < r->n_seen; i++) {
        const tl_proc_seen *s = &r->seen[i];
        if (s->pid == r->pid || (!s->has_lib && !s->outlived))
            continue;
        fprintf(f, "%s{\"pid\":%d,\"comm\":", k++ ? ",\n" : "\n", s->pid);
        tl_write_json_string(f, s->comm);
        const tl_proc_series *p = tl_series_find((tl_series *)&r->series, s->pid);
        fprintf(f, ",\"uid\":%u,\"preloaded\":%s,\"samples\":%d,\"outlived\":%s,\"stopped\":%s}",
                s->uid, s->has_lib ? "true" : "false", p ? p->n : 0, s->outlived ? "true" : "false",
                s->stopped ? "true" : "false");
    }
}

static void write_samples(FILE *f, const tl_verdict *v)
{
    for (int i = 0; v->primary && i < v->primary->n; i++) {
        const tl_sample *s = &v->primary->s[i];
        fprintf(f, "%s{\"t_ms\":%ld,\"live\":%ld,\"blocked\":%ld,\"exited_unjoined\":%ld}",
                i ? ",\n" : "\n", s->t_ms, s->live, s->blocked, s->exited_unjoined);
    }
}

static void write_verdict(FILE *f, const tl_run_opts *o, const tl_run_result *r,
                          const tl_verdict *v)
{
    fprintf(f, "{\"format\":\"threadleak-verdict\",\"version\":1,\"verdict\":\"%s\",\"reasons\":[",
            v->leak       ? "leak"
            : v->unjudged ? "unjudged"
                          : "clean");
    fprintf(f, "%s%s%s%s%s]", v->growth ? "\"growth\"" : "", v->growth && v->exit ? "," : "",
            v->exit ? "\"exit\"" : "", (v->growth || v->exit) && v->deadlock ? "," : "",
            v->deadlock ? "\"deadlock\"" : "");
    fputs(",\n\"program\":", f);
    write_program(f, o, r);
    fputs(",\n\"growth\":", f);
    write_growth(f, o, v);
    fputs(",\n\"at_exit\":", f);
    if (v->have_exit && !r->stopped)
        fprintf(f, "{\"live\":%ld,\"exited_unjoined\":%ld,\"leaked\":%ld}", v->at_exit.live,
                v->at_exit.exited_unjoined, v->exit_leaked);
    else
        fputs("null", f);
    fputs(",\n\"others\":[", f);
    write_others(f, v);
    fputs("]", f);
    tl_run_deadlock_json(f, &v->dl);
    fputs(",\n\"forgiven\":[", f);
    for (int i = 0; i < v->n_forgiven; i++)
        write_forgiven(f, &v->forgiven[i], i);
    fputs("],\n\"unjudged\":[", f);
    write_unjudged(f, v);
    fputs("],\n\"descendants\":[", f);
    write_descendants(f, r);
    fputs("],\n\"samples\":[", f);
    write_samples(f, v);
    fputs("],\n\"suspects\":[", f);
    write_groups(f, v->suspects, v->n_suspects);
    fputs("]", f);
    if (o->out_dir) {
        fputs(",\n\"out\":", f);
        tl_write_json_string(f, r->dir);
    }
    fputs("}\n", f);
}

int tl_verdict_write_json(const char *path, const tl_run_opts *o, const tl_run_result *r,
                          const tl_verdict *v)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        tl_msg("--json %s: cannot write the verdict: %m", path);
        return -1;
    }
    write_verdict(f, o, r, v);
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        fflush(f);
    if (bad) {
        tl_msg("--json %s: cannot write the verdict: %m", path);
        return -1;
    }
    return 0;
}
