/* See dump_check.h. */
#include "lib/dump_check.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/run.h"

long tlt_jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

int tlt_check_dump(json_t *d, char *why, size_t size)
{
    json_t *c = json_object_get(d, "counts");
    json_t *groups = json_object_get(d, "groups");
    if (!json_is_object(c) || !json_is_array(groups)) {
        snprintf(why, size, "no counts or groups");
        return -1;
    }
    long live = tlt_jint(c, "live"), running = tlt_jint(c, "running"),
         blocked = tlt_jint(c, "blocked"), exited = tlt_jint(c, "exited_unjoined"),
         created = tlt_jint(c, "created"), joined = tlt_jint(c, "joined"),
         detached = tlt_jint(c, "detached");
    if (live < 1 || running < 0 || blocked < 0 || exited < 0 || created < 0 || joined < 0 ||
        detached < 0) {
        snprintf(why, size, "a count is missing or negative (live %ld, created %ld)", live,
                 created);
        return -1;
    }
    if (live != running + blocked) {
        snprintf(why, size, "live %ld != running %ld + blocked %ld", live, running, blocked);
        return -1;
    }
    long by_wait = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(c, "by_wait"), k, v) by_wait += json_integer_value(v);
    if (by_wait != blocked) {
        snprintf(why, size, "by_wait sums to %ld, blocked is %ld", by_wait, blocked);
        return -1;
    }
    long sum[3] = {0, 0, 0};
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        const char *state = json_string_value(json_object_get(g, "state"));
        long n = tlt_jint(g, "count");
        json_t *tids = json_object_get(g, "tids");
        if (n < 1 || !state) {
            snprintf(why, size, "group %zu has count %ld, state %s", i, n, state ? state : "-");
            return -1;
        }
        if (json_is_array(tids) && (long)json_array_size(tids) != n) {
            snprintf(why, size, "group %zu: count %ld but %zu tids", i, n, json_array_size(tids));
            return -1;
        }
        sum[!strcmp(state, "running") ? 0 : !strcmp(state, "blocked") ? 1 : 2] += n;
    }
    if (sum[0] != running || sum[1] != blocked || sum[2] != exited) {
        snprintf(why, size,
                 "groups hold %ld running, %ld blocked, %ld exited; counts say %ld, %ld, %ld",
                 sum[0], sum[1], sum[2], running, blocked, exited);
        return -1;
    }
    return 0;
}

int tlt_settled_dumps(tlt_proc *p)
{
    int last = 0;
    for (int stable = 0; stable < 30; tlt_sleep_ms(50)) {
        char path[600];
        snprintf(path, sizeof path, "%s/dump.%d.%d.json", p->dir, (int)p->pid, last + 1);
        if (access(path, F_OK) == 0)
            last++, stable = 0;
        else
            stable++;
    }
    return last;
}
