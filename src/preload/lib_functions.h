/* Functions taken by name from a library threadleak opens itself (libdw,
 * libunwind, libgcc_s): one table per library, resolved in one pass. */
#ifndef THREADLEAK_LIB_FUNCTIONS_H
#define THREADLEAK_LIB_FUNCTIONS_H

#include <stddef.h>

#include "preload/visibility.h"

/* One entry point: its symbol and the function pointer that receives it. */
typedef struct {
    const char *name;
    void *into; /* address of a function pointer */
} tl_lib_function;

/* An entry for `pointer`, a function pointer lvalue. */
#define TL_LIB_FUNCTION(pointer, symbol)                                                           \
    {                                                                                              \
        (symbol), &(pointer)                                                                       \
    }

/* Resolves table[0..n) in order from lib (a dlopen handle) and stops at
 * the first symbol lib lacks: NULL when all resolved, else that name. */
TL_HIDDEN const char *tl_lib_resolve(void *lib, const tl_lib_function *table, size_t n);

/* dlopen(file) and resolve its table: the handle when every function is
 * there, NULL (with the reason at debug level) when not. The caller says
 * what is lost, once, in its own words. */
TL_HIDDEN void *tl_lib_open(const char *file, const tl_lib_function *table, size_t n);

#endif
