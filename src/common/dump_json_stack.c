/* Strings, frames and stacks as the JSON dump writes them: the pieces its
 * groups, threads, owners and running captures all share, in a file below
 * the writers of those parts (docs/design.md, "Layers"). */
#include "common/model.h"

void tl_write_json_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

int tl_write_frame_json(FILE *out, const tl_frame *f)
{
    fprintf(out, "{\"ip\":\"0x%llx\",\"function\":", (unsigned long long)f->ip);
    tl_write_json_string(out, f->function);
    fprintf(out, ",\"offset\":%llu,\"module\":", (unsigned long long)f->offset);
    tl_write_json_string(out, f->module);
    fputs(",\"file\":", out);
    tl_write_json_string(out, f->file);
    if (f->line > 0)
        fprintf(out, ",\"line\":%d", f->line);
    else
        fputs(",\"line\":null", out);
    fputs(f->inlined ? ",\"inlined\":true}" : "}", out);
    return ferror(out) ? -1 : 0;
}

int tl_write_stack_json(FILE *out, const tl_stack *s)
{
    fputc('[', out);
    for (int i = 0; i < s->depth; i++) {
        if (i)
            fputc(',', out);
        tl_write_frame_json(out, &s->frames[i]);
    }
    fputc(']', out);
    return ferror(out) ? -1 : 0;
}
