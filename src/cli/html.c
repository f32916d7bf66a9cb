/* See html.h. Everything is drawn here, as HTML and SVG text: the page needs
 * no script and no network to be read, from a CI artifact or a mail. */
#include "cli/html.h"
#include "common/clock.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void esc(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}"
    ".meta{color:#666}.verdict{display:inline-block;padding:2px 10px;border-radius:4px;"
    "font-weight:bold;color:#fff}.verdict.leak{background:#c62828}"
    ".verdict.clean{background:#2e7d32}.verdict.unjudged{background:#757575}"
    "ul.why{margin:8px 0}svg text{font:11px sans-serif;fill:#444}"
    ".live{stroke:#1565c0}.blocked{stroke:#ef6c00;stroke-dasharray:4 3}.exited{stroke:#6a1b9a}"
    "polyline{fill:none;stroke-width:1.5}.sample{fill:#1565c0}"
    ".trend{stroke:#c62828;stroke-width:2;stroke-dasharray:6 4}"
    ".window{fill:#fff3e0}.axis{stroke:#999}.grid{stroke:#eee}"
    "details{margin:4px 0;border:1px solid #ddd;border-radius:4px;padding:4px 8px}"
    "summary{cursor:pointer}pre{margin:6px 0;overflow-x:auto;font-size:12px}"
    ".icicle rect{stroke:#fff;stroke-width:.5}.icicle text{font:10px monospace;fill:#000}";

/* ---- the chart ---- */

/* The chart: its width and height, and its margins left, right, top, bottom (px). */
enum { CW = 1000, CH = 320, ML = 50, MR = 20, MT = 20, MB = 40 };

typedef struct scale {
    double t0, t1, ymax;
} scale;

/* Where time t (ms) and thread count y fall on the chart, in px. */
static double x_px(const scale *s, double t)
{
    return ML + (s->t1 > s->t0 ? (t - s->t0) / (s->t1 - s->t0) : 0.5) * (CW - ML - MR);
}

static double y_px(const scale *s, double y)
{
    return CH - MB - (s->ymax > 0 ? y / s->ymax : 0) * (CH - MT - MB);
}

static long judged_y(const tl_sample *x)
{
    return x->live + x->exited_unjoined;
}

static void polyline(FILE *out, const scale *sc, const tl_sample *s, int n, const char *cls,
                     size_t field)
{
    fprintf(out, "<polyline class=\"%s\" points=\"", cls);
    for (int i = 0; i < n; i++) {
        long v = *(const long *)((const char *)&s[i] + field);
        fprintf(out, "%.1f,%.1f ", x_px(sc, (double)s[i].t_ms), y_px(sc, (double)v));
    }
    fputs("\"/>\n", out);
}

/* The Theil-Sen line through the judged window: its slope is the growth's,
 * its intercept the median of y - slope*t there. */
static void trend(FILE *out, const scale *sc, const tl_html_page *p)
{
    const tl_growth *g = p->growth;
    if (!g || !g->judged)
        return;
    double slope = g->per_s / 1000.0, *r = tl_xcalloc((size_t)p->n_samples, sizeof *r);
    int n = 0;
    for (int i = 0; i < p->n_samples; i++)
        if (p->samples[i].t_ms >= g->window_start_ms)
            r[n++] = (double)judged_y(&p->samples[i]) - slope * (double)p->samples[i].t_ms;
    if (n) {
        double b = tl_median(r, n), t0 = (double)g->window_start_ms, t1 = sc->t1;
        fprintf(out,
                "<line class=\"trend\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\">"
                "<title>trend %+.3g threads/s</title></line>\n",
                x_px(sc, t0), y_px(sc, b + slope * t0), x_px(sc, t1), y_px(sc, b + slope * t1),
                g->per_s);
    }
    free(r);
}

/* The shaded span of samples the verdict judged. */
static void judged_window(FILE *out, const scale *sc, const tl_growth *g)
{
    if (!g || !g->judged)
        return;
    fprintf(out,
            "<rect class=\"window\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\">"
            "<title>judged window: the last %d samples</title></rect>"
            "<text x=\"%.1f\" y=\"%d\">judged window</text>\n",
            x_px(sc, (double)g->window_start_ms), MT,
            x_px(sc, sc->t1) - x_px(sc, g->window_start_ms), CH - MT - MB, g->n_window,
            x_px(sc, (double)g->window_start_ms) + 4, MT + 12);
}

static void axes(FILE *out, const scale *sc)
{
    for (int k = 0; k <= 4; k++) { /* y grid and labels */
        double v = sc->ymax * k / 4;
        fprintf(out,
                "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n",
                ML, CW - MR, y_px(sc, v), y_px(sc, v), ML - 6, y_px(sc, v) + 4, v);
    }
    for (int k = 0; k <= 5; k++) { /* x labels, seconds since the library started */
        double t = sc->t0 + (sc->t1 - sc->t0) * k / 5;
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1fs</text>\n", x_px(sc, t),
                CH - MB + 16, t / 1000);
    }
    fprintf(out,
            "<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since start</text>\n",
            ML, CW - MR, CH - MB, CH - MB, (CW + ML) / 2, CH - 6);
}

/* One point per sample, on the judged count. */
static void points(FILE *out, const scale *sc, const tl_sample *s, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(out,
                "<circle class=\"sample\" r=\"2.5\" cx=\"%.1f\" cy=\"%.1f\" data-t-ms=\"%ld\" "
                "data-threads=\"%ld\"><title>%.1fs: %ld live (%ld blocked, %ld running), %ld "
                "exited unjoined</title></circle>\n",
                x_px(sc, (double)s[i].t_ms), y_px(sc, (double)judged_y(&s[i])), s[i].t_ms,
                judged_y(&s[i]), s[i].t_ms / 1000.0, s[i].live, s[i].blocked, s[i].running,
                s[i].exited_unjoined);
}

static void chart(FILE *out, const tl_html_page *p)
{
    fputs("<h2>Threads over time</h2>\n", out);
    if (p->n_samples == 0) {
        fputs("<p class=\"meta\">No series: give one with --series series.jsonl (run --out DIR "
              "keeps it there, or set THREADLEAK_SERIES).</p>\n",
              out);
        return;
    }
    const tl_sample *s = p->samples;
    int n = p->n_samples;
    scale sc = {(double)s[0].t_ms, (double)s[n - 1].t_ms, 1};
    for (int i = 0; i < n; i++)
        if (judged_y(&s[i]) > sc.ymax)
            sc.ymax = (double)judged_y(&s[i]);
    sc.ymax = ceil(sc.ymax * 1.1);
    fprintf(out, "<svg id=\"chart\" viewBox=\"0 0 %d %d\" width=\"100%%\">\n", CW, CH);
    judged_window(out, &sc, p->growth);
    axes(out, &sc);
    polyline(out, &sc, s, n, "blocked", offsetof(tl_sample, blocked));
    polyline(out, &sc, s, n, "exited", offsetof(tl_sample, exited_unjoined));
    polyline(out, &sc, s, n, "live", offsetof(tl_sample, live));
    trend(out, &sc, p);
    points(out, &sc, s, n);
    fputs("</svg>\n<p class=\"meta\"><span style=\"color:#1565c0\">&#9632; live</span> "
          "(points: live + exited unjoined, the judged count) &#160; "
          "<span style=\"color:#ef6c00\">&#9632; blocked</span> &#160; "
          "<span style=\"color:#6a1b9a\">&#9632; exited unjoined</span> &#160; "
          "<span style=\"color:#c62828\">- - trend (Theil-Sen)</span></p>\n",
          out);
}

/* ---- the groups ---- */

static void group_summary(FILE *out, const tl_group *g)
{
    fprintf(out, "%d thread%s &#183; ", g->count, g->count == 1 ? "" : "s");
    if (g->state == TL_BLOCKED) {
        fputs("blocked in ", out);
        esc(out, tl_wait_name(g->wait) ? tl_wait_name(g->wait) : "?");
        if (g->wait_call) {
            fputs(" (", out);
            esc(out, g->wait_call);
            fputs(")", out);
        }
    } else {
        esc(out, g->state == TL_EXITED ? "exited unjoined" : "running");
    }
    const tl_stack *where = tl_group_where(g);
    const tl_frame *f0 = where->depth ? &where->frames[0] : NULL;
    if (f0 && f0->function) {
        fputs(" in <b>", out);
        esc(out, f0->function);
        fputs("</b>", out);
    }
    if (g->growth > 0)
        fprintf(out, " &#183; grew by %ld", g->growth);
}

static void groups(FILE *out, const tl_html_page *p)
{
    fprintf(out, "<h2>%s</h2>\n", p->groups_title ? p->groups_title : "Groups");
    if (p->n_groups == 0)
        fputs("<p class=\"meta\">None.</p>\n", out);
    for (int i = 0; i < p->n_groups; i++) {
        const tl_group *g = &p->groups[i];
        fputs("<details class=\"suspect\"", out);
        if (i < 3) /* the first few open: what a reader looks at first */
            fputs(" open", out);
        fputs("><summary>", out);
        group_summary(out, g);
        fputs("</summary><pre>", out);
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (m) {
            tl_write_group_text(m, g);
            fclose(m);
            esc(out, text);
        }
        free(text);
        fputs("</pre></details>\n", out);
    }
}

/* ---- the icicle of the final dump, from its folded stacks ---- */

typedef struct node {
    char *name;
    long value;
    int child, next; /* indexes, -1: none */
} node;

typedef struct tree {
    node *n;
    int len, cap, depth;
} tree;

static int tree_add(tree *t, const char *name, size_t len)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->n = tl_xrealloc(t->n, (size_t)t->cap, sizeof *t->n);
    }
    node *x = &t->n[t->len];
    x->name = strndup(name, len);
    x->value = 0;
    x->child = x->next = -1;
    return t->len++;
}

static int child(tree *t, int parent, const char *name, size_t len)
{
    int *link = &t->n[parent].child;
    while (*link >= 0) {
        node *c = &t->n[*link];
        if (strlen(c->name) == len && strncmp(c->name, name, len) == 0)
            return *link;
        link = &c->next;
    }
    int k = tree_add(t, name, len); /* may move t->n: link is recomputed */
    link = &t->n[parent].child;
    while (*link >= 0)
        link = &t->n[*link].next;
    *link = k; /* appended: siblings keep the dump's order, largest group first */
    return k;
}

/* One folded line, "a;b;c N", into the tree under the root. */
static void add_folded(tree *t, char *line)
{
    char *sp = strrchr(line, ' ');
    if (!sp)
        return;
    long v = strtol(sp + 1, NULL, 10);
    *sp = 0;
    int at = 0, depth = 0;
    t->n[0].value += v;
    for (char *p = line; *p;) {
        size_t l = strcspn(p, ";");
        at = child(t, at, p, l);
        t->n[at].value += v;
        depth++;
        p += l + (p[l] == ';');
    }
    if (depth > t->depth)
        t->depth = depth;
}

static unsigned hue(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

enum { IW = 1000, RH = 17 };

static void draw(FILE *out, const tree *t, int at, double x, int depth, double total)
{
    const node *n = &t->n[at];
    double w = total > 0 ? IW * (double)n->value / total : 0;
    unsigned h = hue(n->name);
    int marker = n->name[0] == '[';
    fputs("<g><title>", out);
    esc(out, n->name);
    fprintf(out,
            " &#8212; %ld thread%s (%.1f%%)</title>"
            "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"hsl(%u,%u%%,%u%%)\"/>",
            n->value, n->value == 1 ? "" : "s", 100.0 * (double)n->value / total, x, depth * RH, w,
            RH, marker ? 210 : 10 + h % 45, marker ? 20u : 70 + h % 25,
            marker ? 85u : 60 + (h >> 8) % 20);
    int chars = (int)(w / 6.2);
    if (chars >= 3) {
        fprintf(out, "<text x=\"%.2f\" y=\"%d\">", x + 3, depth * RH + 12);
        int len = (int)strlen(n->name);
        if (len <= chars) {
            esc(out, n->name);
        } else {
            char *cut = strndup(n->name, (size_t)(chars - 2));
            esc(out, cut);
            fputs("..", out);
            free(cut);
        }
        fputs("</text>", out);
    }
    fputs("</g>\n", out);
    for (int c = n->child; c >= 0; c = t->n[c].next) {
        draw(out, t, c, x, depth + 1, total);
        x += total > 0 ? IW * (double)t->n[c].value / total : 0;
    }
}

static void icicle(FILE *out, const tl_dump *d)
{
    fputs("<h2>Flame graph of the final dump</h2>\n<p class=\"meta\">Icicle: the root on top, "
          "then the stack that created the threads, <code>[new thread]</code>, the stack they "
          "are in, and their state at the bottom; widths are thread counts. Hover for "
          "counts.</p>\n",
          out);
    char *folded = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&folded, &len);
    if (!m)
        return;
    tl_write_folded(m, d, 1);
    fclose(m);
    tree t = {0};
    tree_add(&t, "all threads", 11);
    for (char *save, *line = strtok_r(folded, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        add_folded(&t, line);
    free(folded);
    fprintf(out, "<svg class=\"icicle\" id=\"flame\" viewBox=\"0 0 %d %d\" width=\"100%%\">\n", IW,
            (t.depth + 1) * RH);
    if (t.n[0].value > 0)
        draw(out, &t, 0, 0, 0, (double)t.n[0].value);
    fputs("</svg>\n", out);
    for (int i = 0; i < t.len; i++)
        free(t.n[i].name);
    free(t.n);
}

/* ---- the page ---- */

static void header(FILE *out, const tl_html_page *p)
{
    fputs("<h1>threadleak report: ", out);
    esc(out, p->title ? p->title : "?");
    fputs("</h1>\n", out);
    const tl_dump *d = p->dump;
    if (d) {
        char when[32] = "";
        time_t secs = (time_t)(d->time_unix_ns / TL_NS_PER_S);
        struct tm tm;
        if (gmtime_r(&secs, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(out,
                "<p class=\"meta\">final dump %d of pid %d (%s) at %s: %ld live (%ld blocked, "
                "%ld running), %ld exited unjoined &#183; %ld created, %ld joined, %ld "
                "detached</p>\n",
                d->number, d->pid, d->reason ? d->reason : "?", when, d->counts.live,
                d->counts.blocked, d->counts.running, d->counts.exited_unjoined, d->counts.created,
                d->counts.joined, d->counts.detached);
        if (d->stacks_unknown) {
            fputs("<p class=\"meta\">Blocked-at stacks unknown: ", out);
            esc(out, d->stacks_unknown);
            fputs("</p>\n", out);
        }
    }
    fputs("<h2>Verdict</h2>\n<p>", out);
    const char *v = p->verdict ? p->verdict : "not judged";
    fprintf(out, "<span class=\"verdict %s\" id=\"verdict\">", p->verdict ? v : "unjudged");
    esc(out, v);
    fputs("</span></p>\n<ul class=\"why\">\n", out);
    for (int i = 0; i < p->n_why; i++) {
        fputs("<li>", out);
        esc(out, p->why[i]);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

int tl_html_write(FILE *out, const tl_html_page *p)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"threadleak " THREADLEAK_VERSION "\">\n<title>"
          "threadleak: ",
          out);
    esc(out, p->title ? p->title : "report");
    fprintf(out, "</title>\n<style>%s</style></head><body>\n", style);
    header(out, p);
    chart(out, p);
    groups(out, p);
    if (p->dump)
        icicle(out, p->dump);
    fputs("</body></html>\n", out);
    return ferror(out) ? -1 : 0;
}
