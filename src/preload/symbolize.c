/* Symbolization with elfutils' libdwfl: symbol tables (static functions
 * too, no -rdynamic needed) and DWARF lines where the binary has them.
 * libdw is loaded with dlopen(RTLD_LOCAL) so that it cannot clash with a
 * copy the program brings; without it, dladdr() names exported functions.
 * Names are demangled by libiberty (C++, and Rust's legacy and v0 schemes),
 * linked in statically with its symbols kept local.
 *
 * Which code an address is: the address map (maps.c) says whether it is in
 * a file or in anonymous memory; anonymous code (JIT) is never given to a
 * neighbouring library, and is named from the runtime's perf map where
 * there is one. Addresses of a stack captured before a module was
 * dlclose'd are looked up in that module's file (unloaded.c). Frames are
 * cached by address until the loader's list of modules changes. */
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <unistd.h>

#include "common/symbol_name.h"
#include "preload/lib_functions.h"
#include "preload/log.h"
#include "preload/maps.h"
#include "preload/perf_map.h"
#include "preload/sampler_call.h"
#include "preload/symbolize.h"
#include "preload/unloaded.h"
#include "preload/symbolize_inline.h"

/* The libdwfl functions, looked up in libdw.so.1 (begin NULL: not loaded). */
static struct {
    Dwfl *(*begin)(const Dwfl_Callbacks *);
    void (*end)(Dwfl *);
    void (*report_begin)(Dwfl *);
    int (*report_end)(Dwfl *, int (*)(Dwfl_Module *, void *, const char *, Dwarf_Addr, void *),
                      void *);
    int (*maps_report)(Dwfl *, FILE *);
    Dwfl_Module *(*report_elf)(Dwfl *, const char *, const char *, int, GElf_Addr, bool);
    int (*module_build_id)(Dwfl_Module *, const unsigned char **, GElf_Addr *);
    Dwfl_Module *(*addrmodule)(Dwfl *, Dwarf_Addr);
    const char *(*addrinfo)(Dwfl_Module *, GElf_Addr, GElf_Off *, GElf_Sym *, GElf_Word *, Elf **,
                            Dwarf_Addr *);
    Dwfl_Line *(*getsrc)(Dwfl_Module *, Dwarf_Addr);
    const char *(*lineinfo)(Dwfl_Line *, Dwarf_Addr *, int *, int *, Dwarf_Word *, Dwarf_Word *);
    const char *(*module_info)(Dwfl_Module *, void ***, Dwarf_Addr *, Dwarf_Addr *, Dwarf_Addr *,
                               Dwarf_Addr *, const char **, const char **);
    int (*find_elf)(Dwfl_Module *, void **, const char *, Dwarf_Addr, char **, Elf **);
} from_libdw;
static Dwfl_Callbacks callbacks;
static Dwfl *dwfl;

struct cached {
    uint64_t key;     /* the address; with (unloaded module + 1) << 48 for those */
    int n;            /* frames: inlined calls, then the function */
    tl_frame *frames; /* n > 1 */
    tl_frame frame;   /* n == 1 */
    UT_hash_handle hh;
};
static struct cached *cache;
static unsigned long long seen_adds, seen_subs; /* the loader's counters the cache is of */

/* Unloaded modules' files, opened for one dump (their descriptors are
 * closed after it); 0 not tried, 1 open, -1 not usable. */
static Dwfl *unloaded_dwfl[TL_UNLOADED_MAX];
static signed char unloaded_state[TL_UNLOADED_MAX];

struct interned {
    char *s;
    UT_hash_handle hh;
};
static struct interned *strings;

static const char *intern(const char *s)
{
    if (!s)
        return NULL;
    struct interned *e;
    HASH_FIND_STR(strings, s, e);
    if (e)
        return e->s;
    e = malloc(sizeof *e);
    if (!e || !(e->s = strdup(s))) {
        free(e);
        return NULL;
    }
    HASH_ADD_KEYPTR(hh, strings, e->s, strlen(e->s), e);
    return e->s;
}

/* The program's file through the kernel's link to it, for when its path is
 * out of reach: the process dropped privileges below a 0700 directory, or
 * the file was replaced since it started. */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
    int fd = from_libdw.find_elf(mod, userdata, name, base, file_name, elfp);
    if (fd >= 0 || *elfp || !name)
        return fd;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return fd;
    exe[n] = 0;
    if (strcmp(exe, name) != 0)
        return fd;
    return open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
}

static const tl_lib_function dwfl_functions[] = {
    TL_LIB_FUNCTION(from_libdw.begin, "dwfl_begin"),
    TL_LIB_FUNCTION(from_libdw.end, "dwfl_end"),
    TL_LIB_FUNCTION(from_libdw.report_begin, "dwfl_report_begin"),
    TL_LIB_FUNCTION(from_libdw.report_end, "dwfl_report_end"),
    TL_LIB_FUNCTION(from_libdw.maps_report, "dwfl_linux_proc_maps_report"),
    TL_LIB_FUNCTION(from_libdw.report_elf, "dwfl_report_elf"),
    TL_LIB_FUNCTION(from_libdw.module_build_id, "dwfl_module_build_id"),
    TL_LIB_FUNCTION(from_libdw.addrmodule, "dwfl_addrmodule"),
    TL_LIB_FUNCTION(from_libdw.addrinfo, "dwfl_module_addrinfo"),
    TL_LIB_FUNCTION(from_libdw.getsrc, "dwfl_module_getsrc"),
    TL_LIB_FUNCTION(from_libdw.lineinfo, "dwfl_lineinfo"),
    TL_LIB_FUNCTION(from_libdw.module_info, "dwfl_module_info"),
    TL_LIB_FUNCTION(from_libdw.find_elf, "dwfl_linux_proc_find_elf"),
};

TL_HIDDEN void tl_symbolize_init(void)
{
    void *lib =
        tl_lib_open("libdw.so.1", dwfl_functions, sizeof dwfl_functions / sizeof *dwfl_functions);
    if (!lib || tl_debug_files_init(lib) != 0) {
        tl_log_once(TL_ONCE_SYMBOLS, "libdw.so.1 not found (install libdw1): functions are "
                                     "named from dynamic symbols only, without file:line");
        from_libdw.begin = NULL;
        return;
    }
    tl_inline_init(lib); /* without it, no inlined frames */
    callbacks.find_elf = find_elf;
    callbacks.find_debuginfo = tl_find_debuginfo_here; /* never DEBUGINFOD_URLS */
}

/* The modules as the address map has them now (read through a live
 * thread, so that it works after main's pthread_exit). */
static void report(void)
{
    size_t len = 0;
    const char *text = tl_maps_text(&len);
    if (!from_libdw.begin || !text)
        return;
    if (!dwfl)
        dwfl = from_libdw.begin(&callbacks);
    if (!dwfl)
        return;
    FILE *f = fmemopen((void *)text, len, "r");
    if (!f)
        return;
    from_libdw.report_begin(dwfl);
    from_libdw.maps_report(dwfl, f);
    from_libdw.report_end(dwfl, NULL, NULL);
    fclose(f);
}

static int loader_counters(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    unsigned long long *c = data;
    c[0] = info->dlpi_adds;
    c[1] = info->dlpi_subs;
    return 1;
}

/* A module loaded or unloaded since the cache was filled may have put other
 * code at a cached address. */
static void drop_cache_if_modules_changed(void)
{
    unsigned long long c[2] = {0, 0};
    dl_iterate_phdr(loader_counters, c);
    if (c[0] == seen_adds && c[1] == seen_subs)
        return;
    seen_adds = c[0];
    seen_subs = c[1];
    struct cached *e, *tmp;
    HASH_ITER(hh, cache, e, tmp)
    {
        HASH_DEL(cache, e);
        free(e->frames);
        free(e);
    }
}

TL_HIDDEN void tl_symbolize_refresh(void)
{
    drop_cache_if_modules_changed();
    tl_maps_refresh();
    report();
    tl_perf_map_refresh();
}

TL_HIDDEN void tl_symbolize_release(void)
{
    for (int i = 0; i < TL_UNLOADED_MAX; i++) {
        if (unloaded_dwfl[i])
            from_libdw.end(unloaded_dwfl[i]);
        unloaded_dwfl[i] = NULL;
        unloaded_state[i] = 0; /* the ring may hold another module there by the next dump */
    }
}

/* libdw keeps the ELF files it read open. In the sampler's own file table
 * that is harmless; in the program's (no sampler yet, or no table of its
 * own) they are closed after each dump, so the program's next open()
 * returns the number it would have without us. */
TL_HIDDEN void tl_symbolize_release_files(void)
{
    if (tl_on_sampler && tl_sampler_own_files)
        return;
    if (dwfl)
        from_libdw.end(dwfl);
    dwfl = NULL;
}

static const char *nice_name(const char *raw)
{
    char *name = tl_symbol_name(raw);
    const char *r = intern(name);
    free(name);
    return r;
}

static int lookup_dwfl(Dwfl *w, uint64_t ip, tl_frame *f, tl_frame *inl, int max_inl)
{
    uint64_t at = ip - 1;
    Dwfl_Module *m = from_libdw.addrmodule(w, at);
    if (!m)
        return 0;
    const char *modname = from_libdw.module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    f->module = intern(modname);
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = from_libdw.addrinfo(m, at, &off, &sym, NULL, NULL, NULL);
    if (name) {
        f->function = nice_name(name);
        f->offset = off + 1;
    }
    Dwfl_Line *line = from_libdw.getsrc(m, at);
    if (line) {
        int lineno = 0;
        const char *file = from_libdw.lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        f->file = intern(file);
        f->line = lineno;
    }
    int n = tl_inline_frames(m, at, inl, max_inl, &f->file, &f->line, intern);
    for (int i = 0; i < n; i++) {
        inl[i].ip = ip;
        inl[i].module = f->module;
    }
    return n;
}

static void lookup_dladdr(uint64_t ip, tl_frame *f)
{
    Dl_info info;
    if (!dladdr((void *)(uintptr_t)(ip - 1), &info))
        return;
    f->module = intern(info.dli_fname);
    if (info.dli_sname) {
        f->function = nice_name(info.dli_sname);
        f->offset = ip - (uint64_t)(uintptr_t)info.dli_saddr;
    }
}

/* The file of a module that was unloaded, at the address it had. */
static Dwfl *unloaded_file(const struct tl_unloaded *u)
{
    int i = tl_unloaded_index(u);
    if (unloaded_state[i] != 0)
        return unloaded_dwfl[i];
    unloaded_state[i] = -1;
    Dwfl *w = from_libdw.begin ? from_libdw.begin(&callbacks) : NULL;
    if (!w)
        return NULL;
    from_libdw.report_begin(w);
    Dwfl_Module *m = from_libdw.report_elf(w, u->path, u->path, -1, u->bias, false);
    from_libdw.report_end(w, NULL, NULL);
    const unsigned char *id = NULL;
    GElf_Addr id_at;
    /* A file rebuilt since would name the wrong functions. */
    if (!m || (u->build_id_len && (from_libdw.module_build_id(m, &id, &id_at) != u->build_id_len ||
                                   memcmp(id, u->build_id, (size_t)u->build_id_len) != 0))) {
        from_libdw.end(w);
        return NULL;
    }
    unloaded_state[i] = 1;
    return unloaded_dwfl[i] = w;
}

/* Anonymous executable memory: JIT code, named from the perf map if any. */
static void lookup_anonymous(uint64_t ip, tl_frame *f)
{
    uint64_t start = 0;
    const char *name = tl_perf_map_lookup(ip - 1, &start);
    if (name) {
        f->function = intern(name);
        f->offset = ip - start;
        f->module = intern(tl_perf_map_path());
    } else {
        f->module = "[anon]";
    }
}

static int file_backed(const struct tl_mapping *m)
{
    return m->path && m->path[0] == '/';
}

/* The cached frames of ip: looked up in the unloaded module u when there
 * is one, else in the modules loaded now (m: its mapping, may be NULL). */
static struct cached *lookup(uint64_t ip, const struct tl_unloaded *u, const struct tl_mapping *m)
{
    uint64_t key = u ? ip | (uint64_t)(tl_unloaded_index(u) + 1) << 48 : ip;
    struct cached *c;
    HASH_FIND(hh, cache, &key, sizeof key, c);
    if (c)
        return c;
    tl_frame f = {.ip = ip}, inl[TL_MAX_INLINED];
    int n_inl = 0;
    if (u) {
        Dwfl *w = unloaded_file(u);
        if (w)
            n_inl = lookup_dwfl(w, ip, &f, inl, TL_MAX_INLINED);
        if (!f.module)
            f.module = intern(u->path);
    } else {
        if (from_libdw.begin && !dwfl)
            report();
        if (dwfl)
            n_inl = lookup_dwfl(dwfl, ip, &f, inl, TL_MAX_INLINED);
        if (!f.function && (!m || !file_backed(m)))
            lookup_dladdr(ip, &f); /* the vDSO, or no address map */
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->key = key;
    c->frame = f;
    c->n = 1;
    if (n_inl > 0 && (c->frames = calloc((size_t)n_inl + 1, sizeof *c->frames))) {
        memcpy(c->frames, inl, (size_t)n_inl * sizeof *inl);
        c->frames[n_inl] = f;
        c->n = n_inl + 1;
    }
    HASH_ADD(hh, cache, key, sizeof key, c);
    return c;
}

TL_HIDDEN int tl_symbolize_all(uint64_t ip, uint32_t epoch, tl_frame *out, int max)
{
    const struct tl_unloaded *u = tl_unloaded_find(ip - 1, epoch);
    const struct tl_mapping *m = u ? NULL : tl_maps_find(ip - 1);
    out[0] = (tl_frame){.ip = ip};
    if (m && !file_backed(m) && strcmp(m->path ? m->path : "", "[vdso]") != 0) {
        lookup_anonymous(ip, &out[0]); /* not cached: code caches reuse addresses */
        return 1;
    }
    struct cached *c = lookup(ip, u, m);
    if (!c)
        return 1;
    if (c->n == 1) {
        out[0] = c->frame;
        return 1;
    }
    int n = c->n < max ? c->n : max;
    memcpy(out, c->frames + (c->n - n), (size_t)n * sizeof *out); /* the outer ones if cut */
    return n;
}

TL_HIDDEN tl_frame tl_symbolize_at(uint64_t ip, uint32_t epoch)
{
    tl_frame f[TL_MAX_INLINED + 1];
    tl_symbolize_all(ip, epoch, f, TL_MAX_INLINED + 1);
    return f[0];
}
