/* Stacks in the text dump: one frame a line, function and file:line in
 * columns, names shortened the way people read them. Below the writers of
 * groups, owners and deadlock cycles, which all show stacks (docs/design.md,
 * "Layers"). */
#include <string.h>

#include "common/model.h"

/* Columns of a stack: at least TL_COLUMNS_START, at most these caps; a
 * longer function name is shortened (shorten()), a longer file:line widens
 * its column. */
#define FN_MAX 48
#define WHERE_MAX 40

const char *tl_base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void pad(FILE *out, const char *s, size_t w)
{
    fputs(s, out);
    for (size_t n = width(s); n < w; n++)
        fputc(' ', out);
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

#define ELLIPSIS "\u2026"

/* Every top-level <...> and (...) as <…> and (…): C++ template arguments
 * and parameter lists, Rust generic arguments. */
static void collapse_lists(const char *in, char *out, size_t size)
{
    size_t o = 0;
    int depth = 0;
    for (const char *p = in; *p && o + 4 < size; p++) {
        int open = *p == '<' || *p == '(', close = *p == '>' || *p == ')';
        /* "operator<" and "operator()" are names, not lists */
        if ((open || close) && depth == 0 && p - in >= 8 && strncmp(p - 8, "operator", 8) == 0) {
            out[o++] = *p;
            continue;
        }
        /* C++'s "(anonymous namespace)" is a name, not a list */
        if (depth == 0 && strncmp(p, "(anonymous namespace)", 21) == 0 && o + 22 < size) {
            memcpy(out + o, p, 21);
            o += 21;
            p += 20;
            continue;
        }
        if (open) {
            if (depth++ == 0) {
                out[o++] = *p;
                memcpy(out + o, ELLIPSIS, 3);
                o += 3;
            }
        } else if (close && depth > 0) {
            if (--depth == 0)
                out[o++] = *p;
        } else if (depth == 0) {
            out[o++] = *p;
        }
    }
    out[o] = 0;
}

/* A function name in at most max columns, shortened where people expect it:
 * argument lists first, then leading namespaces ("…::Worker::StartThread"),
 * and only then cut, at the end of an identifier, never inside one. */
static void shorten(const char *name, char *out, size_t size, size_t max)
{
    if (width(name) <= max) {
        snprintf(out, size, "%s", name);
        return;
    }
    char buf[1024];
    collapse_lists(name, buf, sizeof buf);
    const char *s = buf;
    /* After collapsing, every "::" left separates namespaces or types. */
    while (width(s) > max) {
        const char *sep = strstr(s, "::");
        if (!sep)
            break;
        s = sep + 2;
        if (width(s) + 3 <= max) {
            snprintf(out, size, ELLIPSIS "::%s", s);
            return;
        }
    }
    if (s == buf && width(s) <= max) {
        snprintf(out, size, "%s", s);
        return;
    }
    /* Cut at the last identifier boundary that leaves room for the
     * ellipsis; inside one long identifier, after a '_' (a word of it). */
    size_t keep = 0, word = 0, cols = 0;
    for (size_t i = 0; s[i] && cols + 1 < max; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            cols++;
        if (!(ident_char(s[i]) && ident_char(s[i + 1])))
            keep = i + 1;
        else if (s[i] == '_')
            word = i + 1;
    }
    if (keep == 0)
        keep = word;
    if (keep == 0)
        keep = max > 1 ? max - 1 : 1; /* one word longer than the column */
    snprintf(out, size, "%.*s" ELLIPSIS, (int)keep, s);
}

/* A frame's function in at most max columns, or its address when the
 * function is not known; a call the compiler inlined says so ("(inlined)"
 * is kept whole, the name shortened before it). */
static void frame_name(const tl_frame *f, char *out, size_t size, size_t max)
{
    static const char mark[] = " (inlined)";
    if (!f->function) {
        snprintf(out, size, "0x%llx", (unsigned long long)f->ip);
        return;
    }
    size_t keep = f->inlined && max > sizeof mark + 8 ? max - (sizeof mark - 1) : max;
    shorten(f->function, out, size, keep);
    if (f->inlined && strlen(out) + sizeof mark <= size)
        strcat(out, mark);
}

static void frame_where(const tl_frame *f, char *where, size_t size)
{
    if (f->file && f->line > 0)
        snprintf(where, size, "%s:%d", tl_base_name(f->file), f->line);
    else if (f->file)
        snprintf(where, size, "%s", tl_base_name(f->file));
    else
        where[0] = 0;
}

/* Widens the columns to fit the stack's frames, up to the caps. */
void tl_columns_fit(tl_columns *c, const tl_stack *s)
{
    char fn[1024], where[256];
    for (int i = 0; i < s->depth; i++) {
        const tl_frame *f = &s->frames[i];
        frame_name(f, fn, sizeof fn, FN_MAX);
        size_t w = width(fn);
        if (w > c->fn)
            c->fn = w;
        frame_where(f, where, sizeof where);
        if (width(where) > c->where)
            c->where = width(where) < WHERE_MAX ? width(where) : WHERE_MAX;
    }
}

void tl_write_frames_in(FILE *out, const tl_stack *s, const tl_columns *c)
{
    size_t fn_w = c->fn, where_w = c->where;
    char fn[1024], where[256];
    for (int i = 0; i < s->depth; i++) {
        const tl_frame *f = &s->frames[i];
        frame_name(f, fn, sizeof fn, fn_w);
        frame_where(f, where, sizeof where);
        fprintf(out, "    #%-2d ", i);
        pad(out, fn, fn_w);
        fputc(' ', out);
        pad(out, where, where_w);
        fprintf(out, " %s\n", f->module ? tl_base_name(f->module) : "?");
    }
}

/* A stack alone (an owner's, a deadlock cycle's), in columns of its own. */
void tl_write_frames_text(FILE *out, const tl_stack *s)
{
    tl_columns cols = TL_COLUMNS_START;
    tl_columns_fit(&cols, s);
    tl_write_frames_in(out, s, &cols);
}
