/* Inlined calls at an address, from DWARF's inlined-subroutine scopes. */
#ifndef THREADLEAK_SYMBOLIZE_INLINE_H
#define THREADLEAK_SYMBOLIZE_INLINE_H

#include <elfutils/libdwfl.h>

#include "common/model.h"
#include "preload/visibility.h"

/* Looks the libdw entry points up in lib (already opened); 0 or -1. */
TL_HIDDEN int tl_inline_init(void *lib);

/* The calls inlined at `at` (a call site, ip - 1) in module m, innermost
 * first, into out[0..max): function, file and line of each, and in
 * *file / *line the call site of the outermost one in the physical
 * function (unchanged when nothing is inlined there). Returns how many. */
TL_HIDDEN int tl_inline_frames(Dwfl_Module *m, Dwarf_Addr at, tl_frame *out, int max,
                               const char **file, int *line, const char *(*intern)(const char *));

#endif
