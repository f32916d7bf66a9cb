/* Symbolization with elfutils' libdwfl: symbol tables (static functions
 * too, no -rdynamic needed) and DWARF lines where the binary has them.
 * libdw is loaded with dlopen(RTLD_LOCAL) so that it cannot clash with a
 * copy the program brings; without it, dladdr() names exported functions.
 * Names are demangled by libiberty (C++, and Rust's legacy and v0 schemes),
 * linked in statically with its symbols kept local. */
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <unistd.h>

#include "preload/log.h"
#include "preload/sampler.h"
#include "preload/symbolize.h"
#include "preload/symbolize_inline.h"

static struct {
    Dwfl *(*begin)(const Dwfl_Callbacks *);
    void (*end)(Dwfl *);
    void (*report_begin)(Dwfl *);
    int (*report_end)(Dwfl *, int (*)(Dwfl_Module *, void *, const char *, Dwarf_Addr, void *),
                      void *);
    int (*proc_report)(Dwfl *, pid_t);
    int (*maps_report)(Dwfl *, FILE *);
    Dwfl_Module *(*addrmodule)(Dwfl *, Dwarf_Addr);
    const char *(*addrinfo)(Dwfl_Module *, GElf_Addr, GElf_Off *, GElf_Sym *, GElf_Word *, Elf **,
                            Dwarf_Addr *);
    Dwfl_Line *(*getsrc)(Dwfl_Module *, Dwarf_Addr);
    const char *(*lineinfo)(Dwfl_Line *, Dwarf_Addr *, int *, int *, Dwarf_Word *, Dwarf_Word *);
    const char *(*module_info)(Dwfl_Module *, void ***, Dwarf_Addr *, Dwarf_Addr *, Dwarf_Addr *,
                               Dwarf_Addr *, const char **, const char **);
    int (*find_elf)(Dwfl_Module *, void **, const char *, Dwarf_Addr, char **, Elf **);
} d;
static Dwfl_Callbacks callbacks;
static Dwfl *dwfl;

struct cached {
    uint64_t ip;
    int n;            /* frames: inlined calls, then the function */
    tl_frame *frames; /* n > 1 */
    tl_frame frame;   /* n == 1 */
    UT_hash_handle hh;
};
static struct cached *cache;

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

#define TL_DW(field, name) (d.field = (__typeof__(d.field))dlsym(lib, name)) != NULL

TL_HIDDEN void tl_symbolize_init(void)
{
    void *lib = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib ||
        !(TL_DW(begin, "dwfl_begin") && TL_DW(end, "dwfl_end") &&
          TL_DW(report_begin, "dwfl_report_begin") && TL_DW(report_end, "dwfl_report_end") &&
          TL_DW(proc_report, "dwfl_linux_proc_report") &&
          TL_DW(maps_report, "dwfl_linux_proc_maps_report") &&
          TL_DW(addrmodule, "dwfl_addrmodule") && TL_DW(addrinfo, "dwfl_module_addrinfo") &&
          TL_DW(getsrc, "dwfl_module_getsrc") && TL_DW(lineinfo, "dwfl_lineinfo") &&
          TL_DW(module_info, "dwfl_module_info") && TL_DW(find_elf, "dwfl_linux_proc_find_elf") &&
          tl_debug_files_init(lib) == 0)) {
        tl_log_once(TL_ONCE_SYMBOLS, "libdw.so.1 not found (install libdw1): functions are "
                                     "named from dynamic symbols only, without file:line");
        d.begin = NULL;
        return;
    }
    tl_inline_init(lib); /* without it, no inlined frames */
    callbacks.find_elf = d.find_elf;
    callbacks.find_debuginfo = tl_find_debuginfo_here; /* never DEBUGINFOD_URLS */
}

static void report(void)
{
    if (!d.begin)
        return;
    if (!dwfl)
        dwfl = d.begin(&callbacks);
    if (!dwfl)
        return;
    d.report_begin(dwfl);
    /* After setuid the process is not dumpable: its /proc/PID/auxv is
     * root's and proc_report gives up, though its maps stay readable. */
    if (d.proc_report(dwfl, getpid()) != 0) {
        FILE *maps = fopen("/proc/self/maps", "re");
        if (maps) {
            d.maps_report(dwfl, maps);
            fclose(maps);
        }
    }
    d.report_end(dwfl, NULL, NULL);
}

TL_HIDDEN void tl_symbolize_refresh(void)
{
    report();
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
        d.end(dwfl);
    dwfl = NULL;
}

static const char *nice_name(const char *raw)
{
    if (!raw)
        return NULL;
    char plain[1024];
    const char *at = strchr(raw, '@'); /* "__libc_start_main@@GLIBC_2.34" */
    if (at && at != raw && (size_t)(at - raw) < sizeof plain) {
        memcpy(plain, raw, (size_t)(at - raw));
        plain[at - raw] = 0;
        raw = plain;
    }
    if (raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R')) {
        /* C++ and Rust (legacy and v0), without parameter lists. */
        char *out = cplus_demangle(raw, DMGL_ANSI | DMGL_AUTO);
        if (out) {
            const char *r = intern(out);
            free(out);
            return r;
        }
    }
    return intern(raw);
}

static int lookup_dwfl(uint64_t ip, tl_frame *f, tl_frame *inl, int max_inl)
{
    uint64_t at = ip - 1;
    Dwfl_Module *m = d.addrmodule(dwfl, at);
    if (!m)
        return 0;
    const char *modname = d.module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    f->module = intern(modname);
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = d.addrinfo(m, at, &off, &sym, NULL, NULL, NULL);
    if (name) {
        f->function = nice_name(name);
        f->offset = off + 1;
    }
    Dwfl_Line *line = d.getsrc(m, at);
    if (line) {
        int lineno = 0;
        const char *file = d.lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
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

static struct cached *lookup(uint64_t ip)
{
    struct cached *c;
    HASH_FIND(hh, cache, &ip, sizeof ip, c);
    if (c)
        return c;
    tl_frame f = {.ip = ip}, inl[TL_MAX_INLINED];
    int n_inl = 0;
    if (d.begin && !dwfl)
        report();
    if (dwfl)
        n_inl = lookup_dwfl(ip, &f, inl, TL_MAX_INLINED);
    else
        lookup_dladdr(ip, &f);
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ip = ip;
    c->frame = f;
    c->n = 1;
    if (n_inl > 0 && (c->frames = calloc((size_t)n_inl + 1, sizeof *c->frames))) {
        memcpy(c->frames, inl, (size_t)n_inl * sizeof *inl);
        c->frames[n_inl] = f;
        c->n = n_inl + 1;
    }
    HASH_ADD(hh, cache, ip, sizeof ip, c);
    return c;
}

TL_HIDDEN int tl_symbolize_all(uint64_t ip, tl_frame *out, int max)
{
    struct cached *c = lookup(ip);
    if (!c) {
        out[0] = (tl_frame){.ip = ip};
        return 1;
    }
    if (c->n == 1) {
        out[0] = c->frame;
        return 1;
    }
    int n = c->n < max ? c->n : max;
    memcpy(out, c->frames + (c->n - n), (size_t)n * sizeof *out); /* the outer ones if cut */
    return n;
}

TL_HIDDEN tl_frame tl_symbolize(uint64_t ip)
{
    tl_frame f[TL_MAX_INLINED + 1];
    tl_symbolize_all(ip, f, TL_MAX_INLINED + 1);
    return f[0];
}
