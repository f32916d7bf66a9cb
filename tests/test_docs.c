/* The documentation a user finds: README.md stays short (under 20 kB, the
 * two commands first) and every relative link of README.md and the docs/ pages
 * reaches a file and, with #anchor, one of its headings. The man pages
 * docs/threadleak.1 and docs/libthreadleak.3 render without a warning from
 * man/groff; threadleak(1) names every command and option `threadleak
 * --help` lists and every THREADLEAK_* variable the library and the command
 * read; libthreadleak(3) every function of include/threadleak.h and both
 * Criterion assertions. `make install` puts them in share/man
 * (tests/test_install.c). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/cli_exec.h"
#include "lib/files.h"
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

/* GitHub's anchor for a heading: lower case, punctuation dropped (letters,
 * digits, '-', '_' and spaces kept; bytes of UTF-8 characters dropped, as
 * the dashes and dots used in headings here are punctuation), spaces made
 * '-'. */
static void slug(const char *heading, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        unsigned char c = (unsigned char)heading[i];
        if (isalnum(c) || c == '-' || c == '_')
            out[o++] = (char)tolower(c);
        else if (c == ' ')
            out[o++] = '-';
    }
    out[o] = 0;
}

/* Whether the markdown text has a heading (outside code blocks) whose anchor is anchor. */
static int has_anchor(const char *md, const char *anchor)
{
    int fenced = 0;
    for (const char *l = md; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        size_t len = strcspn(l, "\n");
        if (!strncmp(l, "```", 3))
            fenced = !fenced;
        if (fenced || *l != '#')
            continue;
        const char *h = l + strspn(l, "#");
        if (*h != ' ')
            continue;
        char s[256];
        slug(h + 1, len - (size_t)(h + 1 - l), s, sizeof s);
        if (!strcmp(s, anchor))
            return 1;
    }
    return 0;
}

/* Every relative link [text](path#anchor) of the markdown file rel. */
static void check_links(const char *rel)
{
    char *md = tlt_read_file(tlt_source_path(rel), NULL);
    cr_assert(md, "cannot read %s", rel);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[1] = 0;
    else
        dir[0] = 0;
    for (const char *p = strstr(md, "]("); p; p = strstr(p + 2, "](")) {
        const char *t = p + 2;
        size_t len = strcspn(t, ") \n");
        if (t[len] != ')' || !strncmp(t, "http://", 7) || !strncmp(t, "https://", 8) ||
            !strncmp(t, "mailto:", 7))
            continue;
        char link[PATH_MAX], target[2 * PATH_MAX];
        snprintf(link, sizeof link, "%.*s", (int)len, t);
        char *hash = strchr(link, '#');
        if (hash)
            *hash++ = 0;
        snprintf(target, sizeof target, "%s%s", *link ? dir : "", *link ? link : rel);
        char *text = tlt_read_file(tlt_source_path(target), NULL);
        if (!text) {
            cr_expect(access(tlt_source_path(target), F_OK) == 0, "%s links to %s: no such file",
                      rel, target);
            continue;
        }
        if (hash)
            cr_expect(has_anchor(text, hash), "%s links to %s#%s: no such heading there", rel,
                      target, hash);
        free(text);
    }
    free(md);
}

TestSuite(docs, .timeout = 60);

Test(docs, readme_is_short_and_opens_with_the_two_commands)
{
    char *readme = tlt_read_file(tlt_source_path("README.md"), NULL);
    cr_assert(readme, "no README.md");
    cr_expect_lt(strlen(readme), 20000, "README.md is %zu bytes: move details to docs/",
                 strlen(readme));
    char *sh = strstr(readme, "```sh\n");
    cr_assert(sh && sh - readme < 40, "README.md does not open with a ```sh block");
    cr_expect(!strncmp(sh + 6, "make demo", 9) && strstr(sh, "\nmake check"),
              "README.md's first block is not make demo, make check:\n%.200s", sh);
    free(readme);
}

Test(docs, every_relative_link_reaches_a_file_and_heading)
{
    check_links("README.md");
    DIR *d = opendir(tlt_source_path("docs"));
    cr_assert(d, "no docs/");
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len > 3 && !strcmp(e->d_name + len - 3, ".md")) {
            char rel[300];
            snprintf(rel, sizeof rel, "docs/%s", e->d_name);
            check_links(rel);
            n++;
        }
    }
    closedir(d);
    cr_expect_geq(n, 4, "docs/ has %d markdown files", n);
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
