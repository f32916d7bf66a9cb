/* `threadleak report [--format text|json|folded|pprof|html] [--no-spawn]
 * DUMP.json`: re-render a JSON dump for people, for tools, as folded stacks
 * for flamegraph.pl and speedscope, or as a pprof profile. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static void folded_frame(FILE *out, const tl_frame *f, int *first)
{
    if (!*first)
        fputc(';', out);
    *first = 0;
    if (!f->function) {
        fprintf(out, "0x%llx", (unsigned long long)f->ip);
        return;
    }
    for (const char *p = f->function; *p; p++)
        fputc(*p == ';' ? ':' : (*p == '\n' || *p == '\r') ? ' ' : *p, out);
}

static void folded_stack(FILE *out, const tl_stack *s, int *first)
{
    for (int i = s->depth - 1; i >= 0; i--) /* outermost frame first */
        folded_frame(out, &s->frames[i], first);
}

static void folded_leaf(FILE *out, const tl_group *g, int *first)
{
    fputs(*first ? "" : ";", out);
    *first = 0;
    if (g->state == TL_BLOCKED)
        fprintf(out, "[%s]", tl_wait_name(g->wait) ? tl_wait_name(g->wait) : "blocked");
    else if (g->state == TL_EXITED)
        fputs("[exited unjoined]", out);
    else
        fputs("[running]", out);
}

int tl_write_folded(FILE *out, const tl_dump *d, int with_spawn)
{
    for (int i = 0; i < d->n_groups; i++) {
        const tl_group *g = &d->groups[i];
        if (g->count <= 0)
            continue;
        int first = 1;
        if (with_spawn && g->spawn_stack.depth > 0) {
            folded_stack(out, &g->spawn_stack, &first);
            fputs(";[new thread]", out);
        }
        folded_stack(out, tl_group_where(g), &first);
        folded_leaf(out, g, &first);
        fprintf(out, " %d\n", g->count);
    }
    return ferror(out) ? -1 : 0;
}

int tl_cmd_report(int argc, char **argv)
{
    const char *format = "text", *path = NULL, *series = NULL;
    int with_spawn = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
            if (i + 1 >= argc) {
                tl_msg("%s needs a value: text, json, folded, pprof or html", a);
                return TL_EXIT_USAGE;
            }
            format = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            format = a + 9;
        } else if (strcmp(a, "--series") == 0) {
            if (i + 1 >= argc) {
                tl_msg("--series needs the series file (series.jsonl of run --out)");
                return TL_EXIT_USAGE;
            }
            series = argv[++i];
        } else if (strcmp(a, "--no-spawn") == 0) {
            with_spawn = 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            tl_usage(stdout);
            return TL_EXIT_OK;
        } else if (a[0] == '-' && a[1]) {
            tl_msg("unknown option %s for report: it takes --format text|json|folded|pprof|html, "
                   "--no-spawn and --series FILE",
                   a);
            return TL_EXIT_USAGE;
        } else if (path) {
            tl_msg("report takes one dump, got %s and %s", path, a);
            return TL_EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "folded") &&
        strcmp(format, "pprof") && strcmp(format, "html")) {
        tl_msg("--format %s: expected text, json, folded, pprof or html", format);
        return TL_EXIT_USAGE;
    }
    if (!path) {
        tl_msg("report needs a JSON dump, as in threadleak report threadleak.4242.1.json "
               "(write one with THREADLEAK_FORMAT=json or threadleak dump --json)");
        return TL_EXIT_USAGE;
    }
    if (series && strcmp(format, "html")) {
        tl_msg("--series goes with --format html (the chart of thread counts)");
        return TL_EXIT_USAGE;
    }
    if (strcmp(format, "pprof") == 0 && isatty(STDOUT_FILENO)) {
        tl_msg("a pprof profile is gzipped binary: redirect it, as in threadleak report "
               "--format pprof %s > threads.pb.gz",
               path);
        return TL_EXIT_USAGE;
    }
    char err[1024];
    tl_dump_file *f = tl_dump_load(path, err, sizeof err);
    if (!f) {
        tl_msg("%s: %s", path, err);
        return TL_EXIT_FAIL;
    }
    tl_dump *d = tl_dump_of(f);
    int rc;
    if (strcmp(format, "text") == 0)
        rc = tl_write_text(stdout, d);
    else if (strcmp(format, "json") == 0)
        rc = tl_write_json(stdout, d);
    else if (strcmp(format, "pprof") == 0)
        rc = tl_write_pprof(stdout, d, with_spawn);
    else if (strcmp(format, "html") == 0)
        rc = tl_html_report(stdout, d, series);
    else
        rc = tl_write_folded(stdout, d, with_spawn);
    tl_dump_file_free(f);
    if (rc == -2) /* html: the series could not be read, said so */
        return TL_EXIT_FAIL;
    if (rc || fflush(stdout)) {
        tl_msg("cannot write to stdout");
        return TL_EXIT_FAIL;
    }
    return TL_EXIT_OK;
}
