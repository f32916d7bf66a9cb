/* Resolving a table of functions from a library opened with dlopen. */
#include <dlfcn.h>
#include <string.h>

#include "preload/lib_functions.h"
#include "preload/log.h"

TL_HIDDEN const char *tl_lib_resolve(void *lib, const tl_lib_function *table, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *f = dlsym(lib, table[i].name);
        if (!f)
            return table[i].name;
        /* The fields are function pointers of many types: copied as bytes,
         * which no aliasing rule forbids. */
        memcpy(table[i].into, &f, sizeof f);
    }
    return NULL;
}

TL_HIDDEN void *tl_lib_open(const char *file, const tl_lib_function *table, size_t n)
{
    void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        tl_log(TL_LOG_DEBUG, "%s: %s", file, dlerror());
        return NULL;
    }
    const char *missing = tl_lib_resolve(lib, table, n);
    if (missing) {
        tl_log(TL_LOG_DEBUG, "%s has no %s", file, missing);
        return NULL;
    }
    return lib;
}
