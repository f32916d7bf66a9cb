/* The series file: one JSON object per line, appended by every preloaded
 * process each sampler period. Read incrementally; a torn last line waits
 * for the rest. Lines are split per pid, and per "incarnation" of a pid
 * when its t_ms goes back (the process exec'ed and the library restarted). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/series_line.h"

#define MAX_LINE_BYTES TL_SERIES_LINE_MAX

int tl_series_parse_line(const char *line, size_t len, int *pid, tl_sample *x)
{
    struct tl_series_line l;
    if (tl_series_line_parse(line, len, &l))
        return -1;
    *pid = (int)l.pid;
    *x = (tl_sample){l.t_ms,    l.live,   l.running,  l.blocked, l.exited_unjoined,
                     l.created, l.joined, l.detached, l.mono_ms};
    return 0;
}

tl_proc_series *tl_series_find(tl_series *s, int pid)
{
    for (int i = s->n - 1; i >= 0; i--)
        if (s->procs[i].pid == pid)
            return &s->procs[i];
    return NULL;
}

static tl_proc_series *new_proc(tl_series *s, int pid, int incarnation)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->procs = tl_xrealloc(s->procs, (size_t)s->cap, sizeof *s->procs);
    }
    tl_proc_series *p = &s->procs[s->n++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->incarnation = incarnation;
    return p;
}

void tl_series_add(tl_series *s, int pid, const tl_sample *x)
{
    tl_proc_series *p = tl_series_find(s, pid);
    /* time went back: an exec in the same pid, a new incarnation */
    if (p && p->n > 0 && x->t_ms < p->s[p->n - 1].t_ms)
        p = new_proc(s, pid, p->incarnation + 1);
    if (!p)
        p = new_proc(s, pid, 0);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->s = tl_xrealloc(p->s, (size_t)p->cap, sizeof *p->s);
    }
    p->s[p->n++] = *x;
}

int tl_series_poll(tl_series *s, const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return errno == ENOENT ? 0 : -1;
    if (fseek(in, s->offset, SEEK_SET) != 0) {
        fclose(in);
        return -1;
    }
    char buf[MAX_LINE_BYTES + 2];
    for (;;) {
        if (!fgets(buf, sizeof buf, in))
            break;
        size_t len = strlen(buf);
        if (len == 0 || buf[len - 1] != '\n') {
            if (len == sizeof buf - 1) { /* an over-long line: skip it whole */
                int c;
                long skipped = (long)len;
                while ((c = fgetc(in)) != EOF && c != '\n')
                    skipped++;
                if (c == '\n') {
                    s->offset += skipped + 1;
                    s->bad_lines++;
                    continue;
                }
            }
            break; /* torn: wait for the writer to finish it */
        }
        s->offset += (long)len;
        int pid;
        tl_sample x;
        memset(&x, 0, sizeof x);
        if (tl_series_parse_line(buf, len - 1, &pid, &x) == 0)
            tl_series_add(s, pid, &x);
        else if (len > 1)
            s->bad_lines++;
    }
    fclose(in);
    return 0;
}

/* 1 when pid is a live process with a single thread, read after `now`. */
static int single_threaded(int pid)
{
    char path[64], buf[16384];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (tl_read_small(path, buf, sizeof buf))
        return 0;
    const char *state = tl_status_field(buf, "State"), *threads = tl_status_field(buf, "Threads");
    char st = state ? state[strspn(state, " \t")] : 0;
    return threads && atoi(threads) == 1 && st != 'Z' && st != 'X';
}

void tl_series_fill_quiet(tl_series *s, long interval_ms)
{
    long now = tl_now_ms();
    for (int i = 0; i < s->n; i++) {
        tl_proc_series *p = &s->procs[i];
        if (p != tl_series_find(s, p->pid) || p->n == 0)
            continue; /* an earlier incarnation */
        tl_sample x = p->s[p->n - 1];
        if (x.mono_ms < 0 || x.live != 1 || x.exited_unjoined || now - x.mono_ms < interval_ms)
            continue;
        /* Read after `now`: with one thread there, no sampler existed, so
         * any line still to come from this process is later than this one. */
        if (!single_threaded(p->pid))
            continue;
        /* 2 ms early: the library's t_ms and mono_ms are truncated apart,
         * and a later real line must never look older (a new incarnation) */
        x.t_ms += now - x.mono_ms - 2;
        x.mono_ms = now - 2;
        tl_series_add(s, p->pid, &x);
    }
}

void tl_series_free(tl_series *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->procs[i].s);
    free(s->procs);
    memset(s, 0, sizeof *s);
}
