/* Reading /tmp/perf-PID.map. Only a regular file owned by this process's
 * user is read (as perf does: anyone can create a file in /tmp), at most
 * 64 MiB of it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/perf_map.h"
#include "preload/real.h"

#define MAX_BYTES (64 << 20)
#define MAX_BACK 64 /* overlapping entries looked at for one address */

struct entry {
    uint64_t lo, hi;
    uint32_t seq; /* line number: later lines win */
    const char *name;
};

static char path[64];
static char *text;
static struct entry *entries;
static size_t n_entries;
static struct stat loaded; /* size and time of what is loaded */

static int by_start(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void parse(void)
{
    size_t cap = 0;
    uint32_t seq = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *end;
        unsigned long long lo = strtoull(line, &end, 16), size = 0;
        if (end != line && *end == ' ') {
            char *name;
            size = strtoull(end + 1, &name, 16);
            if (name != end + 1 && *name == ' ' && size > 0 && name[1]) {
                if (n_entries == cap) {
                    cap = cap ? cap * 2 : 1024;
                    struct entry *e = realloc(entries, cap * sizeof *e);
                    if (!e)
                        break;
                    entries = e;
                }
                entries[n_entries++] = (struct entry){lo, lo + size, seq++, name + 1};
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    qsort(entries, n_entries, sizeof *entries, by_start);
}

TL_HIDDEN void tl_perf_map_refresh(void)
{
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        free(text), free(entries);
        text = NULL, entries = NULL, n_entries = 0;
        memset(&loaded, 0, sizeof loaded);
        return;
    }
    if (text && st.st_size == loaded.st_size && st.st_mtim.tv_sec == loaded.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == loaded.st_mtim.tv_nsec)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    size_t want = st.st_size < MAX_BYTES ? (size_t)st.st_size : MAX_BYTES, n = 0;
    char *t = malloc(want + 1);
    while (t && n < want) {
        ssize_t got = tl_real.read(fd, t + n, want - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    if (!t)
        return;
    t[n] = 0;
    free(text), free(entries);
    text = t, entries = NULL, n_entries = 0;
    loaded = st;
    parse();
}

TL_HIDDEN const char *tl_perf_map_lookup(uint64_t addr, uint64_t *start)
{
    /* the last entry starting at or before addr, then back over overlaps */
    size_t lo = 0, hi = n_entries;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (entries[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct entry *best = NULL;
    for (size_t i = lo, k = 0; i > 0 && k < MAX_BACK; i--, k++) {
        const struct entry *e = &entries[i - 1];
        if (addr < e->hi && (!best || e->seq > best->seq))
            best = e;
    }
    if (!best)
        return NULL;
    *start = best->lo;
    return best->name;
}

TL_HIDDEN const char *tl_perf_map_path(void)
{
    return path;
}
