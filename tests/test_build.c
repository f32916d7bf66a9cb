/* The build's promises, checked with `make -n` (nothing is built or
 * installed): plain make names a missing package in one line and stops;
 * WERROR=0 drops -Werror; CPPFLAGS and LDFLAGS reach the compiler and the
 * linker; a header a test suite or test program includes rebuilds it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/tlt.h"

TestSuite(build, .timeout = 60);

/* Not the parent make's jobserver or goals. */
static void make_env(void *unused)
{
    (void)unused;
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
}

/* The build directory as make check named it: relative to the source tree
 * when inside it, as the targets in the dependency files are. */
static const char *build_dir(void)
{
    static char dir[4200];
    const char *src = tlt_source_path(""), *b = tlt_build_dir();
    size_t n = strlen(src);
    while (n && src[n - 1] == '/')
        n--;
    snprintf(dir, sizeof dir, "%s", !strncmp(b, src, n) && b[n] == '/' ? b + n + 1 : b);
    return dir;
}

/* make -C <repo> BUILD=<build> args... ; its output in *out, its wait status. */
static int make(char **out, const char *a1, const char *a2, const char *a3, const char *a4)
{
    char dir[4200], build[4300];
    snprintf(dir, sizeof dir, "%s", tlt_source_path(""));
    snprintf(build, sizeof build, "BUILD=%s", build_dir());
    const char *argv[] = {"make", "--no-print-directory", "-C", dir, build, a1, a2, a3, a4, NULL};
    return tlt_run_captured(argv, make_env, NULL, 50, out);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(build, plain_make_names_a_missing_package_in_one_line)
{
    char *out;
    int st = make(&out, "-n", "NEEDS_BUILD=threadleak-absent-dev:threadleak/absent.h", "all", NULL);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "make went on:\n%s", out);
    cr_expect(strstr(out, "threadleak-absent-dev") && strstr(out, "make deps"),
              "the package or `make deps` is not named:\n%s", out);
    cr_expect_eq(lines(out), 1, "not one line:\n%s", out);
    cr_expect(!strstr(out, "apt-get update") && !strstr(out, "install-deps"),
              "plain make tried to install:\n%s", out);
    free(out);
}

Test(build, werror_is_on_unless_werror_0)
{
    char *on, *off, target[4300];
    snprintf(target, sizeof target, "%s/obj/lib/src/preload/api.o", build_dir());
    make(&on, "-n", "-W", "src/preload/api.c", target);
    make(&off, "-n", "WERROR=0", "-B", target);
    cr_expect(strstr(on, " -Werror"), "no -Werror by default:\n%s", on);
    cr_expect(strstr(off, "api.c") && !strstr(off, "-Werror"), "WERROR=0 kept -Werror:\n%s", off);
    free(on);
    free(off);
}

Test(build, cppflags_and_ldflags_reach_compiler_and_linker)
{
    char *out;
    int compiles = 0, linked = 0;
    make(&out, "-n", "-B", "CPPFLAGS=-DTL_CPPFLAGS_PROBE", "LDFLAGS=-Wl,--tl-ldflags-probe");
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " -c -o ")) {
            compiles++;
            cr_expect(strstr(line, "-DTL_CPPFLAGS_PROBE"), "CPPFLAGS not passed: %s", line);
        }
        if (strstr(line, " -shared ")) {
            linked++;
            cr_expect(strstr(line, "-Wl,--tl-ldflags-probe"), "LDFLAGS not passed: %s", line);
        }
    }
    cr_expect(compiles > 10 && linked == 1, "%d compiles, %d links of the library", compiles,
              linked);
    free(out);
}

Test(build, a_header_change_rebuilds_suites_and_programs_that_include_it)
{
    char *out, suite[4300], prog[4300];
    snprintf(suite, sizeof suite, "%s/tests/test_hosts", build_dir());
    snprintf(prog, sizeof prog, "%s/tests/progs/wait_mutex", build_dir());
    make(&out, "-n", "-W", "tests/lib/run.h", suite);
    cr_expect(strstr(out, "/obj/tests/tests/test_hosts.o tests/test_hosts.c"),
              "touching tests/lib/run.h rebuilds nothing:\n%s", out);
    free(out);
    make(&out, "-n", "-W", "tests/progs/waits_common.h", prog);
    cr_expect(strstr(out, "tests/progs/wait_mutex.c"),
              "touching tests/progs/waits_common.h rebuilds nothing:\n%s", out);
    free(out);
}
