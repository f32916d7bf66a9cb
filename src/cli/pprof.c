/* A dump as a pprof profile in the shape of Go's goroutine profile: one
 * sample per group valued by its thread count, leaf frame first, with the
 * creation stack as the root part under a "[created by]" frame, so a flame
 * graph shows who started the threads. Encoded by libprotobuf-c from
 * proto/profile.proto, gzipped by zlib, as `go tool pprof` reads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <zlib.h>

#include "cli/cli.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__ValueType ValueType;

/* A key (string) to an index, for the string table and every id. */
typedef struct interned {
    char *key;
    size_t index;
    UT_hash_handle hh;
} interned;

typedef struct builder {
    interned *strings_by_key, *functions_by_key, *mappings_by_key, *locations_by_key;
    char **strings;
    size_t n_strings, cap_strings;
    Function *functions;
    Mapping *mappings;
    Location *locations;
    Line *lines;
    size_t n_functions, n_mappings, n_locations, cap_frames;
} builder;

/* Looks key up in *table; returns its index, or (size_t)-1 after adding it
 * with index `next`, so the caller fills the new entry. */
static size_t intern(interned **table, const char *key, size_t next, int *added)
{
    interned *e;
    HASH_FIND_STR(*table, key, e);
    if (e) {
        *added = 0;
        return e->index;
    }
    e = tl_xcalloc(1, sizeof *e);
    e->key = tl_xstrdup(key);
    e->index = next;
    HASH_ADD_KEYPTR(hh, *table, e->key, strlen(e->key), e);
    *added = 1;
    return next;
}

static void table_free(interned **table)
{
    interned *e, *tmp;
    HASH_ITER(hh, *table, e, tmp)
    {
        HASH_DEL(*table, e);
        free(e->key);
        free(e);
    }
}

static int64_t str_index(builder *b, const char *s)
{
    int added;
    size_t i = intern(&b->strings_by_key, s ? s : "", b->n_strings, &added);
    if (added) {
        if (b->n_strings == b->cap_strings) {
            b->cap_strings = b->cap_strings ? 2 * b->cap_strings : 64;
            b->strings = tl_xrealloc(b->strings, b->cap_strings, sizeof *b->strings);
        }
        b->strings[b->n_strings++] = tl_xstrdup(s ? s : "");
    }
    return (int64_t)i;
}

static uint64_t function_id(builder *b, const char *name, const char *file)
{
    char *key;
    if (asprintf(&key, "%s\x01%s", name, file ? file : "") < 0)
        abort();
    int added;
    size_t i = intern(&b->functions_by_key, key, b->n_functions, &added);
    free(key);
    if (added) {
        Function *f = &b->functions[b->n_functions++];
        *f = (Function)PERFTOOLS__PROFILES__FUNCTION__INIT;
        f->id = i + 1;
        f->name = f->system_name = str_index(b, name);
        f->filename = str_index(b, file);
    }
    return i + 1;
}

/* One mapping per module, spanning the addresses seen in it (the dump keeps
 * no load addresses); 0 for frames of no known module. */
static uint64_t mapping_id(builder *b, const tl_frame *fr)
{
    if (!fr->module || !*fr->module)
        return 0;
    int added;
    size_t i = intern(&b->mappings_by_key, fr->module, b->n_mappings, &added);
    Mapping *m = &b->mappings[i];
    if (added) {
        b->n_mappings++;
        *m = (Mapping)PERFTOOLS__PROFILES__MAPPING__INIT;
        m->id = i + 1;
        m->filename = str_index(b, fr->module);
        m->memory_start = fr->ip;
        m->memory_limit = fr->ip + 1;
        /* Symbolized here: pprof must not look for the binary to do it again. */
        m->has_functions = 1;
    }
    if (fr->ip < m->memory_start)
        m->memory_start = fr->ip;
    if (fr->ip >= m->memory_limit)
        m->memory_limit = fr->ip + 1;
    if (fr->file)
        m->has_filenames = 1;
    if (fr->line > 0)
        m->has_line_numbers = 1;
    return i + 1;
}

static Location *new_location(builder *b, const char *key, int *added)
{
    size_t i = intern(&b->locations_by_key, key, b->n_locations, added);
    Location *l = &b->locations[i];
    if (*added) {
        b->n_locations++;
        *l = (Location)PERFTOOLS__PROFILES__LOCATION__INIT;
        l->id = i + 1;
    }
    return l;
}

static uint64_t frame_location(builder *b, const tl_frame *fr)
{
    char *key;
    if (asprintf(&key, "%llx\x01%s\x01%s\x01%d", (unsigned long long)fr->ip,
                 fr->module ? fr->module : "", fr->function ? fr->function : "", fr->line) < 0)
        abort();
    int added;
    Location *l = new_location(b, key, &added);
    free(key);
    if (added) {
        l->mapping_id = mapping_id(b, fr);
        l->address = fr->ip;
        if (fr->function) {
            Line *ln = &b->lines[l->id - 1];
            *ln = (Line)PERFTOOLS__PROFILES__LINE__INIT;
            ln->function_id = function_id(b, fr->function, fr->file);
            ln->line = fr->line > 0 ? fr->line : 0;
            l->n_line = 1;
            l->line = tl_xcalloc(1, sizeof *l->line);
            l->line[0] = ln;
        }
    }
    return l->id;
}

/* A frame of no code: "[created by]" between a thread's stack and the
 * stack that created it. */
static uint64_t marker_location(builder *b, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\x02%s", name);
    int added;
    Location *l = new_location(b, key, &added);
    if (added) {
        Line *ln = &b->lines[l->id - 1];
        *ln = (Line)PERFTOOLS__PROFILES__LINE__INIT;
        ln->function_id = function_id(b, name, NULL);
        l->n_line = 1;
        l->line = tl_xcalloc(1, sizeof *l->line);
        l->line[0] = ln;
    }
    return l->id;
}

static void add_label(builder *b, Sample *s, Label *slots, const char *key, const char *value)
{
    if (!value)
        return;
    Label *l = &slots[s->n_label];
    *l = (Label)PERFTOOLS__PROFILES__LABEL__INIT;
    l->key = str_index(b, key);
    l->str = str_index(b, value);
    s->label[s->n_label++] = l;
}

static int gzip_bytes(const uint8_t *in, size_t n, unsigned char **out, size_t *len)
{
    z_stream z = {0};
    /* 16 + window bits: a gzip header and trailer, as pprof expects on disk. */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    unsigned char *buf = tl_xcalloc(cap, 1);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* Room for every frame of the dump, and mapping[0], which pprof takes for
 * the main binary. Returns how many groups become samples. */
static size_t builder_init(builder *b, const tl_dump *d)
{
    str_index(b, ""); /* string_table[0] */
    size_t frames = 2, samples = 0;
    for (int i = 0; i < d->n_groups; i++) {
        frames += (size_t)tl_group_where(&d->groups[i])->depth +
                  (size_t)d->groups[i].spawn_stack.depth + 1;
        samples += d->groups[i].count > 0;
    }
    b->functions = tl_xcalloc(frames, sizeof *b->functions);
    b->mappings = tl_xcalloc(frames, sizeof *b->mappings);
    b->locations = tl_xcalloc(frames, sizeof *b->locations);
    b->lines = tl_xcalloc(frames, sizeof *b->lines);
    for (int i = 0; i < d->n_groups && d->program && !b->n_mappings; i++) {
        const tl_stack *st = tl_group_where(&d->groups[i]);
        for (int k = 0; k < st->depth && !b->n_mappings; k++)
            if (st->frames[k].module && strcmp(st->frames[k].module, d->program) == 0)
                mapping_id(b, &st->frames[k]);
    }
    return samples;
}

static void builder_free(builder *b)
{
    for (size_t i = 0; i < b->n_locations; i++)
        free(b->locations[i].line);
    for (size_t i = 0; i < b->n_strings; i++)
        free(b->strings[i]);
    free(b->strings);
    free(b->functions);
    free(b->mappings);
    free(b->locations);
    free(b->lines);
    table_free(&b->strings_by_key);
    table_free(&b->functions_by_key);
    table_free(&b->mappings_by_key);
    table_free(&b->locations_by_key);
}

/* One sample a group: its stack leaf first (then its creation stack),
 * the thread count, and the state and wait as labels. */
typedef struct samples {
    Sample *sample, **ptr;
    Label *labels, **label_ptr;
    int64_t *values;
    size_t n;
} samples;

static void samples_build(builder *b, const tl_dump *d, int with_spawn, size_t cap, samples *ss)
{
    ss->sample = tl_xcalloc(cap + 1, sizeof *ss->sample);
    ss->ptr = tl_xcalloc(cap + 1, sizeof *ss->ptr);
    ss->labels = tl_xcalloc(3 * (cap + 1), sizeof *ss->labels);
    ss->label_ptr = tl_xcalloc(3 * (cap + 1), sizeof *ss->label_ptr);
    ss->values = tl_xcalloc(cap + 1, sizeof *ss->values);
    for (int i = 0; i < d->n_groups; i++) {
        const tl_group *g = &d->groups[i];
        if (g->count <= 0)
            continue;
        size_t k = ss->n++;
        Sample *s = &ss->sample[k];
        *s = (Sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
        const tl_stack *where = tl_group_where(g);
        s->location_id = tl_xcalloc((size_t)where->depth + (size_t)g->spawn_stack.depth + 1,
                                    sizeof *s->location_id);
        for (int f = 0; f < where->depth; f++) /* leaf first, as the dump has it */
            s->location_id[s->n_location_id++] = frame_location(b, &where->frames[f]);
        if (with_spawn && g->spawn_stack.depth > 0) {
            s->location_id[s->n_location_id++] = marker_location(b, "[created by]");
            for (int f = 0; f < g->spawn_stack.depth; f++)
                s->location_id[s->n_location_id++] = frame_location(b, &g->spawn_stack.frames[f]);
        }
        ss->values[k] = g->count;
        s->n_value = 1;
        s->value = &ss->values[k];
        s->label = &ss->label_ptr[3 * k];
        add_label(b, s, &ss->labels[3 * k], "state", tl_state_name(g->state));
        add_label(b, s, &ss->labels[3 * k], "wait", tl_wait_name(g->wait));
        add_label(b, s, &ss->labels[3 * k], "wait_call", g->wait_call);
        ss->ptr[k] = s;
    }
}

static void samples_free(samples *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        free(ss->sample[i].location_id);
    free(ss->sample);
    free(ss->ptr);
    free(ss->labels);
    free(ss->label_ptr);
    free(ss->values);
}

/* The profile's comments: which dump it is, and why stacks are unknown
 * when they are. The texts are the caller's to free. */
static void add_comments(builder *b, const tl_dump *d, Profile *p, char *text[2], int64_t index[2])
{
    if (asprintf(&text[0], "threadleak dump %d of pid %d (%s): %ld live, %ld exited unjoined",
                 d->number, d->pid, d->program ? d->program : "?", d->counts.live,
                 d->counts.exited_unjoined) < 0)
        abort();
    index[p->n_comment++] = str_index(b, text[0]);
    if (d->stacks_unknown) {
        if (asprintf(&text[1], "blocked-at stacks unknown: %s", d->stacks_unknown) < 0)
            abort();
        index[p->n_comment++] = str_index(b, text[1]);
    }
    p->comment = index;
}

/* The profile's tables point into the builder's arrays. */
typedef struct tables {
    Mapping **mappings;
    Location **locations;
    Function **functions;
} tables;

static void point_tables(builder *b, Profile *p, tables *t)
{
    t->mappings = tl_xcalloc(b->n_mappings + 1, sizeof *t->mappings);
    t->locations = tl_xcalloc(b->n_locations + 1, sizeof *t->locations);
    t->functions = tl_xcalloc(b->n_functions + 1, sizeof *t->functions);
    for (size_t i = 0; i < b->n_mappings; i++)
        t->mappings[i] = &b->mappings[i];
    for (size_t i = 0; i < b->n_locations; i++)
        t->locations[i] = &b->locations[i];
    for (size_t i = 0; i < b->n_functions; i++)
        t->functions[i] = &b->functions[i];
    p->n_mapping = b->n_mappings;
    p->mapping = t->mappings;
    p->n_location = b->n_locations;
    p->location = t->locations;
    p->n_function = b->n_functions;
    p->function = t->functions;
    p->n_string_table = b->n_strings;
    p->string_table = b->strings;
}

int tl_pprof_encode(const tl_dump *d, int with_spawn, unsigned char **out, size_t *len)
{
    builder b = {0};
    samples ss = {0};
    samples_build(&b, d, with_spawn, builder_init(&b, d), &ss);

    ValueType type = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
    type.type = str_index(&b, "threads");
    type.unit = str_index(&b, "count");
    ValueType *types[1] = {&type};
    Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
    p.n_sample_type = 1;
    p.sample_type = types;
    p.period_type = &type;
    p.period = 1;
    p.time_nanos = (int64_t)d->time_unix_ns;
    char *comment[2] = {NULL, NULL};
    int64_t comments[2];
    add_comments(&b, d, &p, comment, comments);
    p.n_sample = ss.n;
    p.sample = ss.ptr;
    tables t;
    point_tables(&b, &p, &t);

    size_t raw_len = perftools__profiles__profile__get_packed_size(&p);
    uint8_t *raw = tl_xcalloc(raw_len + 1, 1);
    perftools__profiles__profile__pack(&p, raw);
    int rc = gzip_bytes(raw, raw_len, out, len);

    free(raw);
    free(comment[0]);
    free(comment[1]);
    free(t.mappings);
    free(t.locations);
    free(t.functions);
    samples_free(&ss);
    builder_free(&b);
    return rc;
}

int tl_write_pprof(FILE *out, const tl_dump *d, int with_spawn)
{
    unsigned char *buf;
    size_t len;
    if (tl_pprof_encode(d, with_spawn, &buf, &len))
        return -1;
    size_t w = fwrite(buf, 1, len, out);
    free(buf);
    return w == len && !ferror(out) ? 0 : -1;
}

int tl_pprof_from_json(const char *json_path, FILE *out, int with_spawn)
{
    char err[1024];
    tl_dump_file *f = tl_dump_load(json_path, err, sizeof err);
    if (!f) {
        tl_msg("%s: %s", json_path, err);
        return -1;
    }
    int rc = tl_write_pprof(out, tl_dump_of(f), with_spawn);
    tl_dump_file_free(f);
    if (rc || fflush(out))
        tl_msg("cannot write the profile: %s", strerror(errno));
    return rc;
}
