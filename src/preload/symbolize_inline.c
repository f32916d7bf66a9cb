/* Inlined frames, as pprof shows them: where DWARF records that code at an
 * address was inlined (DW_TAG_inlined_subroutine scopes), each inlined
 * call becomes a frame of its own, named by its abstract origin, at the
 * line the line table gives for the innermost one and at the recorded
 * call site (DW_AT_call_file, DW_AT_call_line) for each outer one. */
#include <dwarf.h>
#include <stdlib.h>

#include "preload/lib_functions.h"
#include "preload/symbolize_inline.h"

static struct {
    Dwarf_Die *(*addrdie)(Dwfl_Module *, Dwarf_Addr, Dwarf_Addr *);
    int (*getscopes)(Dwarf_Die *, Dwarf_Addr, Dwarf_Die **);
    int (*tag)(Dwarf_Die *);
    Dwarf_Attribute *(*attr_integrate)(Dwarf_Die *, unsigned int, Dwarf_Attribute *);
    const char *(*formstring)(Dwarf_Attribute *);
    int (*formudata)(Dwarf_Attribute *, Dwarf_Word *);
    int (*getsrcfiles)(Dwarf_Die *, Dwarf_Files **, size_t *);
    const char *(*filesrc)(Dwarf_Files *, size_t, Dwarf_Word *, Dwarf_Word *);
} from_libdw;
static int ready;

static const tl_lib_function dwarf_functions[] = {
    TL_LIB_FUNCTION(from_libdw.addrdie, "dwfl_module_addrdie"),
    TL_LIB_FUNCTION(from_libdw.getscopes, "dwarf_getscopes"),
    TL_LIB_FUNCTION(from_libdw.tag, "dwarf_tag"),
    TL_LIB_FUNCTION(from_libdw.attr_integrate, "dwarf_attr_integrate"),
    TL_LIB_FUNCTION(from_libdw.formstring, "dwarf_formstring"),
    TL_LIB_FUNCTION(from_libdw.formudata, "dwarf_formudata"),
    TL_LIB_FUNCTION(from_libdw.getsrcfiles, "dwarf_getsrcfiles"),
    TL_LIB_FUNCTION(from_libdw.filesrc, "dwarf_filesrc"),
};

TL_HIDDEN int tl_inline_init(void *lib)
{
    ready = !tl_lib_resolve(lib, dwarf_functions, sizeof dwarf_functions / sizeof *dwarf_functions);
    return ready ? 0 : -1;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    /* Through DW_AT_abstract_origin: the inlined instance has no name. */
    if (from_libdw.attr_integrate(die, DW_AT_name, &a))
        return from_libdw.formstring(&a);
    return NULL;
}

static long die_udata(Dwarf_Die *die, unsigned name)
{
    Dwarf_Attribute a;
    Dwarf_Word v;
    if (!from_libdw.attr_integrate(die, name, &a) || from_libdw.formudata(&a, &v) != 0)
        return -1;
    return (long)v;
}

TL_HIDDEN int tl_inline_frames(Dwfl_Module *m, Dwarf_Addr at, tl_frame *out, int max,
                               const char **file, int *line, const char *(*intern)(const char *))
{
    if (!ready || max <= 0)
        return 0;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = from_libdw.addrdie(m, at, &bias);
    if (!cu)
        return 0;
    Dwarf_Die *scopes = NULL;
    int n = from_libdw.getscopes(cu, at - bias, &scopes);
    Dwarf_Files *files = NULL;
    size_t n_files = 0;
    int k = 0;
    for (int i = 0; i < n && k < max; i++) {
        int tag = from_libdw.tag(&scopes[i]);
        if (tag == DW_TAG_subprogram)
            break; /* the physical function: the caller names it */
        if (tag != DW_TAG_inlined_subroutine)
            continue; /* lexical blocks */
        tl_frame *f = &out[k++];
        *f = (tl_frame){0};
        f->function = intern(die_name(&scopes[i]));
        f->file = *file;
        f->line = *line;
        f->inlined = 1;
        long call_file = die_udata(&scopes[i], DW_AT_call_file);
        long call_line = die_udata(&scopes[i], DW_AT_call_line);
        if (!files && from_libdw.getsrcfiles(cu, &files, &n_files) != 0)
            files = NULL;
        const char *cf = files && call_file >= 0 && (size_t)call_file < n_files
                             ? from_libdw.filesrc(files, (size_t)call_file, NULL, NULL)
                             : NULL;
        *file = cf ? intern(cf) : NULL;
        *line = call_line > 0 ? (int)call_line : 0;
    }
    free(scopes);
    return k;
}
