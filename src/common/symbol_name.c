/* Shared by the library's symbolizer and the command's attach unwinder.
 * libiberty is linked statically into both. */
#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

#include "common/symbol_name.h"

char *tl_symbol_name(const char *raw)
{
    if (!raw)
        return NULL;
    char plain[1024];
    const char *at = strchr(raw, '@');
    if (at && at != raw && (size_t)(at - raw) < sizeof plain) {
        memcpy(plain, raw, (size_t)(at - raw));
        plain[at - raw] = 0;
        raw = plain;
    }
    if (raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R')) {
        char *out = cplus_demangle(raw, DMGL_ANSI | DMGL_AUTO);
        if (out)
            return out;
    }
    return strdup(raw);
}
