/* Instruction addresses to function, module, file and line. Sampler only:
 * it reads ELF and DWARF files and allocates. */
#ifndef THREADLEAK_SYMBOLIZE_H
#define THREADLEAK_SYMBOLIZE_H

#include <elfutils/libdwfl.h>

#include "common/model.h"
#include "preload/visibility.h"

TL_HIDDEN void tl_symbolize_init(void);
/* Before a dump: notice objects loaded or unloaded since the last one. */
TL_HIDDEN void tl_symbolize_refresh(void);
/* After a dump: closes the files of unloaded modules it opened. */
TL_HIDDEN void tl_symbolize_release(void);
/* The frames at ip of a stack captured in unload epoch `epoch` (an ip of a
 * module unloaded since is looked up in that module): the calls inlined
 * there, innermost first, then the function ip is in, at most max (max >=
 * 1); returns how many. The strings live as long as the process. Every ip
 * is a return address, so the call site (ip - 1) is looked up. */
#define TL_MAX_INLINED 15
TL_HIDDEN int tl_symbolize_all(uint64_t ip, uint32_t epoch, tl_frame *out, int max);
/* The first of them. */
TL_HIDDEN tl_frame tl_symbolize_at(uint64_t ip, uint32_t epoch);
/* After a dump: closes the ELF files read unless they are in the sampler's
 * own file table. */
TL_HIDDEN void tl_symbolize_release_files(void);

/* debug_files.c: libdwfl's find_debuginfo callback, without the network. */
TL_HIDDEN int tl_debug_files_init(void *libdw);
TL_HIDDEN int tl_find_debuginfo_here(Dwfl_Module *mod, void **userdata, const char *modname,
                                     Dwarf_Addr base, const char *file_name,
                                     const char *debuglink_file, GElf_Word debuglink_crc,
                                     char **debuginfo_file_name);

#endif
