/* `threadleak report [--format text|json|folded|pprof|html] [--no-spawn]
 * DUMP.json`: re-render a JSON dump for people, for tools, as folded stacks
 * for flamegraph.pl and speedscope, or as a pprof profile. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct report_args {
    const char *format, *path, *series;
    int with_spawn;
};

#define GO_ON -1

/* GO_ON, or the exit status once the usage or a message is written. */
static int parse_args(int argc, char **argv, struct report_args *ra)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--format") == 0 || strcmp(a, "-f") == 0) {
            if (i + 1 >= argc) {
                tl_msg("%s needs a value: text, json, folded, pprof or html", a);
                return TL_EXIT_USAGE;
            }
            ra->format = argv[++i];
        } else if (strncmp(a, "--format=", 9) == 0) {
            ra->format = a + 9;
        } else if (strcmp(a, "--series") == 0) {
            if (i + 1 >= argc) {
                tl_msg("--series needs the series file (series.jsonl of run --out)");
                return TL_EXIT_USAGE;
            }
            ra->series = argv[++i];
        } else if (strcmp(a, "--no-spawn") == 0) {
            ra->with_spawn = 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            tl_usage(stdout);
            return TL_EXIT_OK;
        } else if (a[0] == '-' && a[1]) {
            tl_msg("unknown option %s for report: it takes --format text|json|folded|pprof|html, "
                   "--no-spawn and --series FILE",
                   a);
            return TL_EXIT_USAGE;
        } else if (ra->path) {
            tl_msg("report takes one dump, got %s and %s", ra->path, a);
            return TL_EXIT_USAGE;
        } else {
            ra->path = a;
        }
    }
    return GO_ON;
}

/* GO_ON when the arguments go together, else TL_EXIT_USAGE after a message. */
static int check_args(const struct report_args *ra)
{
    const char *format = ra->format;
    if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "folded") &&
        strcmp(format, "pprof") && strcmp(format, "html")) {
        tl_msg("--format %s: expected text, json, folded, pprof or html", format);
        return TL_EXIT_USAGE;
    }
    if (!ra->path) {
        tl_msg("report needs a JSON dump, as in threadleak report threadleak.4242.1.json "
               "(write one with THREADLEAK_FORMAT=json or threadleak dump --json)");
        return TL_EXIT_USAGE;
    }
    if (ra->series && strcmp(format, "html")) {
        tl_msg("--series goes with --format html (the chart of thread counts)");
        return TL_EXIT_USAGE;
    }
    if (strcmp(format, "pprof") == 0 && isatty(STDOUT_FILENO)) {
        tl_msg("a pprof profile is gzipped binary: redirect it, as in threadleak report "
               "--format pprof %s > threads.pb.gz",
               ra->path);
        return TL_EXIT_USAGE;
    }
    return GO_ON;
}

static int render(FILE *out, const tl_dump *d, const struct report_args *ra)
{
    if (strcmp(ra->format, "text") == 0)
        return tl_write_text(out, d);
    if (strcmp(ra->format, "json") == 0)
        return tl_write_json(out, d);
    if (strcmp(ra->format, "pprof") == 0)
        return tl_write_pprof(out, d, ra->with_spawn);
    if (strcmp(ra->format, "html") == 0)
        return tl_html_report(out, d, ra->series);
    return tl_write_folded(out, d, ra->with_spawn);
}

int tl_cmd_report(int argc, char **argv)
{
    struct report_args ra = {.format = "text", .with_spawn = 1};
    int status = parse_args(argc, argv, &ra);
    if (status == GO_ON)
        status = check_args(&ra);
    if (status != GO_ON)
        return status;
    char err[1024];
    tl_dump_file *f = tl_dump_load(ra.path, err, sizeof err);
    if (!f) {
        tl_msg("%s: %s", ra.path, err);
        return TL_EXIT_FAIL;
    }
    int rc = render(stdout, tl_dump_of(f), &ra);
    tl_dump_file_free(f);
    if (rc == -2) /* html: the series could not be read, said so */
        return TL_EXIT_FAIL;
    if (rc || fflush(stdout)) {
        tl_msg("cannot write to stdout");
        return TL_EXIT_FAIL;
    }
    return TL_EXIT_OK;
}
