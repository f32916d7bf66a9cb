/* The grouping key of a stack, shared by the library's dumps and the
 * command's attach dumps so that both group the same threads together (a
 * loop the compiler unrolled starts its threads from several call sites of
 * one line: one group). */
#include <stdlib.h>

#include "common/stack_key.h"

char *tl_stack_source_key(const tl_stack *st)
{
    size_t size = 0;
    char *key = NULL;
    FILE *f = open_memstream(&key, &size);
    if (!f)
        return NULL;
    for (int i = 0; i < st->depth; i++) {
        const tl_frame *fr = &st->frames[i];
        if (fr->function && fr->file && fr->line > 0)
            fprintf(f, "%s@%s:%d;", fr->function, fr->file, fr->line);
        else if (fr->function)
            fprintf(f, "%s+%llu;", fr->function, (unsigned long long)fr->offset);
        else
            fprintf(f, "0x%llx;", (unsigned long long)fr->ip);
    }
    fclose(f);
    return key;
}
