/* The address map, as text for libdw and as a sorted table for questions
 * libdw cannot answer: is this address in a file or in anonymous
 * (JIT-compiled) memory? */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/range.h"
#include "preload/maps.h"
#include "preload/registry.h"

static char *text, *table_text; /* as read; a copy the table points into */
static size_t text_len;
static struct tl_mapping *table;
static int n_table;

static char *read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (cap - n < 4096) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t got = tl_real.read(fd, buf + n, cap - n - 1);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (buf)
        buf[n] = 0;
    *len = n;
    return buf;
}

/* "lo-hi perms offset dev inode   path": path NULL for anonymous memory. */
static int parse(char *t, struct tl_mapping **out)
{
    int n = 0, cap = 0;
    struct tl_mapping *m = NULL;
    for (char *line = t; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        unsigned long long lo, hi;
        char perms[8];
        int path_at = 0;
        if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, perms, &path_at) >= 3) {
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                struct tl_mapping *b = realloc(m, (size_t)cap * sizeof *m);
                if (!b)
                    break;
                m = b;
            }
            m[n].lo = lo;
            m[n].hi = hi;
            m[n].exec = perms[2] == 'x';
            m[n].path = path_at > 0 && line[path_at] ? line + path_at : NULL;
            n++;
        }
        line = nl ? nl + 1 : NULL;
    }
    *out = m;
    return n;
}

TL_HIDDEN int tl_maps_refresh(void)
{
    char path[64];
    size_t len = 0;
    snprintf(path, sizeof path, "/proc/self/task/%d/maps", (int)tl_gettid());
    char *t = read_all(path, &len);
    if (!t || len == 0) {
        free(t);
        return -1;
    }
    /* The table points into a copy: libdw gets the text untouched. */
    char *copy = malloc(len + 1);
    if (!copy) {
        free(t);
        return -1;
    }
    memcpy(copy, t, len + 1);
    struct tl_mapping *m;
    int n = parse(copy, &m);
    if (n == 0) {
        free(t);
        free(copy);
        free(m);
        return -1;
    }
    free(table_text);
    table_text = copy;
    free(table);
    table = m;
    n_table = n;
    free(text);
    text = t;
    text_len = len;
    return 0;
}

TL_HIDDEN const char *tl_maps_text(size_t *len)
{
    *len = text_len;
    return text;
}

TL_HIDDEN const struct tl_mapping *tl_maps_find(uint64_t addr)
{
    int i = tl_range_find(table, n_table, sizeof *table, addr);
    return i >= 0 ? &table[i] : NULL;
}
