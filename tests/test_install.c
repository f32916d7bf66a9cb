/* `make install PREFIX=<tmp>`, then the README example ("In your tests",
 * README.md's "In your tests") compiled exactly as written there — its first ```c block,
 * with the `cc` line of its first ```sh block, PKG_CONFIG_PATH pointing at
 * the installed threadleak.pc — and run: it must pass. The leaking suite
 * tests/api/leaky_suite.c, built the same way against the installed copy,
 * must fail and name the leaking function. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/tlt.h"

static char prefix[] = "/tmp/threadleak-install-XXXXXX";
static char work[PATH_MAX];

/* sh -c cmd in dir, stdout and stderr together into *out; the wait status. */
static void install_env(void *dir)
{
    if (chdir(dir) != 0)
        _exit(126);
    char pc[PATH_MAX + 32];
    snprintf(pc, sizeof pc, "%s/lib/pkgconfig", prefix);
    setenv("PKG_CONFIG_PATH", pc, 1);
    /* Not the parent make's jobserver, nor Criterion's worker map, nor
     * the build tree's library. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    unsetenv("BXFI_MAP");
    unsetenv("LD_PRELOAD");
    unsetenv("LD_LIBRARY_PATH");
}

static int sh(const char *dir, const char *cmd, int timeout_s, char **out)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return tlt_run_captured(argv, install_env, (void *)dir, timeout_s, out);
}

static int ok(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = calloc(1, (size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        s[0] = 0;
    fclose(f);
    return s;
}

/* The body of the first fenced block opening with "```<lang>\n" (malloc'd). */
static char *fenced(const char *md, const char *lang)
{
    char open[16];
    snprintf(open, sizeof open, "```%s\n", lang);
    const char *a = strstr(md, open);
    if (!a)
        return NULL;
    a += strlen(open);
    const char *b = strstr(a, "\n```");
    if (!b)
        return NULL;
    return strndup(a, (size_t)(b - a + 1));
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s: %s", path, strerror(errno));
    fputs(s, f);
    fclose(f);
}

/* Every test's .init installs, and Criterion runs two at a time: each make
 * takes the build directory's lock, so two never bring the same targets up
 * to date at once (one relinking what the other is copying). */
#define LOCKED_MAKE "flock '%s/.make.lock' make -s -C '%s'"

static void install(void)
{
    cr_assert(mkdtemp(prefix));
    snprintf(work, sizeof work, "%s/work", prefix);
    mkdir(work, 0700);
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof cmd, LOCKED_MAKE " install PREFIX='%s' BUILD='%s'", tlt_build_dir(),
             tlt_source_path(""), prefix, tlt_build_dir());
    char *out;
    int st = sh(prefix, cmd, 120, &out);
    cr_assert(ok(st), "%s failed:\n%s", cmd, out);
    free(out);
    const char *files[] = {"lib/libthreadleak.so", "lib/pkgconfig/threadleak.pc",
                           "include/threadleak.h", "include/threadleak/criterion.h",
                           "bin/threadleak",       NULL};
    for (int i = 0; files[i]; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", prefix, files[i]);
        cr_assert_eq(access(path, R_OK), 0, "make install did not install %s", files[i]);
    }
}

static void cleanup(void)
{
    if (strstr(prefix, "XXXXXX"))
        return;
    char cmd[PATH_MAX + 16], *out;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", prefix);
    sh("/", cmd, 30, &out);
    free(out);
}

TestSuite(install, .init = install, .fini = cleanup, .timeout = 90);

Test(install, readme_example_compiles_as_written_and_passes)
{
    char *readme = read_text(tlt_source_path("README.md"));
    cr_assert(readme, "no README.md");
    char *md = strstr(readme, "\n## In your tests");
    cr_assert(md, "README.md has no section \"In your tests\"");
    char *example = fenced(md, "c"), *shell = fenced(md, "sh");
    cr_assert(example && shell, "README.md's \"In your tests\" has no ```c or no ```sh block");
    cr_assert(strstr(example, "cr_assert_no_thread_leaks()"), "the example:\n%s", example);

    /* The sh block: "cc -o <bin> <src> $(pkg-config ...) ..." then "./<bin>". */
    char bin[64] = "", src[64] = "";
    const char *cc = strstr(shell, "cc -o ");
    cr_assert(cc && sscanf(cc, "cc -o %63s %63s", bin, src) == 2, "the sh block:\n%s", shell);
    cr_assert(strstr(shell, "$(pkg-config --cflags --libs threadleak)"), "the sh block:\n%s",
              shell);
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s/%s", work, src);
    write_text(path, example);

    char *out;
    int st = sh(work, shell, 60, &out);
    cr_expect(ok(st), "the README commands failed (status %d):\n%s\n---\n%s", st, shell, out);
    cr_expect(strstr(out, "Passing: 1 | Failing: 0 | Crashing: 0"), "output:\n%s", out);
    free(out);

    /* It runs against the installed library, not the build tree's. */
    char cmd[PATH_MAX + 200];
    snprintf(cmd, sizeof cmd, "ldd ./%s | grep libthreadleak", bin);
    st = sh(work, cmd, 20, &out);
    cr_expect(strstr(out, prefix), "%s:\n%s", cmd, out);
    free(out);
    free(example);
    free(shell);
    free(readme);
}

Test(install, leaking_suite_built_with_pkg_config_fails)
{
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror -g -o leaky_suite '%s' "
             "$(pkg-config --cflags --libs threadleak) -lcriterion -pthread && "
             "./leaky_suite --jobs 2",
             tlt_source_path("tests/api/leaky_suite.c"));
    char *out;
    int st = sh(work, cmd, 60, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "it passed:\n%s", out);
    cr_expect(strstr(out, "Passing: 1 | Failing: 1 | Crashing: 0"), "output:\n%s", out);
    cr_expect(strstr(out, "#0  leaky_worker"), "the leaking function is not named:\n%s", out);
    cr_expect(strstr(out, "#0  start_leaky_worker"), "its creator is not named:\n%s", out);
    free(out);
}

/* The files under dir (find's list, malloc'd), or NULL when find fails. */
static char *files_under(const char *dir)
{
    char cmd[PATH_MAX + 64], *out;
    snprintf(cmd, sizeof cmd, "find '%s' ! -type d | sort", dir);
    int st = sh("/", cmd, 30, &out);
    if (!ok(st)) {
        free(out);
        return NULL;
    }
    return out;
}

Test(install, uninstall_removes_every_file_install_put)
{
    char cmd[3 * PATH_MAX], *out;
    snprintf(cmd, sizeof cmd, "make -s -C '%s' uninstall PREFIX='%s' BUILD='%s'",
             tlt_source_path(""), prefix, tlt_source_path("build-does-not-exist"));
    int st = sh(prefix, cmd, 60, &out);
    cr_expect(ok(st), "%s failed:\n%s", cmd, out);
    free(out);
    /* Only the work directory's own files remain; install's directories may. */
    char *left = files_under(prefix);
    cr_assert(left, "cannot list %s", prefix);
    for (char *line = strtok(left, "\n"); line; line = strtok(NULL, "\n"))
        cr_expect(!strncmp(line, work, strlen(work)), "make uninstall left %s", line);
    free(left);
    char sub[PATH_MAX + 32];
    snprintf(sub, sizeof sub, "%s/include/threadleak", prefix);
    cr_expect_neq(access(sub, F_OK), 0, "make uninstall left the directory %s", sub);
}

Test(install, destdir_stages_install_and_uninstall)
{
    char dest[PATH_MAX + 16], cmd[8 * PATH_MAX], *out;
    snprintf(dest, sizeof dest, "%s/stage", prefix);
    snprintf(cmd, sizeof cmd,
             LOCKED_MAKE " install DESTDIR='%s' PREFIX=/usr BUILD='%s' && "
                         "grep -qx 'prefix=/usr' '%s/usr/lib/pkgconfig/threadleak.pc' && "
                         "test -x '%s/usr/bin/threadleak' && test -f '%s/usr/lib/libthreadleak.so'",
             tlt_build_dir(), tlt_source_path(""), dest, tlt_build_dir(), dest, dest, dest);
    int st = sh(prefix, cmd, 120, &out);
    cr_expect(ok(st), "%s failed:\n%s", cmd, out);
    free(out);
    snprintf(cmd, sizeof cmd, "make -s -C '%s' uninstall DESTDIR='%s' PREFIX=/usr",
             tlt_source_path(""), dest);
    st = sh(prefix, cmd, 60, &out);
    cr_expect(ok(st), "%s failed:\n%s", cmd, out);
    free(out);
    char *left = files_under(dest);
    cr_assert(left, "cannot list %s", dest);
    cr_expect_str_empty(left, "make uninstall DESTDIR=%s left:\n%s", dest, left);
    free(left);
}
