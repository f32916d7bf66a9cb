#include <stdio.h>
#include <string.h>

#include "common/series_line.h"

#define MAX_VALUE (1LL << 53)
#define PID_MAX 4194304

static const char *const keys[] = {"pid",     "t_ms",    "mono_ms",         "live",
                                   "running", "blocked", "exited_unjoined", "created",
                                   "joined",  "detached"};
enum { N_KEYS = sizeof keys / sizeof keys[0], REQUIRED = 1 << 0 | 1 << 1 | 1 << 3 };

static long *field_of(struct tl_series_line *x, int k)
{
    long *f[N_KEYS] = {&x->pid,     &x->t_ms,    &x->mono_ms,         &x->live,
                       &x->running, &x->blocked, &x->exited_unjoined, &x->created,
                       &x->joined,  &x->detached};
    return f[k];
}

int tl_series_line_format(char *buf, size_t size, const struct tl_series_line *x)
{
    char mono[40] = ""; /* left out when unknown: the reader takes -1 then */
    if (x->mono_ms >= 0)
        snprintf(mono, sizeof mono, "\"mono_ms\":%ld,", x->mono_ms);
    int n = snprintf(buf, size,
                     "{\"pid\":%ld,\"t_ms\":%ld,%s\"live\":%ld,\"running\":%ld,"
                     "\"blocked\":%ld,\"exited_unjoined\":%ld,\"created\":%ld,\"joined\":%ld,"
                     "\"detached\":%ld}\n",
                     x->pid, x->t_ms, mono, x->live, x->running, x->blocked, x->exited_unjoined,
                     x->created, x->joined, x->detached);
    return n > 0 && (size_t)n < size ? n : -1;
}

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
        c->p++;
}

static int eat(struct cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A JSON string; its raw bytes (escapes left as they are) in [*s, *s + *n). */
static int string(struct cursor *c, const char **s, size_t *n)
{
    if (!eat(c, '"'))
        return -1;
    *s = c->p;
    while (c->p < c->end && *c->p != '"') {
        if ((unsigned char)*c->p < 0x20)
            return -1;
        if (*c->p == '\\' && ++c->p == c->end)
            return -1;
        c->p++;
    }
    if (c->p == c->end)
        return -1;
    *n = (size_t)(c->p - *s);
    c->p++;
    return 0;
}

/* A JSON number; 1 with its value when it is a whole number in [0, 2^53]. */
static int number(struct cursor *c, long long *v)
{
    const char *start = c->p;
    int neg = c->p < c->end && *c->p == '-';
    if (neg)
        c->p++;
    long long n = 0;
    int digits = 0, whole = 1;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (n <= MAX_VALUE)
            n = n * 10 + (*c->p - '0');
        c->p++;
        digits++;
    }
    if (!digits || (digits > 1 && start[neg] == '0'))
        return -1;
    if (c->p < c->end && *c->p == '.') {
        whole = 0;
        c->p++;
        if (c->p == c->end || *c->p < '0' || *c->p > '9')
            return -1;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        whole = 0;
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (c->p == c->end || *c->p < '0' || *c->p > '9')
            return -1;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    *v = n;
    return whole && !neg && n <= MAX_VALUE;
}

/* Any scalar value, for keys this reader does not know. */
static int skip_value(struct cursor *c)
{
    skip_ws(c);
    if (c->p == c->end)
        return -1;
    if (*c->p == '"') {
        const char *s;
        size_t n;
        return string(c, &s, &n);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, words[i], n) == 0) {
            c->p += n;
            return 0;
        }
    }
    long long v;
    return number(c, &v) < 0 ? -1 : 0;
}

int tl_series_line_parse(const char *line, size_t len, struct tl_series_line *x)
{
    if (len == 0 || len > TL_SERIES_LINE_MAX)
        return -1;
    memset(x, 0, sizeof *x);
    x->mono_ms = -1;
    struct cursor c = {line, line + len};
    unsigned seen = 0;
    if (!eat(&c, '{'))
        return -1;
    if (!eat(&c, '}')) {
        do {
            const char *k;
            size_t kn;
            if (string(&c, &k, &kn) || !eat(&c, ':'))
                return -1;
            int which = -1;
            for (int i = 0; i < N_KEYS; i++)
                if (strlen(keys[i]) == kn && memcmp(keys[i], k, kn) == 0)
                    which = i;
            if (which < 0) {
                if (skip_value(&c))
                    return -1;
                continue;
            }
            long long v;
            skip_ws(&c);
            if ((seen & 1u << which) || number(&c, &v) != 1)
                return -1;
            seen |= 1u << which;
            *field_of(x, which) = (long)v;
        } while (eat(&c, ','));
        if (!eat(&c, '}'))
            return -1;
    }
    skip_ws(&c);
    if (c.p != c.end || (seen & REQUIRED) != REQUIRED || x->pid < 1 || x->pid > PID_MAX)
        return -1;
    return 0;
}
