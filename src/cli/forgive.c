/* What `threadleak run` does not count as a leak, and why.
 *
 * Two rules. The ignore list: a group with a frame (blocked or creation
 * stack) whose function matches a glob of --ignore, --ignore-file,
 * THREADLEAK_IGNORE or the shipped runtimes.ignore. The service-thread rule:
 * a single live thread that a shared library started for its own loop — the
 * first creating frame outside the thread-creation wrappers (libc,
 * libstdc++) is in a shared library, and no frame where it waits is in the
 * program's executable. A JVM's, rustc's or GLib's helper threads are such;
 * a thread the program's own code started, or waits in, is not, nor is a
 * group of several threads made at one call site (a per-request leak). */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/run.h"

static void add_rule(tl_forgive *f, const char *glob, size_t glen, const char *why)
{
    f->rules = tl_xrealloc(f->rules, (size_t)f->n_rules + 1, sizeof *f->rules);
    f->globs = tl_xrealloc(f->globs, (size_t)f->n_rules + 2, sizeof *f->globs);
    char *g = tl_xcalloc(glen + 1, 1);
    memcpy(g, glob, glen);
    f->rules[f->n_rules].glob = g;
    f->rules[f->n_rules].why = tl_xstrdup(why);
    f->globs[f->n_rules++] = g;
    f->globs[f->n_rules] = NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

/* One glob a line; "# why" after it, or a whole-line comment. */
static int load_file(tl_forgive *f, const char *path, int quiet_missing)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        if (quiet_missing && errno == ENOENT)
            return 0;
        tl_msg("--ignore-file %s: %s: give a readable file of globs, one a line", path,
               strerror(errno));
        return -1;
    }
    char line[1024];
    int no = 0;
    while (fgets(line, sizeof line, in)) {
        no++;
        char *hash = strchr(line, '#'), why[1200];
        if (hash)
            *hash++ = 0;
        char *g = trim(line);
        if (!*g)
            continue;
        if (hash && *trim(hash))
            snprintf(why, sizeof why, "%s (%s:%d)", trim(hash), base_name(path), no);
        else
            snprintf(why, sizeof why, "ignore list %s:%d", base_name(path), no);
        add_rule(f, g, strlen(g), why);
    }
    fclose(in);
    return 0;
}

/* Colon-separated; "::" (C++ and Rust scopes) stays inside a glob. */
static void load_env(tl_forgive *f, const char *v)
{
    const char *start = v;
    for (const char *p = v;; p++) {
        if (*p == ':' && p[1] == ':') {
            p++;
            continue;
        }
        if (*p == ':' || !*p) {
            if (p > start) {
                char why[160];
                snprintf(why, sizeof why, "THREADLEAK_IGNORE '%.*s'",
                         (int)(p - start) > 100 ? 100 : (int)(p - start), start);
                add_rule(f, start, (size_t)(p - start), why);
            }
            if (!*p)
                break;
            start = p + 1;
        }
    }
}

void tl_forgive_default_path(char *out, size_t n)
{
    char self[PATH_MAX];
    out[0] = 0;
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0)
        return;
    self[k] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(out, n, "%s/../share/threadleak/runtimes.ignore", self);
}

int tl_forgive_load(tl_run_opts *o)
{
    tl_forgive *f = &o->forgive;
    f->service = !o->strict;
    for (int i = 0; i < o->n_ignore; i++) {
        char why[160];
        snprintf(why, sizeof why, "--ignore '%.100s'", o->ignore[i]);
        add_rule(f, o->ignore[i], strlen(o->ignore[i]), why);
    }
    for (int i = 0; i < o->n_ignore_files; i++)
        if (load_file(f, o->ignore_files[i], 0))
            return -1;
    const char *env = getenv("THREADLEAK_IGNORE");
    if (env && *env)
        load_env(f, env);
    f->n_user = f->n_rules;
    if (!o->strict) {
        char path[PATH_MAX + 64];
        tl_forgive_default_path(path, sizeof path);
        if (path[0])
            load_file(f, path, 1);
    }
    return 0;
}

void tl_forgive_free(tl_forgive *f)
{
    for (int i = 0; i < f->n_rules; i++) {
        free(f->rules[i].glob);
        free(f->rules[i].why);
    }
    free(f->rules);
    free(f->globs);
    memset(f, 0, sizeof *f);
}

static int is_shared_object(const char *module)
{
    return module && strstr(base_name(module), ".so") != NULL;
}

/* A file of the program's own code: a path that is not a shared object.
 * Anonymous or JIT code ("[anon]", a runtime's perf map) is no one's. */
static int is_program_file(const char *module)
{
    if (!module || module[0] != '/' || is_shared_object(module))
        return 0;
    const char *b = base_name(module);
    return !(strncmp(b, "perf-", 5) == 0 && strstr(b, ".map"));
}

/* Libraries whose frames only pass a thread-creation request on. */
static int is_wrapper(const char *module)
{
    static const char *const wrappers[] = {"libc.so", "libpthread.so", "libstdc++.so", "libc++.so",
                                           NULL};
    const char *b = base_name(module);
    for (int i = 0; b && wrappers[i]; i++)
        if (strncmp(b, wrappers[i], strlen(wrappers[i])) == 0)
            return 1;
    return 0;
}

/* The library that started a service thread, or NULL when g is not one. */
static const char *service_library(const tl_group *g)
{
    if (g->count != 1 || g->has_main || g->state == TL_EXITED || g->stack.depth == 0)
        return NULL;
    for (int i = 0; i < g->stack.depth; i++)
        if (is_program_file(g->stack.frames[i].module))
            return NULL; /* it waits in the program's own code */
    for (int i = 0; i < g->spawn_stack.depth; i++) {
        const char *m = g->spawn_stack.frames[i].module;
        if (!m || m[0] != '/' || is_wrapper(m))
            continue;
        return is_shared_object(m) ? m : NULL;
    }
    return NULL;
}

const char *tl_forgive_why(const tl_forgive *f, const tl_group *g, char *buf, size_t n,
                           const char **rule)
{
    int k = tl_group_match(g, f->globs, f->n_rules);
    if (k >= 0) {
        *rule = k < f->n_user ? "ignore" : "runtime";
        snprintf(buf, n, "matches '%s': %s", f->rules[k].glob, f->rules[k].why);
        return buf;
    }
    const char *lib = f->service ? service_library(g) : NULL;
    if (lib) {
        *rule = "service";
        snprintf(buf, n,
                 "service thread: the only thread of its call site, started by %s for its own "
                 "loop and waiting there",
                 base_name(lib));
        return buf;
    }
    return NULL;
}

int tl_forgive_ignores(const tl_forgive *f, const tl_group *g)
{
    return tl_group_match(g, f->globs, f->n_rules) >= 0;
}
