/* Reading a JSON dump back into the model of common/model.h. The input is
 * never trusted: every field is checked for its type and range, and the
 * first problem is reported as one line naming the field. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

#define MAX_FILE_BYTES (256L << 20)
#define MAX_GROUPS 1000000
#define MAX_FRAMES 4096
#define MAX_TIDS 10000000
#define MAX_THREADS 10000000
#define MAX_PID 4194304 /* PID_MAX_LIMIT */
#define MAX_COUNT (1LL << 53)
#define MAX_LINE 100000000

struct tl_dump_file {
    json_t *root; /* owns every string the model points to */
    tl_dump d;
};

/* The first thing wrong with the file, said at its JSON path ("groups[2].count"). */
typedef struct read_error {
    char *err;
    size_t errlen;
    int failed;
} read_error;

static void fail(read_error *r, const char *path, const char *what)
{
    if (r->failed)
        return;
    r->failed = 1;
    snprintf(r->err, r->errlen, "%s: %s", path, what);
}

static void path_member(char *out, size_t n, const char *path, const char *key)
{
    snprintf(out, n, "%s%s%s", path, *path ? "." : "", key);
}

static void path_element(char *out, size_t n, const char *path, size_t i)
{
    snprintf(out, n, "%s[%zu]", path, i);
}

/* A required member (or an optional one when opt is set: NULL if absent). */
static json_t *member(read_error *r, json_t *obj, const char *path, const char *key, int opt)
{
    json_t *v = json_object_get(obj, key);
    if (!v && !opt) {
        char p[512];
        path_member(p, sizeof p, path, key);
        fail(r, p, "missing");
    }
    return v;
}

static long long get_int(read_error *r, json_t *obj, const char *path, const char *key,
                         long long lo, long long hi, long long dflt, int opt)
{
    char p[512], what[128];
    json_t *v = member(r, obj, path, key, opt);
    if (!v || (opt && json_is_null(v)))
        return dflt;
    path_member(p, sizeof p, path, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(what, sizeof what, "expected an integer from %lld to %lld", lo, hi);
        fail(r, p, what);
        return dflt;
    }
    return json_integer_value(v);
}

/* A string or null (NULL is returned for null or, when opt, absent). */
static const char *get_str(read_error *r, json_t *obj, const char *path, const char *key,
                           int nullable, int opt)
{
    char p[512];
    json_t *v = member(r, obj, path, key, opt);
    if (!v)
        return NULL;
    if (json_is_null(v) && nullable)
        return NULL;
    if (!json_is_string(v)) {
        path_member(p, sizeof p, path, key);
        fail(r, p, nullable ? "expected a string or null" : "expected a string");
        return NULL;
    }
    return json_string_value(v);
}

/* "0x..." into a uint64; a null is 0 when nullable. */
static uint64_t get_hex(read_error *r, json_t *obj, const char *path, const char *key, int nullable)
{
    char p[512];
    path_member(p, sizeof p, path, key);
    json_t *v = member(r, obj, path, key, 0);
    if (!v)
        return 0;
    if (json_is_null(v) && nullable)
        return 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t len = s ? strlen(s) : 0;
    if (!s || len < 3 || len > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
        strspn(s + 2, "0123456789abcdefABCDEF") != len - 2) {
        fail(r, p,
             nullable ? "expected a hex string like \"0x1a2b\" or null"
                      : "expected a hex string like \"0x1a2b\"");
        return 0;
    }
    return strtoull(s + 2, NULL, 16);
}

static json_t *get_array(read_error *r, json_t *obj, const char *path, const char *key, size_t max,
                         int opt)
{
    char p[512], what[96];
    json_t *v = member(r, obj, path, key, opt);
    if (!v)
        return NULL;
    path_member(p, sizeof p, path, key);
    if (!json_is_array(v)) {
        fail(r, p, "expected an array");
        return NULL;
    }
    if (json_array_size(v) > max) {
        snprintf(what, sizeof what, "%zu entries, more than the %zu allowed", json_array_size(v),
                 max);
        fail(r, p, what);
        return NULL;
    }
    return v;
}

static int get_state(read_error *r, json_t *obj, const char *path)
{
    char p[512];
    const char *s = get_str(r, obj, path, "state", 0, 0);
    int st = s ? tl_state_parse(s) : TL_RUNNING;
    if (s && st < 0) {
        path_member(p, sizeof p, path, "state");
        fail(r, p, "expected \"running\", \"blocked\" or \"exited\"");
        return TL_RUNNING;
    }
    return st;
}

static int get_wait(read_error *r, json_t *obj, const char *path)
{
    char p[512];
    const char *s = get_str(r, obj, path, "wait", 1, 0);
    int w = tl_wait_parse(s);
    if (w < 0) {
        path_member(p, sizeof p, path, "wait");
        fail(r, p,
             "expected a wait kind (join, mutex, rwlock, cond, sem, barrier, futex, sleep, "
             "io, poll, child) or null");
        return TL_WAIT_NONE;
    }
    return w;
}

static void read_frame(read_error *r, json_t *v, const char *path, tl_frame *f)
{
    if (!json_is_object(v)) {
        fail(r, path, "expected a frame object");
        return;
    }
    f->ip = get_hex(r, v, path, "ip", 0);
    f->function = get_str(r, v, path, "function", 1, 0);
    f->offset = (uint64_t)get_int(r, v, path, "offset", 0, MAX_COUNT, 0, 1);
    f->module = get_str(r, v, path, "module", 1, 1);
    f->file = get_str(r, v, path, "file", 1, 1);
    f->line = (int)get_int(r, v, path, "line", 0, MAX_LINE, 0, 1);
    json_t *inl = json_object_get(v, "inlined");
    f->inlined = json_is_true(inl);
    if (inl && !json_is_boolean(inl)) {
        char p[512];
        path_member(p, sizeof p, path, "inlined");
        fail(r, p, "expected true or false");
    }
}

static void read_stack_opt(read_error *r, json_t *obj, const char *path, const char *key,
                           tl_stack *s, int opt)
{
    char p[512], q[600];
    json_t *a = get_array(r, obj, path, key, MAX_FRAMES, opt);
    if (!a)
        return;
    path_member(p, sizeof p, path, key);
    s->depth = (int)json_array_size(a);
    s->frames = tl_xcalloc((size_t)s->depth, sizeof *s->frames);
    for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
        path_element(q, sizeof q, p, i);
        read_frame(r, json_array_get(a, i), q, &s->frames[i]);
    }
}

static void read_stack(read_error *r, json_t *obj, const char *path, const char *key, tl_stack *s)
{
    read_stack_opt(r, obj, path, key, s, 0);
}

/* A running group's or thread's capture (running stacks): all optional. */
static void read_capture(read_error *r, json_t *obj, const char *path, int *capture,
                         const char **syscall, tl_stack *current)
{
    const char *c = get_str(r, obj, path, "running_capture", 1, 1);
    *capture = tl_capture_parse(c);
    if (c && *capture == TL_CAPTURE_NONE) {
        char p[512];
        path_member(p, sizeof p, path, "running_capture");
        fail(r, p, "expected ok, in_syscall, blocked_signal, no_answer, unavailable, skipped or seccomp");
    }
    *syscall = get_str(r, obj, path, "running_syscall", 1, 1);
    read_stack_opt(r, obj, path, "current_stack", current, 1);
}

/* A stack that a ptrace dump may write as null (not known): 1 when null. */
static int read_stack_or_null(read_error *r, json_t *obj, const char *path, const char *key,
                              tl_stack *s)
{
    json_t *v = json_object_get(obj, key);
    if (v && json_is_null(v))
        return 1;
    read_stack(r, obj, path, key, s);
    return 0;
}

static int is_null(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && json_is_null(v);
}

static pid_t *read_tids(read_error *r, json_t *obj, const char *path, const char *key, int *n)
{
    char p[512], q[600];
    json_t *a = get_array(r, obj, path, key, MAX_TIDS, 0);
    *n = 0;
    if (!a)
        return NULL;
    path_member(p, sizeof p, path, key);
    pid_t *t = tl_xcalloc(json_array_size(a), sizeof *t);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_PID) {
            path_element(q, sizeof q, p, i);
            fail(r, q, "expected a thread id from 0 to 4194304");
            break;
        }
        t[i] = (pid_t)json_integer_value(v);
    }
    *n = (int)json_array_size(a);
    return t;
}

/* thread_names: parallel to tids (NULL when absent or of another length). */
static tl_name *read_names(read_error *r, json_t *obj, const char *path, int n)
{
    char p[512], q[600];
    json_t *a = get_array(r, obj, path, "thread_names", MAX_TIDS, 1);
    if (!a || json_array_size(a) != (size_t)n || n == 0)
        return NULL;
    path_member(p, sizeof p, path, "thread_names");
    tl_name *names = tl_xcalloc((size_t)n, sizeof *names);
    for (int i = 0; i < n; i++) {
        json_t *v = json_array_get(a, (size_t)i);
        if (json_is_null(v))
            continue;
        if (!json_is_string(v)) {
            path_element(q, sizeof q, p, (size_t)i);
            fail(r, q, "expected a string or null");
            break;
        }
        snprintf(names[i], sizeof names[i], "%s", json_string_value(v));
    }
    return names;
}

/* An optional frame, null allowed; ip 0 when absent. */
static void read_opt_frame(read_error *r, json_t *obj, const char *path, const char *key,
                           tl_frame *f)
{
    char p[512];
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return;
    path_member(p, sizeof p, path, key);
    read_frame(r, v, p, f);
}

static int owner_flag(const char *s)
{
    for (int bit = 1; bit <= TL_OWNER_NO_SELF_WAIT; bit <<= 1)
        if (tl_owner_flag_name(bit) && strcmp(s, tl_owner_flag_name(bit)) == 0)
            return bit;
    return 0; /* a newer writer's flag: not an error */
}

/* An owner object (v at path); null leaves o unknown. */
static void read_owner_at(read_error *r, json_t *v, const char *p, tl_owner *o)
{
    o->group = -1;
    if (!v || json_is_null(v))
        return;
    if (!json_is_object(v)) {
        fail(r, p, "expected an owner object or null");
        return;
    }
    o->known = 1;
    o->tid = (pid_t)get_int(r, v, p, "tid", 0, MAX_PID, 0, 1);
    const char *name = get_str(r, v, p, "name", 1, 1);
    if (name)
        snprintf(o->name, sizeof o->name, "%s", name);
    if (json_object_get(v, "state"))
        o->state = get_state(r, v, p);
    if (json_object_get(v, "wait"))
        o->wait = get_wait(r, v, p);
    o->wait_call = get_str(r, v, p, "wait_call", 1, 1);
    if (json_object_get(v, "object"))
        o->object = get_hex(r, v, p, "object", 1);
    if (json_object_get(v, "mutex"))
        o->mutex = get_hex(r, v, p, "mutex", 1);
    o->group = (int)get_int(r, v, p, "group", 0, MAX_GROUPS, -1, 1);
    o->readers = (int)get_int(r, v, p, "readers", 0, MAX_TIDS, 0, 1);
    read_opt_frame(r, v, p, "at", &o->at);
    read_opt_frame(r, v, p, "created_at", &o->created);
    json_t *flags = get_array(r, v, p, "flags", 64, 1);
    for (size_t i = 0; flags && i < json_array_size(flags); i++) {
        json_t *f = json_array_get(flags, i);
        if (json_is_string(f))
            o->flags |= owner_flag(json_string_value(f));
    }
}

/* "owner" of a group or thread: optional, null when absent. */
static void read_owner(read_error *r, json_t *obj, const char *path, tl_owner *o)
{
    char p[512];
    path_member(p, sizeof p, path, "owner");
    read_owner_at(r, json_object_get(obj, "owner"), p, o);
}

/* "owners" of a group waiting on several objects: optional. */
static void read_owners(read_error *r, json_t *obj, const char *path, tl_group *g)
{
    char p[512], q[600];
    json_t *a = get_array(r, obj, path, "owners", 64, 1);
    if (!a)
        return;
    path_member(p, sizeof p, path, "owners");
    g->owners = tl_xcalloc(json_array_size(a) + 1, sizeof *g->owners);
    for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
        path_element(q, sizeof q, p, i);
        read_owner_at(r, json_array_get(a, i), q, &g->owners[g->n_owners++]);
    }
    g->more_owners = (int)get_int(r, obj, path, "more_owners", 0, MAX_TIDS, 0, 1);
}

/* A thread object's tid and name (of "threads" and of a deadlock's);
 * -1 when v is no object. */
static int read_tid_name(read_error *r, json_t *v, const char *path, pid_t *tid, char name[16])
{
    if (!json_is_object(v)) {
        fail(r, path, "expected a thread object");
        return -1;
    }
    *tid = (pid_t)get_int(r, v, path, "tid", 0, MAX_PID, 0, 0);
    const char *s = get_str(r, v, path, "name", 1, 1);
    if (s)
        snprintf(name, 16, "%s", s);
    return 0;
}

static void read_cycle_thread(read_error *r, json_t *v, const char *path, tl_cycle_thread *t)
{
    if (read_tid_name(r, v, path, &t->tid, t->name))
        return;
    t->wait = get_wait(r, v, path);
    t->wait_call = get_str(r, v, path, "wait_call", 1, 1);
    t->object = get_hex(r, v, path, "object", 1);
    t->owner_tid = (pid_t)get_int(r, v, path, "owner_tid", 0, MAX_PID, 0, 0);
    read_stack(r, v, path, "stack", &t->stack);
}

/* "deadlocks": optional (dumps from before it existed have none). */
static void read_deadlocks(read_error *r, json_t *root, tl_dump *d)
{
    char p[64], q[96];
    json_t *a = get_array(r, root, "", "deadlocks", MAX_THREADS, 1);
    if (!a)
        return;
    d->deadlocks = tl_xcalloc(json_array_size(a) + 1, sizeof *d->deadlocks);
    for (size_t i = 0; i < json_array_size(a) && !r->failed; i++) {
        path_element(p, sizeof p, "deadlocks", i);
        json_t *c = json_array_get(a, i);
        tl_deadlock *dl = &d->deadlocks[d->n_deadlocks++];
        if (!json_is_object(c)) {
            fail(r, p, "expected {\"threads\": [...]}");
            return;
        }
        json_t *threads = get_array(r, c, p, "threads", MAX_THREADS, 0);
        if (!threads)
            return;
        dl->threads = tl_xcalloc(json_array_size(threads) + 1, sizeof *dl->threads);
        dl->n = (int)json_array_size(threads);
        for (int k = 0; k < dl->n && !r->failed; k++) {
            snprintf(q, sizeof q, "%s.threads[%d]", p, k);
            read_cycle_thread(r, json_array_get(threads, (size_t)k), q, &dl->threads[k]);
        }
    }
}

static void read_group(read_error *r, json_t *v, const char *path, int pid, tl_group *g)
{
    g->growth = -1;
    if (!json_is_object(v)) {
        fail(r, path, "expected a group object");
        return;
    }
    g->count = (int)get_int(r, v, path, "count", 0, MAX_TIDS, 0, 0);
    g->state = get_state(r, v, path);
    g->wait = get_wait(r, v, path);
    g->wait_call = get_str(r, v, path, "wait_call", 1, 1);
    g->object = get_hex(r, v, path, "object", 1);
    g->objects = (int)get_int(r, v, path, "objects", 0, MAX_TIDS, g->object ? 1 : 0, 1);
    json_t *b = member(r, v, path, "blocked_ns", 0);
    if (b && !json_is_null(b)) {
        char p[512];
        path_member(p, sizeof p, path, "blocked_ns");
        if (!json_is_object(b))
            fail(r, p, "expected {\"min\": N, \"max\": N} or null");
        g->blocked_min_ns = (uint64_t)get_int(r, b, p, "min", 0, INT64_MAX, 0, 0);
        g->blocked_max_ns = (uint64_t)get_int(r, b, p, "max", 0, INT64_MAX, 0, 0);
    } else if (b && g->state == TL_BLOCKED) {
        g->unknown |= TL_UNKNOWN_BLOCKED_NS;
    }
    read_stack(r, v, path, "stack", &g->stack);
    if (read_stack_or_null(r, v, path, "spawn_stack", &g->spawn_stack))
        g->unknown |= TL_UNKNOWN_SPAWN;
    if (!is_null(v, "creator_tids"))
        g->creator_tids = read_tids(r, v, path, "creator_tids", &g->n_creators);
    g->creator_tid = g->n_creators ? g->creator_tids[0] : 0;
    g->creator_name = get_str(r, v, path, "creator_name", 1, 1);
    g->tids = read_tids(r, v, path, "tids", &g->n_tids);
    g->names = read_names(r, v, path, g->n_tids);
    g->name = get_str(r, v, path, "name", 1, 1);
    g->target = get_str(r, v, path, "fd_target", 1, 1);
    g->growth = (long)get_int(r, v, path, "growth", 0, MAX_TIDS, -1, 1);
    for (int i = 0; i < g->n_tids; i++)
        if (g->tids[i] == pid)
            g->has_main = 1;
    read_owner(r, v, path, &g->owner);
    read_owners(r, v, path, g);
    read_capture(r, v, path, &g->capture, &g->capture_syscall, &g->current_stack);
}

static void read_thread(read_error *r, json_t *v, const char *path, tl_thread *t)
{
    if (read_tid_name(r, v, path, &t->tid, t->name))
        return;
    t->state = get_state(r, v, path);
    t->wait = get_wait(r, v, path);
    t->wait_call = get_str(r, v, path, "wait_call", 1, 1);
    t->object = get_hex(r, v, path, "object", 1);
    t->target = get_str(r, v, path, "fd_target", 1, 1);
    const char *creator = get_str(r, v, path, "creator_name", 1, 1);
    if (creator)
        snprintf(t->creator_name, sizeof t->creator_name, "%s", creator);
    t->blocked_ns = (uint64_t)get_int(r, v, path, "blocked_ns", 0, INT64_MAX, 0, 1);
    if (t->state == TL_BLOCKED && is_null(v, "blocked_ns"))
        t->unknown |= TL_UNKNOWN_BLOCKED_NS;
    t->creator_tid = (pid_t)get_int(r, v, path, "creator_tid", 0, MAX_PID, 0, 1);
    read_stack(r, v, path, "stack", &t->stack);
    if (read_stack_or_null(r, v, path, "spawn_stack", &t->spawn_stack))
        t->unknown |= TL_UNKNOWN_SPAWN;
    read_owner(r, v, path, &t->owner);
    read_capture(r, v, path, &t->capture, &t->capture_syscall, &t->current_stack);
}

/* A top-level member that must be an object; NULL when absent (opt) or
 * not one (then r has failed). */
static json_t *object_member(read_error *r, json_t *root, const char *key, int opt)
{
    json_t *o = member(r, root, "", key, opt);
    if (o && !json_is_object(o)) {
        fail(r, key, "expected an object");
        return NULL;
    }
    return o;
}

/* "running_stacks": present only in dumps that captured running stacks. */
static void read_running(read_error *r, json_t *root, tl_dump *d)
{
    json_t *o = object_member(r, root, "running_stacks", 1);
    if (!o)
        return;
    d->running_asked = 1;
    d->running_unavailable = get_str(r, o, "running_stacks", "unavailable", 1, 1);
    d->running_skipped = (long)get_int(r, o, "running_stacks", "skipped", 0, MAX_COUNT, 0, 1);
    json_t *na = get_array(r, o, "running_stacks", "not_answered", MAX_THREADS, 1);
    if (!na)
        return;
    d->n_unanswered = (int)json_array_size(na);
    d->unanswered_tids = tl_xcalloc((size_t)d->n_unanswered + 1, sizeof *d->unanswered_tids);
    d->unanswered_why = tl_xcalloc((size_t)d->n_unanswered + 1, sizeof *d->unanswered_why);
    char p[64];
    for (int i = 0; i < d->n_unanswered && !r->failed; i++) {
        json_t *t = json_array_get(na, (size_t)i);
        path_element(p, sizeof p, "running_stacks.not_answered", (size_t)i);
        d->unanswered_tids[i] = (pid_t)get_int(r, t, p, "tid", 0, MAX_PID, 0, 0);
        d->unanswered_why[i] = tl_capture_parse(get_str(r, t, p, "why", 0, 0));
    }
}

static void read_counts(read_error *r, json_t *root, tl_counts *c)
{
    json_t *o = object_member(r, root, "counts", 0);
    if (!o)
        return;
    c->live = (long)get_int(r, o, "counts", "live", 0, MAX_COUNT, 0, 0);
    c->running = (long)get_int(r, o, "counts", "running", 0, MAX_COUNT, 0, 0);
    c->blocked = (long)get_int(r, o, "counts", "blocked", 0, MAX_COUNT, 0, 0);
    /* null in a ptrace dump: not known without the library. */
    int lifecycle_null =
        is_null(o, "exited_unjoined") && is_null(o, "created") && is_null(o, "joined");
    if (lifecycle_null)
        c->unknown |= TL_UNKNOWN_LIFECYCLE;
    int opt = lifecycle_null;
    c->exited_unjoined = (long)get_int(r, o, "counts", "exited_unjoined", 0, MAX_COUNT, 0, opt);
    c->created = (long)get_int(r, o, "counts", "created", 0, MAX_COUNT, 0, opt);
    c->joined = (long)get_int(r, o, "counts", "joined", 0, MAX_COUNT, 0, opt);
    c->detached = (long)get_int(r, o, "counts", "detached", 0, MAX_COUNT, 0, 1);
    json_t *bw = json_object_get(o, "by_wait");
    if (bw && !json_is_object(bw)) {
        fail(r, "counts.by_wait", "expected an object");
        return;
    }
    for (int w = 1; bw && w < TL_WAIT_COUNT; w++)
        c->by_wait[w] = (long)get_int(r, bw, "counts.by_wait", tl_wait_name(w), 0, MAX_COUNT, 0, 1);
}

static void free_stack(tl_stack *s)
{
    free(s->frames);
}

static void free_group(tl_group *g)
{
    free_stack(&g->stack);
    free_stack(&g->spawn_stack);
    free_stack(&g->current_stack);
    free(g->creator_tids);
    free(g->tids);
    free(g->names);
    free(g->owners);
}

static void free_model(tl_dump *d)
{
    for (int i = 0; d->groups && i < d->n_groups; i++)
        free_group(&d->groups[i]);
    free(d->groups);
    for (int i = 0; d->threads && i < d->n_threads; i++) {
        free_stack(&d->threads[i].stack);
        free_stack(&d->threads[i].spawn_stack);
        free_stack(&d->threads[i].current_stack);
    }
    free(d->threads);
    free(d->unanswered_tids);
    free(d->unanswered_why);
    for (int i = 0; d->deadlocks && i < d->n_deadlocks; i++) {
        for (int k = 0; d->deadlocks[i].threads && k < d->deadlocks[i].n; k++)
            free_stack(&d->deadlocks[i].threads[k].stack);
        free(d->deadlocks[i].threads);
    }
    free(d->deadlocks);
}

/* Whether root is a threadleak dump this reader knows: 0, or -1 with r
 * failed and saying what the file is not. */
static int read_format(read_error *r, json_t *root)
{
    if (!json_is_object(root)) {
        fail(r, "top level", "expected a JSON object (is this a threadleak dump?)");
        return -1;
    }
    const char *format = get_str(r, root, "", "format", 0, 0);
    if (r->failed || strcmp(format, "threadleak-dump") != 0) {
        r->failed = 0;
        fail(r, "format",
             "not \"threadleak-dump\": this is not a threadleak JSON dump (write one with "
             "THREADLEAK_FORMAT=json or threadleak dump --json)");
        return -1;
    }
    long long version = get_int(r, root, "", "version", 1, 1000000, 1, 0);
    if (!r->failed && version != 1) {
        fail(r, "version", "this threadleak reads version 1 dumps only; use a newer threadleak");
        return -1;
    }
    return 0;
}

/* pause: how long the threads were stopped (ptrace dumps), or null; -1
 * when it is neither. */
static int read_pause(read_error *r, json_t *root, tl_dump *d)
{
    json_t *pause = member(r, root, "", "pause", 1);
    if (pause && json_is_object(pause)) {
        d->paused_threads = (long)get_int(r, pause, "pause", "threads", 0, MAX_COUNT, 0, 0);
        d->pause_ns = (uint64_t)get_int(r, pause, "pause", "ns", 0, INT64_MAX, 0, 0);
        d->pause_late = (long)get_int(r, pause, "pause", "late", 0, MAX_COUNT, 0, 1);
        d->pause_free = (long)get_int(r, pause, "pause", "not_stopped", 0, MAX_COUNT, 0, 1);
    } else if (pause && !json_is_null(pause)) {
        fail(r, "pause", "expected {\"threads\": N, \"ns\": N} or null");
        return -1;
    }
    return 0;
}

/* -1 when the dump has no groups array to read (or failed before). */
static int read_groups(read_error *r, json_t *root, tl_dump *d)
{
    json_t *groups = get_array(r, root, "", "groups", MAX_GROUPS, 0);
    if (r->failed)
        return -1;
    char p[64];
    d->n_groups = (int)json_array_size(groups);
    d->groups = tl_xcalloc((size_t)d->n_groups, sizeof *d->groups);
    for (int i = 0; i < d->n_groups && !r->failed; i++) {
        path_element(p, sizeof p, "groups", (size_t)i);
        read_group(r, json_array_get(groups, (size_t)i), p, d->pid, &d->groups[i]);
    }
    return 0;
}

/* threads (detail=threads only): n_threads stays -1 without it. */
static void read_threads(read_error *r, json_t *root, tl_dump *d)
{
    json_t *threads = get_array(r, root, "", "threads", MAX_THREADS, 1);
    if (!threads || r->failed)
        return;
    char p[64];
    d->n_threads = (int)json_array_size(threads);
    d->threads = tl_xcalloc((size_t)d->n_threads, sizeof *d->threads);
    for (int i = 0; i < d->n_threads && !r->failed; i++) {
        path_element(p, sizeof p, "threads", (size_t)i);
        read_thread(r, json_array_get(threads, (size_t)i), p, &d->threads[i]);
    }
}

static void read_root(read_error *r, json_t *root, tl_dump *d)
{
    d->n_threads = -1;
    if (read_format(r, root) != 0)
        return;
    d->pid = (int)get_int(r, root, "", "pid", 1, MAX_PID, 0, 0);
    d->program = get_str(r, root, "", "program", 1, 0);
    d->number = (int)get_int(r, root, "", "dump", 0, INT32_MAX, 0, 0);
    d->reason = get_str(r, root, "", "reason", 1, 1);
    d->time_unix_ns = (uint64_t)get_int(r, root, "", "time_unix_ns", 0, INT64_MAX, 0, 0);
    d->source = get_str(r, root, "", "source", 1, 1);
    if (d->source && strcmp(d->source, "preload") && strcmp(d->source, "ptrace") &&
        strcmp(d->source, "preload+ptrace")) {
        fail(r, "source", "expected \"preload\", \"ptrace\" or \"preload+ptrace\"");
        return;
    }
    if (read_pause(r, root, d) != 0)
        return;
    read_counts(r, root, &d->counts);
    d->stacks_unknown = get_str(r, root, "", "stacks_unknown", 1, 1);
    read_running(r, root, d);
    if (read_groups(r, root, d) != 0)
        return;
    read_deadlocks(r, root, d);
    read_threads(r, root, d);
}

tl_dump_file *tl_dump_parse(const char *text, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "not valid JSON at line %d column %d: %s", je.line, je.column,
                 je.text);
        return NULL;
    }
    tl_dump_file *f = tl_xcalloc(1, sizeof *f);
    f->root = root;
    read_error r = {err, errlen, 0};
    read_root(&r, root, &f->d);
    if (r.failed) {
        tl_dump_file_free(f);
        return NULL;
    }
    return f;
}

tl_dump_file *tl_dump_load(const char *path, char *err, size_t errlen)
{
    int from_stdin = strcmp(path, "-") == 0;
    FILE *in = from_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (!from_stdin && fstat(fileno(in), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(in);
        snprintf(err, errlen, "not a regular file");
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = tl_xcalloc(cap, 1);
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)MAX_FILE_BYTES) {
                if (!from_stdin)
                    fclose(in);
                free(buf);
                snprintf(err, errlen, "larger than %ld MiB: not a dump this threadleak reads",
                         MAX_FILE_BYTES >> 20);
                return NULL;
            }
            cap *= 2;
            buf = tl_xrealloc(buf, cap, 1);
        }
        size_t got = fread(buf + len, 1, cap - len, in);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(in);
    if (!from_stdin)
        fclose(in);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "read error");
        return NULL;
    }
    tl_dump_file *f = tl_dump_parse(buf, len, err, errlen);
    free(buf);
    return f;
}

/* Adds g's threads to into, then frees what is g's own. */
static void fold_into(tl_group *into, tl_group *g)
{
    int n = into->n_tids + g->n_tids;
    into->tids = tl_xrealloc(into->tids, (size_t)n + 1, sizeof *into->tids);
    memcpy(into->tids + into->n_tids, g->tids, (size_t)g->n_tids * sizeof *g->tids);
    if (into->names && g->names) {
        into->names = tl_xrealloc(into->names, (size_t)n + 1, sizeof *into->names);
        memcpy(into->names + into->n_tids, g->names, (size_t)g->n_tids * sizeof *g->names);
    } else {
        free(into->names);
        into->names = NULL;
    }
    into->n_tids = n;
    into->count += g->count;
    into->has_main |= g->has_main;
    /* They run in different places: no one current stack says where. */
    free_stack(&into->current_stack);
    into->current_stack = (tl_stack){0, NULL};
    into->capture = TL_CAPTURE_NONE;
    free_group(g);
}

static void regroup(tl_owner *o, const int *to, int n)
{
    if (o->group >= 0 && o->group < n)
        o->group = to[o->group];
}

void tl_dump_fold_running(tl_dump_file *f)
{
    tl_dump *d = f ? &f->d : NULL;
    if (!d || !d->running_asked)
        return;
    int k = 0, *to = tl_xcalloc((size_t)d->n_groups + 1, sizeof *to);
    for (int i = 0; i < d->n_groups; i++) {
        tl_group *g = &d->groups[i];
        int into = -1;
        for (int j = 0; j < k && into < 0 && g->state == TL_RUNNING; j++)
            if (d->groups[j].state == TL_RUNNING && tl_group_same(&d->groups[j], g))
                into = j;
        if (into >= 0) {
            fold_into(&d->groups[into], g);
            to[i] = into;
        } else {
            to[i] = k;
            d->groups[k++] = *g;
        }
    }
    /* Owners name their group by its place in the dump. */
    for (int i = 0; i < k; i++) {
        regroup(&d->groups[i].owner, to, d->n_groups);
        for (int j = 0; j < d->groups[i].n_owners; j++)
            regroup(&d->groups[i].owners[j], to, d->n_groups);
    }
    for (int i = 0; i < d->n_threads; i++)
        regroup(&d->threads[i].owner, to, d->n_groups);
    d->n_groups = k;
    free(to);
}

tl_dump *tl_dump_of(tl_dump_file *f)
{
    return f ? &f->d : NULL;
}

void tl_dump_file_free(tl_dump_file *f)
{
    if (!f)
        return;
    free_model(&f->d);
    json_decref(f->root);
    free(f);
}
