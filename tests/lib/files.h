/* Files and directories the tests read and make: whole files, private
 * temporary directories, counts of files and lines. */
#ifndef TLT_FILES_H
#define TLT_FILES_H

#include <stddef.h>

/* The whole file, NUL-terminated (malloc'd), its length in *len when len is
 * not NULL; NULL when it cannot be read. */
char *tlt_read_file(const char *path, size_t *len);
/* The same, failing the test when the file cannot be read. */
char *tlt_must_read(const char *path);
/* A fresh private directory (mode 0700) under $TMPDIR or /tmp, its path in
 * out; fails the test when none can be made. */
void tlt_tempdir(char *out, size_t size);
/* Removes dir and all below it (symlinks are removed, never followed);
 * kept when $TLT_KEEP is set, to look at after a failure. */
void tlt_rmtree(const char *dir);
/* Names in dir ending with suffix (any name when NULL), dot files left out. */
int tlt_count_files(const char *dir, const char *suffix);
/* Names in dir containing needle. */
int tlt_count_files_with(const char *dir, const char *needle);
/* Lines of s starting with prefix ("" counts every line). */
int tlt_count_lines(const char *s, const char *prefix);
/* Occurrences of needle in s, none overlapping. */
int tlt_count_in(const char *s, const char *needle);

#endif
