/* The man pages docs/threadleak.1 and docs/libthreadleak.3: they render
 * without a warning from man/groff, threadleak(1) names every command and
 * option `threadleak --help` lists and every THREADLEAK_* variable the
 * library and the command read, and libthreadleak(3) every function of
 * include/threadleak.h and both Criterion assertions. `make install` puts
 * them in share/man (tests/test_install.c). */
#include <criterion/criterion.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"

static void need_man(void)
{
    if (!tlt_which("man") || !tlt_which("groff"))
        cr_skip_test("man or groff not installed: apt-get install man-db groff-base "
                     "(make check installs them)");
}

/* sh -c cmd, stdout and stderr together; the wait status. */
static int sh(const char *cmd, char **out)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return tlt_run_captured(argv, NULL, NULL, 60, out);
}

/* The page rendered as plain ASCII text on one long line per paragraph, so
 * that no name is hyphenated or broken across lines. */
static char *render(const char *page)
{
    char cmd[PATH_MAX + 128], *out;
    snprintf(cmd, sizeof cmd, "LC_ALL=C MANWIDTH=1000 MANPAGER=cat man -l '%s' 2>/dev/null",
             tlt_source_path(page));
    int st = sh(cmd, &out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0 && *out, "%s:\n%s", cmd, out);
    return out;
}

/* Every match of the extended regex re in text (first subexpression when
 * there is one) must appear in page, rendered as text. */
static void expect_all(const char *page, const char *text, const char *page_text, const char *re,
                       const char *from)
{
    regex_t rx;
    cr_assert_eq(regcomp(&rx, re, REG_EXTENDED), 0, "%s", re);
    regmatch_t m[2];
    int n = 0;
    for (const char *p = text; regexec(&rx, p, 2, m, 0) == 0; p += m[0].rm_eo) {
        int k = m[1].rm_so >= 0 ? 1 : 0;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(m[k].rm_eo - m[k].rm_so), p + m[k].rm_so);
        cr_expect(strstr(page_text, name), "%s does not mention %s (from %s)", page, name, from);
        n++;
    }
    regfree(&rx);
    cr_assert_gt(n, 0, "nothing matched %s in %s: the test would check nothing", re, from);
}

TestSuite(man, .timeout = 120);

Test(man, pages_render_without_warnings)
{
    need_man();
    const char *pages[] = {"docs/threadleak.1", "docs/libthreadleak.3"};
    for (int i = 0; i < 2; i++) {
        char cmd[PATH_MAX + 96], *out;
        snprintf(cmd, sizeof cmd, "MANPAGER=cat man --warnings -l '%s' >/dev/null",
                 tlt_source_path(pages[i]));
        int st = sh(cmd, &out);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", cmd, st);
        cr_expect_str_empty(out, "%s warned:\n%s", cmd, out);
        free(out);
    }
}

Test(man, threadleak_1_covers_every_command_option_and_variable)
{
    need_man();
    char *page = render("docs/threadleak.1"), *help, *vars;
    const char *argv[] = {cli_threadleak(), "--help", NULL};
    int st = tlt_run_captured(argv, NULL, NULL, 30, &help);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "threadleak --help: status %d", st);
    expect_all("threadleak(1)", help, page, "(--[a-z][a-z-]+)", "threadleak --help");
    expect_all("threadleak(1)", help, page, "threadleak ([a-z]+) ", "threadleak --help");

    char cmd[PATH_MAX + 96];
    snprintf(cmd, sizeof cmd, "grep -rhoE '\"THREADLEAK_[A-Z_]+' '%s' | sort -u",
             tlt_source_path("src"));
    st = sh(cmd, &vars);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s:\n%s", cmd, vars);
    expect_all("threadleak(1)", vars, page, "(THREADLEAK_[A-Z_]+)", "the variables of src/");
    const char *sections[] = {"\nEXIT STATUS\n", "\nVERDICT\n", "\nENVIRONMENT\n"};
    for (int i = 0; i < 3; i++)
        cr_expect(strstr(page, sections[i]), "threadleak(1) has no section%s", sections[i]);
    free(vars);
    free(help);
    free(page);
}

Test(man, libthreadleak_3_covers_the_api_and_the_criterion_helper)
{
    need_man();
    char *page = render("docs/libthreadleak.3"), *api, *helper;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "cat '%s'", tlt_source_path("include/threadleak.h"));
    int st = sh(cmd, &api);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s:\n%s", cmd, api);
    expect_all("libthreadleak(3)", api, page, "(threadleak_[a-z_]+)\\(", "include/threadleak.h");
    expect_all("libthreadleak(3)", api, page, "[a-z*] +([a-z_]+);", "threadleak_options");
    snprintf(cmd, sizeof cmd, "cat '%s'", tlt_source_path("include/threadleak/criterion.h"));
    st = sh(cmd, &helper);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s:\n%s", cmd, helper);
    expect_all("libthreadleak(3)", helper, page, "#define (cr_[a-z_]+)", "threadleak/criterion.h");
    cr_expect(strstr(page, "\nRETURN VALUE\n") && strstr(page, "\nEXAMPLES\n"),
              "libthreadleak(3) has no RETURN VALUE or EXAMPLES:\n%s", page);
    free(helper);
    free(api);
    free(page);
}
