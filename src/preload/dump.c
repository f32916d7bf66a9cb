/* Building a dump: a snapshot of every slot (snapshot.c), grouped by
 * identical (state, wait, stack, creation stack), symbolized. */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/grouping.h"
#include "common/owners.h"
#include "common/stack_key.h"
#include "common/syscalls.h"
#include "preload/config.h"
#include "preload/dump.h"
#include "preload/fd_describe.h"
#include "preload/dump_owners.h"
#include "preload/program.h"
#include "preload/registry.h"
#include "preload/running.h"
#include "preload/snapshot.h"
#include "preload/stacks.h"
#include "preload/symbolize.h"

static pthread_mutex_t dump_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The dump lock is held through calls that are cancellation points (open,
 * read, stdio): a program thread cancelled there (inside the API) would
 * leave it held and every later fork and the exit dump hanging. */
static __thread int cancel_state;

TL_HIDDEN void tl_dump_lock(void)
{
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    tl_real.pthread_mutex_lock(&dump_mutex);
}

TL_HIDDEN void tl_dump_unlock(void)
{
    pthread_mutex_unlock(&dump_mutex);
    pthread_setcancelstate(cancel_state, NULL);
}

TL_HIDDEN void tl_dump_after_fork_child(void)
{
    pthread_mutex_init(&dump_mutex, NULL); /* taken by the fork's prepare handler */
    pthread_setcancelstate(cancel_state, NULL);
}

struct group_key {
    int state, wait;
    uint32_t stack, spawn;
    int capture, sysno;
    uint32_t current; /* running threads are grouped by where they run */
};

struct group {
    struct group_key key;
    tl_group g;
    tl_name creator_name; /* the first thread's creator's, as recorded at creation */
    int cap;
    uint64_t *objects;
    UT_hash_handle hh;
};

struct canon_entry;

struct stack_entry {
    uint32_t id;
    struct canon_entry *canon; /* the stacks with the same source frames */
    tl_stack stack;
    UT_hash_handle hh;
};

/* Stacks that differ only in addresses, not in source (a loop the compiler
 * unrolled starts its threads from several call sites of one line), are
 * one stack for grouping. */
struct canon_entry {
    char *key;
    uint32_t id; /* the lowest stack id among them: stable from dump to dump */
    UT_hash_handle hh;
};

struct build {
    struct group *groups;
    struct stack_entry *stacks;
    struct canon_entry *canon;
    struct tl_snap *snaps;
    int n_snaps;
};

static struct canon_entry *canonical(struct build *b, uint32_t id, const tl_stack *st)
{
    char *key = tl_stack_source_key(st);
    if (!key)
        return NULL;
    struct canon_entry *c;
    HASH_FIND_STR(b->canon, key, c);
    if (c) {
        free(key);
        if (id < c->id)
            c->id = id;
        return c;
    }
    if (!(c = calloc(1, sizeof *c))) {
        free(key);
        return NULL;
    }
    c->key = key;
    c->id = id;
    HASH_ADD_KEYPTR(hh, b->canon, c->key, strlen(c->key), c);
    return c;
}

static struct stack_entry *stack_entry(struct build *b, uint32_t id);

static tl_stack symbolized(struct build *b, uint32_t id)
{
    struct stack_entry *e = stack_entry(b, id);
    return e ? e->stack : (tl_stack){0, NULL};
}

static uint32_t canonical_id(struct build *b, uint32_t id)
{
    struct stack_entry *e = stack_entry(b, id);
    return e && e->canon ? e->canon->id : id;
}

static tl_stack expanded(const uint64_t *ips, int depth, uint32_t epoch)
{
    tl_stack st = {0, NULL};
    int cap = depth;
    st.frames = calloc((size_t)cap, sizeof *st.frames);
    for (int i = 0; st.frames && i < depth; i++) {
        tl_frame f[TL_MAX_INLINED + 1];
        int n = tl_symbolize_all(ips[i], epoch, f, TL_MAX_INLINED + 1);
        if (st.depth + n > cap) {
            cap = (st.depth + n) * 2;
            tl_frame *more = realloc(st.frames, (size_t)cap * sizeof *more);
            if (!more)
                break;
            st.frames = more;
        }
        memcpy(st.frames + st.depth, f, (size_t)n * sizeof *f);
        st.depth += n;
    }
    if (!st.frames)
        st.depth = 0;
    return st;
}

static struct stack_entry *stack_entry(struct build *b, uint32_t id)
{
    struct stack_entry *e;
    HASH_FIND(hh, b->stacks, &id, sizeof id, e);
    if (e)
        return e;
    tl_stack st = {0, NULL};
    const uint64_t *ips;
    uint32_t epoch;
    int depth = tl_stack_get(id, &ips, &epoch);
    if (depth > 0) /* inlined calls are frames of their own */
        st = expanded(ips, depth, epoch);
    if (!(e = calloc(1, sizeof *e))) {
        free(st.frames);
        return NULL;
    }
    e->id = id;
    e->stack = st;
    e->canon = id ? canonical(b, id, &st) : NULL;
    HASH_ADD(hh, b->stacks, id, sizeof id, e);
    return e;
}

/* The group of threads in s's state with s's stacks, new if none yet;
 * NULL when out of memory. */
static struct group *group_of(struct build *b, const struct tl_snap *s)
{
    struct group_key k = {
        s->state,   s->wait,  canonical_id(b, s->stack),  canonical_id(b, s->spawn),
        s->capture, s->sysno, canonical_id(b, s->current)};
    struct group *g;
    HASH_FIND(hh, b->groups, &k, sizeof k, g);
    if (g)
        return g;
    if (!(g = calloc(1, sizeof *g)))
        return NULL;
    g->key = k;
    g->g.state = s->state;
    g->g.wait = s->wait;
    g->g.wait_call = s->call;
    g->g.blocked_min_ns = UINT64_MAX;
    g->g.growth = -1;
    g->g.creator_tid = s->creator;
    g->g.capture = s->capture;
    g->g.capture_syscall = s->capture == TL_CAPTURE_IN_SYSCALL ? tl_syscall_known(s->sysno) : NULL;
    HASH_ADD(hh, b->groups, key, sizeof k, g);
    return g;
}

/* Room for one more thread in each of g's per-thread arrays: 0 or -1. */
static int make_room(struct group *g)
{
    if (g->g.count < g->cap)
        return 0;
    int cap = g->cap ? g->cap * 2 : 4;
    pid_t *t = realloc(g->g.tids, (size_t)cap * sizeof *t);
    if (!t)
        return -1;
    g->g.tids = t;
    uint64_t *o = realloc(g->objects, (size_t)cap * sizeof *o);
    if (!o)
        return -1;
    g->objects = o;
    pid_t *c = realloc(g->g.creator_tids, (size_t)cap * sizeof *c);
    if (!c)
        return -1;
    g->g.creator_tids = c;
    tl_name *nm = realloc(g->g.names, (size_t)cap * sizeof *nm);
    if (!nm)
        return -1;
    g->g.names = nm;
    g->cap = cap;
    return 0;
}

static int add_to_group(struct build *b, const struct tl_snap *s)
{
    struct group *g = group_of(b, s);
    if (!g || make_room(g) != 0)
        return -1;
    if (g->g.count == 0) {
        g->g.target = s->target;
        snprintf(g->creator_name, sizeof g->creator_name, "%s", s->creator_name);
    }
    memcpy(g->g.names[g->g.count], s->name, sizeof(tl_name));
    g->g.tids[g->g.count] = s->tid;
    g->objects[g->g.count] = s->object;
    g->g.creator_tids[g->g.count] = s->creator;
    g->g.count++;
    if (g->g.wait_call != s->call)
        g->g.wait_call = NULL;
    if (s->blocked_ns < g->g.blocked_min_ns)
        g->g.blocked_min_ns = s->blocked_ns;
    if (s->blocked_ns > g->g.blocked_max_ns)
        g->g.blocked_max_ns = s->blocked_ns;
    if (s->tid == getpid())
        g->g.has_main = 1;
    return 0;
}

struct tid_name {
    pid_t tid;
    tl_name name;
};

static int by_tid(const void *a, const void *b)
{
    const struct tid_name *x = a, *y = b;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Threads in tid order, each keeping its name. */
static void sort_tids_and_names(tl_group *g)
{
    struct tid_name *v = malloc((size_t)g->n_tids * sizeof *v);
    if (!v) {
        qsort(g->tids, (size_t)g->n_tids, sizeof *g->tids, tl_cmp_pid);
        free(g->names);
        g->names = NULL;
        return;
    }
    for (int i = 0; i < g->n_tids; i++) {
        v[i].tid = g->tids[i];
        memcpy(v[i].name, g->names[i], sizeof v[i].name);
    }
    qsort(v, (size_t)g->n_tids, sizeof *v, by_tid);
    for (int i = 0; i < g->n_tids; i++) {
        g->tids[i] = v[i].tid;
        memcpy(g->names[i], v[i].name, sizeof v[i].name);
    }
    free(v);
}

/* The creator's name now if it is alive, else the one recorded when it
 * created the thread. */
static const char *creator_name(struct build *b, pid_t tid, const char *recorded)
{
    if (tid == getpid())
        return "main";
    for (int i = 0; i < b->n_snaps; i++)
        if (b->snaps[i].tid == tid && b->snaps[i].state != TL_EXITED)
            return b->snaps[i].name;
    return recorded[0] ? recorded : NULL;
}

static void fill_names_and_targets(struct build *b)
{
    struct tl_sockets *sockets = NULL;
    for (int i = 0; i < b->n_snaps; i++) {
        struct tl_snap *s = &b->snaps[i];
        if (!s->name[0] && s->state != TL_EXITED)
            tl_thread_comm(s->tid, s->name, sizeof s->name);
        if (s->state == TL_BLOCKED && tl_wait_object_is_fd(s->wait, s->call))
            s->target = tl_fd_describe(s->tid, s->object, &sockets);
    }
    tl_sockets_free(sockets);
}

static void finish_group(struct build *b, struct group *g)
{
    tl_group *out = &g->g;
    if (out->state != TL_BLOCKED)
        out->blocked_min_ns = out->blocked_max_ns = 0;
    out->stack = symbolized(b, g->key.stack);
    out->spawn_stack = symbolized(b, g->key.spawn);
    out->current_stack = symbolized(b, g->key.current);
    tl_group_set_objects(out, g->objects);
    const char *cname = creator_name(b, out->creator_tid, g->creator_name);
    out->creator_name = cname ? strdup(cname) : NULL;
    char pattern[20];
    tl_names_pattern(out->names, out->count, pattern);
    if (pattern[0] && strcmp(pattern, tl_program_comm()) != 0)
        out->name = strdup(pattern);
    if (out->objects != 1)
        out->target = NULL;
    if (out->target)
        out->target = strdup(out->target);
    out->n_creators = tl_sort_unique_pid(out->creator_tids, out->count);
    if (out->n_creators == 1 && out->creator_tids[0] == 0)
        out->n_creators = 0;
    out->n_tids = out->count;
    sort_tids_and_names(out);
}

static void fill_threads(struct build *b, tl_dump *d)
{
    d->threads = calloc((size_t)b->n_snaps + 1, sizeof *d->threads);
    if (!d->threads)
        return;
    for (int i = 0; i < b->n_snaps; i++) {
        struct tl_snap *s = &b->snaps[i];
        tl_thread *t = &d->threads[d->n_threads++];
        t->tid = s->tid;
        memcpy(t->name, s->name, sizeof t->name);
        memcpy(t->creator_name, s->creator_name, sizeof t->creator_name);
        t->target = s->target ? strdup(s->target) : NULL;
        t->state = s->state;
        t->wait = s->wait;
        t->wait_call = s->call;
        t->object = s->object;
        t->blocked_ns = s->blocked_ns;
        t->creator_tid = s->creator;
        t->stack = symbolized(b, s->stack);
        t->spawn_stack = symbolized(b, s->spawn);
        t->capture = s->capture;
        t->capture_syscall =
            s->capture == TL_CAPTURE_IN_SYSCALL ? tl_syscall_known(s->sysno) : NULL;
        t->current_stack = symbolized(b, s->current);
    }
}

static tl_stack stack_of(void *b, uint32_t id)
{
    return symbolized(b, id);
}

/* A dump owns the symbolized stacks its groups point into: they are kept
 * behind it, where tl_dump_free finds them. */
struct dump_with_stacks {
    tl_dump dump;
    struct stack_entry *stacks;
};

/* Every slot at one instant, read once the unwinder and the symbolizer
 * know the modules loaded now. */
static void snapshot_slots(struct build *b)
{
    uint32_t n = tl_slot_count();
    tl_snapshot_prepare(n);
    tl_unwind_refresh();
    tl_symbolize_refresh();
    b->snaps = calloc((size_t)n + 1, sizeof *b->snaps);
    uint64_t now = tl_clock_ns(CLOCK_MONOTONIC_COARSE);
    for (uint32_t i = 0; b->snaps && i < n; i++)
        if (tl_read_slot(i, &b->snaps[b->n_snaps], now, 1))
            b->n_snaps++;
}

/* Counts agree with the groups: both come from this one snapshot. */
static void count_and_group(struct build *b, tl_counts *c)
{
    memset(c->by_wait, 0, sizeof c->by_wait);
    c->live = c->running = c->blocked = c->exited_unjoined = 0;
    for (int i = 0; i < b->n_snaps; i++) { /* every stack known before grouping */
        stack_entry(b, b->snaps[i].stack);
        stack_entry(b, b->snaps[i].spawn);
        stack_entry(b, b->snaps[i].current);
    }
    for (int i = 0; i < b->n_snaps; i++) {
        struct tl_snap *s = &b->snaps[i];
        if (s->state == TL_EXITED) {
            c->exited_unjoined++;
            continue;
        }
        tl_counts_add(c, s->state, s->wait);
        add_to_group(b, s);
    }
    for (int i = 0; i < b->n_snaps; i++)
        if (b->snaps[i].state == TL_EXITED)
            add_to_group(b, &b->snaps[i]);
}

/* The build's groups become the dump's, largest first. */
static void take_groups(struct build *b, tl_dump *d)
{
    d->n_groups = HASH_COUNT(b->groups);
    d->groups = calloc((size_t)d->n_groups + 1, sizeof *d->groups);
    int k = 0;
    struct group *g, *tmp;
    HASH_ITER(hh, b->groups, g, tmp)
    {
        finish_group(b, g);
        if (d->groups)
            d->groups[k++] = g->g;
        else
            free(g->g.tids), free(g->g.creator_tids), free(g->g.names);
        free(g->objects);
        HASH_DEL(b->groups, g);
        free(g);
    }
    d->n_groups = k;
    qsort(d->groups, (size_t)d->n_groups, sizeof *d->groups, tl_group_order);
}

/* All of the build but its stacks, which the dump keeps. */
static void build_free(struct build *b)
{
    for (int i = 0; i < b->n_snaps; i++)
        free(b->snaps[i].target);
    free(b->snaps);
    struct canon_entry *c, *tmp;
    HASH_ITER(hh, b->canon, c, tmp)
    {
        HASH_DEL(b->canon, c);
        free(c->key);
        free(c);
    }
}

/* Where the running threads run (running.c), when the dump asks. */
static void capture_running(struct build *b, tl_dump *d, pid_t requester)
{
    struct tl_running_report rep;
    tl_running_capture(b->snaps, b->n_snaps, requester, &rep);
    d->running_asked = 1;
    d->running_unavailable = rep.unavailable;
    d->n_unanswered = rep.n_unanswered;
    d->unanswered_tids = rep.unanswered_tids;
    d->unanswered_why = rep.unanswered_why;
    d->running_skipped = rep.skipped;
}

TL_HIDDEN tl_dump *tl_dump_build(const char *reason, int detail_threads, int running,
                                 pid_t requester)
{
    struct dump_with_stacks *whole = calloc(1, sizeof *whole);
    if (!whole)
        return NULL;
    tl_dump *d = &whole->dump;
    struct build b = {0};
    snapshot_slots(&b);
    d->pid = getpid();
    d->program = tl_program_name();
    d->reason = reason;
    d->stacks_unknown = tl_unwind_unknown();
    d->time_unix_ns = tl_clock_ns(CLOCK_REALTIME);
    tl_count(&d->counts);
    fill_names_and_targets(&b);
    if (running)
        capture_running(&b, d, requester);
    count_and_group(&b, &d->counts);
    take_groups(&b, d);
    d->n_threads = -1;
    if (detail_threads) {
        d->n_threads = 0;
        fill_threads(&b, d);
    }
    tl_dump_owners(d, b.snaps, b.n_snaps, stack_of, &b);
    build_free(&b);
    whole->stacks = b.stacks;
    tl_symbolize_release();
    return d;
}

TL_HIDDEN void tl_dump_free(tl_dump *d)
{
    if (!d)
        return;
    struct dump_with_stacks *whole = (struct dump_with_stacks *)d;
    tl_owners_free(d); /* before the groups it points into */
    for (int i = 0; i < d->n_groups; i++) {
        free(d->groups[i].tids);
        free(d->groups[i].creator_tids);
        free((char *)d->groups[i].creator_name);
        free(d->groups[i].names);
        free((char *)d->groups[i].name);
        free((char *)d->groups[i].target);
    }
    free(d->groups);
    for (int i = 0; i < d->n_threads; i++)
        free((char *)d->threads[i].target);
    free(d->threads);
    free(d->unanswered_tids);
    free(d->unanswered_why);
    struct stack_entry *e, *tmp;
    HASH_ITER(hh, whole->stacks, e, tmp)
    {
        HASH_DEL(whole->stacks, e);
        free(e->stack.frames);
        free(e);
    }
    free(whole);
}
