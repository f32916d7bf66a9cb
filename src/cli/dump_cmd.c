/* `threadleak dump [--json] [--threads] PID`: ask a running preloaded
 * process for a dump and print it on stdout. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"
#include "cli/cli.h"

static int copy_out(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        tl_msg("cannot read the dump %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, stdout) != n)
            break;
    int bad = ferror(in) || fflush(stdout) != 0 || ferror(stdout);
    fclose(in);
    if (bad)
        tl_msg("cannot write the dump to stdout: %s", strerror(errno));
    return bad ? -1 : 0;
}

struct dump_opts {
    int json, threads, pprof, attach;
    const char *pid_arg;
};

/* The options and the PID; -1 to exit with *rc (after help or an error). */
static int parse_args(int argc, char **argv, struct dump_opts *o, int *rc)
{
    *rc = TL_EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
        else if (strcmp(argv[i], "--pprof") == 0)
            o->json = o->pprof = 1; /* the profile is made from the JSON dump */
        else if (strcmp(argv[i], "--threads") == 0)
            o->threads = 1;
        else if (strcmp(argv[i], "--attach") == 0)
            o->attach = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            tl_usage(stdout);
            *rc = TL_EXIT_OK;
            return -1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            tl_msg("unknown option %s for dump: it takes --json, --pprof, --threads and --attach",
                   argv[i]);
            return -1;
        } else if (o->pid_arg) {
            tl_msg("dump takes one PID, got %s and %s", o->pid_arg, argv[i]);
            return -1;
        } else
            o->pid_arg = argv[i];
    }
    return 0;
}

/* The dump of a preloaded process, through its request channel. */
static int dump_preloaded(long pid, const struct dump_opts *o, int format)
{
    /* --attach: the library's dump as JSON, merged with ptrace's view. */
    int want_json = o->json || o->attach;
    tl_fetch f;
    switch (tl_fetch_dump((int)pid, want_json ? "json" : "text", o->threads, 0, &f)) {
    case TL_FETCH_OK:
        break;
    case TL_FETCH_NO_SAMPLER:
        tl_msg("pid %ld did not answer: %s", pid, f.err);
        return TL_EXIT_FAIL;
    case TL_FETCH_NO_DIR:
        tl_msg("%s", f.err);
        return TL_EXIT_FAIL;
    case TL_FETCH_NOT_ASKED:
        tl_msg("cannot ask pid %ld for a dump: %s", pid, f.err);
        return TL_EXIT_FAIL;
    case TL_FETCH_EXITED:
        tl_msg("pid %ld exited before it wrote the dump", pid);
        return TL_EXIT_FAIL;
    case TL_FETCH_NOT_TAKEN:
        tl_msg("pid %ld did not answer within %.1f s: its sampler has not taken the request "
               "(busy, or stopped)",
               pid, (double)f.wait_ms / 1000.0);
        return TL_EXIT_FAIL;
    default:
        tl_msg("pid %ld did not answer within %.1f s: its sampler took the request but wrote no "
               "dump (its stderr says why)",
               pid, (double)f.wait_ms / 1000.0);
        return TL_EXIT_FAIL;
    }
    int rc;
    if (o->attach)
        rc = tl_attach_merge((pid_t)pid, f.path, format, o->threads, stdout);
    else if (o->pprof)
        rc = tl_pprof_from_json(f.path, stdout, 1) ? TL_EXIT_FAIL : TL_EXIT_OK;
    else
        rc = copy_out(f.path) ? TL_EXIT_FAIL : TL_EXIT_OK;
    tl_fetch_done(&f);
    return rc;
}

int tl_cmd_dump(int argc, char **argv)
{
    struct dump_opts o = {0};
    int rc;
    if (parse_args(argc, argv, &o, &rc))
        return rc;
    long pid;
    if (!o.pid_arg) {
        tl_msg("dump needs the PID of a running process, as in threadleak dump 4242");
        return TL_EXIT_USAGE;
    }
    if (tl_parse_long(o.pid_arg, 1, 4194304, &pid)) {
        tl_msg("dump %s: not a process id: give a number like 4242 (see pgrep)", o.pid_arg);
        return TL_EXIT_USAGE;
    }
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        tl_msg("no process with pid %ld: check the pid (ps, pgrep)", pid);
        return TL_EXIT_FAIL;
    }
    int format = o.pprof ? TL_OUT_PPROF : o.json ? TL_OUT_JSON : TL_OUT_TEXT;
    if (tl_proc_has_lib((int)pid) != 1) /* any process: through ptrace */
        return tl_attach_dump((pid_t)pid, format, o.threads, stdout);
    return dump_preloaded(pid, &o, format);
}
