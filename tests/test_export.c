/* Where users look: pprof profiles read by `go tool pprof` (Debian's
 * golang-go) and the HTML report rendered by headless Chromium (Debian's
 * chromium), each checked on what those tools show. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli_exec.h"
#include "lib/tlt.h"

static const char *go_or_skip(void)
{
    static char path[4096];
    const char *go = tlt_which("go");
    if (!go)
        cr_skip_test("go is not installed (Debian package golang-go): go tool pprof cannot "
                     "read the profiles");
    snprintf(path, sizeof path, "%s", go);
    return path;
}

static void write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* `go tool pprof -raw FILE` into r->out; fails the test when pprof does. */
static void pprof_raw(cli_result *r, const char *go, const char *file)
{
    char cache[600];
    snprintf(cache, sizeof cache, "GOCACHE=%s", cli_path(r, "gocache"));
    const char *env[] = {cache, "PPROF_TMPDIR=/tmp", NULL};
    const char *a[] = {go, "tool", "pprof", "-raw", file, NULL};
    cli_exec(r, NULL, 0, a, env);
    cr_assert_eq(r->status, 0, "go tool pprof -raw %s failed:\n%s", file, r->err);
}

/* The sum of the sample values -raw lists (the lines "  N: ids" between
 * "Samples:" and "Locations"), and how many samples. */
static long raw_total(const char *raw, int *samples)
{
    const char *p = strstr(raw, "Samples:");
    const char *end = strstr(raw, "\nLocations");
    cr_assert(p && end, "no samples in:\n%s", raw);
    long total = 0;
    *samples = 0;
    for (p = strchr(p, '\n'); p && p < end; p = strchr(p + 1, '\n')) {
        long v;
        char colon;
        if (sscanf(p + 1, " %ld%c", &v, &colon) == 2 && colon == ':') {
            total += v;
            ++*samples;
        }
    }
    return total;
}

/* What a dump's JSON says: the threads its groups hold, and its groups. */
static long dump_threads(const char *path, int *groups, long *live)
{
    json_t *d = cli_json(path);
    cr_assert(d, "cannot read %s", path);
    json_t *gs = json_object_get(d, "groups"), *g;
    size_t i;
    long n = 0;
    *groups = 0;
    json_array_foreach(gs, i, g)
    {
        long c = (long)json_integer_value(json_object_get(g, "count"));
        n += c;
        *groups += c > 0;
    }
    *live = (long)json_integer_value(json_object_get(json_object_get(d, "counts"), "live"));
    json_decref(d);
    return n;
}

TestSuite(pprof, .timeout = 120);

/* Every dump of the corpus: go tool pprof reads it, one sample per group,
 * the values add up to the dump's threads (live + exited unjoined). */
Test(pprof, go_tool_pprof_reads_the_corpus)
{
    const char *go = go_or_skip();
    const char *corpus[] = {"tests/data/cli_new.json", "tests/data/cli_old.json",
                            "tests/fuzz/seeds_dump/threads.json",
                            "tests/fuzz/seeds_dump/exited.json"};
    cli_result *r = cli_new();
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
        char src[700], out[700];
        snprintf(src, sizeof src, "%s", tlt_source_path(corpus[i]));
        snprintf(out, sizeof out, "%s", cli_path(r, "p.pb.gz"));
        const char *a[] = {cli_threadleak(), "report", "--format", "pprof", src, NULL};
        cli_exec(r, NULL, 0, a, NULL);
        cr_assert_eq(r->status, 0, "%s: %s", corpus[i], r->err);
        cr_expect(r->out_len > 18 && (unsigned char)r->out[0] == 0x1f &&
                      (unsigned char)r->out[1] == 0x8b,
                  "%s: not gzip", corpus[i]);
        write_file(out, r->out, r->out_len);
        int groups, samples;
        long live, threads = dump_threads(src, &groups, &live);
        pprof_raw(r, go, out);
        cr_expect_eq(raw_total(r->out, &samples), threads, "%s:\n%s", corpus[i], r->out);
        cr_expect_eq(samples, groups, "%s: one sample per group:\n%s", corpus[i], r->out);
        cr_expect_geq(threads, live, "%s", corpus[i]);
        cr_expect(strstr(r->out, "PeriodType: threads count\nPeriod: 1\n"), "%s", r->out);
    }
    cli_free(r);
}

/* Labels, "[created by]" frames, file:line, and -top's totals; --no-spawn
 * leaves the creation stacks out. */
Test(pprof, labels_and_creation_stacks)
{
    const char *go = go_or_skip();
    cli_result *r = cli_new();
    char src[700], out[700];
    snprintf(src, sizeof src, "%s", tlt_source_path("tests/data/cli_new.json"));
    snprintf(out, sizeof out, "%s", cli_path(r, "p.pb.gz"));
    const char *a[] = {cli_threadleak(), "report", "--format", "pprof", src, NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_assert_eq(r->status, 0, "%s", r->err);
    write_file(out, r->out, r->out_len);
    pprof_raw(r, go, out);
    cr_expect(strstr(r->out, "        117: 1 2 3 4 5 6 7 8 \n"
                             "                state:[blocked] wait:[cond] "
                             "wait_call:[pthread_cond_wait]\n"),
              "the cond group, leaf first, labelled:\n%s", r->out);
    cr_expect(strstr(r->out, "state:[exited]\n"), "%s", r->out);
    cr_expect(strstr(r->out, "     1: 0x555500000209 M=1 chan_send common.h:38 s=0\n"), "%s",
              r->out);
    cr_expect(strstr(r->out, "     5: 0x0 [created by] :0 s=0\n"), "%s", r->out);
    cr_expect(strstr(r->out, "     6: 0x555500000400 M=1 handle_request orders.c:19 s=0\n"),
              "the creation stack follows [created by]:\n%s", r->out);
    cr_expect(strstr(r->out, "1: 0x555500000209/0x555500001101/0x0 /srv/orders  [FN][FL][LN]"),
              "mapping[0] is the program:\n%s", r->out);

    char cache[600];
    snprintf(cache, sizeof cache, "GOCACHE=%s", cli_path(r, "gocache"));
    const char *env[] = {cache, NULL};
    const char *top[] = {go, "tool", "pprof", "-top", out, NULL};
    cli_exec(r, NULL, 0, top, env);
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_expect(strstr(r->out, "Type: threads\n"), "%s", r->out);
    cr_expect(strstr(r->out, "Showing nodes accounting for 128, 100% of 128 total"), "%s", r->out);
    cr_expect(strstr(r->out, "       117 91.41% 91.41%        117 91.41%  chan_send\n"), "%s",
              r->out);
    cr_expect(strstr(r->out, "127 99.22%  [created by]\n"),
              "every thread but main was created by someone:\n%s", r->out);

    const char *ns[] = {cli_threadleak(), "report", "--format", "pprof", "--no-spawn", src, NULL};
    cli_exec(r, NULL, 0, ns, NULL);
    cr_assert_eq(r->status, 0, "%s", r->err);
    write_file(out, r->out, r->out_len);
    pprof_raw(r, go, out);
    cr_expect(!strstr(r->out, "[created by]"), "%s", r->out);
    cr_expect(!strstr(r->out, "handle_request"), "only main's own stack has it:\n%s", r->out);
    int samples;
    cr_expect_eq(raw_total(r->out, &samples), 128);
    cli_free(r);
}

/* `threadleak dump --pprof PID` on a live process: the pool's six workers
 * under pool_worker, created by main. */
Test(pprof, dump_pprof_of_a_live_process)
{
    const char *go = go_or_skip();
    const char *argv[] = {tlt_prog_path("cli_server"), "pool", NULL};
    pid_t pid = cli_spawn_preloaded(argv, NULL);
    cr_assert_eq(cli_wait_preloaded(pid), 0, "pid %d: the library never started", (int)pid);
    char pids[16], out[700];
    snprintf(pids, sizeof pids, "%d", (int)pid);
    cli_result *r = cli_new();
    snprintf(out, sizeof out, "%s", cli_path(r, "live.pb.gz"));
    const char *a[] = {cli_threadleak(), "dump", "--pprof", pids, NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cli_stop(pid);
    cr_assert_eq(r->status, 0, "%s", r->err);
    write_file(out, r->out, r->out_len);
    pprof_raw(r, go, out);
    int samples;
    cr_expect_eq(raw_total(r->out, &samples), 7, "main and 6 workers:\n%s", r->out);
    cr_expect(strstr(r->out, "pool_worker"), "%s", r->out);
    cr_expect(strstr(r->out, "[created by]"), "%s", r->out);
    cr_expect(strstr(r->out, "wait:[cond] wait_call:[pthread_cond_wait]"), "%s", r->out);
    cli_free(r);
}

Test(pprof, errors)
{
    cli_result *r = cli_new();
    const char *a[] = {cli_threadleak(),
                       "report",
                       "--series",
                       "x.jsonl",
                       "--format",
                       "pprof",
                       tlt_source_path("tests/data/cli_new.json"),
                       NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_expect_eq(r->status, 2);
    cr_expect(strstr(r->err, "--series goes with --format html"), "%s", r->err);
    const char *b[] = {cli_threadleak(), "report", "--format", "svg", "x.json", NULL};
    cli_exec(r, NULL, 0, b, NULL);
    cr_expect_eq(r->status, 2);
    cr_expect(strstr(r->err, "expected text, json, folded, pprof or html"), "%s", r->err);
    cli_free(r);
}

/* ---- the HTML report, rendered by headless Chromium ---- */

static const char *chromium_or_skip(void)
{
    static char path[4096];
    const char *c = tlt_which("chromium");
    if (!c)
        cr_skip_test("chromium is not installed (Debian package chromium): the HTML report "
                     "cannot be rendered");
    snprintf(path, sizeof path, "%s", c);
    return path;
}

/* The DOM Chromium builds from the page (in r->out), or a screenshot. Flags
 * as the machine notes say: no background networking, a fresh profile. */
static void chromium(cli_result *r, const char *chrome, const char *html, const char *shot)
{
    char udd[700], url[700], arg[700];
    snprintf(udd, sizeof udd, "--user-data-dir=%s", cli_path(r, "chromium-profile"));
    snprintf(url, sizeof url, "file://%s", html);
    snprintf(arg, sizeof arg, "--screenshot=%s", shot ? shot : "");
    const char *a[] = {chrome,
                       "--headless",
                       "--no-sandbox",
                       "--disable-gpu",
                       "--disable-quic",
                       "--no-first-run",
                       "--disable-background-networking",
                       "--disable-component-update",
                       "--disable-sync",
                       udd,
                       "--window-size=1200,1500",
                       shot ? arg : "--dump-dom",
                       url,
                       NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_assert_eq(r->status, 0, "chromium failed on %s:\n%s", html, r->err);
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "no %s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

TestSuite(html, .timeout = 120);

/* run --html on a leaking program: the rendered page has one point per
 * sample of the verdict, the judged window and trend, the verdict, and the
 * suspect with its stacks; it fetches nothing. With THREADLEAK_SCREENSHOT
 * set, a screenshot goes there (the README's). */
Test(html, run_html_rendered_by_chromium)
{
    const char *chrome = chromium_or_skip();
    cli_result *r = cli_new();
    char html[700], verdict[700], out[700];
    snprintf(html, sizeof html, "%s", cli_path(r, "report.html"));
    snprintf(verdict, sizeof verdict, "%s", cli_path(r, "verdict.json"));
    snprintf(out, sizeof out, "%s", cli_path(r, "out"));
    const char *a[] = {cli_threadleak(),
                       "run",
                       "--html",
                       html,
                       "--json",
                       verdict,
                       "--out",
                       out,
                       "--",
                       tlt_prog_path("cli_leak_fast"),
                       NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_assert_eq(r->status, 3, "%s", r->err);
    json_t *v = cli_json(verdict);
    cr_assert(v);
    int samples = (int)json_array_size(json_object_get(v, "samples"));
    json_decref(v);
    cr_assert_geq(samples, 6, "too few samples to judge");

    const char *page = slurp(html);
    cr_expect(!strstr(page, "http:") && !strstr(page, "https:") && !strstr(page, "<script") &&
                  !strstr(page, "<link"),
              "the page must need nothing from elsewhere");

    chromium(r, chrome, html, NULL);
    const char *dom = r->out;
    cr_expect(strstr(dom, "<svg id=\"chart\""), "%s", dom);
    cr_expect_eq(count(dom, "<circle class=\"sample\""), samples, "one point per sample");
    cr_expect_eq(count(dom, "<rect class=\"window\""), 1, "the judged window");
    cr_expect_eq(count(dom, "<line class=\"trend\""), 1, "the trend line");
    cr_expect(strstr(dom, "<span class=\"verdict leak\" id=\"verdict\">leak</span>"), "%s", dom);
    cr_expect(strstr(dom, "<li>threads keep growing: "), "%s", dom);
    cr_expect(strstr(dom, "<h2>Suspects</h2>"), "%s", dom);
    cr_expect(strstr(dom, "<details class=\"suspect\" open=\"\"><summary>"), "%s", dom);
    cr_expect(strstr(dom, " in <b>leaky_worker</b> · grew by "), "%s", dom);
    cr_expect(strstr(dom, "#1  main "), "the creation stack: %s", dom);
    cr_expect(strstr(dom, "<svg class=\"icicle\" id=\"flame\""), "%s", dom);
    cr_expect(strstr(dom, ">handle_request</text>"), "%s", dom);
    cr_expect(strstr(dom, ">leaky_worker</text>"), "%s", dom);

    const char *shot = getenv("THREADLEAK_SCREENSHOT");
    char png[700];
    snprintf(png, sizeof png, "%s", shot && *shot ? shot : cli_path(r, "shot.png"));
    chromium(r, chrome, html, png);
    FILE *f = fopen(png, "rb");
    unsigned char sig[8] = {0};
    cr_expect(f && fread(sig, 1, 8, f) == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0,
              "no screenshot at %s", png);
    if (f)
        fclose(f);
    cli_free(r);
}

/* report --format html with and without a series: the same judgement run
 * makes, every group of the dump. */
Test(html, report_html_with_a_series)
{
    const char *chrome = chromium_or_skip();
    cli_result *r = cli_new();
    char out[700], html[700], cmd[1600], series[800], dump[800] = "";
    snprintf(out, sizeof out, "%s", cli_path(r, "out"));
    snprintf(html, sizeof html, "%s", cli_path(r, "r.html"));
    const char *a[] = {
        cli_threadleak(), "run", "--out", out, "--", tlt_prog_path("cli_leak_fast"), NULL};
    cli_exec(r, NULL, 0, a, NULL);
    cr_assert_eq(r->status, 3, "%s", r->err);
    snprintf(series, sizeof series, "%s/series.jsonl", out);
    snprintf(cmd, sizeof cmd, "ls %s/dump.*.json | head -1", out);
    FILE *p = popen(cmd, "r");
    if (!fgets(dump, sizeof dump, p))
        dump[0] = 0;
    pclose(p);
    dump[strcspn(dump, "\n")] = 0;
    cr_assert(dump[0], "no exit dump in %s", out);
    int lines = count(slurp(series), "\n");

    const char *b[] = {cli_threadleak(), "report", "--format", "html",
                       "--series",       series,   dump,       NULL};
    cli_exec(r, NULL, 0, b, NULL);
    cr_assert_eq(r->status, 0, "%s", r->err);
    FILE *f = fopen(html, "w");
    fwrite(r->out, 1, r->out_len, f);
    fclose(f);
    chromium(r, chrome, html, NULL);
    cr_expect_eq(count(r->out, "<circle class=\"sample\""), lines, "one point per series line");
    cr_expect(strstr(r->out, "id=\"verdict\">leak</span>"), "%s", r->out);
    cr_expect(strstr(r->out, "<h2>Groups</h2>"), "%s", r->out);
    cr_expect(strstr(r->out, "leaky_worker"), "%s", r->out);

    const char *c[] = {cli_threadleak(),
                       "report",
                       "--format",
                       "html",
                       tlt_source_path("tests/data/cli_new.json"),
                       NULL};
    cli_exec(r, NULL, 0, c, NULL);
    cr_assert_eq(r->status, 0, "%s", r->err);
    cr_expect(strstr(r->out, "id=\"verdict\">not judged</span>"), "%s", r->out);
    cr_expect(strstr(r->out, "No series: give one with --series"), "%s", r->out);
    cr_expect_eq(count(r->out, "<details class=\"suspect\""), 5, "every group");
    cr_expect(strstr(r->out, "117 threads &#183; blocked in cond (pthread_cond_wait) in "
                             "<b>chan_send</b>"),
              "%s", r->out);

    const char *d[] = {cli_threadleak(),
                       "report",
                       "--format",
                       "html",
                       "--series",
                       "/no/such",
                       tlt_source_path("tests/data/cli_new.json"),
                       NULL};
    cli_exec(r, NULL, 0, d, NULL);
    cr_expect_eq(r->status, 1);
    cr_expect(strstr(r->err, "/no/such: No such file or directory"), "%s", r->err);
    cli_free(r);
}
