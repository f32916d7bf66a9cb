#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/env_syntax.h"

int tl_channel_dir(char *out, size_t size, unsigned uid)
{
    int n = snprintf(out, size, "/tmp/threadleak-%u", uid);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int tl_channel_file(char *out, size_t size, int pid, const char *kind)
{
    int n = snprintf(out, size, "%d.%s", pid, kind);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

uint64_t tl_proc_start_ticks(const char *stat_text)
{
    /* the command name, field 2, may hold spaces and ')': skip past the last one */
    const char *p = strrchr(stat_text, ')');
    if (!p)
        return 0;
    p++;
    for (int field = 3; field < 22; field++) { /* p is at the space before field 3 */
        p = strchr(p + 1, ' ');
        if (!p)
            return 0;
    }
    return strtoull(p + 1, NULL, 10);
}

static int stem_ok(const char *s)
{
    size_t n = strlen(s);
    return s[0] == '/' && n < PATH_MAX - 32 && !strchr(s, '\n') && tl_check_stem(s) == 0;
}

int tl_request_format(char *buf, size_t size, const struct tl_request *r)
{
    const char *formats = tl_formats_name(r->formats);
    if (!stem_ok(r->stem) || !formats)
        return -1;
    int n = snprintf(buf, size, "stem=%s\nformat=%s\ndetail=%s\n%s", r->stem, formats,
                     r->detail_threads ? "threads" : "groups", r->running ? "running=1\n" : "");
    return n > 0 && (size_t)n < size ? n : -1;
}

int tl_request_parse(const char *buf, size_t len, struct tl_request *r)
{
    memset(r, 0, sizeof *r);
    r->formats = TL_FORMAT_TEXT;
    if (len >= TL_REQUEST_MAX)
        return -1;
    char text[TL_REQUEST_MAX];
    memcpy(text, buf, len);
    text[len] = 0;
    if (strlen(text) != len)
        return -1; /* a NUL inside */
    int have_stem = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "stem=", 5) == 0) {
            if (have_stem || !stem_ok(line + 5))
                return -1;
            strcpy(r->stem, line + 5);
            have_stem = 1;
        } else if (strncmp(line, "format=", 7) == 0) {
            if (!(r->formats = tl_parse_formats(line + 7)))
                return -1;
        } else if (strncmp(line, "detail=", 7) == 0) {
            if (strcmp(line + 7, "threads") != 0 && strcmp(line + 7, "groups") != 0)
                return -1;
            r->detail_threads = strcmp(line + 7, "threads") == 0;
        } else if (strncmp(line, "running=", 8) == 0) {
            r->running = strcmp(line + 8, "1") == 0;
        }
    }
    return have_stem ? 0 : -1;
}
