/* `threadleak dump [--json] [--threads] PID`: ask a running preloaded
 * process for a dump and print it on stdout. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int tl_cmd_dump(int argc, char **argv)
{
    int json = 0, threads = 0, pprof = 0, attach = 0, running = 0;
    const char *pid_arg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--pprof") == 0)
            json = pprof = 1; /* the profile is made from the JSON dump */
        else if (strcmp(argv[i], "--threads") == 0)
            threads = 1;
        else if (strcmp(argv[i], "--attach") == 0)
            attach = 1;
        else if (strcmp(argv[i], "--running") == 0)
            running = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            tl_usage(stdout);
            return TL_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            tl_msg("unknown option %s for dump: it takes --json, --pprof, --threads, --running and "
                   "--attach",
                   argv[i]);
            return TL_EXIT_USAGE;
        } else if (pid_arg) {
            tl_msg("dump takes one PID, got %s and %s", pid_arg, argv[i]);
            return TL_EXIT_USAGE;
        } else
            pid_arg = argv[i];
    }
    long pid;
    if (!pid_arg) {
        tl_msg("dump needs the PID of a running process, as in threadleak dump 4242");
        return TL_EXIT_USAGE;
    }
    if (tl_parse_long(pid_arg, 1, 4194304, &pid)) {
        tl_msg("dump %s: not a process id: give a number like 4242 (see pgrep)", pid_arg);
        return TL_EXIT_USAGE;
    }
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        tl_msg("no process with pid %ld: check the pid (ps, pgrep)", pid);
        return TL_EXIT_FAIL;
    }
    int format = pprof ? TL_OUT_PPROF : json ? TL_OUT_JSON : TL_OUT_TEXT;
    /* Through ptrace every thread is stopped and unwound where it is:
     * running threads' stacks are always there, --running adds nothing. */
    if (tl_proc_has_lib((int)pid) != 1) /* any process: through ptrace */
        return tl_attach_dump((pid_t)pid, format, threads, stdout);
    char dir[PATH_MAX], local[PATH_MAX], stem[PATH_MAX], path[PATH_MAX + 8], err[512];
    if (tl_request_tmpdir((int)pid, dir, sizeof dir, local, sizeof local, stem, sizeof stem, err,
                          sizeof err)) {
        tl_msg("%s", err);
        return TL_EXIT_FAIL;
    }
    /* --attach: the library's dump as JSON, merged with ptrace's view. */
    int want_json = json || attach;
    snprintf(path, sizeof path, "%s.%s", local, want_json ? "json" : "txt");
    int asked = tl_request_dump((int)pid, stem, want_json ? "json" : "text", threads, running, err,
                                sizeof err);
    if (asked) {
        if (asked > 0)
            tl_msg("pid %ld did not answer: %s", pid, err);
        else
            tl_msg("cannot ask pid %ld for a dump: %s", pid, err);
        tl_remove_dir(dir);
        return TL_EXIT_FAIL;
    }
    long wait_ms = 3000 + 2 * tl_proc_interval_ms((int)pid);
    long deadline = tl_now_ms() + wait_ms;
    int rc = TL_EXIT_FAIL;
    for (;;) {
        if (access(path, F_OK) == 0) {
            if (attach)
                rc = tl_attach_merge((pid_t)pid, path, format, threads, stdout);
            else if (pprof)
                rc = tl_pprof_from_json(path, stdout, 1) ? TL_EXIT_FAIL : TL_EXIT_OK;
            else
                rc = copy_out(path) ? TL_EXIT_FAIL : TL_EXIT_OK;
            break;
        }
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            tl_msg("pid %ld exited before it wrote the dump", pid);
            break;
        }
        if (tl_now_ms() > deadline) {
            if (tl_request_pending((int)pid))
                tl_msg("pid %ld did not answer within %.1f s: its sampler has not taken the "
                       "request (busy, or stopped)",
                       pid, (double)wait_ms / 1000.0);
            else
                tl_msg("pid %ld did not answer within %.1f s: its sampler took the request but "
                       "wrote no dump (its stderr says why)",
                       pid, (double)wait_ms / 1000.0);
            break;
        }
        tl_sleep_ms(10);
    }
    if (rc != TL_EXIT_OK)
        tl_request_cancel((int)pid);
    tl_remove_dir(dir);
    return rc;
}
