/* The files of the library and of the command are layers (docs/design.md,
 * "Layers"): a file calls only files below it, so each can be read, and
 * changed, knowing only what is under it; src/common, in both, is the
 * ground. Checked on what the linker sees: a file depends on another when
 * its object uses a symbol the other's object defines (nm). A cycle, or a
 * common file using one above it, fails the test with the files and the
 * symbols that make it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/tlt.h"

TestSuite(layers, .timeout = 60);

#define MAX_FILES 128

struct graph {
    int n, edges;
    char file[MAX_FILES][64];
    char *nm[MAX_FILES]; /* `nm -P` of each file's object */
    /* why[a][b]: a symbol of b's that a uses (NULL: a does not use b) */
    const char *why[MAX_FILES][MAX_FILES];
};

struct def {
    const char *name;
    int file;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct def *)a)->name, ((const struct def *)b)->name);
}

/* Takes nm_text (nm -P: "name type [value size]" a line). */
static void graph_add(struct graph *g, const char *file, char *nm_text)
{
    cr_assert_lt(g->n, MAX_FILES);
    snprintf(g->file[g->n], sizeof g->file[g->n], "%s", file);
    g->nm[g->n++] = nm_text;
}

/* Each line of an nm text as (name, type), the text cut in place. */
static int next_symbol(char **p, const char **name, char *type)
{
    while (**p) {
        char *line = *p, *end = strchr(line, '\n');
        *p = end ? end + 1 : line + strlen(line);
        if (end)
            *end = 0;
        char *sp = strchr(line, ' ');
        if (!sp || !sp[1])
            continue;
        *sp = 0;
        *name = line;
        *type = sp[1];
        return 1;
    }
    return 0;
}

static void graph_link(struct graph *g)
{
    struct def *defs = NULL;
    size_t n_defs = 0, cap = 0;
    struct {
        const char *name;
        int file;
    } *uses = NULL;
    size_t n_uses = 0, ucap = 0;
    for (int f = 0; f < g->n; f++) {
        char *p = g->nm[f], type;
        const char *name;
        while (next_symbol(&p, &name, &type)) {
            if (type == 'U') {
                if (n_uses == ucap)
                    uses = realloc(uses, (ucap = ucap ? 2 * ucap : 256) * sizeof *uses);
                uses[n_uses].name = name;
                uses[n_uses++].file = f;
            } else if (type >= 'A' && type <= 'Z' && type != 'U') {
                if (n_defs == cap)
                    defs = realloc(defs, (cap = cap ? 2 * cap : 256) * sizeof *defs);
                defs[n_defs].name = name;
                defs[n_defs++].file = f;
            }
        }
    }
    qsort(defs, n_defs, sizeof *defs, by_name);
    for (size_t i = 0; i < n_uses; i++) {
        struct def key = {uses[i].name, 0};
        struct def *d = bsearch(&key, defs, n_defs, sizeof *defs, by_name);
        int a = uses[i].file;
        if (!d || d->file == a || g->why[a][d->file])
            continue;
        g->why[a][d->file] = d->name; /* a name inside g->nm: lives as long as g */
        g->edges++;
    }
    free(defs);
    free(uses);
}

/* Tarjan's strongly connected components: comp[v] numbers them. */
struct tarjan {
    const struct graph *g;
    int index[MAX_FILES], low[MAX_FILES], on[MAX_FILES], stack[MAX_FILES], comp[MAX_FILES];
    int depth, next, n_comp;
};

static void strong(struct tarjan *t, int v)
{
    t->index[v] = t->low[v] = ++t->next;
    t->stack[t->depth++] = v;
    t->on[v] = 1;
    for (int w = 0; w < t->g->n; w++) {
        if (!t->g->why[v][w])
            continue;
        if (!t->index[w]) {
            strong(t, w);
            if (t->low[w] < t->low[v])
                t->low[v] = t->low[w];
        } else if (t->on[w] && t->index[w] < t->low[v]) {
            t->low[v] = t->index[w];
        }
    }
    if (t->low[v] != t->index[v])
        return;
    int w;
    do {
        w = t->stack[--t->depth];
        t->on[w] = 0;
        t->comp[w] = t->n_comp;
    } while (w != v);
    t->n_comp++;
}

/* A line for each set of files that reach each other: its shortest round
 * from its first file, with the symbol each step uses, then the set's
 * other files. "" if there is none. */
static char *graph_cycles(const struct graph *g)
{
    static struct tarjan t;
    memset(&t, 0, sizeof t);
    t.g = g;
    for (int v = 0; v < g->n; v++)
        if (!t.index[v])
            strong(&t, v);
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    for (int c = 0; c < t.n_comp; c++) {
        int s = -1, size = 0;
        for (int v = 0; v < g->n; v++)
            if (t.comp[v] == c) {
                size++;
                if (s < 0)
                    s = v;
            }
        if (size < 2)
            continue;
        /* Breadth first from s, inside the component, back to s. */
        int prev[MAX_FILES], queue[MAX_FILES], head = 0, tail = 0, last = -1;
        for (int v = 0; v < g->n; v++)
            prev[v] = -1;
        queue[tail++] = s;
        while (head < tail && last < 0) {
            int v = queue[head++];
            for (int w = 0; w < g->n; w++) {
                if (!g->why[v][w] || t.comp[w] != c)
                    continue;
                if (w == s) {
                    last = v;
                    break;
                }
                if (prev[w] < 0) {
                    prev[w] = v;
                    queue[tail++] = w;
                }
            }
        }
        int path[MAX_FILES], n = 0; /* the round backwards, s left out */
        for (int v = last; v != s; v = prev[v])
            path[n++] = v;
        fprintf(f, "  %s", g->file[s]);
        for (int i = n - 1, from = s; i >= -1; i--) {
            int to = i >= 0 ? path[i] : s;
            fprintf(f, " -> %s (%s)", g->file[to], g->why[from][to]);
            from = to;
        }
        if (size > n + 1) {
            fprintf(f, "\n    tangled with it:");
            for (int v = 0; v < g->n; v++) {
                int on_round = v == s;
                for (int i = 0; i < n; i++)
                    on_round |= path[i] == v;
                if (t.comp[v] == c && !on_round)
                    fprintf(f, " %s", g->file[v]);
            }
        }
        fprintf(f, "\n");
    }
    fclose(f);
    return out;
}

static void graph_free(struct graph *g)
{
    for (int i = 0; i < g->n; i++)
        free(g->nm[i]);
    free(g);
}

static int is_c_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 2 && !strcmp(e->d_name + n - 2, ".c");
}

/* Adds to g the objects the build made in build/obj/<tree> of the sources
 * in src/<dir> (an object left from a source that is gone is not read),
 * each named "<dir>/<file>.o": src/common is built into both programs. */
static void graph_add_sources(struct graph *g, const char *tree, const char *dir)
{
    char src[4200];
    snprintf(src, sizeof src, "src/%s", dir);
    struct dirent **list;
    int n = scandir(tlt_source_path(src), &list, is_c_file, alphasort);
    cr_assert_gt(n, 0, "no sources in %s", tlt_source_path(src));
    for (int i = 0; i < n; i++) {
        char obj[4400], file[256];
        int stem = (int)strlen(list[i]->d_name) - 2;
        snprintf(file, sizeof file, "%s/%.*s.o", dir, stem, list[i]->d_name);
        snprintf(obj, sizeof obj, "%s/obj/%s/src/%s", tlt_build_dir(), tree, file);
        const char *argv[] = {"nm", "-P", obj, NULL};
        char *out;
        int st = tlt_run_captured(argv, NULL, NULL, 30, &out);
        cr_assert(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "nm %s failed:\n%s", obj,
                  out ? out : "");
        graph_add(g, file, out);
        free(list[i]);
    }
    free(list);
}

/* The files of one program: src/<top> over src/common, as the build of
 * that program (build/obj/<tree>) compiled them. */
static struct graph *graph_of_program(const char *tree, const char *top)
{
    struct graph *g = calloc(1, sizeof *g);
    graph_add_sources(g, tree, top);
    graph_add_sources(g, tree, "common");
    graph_link(g);
    return g;
}

static int file_index(const struct graph *g, const char *file)
{
    for (int i = 0; i < g->n; i++)
        if (!strcmp(g->file[i], file))
            return i;
    cr_assert_fail("%s is not among the files read", file);
    return -1;
}

/* A graph read wrong would have no cycle either: it must hold what the
 * sources say, known (file, file it uses) pairs, and enough edges. */
static void expect_read_right(const struct graph *g, int min_edges, const char *const known[][2],
                              int n_known)
{
    cr_expect_gt(g->edges, min_edges, "only %d dependencies found between the files", g->edges);
    for (int i = 0; i < n_known; i++)
        cr_expect(g->why[file_index(g, known[i][0])][file_index(g, known[i][1])],
                  "the known dependency %s -> %s was not found", known[i][0], known[i][1]);
}

/* "" when no file of src/common uses a file above it, else a line each. */
static char *common_calling_up(const struct graph *g)
{
    char *out;
    size_t len;
    FILE *f = open_memstream(&out, &len);
    for (int a = 0; a < g->n; a++)
        for (int b = 0; b < g->n; b++)
            if (g->why[a][b] && !strncmp(g->file[a], "common/", 7) &&
                strncmp(g->file[b], "common/", 7))
                fprintf(f, "  %s -> %s (%s)\n", g->file[a], g->file[b], g->why[a][b]);
    fclose(f);
    return out;
}

static void expect_layered(const struct graph *g, const char *program)
{
    char *cycles = graph_cycles(g);
    cr_expect_str_empty(cycles,
                        "%s has dependency cycles (file -> the file whose symbol it uses):\n%sCut "
                        "each where the lower file calls up: it takes a callback instead, or the "
                        "shared part moves into a file of its own below both (docs/design.md, "
                        "Layers).",
                        program, cycles);
    free(cycles);
    char *up = common_calling_up(g);
    cr_expect_str_empty(up,
                        "src/common is the ground under %s, yet uses files above it:\n%sMove "
                        "what it needs into src/common, or pass it in.",
                        program, up);
    free(up);
}

Test(layers, no_file_of_the_library_calls_a_file_that_calls_it_back)
{
    struct graph *g = graph_of_program("lib", "preload");
    /* the sampler writes dumps; snapshots read slots; dumps are written
     * by the common writers */
    static const char *const known[][2] = {{"preload/sampler.o", "preload/dump_file.o"},
                                           {"preload/snapshot.o", "preload/registry.o"},
                                           {"preload/dump_file.o", "common/dump_text.o"}};
    expect_read_right(g, 100, known, 3);
    expect_layered(g, "the library (src/preload, src/common)");
    graph_free(g);
}

Test(layers, no_file_of_the_command_calls_a_file_that_calls_it_back)
{
    struct graph *g = graph_of_program("cli", "cli");
    /* main runs the commands; report and the HTML page both fold stacks;
     * a group's text shows its lock owners */
    static const char *const known[][2] = {{"cli/main.o", "cli/report.o"},
                                           {"cli/report.o", "cli/folded.o"},
                                           {"cli/html.o", "cli/folded.o"},
                                           {"common/dump_text.o", "common/dump_owner_text.o"}};
    expect_read_right(g, 100, known, 4);
    expect_layered(g, "the command (src/cli, src/common)");
    graph_free(g);
}

/* The message a developer gets: the files of the cycle in order, with
 * the symbol that makes each step, and nothing about files outside it. */
Test(layers, a_cycle_is_named_with_its_files_and_symbols)
{
    struct graph *g = calloc(1, sizeof *g);
    graph_add(g, "registry.o",
              strdup("tl_slot_claim T 0 10\ntl_sampler_leader_exiting U\nmemset U\n"));
    graph_add(g, "sampler.o", strdup("tl_sampler_leader_exiting T 0 10\ntl_dump_write U\n"));
    graph_add(g, "dump_file.o", strdup("tl_dump_write T 0 10\ntl_slot_claim U\n"));
    graph_add(g, "wrap_mutex.o", strdup("pthread_mutex_lock T 0 10\ntl_slot_claim U\n"));
    graph_link(g);
    char *cycles = graph_cycles(g);
    cr_expect_str_eq(cycles, "  registry.o -> sampler.o (tl_sampler_leader_exiting) -> dump_file.o "
                             "(tl_dump_write) -> registry.o (tl_slot_claim)\n");
    free(cycles);
    graph_free(g);
}

Test(layers, files_that_only_call_down_have_no_cycle)
{
    struct graph *g = calloc(1, sizeof *g);
    graph_add(g, "registry.o", strdup("tl_slot_claim T 0 10\nmemset U\n"));
    graph_add(g, "sampler.o", strdup("tl_sampler_ensure T 0 10\ntl_slot_claim U\n"));
    graph_add(g, "wrap_mutex.o",
              strdup("pthread_mutex_lock T 0 10\ntl_slot_claim U\ntl_sampler_ensure U\n"));
    graph_link(g);
    cr_expect_eq(g->edges, 3);
    char *cycles = graph_cycles(g);
    cr_expect_str_empty(cycles);
    free(cycles);
    graph_free(g);
}

/* src/common is built into both programs: a use of either's file from it
 * is named even when it makes no cycle. */
Test(layers, a_common_file_using_a_program_file_is_named)
{
    struct graph *g = calloc(1, sizeof *g);
    graph_add(g, "common/names.o", strdup("tl_names_pattern T 0 10\ntl_config_get U\n"));
    graph_add(g, "preload/config.o", strdup("tl_config_get T 0 10\n"));
    graph_add(g, "preload/api.o", strdup("tl_api T 0 10\ntl_names_pattern U\n"));
    graph_link(g);
    char *up = common_calling_up(g);
    cr_expect_str_eq(up, "  common/names.o -> preload/config.o (tl_config_get)\n");
    free(up);
    char *cycles = graph_cycles(g);
    cr_expect_str_empty(cycles);
    free(cycles);
    graph_free(g);
}
