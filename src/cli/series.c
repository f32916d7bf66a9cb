/* The series file: one JSON object per line, appended by every preloaded
 * process each sampler period. Read incrementally; a torn last line waits
 * for the rest. Lines are split per pid, and per "incarnation" of a pid
 * when its t_ms goes back (the process exec'ed and the library restarted). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define MAX_LINE_BYTES 4096
#define MAX_VALUE (1LL << 53)

static int field(json_t *o, const char *key, int required, long *out)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        *out = 0;
        return required ? -1 : 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_VALUE)
        return -1;
    *out = (long)json_integer_value(v);
    return 0;
}

int threadleak_series_parse_line(const char *line, size_t len, int *pid, tl_sample *x)
{
    if (len == 0 || len > MAX_LINE_BYTES)
        return -1;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!o)
        return -1;
    long p = 0;
    int bad = !json_is_object(o) || field(o, "pid", 1, &p) || p < 1 || p > 4194304 ||
              field(o, "t_ms", 1, &x->t_ms) || field(o, "live", 1, &x->live) ||
              field(o, "running", 0, &x->running) || field(o, "blocked", 0, &x->blocked) ||
              field(o, "exited_unjoined", 0, &x->exited_unjoined) ||
              field(o, "created", 0, &x->created) || field(o, "joined", 0, &x->joined) ||
              field(o, "detached", 0, &x->detached);
    json_decref(o);
    *pid = (int)p;
    return bad ? -1 : 0;
}

tl_proc_series *threadleak_series_find(tl_series *s, int pid)
{
    for (int i = s->n - 1; i >= 0; i--)
        if (s->procs[i].pid == pid)
            return &s->procs[i];
    return NULL;
}

void threadleak_series_add(tl_series *s, int pid, const tl_sample *x)
{
    tl_proc_series *p = threadleak_series_find(s, pid);
    if (p && p->n > 0 && x->t_ms < p->s[p->n - 1].t_ms) {
        int inc = p->incarnation + 1;
        p = NULL;
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 8;
            s->procs = tl_xrealloc(s->procs, (size_t)s->cap, sizeof *s->procs);
        }
        p = &s->procs[s->n++];
        memset(p, 0, sizeof *p);
        p->pid = pid;
        p->incarnation = inc;
    }
    if (!p) {
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 8;
            s->procs = tl_xrealloc(s->procs, (size_t)s->cap, sizeof *s->procs);
        }
        p = &s->procs[s->n++];
        memset(p, 0, sizeof *p);
        p->pid = pid;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->s = tl_xrealloc(p->s, (size_t)p->cap, sizeof *p->s);
    }
    p->s[p->n++] = *x;
}

int threadleak_series_poll(tl_series *s, const char *path)
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
        if (threadleak_series_parse_line(buf, len - 1, &pid, &x) == 0)
            threadleak_series_add(s, pid, &x);
        else if (len > 1)
            s->bad_lines++;
    }
    fclose(in);
    return 0;
}

void threadleak_series_free(tl_series *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->procs[i].s);
    free(s->procs);
    memset(s, 0, sizeof *s);
}
