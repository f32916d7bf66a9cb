/* See files.h. */
#include "lib/files.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tlt_read_file(const char *path, size_t *len)
{
    if (len)
        *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

char *tlt_must_read(const char *path)
{
    char *s = tlt_read_file(path, NULL);
    if (!s)
        cr_assert_fail("cannot read %s: %s", path, strerror(errno));
    return s;
}

void tlt_tempdir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/tlt.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(out))
        cr_assert_fail("mkdtemp %s: %s", out, strerror(errno));
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0;
}

void tlt_rmtree(const char *dir)
{
    if (!dir[0] || getenv("TLT_KEEP"))
        return;
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int count_files(const char *dir, const char *suffix, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    size_t sl = suffix ? strlen(suffix) : 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t l = strlen(e->d_name);
        if (suffix && (l < sl || strcmp(e->d_name + l - sl, suffix)))
            continue;
        n += !needle || strstr(e->d_name, needle);
    }
    closedir(d);
    return n;
}

int tlt_count_files(const char *dir, const char *suffix)
{
    return count_files(dir, suffix, NULL);
}

int tlt_count_files_with(const char *dir, const char *needle)
{
    return count_files(dir, NULL, needle);
}

int tlt_count_lines(const char *s, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = s; p && *p;) {
        if (!strncmp(p, prefix, pl))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}

int tlt_count_in(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}
